"""One resolver for "a device": every entry point, Python and command line, takes the same
forms (a bundled, stored or live name, NAME@TIME, a calibration file, a Calibration, a
Target, a backend) and means the same by each. Offline: the store here is the test's own."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from qiskit import QuantumCircuit
from qiskit.transpiler import Target
from typer.testing import CliRunner

import qtargets
from qtargets import (
    BackendInputError,
    Calibration,
    CalibrationStore,
    QTargetsError,
    UnknownBackendError,
)
from qtargets.cli import app
from qtargets.devices import acalibrations, resolve, resolve_all

runner = CliRunner()


@pytest.fixture
def fez() -> Calibration:
    return qtargets.load_calibration("ibm_fez")


@pytest.fixture
def store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fez: Calibration
          ) -> Iterator[CalibrationStore]:
    """The default store (QTARGETS_STORE) holding: ibm_fez a day after the bundled snapshot,
    and a lab device no vendor serves."""
    path = tmp_path / "store.sqlite3"
    monkeypatch.setenv("QTARGETS_STORE", str(path))
    assert fez.taken_at is not None
    with CalibrationStore(path) as opened:
        opened.save(dataclasses.replace(fez, taken_at=fez.taken_at + timedelta(days=1)))
        opened.save(dataclasses.replace(fez, vendor="lab", backend_name="lab_chip"))
        yield opened


@pytest.fixture
def saved(tmp_path: Path) -> Path:
    path = tmp_path / "torino.json"
    path.write_text(qtargets.load_calibration("ibm_torino").to_json(), encoding="utf-8")
    return path


def bell() -> QuantumCircuit:
    circuit = QuantumCircuit(2, name="bell")
    circuit.h(0)
    circuit.cx(0, 1)
    circuit.measure_all()
    return circuit


# -- every form, one meaning ---------------------------------------------------------------


def test_a_name_is_the_newest_of_the_store_and_the_bundled_snapshot(
        store: CalibrationStore, fez: Calibration) -> None:
    assert fez.taken_at is not None
    assert qtargets.calibration("ibm_fez").taken_at == fez.taken_at + timedelta(days=1)
    assert qtargets.calibration("qpu.aria-1") == qtargets.load_calibration("qpu.aria-1")


def test_a_name_no_vendor_serves_is_found_in_the_store(store: CalibrationStore) -> None:
    assert qtargets.calibration("lab_chip").vendor == "lab"
    assert qtargets.target("lab_chip").num_qubits == 156


def test_name_at_time_is_the_calibration_in_force_then(
        store: CalibrationStore, fez: Calibration) -> None:
    assert fez.taken_at is not None
    noon = (fez.taken_at + timedelta(hours=12)).isoformat()
    assert qtargets.calibration(f"ibm_fez@{noon}") == fez
    assert qtargets.calibration("ibm_fez", at=noon) == fez
    with pytest.raises(UnknownBackendError, match="taken later"):
        qtargets.calibration("ibm_fez@2020-01-01")


def test_a_file_is_read_given_as_text_or_path(saved: Path) -> None:
    torino = qtargets.load_calibration("ibm_torino")
    assert qtargets.calibration(str(saved)) == torino
    assert qtargets.calibration(saved) == torino
    with pytest.raises(UnknownBackendError, match="not found"):
        qtargets.calibration("missing.json")


def test_calibrations_targets_and_backends_are_used_as_they_are(fez: Calibration) -> None:
    target = qtargets.build_target(fez)
    assert qtargets.calibration(fez) is fez
    assert qtargets.target(target) is target
    wrapped = qtargets.backend(fez)
    assert qtargets.calibration(wrapped) is fez
    assert qtargets.backend(target).target is target
    assert resolve(qtargets.backend(target)).given_target is target


SPECS: dict[str, Callable[[Path], Any]] = {
    "name": lambda saved: "ibm_torino",
    "name@time": lambda saved: "ibm_torino@2030-01-01",
    "file text": str,
    "file path": lambda saved: saved,
    "Calibration": lambda saved: qtargets.load_calibration("ibm_torino"),
    "Target": lambda saved: qtargets.load_target("ibm_torino"),
    "backend": lambda saved: qtargets.backend("ibm_torino", live=False),
}


@pytest.mark.parametrize("form", list(SPECS))
def test_every_python_entry_point_takes_every_form(form: str, saved: Path) -> None:
    spec = SPECS[form](saved)
    assert qtargets.target(spec).num_qubits == 133
    assert qtargets.backend(spec).target.num_qubits == 133
    (row,) = qtargets.rank(bell(), [spec], optimization_level=0)
    assert row.error is None
    assert row.num_qubits == 133
    assert next(iter(qtargets.targets([spec]).values())).num_qubits == 133
    if form != "Target":
        assert qtargets.calibration(spec).backend_name == "ibm_torino"


def test_inside_an_event_loop_the_async_form_resolves_concurrently(saved: Path) -> None:
    async def notebook_cell() -> dict[str, Calibration]:
        return await acalibrations(["ibm_fez", saved, "ibm_fez"])

    found = asyncio.run(notebook_cell())
    assert list(found) == ["ibm_fez", str(saved)]  # repeated devices resolved once
    assert found[str(saved)].backend_name == "ibm_torino"


def test_a_sweep_takes_every_form_at_once(saved: Path) -> None:
    from concurrent.futures import ThreadPoolExecutor  # noqa: PLC0415

    specs = [make(saved) for make in SPECS.values()]
    with ThreadPoolExecutor(1) as pool:
        records = qtargets.sweep([bell()], specs, methods=["default"], executor=pool,
                                 optimization_level=0)
    assert len(records) == len(specs)
    assert not records.failed


# -- what cannot work says why -------------------------------------------------------------


def test_a_bare_target_has_no_calibration_to_give(fez: Calibration) -> None:
    with pytest.raises(BackendInputError, match="bare qiskit Target"):
        qtargets.calibration(qtargets.build_target(fez))


def test_options_for_a_name_given_with_something_else_are_an_error(
        fez: Calibration, saved: Path) -> None:
    with pytest.raises(BackendInputError, match="Calibration"):
        qtargets.calibration(fez, at="2025-01-01")
    with pytest.raises(BackendInputError, match="calibration file"):
        qtargets.target(saved, live=False)
    with pytest.raises(BackendInputError, match="names its time"):
        qtargets.calibration("ibm_fez@2025-03-01", at="2025-03-01")
    with pytest.raises(BackendInputError, match="no device name before '@'"):
        qtargets.calibration("@2025-03-01")
    with pytest.raises(BackendInputError, match="got int"):
        resolve_all([42])


def test_a_name_found_nowhere_says_how_names_look() -> None:
    with pytest.raises(UnknownBackendError, match="IBM Quantum names start with 'ibm_'"):
        qtargets.calibration("fez")


# -- the command line takes the same forms -----------------------------------------------------


def invoke(*args: str) -> str:
    result = runner.invoke(app, list(args))
    assert result.exit_code == 0, result.output
    return result.output


CLI_FORMS: dict[str, Callable[[Path], str]] = {
    "bundled name": lambda saved: "qpu.aria-1",
    "stored name": lambda saved: "lab_chip",
    "name@time": lambda saved: "ibm_fez@2030-01-01",
    "file": str,
}


@pytest.mark.parametrize("form", list(CLI_FORMS))
def test_every_command_takes_every_form(form: str, saved: Path, tmp_path: Path,
                                        store: CalibrationStore) -> None:
    spec = CLI_FORMS[form](saved)
    assert "Operations" in invoke("show", spec)
    assert "Operations" in invoke("show", spec, "--offline")
    image = tmp_path / "map.png"
    assert invoke("map", spec, "--out", str(image), "--dpi", "20").strip() == str(image)
    assert "Calibration diff" in invoke("diff", spec, "ibm_fez")
    circuit = tmp_path / "bell.qasm"
    circuit.write_text('OPENQASM 2.0;\ninclude "qelib1.inc";\nqreg q[2];\nh q[0];\n'
                       "cx q[0],q[1];\n")
    assert "1 devices by esp_idle" in invoke("rank", str(circuit), "-b", spec, "--level", "0")
    out = tmp_path / "runs.csv"
    assert "1 runs (0 failed)" in invoke("sweep", str(tmp_path), "-b", spec, "--methods",
                                         "default", "--level", "0", "--workers", "1",
                                         "--out", str(out))


def test_fetch_refuses_a_file_in_one_line(saved: Path) -> None:
    result = runner.invoke(app, ["fetch", str(saved)])
    assert result.exit_code == 2
    assert "is a calibration file; fetch downloads" in result.output
    assert len(result.output.strip().splitlines()) == 1


def test_show_of_a_target_is_impossible_from_the_shell_but_explained_in_python() -> None:
    target: Target = qtargets.load_target("ibm_fez")
    with pytest.raises(QTargetsError, match="show needs a calibration"):
        resolve(target).require_calibration("show")


def test_a_single_string_is_one_device_not_its_letters(saved: Path) -> None:
    assert list(qtargets.calibrations("ibm_fez")) == ["ibm_fez"]
    assert list(qtargets.targets(str(saved))) == [str(saved)]
    assert list(qtargets.calibrations(saved)) == [str(saved)]
    assert [d.name for d in resolve_all("ibm_fez@2030-01-01")] == ["ibm_fez"]
    from concurrent.futures import ThreadPoolExecutor  # noqa: PLC0415

    with ThreadPoolExecutor(1) as pool:
        (record,) = qtargets.sweep([bell()], "ibm_torino", methods=["default"], executor=pool,
                                   optimization_level=0)
    assert record.device == "ibm_torino"
