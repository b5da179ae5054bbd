"""Which device should run this circuit? Rank bundled IBM and IonQ devices for it, offline.

``qtargets.rank`` transpiles the circuit for every device the same way (the backend's
preset pass manager, so IonQ devices get their native stages, the noise-aware layout, one
seed), scores each result and sorts the devices by ESP with idle decoherence, best first. A
device whose calibration lacks some error figures is ranked after the complete ones, and a
device the circuit does not fit stays in the list with the reason. The command line does the
same with ``qtargets rank circuit.qasm``.

IonQ publishes no T1/T2 for Aria, so qpu.aria-1's ``esp_idle`` charges nothing for idling
and equals its ``esp``.

Run:  python examples/rank_devices.py
"""

from __future__ import annotations

from qiskit import QuantumCircuit

import qtargets

DEVICES = ["ibm_fez", "ibm_torino", "ibm_sherbrooke", "qpu.aria-1", "qpu.forte-1",
           "qpu.harmony"]


def ghz(width: int) -> QuantumCircuit:
    circuit = QuantumCircuit(width)
    circuit.h(0)
    for qubit in range(1, width):
        circuit.cx(qubit - 1, qubit)
    circuit.measure_all()
    return circuit


def main() -> None:
    circuit = ghz(12)  # wider than Harmony's 11 qubits: it is ranked last, with the reason
    # live=False: bundled calibrations only, no credentials needed; store=False: not even
    # the local calibration store
    rows = qtargets.rank(circuit, DEVICES, live=False, store=False, optimization_level=2)
    print(f"GHZ-{circuit.num_qubits}, best first:")
    print(f"{'device':<16}{'esp_idle':>10}{'esp':>9}{'duration':>13}{'2q gates':>10}")
    for row in rows:
        if row.esp_idle is None or row.esp is None or row.duration is None:
            print(f"{row.device:<16}  {row.error}")  # no figures: the reason instead
            continue
        print(f"{row.device:<16}{row.esp_idle:>10.4f}{row.esp:>9.4f}"
              f"{row.duration * 1e6:>10.1f} us{row.two_qubit_gates:>10}")


if __name__ == "__main__":
    main()
