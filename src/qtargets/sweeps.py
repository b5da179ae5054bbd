"""Research sweeps: every circuit x device x calibration day x method x seed, scored.

>>> import qtargets
>>> from qiskit.circuit.library import QFTGate
>>> from qiskit import QuantumCircuit
>>> qft = QuantumCircuit(5, name="qft5")
>>> _ = qft.append(QFTGate(5), range(5)), qft.measure_all()
>>> records = qtargets.sweep([qft], ["ibm_fez", "qpu.aria-1"],
...                         methods=["default", "qtargets"], seeds=[1, 2])  # doctest: +SKIP
>>> records.to_csv("results.csv")                                           # doctest: +SKIP
>>> records.to_pandas().groupby("method").esp_idle.median()                 # doctest: +SKIP

Each run transpiles one circuit for one calibration with one method and seed, then scores it
(:func:`qtargets.score`); a run that fails becomes a record carrying the error, never a
crashed sweep. Records come back in a fixed order (circuits, then devices and their days,
methods, seeds) whatever the executor finished first, so two executors give identical records
apart from timings.

Calibration days: ``days=`` picks them for each device name from what is available offline
(:func:`qtargets.live.offline_calibrations`: the local store and the bundled real history),
so the caller fetches nothing; each record carries its ``day``.

Results as they finish: with ``out=`` (``.csv`` or ``.jsonl``) each finished run is appended
and flushed to disk (``fsync``) as it completes, so a sweep that is stopped or killed loses
only the runs not finished yet; ``resume=True`` skips the runs the file already holds,
recognised by their run key (circuit name and content hash, device, calibration time, day,
method, seed, level). A sweep stopped half-way and resumed gives the same records as one run
straight through.

Executors: ``None`` (a local process pool, one worker per core), any
``concurrent.futures.Executor``, or a ``dask.distributed`` client (or its ``get_executor()``).
Calibrations travel to each worker once, not with every run: the default pool's workers read
them from a private temporary directory when they start (not through the spawn pipe, whose
write blocks for good when a worker dies before reading it); on Dask they are scattered to
every worker once (``broadcast``); any other executor gets them with each run. Each worker
process builds a calibration's Target once and keeps it; :attr:`SweepRecords.transfers`
counts the builds per worker, so this can be checked. Runs in one process take turns
(qiskit's transpiler is not thread-safe), so thread pools give no speed-up: parallelism comes
from processes.

Worker processes are *spawned*: each is a fresh Python that re-imports the main script, so a
script must start a sweep under ``if __name__ == "__main__":``. Without it the sweep raises a
:class:`~qtargets.SweepError` saying so, in the workers (which would otherwise start sweeps of
their own) and in the script, as soon as the workers have died, instead of waiting forever.
A worker that dies later (killed by the operating system) costs only the runs not yet
finished: they become records carrying the error, with a :class:`~qtargets.QTargetsWarning`,
and every finished run is kept.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import math
import multiprocessing
import os
import pickle  # only our own payloads: Targets the sweep pickled itself
import shutil
import socket
import statistics
import tempfile
import threading
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import (
    BrokenExecutor,
    Executor,
    Future,
    ProcessPoolExecutor,
    as_completed,
)
from dataclasses import asdict, dataclass, replace
from datetime import date, datetime
from pathlib import Path
from typing import Any, Protocol, TypeAlias

import numpy as np
from qiskit import QuantumCircuit
from qiskit.circuit import ClassicalRegister, Clbit, Gate, Instruction
from qiskit.transpiler import Target

from ._exceptions import QTargetsError, SweepError, error_message, warn
from ._optional import require
from .backends import Figures, QTargetsBackend
from .build import build_target
from .devices import Device, DeviceSpec, as_list, resolve_all
from .live import When, offline_calibrations, offline_history, parse_when, split_time
from .methods import METHODS
from .model import Calibration

__all__ = ["COLUMNS", "DaskClient", "Days", "SweepRecord", "SweepRecords", "circuit_hash",
           "parse_days", "sweep"]


@dataclass(frozen=True, kw_only=True)
class SweepRecord(Figures):
    """One run: one circuit on one calibration with one method and seed.

    The figures (:class:`qtargets.backends.Figures`) are those a ranking row has too, under
    the same names; ``error`` is ``"TypeName: message"`` when the run failed.
    """

    circuit: str
    method: str
    seed: int | None
    optimization_level: int
    day: date | None = None
    """The calibration day the run stands for: the date asked for (``days=[dates]``), else the
    UTC date of ``taken_at``; ``None`` for a bare Target (no time)."""
    circuit_hash: str | None = None
    """:func:`circuit_hash` of the circuit: with its name, what identifies it on resuming."""

    def same_result(self, other: SweepRecord) -> bool:
        """Equal in everything but the time transpiling took."""
        return _without_time(self) == _without_time(other)


def _without_time(record: SweepRecord) -> dict[str, Any]:
    values = asdict(record)
    values.pop("transpile_seconds")
    return values


COLUMNS = ("circuit", "circuit_hash", "device", "day", "taken_at", "method", "seed",
           "optimization_level", "esp", "esp_idle", "log_esp_idle", "duration",
           "two_qubit_gates", "depth", "transpile_seconds", "unknown_errors", "error")
"""The columns of :meth:`SweepRecords.to_csv` and :meth:`SweepRecords.to_pandas`, in order:
what was run, then what came of it."""

_KEY_COLUMNS = ("circuit", "circuit_hash", "device", "taken_at", "day", "method", "seed",
                "optimization_level")
"""What identifies a run (its key): a file's record with the same values is that run done."""

_RunKey: TypeAlias = tuple[Any, ...]


def _run_key(record: SweepRecord) -> _RunKey:
    return tuple(getattr(record, name) for name in _KEY_COLUMNS)


class SweepRecords(list[SweepRecord]):
    """The records of a sweep, in order, with tidy exports."""

    transfers: Counter[tuple[str, str]]
    """``(worker, calibration key)`` -> how many times that calibration was built into a
    Target in that worker process (1 each, when shipping works as designed)."""

    lost: list[SweepRecord]
    """The runs the executor lost (a worker died): records carrying why, among the others.
    ``out=`` does not hold them, so a resumed sweep runs them again."""

    resumed: int
    """How many records a resumed sweep found in ``out=`` rather than ran."""

    def __init__(self, records: Iterable[SweepRecord] = (),
                 transfers: Counter[tuple[str, str]] | None = None,
                 lost: Iterable[SweepRecord] = (), resumed: int = 0):
        super().__init__(records)
        self.transfers = transfers if transfers is not None else Counter()
        self.lost = list(lost)
        self.resumed = resumed

    @property
    def failed(self) -> list[SweepRecord]:
        return [r for r in self if r.error is not None]

    def to_pandas(self) -> Any:
        """A ``pandas.DataFrame``, one row per record (needs pandas)."""
        pandas = require("pandas", "SweepRecords.to_pandas")
        return pandas.DataFrame([asdict(r) for r in self], columns=list(COLUMNS))

    def to_csv(self, path: str | os.PathLike[str]) -> Path:
        """Write one row per record; times in ISO 8601, missing figures empty."""
        return _rewrite(Path(path), self, ".csv")

    def to_jsonl(self, path: str | os.PathLike[str]) -> Path:
        """Write one JSON object per line and record; times in ISO 8601, missing figures
        ``null``."""
        return _rewrite(Path(path), self, ".jsonl")

    @classmethod
    def read(cls, path: str | os.PathLike[str]) -> SweepRecords:
        """The records of a ``.csv`` or ``.jsonl`` file a sweep wrote (``out=``,
        :meth:`to_csv`, :meth:`to_jsonl`), every figure exactly as it was."""
        file = Path(path)
        try:
            data = file.read_bytes()
        except OSError as exc:
            raise SweepError(f"{file}: cannot read it ({exc.strerror or exc})") from None
        complete = data[:data.rfind(b"\n") + 1]
        if complete != data:
            warn(f"{file}: its last line is cut off (a sweep stopped while writing it): left "
                 f"out")
        return cls(_parse(file, complete))

    def plot(self, path: str | os.PathLike[str] | None = None) -> Any:
        """ESP with idle decoherence per circuit and method, one panel per device (geometric
        mean over seeds and calibration days; log scale). Needs matplotlib."""
        require("matplotlib", "plotting sweep results")
        from matplotlib.backends.backend_agg import FigureCanvasAgg  # noqa: PLC0415
        from matplotlib.figure import Figure  # noqa: PLC0415

        ok = [r for r in self if r.esp_idle is not None and r.esp_idle > 0]
        esp_idle = {id(r): float(r.esp_idle or 0.0) for r in ok}
        devices = sorted({r.device for r in ok}) or ["(no results)"]
        circuits = list(dict.fromkeys(r.circuit for r in ok))
        methods = list(dict.fromkeys(r.method for r in ok))
        figure = Figure(figsize=(max(6.0, 0.9 * len(circuits) * max(len(methods), 1) + 2),
                                 3.2 * len(devices)), dpi=100, layout="constrained")
        FigureCanvasAgg(figure)
        axes_list = figure.subplots(len(devices), 1, squeeze=False)[:, 0]
        width = 0.8 / max(len(methods), 1)
        for axes, device in zip(axes_list, devices, strict=True):
            for m, method in enumerate(methods):
                heights = []
                for circuit in circuits:
                    values = [esp_idle[id(r)] for r in ok if r.device == device
                              and r.circuit == circuit and r.method == method]
                    heights.append(math.exp(statistics.fmean(math.log(v) for v in values))
                                   if values else math.nan)
                axes.bar([c + m * width for c in range(len(circuits))], heights, width,
                         label=method)
            axes.set_yscale("log")
            axes.set_title(device)
            axes.set_ylabel("esp_idle")
            axes.set_xticks([c + width * (len(methods) - 1) / 2 for c in range(len(circuits))],
                            circuits, rotation=30, ha="right")
            if methods:
                axes.legend()
        if path is not None:
            figure.savefig(path)
        return figure


# -- files of records ---------------------------------------------------------------------------


FORMATS = (".csv", ".jsonl")


def _format(path: Path) -> str:
    suffix = path.suffix.lower()
    if suffix not in FORMATS:
        raise SweepError(f"out: {path}: the suffix must be .csv or .jsonl, got "
                         f"{suffix or 'none'!r}")
    return suffix


def _row(record: SweepRecord) -> dict[str, Any]:
    """A record as a file's row: times in ISO 8601, in the order of :data:`COLUMNS`."""
    values = asdict(record)
    for name in ("taken_at", "day"):
        when = values[name]
        values[name] = when.isoformat() if when is not None else None
    return {name: values[name] for name in COLUMNS}


def _line(record: SweepRecord, form: str) -> str:
    row = _row(record)
    if form == ".jsonl":
        return json.dumps(row, allow_nan=True) + "\n"
    text = io.StringIO()
    csv.writer(text, lineterminator="\n").writerow(
        ["" if v is None else v for v in row.values()])
    return text.getvalue()


def _header(form: str) -> str:
    return ",".join(COLUMNS) + "\n" if form == ".csv" else ""


_INTS = frozenset({"seed", "optimization_level", "two_qubit_gates", "depth", "unknown_errors"})
_FLOATS = frozenset({"esp", "esp_idle", "log_esp_idle", "duration", "transpile_seconds"})


def _record(values: Mapping[str, Any], where: str) -> SweepRecord:
    """A row read back (text from CSV, JSON values from JSONL) as the record it was."""
    out: dict[str, Any] = {}
    for name in COLUMNS:
        value = values.get(name)
        if value == "" or value is None:
            out[name] = 0 if name == "unknown_errors" else None
            continue
        try:
            if name in _INTS:
                if isinstance(value, (float, bool)):
                    raise ValueError
                out[name] = int(value)
            elif name in _FLOATS:
                out[name] = float(value)
            elif name == "taken_at":
                out[name] = parse_when(str(value))
            elif name == "day":
                out[name] = date.fromisoformat(str(value))
            else:
                out[name] = str(value)
        except (ValueError, TypeError, QTargetsError):
            raise SweepError(f"{where}: {name}: {value!r} is not what a sweep writes there"
                             ) from None
    for name in ("circuit", "device", "method", "optimization_level"):
        if out[name] is None:
            raise SweepError(f"{where}: {name}: missing")
    return SweepRecord(**out)


def _parse(path: Path, data: bytes) -> list[SweepRecord]:
    """Every record of a file's complete lines."""
    form = _format(path)
    text = data.decode("utf-8", errors="replace")
    records = []
    if form == ".csv":
        reader = csv.reader(io.StringIO(text))
        header = next(reader, None)
        if header is None:
            return []
        if tuple(header) != COLUMNS:
            raise SweepError(f"{path}: its columns are not a sweep's ({', '.join(COLUMNS)}): "
                             f"got {', '.join(header)}; write to another file")
        for number, cells in enumerate(reader, 2):
            if len(cells) != len(COLUMNS):
                raise SweepError(f"{path}: line {number}: {len(cells)} cells, expected "
                                 f"{len(COLUMNS)}")
            records.append(_record(dict(zip(COLUMNS, cells, strict=True)),
                                   f"{path}: line {number}"))
        return records
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            values = json.loads(line)
        except ValueError:
            raise SweepError(f"{path}: line {number}: not JSON") from None
        if not isinstance(values, dict) or set(values) != set(COLUMNS):
            raise SweepError(f"{path}: line {number}: not a sweep record (keys: "
                             f"{', '.join(COLUMNS)})")
        records.append(_record(values, f"{path}: line {number}"))
    return records


def _fsync_directory(folder: Path) -> None:
    """Make a rename or a new file in ``folder`` durable (where the OS allows it)."""
    try:
        handle = os.open(folder, os.O_RDONLY)
    except OSError:  # e.g. Windows: directories cannot be opened
        return
    try:
        os.fsync(handle)
    except OSError:
        pass
    finally:
        os.close(handle)


def _rewrite(path: Path, records: Iterable[SweepRecord], form: str | None = None) -> Path:
    """Write ``records`` to ``path`` whole, atomically: a file beside it, then a rename, so
    that a crash leaves the old file or the new one, never half of one."""
    form = form or _format(path)
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent or ".")
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="") as out:
            out.write(_header(form))
            for record in records:
                out.write(_line(record, form))
            out.flush()
            os.fsync(out.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    _fsync_directory(path.parent)
    return path


class _Sink:
    """The ``out=`` file: each finished run appended and made durable as it finishes."""

    def __init__(self, path: Path, *, resume: bool):
        self.path = path
        self.form = _format(path)
        self.recorded: list[SweepRecord] = []
        if resume and path.exists():
            data = path.read_bytes()
            complete = data[:data.rfind(b"\n") + 1]
            if complete != data:  # killed while writing a line: that run is run again
                warn(f"sweep: the last line of {path} was cut off (a sweep stopped while "
                     f"writing it): left out, its run is run again")
                with path.open("r+b") as cut:
                    cut.truncate(len(complete))
            self.recorded = _parse(path, complete)
            if not complete:
                path.write_text(_header(self.form), encoding="utf-8")
        else:
            _rewrite(path, [], self.form)
        self._file = path.open("a", encoding="utf-8", newline="")

    def append(self, records: Iterable[SweepRecord]) -> None:
        self._file.write("".join(_line(r, self.form) for r in records))
        self._file.flush()
        os.fsync(self._file.fileno())

    def close(self) -> None:
        self._file.close()


# -- the work, as it runs in a worker -------------------------------------------------------------


@dataclass(frozen=True)
class _Run:
    circuit: QuantumCircuit
    circuit_name: str
    circuit_hash: str
    key: str
    device: str
    taken_at: datetime | None
    day: date | None
    method: str
    options: Mapping[str, Any]
    seed: int | None
    optimization_level: int

    def base(self) -> SweepRecord:
        """The record of this run, before its figures."""
        return SweepRecord(circuit=self.circuit_name, circuit_hash=self.circuit_hash,
                           device=self.device, taken_at=self.taken_at, day=self.day,
                           method=self.method, seed=self.seed,
                           optimization_level=self.optimization_level)


_PAYLOADS: dict[str, bytes] = {}
_TARGETS: dict[str, Target] = {}
_TURN = threading.Lock()
"""Runs in one process take turns: qiskit's transpiler shares Rust-backed state (the basis
translator's equivalence library, each Target) that refuses two threads at once ("Already
borrowed"). Parallelism comes from processes: the default pool, or Dask worker processes."""


def _worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


_STARTED = "started-"
"""A worker's mark in the sweep's directory: it got through starting (the main script's
re-import included) to the pool initializer."""


def _install(directory: str, keys: Sequence[str]) -> None:
    """Pool initializer: mark this worker started, then read every calibration, once.

    The calibrations come from files rather than the initializer's arguments: those travel
    in the spawn pipe, which the parent writes whole, holding its read end open, while the
    child reads it only after re-importing the main script; a child that dies there (a script
    without a main guard) would leave a large write blocked forever.
    """
    folder = Path(directory)
    (folder / f"{_STARTED}{os.getpid()}").touch()
    for key in keys:
        _PAYLOADS[key] = (folder / key).read_bytes()


def _target(key: str, payload: bytes | None) -> tuple[Target, bool]:
    """The Target for ``key``, built at most once per worker process (call under _TURN)."""
    target = _TARGETS.get(key)
    if target is not None:
        return target, False
    data = payload if payload is not None else _PAYLOADS.get(key)
    if data is None:
        raise SweepError(f"calibration {key} never reached worker {_worker_name()}")
    target = _TARGETS[key] = _decode(data)
    return target, True


def _decode(data: bytes) -> Target:
    if data.startswith(b"{"):
        return build_target(Calibration.from_json(data))
    target: Target = pickle.loads(data)
    return target


_Result = tuple[SweepRecord, str, bool]
"""What a run gives back: its record, the worker's name, whether its Target was built now."""


def _execute(run: _Run, payload: bytes | None = None) -> _Result:
    """One run in a worker: (record, worker name, whether the calibration arrived now)."""
    base = run.base()
    built = False
    try:
        with _TURN:
            target, built = _target(run.key, payload)
            done = QTargetsBackend(target, name=run.device).transpile_and_score(
                run.circuit, run.optimization_level, seed_transpiler=run.seed, **run.options)
        record = base.with_result(done)
    except Exception as exc:  # a failed run is a record, not a crashed sweep
        record = replace(base, error=_error_text(exc))
    return record, _worker_name(), built


def _error_text(exc: BaseException, message: str | None = None) -> str:
    """A record's ``error``: ``"TypeName: first line of the message"``, at most 500 long."""
    if message is None:
        text = error_message(exc)
        message = text.splitlines()[0] if text else ""
    return f"{type(exc).__name__}: {message}"[:500]


# -- what identifies a circuit ------------------------------------------------------------------


def circuit_hash(circuit: QuantumCircuit) -> str:
    """A short hex digest of what ``circuit`` does: its width, global phase and every
    instruction (name, parameters, the bits it acts on; a custom gate's definition; the
    blocks of control flow), not its name or metadata. The same circuit built again, in any
    process, gives the same digest: that is how a resumed sweep knows a recorded run is this
    circuit's and not an edited one's of the same name."""
    digest = hashlib.sha256()
    _feed_circuit(digest, circuit)
    return digest.hexdigest()[:16]


def _feed_circuit(digest: Any, circuit: QuantumCircuit) -> None:
    digest.update(f"circuit {circuit.num_qubits} {circuit.num_clbits} "
                  f"{_value_text(circuit.global_phase)}\n".encode())
    for instruction in circuit.data:
        op = instruction.operation
        qubits = [circuit.find_bit(q).index for q in instruction.qubits]
        clbits = [circuit.find_bit(c).index for c in instruction.clbits]
        condition = getattr(op, "condition", None)
        if isinstance(condition, tuple):
            where, value = condition
            condition = (f"clbit {circuit.find_bit(where).index}" if isinstance(where, Clbit)
                         else f"creg {where.name} {where.size}"
                         if isinstance(where, ClassicalRegister) else repr(where), value)
        digest.update(f"{op.name} {op.num_qubits} {op.num_clbits} {qubits} {clbits} "
                      f"{condition!r}\n".encode())
        for param in op.params:
            if isinstance(param, QuantumCircuit):
                _feed_circuit(digest, param)
            else:
                digest.update(f"param {_value_text(param)}\n".encode())
        if type(op) in (Gate, Instruction) and op.definition is not None:  # a custom gate
            _feed_circuit(digest, op.definition)


def _value_text(value: object) -> str:
    if isinstance(value, np.ndarray):
        return (f"array {value.dtype} {value.shape} "
                f"{hashlib.sha256(np.ascontiguousarray(value).tobytes()).hexdigest()}")
    if isinstance(value, (int, float, complex, np.number)):
        return repr(complex(value) if isinstance(value, complex) else value)
    return f"{type(value).__name__} {value}"


# -- the devices and their days -----------------------------------------------------------------


Days: TypeAlias = "int | tuple[When, When] | Sequence[When]"
"""Which calibration days ``sweep(days=...)`` takes of each device name, from the store and
the bundled history: ``N`` (the newest N), ``(since, until)`` (every one taken in that range,
bounds inclusive, either may be ``None``) or a list of dates or times (the calibration in
force at each, as ``NAME@TIME`` picks it: a date means its midnight, UTC)."""


@dataclass(frozen=True)
class _Device:
    name: str
    taken_at: datetime | None
    day: date | None
    key: str
    payload: bytes


def _device(device: Device, day: date | None = None) -> _Device:
    if device.calibration is not None:
        payload = device.calibration.to_json().encode()
    else:  # a bare Target: sent as it is
        payload = pickle.dumps(device.target())
    taken = device.taken_at
    if day is None and taken is not None:
        day = taken.date()  # taken_at is UTC (the model's rule)
    return _Device(device.name, taken, day, hashlib.sha256(payload).hexdigest()[:16],
                   payload)


@dataclass(frozen=True)
class _DayChoice:
    last: int | None = None
    since: datetime | None = None
    until: datetime | None = None
    dates: tuple[datetime, ...] | None = None


def _when(value: object) -> datetime | None:
    try:
        return parse_when(value)  # type: ignore[arg-type]  # checked here, with its error
    except QTargetsError:
        raise SweepError(f"days: {value!r} is not a date, a datetime or ISO 8601 text (e.g. "
                         f"'2025-02-26')") from None


def _day_choice(days: Days) -> _DayChoice:
    if isinstance(days, (bool, bytes)):
        raise SweepError(f"days: expected a whole number, (since, until) or a list of dates, "
                         f"got {days!r}")
    if isinstance(days, int):
        if days < 1:
            raise SweepError(f"days: the number of newest calibration days must be 1 or more, "
                             f"got {days}")
        return _DayChoice(last=days)
    if isinstance(days, str):
        raise SweepError(f"days: {days!r} is one text; give [{days!r}] for the calibration "
                         f"in force then, or (since, until) for a range")
    if isinstance(days, tuple):
        if len(days) != 2:
            raise SweepError(f"days: a range is (since, until), got {len(days)} values; give "
                             f"a list for dates")
        since, until = _when(days[0]), _when(days[1])
        if since is not None and until is not None and since > until:
            raise SweepError(f"days: since must not be after until, got {days!r}")
        return _DayChoice(since=since, until=until)
    if isinstance(days, Iterable):
        dates = [_when(d) for d in days]
        if not dates or any(d is None for d in dates):
            raise SweepError("days: give at least one date, and no None among them")
        return _DayChoice(dates=tuple(sorted({d for d in dates if d is not None})))
    raise SweepError(f"days: expected a whole number, (since, until) or a list of dates, got "
                     f"{type(days).__name__}")


def parse_days(text: str) -> Days:
    """``days`` from text, as ``qtargets sweep --days`` takes it: ``"3"`` (the newest 3),
    ``"2024-01-01..2025-03-01"`` (a range; either side may be left empty) or
    ``"2024-06-01,2025-02-01"`` (the calibration in force on each)."""
    value = text.strip()
    if value.isdigit():
        return _checked(int(value))
    if ".." in value:
        since, _, until = value.partition("..")
        return _checked((since.strip() or None, until.strip() or None))
    dates = [part.strip() for part in value.split(",") if part.strip()]
    if not dates:
        raise SweepError(f"days: expected N, SINCE..UNTIL or DATE,DATE,..., got {text!r}")
    return _checked(dates)


def _checked(days: Days) -> Days:
    _day_choice(days)
    return days


def _device_name(spec: DeviceSpec) -> str:
    """The device name ``spec`` is, for days= to look its days up; anything else is an
    error: a calibration file, a Calibration, a Target or a backend is one calibration
    already, and NAME@TIME names its own time."""
    if isinstance(spec, str) and not (spec.endswith(".json") or "/" in spec
                                      or os.sep in spec):
        name, when = split_time(spec)
        if when is not None:
            raise SweepError(f"days: {spec!r} names its own time; with days= give the device "
                             f"name alone ({name!r})")
        return name
    kind = "Target" if isinstance(spec, Target) else type(spec).__name__  # its subclasses too
    what = f"the file {os.fspath(spec)!r}" if isinstance(spec, (str, os.PathLike)) else (
        f"a {kind}")
    raise SweepError(f"days: picks the calibration days of device names, and {what} is one "
                     f"calibration already: give device names with days=, or leave days out "
                     f"and give the calibrations themselves")


def _days_of(name: str, choice: _DayChoice) -> list[tuple[Calibration, date | None]]:
    """The calibrations of ``name`` that ``choice`` picks, each with the day it stands for."""
    if choice.dates is None:
        found = offline_calibrations(name, choice.since, choice.until, last=choice.last)
        if choice.last is not None and len(found) < choice.last:
            warn(f"sweep: days={choice.last}: {name} has {len(found)} calibration day(s) "
                 f"available offline (store and bundled history), so only those are swept; "
                 f"`qtargets history {name} --since DATE` stores more")
        if not found:
            raise SweepError(f"days: {name} has no calibration taken between "
                             f"{_text(choice.since)} and {_text(choice.until)} available "
                             f"offline ({_available(name)})")
        return [(cal, None) for cal in found]
    times = [e.taken_at for e in offline_history(name) if e.taken_at is not None]
    picked: list[tuple[Calibration, date | None]] = []
    skipped = []
    for when in choice.dates:
        in_force = [t for t in times if t <= when]
        if not in_force:
            skipped.append(when)
            continue
        (cal,) = offline_calibrations(name, in_force[-1], in_force[-1], last=1)
        picked.append((cal, when.date()))
    if not picked:
        raise SweepError(f"days: {name} has no calibration in force on any of the dates "
                         f"asked for ({_available(name)})")
    if skipped:
        warn(f"sweep: {name} had no calibration yet on {', '.join(_text(w) for w in skipped)} "
             f"(available offline: {_available(name)}): those days are left out for it")
    return picked


def _text(when: datetime | None) -> str:
    return "any time" if when is None else when.isoformat().replace("+00:00", "Z")


def _available(name: str) -> str:
    times = [e.taken_at for e in offline_history(name) if e.taken_at is not None]
    if not times:
        return "none with a time"
    return f"{len(times)}, from {_text(times[0])} to {_text(times[-1])}"


def _devices(targets: Iterable[DeviceSpec] | DeviceSpec, days: Days | None) -> list[_Device]:
    if days is None:
        return [_device(d) for d in resolve_all(targets)]
    choice = _day_choice(days)
    names = [_device_name(spec) for spec in as_list(targets)]
    return [_device(Device(cal.backend_name, cal), day)
            for name in names for cal, day in _days_of(name, choice)]


def _methods(methods: Iterable[str] | Mapping[str, Mapping[str, Any]]
             ) -> dict[str, Mapping[str, Any]]:
    if isinstance(methods, Mapping):
        return {str(k): dict(v) for k, v in methods.items()}
    out: dict[str, Mapping[str, Any]] = {}
    for name in methods:
        if name not in METHODS:
            raise SweepError(f"methods: unknown method {name!r} (known: "
                             f"{', '.join(METHODS)}; or pass a mapping of name -> "
                             f"pass-manager options)")
        out[name] = METHODS[name].options
    if not out:
        raise SweepError("methods: at least one method is needed")
    return out


def _circuits(circuits: Iterable[QuantumCircuit] | Mapping[str, QuantumCircuit]
              ) -> list[tuple[str, QuantumCircuit]]:
    items: list[tuple[str, object]] = (
        list(circuits.items()) if isinstance(circuits, Mapping)
        else [(getattr(c, "name", "circuit"), c) for c in circuits])
    if not items:
        raise SweepError("circuits: at least one circuit is needed")
    seen: Counter[str] = Counter()
    out = []
    for name, circuit in items:
        if not isinstance(circuit, QuantumCircuit):
            raise SweepError(f"circuits: expected QuantumCircuits, got "
                             f"{type(circuit).__name__}")
        seen[name] += 1
        out.append((name if seen[name] == 1 else f"{name}#{seen[name]}", circuit))
    return out


# -- the driver ---------------------------------------------------------------------------------


Progress = Callable[[int, int], None]
"""``progress(runs done, runs in all)``; runs a resumed sweep found done count as done. An
exception it raises stops the sweep (the finished runs are in ``out=`` already)."""


class DaskClient(Protocol):
    """A ``dask.distributed.Client`` (what :func:`sweep` uses of it)."""

    def get_executor(self, **kwargs: Any) -> Executor: ...

    def scatter(self, data: Any, **kwargs: Any) -> Any: ...


_MAIN_GUARD = (
    'start the sweep under `if __name__ == "__main__":` in your script. Worker processes '
    "are spawned: each is a fresh Python that re-imports the script (the __main__ module), "
    "so a sweep started by the script's top-level code is started again in every worker")

_WORKER_DIED = "a worker process died before this run finished"


def _in_spawn_bootstrap() -> bool:
    """Whether this process is a spawned (or forkserver) child still re-importing the main
    module, before it can run anything: multiprocessing's own test, the one behind the
    RuntimeError it raises when a process is started then. (``parent_process()`` is no help:
    it is set only once that phase is over.)"""
    return bool(getattr(multiprocessing.current_process(), "_inheriting", False))


def _executor(executor: Executor | DaskClient | None) -> Executor | None:
    if executor is None or isinstance(executor, Executor):
        return executor
    if callable(getattr(executor, "get_executor", None)) and hasattr(executor, "scatter"):
        # pure=False: each run is its own task; Dask need not hash (pickle) every run to name
        # it, and the sweep already runs each distinct computation once
        return executor.get_executor(pure=False)
    raise SweepError(f"executor: expected a concurrent.futures.Executor or a "
                     f"dask.distributed Client, got {type(executor).__name__}")


def sweep(
    circuits: Iterable[QuantumCircuit] | Mapping[str, QuantumCircuit],
    targets: Iterable[DeviceSpec] | DeviceSpec,
    methods: Iterable[str] | Mapping[str, Mapping[str, Any]] = ("default", "qtargets"),
    seeds: Iterable[int | None] = (1,),
    executor: Executor | DaskClient | None = None,
    *,
    days: Days | None = None,
    optimization_level: int = 3,
    max_workers: int | None = None,
    progress: Progress | None = None,
    out: str | os.PathLike[str] | None = None,
    resume: bool = False,
) -> SweepRecords:
    """Transpile and score every circuit x target (x day) x method x seed; one record per run.

    ``targets`` may hold several calibrations of one device (calibration days): each is its
    own device/time pair in the records. ``days`` (:data:`Days`) instead picks the days of
    each device *name* from the store and the bundled history. ``methods`` are names from
    :data:`qtargets.methods.METHODS`, or a mapping of your own names to pass-manager options
    (``{"dense3": {"layout_method": "dense"}}``). ``executor=None`` runs on a local process
    pool of ``max_workers`` (default: one per core); a Dask ``Client`` runs on its cluster.
    ``out`` (``.csv``/``.jsonl``) receives each finished run as it finishes; with ``resume``
    the runs it already holds are not run again. See the module documentation.
    """
    if _in_spawn_bootstrap():  # the script's re-import in a worker: never a pool of its own
        raise SweepError(f"sweep was called in a worker process that is still starting "
                         f"(re-importing the main script): {_MAIN_GUARD}")
    if resume and out is None:
        raise SweepError("resume=True resumes the sweep written to out=: give out= too")
    named_circuits = [(name, circuit, circuit_hash(circuit))
                      for name, circuit in _circuits(circuits)]
    chosen = _methods(methods)
    seed_list = list(seeds) or [None]
    pool_of = _executor(executor)
    path = Path(out) if out is not None else None
    if path is not None:
        _format(path)
    devices = _devices(targets, days)
    if not devices:
        raise SweepError("targets: at least one device is needed")
    runs = [_Run(circuit, cname, chash, dev.key, dev.name, dev.taken_at, dev.day, method,
                 options, seed, optimization_level)
            for cname, circuit, chash in named_circuits
            for dev in devices
            for method, options in chosen.items()
            for seed in seed_list]
    sink = _Sink(path, resume=resume) if path is not None else None
    try:
        records = _run_all(runs, devices, sink, pool_of, max_workers, progress)
    finally:
        if sink is not None:
            sink.close()
    if sink is not None:  # the whole file in run order, what an uninterrupted sweep writes
        keys = {_run_key(r) for r in records}
        foreign = [r for r in sink.recorded if _run_key(r) not in keys]
        if foreign:
            warn(f"sweep: {len(foreign)} record(s) in {sink.path} belong to no run of this "
                 f"sweep (another circuit, device, day, method, seed or level; or the circuit "
                 f"changed): kept at the end of the file, left out of the records returned")
        lost = {id(r) for r in records.lost}
        _rewrite(sink.path, [*(r for r in records if id(r) not in lost), *foreign])
    return records


def _run_all(runs: Sequence[_Run], devices: Sequence[_Device], sink: _Sink | None,
             executor: Executor | None, max_workers: int | None,
             progress: Progress | None) -> SweepRecords:
    """Run what the sink does not hold yet, each distinct computation once."""
    recorded: dict[_RunKey, SweepRecord] = {}
    for record in sink.recorded if sink is not None else ():
        recorded.setdefault(_run_key(record), record)
    # runs that differ only in the day they stand for (two dates, one calibration) are one
    # computation: run once, recorded for each day
    work: list[_Run] = []
    members: list[list[int]] = []
    index_of: dict[_RunKey, int] = {}
    for i, run in enumerate(runs):
        if _run_key(run.base()) in recorded:
            continue
        key = (run.key, *_run_key(replace(run.base(), day=None)))
        if key not in index_of:
            index_of[key] = len(work)
            work.append(run)
            members.append([])
        members[index_of[key]].append(i)
    payloads = {dev.key: dev.payload for dev in devices}
    counted = len(runs) - sum(len(m) for m in members)
    if progress is not None and counted:
        progress(counted, len(runs))
    results: list[_Result | Exception | None] = [None] * len(work)

    def finished(index: int, result: _Result | Exception) -> None:
        nonlocal counted
        results[index] = result
        if sink is not None and not isinstance(result, Exception):
            sink.append(replace(result[0], day=runs[i].day) for i in members[index])
        counted += len(members[index])
        if progress is not None:
            progress(counted, len(runs))

    if work:
        _execute_all(work, payloads, executor, max_workers, finished)
    per_run: dict[int, _Result | Exception] = {}
    transfers: Counter[tuple[str, str]] = Counter()
    for run_indices, result, run in zip(members, results, work, strict=True):
        assert result is not None
        if not isinstance(result, Exception) and result[2]:
            transfers[(result[1], run.key)] += 1
        for i in run_indices:
            per_run[i] = result
    return _records(runs, recorded, per_run, transfers, resumable=sink is not None)


def _execute_all(work: Sequence[_Run], payloads: Mapping[str, bytes],
                 executor: Executor | None, max_workers: int | None,
                 finished: Callable[[int, _Result | Exception], None]) -> None:
    if executor is not None:
        _collect(executor, work, payloads, shipped=False, finished=finished)
        return
    folder = Path(tempfile.mkdtemp(prefix="qtargets-sweep-"))  # owner-only
    started = False
    broken = False

    def noting(index: int, result: _Result | Exception) -> None:
        nonlocal broken
        broken = broken or isinstance(result, BrokenExecutor)
        finished(index, result)

    try:
        for key, payload in payloads.items():
            (folder / key).write_bytes(payload)
        pool = ProcessPoolExecutor(
            max_workers=max_workers or os.cpu_count() or 1,
            # spawn: forking a process whose qiskit has started threads can deadlock
            mp_context=multiprocessing.get_context("spawn"),
            initializer=_install, initargs=(str(folder), tuple(payloads)))
        try:
            _collect(pool, work, payloads, shipped=True, finished=noting)
        finally:
            pool.shutdown(wait=True, cancel_futures=True)
        started = any(folder.glob(f"{_STARTED}*"))  # did any worker get going?
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    if not started and broken:
        raise SweepError(f"sweep: the worker processes died while starting, before "
                         f"running anything (each printed its own error on stderr). Most "
                         f"often the cause is a script without a main guard: "
                         f"{_MAIN_GUARD}")


def _collect(executor: Executor, runs: Sequence[_Run], payloads: Mapping[str, bytes], *,
             shipped: bool, finished: Callable[[int, _Result | Exception], None]) -> None:
    """Hand each run's result, or the exception the executor gave instead of one (a worker
    that died, a lost Dask worker...), to ``finished`` as it comes: one bad run or dead
    worker never costs the finished ones. If ``finished`` raises (a progress callback
    stopping the sweep), the runs not started yet are cancelled."""
    futures = _submit(executor, runs, payloads, shipped=shipped)
    index_of = {id(f): i for i, f in enumerate(futures)}
    try:
        for future in as_completed(futures):
            try:
                result: _Result | Exception = future.result()
            except Exception as exc:  # _execute catches the run's own errors: the executor's
                result = exc
            finished(index_of[id(future)], result)
    except BaseException:
        for future in futures:
            future.cancel()
        raise


def _records(runs: Sequence[_Run], recorded: Mapping[_RunKey, SweepRecord],
             results: Mapping[int, _Result | Exception],
             transfers: Counter[tuple[str, str]], *, resumable: bool) -> SweepRecords:
    """The records in run order; a run the executor lost is a record carrying why."""
    records = []
    lost: list[SweepRecord] = []
    errors: list[Exception] = []
    resumed = 0
    for i, run in enumerate(runs):
        result = results.get(i)
        if result is None:
            records.append(recorded[_run_key(run.base())])
            resumed += 1
        elif isinstance(result, Exception):
            errors.append(result)
            died = isinstance(result, BrokenExecutor)
            lost.append(replace(run.base(),
                                error=_error_text(result, _WORKER_DIED if died else None)))
            records.append(lost[-1])
        else:
            records.append(replace(result[0], day=run.day))
    if errors:
        kept = len(runs) - len(errors)
        if any(isinstance(exc, BrokenExecutor) for exc in errors):
            cause = ("a worker process died (killed by the operating system, e.g. for lack "
                     "of memory?)")
        else:
            cause = f"the executor failed them ({_error_text(errors[0])})"
        warn(f"sweep: {cause}: {len(errors)} of {len(runs)} runs did not finish and are "
             f"records carrying the error; the {kept} finished are kept"
             + ("; resume=True runs the others again (they are not in out=)"
                if resumable else ""))
    return SweepRecords(records, transfers, lost, resumed)


def _submit(executor: Executor, runs: Sequence[_Run], payloads: Mapping[str, bytes], *,
            shipped: bool) -> list[Future[_Result]]:
    """Submit every run, sending each calibration as the executor best allows."""
    if shipped:  # the pool's initializer carried them
        return [_submit_one(executor, run) for run in runs]
    client = getattr(executor, "_client", None)
    if client is not None and hasattr(client, "scatter"):  # dask.distributed
        client.run(_preload)  # import qiskit in each worker's main thread (see _preload)
        scattered = {key: client.scatter(data, broadcast=True, hash=False)
                     for key, data in payloads.items()}
        return [_submit_one(executor, run, scattered[run.key]) for run in runs]
    return [_submit_one(executor, run, payloads[run.key]) for run in runs]


def _submit_one(executor: Executor, run: _Run, *payload: Any) -> Future[_Result]:
    """``executor.submit(_execute, run, *payload)``; a pool that broke while the runs were
    being submitted gives a future holding that error, as the runs already submitted get."""
    try:
        return executor.submit(_execute, run, *payload)
    except BrokenExecutor as exc:
        future: Future[_Result] = Future()
        future.set_exception(exc)
        return future


def _preload() -> None:
    """Run on every Dask worker first: qiskit 2.6 on Python 3.11 can later crash if first
    imported in a worker thread that then exits, and Dask runs tasks in threads."""
    import qiskit  # noqa: F401, PLC0415
