"""qiskit's default layout against the noise-aware ``layout_method="qtargets"``, offline.

Transpiles a 10-qubit QFT for the bundled ibm_sherbrooke calibration (IBM Eagle r3: slow ECR
gates, T2 as low as 20 us, so idle time matters) at optimization level 3, once with qiskit's
default layout and once with qtargets' layout plugin (same seed), and prints both scores.
The plugin weighs each qubit's readout error and idle decoherence, and compares several
routings by what they would cost on this device's numbers.

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
    scores = {}
    for method in ("default", "qtargets"):
        compiled = transpile(circuit, target=target, optimization_level=3, seed_transpiler=1,
                             layout_method=None if method == "default" else method)
        scores[method] = qtargets.score(compiled, target)
        layout = compiled.layout.initial_index_layout(filter_ancillas=True)
        print(f"{method:>8} layout: esp_idle {scores[method].esp_idle:.4f}  "
              f"esp {scores[method].esp:.4f}  "
              f"two-qubit gates {scores[method].two_qubit_gates}  qubits {sorted(layout)}")
    ratio = scores["qtargets"].esp_idle / scores["default"].esp_idle
    print(f"QFT-{width} on {device}: esp_idle qtargets / default = {ratio:.2f}")


if __name__ == "__main__":
    args = sys.argv[1:]
    main(args[0] if args else "ibm_sherbrooke", int(args[1]) if len(args) > 1 else 10)
