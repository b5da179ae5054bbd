"""Sweeps scale out: 200 transpile+score jobs on 2 local workers vs 1 (issue 6).

The same sweep (10 circuits from qiskit's library x ibm_fez, ibm_sherbrooke x the default and
qtargets layouts x 5 seeds = 200 runs, optimization level 3) on a local process pool of 1 and
then 2 workers, wall time including the pool's start (each worker imports qiskit: ~2 s), and
without it. Also printed: how often each calibration was built into a Target per worker (1 =
shipped once per worker, not per run) and the calibration bytes that crossed to workers,
against sending them with every run.

With ``--executor dask`` the same sweep runs on a Dask LocalCluster of 1, then 2 worker
processes (one thread each, on 127.0.0.1), the Client passed as the executor; ``--out`` writes
each run to a CSV file as it finishes (flushed and fsynced: what ``resume`` relies on), so its
cost shows; ``--seeds N`` makes the sweep 40 x N runs.

Run:  python benchmarks/bench_sweep.py [--workers 2] [--executor pool|dask] [--out] [--seeds 5]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import qiskit  # noqa: F401  (import qiskit in the main thread first)
from qiskit import QuantumCircuit
from qiskit.circuit.library import quantum_volume
from qiskit.circuit.random import random_circuit
from qiskit.synthesis.qft import synth_qft_full

import qtargets
from qtargets.sweeps import SweepRecords, sweep

DEVICES = ("ibm_fez", "ibm_sherbrooke")
METHODS = ("default", "qtargets")
SEEDS = [1, 2, 3, 4, 5]


def circuits() -> list[QuantumCircuit]:
    out = []
    for n in (8, 12, 16):
        ghz = QuantumCircuit(n, name=f"ghz_{n}")
        ghz.h(0)
        for q in range(n - 1):
            ghz.cx(q, q + 1)
        out.append(ghz)
    for n in (6, 8, 10):
        qft = synth_qft_full(n)
        qft.name = f"qft_{n}"
        out.append(qft)
    for n in (6, 8):
        qv = quantum_volume(n, seed=n)
        qv.name = f"qv_{n}"
        out.append(qv)
    for n in (8, 10):
        rc = random_circuit(n, 8, max_operands=2, seed=n)
        rc.name = f"random_{n}"
        out.append(rc)
    for circuit in out:
        circuit.measure_all()
    return out


def timed(workers: int, executor: object | None, *, runs: int | None = None,
          out: Path | None = None) -> tuple[float, SweepRecords]:
    calibrations = [qtargets.load_calibration(d) for d in DEVICES]
    chosen = circuits()[:1] if runs == 1 else circuits()
    start = time.perf_counter()
    records = sweep(chosen, calibrations[:1] if runs == 1 else calibrations,
                    methods=METHODS[:1] if runs == 1 else METHODS,
                    seeds=SEEDS[:1] if runs == 1 else SEEDS, optimization_level=3,
                    max_workers=workers, executor=executor,  # type: ignore[arg-type]
                    out=out)
    return time.perf_counter() - start, records


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--executor", choices=("pool", "dask"), default="pool")
    parser.add_argument("--out", action="store_true",
                        help="write each run to a CSV file as it finishes (durably)")
    parser.add_argument("--seeds", type=int, default=len(SEEDS))
    args = parser.parse_args()
    SEEDS[:] = range(1, args.seeds + 1)
    folder = Path(tempfile.mkdtemp(prefix="bench-sweep-"))
    runs = len(circuits()) * len(DEVICES) * len(METHODS) * len(SEEDS)
    payload = sum(len(qtargets.load_calibration(d).to_json()) for d in DEVICES)

    results = {}
    startup = {1: 0.0, args.workers: 0.0}
    for workers in (1, args.workers):
        if args.executor == "dask":
            from distributed import Client, LocalCluster  # noqa: PLC0415 (optional)

            with LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                              host="127.0.0.1", dashboard_address=None,
                              silence_logs=40) as cluster, Client(cluster) as client:
                client.run(lambda: __import__("qiskit"))  # started, not timed (as the pool's)
                results[workers] = timed(workers, client,
                                         out=results_file(folder, workers, args.out))
        else:
            startup[workers] = timed(workers, None, runs=1)[0]
            results[workers] = timed(workers, None, out=results_file(folder, workers, args.out))
        seconds, records = results[workers]
        builds = records.transfers
        print(f"{workers} worker(s): {runs} runs in {seconds:6.1f} s = "
              f"{runs / seconds:5.1f} runs/s ({len(records.failed)} failed); Targets built "
              f"per (worker, calibration): max {max(builds.values())}, "
              f"{sum(builds.values())} builds in all")
        print(f"  calibration bytes to workers: {workers * payload / 1e6:.1f} MB once per "
              f"worker, vs {runs * payload / len(DEVICES) / 1e6:.1f} MB with every run")
    one, many = results[1][0], results[args.workers][0]
    same = all(a.same_result(b) for a, b in zip(results[1][1], results[args.workers][1],
                                                 strict=True))
    print(f"speed-up with {args.workers} workers: {one / many:.2f}x "
          f"(identical records: {same})")
    if args.executor == "pool":
        print(f"  pool start (a one-run sweep): {startup[1]:.1f} s with 1 worker, "
              f"{startup[args.workers]:.1f} s with {args.workers}; without it: "
              f"{(one - startup[1]) / (many - startup[args.workers]):.2f}x")
    return 0 if same else 1


def results_file(folder: Path, workers: int, wanted: bool) -> Path | None:
    return folder / f"{workers}-workers.csv" if wanted else None


if __name__ == "__main__":
    sys.exit(main())
