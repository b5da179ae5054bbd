"""Small devices and checks the layout and routing tests share: a noisy ring whose
unitaries can still be compared, and what a routed circuit must satisfy."""

from __future__ import annotations

from qiskit import QuantumCircuit
from qiskit.providers.fake_provider import GenericBackendV2
from qiskit.quantum_info import Operator
from qiskit.transpiler import CouplingMap, PassManager, Target
from qiskit.transpiler.passes import CheckMap


def ring_backend(n: int = 7, seed: int = 11) -> GenericBackendV2:
    """A small noisy device (errors, durations, T1/T2) whose unitaries we can still compare."""
    return GenericBackendV2(n, coupling_map=CouplingMap.from_ring(n).get_edges(), seed=seed)


def same_unitary(out: QuantumCircuit, circuit: QuantumCircuit) -> bool:
    """``out`` (routed, on the whole device) computes ``circuit`` with idle ancillas."""
    padded = QuantumCircuit(out.num_qubits)
    padded.compose(circuit, range(circuit.num_qubits), inplace=True)
    return bool(Operator.from_circuit(out).equiv(Operator(padded)))


def mapped(circuit: QuantumCircuit, target: Target) -> bool:
    check = CheckMap(target)
    PassManager([check]).run(circuit)
    return bool(check.property_set["is_swap_mapped"])


def all_pairs_circuit(n: int) -> QuantumCircuit:
    circuit = QuantumCircuit(n)
    for q in range(n):
        circuit.h(q)
    for a in range(n):
        for b in range(a + 1, n):
            circuit.cx(a, b)
            circuit.rz(0.1 * (a + b), b)
    return circuit


def pairs_used(circuit: QuantumCircuit) -> set[tuple[int, int]]:
    """Every qubit pair a two-qubit instruction of ``circuit`` acts on, smaller index first."""
    out = set()
    for inst in circuit.data:
        if len(inst.qubits) == 2:
            a, b = (circuit.find_bit(q).index for q in inst.qubits)
            out.add((min(a, b), max(a, b)))
    return out


def dead_pairs(target: Target) -> set[tuple[int, int]]:
    """Pairs whose every two-qubit gate has error 1 (IBM's mark for a broken coupler)."""
    errors: dict[tuple[int, int], list[float]] = {}
    for name in target.operation_names:
        for qargs, props in target[name].items():
            if qargs is not None and len(qargs) == 2 and props is not None:
                pair = (min(qargs), max(qargs))
                errors.setdefault(pair, []).append(
                    props.error if props.error is not None else 0.0)
    return {pair for pair, found in errors.items() if min(found) >= 1.0}
