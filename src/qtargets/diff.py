"""What changed between two calibrations: the numbers behind ``qtargets diff``.

A pure function of two :class:`~qtargets.Calibration` objects, so it works the same for every
vendor, for two snapshots of one device, and for two different devices (qubits are then
compared position by position, which is what a user swapping backends under the same
circuit layout wants to know).

What is compared, and which way is worse:

* per qubit: ``t1`` and ``t2`` (shorter is worse), ``readout_error`` (higher is worse),
  ``operational`` (becoming faulty is worse);
* per entry of every gate instruction, keyed by (gate name, qargs): ``error`` and
  ``duration`` (higher is worse), ``operational``. Two-qubit entries are *edges*, others
  *gates*. Measure, reset, delay and the like are left out: a qubit's ``readout_error``
  already says how well it is read;
* instructions, qubits and gate entries that exist on one side only. An entry on a qubit that
  exists on one side only is implied by that qubit and not listed again;
* per chain length N, the EPLG of the layer fidelity (*layers*; higher is worse), whichever
  chain of N qubits each side measured (vendors measure the best chain of each length, which
  moves);
* per coupler, the static ZZ (*couplers*; a larger ``|ZZ|`` is worse, its sign is
  convention). Coupling strength is not compared: a stronger coupling is neither worse nor
  better. Layers and couplers are compared only when both sides report some (a static ZZ
  of exactly 0 on every coupler, as some IBM devices report, counts as none); one reported
  on one side only is ``now_known``/``now_unknown``.

A numeric change counts only when ``|new - old| / |old| >= rel_tol``; smaller drifts (and
values unknown on both sides) are counted as unchanged, since calibration numbers jitter
from run to run. A value that stops or starts being reported is neither worse nor better
and has its own direction. Qubit frequency is not compared: it drifts without making a
qubit better or worse.

>>> import dataclasses, qtargets
>>> from qtargets.diff import diff_calibrations
>>> old = qtargets.load_calibration("ibm_fez")
>>> slow = dataclasses.replace(old.qubits[0], t1=old.qubits[0].t1 / 2)
>>> new = dataclasses.replace(old, qubits=(slow, *old.qubits[1:]))
>>> [(c.label, c.quantity) for c in diff_calibrations(old, new).worse]
[('qubit 0', 't1')]
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Literal, TypeAlias

from .model import (
    UNCALIBRATED_ERROR,
    Calibration,
    GateCalibration,
    InstructionCalibration,
    LayerFidelity,
)
from .summary import median_of

__all__ = [
    "DEFAULT_REL_TOL",
    "GATE_QUANTITIES",
    "HIGHER_IS_BETTER",
    "QUBIT_QUANTITIES",
    "CalibrationDiff",
    "Change",
    "DiffSide",
    "Direction",
    "ItemKind",
    "diff_calibrations",
    "entry_kind",
    "gate_entries",
]

DEFAULT_REL_TOL = 0.1
"""Relative changes below this (10%) are calibration jitter, not news."""

ItemKind = Literal["qubit", "edge", "gate", "instruction", "layer", "coupler"]
"""What changed: a qubit, a 2-qubit gate entry, another gate entry, a whole instruction, the
layer fidelity of a chain length, or a coupler."""

Direction = Literal["worse", "better", "appeared", "disappeared", "now_unknown", "now_known"]
"""How it changed. ``now_unknown``: a value was reported before and is not any more;
``now_known``: the reverse. Neither is worse or better, just less or more information."""

Value: TypeAlias = "float | bool | None"

HIGHER_IS_BETTER = frozenset({"t1", "t2"})
"""The quantities for which a larger value is better (every other one: smaller is better)."""
QUBIT_QUANTITIES = ("t1", "t2", "readout_error")
GATE_QUANTITIES = ("error", "duration")
_KIND_ORDER: dict[str, int] = {"qubit": 0, "edge": 1, "gate": 2, "instruction": 3, "layer": 4,
                               "coupler": 5}
_BY_SIZE = frozenset({"static_zz"})
"""Quantities compared by magnitude: their sign is a convention, their size what matters."""
_DIRECTION_ORDER: dict[str, int] = {
    "worse": 0, "better": 1, "disappeared": 2, "appeared": 3, "now_unknown": 4, "now_known": 5,
}


@dataclass(frozen=True, slots=True)
class Change:
    """One quantity of one item that changed between the two calibrations.

    Times are seconds and errors probabilities, as in :class:`~qtargets.Calibration`.
    """

    kind: ItemKind
    qubits: tuple[int, ...]
    """The qubit, the gate's qargs, the coupler's pair, ``()`` for a whole instruction; for a
    layer, the chain of the new side (of the old one if the new one's is unknown; ``()`` if
    neither side says)."""
    gate: str | None
    """Instruction name; ``None`` for a qubit, a layer or a coupler."""
    quantity: str
    """``t1``, ``t2``, ``readout_error``, ``error``, ``duration``, ``operational``, ``eplg``
    (a layer), ``static_zz`` (a coupler), or ``present`` (with ``old``/``new`` False/True)
    for something that appeared or disappeared."""
    old: Value
    new: Value
    relative: float | None
    """``(new - old) / |old|`` for numbers (signed; of the magnitudes for ``static_zz``);
    ``None`` when ``old`` is 0 or either side is not a number."""
    direction: Direction
    chain_length: int | None = None
    """For a layer: N, the length of the chains compared; else ``None``."""

    @property
    def label(self) -> str:
        """The item in words: ``qubit 3``, ``cz 3-4``, ``sx 5``, ``instruction rzz``."""
        if self.kind == "qubit":
            return f"qubit {self.qubits[0]}"
        if self.kind == "instruction":
            return f"instruction {self.gate}"
        if self.kind == "layer":
            return f"{self.chain_length}-qubit layer"
        if self.kind == "coupler":
            return f"coupler {'-'.join(map(str, self.qubits))}"
        return f"{self.gate} {'-'.join(map(str, self.qubits))}"

    @property
    def severity(self) -> float:
        """How many times worse (or better) it got: error x3 and T1 / 3 are both 3.

        A ratio, unlike :attr:`relative`, treats shrinking T1 and growing errors alike
        (a relative shrink can never pass -100%). Faults, repairs and changes from or to
        zero are infinitely severe; changes that are not worse or better have severity 0.
        """
        if self.direction not in ("worse", "better"):
            return 0.0
        if isinstance(self.old, bool) or isinstance(self.new, bool):
            return math.inf
        if self.old is None or self.new is None:  # not reachable for worse/better
            return 0.0
        low, high = sorted((abs(self.old), abs(self.new)))
        return math.inf if low == 0.0 else high / low

    def to_dict(self) -> dict[str, Any]:
        """JSON-compatible dict (SI units, qubits as a list)."""
        return {
            "kind": self.kind,
            "gate": self.gate,
            "qubits": list(self.qubits),
            "quantity": self.quantity,
            "old": self.old,
            "new": self.new,
            "relative": self.relative,
            "direction": self.direction,
            "chain_length": self.chain_length,
        }


@dataclass(frozen=True, slots=True)
class DiffSide:
    """Which calibration one side of a diff is, with its headline numbers.

    Medians use the rules of ``qtargets show`` (:mod:`qtargets.summary`): over operational
    qubits, and over usable 2-qubit gate entries (operational, on no faulty qubit, error
    reported and not IBM's error = 1 "uncalibrated" marker).
    """

    vendor: str
    backend_name: str
    taken_at: datetime | None
    num_qubits: int
    num_faulty_qubits: int
    num_faulty_gates: int
    """Gate entries (any width) marked non-operational."""
    num_edges: int
    """Directed qubit pairs on which some 2-qubit gate runs."""
    t1_median: float | None
    """Seconds."""
    t2_median: float | None
    """Seconds."""
    readout_error_median: float | None
    two_qubit_error_median: float | None
    """Over the entries of all the device's 2-qubit gates together."""
    eplg: float | None = None
    """EPLG of the longest chain with a layer fidelity (the device-wide figure)."""
    eplg_chain_length: int | None = None
    """That chain's length."""
    static_zz_median: float | None = None
    """Median ``|static ZZ|`` over the couplers, Hz; ``None`` when none reports one other
    than 0 (see the module doc)."""

    @property
    def label(self) -> str:
        """``ibm_fez @ 2025-02-26 20:16 UTC`` (just the name when the time is unknown)."""
        if self.taken_at is None:
            return self.backend_name
        moment = self.taken_at.astimezone(timezone.utc)
        return f"{self.backend_name} @ {moment:%Y-%m-%d %H:%M} UTC"

    def to_dict(self) -> dict[str, Any]:
        """JSON-compatible dict; ``taken_at`` as ISO 8601."""
        return {
            "vendor": self.vendor,
            "backend_name": self.backend_name,
            "taken_at": None if self.taken_at is None else self.taken_at.isoformat(),
            "num_qubits": self.num_qubits,
            "num_faulty_qubits": self.num_faulty_qubits,
            "num_faulty_gates": self.num_faulty_gates,
            "num_edges": self.num_edges,
            "t1_median": self.t1_median,
            "t2_median": self.t2_median,
            "readout_error_median": self.readout_error_median,
            "two_qubit_error_median": self.two_qubit_error_median,
            "eplg": self.eplg,
            "eplg_chain_length": self.eplg_chain_length,
            "static_zz_median": self.static_zz_median,
        }


@dataclass(frozen=True, slots=True)
class CalibrationDiff:
    """Everything that changed from ``old`` to ``new``, most severe worsening first.

    ``changes`` is ordered: worse (by :attr:`Change.severity`, largest first), better
    (likewise), disappeared, appeared, now unknown, now known; ties by item.
    """

    old: DiffSide
    new: DiffSide
    rel_tol: float
    changes: tuple[Change, ...]
    num_unchanged: int
    """Quantities present on both sides that changed by less than ``rel_tol`` (or are
    unknown on both)."""

    @property
    def same_device(self) -> bool:
        """Both sides are calibrations of the same backend (else qubits are matched by index)."""
        return (self.old.vendor, self.old.backend_name) == (self.new.vendor, self.new.backend_name)

    @property
    def worse(self) -> tuple[Change, ...]:
        return self._where("worse")

    @property
    def better(self) -> tuple[Change, ...]:
        return self._where("better")

    @property
    def appeared(self) -> tuple[Change, ...]:
        return self._where("appeared")

    @property
    def disappeared(self) -> tuple[Change, ...]:
        return self._where("disappeared")

    @property
    def now_unknown(self) -> tuple[Change, ...]:
        return self._where("now_unknown")

    @property
    def now_known(self) -> tuple[Change, ...]:
        return self._where("now_known")

    def counts(self) -> dict[str, int]:
        """Number of changes per direction (every direction present), plus ``unchanged``."""
        counts = dict.fromkeys(_DIRECTION_ORDER, 0)
        for change in self.changes:
            counts[change.direction] += 1
        counts["unchanged"] = self.num_unchanged
        return counts

    def to_dict(self) -> dict[str, Any]:
        """JSON-compatible dict (SI units, stable keys): what ``qtargets diff --json`` prints."""
        return {
            "old": self.old.to_dict(),
            "new": self.new.to_dict(),
            "same_device": self.same_device,
            "rel_tol": self.rel_tol,
            "counts": self.counts(),
            "changes": [c.to_dict() for c in self.changes],
        }

    def _where(self, direction: Direction) -> tuple[Change, ...]:
        return tuple(c for c in self.changes if c.direction == direction)


def diff_calibrations(
    old: Calibration, new: Calibration, *, rel_tol: float = DEFAULT_REL_TOL
) -> CalibrationDiff:
    """What changed from ``old`` to ``new`` (see the module doc for what is compared).

    Raises TypeError if either is not a Calibration, ValueError if ``rel_tol`` is negative
    or not finite.
    """
    for name, value in (("old", old), ("new", new)):
        if not isinstance(value, Calibration):
            raise TypeError(f"{name} must be a qtargets.Calibration, got {type(value).__name__}")
    if isinstance(rel_tol, bool) or not isinstance(rel_tol, (int, float)):
        raise TypeError(f"rel_tol must be a number, got {type(rel_tol).__name__}")
    if not (math.isfinite(rel_tol) and rel_tol >= 0):
        raise ValueError(f"rel_tol must be a finite non-negative number, got {rel_tol!r}")
    differ = _Differ(float(rel_tol))
    differ.qubits(old, new)
    differ.instructions(old, new)
    differ.layers(old, new)
    differ.couplers(old, new)
    changes = sorted(differ.changes, key=_order)
    return CalibrationDiff(_side(old), _side(new), float(rel_tol), tuple(changes),
                           differ.num_unchanged)


class _Differ:
    """Collects changes and counts the unchanged, one compared quantity at a time."""

    def __init__(self, rel_tol: float) -> None:
        self.rel_tol = rel_tol
        self.changes: list[Change] = []
        self.num_unchanged = 0

    def qubits(self, old: Calibration, new: Calibration) -> None:
        for q in range(min(old.num_qubits, new.num_qubits)):
            a, b = old.qubits[q], new.qubits[q]
            for quantity in QUBIT_QUANTITIES:
                self.number("qubit", (q,), None, quantity, getattr(a, quantity),
                            getattr(b, quantity))
            self.flag("qubit", (q,), None, a.operational, b.operational)
        for q in range(new.num_qubits, old.num_qubits):
            self.presence("qubit", (q,), None, appeared=False)
        for q in range(old.num_qubits, new.num_qubits):
            self.presence("qubit", (q,), None, appeared=True)

    def instructions(self, old: Calibration, new: Calibration) -> None:
        old_by_name = {inst.name: inst for inst in old.instructions}
        new_by_name = {inst.name: inst for inst in new.instructions}
        for name in old_by_name.keys() - new_by_name.keys():
            self.presence("instruction", (), name, appeared=False)
        for name in new_by_name.keys() - old_by_name.keys():
            self.presence("instruction", (), name, appeared=True)
        for name in old_by_name.keys() & new_by_name.keys():
            self.entries(old_by_name[name], new_by_name[name], old.num_qubits, new.num_qubits)

    def entries(self, old: InstructionCalibration, new: InstructionCalibration,
                old_num_qubits: int, new_num_qubits: int) -> None:
        old_entries = gate_entries(old)
        new_entries = gate_entries(new)
        for qubits, a in old_entries.items():
            b = new_entries.get(qubits)
            kind = entry_kind(qubits)
            if b is None:
                if max(qubits, default=-1) < new_num_qubits:  # else implied by a lost qubit
                    self.presence(kind, qubits, old.name, appeared=False)
                continue
            for quantity in GATE_QUANTITIES:
                self.number(kind, qubits, old.name, quantity, getattr(a, quantity),
                            getattr(b, quantity))
            self.flag(kind, qubits, old.name, a.operational, b.operational)
        for qubits in new_entries.keys() - old_entries.keys():
            if max(qubits, default=-1) < old_num_qubits:
                self.presence(entry_kind(qubits), qubits, new.name, appeared=True)

    def layers(self, old: Calibration, new: Calibration) -> None:
        if not (old.layer_fidelities and new.layer_fidelities):
            return  # nothing to compare with (the sides' EPLG says which reports them)
        old_by_size = _by_size(old.layer_fidelities)
        new_by_size = _by_size(new.layer_fidelities)
        for size in sorted(old_by_size.keys() | new_by_size.keys()):
            a, b = old_by_size.get(size), new_by_size.get(size)
            chain = (b.qubits if b is not None else None) or (
                a.qubits if a is not None else None) or ()
            self.number("layer", chain, None, "eplg", None if a is None else a.eplg,
                        None if b is None else b.eplg, chain_length=size)

    def couplers(self, old: Calibration, new: Calibration) -> None:
        if not (_zz_measured(old) and _zz_measured(new)):
            return
        old_by_pair = {c.qubits: c for c in old.couplers}
        new_by_pair = {c.qubits: c for c in new.couplers}
        for pair in sorted(old_by_pair.keys() | new_by_pair.keys()):
            a, b = old_by_pair.get(pair), new_by_pair.get(pair)
            self.number("coupler", pair, None, "static_zz",
                        None if a is None else a.static_zz, None if b is None else b.static_zz)

    def number(self, kind: ItemKind, qubits: tuple[int, ...], gate: str | None, quantity: str,
               old: float | None, new: float | None, *, chain_length: int | None = None) -> None:
        if old is None or new is None:
            if old is None and new is None:
                self.num_unchanged += 1
            else:
                direction: Direction = "now_unknown" if new is None else "now_known"
                self.changes.append(Change(kind, qubits, gate, quantity, old, new, None,
                                           direction, chain_length))
            return
        if new == old:
            self.num_unchanged += 1
            return
        # the size of a quantity whose sign is a convention; the value itself otherwise
        low, high = (abs(old), abs(new)) if quantity in _BY_SIZE else (old, new)
        relative = None if low == 0 else (high - low) / abs(low)
        if (relative is not None and abs(relative) < self.rel_tol) or high == low:
            self.num_unchanged += 1
            return
        grew = high > low
        worse = not grew if quantity in HIGHER_IS_BETTER else grew
        self.changes.append(Change(kind, qubits, gate, quantity, old, new, relative,
                                   "worse" if worse else "better", chain_length))

    def flag(self, kind: ItemKind, qubits: tuple[int, ...], gate: str | None, old: bool,
             new: bool) -> None:
        if old == new:
            self.num_unchanged += 1
            return
        self.changes.append(Change(kind, qubits, gate, "operational", old, new, None,
                                   "better" if new else "worse"))

    def presence(self, kind: ItemKind, qubits: tuple[int, ...], gate: str | None, *,
                 appeared: bool) -> None:
        self.changes.append(Change(kind, qubits, gate, "present", not appeared, appeared, None,
                                   "appeared" if appeared else "disappeared"))


def gate_entries(inst: InstructionCalibration) -> dict[tuple[int, ...], GateCalibration]:
    """Per-qargs entries of a gate; other kinds (measure, delay, ...) are not compared."""
    if inst.kind != "gate" or not inst.qargs:
        return {}
    return {g.qubits: g for g in inst.qargs}


def entry_kind(qubits: tuple[int, ...]) -> ItemKind:
    return "edge" if len(qubits) == 2 else "gate"


def _zz_measured(cal: Calibration) -> bool:
    """Whether some coupler reports a static ZZ other than 0. Some IBM devices (ibm_fez,
    ibm_torino...) report exactly 0 for every coupler: no measurement gives that, and
    comparing it would call every coupler of the other side infinitely better or worse."""
    return any(c.static_zz for c in cal.couplers)


def _by_size(layers: tuple[LayerFidelity, ...]) -> dict[int, LayerFidelity]:
    """Layer fidelities by chain length; of several chains of one length, the best."""
    out: dict[int, LayerFidelity] = {}
    for layer in layers:
        kept = out.get(layer.num_qubits)
        if kept is None or layer.fidelity > kept.fidelity:
            out[layer.num_qubits] = layer
    return out


def _order(change: Change) -> tuple[int, float, int, int, str, tuple[int, ...], str]:
    return (_DIRECTION_ORDER[change.direction], -change.severity, _KIND_ORDER[change.kind],
            change.chain_length or 0, change.gate or "", change.qubits, change.quantity)


def _side(cal: Calibration) -> DiffSide:
    faulty = frozenset(cal.faulty_qubits)
    longest = max(cal.layer_fidelities, key=lambda layer: (layer.num_qubits, layer.fidelity),
                  default=None)
    operational = [q for q in cal.qubits if q.operational]
    two_qubit = [
        g.error
        for inst in cal.instructions
        if inst.kind == "gate" and inst.num_qubits == 2
        for g in inst.qargs or ()
        if g.operational and not faulty.intersection(g.qubits)
        and g.error is not None and g.error != UNCALIBRATED_ERROR
    ]
    return DiffSide(
        vendor=cal.vendor,
        backend_name=cal.backend_name,
        taken_at=cal.taken_at,
        num_qubits=cal.num_qubits,
        num_faulty_qubits=len(faulty),
        num_faulty_gates=sum(
            not g.operational
            for inst in cal.instructions if inst.kind == "gate"
            for g in inst.qargs or ()
        ),
        num_edges=len(cal.edges),
        t1_median=median_of(q.t1 for q in operational),
        t2_median=median_of(q.t2 for q in operational),
        readout_error_median=median_of(q.readout_error for q in operational),
        two_qubit_error_median=median_of(two_qubit),
        eplg=None if longest is None else longest.eplg,
        eplg_chain_length=None if longest is None else longest.num_qubits,
        static_zz_median=median_of(
            None if c.static_zz is None else abs(c.static_zz) for c in cal.couplers
        ) if _zz_measured(cal) else None,
    )
