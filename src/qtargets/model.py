"""The neutral calibration model: one calibration of one device, with no vendor in it.

Vendor code turns payloads into a :class:`Calibration`; one builder
(:func:`qtargets.build_target`) turns any ``Calibration`` into a qiskit ``Target``; everything
downstream works on these two. The model keeps the data faithful (faulty qubits and gates stay
in, marked ``operational=False``); filtering is a choice made when building a Target.

Units are SI throughout: seconds for every time (``t1``, ``duration``, ``dt``), hertz for
frequencies, probabilities in [0, 1] for errors.

A ``Calibration`` round-trips through JSON losslessly::

    >>> import qtargets
    >>> cal = qtargets.load_calibration("ibm_fez")
    >>> qtargets.Calibration.from_json(cal.to_json()) == cal
    True
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from functools import cache
from typing import Any, Literal, NamedTuple

from pydantic import TypeAdapter, ValidationError

from ._exceptions import CalibrationError

__all__ = [
    "SCHEMA_VERSION",
    "Calibration",
    "GateCalibration",
    "InstructionCalibration",
    "InstructionKind",
    "Provenance",
    "QubitCalibration",
    "TimingConstraints",
    "calibration_json_schema",
]

SCHEMA_VERSION = 1

_INT32_MAX = 2**31 - 1  # qiskit's Target stores timing constraints as 32-bit integers

InstructionKind = Literal["gate", "measure", "reset", "delay", "control_flow", "instruction"]
"""What an instruction is, which decides how a Target represents it:

* ``gate``: a unitary gate (qiskit standard gate by name, else a generic ``Gate``);
* ``measure``, ``reset``, ``delay``: the non-unitary qiskit instructions of that name;
* ``control_flow``: ``if_else``, ``while_loop``, ``for_loop``, ``switch_case`` (no qargs);
* ``instruction``: any other non-unitary vendor instruction (e.g. IBM's ``measure_2``).
"""


@dataclass(frozen=True, slots=True)
class QubitCalibration:
    """What was measured about one qubit. ``None`` means the vendor did not report it."""

    t1: float | None = None
    """Energy relaxation time, seconds."""
    t2: float | None = None
    """Dephasing time, seconds (may exceed 2*T1 in real data: kept as reported)."""
    frequency: float | None = None
    """Qubit frequency, Hz."""
    anharmonicity: float | None = None
    """Anharmonicity, Hz."""
    readout_error: float | None = None
    """Probability that a measurement reports the wrong bit."""
    readout_duration: float | None = None
    """Duration of a measurement, seconds."""
    prob_meas0_prep1: float | None = None
    """Probability of reading 0 after preparing 1."""
    prob_meas1_prep0: float | None = None
    """Probability of reading 1 after preparing 0."""
    operational: bool = True
    """False when the vendor marked the qubit faulty."""


class GateCalibration(NamedTuple):
    """An instruction's calibration on one tuple of qubits.

    A named tuple rather than a dataclass: a large device has thousands of these, and tuples
    are built about twice as fast (it shows in the from-bytes-to-Target benchmark). In JSON
    it is the array ``[qubits, error, duration, operational]``.
    """

    qubits: tuple[int, ...]
    error: float | None = None
    """Average error probability; ``None`` if not reported (treated as ideal by qiskit)."""
    duration: float | None = None
    """Seconds; ``None`` if not reported."""
    operational: bool = True
    """False when the vendor marked this gate on these qubits faulty."""


@dataclass(frozen=True, slots=True)
class InstructionCalibration:
    """One instruction of the device and where (and how well) it runs."""

    name: str
    kind: InstructionKind
    num_qubits: int
    parameters: tuple[str, ...] = ()
    """Names of the instruction's parameters (standard qiskit gates use qiskit's own)."""
    num_clbits: int = 0
    qargs: tuple[GateCalibration, ...] | None = None
    """Where the instruction runs. ``None`` means on any qubits (a global instruction)."""
    fractional: bool = False
    """A continuously parametrised gate with a real duration (IBM's "fractional" gates),
    which a Target can leave out on request."""
    angle_bounds: tuple[tuple[float, float], ...] | None = None
    """Allowed range (radians) of each parameter, where the hardware restricts it."""


@dataclass(frozen=True, slots=True)
class TimingConstraints:
    """Pulse-level timing rules, in units of ``dt`` (qiskit's defaults are all 1)."""

    granularity: int = 1
    min_length: int = 1
    pulse_alignment: int = 1
    acquire_alignment: int = 1


@dataclass(frozen=True, slots=True)
class Provenance:
    """Where a calibration came from, so a number can be traced back to its source."""

    source: str
    """Human-readable origin: an API endpoint, a file, a package snapshot."""
    retrieved_at: datetime | None = None
    """When qtargets (or the snapshot's author) fetched the data, UTC."""
    notes: str | None = None


@dataclass(frozen=True, slots=True, repr=False)
class Calibration:
    """One calibration of one device, vendor-free and immutable.

    ``qubits`` has exactly ``num_qubits`` entries; qubit indices in ``instructions`` are
    0-based positions in it.
    """

    vendor: str
    backend_name: str
    num_qubits: int
    qubits: tuple[QubitCalibration, ...]
    instructions: tuple[InstructionCalibration, ...]
    provenance: Provenance
    taken_at: datetime | None = None
    """When the calibration was taken (the vendor's last update), UTC."""
    backend_version: str | None = None
    processor: str | None = None
    """Processor family and revision, e.g. ``"Heron r2"``."""
    dt: float | None = None
    """Sample time of the control electronics, seconds."""
    timing_constraints: TimingConstraints = field(default_factory=TimingConstraints)
    schema_version: int = SCHEMA_VERSION

    def __post_init__(self) -> None:
        _check(self)

    def __repr__(self) -> str:
        # A field-by-field repr of a 156-qubit device runs to ~1 MB: say what it is instead.
        taken = self.taken_at.isoformat() if self.taken_at is not None else None
        return (f"Calibration(vendor={self.vendor!r}, backend_name={self.backend_name!r}, "
                f"num_qubits={self.num_qubits}, taken_at={taken!r}, "
                f"instructions={list(self.instruction_names)!r})")

    @classmethod
    def _from_checked_fields(cls, **fields: Any) -> Calibration:
        """Construct without re-running the cross-field checks.

        Only for vendor converters that have already checked every value against the raw
        payload (with the payload's own paths in their errors); the parity tests assert the
        result passes :func:`_check` for every real snapshot. Saves ~10% of a conversion.
        """
        self = object.__new__(cls)
        for f in dataclasses.fields(cls):
            if f.name in fields:
                value = fields.pop(f.name)
            elif f.default is not dataclasses.MISSING:
                value = f.default
            elif f.default_factory is not dataclasses.MISSING:
                value = f.default_factory()
            else:
                raise TypeError(f"missing Calibration field: {f.name}")
            object.__setattr__(self, f.name, value)
        if fields:
            raise TypeError(f"unknown Calibration fields: {sorted(fields)}")
        return self

    # -- lookups ---------------------------------------------------------------------------

    def instruction(self, name: str) -> InstructionCalibration:
        """The instruction called ``name`` (KeyError if the device has none)."""
        for inst in self.instructions:
            if inst.name == name:
                return inst
        raise KeyError(name)

    @property
    def instruction_names(self) -> tuple[str, ...]:
        return tuple(inst.name for inst in self.instructions)

    @property
    def faulty_qubits(self) -> tuple[int, ...]:
        """Indices of qubits the vendor marked non-operational."""
        return tuple(i for i, q in enumerate(self.qubits) if not q.operational)

    @property
    def edges(self) -> tuple[tuple[int, int], ...]:
        """Sorted, directed qubit pairs on which some two-qubit gate runs."""
        pairs = {
            (g.qubits[0], g.qubits[1])
            for inst in self.instructions
            if inst.kind == "gate" and inst.num_qubits == 2 and inst.qargs
            for g in inst.qargs
        }
        return tuple(sorted(pairs))

    def with_provenance(self, provenance: Provenance) -> Calibration:
        """A copy with different provenance (the numbers are untouched)."""
        return replace(self, provenance=provenance)

    # -- JSON ------------------------------------------------------------------------------

    def to_json(self, *, indent: int | None = None) -> str:
        """JSON text that :meth:`from_json` turns back into an equal ``Calibration``."""
        return _adapter().dump_json(self, indent=indent).decode()

    def to_dict(self) -> dict[str, Any]:
        """A JSON-compatible dict (what :meth:`to_json` writes)."""
        data: dict[str, Any] = _adapter().dump_python(self, mode="json")
        return data

    @classmethod
    def from_json(cls, data: str | bytes | bytearray) -> Calibration:
        """Parse and validate JSON text written by :meth:`to_json`.

        Raises :class:`CalibrationError` naming the JSON path of the first bad field.
        """
        try:
            return _adapter().validate_json(data)
        except ValidationError as exc:
            raise calibration_error_from_pydantic(exc, root="calibration") from None

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Calibration:
        """Validate a dict such as :meth:`to_dict` returns."""
        if not isinstance(data, dict):
            raise CalibrationError("calibration", "expected a JSON object", data)
        try:
            return _adapter().validate_python(data, strict=False)
        except ValidationError as exc:
            raise calibration_error_from_pydantic(exc, root="calibration") from None


@cache
def _adapter() -> TypeAdapter[Calibration]:
    return TypeAdapter(Calibration)


def calibration_json_schema() -> dict[str, Any]:
    """The JSON Schema of :meth:`Calibration.to_json` output, generated from the model."""
    schema: dict[str, Any] = _adapter().json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "qtargets Calibration"
    return schema


# -- validation ----------------------------------------------------------------------------


def calibration_error_from_pydantic(exc: ValidationError, *, root: str) -> CalibrationError:
    """The first pydantic error as a CalibrationError with a ``root.a[3].b`` path."""
    err = exc.errors(include_url=False)[0]
    path = format_path(root, err["loc"])
    reason = _PYDANTIC_REASONS.get(err["type"], err["msg"].lower())
    if err["type"] == "missing":
        return CalibrationError(path, "required field is missing", show_value=False)
    if err["type"] == "json_invalid":  # pydantic says where: "EOF while parsing ... column 18"
        message = err["msg"]
        return CalibrationError(root, message[:1].lower() + message[1:], show_value=False)
    ctx_error = (err.get("ctx") or {}).get("error")
    if isinstance(ctx_error, CalibrationError):
        return ctx_error  # raised by our own checks, with its full path already
    return CalibrationError(path, reason, err.get("input"))


_PYDANTIC_REASONS = {
    "float_type": "expected a number",
    "float_parsing": "expected a number",
    "int_type": "expected an integer",
    "int_parsing": "expected an integer",
    "int_from_float": "expected an integer",
    "string_type": "expected a string",
    "bool_type": "expected a boolean",
    "bool_parsing": "expected a boolean",
    "list_type": "expected a list",
    "tuple_type": "expected a list",
    "dict_type": "expected an object",
    "model_type": "expected an object",
    "dataclass_type": "expected an object",
    "typed_dict_type": "expected an object",
    "literal_error": "not an allowed value",
    "datetime_type": "expected an ISO 8601 date-time",
    "datetime_parsing": "expected an ISO 8601 date-time",
    "datetime_from_date_parsing": "expected an ISO 8601 date-time",
    "finite_number": "expected a finite number",
    "json_invalid": "invalid JSON",
    "extra_forbidden": "unknown field",
}


def format_path(root: str, loc: tuple[int | str, ...] | list[int | str]) -> str:
    """``("qubits", 3, 1, "value")`` under ``properties`` -> ``properties.qubits[3][1].value``."""
    out = root
    for part in loc:
        if isinstance(part, str) and (part in _UNION_TAGS or "[" in part):
            continue  # pydantic names the union member it tried; users care about the field
        if isinstance(part, int) or part.isdigit():
            out += f"[{part}]"
        else:
            out += f".{part}" if out else part
    return out


_UNION_TAGS = frozenset({"str", "int", "float", "bool", "none", "list", "dict", "tuple"})


def _is_number(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def check_probability(path: str, value: float | None) -> None:
    """An error probability must be a finite number in [0, 1]."""
    if value is None:
        return
    if not _is_number(value) or not (0.0 <= value <= 1.0):
        raise CalibrationError(path, "expected a probability in [0, 1]", value)


def check_duration(path: str, value: float | None) -> None:
    """A time must be a finite, non-negative number of seconds."""
    if value is None:
        return
    if not _is_number(value) or not (0.0 <= value < math.inf):
        raise CalibrationError(path, "expected a finite non-negative time in seconds", value)


def check_finite(path: str, value: float | None) -> None:
    if value is None:
        return
    if not _is_number(value) or not math.isfinite(value):
        raise CalibrationError(path, "expected a finite number", value)


def _check(cal: Calibration) -> None:
    """Cross-field rules the types alone can't state, with paths relative to the calibration.

    Runs on every construction, so the common all-valid case takes a fast path with no
    string formatting; only a failure pays for locating and describing the bad field.
    """
    if not _looks_valid(cal):
        _explain_invalid(cal)


def _looks_valid(cal: Calibration) -> bool:
    n = cal.num_qubits
    try:
        if type(n) is not int or n < 0 or len(cal.qubits) != n:
            return False
        if cal.taken_at is not None and cal.taken_at.tzinfo is None:
            return False
        if cal.dt is not None and not 0.0 <= cal.dt < math.inf:
            return False
        timing = cal.timing_constraints
        for value in (timing.granularity, timing.min_length, timing.pulse_alignment,
                      timing.acquire_alignment):
            if type(value) is not int or not 1 <= value <= _INT32_MAX:
                return False
        for q in cal.qubits:
            for p in (q.readout_error, q.prob_meas0_prep1, q.prob_meas1_prep0):
                if p is not None and not 0.0 <= p <= 1.0:
                    return False
            for t in (q.t1, q.t2, q.readout_duration):
                if t is not None and not 0.0 <= t < math.inf:
                    return False
            for f in (q.frequency, q.anharmonicity):
                if f is not None and not -math.inf < f < math.inf:
                    return False
        names = set()
        for inst in cal.instructions:
            names.add(inst.name)
            if inst.num_qubits < 0 or inst.num_clbits < 0:
                return False
            if inst.angle_bounds is not None and len(inst.angle_bounds) != len(inst.parameters):
                return False
            if inst.qargs is None:
                continue
            width = inst.num_qubits
            seen = set()
            for qubits, error, duration, _ in inst.qargs:
                if len(qubits) != width or (width > 1 and len(set(qubits)) != width):
                    return False
                for q_index in qubits:
                    if not 0 <= q_index < n:
                        return False
                seen.add(qubits)
                if error is not None and not 0.0 <= error <= 1.0:
                    return False
                if duration is not None and not 0.0 <= duration < math.inf:
                    return False
            if len(seen) != len(inst.qargs):
                return False
        return len(names) == len(cal.instructions)
    except TypeError:  # a field of the wrong type: let the slow path name it
        return False


def _explain_invalid(cal: Calibration) -> None:
    """Raise a CalibrationError for the first rule ``cal`` breaks."""
    n = cal.num_qubits
    if not isinstance(n, int) or isinstance(n, bool) or n < 0:
        raise CalibrationError("calibration.num_qubits", "expected a non-negative integer", n)
    if len(cal.qubits) != n:
        raise CalibrationError(
            "calibration.qubits", f"expected {n} entries (num_qubits), got {len(cal.qubits)}",
            show_value=False,
        )
    if cal.taken_at is not None and cal.taken_at.tzinfo is None:
        raise CalibrationError("calibration.taken_at", "expected a timezone-aware time",
                               cal.taken_at)
    check_duration("calibration.dt", cal.dt)
    for name in ("granularity", "min_length", "pulse_alignment", "acquire_alignment"):
        value = getattr(cal.timing_constraints, name)
        if not isinstance(value, int) or isinstance(value, bool) or not 1 <= value <= _INT32_MAX:
            raise CalibrationError(f"calibration.timing_constraints.{name}",
                                   "expected an integer from 1 to 2**31 - 1", value)
    for i, qubit in enumerate(cal.qubits):
        base = f"calibration.qubits[{i}]"
        check_duration(f"{base}.t1", qubit.t1)
        check_duration(f"{base}.t2", qubit.t2)
        check_duration(f"{base}.readout_duration", qubit.readout_duration)
        check_finite(f"{base}.frequency", qubit.frequency)
        check_finite(f"{base}.anharmonicity", qubit.anharmonicity)
        check_probability(f"{base}.readout_error", qubit.readout_error)
        check_probability(f"{base}.prob_meas0_prep1", qubit.prob_meas0_prep1)
        check_probability(f"{base}.prob_meas1_prep0", qubit.prob_meas1_prep0)
    seen: set[str] = set()
    for k, inst in enumerate(cal.instructions):
        base = f"calibration.instructions[{k}]"
        if inst.name in seen:
            raise CalibrationError(f"{base}.name", "duplicate instruction name", inst.name)
        seen.add(inst.name)
        for attr in ("num_qubits", "num_clbits"):
            value = getattr(inst, attr)
            if not isinstance(value, int) or isinstance(value, bool) or value < 0:
                raise CalibrationError(f"{base}.{attr}", "expected a non-negative integer",
                                       value)
        if inst.angle_bounds is not None and len(inst.angle_bounds) != len(inst.parameters):
            raise CalibrationError(f"{base}.angle_bounds", "expected one (low, high) pair per "
                                   f"parameter ({len(inst.parameters)})", inst.angle_bounds)
        if inst.qargs is None:
            continue
        width = inst.num_qubits
        seen_qargs: set[tuple[int, ...]] = set()
        for j, gate in enumerate(inst.qargs):
            qubits = gate.qubits
            if len(qubits) != width or len(set(qubits)) != width:
                raise CalibrationError(f"{base}.qargs[{j}].qubits",
                                       f"expected {width} distinct qubits", qubits)
            for q in qubits:
                if not isinstance(q, int) or not 0 <= q < n:
                    raise CalibrationError(f"{base}.qargs[{j}].qubits",
                                           f"qubit index out of range for {n} qubits", qubits)
            if qubits in seen_qargs:
                raise CalibrationError(f"{base}.qargs[{j}].qubits", "duplicate qargs", qubits)
            seen_qargs.add(qubits)
            check_probability(f"{base}.qargs[{j}].error", gate.error)
            check_duration(f"{base}.qargs[{j}].duration", gate.duration)
    raise CalibrationError("calibration", "invalid calibration", show_value=False)


@cache
def _datetime_adapter() -> TypeAdapter[datetime]:
    return TypeAdapter(datetime)


def parse_timestamp(text: str) -> datetime:
    """ISO 8601 / RFC 3339 text as an aware UTC datetime (naive text is taken as UTC).

    pydantic's parser rather than ``datetime.fromisoformat``, which on Python 3.10 rejects
    forms vendors send ("Z", 2-digit fractions, "+0000"). Raises ValueError or OverflowError.
    """
    try:
        moment = _datetime_adapter().validate_python(text)
    except ValidationError as exc:
        raise ValueError(str(exc)) from None
    return utc(moment)


def maybe_timestamp(value: object) -> datetime | None:
    """Epoch seconds (a number) or ISO 8601 text as an aware UTC datetime; ``None`` for
    anything else, or text that does not parse (vendor listings where a date is a nicety)."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        try:
            return datetime.fromtimestamp(value, timezone.utc)
        except (OverflowError, OSError, ValueError):
            return None
    if isinstance(value, str):
        try:
            return parse_timestamp(value)
        except (ValueError, OverflowError):
            return None
    return None


def utc(moment: datetime) -> datetime:
    """``moment`` as an aware UTC datetime (naive input is taken to be UTC already)."""
    if moment.tzinfo is None:
        return moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc)

