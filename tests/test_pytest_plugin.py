"""The pytest plugin: installed qtargets gives any test suite offline backends of real devices.

A small user test suite runs in a fresh pytest process, where the plugin must arrive the way
it does for users: through the ``pytest11`` entry point, not ``-p``.
"""

from __future__ import annotations

import ast
from importlib.metadata import entry_points
from pathlib import Path

import pytest

import qtargets
import qtargets.pytest_plugin

USER_TESTS = '''
import pytest
import qtargets
from qiskit import QuantumCircuit, transpile
from qtargets.backend import QTargetsBackend


def test_plugin_came_from_the_entry_point(request):
    plugin = request.config.pluginmanager.get_plugin("qtargets")
    assert plugin is not None and plugin.__name__ == "qtargets.pytest_plugin"


def test_factory_builds_the_bundled_calibration(qtargets_backend):
    fez = qtargets_backend("ibm_fez")
    assert isinstance(fez, QTargetsBackend)
    assert fez.calibration == qtargets.load_calibration("ibm_fez")
    bell = QuantumCircuit(2)
    bell.h(0)
    bell.cx(0, 1)
    assert set(transpile(bell, fez, seed_transpiler=1).count_ops()) <= {"rz", "sx", "x", "cz"}


def test_factory_stays_offline_even_with_credentials(qtargets_backend, monkeypatch):
    monkeypatch.setenv("QISKIT_IBM_TOKEN", "would-be-used-live")
    monkeypatch.setenv("IONQ_API_KEY", "would-be-used-live")
    monkeypatch.setenv("QTARGETS_IBM_API_URL", "http://127.0.0.1:9")  # nothing listens there
    assert qtargets_backend("ibm_fez").calibration == qtargets.load_calibration("ibm_fez")


def test_factory_passes_build_flags(qtargets_backend):
    assert "if_else" not in qtargets_backend("ibm_fez", include_control_flow=False).target


def test_factory_gives_each_call_its_own_target(qtargets_backend):
    assert qtargets_backend("qpu.aria-1").target is not qtargets_backend("qpu.aria-1").target


def test_runs_on_every_bundled_device(bundled_backend):
    assert bundled_backend.name in qtargets.bundled_backends()


@pytest.mark.parametrize("bundled_backend", ["qpu.aria-1", "ibm_torino"], indirect=True)
def test_runs_on_chosen_devices(bundled_backend):
    assert bundled_backend.name in ("qpu.aria-1", "ibm_torino")
'''


def test_the_entry_point_names_the_plugin_module() -> None:
    found = [ep for ep in entry_points(group="pytest11") if ep.name == "qtargets"]
    assert [ep.value for ep in found] == ["qtargets.pytest_plugin"], (
        "reinstall: pip install -e ."
    )


def test_a_user_suite_gets_the_fixtures_through_the_entry_point(
        pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_user=USER_TESTS)
    result = pytester.runpytest_subprocess("-v", "-p", "no:cacheprovider")
    bundled = len(qtargets.bundled_backends())
    result.assert_outcomes(passed=5 + bundled + 2)
    result.stdout.fnmatch_lines(["*test_runs_on_every_bundled_device?ibm_fez? PASSED*"])


def test_a_user_suite_can_switch_the_plugin_off(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_user="def test_x(qtargets_backend):\n    pass\n")
    result = pytester.runpytest("-p", "no:qtargets", "-p", "no:cacheprovider")
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*fixture 'qtargets_backend' not found*"])


def test_the_plugin_module_imports_nothing_until_a_fixture_runs() -> None:
    # pytest loads the plugin in every run of anyone who installed qtargets: qiskit and the
    # rest of qtargets wait inside the fixtures (beyond the qtargets package's own __init__,
    # which importing any submodule runs).
    tree = ast.parse(Path(qtargets.pytest_plugin.__file__).read_text(encoding="utf-8"))
    top_level = {
        alias.name.split(".")[0] if isinstance(node, ast.Import) else (node.module or "")
        for node in tree.body if isinstance(node, ast.Import | ast.ImportFrom)
        for alias in node.names
    }
    assert top_level <= {"__future__", "collections.abc", "pathlib", "typing", "pytest"}
