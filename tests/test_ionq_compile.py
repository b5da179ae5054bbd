"""Compiling to IonQ natives: exact, native-only and compact (qtargets.ionq.passes and .plugin).

Equivalence is checked exactly: unitaries with ``Operator.from_circuit`` (layout and final
permutation accounted for), measured circuits by their exact outcome distribution, from a
small branching state-vector simulator that also handles mid-circuit measurements.
"""

from __future__ import annotations

import math
from collections.abc import Iterator

import numpy as np
import pytest
from qiskit import ClassicalRegister, QuantumCircuit, QuantumRegister, transpile
from qiskit.circuit import IfElseOp, Parameter, Reset
from qiskit.circuit.library import RXXGate, RZZGate
from qiskit.circuit.random import random_circuit
from qiskit.quantum_info import Operator, Statevector
from qiskit.transpiler import StagedPassManager, Target, TranspilerError
from qiskit.transpiler.preset_passmanagers.plugin import list_stage_plugins

import qtargets
from outcomes import outcome_distribution
from qtargets.ionq.gates import GPI2Gate, GPIGate, MSGate, ZZGate
from qtargets.ionq.passes import (
    Entangler,
    FoldEntanglerAngles,
    IntermediateGate,
    IntermediateToNative,
    NativeToIntermediate,
    Step,
    _FramePlan,
    fold_entangler,
)
from qtargets.ionq.plugin import (
    PLUGIN_NAME,
    IonQOptimizationPlugin,
    IonQTranslationPlugin,
    entangler_of,
    intermediate_target,
    ionq_pass_manager,
)

FIDELITY = {"spam": {"mean": 0.9937}, "1q": {"mean": 0.9998}, "2q": {"mean": 0.9872}}
TIMING = {"readout": 3e-4, "1q": 1.35e-4, "2q": 6e-4, "t1": 100, "t2": 1}


def ionq_target(backend: str, qubits: int, connectivity: list[list[int]] | None = None) -> Target:
    payload: dict[str, object] = {"backend": backend, "qubits": qubits, "date": 1700000000,
                                  "fidelity": FIDELITY, "timing": TIMING}
    if connectivity is not None:
        payload["connectivity"] = connectivity
    return qtargets.from_ionq(payload)


ARIA = ionq_target("qpu.aria-1", 8)  # MS, all-to-all
FORTE = ionq_target("qpu.forte-1", 8)  # ZZ, all-to-all
ARIA_LINE = ionq_target("qpu.aria-1", 5, [[0, 1], [1, 2], [2, 3], [3, 4]])
FORTE_RING = ionq_target("qpu.forte-1", 6, [[0, 1], [1, 2], [2, 3], [3, 4], [4, 5], [5, 0]])
NATIVE = {"ms": {"gpi", "gpi2", "ms", "measure", "barrier"},
          "zz": {"gpi", "gpi2", "zz", "measure", "barrier"}}

_PASS_MANAGERS: dict[tuple[int, int], StagedPassManager] = {}


def compile_for(target: Target, circuit: QuantumCircuit, level: int) -> QuantumCircuit:
    key = (id(target), level)
    if key not in _PASS_MANAGERS:
        _PASS_MANAGERS[key] = ionq_pass_manager(target, level, seed=11)
    out: QuantumCircuit = _PASS_MANAGERS[key].run(circuit)
    return out


# --- exact checks -----------------------------------------------------------------------------


def assert_same_outcomes(expected: QuantumCircuit, actual: QuantumCircuit) -> None:
    want, got = outcome_distribution(expected), outcome_distribution(actual)
    for key in set(want) | set(got):
        assert got.get(key, 0.0) == pytest.approx(want.get(key, 0.0), abs=1e-9), key


def assert_same_unitary(expected: QuantumCircuit, actual: QuantumCircuit) -> None:
    """Equal up to global phase, ``actual`` being compiled (layout, ancillas, permutation)."""
    padded = QuantumCircuit(actual.num_qubits)
    padded.compose(expected, range(expected.num_qubits), inplace=True)
    assert Operator.from_circuit(actual).equiv(Operator(padded))


def assert_native(circuit: QuantumCircuit, entangler: Entangler) -> None:
    assert set(circuit.count_ops()) <= NATIVE[entangler], circuit.count_ops()
    for inst in circuit.data:
        if inst.operation.name in ("ms", "zz"):
            theta = float(inst.operation.params[-1])
            assert 0 < theta <= 0.25 + 1e-12, theta  # IonQ's native range, in turns


def pulses(circuit: QuantumCircuit) -> int:
    ops = circuit.count_ops()
    return int(ops.get("gpi", 0) + ops.get("gpi2", 0))


def single_qubit(*gates: tuple[str, tuple[float, ...]]) -> QuantumCircuit:
    qc = QuantumCircuit(1)
    for name, params in gates:
        getattr(qc, name)(*params, 0)
    return qc


def test_the_reference_simulator_agrees_with_qiskit() -> None:
    circuit = random_circuit(4, 5, max_operands=3, seed=5)
    expected = Statevector(circuit).probabilities_dict()
    circuit.measure_all()
    assert outcome_distribution(circuit) == pytest.approx(
        {k: v for k, v in expected.items() if v > 1e-12}
    )
    qc = QuantumCircuit(2, 2)
    qc.x(0)
    qc.h(1)
    qc.reset(0)
    qc.measure([0, 1], [0, 1])
    assert outcome_distribution(qc) == pytest.approx({"00": 0.5, "10": 0.5})


# --- angle folding ----------------------------------------------------------------------------

FOLD_ANGLES = [math.pi / 2, -math.pi / 2, math.pi, -math.pi, 3 * math.pi / 4, -3 * math.pi / 4,
               -0.1, 0.1, 0.0, 2 * math.pi + 0.3, -5 * math.pi + 0.2, 4 * math.pi, 7.0]


def steps_circuit(steps: list[Step], phase: float) -> QuantumCircuit:
    qc = QuantumCircuit(2, global_phase=phase)
    for name, params, positions in steps:
        getattr(qc, name)(*params, *positions)
    return qc


@pytest.mark.parametrize("angle", FOLD_ANGLES)
@pytest.mark.parametrize("kind", ["rxx", "rzz"])
def test_fold_is_exact_and_lands_in_ionqs_range(kind: IntermediateGate, angle: float) -> None:
    steps, phase = fold_entangler(kind, angle)
    gate = RXXGate(angle) if kind == "rxx" else RZZGate(angle)
    assert Operator(steps_circuit(steps, phase)) == Operator(gate)  # global phase included
    interactions = [params[0] for name, params, _ in steps if name == kind]
    assert len(interactions) <= 1
    for t in interactions:
        assert 0 < abs(t) <= math.pi / 2
        assert kind == "rxx" or t > 0


def test_fold_leaves_in_range_angles_alone_and_drops_identities() -> None:
    assert fold_entangler("rxx", -0.1) == ([("rxx", (-0.1,), (0, 1))], 0.0)
    assert fold_entangler("rxx", math.pi / 2) == ([("rxx", (math.pi / 2,), (0, 1))], 0.0)
    assert fold_entangler("rxx", 0.0) == ([], 0.0)
    assert fold_entangler("rzz", 2 * math.pi)[0] == []  # -identity
    assert [name for name, *_ in fold_entangler("rxx", math.pi)[0]] == ["x", "x"]
    assert [name for name, *_ in fold_entangler("rzz", -math.pi)[0]] == ["rz", "rz"]


def test_a_negative_zz_angle_becomes_an_x_conjugation() -> None:
    steps, phase = fold_entangler("rzz", -0.1)
    assert steps == [("x", (), (0,)), ("rzz", (0.1,), (0, 1)), ("x", (), (0,))]
    assert phase == 0.0


@pytest.mark.parametrize("kind", ["rxx", "rzz"])
def test_fold_pass_is_exact_and_keeps_unbound_angles(kind: IntermediateGate) -> None:
    theta = Parameter("θ")
    qc = QuantumCircuit(3)
    for i, angle in enumerate(FOLD_ANGLES):
        getattr(qc, kind)(angle, i % 3, (i + 1) % 3)
        qc.sx(i % 3)
    getattr(qc, kind)(theta, 0, 2)
    out = FoldEntanglerAngles(kind)(qc)
    bound = {theta: 2.5}
    assert Operator(out.assign_parameters(bound)) == Operator(qc.assign_parameters(bound))
    unbound = [inst for inst in out.data if inst.operation.is_parameterized()]
    assert len(unbound) == 1  # left as it was
    for inst in out.data:
        if inst.operation.name == kind and not inst.operation.is_parameterized():
            t = float(inst.operation.params[0])
            assert 0 < abs(t) <= math.pi / 2
            assert kind == "rxx" or t > 0


# --- native -> intermediate -------------------------------------------------------------------


def random_native_circuit(
    seed: int, entangler: Entangler, n: int = 3, size: int = 24
) -> QuantumCircuit:
    rng = np.random.default_rng(seed)
    qc = QuantumCircuit(n)
    for _ in range(size):
        kind = rng.integers(3)
        phi = float(rng.uniform(-1.5, 1.5))
        if kind == 0:
            qc.append(GPIGate(phi), [int(rng.integers(n))])
        elif kind == 1:
            qc.append(GPI2Gate(phi), [int(rng.integers(n))])
        else:
            a, b = (int(q) for q in rng.choice(n, 2, replace=False))
            theta = float(rng.uniform(-0.6, 0.6))
            gate = MSGate(phi, float(rng.uniform(-1, 1)), theta) if entangler == "ms" else (
                ZZGate(theta))
            qc.append(gate, [a, b])
    return qc


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("entangler", ["ms", "zz"])
def test_native_to_intermediate_is_exact(seed: int, entangler: Entangler) -> None:
    qc = random_native_circuit(seed, entangler)
    out = NativeToIntermediate()(qc)
    assert set(out.count_ops()) <= {"rz", "sx", "x", "rxx", "rzz"}
    assert Operator(out) == Operator(qc)


def test_native_to_intermediate_moves_x_through_zz_instead_of_keeping_it() -> None:
    # The X pulses that only made a ZZ angle positive: GPI(0)·ZZ(θ)·GPI(0) = RZZ(-2πθ).
    qc = QuantumCircuit(2)
    qc.append(GPIGate(0), [0])
    qc.append(ZZGate(0.1), [0, 1])
    qc.append(GPIGate(0), [0])
    out = NativeToIntermediate()(qc)
    assert dict(out.count_ops()) == {"rzz": 1}
    assert Operator(out) == Operator(qc)


def test_native_to_intermediate_settles_x_before_a_measurement() -> None:
    qc = QuantumCircuit(1, 1)
    qc.append(GPIGate(0.3), [0])
    qc.measure(0, 0)
    out = NativeToIntermediate()(qc)
    assert [inst.operation.name for inst in out.data][-2:] == ["x", "measure"]
    assert_same_outcomes(qc, out)


def test_native_to_intermediate_recurses_into_control_flow() -> None:
    body = QuantumCircuit(1)
    body.append(GPI2Gate(0.2), [0])
    qc = QuantumCircuit(1, 1)
    qc.measure(0, 0)
    qc.append(IfElseOp((qc.clbits[0], 1), body), [0], [])
    out = NativeToIntermediate()(qc)
    (block,) = out.data[-1].operation.blocks
    assert set(block.count_ops()) == {"rz", "sx"}


# --- intermediate -> native: phase tracking ---------------------------------------------------


def to_native(qc: QuantumCircuit, entangler: Entangler = "ms") -> QuantumCircuit:
    out: QuantumCircuit = IntermediateToNative(entangler)(qc)
    return out


def test_a_z_rotation_before_sx_shifts_the_gpi2_phase() -> None:
    qc = single_qubit(("rz", (0.8,)), ("sx", ()))
    out = to_native(qc)
    # The pending Rz(0.8) merges with the gpi2 into gpi2 + gpi (not gpi2 + two gpi).
    assert [inst.operation.name for inst in out.data] == ["gpi2", "gpi"]
    assert Operator(out) == Operator(qc)  # exact, global phase included
    qc.measure_all()
    out = to_native(qc)
    assert [inst.operation.name for inst in out.data] == ["gpi2", "barrier", "measure"]
    assert float(out.data[0].operation.params[0]) == pytest.approx((-0.8 / (2 * math.pi)) % 1)


@pytest.mark.parametrize("beta", [0.3, -2.0, math.pi, 5.0])
def test_a_pending_z_rotation_at_the_end_is_two_gpis(beta: float) -> None:
    qc = single_qubit(("rz", (beta,)))
    out = to_native(qc)
    assert dict(out.count_ops()) == {"gpi": 2}
    assert Operator(out) == Operator(qc)


def test_a_full_turn_of_frame_is_a_global_phase_only() -> None:
    qc = single_qubit(("rz", (math.pi,)), ("rz", (math.pi,)))  # Rz(2π) = -I
    out = to_native(qc)
    assert len(out.data) == 0
    assert Operator(out) == Operator(qc)


def test_x_gates_are_free_frame_flips() -> None:
    qc = single_qubit(("x", ()), ("rz", (0.4,)), ("sx", ()), ("x", ()), ("sx", ()), ("x", ()))
    out = to_native(qc)
    assert out.count_ops()["gpi2"] == 2
    assert pulses(out) == 3  # the two sx, and the pending X·Rz at the end as one gpi
    assert Operator(out) == Operator(qc)


def test_a_frame_is_dropped_at_a_measurement() -> None:
    qc = QuantumCircuit(1, 1)
    qc.sx(0)
    qc.rz(0.7, 0)
    qc.measure(0, 0)
    out = to_native(qc)
    assert [inst.operation.name for inst in out.data] == ["gpi2", "measure"]
    assert_same_outcomes(qc, out)


def test_an_x_before_a_measurement_merges_into_the_previous_pulse() -> None:
    qc = QuantumCircuit(1, 1)
    qc.sx(0)
    qc.rz(0.3, 0)
    qc.x(0)
    qc.measure(0, 0)
    out = to_native(qc)
    assert [inst.operation.name for inst in out.data] == ["gpi2", "measure"]
    assert_same_outcomes(qc, out)


def test_an_x_on_a_fresh_qubit_before_a_measurement_costs_one_pulse() -> None:
    qc = QuantumCircuit(1, 1)
    qc.x(0)
    qc.measure(0, 0)
    out = to_native(qc)
    assert [inst.operation.name for inst in out.data] == ["gpi", "measure"]
    assert_same_outcomes(qc, out)


def test_frames_pass_through_barriers() -> None:
    qc = single_qubit(("rz", (0.3,)))
    qc.barrier()
    qc.sx(0)
    qc.measure_all()
    out = to_native(qc)
    names = [inst.operation.name for inst in out.data]
    assert names == ["barrier", "gpi2", "barrier", "measure"]
    assert float(out.data[1].operation.params[0]) == pytest.approx((-0.3 / (2 * math.pi)) % 1)


def test_rxx_becomes_ms_with_the_frames_as_phases_and_a_negative_angle_for_free() -> None:
    qc = QuantumCircuit(2)
    qc.rz(0.5, 0)
    qc.rz(-1.1, 1)
    qc.rxx(-0.4, 0, 1)
    qc.measure_all()
    out = to_native(qc)
    (ms,) = [inst.operation for inst in out.data if inst.operation.name == "ms"]
    phi0, phi1, theta = (float(p) for p in ms.params)
    assert theta == pytest.approx(0.4 / (2 * math.pi))
    assert phi0 == pytest.approx((0.5 - 0.5 / (2 * math.pi)) % 1)
    assert phi1 == pytest.approx((1.1 / (2 * math.pi)) % 1)
    assert pulses(out) == 0
    assert_same_outcomes(qc, out)


def test_a_negative_zz_merges_its_x_pulses_into_the_neighbouring_pulses() -> None:
    # RZZ(-t) = (X⊗I)·RZZ(t)·(X⊗I): both X merge into the sx before and after.
    qc = QuantumCircuit(2)
    qc.sx([0, 1])
    qc.rzz(-0.4, 0, 1)
    qc.sx([0, 1])
    qc.measure_all()
    out = to_native(qc, "zz")
    assert dict(out.count_ops()) == {"gpi2": 4, "zz": 1, "measure": 2, "barrier": 1}
    assert_native(out, "zz")
    assert_same_outcomes(qc, out)


@pytest.mark.parametrize("seed", range(12))
@pytest.mark.parametrize("entangler", ["ms", "zz"])
def test_intermediate_to_native_is_exact_on_random_circuits(
    seed: int, entangler: Entangler
) -> None:
    rng = np.random.default_rng(seed)
    n = 3
    qc = QuantumCircuit(n)
    for _ in range(30):
        kind = rng.integers(5)
        q = int(rng.integers(n))
        if kind == 0:
            qc.rz(float(rng.uniform(-7, 7)), q)
        elif kind == 1:
            qc.sx(q)
        elif kind == 2:
            qc.x(q)
        else:  # any angle, in or out of IonQ's range, of either sign
            a, b = (int(x) for x in rng.choice(n, 2, replace=False))
            angle = float(rng.choice([rng.uniform(-7, 7), rng.uniform(-1.5, 1.5)]))
            getattr(qc, "rxx" if entangler == "ms" else "rzz")(angle, a, b)
    out = to_native(qc, entangler)
    assert_native(out, entangler)
    assert Operator(out) == Operator(qc)  # exact, global phase included


@pytest.mark.parametrize("seed", range(4))
def test_zz_signs_stay_exact_when_left_to_the_greedy_rule(
    seed: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(_FramePlan, "MAX_GROUP", 1)  # every zz group is "too large"
    rng = np.random.default_rng(seed)
    qc = QuantumCircuit(3, 3)
    for _ in range(30):
        q = int(rng.integers(3))
        kind = rng.integers(4)
        if kind == 0:
            qc.sx(q)
        elif kind == 1:
            qc.x(q)
        else:
            a, b = (int(x) for x in rng.choice(3, 2, replace=False))
            qc.rzz(float(rng.uniform(-1.5, 1.5)), a, b)
    unitary = to_native(qc, "zz")
    assert_native(unitary, "zz")
    assert Operator(unitary) == Operator(qc)
    qc.measure([0, 1, 2], [0, 1, 2])
    assert_same_outcomes(qc, to_native(qc, "zz"))


def test_other_diagonal_gates_and_native_gates_are_accepted() -> None:
    qc = QuantumCircuit(2)
    qc.s(0)
    qc.t(1)
    qc.p(0.4, 0)
    qc.sx(0)
    qc.sxdg(1)
    qc.y(1)
    qc.append(GPI2Gate(0.2), [0])
    qc.append(MSGate(0.1, 0.7, -0.3), [0, 1])
    qc.append(GPIGate(0.6), [1])
    out = to_native(qc)
    assert_native(out, "ms")
    assert Operator(out) == Operator(qc)


def test_anything_else_is_a_clear_error() -> None:
    qc = QuantumCircuit(2)
    qc.h(0)
    with pytest.raises(TranspilerError, match=r"cannot convert 'h'.*rz, sx, x, rxx"):
        to_native(qc)
    qc = QuantumCircuit(2)
    qc.rxx(0.3, 0, 1)
    with pytest.raises(TranspilerError, match="cannot convert 'rxx'"):
        to_native(qc, "zz")
    body = QuantumCircuit(1)
    qc = QuantumCircuit(1, 1)
    qc.append(IfElseOp((qc.clbits[0], 1), body), [0], [])
    with pytest.raises(TranspilerError, match="control flow"):
        to_native(qc)
    with pytest.raises(TranspilerError, match="'ms' or 'zz'"):
        IntermediateToNative("cz")  # type: ignore[arg-type]  # deliberately wrong


@pytest.mark.parametrize("entangler", ["ms", "zz"])
def test_unbound_parameters_pass_through_and_bind_to_the_same_circuit(entangler: Entangler) -> None:
    a, b = Parameter("a"), Parameter("b")
    qc = QuantumCircuit(2)
    qc.rz(a, 0)
    qc.sx(0)
    qc.x(1)
    qc.rz(b, 1)
    getattr(qc, "rxx" if entangler == "ms" else "rzz")(0.3 * a, 0, 1)
    qc.sx(1)
    out = to_native(qc, entangler)
    assert set(out.count_ops()) <= NATIVE[entangler]
    assert out.parameters == qc.parameters
    values = {a: 0.45, b: -2.2}
    assert Operator(out.assign_parameters(values)) == Operator(qc.assign_parameters(values))


# --- the plugins ------------------------------------------------------------------------------


def test_entangler_and_intermediate_target_follow_the_device() -> None:
    assert entangler_of(ARIA) == "ms"
    assert entangler_of(FORTE) == "zz"
    proxy = intermediate_target(ARIA_LINE)
    assert set(proxy.operation_names) == {"rz", "sx", "x", "rxx", "measure"}
    assert set(proxy["rxx"]) == set(ARIA_LINE["ms"])
    assert proxy["rz"][(0,)].error == 0.0
    assert proxy["sx"][(2,)].error == pytest.approx(ARIA_LINE["gpi2"][(2,)].error)
    assert proxy["rxx"][(1, 2)].duration == pytest.approx(ARIA_LINE["ms"][(1, 2)].duration)
    assert set(intermediate_target(FORTE).operation_names) >= {"rzz"}


def test_a_target_without_ionq_natives_is_rejected_clearly() -> None:
    qis = qtargets.from_ionq({"backend": "qpu.aria-1", "qubits": 4}, gateset="qis")
    with pytest.raises(TranspilerError, match="gpi, gpi2 and exactly one of ms or zz"):
        ionq_pass_manager(qis)


@pytest.mark.parametrize("level", range(4))
def test_a_bell_pair_needs_few_pulses(level: int) -> None:
    bell = QuantumCircuit(2)
    bell.h(0)
    bell.cx(0, 1)
    out = compile_for(ARIA, bell, level)
    assert out.count_ops()["ms"] == 1
    assert pulses(out) <= 3  # plain transpile(bell, target=ARIA) emits ~15
    assert_same_unitary(bell, out)
    bell.measure_all()
    out = compile_for(FORTE, bell, level)
    assert out.count_ops()["zz"] == 1
    assert pulses(out) <= 3
    assert_same_outcomes(bell, out)


def random_case(seed: int) -> tuple[QuantumCircuit, int]:
    """A seeded random circuit (2-8 qubits, depth 2-6, some measured) and a level 0-3."""
    rng = np.random.default_rng(seed)
    n, depth = int(rng.integers(2, 9)), int(rng.integers(2, 7))
    circuit = random_circuit(n, depth, max_operands=3, measure=seed % 3 == 0, seed=seed)
    return circuit, seed % 4


def check_compiled(circuit: QuantumCircuit, out: QuantumCircuit, entangler: Entangler) -> None:
    assert_native(out, entangler)
    if circuit.num_clbits:
        assert_same_outcomes(circuit, out)
    else:
        assert_same_unitary(circuit, out)


def seed_chunks(total: int, size: int) -> Iterator[range]:
    for start in range(0, total, size):
        yield range(start, min(start + size, total))


@pytest.mark.parametrize("seeds", list(seed_chunks(200, 20)), ids=lambda r: f"{r.start}-{r.stop}")
@pytest.mark.parametrize("target", [ARIA, FORTE], ids=["aria-ms", "forte-zz"])
def test_random_circuits_compile_to_exact_native_circuits(target: Target, seeds: range) -> None:
    for seed in seeds:
        circuit, level = random_case(seed)
        out = compile_for(target, circuit, level)
        check_compiled(circuit, out, entangler_of(target))


@pytest.mark.parametrize("target", [ARIA_LINE, FORTE_RING], ids=["aria-line", "forte-ring"])
def test_restricted_connectivity_routes_then_compiles_exactly(target: Target) -> None:
    pairs = {tuple(sorted(q)) for q in target[entangler_of(target)]}
    for seed in range(200, 208):
        rng = np.random.default_rng(seed)
        circuit = random_circuit(int(rng.integers(3, target.num_qubits + 1)), 4,
                                 max_operands=2, measure=seed % 2 == 0, seed=seed)
        out = compile_for(target, circuit, seed % 4)
        check_compiled(circuit, out, entangler_of(target))
        for inst in out.data:
            if inst.operation.num_qubits == 2:
                assert tuple(sorted(out.find_bit(q).index for q in inst.qubits)) in pairs


@pytest.mark.parametrize("target", [ARIA, FORTE], ids=["aria-ms", "forte-zz"])
def test_mid_circuit_measurements_barriers_and_extra_classical_bits(target: Target) -> None:
    qr, early, late = QuantumRegister(3), ClassicalRegister(2, "early"), ClassicalRegister(3)
    qc = QuantumCircuit(qr, early, late)
    qc.h(0)
    qc.cx(0, 1)
    qc.measure(0, early[0])
    qc.rz(0.3, 1)
    qc.h(1)
    qc.barrier()
    qc.cx(1, 2)
    qc.x(0)
    qc.ry(0.4, 2)
    qc.measure(1, early[1])
    qc.cx(2, 0)
    qc.measure(qr, late)
    for level in range(4):
        out = compile_for(target, qc, level)
        assert out.cregs == qc.cregs
        check_compiled(qc, out, entangler_of(target))


@pytest.mark.parametrize("backend", ["qpu.aria-1", "qpu.forte-1"])
def test_resets_work_on_a_target_that_has_them(backend: str) -> None:
    target = ionq_target(backend, 4)  # IonQ payloads list no reset: add one
    target.add_instruction(Reset(), {(q,): None for q in range(4)})
    qc = QuantumCircuit(3, 3)
    qc.h(0)
    qc.cx(0, 1)
    qc.measure(0, 0)
    qc.reset(0)
    qc.rx(0.3, 0)
    qc.cx(0, 2)
    qc.reset(1)
    qc.h(1)
    qc.measure([0, 1, 2], [0, 1, 2])
    for level in range(4):
        out = ionq_pass_manager(target, level, seed=1).run(qc)
        assert set(out.count_ops()) <= NATIVE[entangler_of(target)] | {"reset"}
        assert_same_outcomes(qc, out)


@pytest.mark.parametrize("target", [ARIA, FORTE], ids=["aria-ms", "forte-zz"])
def test_unbound_parameters_pass_through_the_whole_pipeline(target: Target) -> None:
    a, b = Parameter("a"), Parameter("b")
    qc = QuantumCircuit(3)
    qc.h(0)
    qc.rz(a, 0)
    qc.cx(0, 1)
    qc.rx(b, 1)
    qc.cx(1, 2)
    values = {a: 0.37, b: -1.2}
    for level in range(4):
        out = compile_for(target, qc, level)
        assert set(out.count_ops()) <= NATIVE[entangler_of(target)]
        by_name = {p.name: values[p] for p in values}
        bound = out.assign_parameters({p: by_name[p.name] for p in out.parameters})
        assert_same_unitary(qc.assign_parameters(values), bound)


def test_realistic_device_sizes_and_sparse_connectivity() -> None:
    aria = ionq_target("qpu.aria-1", 25, [[0, 1], [2, 3]])  # the sample payload's shape
    forte = ionq_target("qpu.forte-1", 36)
    ghz = QuantumCircuit(2)
    ghz.h(0)
    ghz.cx(0, 1)
    ghz.measure_all()
    for target in (aria, forte):
        out = ionq_pass_manager(target, 3, seed=1).run(ghz)
        check_compiled(ghz, out, entangler_of(target))


def test_plugins_build_stages_from_a_pass_manager_config() -> None:
    staged = ionq_pass_manager(ARIA, 1)
    assert staged.translation is not None
    assert staged.optimization is not None
    assert IonQOptimizationPlugin().pass_manager(object(), 0) is None  # level 0: no stage
    with pytest.raises(TranspilerError, match="needs a Target"):
        IonQTranslationPlugin().pass_manager(type("Config", (), {"target": None})(), 1)


def test_compiles_at_most_as_many_pulses_as_qiskit_needs_sx_and_x_with_free_rz() -> None:
    # Reference: qiskit itself on {rz (free), sx, x, rxx | rzz}; ours must not be worse.
    for target in (ARIA, FORTE):
        ours = reference = 0
        for seed in range(300, 310):
            circuit = random_circuit(6, 5, max_operands=2, measure=True, seed=seed)
            ours += pulses(compile_for(target, circuit, 3))
            ops = transpile(circuit, target=intermediate_target(target), optimization_level=3,
                            seed_transpiler=11).count_ops()
            reference += ops.get("sx", 0) + ops.get("x", 0)
        assert ours <= reference, (entangler_of(target), ours, reference)


@pytest.mark.skipif(PLUGIN_NAME not in list_stage_plugins("translation"),
                    reason="ionq-native entry points not installed")
def test_installed_plugins_work_through_transpile() -> None:
    bell = QuantumCircuit(2)
    bell.h(0)
    bell.cx(0, 1)
    bell.measure_all()
    for target in (ARIA, FORTE):
        out = transpile(bell, target=target, translation_method=PLUGIN_NAME,
                        optimization_method=PLUGIN_NAME, optimization_level=2, seed_transpiler=3)
        check_compiled(bell, out, entangler_of(target))
        assert pulses(out) <= 3
