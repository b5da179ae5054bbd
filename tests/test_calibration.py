"""The neutral model: ``Calibration`` and the one builder, ``build_target``.

* A Calibration round-trips through JSON (and through plain dicts) losslessly, for every real
  IBM snapshot with and without properties, and its JSON matches the published JSON Schema.
* A Calibration is immutable and checked when constructed: a violation raises
  ``CalibrationError`` naming the field's path under ``calibration``; so does ``from_json``.
* ``build_target`` turns any Calibration into a qiskit Target, and its flags
  (``filter_faulty``, ``include_fractional_gates``, ``include_control_flow``, ``add_delay``)
  do exactly what they say.
"""

from __future__ import annotations

import dataclasses
import json
import math
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
from qiskit.circuit import Gate, Instruction
from qiskit.circuit.library import CXGate, RZZGate, SXGate
from qiskit.transpiler import Target

import qtargets
from qtargets import (
    Calibration,
    CalibrationError,
    GateCalibration,
    InstructionCalibration,
    Provenance,
    QubitCalibration,
    TimingConstraints,
    build_target,
    calibration_json_schema,
)
from qtargets.ibm import to_calibration
from qtargets.model import CouplerCalibration, LayerFidelity

from reference import Snapshot, snapshots

SNAPSHOTS = snapshots()
SNAPSHOT_IDS = [s.id for s in SNAPSHOTS]
TAKEN_AT = datetime(2024, 5, 27, 4, 9, 52, tzinfo=timezone.utc)


def snapshot(name: str) -> Snapshot:
    return next(s for s in SNAPSHOTS if s.id == name)


def hand_built(**changes: Any) -> Calibration:
    """A small two-qubit device with one of everything.

    Two layer fidelities (one without its chain) and one coupler; qubit 1 is faulty; ``x``
    is marked broken on qubit 0; ``rzz`` and ``rx`` are fractional; ``reset`` is global;
    ``if_else`` is control flow; ``my_gate`` is not a qiskit gate and ``measure_2`` is a
    vendor instruction.
    """
    fields: dict[str, Any] = {
        "vendor": "acme",
        "backend_name": "acme_duo",
        "num_qubits": 2,
        "qubits": (
            QubitCalibration(t1=100e-6, t2=80e-6, frequency=5.0e9, anharmonicity=-3.1e8,
                             readout_error=0.02, readout_duration=1.2e-6,
                             prob_meas0_prep1=0.03, prob_meas1_prep0=0.01),
            QubitCalibration(t1=90e-6, t2=200e-6, frequency=5.1e9, readout_error=0.5,
                             operational=False),
        ),
        "instructions": (
            InstructionCalibration("sx", "gate", 1, qargs=(
                GateCalibration((0,), 2e-4, 3.5e-8), GateCalibration((1,), 3e-4, 3.5e-8))),
            InstructionCalibration("x", "gate", 1, qargs=(
                GateCalibration((0,), 2e-4, 3.5e-8, operational=False),
                GateCalibration((1,), 3e-4, 3.5e-8))),
            InstructionCalibration("rz", "gate", 1, parameters=("phi",), qargs=(
                GateCalibration((0,), 0.0, 0.0), GateCalibration((1,), 0.0, 0.0))),
            InstructionCalibration("cx", "gate", 2, qargs=(
                GateCalibration((0, 1), 7e-3, 3e-7), GateCalibration((1, 0), 8e-3, 3.2e-7))),
            InstructionCalibration("rzz", "gate", 2, parameters=("theta",), fractional=True,
                                   angle_bounds=((0.0, math.pi / 2),),
                                   qargs=(GateCalibration((0, 1), 5e-3, 1e-7),)),
            InstructionCalibration("rx", "gate", 1, parameters=("theta",), fractional=True,
                                   qargs=(GateCalibration((0,), 3e-4, 3.5e-8),)),
            InstructionCalibration("my_gate", "gate", 2, parameters=("a", "b"),
                                   qargs=(GateCalibration((0, 1)),)),
            InstructionCalibration("measure", "measure", 1, num_clbits=1, qargs=(
                GateCalibration((0,), 0.02, 1.2e-6), GateCalibration((1,), 0.5))),
            InstructionCalibration("measure_2", "instruction", 1, num_clbits=1,
                                   qargs=(GateCalibration((0,), 0.03, 6e-7),)),
            InstructionCalibration("reset", "reset", 1),
            InstructionCalibration("delay", "delay", 1, parameters=("t",),
                                   qargs=(GateCalibration((0,)), GateCalibration((1,)))),
            InstructionCalibration("if_else", "control_flow", 0),
        ),
        "provenance": Provenance("hand-built for tests",
                                 retrieved_at=datetime(2024, 6, 1, tzinfo=timezone.utc),
                                 notes="not a real device"),
        "taken_at": TAKEN_AT,
        "backend_version": "1.0.0",
        "processor": "Duo r1",
        "dt": 0.5e-9,
        "timing_constraints": TimingConstraints(16, 64, 16, 16),
        "layer_fidelities": (LayerFidelity(2, 0.98, (1, 0)), LayerFidelity(2, 0.97)),
        "couplers": (CouplerCalibration((0, 1), 1.5e6, -4.2e4),),
    }
    fields.update(changes)
    return Calibration(**fields)


def instruction_index(cal: Calibration, name: str) -> int:
    return cal.instruction_names.index(name)


def replace_instruction(cal: Calibration, name: str, **changes: Any) -> dict[str, Any]:
    """``instructions=`` for a copy of ``cal`` with one instruction changed."""
    return {"instructions": tuple(
        dataclasses.replace(inst, **changes) if inst.name == name else inst
        for inst in cal.instructions
    )}


def qargs(target: Target, name: str) -> set[tuple[int, ...]]:
    return set(target.qargs_for_operation_name(name) or ())


# -- JSON round trip ---------------------------------------------------------------------------


@pytest.mark.filterwarnings("ignore::qtargets.QTargetsWarning")
@pytest.mark.parametrize("with_properties", [True, False], ids=["properties", "no_properties"])
@pytest.mark.parametrize("snap", SNAPSHOTS, ids=SNAPSHOT_IDS)
def test_json_round_trip_is_lossless_for_every_real_snapshot(snap: Snapshot,
                                                             with_properties: bool) -> None:
    cal = to_calibration(snap.conf(), snap.props() if with_properties else None)
    text = cal.to_json()
    assert Calibration.from_json(text) == cal
    assert Calibration.from_json(text.encode()) == cal
    assert Calibration.from_dict(cal.to_dict()) == cal
    assert json.loads(text) == cal.to_dict()


def test_json_round_trip_is_lossless_for_a_hand_built_calibration() -> None:
    cal = hand_built()
    assert Calibration.from_json(cal.to_json()) == cal
    assert Calibration.from_json(cal.to_json(indent=2)) == cal
    assert Calibration.from_dict(cal.to_dict()) == cal
    assert Calibration.from_dict(json.loads(cal.to_json())) == cal


def test_json_round_trip_keeps_faulty_flags_none_and_provenance() -> None:
    cal = Calibration.from_json(hand_built().to_json())
    assert cal.faulty_qubits == (1,)
    assert cal.qubits[1].anharmonicity is None
    assert cal.instruction("x").qargs[0].operational is False
    assert cal.instruction("reset").qargs is None
    assert cal.instruction("rzz").angle_bounds == ((0.0, math.pi / 2),)
    assert cal.provenance.notes == "not a real device"
    assert cal.timing_constraints == TimingConstraints(16, 64, 16, 16)


@pytest.mark.parametrize(
    "value",
    [0.1 + 0.2, 5e-324, 1.7976931348623157e308, 1 / 3, 2.220446049250313e-16, 123456789.123],
)
def test_json_round_trip_keeps_every_bit_of_a_float(value: float) -> None:
    cal = hand_built(qubits=(QubitCalibration(t1=value, frequency=-value),
                             QubitCalibration(t2=value)))
    back = Calibration.from_json(cal.to_json())
    assert back.qubits[0].t1 == value
    assert back.qubits[0].frequency == -value
    assert back.qubits[1].t2 == value


def test_from_json_returns_tuples_so_the_result_is_hashable() -> None:
    cal = hand_built()
    back = Calibration.from_json(cal.to_json())
    assert isinstance(back.qubits, tuple)
    assert isinstance(back.instructions[0].qargs, tuple)
    assert isinstance(back.instructions[0].qargs[0], GateCalibration)
    assert isinstance(back.instructions[0].qargs[0].qubits, tuple)
    assert hash(back) == hash(cal)


def test_gate_calibration_is_written_as_an_array() -> None:
    data = hand_built().to_dict()
    sx = next(i for i in data["instructions"] if i["name"] == "sx")
    assert sx["qargs"][0] == [[0], 2e-4, 3.5e-8, True]


# -- JSON Schema -------------------------------------------------------------------------------


def test_json_schema_describes_a_calibration_object() -> None:
    schema = calibration_json_schema()
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["type"] == "object"
    assert {"vendor", "backend_name", "num_qubits", "qubits", "instructions",
            "provenance"} <= set(schema["required"])
    json.dumps(schema)  # itself plain JSON


@pytest.mark.filterwarnings("ignore::qtargets.QTargetsWarning")
@pytest.mark.parametrize("name", ["vigo", "lagos", "fractional", "fez", "sherbrooke"])
def test_json_schema_validates_real_output(name: str) -> None:
    jsonschema = pytest.importorskip("jsonschema")
    schema = calibration_json_schema()
    validator = jsonschema.Draft202012Validator(schema)
    snap = snapshot(name)
    for cal in (to_calibration(snap.conf(), snap.props()), to_calibration(snap.conf())):
        validator.validate(json.loads(cal.to_json()))
    validator.validate(hand_built().to_dict())


def test_json_schema_rejects_what_from_json_rejects() -> None:
    jsonschema = pytest.importorskip("jsonschema")
    validator = jsonschema.Draft202012Validator(calibration_json_schema())
    data = hand_built().to_dict()
    data["qubits"][0]["t1"] = "abc"
    assert not validator.is_valid(data)
    del data["vendor"]
    assert not validator.is_valid(data)


# -- checked on construction -----------------------------------------------------------------


def _bad_qargs(index: int, gate: GateCalibration) -> dict[str, Any]:
    cal = hand_built()
    inst = cal.instructions[index]
    return replace_instruction(cal, inst.name, qargs=(gate, *inst.qargs[1:]))


CX = 3  # index of cx in hand_built().instructions
SX = 0

INVALID: dict[str, tuple[dict[str, Any], str]] = {
    "too_few_qubits": ({"num_qubits": 3}, "calibration.qubits"),
    "too_many_qubits": ({"num_qubits": 1}, "calibration.qubits"),
    "negative_num_qubits": ({"num_qubits": -1}, "calibration.num_qubits"),
    "qubit_index_out_of_range": (_bad_qargs(CX, GateCalibration((0, 2), 0.01)),
                                 f"calibration.instructions[{CX}].qargs[0].qubits"),
    "negative_qubit_index": (_bad_qargs(SX, GateCalibration((-1,), 0.01)),
                             f"calibration.instructions[{SX}].qargs[0].qubits"),
    "wrong_width_qargs": (_bad_qargs(CX, GateCalibration((0,), 0.01)),
                          f"calibration.instructions[{CX}].qargs[0].qubits"),
    "repeated_qubit": (_bad_qargs(CX, GateCalibration((1, 1), 0.01)),
                       f"calibration.instructions[{CX}].qargs[0].qubits"),
    "duplicate_qargs": (_bad_qargs(CX, GateCalibration((1, 0), 0.01)),
                        f"calibration.instructions[{CX}].qargs[1].qubits"),
    "negative_error": (_bad_qargs(SX, GateCalibration((0,), -0.1)),
                       f"calibration.instructions[{SX}].qargs[0].error"),
    "error_above_one": (_bad_qargs(SX, GateCalibration((0,), 1.5)),
                        f"calibration.instructions[{SX}].qargs[0].error"),
    "nan_error": (_bad_qargs(SX, GateCalibration((0,), math.nan)),
                  f"calibration.instructions[{SX}].qargs[0].error"),
    "nan_duration": (_bad_qargs(SX, GateCalibration((0,), 0.01, math.nan)),
                     f"calibration.instructions[{SX}].qargs[0].duration"),
    "negative_duration": (_bad_qargs(SX, GateCalibration((0,), 0.01, -1e-9)),
                          f"calibration.instructions[{SX}].qargs[0].duration"),
    "infinite_duration": (_bad_qargs(SX, GateCalibration((0,), 0.01, math.inf)),
                          f"calibration.instructions[{SX}].qargs[0].duration"),
    "duplicate_instruction_names": (
        {"instructions": (*hand_built().instructions,
                          InstructionCalibration("cx", "gate", 2))},
        f"calibration.instructions[{len(hand_built().instructions)}].name"),
    "angle_bounds_for_the_wrong_number_of_parameters": (
        replace_instruction(hand_built(), "rzz", angle_bounds=((0.0, 1.0), (0.0, 1.0))),
        "calibration.instructions[4].angle_bounds"),
    "naive_taken_at": ({"taken_at": datetime(2024, 1, 1)}, "calibration.taken_at"),
    "negative_t1": ({"qubits": (QubitCalibration(t1=-1e-6), QubitCalibration())},
                    "calibration.qubits[0].t1"),
    "nan_t2": ({"qubits": (QubitCalibration(), QubitCalibration(t2=math.nan))},
               "calibration.qubits[1].t2"),
    "infinite_frequency": ({"qubits": (QubitCalibration(frequency=math.inf),
                                       QubitCalibration())}, "calibration.qubits[0].frequency"),
    "nan_anharmonicity": ({"qubits": (QubitCalibration(anharmonicity=math.nan),
                                      QubitCalibration())},
                          "calibration.qubits[0].anharmonicity"),
    "readout_error_above_one": ({"qubits": (QubitCalibration(),
                                            QubitCalibration(readout_error=1.01))},
                                "calibration.qubits[1].readout_error"),
    "negative_dt": ({"dt": -1e-9}, "calibration.dt"),
    "infinite_dt": ({"dt": math.inf}, "calibration.dt"),
    "zero_granularity": ({"timing_constraints": TimingConstraints(granularity=0)},
                         "calibration.timing_constraints.granularity"),
    "layer_fidelity_above_one": ({"layer_fidelities": (LayerFidelity(2, 1.01),)},
                                 "calibration.layer_fidelities[0].fidelity"),
    "nan_layer_fidelity": ({"layer_fidelities": (LayerFidelity(2, math.nan),)},
                           "calibration.layer_fidelities[0].fidelity"),
    "layer_of_one_qubit": ({"layer_fidelities": (LayerFidelity(1, 0.9),)},
                           "calibration.layer_fidelities[0].num_qubits"),
    "layer_longer_than_the_device": ({"layer_fidelities": (LayerFidelity(3, 0.9),)},
                                     "calibration.layer_fidelities[0].num_qubits"),
    "chain_qubit_out_of_range": ({"layer_fidelities": (LayerFidelity(2, 0.9, (0, 2)),)},
                                 "calibration.layer_fidelities[0].qubits"),
    "chain_of_the_wrong_length": ({"layer_fidelities": (LayerFidelity(2, 0.9, (0,)),)},
                                  "calibration.layer_fidelities[0].qubits"),
    "chain_visiting_a_qubit_twice": ({"layer_fidelities": (LayerFidelity(2, 0.9, (1, 1)),)},
                                     "calibration.layer_fidelities[0].qubits"),
    "duplicate_layer": ({"layer_fidelities": (LayerFidelity(2, 0.9), LayerFidelity(2, 0.8))},
                        "calibration.layer_fidelities[1]"),
    "coupler_pair_higher_first": ({"couplers": (CouplerCalibration((1, 0), 1e6),)},
                                  "calibration.couplers[0].qubits"),
    "coupler_qubit_out_of_range": ({"couplers": (CouplerCalibration((0, 2), 1e6),)},
                                   "calibration.couplers[0].qubits"),
    "infinite_coupling": ({"couplers": (CouplerCalibration((0, 1), math.inf),)},
                          "calibration.couplers[0].coupling"),
    "nan_static_zz": ({"couplers": (CouplerCalibration((0, 1), None, math.nan),)},
                      "calibration.couplers[0].static_zz"),
    "duplicate_coupler": ({"couplers": (CouplerCalibration((0, 1)), CouplerCalibration((0, 1)))},
                          "calibration.couplers[1].qubits"),
}


@pytest.mark.parametrize("case", list(INVALID), ids=list(INVALID))
def test_invalid_calibration_raises_calibration_error_naming_the_field(case: str) -> None:
    changes, path = INVALID[case]
    with pytest.raises(CalibrationError) as info:
        hand_built(**changes)
    assert info.value.path == path
    assert str(info.value).startswith(f"{path}: ")


def test_wrong_number_of_qubits_message_says_how_many() -> None:
    with pytest.raises(CalibrationError) as info:
        hand_built(num_qubits=3)
    assert str(info.value) == "calibration.qubits: expected 3 entries (num_qubits), got 2"


def test_probability_error_message_shows_the_value() -> None:
    with pytest.raises(CalibrationError) as info:
        hand_built(**_bad_qargs(SX, GateCalibration((0,), -0.1)))
    assert str(info.value) == (
        f"calibration.instructions[{SX}].qargs[0].error: expected a probability in [0, 1], "
        "got -0.1"
    )


def test_invalid_calibration_error_is_a_value_error() -> None:
    with pytest.raises(ValueError, match=r"calibration\.taken_at"):
        hand_built(taken_at=datetime(2024, 1, 1))


# -- from_json / from_dict on bad input -------------------------------------------------------


def _mutated_json(mutate: Any) -> str:
    data = json.loads(hand_built().to_json())
    mutate(data)
    return json.dumps(data)


FROM_JSON_CASES: dict[str, tuple[Any, str, str | None]] = {
    # (mutation of the JSON data, expected path, expected full message or None)
    "t1_not_a_number": (lambda d: d["qubits"][0].update(t1="abc"), "calibration.qubits[0].t1",
                        "calibration.qubits[0].t1: expected a number, got 'abc'"),
    "num_qubits_not_an_int": (lambda d: d.update(num_qubits=2.5), "calibration.num_qubits",
                              None),
    "unknown_kind": (lambda d: d["instructions"][0].update(kind="bogus"),
                     "calibration.instructions[0].kind", None),
    "missing_vendor": (lambda d: d.pop("vendor"), "calibration.vendor",
                       "calibration.vendor: required field is missing"),
    "qubits_not_a_list": (lambda d: d.update(qubits={"t1": 1}), "calibration.qubits", None),
    "bad_taken_at": (lambda d: d.update(taken_at="yesterday"), "calibration.taken_at", None),
    "qargs_entry_not_an_array": (lambda d: d["instructions"][0]["qargs"].__setitem__(0, 5),
                                 "calibration.instructions[0].qargs[0]", None),
    # rules the model checks after the types: same paths as when constructing in Python
    "negative_t1": (lambda d: d["qubits"][0].update(t1=-1.0), "calibration.qubits[0].t1",
                    "calibration.qubits[0].t1: expected a finite non-negative time in seconds, "
                    "got -1.0"),
    "qubit_count_mismatch": (lambda d: d.update(num_qubits=3), "calibration.qubits",
                             "calibration.qubits: expected 3 entries (num_qubits), got 2"),
    "qubit_index_out_of_range": (
        lambda d: d["instructions"][CX]["qargs"][0].__setitem__(0, [0, 5]),
        f"calibration.instructions[{CX}].qargs[0].qubits", None),
    "negative_error": (lambda d: d["instructions"][SX]["qargs"][0].__setitem__(1, -0.1),
                       f"calibration.instructions[{SX}].qargs[0].error", None),
    "duplicate_names": (lambda d: d["instructions"][1].update(name="sx"),
                        "calibration.instructions[1].name", None),
    "naive_taken_at": (lambda d: d.update(taken_at="2024-01-01T00:00:00"),
                       "calibration.taken_at", None),
    "layer_fidelity_not_a_number": (
        lambda d: d["layer_fidelities"][0].update(fidelity="x"),
        "calibration.layer_fidelities[0].fidelity",
        "calibration.layer_fidelities[0].fidelity: expected a number, got 'x'"),
    "layer_fidelity_above_one": (lambda d: d["layer_fidelities"][0].update(fidelity=2.0),
                                 "calibration.layer_fidelities[0].fidelity", None),
    "coupler_pair_higher_first": (lambda d: d["couplers"][0].__setitem__(0, [1, 0]),
                                  "calibration.couplers[0].qubits", None),
    "coupler_not_an_array": (lambda d: d["couplers"].__setitem__(0, 5),
                             "calibration.couplers[0]", None),
    "unreadable_schema_version": (lambda d: d.update(schema_version=99),
                                  "calibration.schema_version", None),
}


@pytest.mark.parametrize("case", list(FROM_JSON_CASES), ids=list(FROM_JSON_CASES))
def test_from_json_names_the_path_of_a_bad_field(case: str) -> None:
    mutate, path, message = FROM_JSON_CASES[case]
    text = _mutated_json(mutate)
    for load in (Calibration.from_json, lambda t: Calibration.from_dict(json.loads(t))):
        with pytest.raises(CalibrationError) as info:
            load(text)
        assert info.value.path == path
        assert str(info.value).startswith(f"{path}: ")
        if message is not None:
            assert str(info.value) == message


def test_from_json_message_for_a_model_rule_shows_no_stray_value() -> None:
    """A rule that reports no value (the qubit count) must not grow a ", got None"."""
    with pytest.raises(CalibrationError) as info:
        Calibration.from_json(_mutated_json(lambda d: d.update(num_qubits=3)))
    assert not str(info.value).endswith("got None"), str(info.value)


@pytest.mark.parametrize("text", ["", "{", "not json", '{"vendor": "x",', "\x00"],
                         ids=["empty", "open_brace", "words", "truncated", "nul"])
def test_from_json_on_malformed_json_is_a_calibration_error(text: str) -> None:
    with pytest.raises(CalibrationError) as info:
        Calibration.from_json(text)
    assert info.value.path == "calibration"
    assert "invalid JSON" in str(info.value)


@pytest.mark.parametrize("text", ["[]", "null", "1", '"calibration"'])
def test_from_json_on_json_that_is_not_an_object_is_a_calibration_error(text: str) -> None:
    with pytest.raises(CalibrationError) as info:
        Calibration.from_json(text)
    assert info.value.path == "calibration"


@pytest.mark.parametrize("data", [[], None, "{}", 1])
def test_from_dict_on_a_non_dict_is_a_calibration_error(data: Any) -> None:
    with pytest.raises(CalibrationError) as info:
        Calibration.from_dict(data)
    assert info.value.path == "calibration"


# -- immutability and time ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("obj", "attribute", "value"),
    [
        (hand_built(), "num_qubits", 3),
        (hand_built(), "qubits", ()),
        (hand_built().qubits[0], "t1", 1.0),
        (hand_built().instructions[0], "name", "y"),
        (hand_built().provenance, "source", "elsewhere"),
        (hand_built().timing_constraints, "granularity", 2),
        (hand_built().layer_fidelities[0], "fidelity", 0.5),
    ],
    ids=["Calibration", "Calibration.qubits", "QubitCalibration", "InstructionCalibration",
         "Provenance", "TimingConstraints", "LayerFidelity"],
)
def test_model_objects_are_frozen(obj: Any, attribute: str, value: Any) -> None:
    with pytest.raises(dataclasses.FrozenInstanceError):
        setattr(obj, attribute, value)


def test_gate_calibration_is_immutable() -> None:
    gate = hand_built().instructions[0].qargs[0]
    with pytest.raises(AttributeError):
        gate.error = 0.5  # type: ignore[misc]


def test_calibration_collections_are_tuples() -> None:
    cal = hand_built()
    assert isinstance(cal.qubits, tuple)
    assert isinstance(cal.instructions, tuple)
    assert all(isinstance(i.qargs, tuple) for i in cal.instructions if i.qargs is not None)


def test_taken_at_from_ibm_is_utc_and_the_same_instant() -> None:
    snap = snapshot("vigo")
    props = snap.props()
    cal = to_calibration(snap.conf(), props)
    assert cal.taken_at is not None
    assert cal.taken_at.utcoffset() == timedelta(0)
    assert cal.taken_at == datetime.fromisoformat(props["last_update_date"])


@pytest.mark.filterwarnings("ignore::qtargets.QTargetsWarning")
@pytest.mark.parametrize("snap", SNAPSHOTS, ids=SNAPSHOT_IDS)
def test_taken_at_is_utc_for_every_real_snapshot(snap: Snapshot) -> None:
    cal = to_calibration(snap.conf(), snap.props())
    assert cal.taken_at is not None
    assert cal.taken_at.utcoffset() == timedelta(0)


def test_taken_at_survives_json_as_utc() -> None:
    back = Calibration.from_json(hand_built().to_json())
    assert back.taken_at == TAKEN_AT
    assert back.taken_at is not None
    assert back.taken_at.utcoffset() == timedelta(0)


def test_taken_at_with_an_offset_in_json_is_the_same_instant() -> None:
    text = _mutated_json(lambda d: d.update(taken_at="2024-05-27T06:09:52+02:00"))
    assert Calibration.from_json(text).taken_at == TAKEN_AT


def test_without_properties_there_is_no_taken_at_and_no_qubit_data() -> None:
    snap = snapshot("vigo")
    cal = to_calibration(snap.conf(), None)
    assert cal.taken_at is None
    assert cal.qubits == (QubitCalibration(),) * cal.num_qubits
    assert Calibration.from_json(cal.to_json()) == cal


# -- build_target ----------------------------------------------------------------------------


def test_build_target_carries_numbers_units_and_timing() -> None:
    target = build_target(hand_built())
    assert target.num_qubits == 2
    assert target.dt == 0.5e-9
    assert (target.granularity, target.min_length, target.pulse_alignment,
            target.acquire_alignment) == (16, 64, 16, 16)
    assert target["sx"][(0,)].error == 2e-4
    assert target["sx"][(0,)].duration == 3.5e-8
    assert target["measure"][(0,)].error == 0.02
    assert target.qubit_properties[0].t1 == 100e-6
    assert target.qubit_properties[0].frequency == 5.0e9


def test_build_target_uses_qiskit_classes_for_known_names_and_generic_ones_otherwise() -> None:
    target = build_target(hand_built())
    assert isinstance(target.operation_from_name("sx"), SXGate)
    assert isinstance(target.operation_from_name("cx"), CXGate)
    assert isinstance(target.operation_from_name("rzz"), RZZGate)
    my_gate = target.operation_from_name("my_gate")
    assert isinstance(my_gate, Gate)
    assert (my_gate.num_qubits, len(my_gate.params)) == (2, 2)
    measure_2 = target.operation_from_name("measure_2")
    assert isinstance(measure_2, Instruction)
    assert not isinstance(measure_2, Gate)
    assert (measure_2.num_qubits, measure_2.num_clbits) == (1, 1)


def test_entry_without_error_or_duration_is_an_ideal_gate() -> None:
    target = build_target(hand_built(), filter_faulty=False)
    assert target["my_gate"][(0, 1)] is None
    assert target["delay"][(1,)] is None


def test_global_instruction_runs_on_any_qubits() -> None:
    target = build_target(hand_built())
    assert target.qargs_for_operation_name("reset") is None
    assert target.instruction_supported("reset", (1,))


def test_angle_bounds_reach_the_target() -> None:
    target = build_target(hand_built(), filter_faulty=False)
    assert target.gate_has_angle_bounds("rzz")
    assert target.supported_angle_bound("rzz", [0.5])
    assert not target.supported_angle_bound("rzz", [2.0])
    assert not target.supported_angle_bound("rzz", [-0.1])


def test_filter_faulty_removes_a_faulty_qubit_from_every_instruction() -> None:
    target = build_target(hand_built())  # filter_faulty=True is the default
    for name in ("sx", "x", "rz", "cx", "rzz", "rx", "my_gate", "measure", "measure_2",
                 "delay"):
        assert not any(1 in q for q in qargs(target, name)), name
    assert qargs(target, "sx") == {(0,)}
    assert qargs(target, "rz") == {(0,)}
    assert qargs(target, "measure") == {(0,)}
    assert qargs(target, "delay") == {(0,)}
    assert qargs(target, "cx") == set()
    assert not target.instruction_supported("cx", (0, 1))
    assert not target.instruction_supported("measure", (1,))


def test_filter_faulty_removes_a_non_operational_gate_entry() -> None:
    target = build_target(hand_built())
    assert qargs(target, "x") == set()
    assert not target.instruction_supported("x", (0,))
    assert target.instruction_supported("sx", (0,))


def test_filter_faulty_removes_a_non_operational_entry_on_healthy_qubits() -> None:
    cal = hand_built(qubits=(QubitCalibration(), QubitCalibration()))
    target = build_target(cal)
    assert qargs(target, "x") == {(1,)}
    assert qargs(target, "cx") == {(0, 1), (1, 0)}


def test_filter_faulty_false_keeps_everything() -> None:
    target = build_target(hand_built(), filter_faulty=False)
    assert qargs(target, "sx") == {(0,), (1,)}
    assert qargs(target, "x") == {(0,), (1,)}
    assert qargs(target, "cx") == {(0, 1), (1, 0)}
    assert qargs(target, "measure") == {(0,), (1,)}
    assert target["x"][(0,)].error == 2e-4
    assert target["measure"][(1,)].error == 0.5


def test_filtering_does_not_change_the_calibration() -> None:
    cal = hand_built()
    build_target(cal)
    assert cal == hand_built()
    assert cal.faulty_qubits == (1,)


def test_include_fractional_gates_false_drops_fractional_instructions() -> None:
    target = build_target(hand_built(), include_fractional_gates=False)
    assert "rzz" not in target.operation_names
    assert "rx" not in target.operation_names
    assert {"rz", "sx", "cx", "my_gate"} <= set(target.operation_names)
    with_them = build_target(hand_built())
    assert {"rzz", "rx"} <= set(with_them.operation_names)


def test_include_control_flow_false_drops_control_flow() -> None:
    assert "if_else" in build_target(hand_built()).operation_names
    target = build_target(hand_built(), include_control_flow=False)
    assert "if_else" not in target.operation_names
    assert "measure" in target.operation_names


def test_add_delay_false_drops_delay() -> None:
    assert "delay" in build_target(hand_built()).operation_names
    target = build_target(hand_built(), add_delay=False)
    assert "delay" not in target.operation_names
    assert "reset" in target.operation_names


def test_all_none_qubit_data_gives_no_qubit_properties() -> None:
    cal = hand_built(qubits=(QubitCalibration(readout_error=0.1), QubitCalibration()))
    assert build_target(cal).qubit_properties is None


def test_partly_known_qubit_data_gives_qubit_properties_for_every_qubit() -> None:
    cal = hand_built(qubits=(QubitCalibration(t1=1e-4), QubitCalibration()))
    props = build_target(cal).qubit_properties
    assert props is not None
    assert len(props) == 2
    assert props[0].t1 == 1e-4
    assert (props[1].t1, props[1].t2, props[1].frequency) == (None, None, None)


def test_build_target_matches_from_ibm() -> None:
    snap = snapshot("lagos")
    cal = to_calibration(snap.conf(), snap.props())
    ours, theirs = build_target(cal), qtargets.from_ibm(snap.conf(), snap.props())
    assert set(ours.operation_names) == set(theirs.operation_names)
    for name in ours.operation_names:
        assert qargs(ours, name) == qargs(theirs, name)


# -- the fast and the slow check agree -------------------------------------------------------

WRONG_VALUES: tuple[Any, ...] = (True, 1.0, 0.5, "1", None, -1, [0], (0,), 2**40, math.nan,
                                 math.inf, {"a": 1}, b"x")
"""Values of the wrong type or range for most fields, and some that are right for some."""


def _mutations() -> list[tuple[str, dict[str, Any]]]:
    """(what, changes to ``hand_built``): one bad value in every field, at every level."""
    cal = hand_built()
    out: list[tuple[str, dict[str, Any]]] = []
    for field in dataclasses.fields(Calibration):
        for value in WRONG_VALUES:
            out.append((f"calibration.{field.name}={value!r}", {field.name: value}))
    for field in dataclasses.fields(Provenance):
        for value in WRONG_VALUES:
            bad_source = dataclasses.replace(cal.provenance, **{field.name: value})
            out.append((f"provenance.{field.name}={value!r}", {"provenance": bad_source}))
    qubit = cal.qubits[0]
    for field in dataclasses.fields(QubitCalibration):
        for value in WRONG_VALUES:
            bad = dataclasses.replace(qubit, **{field.name: value})
            out.append((f"qubits[0].{field.name}={value!r}",
                        {"qubits": (bad, *cal.qubits[1:])}))
    cx = cal.instruction("cx")
    for field in dataclasses.fields(InstructionCalibration):
        for value in WRONG_VALUES:
            changed = tuple(dataclasses.replace(inst, **{field.name: value})
                            if inst.name == "cx" else inst for inst in cal.instructions)
            out.append((f"cx.{field.name}={value!r}", {"instructions": changed}))
    for position, name in enumerate(GateCalibration._fields):
        for value in WRONG_VALUES:
            entry = list(cx.qargs[0])
            entry[position] = value
            for shape, bad_entry in (("GateCalibration", GateCalibration(*entry)),
                                     ("plain tuple", tuple(entry))):
                out.append((f"cx.qargs[0].{name}={value!r} ({shape})",
                            replace_instruction(cal, "cx", qargs=(bad_entry, *cx.qargs[1:]))))
    for value in WRONG_VALUES:
        out.append((f"cx.qargs[0].qubits=(0, {value!r})", replace_instruction(
            cal, "cx", qargs=(GateCalibration((0, value), 0.01), *cx.qargs[1:]))))
    for k, layer in enumerate(cal.layer_fidelities):
        for field in dataclasses.fields(LayerFidelity):
            for value in WRONG_VALUES:
                bad_layer = dataclasses.replace(layer, **{field.name: value})
                layers = list(cal.layer_fidelities)
                layers[k] = bad_layer
                out.append((f"layer_fidelities[{k}].{field.name}={value!r}",
                            {"layer_fidelities": tuple(layers)}))
    for value in WRONG_VALUES:
        out.append((f"layer_fidelities[0].qubits=(1, {value!r})", {"layer_fidelities": (
            LayerFidelity(2, 0.98, (1, value)),)}))
        out.append((f"layer_fidelities=({value!r},)", {"layer_fidelities": (value,)}))
        out.append((f"couplers=({value!r},)", {"couplers": (value,)}))
        out.append((f"couplers[0].qubits=(0, {value!r})",
                    {"couplers": (CouplerCalibration((0, value), 1e6),)}))
    for position, name in enumerate(CouplerCalibration._fields):
        for value in WRONG_VALUES:
            entry = list(cal.couplers[0])
            entry[position] = value
            for shape, bad_coupler in (("CouplerCalibration", CouplerCalibration(*entry)),
                                       ("plain tuple", tuple(entry))):
                out.append((f"couplers[0].{name}={value!r} ({shape})",
                            {"couplers": (bad_coupler,)}))
    return out


MUTATIONS = _mutations()


@pytest.mark.filterwarnings("error")  # pydantic warns when it serialises a wrong type
@pytest.mark.filterwarnings("error")  # pydantic warns when it serialises a wrong type
@pytest.mark.parametrize("changes", [m[1] for m in MUTATIONS], ids=[m[0] for m in MUTATIONS])
def test_a_calibration_either_fails_naming_its_field_or_builds_and_round_trips(
        changes: dict[str, Any]) -> None:
    try:
        cal = hand_built(**changes)
    except CalibrationError as exc:  # the slow path found the rule the fast path broke
        reason = str(exc)
    else:
        reason = ""
    if reason:
        assert not reason.startswith("calibration: invalid calibration"), reason
        return
    build_target(cal)  # no TypeError, AttributeError... in the one builder
    assert Calibration.from_json(cal.to_json()) == cal
