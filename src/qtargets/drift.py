"""How a device moved across calibration days, and which calibrations were in force over a
time window: the numbers behind ``qtargets drift`` and ``qtargets window``.

:func:`drift` is a pure function of calibrations of one device; :func:`device_drift` and
:func:`in_force` also take a name and read every calibration day available offline (the
local store and the bundled real history, :func:`qtargets.live.offline_calibrations`),
never the network.

What is followed is what :mod:`qtargets.diff` compares, element by element: per qubit
``t1``, ``t2`` and ``readout_error``; per entry of every gate instruction, keyed by (gate,
qargs), ``error`` and ``duration`` (two-qubit entries are *edges*, others *gates*). For each
element and quantity (a :class:`ElementDrift`):

* its value on each calibration day, ``None`` where it is absent, not reported, or the
  element is faulty that day (its numbers then describe nothing usable);
* the median, the lowest and the highest of the known values, and the *swing*,
  highest / lowest: how many times over it moved across the days (2.0 for an error that
  went from 1e-3 to 2e-3, or back);
* the worst change between consecutive calibrations (both known): the step that made it
  worse by the largest factor, as a :class:`qtargets.diff.Change` (``severity`` is the
  factor), and when.

An element is *faulty* on a day when the vendor marked it non-operational, or (a gate entry)
reported IBM's error = 1 "could not calibrate" marker (:data:`~qtargets.model.UNCALIBRATED_ERROR`).
Each switch between two consecutive calibrations is a :class:`FaultEvent`: ``faulty`` or
``recovered``. Per day (:class:`DaySummary`), the distribution (quartiles) of T1, T2, readout
error, 1-qubit and 2-qubit gate error over the usable part of the device, by the rules of
``qtargets show`` and ``qtargets diff`` (operational qubits; gate entries operational, on
no faulty qubit, error reported and not the marker; virtual gates such as ``rz`` left out),
so its medians are those ``qtargets diff`` prints.

>>> from qtargets.drift import drift
>>> from qtargets.bundled import bundled_history
>>> report = drift(bundled_history("ibm_sherbrooke"))
>>> len(report.days), report.series("t1", (0,)).worst_change is not None
(3, True)
"""

from __future__ import annotations

import itertools
import math
import os
import statistics
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any, Literal

from ._exceptions import DriftError, UnknownBackendError
from ._optional import require
from .diff import (
    DEFAULT_REL_TOL,
    GATE_QUANTITIES,
    HIGHER_IS_BETTER,
    QUBIT_QUANTITIES,
    CalibrationDiff,
    Change,
    ItemKind,
    diff_calibrations,
    entry_kind,
    gate_entries,
)
from .errormap import check_image_file
from .live import StoreArg, When, offline_calibrations, offline_history, parse_when
from .model import UNCALIBRATED_ERROR, Calibration, is_virtual

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

__all__ = [
    "CalibrationWindow",
    "DaySummary",
    "DriftReport",
    "ElementDrift",
    "FaultEvent",
    "Quartiles",
    "Reason",
    "device_drift",
    "drift",
    "in_force",
    "plot_drift",
]

_Key = tuple[ItemKind, tuple[int, ...], str | None]
"""An element: (kind, qubits, gate name or ``None`` for a qubit)."""

Reason = Literal["non-operational", "uncalibrated"]
"""Why an element is faulty: marked non-operational, or reported with the error = 1
marker."""

_KIND_ORDER = {"qubit": 0, "edge": 1, "gate": 2}


@dataclass(frozen=True, slots=True)
class Quartiles:
    """First quartile, median and third quartile of some values, and how many there were."""

    q1: float
    median: float
    q3: float
    count: int

    def to_dict(self) -> dict[str, Any]:
        return {"q1": self.q1, "median": self.median, "q3": self.q3, "count": self.count}


@dataclass(frozen=True, slots=True)
class DaySummary:
    """One calibration of the device in a few numbers: the distributions of its main
    quantities over its usable part (see the module doc); ``None`` when none is reported."""

    taken_at: datetime
    t1: Quartiles | None
    """Seconds."""
    t2: Quartiles | None
    """Seconds."""
    readout_error: Quartiles | None
    one_qubit_error: Quartiles | None
    """Over the entries of every non-virtual single-qubit gate together."""
    two_qubit_error: Quartiles | None
    """Over the entries of every two-qubit gate together."""
    num_qubits: int
    num_faulty_qubits: int
    num_faulty_edges: int
    """Two-qubit gate entries marked non-operational or with the error = 1 marker."""

    def to_dict(self) -> dict[str, Any]:
        """JSON-compatible dict (SI units; ``taken_at`` as ISO 8601)."""
        def of(q: Quartiles | None) -> dict[str, Any] | None:
            return None if q is None else q.to_dict()

        return {"taken_at": self.taken_at.isoformat(), "t1": of(self.t1), "t2": of(self.t2),
                "readout_error": of(self.readout_error),
                "one_qubit_error": of(self.one_qubit_error),
                "two_qubit_error": of(self.two_qubit_error), "num_qubits": self.num_qubits,
                "num_faulty_qubits": self.num_faulty_qubits,
                "num_faulty_edges": self.num_faulty_edges}


@dataclass(frozen=True, slots=True)
class FaultEvent:
    """An element that became faulty, or recovered, from one calibration to the next."""

    kind: ItemKind
    qubits: tuple[int, ...]
    gate: str | None
    became: Literal["faulty", "recovered"]
    before: datetime
    """When the calibration before the switch was taken."""
    at: datetime
    """When the first calibration showing the new state was taken."""
    reason: Reason
    """Why it is (``faulty``) or was (``recovered``) faulty: marked non-operational, or
    reported with the error = 1 marker."""

    @property
    def label(self) -> str:
        """``qubit 3``, ``ecr 56-57``, as in ``qtargets diff``."""
        return _label(self.kind, self.qubits, self.gate)

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "gate": self.gate, "qubits": list(self.qubits),
                "became": self.became, "before": self.before.isoformat(),
                "at": self.at.isoformat(), "reason": self.reason}


@dataclass(frozen=True, slots=True)
class ElementDrift:
    """One quantity of one element across the calibration days (see the module doc)."""

    kind: ItemKind
    qubits: tuple[int, ...]
    gate: str | None
    quantity: str
    """``t1``, ``t2``, ``readout_error`` (a qubit); ``error``, ``duration`` (a gate entry)."""
    values: tuple[float | None, ...]
    """One per calibration day, oldest first; ``None``: absent, not reported, or faulty."""
    median: float | None
    low: float | None
    high: float | None
    swing: float | None
    """``high / low``: 1.0 when it did not move, infinite from 0; ``None`` with fewer than
    two known values."""
    worst_change: Change | None
    """The change between consecutive days that made it worse by the largest factor
    (``worst_change.severity``); ``None`` if it never got worse."""
    worst_before: datetime | None
    """When the calibration before the worst change was taken."""
    worst_at: datetime | None
    """When the calibration after the worst change was taken."""
    faulty_days: int
    """Calibrations on which the element was faulty."""

    @property
    def label(self) -> str:
        """``qubit 3``, ``ecr 56-57``, as in ``qtargets diff``."""
        return _label(self.kind, self.qubits, self.gate)

    def to_dict(self) -> dict[str, Any]:
        """JSON-compatible dict (SI units; times as ISO 8601)."""
        return {"kind": self.kind, "gate": self.gate, "qubits": list(self.qubits),
                "quantity": self.quantity, "values": list(self.values),
                "median": self.median, "low": self.low, "high": self.high,
                "swing": self.swing,
                "worst_change": None if self.worst_change is None else {
                    "old": self.worst_change.old, "new": self.worst_change.new,
                    "factor": self.worst_change.severity,
                    "before": _iso(self.worst_before), "at": _iso(self.worst_at)},
                "faulty_days": self.faulty_days}


@dataclass(frozen=True, slots=True)
class DriftReport:
    """How one device moved across its calibrations, oldest first."""

    vendor: str
    backend_name: str
    taken_at: tuple[datetime, ...]
    days: tuple[DaySummary, ...]
    elements: tuple[ElementDrift, ...]
    """Every element and quantity: qubits, then edges, then gates."""
    faults: tuple[FaultEvent, ...]
    """In time order."""

    @property
    def became_faulty(self) -> tuple[FaultEvent, ...]:
        return tuple(e for e in self.faults if e.became == "faulty")

    @property
    def recovered(self) -> tuple[FaultEvent, ...]:
        return tuple(e for e in self.faults if e.became == "recovered")

    def moved_most(self, top: int | None = None) -> tuple[ElementDrift, ...]:
        """The elements and quantities that moved, largest swing first (the first ``top``)."""
        moved = [e for e in self.elements if e.swing is not None and e.swing > 1.0]
        moved.sort(key=lambda e: (-(e.swing or 0.0), *_order(e)))
        return tuple(moved if top is None else moved[:top])

    def series(self, quantity: str, qubits: Sequence[int], gate: str | None = None
               ) -> ElementDrift:
        """The drift of ``quantity`` of a qubit (``gate=None``) or a gate entry; KeyError if
        the calibrations have no such element."""
        wanted = tuple(qubits)
        for element in self.elements:
            if (element.quantity, element.qubits, element.gate) == (quantity, wanted, gate):
                return element
        raise KeyError((quantity, wanted, gate))

    def to_dict(self) -> dict[str, Any]:
        """JSON-compatible dict (SI units, stable keys): what ``qtargets drift --json``
        prints."""
        return {"vendor": self.vendor, "backend_name": self.backend_name,
                "taken_at": [t.isoformat() for t in self.taken_at],
                "days": [d.to_dict() for d in self.days],
                "faults": [f.to_dict() for f in self.faults],
                "elements": [e.to_dict() for e in self.elements]}


# -- drift ---------------------------------------------------------------------------------------


def drift(calibrations: Iterable[Calibration]) -> DriftReport:
    """How the device of ``calibrations`` moved across them (see the module doc).

    The calibrations may come in any order; they are taken oldest first.

    Raises:
        DriftError: fewer than two calibrations, calibrations of different devices, one
            without a time, or two taken at the same time.
    """
    days = _days(calibrations, minimum=2, what="drift")
    states = [_elements(cal) for cal in days]
    keys = sorted({key for state in states for key in state}, key=_key_order)
    times = tuple(_taken(cal) for cal in days)
    elements: list[ElementDrift] = []
    faults: list[FaultEvent] = []
    for key in keys:
        kind = key[0]
        seen = [state.get(key) for state in states]
        faults += _fault_events(key, seen, times)
        faulty_days = sum(s is not None and s[1] is not None for s in seen)
        quantities = QUBIT_QUANTITIES if kind == "qubit" else GATE_QUANTITIES
        for quantity in quantities:
            values = tuple(None if s is None else s[0].get(quantity) for s in seen)
            elements.append(_element(key, quantity, values, times, faulty_days))
    faults.sort(key=lambda e: (e.at, _KIND_ORDER[e.kind], e.gate or "", e.qubits))
    first = days[0]
    return DriftReport(first.vendor, first.backend_name, times,
                       tuple(_day(cal) for cal in days), tuple(elements), tuple(faults))


def device_drift(name: str, since: When = None, until: When = None, *,
                 last: int | None = None, store: StoreArg = None) -> DriftReport:
    """:func:`drift` of every calibration of ``name`` available offline in ``[since,
    until]`` (the store and the bundled history; ``last``: only the newest ``last``).

    >>> device_drift("ibm_sherbrooke", store=False).taken_at[0].year
    2023

    Raises:
        UnknownBackendError: no stored or bundled calibration of ``name`` at all.
        DriftError: fewer than two in the range.
    """
    found = offline_calibrations(name, since, until, last=last, store=store)
    if len(found) < 2:
        where = _range_words(since, until)
        raise DriftError(
            f"drift needs two or more calibrations of {name!r}; {len(found)} available "
            f"offline{where} (stored and bundled): download more with qtargets history "
            f"{name} --since DATE")
    return drift(found)


def _days(calibrations: Iterable[Calibration], *, minimum: int, what: str
          ) -> list[Calibration]:
    """The calibrations, checked to be of one device and placed in time, oldest first."""
    if isinstance(calibrations, Calibration):
        raise DriftError(f"{what} takes several calibrations of one device, got one "
                         "Calibration (pass a list)")
    found = list(calibrations)
    for i, cal in enumerate(found):
        if not isinstance(cal, Calibration):
            raise DriftError(f"calibrations[{i}]: expected a qtargets.Calibration, got "
                             f"{type(cal).__name__}")
        if cal.taken_at is None:
            raise DriftError(f"calibrations[{i}] ({cal.backend_name}) has no taken_at: it "
                             "cannot be placed in time")
    if len(found) < minimum:
        raise DriftError(f"{what} needs at least {minimum} calibrations of one device, got "
                         f"{len(found)}")
    devices = sorted({(c.vendor, c.backend_name) for c in found})
    if len(devices) > 1:
        names = ", ".join(f"{backend} ({vendor})" for vendor, backend in devices)
        raise DriftError(f"{what} compares calibrations of one device, got several: {names}")
    found.sort(key=_taken)
    for a, b in itertools.pairwise(found):
        if a.taken_at == b.taken_at:
            raise DriftError(f"two calibrations of {a.backend_name} taken at the same time, "
                             f"{_taken(a).isoformat()}: give each calibration once")
    return found


def _taken(cal: Calibration) -> datetime:
    assert cal.taken_at is not None  # checked by _days
    return cal.taken_at


_Seen = tuple[dict[str, float | None], Reason | None]
"""An element on one day: its usable values by quantity, and why it is faulty (``None``:
it is not)."""


def _elements(cal: Calibration) -> dict[_Key, _Seen]:
    """Each element of ``cal``, as :mod:`qtargets.diff` compares them."""
    out: dict[_Key, _Seen] = {}
    for q, qubit in enumerate(cal.qubits):
        if not qubit.operational:
            out[("qubit", (q,), None)] = ({}, "non-operational")
        else:
            out[("qubit", (q,), None)] = ({k: getattr(qubit, k) for k in QUBIT_QUANTITIES},
                                          None)
    for inst in cal.instructions:
        for qubits, entry in gate_entries(inst).items():
            key: _Key = (entry_kind(qubits), qubits, inst.name)
            if not entry.operational:
                out[key] = ({}, "non-operational")
            elif entry.error == UNCALIBRATED_ERROR:
                out[key] = ({}, "uncalibrated")
            else:
                out[key] = ({"error": entry.error, "duration": entry.duration}, None)
    return out


def _fault_events(key: _Key, seen: list[_Seen | None], times: tuple[datetime, ...]
                  ) -> list[FaultEvent]:
    """Switches between usable and faulty from one calibration to the next, where the
    element is in both (``None`` in ``seen``: not in that calibration)."""
    kind, qubits, gate = key
    events = []
    for i in range(1, len(seen)):
        a, b = seen[i - 1], seen[i]
        if a is None or b is None or (a[1] is None) == (b[1] is None):
            continue
        reason = b[1] if b[1] is not None else a[1]
        assert reason is not None
        events.append(FaultEvent(kind, qubits, gate,
                                 "faulty" if b[1] is not None else "recovered",
                                 times[i - 1], times[i], reason))
    return events


def _element(key: _Key, quantity: str, values: tuple[float | None, ...],
             times: tuple[datetime, ...], faulty_days: int) -> ElementDrift:
    kind, qubits, gate = key
    known = [v for v in values if v is not None]
    median = statistics.median(known) if known else None
    low = min(known) if known else None
    high = max(known) if known else None
    swing = None
    if low is not None and high is not None and len(known) >= 2:
        swing = 1.0 if high == low else (math.inf if low <= 0 else high / low)
    worst: Change | None = None
    worst_index = 0
    for i in range(1, len(values)):
        old, new = values[i - 1], values[i]
        if old is None or new is None or old == new:
            continue
        got_worse = new < old if quantity in HIGHER_IS_BETTER else new > old
        if not got_worse:
            continue
        change = Change(kind, qubits, gate, quantity, old, new,
                        None if old == 0 else (new - old) / abs(old), "worse")
        if worst is None or change.severity > worst.severity:
            worst, worst_index = change, i
    return ElementDrift(
        kind, qubits, gate, quantity, values, median, low, high, swing,
        worst, times[worst_index - 1] if worst is not None else None,
        times[worst_index] if worst is not None else None, faulty_days)


def _day(cal: Calibration) -> DaySummary:
    """The distributions of one calibration, over the usable part (the rules of
    :class:`qtargets.diff.DiffSide`)."""
    faulty = frozenset(cal.faulty_qubits)
    operational = [q for q in cal.qubits if q.operational]
    one: list[float] = []
    two: list[float] = []
    faulty_edges = 0
    for inst in cal.instructions:
        if inst.kind != "gate" or not inst.qargs or inst.num_qubits not in (1, 2):
            continue
        if inst.num_qubits == 2:
            faulty_edges += sum(not g.operational or g.error == UNCALIBRATED_ERROR
                                for g in inst.qargs)
        elif is_virtual(inst.name, (g.error for g in inst.qargs)):
            continue
        usable = [g.error for g in inst.qargs
                  if g.operational and not faulty.intersection(g.qubits)
                  and g.error is not None and g.error != UNCALIBRATED_ERROR]
        (two if inst.num_qubits == 2 else one).extend(usable)
    return DaySummary(
        taken_at=_taken(cal),
        t1=_quartiles(q.t1 for q in operational),
        t2=_quartiles(q.t2 for q in operational),
        readout_error=_quartiles(q.readout_error for q in operational),
        one_qubit_error=_quartiles(one),
        two_qubit_error=_quartiles(two),
        num_qubits=cal.num_qubits,
        num_faulty_qubits=len(faulty),
        num_faulty_edges=faulty_edges,
    )


def _quartiles(values: Iterable[float | None]) -> Quartiles | None:
    known = sorted(v for v in values if v is not None)
    if not known:
        return None
    if len(known) == 1:
        return Quartiles(known[0], known[0], known[0], 1)
    q1, _, q3 = statistics.quantiles(known, n=4, method="inclusive")
    return Quartiles(q1, statistics.median(known), q3, len(known))


def _label(kind: str, qubits: tuple[int, ...], gate: str | None) -> str:
    if kind == "qubit":
        return f"qubit {qubits[0]}"
    return f"{gate} {'-'.join(map(str, qubits))}"


def _key_order(key: _Key) -> tuple[int, str, tuple[int, ...]]:
    kind, qubits, gate = key
    return (_KIND_ORDER[kind], gate or "", qubits)


def _order(element: ElementDrift) -> tuple[int, str, tuple[int, ...], str]:
    return (*_key_order((element.kind, element.qubits, element.gate)), element.quantity)


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.isoformat()


def _range_words(since: When, until: When) -> str:
    start, end = parse_when(since), parse_when(until)
    if start is None and end is None:
        return ""
    return (f" from {start.isoformat() if start else 'the first'} to "
            f"{end.isoformat() if end else 'now'}")


# -- the calibrations in force over a window ---------------------------------------------------


@dataclass(frozen=True, slots=True)
class CalibrationWindow:
    """The calibrations of a device in force over ``[start, end]``: the one in force at
    ``start`` (taken at or before it), then every one taken after ``start`` up to ``end``,
    oldest first; and what changed at each change of calibration."""

    backend_name: str
    start: datetime
    end: datetime
    calibrations: tuple[Calibration, ...]
    diffs: tuple[CalibrationDiff, ...]
    """``diff_calibrations`` of each calibration against the one before it (one fewer than
    ``calibrations``)."""

    @property
    def changed(self) -> bool:
        """Whether another calibration came into force inside the window."""
        return len(self.calibrations) > 1

    def to_dict(self) -> dict[str, Any]:
        """JSON-compatible dict: what ``qtargets window --json`` prints (every change of each
        diff, SI units)."""
        return {
            "backend_name": self.backend_name,
            "start": self.start.isoformat(),
            "end": self.end.isoformat(),
            "changed": self.changed,
            "calibrations": [
                {"taken_at": _taken(c).isoformat(),
                 "in_force_from": max(_taken(c), self.start).isoformat(),
                 "in_force_until": (_taken(self.calibrations[i + 1]).isoformat()
                                    if i + 1 < len(self.calibrations) else self.end.isoformat()),
                 "source": c.provenance.source}
                for i, c in enumerate(self.calibrations)],
            "diffs": [d.to_dict() for d in self.diffs],
        }


def in_force(device: str | Iterable[Calibration], start: When, end: When, *,
             store: StoreArg = None, rel_tol: float = DEFAULT_REL_TOL) -> CalibrationWindow:
    """The calibrations in force over ``[start, end]`` (bounds inclusive), and what changed
    whenever another one came into force (:func:`qtargets.diff.diff_calibrations` with
    ``rel_tol``).

    ``device`` is a name (its calibrations available offline: the store and the bundled
    history, no network) or calibrations of one device. ``start`` and ``end`` are datetimes
    (naive = UTC), dates or ISO 8601 text, as ``at=`` everywhere.

    >>> window = in_force("ibm_sherbrooke", "2024-01-01", "2025-01-01", store=False)
    >>> [c.taken_at.year for c in window.calibrations], window.changed
    ([2023, 2024], True)

    Raises:
        DriftError: a missing time, ``start`` after ``end``, calibrations of different
            devices or two at the same time.
        UnknownBackendError: no calibration in force at ``start`` (the message names the
            earliest one available), or none of that name at all.
    """
    begin, finish = _bound(start, "start"), _bound(end, "end")
    if begin > finish:
        raise DriftError(f"the window starts after it ends: start {begin.isoformat()}, end "
                         f"{finish.isoformat()}")
    if isinstance(device, str):
        found = _offline_window(device, begin, finish, store)
        label = device
    else:
        found = _days(device, minimum=1, what="a window")
        label = found[0].backend_name
    before = [c for c in found if _taken(c) <= begin]
    if not before:
        raise UnknownBackendError(
            f"no calibration of {label!r} in force at {begin.isoformat()}: the earliest "
            f"available was taken {_taken(found[0]).isoformat()}")
    window = [before[-1], *(c for c in found if begin < _taken(c) <= finish)]
    diffs = tuple(diff_calibrations(a, b, rel_tol=rel_tol) for a, b in itertools.pairwise(window))
    return CalibrationWindow(window[0].backend_name, begin, finish, tuple(window), diffs)


def _bound(value: When, name: str) -> datetime:
    if value is None:
        raise DriftError(f"a window needs a {name} time")
    moment = parse_when(value)
    assert moment is not None
    return moment


def _offline_window(name: str, start: datetime, end: datetime, store: StoreArg
                    ) -> list[Calibration]:
    """The calibrations of ``name`` from the one in force at ``start`` up to ``end``, loaded
    (only those: a long stored history is listed, not loaded)."""
    dated = [e for e in offline_history(name, store=store) if e.taken_at is not None]
    before = [e.taken_at for e in dated if e.taken_at is not None and e.taken_at <= start]
    if not before:
        earliest = min(dated, key=lambda e: e.taken_at or start, default=None)
        first = (f"the earliest available is the {earliest.where} one taken "
                 f"{earliest.taken_at.isoformat()}" if earliest is not None
                 and earliest.taken_at is not None else "none has a time")
        raise UnknownBackendError(
            f"no calibration of {name!r} in force at {start.isoformat()} offline: {first}")
    return _days(offline_calibrations(name, before[-1], end, store=store), minimum=1,
                 what="a window")


# -- the picture ----------------------------------------------------------------------------------


_PANELS: tuple[tuple[str, str, bool], ...] = (
    ("t1", "T1 (µs)", False),
    ("t2", "T2 (µs)", False),
    ("readout_error", "readout error", True),
    ("one_qubit_error", "1-qubit gate error", True),
    ("two_qubit_error", "2-qubit gate error", True),
)
"""(DaySummary field, axis label, logarithmic): the panels of :func:`plot_drift`."""


def plot_drift(report: DriftReport, path: str | os.PathLike[str] | None = None, *,
               figsize: tuple[float, float] = (12.0, 8.0), dpi: float = 100.0) -> Figure:
    """Draw the device's distributions per calibration day: for T1, T2, readout error, 1- and
    2-qubit gate error the median (line) and the quartiles (band), each day at its time;
    and how many qubits and 2-qubit gate entries were faulty.

    ``path`` (optional) is where to save it; the suffix picks the format (``.png``,
    ``.svg``, ``.pdf``...). Drawn with matplotlib's object API on the Agg canvas, like
    :func:`qtargets.errormap.plot_error_map`.

    Raises:
        MissingDependencyError: matplotlib is not installed.
        UnsupportedFormatError: ``path`` has a suffix matplotlib cannot write.
    """
    require("matplotlib", "drawing drift plots")
    if path is not None:
        check_image_file(path, "drawing drift plots")
    from matplotlib.backends.backend_agg import FigureCanvasAgg  # noqa: PLC0415
    from matplotlib.figure import Figure  # noqa: PLC0415

    figure = Figure(figsize=figsize, dpi=dpi, layout="constrained")
    FigureCanvasAgg(figure)
    axes = figure.subplots(2, 3, sharex=True).flatten()
    times: Any = list(report.taken_at)  # matplotlib's stubs want numbers; it takes datetimes
    for ax, (field, label, log) in zip(axes, _PANELS, strict=False):
        scale = 1e6 if field in ("t1", "t2") else 1.0
        spread = [getattr(day, field) for day in report.days]
        q1 = [math.nan if s is None else s.q1 * scale for s in spread]
        median = [math.nan if s is None else s.median * scale for s in spread]
        q3 = [math.nan if s is None else s.q3 * scale for s in spread]
        ax.fill_between(times, q1, q3, alpha=0.25, color="tab:blue", linewidth=0,
                        label="quartiles")
        ax.plot(times, median, marker="o", color="tab:blue", label="median")
        if log and any(math.isfinite(v) and v > 0 for v in q1 + q3):
            ax.set_yscale("log")
        ax.set_ylabel(label)
        ax.grid(True, alpha=0.3)
    _faults_panel(axes[-1], report)
    axes[0].legend(loc="best", fontsize="small")
    _time_axis(axes, times)
    first, last = times[0], times[-1]
    figure.suptitle(f"{report.backend_name}: {len(times)} calibrations, "
                    f"{_day_text(first)} to {_day_text(last)} (UTC)", fontsize=14)
    if path is not None:
        figure.savefig(path, dpi=dpi)
    return figure


def _faults_panel(ax: Axes, report: DriftReport) -> None:
    times: Any = list(report.taken_at)
    ax.plot(times, [d.num_faulty_qubits for d in report.days], marker="s",
            color="tab:gray", label="faulty qubits")
    ax.plot(times, [d.num_faulty_edges for d in report.days], marker="^",
            color="tab:red", label="faulty 2q entries")
    from matplotlib.ticker import MaxNLocator  # noqa: PLC0415

    ax.set_ylabel("faulty elements")
    ax.set_ylim(bottom=0)
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    ax.legend(loc="best", fontsize="small")
    ax.grid(True, alpha=0.3)


def _time_axis(axes: Any, times: list[datetime]) -> None:
    """Each day at its time; a tick per calibration while they are few enough to read."""
    from matplotlib.dates import DateFormatter  # noqa: PLC0415

    for ax in axes:
        if len(times) <= 8:
            ax.set_xticks(times)
        ax.xaxis.set_major_formatter(
            DateFormatter("%Y-%m-%d", tz=timezone.utc))  # type: ignore[no-untyped-call]
        ax.tick_params(axis="x", labelrotation=30)


def _day_text(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%d")
