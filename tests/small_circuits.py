"""Small circuits the tests share: a GHZ state, a ring of entanglers, a QFT with a
non-trivial input. Each is measured in full and named for what it is."""

from __future__ import annotations

import math

from qiskit import QuantumCircuit


def ghz(n: int) -> QuantumCircuit:
    circuit = QuantumCircuit(n, name=f"ghz_{n}")
    circuit.h(0)
    for q in range(n - 1):
        circuit.cx(q, q + 1)
    circuit.measure_all()
    return circuit


def ghz_into_bits(n: int) -> QuantumCircuit:
    """A GHZ state with qubit i measured into bit i of one register: no barrier and no
    ``meas`` register, as a QASM file of it reads back."""
    circuit = QuantumCircuit(n, n)
    circuit.h(0)
    for i in range(n - 1):
        circuit.cx(i, i + 1)
    circuit.measure(range(n), range(n))
    return circuit


def ring(n: int) -> QuantumCircuit:
    circuit = QuantumCircuit(n, name=f"ring_{n}")
    for q in range(n):
        circuit.h(q)
    for q in range(n):
        circuit.cx(q, (q + 1) % n)
        circuit.rz(0.2 * q, (q + 1) % n)
    circuit.measure_all()
    return circuit


def qft(n: int) -> QuantumCircuit:
    circuit = QuantumCircuit(n, name=f"qft_{n}")
    circuit.x(0)  # a non-trivial input, so that the forward half is no identity
    for j in reversed(range(n)):
        circuit.h(j)
        for k in range(j):
            circuit.cp(math.pi / 2 ** (j - k), k, j)
    circuit.measure_all()
    return circuit
