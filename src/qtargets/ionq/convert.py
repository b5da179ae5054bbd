"""IonQ characterization payloads -> neutral :class:`~qtargets.Calibration`.

IonQ reports one mean (or median) fidelity per kind of operation for the whole device, so
every qubit and every connected pair gets the same numbers: error = 1 - fidelity. What varies
by device is the native two-qubit gate (see :mod:`qtargets.ionq.families`) and, on multi-zone
devices, which pairs are connected.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from datetime import datetime, timezone
from typing import Any, Literal

from pydantic import ValidationError
from qiskit.transpiler import Target

from .._exceptions import CalibrationError, warn
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
)
from .families import TwoQubitGate, family_of
from .models import (
    Characterization,
    CharacterizationList,
    FidelityStatistics,
    characterization_adapter,
    characterization_list_adapter,
)

__all__ = ["Gateset", "from_ionq", "parse_characterization", "to_calibration"]

Gateset = Literal["native", "qis"]
Payload = Mapping[str, Any] | str | bytes | bytearray

# Native gates: phases and angles in turns (1 turn = 2π rad).
NATIVE_PARAMETERS: dict[str, tuple[str, ...]] = {
    "gpi": ("phi",),
    "gpi2": ("phi",),
    "ms": ("phi0", "phi1", "theta"),
    "zz": ("theta",),
}

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
) -> Calibration:
    """The neutral calibration of an IonQ characterization.

    ``gateset="native"`` gives GPI, GPI2 and the device's entangler (MS on Harmony/Aria, ZZ on
    the Forte family) plus measure; ``"qis"`` gives the abstract gates IonQ's API compiles
    server-side (see ``docs/ionq.md`` for how their errors are derived). ``two_qubit_gate``
    overrides the family table (needed for a backend it does not know).
    """
    char, root = parse_characterization(characterization)
    backend = char.backend or char.target
    if not backend:
        raise CalibrationError(f"{root}.backend", "required field is missing (or 'target')",
                               show_value=False)
    if char.backend and char.target and char.backend != char.target:
        warn(f"{root}.target: {char.target!r} names another device than {root}.backend "
             f"{char.backend!r}; the backend is used")
    if two_qubit_gate is None:
        family = family_of(backend)
        two_qubit_gate, processor = family.two_qubit_gate, family.name
    else:
        if two_qubit_gate not in ("ms", "zz"):
            raise CalibrationError("two_qubit_gate", "expected 'ms' or 'zz'", two_qubit_gate)
        processor = None
    n = char.qubits
    pairs = _pairs(char.connectivity, n, root)
    if processor is not None and n > family.qubits:  # errors first, then doubts
        warn(f"{root}.qubits: {n} qubits on {backend!r}, whose family ({family.name}) has "
             f"{family.qubits}: is the backend name right?")

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
        entangler = tuple(GateCalibration(p, error_2q, t_2q) for p in _both_ways(pairs))
        instructions = (
            _gate("gpi", 1, singles),
            _gate("gpi2", 1, singles),
            _gate(two_qubit_gate, 2, entangler),
            measure,
        )
    elif gateset == "qis":
        instructions = (*_qis(n, pairs, singles, error_2q, t_2q, root), measure)
    else:
        raise CalibrationError("gateset", "expected 'native' or 'qis'", gateset)

    notes = f"gateset {gateset}; native two-qubit gate {two_qubit_gate}"
    if used:
        notes += "; fidelities used: " + ", ".join(used)
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
) -> Target:
    """A qiskit ``Target`` from an IonQ characterization (see :func:`to_calibration`).

    >>> import qtargets
    >>> target = qtargets.from_ionq(payload, gateset="native")  # doctest: +SKIP
    """
    return build_target(
        to_calibration(characterization, gateset=gateset, two_qubit_gate=two_qubit_gate),
        filter_faulty=filter_faulty,
    )


# -- helpers -----------------------------------------------------------------------------------


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
