"""The documentation stays true: README commands, the committed JSON Schema, bundled data.

The examples are run by test_examples.py, the docs site is built by test_docs_site.py.
"""

from __future__ import annotations

import importlib.util
import json
import re
from pathlib import Path
from types import ModuleType

from typer.main import get_command

import qtargets
from qtargets.cli import app

from reference import snapshots

ROOT = Path(__file__).resolve().parent.parent


def test_readme_starts_with_exactly_two_setup_commands() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    first_block = re.search(r"```bash\n(.*?)```", readme, re.S)
    assert first_block is not None
    assert readme.startswith("# qtargets\n\n```bash\n")  # the very first lines
    commands = [line for line in first_block.group(1).splitlines() if line.strip()]
    assert len(commands) == 2
    assert commands[0].endswith("qtargets show ibm_fez")
    assert commands[1].endswith("python -m pytest")
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert "-m pytest" in ci
    assert 'ruff" check' in ci
    assert "--strict src" in ci
    assert "lint-imports" in ci  # the layering contract


def test_committed_json_schema_is_current() -> None:
    committed = json.loads((ROOT / "docs" / "calibration.schema.json").read_text("utf-8"))
    assert committed == qtargets.calibration_json_schema(), (
        "run: python scripts/make_schema.py"
    )


def _script(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, ROOT / "scripts" / f"{name}.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_bundled_ionq_calibrations_match_their_published_figures() -> None:
    make = _script("make_bundled_ionq")
    for backend in make.DEVICES:
        assert qtargets.load_calibration(backend) == make.calibration(backend), backend


def test_bundled_ibm_calibrations_match_a_fresh_conversion_of_their_source() -> None:
    for name in qtargets.bundled_backends():
        bundled = qtargets.load_calibration(name)
        if bundled.vendor != "ibm":
            continue
        directory = name.removeprefix("ibm_")
        snap = next(s for s in snapshots() if s.id == directory)
        assert snap.conf_path.name in bundled.provenance.source
        fresh = qtargets.ibm.to_calibration(snap.conf(), snap.props())
        assert fresh.with_provenance(bundled.provenance) == bundled, name



def test_readme_lists_every_command() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    block = re.search(r"Every command .*?\n```\n(.*?)```", readme, re.S)
    assert block is not None, "README: the block after 'Every command' lists the commands"
    listed = [line.split()[1] for line in block.group(1).splitlines()
              if line.startswith("qtargets ")]
    commands = get_command(app).commands  # type: ignore[attr-defined]
    assert sorted(listed) == sorted(commands)
    cli_page = (ROOT / "docs" / "cli.md").read_text(encoding="utf-8")
    for name in commands:
        assert re.search(rf"^#+ .*`?qtargets {name}\b", cli_page, re.M), (
            f"docs/cli.md has no section for qtargets {name}")
