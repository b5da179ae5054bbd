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
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from functools import cache
from typing import Annotated, Any, Literal, NamedTuple, TypeVar, get_args

from pydantic import BeforeValidator, TypeAdapter, ValidationError

from ._exceptions import CalibrationError

__all__ = [
    "FRAME_CHANGES",
    "INT32_MAX",
    "MAX_QUBITS",
    "SCHEMA_VERSION",
    "UNCALIBRATED_ERROR",
    "Calibration",
    "CouplerCalibration",
    "GateCalibration",
    "InstructionCalibration",
    "InstructionKind",
    "LayerFidelity",
    "Provenance",
    "QubitCalibration",
    "TimingConstraints",
    "calibration_json_schema",
    "is_virtual",
    "validate_payload",
]

SCHEMA_VERSION = 2
"""The version of the JSON a :class:`Calibration` writes. Version 2 added
``layer_fidelities`` and ``couplers``; a version-1 file is read as a version-2 one without
them. The bump makes an older qtargets refuse a newer file ("expected 1") instead of
quietly dropping the numbers it does not know (it ignores unknown fields)."""

_READABLE_SCHEMA_VERSIONS = frozenset({1, SCHEMA_VERSION})

_T = TypeVar("_T")

INT32_MAX = 2**31 - 1
"""qiskit's Target stores timing constraints as 32-bit integers."""

MAX_QUBITS = 100_000
"""No real device comes near; vendor models bound qubit counts by it, so a corrupt count
cannot exhaust memory."""

UNCALIBRATED_ERROR = 1.0
"""The error a vendor reports for a gate it could not calibrate (IBM's mark of a broken gate
or coupler): not a measured probability. Kept as reported; summaries, maps and diffs show it
apart, and statistics leave it out."""

FRAME_CHANGES = frozenset({"rz", "z", "s", "sdg", "t", "tdg", "p", "u1"})
"""Single-qubit gates implemented as a change of reference frame: no pulse, no time, no
error, on every vendor (a "virtual Z"). See :func:`is_virtual`."""

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
class LayerFidelity:
    """The layer fidelity (LF) of a chain of qubits: the fidelity of one layer of two-qubit
    gates on every neighbouring pair of the chain, with single-qubit gates on every qubit,
    measured by simultaneous direct randomized benchmarking (McKay et al., "Benchmarking
    quantum processor performance at scale", arXiv:2311.05933, 2023).

    A device-wide figure, crosstalk included, that no per-gate error shows. IBM reports it
    for the best chain of every length it measured (``lf_N`` in ``properties.general``).
    """

    num_qubits: int
    """N, the length of the chain (at least 2)."""
    fidelity: float
    """The layer fidelity, a probability in [0, 1]."""
    qubits: tuple[int, ...] | None = None
    """The chain, in order (neighbours are coupled); ``None`` when the vendor gave the
    fidelity without saying which qubits it was measured on."""

    @property
    def num_two_qubit_gates(self) -> int:
        """n_2q = N - 1: the gates of a chain of N qubits."""
        return self.num_qubits - 1

    @property
    def eplg(self) -> float:
        """Error per layered gate, ``1 - LF ** (1 / n_2q)`` with ``n_2q = N - 1``: the
        definition of McKay et al. (arXiv:2311.05933), the figure IBM quotes for its devices.
        Comparable across chain lengths, unlike LF itself."""
        return 1.0 - math.pow(self.fidelity, 1.0 / (self.num_qubits - 1))


class CouplerCalibration(NamedTuple):
    """What was measured about the coupling of two qubits (not about a gate on them).

    A named tuple, written in JSON as ``[qubits, coupling, static_zz]``: a device has
    hundreds of these, as :class:`GateCalibration` has thousands.
    """

    qubits: tuple[int, int]
    """The two qubits, lower index first (a coupler has no direction)."""
    coupling: float | None = None
    """Coupling strength J between the two qubits, Hz (IBM's ``jq``); ``None`` if not
    reported."""
    static_zz: float | None = None
    """Static ZZ interaction, Hz (IBM's ``zz``): the always-on crosstalk that shifts one
    qubit's frequency with the other's state; its size matters, its sign is convention.
    ``None`` if not reported."""


def is_virtual(name: str, errors: Iterable[float | None] = ()) -> bool:
    """Whether gate ``name`` is virtual: a frame change (:data:`FRAME_CHANGES`), or a gate
    whose every reported error is 0 (``errors``: its errors on the qubits it runs on).

    The one rule behind "which single-qubit gates cost something": the best-qubit ranking
    of ``qtargets show``, a graph's main single-qubit gate and the layout plugin's per-qubit
    costs all leave virtual gates out. A circuit's gate, judged before translation, has only
    its name.
    """
    if name in FRAME_CHANGES:
        return True
    reported = [e for e in errors if e is not None]
    return bool(reported) and all(e == 0.0 for e in reported)


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


def _read_version(value: object) -> object:
    """A readable older schema version, read as the current one (what it means: the new
    fields are empty); anything else is left for the checks to judge."""
    if type(value) is int and value in _READABLE_SCHEMA_VERSIONS:
        return SCHEMA_VERSION
    return value


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
    layer_fidelities: tuple[LayerFidelity, ...] = ()
    """Layer fidelities of qubit chains (see :class:`LayerFidelity`); IBM's converter lists
    them shortest chain first. At most one per chain."""
    couplers: tuple[CouplerCalibration, ...] = ()
    """Coupling strength and static ZZ of coupled qubit pairs, by pair."""
    schema_version: Annotated[int, BeforeValidator(_read_version)] = SCHEMA_VERSION
    """Always :data:`SCHEMA_VERSION` in memory: an older file's version is upgraded when it
    is read."""

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


def validate_payload(adapter: TypeAdapter[_T], payload: object, root: str) -> _T:
    """A vendor payload validated by a pydantic ``adapter``: JSON text (``str``/``bytes``) or
    already parsed (an object or an array). Any failure is a :class:`CalibrationError` whose
    path starts at ``root``, so every vendor's errors read alike."""
    try:
        if isinstance(payload, (bytes, bytearray, str)):
            return adapter.validate_json(payload)
        if isinstance(payload, Mapping):
            return adapter.validate_python(dict(payload))
        if isinstance(payload, list):
            return adapter.validate_python(payload)
    except ValidationError as exc:
        raise calibration_error_from_pydantic(exc, root=root) from None
    except RecursionError:
        raise CalibrationError(root, "JSON nested too deeply", show_value=False) from None
    except UnicodeError as exc:  # e.g. a lone surrogate in str input
        raise CalibrationError(root, f"text is not valid Unicode: {exc}",
                               show_value=False) from None
    raise CalibrationError(root, "expected a JSON object (dict) or JSON text (str/bytes)",
                           type(payload).__name__)


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
    string formatting; only a failure pays for locating and describing the bad field. The
    two paths apply the same rules (tests/test_calibration.py mutates every field to hold
    them to it): anything the fast path lets through, ``build_target`` and ``to_json`` accept.
    """
    if not _looks_valid(cal):
        _explain_invalid(cal)


_KINDS = frozenset(get_args(InstructionKind))


def _is_index(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _looks_valid(cal: Calibration) -> bool:
    """Every rule of :func:`_explain_invalid`, as fast as Python allows: no formatting."""
    n = cal.num_qubits
    number = (int, float)
    if not _is_index(n) or n < 0 or not isinstance(cal.qubits, tuple) or len(cal.qubits) != n:
        return False
    if not isinstance(cal.instructions, tuple) or not _provenance_ok(cal.provenance):
        return False
    if not isinstance(cal.vendor, str) or not isinstance(cal.backend_name, str) or not (
            cal.vendor and cal.backend_name) or not _is_index(cal.schema_version) or (
            cal.schema_version != SCHEMA_VERSION):
        return False
    for text in (cal.backend_version, cal.processor):
        if text is not None and not isinstance(text, str):
            return False
    if cal.taken_at is not None and not _aware(cal.taken_at):
        return False
    dt = cal.dt
    if dt is not None and (not isinstance(dt, number) or isinstance(dt, bool)
                           or not 0.0 <= dt < math.inf):
        return False
    timing = cal.timing_constraints
    if not isinstance(timing, TimingConstraints):
        return False
    for value in (timing.granularity, timing.min_length, timing.pulse_alignment,
                  timing.acquire_alignment):
        if not _is_index(value) or not 1 <= value <= INT32_MAX:
            return False
    if not _layers_ok(cal.layer_fidelities, n) or not _couplers_ok(cal.couplers, n):
        return False
    for q in cal.qubits:
        if type(q) is not QubitCalibration or type(q.operational) is not bool:
            return False
        for p in (q.readout_error, q.prob_meas0_prep1, q.prob_meas1_prep0):
            if p is not None and (not isinstance(p, number) or isinstance(p, bool)
                                  or not 0.0 <= p <= 1.0):
                return False
        for t in (q.t1, q.t2, q.readout_duration):
            if t is not None and (not isinstance(t, number) or isinstance(t, bool)
                                  or not 0.0 <= t < math.inf):
                return False
        for f in (q.frequency, q.anharmonicity):
            if f is not None and (not isinstance(f, number) or isinstance(f, bool)
                                  or not -math.inf < f < math.inf):
                return False
    names = set()
    for inst in cal.instructions:
        if type(inst) is not InstructionCalibration or not isinstance(inst.name, str):
            return False
        names.add(inst.name)
        if not isinstance(inst.kind, str) or inst.kind not in _KINDS or type(
                inst.fractional) is not bool:
            return False
        width = inst.num_qubits
        if not _is_index(width) or width < 0 or not _is_index(inst.num_clbits) or (
                inst.num_clbits < 0):
            return False
        if not isinstance(inst.parameters, tuple) or not all(
                isinstance(p, str) for p in inst.parameters):
            return False
        if inst.angle_bounds is not None and not _bounds_ok(inst.angle_bounds,
                                                            len(inst.parameters)):
            return False
        if inst.qargs is None:
            continue
        if not isinstance(inst.qargs, tuple):
            return False
        seen = set()
        for g in inst.qargs:
            if type(g) is not GateCalibration:
                return False
            qubits, error, duration, operational = g
            if type(qubits) is not tuple or len(qubits) != width or type(operational) is not bool:
                return False
            for q_index in qubits:  # `type(x) is ...` first: the common case, and the fastest
                if not (type(q_index) is int or _is_index(q_index)) or not 0 <= q_index < n:
                    return False
            if width > 1 and len(set(qubits)) != width:
                return False
            seen.add(qubits)
            if error is not None and not (type(error) is float and 0.0 <= error <= 1.0) and not (
                    _is_number(error) and 0.0 <= error <= 1.0):
                return False
            if duration is not None and not (
                    type(duration) is float and 0.0 <= duration < math.inf) and not (
                    _is_number(duration) and 0.0 <= duration < math.inf):
                return False
        if len(seen) != len(inst.qargs):
            return False
    return len(names) == len(cal.instructions)


def _layers_ok(layers: object, n: int) -> bool:
    if type(layers) is not tuple:
        return False
    seen = set()
    for layer in layers:
        if type(layer) is not LayerFidelity:
            return False
        size, chain = layer.num_qubits, layer.qubits
        if not _is_index(size) or not 2 <= size <= n or not _is_number(layer.fidelity) or (
                not 0.0 <= layer.fidelity <= 1.0):
            return False
        if chain is not None:
            if type(chain) is not tuple or len(chain) != size:
                return False
            for q in chain:
                if not _is_index(q) or not 0 <= q < n:
                    return False
            if len(set(chain)) != size:
                return False
        seen.add((size, chain))
    return len(seen) == len(layers)


def _couplers_ok(couplers: object, n: int) -> bool:
    if type(couplers) is not tuple:
        return False
    seen = set()
    for coupler in couplers:
        if type(coupler) is not CouplerCalibration:
            return False
        pair, coupling, zz = coupler
        if type(pair) is not tuple or len(pair) != 2:
            return False
        a, b = pair
        if not _is_index(a) or not _is_index(b) or not 0 <= a < b < n:
            return False
        for value in (coupling, zz):
            if value is not None and (not _is_number(value) or not math.isfinite(value)):
                return False
        seen.add(pair)
    return len(seen) == len(couplers)


def _provenance_ok(provenance: object) -> bool:
    return (isinstance(provenance, Provenance) and isinstance(provenance.source, str)
            and (provenance.notes is None or isinstance(provenance.notes, str))
            and (provenance.retrieved_at is None or _aware(provenance.retrieved_at)))


def _aware(moment: object) -> bool:
    return isinstance(moment, datetime) and moment.tzinfo is not None


def _bounds_ok(bounds: object, count: int) -> bool:
    if not isinstance(bounds, tuple) or len(bounds) != count:
        return False
    for pair in bounds:
        if not isinstance(pair, tuple) or len(pair) != 2:
            return False
        for value in pair:
            if not _is_number(value) or not math.isfinite(value):
                return False
    return True


def _explain_invalid(cal: Calibration) -> None:
    """Raise a CalibrationError for the first rule ``cal`` breaks."""
    n = cal.num_qubits
    if not _is_index(n) or n < 0:
        raise CalibrationError("calibration.num_qubits", "expected a non-negative integer", n)
    if not isinstance(cal.qubits, tuple):
        raise CalibrationError("calibration.qubits", "expected a tuple of QubitCalibration",
                               type(cal.qubits).__name__)
    if len(cal.qubits) != n:
        raise CalibrationError(
            "calibration.qubits", f"expected {n} entries (num_qubits), got {len(cal.qubits)}",
            show_value=False,
        )
    if not isinstance(cal.instructions, tuple):
        raise CalibrationError("calibration.instructions",
                               "expected a tuple of InstructionCalibration",
                               type(cal.instructions).__name__)
    if not isinstance(cal.provenance, Provenance):
        raise CalibrationError("calibration.provenance", "expected a Provenance",
                               type(cal.provenance).__name__)
    if not isinstance(cal.provenance.source, str):
        raise CalibrationError("calibration.provenance.source", "expected a string",
                               cal.provenance.source)
    if cal.provenance.notes is not None and not isinstance(cal.provenance.notes, str):
        raise CalibrationError("calibration.provenance.notes", "expected a string or None",
                               cal.provenance.notes)
    if cal.provenance.retrieved_at is not None and not _aware(cal.provenance.retrieved_at):
        raise CalibrationError("calibration.provenance.retrieved_at",
                               "expected a timezone-aware datetime", cal.provenance.retrieved_at)
    for name in ("vendor", "backend_name"):
        if not isinstance(getattr(cal, name), str) or not getattr(cal, name):
            raise CalibrationError(f"calibration.{name}", "expected a non-empty string",
                                   getattr(cal, name))
    for name in ("backend_version", "processor"):
        value = getattr(cal, name)
        if value is not None and not isinstance(value, str):
            raise CalibrationError(f"calibration.{name}", "expected a string or None", value)
    if not _is_index(cal.schema_version) or cal.schema_version != SCHEMA_VERSION:
        raise CalibrationError("calibration.schema_version",
                               f"expected {SCHEMA_VERSION} (this qtargets reads versions "
                               f"{min(_READABLE_SCHEMA_VERSIONS)} to {SCHEMA_VERSION}; a newer "
                               "file needs a newer qtargets)", cal.schema_version)
    if cal.taken_at is not None and not _aware(cal.taken_at):
        raise CalibrationError("calibration.taken_at", "expected a timezone-aware datetime",
                               cal.taken_at)
    check_duration("calibration.dt", cal.dt)
    if not isinstance(cal.timing_constraints, TimingConstraints):
        raise CalibrationError("calibration.timing_constraints", "expected TimingConstraints",
                               type(cal.timing_constraints).__name__)
    for name in ("granularity", "min_length", "pulse_alignment", "acquire_alignment"):
        value = getattr(cal.timing_constraints, name)
        if not _is_index(value) or not 1 <= value <= INT32_MAX:
            raise CalibrationError(f"calibration.timing_constraints.{name}",
                                   "expected an integer from 1 to 2**31 - 1", value)
    _explain_layers(cal.layer_fidelities, n)
    _explain_couplers(cal.couplers, n)
    for i, qubit in enumerate(cal.qubits):
        base = f"calibration.qubits[{i}]"
        if type(qubit) is not QubitCalibration:
            raise CalibrationError(base, "expected a QubitCalibration", type(qubit).__name__)
        check_duration(f"{base}.t1", qubit.t1)
        check_duration(f"{base}.t2", qubit.t2)
        check_duration(f"{base}.readout_duration", qubit.readout_duration)
        check_finite(f"{base}.frequency", qubit.frequency)
        check_finite(f"{base}.anharmonicity", qubit.anharmonicity)
        check_probability(f"{base}.readout_error", qubit.readout_error)
        check_probability(f"{base}.prob_meas0_prep1", qubit.prob_meas0_prep1)
        check_probability(f"{base}.prob_meas1_prep0", qubit.prob_meas1_prep0)
        _check_flag(f"{base}.operational", qubit.operational)
    seen: set[str] = set()
    for k, inst in enumerate(cal.instructions):
        base = f"calibration.instructions[{k}]"
        if type(inst) is not InstructionCalibration:
            raise CalibrationError(base, "expected an InstructionCalibration",
                                   type(inst).__name__)
        if not isinstance(inst.name, str):
            raise CalibrationError(f"{base}.name", "expected a string", inst.name)
        if inst.name in seen:
            raise CalibrationError(f"{base}.name", "duplicate instruction name", inst.name)
        seen.add(inst.name)
        if not isinstance(inst.kind, str) or inst.kind not in _KINDS:
            raise CalibrationError(f"{base}.kind", f"expected one of {sorted(_KINDS)}",
                                   inst.kind)
        _check_flag(f"{base}.fractional", inst.fractional)
        for attr in ("num_qubits", "num_clbits"):
            value = getattr(inst, attr)
            if not _is_index(value) or value < 0:
                raise CalibrationError(f"{base}.{attr}", "expected a non-negative integer",
                                       value)
        if not isinstance(inst.parameters, tuple) or not all(
                isinstance(p, str) for p in inst.parameters):
            raise CalibrationError(f"{base}.parameters", "expected a tuple of names (str)",
                                   inst.parameters)
        if inst.angle_bounds is not None and not _bounds_ok(inst.angle_bounds,
                                                            len(inst.parameters)):
            raise CalibrationError(f"{base}.angle_bounds", "expected one (low, high) pair of "
                                   f"finite numbers per parameter ({len(inst.parameters)})",
                                   inst.angle_bounds)
        if inst.qargs is None:
            continue
        if not isinstance(inst.qargs, tuple):
            raise CalibrationError(f"{base}.qargs", "expected a tuple of GateCalibration or "
                                   "None", type(inst.qargs).__name__)
        width = inst.num_qubits
        seen_qargs: set[tuple[int, ...]] = set()
        for j, gate in enumerate(inst.qargs):
            where = f"{base}.qargs[{j}]"
            if type(gate) is not GateCalibration:
                raise CalibrationError(where, "expected a GateCalibration", gate)
            qubits = gate.qubits
            if type(qubits) is not tuple:
                raise CalibrationError(f"{where}.qubits", "expected a tuple of qubit indices",
                                       qubits)
            for q in qubits:
                if not _is_index(q):
                    raise CalibrationError(f"{where}.qubits", "expected integer qubit indices",
                                           qubits)
                if not 0 <= q < n:
                    raise CalibrationError(f"{where}.qubits",
                                           f"qubit index out of range for {n} qubits", qubits)
            if len(qubits) != width or len(set(qubits)) != width:
                raise CalibrationError(f"{where}.qubits",
                                       f"expected {width} distinct qubits", qubits)
            if qubits in seen_qargs:
                raise CalibrationError(f"{where}.qubits", "duplicate qargs", qubits)
            seen_qargs.add(qubits)
            check_probability(f"{where}.error", gate.error)
            check_duration(f"{where}.duration", gate.duration)
            _check_flag(f"{where}.operational", gate.operational)
    raise CalibrationError("calibration", "invalid calibration", show_value=False)


def _explain_layers(layers: object, n: int) -> None:
    """Raise for the first rule of :func:`_layers_ok` that ``layers`` breaks."""
    if type(layers) is not tuple:
        raise CalibrationError("calibration.layer_fidelities",
                               "expected a tuple of LayerFidelity", type(layers).__name__)
    seen: dict[tuple[int, tuple[int, ...] | None], int] = {}
    for k, layer in enumerate(layers):
        base = f"calibration.layer_fidelities[{k}]"
        if type(layer) is not LayerFidelity:
            raise CalibrationError(base, "expected a LayerFidelity", type(layer).__name__)
        size, chain = layer.num_qubits, layer.qubits
        if not _is_index(size) or not 2 <= size <= n:
            raise CalibrationError(f"{base}.num_qubits",
                                   f"expected a chain length from 2 to {n} (num_qubits)", size)
        if layer.fidelity is None:  # required: check_probability lets None through
            raise CalibrationError(f"{base}.fidelity", "expected a probability in [0, 1]",
                                   None)
        check_probability(f"{base}.fidelity", layer.fidelity)
        if chain is not None:
            if type(chain) is not tuple:
                raise CalibrationError(f"{base}.qubits", "expected a tuple of qubit indices "
                                       "or None", chain)
            for q in chain:
                if not _is_index(q) or not 0 <= q < n:
                    raise CalibrationError(f"{base}.qubits", "expected qubit indices from 0 "
                                           f"to {n - 1}", chain)
            if len(chain) != size or len(set(chain)) != size:
                raise CalibrationError(f"{base}.qubits",
                                       f"expected {size} distinct qubits (num_qubits)", chain)
        if (size, chain) in seen:
            raise CalibrationError(base, "the same chain as layer_fidelities"
                                   f"[{seen[size, chain]}]", show_value=False)
        seen[size, chain] = k


def _explain_couplers(couplers: object, n: int) -> None:
    """Raise for the first rule of :func:`_couplers_ok` that ``couplers`` breaks."""
    if type(couplers) is not tuple:
        raise CalibrationError("calibration.couplers", "expected a tuple of CouplerCalibration",
                               type(couplers).__name__)
    seen: dict[tuple[int, int], int] = {}
    for k, coupler in enumerate(couplers):
        base = f"calibration.couplers[{k}]"
        if type(coupler) is not CouplerCalibration:
            raise CalibrationError(base, "expected a CouplerCalibration", coupler)
        pair = coupler.qubits
        if type(pair) is not tuple or len(pair) != 2 or not all(_is_index(q) for q in pair) or (
                not 0 <= pair[0] < pair[1] < n):
            raise CalibrationError(f"{base}.qubits", "expected two qubit indices, lower first, "
                                   f"below {n}", pair)
        check_finite(f"{base}.coupling", coupler.coupling)
        check_finite(f"{base}.static_zz", coupler.static_zz)
        if pair in seen:
            raise CalibrationError(f"{base}.qubits", f"the same pair as couplers[{seen[pair]}]",
                                   pair)
        seen[pair] = k


def _check_flag(path: str, value: object) -> None:
    if not isinstance(value, bool):
        raise CalibrationError(path, "expected True or False", value)


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

