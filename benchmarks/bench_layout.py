"""The noise-aware layout plugin against qiskit's default, on real calibrations (issue 5).

For every benchmark circuit (MQT Bench, SupermarQ and qiskit's circuit library: circuits
nobody here wrote) and each device (the bundled ibm_sherbrooke and ibm_fez snapshots):

    transpile(circuit, target, optimization_level=3, seed_transpiler=SEED)
    transpile(circuit, target, optimization_level=3, seed_transpiler=SEED,
              layout_method="qtargets")

both scored with ``qtargets.score`` (``esp_idle``) and timed in the same run. Printed: the
per-circuit table, then per device and overall the geometric mean of the ``esp_idle`` ratio
(target >= 1.15) and of the transpile-time ratio (target <= 5), and the total-time ratio.

Then, outside those means, wide circuits (an 80-qubit qiskit random circuit on ibm_fez,
ibm_sherbrooke and ibm_torino): how many gates each method puts on dead couplers (a pair whose
every two-qubit gate has ``gate_error`` 1), which make the ESP exactly 0.

Run:  pip install -e ".[bench]" && python benchmarks/bench_layout.py [--seeds 1,2,3] [--no-wide]
"""

from __future__ import annotations

import argparse
import math
import random
import statistics
import sys
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import qiskit
from qiskit import QuantumCircuit, transpile
from qiskit.circuit.library import quantum_volume
from qiskit.circuit.random import random_circuit

import qtargets

DEVICES = ("ibm_sherbrooke", "ibm_fez")
WIDE_DEVICES = ("ibm_fez", "ibm_sherbrooke", "ibm_torino")


def _mqt(name: str, size: int, **options: object) -> Callable[[], QuantumCircuit]:
    def make() -> QuantumCircuit:
        from mqt.bench import BenchmarkLevel, get_benchmark  # noqa: PLC0415 (bench extra)

        circuit = get_benchmark(name, BenchmarkLevel.INDEP, size, **options)
        circuit.name = f"mqt.{name}_{size}"
        return circuit
    return make


def _supermarq(kind: str, size: int, *args: object) -> Callable[[], QuantumCircuit]:
    def make() -> QuantumCircuit:
        import supermarq  # noqa: PLC0415 (bench extra; imports cirq, ~3 s)

        random.seed(7)
        np.random.seed(7)  # SupermarQ draws graphs and angles from the global generators
        benchmark = getattr(supermarq.benchmarks, kind)(size, *args)
        circuit = benchmark.qiskit_circuit()
        circuit = circuit[0] if isinstance(circuit, list) else circuit
        circuit.name = f"supermarq.{kind}_{size}"
        return circuit
    return make


def _quantum_volume(size: int) -> QuantumCircuit:
    circuit = quantum_volume(size, seed=7)
    circuit.measure_all()
    circuit.name = f"qiskit.quantum_volume_{size}"
    return circuit


CIRCUITS: tuple[Callable[[], QuantumCircuit], ...] = (
    _mqt("ghz", 16),
    _mqt("graphstate", 14, seed=10),
    _mqt("bv", 14),
    _mqt("vqe_su2", 12),
    _mqt("qaoa", 12),
    _mqt("qft", 12),
    _mqt("ae", 10),
    _mqt("randomcircuit", 10),
    _mqt("wstate", 14),
    _mqt("qpeexact", 12),
    _mqt("qft", 20),
    _supermarq("HamiltonianSimulation", 14, 1, 2),
    _supermarq("QAOAVanillaProxy", 10),
    _supermarq("GHZ", 20),
    _supermarq("VQEProxy", 12, 1),
    _supermarq("HamiltonianSimulation", 24, 1, 2),
    lambda: _quantum_volume(12),
)


@dataclass
class Row:
    device: str
    circuit: str
    seed: int
    qubits: int
    default_esp_idle: float
    plugin_esp_idle: float
    default_2q: int
    plugin_2q: int
    default_seconds: float
    plugin_seconds: float

    @property
    def ratio(self) -> float:
        return self.plugin_esp_idle / self.default_esp_idle

    @property
    def time_ratio(self) -> float:
        return self.plugin_seconds / self.default_seconds


def geomean(values: list[float]) -> float:
    return math.exp(statistics.fmean(math.log(v) for v in values))


def run(circuit: QuantumCircuit, target: qiskit.transpiler.Target, seed: int,
        **options: str) -> tuple[float, int, float]:
    start = time.perf_counter()
    out = transpile(circuit, target=target, optimization_level=3, seed_transpiler=seed,
                    **options)
    seconds = time.perf_counter() - start
    score = qtargets.score(out, target)
    return score.esp_idle, score.two_qubit_gates, seconds


def on_dead_pairs(circuit: QuantumCircuit, target: qiskit.transpiler.Target) -> int:
    """Two-qubit gates of ``circuit`` on pairs where every two-qubit gate has error 1."""
    dead: dict[tuple[int, int], bool] = {}
    for name in target.operation_names:
        for qargs, props in target[name].items():
            if qargs is not None and len(qargs) == 2 and props is not None:
                pair = (min(qargs), max(qargs))
                broken = props.error is not None and props.error >= 1.0
                dead[pair] = dead.get(pair, True) and broken
    count = 0
    for inst in circuit.data:
        if len(inst.qubits) == 2:
            a, b = (circuit.find_bit(q).index for q in inst.qubits)
            count += dead.get((min(a, b), max(a, b)), False)
    return count


def wide(seed: int) -> None:
    circuit = random_circuit(80, 10, max_operands=2, seed=3)
    circuit.measure_all()
    print(f"\nwide: 80-qubit random circuit (qiskit random_circuit, depth 10, seed 3), "
          f"level 3, seed_transpiler {seed}")
    print(f"{'device':15} {'method':9} {'2q':>5} {'on dead pairs':>13} {'esp':>10} "
          f"{'esp_idle':>10} {'time (s)':>8}")
    for device in WIDE_DEVICES:
        target = qtargets.load_target(device)
        for method, options in (("default", {}), ("qtargets", {"layout_method": "qtargets"})):
            start = time.perf_counter()
            out = transpile(circuit, target=target, optimization_level=3,
                            seed_transpiler=seed, **options)
            seconds = time.perf_counter() - start
            score = qtargets.score(out, target)
            print(f"{device:15} {method:9} {score.two_qubit_gates:5d} "
                  f"{on_dead_pairs(out, target):13d} {score.esp:10.3g} {score.esp_idle:10.3g} "
                  f"{seconds:8.2f}", flush=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", default="1", help="comma-separated seed_transpiler values")
    parser.add_argument("--no-wide", action="store_true", help="skip the wide circuits")
    args = parser.parse_args()
    seeds = [int(s) for s in args.seeds.split(",")]
    warnings.filterwarnings("ignore", category=DeprecationWarning)

    circuits = [make() for make in CIRCUITS]
    rows: list[Row] = []
    print(f"{'device':15} {'circuit':36} {'n':>3} {'seed':>4} {'2q dflt/ours':>13} "
          f"{'esp_idle default':>16} {'ours':>10} {'ratio':>6} {'time dflt/ours (s)':>19}")
    for device in DEVICES:
        target = qtargets.load_target(device)
        transpile(circuits[0], target=target, layout_method="qtargets")  # warm-up both paths
        transpile(circuits[0], target=target)
        for circuit in circuits:
            for seed in seeds:
                d_esp, d_2q, d_s = run(circuit, target, seed)
                p_esp, p_2q, p_s = run(circuit, target, seed, layout_method="qtargets")
                row = Row(device, circuit.name, seed, circuit.num_qubits, d_esp, p_esp, d_2q,
                          p_2q, d_s, p_s)
                rows.append(row)
                print(f"{device:15} {circuit.name:36} {circuit.num_qubits:3d} {seed:4d} "
                      f"{d_2q:6d}/{p_2q:<6d} {d_esp:16.4g} {p_esp:10.4g} {row.ratio:6.2f} "
                      f"{d_s:9.2f}/{p_s:<9.2f}", flush=True)

    ok = True
    print()
    for label, group in [(d, [r for r in rows if r.device == d]) for d in DEVICES] + [
            ("overall", rows)]:
        quality = geomean([r.ratio for r in group])
        speed = geomean([r.time_ratio for r in group])
        total = sum(r.plugin_seconds for r in group) / sum(r.default_seconds for r in group)
        print(f"{label:15} esp_idle ratio (geomean) {quality:.3f} (target >= 1.15), time ratio "
              f"geomean {speed:.2f}, total {total:.2f} (target <= 5)")
        if label == "overall":
            ok = quality >= 1.15 and speed <= 5 and total <= 5
    if not args.no_wide:
        wide(seeds[0])
    print("all targets met" if ok else "TARGET MISSED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
