"""qiskit's default layout against the noise-aware ``layout_method="qtargets"``, offline.

Transpiles a 10-qubit QFT for the bundled ibm_sherbrooke calibration (IBM Eagle r3: slow ECR
gates, T2 as low as 20 us, so idle time matters) at optimization level 3 with qiskit's default
layout, with qtargets' layout plugin, with its mode for circuits run with dynamical decoupling
(``"qtargets-dd"``: idling costs nothing) and with qiskit's layout and qtargets' error-aware
routing (``routing_method="qtargets"``), all with the same seed, and prints their scores. The
plugin weighs each qubit's readout error and idle decoherence, and compares several routings
by what they would cost on this device's numbers. Under DD compare ``esp`` (gates and
readout), which is what the DD mode optimises.

Run:  python examples/noise_aware_layout.py [ibm_sherbrooke] [QFT width]
"""

from __future__ import annotations

import sys

from qiskit import QuantumCircuit, transpile
from qiskit.circuit.library import QFTGate

import qtargets


def qft(width: int) -> QuantumCircuit:
    circuit = QuantumCircuit(width)
    circuit.append(QFTGate(width), range(width))
    circuit.measure_all()
    return circuit


def main(device: str = "ibm_sherbrooke", width: int = 10) -> None:
    target = qtargets.load_target(device)
    circuit = qft(width)
    methods = {
        "default": {},
        "qtargets": {"layout_method": "qtargets"},
        "qtargets-dd": {"layout_method": "qtargets-dd"},
        "routing": {"routing_method": "qtargets"},
    }
    scores = {}
    for method, options in methods.items():
        compiled = transpile(circuit, target=target, optimization_level=3, seed_transpiler=1,
                             **options)
        scores[method] = qtargets.score(compiled, target)
        layout = compiled.layout.initial_index_layout(filter_ancillas=True)
        print(f"{method:>11}: esp_idle {scores[method].esp_idle:.4f}  "
              f"esp {scores[method].esp:.4f}  "
              f"two-qubit gates {scores[method].two_qubit_gates}  qubits {sorted(layout)}")
    ratio = scores["qtargets"].esp_idle / scores["default"].esp_idle
    print(f"QFT-{width} on {device}: esp_idle qtargets / default = {ratio:.2f}")
    ratio = scores["qtargets-dd"].esp / scores["default"].esp
    print(f"under dynamical decoupling: esp qtargets-dd / default = {ratio:.2f}")


if __name__ == "__main__":
    args = sys.argv[1:]
    main(args[0] if args else "ibm_sherbrooke", int(args[1]) if len(args) > 1 else 10)
