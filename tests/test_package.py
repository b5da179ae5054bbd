"""The package's shape: every public module is reachable by its name, and the API reference
documents exactly the modules a user can import."""

from __future__ import annotations

import importlib
import pkgutil
import re
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

import qtargets

ROOT = Path(__file__).resolve().parents[1]


def public_modules() -> list[str]:
    """``qtargets`` and every module below it whose dotted name has no ``_`` part."""
    names = ["qtargets"]
    for info in pkgutil.walk_packages(qtargets.__path__, "qtargets."):
        if not any(part.startswith("_") for part in info.name.split(".")):
            names.append(info.name)
    return sorted(names)


@pytest.mark.parametrize("name", public_modules())
def test_import_gives_the_module_not_a_function_of_the_same_name(name: str) -> None:
    # ``import qtargets.x as m`` binds getattr(qtargets, "x"): a function of that name in the
    # package would shadow the module
    module = importlib.import_module(name)
    parent, _, last = name.rpartition(".")
    if parent:
        assert getattr(importlib.import_module(parent), last) is module
    assert isinstance(module, ModuleType)


def test_import_as_works_in_a_fresh_interpreter() -> None:
    statements = "; ".join(f"import {name} as m; assert type(m).__name__ == 'module', "
                           f"{name!r}" for name in public_modules())
    done = subprocess.run([sys.executable, "-c", statements], capture_output=True, text=True,
                          timeout=300, check=False)
    assert done.returncode == 0, done.stderr



def documented_modules() -> set[str]:
    found: set[str] = set()
    for page in (ROOT / "docs" / "api").glob("*.md"):
        for match in re.finditer(r"^::: (qtargets[\w.]*)", page.read_text(), re.M):
            found.add(match.group(1))
    return found


def test_the_api_reference_documents_exactly_the_public_modules() -> None:
    documented = {name for name in documented_modules() if not name.endswith("._exceptions")}
    assert documented == set(public_modules())
