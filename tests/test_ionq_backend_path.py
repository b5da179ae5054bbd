"""IonQ on the path users take: ``transpile(circuit, backend=qtargets.backend(device))``.

A backend can name only its translation stage, so ``ionq-native``'s translation must leave
qiskit's default optimization stage (which cannot resynthesise ``gpi``/``gpi2``/``ms``/``zz``)
nothing to do. The bar is qiskit's own ``transpile`` at the same level on the equivalent free-Z
basis ``{rz, sx, x, rxx | rzz}`` (all-to-all, ``rz`` free): never more entangling gates, never
more single-qubit gates (``gpi`` + ``gpi2`` against ``sx`` + ``x``; ``rz`` is virtual on both
sides and not counted).
"""

from __future__ import annotations

import numpy as np
import pytest
from qiskit import QuantumCircuit, transpile
from qiskit.circuit.library import QFTGate, qaoa_ansatz
from qiskit.circuit.random import random_circuit
from qiskit.quantum_info import Operator, SparsePauliOp
from qiskit.transpiler import Target

import qtargets
from qtargets.backends import QTargetsBackend
from qtargets.ionq.plugin import entangler_of, intermediate_target

FIDELITY = {"spam": {"mean": 0.9937}, "1q": {"mean": 0.9998}, "2q": {"mean": 0.9872}}
TIMING = {"readout": 3e-4, "1q": 1.35e-4, "2q": 6e-4, "t1": 100, "t2": 1}
QUBITS = 4
LEVELS = (1, 2, 3)
FREE_Z = {"ms": "rxx", "zz": "rzz"}


def small_backend(device: str) -> QTargetsBackend:
    """A 4-qubit all-to-all backend of ``device`` (small enough for a full unitary)."""
    target = qtargets.from_ionq({"backend": device, "qubits": QUBITS, "date": 1700000000,
                                 "fidelity": FIDELITY, "timing": TIMING})
    return qtargets.backend(target)


ARIA = small_backend("qpu.aria-1")  # MS
FORTE = small_backend("qpu.forte-1")  # ZZ


def qft() -> QuantumCircuit:
    qc = QuantumCircuit(QUBITS)
    qc.x(0)
    qc.append(QFTGate(QUBITS), range(QUBITS))
    return qc


def qaoa() -> QuantumCircuit:
    ring = [("ZZ", [q, (q + 1) % QUBITS], 1.0) for q in range(QUBITS)]
    qc = qaoa_ansatz(SparsePauliOp.from_sparse_list(ring, QUBITS), reps=2)
    return qc.assign_parameters(np.random.default_rng(5).uniform(-np.pi, np.pi, 4))


def three_qubit_gates() -> QuantumCircuit:
    # Gates on three qubits are unrolled by qiskit's default init stage, towards the native
    # Target: the translation stage must win back what that path costs.
    return random_circuit(QUBITS, 4, max_operands=3, seed=7)


CIRCUITS = {
    "qft": qft(),
    "qaoa": qaoa(),
    "random": random_circuit(QUBITS, 5, max_operands=2, seed=3),
    "three-qubit-gates": three_qubit_gates(),
}


def counts(circuit: QuantumCircuit, entangler: str, singles: tuple[str, ...]) -> tuple[int, int]:
    ops = circuit.count_ops()
    return ops.get(entangler, 0), sum(ops.get(name, 0) for name in singles)


@pytest.mark.parametrize("level", LEVELS)
@pytest.mark.parametrize("name", sorted(CIRCUITS))
@pytest.mark.parametrize("ionq", [ARIA, FORTE], ids=["MS", "ZZ"])
def test_backend_path_keeps_the_unitary(ionq: QTargetsBackend, name: str, level: int) -> None:
    circuit = CIRCUITS[name]
    ours = transpile(circuit, backend=ionq, optimization_level=level, seed_transpiler=11)
    assert set(ours.count_ops()) <= {"gpi", "gpi2", entangler_of(ionq.target)}
    assert Operator.from_circuit(ours).equiv(Operator(circuit))  # up to phase and layout


# IonQ's ZZ takes only positive angles; the free-Z baseline's rzz takes either sign for free.
# QFT's controlled phases are all negative ZZ interactions, on every pair: their signs need X
# frames that no single-qubit pulse can absorb, one pulse more than qiskit's (6 vs 5 here, 12
# vs 11 on QFT-8). Strict: if it ever passes, the exception goes.
ZZ_SIGN_RULE = pytest.mark.xfail(
    strict=True, reason="IonQ's ZZ angles must be positive; the free-Z baseline's need not")


COUNT_CASES = [
    pytest.param(ionq, name, level, id=f"{family}-{name}-{level}",
                 marks=ZZ_SIGN_RULE if (family, name) == ("ZZ", "qft") and level > 1 else ())
    for ionq, family in ((ARIA, "MS"), (FORTE, "ZZ"))
    for name in sorted(CIRCUITS)
    for level in LEVELS
]


@pytest.mark.parametrize(("ionq", "name", "level"), COUNT_CASES)
def test_backend_path_needs_no_more_gates_than_qiskit_with_free_z_rotations(
    ionq: QTargetsBackend, name: str, level: int
) -> None:
    # Measured, as circuits are run: Z rotations left before a measurement are free on both
    # sides (qiskit leaves them as virtual rz; IonQ's phase frames drop them). Without the
    # measurements ours must spend pulses on them, since the Target has no rz.
    circuit = CIRCUITS[name].measure_all(inplace=False)
    entangler = entangler_of(ionq.target)
    ours = transpile(circuit, backend=ionq, optimization_level=level, seed_transpiler=11)
    baseline = transpile(circuit, target=intermediate_target(ionq.target),
                         optimization_level=level, seed_transpiler=11)
    ours_2q, ours_1q = counts(ours, entangler, ("gpi", "gpi2"))
    baseline_2q, baseline_1q = counts(baseline, FREE_Z[entangler], ("sx", "x"))
    assert ours_2q <= baseline_2q
    assert ours_1q <= baseline_1q


@pytest.mark.parametrize("device", ["qpu.aria-1", "qpu.forte-1"])
def test_bundled_devices_match_qiskits_entangler_count_where_they_used_not_to(
    device: str,
) -> None:
    # The case: at level 3 the translation stage alone left ~30% more entanglers
    # than qiskit's optimization finds with free Z rotations (275 vs 207 ZZ over 8 circuits).
    ionq = qtargets.backend(device, live=False)
    proxy: Target = intermediate_target(ionq.target)
    entangler = entangler_of(ionq.target)
    circuit = random_circuit(6, 6, max_operands=2, measure=True, seed=4)
    ours = transpile(circuit, backend=ionq, optimization_level=2, seed_transpiler=1)
    baseline = transpile(circuit, target=proxy, optimization_level=2, seed_transpiler=1)
    assert counts(ours, entangler, ())[0] <= counts(baseline, FREE_Z[entangler], ())[0]
    assert set(ours.count_ops()) <= {"gpi", "gpi2", entangler, "measure", "barrier"}


def test_the_backend_path_and_all_three_named_stages_agree_on_entanglers() -> None:
    # What a user gets from transpile(backend=...) is what naming every ionq-native stage gives.
    circuit = random_circuit(QUBITS, 6, max_operands=2, seed=9)
    for ionq in (ARIA, FORTE):
        entangler = entangler_of(ionq.target)
        plain = transpile(circuit, backend=ionq, optimization_level=3, seed_transpiler=2)
        staged = ionq.pass_manager(3, seed_transpiler=2).run(circuit)
        assert counts(plain, entangler, ())[0] == counts(staged, entangler, ())[0]
