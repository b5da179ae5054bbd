"""The error-aware routing stage against qiskit's Sabre, on real calibrations (issue 15).

For every benchmark circuit (MQT Bench, SupermarQ and qiskit's circuit library: circuits
nobody here wrote) that needs swaps, on the bundled ibm_fez, ibm_sherbrooke, ibm_torino and
ibm_boston, at optimization level 3, two comparisons:

* ``default``: what users run, ``transpile(c, target, optimization_level=3)`` (Sabre routes
  inside its layout stage, then VF2PostLayout) against the same with
  ``routing_method="qtargets"``;
* ``fixed``: routing alone, on the same layout: ``layout_method="sabre"`` (no VF2PostLayout
  then) with ``routing_method="sabre"`` against ``routing_method="qtargets"``.

Each compiled circuit is scored with ``qtargets.score`` (``esp``: gates and readout,
``esp_idle``: with idle decoherence), its swaps counted before translation, and its compile
time taken (the fastest of ``--repeat`` runs: the machine is shared). Printed: the
per-circuit table, then per comparison the geometric means of the ratios and the mean swaps.

``--simulate``: small mirror circuits (C then C's inverse: ideal outcome all zeros) compiled
both ways, scheduled ALAP, and run on ``qtargets.noise.simulator`` (qiskit-aer, noisy trajectories:
the calibration's gate errors, readout, thermal relaxation on gates and idle delays):
the probability of all zeros is the simulated success (not simulated: outputs spread over more
than 12 qubits). With ``--routing qtargets-dd`` (the stage for circuits run with dynamical
decoupling: idling free) the circuits are simulated without delays, so without idle noise,
and set against ``esp``.

Run:  pip install -e ".[bench]" && python benchmarks/bench_routing.py [--seeds 1,2] [--simulate]
      [--routing qtargets-dd]
"""

from __future__ import annotations

import argparse
import math
import statistics
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass

from _circuits import mqt, supermarq
from qiskit import QuantumCircuit, transpile
from qiskit.circuit.library import quantum_volume
from qiskit.circuit.random import random_circuit
from qiskit.transpiler import Target, generate_preset_pass_manager

import qtargets
from qtargets.noise import simulator

DEVICES = ("ibm_fez", "ibm_sherbrooke", "ibm_torino", "ibm_boston")


def _quantum_volume(size: int) -> Callable[[], QuantumCircuit]:
    def make() -> QuantumCircuit:
        circuit = quantum_volume(size, seed=7)
        circuit.measure_all()
        circuit.name = f"qiskit.quantum_volume_{size}"
        return circuit
    return make


def _random(size: int, depth: int) -> Callable[[], QuantumCircuit]:
    def make() -> QuantumCircuit:
        circuit = random_circuit(size, depth, max_operands=2, seed=7, measure=True)
        circuit.name = f"qiskit.random_{size}x{depth}"
        return circuit
    return make


CIRCUITS: tuple[Callable[[], QuantumCircuit], ...] = (
    mqt("qft", 12),
    mqt("qft", 20),
    mqt("qaoa", 12),
    mqt("vqe_su2", 12),
    mqt("ae", 10),
    mqt("qpeexact", 12),
    mqt("randomcircuit", 10),
    supermarq("HamiltonianSimulation", 14, 1, 2),
    supermarq("QAOAVanillaProxy", 10),
    supermarq("VQEProxy", 12, 1),
    _quantum_volume(12),
    _random(16, 12),
)

# Mirror circuits for --simulate: small enough for a density matrix with their swaps' qubits.
SIMULATED: tuple[Callable[[], QuantumCircuit], ...] = (
    _quantum_volume(6),
    mqt("qft", 6),
    supermarq("QAOAVanillaProxy", 6),
    _random(6, 8),
)

MAX_SIMULATED_QUBITS = 12

def comparisons(routing: str) -> dict[str, tuple[dict[str, str], dict[str, str]]]:
    """Comparison name -> (qiskit's options, ours), ours routed by the stage ``routing``."""
    return {
        "default": ({}, {"routing_method": routing}),
        "fixed": ({"layout_method": "sabre", "routing_method": "sabre"},
                  {"layout_method": "sabre", "routing_method": routing}),
    }


@dataclass
class Result:
    swaps: int
    esp: float
    esp_idle: float
    seconds: float


def swaps(circuit: QuantumCircuit, target: Target, seed: int, **options: str) -> int:
    """Swaps routing inserts: the compiled circuit before translation and optimization."""
    pm = generate_preset_pass_manager(3, target=target, seed_transpiler=seed, **options)
    pm.translation = pm.optimization = pm.scheduling = None
    return int(pm.run(circuit).count_ops().get("swap", 0))


def compile_and_score(circuit: QuantumCircuit, target: Target, seed: int, repeat: int,
                      **options: str) -> Result:
    seconds = math.inf
    for _ in range(repeat):
        start = time.perf_counter()
        out = transpile(circuit, target=target, optimization_level=3, seed_transpiler=seed,
                        **options)
        seconds = min(seconds, time.perf_counter() - start)
    s = qtargets.score(out, target)
    return Result(swaps(circuit, target, seed, **options), s.esp, s.esp_idle, seconds)


def geomean(values: list[float]) -> float:
    return math.exp(statistics.fmean(math.log(v) for v in values)) if values else math.nan


def ratio(a: float, b: float) -> float:
    return 1.0 if a == b else a / b if b else math.inf


def benchmark(devices: list[str], seeds: list[int], repeat: int, routing: str) -> None:
    circuits = [make() for make in CIRCUITS]
    rows: dict[str, list[tuple[Result, Result]]] = {k: [] for k in comparisons(routing)}
    print(f"{'device':15} {'circuit':34} {'seed':>4} {'cmp':8} {'swaps':>9} "
          f"{'esp ratio':>9} {'idle ratio':>10} {'time s':>13}")
    for device in devices:
        target = qtargets.load_target(device)
        for circuit in circuits:
            for seed in seeds:
                for name, (theirs, ours) in comparisons(routing).items():
                    a = compile_and_score(circuit, target, seed, repeat, **theirs)
                    if a.swaps == 0:
                        continue  # nothing routed: not a routing comparison
                    b = compile_and_score(circuit, target, seed, repeat, **ours)
                    rows[name].append((a, b))
                    print(f"{device:15} {circuit.name[:34]:34} {seed:>4} {name:8} "
                          f"{a.swaps:>4}/{b.swaps:<4} {ratio(b.esp, a.esp):>9.3f} "
                          f"{ratio(b.esp_idle, a.esp_idle):>10.3f} "
                          f"{a.seconds:>6.2f}/{b.seconds:<6.2f}", flush=True)
    for name, pairs in rows.items():
        if not pairs:
            continue
        esp = [ratio(b.esp, a.esp) for a, b in pairs if a.esp and b.esp]
        idle = [ratio(b.esp_idle, a.esp_idle) for a, b in pairs if a.esp_idle and b.esp_idle]
        times = [b.seconds / a.seconds for a, b in pairs]
        print(f"\n{name}: {len(pairs)} routed compilations; swaps mean "
              f"{statistics.fmean(a.swaps for a, _ in pairs):.1f} (sabre) vs "
              f"{statistics.fmean(b.swaps for _, b in pairs):.1f} ({routing})")
        print(f"  ESP ratio geomean {geomean(esp):.3f} (min {min(esp):.3f}, max {max(esp):.3f});"
              f" esp_idle ratio geomean {geomean(idle):.3f} (min {min(idle):.3f},"
              f" max {max(idle):.3f}); time ratio geomean {geomean(times):.2f}"
              f" (max {max(times):.2f})")


def mirror(circuit: QuantumCircuit) -> QuantumCircuit:
    """C, a barrier, then C's inverse, measured: the ideal outcome is all zeros (the barrier
    keeps level 3 from cancelling the two halves)."""
    body = circuit.remove_final_measurements(inplace=False)
    out = body.copy()
    out.barrier()
    out.compose(body.inverse(), inplace=True)
    out.measure_all()
    out.name = f"mirror.{circuit.name}"
    return out


def simulate(devices: list[str], seeds: list[int], shots: int, routing: str) -> None:
    """Simulated success of mirror circuits compiled with Sabre and with the stage
    ``routing``: with idle noise (ALAP delays), or without it for ``"qtargets-dd"`` (no
    delays: the stand-in for dynamical decoupling)."""
    idle = routing != "qtargets-dd"
    schedule = {"scheduling_method": "alap"} if idle else {}
    print(f"\n{routing}: simulated {'with' if idle else 'without'} idle noise")
    print(f"\n{'device':15} {'circuit':34} {'seed':>4} {'cmp':8} {'swaps':>9} "
          f"{'sim sabre':>9} {'sim qt':>7} {'pred sabre':>10} {'pred qt':>8}")
    ratios: dict[str, list[float]] = {k: [] for k in comparisons(routing)}
    for device in devices:
        target = qtargets.load_target(device)
        for make in SIMULATED:
            circuit = mirror(make())
            for seed in seeds:
                for name, (theirs, ours) in comparisons(routing).items():
                    found = []
                    for options in (theirs, ours):
                        out = transpile(circuit, target=target, optimization_level=3,
                                        seed_transpiler=seed, **schedule, **options)
                        found.append((swaps(circuit, target, seed, **options),
                                      _success(out, target, shots),
                                      _figure(qtargets.score(out, target), idle)))
                    (sa, pa, ia), (sb, pb, ib) = found
                    if sa == 0:
                        continue
                    if not math.isnan(pa + pb):
                        ratios[name].append(ratio(pb, pa))
                    print(f"{device:15} {circuit.name[:34]:34} {seed:>4} {name:8} "
                          f"{sa:>4}/{sb:<4} {pa:>9.3f} {pb:>7.3f} {ia:>10.3f} {ib:>8.3f}",
                          flush=True)
    for name, values in ratios.items():
        if values:
            print(f"{name}: simulated success ratio geomean {geomean(values):.3f} "
                  f"(min {min(values):.3f}) over {len(values)}")


def _figure(score: qtargets.Score, idle: bool) -> float:
    """What the simulation is set against: ``esp_idle`` with idle noise, ``esp`` without."""
    return score.esp_idle if idle else score.esp


def _success(circuit: QuantumCircuit, target: Target, shots: int) -> float:
    """P(all zeros), or nan where routing spread the circuit over too many qubits to simulate
    in reasonable time (trajectories of a statevector; density matrices refuse delays)."""
    used = sorted({circuit.find_bit(q).index for inst in circuit.data
                   if inst.operation.name not in ("barrier", "delay") for q in inst.qubits})
    if len(used) > MAX_SIMULATED_QUBITS:
        return math.nan
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # dead couplers, T2 > 2 T1: said once in the docs
        sim = simulator(target, qubits=used, seed_simulator=7)
        counts = sim.run(circuit, shots=shots).result().get_counts()
    zeros = "0" * circuit.num_clbits
    return counts.get(zeros, 0) / shots


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--devices", default=",".join(DEVICES))
    parser.add_argument("--seeds", default="1,2")
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--simulate", action="store_true")
    parser.add_argument("--no-compile", action="store_true", help="only --simulate")
    parser.add_argument("--shots", type=int, default=4_000)
    parser.add_argument("--routing", default="qtargets",
                        choices=("qtargets", "qtargets-free", "qtargets-dd"),
                        help="the stage benchmarked; qtargets-dd is simulated without idle "
                        "noise")
    args = parser.parse_args()
    devices = args.devices.split(",")
    seeds = [int(s) for s in args.seeds.split(",")]
    if not args.no_compile:
        benchmark(devices, seeds, args.repeat, args.routing)
    if args.simulate:
        simulate(devices, seeds, args.shots, args.routing)


if __name__ == "__main__":
    main()
