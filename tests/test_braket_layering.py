"""qtargets.braket is held to the layering contract like every vendor (pyproject.toml): its
REST layer only talks, it never imports another vendor, and neutral modules never import it.
Each is broken on purpose in a copy of the package, and ``lint-imports`` must fail naming it."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from test_layering import LINT, ROOT, lint

pytestmark = pytest.mark.skipif(not LINT.exists(), reason="import-linter is not installed")

WRONG_IMPORTS = [
    ("A vendor's REST layer only talks", "braket/api.py", "import qiskit"),
    ("A vendor's REST layer only talks", "braket/models.py", "from . import convert"),
    ("Vendors are independent", "braket/convert.py", "from ..ionq import convert as _ionq"),
    ("Neutral modules name no vendor", "devices.py", "from . import braket"),
    ("The model and what is built on it", "scoring.py", "from .braket import names"),
]


@pytest.mark.parametrize(("contract", "module", "line"), WRONG_IMPORTS,
                         ids=[f"{module}: {line}" for _, module, line in WRONG_IMPORTS])
def test_a_wrong_braket_import_breaks_its_contract(contract: str, module: str, line: str,
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
    assert contract in broken, done.stdout
