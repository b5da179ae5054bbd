"""Transpile a GHZ circuit for a bundled real device and estimate its success probability.

Run:  python examples/transpile_on_bundled.py [ibm_fez]
"""

from __future__ import annotations

import math
import sys

from qiskit import QuantumCircuit, transpile
from qiskit.transpiler import Target

import qtargets


def ghz(width: int) -> QuantumCircuit:
    circuit = QuantumCircuit(width)
    circuit.h(0)
    for qubit in range(1, width):
        circuit.cx(qubit - 1, qubit)
    circuit.measure_all()
    return circuit


def estimated_success(compiled: QuantumCircuit, target: Target) -> float:
    """Product of (1 - error) over every operation: a crude but calibration-aware figure."""
    log_success = 0.0
    for instruction in compiled.data:
        name = instruction.operation.name
        if name == "barrier":
            continue
        qargs = tuple(compiled.find_bit(q).index for q in instruction.qubits)
        props = target[name].get(qargs)
        if props is not None and props.error is not None and props.error < 1:
            log_success += math.log1p(-props.error)
    return math.exp(log_success)


def main(backend: str = "ibm_fez") -> None:
    target = qtargets.load_target(backend)
    compiled = transpile(ghz(8), target=target, optimization_level=3, seed_transpiler=7)
    layout = compiled.layout.final_index_layout() if compiled.layout else []
    ops = dict(compiled.count_ops())
    print(f"{backend}: {target.num_qubits} qubits, GHZ-8 on physical qubits {layout}")
    print(f"depth {compiled.depth()}, operations {ops}")
    print(f"estimated success probability {estimated_success(compiled, target):.3f}")


if __name__ == "__main__":
    main(*sys.argv[1:2])
