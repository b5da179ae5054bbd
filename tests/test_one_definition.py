"""Rules written once: which gates are virtual, what a named method means, which figures a
ranking row and a sweep record hold. Each test shows two users of a rule agreeing."""

from __future__ import annotations

import dataclasses
import math
from concurrent.futures import ThreadPoolExecutor

import pytest
from qiskit import QuantumCircuit
from typer.testing import CliRunner

import qtargets
from qtargets.backends import Figures
from qtargets.cli import app
from qtargets.layout import DeviceModel
from qtargets.methods import METHODS
from qtargets.model import (
    FRAME_CHANGES,
    Calibration,
    GateCalibration,
    InstructionCalibration,
    Provenance,
    QubitCalibration,
    is_virtual,
)
from qtargets.ranking import Ranking
from qtargets.scoring import nats
from qtargets.summary import best_qubits
from qtargets.sweeps import SweepRecord

ERRORS = {"sx": 1e-3, "x": 2e-3, "id": 6e-3, "rz": 0.0, "p": 3e-4, "h": 0.0}
"""A device whose every one-qubit gate has its own error: ``rz`` and ``h`` report 0, ``p`` is a
frame change reported with an error (so only its name makes it virtual), ``id`` is a pulse."""


def _device() -> Calibration:
    instructions = [
        InstructionCalibration(name, "gate", 1, ("theta",) if name in ("rz", "p") else (),
                               qargs=tuple(GateCalibration((q,), error, 3.2e-8)
                                           for q in range(2)))
        for name, error in ERRORS.items()
    ]
    instructions.append(InstructionCalibration(
        "cz", "gate", 2, qargs=(GateCalibration((0, 1), 4e-3, 6.8e-8),)))
    instructions.append(InstructionCalibration(
        "measure", "measure", 1, num_clbits=1,
        qargs=tuple(GateCalibration((q,), 1e-2, 1e-6) for q in range(2))))
    return Calibration(vendor="test", backend_name="two", num_qubits=2,
                       qubits=(QubitCalibration(t1=1e-4, t2=1e-4, readout_error=1e-2),) * 2,
                       instructions=tuple(instructions), provenance=Provenance("made up"))


def test_virtual_means_a_frame_change_or_every_reported_error_zero() -> None:
    assert {name for name in ERRORS if is_virtual(name, [ERRORS[name]])} == {"rz", "p", "h"}
    assert all(is_virtual(name) for name in FRAME_CHANGES)
    assert not is_virtual("sx")  # no errors given: only the name can tell
    assert not is_virtual("x", [None, 0.0, 1e-3])


def test_show_and_the_layout_plugin_count_the_same_single_qubit_gates() -> None:
    cal = _device()
    pulses = [e for name, e in ERRORS.items() if not is_virtual(name, [e])]
    assert sorted(pulses) == [1e-3, 2e-3, 6e-3]  # sx, x, id
    (best, *_) = best_qubits(cal, 1)
    assert best.gate_error == pytest.approx(sum(pulses) / len(pulses))
    model = DeviceModel.of(qtargets.build_target(cal))
    assert model.one_qubit[0] == pytest.approx(nats(sorted(pulses)[1]))  # their median


def test_the_method_registry_is_what_rank_sweep_and_the_cli_accept() -> None:
    circuit = QuantumCircuit(2, name="bell")
    circuit.h(0)
    circuit.cx(0, 1)
    for name in METHODS:
        (row,) = qtargets.rank(circuit, ["ibm_fez"], method=name, live=False,
                               optimization_level=0)
        assert row.error is None, (name, row.error)
    result = CliRunner().invoke(app, ["rank", "x.qasm", "--method", "annealing"])
    assert result.exit_code == 2
    for name in METHODS:
        assert name in result.output


def test_a_ranking_row_and_a_sweep_record_hold_the_same_figures_by_the_same_names() -> None:
    shared = {f.name for f in dataclasses.fields(Figures)}
    assert shared <= {f.name for f in dataclasses.fields(Ranking)}
    assert shared <= {f.name for f in dataclasses.fields(SweepRecord)}
    circuit = QuantumCircuit(3, name="ghz")
    circuit.h(0)
    circuit.cx(0, 1)
    circuit.cx(1, 2)
    circuit.measure_all()
    (row,) = qtargets.rank(circuit, ["qpu.harmony"], method="default", seed=7, live=False,
                           optimization_level=1)
    # in this process, on a device test_sweep does not use: a sweep's Targets stay cached in
    # the process that ran it (its own count of builds would see this one's)
    with ThreadPoolExecutor(1) as pool:
        (record,) = qtargets.sweep([circuit], ["qpu.harmony"], methods=["default"], seeds=[7],
                                   optimization_level=1, executor=pool)
    for name in shared - {"transpile_seconds"}:
        assert getattr(row, name) == getattr(record, name), name
    assert row.unknown_errors == record.unknown_errors == 0
    assert math.isfinite(record.log_esp_idle or -math.inf)

