"""Today's Target with its device's earlier calibrations, for layouts that hold up across days.

>>> import qtargets
>>> target = qtargets.robust_target("ibm_sherbrooke", last=3, store=False)
>>> [day.num_qubits for day in target.history]   # 2023-01-03 and 2024-05-27; today 2025-02-26
[127, 127]
>>> from qiskit import transpile
>>> out = transpile(circuit, target=target, layout_method="qtargets-robust")  # doctest: +SKIP

A layout chosen on today's numbers alone bets on today's best qubits staying best; on IBM
devices readout errors and T1/T2 move a lot between calibrations (on ibm_sherbrooke the
per-qubit readout errors of 2024-05 and 2025-02 are uncorrelated). ``layout_method=
"qtargets-robust"`` (``"qtargets-robust-worst"``) judges each candidate placement on every
day the Target carries, by its mean (worst) estimated cost (:mod:`qtargets.layout`).

The days are the ones available offline (:func:`qtargets.live.offline_calibrations`: the
local store and the bundled real history), so fetch the newest first (``qtargets fetch
NAME``) if it should be today's. This module only looks them up: :mod:`qtargets.layout` may
not reach the store, and takes Targets.
"""

from __future__ import annotations

from ._exceptions import BackendInputError, QTargetsError, UnknownBackendError, warn
from .build import build_target
from .layout import TargetWithHistory, with_history
from .live import StoreArg, When, offline_calibrations, parse_when, split_time

__all__ = ["robust_target"]


def robust_target(device: str, at: When = None, *, last: int = 3, store: StoreArg = None,
                  include_control_flow: bool = True, include_fractional_gates: bool = True,
                  filter_faulty: bool = True, add_delay: bool = True) -> TargetWithHistory:
    """The Target of the newest calibration of ``device`` available offline (at or before
    ``at``, or the time of ``NAME@TIME``), carrying the ``last - 1`` calibrations before it
    as its history, for ``transpile(..., layout_method="qtargets-robust")``.

    Earlier days are built with ``filter_faulty=False``: what was faulty then counts with its
    (bad) numbers instead of vanishing. A day with another qubit count (an upgrade: another
    device) is left out with a :class:`qtargets.QTargetsWarning`, and so is asking for
    history where there is none (the robust layout is then today's). The flags are those of
    :func:`qtargets.build_target`, for today's Target. ``store`` as in :mod:`qtargets.live`.
    """
    if isinstance(last, bool) or not isinstance(last, int) or last < 1:
        raise QTargetsError(f"last must be a whole number >= 1, got {last!r}")
    name, when = split_time(device)
    if when is None:
        when = parse_when(at)
    elif at is not None:
        raise BackendInputError(f"{device!r} names its time; do not give at= too")
    days = offline_calibrations(name, until=when, last=last, store=store)
    if not days:
        raise UnknownBackendError(f"no calibration of {name!r} at or before "
                                  f"{when.isoformat() if when else 'now'} in the store or the "
                                  "bundled history")
    today = days[-1]
    earlier = []
    for day in days[:-1]:
        if day.num_qubits != today.num_qubits:
            warn(f"{name}: the calibration of {day.taken_at} has {day.num_qubits} qubits, "
                 f"today's ({today.taken_at}) {today.num_qubits}: left out of the history "
                 "(an upgraded device is another device)")
            continue
        earlier.append(build_target(day, filter_faulty=False))
    if last > 1 and not earlier:
        warn(f"{name}: no earlier calibration of the same device at or before "
             f"{today.taken_at} is available offline, so a robust layout is today's alone")
    target = build_target(today, include_control_flow=include_control_flow,
                          include_fractional_gates=include_fractional_gates,
                          filter_faulty=filter_faulty, add_delay=add_delay)
    return with_history(target, earlier)
