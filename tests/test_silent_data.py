"""Nothing in a payload is accepted without a word: what cannot be right is refused, what is
suspect but usable is converted with a ``QTargetsWarning``.

Every bad input here is a real payload with one thing changed: IBM's configuration and
properties snapshots shipped with qiskit-ibm-runtime, and IonQ characterizations made from
the figures of the bundled IonQ calibrations. (The unchanged payloads convert without a
warning: the parity and conversion tests run every one of them with warnings as errors.)
"""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

import qtargets
from qtargets import CalibrationError, QTargetsWarning
from qtargets.ionq import to_calibration as ionq_calibration

from reference import snapshots

# -- IBM: real configuration and properties snapshots -----------------------------------------


def ibm_payloads(snapshot: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """A private, mutable copy of a real snapshot's (configuration, properties)."""
    found = next(s for s in snapshots() if s.id == snapshot)
    return found.conf(), found.props()


def as_bytes(payload: dict[str, Any]) -> bytes:
    return json.dumps(payload).encode()


def first_entry(props: dict[str, Any], gate: str) -> int:
    return next(i for i, g in enumerate(props["gates"]) if g["gate"] == gate)


def gate_error_of(entry: dict[str, Any]) -> float:
    return float(next(p["value"] for p in entry["parameters"] if p["name"] == "gate_error"))


@pytest.mark.parametrize("encode", [False, True], ids=["dict", "json_bytes"])
def test_properties_of_another_device_are_refused(encode: bool) -> None:
    conf, _ = ibm_payloads("fez")
    _, props = ibm_payloads("torino")
    payloads = (as_bytes(conf), as_bytes(props)) if encode else (conf, props)
    with pytest.raises(CalibrationError) as info:
        qtargets.from_ibm(*payloads)
    assert info.value.path == "properties.backend_name"
    assert info.value.value == "ibm_torino"
    assert "'ibm_fez'" in str(info.value)
    assert "'ibm_torino'" in str(info.value)


def test_properties_of_a_device_of_the_same_size_are_refused() -> None:
    """ibm_marrakesh has fez's 156 qubits and gates: only the names tell them apart."""
    conf, _ = ibm_payloads("fez")
    _, props = ibm_payloads("marrakesh")
    assert len(props["qubits"]) == conf["n_qubits"]
    with pytest.raises(CalibrationError, match=r"^properties\.backend_name: .*'ibm_fez'.*"
                                               r"got 'ibm_marrakesh'$"):
        qtargets.from_ibm(conf, props)


def test_properties_of_a_gate_the_configuration_lacks_are_left_out_with_a_warning() -> None:
    conf, props = ibm_payloads("fez")
    g = first_entry(props, "cz")
    stray = copy.deepcopy(props["gates"][g])
    stray["gate"] = "ecr"
    props["gates"].append(stray)
    index = len(props["gates"]) - 1
    with pytest.warns(QTargetsWarning) as caught:
        target = qtargets.from_ibm(conf, props)
    (warning,) = caught
    message = str(warning.message)
    assert message.startswith(f"properties.gates[{index}].gate: 'ecr' ")
    assert "left out" in message
    assert "ecr" not in target.operation_names


def test_conflicting_duplicate_gate_entries_are_reported_with_both_values() -> None:
    conf, props = ibm_payloads("fez")
    g = first_entry(props, "cz")
    first = props["gates"][g]
    qubits = first["qubits"]
    old_error = gate_error_of(first)
    second = copy.deepcopy(first)
    for record in second["parameters"]:
        if record["name"] == "gate_error":
            record["value"] = 0.25
    props["gates"].append(second)
    index = len(props["gates"]) - 1
    with pytest.warns(QTargetsWarning) as caught:
        target = qtargets.from_ibm(conf, props)
    (warning,) = caught
    message = str(warning.message)
    assert message.startswith(f"properties.gates[{index}]: cz on qubits {qubits} ")
    assert f"properties.gates[{g}]" in message
    assert f"error={old_error!r}" in message
    assert "error=0.25" in message
    cz = target["cz"][tuple(qubits)]
    assert cz is not None
    assert cz.error == 0.25  # the later entry, as qiskit-ibm-runtime keeps


@pytest.mark.parametrize("pair", [[0, 999], [999, 0]])
def test_a_coupling_map_pair_beyond_the_device_is_refused(pair: list[int]) -> None:
    conf, props = ibm_payloads("fez")
    conf["coupling_map"].append(pair)
    j = len(conf["coupling_map"]) - 1
    with pytest.raises(CalibrationError) as info:
        qtargets.from_ibm(conf, props)
    assert info.value.path == f"configuration.coupling_map[{j}]"
    assert info.value.value == pair
    assert str(info.value) == (f"configuration.coupling_map[{j}]: qubit index out of range "
                               f"for 156 qubits, got {pair}")


def test_a_coupling_map_pair_of_one_qubit_is_refused() -> None:
    conf, props = ibm_payloads("fez")
    conf["coupling_map"].insert(0, [7, 7])
    with pytest.raises(CalibrationError, match=r"^configuration\.coupling_map\[0\]: .*"
                                               r"itself, got \[7, 7\]$"):
        qtargets.from_ibm(conf, props)


def test_a_coupling_map_entry_that_is_not_a_pair_is_refused() -> None:
    conf, _ = ibm_payloads("fez")
    conf["coupling_map"][3] = [0, 1, 2]
    with pytest.raises(CalibrationError, match=r"^configuration\.coupling_map\[3\]: expected "
                                               r"a pair"):
        qtargets.from_ibm(conf)


@pytest.mark.parametrize(
    ("snapshot", "gate", "qubits", "bad"),
    [
        # rzz: measured on fez, though its configuration does not offer it
        pytest.param("fez", "rzz", [0, 999], 1, id="unoffered-rzz"),
        # measure: its numbers come from the qubits' readout data, not from this entry
        pytest.param("kingston", "measure", [156], 0, id="measure"),
    ],
)
def test_a_properties_entry_on_a_qubit_the_device_lacks_is_refused_even_if_unused(
    snapshot: str, gate: str, qubits: list[int], bad: int
) -> None:
    conf, props = ibm_payloads(snapshot)
    g = first_entry(props, gate)
    props["gates"][g]["qubits"] = qubits
    with pytest.raises(CalibrationError) as info:
        qtargets.from_ibm(conf, props)
    assert info.value.path == f"properties.gates[{g}].qubits[{bad}]"
    assert info.value.value == qubits[bad]
    assert f"out of range for {conf['n_qubits']} qubits" in str(info.value)


# -- IonQ: characterizations made from the bundled calibrations' figures ----------------------


def ionq_characterization(backend: str, date: int = 1_717_243_200) -> dict[str, Any]:
    """A v0.3 characterization carrying the figures of a bundled IonQ calibration."""
    cal = qtargets.load_calibration(backend)
    where = {i.name: i.qargs or () for i in cal.instructions}
    one = where["gpi"][0] if where["gpi"] else None
    two_qubit = where["ms"] if "ms" in where else where["zz"]
    two = two_qubit[0] if two_qubit else None
    readout = cal.qubits[0]
    fidelity: dict[str, Any] = {}
    if readout.readout_error is not None:
        fidelity["spam"] = {"mean": 1 - readout.readout_error}
    if one is not None and one.error is not None:
        fidelity["1q"] = {"mean": 1 - one.error}
    if two is not None and two.error is not None:
        fidelity["2q"] = {"mean": 1 - two.error}
    return {
        "id": f"{backend}-{date}",
        "date": date,
        "backend": backend,
        "qubits": cal.num_qubits,
        "fidelity": fidelity,
        "timing": {"readout": readout.readout_duration,
                   "1q": one.duration if one is not None else None,
                   "2q": two.duration if two is not None else None},
    }


def test_a_characterization_page_mixing_two_devices_is_refused() -> None:
    page = {"characterizations": [ionq_characterization("qpu.aria-1", 1_717_243_200),
                                  ionq_characterization("qpu.forte-1", 1_717_246_800)]}
    with pytest.raises(CalibrationError) as info:
        qtargets.from_ionq(page)
    assert info.value.path == "characterizations[1].backend"
    assert info.value.value == "qpu.forte-1"
    assert "'qpu.aria-1'" in str(info.value)


def test_a_legacy_target_naming_another_device_on_the_page_is_refused() -> None:
    older = ionq_characterization("qpu.aria-1", 1_717_243_200)
    newer = ionq_characterization("qpu.harmony", 1_717_246_800)
    newer["target"] = newer.pop("backend")
    with pytest.raises(CalibrationError) as info:
        ionq_calibration({"characterizations": [older, newer]})
    assert info.value.path == "characterizations[1].target"
    assert info.value.value == "qpu.harmony"

