"""Score one circuit on a bundled IBM device and a bundled IonQ device, offline.

Transpiles a 5-qubit GHZ circuit for ibm_fez (IBM Heron r2) and qpu.forte-1 (IonQ Forte, to
its native gates through the ``ionq-native`` stages) and prints what ``qtargets.score``
estimates: ESP (the product of 1 - error over every operation), ESP with idle decoherence
(T1/T2 over each qubit's idle gaps, ALAP), the duration and the costliest qubits or pairs.

Run:  python examples/score_circuit.py
"""

from __future__ import annotations

from qiskit import QuantumCircuit, transpile

import qtargets


def ghz(width: int) -> QuantumCircuit:
    circuit = QuantumCircuit(width)
    circuit.h(0)
    for qubit in range(1, width):
        circuit.cx(qubit - 1, qubit)
    circuit.measure_all()
    return circuit


def main() -> None:
    circuit = ghz(5)
    for name, options in [
        ("ibm_fez", {}),
        # IonQ: compile to GPI/GPI2/ZZ with qtargets' phase-tracking translation stage
        ("qpu.forte-1", {"translation_method": "ionq-native"}),
    ]:
        target = qtargets.load_target(name)
        compiled = transpile(circuit, target=target, optimization_level=3, seed_transpiler=1,
                             **options)
        score = qtargets.score(compiled, target)
        hotspots = ", ".join(
            f"{'qubit' if len(h.qubits) == 1 else 'pair'} {'-'.join(map(str, h.qubits))} "
            f"({h.share:.0%})" for h in score.hotspots)
        print(f"{name}: {dict(compiled.count_ops())}")
        print(f"  esp {score.esp:.4f}  esp_idle {score.esp_idle:.4f}  "
              f"duration {score.duration * 1e6:,.1f} us  "
              f"two-qubit gates {score.two_qubit_gates}  depth {score.depth}")
        print(f"  costliest: {hotspots}")


if __name__ == "__main__":
    main()
