"""The calibration diff: what ``qtargets diff`` reports, on real calibrations with known edits."""

from __future__ import annotations

import json
import math
from dataclasses import replace
from typing import Any

import pytest
from rich.console import Console

import qtargets
from qtargets import Calibration, GateCalibration
from qtargets.cli.render import diff_tables
from qtargets.diff import CalibrationDiff, Change, diff_calibrations
from qtargets.summary import summarize

US = 1e-6


@pytest.fixture(scope="module")
def fez() -> Calibration:
    return qtargets.load_calibration("ibm_fez")


def with_qubit(cal: Calibration, q: int, **fields: Any) -> Calibration:
    """``cal`` with qubit ``q``'s properties replaced."""
    qubits = list(cal.qubits)
    qubits[q] = replace(qubits[q], **fields)
    return replace(cal, qubits=tuple(qubits))


def with_entry(cal: Calibration, gate: str, qargs: tuple[int, ...], **fields: Any) -> Calibration:
    """``cal`` with the entry of ``gate`` on ``qargs`` replaced (or removed, ``remove=True``)."""
    remove = fields.pop("remove", False)
    inst = cal.instruction(gate)
    assert inst.qargs is not None
    assert any(g.qubits == qargs for g in inst.qargs), f"{gate} has no entry on {qargs}"
    entries = tuple(
        g if g.qubits != qargs else g._replace(**fields)
        for g in inst.qargs
        if not (remove and g.qubits == qargs)
    )
    instructions = tuple(replace(i, qargs=entries) if i.name == gate else i
                         for i in cal.instructions)
    return replace(cal, instructions=instructions)


def entry(cal: Calibration, gate: str, qargs: tuple[int, ...]) -> GateCalibration:
    (found,) = [g for g in cal.instruction(gate).qargs or () if g.qubits == qargs]
    return found


def only(changes: tuple[Change, ...]) -> Change:
    assert len(changes) == 1, changes
    return changes[0]


def render(diff: CalibrationDiff, **kwargs: Any) -> str:
    console = Console(record=True, width=120)
    for table in diff_tables(diff, **kwargs):
        console.print(table)
    return console.export_text()


# -- nothing changed -----------------------------------------------------------------------


@pytest.mark.parametrize("name", qtargets.bundled_backends())
def test_a_calibration_compared_with_itself_has_no_changes(name: str) -> None:
    cal = qtargets.load_calibration(name)
    diff = diff_calibrations(cal, cal)
    assert diff.changes == ()
    assert diff.num_unchanged > 0
    assert diff.same_device


def test_every_compared_quantity_is_counted_as_unchanged(fez: Calibration) -> None:
    # per qubit: t1, t2, readout_error, operational; per gate entry: error, duration,
    # operational; per chain length: eplg (fez's couplers all report ZZ = 0: not compared)
    gate_entries = sum(len(i.qargs or ()) for i in fez.instructions if i.kind == "gate")
    assert diff_calibrations(fez, fez).num_unchanged == (
        4 * fez.num_qubits + 3 * gate_entries + len(fez.layer_fidelities))
    boston = qtargets.load_calibration("ibm_boston")  # per coupler too: static_zz
    boston_gates = sum(len(i.qargs or ()) for i in boston.instructions if i.kind == "gate")
    assert diff_calibrations(boston, boston).num_unchanged == (
        4 * boston.num_qubits + 3 * boston_gates + len(boston.layer_fidelities)
        + len(boston.couplers))


# -- qubits --------------------------------------------------------------------------------


def test_halved_t1_is_worse(fez: Calibration) -> None:
    t1 = fez.qubits[5].t1
    assert t1 is not None
    diff = diff_calibrations(fez, with_qubit(fez, 5, t1=t1 / 2))
    change = only(diff.worse)
    assert (change.kind, change.qubits, change.gate, change.quantity) == ("qubit", (5,), None,
                                                                         "t1")
    assert (change.old, change.new) == (t1, t1 / 2)
    assert change.relative == pytest.approx(-0.5)
    assert change.severity == pytest.approx(2.0)
    assert change.label == "qubit 5"
    assert diff.better == ()


def test_longer_t2_is_better(fez: Calibration) -> None:
    t2 = fez.qubits[0].t2
    assert t2 is not None
    change = only(diff_calibrations(fez, with_qubit(fez, 0, t2=t2 * 1.5)).better)
    assert change.quantity == "t2"
    assert change.relative == pytest.approx(0.5)


def test_higher_readout_error_is_worse(fez: Calibration) -> None:
    readout = fez.qubits[3].readout_error
    assert readout is not None
    change = only(diff_calibrations(fez, with_qubit(fez, 3, readout_error=readout * 2)).worse)
    assert change.quantity == "readout_error"
    assert change.relative == pytest.approx(1.0)


def test_change_under_tolerance_is_counted_as_unchanged(fez: Calibration) -> None:
    t1 = fez.qubits[5].t1
    assert t1 is not None
    nudged = with_qubit(fez, 5, t1=t1 * 0.95)
    diff = diff_calibrations(fez, nudged)
    assert diff.changes == ()
    assert diff.num_unchanged == diff_calibrations(fez, fez).num_unchanged
    # the same 5% is news once the tolerance is tighter
    assert only(diff_calibrations(fez, nudged, rel_tol=0.01).worse).quantity == "t1"


def test_zero_tolerance_reports_any_difference(fez: Calibration) -> None:
    t1 = fez.qubits[5].t1
    assert t1 is not None
    diff = diff_calibrations(fez, with_qubit(fez, 5, t1=t1 * (1 + 1e-9)), rel_tol=0)
    assert only(diff.better).quantity == "t1"


def test_qubit_becoming_faulty_is_worse_and_ranked_first(fez: Calibration) -> None:
    t1 = fez.qubits[2].t1
    assert t1 is not None
    new = with_qubit(with_qubit(fez, 7, operational=False), 2, t1=t1 / 10)
    diff = diff_calibrations(fez, new)
    assert [(c.qubits, c.quantity) for c in diff.worse] == [((7,), "operational"), ((2,), "t1")]
    faulty = diff.worse[0]
    assert (faulty.old, faulty.new, faulty.relative) == (True, False, None)
    assert faulty.severity == math.inf
    assert diff.new.num_faulty_qubits == diff.old.num_faulty_qubits + 1


def test_repaired_qubit_is_better(fez: Calibration) -> None:
    broken = with_qubit(fez, 7, operational=False)
    change = only(diff_calibrations(broken, fez).better)
    assert (change.quantity, change.old, change.new) == ("operational", False, True)


def test_value_no_longer_reported_is_neither_worse_nor_better(fez: Calibration) -> None:
    diff = diff_calibrations(fez, with_qubit(fez, 4, t1=None))
    assert diff.worse == diff.better == ()
    change = only(diff.now_unknown)
    assert (change.quantity, change.new, change.relative) == ("t1", None, None)


def test_value_newly_reported_is_now_known(fez: Calibration) -> None:
    diff = diff_calibrations(with_qubit(fez, 4, t2=None), fez)
    change = only(diff.now_known)
    assert (change.quantity, change.old) == ("t2", None)


def test_value_unknown_on_both_sides_is_unchanged(fez: Calibration) -> None:
    unknown = with_qubit(fez, 4, t1=None)
    assert diff_calibrations(unknown, unknown).changes == ()


def test_qubit_frequency_is_not_compared() -> None:
    sherbrooke = qtargets.load_calibration("ibm_sherbrooke")
    frequency = sherbrooke.qubits[0].frequency
    assert frequency is not None
    diff = diff_calibrations(sherbrooke, with_qubit(sherbrooke, 0, frequency=frequency * 2))
    assert diff.changes == ()


# -- gates and edges -----------------------------------------------------------------------


def test_lower_edge_error_is_better(fez: Calibration) -> None:
    old = entry(fez, "cz", (7, 17))
    assert old.error is not None
    diff = diff_calibrations(fez, with_entry(fez, "cz", (7, 17), error=old.error / 4))
    change = only(diff.better)
    assert (change.kind, change.gate, change.qubits, change.quantity) == ("edge", "cz", (7, 17),
                                                                         "error")
    assert change.relative == pytest.approx(-0.75)
    assert change.severity == pytest.approx(4.0)
    assert change.label == "cz 7-17"
    assert diff.worse == ()


def test_edges_are_directed(fez: Calibration) -> None:
    # IBM reports both directions; changing one leaves the other as it was
    diff = diff_calibrations(fez, with_entry(fez, "cz", (7, 17), error=0.5))
    assert only(diff.worse).qubits == (7, 17)


def test_longer_gate_duration_is_worse(fez: Calibration) -> None:
    old = entry(fez, "sx", (3,))
    assert old.duration is not None
    change = only(diff_calibrations(fez, with_entry(fez, "sx", (3,),
                                                    duration=old.duration * 2)).worse)
    assert (change.kind, change.gate, change.qubits, change.quantity) == ("gate", "sx", (3,),
                                                                         "duration")
    assert change.label == "sx 3"


def test_gate_becoming_uncalibrated_ranks_above_a_halved_t1(fez: Calibration) -> None:
    t1 = fez.qubits[2].t1
    assert t1 is not None
    new = with_entry(with_qubit(fez, 2, t1=t1 / 2), "cz", (7, 17), error=1.0)
    diff = diff_calibrations(fez, new)
    assert [c.label for c in diff.worse] == ["cz 7-17", "qubit 2"]
    assert [c.severity for c in diff.worse] == sorted((c.severity for c in diff.worse),
                                                      reverse=True)


def test_non_operational_gate_is_worse(fez: Calibration) -> None:
    diff = diff_calibrations(fez, with_entry(fez, "cz", (7, 17), operational=False))
    change = only(diff.worse)
    assert (change.kind, change.quantity, change.old, change.new) == ("edge", "operational",
                                                                     True, False)
    assert diff.new.num_faulty_gates == 1


def test_error_rising_from_zero_is_reported_whatever_the_tolerance(fez: Calibration) -> None:
    # rz is virtual (error 0): any error at all is a real change, with no relative size
    diff = diff_calibrations(fez, with_entry(fez, "rz", (0,), error=1e-4), rel_tol=100)
    change = only(diff.worse)
    assert (change.gate, change.old, change.new, change.relative) == ("rz", 0.0, 1e-4, None)
    assert change.severity == math.inf


def test_disappeared_edge_is_reported(fez: Calibration) -> None:
    diff = diff_calibrations(fez, with_entry(fez, "cz", (7, 17), remove=True))
    change = only(diff.disappeared)
    assert (change.kind, change.gate, change.qubits) == ("edge", "cz", (7, 17))
    assert (change.quantity, change.old, change.new) == ("present", True, False)
    assert diff.new.num_edges == diff.old.num_edges - 1  # edges are directed pairs


def test_appeared_edge_is_reported(fez: Calibration) -> None:
    fewer = with_entry(fez, "cz", (7, 17), remove=True)
    change = only(diff_calibrations(fewer, fez).appeared)
    assert (change.kind, change.qubits, change.old, change.new) == ("edge", (7, 17), False, True)


def test_disappeared_instruction_is_one_change_not_one_per_qubit(fez: Calibration) -> None:
    without_x = replace(fez, instructions=tuple(i for i in fez.instructions if i.name != "x"))
    change = only(diff_calibrations(fez, without_x).changes)
    assert (change.kind, change.gate, change.qubits, change.direction) == (
        "instruction", "x", (), "disappeared")
    assert change.label == "instruction x"


# -- different devices ---------------------------------------------------------------------


def test_two_different_devices_can_be_compared(fez: Calibration) -> None:
    torino = qtargets.load_calibration("ibm_torino")
    diff = diff_calibrations(fez, torino)
    assert not diff.same_device
    assert (diff.old.backend_name, diff.new.backend_name) == ("ibm_fez", "ibm_torino")
    # fez has 156 qubits, torino 133: the extra ones disappear, each once
    gone = [c.qubits[0] for c in diff.disappeared if c.kind == "qubit"]
    assert gone == list(range(133, 156))
    # their gates are implied, not listed again
    assert all(max(c.qubits) < 133 for c in diff.changes if c.kind in ("edge", "gate"))
    assert diff.worse
    assert diff.better


def test_devices_with_different_gate_sets_differ_by_instruction(fez: Calibration) -> None:
    diff = diff_calibrations(fez, qtargets.load_calibration("ibm_sherbrooke"))
    assert ("cz", "disappeared") in {(c.gate, c.direction) for c in diff.changes
                                     if c.kind == "instruction"}
    assert ("ecr", "appeared") in {(c.gate, c.direction) for c in diff.changes
                                   if c.kind == "instruction"}
    assert not [c for c in diff.changes if c.gate in ("cz", "ecr") and c.kind == "edge"]


def test_device_that_stopped_reporting_numbers_has_only_unknown_changes() -> None:
    diff = diff_calibrations(qtargets.load_calibration("qpu.forte-1"),
                             qtargets.load_calibration("qpu.forte-enterprise-1"))
    assert diff.changes
    assert {c.direction for c in diff.changes} == {"now_unknown"}
    assert diff.new.two_qubit_error_median is None


# -- headline numbers ----------------------------------------------------------------------


def test_side_medians_agree_with_qtargets_show(fez: Calibration) -> None:
    side = diff_calibrations(fez, fez).old
    summary = summarize(fez)
    (cz,) = [i for i in summary.instructions if i.name == "cz"]
    assert side.t1_median == summary.t1_median
    assert side.t2_median == summary.t2_median
    assert side.readout_error_median == summary.readout_error.median
    assert side.two_qubit_error_median == cz.error.median
    assert (side.num_qubits, side.num_faulty_qubits) == (156, 0)
    assert side.label == "ibm_fez @ 2025-02-26 20:16 UTC"


def test_labels_without_a_time_are_the_backend_name() -> None:
    harmony = qtargets.load_calibration("qpu.harmony")
    assert diff_calibrations(harmony, harmony).new.label == "qpu.harmony"


# -- JSON ----------------------------------------------------------------------------------


def test_to_dict_is_json_with_counts_and_changes(fez: Calibration) -> None:
    t1 = fez.qubits[5].t1
    assert t1 is not None
    new = with_entry(with_qubit(fez, 5, t1=t1 / 2, t2=None), "cz", (7, 17), remove=True)
    data = json.loads(json.dumps(diff_calibrations(fez, new).to_dict(), allow_nan=False))
    assert data["old"]["backend_name"] == data["new"]["backend_name"] == "ibm_fez"
    assert data["old"]["taken_at"] == "2025-02-26T20:16:25+00:00"
    assert data["same_device"] is True
    assert data["rel_tol"] == 0.1
    assert data["counts"] == {"worse": 1, "better": 0, "disappeared": 1, "appeared": 0,
                              "now_unknown": 1, "now_known": 0,
                              "unchanged": data["counts"]["unchanged"]}
    assert data["changes"][0] == {
        "kind": "qubit", "gate": None, "qubits": [5], "quantity": "t1",
        "old": t1, "new": t1 / 2, "relative": pytest.approx(-0.5), "direction": "worse",
        "chain_length": None,
    }


def test_to_dict_of_two_devices_is_json(fez: Calibration) -> None:
    diff = diff_calibrations(fez, qtargets.load_calibration("qpu.aria-1"))
    json.dumps(diff.to_dict(), allow_nan=False)


# -- tables --------------------------------------------------------------------------------


def test_tables_show_summary_worse_and_better_in_human_units(fez: Calibration) -> None:
    t1 = fez.qubits[5].t1
    cz = entry(fez, "cz", (7, 17))
    assert t1 is not None
    assert cz.error is not None
    new = with_entry(with_qubit(fez, 5, t1=t1 / 2), "cz", (7, 17), error=cz.error / 4)
    text = render(diff_calibrations(fez, new))
    assert "Calibration diff" in text
    assert "2025-02-26 20:16:25 UTC" in text
    assert "Worse (1)" in text
    assert "Better (1)" in text
    assert f"{t1 * 1e6:.1f} µs" in text
    assert f"{t1 / 2 * 1e6:.1f} µs" in text
    assert "qubit 5" in text
    assert "-50%" in text
    assert "cz 7-17" in text
    assert "4.26e-3" in text
    assert "-75%" in text
    assert "1 worse, 1 better, 0 other" in text


def test_identical_calibrations_render_just_the_summary(fez: Calibration) -> None:
    tables = diff_tables(diff_calibrations(fez, fez))
    assert len(tables) == 1
    assert "0 worse, 0 better, 0 other" in render(diff_calibrations(fez, fez))


def test_tables_show_at_most_top_rows(fez: Calibration) -> None:
    text = render(diff_calibrations(fez, qtargets.load_calibration("ibm_torino")), top=3)
    assert "different device" in text
    assert "first 3 shown" in text
    assert "qubit 135" in text
    assert "qubit 136" not in text
    assert "error 1: could not be calibrated" in text  # fez -> torino has uncalibrated edges


def test_big_changes_are_shown_as_factors(fez: Calibration) -> None:
    text = render(diff_calibrations(fez, with_entry(fez, "cz", (7, 17), error=1.0)))
    assert "x235" in text  # 4.26e-3 -> 1


def test_trapped_ion_times_are_shown_in_seconds() -> None:
    forte = qtargets.load_calibration("qpu.forte-1")
    text = render(diff_calibrations(forte, with_qubit(forte, 0, t1=50.0)))
    assert "100 s" in text
    assert "50 s" in text


# -- misuse --------------------------------------------------------------------------------


def test_non_calibration_argument_is_a_type_error(fez: Calibration) -> None:
    with pytest.raises(TypeError, match=r"new must be a qtargets\.Calibration, got dict"):
        diff_calibrations(fez, fez.to_dict())  # type: ignore[arg-type]


@pytest.mark.parametrize("rel_tol", [-0.1, math.nan, math.inf])
def test_negative_or_non_finite_tolerance_is_a_value_error(fez: Calibration,
                                                          rel_tol: float) -> None:
    with pytest.raises(ValueError, match="rel_tol"):
        diff_calibrations(fez, fez, rel_tol=rel_tol)


def test_negative_top_is_a_value_error(fez: Calibration) -> None:
    with pytest.raises(ValueError, match="top"):
        diff_tables(diff_calibrations(fez, fez), top=-1)
