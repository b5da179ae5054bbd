"""qtargets.to_pytket: a calibration as a pytket BackendInfo that TKET's noise-aware placement,
routing and rebasing run on, with the calibration's own numbers.

Every number checked here is read from the bundled real calibrations (IBM snapshots from
qiskit-ibm-runtime, IonQ's published figures); variants change one thing of a real one.
"""

from __future__ import annotations

import dataclasses
import math
import sys
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest

pytest.importorskip("pytket")

from pytket import Circuit, OpType
from pytket.architecture import Architecture, FullyConnected
from pytket.backends.backendinfo import BackendInfo
from pytket.circuit import Node, Qubit
from pytket.passes import (
    AutoRebase,
    FullPeepholeOptimise,
    PlacementPass,
    RoutingPass,
    SequencePass,
)
from pytket.placement import NoiseAwarePlacement, place_fully_connected, place_with_map
from pytket.predicates import CompilationUnit, ConnectivityPredicate, GateSetPredicate
from qiskit.circuit.library import get_standard_gate_name_mapping
from qiskit.quantum_info import Operator

import qtargets
from qtargets import (
    BackendInputError,
    Calibration,
    InstructionCalibration,
    MissingDependencyError,
    QTargetsWarning,
)
from qtargets.ionq.gates import GPI2Gate, GPIGate, MSGate, ZZGate
from qtargets.tket import OPTYPES, WITHOUT_OPTYPE, to_pytket

FEZ_ISOLATED = "qubit\\(s\\) 32, 80 have no working coupler"
"""On ibm_fez (2025-02-26) every coupler of qubits 32 and 80 reports error 1."""


def _fez_info(cal: Calibration | str = "ibm_fez", **kwargs: Any) -> BackendInfo:
    with pytest.warns(QTargetsWarning, match=FEZ_ISOLATED):
        return to_pytket(cal, **kwargs)


@pytest.fixture(scope="module")
def fez() -> Calibration:
    return qtargets.load_calibration("ibm_fez")


@pytest.fixture(scope="module")
def fez_info(fez: Calibration) -> BackendInfo:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", QTargetsWarning)  # asserted in its own test
        return to_pytket(fez)


def _links(cal: Calibration, gate: str, dead: bool) -> set[tuple[int, int]]:
    return {(g.qubits[0], g.qubits[1]) for g in cal.instruction(gate).qargs or ()
            if (g.error is not None and g.error >= 1.0) == dead}


def _node_ids(nodes: Any) -> set[int]:
    return {node.index[0] for node in nodes}


def _variant(cal: Calibration, name: str, change: Callable[[Any], Any]) -> Calibration:
    """``cal`` with instruction ``name``'s qargs entries passed through ``change``."""
    instructions = tuple(
        dataclasses.replace(inst, qargs=tuple(change(g) for g in inst.qargs or ()))
        if inst.name == name else inst for inst in cal.instructions)
    return dataclasses.replace(cal, instructions=instructions)


# -- architecture ------------------------------------------------------------------------------


def test_the_architecture_is_the_calibrations_coupling_without_its_dead_couplers(
        fez: Calibration, fez_info: BackendInfo) -> None:
    arch = fez_info.architecture
    assert isinstance(arch, Architecture)
    coupling = {(a.index[0], b.index[0]) for a, b in arch.coupling}
    assert coupling == _links(fez, "cz", dead=False)
    assert len(coupling) == 352 - 14  # 7 dead pairs, both directions
    dead = _links(fez, "cz", dead=True)
    assert {(84, 85)} <= _links(qtargets.load_calibration("ibm_boston"), "cz", dead=True)
    assert dead.isdisjoint(coupling)
    assert sorted(tuple(p) for p in fez_info.misc["faulty"]["couplers"]) == sorted(dead)
    assert all(node.reg_name == "node" for node in arch.nodes)


def test_a_qubit_whose_couplers_are_all_dead_is_left_out_with_a_warning(
        fez: Calibration) -> None:
    info = _fez_info(fez)
    assert {32, 80}.isdisjoint(_node_ids(info.nodes))
    assert info.n_nodes == 154
    assert info.misc["faulty"]["isolated_qubits"] == [32, 80]
    for table in (info.all_node_gate_errors, info.all_readout_errors,
                  info.averaged_readout_errors):
        assert table is not None
        assert {32, 80}.isdisjoint(_node_ids(table))


def test_a_directed_device_keeps_the_directions_its_calibration_has() -> None:
    sherbrooke = qtargets.load_calibration("ibm_sherbrooke")
    with pytest.warns(QTargetsWarning, match="6, 56, 84 have no working coupler"):
        info = to_pytket(sherbrooke)
    assert isinstance(info.architecture, Architecture)
    coupling = {(a.index[0], b.index[0]) for a, b in info.architecture.coupling}
    assert coupling == _links(sherbrooke, "ecr", dead=False)
    assert (41, 40) in coupling
    assert (40, 41) not in coupling
    assert info.all_edge_gate_errors is not None
    assert (Node(40), Node(41)) not in info.all_edge_gate_errors  # no invented direction
    assert OpType.ECR in info.gate_set


@pytest.mark.parametrize(("device", "two_qubit", "optype"),
                         [("qpu.aria-1", "ms", OpType.AAMS),
                          ("qpu.forte-1", "zz", OpType.ZZPhase)])
def test_an_all_to_all_ion_trap_is_fully_connected(device: str, two_qubit: str,
                                                   optype: OpType) -> None:
    cal = qtargets.load_calibration(device)
    info = to_pytket(device)
    assert isinstance(info.architecture, FullyConnected)
    assert _node_ids(info.nodes) == set(range(cal.num_qubits))
    assert info.gate_set == {OpType.GPI, OpType.GPI2, optype, OpType.Measure}
    entries = cal.instruction(two_qubit).qargs or ()
    assert info.all_edge_gate_errors is not None
    assert len(info.all_edge_gate_errors) == len(entries) == cal.num_qubits * (
        cal.num_qubits - 1)
    for g in entries:
        assert info.all_edge_gate_errors[(Node(g.qubits[0]), Node(g.qubits[1]))] == {
            optype: g.error}


def test_a_two_qubit_gate_on_any_pair_makes_the_device_fully_connected() -> None:
    aria = qtargets.load_calibration("qpu.aria-1")
    global_ms = dataclasses.replace(aria, instructions=tuple(
        dataclasses.replace(inst, qargs=None) if inst.name == "ms" else inst
        for inst in aria.instructions))
    info = to_pytket(global_ms)
    assert isinstance(info.architecture, FullyConnected)
    assert info.all_edge_gate_errors == {}  # no numbers for a gate given on no pair


def test_the_nodes_register_can_be_named(fez: Calibration) -> None:
    info = to_pytket("qpu.aria-1", label="q")
    assert info.nodes[0] == Node("q", 0)
    assert info.averaged_readout_errors is not None
    assert Node("q", 3) in info.averaged_readout_errors
    assert _fez_info(fez, label="q").nodes[0].reg_name == "q"


# -- numbers ------------------------------------------------------------------------------------


def test_gate_errors_are_the_calibrations_per_optype_and_averaged_as_pytket_qiskit_does(
        fez: Calibration, fez_info: BackendInfo) -> None:
    sx = {g.qubits[0]: g.error for g in fez.instruction("sx").qargs or ()}
    assert fez_info.all_node_gate_errors is not None
    assert fez_info.averaged_node_gate_errors is not None
    for q in (0, 1, 77, 155):
        errors = fez_info.all_node_gate_errors[Node(q)]
        assert errors[OpType.SX] == sx[q] == errors[OpType.X] == errors[OpType.noop]
        assert errors[OpType.Rz] == 0.0
        assert set(errors) == {OpType.SX, OpType.X, OpType.noop, OpType.Rz}
        # the mean over the node's gates, rz's 0 included (pytket-qiskit's average)
        assert fez_info.averaged_node_gate_errors[Node(q)] == pytest.approx(0.75 * sx[q])
    assert fez_info.all_node_gate_errors[Node(0)][OpType.SX] == 0.0007640689403641555
    cz = {g.qubits: g.error for g in fez.instruction("cz").qargs or ()}
    assert fez_info.all_edge_gate_errors is not None
    assert fez_info.averaged_edge_gate_errors is not None
    for pair in ((72, 73), (73, 72), (0, 1)):
        link = (Node(pair[0]), Node(pair[1]))
        assert fez_info.all_edge_gate_errors[link] == {OpType.CZ: cz[pair]}
        assert fez_info.averaged_edge_gate_errors[link] == cz[pair]
    assert fez_info.all_edge_gate_errors[(Node(72), Node(73))][OpType.CZ] == (
        0.027903006224195892)


def test_readout_matrices_are_asymmetric_where_the_calibration_is(
        fez: Calibration, fez_info: BackendInfo) -> None:
    assert fez_info.all_readout_errors is not None
    assert fez_info.averaged_readout_errors is not None
    # ibm_fez qubit 0: P(0|1) = 0.017578125, P(1|0) = 0.00537109375
    assert fez_info.all_readout_errors[Node(0)] == [[1 - 0.00537109375, 0.00537109375],
                                                     [0.017578125, 1 - 0.017578125]]
    for q in (0, 1, 100):
        qubit = fez.qubits[q]
        matrix = fez_info.all_readout_errors[Node(q)]
        assert matrix[0][1] == qubit.prob_meas1_prep0
        assert matrix[1][0] == qubit.prob_meas0_prep1
        assert all(math.isclose(sum(row), 1.0) for row in matrix)
        # IBM's readout_error is the mean of the two
        assert fez_info.averaged_readout_errors[Node(q)] == pytest.approx(qubit.readout_error)


def test_readout_is_symmetric_where_only_readout_error_is_known() -> None:
    aria = qtargets.load_calibration("qpu.aria-1")
    info = to_pytket(aria)
    e = aria.qubits[4].readout_error
    assert e == pytest.approx(0.0063)  # IonQ Aria: SPAM 99.37%
    assert info.all_readout_errors is not None
    assert info.averaged_readout_errors is not None
    assert info.all_readout_errors[Node(4)] == [[1 - e, e], [e, 1 - e]]
    assert info.averaged_readout_errors[Node(4)] == e


def test_unknown_numbers_are_left_out_not_made_up() -> None:
    info = to_pytket("qpu.forte-enterprise-1")  # IonQ publishes only its qubit count
    assert info.n_nodes == 36
    assert info.all_node_gate_errors == info.all_edge_gate_errors == {}
    assert info.all_readout_errors == info.averaged_readout_errors == {}
    assert info.misc["characterisation"] == {"t1times": [], "t2times": [], "Frequencies": [],
                                             "GateTimes": []}


def test_misc_holds_pytket_qiskits_characterisation_in_its_units(
        fez_info: BackendInfo) -> None:
    forte = qtargets.load_calibration("qpu.forte-1")
    characterisation = to_pytket(forte).misc["characterisation"]
    assert characterisation["t1times"][0] == [0, pytest.approx(100 * 1e6)]  # 100 s, in us
    assert characterisation["t2times"][0] == [0, pytest.approx(1e6)]
    assert ["zz", [0, 1], pytest.approx(970_000.0)] in characterisation["GateTimes"]  # ns
    sherbrooke = qtargets.load_calibration("ibm_sherbrooke")
    with pytest.warns(QTargetsWarning):
        frequencies = to_pytket(sherbrooke).misc["characterisation"]["Frequencies"]
    assert frequencies[0] == [0, pytest.approx(4.635649684403261)]  # GHz
    fez = fez_info.misc
    assert ["cz", [72, 73], pytest.approx(84.0)] in fez["characterisation"]["GateTimes"]
    assert fez["calibration"]["backend_name"] == "ibm_fez"
    assert fez["calibration"]["taken_at"] == "2025-02-26T20:16:25+00:00"
    assert fez_info.device_name == "ibm_fez"
    assert fez_info.version == qtargets.__version__


# -- faults and the gate set --------------------------------------------------------------------


def test_a_faulty_qubit_and_a_faulty_gate_are_left_out_everywhere(fez: Calibration) -> None:
    qubits = list(fez.qubits)
    qubits[10] = dataclasses.replace(qubits[10], operational=False)
    variant = _variant(dataclasses.replace(fez, qubits=tuple(qubits)), "cz",
                       lambda g: g._replace(operational=False)
                       if set(g.qubits) == {72, 73} else g)
    info = _fez_info(variant)
    assert 10 not in _node_ids(info.nodes)
    assert info.misc["faulty"]["qubits"] == [10]
    assert info.all_node_gate_errors is not None
    assert info.all_readout_errors is not None
    assert Node(10) not in info.all_node_gate_errors
    assert Node(10) not in info.all_readout_errors
    assert isinstance(info.architecture, Architecture)
    coupling = {(a.index[0], b.index[0]) for a, b in info.architecture.coupling}
    assert not any(10 in pair for pair in coupling)
    assert (72, 73) not in coupling
    assert (73, 72) not in coupling
    assert [72, 73] in info.misc["faulty"]["couplers"]


def test_the_gate_set_maps_each_instruction_and_records_what_it_leaves_out(
        fez_info: BackendInfo) -> None:
    assert fez_info.gate_set == {OpType.CZ, OpType.noop, OpType.Rz, OpType.SX, OpType.X,
                                 OpType.Measure, OpType.Reset,
                                 OpType.Conditional, OpType.RangePredicate}  # if_else
    assert fez_info.supports_fast_feedforward
    assert fez_info.supports_reset
    assert fez_info.supports_midcircuit_measurement
    assert fez_info.misc["left_out"] == ["delay", "for_loop", "switch_case"]
    aria = to_pytket("qpu.aria-1")
    assert not aria.supports_fast_feedforward
    assert not aria.supports_reset


def test_an_unknown_instruction_gets_one_warning_naming_every_such_name() -> None:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        info = to_pytket("ibm_boston")
    assert [str(w.message) for w in caught] == [
        "ibm_boston: no pytket OpType for 'measure_2', 'reset_2': left out of the "
        "BackendInfo's gate set and error tables"]
    assert caught[0].category is QTargetsWarning
    assert Path(caught[0].filename).resolve() == Path(__file__).resolve()  # the user's line
    assert {"measure_2", "reset_2"} <= set(info.misc["left_out"])


def test_a_gate_with_angle_bounds_is_left_out_with_a_warning(fez: Calibration) -> None:
    # IBM's fractional rzz (its real bounds: 0 to pi/2) on the pairs fez calibrates cz on
    rzz = InstructionCalibration(name="rzz", kind="gate", num_qubits=2, parameters=("θ",),
                                 qargs=fez.instruction("cz").qargs, fractional=True,
                                 angle_bounds=((0.0, math.pi / 2),))
    variant = dataclasses.replace(fez, instructions=(*fez.instructions, rzz))
    with pytest.warns(QTargetsWarning, match="'rzz' only take"):
        info = _fez_info(variant)
    assert OpType.ZZPhase not in info.gate_set
    assert info.all_edge_gate_errors is not None
    assert all(set(e) == {OpType.CZ} for e in info.all_edge_gate_errors.values())


def test_every_mapped_name_is_a_pytket_optype() -> None:
    for name, optype in OPTYPES.items():
        assert OpType.from_name(optype).name == optype, name
    assert not WITHOUT_OPTYPE & set(OPTYPES)


# -- the gates are the same gates ---------------------------------------------------------------


def _pytket_unitary(optype: OpType, params: list[float], n: int) -> np.ndarray:
    circuit = Circuit(n)
    circuit.add_gate(optype, params, list(range(n)))
    return circuit.get_unitary()


def _qiskit_unitary(gate: Any) -> np.ndarray:
    # pytket's unitaries are big-endian (qubit 0 most significant), qiskit's little-endian
    return Operator(gate).reverse_qargs().data


IONQ_IN_HALF_TURNS: dict[str, Callable[[list[float]], list[float]]] = {
    "gpi": lambda p: [2 * p[0]],
    "gpi2": lambda p: [2 * p[0]],
    "ms": lambda p: [2 * p[2], 2 * p[0], 2 * p[1]],  # MS(φ0, φ1, θ) is AAMS(2θ, 2φ0, 2φ1)
    "zz": lambda p: [2 * p[0]],
}


@pytest.mark.parametrize(("gate_class", "params"), [
    (GPIGate, [0.0]), (GPIGate, [0.137]), (GPIGate, [-0.61]),
    (GPI2Gate, [0.0]), (GPI2Gate, [0.25]), (GPI2Gate, [0.8123]),
    (MSGate, [0.0, 0.0, 0.25]), (MSGate, [0.137, 0.61, 0.19]), (MSGate, [0.9, -0.3, 0.05]),
    (ZZGate, [0.25]), (ZZGate, [-0.07]), (ZZGate, [0.19]),
])
def test_ionq_native_gates_are_exactly_their_pytket_optypes(gate_class: Any,
                                                           params: list[float]) -> None:
    gate = gate_class(*params)
    optype = OpType.from_name(OPTYPES[gate.name])
    ours = _pytket_unitary(optype, IONQ_IN_HALF_TURNS[gate.name](params), gate.num_qubits)
    np.testing.assert_allclose(ours, _qiskit_unitary(gate), atol=1e-12)


def test_every_qiskit_gate_in_the_mapping_is_its_optype_with_angles_in_half_turns() -> None:
    rng = np.random.default_rng(7)
    standard = get_standard_gate_name_mapping()
    checked = []
    for name, optype_name in OPTYPES.items():
        if name in IONQ_IN_HALF_TURNS or name in ("measure", "reset", "barrier"):
            continue
        angles = list(rng.uniform(-math.pi, math.pi, len(standard[name].params)))
        gate = standard[name].base_class(*angles)
        ours = _pytket_unitary(OpType.from_name(optype_name),
                               [a / math.pi for a in angles], gate.num_qubits)
        np.testing.assert_allclose(ours, _qiskit_unitary(gate), atol=1e-12, err_msg=name)
        checked.append(name)
    assert {"cz", "ecr", "cx", "sx", "x", "rz", "id", "rzz"} <= set(checked)


# -- TKET on this BackendInfo -------------------------------------------------------------------


def _placement(info: BackendInfo) -> NoiseAwarePlacement:
    assert isinstance(info.architecture, Architecture)
    return NoiseAwarePlacement(info.architecture, info.averaged_node_gate_errors,
                               info.averaged_edge_gate_errors, info.averaged_readout_errors)


def _ghz3() -> Circuit:
    return Circuit(3).H(0).CX(0, 1).CX(1, 2).measure_all()


def _cost(info: BackendInfo, mapping: dict[Qubit, Node]) -> float:
    """Readout of each qubit plus the error of the two links the GHZ chain uses (a missing
    link counts as 1: the trivial placement may not be connected)."""
    assert info.averaged_readout_errors is not None
    assert info.averaged_edge_gate_errors is not None
    readout = sum(info.averaged_readout_errors[mapping[Qubit(i)]] for i in range(3))
    links = sum(info.averaged_edge_gate_errors.get((mapping[Qubit(a)], mapping[Qubit(b)]), 1.0)
                for a, b in ((0, 1), (1, 2)))
    return readout + links


@pytest.mark.parametrize("device", ["ibm_fez", "ibm_boston", "ibm_torino"])
def test_noise_aware_placement_beats_the_trivial_one(device: str) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", QTargetsWarning)  # the isolated qubits
        info = to_pytket(device)
    mapping = _placement(info).get_placement_map(_ghz3())
    trivial = {Qubit(i): Node(i) for i in range(3)}
    assert _cost(info, mapping) < _cost(info, trivial)
    assert info.averaged_edge_gate_errors is not None
    for a, b in ((0, 1), (1, 2)):  # placed on working links, both ways
        assert (mapping[Qubit(a)], mapping[Qubit(b)]) in info.averaged_edge_gate_errors


def test_noise_aware_placement_follows_the_calibrations_numbers(fez: Calibration,
                                                                fez_info: BackendInfo) -> None:
    chosen = _node_ids(_placement(fez_info).get_placement_map(_ghz3()).values())
    # the same day, but every coupler at the qubits TKET chose is now poor
    worse = _variant(fez, "cz", lambda g: g._replace(error=0.3)
                     if chosen & set(g.qubits) and g.error < 1.0 else g)
    moved = _node_ids(_placement(_fez_info(worse)).get_placement_map(_ghz3()).values())
    assert moved.isdisjoint(chosen)


def test_routing_goes_around_a_dead_coupler() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", QTargetsWarning)
        info = to_pytket("ibm_boston")  # ibm_boston's coupler 84-85 reports error 1
    circuit = Circuit(2).CZ(0, 1)
    place_with_map(circuit, {Qubit(0): Node(84), Qubit(1): Node(85)})
    RoutingPass(info.architecture).apply(circuit)
    pairs = [_node_ids(cmd.qubits) for cmd in circuit.get_commands()]
    assert {84, 85} not in pairs
    assert any(cmd.op.type == OpType.SWAP for cmd in circuit.get_commands())


@pytest.mark.parametrize("device", ["ibm_fez", "ibm_boston"])
def test_a_full_tket_compilation_is_valid_on_the_device(device: str) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", QTargetsWarning)
        info = to_pytket(device)
    circuit = Circuit(4).H(0).CX(0, 1).CX(1, 2).CX(2, 3).CX(3, 0).Ry(0.3, 2).CRz(0.4, 0, 2)
    circuit.measure_all()
    unit = CompilationUnit(circuit)
    primitive = {OpType.CZ, OpType.Rz, OpType.SX, OpType.X}
    assert primitive <= info.gate_set
    SequencePass([FullPeepholeOptimise(), PlacementPass(_placement(info)),
                  RoutingPass(info.architecture), AutoRebase(primitive)]).apply(unit)
    compiled = unit.circuit
    assert ConnectivityPredicate(info.architecture).verify(compiled)
    assert GateSetPredicate(info.gate_set).verify(compiled)
    dead = {frozenset(p) for p in info.misc["faulty"]["couplers"]}
    used = {frozenset(_node_ids(cmd.qubits)) for cmd in compiled.get_commands()
            if cmd.op.type == OpType.CZ}
    assert used
    assert used.isdisjoint(dead)


@pytest.mark.parametrize("device", ["qpu.aria-1", "qpu.forte-1"])
def test_a_tket_compilation_to_ionq_natives_keeps_the_unitary(device: str) -> None:
    info = to_pytket(device)
    circuit = Circuit(3).H(0).CX(0, 1).CX(1, 2).Rz(0.3, 2).CRy(0.2, 0, 2)
    compiled = circuit.copy()
    FullPeepholeOptimise().apply(compiled)
    assert isinstance(info.architecture, FullyConnected)
    place_fully_connected(compiled, info.architecture)
    AutoRebase(info.gate_set - {OpType.Measure}).apply(compiled)
    assert GateSetPredicate(info.gate_set).verify(compiled)
    before, after = circuit.get_unitary(), compiled.get_unitary()
    phase = np.vdot(after.flatten(), before.flatten()) / np.vdot(after.flatten(),
                                                                 after.flatten())
    np.testing.assert_allclose(after * phase, before, atol=1e-9)


# -- forms and failures -------------------------------------------------------------------------


def test_every_device_form_the_resolver_takes(tmp_path: Path) -> None:
    aria = qtargets.load_calibration("qpu.aria-1")
    path = tmp_path / "aria.json"
    path.write_text(aria.to_json())
    for form in ("qpu.aria-1", path, str(path), aria, qtargets.backend(aria)):
        info = to_pytket(form)
        assert info.device_name == "qpu.aria-1"
        assert info.n_nodes == 25
    with pytest.raises(BackendInputError, match="to_pytket needs a calibration"):
        to_pytket(qtargets.build_target(aria))
    assert qtargets.to_pytket is to_pytket


def test_without_pytket_the_error_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    for loaded in [m for m in sys.modules if m == "pytket" or m.startswith("pytket.")]:
        monkeypatch.setitem(sys.modules, loaded, None)
    with pytest.raises(MissingDependencyError,
                       match=r"pytket BackendInfo needs pytket: pip install 'qtargets\[tket\]'"
                       ) as caught:
        to_pytket("qpu.aria-1")
    assert isinstance(caught.value, ImportError)
