"""IonQ characterization payloads -> neutral :class:`~qtargets.Calibration`.

IonQ reports one mean (or median) fidelity per kind of operation for the whole device, so
every qubit and every connected pair gets the same numbers: error = 1 - fidelity. What varies
by device is the native two-qubit gate and, on multi-zone devices (Tempo), which pairs are
connected.

Which native gates a device runs comes, in this order, from the caller (``two_qubit_gate=``),
from IonQ's API (the v0.4 ``GET /backends`` entry's ``supported_native_gates``, passed as
``backend_entry=``), or from the family table (:mod:`qtargets.ionq.families`). When the API and
the table disagree the API wins, with one warning naming the device and both gate sets.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from datetime import datetime, timezone
from typing import Any, Literal

from pydantic import ValidationError
from qiskit.transpiler import Target

from .._exceptions import CalibrationError, UnknownBackendError, warn
from ..build import build_target, standard_operations
from ..model import (
    FRAME_CHANGES,
    Calibration,
    GateCalibration,
    InstructionCalibration,
    Provenance,
    QubitCalibration,
    calibration_error_from_pydantic,
    parse_timestamp,
    utc,
    validate_payload,
)
from .families import Family, TwoQubitGate, family_of
from .models import (
    Backend,
    Characterization,
    CharacterizationList,
    FidelityStatistics,
    backend_adapter,
    characterization_adapter,
    characterization_list_adapter,
)

__all__ = ["Gateset", "from_ionq", "parse_characterization", "to_calibration"]

Gateset = Literal["native", "qis"]
Payload = Mapping[str, Any] | str | bytes | bytearray
BackendEntry = Backend | Mapping[str, Any] | str | bytes | bytearray
"""A ``GET /backends`` entry: the model, a dict, or its JSON text."""

# Native gates: phases and angles in turns (1 turn = 2π rad).
NATIVE_PARAMETERS: dict[str, tuple[str, ...]] = {
    "gpi": ("phi",),
    "gpi2": ("phi",),
    "ms": ("phi0", "phi1", "theta"),
    "zz": ("theta",),
}
NATIVE_WIDTH = {"gpi": 1, "gpi2": 1, "ms": 2, "zz": 2}
ENTANGLERS: tuple[TwoQubitGate, ...] = ("ms", "zz")

# QIS gates IonQ compiles server-side, by how many native operations each costs.
QIS_ONE_QUBIT = ("z", "rz", "s", "sdg", "t", "tdg", "x", "y", "h", "rx", "ry", "sx", "sxdg")
QIS_VIRTUAL = tuple(g for g in QIS_ONE_QUBIT if g in FRAME_CHANGES)  # free and exact
QIS_SINGLE = tuple(g for g in QIS_ONE_QUBIT if g not in FRAME_CHANGES)  # one native 1q gate
QIS_ENTANGLING = ("cx", "rxx", "ryy", "rzz")  # one native entangling gate
QIS_SWAP = ("swap",)  # three native entangling gates

# Without ``connectivity`` every pair is connected, which is right for single-chain devices
# (at most ~100 ions) but grows as n²: a bogus qubit count must not mean billions of gates.
MAX_ALL_TO_ALL_QUBITS = 256


def parse_characterization(payload: Payload) -> tuple[Characterization, str]:
    """The validated characterization in ``payload`` and its JSON path.

    ``payload`` is one characterization or a list-endpoint page
    (``{"characterizations": [...]}``), whose most recent entry is used.
    """
    data: object = payload
    if isinstance(payload, (str, bytes, bytearray)):
        try:
            data = json.loads(payload)
        except (ValueError, RecursionError) as exc:  # RecursionError: nested too deeply
            raise CalibrationError("characterization", f"invalid JSON: {exc}",
                                   show_value=False) from None
    if not isinstance(data, Mapping):
        raise CalibrationError("characterization", "expected a JSON object",
                               type(data).__name__)
    data = dict(data)  # the models are strict: any other Mapping would not be "an object"
    try:
        if "characterizations" in data:
            page: CharacterizationList = characterization_list_adapter.validate_python(data)
            if not page.characterizations:
                raise CalibrationError("characterizations", "no characterization in the list",
                                       page.characterizations)
            _one_device(page.characterizations)
            moments = [_date(c.date, f"characterizations[{i}].date")
                       for i, c in enumerate(page.characterizations)]
            newest = max(range(len(moments)), key=lambda i: _timestamp(moments[i]))
            return page.characterizations[newest], f"characterizations[{newest}]"
        return characterization_adapter.validate_python(data), "characterization"
    except ValidationError as exc:
        root = "" if "characterizations" in data else "characterization"
        raise calibration_error_from_pydantic(exc, root=root) from None


def to_calibration(
    characterization: Payload,
    *,
    gateset: Gateset = "native",
    two_qubit_gate: TwoQubitGate | None = None,
    source: str | None = None,
    retrieved_at: datetime | None = None,
    backend_entry: BackendEntry | None = None,
) -> Calibration:
    """The neutral calibration of an IonQ characterization.

    ``gateset="native"`` gives GPI, GPI2 and the device's entangler (MS on Harmony/Aria, ZZ on
    the Forte and Tempo families) plus measure; ``"qis"`` gives the abstract gates IonQ's API
    compiles server-side (see ``docs/ionq.md`` for how their errors are derived).
    ``backend_entry`` is the device's ``GET /backends`` entry: its ``supported_native_gates``
    (API v0.4) win over the family table, with a warning where they disagree.
    ``two_qubit_gate`` overrides both (needed for a backend neither knows).
    """
    char, root = parse_characterization(characterization)
    backend = char.backend or char.target
    if not backend:
        raise CalibrationError(f"{root}.backend", "required field is missing (or 'target')",
                               show_value=False)
    if char.backend and char.target and char.backend != char.target:
        warn(f"{root}.target: {char.target!r} names another device than {root}.backend "
             f"{char.backend!r}; the backend is used")
    entry = _backend_entry(backend_entry, backend)
    doubts: list[str] = []  # warned once every error had its chance: errors first
    native, family, from_api = _native_gates(backend, two_qubit_gate, entry, doubts)
    entangler = next((g for g in native if g in ENTANGLERS), None)
    processor = family.name if family is not None else None
    n = char.qubits
    if char.connectivity is None and family is not None and family.connectivity == "restricted":
        raise CalibrationError(
            f"{root}.connectivity",
            f"required for {backend!r}: the {family.name} family's qubits are not all "
            "connected, so its pairs cannot be assumed", show_value=False)
    pairs = _pairs(char.connectivity, n, root)
    if family is not None and family.qubits is not None and n > family.qubits:
        doubts.append(f"{root}.qubits: {n} qubits on {backend!r}, whose family "
                      f"({family.name}) has {family.qubits}: is the backend name right?")

    used: list[str] = []
    fidelity = char.fidelity
    error_1q = _error(fidelity.one_qubit if fidelity else None, "1q", used)
    error_2q = _error(fidelity.two_qubit if fidelity else None, "2q", used)
    error_spam = _error(fidelity.spam if fidelity else None, "spam", used)
    timing = char.timing
    t_1q = timing.one_qubit if timing else None
    t_2q = timing.two_qubit if timing else None
    t_readout = timing.readout if timing else None

    qubit = QubitCalibration(
        t1=timing.t1 if timing else None,
        t2=timing.t2 if timing else None,
        readout_error=error_spam,
        readout_duration=t_readout,
    )
    singles = tuple(GateCalibration((q,), error_1q, t_1q) for q in range(n))
    measure = InstructionCalibration(
        name="measure", kind="measure", num_qubits=1, num_clbits=1,
        qargs=tuple(GateCalibration((q,), error_spam, t_readout) for q in range(n)),
    )
    instructions: tuple[InstructionCalibration, ...]
    if gateset == "native":
        connected = tuple(GateCalibration(p, error_2q, t_2q) for p in _both_ways(pairs))
        instructions = (
            *(_gate(g, NATIVE_WIDTH[g], singles if NATIVE_WIDTH[g] == 1 else connected)
              for g in native),
            measure,
        )
    elif gateset == "qis":
        instructions = (*_qis(n, pairs, singles, error_2q, t_2q, root), measure)
    else:
        raise CalibrationError("gateset", "expected 'native' or 'qis'", gateset)

    notes = f"gateset {gateset}; native two-qubit gate {entangler or 'none'}"
    if used:
        notes += "; fidelities used: " + ", ".join(used)
    if from_api:
        notes += "; native gates from IonQ's /backends entry: " + ", ".join(native)
    for doubt in doubts:
        warn(doubt)
    return Calibration(
        vendor="ionq",
        backend_name=backend,
        processor=processor,
        num_qubits=n,
        qubits=(qubit,) * n,
        instructions=instructions,
        taken_at=_date(char.date, f"{root}.date"),
        provenance=Provenance(
            source=source or f"IonQ characterization {char.id or '(no id)'} of {backend}",
            retrieved_at=utc(retrieved_at) if retrieved_at is not None else None,
            notes=notes,
        ),
    )


def from_ionq(
    characterization: Payload,
    gateset: Gateset = "native",
    *,
    two_qubit_gate: TwoQubitGate | None = None,
    filter_faulty: bool = True,
    backend_entry: BackendEntry | None = None,
) -> Target:
    """A qiskit ``Target`` from an IonQ characterization (see :func:`to_calibration`).

    >>> import qtargets
    >>> target = qtargets.from_ionq(payload, gateset="native")  # doctest: +SKIP
    """
    return build_target(
        to_calibration(characterization, gateset=gateset, two_qubit_gate=two_qubit_gate,
                       backend_entry=backend_entry),
        filter_faulty=filter_faulty,
    )


# -- helpers -----------------------------------------------------------------------------------


def _backend_entry(entry: BackendEntry | None, backend: str) -> Backend | None:
    """The validated ``GET /backends`` entry, which must be of ``backend``'s device."""
    if entry is None:
        return None
    model = entry if isinstance(entry, Backend) else validate_payload(
        backend_adapter, entry, "backend")
    if model.backend.lower() != backend.lower():
        raise CalibrationError("backend.backend", f"expected {backend!r}: the entry must be "
                               "of the characterization's device", model.backend)
    return model


def _native_gates(backend: str, two_qubit_gate: str | None, entry: Backend | None,
                  doubts: list[str]) -> tuple[tuple[str, ...], Family | None, bool]:
    """The native gates of ``backend``, its family (``None`` if unknown or overridden), and
    whether the gates are the API's (see the module docstring for the order); what deserves
    a warning is added to ``doubts``."""
    listed = entry.supported_native_gates if entry is not None else None
    if two_qubit_gate is not None:
        if two_qubit_gate not in ENTANGLERS:
            raise CalibrationError("two_qubit_gate", "expected 'ms' or 'zz'", two_qubit_gate)
        chosen = ("gpi", "gpi2", two_qubit_gate)
        if listed is not None and set(_known(listed, backend, [])) != set(chosen):
            doubts.append(f"backend.supported_native_gates: IonQ's API lists "
                          f"{_names(listed)} for {backend!r}; two_qubit_gate="
                          f"{two_qubit_gate!r} was asked for, so {_names(chosen)} are used")
        return chosen, None, False
    if listed is None:
        table = family_of(backend)  # unknown to the table and the API: UnknownBackendError
        return table.native_gates, table, False
    family: Family | None
    try:
        family = family_of(backend)
    except UnknownBackendError:
        family = None
    native = _known(listed, backend, doubts)
    both = [g for g in ENTANGLERS if g in native]
    if len(both) > 1:
        if family is None:
            raise CalibrationError(
                "backend.supported_native_gates", f"lists both ms and zz for {backend!r}, "
                "whose family qtargets does not know: pass two_qubit_gate='ms' or 'zz' to say "
                "which one to use", listed)
        doubts.append(f"backend.supported_native_gates: IonQ's API lists both ms and zz for "
                      f"{backend!r}; a Target takes one entangler, so the {family.name} "
                      f"family's {family.two_qubit_gate} is used")
        native = tuple(g for g in native if g not in ENTANGLERS or g == family.two_qubit_gate)
    if family is not None and set(native) != set(family.native_gates):
        doubts.append(f"{backend!r}: IonQ's API lists native gates {_names(native)}, the "
                      f"family table ({family.name}) {_names(family.native_gates)}; the API's "
                      "are used")
    return native, family, True


def _known(listed: list[str], backend: str, doubts: list[str]) -> tuple[str, ...]:
    """The gates of ``listed`` qtargets models, in its order, once each; IonQ names are
    lowercase (``gpi2``), and any other name is left out, with a doubt saying so."""
    names = [g.lower() for g in listed]
    unknown = sorted({g for g in names if g not in NATIVE_WIDTH})
    if unknown:
        doubts.append(f"backend.supported_native_gates: {', '.join(map(repr, unknown))} on "
                      f"{backend!r} is not a native gate qtargets models (gpi, gpi2, ms, zz): "
                      "left out")
    return tuple(dict.fromkeys(g for g in names if g in NATIVE_WIDTH))


def _names(gates: tuple[str, ...] | list[str]) -> str:
    return "{" + ", ".join(sorted(set(gates))) + "}"


def _gate(name: str, width: int, qargs: tuple[GateCalibration, ...]) -> InstructionCalibration:
    return InstructionCalibration(name=name, kind="gate", num_qubits=width,
                                  parameters=NATIVE_PARAMETERS[name], qargs=qargs)


def _qis(
    n: int,
    pairs: list[tuple[int, int]],
    singles: tuple[GateCalibration, ...],
    error_2q: float | None,
    t_2q: float | None,
    root: str,
) -> tuple[InstructionCalibration, ...]:
    standard = standard_operations()
    virtual = tuple(GateCalibration((q,), 0.0, 0.0) for q in range(n))
    directed = _both_ways(pairs)
    one = tuple(GateCalibration(p, error_2q, t_2q) for p in directed)
    swap_error = None if error_2q is None else 1.0 - (1.0 - error_2q) ** 3
    t_swap = None if t_2q is None else 3 * t_2q
    if t_swap is not None and not math.isfinite(t_swap):
        raise CalibrationError(f"{root}.timing.2q", "too long: a swap (three of them) "
                               "overflows to infinity", t_2q)
    three = tuple(GateCalibration(p, swap_error, t_swap) for p in directed)
    out = []
    for names, qargs in ((QIS_VIRTUAL, virtual), (QIS_SINGLE, singles),
                         (QIS_ENTANGLING, one), (QIS_SWAP, three)):
        for name in names:
            op = standard[name]
            out.append(InstructionCalibration(
                name=name, kind="gate", num_qubits=op.num_qubits,
                parameters=tuple(p.name for p in op.params), qargs=qargs,
            ))
    return tuple(out)


def _error(stats: FidelityStatistics | None, label: str, used: list[str]) -> float | None:
    """1 - fidelity, from the mean where given (else the median); records which."""
    if stats is None:
        return None
    if stats.mean is not None:
        used.append(f"{label} mean")
        return 1.0 - stats.mean
    if stats.median is not None:
        used.append(f"{label} median")
        return 1.0 - stats.median
    return None


def _pairs(connectivity: list[list[int]] | None, n: int, root: str) -> list[tuple[int, int]]:
    """Sorted unordered pairs; all of them when the payload gives no connectivity."""
    if connectivity is None:
        if n > MAX_ALL_TO_ALL_QUBITS:
            raise CalibrationError(
                f"{root}.connectivity",
                f"required for more than {MAX_ALL_TO_ALL_QUBITS} qubits (got {n} qubits)",
                show_value=False,
            )
        return [(a, b) for a in range(n) for b in range(a + 1, n)]
    pairs: set[tuple[int, int]] = set()
    for k, pair in enumerate(connectivity):
        path = f"{root}.connectivity[{k}]"
        if len(pair) != 2:
            raise CalibrationError(path, "expected a pair of qubits", pair)
        a, b = pair
        if a >= n or b >= n:
            raise CalibrationError(path, f"qubit index out of range for {n} qubits", pair)
        if a == b:
            raise CalibrationError(path, "a qubit cannot pair with itself", pair)
        pairs.add((a, b) if a < b else (b, a))  # duplicates and reversed pairs are the same
    return sorted(pairs)


def _one_device(characterizations: list[Characterization]) -> None:
    """Refuse a list page whose entries are of different devices.

    The endpoint lists the characterizations of one backend; a page mixing devices is not
    what it claims to be, and "the most recent entry" could then be another device's.
    """
    first: tuple[int, str] | None = None
    for i, char in enumerate(characterizations):
        name = char.backend or char.target
        if not name:
            continue
        if first is None:
            first = (i, name)
        elif name != first[1]:
            field = "backend" if char.backend else "target"
            raise CalibrationError(
                f"characterizations[{i}].{field}",
                f"expected {first[1]!r}, the device of characterizations[{first[0]}]: a "
                "page lists the characterizations of one device",
                name,
            )


def _both_ways(pairs: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """MS and ZZ are symmetric: a Target needs each pair in both directions."""
    return [q for a, b in pairs for q in ((a, b), (b, a))]


def _date(value: int | str | None, path: str) -> datetime | None:
    if value is None:
        return None
    try:
        if isinstance(value, int):
            return datetime.fromtimestamp(value, tz=timezone.utc)
        return parse_timestamp(value)
    except (ValueError, OverflowError, OSError):
        raise CalibrationError(path, "expected Unix epoch seconds or an ISO 8601 date-time",
                               value) from None


def _timestamp(moment: datetime | None) -> float:
    """For "most recent first": an undated characterization sorts oldest."""
    return moment.timestamp() if moment is not None else -math.inf
