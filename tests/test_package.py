"""The package's shape: every public module is reachable by its name."""

from __future__ import annotations

import importlib
import pkgutil
import subprocess
import sys
from types import ModuleType

import pytest

import qtargets


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

