"""The calibration summary: what ``qtargets show`` reports, computed from a Calibration."""

from __future__ import annotations

import json
import math
from dataclasses import replace
from datetime import datetime, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

import qtargets
from qtargets import (
    Calibration,
    GateCalibration,
    InstructionCalibration,
    Provenance,
    QubitCalibration,
)
from qtargets.summary import (
    UNCALIBRATED_ERROR,
    CalibrationSummary,
    FaultyGate,
    InstructionSummary,
    RankedEdge,
    Spread,
    best_edges,
    best_qubits,
    summarize,
)

G = GateCalibration
NS = 1e-9
US = 1e-6


def small_calibration() -> Calibration:
    """Four qubits with every awkward case, numbers picked so expectations are exact.

    * qubit 3 is faulty (and would otherwise be the best qubit);
    * qubit 2 has no 1-qubit gate error (unknown data) but the best readout;
    * cz (2, 1) is non-operational, cz (1, 2) carries IBM's error = 1 marker,
      cz (2, 3) touches the faulty qubit;
    * cx gives pair 0-1 a better gate than cz, in the other direction;
    * rz is virtual (error 0 everywhere), delay reports nothing, if_else is global.
    """
    qubits = (
        QubitCalibration(t1=100 * US, t2=50 * US, readout_error=0.02),
        QubitCalibration(t1=200 * US, t2=150 * US, readout_error=0.01),
        QubitCalibration(readout_error=0.005),
        QubitCalibration(t1=300 * US, t2=300 * US, readout_error=0.001, operational=False),
    )
    instructions = (
        InstructionCalibration("cz", "gate", 2, qargs=(
            G((0, 1), 0.01, 60 * NS),
            G((1, 0), 0.02, 60 * NS),
            G((1, 2), UNCALIBRATED_ERROR, 60 * NS),
            G((2, 1), 0.03, 60 * NS, operational=False),
            G((2, 3), 0.001, 60 * NS),
        )),
        InstructionCalibration("cx", "gate", 2, qargs=(
            G((1, 0), 0.005, 300 * NS),
            G((1, 2), 0.008, 300 * NS),
        )),
        InstructionCalibration("sx", "gate", 1, qargs=(
            G((0,), 1e-3, 20 * NS),
            G((1,), 3e-3, 40 * NS),
            G((2,), None, None),
            G((3,), 5e-4, 20 * NS),
        )),
        InstructionCalibration("rz", "gate", 1, parameters=("theta",),
                               qargs=tuple(G((q,), 0.0, 0.0) for q in range(4))),
        InstructionCalibration("measure", "measure", 1, num_clbits=1, qargs=tuple(
            G((q,), qubits[q].readout_error, 1 * US) for q in range(4)
        )),
        InstructionCalibration("delay", "delay", 1, parameters=("t",),
                               qargs=tuple(G((q,)) for q in range(4))),
        InstructionCalibration("if_else", "control_flow", 0),
    )
    return Calibration(
        vendor="acme",
        backend_name="acme_small",
        num_qubits=4,
        qubits=qubits,
        instructions=instructions,
        provenance=Provenance("written by hand for tests"),
        taken_at=datetime(2025, 1, 2, 3, 4, 5, tzinfo=timezone.utc),
        backend_version="1.0",
        processor="Toy r1",
    )


def bare_calibration() -> Calibration:
    """A device that reports no numbers at all: every property is None."""
    return Calibration(
        vendor="acme",
        backend_name="acme_bare",
        num_qubits=2,
        qubits=(QubitCalibration(), QubitCalibration()),
        instructions=(
            InstructionCalibration("cz", "gate", 2, qargs=(G((0, 1)),)),
            InstructionCalibration("sx", "gate", 1, qargs=(G((0,)), G((1,)))),
            InstructionCalibration("measure", "measure", 1, num_clbits=1),
        ),
        provenance=Provenance("nothing measured"),
    )


def inst(summary: CalibrationSummary, name: str) -> InstructionSummary:
    (found,) = [i for i in summary.instructions if i.name == name]
    return found


@pytest.fixture(scope="module")
def small() -> CalibrationSummary:
    return summarize(small_calibration())


# -- header --------------------------------------------------------------------------------


def test_header_fields_come_from_the_calibration(small: CalibrationSummary) -> None:
    assert small.vendor == "acme"
    assert small.backend_name == "acme_small"
    assert small.backend_version == "1.0"
    assert small.processor == "Toy r1"
    assert small.taken_at == datetime(2025, 1, 2, 3, 4, 5, tzinfo=timezone.utc)
    assert small.source == "written by hand for tests"
    assert small.num_qubits == 4


def test_faulty_qubit_is_not_counted_as_operational(small: CalibrationSummary) -> None:
    assert small.num_operational_qubits == 3
    assert small.faulty_qubits == (3,)


# -- instructions --------------------------------------------------------------------------


def test_every_instruction_is_summarised_in_calibration_order(small: CalibrationSummary) -> None:
    assert [i.name for i in small.instructions] == [
        "cz", "cx", "sx", "rz", "measure", "delay", "if_else",
    ]


def test_non_operational_and_faulty_qubit_entries_are_excluded(small: CalibrationSummary) -> None:
    cz = inst(small, "cz")
    assert cz.num_qargs == 5
    assert cz.num_excluded == 2  # (2, 1) non-operational, (2, 3) on faulty qubit 3


def test_uncalibrated_error_is_counted_apart_and_kept_out_of_median_and_best(
    small: CalibrationSummary,
) -> None:
    cz = inst(small, "cz")
    assert cz.num_uncalibrated == 1
    # usable errors 0.01, 0.02 and the marker 1.0: with the marker the median would be 0.02
    assert cz.error.median == pytest.approx(0.015)
    assert cz.error.best == 0.01


def test_uncalibrated_error_is_the_worst(small: CalibrationSummary) -> None:
    assert inst(small, "cz").error.worst == 1.0


def test_missing_errors_are_ignored_and_counted(small: CalibrationSummary) -> None:
    sx = inst(small, "sx")
    assert sx.num_missing_error == 1
    assert sx.error == Spread(median=pytest.approx(2e-3), best=1e-3, worst=3e-3)


def test_median_duration_ignores_missing_and_excluded_entries(small: CalibrationSummary) -> None:
    assert inst(small, "sx").median_duration == pytest.approx(30 * NS)
    assert inst(small, "cz").median_duration == pytest.approx(60 * NS)


def test_instruction_without_any_numbers_reports_none(small: CalibrationSummary) -> None:
    delay = inst(small, "delay")
    assert delay.error == Spread(None, None, None)
    assert delay.median_duration is None
    assert delay.num_missing_error == 3  # the faulty qubit's entry is excluded, not missing


def test_global_instruction_has_no_qargs_count(small: CalibrationSummary) -> None:
    if_else = inst(small, "if_else")
    assert if_else.num_qargs is None
    assert if_else.kind == "control_flow"
    assert if_else.error == Spread()


# -- qubits --------------------------------------------------------------------------------


def test_readout_error_spread_is_over_operational_qubits(small: CalibrationSummary) -> None:
    assert small.readout_error == Spread(median=0.01, best=0.005, worst=0.02)


def test_t1_and_t2_medians_skip_unknown_and_faulty_qubits(small: CalibrationSummary) -> None:
    assert small.t1_median == pytest.approx(150 * US)
    assert small.t2_median == pytest.approx(100 * US)


# -- faulty elements -----------------------------------------------------------------------


def test_faulty_gates_are_the_non_operational_entries(small: CalibrationSummary) -> None:
    assert small.faulty_gates == (FaultyGate("cz", (2, 1)),)


def test_uncalibrated_gates_are_listed(small: CalibrationSummary) -> None:
    assert small.uncalibrated_gates == (FaultyGate("cz", (1, 2)),)


# -- best qubits ---------------------------------------------------------------------------


def test_best_qubits_rank_by_readout_plus_mean_one_qubit_gate_error(
    small: CalibrationSummary,
) -> None:
    assert [q.qubit for q in small.best_qubits] == [1, 0]
    q1 = small.best_qubits[0]
    assert q1.score == pytest.approx(0.01 + 3e-3)
    assert (q1.t1, q1.t2) == (200 * US, 150 * US)


def test_virtual_gate_is_left_out_of_the_gate_error_mean(small: CalibrationSummary) -> None:
    # rz reports 0 everywhere; counting it would halve qubit 1's gate error
    assert small.best_qubits[0].gate_error == pytest.approx(3e-3)


def test_faulty_qubit_is_excluded_from_best_qubits(small: CalibrationSummary) -> None:
    assert 3 not in [q.qubit for q in small.best_qubits]


def test_qubit_with_unknown_gate_error_is_excluded_from_best_qubits(
    small: CalibrationSummary,
) -> None:
    assert 2 not in [q.qubit for q in small.best_qubits]


def test_qubit_with_a_non_operational_gate_is_excluded_from_best_qubits() -> None:
    cal = small_calibration()
    sx = cal.instruction("sx")
    assert sx.qargs is not None
    broken = replace(sx, qargs=(sx.qargs[0], sx.qargs[1]._replace(operational=False),
                                *sx.qargs[2:]))
    cal = replace(cal, instructions=tuple(broken if i.name == "sx" else i
                                          for i in cal.instructions))
    assert [q.qubit for q in best_qubits(cal)] == [0]


def test_best_qubits_ties_go_to_the_lower_index() -> None:
    cal = small_calibration()
    cal = replace(cal, qubits=(cal.qubits[1], *cal.qubits[1:]), instructions=tuple(
        replace(i, qargs=(G((0,), 3e-3), G((1,), 3e-3), G((2,)), G((3,))))
        if i.name == "sx" else i
        for i in cal.instructions
    ))
    assert [q.qubit for q in best_qubits(cal)] == [0, 1]


def test_top_limits_best_qubits_and_edges() -> None:
    summary = summarize(small_calibration(), top=1)
    assert len(summary.best_qubits) == 1
    assert len(summary.best_edges) == 1
    assert summarize(small_calibration(), top=0).best_qubits == ()


def test_negative_top_is_an_error() -> None:
    with pytest.raises(ValueError, match="top"):
        summarize(small_calibration(), top=-1)


# -- best edges ----------------------------------------------------------------------------


def test_best_edges_use_the_best_gate_of_each_pair_in_either_direction(
    small: CalibrationSummary,
) -> None:
    assert small.best_edges == (
        RankedEdge((1, 0), "cx", 0.005, 300 * NS),
        RankedEdge((1, 2), "cx", 0.008, 300 * NS),
    )


def test_uncalibrated_non_operational_and_faulty_qubit_edges_are_not_ranked() -> None:
    cal = small_calibration()
    cal = replace(cal, instructions=tuple(i for i in cal.instructions if i.name != "cx"))
    # cz (1, 2) is uncalibrated, (2, 1) non-operational, (2, 3) on a faulty qubit
    assert [e.qubits for e in best_edges(cal)] == [(0, 1)]


# -- no data at all ------------------------------------------------------------------------


def test_calibration_without_any_properties_still_summarises() -> None:
    summary = summarize(bare_calibration())
    assert summary.readout_error == Spread()
    assert summary.t1_median is None
    assert summary.t2_median is None
    assert summary.taken_at is None
    assert summary.processor is None
    assert summary.best_qubits == ()
    assert summary.best_edges == ()
    assert inst(summary, "cz").error == Spread()
    assert inst(summary, "cz").num_missing_error == 1
    assert inst(summary, "measure").num_qargs is None
    json.dumps(summary.to_dict(), allow_nan=False)


# -- JSON ----------------------------------------------------------------------------------


def test_to_dict_is_json_with_stable_keys(small: CalibrationSummary) -> None:
    data = json.loads(json.dumps(small.to_dict(), allow_nan=False))
    assert list(data) == [
        "vendor", "backend_name", "backend_version", "processor", "taken_at", "source",
        "retrieved_at", "num_qubits", "num_operational_qubits", "instructions",
        "readout_error", "t1_median", "t2_median", "faulty_qubits", "faulty_gates",
        "uncalibrated_gates", "best_qubits", "best_edges", "layer_fidelities", "couplers",
    ]
    assert (data["layer_fidelities"], data["couplers"]) == ([], None)
    assert list(data["instructions"][0]) == [
        "name", "kind", "num_qubits", "num_qargs", "num_excluded", "error",
        "num_missing_error", "num_uncalibrated", "median_duration",
    ]
    assert data["taken_at"] == "2025-01-02T03:04:05+00:00"
    assert data["readout_error"] == {"median": 0.01, "best": 0.005, "worst": 0.02}
    assert data["faulty_gates"] == [{"name": "cz", "qubits": [2, 1]}]
    assert data["best_edges"][0] == {"qubits": [1, 0], "gate": "cx", "error": 0.005,
                                     "duration": pytest.approx(300 * NS)}


# -- properties ----------------------------------------------------------------------------

errors = st.one_of(st.none(), st.just(1.0), st.floats(0.0, 1.0))


@given(st.lists(errors, min_size=1, max_size=30))
def test_spread_is_ordered_and_counts_add_up(gate_errors: list[float | None]) -> None:
    n = len(gate_errors)
    cal = Calibration(
        vendor="acme", backend_name="acme_prop", num_qubits=n,
        qubits=(QubitCalibration(),) * n,
        instructions=(InstructionCalibration("sx", "gate", 1, qargs=tuple(
            G((q,), e) for q, e in enumerate(gate_errors))),),
        provenance=Provenance("hypothesis"),
    )
    sx = summarize(cal).instructions[0]
    measured = [e for e in gate_errors if e is not None and e != 1.0]
    assert sx.num_missing_error == gate_errors.count(None)
    assert sx.num_uncalibrated == sum(1 for e in gate_errors if e == 1.0)
    if measured:
        assert sx.error.best is not None
        assert sx.error.median is not None
        assert sx.error.worst is not None
        assert sx.error.best <= sx.error.median <= sx.error.worst
        assert math.isfinite(sx.error.median)
    else:
        assert sx.error.median is None
        assert sx.error.best is None


# -- real data -----------------------------------------------------------------------------


def test_ibm_fez_summary_smoke() -> None:
    summary = summarize(qtargets.load_calibration("ibm_fez"))
    assert summary.num_qubits == 156
    assert summary.processor == "Heron r2"
    cz = inst(summary, "cz")
    assert cz.num_qargs == 352
    assert cz.num_uncalibrated == 14
    assert cz.error.worst == 1.0
    assert cz.error.median is not None
    assert cz.error.median < 0.01
    assert len(summary.best_qubits) == 5
    assert len(summary.best_edges) == 5
    assert summary.t1_median is not None
    assert 50 * US < summary.t1_median < 500 * US


@pytest.mark.parametrize("name", qtargets.bundled_backends())
def test_every_bundled_calibration_summarises_to_json(name: str) -> None:
    summary = summarize(qtargets.load_calibration(name))
    assert summary.num_qubits > 0
    json.dumps(summary.to_dict(), allow_nan=False)
