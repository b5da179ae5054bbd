"""Live fetching against the loopback server with injected latency (issue 4's speed targets).

The fake vendor server (tests/apiserver.py) serves 10 real IBM snapshots with 50 ms of latency
on every request; credentials point the library at it through the environment, exactly as a
user would configure the real API. Measured in one run:

1. ``qtargets.targets(10 names)`` (concurrent) vs ``qtargets.target(name)`` for each name, one
   after another; no store, so both sides download everything. Target: ratio <= 1/4.
2. A second ``qtargets.target("ibm_fez")`` with an unchanged calibration: requests sent
   (target: <= 1, conditional) and wall time.
3. ``qtargets.target("ibm_fez", live=False)`` from the store alone. Target: <= 20 ms.

Run:  python benchmarks/bench_live.py [--repeat N] [--latency S]
"""

from __future__ import annotations

import argparse
import gc
import multiprocessing
import os
import secrets
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from multiprocessing.connection import Connection
from pathlib import Path

import qiskit  # noqa: F401  (import qiskit in the main thread first; see DEVELOPERS.md)

import qtargets
from qtargets import CalibrationStore

TESTS = Path(__file__).resolve().parent.parent / "tests"

BACKENDS = ("fez", "torino", "kyiv", "sherbrooke", "brisbane", "osaka", "kyoto", "cusco",
            "quebec", "marrakesh")


def serve(conn: Connection, key: str, latency: float) -> None:
    """The fake server, in a process of its own: sharing the benchmark's GIL would make its
    threads stall the client's CPU work and distort both sides.

    Imported here, not at the top: the server's module loads qiskit-ibm-runtime (its
    snapshots), whose ~80,000 objects would double the cost of every full garbage collection
    in the measured process, which a user's process does not have.
    """
    sys.path.insert(0, str(TESTS))
    from apiserver import FakeVendorServer  # noqa: PLC0415

    sys.setswitchinterval(0.0005)
    with FakeVendorServer(ibm_backends=BACKENDS, default_latency=latency,
                          ibm_api_key=key) as server:
        conn.send((server.ibm_url, server.iam_url, server.service_crn))
        while (command := conn.recv()) != "stop":
            assert command == "count"
            conn.send(len(server.requests))


@contextmanager
def remote_server(latency: float) -> Iterator[tuple[Callable[[], int], str, str, str, str]]:
    key = "QTCANARY-bench-" + secrets.token_hex(8)
    here, there = multiprocessing.Pipe()
    process = multiprocessing.get_context("spawn").Process(
        target=serve, args=(there, key, latency), daemon=True)
    process.start()
    ibm_url, iam_url, crn = here.recv()

    def count() -> int:
        here.send("count")
        return int(here.recv())

    try:
        yield count, key, ibm_url, iam_url, crn
    finally:
        here.send("stop")
        process.join(10)


@contextmanager
def paused_gc(pause: bool) -> Iterator[None]:
    """Optionally pause the cyclic GC: with qiskit loaded a full collection takes ~90 ms,
    and the ~10^5 objects ten Targets allocate trigger one at a random point of a run."""
    gc.collect()
    if pause:
        gc.disable()
    try:
        yield
    finally:
        gc.enable()


def timed(func: Callable[[], object]) -> float:
    start = time.perf_counter()
    func()
    return time.perf_counter() - start


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=9, help="timed rounds per measurement")
    parser.add_argument("--latency", type=float, default=0.05, help="seconds per request")
    args = parser.parse_args()

    with remote_server(args.latency) as (count, key, ibm_url, iam_url, crn), \
            tempfile.TemporaryDirectory() as tmp:
        os.environ.update({
            "QISKIT_IBM_TOKEN": key, "QISKIT_IBM_INSTANCE": crn,
            "QTARGETS_IBM_API_URL": ibm_url, "QTARGETS_IBM_IAM_URL": iam_url,
            "QTARGETS_STORE": str(Path(tmp) / "store.sqlite3"),
        })
        names = [f"ibm_{backend}" for backend in BACKENDS]
        qtargets.targets(names, store=False)  # warm-up: IAM token, imports, caches

        print(f"{len(names)} IBM backends, {args.latency * 1000:.0f} ms latency per request")
        ratios = {}
        for gc_paused in (False, True):
            sequential, concurrent = [], []
            for _ in range(args.repeat):  # alternate, so machine noise hits both alike
                with paused_gc(gc_paused):
                    sequential.append(timed(
                        lambda: [qtargets.target(n, store=False) for n in names]))
                with paused_gc(gc_paused):
                    concurrent.append(timed(lambda: qtargets.targets(names, store=False)))
            seq, conc = statistics.median(sequential), statistics.median(concurrent)
            ratios[gc_paused] = conc / seq
            print(f"  GC {'paused (as timeit does)' if gc_paused else 'running'}: one after "
                  f"another {seq * 1000:6.1f} ms, concurrently {conc * 1000:6.1f} ms, ratio "
                  f"{conc / seq:.3f} (target <= 0.25; medians of {args.repeat})")
        ratio = ratios[False]

        with CalibrationStore() as store:
            qtargets.target("ibm_fez", store=store)  # first: downloads and stores
            seconds, counts = [], []
            for _ in range(args.repeat):
                before = count()
                seconds.append(timed(lambda: qtargets.target("ibm_fez", store=store)))
                counts.append(count() - before)
            second = statistics.median(seconds)
            print(f"second qtargets.target('ibm_fez'), unchanged: {max(counts)} request(s) "
                  f"(target <= 1), {second * 1000:.1f} ms incl. {args.latency * 1000:.0f} ms "
                  f"latency")

            offline = statistics.median(
                timed(lambda: qtargets.target("ibm_fez", live=False, store=store))
                for _ in range(max(args.repeat, 20)))
            opened = statistics.median(
                timed(lambda: qtargets.target("ibm_fez", live=False))
                for _ in range(max(args.repeat, 20)))
        print(f"store only: {offline * 1000:.1f} ms with an open store, {opened * 1000:.1f} ms "
              f"opening it each call (target <= 20 ms)")
    ok = ratio <= 0.25 and max(counts) <= 1 and max(offline, opened) <= 0.020
    print("all targets met" if ok else "TARGET MISSED")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
