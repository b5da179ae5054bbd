"""A bundled calibration as a qiskit backend, and a noisy simulation of it with Aer, offline.

``qtargets.backend`` makes a ``BackendV2`` of a calibration: ``transpile(circuit, backend)``
works as for any backend, and on IonQ devices it picks the ``ionq-native`` translation stage
by itself. ``backend.aer_simulator(qubits=...)`` is a noisy ``AerSimulator`` of the device
(gate and readout errors, T1/T2 relaxation) restricted to the qubits the circuit uses, which
keeps it fast on a 156-qubit device. Prints, for a 4-qubit GHZ state on ibm_fez and
qpu.forte-1, the share of shots that gave 0000 or 1111 next to the ESP qtargets estimates.

Needs qiskit-aer (``pip install 'qtargets[aer]'``); without it the script says so and exits.

Run:  python examples/backend_and_simulation.py
"""

from __future__ import annotations

import importlib.util

from qiskit import QuantumCircuit, transpile

import qtargets

SHOTS = 4000


def ghz(width: int) -> QuantumCircuit:
    circuit = QuantumCircuit(width)
    circuit.h(0)
    for qubit in range(1, width):
        circuit.cx(qubit - 1, qubit)
    circuit.measure_all()
    return circuit


def main() -> None:
    if importlib.util.find_spec("qiskit_aer") is None:
        print("qiskit-aer is not installed: pip install 'qtargets[aer]' to simulate")
        return
    circuit = ghz(4)
    for name in ("ibm_fez", "qpu.forte-1"):
        backend = qtargets.backend(name, live=False)  # bundled (or stored), never the network
        print(backend)
        compiled = transpile(circuit, backend, optimization_level=3, seed_transpiler=1)
        used = compiled.layout.initial_index_layout(filter_ancillas=True)
        simulator = backend.aer_simulator(qubits=used, seed_simulator=1)
        counts = simulator.run(compiled, shots=SHOTS).result().get_counts()
        good = (counts.get("0" * 4, 0) + counts.get("1" * 4, 0)) / SHOTS
        esp = qtargets.score(compiled, backend).esp
        print(f"  GHZ-4 on qubits {used}: {dict(compiled.count_ops())}")
        print(f"  simulated share of 0000 + 1111: {good:.3f}   qtargets esp: {esp:.3f}")


if __name__ == "__main__":
    main()
