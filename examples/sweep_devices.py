"""A small research sweep: two circuits x two bundled devices x two layouts x two seeds.

Runs on a local pool of two worker processes (``qtargets.sweep`` with no executor), writes
the tidy records to a CSV file and prints the median ESP with idle decoherence per device and
method. Pass ``executor=client.get_executor()`` of a ``dask.distributed`` client to run the
same sweep on a Dask cluster.

Run:  python examples/sweep_devices.py [results.csv]
"""

from __future__ import annotations

import statistics
import sys
import tempfile
from pathlib import Path

from qiskit import QuantumCircuit
from qiskit.synthesis.qft import synth_qft_full

import qtargets


def circuits() -> list[QuantumCircuit]:
    ghz = QuantumCircuit(6, name="ghz_6")
    ghz.h(0)
    for qubit in range(1, 6):
        ghz.cx(qubit - 1, qubit)
    qft = synth_qft_full(6)
    qft.name = "qft_6"
    for circuit in (ghz, qft):
        circuit.measure_all()
    return [ghz, qft]


def main() -> None:
    records = qtargets.sweep(circuits(), ["ibm_sherbrooke", "qpu.aria-1"],
                             methods=["default", "qtargets"], seeds=[1, 2],
                             optimization_level=1, max_workers=2)
    out = Path(sys.argv[1]) if len(sys.argv) > 1 else Path(tempfile.mkdtemp()) / "sweep.csv"
    records.to_csv(out)
    print(f"{len(records)} runs, {len(records.failed)} failed -> {out}")
    for device in ("ibm_sherbrooke", "qpu.aria-1"):
        for method in ("default", "qtargets"):
            values = [r.esp_idle for r in records
                      if r.device == device and r.method == method and r.esp_idle is not None]
            print(f"{device:15} {method:9} median esp_idle {statistics.median(values):.4f}")


if __name__ == "__main__":
    main()
