"""Does the layout plugin's predicted win survive a noisy simulation? (issue 15)

For every benchmark circuit (MQT Bench, SupermarQ and qiskit's circuit library: circuits
nobody here wrote), its mirror (``C``, a barrier, ``C``-inverse, measure: ideally all zeros;
built before compiling, so every method compiles the same circuit) is compiled on each device
(bundled ibm_fez, ibm_sherbrooke, ibm_torino, ibm_boston) by

    qiskit:       transpile(mirror, target, optimization_level=3, seed_transpiler=SEED)
    qtargets:     the same with layout_method="qtargets"
    qtargets-dd:  the same with layout_method="qtargets-dd" (where installed: the plugin's
                  dynamical-decoupling mode, idling charged nothing)
    qtargets-routing, qtargets-routing-dd: when named, qiskit's default layout with
                  routing_method="qtargets" or "qtargets-dd" (qtargets.methods)
    mapomatic:    the peers, where installed (``_peers``): mapomatic's recipe (level 3, then
                  the best-scoring embedding of the deflated result, level 3 again)
    pytket:       TKET's noise-aware placement and routing, then qiskit level 3 on them

scored with ``qtargets.score`` (``esp``, ``esp_idle``), and simulated with qiskit-aer under
``qtargets.noise``'s model of the same calibration, on the compiled circuit's active qubits
only (``_simcheck``): P(all zeros) exactly from the density matrix up to ``--exact-limit``
active qubits, else sampled (``--shots``) with matrix product states. Twice:

    idle:    ALAP-scheduled, idle time as delays with thermal relaxation (free idling);
    no idle: without delays, so idling is noiseless (the stand-in for dynamical decoupling).

Printed: per circuit and method the predictions and both simulated successes; the Spearman
rank correlation of ``esp_idle`` with simulated success (idle) and of ``esp`` with simulated
success (no idle), per method and device and overall; the plugin's simulated success over
qiskit's (geometric mean and worst circuit), per device and overall, in both modes; in how
many circuits ``esp_idle`` picked the same winner as the simulation; and, given several
methods or seeds, the headroom: the best simulated success among all of a circuit's
compilations over qiskit's, as an oracle would choose.

Run:  pip install -e ".[bench,aer]" && python benchmarks/bench_simulate.py [--quick]
      [--devices ibm_fez,ibm_torino] [--seeds 1,2] [--max-qubits 12] [--min-qubits 11]
      [--methods qiskit,qtargets] [--circuits qft,ghz] [--shots 2000] [--exact-limit 10]
"""

from __future__ import annotations

import argparse
import math
import statistics
import sys
import time
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from qiskit import QuantumCircuit
from qiskit.circuit.library import quantum_volume
from scipy.stats import spearmanr

sys.path.insert(0, str(Path(__file__).resolve().parent))
import _peers
import _simcheck
from _circuits import mqt, supermarq

import qtargets

DEVICES = ("ibm_fez", "ibm_sherbrooke", "ibm_torino", "ibm_boston")


ROUTING = ("qtargets-routing", "qtargets-routing-dd")
"""qiskit's default layout with the error-aware routing stage in each idle mode: run only
when named (``--methods``)."""


def _methods() -> tuple[str, ...]:
    """qiskit's default, the plugin, its dynamical-decoupling mode, the routing stage and the
    peers (mapomatic, pytket) where installed."""
    from importlib.metadata import entry_points  # noqa: PLC0415

    layouts = {e.name for e in entry_points(group="qiskit.transpiler.layout")}
    return ("qiskit", "qtargets", *(m for m in ("qtargets-dd",) if m in layouts), *ROUTING,
            *(m for m in _peers.COMPILERS if _peers.available(m)))


METHODS = _methods()
DEFAULT_METHODS = tuple(m for m in METHODS if m not in ROUTING)
ALL_METHODS = ("qiskit", "qtargets", "qtargets-dd", *ROUTING, *_peers.COMPILERS)


def _qv(size: int) -> Callable[[], QuantumCircuit]:
    def make() -> QuantumCircuit:
        circuit = quantum_volume(size, seed=7).decompose()
        circuit.name = f"qiskit.quantum_volume_{size}"
        return circuit
    make.width = size  # type: ignore[attr-defined]
    return make


QUICK: tuple[Callable[[], QuantumCircuit], ...] = (
    mqt("ghz", 8),
    mqt("qft", 6),
    mqt("qaoa", 6),
    mqt("randomcircuit", 6),
    mqt("graphstate", 8, seed=10),
    supermarq("HamiltonianSimulation", 8, 1, 2),
    _qv(5),
)
FULL: tuple[Callable[[], QuantumCircuit], ...] = (
    *QUICK,
    mqt("wstate", 8),
    mqt("vqe_su2", 8),
    mqt("qaoa", 10),
    mqt("qft", 10),
    mqt("ae", 8),
    mqt("qpeexact", 9),
    supermarq("QAOAVanillaProxy", 10),
    supermarq("VQEProxy", 8, 1),
    mqt("ghz", 20),
    mqt("graphstate", 16, seed=10),
    supermarq("GHZ", 24),
    supermarq("HamiltonianSimulation", 24, 1, 2),
    mqt("qft", 16),
)


@dataclass
class Row:
    device: str
    circuit: str
    seed: int
    method: str
    active: int
    two_qubit: int
    esp: float
    esp_idle: float
    sim_idle: float
    sim_no_idle: float
    exact: bool
    seconds: float


def geomean(values: Sequence[float]) -> float:
    if any(v <= 0 for v in values):
        return 0.0
    return math.exp(statistics.fmean(math.log(v) for v in values))


def spearman(x: Sequence[float], y: Sequence[float]) -> float:
    if len(x) < 3:
        return math.nan
    return float(spearmanr(x, y).statistic)


def simulate(mirror: QuantumCircuit, target: qtargets.Target, device: str, method: str,
             seed: int, args: argparse.Namespace) -> Row:
    start = time.perf_counter()
    peer = _peers.COMPILERS.get(method)
    compiled = (peer(mirror, target, seed, device) if peer is not None
                else _simcheck.compile_circuit(mirror, target, method, seed))
    seconds = time.perf_counter() - start
    score = qtargets.score(compiled, target)
    idle = _simcheck.reduce(_simcheck.schedule(compiled, target), target)
    no_idle = _simcheck.reduce(compiled, target, idle=False)
    options = {"exact_limit": args.exact_limit, "shots": args.shots}
    return Row(device, mirror.name, seed, method, idle.circuit.num_qubits,
               score.two_qubit_gates, score.esp, score.esp_idle,
               _simcheck.success(idle, **options), _simcheck.success(no_idle, **options),
               idle.circuit.num_qubits <= args.exact_limit, seconds)


def report(rows: list[Row], devices: Sequence[str]) -> None:
    print("\nSpearman rank correlation (over compiled circuits)")
    print(f"{'group':28} {'n':>4} {'esp_idle ~ sim(idle)':>21} {'esp ~ sim(no idle)':>19} "
          f"{'esp_idle ~ sim(no idle)':>24}")
    groups: list[tuple[str, list[Row]]] = []
    for method in sorted({r.method for r in rows}, key=METHODS.index):
        for device in devices:
            groups.append((f"{device} {method}",
                           [r for r in rows if r.device == device and r.method == method]))
        groups.append((f"all devices {method}", [r for r in rows if r.method == method]))
    groups.append(("overall", rows))
    for label, group in groups:
        print(f"{label:28} {len(group):4d} "
              f"{spearman([r.esp_idle for r in group], [r.sim_idle for r in group]):21.3f} "
              f"{spearman([r.esp for r in group], [r.sim_no_idle for r in group]):19.3f} "
              f"{spearman([r.esp_idle for r in group], [r.sim_no_idle for r in group]):24.3f}")

    ratios = sorted(math.log(r.sim_no_idle / r.sim_idle) / math.log(r.esp / r.esp_idle)
                    for r in rows if min(r.sim_idle, r.sim_no_idle) > 0
                    and r.esp_idle < r.esp * (1 - 1e-3))
    if ratios:
        print("\nidle model: simulated idle loss -ln(sim idle / sim no idle) over predicted "
              f"-ln(esp_idle / esp), over {len(ratios)} compiled circuits: median "
              f"{statistics.median(ratios):.2f}, quartiles "
              f"{ratios[len(ratios) // 4]:.2f}-{ratios[(3 * len(ratios)) // 4]:.2f}")

    for other in [m for m in METHODS[1:] if any(r.method == m for r in rows)]:
        print(f"\n{other} / qiskit O3 (geometric mean, worst circuit; winner agrees: "
              "esp_idle and sim idle pick the same method)")
        print(f"{'device':15} {'pairs':>5} {'sim idle':>17} {'sim no idle':>17} "
              f"{'esp_idle':>9} {'esp':>7} {'winner agrees':>13}")
        for label in [*devices, "overall"]:
            pairs = _pairs([r for r in rows if label in ("overall", r.device)], other)
            if not pairs:
                continue
            idle = [p.sim_idle / q.sim_idle for q, p in pairs]
            dd = [p.sim_no_idle / q.sim_no_idle for q, p in pairs]
            agree = sum((p.esp_idle >= q.esp_idle) == (p.sim_idle >= q.sim_idle)
                        for q, p in pairs)
            print(f"{label:15} {len(pairs):5d} {geomean(idle):8.3f} {min(idle):8.3f} "
                  f"{geomean(dd):8.3f} {min(dd):8.3f} "
                  f"{geomean([p.esp_idle / q.esp_idle for q, p in pairs]):9.3f} "
                  f"{geomean([p.esp / q.esp for q, p in pairs]):7.3f} "
                  f"{agree:6d}/{len(pairs):<6d}")

    _headroom(rows, devices)

    print("\ncompile time, seconds (mean over circuits and seeds; max)")
    ran = [m for m in METHODS if any(r.method == m for r in rows)]
    print(f"{'device':15} " + " ".join(f"{m:>17}" for m in ran))
    for label in [*devices, "overall"]:
        cells = []
        for method in ran:
            times = [r.seconds for r in rows
                     if r.method == method and label in ("overall", r.device)]
            cells.append(f"{statistics.fmean(times):8.2f} {max(times):8.2f}" if times
                         else f"{'-':>17}")
        print(f"{label:15} " + " ".join(cells))


def _headroom(rows: list[Row], devices: Sequence[str]) -> None:
    """How much choosing among the compilations run could gain at most: for each circuit,
    the best simulated success of any of them (every method and seed) over qiskit O3's at
    each seed. An oracle's choice, so an upper bound for a layout stage that picks among
    such candidates, not for every compiler."""
    if len({(r.method, r.seed) for r in rows}) < 3:
        return
    print(f"\nheadroom: the best of every compilation of a circuit "
          f"({len({r.method for r in rows})} methods x {len({r.seed for r in rows})} seeds) "
          "over qiskit O3's, chosen by the simulation itself (geometric mean, best circuit)")
    print(f"{'device':15} {'pairs':>5} {'sim idle':>17} {'sim no idle':>17}")
    for label in [*devices, "overall"]:
        group = [r for r in rows if label in ("overall", r.device)]
        best: dict[tuple[str, str], tuple[float, float]] = {}
        for r in group:
            idle, dd = best.get((r.device, r.circuit), (0.0, 0.0))
            best[(r.device, r.circuit)] = (max(idle, r.sim_idle), max(dd, r.sim_no_idle))
        theirs = [r for r in group if r.method == "qiskit" and min(r.sim_idle, r.sim_no_idle) > 0]
        if not theirs:
            continue
        idle = [best[(r.device, r.circuit)][0] / r.sim_idle for r in theirs]
        dd = [best[(r.device, r.circuit)][1] / r.sim_no_idle for r in theirs]
        print(f"{label:15} {len(theirs):5d} {geomean(idle):8.3f} {max(idle):8.3f} "
              f"{geomean(dd):8.3f} {max(dd):8.3f}")


def _pairs(rows: list[Row], other: str) -> list[tuple[Row, Row]]:
    """(qiskit, ``other``) rows of the same device, circuit and seed, all simulated > 0."""
    by_key = {(r.device, r.circuit, r.seed, r.method): r for r in rows}
    out = []
    for (device, circuit, seed, method), row in by_key.items():
        plugin = by_key.get((device, circuit, seed, other))
        if method == "qiskit" and plugin is not None and min(
                row.sim_idle, row.sim_no_idle, plugin.sim_idle, plugin.sim_no_idle) > 0:
            out.append((row, plugin))
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--devices", default=",".join(DEVICES))
    parser.add_argument("--seeds", default="1", help="comma-separated seed_transpiler values")
    parser.add_argument("--max-qubits", type=int, default=25, help="widest circuit run")
    parser.add_argument("--min-qubits", type=int, default=0, help="narrowest circuit run")
    parser.add_argument("--methods", default=",".join(DEFAULT_METHODS),
                        help="compile methods (qiskit, qtargets, qtargets-dd, the routing "
                        "stage qtargets-routing and qtargets-routing-dd, and the peers "
                        "mapomatic, pytket: each skipped when not installed)")
    parser.add_argument("--circuits", default="",
                        help="comma-separated substrings: run only circuits whose name has one")
    parser.add_argument("--quick", action="store_true",
                        help="the small circuits only (exact simulation; minutes)")
    parser.add_argument("--exact-limit", type=int, default=_simcheck.EXACT_LIMIT,
                        help="most active qubits simulated exactly (density matrix)")
    parser.add_argument("--shots", type=int, default=2000,
                        help="shots of the sampled (matrix product state) simulations")
    args = parser.parse_args()
    devices = args.devices.split(",")
    seeds = [int(s) for s in args.seeds.split(",")]
    warnings.filterwarnings("ignore", category=DeprecationWarning)
    warnings.filterwarnings("ignore", category=qtargets.QTargetsWarning)  # T2 > 2 T1 etc.

    makers = [m for m in (QUICK if args.quick else FULL)
              if args.min_qubits <= m.width <= args.max_qubits]  # type: ignore[attr-defined]
    mirrors = [_simcheck.mirror(make()) for make in makers]
    wanted = [part for part in args.circuits.split(",") if part]
    mirrors = [m for m in mirrors if not wanted or any(part in m.name for part in wanted)]
    methods = [m for m in args.methods.split(",") if m]
    for method in methods:
        if method not in ALL_METHODS:
            parser.error(f"unknown method {method!r}: one of {', '.join(ALL_METHODS)}")
        if method not in METHODS:
            print(f"{method}: skipped ({_peers.PACKAGES.get(method, 'its layout plugin')} "
                  "not installed)")
    methods = [m for m in methods if m in METHODS]
    rows: list[Row] = []
    start = time.perf_counter()
    print(f"{'device':15} {'circuit':44} {'seed':>4} {'method':11} {'act':>3} {'2q':>4} "
          f"{'esp':>7} {'esp_idle':>8} {'sim idle':>8} {'no idle':>8} {'compile':>7}")
    for device in devices:
        target = qtargets.load_target(device)
        for mirror in mirrors:
            for seed in seeds:
                for method in methods:
                    row = simulate(mirror, target, device, method, seed, args)
                    rows.append(row)
                    mark = "" if row.exact else "*"
                    print(f"{device:15} {mirror.name:44} {seed:4d} {method:11} {row.active:3d} "
                          f"{row.two_qubit:4d} {row.esp:7.4f} {row.esp_idle:8.4f} "
                          f"{row.sim_idle:8.4f}{mark:1} {row.sim_no_idle:7.4f}{mark:1} "
                          f"{row.seconds:6.2f}s", flush=True)
    print("(* sampled: matrix product states, "
          f"{args.shots} shots; otherwise exact, density matrix)")
    report(rows, devices)
    print(f"\n{len(rows)} compiled circuits, {time.perf_counter() - start:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
