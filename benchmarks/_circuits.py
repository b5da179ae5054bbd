"""Benchmark circuits nobody here wrote (MQT Bench, SupermarQ), as factories the benchmarks
share: each returns a function building the circuit on demand (the libraries are slow to
import), named ``library.kind_size``, with its width in ``.width``."""

from __future__ import annotations

import random
from collections.abc import Callable

import numpy as np
from qiskit import QuantumCircuit

Factory = Callable[[], QuantumCircuit]


def mqt(name: str, size: int, **options: object) -> Factory:
    """MQT Bench's ``name`` on ``size`` qubits, target-independent level."""
    def make() -> QuantumCircuit:
        from mqt.bench import BenchmarkLevel, get_benchmark  # noqa: PLC0415 (bench extra)

        circuit = get_benchmark(name, BenchmarkLevel.INDEP, size, **options)
        circuit.name = f"mqt.{name}_{size}"
        return circuit
    make.width = size  # type: ignore[attr-defined]
    return make


def supermarq(kind: str, size: int, *args: object) -> Factory:
    """SupermarQ's ``kind`` benchmark on ``size`` qubits (seeded: it draws from the global
    generators)."""
    def make() -> QuantumCircuit:
        import supermarq  # noqa: PLC0415 (bench extra; imports cirq, ~3 s)

        random.seed(7)
        np.random.seed(7)
        benchmark = getattr(supermarq.benchmarks, kind)(size, *args)
        circuit = benchmark.qiskit_circuit()
        circuit = circuit[0] if isinstance(circuit, list) else circuit
        circuit.name = f"supermarq.{kind}_{size}"
        return circuit
    make.width = size  # type: ignore[attr-defined]
    return make
