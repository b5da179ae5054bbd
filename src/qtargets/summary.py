"""A calibration at a glance: the numbers ``qtargets show`` prints, computed from a Calibration.

Everything here is a pure function of a :class:`~qtargets.Calibration` (never vendor JSON, never
a qiskit ``Target``), so every vendor gets the same summary and the CLI only formats it.

Statistics describe the part of the device a user can actually run on: gate entries marked
non-operational, or touching a faulty qubit, are left out (and listed as faulty instead).
Missing values (``None``) are skipped and counted. IBM reports ``error = 1.0`` for a gate it
could not calibrate; such entries are counted apart and kept out of medians and ``best``
(a handful of them would otherwise drag a median), but they are the ``worst``.

>>> import qtargets
>>> from qtargets.summary import summarize
>>> summarize(qtargets.load_calibration("ibm_fez")).num_qubits
156
"""

from __future__ import annotations

import statistics
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, fields, is_dataclass
from datetime import datetime
from typing import Any

from .model import (
    UNCALIBRATED_ERROR,
    Calibration,
    GateCalibration,
    InstructionCalibration,
    LayerFidelity,
    is_virtual,
)

__all__ = [
    "DEFAULT_TOP",
    "CalibrationSummary",
    "CouplerSummary",
    "FaultyGate",
    "InstructionSummary",
    "LayerSummary",
    "RankedEdge",
    "RankedQubit",
    "Spread",
    "best_edges",
    "best_qubits",
    "median_of",
    "summarize",
    "summarize_couplers",
    "summarize_instruction",
]

DEFAULT_TOP = 5
"""How many best qubits and best edges a summary lists unless told otherwise."""


@dataclass(frozen=True, slots=True)
class Spread:
    """Median, best (lowest) and worst (highest) of some values; ``None`` when there are none."""

    median: float | None = None
    best: float | None = None
    worst: float | None = None


@dataclass(frozen=True, slots=True)
class InstructionSummary:
    """How well one instruction runs across the qubits it is calibrated on."""

    name: str
    kind: str
    num_qubits: int
    num_qargs: int | None
    """Calibrated qubit tuples; ``None`` for a global instruction (runs on any qubits)."""
    num_excluded: int
    """Entries left out of the statistics: non-operational or touching a faulty qubit."""
    error: Spread
    """Over usable entries; ``worst`` includes the uncalibrated (error = 1) entries."""
    num_missing_error: int
    """Usable entries with no reported error."""
    num_uncalibrated: int
    """Usable entries with IBM's error = 1 marker, kept out of ``median`` and ``best``."""
    median_duration: float | None
    """Seconds, over usable entries with a reported duration."""


@dataclass(frozen=True, slots=True)
class FaultyGate:
    """An instruction on specific qubits, marked non-operational or uncalibrated."""

    name: str
    qubits: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class RankedQubit:
    """A qubit in the best-qubits ranking; lower ``score`` is better (see :func:`best_qubits`)."""

    qubit: int
    score: float
    readout_error: float
    gate_error: float
    """Mean error of the qubit's (non-virtual) 1-qubit gates."""
    t1: float | None
    """Seconds."""
    t2: float | None
    """Seconds."""


@dataclass(frozen=True, slots=True)
class RankedEdge:
    """A qubit pair in the best-edges ranking, with its best 2-qubit gate."""

    qubits: tuple[int, int]
    """As calibrated (the direction of the best entry)."""
    gate: str
    error: float
    duration: float | None
    """Seconds."""


@dataclass(frozen=True, slots=True)
class LayerSummary:
    """One layer fidelity of the device (see :class:`qtargets.model.LayerFidelity`)."""

    num_qubits: int
    """N, the chain's length."""
    fidelity: float
    eplg: float
    """Error per layered gate, ``1 - fidelity ** (1 / (N - 1))``."""
    qubits: tuple[int, ...] | None
    """The chain, in order; ``None`` when the vendor did not say."""

    @classmethod
    def of(cls, layer: LayerFidelity) -> LayerSummary:
        return cls(layer.num_qubits, layer.fidelity, layer.eplg, layer.qubits)


@dataclass(frozen=True, slots=True)
class CouplerSummary:
    """The coupling numbers of the device's couplers (:attr:`Calibration.couplers`), Hz.

    Static ZZ is compared by size, whatever its sign: ``best`` is the smallest ``|ZZ|``,
    ``worst`` the largest, ``median`` the median of ``|ZZ|``.
    """

    num_couplers: int
    static_zz: Spread
    """Of ``|static ZZ|`` over couplers that report it, Hz."""
    worst_static_zz_qubits: tuple[int, int] | None
    """The coupler with the largest ``|static ZZ|`` (the lower pair on a tie); ``None`` when
    none reports a ZZ other than 0."""
    coupling_median: float | None
    """Median coupling strength J, Hz."""


@dataclass(frozen=True, slots=True)
class CalibrationSummary:
    """The headline numbers of one calibration. ``to_dict()`` is its stable JSON form."""

    vendor: str
    backend_name: str
    backend_version: str | None
    processor: str | None
    taken_at: datetime | None
    source: str
    """Provenance: where the numbers came from."""
    retrieved_at: datetime | None
    num_qubits: int
    num_operational_qubits: int
    instructions: tuple[InstructionSummary, ...]
    readout_error: Spread
    """Over operational qubits with a reported readout error."""
    t1_median: float | None
    """Seconds, over operational qubits."""
    t2_median: float | None
    """Seconds, over operational qubits."""
    faulty_qubits: tuple[int, ...]
    faulty_gates: tuple[FaultyGate, ...]
    """Gate entries the vendor marked non-operational."""
    uncalibrated_gates: tuple[FaultyGate, ...]
    """Gate entries reported with error = 1 (IBM's "could not calibrate")."""
    best_qubits: tuple[RankedQubit, ...]
    best_edges: tuple[RankedEdge, ...]
    layer_fidelities: tuple[LayerSummary, ...] = ()
    """Every layer fidelity, shortest chain first (the longest is the device-wide figure)."""
    couplers: CouplerSummary | None = None
    """``None`` when the calibration has no coupler numbers."""

    @property
    def longest_layer(self) -> LayerSummary | None:
        """The layer fidelity of the longest chain: IBM's headline figure (EPLG on 100
        qubits on its large devices)."""
        return self.layer_fidelities[-1] if self.layer_fidelities else None

    def to_dict(self) -> dict[str, Any]:
        """JSON-compatible dict: lists for tuples, ISO 8601 strings for times, keys stable."""
        data: dict[str, Any] = _jsonable(self)
        return data


def summarize(calibration: Calibration, *, top: int = DEFAULT_TOP) -> CalibrationSummary:
    """The summary of ``calibration``, listing the ``top`` best qubits and edges."""
    if top < 0:
        raise ValueError(f"top must be non-negative, got {top}")
    cal = calibration
    operational = [q for q in cal.qubits if q.operational]
    faulty = frozenset(cal.faulty_qubits)
    uncalibrated = tuple(
        FaultyGate(inst.name, g.qubits)
        for inst in cal.instructions
        for g in _usable(inst, faulty)
        if g.error == UNCALIBRATED_ERROR
    )
    return CalibrationSummary(
        vendor=cal.vendor,
        backend_name=cal.backend_name,
        backend_version=cal.backend_version,
        processor=cal.processor,
        taken_at=cal.taken_at,
        source=cal.provenance.source,
        retrieved_at=cal.provenance.retrieved_at,
        num_qubits=cal.num_qubits,
        num_operational_qubits=len(operational),
        instructions=tuple(summarize_instruction(cal, inst) for inst in cal.instructions),
        readout_error=_spread(q.readout_error for q in operational),
        t1_median=median_of(q.t1 for q in operational),
        t2_median=median_of(q.t2 for q in operational),
        faulty_qubits=cal.faulty_qubits,
        faulty_gates=tuple(
            FaultyGate(inst.name, g.qubits)
            for inst in cal.instructions
            for g in inst.qargs or ()
            if not g.operational
        ),
        uncalibrated_gates=uncalibrated,
        best_qubits=best_qubits(cal, top),
        best_edges=best_edges(cal, top),
        layer_fidelities=tuple(LayerSummary.of(layer) for layer in sorted(
            cal.layer_fidelities, key=lambda layer: layer.num_qubits)),
        couplers=summarize_couplers(cal),
    )


def summarize_couplers(cal: Calibration) -> CouplerSummary | None:
    """Static ZZ (by size) and coupling strength over the couplers, ``None`` if none."""
    if not cal.couplers:
        return None
    zz = [(abs(c.static_zz), c.qubits) for c in cal.couplers if c.static_zz is not None]
    worst = max(zz, key=lambda item: (item[0], tuple(-q for q in item[1])), default=None)
    return CouplerSummary(
        num_couplers=len(cal.couplers),
        static_zz=_spread(size for size, _ in zz),
        worst_static_zz_qubits=None if worst is None or worst[0] == 0.0 else worst[1],
        coupling_median=median_of(c.coupling for c in cal.couplers),
    )


def summarize_instruction(cal: Calibration, inst: InstructionCalibration) -> InstructionSummary:
    """Error and duration statistics of ``inst`` over its usable entries (see module doc)."""
    if inst.qargs is None:
        return InstructionSummary(inst.name, inst.kind, inst.num_qubits, None, 0, Spread(), 0, 0,
                                  None)
    usable = _usable(inst, frozenset(cal.faulty_qubits))
    errors = [g.error for g in usable if g.error is not None]
    measured = [e for e in errors if e != UNCALIBRATED_ERROR]
    return InstructionSummary(
        name=inst.name,
        kind=inst.kind,
        num_qubits=inst.num_qubits,
        num_qargs=len(inst.qargs),
        num_excluded=len(inst.qargs) - len(usable),
        error=Spread(
            median=statistics.median(measured) if measured else None,
            best=min(measured, default=None),
            worst=max(errors, default=None),
        ),
        num_missing_error=len(usable) - len(errors),
        num_uncalibrated=len(errors) - len(measured),
        median_duration=median_of(g.duration for g in usable),
    )


def best_qubits(cal: Calibration, n: int = DEFAULT_TOP) -> tuple[RankedQubit, ...]:
    """The ``n`` qubits with the lowest score = readout error + mean 1-qubit gate error.

    Together the two terms estimate what a single qubit loses to being driven and read, which
    is what a user picking qubits for a small circuit cares about. Virtual gates (frame
    changes such as ``rz``, or any gate whose every reported error is 0; see
    :func:`qtargets.model.is_virtual`) cost nothing and are left out of the mean. A qubit is
    ranked only if it is operational, has a readout error and at least one 1-qubit gate
    error, and none of its 1-qubit gates is non-operational; an uncalibrated (error = 1) gate
    counts as reported, so it ranks last. Ties go to the lower index.
    """
    gate_errors: dict[int, list[float]] = {}
    disqualified: set[int] = set()
    for inst in cal.instructions:
        if inst.kind != "gate" or inst.num_qubits != 1 or not inst.qargs:
            continue
        virtual = is_virtual(inst.name, (g.error for g in inst.qargs))
        for g in inst.qargs:
            (q,) = g.qubits
            if not g.operational:
                disqualified.add(q)
            elif g.error is not None and not virtual:
                gate_errors.setdefault(q, []).append(g.error)
    ranked = []
    for q, qubit in enumerate(cal.qubits):
        errors = gate_errors.get(q)
        if not qubit.operational or qubit.readout_error is None or not errors or q in disqualified:
            continue
        gate_error = statistics.fmean(errors)
        ranked.append(RankedQubit(q, qubit.readout_error + gate_error, qubit.readout_error,
                                  gate_error, qubit.t1, qubit.t2))
    ranked.sort(key=lambda r: (r.score, r.qubit))
    return tuple(ranked[:n])


def best_edges(cal: Calibration, n: int = DEFAULT_TOP) -> tuple[RankedEdge, ...]:
    """The ``n`` qubit pairs with the lowest 2-qubit gate error.

    A pair is unordered: both directions and all 2-qubit gates of the device compete, and the
    pair is ranked by its best entry. Entries that are unusable (see module doc), have no
    error or are uncalibrated (error = 1) are left out. Ties go to the lower pair.
    """
    faulty = frozenset(cal.faulty_qubits)
    best: dict[tuple[int, int], RankedEdge] = {}
    for inst in cal.instructions:
        if inst.kind != "gate" or inst.num_qubits != 2 or not inst.qargs:
            continue
        for g in _usable(inst, faulty):
            if g.error is None or g.error == UNCALIBRATED_ERROR:
                continue
            a, b = g.qubits
            pair = (min(a, b), max(a, b))
            current = best.get(pair)
            if current is None or g.error < current.error:
                best[pair] = RankedEdge((a, b), inst.name, g.error, g.duration)
    ranked = sorted(best.items(), key=lambda item: (item[1].error, item[0]))
    return tuple(edge for _, edge in ranked[:n])


# -- helpers -------------------------------------------------------------------------------


def _usable(inst: InstructionCalibration, faulty: frozenset[int]) -> list[GateCalibration]:
    """Entries a user can run: operational and on no faulty qubit."""
    return [
        g for g in inst.qargs or ()
        if g.operational and not any(q in faulty for q in g.qubits)
    ]


def _known(values: Iterable[float | None]) -> list[float]:
    return [v for v in values if v is not None]


def median_of(values: Iterable[float | None]) -> float | None:
    """The median of the reported values (``None`` ones skipped); ``None`` if there are none."""
    known = _known(values)
    return statistics.median(known) if known else None


def _spread(values: Iterable[float | None]) -> Spread:
    known = _known(values)
    if not known:
        return Spread()
    return Spread(statistics.median(known), min(known), max(known))


def _jsonable(value: Any) -> Any:
    """Dataclasses to dicts (in field order), tuples to lists, datetimes to ISO 8601."""
    if is_dataclass(value) and not isinstance(value, type):
        return {f.name: _jsonable(getattr(value, f.name)) for f in fields(value)}
    if isinstance(value, Sequence) and not isinstance(value, str):
        return [_jsonable(v) for v in value]
    if isinstance(value, datetime):
        return value.isoformat()
    return value
