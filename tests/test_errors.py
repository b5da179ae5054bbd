"""One error tree: every error class in ``qtargets._exceptions``, all exported at top level,
and one way to report a missing optional package (naming the extra that installs it)."""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

import qtargets
from qtargets import _exceptions
from qtargets._optional import EXTRAS

ROOT = Path(__file__).resolve().parents[1]


def _modules() -> list[str]:
    names = ["qtargets"]
    for info in pkgutil.walk_packages(qtargets.__path__, "qtargets."):
        names.append(info.name)
    return names


def _error_classes_defined_anywhere() -> dict[str, type]:
    found: dict[str, type] = {}
    for name in _modules():
        module = importlib.import_module(name)
        for value in vars(module).values():
            if inspect.isclass(value) and issubclass(value, (qtargets.QTargetsError,
                                                             qtargets.QTargetsWarning)):
                found[f"{value.__module__}.{value.__qualname__}"] = value
    return found


def test_every_error_class_is_defined_in_exceptions() -> None:
    found = _error_classes_defined_anywhere()
    assert found, "no error classes found at all"
    elsewhere = sorted(k for k in found if not k.startswith("qtargets._exceptions."))
    assert elsewhere == []


def test_every_error_class_is_exported_at_top_level_and_drawn_in_the_tree() -> None:
    doc = _exceptions.__doc__ or ""
    for name, value in vars(_exceptions).items():
        if inspect.isclass(value) and issubclass(value, (qtargets.QTargetsError,
                                                         qtargets.QTargetsWarning)):
            assert getattr(qtargets, name) is value, name
            assert name in qtargets.__all__, name
            assert f" {name} " in doc or f" {name}\n" in doc, f"{name} missing from the tree"


def test_every_error_is_a_qtargets_error_and_catching_the_root_catches_it() -> None:
    for value in vars(_exceptions).values():
        if inspect.isclass(value) and issubclass(value, Exception) and not issubclass(
                value, Warning) and value.__module__ == "qtargets._exceptions":
            assert issubclass(value, qtargets.QTargetsError), value


# -- optional dependencies -------------------------------------------------------------------


def _declared_extras() -> dict[str, list[str]]:
    tomllib = pytest.importorskip("tomllib")
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    extras: dict[str, list[str]] = project["optional-dependencies"]
    return extras


def test_each_optional_package_names_an_extra_that_installs_it() -> None:
    extras = _declared_extras()
    for module, (package, extra) in EXTRAS.items():
        assert extra in extras, f"{module}: no extra {extra!r} in pyproject.toml"
        assert any(req.startswith(package.split("[")[0]) for req in extras[extra]), (
            f"extra {extra!r} does not install {package}")


def _ghz3_qasm3(tmp_path: Path) -> Path:
    path = tmp_path / "ghz.qasm"
    path.write_text('OPENQASM 3.0;\ninclude "stdgates.inc";\nqubit[2] q;\nh q[0];\n'
                    "cx q[0], q[1];\n")
    return path


def _sweep_records() -> qtargets.SweepRecords:
    return qtargets.SweepRecords([])


FEATURES: dict[str, tuple[str, str, Callable[[Path], Any]]] = {
    "error map": ("matplotlib", "drawing error maps",
                  lambda tmp: qtargets.plot_error_map(qtargets.load_calibration("ibm_fez"))),
    "sweep plot": ("matplotlib", "plotting sweep results",
                   lambda tmp: _sweep_records().plot()),
    "sweep table": ("pandas", "to_pandas", lambda tmp: _sweep_records().to_pandas()),
    "simulation": ("qiskit_aer", "simulating a calibration",
                   lambda tmp: qtargets.backend("ibm_fez", live=False).aer_simulator()),
    "openqasm 3": ("qiskit_qasm3_import", "reading OpenQASM 3",
                   lambda tmp: qtargets.load_circuit(_ghz3_qasm3(tmp))),
}


@pytest.mark.parametrize("feature", list(FEATURES))
def test_a_missing_optional_package_names_the_feature_and_the_extra(
        feature: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    module, purpose, use = FEATURES[feature]
    package, extra = EXTRAS[module]
    for loaded in [m for m in sys.modules if m == module or m.startswith(module + ".")]:
        monkeypatch.setitem(sys.modules, loaded, None)
    monkeypatch.setitem(sys.modules, module, None)  # `import module` now fails
    importlib.invalidate_caches()
    from qtargets.noise import _native_gate_simulator_class  # noqa: PLC0415
    _native_gate_simulator_class.cache_clear()
    with pytest.raises(qtargets.MissingDependencyError) as caught:
        use(tmp_path)
    message = str(caught.value)
    assert purpose in message
    assert f"needs {package}: pip install 'qtargets[{extra}]'" in message
    assert isinstance(caught.value, ImportError)
    _native_gate_simulator_class.cache_clear()
