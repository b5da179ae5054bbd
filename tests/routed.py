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
