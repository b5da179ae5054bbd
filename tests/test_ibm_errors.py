"""What the IBM converter says about bad input, and how it reads units.

* Every rejected payload raises :class:`qtargets.CalibrationError` whose message starts with
  the JSON path of the offending field and ends with the offending value.
* Units are converted to SI (seconds, hertz) from every spelling IBM uses; a unit of the
  wrong dimension or an unknown one is an error, never a silent rescale.
* Data that is usable but odd (undefined basis gates, too few or too many qubit entries,
  unknown property names) gives a :class:`qtargets.QTargetsWarning` and a sensible Target.
"""

from __future__ import annotations

import json
import pickle
import warnings
from typing import Any

import pytest
from qiskit.transpiler import Target

import qtargets
from qtargets import CalibrationError, QTargetsError, QTargetsWarning
from qtargets.ibm import to_calibration

from reference import snapshots


def payloads(name: str = "vigo") -> tuple[dict[str, Any], dict[str, Any]]:
    """A fresh copy of a real snapshot's (configuration, properties)."""
    snapshot = next(s for s in snapshots() if s.id == name)
    return snapshot.conf(), snapshot.props()


def record_index(records: list[dict[str, Any]], name: str) -> int:
    return next(i for i, r in enumerate(records) if r["name"] == name)


def gate_index(props: dict[str, Any], gate: str, qubits: list[int]) -> int:
    return next(i for i, g in enumerate(props["gates"])
                if g["gate"] == gate and g["qubits"] == qubits)


def parameter_index(entry: dict[str, Any], name: str) -> int:
    return next(i for i, p in enumerate(entry["parameters"]) if p["name"] == name)


def set_qubit_record(props: dict[str, Any], qubit: int, name: str, **fields: Any) -> int:
    """Overwrite fields of one qubit record; returns the record's index."""
    k = record_index(props["qubits"][qubit], name)
    props["qubits"][qubit][k].update(fields)
    return k


def qubit_numbers(target: Target) -> list[tuple[float | None, ...]]:
    """(t1, t2, frequency) per qubit (qiskit's QubitProperties has no ``==``)."""
    return [(q.t1, q.t2, q.frequency) for q in target.qubit_properties or ()]


def error_of(conf: Any, props: Any = None) -> CalibrationError:
    with pytest.raises(CalibrationError) as info:
        qtargets.from_ibm(conf, props)
    return info.value


def as_bytes(payload: Any) -> bytes:
    return json.dumps(payload).encode()


# -- units ---------------------------------------------------------------------------------------


def test_unknown_time_unit_names_the_unit_field() -> None:
    conf, props = payloads()
    k = set_qubit_record(props, 2, "T1", unit="furlongs")
    error = error_of(conf, props)
    assert error.path == f"properties.qubits[2][{k}].unit"
    assert str(error).startswith(f"properties.qubits[2][{k}].unit: unknown time unit for T1")
    assert str(error).endswith("got 'furlongs'")
    assert error.value == "furlongs"


def test_t1_in_ghz_is_an_error_not_a_rescale() -> None:
    conf, props = payloads()
    k = set_qubit_record(props, 0, "T1", unit="GHz")
    assert str(error_of(conf, props)) == (
        f"properties.qubits[0][{k}].unit: unknown time unit for T1 "
        "(known: 's', 'ms', 'us', 'µs', 'μs', 'ns', 'ps'), got 'GHz'"
    )


def test_frequency_in_a_time_unit_is_an_error() -> None:
    conf, props = payloads()
    k = set_qubit_record(props, 1, "frequency", unit="ns")
    error = error_of(conf, props)
    assert error.path == f"properties.qubits[1][{k}].unit"
    assert "unknown frequency unit for frequency" in str(error)


def test_a_probability_with_a_unit_is_an_error() -> None:
    conf, props = payloads()
    k = set_qubit_record(props, 3, "readout_error", unit="%")
    error = error_of(conf, props)
    assert error.path == f"properties.qubits[3][{k}].unit"
    assert str(error).endswith("got '%'")


def test_unit_names_are_case_sensitive() -> None:
    """``MS`` would be megasiemens, not milliseconds: no guessing."""
    conf, props = payloads()
    k = set_qubit_record(props, 0, "T2", unit="US")
    assert error_of(conf, props).path == f"properties.qubits[0][{k}].unit"


@pytest.mark.parametrize(
    ("unit", "seconds"),
    [
        ("s", 50.0),
        ("ms", 50.0e-3),
        ("us", 50.0e-6),
        ("\u00b5s", 50.0e-6),  # MICRO SIGN
        ("\u03bcs", 50.0e-6),  # GREEK SMALL LETTER MU
        ("ns", 50.0e-9),
        ("ps", 50.0e-12),
    ],
    ids=["s", "ms", "us", "micro_sign_us", "greek_mu_us", "ns", "ps"],
)
def test_t1_and_t2_in_any_time_unit_become_seconds(unit: str, seconds: float) -> None:
    conf, props = payloads()
    set_qubit_record(props, 1, "T1", unit=unit, value=50.0)
    set_qubit_record(props, 1, "T2", unit=unit, value=50.0)
    target = qtargets.from_ibm(conf, props)
    assert target.qubit_properties[1].t1 == pytest.approx(seconds, rel=1e-12)
    assert target.qubit_properties[1].t2 == pytest.approx(seconds, rel=1e-12)


def test_microseconds_are_exact_divisions() -> None:
    """1.0 us is exactly 1.0 / 1e6, as qiskit's apply_prefix computes it (parity to the bit)."""
    conf, props = payloads()
    set_qubit_record(props, 0, "T1", unit="us", value=121.70801410836629)
    target = qtargets.from_ibm(conf, props)
    assert target.qubit_properties[0].t1 == 121.70801410836629 / 1e6


@pytest.mark.parametrize(
    ("unit", "value", "hertz"),
    [("GHz", 5.25, 5.25e9), ("MHz", 5250.0, 5.25e9), ("kHz", 5.25e6, 5.25e9),
     ("Hz", 5.25e9, 5.25e9)],
)
def test_frequency_in_any_frequency_unit_becomes_hertz(unit: str, value: float,
                                                       hertz: float) -> None:
    conf, props = payloads()
    set_qubit_record(props, 2, "frequency", unit=unit, value=value)
    target = qtargets.from_ibm(conf, props)
    assert target.qubit_properties[2].frequency == pytest.approx(hertz, rel=1e-12)


def test_anharmonicity_in_mhz_becomes_hertz() -> None:
    conf, props = payloads()
    set_qubit_record(props, 0, "anharmonicity", unit="MHz", value=-311.5)
    cal = to_calibration(conf, props)
    assert cal.qubits[0].anharmonicity == pytest.approx(-311.5e6, rel=1e-12)


@pytest.mark.parametrize(("unit", "value"), [("us", 0.0355), ("ns", 35.5), ("s", 3.55e-8),
                                             ("ps", 35500.0)])
def test_gate_length_in_any_time_unit_becomes_seconds(unit: str, value: float) -> None:
    conf, props = payloads()
    g = gate_index(props, "sx", [0])
    entry = props["gates"][g]
    entry["parameters"][parameter_index(entry, "gate_length")].update(unit=unit, value=value)
    error = entry["parameters"][parameter_index(entry, "gate_error")]["value"]
    target = qtargets.from_ibm(conf, props)
    assert target["sx"][(0,)].duration == pytest.approx(3.55e-8, rel=1e-12)
    assert target["sx"][(0,)].error == error


def test_readout_length_in_us_becomes_the_measure_duration() -> None:
    conf, props = payloads()
    set_qubit_record(props, 4, "readout_length", unit="us", value=5.8)
    target = qtargets.from_ibm(conf, props)
    assert target["measure"][(4,)].duration == pytest.approx(5.8e-6, rel=1e-12)


def test_dt_is_read_in_nanoseconds() -> None:
    conf, props = payloads()
    conf["dt"] = 0.5
    assert qtargets.from_ibm(conf, props).dt == pytest.approx(0.5e-9, rel=1e-12)


def test_gate_length_in_ghz_names_the_unit_field() -> None:
    conf, props = payloads()
    g = gate_index(props, "cx", [1, 2])
    k = parameter_index(props["gates"][g], "gate_length")
    props["gates"][g]["parameters"][k]["unit"] = "GHz"
    error = error_of(conf, props)
    assert error.path == f"properties.gates[{g}].parameters[{k}].unit"
    assert "unknown time unit for gate_length" in str(error)


# -- values out of range ----------------------------------------------------------------------


@pytest.mark.parametrize("bad", [-0.1, 1.5, -1e-300, 1.0000001])
def test_gate_error_outside_zero_one_names_the_value_field(bad: float) -> None:
    conf, props = payloads()
    g = gate_index(props, "cx", [0, 1])
    k = parameter_index(props["gates"][g], "gate_error")
    props["gates"][g]["parameters"][k]["value"] = bad
    assert str(error_of(conf, props)) == (
        f"properties.gates[{g}].parameters[{k}].value: expected a probability in [0, 1], "
        f"got {bad!r}"
    )


@pytest.mark.parametrize("good", [0.0, 1.0])
def test_gate_error_at_the_bounds_is_accepted(good: float) -> None:
    """IBM writes gate_error = 1 for uncalibrated gates: kept as reported."""
    conf, props = payloads()
    g = gate_index(props, "cx", [0, 1])
    k = parameter_index(props["gates"][g], "gate_error")
    props["gates"][g]["parameters"][k]["value"] = good
    assert qtargets.from_ibm(conf, props)["cx"][(0, 1)].error == good


def test_negative_readout_error_names_the_qubit_record() -> None:
    conf, props = payloads()
    k = set_qubit_record(props, 3, "readout_error", value=-0.02)
    assert str(error_of(conf, props)) == (
        f"properties.qubits[3][{k}].value: expected a probability in [0, 1], got -0.02"
    )


def test_negative_t1_names_the_qubit_record() -> None:
    conf, props = payloads()
    k = set_qubit_record(props, 2, "T1", value=-3.0)
    assert str(error_of(conf, props)) == (
        f"properties.qubits[2][{k}].value: expected a non-negative time, got -3.0"
    )


def test_negative_gate_length_names_the_gate_parameter() -> None:
    conf, props = payloads()
    g = gate_index(props, "x", [4])
    k = parameter_index(props["gates"][g], "gate_length")
    props["gates"][g]["parameters"][k]["value"] = -35.5
    error = error_of(conf, props)
    assert error.path == f"properties.gates[{g}].parameters[{k}].value"
    assert error.value == -35.5


def test_nan_value_is_rejected_as_not_finite() -> None:
    conf, props = payloads()
    k = set_qubit_record(props, 0, "T1", value=float("nan"))
    error = error_of(conf, props)
    assert error.path == f"properties.qubits[0][{k}].value"
    assert "finite" in error.reason


def test_a_number_as_a_string_is_rejected() -> None:
    conf, props = payloads()
    props["qubits"][3][1]["value"] = "abc"
    assert str(error_of(conf, props)) == (
        "properties.qubits[3][1].value: expected a number, got 'abc'"
    )


# -- qubit indices ------------------------------------------------------------------------------


def test_qubit_index_out_of_range_in_properties_gates() -> None:
    conf, props = payloads()
    g = gate_index(props, "cx", [3, 4])
    props["gates"][g]["qubits"] = [3, 5]
    assert str(error_of(conf, props)) == (
        f"properties.gates[{g}].qubits[1]: qubit index out of range for 5 qubits, got 5"
    )


def test_negative_qubit_index_in_properties_gates() -> None:
    conf, props = payloads()
    g = gate_index(props, "sx", [2])
    props["gates"][g]["qubits"] = [-1]
    error = error_of(conf, props)
    assert error.path == f"properties.gates[{g}].qubits[0]"
    assert error.value == -1


@pytest.mark.parametrize("with_properties", [True, False], ids=["properties", "no_properties"])
def test_qubit_index_out_of_range_in_a_gate_config_coupling_map(with_properties: bool) -> None:
    conf, props = payloads()
    g = next(i for i, gate in enumerate(conf["gates"]) if gate["name"] == "cx")
    conf["gates"][g]["coupling_map"].append([4, 9])
    j = len(conf["gates"][g]["coupling_map"]) - 1
    assert str(error_of(conf, props if with_properties else None)) == (
        f"configuration.gates[{g}].coupling_map[{j}][1]: qubit index out of range for 5 qubits, "
        "got 9"
    )


def test_wrong_number_of_qubits_for_the_gate_names_the_qubit_list() -> None:
    conf, props = payloads()
    g = gate_index(props, "cx", [0, 1])
    props["gates"][g]["qubits"] = [0, 1, 2]
    error = error_of(conf, props)
    assert error.path == f"properties.gates[{g}].qubits"
    assert "expected 2 qubit(s)" in error.reason


def test_repeated_qubit_in_a_two_qubit_gate_is_rejected() -> None:
    conf, props = payloads()
    g = gate_index(props, "cx", [1, 2])
    props["gates"][g]["qubits"] = [2, 2]
    error = error_of(conf, props)
    assert error.path == f"properties.gates[{g}].qubits"
    assert "distinct" in error.reason


# -- payloads of the wrong shape ------------------------------------------------------------


@pytest.mark.parametrize("configuration", [[], [1, 2], 0, 5, None, 1.5, True],
                         ids=["empty_list", "list", "zero", "int", "none", "float", "bool"])
def test_configuration_that_is_not_an_object_is_a_calibration_error(configuration: Any) -> None:
    _, props = payloads()
    error = error_of(configuration, props)
    assert error.path == "configuration"


@pytest.mark.parametrize("properties", [[], 0, 1.5, True], ids=["list", "int", "float", "bool"])
def test_properties_that_are_not_an_object_are_a_calibration_error(properties: Any) -> None:
    conf, _ = payloads()
    assert error_of(conf, properties).path == "properties"


@pytest.mark.parametrize("text", ["[1, 2]", "null", "5", '"vigo"'])
def test_json_text_that_is_not_an_object_is_a_calibration_error(text: str) -> None:
    _, props = payloads()
    assert error_of(text, props).path == "configuration"
    assert error_of(text.encode(), props).path == "configuration"


@pytest.mark.parametrize(
    "data",
    [b"", b"{", b'{"backend_name": "x",', b"\xff\xfe{}", b"not json", b'{"n_qubits": 5}}'],
    ids=["empty", "open_brace", "truncated", "bad_utf8", "words", "trailing_brace"],
)
def test_invalid_json_bytes_are_a_calibration_error(data: bytes) -> None:
    _, props = payloads()
    error = error_of(data, props)
    assert error.path == "configuration"
    conf, _ = payloads()
    assert error_of(conf, data).path == "properties"


def test_invalid_json_message_says_it_is_invalid_json() -> None:
    error = error_of(b'{"backend_name": "x",')
    assert str(error).startswith("configuration: invalid JSON")


@pytest.mark.parametrize("form", ["dict", "json_bytes"])
def test_missing_n_qubits_says_required_field_is_missing(form: str) -> None:
    conf, props = payloads()
    del conf["n_qubits"]
    error = error_of(conf if form == "dict" else as_bytes(conf), props)
    assert str(error) == "configuration.n_qubits: required field is missing"
    assert error.path == "configuration.n_qubits"


def test_missing_qubits_in_properties_says_required_field_is_missing() -> None:
    conf, props = payloads()
    del props["qubits"]
    assert str(error_of(conf, props)) == "properties.qubits: required field is missing"


def test_errors_read_the_same_for_dicts_and_json_bytes() -> None:
    conf, props = payloads()
    g = gate_index(props, "cx", [0, 1])
    props["gates"][g]["parameters"][0]["value"] = "0.01"
    from_dict = error_of(conf, props)
    from_bytes = error_of(as_bytes(conf), as_bytes(props))
    from_text = error_of(json.dumps(conf), json.dumps(props))
    assert str(from_dict) == str(from_bytes) == str(from_text)


# -- the exception type ----------------------------------------------------------------------


def test_calibration_error_is_a_value_error_and_a_qtargets_error() -> None:
    conf, props = payloads()
    del conf["n_qubits"]
    error = error_of(conf, props)
    assert isinstance(error, ValueError)
    assert isinstance(error, QTargetsError)
    with pytest.raises(ValueError, match=r"configuration\.n_qubits"):
        qtargets.from_ibm(conf, props)


@pytest.mark.parametrize(
    "error",
    [
        CalibrationError("properties.qubits[3][1].value", "expected a number", "abc"),
        CalibrationError("configuration.n_qubits", "required field is missing",
                         show_value=False),
        CalibrationError("properties.gates[0].qubits", "expected 2 qubit(s)", [0, 1, 2]),
    ],
    ids=["with_value", "without_value", "list_value"],
)
def test_calibration_error_survives_pickling(error: CalibrationError) -> None:
    copy = pickle.loads(pickle.dumps(error))
    assert type(copy) is CalibrationError
    assert str(copy) == str(error)
    assert (copy.path, copy.reason, copy.value) == (error.path, error.reason, error.value)


def test_calibration_error_from_the_converter_survives_pickling() -> None:
    conf, props = payloads()
    k = set_qubit_record(props, 2, "T1", unit="furlongs")
    error = error_of(conf, props)
    copy = pickle.loads(pickle.dumps(error))
    assert str(copy) == str(error)
    assert copy.path == f"properties.qubits[2][{k}].unit"
    assert copy.value == "furlongs"


# -- warnings: usable but odd data ------------------------------------------------------------


def test_undefined_basis_gate_warns_naming_it_and_is_left_out() -> None:
    conf, props = payloads()
    conf["basis_gates"].append("warp_drive")
    with pytest.warns(QTargetsWarning, match="'warp_drive'") as record:
        target = qtargets.from_ibm(conf, props)
    assert any("configuration.basis_gates" in str(w.message) for w in record)
    assert "warp_drive" not in target.operation_names
    assert {"cx", "sx", "x", "rz", "id", "measure"} <= set(target.operation_names)


def test_basis_gate_defined_only_in_gate_configs_becomes_a_generic_gate() -> None:
    conf, props = payloads()
    conf["basis_gates"].append("my_gate")
    conf["gates"].append({"name": "my_gate", "parameters": ["a"], "coupling_map": [[0, 1]]})
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        target = qtargets.from_ibm(conf, props)
    assert "my_gate" in target.operation_names
    operation = target.operation_from_name("my_gate")
    assert (operation.num_qubits, len(operation.params)) == (2, 1)
    assert set(target.qargs_for_operation_name("my_gate")) == {(0, 1)}


def test_short_properties_qubit_list_warns_and_missing_qubits_are_unknown() -> None:
    conf, props = payloads()
    props["qubits"] = props["qubits"][:3]
    with pytest.warns(QTargetsWarning, match=r"properties\.qubits: 3 entries for a 5-qubit"):
        target = qtargets.from_ibm(conf, props)
    assert target.num_qubits == 5
    known, unknown = target.qubit_properties[:3], target.qubit_properties[3:]
    assert all(q.t1 is not None and q.frequency is not None for q in known)
    assert all(q.t1 is None and q.t2 is None and q.frequency is None for q in unknown)
    # measure still runs on every qubit, without numbers where none were measured
    assert set(target.qargs_for_operation_name("measure")) == {(i,) for i in range(5)}
    for i in (3, 4):
        measured = target["measure"][(i,)]
        assert measured is None or (measured.error is None and measured.duration is None)
    assert target["measure"][(0,)].error is not None


def test_short_properties_qubit_list_keeps_the_gates_of_the_missing_qubits() -> None:
    conf, props = payloads()
    props["qubits"] = props["qubits"][:3]
    with pytest.warns(QTargetsWarning):
        target = qtargets.from_ibm(conf, props)
    assert (4,) in target.qargs_for_operation_name("sx")
    assert target["sx"][(4,)].error is not None


def test_long_properties_qubit_list_warns_and_the_extra_entries_are_ignored() -> None:
    conf, props = payloads()
    props["qubits"].append(props["qubits"][0])
    with pytest.warns(QTargetsWarning, match="extra 1 are ignored"):
        target = qtargets.from_ibm(conf, props)
    assert target.num_qubits == 5
    assert len(target.qubit_properties) == 5


def test_empty_properties_qubit_list_gives_no_qubit_properties() -> None:
    conf, props = payloads()
    props["qubits"] = []
    with pytest.warns(QTargetsWarning, match="properties.qubits: 0 entries"):
        target = qtargets.from_ibm(conf, props)
    assert target.qubit_properties is None


def test_unknown_qubit_property_warns_and_is_ignored() -> None:
    conf, props = payloads()
    reference = qtargets.from_ibm(conf, props)
    props["qubits"][1].append({"name": "flux_noise", "unit": "GHz", "value": 0.25})
    k = len(props["qubits"][1]) - 1
    with pytest.warns(QTargetsWarning, match="'flux_noise'") as record:
        target = qtargets.from_ibm(conf, props)
    assert any(f"properties.qubits[1][{k}].name" in str(w.message) for w in record)
    assert qubit_numbers(target) == qubit_numbers(reference)


def test_unknown_qubit_property_is_reported_once_for_the_whole_payload() -> None:
    conf, props = payloads()
    for records in props["qubits"]:
        records.append({"name": "flux_noise", "unit": "", "value": 0.25})
    with pytest.warns(QTargetsWarning) as record:
        qtargets.from_ibm(conf, props)
    assert sum("flux_noise" in str(w.message) for w in record) == 1


def test_unknown_gate_property_warns_and_is_ignored() -> None:
    conf, props = payloads()
    g = gate_index(props, "cx", [0, 1])
    expected = qtargets.from_ibm(conf, props)["cx"][(0, 1)]
    props["gates"][g]["parameters"].append({"name": "leakage", "unit": "", "value": 0.001})
    with pytest.warns(QTargetsWarning, match="'leakage'"):
        target = qtargets.from_ibm(conf, props)
    assert target["cx"][(0, 1)].error == expected.error
    assert target["cx"][(0, 1)].duration == expected.duration


def test_unknown_property_with_an_unknown_unit_is_still_only_a_warning() -> None:
    """The unit of a property qtargets does not read is none of its business."""
    conf, props = payloads()
    props["qubits"][0].append({"name": "flux_noise", "unit": "furlongs", "value": 1.0})
    with pytest.warns(QTargetsWarning, match="'flux_noise'"):
        assert isinstance(qtargets.from_ibm(conf, props), Target)


def test_real_snapshot_converts_without_warnings() -> None:
    conf, props = payloads()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        qtargets.from_ibm(conf, props)
        qtargets.from_ibm(conf, None)


@pytest.mark.parametrize("entry_point", ["to_calibration", "from_ibm"])
@pytest.mark.parametrize("oddity", ["undefined_basis_gate", "short_qubit_list",
                                    "unknown_qubit_property"])
def test_warnings_point_at_the_callers_line(entry_point: str, oddity: str) -> None:
    """``stacklevel`` is right: the warning is attributed to the code that called qtargets,
    so ``-W error`` and warning filters by module work for users."""
    conf, props = payloads()
    if oddity == "undefined_basis_gate":
        conf["basis_gates"].append("warp_drive")
    elif oddity == "short_qubit_list":
        props["qubits"] = props["qubits"][:4]
    else:
        props["qubits"][0].append({"name": "flux_noise", "unit": "", "value": 0.25})
    convert = to_calibration if entry_point == "to_calibration" else qtargets.from_ibm
    with pytest.warns(QTargetsWarning) as record:
        convert(conf, props)
    assert [w.filename for w in record] == [__file__] * len(record)
