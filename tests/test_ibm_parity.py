"""qtargets.from_ibm builds the same Target as qiskit-ibm-runtime's convert_to_target.

Checked on every real snapshot qiskit-ibm-runtime ships, with and without properties, under
every builder flag, and on variants made from them (faulty qubits and gates, fractional gates,
a qubit without T1). Where the reference is wrong, the test pins our documented behaviour
instead (see docs/ibm.md, "Deliberate differences").
"""

from __future__ import annotations

import copy
import warnings
from typing import Any

import pytest

import qtargets
from qtargets import QTargetsWarning

from reference import Snapshot, reference_target, snapshots, target_differences

SNAPSHOTS = snapshots()
SMALL = [s for s in SNAPSHOTS if s.id in {"vigo", "lagos", "toronto", "fractional", "kyiv"}]


def _by_id(name: str) -> Snapshot:
    return next(s for s in SNAPSHOTS if s.id == name)


def assert_same_target(
    conf: dict[str, Any],
    props: dict[str, Any] | None,
    *,
    faulty: frozenset[int] = frozenset(),
    **flags: Any,
) -> None:
    """Equal to the reference, except deliberate difference 2 on ``faulty`` qubits."""
    ours = qtargets.from_ibm(conf, props, **flags)
    ref = reference_target(conf, props, **flags)
    forgive = faulty if flags.get("filter_faulty", True) else frozenset()
    assert target_differences(ours, ref, forgive_ideal_on=forgive) == []


def _mark_qubit_faulty(props: dict[str, Any], qubit: int) -> None:
    props["qubits"][qubit].append(
        {"date": "2025-01-01T00:00:00Z", "name": "operational", "unit": "", "value": 0}
    )


def _first_gate_entry(props: dict[str, Any], width: int) -> dict[str, Any]:
    return next(g for g in props["gates"] if len(g["qubits"]) == width)


def _mark_gate_faulty(entry: dict[str, Any]) -> None:
    entry["parameters"].append(
        {"date": "2025-01-01T00:00:00Z", "name": "operational", "unit": "", "value": 0}
    )


def test_every_snapshot_gives_the_reference_target_with_properties() -> None:
    assert len(SNAPSHOTS) >= 68
    for snap in SNAPSHOTS:
        conf, props = snap.conf(), snap.props()
        ours, ref = qtargets.from_ibm(conf, props), reference_target(conf, props)
        assert target_differences(ours, ref) == [], snap.id


@pytest.mark.parametrize("snap", SNAPSHOTS, ids=lambda s: s.id)
def test_snapshot_without_properties_gives_the_reference_target(snap: Snapshot) -> None:
    assert_same_target(snap.conf(), None)


@pytest.mark.parametrize("snap", SNAPSHOTS, ids=lambda s: s.id)
def test_json_bytes_and_dicts_give_the_same_target(snap: Snapshot) -> None:
    from_bytes = qtargets.from_ibm(snap.conf_path.read_bytes(), snap.props_path.read_bytes())
    from_text = qtargets.from_ibm(snap.conf_path.read_text(), snap.props_path.read_text())
    from_dicts = qtargets.from_ibm(snap.conf(), snap.props())
    assert target_differences(from_bytes, from_dicts) == []
    assert target_differences(from_text, from_dicts) == []


@pytest.mark.parametrize(
    "flags",
    [
        {"filter_faulty": False},
        {"include_control_flow": False},
        {"include_fractional_gates": False},
        {"add_delay": False},
        {"include_control_flow": False, "include_fractional_gates": False, "add_delay": False},
    ],
    ids=lambda f: ",".join(f"{k}={v}" for k, v in f.items()),
)
@pytest.mark.parametrize("snap", SMALL, ids=lambda s: s.id)
def test_builder_flags_match_the_reference(snap: Snapshot, flags: dict[str, bool]) -> None:
    assert_same_target(snap.conf(), snap.props(), **flags)


@pytest.mark.parametrize("filter_faulty", [True, False])
@pytest.mark.parametrize("snap", SNAPSHOTS, ids=lambda s: s.id)
def test_faulty_qubit_matches_the_reference(snap: Snapshot, filter_faulty: bool) -> None:
    conf, props = snap.conf(), snap.props()
    faulty = conf["n_qubits"] // 2
    _mark_qubit_faulty(props, faulty)
    assert_same_target(conf, props, faulty=frozenset({faulty}), filter_faulty=filter_faulty)


@pytest.mark.parametrize("filter_faulty", [True, False])
@pytest.mark.parametrize("snap", SNAPSHOTS, ids=lambda s: s.id)
def test_faulty_two_qubit_gate_matches_the_reference(snap: Snapshot, filter_faulty: bool) -> None:
    conf, props = snap.conf(), snap.props()
    if conf["n_qubits"] < 2:
        pytest.skip("single-qubit device")
    _mark_gate_faulty(_first_gate_entry(props, 2))
    assert_same_target(conf, props, filter_faulty=filter_faulty)


def test_faulty_gate_is_removed_only_on_its_qubits() -> None:
    conf, props = _by_id("lagos").conf(), _by_id("lagos").props()
    entry = _first_gate_entry(props, 2)
    _mark_gate_faulty(entry)
    target = qtargets.from_ibm(conf, props)
    pair = tuple(entry["qubits"])
    assert pair not in target.qargs_for_operation_name(entry["gate"])
    assert len(target.qargs_for_operation_name(entry["gate"])) > 1
    assert pair in qtargets.from_ibm(conf, props, filter_faulty=False)[entry["gate"]]


def test_faulty_qubit_is_removed_from_every_instruction() -> None:
    conf, props = _by_id("toronto").conf(), _by_id("toronto").props()
    _mark_qubit_faulty(props, 5)
    target = qtargets.from_ibm(conf, props)
    for name in target.operation_names:
        for qargs in target.qargs_for_operation_name(name) or ():
            assert 5 not in qargs, name
    # ...but the data stays faithful in the neutral model.
    cal = qtargets.ibm.to_calibration(conf, props)
    assert cal.faulty_qubits == (5,)
    assert cal.qubits[5].t1 is not None


@pytest.mark.parametrize("snap", SNAPSHOTS, ids=lambda s: s.id)
def test_fractional_gates_in_basis_match_the_reference(snap: Snapshot) -> None:
    conf, props = snap.conf(), snap.props()
    calibrated = {g["gate"] for g in props["gates"]}
    fractional = [g for g in ("rzz", "rx") if g in calibrated and g not in conf["basis_gates"]]
    if not fractional and "rzz" not in conf["basis_gates"]:
        pytest.skip("no calibrated fractional gates")
    conf["basis_gates"] = conf["basis_gates"] + fractional
    for flag in (True, False):
        assert_same_target(conf, props, include_fractional_gates=flag)
    target = qtargets.from_ibm(conf, props)
    if "rzz" in target.operation_names:
        assert target.supported_angle_bound("rzz", [0.5])
        assert not target.supported_angle_bound("rzz", [2.0])


@pytest.mark.parametrize("snap", SNAPSHOTS, ids=lambda s: s.id)
def test_qubit_missing_t1_matches_the_reference(snap: Snapshot) -> None:
    conf, props = snap.conf(), snap.props()
    props["qubits"][0] = [p for p in props["qubits"][0] if p["name"] != "T1"]
    assert_same_target(conf, props)
    assert qtargets.from_ibm(conf, props).qubit_properties[0].t1 is None


def test_sentinel_gate_error_of_one_is_kept_faithfully() -> None:
    conf, props = _by_id("fez").conf(), _by_id("fez").props()
    sentinel = next(
        g for g in props["gates"]
        if any(p["name"] == "gate_error" and p["value"] == 1 for p in g["parameters"])
    )
    target = qtargets.from_ibm(conf, props)
    assert target[sentinel["gate"]][tuple(sentinel["qubits"])].error == 1.0


def test_units_reach_the_target_in_seconds_and_hertz() -> None:
    conf, props = _by_id("toronto").conf(), _by_id("toronto").props()
    target = qtargets.from_ibm(conf, props)
    t1_us = next(p["value"] for p in props["qubits"][0] if p["name"] == "T1")
    freq_ghz = next(p["value"] for p in props["qubits"][0] if p["name"] == "frequency")
    assert target.qubit_properties[0].t1 == pytest.approx(t1_us * 1e-6, rel=1e-12)
    assert target.qubit_properties[0].frequency == pytest.approx(freq_ghz * 1e9, rel=1e-12)
    assert target.dt == pytest.approx(conf["dt"] * 1e-9, rel=1e-12)


# -- deliberate differences (docs/ibm.md) ----------------------------------------------------


def test_rzz_without_gate_config_and_a_faulty_qubit_is_filtered_where_reference_crashes() -> None:
    conf, props = _by_id("fez").conf(), _by_id("fez").props()
    conf["basis_gates"] = [*conf["basis_gates"], "rzz"]
    assert "rzz" not in {g["name"] for g in conf["gates"]}
    first_rzz = next(g for g in props["gates"] if g["gate"] == "rzz")
    faulty = first_rzz["qubits"][0]
    _mark_qubit_faulty(props, faulty)

    with pytest.raises(TypeError):
        reference_target(conf, props)

    target = qtargets.from_ibm(conf, props)
    rzz_qargs = target.qargs_for_operation_name("rzz")
    assert rzz_qargs
    assert all(faulty not in qargs for qargs in rzz_qargs)
    calibrated = {tuple(g["qubits"]) for g in props["gates"] if g["gate"] == "rzz"}
    assert set(rzz_qargs) == {q for q in calibrated if faulty not in q}


def test_faulty_qubit_with_only_gate_config_entries_is_removed_where_reference_keeps_it() -> None:
    conf, props = _by_id("vigo").conf(), _by_id("vigo").props()
    faulty = 2
    _mark_qubit_faulty(props, faulty)
    props["gates"] = [g for g in props["gates"] if faulty not in g["qubits"]]
    configured = {
        g["name"] for g in conf["gates"]
        if any(faulty in pair for pair in g.get("coupling_map") or [])
    }
    assert configured

    reference = reference_target(conf, props)
    ours = qtargets.from_ibm(conf, props)
    for name in configured & set(ours.operation_names):
        assert any(faulty in q for q in reference.qargs_for_operation_name(name))
        assert all(faulty not in q for q in ours.qargs_for_operation_name(name))
    # With filtering off, the two agree again.
    assert_same_target(conf, props, filter_faulty=False)


def test_short_properties_qubit_list_warns_and_treats_missing_qubits_as_unknown() -> None:
    conf, props = _by_id("lagos").conf(), _by_id("lagos").props()
    props["qubits"] = props["qubits"][:5]
    props["gates"] = [g for g in props["gates"] if max(g["qubits"]) < 5]

    with pytest.raises(Exception) as reference_error:  # noqa: PT011  (reference is unrelated)
        reference_target(conf, props)
    assert not isinstance(reference_error.value, qtargets.QTargetsError)

    with pytest.warns(QTargetsWarning, match=r"properties\.qubits: 5 entries for a 7-qubit"):
        target = qtargets.from_ibm(conf, props)
    assert target.num_qubits == 7
    assert target.qubit_properties[6].t1 is None
    assert target["measure"][(6,)] is None
    assert target["measure"][(0,)].error is not None


def test_variants_do_not_mutate_the_callers_payload() -> None:
    conf, props = _by_id("lagos").conf(), _by_id("lagos").props()
    before = copy.deepcopy((conf, props))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        qtargets.from_ibm(conf, props)
    assert (conf, props) == before
