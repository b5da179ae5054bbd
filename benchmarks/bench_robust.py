"""Layouts that hold up across calibration days (issue 16): does today's gain survive the next
calibration, and does judging placements on earlier days too keep more of it?

On the real bundled calibration history (ibm_sherbrooke 2023-01-03 -> 2024-05-27 ->
2025-02-26; ibm_torino and ibm_brisbane 2024-02-28 -> 2025-02-26; ibm_fez 2025-01-23 ->
2025-02-26; ibm_marrakesh 2025-01-22 -> 2025-02-26), for each consecutive pair of days
(d, d+1), each circuit (MQT Bench, SupermarQ; 10-20 qubits) and each seed, compile on day d:

    (a) transpile(circuit, target_d, optimization_level=3, seed_transpiler=SEED)
    (b) transpile(..., layout_method="qtargets")                   # today-only
    (c) transpile(..., target=qtargets.robust_target(f"{name}@{d}", last=N),
                  layout_method="qtargets-robust" / "qtargets-robust-worst")   # days <= d

and score every compiled circuit, unchanged (``qtargets.score`` never transpiles), on day d and
on day d+1 (d+1's Target built with ``filter_faulty=False``, so a pair that broke since is
there at its error 1 and the circuit's ESP is 0, rather than unscorable; an ``ecr`` whose
direction d+1 no longer calibrates counts the same way: the circuit cannot run as compiled).

Printed per transition and circuit: ``esp_idle`` of each method over qiskit O3's, on day d
and on day d+1. Then per device and overall: geometric means on d+1 over O3, the fraction of
today's gain kept, ``ln(G_{d+1}(method)) / ln(G_d(today-only))`` (1: the next calibration
pays what today promised; 0: nothing left; over 1: more), the worst circuit, and how many
compiled circuits cannot run on d+1 as compiled (a pair dead on d+1, or an ``ecr`` direction
gone). Where day d has no earlier day (every device's
first day; the 2-day devices entirely) the robust layouts are today-only's and are not
re-run.

The bundled days are months apart, not consecutive daily calibrations: these figures say how
a layout ages over months, an upper bound on day-to-day drift.

``--held-out`` adds a second table on the devices with three or more days (ibm_sherbrooke):
compile on each day d, robust over every other day except the scored day e, and score on e
(earlier or later): held-out days, not forward in time.

Run:  pip install -e ".[bench]" && python benchmarks/bench_robust.py [--seeds 1,2,3]
      [--last 3] [--devices ibm_sherbrooke,ibm_fez] [--only qft] [--held-out] [--store]
      [--save cases.json | --load cases.json]
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import math
import statistics
import sys
import warnings
from dataclasses import dataclass
from pathlib import Path

from _circuits import mqt, supermarq
from qiskit import QuantumCircuit, transpile
from qiskit.transpiler import Target

import qtargets
from qtargets.layout import with_history
from qtargets.live import offline_calibrations

DEVICES = ("ibm_sherbrooke", "ibm_torino", "ibm_brisbane", "ibm_fez", "ibm_marrakesh")
CIRCUITS = (
    mqt("ghz", 16),
    mqt("graphstate", 14, seed=10),
    mqt("bv", 14),
    mqt("vqe_su2", 12),
    mqt("qaoa", 12),
    mqt("qft", 12),
    mqt("wstate", 14),
    mqt("qpeexact", 12),
    mqt("ae", 10),
    supermarq("HamiltonianSimulation", 14, 1, 2),
    supermarq("GHZ", 20),
    mqt("randomcircuit", 10),
)
"""bench_layout's set within 10-20 qubits, without SupermarQ's VQEProxy and QAOAVanillaProxy
(each optimises its parameters classically first: minutes)."""
METHODS = ("o3", "today", "mean", "worst")
LABEL = {"o3": "qiskit O3", "today": "today-only", "mean": "robust mean",
         "worst": "robust worst"}


@dataclass
class Case:
    """One circuit and seed compiled on day ``day`` and scored on ``scored``."""

    device: str
    day: str
    scored: str
    circuit: str
    seed: int
    today: dict[str, float]
    """Per method, ``ln(esp_idle)`` on the compile day."""
    next: dict[str, float]
    """Per method, ``ln(esp_idle)`` on the scored day (``-inf``: a pair dead then)."""
    next_esp: dict[str, float]
    """Per method, ``ln(esp)`` (gates and readout) on the scored day."""
    robust: bool
    """Whether the robust layouts had an earlier day (else they are today-only's)."""

    def gain(self, method: str, figure: str = "next") -> float:
        """``ln`` of ``method``'s figure over qiskit O3's (nan where either is -inf)."""
        values = getattr(self, figure)
        a, b = values[method], values["o3"]
        return a - b if math.isfinite(a) and math.isfinite(b) else math.nan


def compile_all(circuit: QuantumCircuit, today: Target, robust: Target | None, seed: int
                ) -> dict[str, QuantumCircuit]:
    out = {"o3": transpile(circuit, target=today, optimization_level=3, seed_transpiler=seed),
           "today": transpile(circuit, target=today, optimization_level=3,
                              seed_transpiler=seed, layout_method="qtargets")}
    for method, plugin in (("mean", "qtargets-robust"), ("worst", "qtargets-robust-worst")):
        out[method] = out["today"] if robust is None else transpile(
            circuit, target=robust, optimization_level=3, seed_transpiler=seed,
            layout_method=plugin)
    return out


def log_esp(compiled: QuantumCircuit, target: Target) -> tuple[float, float]:
    """``(ln esp_idle, ln esp)`` of an already compiled circuit on ``target`` (no transpile);
    ``-inf`` where it cannot run as compiled: an Eagle ``ecr`` whose direction the day no
    longer calibrates (IBM flips a few between calibrations) needs a new translation."""
    try:
        score = qtargets.score(compiled, target)
    except qtargets.ScoreError:
        return -math.inf, -math.inf
    return score.log_esp_idle, score.log_esp


def transitions(name: str, last: int, held_out: bool, store: bool
                ) -> list[tuple[qtargets.Calibration, list[qtargets.Calibration],
                                qtargets.Calibration]]:
    """(compile day, its earlier days for the robust layouts, scored day) triples."""
    days = offline_calibrations(name, store=None if store else False)  # bundled: reproducible
    if not held_out:
        return [(days[i], days[max(0, i - last + 1):i], days[i + 1])
                for i in range(len(days) - 1)]
    if len(days) < 3:
        return []
    triples = []
    for d in days:
        for e in days:
            others = [x for x in days if x is not d and x is not e]
            if e is not d:
                triples.append((d, others[max(0, len(others) - last + 1):], e))
    return triples


def run(devices: list[str], circuits: list[QuantumCircuit], seeds: list[int], last: int,
        held_out: bool, store: bool = False) -> list[Case]:
    cases: list[Case] = []
    for name in devices:
        for day, earlier, scored in transitions(name, last, held_out, store):
            today = qtargets.build_target(day)
            robust = (with_history(today, [qtargets.build_target(x, filter_faulty=False)
                                           for x in earlier]) if earlier else None)
            if robust is not None and not held_out:  # the public path gives the same days
                public = qtargets.robust_target(f"{name}@{day.taken_at.isoformat()}",
                                                last=last, store=None if store else False)
                assert [h.num_qubits for h in public.history] == [
                    h.num_qubits for h in robust.history]
                robust = public
            nxt = qtargets.build_target(scored, filter_faulty=False)
            d, s = (c.taken_at.date().isoformat() for c in (day, scored))
            for circuit in circuits:
                for seed in seeds:
                    compiled = compile_all(circuit, today, robust, seed)
                    now = {m: log_esp(c, today)[0] for m, c in compiled.items()}
                    then = {m: log_esp(c, nxt) for m, c in compiled.items()}
                    case = Case(name, d, s, circuit.name, seed, now,
                                {m: v[0] for m, v in then.items()},
                                {m: v[1] for m, v in then.items()}, robust is not None)
                    cases.append(case)
                    cells = "  ".join(
                        f"{_ratio(case.gain(m, 'today')):5.2f}>{_ratio(case.gain(m)):5.2f}"
                        for m in METHODS[1:])
                    print(f"{name:15} {d}>{s} {circuit.name:34} {seed:4d} "
                          f"{math.exp(now['o3']):8.3g} {_esp(then['o3'][0]):8.3g}  {cells}",
                          flush=True)
    return cases


def _ratio(log_ratio: float) -> float:
    return math.exp(log_ratio) if math.isfinite(log_ratio) else math.nan


def _esp(log_value: float) -> float:
    return math.exp(log_value) if log_value > -math.inf else 0.0


def geomean(logs: list[float]) -> float:
    return math.exp(statistics.fmean(logs)) if logs else math.nan


def summarise(cases: list[Case], title: str) -> None:
    print(f"\n{title}")
    print(f"  {'group':36} {'n':>3} {'method':13} {'d: /O3':>7} {'d+1: /O3':>8} "
          f"{'median':>6} {'kept':>6} {'worst':>6} {'<O3':>4} {'/today':>6} {'W-L':>5} "
          f"{'esp d+1':>7} {'dead d+1':>8}")
    groups = [(f"{c.device} {c.day}>{c.scored}", [x for x in cases if
               (x.device, x.day, x.scored) == (c.device, c.day, c.scored)]) for c in cases]
    groups = list(dict(groups).items())
    devices = list(dict.fromkeys(c.device for c in cases))
    groups += [(f"{d} (all)", [c for c in cases if c.device == d]) for d in devices
               if len({(c.day, c.scored) for c in cases if c.device == d}) > 1]
    groups += [("with an earlier day", [c for c in cases if c.robust]),
               ("overall", cases)]
    for name, group in groups:
        label = name
        if not group:
            continue
        live = [c for c in group if all(math.isfinite(c.next[m]) for m in METHODS)]
        if not live:
            print(f"  {label:36} every case uses a pair dead on d+1 with some method")
            continue
        promised = math.log(geomean([c.gain("today", "today") for c in live]))
        for method in METHODS[1:]:
            if method != "today" and not any(c.robust for c in group):
                continue
            now = geomean([c.gain(method, "today") for c in live])
            later = [c.gain(method) for c in live]
            kept = math.log(geomean(later)) / promised if promised else math.nan
            worst = min(_ratio(g) for g in later)
            below = sum(g < 0 for g in later)
            esp = geomean([c.next_esp[method] - c.next_esp["o3"] for c in live])
            dead = sum(not math.isfinite(c.next[method]) for c in group)
            dead_o3 = sum(not math.isfinite(c.next["o3"]) for c in group)
            versus = [c.next[method] - c.next["today"] for c in live]
            wins = sum(v > 1e-9 for v in versus) - sum(v < -1e-9 for v in versus)
            print(f"  {label:36} {len(live):3d} {LABEL[method]:13} {now:7.3f} "
                  f"{geomean(later):8.3f} {_ratio(statistics.median(later)):6.2f} "
                  f"{kept:6.2f} {worst:6.2f} {below:4d} {geomean(versus):6.3f} {wins:+5d} "
                  f"{esp:7.3f} {dead:4d} ({dead_o3} O3)")
            label = ""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", default="1,2,3", help="comma-separated seed_transpiler values")
    parser.add_argument("--last", type=int, default=3,
                        help="days the robust layouts judge on, today's included")
    parser.add_argument("--devices", default=",".join(DEVICES))
    parser.add_argument("--only", default="", help="run only circuits whose name has this")
    parser.add_argument("--save", default="", help="write every case to this JSON file")
    parser.add_argument("--load", default="", help="summarise the cases of a --save file")
    parser.add_argument("--store", action="store_true",
                        help="the local store's calibration days too, not only the bundled")
    parser.add_argument("--held-out", action="store_true",
                        help="also score on held-out days (devices with 3+ days)")
    args = parser.parse_args()
    seeds = [int(s) for s in args.seeds.split(",")]
    warnings.filterwarnings("ignore", category=DeprecationWarning)
    circuits = [] if args.load else [
        c for c in (make() for make in CIRCUITS) if args.only in c.name]
    devices = args.devices.split(",")
    print(f"{'device':15} {'day > next':21} {'circuit':34} {'seed':>4} {'O3 d':>8} "
          f"{'O3 d+1':>8}  esp_idle over O3, day d > day d+1: "
          + "  ".join(f"{LABEL[m]:>11}" for m in METHODS[1:]))
    if args.load:
        saved = json.loads(Path(args.load).read_text())
        cases = [Case(**c) for c in saved["next"]]
        held = [Case(**c) for c in saved["held_out"]]
    else:
        cases = run(devices, circuits, seeds, args.last, False, args.store)
        held = run(devices, circuits, seeds, args.last, True, args.store) if args.held_out else []
    if args.save:
        Path(args.save).write_text(json.dumps(
            {"next": [dataclasses.asdict(c) for c in cases],
             "held_out": [dataclasses.asdict(c) for c in held]}))
    summarise(cases, f"next calibration (robust over the last {args.last} days <= d): "
              "esp_idle over qiskit O3, geometric means (median: the median circuit); kept = "
              "ln(d+1 gain) / ln(today-only's gain on d); worst: lowest circuit on d+1; <O3: "
              "circuits below O3 on d+1; /today, W-L: over today-only on d+1, geometric mean "
              "and circuits won minus lost; "
              "esp d+1: gates and readout; dead d+1: compiled circuits that cannot run on d+1 "
              "as compiled, a pair dead or an ecr direction gone (left out of the means)")
    if held:
        summarise(held, "held-out day e (robust over the other days, e excluded): as above, "
                  "'d+1' meaning e")
    return 0


if __name__ == "__main__":
    sys.exit(main())
