"""IBM Quantum Platform calibration CSV files -> neutral :class:`~qtargets.Calibration`.

The device pages of the IBM Quantum Platform offer each device's calibration as a CSV file
(``ibm_fez_calibrations_2026-01-30T12_25_55Z.csv``): one row per qubit with T1/T2, readout
and single-qubit gate errors, and per-pair lists (``0_1:0.0041;0_15:0.0063``) of two-qubit
gate errors and times. Its columns changed over the years (docs/ibm-csv.md lists them).

A CSV holds the *numbers* of a calibration only, not the device: which instructions exist,
where the couplers are, ``dt`` and the timing constraints come from a configuration of the
same device: one passed in (``configuration=`` an IBM ``/configuration`` body, or ``base=``
any Calibration of the device), else the stored (or bundled) calibration of the device in
force at the file's time, else the newest one. Every number of the result comes from the
CSV; what the CSV does not hold is unknown (``None``), never carried over from the other
calibration. Every CSV qubit and pair must exist on that device.

>>> cal = read_calibration_csv("ibm_fez_calibrations_2026-01-30T12_25_55Z.csv")  # doctest: +SKIP
"""

from __future__ import annotations

import csv
import io
import math
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Literal

from .._exceptions import CalibrationError, QTargetsError, UnknownBackendError, warn
from ..bundled import bundled_backends, bundled_history, history_backends
from ..live import StoreArg, store_in_use
from ..model import (
    FRAME_CHANGES,
    Calibration,
    GateCalibration,
    Provenance,
    QubitCalibration,
    utc,
)
from ..units import SCALES, Dimension, to_si
from ..vendors import FileFormat
from .convert import OTHER_MODE_GATES, Payload, to_calibration

__all__ = [
    "FILE_FORMAT",
    "calibration_from_csv",
    "looks_like_calibration_csv",
    "parse_file_name",
    "read_calibration_csv",
]

FILE_NAME = re.compile(
    r"^(?P<device>[A-Za-z0-9][A-Za-z0-9_.-]*?)_calibrations"
    r"(?:_(?P<time>\d{4}-\d{2}-\d{2}T\d{2}_\d{2}_\d{2}Z))?"
    r"(?:\s*\(\d+\))?\.csv$",  # a browser's " (1)" for a second download
    re.IGNORECASE,
)
"""How IBM names the files: ``DEVICE_calibrations_YYYY-MM-DDTHH_MM_SSZ.csv`` (before 2023:
``DEVICE_calibrations.csv``, with no time)."""

SOURCE_PREFIX = "IBM Quantum calibration CSV "
"""How the provenance source of a calibration read from a CSV starts."""

_MAX_STORED_LOOKS = 20
"""Stored calibrations of the device looked at for one not read from a CSV (each is parsed):
an archive of imported CSVs must not make every read slow."""

_MAX_BYTES = 64 * 1024 * 1024
"""A calibration CSV of the largest device is ~60 kB; anything near this is not one."""

# Column stem (lower case, unit removed) -> (QubitCalibration field, dimension, check):
# "p" probability in [0, 1], "t" non-negative time, "f" finite number.
_QUBIT_COLUMNS: dict[str, tuple[str, Dimension, str]] = {
    "t1": ("t1", "time", "t"),
    "t2": ("t2", "time", "t"),
    "frequency": ("frequency", "frequency", "f"),
    "anharmonicity": ("anharmonicity", "frequency", "f"),
    "readout assignment error": ("readout_error", "dimensionless", "p"),
    "prob meas0 prep1": ("prob_meas0_prep1", "dimensionless", "p"),
    "prob meas1 prep0": ("prob_meas1_prep0", "dimensionless", "p"),
    "readout length": ("readout_duration", "time", "t"),
}
# "<label> error" columns whose label is not the gate's name.
_GATE_ALIASES = {"pauli-x": "x", "single-qubit pauli-x": "x", "cnot": "cx"}
_PAIR_TIMES = ("gate time", "gate length")
_SINGLE_TIMES = ("single-qubit gate length",)
_TRUE = frozenset({"true", "yes", "1"})
_FALSE = frozenset({"false", "no", "0"})
_PAIR_ITEM = re.compile(r"^(?:(?P<a>\d+)_)?(?P<b>\d+)\s*:\s*(?P<value>\S+)$")
_QUBIT_LABEL = re.compile(r"^[Qq]?(\d+)$")

ColumnKind = Literal["qubit", "field", "operational", "gate", "time_1q", "time_2q", "unknown"]


@dataclass(frozen=True)
class _Column:
    header: str
    """As written in the file (trailing spaces and all), for messages."""
    kind: ColumnKind
    target: str = ""
    """The QubitCalibration field or the gate name."""
    dimension: Dimension = "dimensionless"
    unit: str = ""
    check: str = "p"


@dataclass(frozen=True)
class _Device:
    """What parsing checks cells against: the device's instructions and couplers."""

    name: str
    widths: Mapping[str, int]
    """Instruction name -> number of qubits."""
    couplers: Mapping[str, frozenset[frozenset[int]]]
    """Two-qubit gate -> the qubit pairs (either direction) it runs on."""
    any_coupler: frozenset[frozenset[int]]

    @classmethod
    def of(cls, structure: Calibration) -> _Device:
        couplers = {inst.name: frozenset(frozenset(g.qubits) for g in inst.qargs or ())
                    for inst in structure.instructions if inst.num_qubits == 2}
        return cls(structure.backend_name,
                   {inst.name: inst.num_qubits for inst in structure.instructions},
                   couplers, frozenset().union(*couplers.values()))


@dataclass
class _Table:
    """What the rows say, in SI units, keyed by qubit and by (gate, qubits)."""

    qubits: dict[int, dict[str, Any]] = field(default_factory=dict)
    gates: dict[str, dict[tuple[int, ...], float | None]] = field(default_factory=dict)
    times_1q: dict[int, float | None] = field(default_factory=dict)
    times_2q: dict[tuple[int, ...], float | None] = field(default_factory=dict)
    measure_errors: dict[int, float | None] = field(default_factory=dict)


# -- file names and recognising a file --------------------------------------------------------


def parse_file_name(name: str) -> tuple[str | None, datetime | None]:
    """(device, time) from an IBM file name; ``(None, None)`` for another name.

    The time is when the file was downloaded (several devices downloaded one after another
    get consecutive times), so the numbers are the calibration in force then.

    >>> parse_file_name("ibm_fez_calibrations_2026-01-30T12_25_55Z.csv")[0]
    'ibm_fez'
    """
    match = FILE_NAME.match(os.path.basename(name))
    if match is None:
        return None, None
    text = match["time"]
    if text is None:
        return match["device"], None
    moment = datetime.strptime(text, "%Y-%m-%dT%H_%M_%SZ").replace(tzinfo=timezone.utc)
    return match["device"], moment


def looks_like_calibration_csv(name: str, data: bytes) -> bool:
    """Whether file ``name`` with content ``data`` is an IBM calibration CSV: a ``.csv`` whose
    first cell is ``Qubit``. Cheap, and never raises."""
    if not name.lower().endswith(".csv"):
        return False
    head = data[:64].removeprefix(b"\xef\xbb\xbf").lstrip().lstrip(b'"')
    return head[:5].lower() == b"qubit"


# -- the public entry points ----------------------------------------------------------------


def read_calibration_csv(
    path: str | os.PathLike[str],
    device: str | None = None,
    *,
    taken_at: datetime | None = None,
    configuration: Payload | None = None,
    base: Calibration | None = None,
    store: StoreArg = None,
) -> Calibration:
    """The calibration in an IBM Quantum Platform calibration CSV file.

    ``device`` and ``taken_at`` default to what the file name says (IBM's
    ``DEVICE_calibrations_TIME.csv``). The device's instructions, couplers, ``dt`` and timing
    come from ``configuration`` (an IBM ``/configuration`` body), else ``base`` (a
    Calibration of the same device), else the stored or bundled calibration of the device
    (``store``: as :func:`qtargets.calibration` takes it). Raises
    :class:`~qtargets.CalibrationError` naming the file, row (qubit) and column of a bad cell.
    """
    file = Path(path)
    try:
        size = file.stat().st_size
        if size > _MAX_BYTES:
            raise CalibrationError(str(path), f"{size} bytes: too large for a calibration "
                                   "CSV", show_value=False)
        data = file.read_bytes()
    except OSError as exc:
        raise QTargetsError(f"cannot read calibration CSV {str(path)!r}: "
                            f"{exc.strerror}") from exc
    return calibration_from_csv(data, file.name, device, taken_at=taken_at,
                                configuration=configuration, base=base, store=store)


def calibration_from_csv(
    data: bytes | str,
    name: str = "calibrations.csv",
    device: str | None = None,
    *,
    taken_at: datetime | None = None,
    configuration: Payload | None = None,
    base: Calibration | None = None,
    store: StoreArg = None,
) -> Calibration:
    """:func:`read_calibration_csv` of a file's content; ``name`` is its file name (which
    may name the device and time, and names the file in errors)."""
    text = _text(data, name)
    named_device, named_time = parse_file_name(name)
    if device is not None and named_device is not None and device != named_device:
        raise CalibrationError(name, f"the file name says device {named_device!r}, the "
                               f"device given is {device!r}", show_value=False)
    device = device or named_device
    when = utc(taken_at) if taken_at is not None else named_time
    structure = _structure(name, device, when, configuration, base, store)
    calibration = _combine(structure, _parse(text, name, structure), name, when)
    if when is None:
        warn(f"{name}: no calibration time in the file name (IBM's "
             "DEVICE_calibrations_YYYY-MM-DDTHH_MM_SSZ.csv) and none given: taken_at is unknown")
    return calibration


def _read_file_format(name: str, data: bytes, device: str | None) -> Calibration:
    """The :class:`~qtargets.vendors.FileFormat` reader; ``device`` for files whose name
    does not say (``qtargets import --device``)."""
    return calibration_from_csv(data, name, device)


FILE_FORMAT = FileFormat("IBM Quantum calibration CSV", looks_like_calibration_csv,
                         _read_file_format)
"""What :meth:`qtargets.ibm.source.IBMVendor.file_formats` declares."""


# -- the device's structure ---------------------------------------------------------------------


def _structure(name: str, device: str | None, when: datetime | None,
               configuration: Payload | None, base: Calibration | None,
               store: StoreArg) -> Calibration:
    """The calibration whose instructions, couplers and timing the CSV's numbers go into."""
    if configuration is not None and base is not None:
        raise QTargetsError("give configuration= or base=, not both")
    if configuration is not None:
        base = to_calibration(configuration)
    if base is not None:
        if not isinstance(base, Calibration):
            raise QTargetsError(f"base must be a qtargets.Calibration, got "
                                f"{type(base).__name__}")
        if device is not None and base.backend_name != device:
            raise CalibrationError(name, f"is a calibration of {device!r}; the configuration "
                                   f"given is of {base.backend_name!r}", show_value=False)
        return base
    if device is None:
        raise CalibrationError(name, "the file name does not say which device it is of "
                               "(IBM names it DEVICE_calibrations_TIME.csv): give the device",
                               show_value=False)
    found = _offline(device, when, store)
    if found is None:
        known = ", ".join(sorted({*bundled_backends(), *history_backends()}))
        raise UnknownBackendError(
            f"{name}: no configuration of {device!r} is known (none stored, none bundled: "
            f"{known}); fetch one (qtargets fetch {device}) or pass configuration= (an IBM "
            "/configuration body)")
    return found


def _offline(device: str, when: datetime | None, store: StoreArg) -> Calibration | None:
    """The stored or bundled (history included) calibration of ``device`` in force at
    ``when`` (the newest
    when there is none that old, or ``when`` is unknown), stored ones first. Stored ones
    read from a CSV are passed over: their structure is borrowed too."""
    candidates: list[Calibration] = []
    with store_in_use(store) as opened:
        if opened is not None:
            snapshots = opened.history(device)[::-1]  # newest first
            in_force = [s for s in snapshots
                        if when is not None and s.taken_at is not None and s.taken_at <= when]
            early = {s.id for s in in_force}
            ordered = in_force + [s for s in snapshots if s.id not in early]
            for snapshot in ordered[:_MAX_STORED_LOOKS]:
                stored = opened.load(snapshot)
                if not stored.provenance.source.startswith(SOURCE_PREFIX):
                    candidates.append(stored)
                    break
    candidates += bundled_history(device)  # the bundled snapshot and its earlier days
    if not candidates:
        return None
    epoch = datetime.min.replace(tzinfo=timezone.utc)
    in_force_found = [c for c in candidates
                      if when is not None and c.taken_at is not None and c.taken_at <= when]
    # max() keeps the first of equals: the stored one
    return max(in_force_found or candidates, key=lambda cal: cal.taken_at or epoch)


# -- parsing ------------------------------------------------------------------------------------


def _text(data: bytes | str, name: str) -> str:
    if isinstance(data, str):
        return data.removeprefix("\ufeff")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise CalibrationError(name, f"not UTF-8 text (byte {exc.start})",
                               show_value=False) from None


def _column(header: str, name: str) -> _Column:
    """What a header means; ``kind="unknown"`` for one qtargets does not know."""
    text = " ".join(header.split())
    unit = ""
    found = re.match(r"^(.*\S)\s*\(([^()]*)\)$", text)
    stem = text
    if found is not None and not found[1].lower().endswith(" error"):
        stem, unit = found[1], found[2].strip()
    key = stem.lower()
    if key == "qubit":
        return _Column(header, "qubit")
    if key == "operational":
        return _Column(header, "operational")
    if key in _QUBIT_COLUMNS:
        target, dimension, check = _QUBIT_COLUMNS[key]
        return _Column(header, "field", target, dimension, _unit(header, name, unit, dimension),
                       check)
    if key in _SINGLE_TIMES:
        return _Column(header, "time_1q", "", "time", _unit(header, name, unit, "time"), "t")
    if key in _PAIR_TIMES:
        return _Column(header, "time_2q", "", "time", _unit(header, name, unit, "time"), "t")
    if key.endswith(" error"):
        label = key[: -len(" error")].strip()
        named = re.search(r"\(([a-z][a-z0-9_]*)\)$", label)
        gate = named[1] if named else _GATE_ALIASES.get(label, label)
        if re.fullmatch(r"[a-z][a-z0-9_]*", gate):
            return _Column(header, "gate", gate)
    return _Column(header, "unknown")


def _unit(header: str, name: str, unit: str, dimension: Dimension) -> str:
    for known in SCALES[dimension]:
        if known.lower() == unit.lower():
            return known
    raise CalibrationError(f"{name}: row 1, column {header!r}",
                           f"expected a unit of {dimension} "
                           f"({', '.join(u for u in SCALES[dimension] if u)})", unit)


def _parse(text: str, name: str, structure: Calibration) -> _Table:
    first = text.split("\n", 1)[0]
    # a spreadsheet re-saving the file in a locale whose list separator is ';' (or as
    # tab-separated text) changes the delimiter; IBM's own files use ','
    delimiter = next((d for d in ",;\t" if d in first), ",")
    rows = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        headers = next(rows)
    except StopIteration:
        raise CalibrationError(name, "the file is empty", show_value=False) from None
    except csv.Error as exc:
        raise CalibrationError(f"{name}: row 1", f"not CSV: {exc}", show_value=False) from None
    columns = [_column(h, name) for h in headers]
    if not columns or columns[0].kind != "qubit":
        raise CalibrationError(f"{name}: row 1", "expected a 'Qubit' column first (an IBM "
                               "calibration CSV)", headers[0] if headers else "")
    _check_columns(columns, name, structure)
    device = _Device.of(structure)
    table = _Table()
    n = structure.num_qubits
    try:
        for cells in rows:
            if not any(cell.strip() for cell in cells):
                continue  # a blank line
            line = rows.line_num
            if len(cells) != len(columns):
                raise CalibrationError(f"{name}: row {line}", f"expected {len(columns)} "
                                       f"cells (one per column), got {len(cells)}",
                                       show_value=False)
            label = cells[0].strip()
            found = _QUBIT_LABEL.match(label)
            if found is None:
                raise CalibrationError(f"{name}: row {line}, column {columns[0].header!r}",
                                       "expected a qubit number (0, or Q0)", cells[0])
            qubit = int(found[1])
            if qubit >= n:
                raise CalibrationError(
                    f"{name}: row {line} (qubit {qubit}), column {columns[0].header!r}",
                    f"{structure.backend_name} has {n} qubits (0 to {n - 1})", cells[0])
            if qubit in table.qubits:
                raise CalibrationError(f"{name}: row {line} (qubit {qubit})",
                                       "a second row of this qubit", show_value=False)
            table.qubits[qubit] = {}
            for column, cell in zip(columns[1:], cells[1:], strict=True):
                where = f"{name}: row {line} (qubit {qubit}), column {column.header!r}"
                _read_cell(table, column, cell, qubit, device, where)
    except csv.Error as exc:
        raise CalibrationError(f"{name}: row {rows.line_num}", f"not CSV: {exc}",
                               show_value=False) from None
    return table


def _check_columns(columns: list[_Column], name: str, structure: Calibration) -> None:
    """One warning per column whose values go nowhere; an error for a repeated one."""
    offered = {inst.name for inst in structure.instructions}
    seen: dict[tuple[str, str], str] = {}
    for column in columns[1:]:
        key = (column.kind, column.target)
        if column.kind != "unknown" and key in seen:
            raise CalibrationError(f"{name}: row 1", f"columns {seen[key]!r} and "
                                   f"{column.header!r} say the same thing", show_value=False)
        seen[key] = column.header
        if column.kind == "unknown":
            warn(f"{name}: column {column.header!r} is not one qtargets knows; its values "
                 "are left out")
        elif (column.kind == "gate" and column.target not in offered
              and column.target not in OTHER_MODE_GATES):
            warn(f"{name}: column {column.header!r}: {structure.backend_name} has no "
                 f"instruction {column.target!r} (per its configuration); its values are "
                 "left out")


def _read_cell(table: _Table, column: _Column, cell: str, qubit: int, device: _Device,
               where: str) -> None:
    kind = column.kind
    if kind == "field":
        table.qubits[qubit][column.target] = _number(cell, column, where)
    elif kind == "operational":
        flag = cell.strip().lower()
        if flag and flag not in _TRUE | _FALSE:
            raise CalibrationError(where, "expected true/false or Yes/No", cell)
        table.qubits[qubit]["operational"] = flag not in _FALSE
    elif kind == "time_1q":
        table.times_1q[qubit] = _number(cell, column, where)
    elif kind == "time_2q":
        for pair, value in _pairs(cell, qubit, column, where, device, None).items():
            _put(table.times_2q, pair, value, where)
    elif kind == "gate" and column.target == "measure":
        table.measure_errors[qubit] = _number(cell, column, where)
    elif kind == "gate" and column.target in device.widths:
        slot = table.gates.setdefault(column.target, {})
        width = device.widths[column.target]
        if width == 2:
            pairs = _pairs(cell, qubit, column, where, device, column.target)
            for pair, value in pairs.items():
                _put(slot, pair, value, where)
        elif width == 1:
            slot[(qubit,)] = _number(cell, column, where)


def _put(slot: dict[Any, float | None], key: Any, value: float | None, where: str) -> None:
    if key in slot and slot[key] != value:
        raise CalibrationError(where, f"pair {key[0]}_{key[1]} is given {slot[key]!r} "
                               "elsewhere in this column", value)
    slot[key] = value


def _number(cell: str, column: _Column, where: str) -> float | None:
    text = cell.strip()
    if not text:
        return None
    try:
        value = float(text)
    except ValueError:
        raise CalibrationError(where, "expected a number", cell) from None
    return _checked(value, cell, column, where)


def _checked(value: float, cell: str, column: _Column, where: str) -> float:
    if not math.isfinite(value):
        raise CalibrationError(where, "expected a finite number", cell)
    converted = to_si(value, column.unit, column.dimension)
    assert converted is not None  # the unit was checked with the header
    if column.check == "p" and not 0.0 <= converted <= 1.0:
        raise CalibrationError(where, "expected a probability in [0, 1]", cell)
    if column.check == "t" and not 0.0 <= converted < math.inf:
        raise CalibrationError(where, "expected a non-negative time", cell)
    if column.check == "f" and not math.isfinite(converted):
        raise CalibrationError(where, "expected a finite number once in SI units", cell)
    return converted


def _pairs(cell: str, qubit: int, column: _Column, where: str, device: _Device,
           gate: str | None) -> dict[tuple[int, int], float | None]:
    """``0_1:0.0041;0_15:0.0063`` (``; `` before 2024), or ``1:0.0041;15:0.0063`` (the other
    qubit only, 2025 on), as ``{(0, 1): 0.0041, ...}``; each pair a coupler of ``gate``
    (of any two-qubit gate when ``None``) on the device."""
    found: dict[tuple[int, int], float | None] = {}
    couplers = device.couplers.get(gate, frozenset()) if gate else device.any_coupler
    for item in cell.split(";"):
        text = item.strip()
        if not text:
            continue
        match = _PAIR_ITEM.match(text)
        if match is None:
            raise CalibrationError(where, "expected pairs as A_B:VALUE or B:VALUE separated "
                                   "by ';'", cell)
        pair = (int(match["a"]) if match["a"] is not None else qubit, int(match["b"]))
        if frozenset(pair) not in couplers:
            raise CalibrationError(
                where, f"pair {pair[0]}_{pair[1]}: {device.name} has no "
                f"{gate + ' ' if gate else ''}coupler between qubits {pair[0]} and {pair[1]} "
                "(per its configuration)", cell)
        try:
            value = float(match["value"])
        except ValueError:
            raise CalibrationError(where, f"pair {pair[0]}_{pair[1]}: expected a number",
                                   cell) from None
        _put(found, pair, _checked(value, cell, column, where), where)
    return found


# -- combining ----------------------------------------------------------------------------------


def _combine(structure: Calibration, table: _Table, name: str,
             when: datetime | None) -> Calibration:
    n = structure.num_qubits
    missing = [q for q in range(n) if q not in table.qubits]
    if missing:
        warn(f"{name}: no row for {len(missing)} of {structure.backend_name}'s {n} qubits "
             f"({_few(missing)}); their numbers are unknown")
    qubits = tuple(QubitCalibration(**table.qubits.get(q, {})) for q in range(n))
    instructions = []
    no_column: list[str] = []
    for inst in structure.instructions:
        where = inst.qargs
        if where is None and inst.num_qubits == 1 and inst.name in table.gates:
            # a global instruction (its configuration came without properties) the CSV has
            # numbers of: on the qubits it gives them for, as qiskit places it by properties
            where = tuple(GateCalibration(q) for q in sorted(table.gates[inst.name]))
        if where is None or inst.kind in ("control_flow", "delay"):
            instructions.append(inst)
            continue
        if inst.name == "measure":
            qargs = _measure(where, qubits, table, name)
        elif inst.name in table.gates and inst.num_qubits == 2:
            qargs = _two_qubit(inst.name, where, table, name, structure)
        elif inst.name in table.gates:
            # the single-qubit gate length is a pulse's: not a frame change's, nor measure_2's
            pulse = inst.kind == "gate" and inst.name not in FRAME_CHANGES
            times = table.times_1q if pulse else {}
            values = table.gates[inst.name]
            qargs = tuple(GateCalibration(g.qubits, values.get(g.qubits),
                                          times.get(g.qubits[0])) for g in where)
        else:
            if inst.kind == "gate" and inst.name not in FRAME_CHANGES:
                no_column.append(inst.name)
            qargs = tuple(GateCalibration(g.qubits) for g in where)
        instructions.append(replace(inst, qargs=qargs))
    if no_column:
        warn(f"{name}: no column for {structure.backend_name}'s gates {no_column}; their "
             "errors and durations are unknown (qiskit treats them as ideal)")
    notes = (f"Numbers from the IBM Quantum Platform calibration CSV {name}; instructions, "
             f"couplers, dt and timing constraints from: {structure.provenance.source}"
             + (f" (taken {structure.taken_at.isoformat()})"
                if structure.taken_at is not None else "")
             + (". taken_at is the time in the file name, when it was downloaded"
                if when is not None else ". taken_at unknown"))
    return Calibration(
        vendor=structure.vendor,
        backend_name=structure.backend_name,
        num_qubits=n,
        qubits=qubits,
        instructions=tuple(instructions),
        provenance=Provenance(source=SOURCE_PREFIX + name, notes=notes),
        taken_at=when,
        backend_version=structure.backend_version,
        processor=structure.processor,
        dt=structure.dt,
        timing_constraints=structure.timing_constraints,
    )


def _measure(where: tuple[GateCalibration, ...], qubits: tuple[QubitCalibration, ...],
             table: _Table, name: str) -> tuple[GateCalibration, ...]:
    """Readout error and length, as qiskit's converter takes them; a ``MEASURE error``
    column only where there is no readout error."""
    differ = [q for q, e in table.measure_errors.items()
              if e is not None and qubits[q].readout_error is not None
              and e != qubits[q].readout_error]
    if differ:
        warn(f"{name}: 'MEASURE error' differs from the readout assignment error on qubits "
             f"{_few(differ)}; measure takes the readout assignment error (as qiskit does)")
    out = []
    for g in where:
        q = qubits[g.qubits[0]]
        error = q.readout_error if q.readout_error is not None else table.measure_errors.get(
            g.qubits[0])
        out.append(GateCalibration(g.qubits, error, q.readout_duration))
    return tuple(out)


def _two_qubit(gate: str, where: tuple[GateCalibration, ...], table: _Table, name: str,
               structure: Calibration) -> tuple[GateCalibration, ...]:
    """The CSV's pairs (in its directions; each was checked to be a coupler of the device
    while parsing); the device's pairs the CSV does not list keep their place with unknown
    numbers."""
    errors = table.gates[gate]
    times: Mapping[tuple[int, ...], float | None] = table.times_2q if gate != "rzz" else {}
    listed = dict.fromkeys([*errors, *times])
    # a pair the file lists the other way round only replaces it (a coupler whose gate
    # direction changed, as ECR directions do); any other the file lacks stays, unknown
    known = {g.qubits for g in where}
    unlisted = [g.qubits for g in where if g.qubits not in listed
                and not (g.qubits[::-1] in listed and g.qubits[::-1] not in known)]
    if unlisted:
        warn(f"{name}: {len(unlisted)} {gate} pairs of {structure.backend_name} are not in "
             f"the file ({_few(unlisted)}); their numbers are unknown")
    return (*(GateCalibration(p, errors.get(p), times.get(p)) for p in listed),
            *(GateCalibration(q) for q in unlisted))


def _few(items: list[Any], limit: int = 8) -> str:
    shown = ", ".join(str(i) for i in items[:limit])
    return shown + (f" and {len(items) - limit} more" if len(items) > limit else "")

