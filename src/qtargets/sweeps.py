"""Research sweeps: every circuit x device (x calibration day) x method x seed, scored.

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
crashed sweep. Records come back in a fixed order (circuits, then devices, methods, seeds)
whatever the executor finished first, so two executors give identical records apart from
timings.

Executors: ``None`` (a local process pool, one worker per core), any
``concurrent.futures.Executor``, or a ``dask.distributed`` client's ``get_executor()``.
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
from datetime import datetime
from pathlib import Path
from typing import Any

from qiskit import QuantumCircuit
from qiskit.transpiler import Target

from ._exceptions import SweepError, error_message, warn
from ._optional import require
from .backends import Figures, QTargetsBackend
from .build import build_target
from .devices import Device, DeviceSpec, resolve_all
from .methods import METHODS
from .model import Calibration

__all__ = ["COLUMNS", "SweepRecord", "SweepRecords", "sweep"]


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

    def same_result(self, other: SweepRecord) -> bool:
        """Equal in everything but the time transpiling took."""
        return _without_time(self) == _without_time(other)


def _without_time(record: SweepRecord) -> dict[str, Any]:
    values = asdict(record)
    values.pop("transpile_seconds")
    return values


COLUMNS = ("circuit", "device", "taken_at", "method", "seed", "optimization_level", "esp",
           "esp_idle", "log_esp_idle", "duration", "two_qubit_gates", "depth",
           "transpile_seconds", "unknown_errors", "error")
"""The columns of :meth:`SweepRecords.to_csv` and :meth:`SweepRecords.to_pandas`, in order:
what was run, then what came of it."""


class SweepRecords(list[SweepRecord]):
    """The records of a sweep, in order, with tidy exports."""

    transfers: Counter[tuple[str, str]]
    """``(worker, calibration key)`` -> how many times that calibration was built into a
    Target in that worker process (1 each, when shipping works as designed)."""

    def __init__(self, records: Iterable[SweepRecord] = (),
                 transfers: Counter[tuple[str, str]] | None = None):
        super().__init__(records)
        self.transfers = transfers if transfers is not None else Counter()

    @property
    def failed(self) -> list[SweepRecord]:
        return [r for r in self if r.error is not None]

    def to_pandas(self) -> Any:
        """A ``pandas.DataFrame``, one row per record (needs pandas)."""
        pandas = require("pandas", "SweepRecords.to_pandas")
        return pandas.DataFrame([asdict(r) for r in self], columns=list(COLUMNS))

    def to_csv(self, path: str | os.PathLike[str]) -> Path:
        """Write one row per record; times in ISO 8601, missing figures empty."""
        out = Path(path)
        with out.open("w", newline="", encoding="utf-8") as handle:
            writer = csv.DictWriter(handle, fieldnames=COLUMNS)
            writer.writeheader()
            for record in self:
                row = asdict(record)
                when = row["taken_at"]
                row["taken_at"] = when.isoformat() if when is not None else ""
                writer.writerow({k: "" if v is None else v for k, v in row.items()})
        return out

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


# -- the work, as it runs in a worker -------------------------------------------------------------


@dataclass(frozen=True)
class _Run:
    circuit: QuantumCircuit
    circuit_name: str
    key: str
    device: str
    taken_at: datetime | None
    method: str
    options: Mapping[str, Any]
    seed: int | None
    optimization_level: int


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
    base = SweepRecord(circuit=run.circuit_name, device=run.device, taken_at=run.taken_at,
                       method=run.method, seed=run.seed,
                       optimization_level=run.optimization_level)
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


# -- the driver ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Device:
    name: str
    taken_at: datetime | None
    key: str
    payload: bytes


def _device(device: Device) -> _Device:
    if device.calibration is not None:
        payload = device.calibration.to_json().encode()
    else:  # a bare Target: sent as it is
        payload = pickle.dumps(device.target())
    return _Device(device.name, device.taken_at, hashlib.sha256(payload).hexdigest()[:16],
                   payload)


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


Progress = Callable[[int, int], None]
"""``progress(runs done, runs in all)``."""

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


def sweep(
    circuits: Iterable[QuantumCircuit] | Mapping[str, QuantumCircuit],
    targets: Iterable[DeviceSpec] | DeviceSpec,
    methods: Iterable[str] | Mapping[str, Mapping[str, Any]] = ("default", "qtargets"),
    seeds: Iterable[int | None] = (1,),
    executor: Executor | None = None,
    *,
    optimization_level: int = 3,
    max_workers: int | None = None,
    progress: Progress | None = None,
) -> SweepRecords:
    """Transpile and score every circuit x target x method x seed; one record per run.

    ``targets`` may hold several calibrations of one device (calibration days): each is its
    own device/time pair in the records. ``methods`` are names from
    :data:`qtargets.methods.METHODS`, or a mapping of your own names to pass-manager options
    (``{"dense3": {"layout_method": "dense"}}``). ``executor=None`` runs on a local process
    pool of ``max_workers`` (default: one per core); see the module documentation for the
    others.
    """
    if _in_spawn_bootstrap():  # the script's re-import in a worker: never a pool of its own
        raise SweepError(f"sweep was called in a worker process that is still starting "
                         f"(re-importing the main script): {_MAIN_GUARD}")
    named_circuits = _circuits(circuits)
    devices = [_device(d) for d in resolve_all(targets)]
    if not devices:
        raise SweepError("targets: at least one device is needed")
    chosen = _methods(methods)
    seed_list = list(seeds) or [None]
    runs = [_Run(circuit, cname, dev.key, dev.name, dev.taken_at, method, options, seed,
                 optimization_level)
            for cname, circuit in named_circuits
            for dev in devices
            for method, options in chosen.items()
            for seed in seed_list]
    payloads = {dev.key: dev.payload for dev in devices}

    if executor is not None:
        results = _collect(executor, runs, payloads, shipped=False, progress=progress)
    else:
        folder = Path(tempfile.mkdtemp(prefix="qtargets-sweep-"))  # owner-only
        started = False
        try:
            for key, payload in payloads.items():
                (folder / key).write_bytes(payload)
            pool = ProcessPoolExecutor(
                max_workers=max_workers or os.cpu_count() or 1,
                # spawn: forking a process whose qiskit has started threads can deadlock
                mp_context=multiprocessing.get_context("spawn"),
                initializer=_install, initargs=(str(folder), tuple(payloads)))
            try:
                results = _collect(pool, runs, payloads, shipped=True, progress=progress)
            finally:
                pool.shutdown(wait=True, cancel_futures=True)
            started = any(folder.glob(f"{_STARTED}*"))  # did any worker get going?
        finally:
            shutil.rmtree(folder, ignore_errors=True)
        if not started and any(isinstance(r, BrokenExecutor) for r in results):
            raise SweepError(f"sweep: the worker processes died while starting, before "
                             f"running anything (each printed its own error on stderr). Most "
                             f"often the cause is a script without a main guard: "
                             f"{_MAIN_GUARD}")
    return _records(runs, results)


def _collect(executor: Executor, runs: Sequence[_Run], payloads: Mapping[str, bytes], *,
             shipped: bool, progress: Progress | None) -> list[_Result | Exception]:
    """Each run's result, or the exception the executor gave instead of one (a worker that
    died, a lost Dask worker...): one bad run or dead worker never costs the finished ones."""
    futures = _submit(executor, runs, payloads, shipped=shipped)
    results: list[_Result | Exception | None] = [None] * len(runs)
    index_of = {id(f): i for i, f in enumerate(futures)}
    for done, future in enumerate(as_completed(futures), 1):
        try:
            result: _Result | Exception = future.result()
        except Exception as exc:  # _execute catches the run's own errors: the executor's
            result = exc
        results[index_of[id(future)]] = result
        if progress is not None:
            progress(done, len(runs))
    assert all(r is not None for r in results)
    return [r for r in results if r is not None]


def _records(runs: Sequence[_Run], results: Sequence[_Result | Exception]) -> SweepRecords:
    """The records in run order; a run the executor lost is a record carrying why."""
    transfers: Counter[tuple[str, str]] = Counter()
    records = []
    lost: list[Exception] = []
    for run, result in zip(runs, results, strict=True):
        if isinstance(result, Exception):
            lost.append(result)
            died = isinstance(result, BrokenExecutor)
            records.append(SweepRecord(
                circuit=run.circuit_name, device=run.device, taken_at=run.taken_at,
                method=run.method, seed=run.seed, optimization_level=run.optimization_level,
                error=_error_text(result, _WORKER_DIED if died else None)))
            continue
        record, worker, built = result
        records.append(record)
        if built:
            transfers[(worker, run.key)] += 1
    if lost:
        kept = len(runs) - len(lost)
        if any(isinstance(exc, BrokenExecutor) for exc in lost):
            cause = ("a worker process died (killed by the operating system, e.g. for lack "
                     "of memory?)")
        else:
            cause = f"the executor failed them ({_error_text(lost[0])})"
        warn(f"sweep: {cause}: {len(lost)} of {len(runs)} runs did not finish and are "
             f"records carrying the error; the {kept} finished are kept")
    return SweepRecords(records, transfers)


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
