"""The layering contract (pyproject.toml, docs/architecture.md) holds, and breaks on a wrong
import: each contract is broken on purpose in a copy of the package, and ``lint-imports``
(what .ci/run runs) must then fail and name it."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
LINT = Path(sys.executable).with_name("lint-imports")

pytestmark = pytest.mark.skipif(not LINT.exists(), reason="import-linter is not installed")

WRONG_IMPORTS = [
    # (the contract's name, or its start; the module; the line that breaks it)
    ("A vendor's REST layer only talks", "ibm/api.py", "import qiskit"),
    ("A vendor's REST layer only talks", "ionq/api.py", "from ..store import CalibrationStore"),
    ("The model and what is built on it", "graphs.py", "from . import store"),
    ("The model and what is built on it", "scoring.py", "from .ionq import families"),
    ("Neutral modules name no vendor", "live.py", "from .ibm import convert"),
    ("Neutral modules name no vendor", "cli/commands.py", "from .. import ionq"),
    ("Vendors are independent", "ibm/convert.py", "from ..ionq import families"),
    ("Only the CLI imports the terminal libraries", "summary.py", "import rich"),
    # qtargets.braket, the channel to other vendors' devices, is held to them like any vendor
    ("A vendor's REST layer only talks", "braket/api.py", "import qiskit"),
    ("A vendor's REST layer only talks", "braket/models.py", "from . import convert"),
    ("Vendors are independent", "braket/convert.py", "from ..ionq import convert as _ionq"),
    ("Neutral modules name no vendor", "devices.py", "from . import braket"),
    ("The model and what is built on it", "scoring.py", "from .braket import names"),
]


def lint(project: Path) -> subprocess.CompletedProcess[str]:
    environment = {**os.environ, "PYTHONPATH": str(project / "src")}
    return subprocess.run([str(LINT), "--no-cache"], cwd=project, env=environment,
                          capture_output=True, text=True, timeout=300, check=False)


def test_the_package_keeps_every_contract() -> None:
    done = lint(ROOT)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "0 broken" in done.stdout


@pytest.mark.parametrize(("contract", "module", "line"), WRONG_IMPORTS,
                         ids=[f"{module}: {line}" for _, module, line in WRONG_IMPORTS])
def test_a_wrong_import_breaks_its_contract(contract: str, module: str, line: str,
                                            tmp_path: Path) -> None:
    shutil.copytree(ROOT / "src" / "qtargets", tmp_path / "src" / "qtargets",
                    ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path)
    path = tmp_path / "src" / "qtargets" / module
    path.write_text(path.read_text(encoding="utf-8") + f"\n{line}  # deliberately wrong\n",
                    encoding="utf-8")
    done = lint(tmp_path)
    assert done.returncode != 0, done.stdout
    _, _, broken = done.stdout.partition("Broken contracts")
    assert contract in broken, done.stdout  # named among the broken ones
