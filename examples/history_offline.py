"""Calibration history and time travel with a local store, offline.

Every live fetch lands in a local SQLite store (``qtargets.store.CalibrationStore``), so later
you can ask which calibration was in force at any instant. Without credentials this script
fills a throwaway store itself: the bundled ibm_fez calibration, then a copy "taken" six hours
later in which qubit 4 lost half its T1. It then asks the store, ``qtargets.target(...,
at=...)`` and ``qtargets.diff.diff_calibrations`` what a live history would answer.

Run:  python examples/history_offline.py
"""

from __future__ import annotations

import dataclasses
import tempfile
from datetime import timedelta
from pathlib import Path

import qtargets
from qtargets.diff import diff_calibrations
from qtargets.store import CalibrationStore


def main() -> None:
    morning = qtargets.load_calibration("ibm_fez")
    assert morning.taken_at is not None
    q4 = morning.qubits[4]
    assert q4.t1 is not None
    worse = dataclasses.replace(q4, t1=q4.t1 / 2)
    evening = dataclasses.replace(
        morning, taken_at=morning.taken_at + timedelta(hours=6),
        qubits=(*morning.qubits[:4], worse, *morning.qubits[5:]))

    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "calibrations.sqlite3"
        with CalibrationStore(path) as store:
            first = store.save(morning)
            second = store.save(evening)
            assert store.save(morning) == first  # the same content is stored once
            print("history:", [s.taken_at.isoformat() for s in store.history("ibm_fez")
                               if s.taken_at is not None])
            noon = morning.taken_at + timedelta(hours=3)
            in_force = store.at("ibm_fez", noon)
            print(f"in force at {noon.isoformat()}: snapshot {in_force.id if in_force else None}"
                  f" (first {first.id}, second {second.id})")
            latest = store.latest("ibm_fez")
            print(f"latest: snapshot {latest.id if latest else None}")

        # the one-call API reads the same store; live=False: never the network
        for when in (noon, noon + timedelta(hours=6)):
            target = qtargets.target("ibm_fez", at=when, live=False, store=path)
            t1 = target.qubit_properties[4].t1
            print(f"qtargets.target('ibm_fez', at={when:%Y-%m-%d %H:%M}): qubit 4 T1 "
                  f"{t1 * 1e6:.1f} us")

    changes = diff_calibrations(morning, evening)
    for change in changes.worse:
        print(f"worse: {change.label} {change.quantity} {change.old:.3g} -> {change.new:.3g}")
    print("counts:", {k: v for k, v in changes.counts().items() if v})


if __name__ == "__main__":
    main()
