"""The pytest plugin: installed qtargets gives any test suite offline backends of real devices.

A small user test suite runs in a fresh pytest process, where the plugin must arrive the way
it does for users: through the ``pytest11`` entry point, not ``-p``.
"""

from __future__ import annotations

import subprocess
import sys
from importlib.metadata import entry_points

import pytest

import qtargets

USER_TESTS = '''
import pytest
import qtargets
from qiskit import QuantumCircuit, transpile
from qtargets.backends import QTargetsBackend


def test_plugin_came_from_the_entry_point(request):
    plugin = request.config.pluginmanager.get_plugin("qtargets")
    assert plugin is not None and plugin.__name__ == "qtargets_pytest"


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
    assert [ep.value for ep in found] == ["qtargets_pytest"], (
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


def test_loading_the_plugin_imports_neither_qiskit_nor_qtargets() -> None:
    # pytest loads the plugin in every run of anyone who installed qtargets, whatever they
    # test: qiskit and qtargets (~1.2 s) wait inside the fixtures.
    probe = ("import sys, qtargets_pytest; "
             "print(sorted(m for m in ('qiskit', 'qtargets', 'numpy') if m in sys.modules))")
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                          check=True, timeout=60)
    assert done.stdout.strip() == "[]"
