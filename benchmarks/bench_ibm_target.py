"""From raw IBM JSON bytes to a qiskit Target: qtargets vs the qiskit-ibm-runtime pipeline.

Both sides start from the same bytes on disk (already read into memory) for every real
snapshot qiskit-ibm-runtime ships, and are timed in the same run, alternating, so machine
noise hits both alike. Reported:

* per-snapshot ratio reference_time / qtargets_time, and its median (target: >= 3x);
* ``FakeFez().target`` (fresh backend object each time) vs ``qtargets.from_ibm`` on the same
  fez files (target: >= 20x).

Run:  python benchmarks/bench_ibm_target.py [--repeat N] [--quick]
"""

from __future__ import annotations

import argparse
import gc
import json
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

import qiskit  # noqa: F401  (import qiskit in the main thread first; see DEVELOPERS.md)
from qiskit_ibm_runtime.fake_provider import FakeFez
from qiskit_ibm_runtime.models import BackendConfiguration, BackendProperties
from qiskit_ibm_runtime.utils.backend_converter import convert_to_target

import qtargets

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
from reference import snapshots


def paired_median_times(
    first: Callable[[], object], second: Callable[[], object], repeat: int
) -> tuple[float, float]:
    """Median wall times of ``first`` and ``second``, called alternately ``repeat`` times each.

    Alternating means a burst of load from a noisy neighbour slows both sides alike. The GC
    is paused throughout, as ``timeit`` does (collecting before every call would time both
    sides from a cold allocator instead, which is not how they run).
    """
    times: tuple[list[float], list[float]] = ([], [])
    gc.collect()
    gc.disable()
    try:
        for _ in range(repeat):
            for func, bucket in ((first, times[0]), (second, times[1])):
                start = time.perf_counter()
                func()
                bucket.append(time.perf_counter() - start)
    finally:
        gc.enable()
    return statistics.median(times[0]), statistics.median(times[1])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=9, help="timed calls per side per round")
    parser.add_argument("--quick", action="store_true", help="3 repeats (smoke run)")
    args = parser.parse_args()
    repeat = 3 if args.quick else args.repeat

    rows = []
    for snap in snapshots():
        conf_bytes, props_bytes = snap.conf_path.read_bytes(), snap.props_path.read_bytes()

        def reference(c: bytes = conf_bytes, p: bytes = props_bytes) -> object:
            return convert_to_target(
                BackendConfiguration.from_dict(json.loads(c)),
                BackendProperties.from_dict(json.loads(p)),
                include_control_flow=True,
                include_fractional_gates=True,
            )

        def ours(c: bytes = conf_bytes, p: bytes = props_bytes) -> object:
            return qtargets.from_ibm(c, p)

        reference()  # warm both paths (imports, caches) before timing
        ours()
        t_ref, t_ours = paired_median_times(reference, ours, repeat)
        rows.append((snap.id, json.loads(conf_bytes)["n_qubits"], t_ref, t_ours))

    header = ("snapshot", "qubits", "reference ms", "qtargets ms", "ratio")
    print(f"{header[0]:16s} {header[1]:>6s} {header[2]:>13s} {header[3]:>12s} {header[4]:>7s}")
    for name, n, t_ref, t_ours in rows:
        print(f"{name:16s} {n:6d} {t_ref * 1e3:13.2f} {t_ours * 1e3:12.2f} {t_ref / t_ours:7.2f}")
    ratios = [t_ref / t_ours for _, _, t_ref, t_ours in rows]
    median_ratio = statistics.median(ratios)
    print(f"\nmedian ratio reference/qtargets over {len(rows)} snapshots: {median_ratio:.2f}x "
          f"(min {min(ratios):.2f}x, max {max(ratios):.2f}x; target >= 3x)")

    fez = next(s for s in snapshots() if s.id == "fez")
    conf_bytes, props_bytes = fez.conf_path.read_bytes(), fez.props_path.read_bytes()
    t_fake, t_ours = paired_median_times(  # one number, so more rounds than per snapshot
        lambda: FakeFez().target, lambda: qtargets.from_ibm(conf_bytes, props_bytes), 3 * repeat
    )
    print(f"FakeFez().target {t_fake * 1e3:.1f} ms vs qtargets.from_ibm {t_ours * 1e3:.2f} ms: "
          f"{t_fake / t_ours:.1f}x (target >= 20x)")
    ok = median_ratio >= 3 and t_fake / t_ours >= 20
    print("PASS" if ok else "BELOW TARGET")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
