"""The commands: each parses its arguments, asks the library, and hands the result to
:mod:`qtargets.cli.render`. Every device argument takes the forms of
:mod:`qtargets.devices` (``qtargets fetch``: names and ``NAME@TIME``, since it downloads).
Errors a user can cause, bad option values included, are one red line on stderr and exit
code 2, never a traceback; option values are checked (:mod:`qtargets.cli._app`) before any
work. Every command that prints a table takes ``--json`` and ``--csv`` for the same data,
complete.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.progress import TextColumn
from rich.text import Text

from .. import live, vendors
from .._exceptions import QTargetsError
from .._optional import require
from ..archive import export_archive, is_archive, read_archive
from ..bundled import (
    bundled_backends,
    bundled_history,
    history_backends,
    read_calibration_file,
)
from ..circuits import load_circuit
from ..devices import resolve_all
from ..diff import DEFAULT_REL_TOL, diff_calibrations
from ..errormap import plot_error_map
from ..live import DEFAULT_TIMEOUT, HISTORY_TIMEOUT
from ..methods import METHODS
from ..model import Calibration
from ..ranking import rank
from ..store import SnapshotData
from ..summary import DEFAULT_TOP, summarize
from ..sweeps import FORMATS, parse_days, sweep
from ..vendors import ListedDevice, Vendor
from . import render
from ._app import (
    DEVICE_FORMS,
    EXIT_NOTHING_SCORED,
    MAX_DPI,
    MAX_WORKERS,
    MIN_DPI,
    AsCsv,
    AsJson,
    Format,
    Offline,
    Seed,
    Timeout,
    app,
    comma_list,
    device,
    device_list,
    error_line,
    file_name,
    finite_non_negative,
    image_file,
    iso_time,
    method_list,
    one_method,
    output_file,
    output_format,
    positive_seconds,
    seed_list,
    user_errors,
)
from ._app import dpi as dots_per_inch

__all__ = ["diff_command", "export_command", "fetch_command", "history_command",
           "import_command", "list_command", "map_command", "rank_command", "show_command",
           "sweep_command"]


def _emit(form: Format, data: Any, rows: list[dict[str, Any]] | None = None) -> None:
    """``--json`` (``data``) or ``--csv`` (``rows``, else ``data``, a list of rows) on
    stdout."""
    if form == "json":
        typer.echo(render.json_text(data))
    else:
        typer.echo(render.csv_text(rows if rows is not None else data), nl=False)


def _stored() -> list[tuple[Calibration, int]]:
    """The newest stored calibration of each device, and how many the store holds of it. The
    store is only read: a store that does not exist yet stays so."""
    found: list[tuple[Calibration, int]] = []
    try:
        with live.store_in_use(None) as store:
            if store is None:
                return []
            for vendor, backend in store.backends():
                newest = store.latest(backend, vendor)
                if newest is not None:
                    found.append((store.load(newest),
                                  len(store.history(backend, vendor=vendor))))
    except QTargetsError as exc:  # a store gone bad (a foreign or newer one is a warning)
        render.problem(f"stored calibrations not listed: {exc}")
    return found


@app.command("list")
def list_command(
    offline: Offline = False,
    timeout: Timeout = DEFAULT_TIMEOUT,
    as_json: AsJson = False,
    as_csv: AsCsv = False,
) -> None:
    """List devices: the live ones of every configured vendor, then stored and bundled ones."""
    form = output_format(as_json, as_csv)
    found: list[ListedDevice] = []
    unreached: list[tuple[Vendor, QTargetsError]] = []
    asked_live = not offline and bool(live.configured_vendors())
    if asked_live:
        with user_errors():
            found = live.devices(timeout=timeout, unreached=unreached)
    for vendor, error in unreached:
        render.problem(f"{vendor.label}: devices not listed ({type(error).__name__}: "
                       f"{error})")
    stored = _stored()
    with user_errors():
        bundled = [(days[-1], len(days)) for days in map(
            bundled_history, sorted({*bundled_backends(), *history_backends()}))]
    if form != "table":
        _emit(form, render.device_rows(found, stored, bundled))
        return
    console = render.console()
    if found:
        console.print(render.listed_table(found))
        console.print("[dim]Last calibration: the vendor's figure, else the newest stored "
                      "(qtargets fetch NAME)[/dim]")
    if asked_live:
        console.print()
    if stored:
        console.print(render.stored_table(stored))
        console.print()
    console.print(render.bundled_table(bundled))
    if not live.configured_vendors():
        console.print(Text("No credentials configured. For live devices:", style="dim"))
        for vendor in vendors.vendors():
            console.print(Text(render.clean(f"  {vendor.label}: {vendor.credentials}"),
                               style="dim"))
    console.print("[dim]Where each came from: qtargets show NAME[/dim]")


@app.command("fetch")
def fetch_command(
    names: Annotated[list[str], typer.Argument(
        metavar="NAME...", help="Backends, e.g. ibm_fez qpu.aria-1, or NAME@TIME for the "
                                "calibration in force then.")],
    timeout: Timeout = DEFAULT_TIMEOUT,
    as_json: AsJson = False,
    as_csv: AsCsv = False,
) -> None:
    """Fetch calibrations live and keep them in the local store."""
    form = output_format(as_json, as_csv)
    with user_errors():
        for name in names:
            if Path(name).suffix == ".json" or Path(name).is_file():
                raise QTargetsError(f"{name!r} is a calibration file; fetch downloads from "
                                    "a vendor's API: give a device name or NAME@TIME")
        found = live.fetch(names, timeout=timeout)
    if form != "table":
        _emit(form, render.fetched_rows(found))
        return
    render.console().print(render.fetched_table(found))


@app.command("history")
def history_command(
    name: Annotated[str, typer.Argument(help="A backend, e.g. qpu.aria-1.")],
    since: Annotated[
        str | None, typer.Option("--since", callback=iso_time,
                                 help="ISO date or date-time (UTC); needed to download."),
    ] = None,
    until: Annotated[
        str | None, typer.Option("--until", callback=iso_time,
                                 help="ISO date or date-time (UTC); default now."),
    ] = None,
    offline: Annotated[bool, typer.Option(
        "--offline", help="List the stored and bundled calibrations; no network (the "
                          "default without the vendor's credentials).")] = False,
    timeout: Annotated[float, typer.Option(
        "--timeout", callback=positive_seconds, metavar="SECONDS",
        help="Deadline of the whole download, retries included.")] = HISTORY_TIMEOUT,
    as_json: AsJson = False,
    as_csv: AsCsv = False,
) -> None:
    """Download every calibration of a backend in a time range into the store, and list it;
    offline (--offline, or no credentials), list the stored and bundled calibrations."""
    form = output_format(as_json, as_csv)
    owner = vendors.owner_of(name)
    if offline or owner is None or not owner.configured():
        with user_errors():
            entries = live.offline_history(name, since, until)
        if form != "table":
            _emit(form, render.offline_history_rows(entries))
            return
        render.console().print(render.offline_history_table(name, entries))
        if not offline:
            render.console().print(Text(render.clean(
                "No credentials configured: stored and bundled calibrations only. To "
                f"download: {owner.credentials if owner is not None else live.credentials_hint()}"),
                style="dim"))
        return
    with user_errors():
        if since is None:
            raise QTargetsError("downloading a history needs --since (or --offline to list "
                                "the stored and bundled calibrations)")
    with user_errors(), render.progress_bar(
            TextColumn("{task.fields[found]} found")) as bar:
        task = bar.add_task(f"downloading {name}", total=1.0, found=0)
        snapshots = live.history(
            name, since, until, timeout=timeout,
            progress=lambda done, count: bar.update(task, completed=done, found=count))
    if form != "table":
        _emit(form, render.snapshot_rows(snapshots))
        return
    render.console().print(render.history_table(name, snapshots))


@app.command("diff")
def diff_command(
    old: Annotated[str, typer.Argument(metavar="OLD", help=f"{DEVICE_FORMS}.")],
    new: Annotated[str, typer.Argument(metavar="NEW", help="Same forms as OLD.")],
    tol: Annotated[float, typer.Option(
        "--tol", callback=finite_non_negative,
        help="Relative change below which nothing is reported (finite, >= 0).")
    ] = DEFAULT_REL_TOL,
    top: Annotated[int, typer.Option("--top", min=0, help="Rows per table.")
                   ] = render.DIFF_TOP,
    offline: Offline = False,
    timeout: Timeout = DEFAULT_TIMEOUT,
    as_json: AsJson = False,
    as_csv: AsCsv = False,
) -> None:
    """What changed between two calibrations: qubits and edges that got worse or better."""
    form = output_format(as_json, as_csv)
    with user_errors():
        before, after = resolve_all([old, new], live=False if offline else None,
                                    timeout=timeout)
        result = diff_calibrations(before.require_calibration("diff"),
                                   after.require_calibration("diff"), rel_tol=tol)
    if form != "table":
        _emit(form, result.to_dict(), render.change_rows(result))
        return
    console = render.console()
    for table in render.diff_tables(result, top=top):
        console.print(table)


@app.command("show")
def show_command(
    backend: Annotated[str, typer.Argument(metavar="DEVICE", help=f"{DEVICE_FORMS}.")],
    as_json: AsJson = False,
    as_csv: AsCsv = False,
    top: Annotated[
        int, typer.Option("--top", min=0, help="How many best qubits and edges to list."),
    ] = DEFAULT_TOP,
    offline: Offline = False,
    timeout: Timeout = DEFAULT_TIMEOUT,
) -> None:
    """Summarise one calibration: operations, qubits, faulty elements, best qubits and edges."""
    form = output_format(as_json, as_csv)
    with user_errors(source=backend):
        cal = device(backend, offline, timeout).require_calibration("show")
    summary = summarize(cal, top=top)
    if form != "table":
        _emit(form, summary.to_dict(), render.field_rows(summary.to_dict()))
        return
    console = render.console()
    for i, section in enumerate(render.show_sections(summary)):
        if i:
            console.print()
        console.print(section)


@app.command("export")
def export_command(
    names: Annotated[list[str] | None, typer.Argument(
        metavar="DEVICE...", help=f"{DEVICE_FORMS}. With --archive: stored devices' names "
                                  "(default: every stored device).")] = None,
    out: Annotated[
        Path | None,
        typer.Option("--out", "-o", callback=output_file,
                     help="File to write (missing directories are created). Default: "
                          "stdout."),
    ] = None,
    archive: Annotated[Path | None, typer.Option(
        "--archive", metavar="FILE", callback=output_file,
        help="Write the stored calibrations of the devices, with the raw vendor bodies they "
             "came from, to one archive file (owner-only; qtargets import reads it).")
    ] = None,
    since: Annotated[str | None, typer.Option(
        "--since", callback=iso_time,
        help="With --archive: taken at or after (ISO date or date-time, UTC).")] = None,
    until: Annotated[str | None, typer.Option(
        "--until", callback=iso_time,
        help="With --archive: taken at or before (ISO date or date-time, UTC).")] = None,
    offline: Offline = False,
    timeout: Timeout = DEFAULT_TIMEOUT,
) -> None:
    """Write a calibration as JSON, e.g. a stored one (NAME@TIME), to stdout or a file; or,
    with --archive, stored calibrations and their raw bodies to one archive file.

    The JSON is Calibration.to_json(): every command, and qtargets.load_calibration, reads
    it back as a device. An archive is read back by qtargets import.
    """
    if archive is not None:
        _export_archive(archive, names or [], since, until, out)
        return
    with user_errors():
        if since is not None or until is not None:
            raise QTargetsError("--since and --until choose the calibrations of an --archive; "
                                "for one calibration, give NAME@TIME")
        if len(names or []) != 1:
            raise QTargetsError("give one DEVICE to export as JSON (several go into one "
                                "file with --archive FILE)")
    assert names is not None
    (name,) = names
    with user_errors(source=name):
        text = device(name, offline, timeout).require_calibration("export").to_json()
        if out is not None:
            out.parent.mkdir(parents=True, exist_ok=True)
            out.write_text(text + "\n", encoding="utf-8")
    typer.echo(text if out is None else str(out))


def _export_archive(path: Path, names: list[str], since: str | None, until: str | None,
                    out: Path | None) -> None:
    """``export --archive``: one line per calibration written, then the total."""
    with user_errors():
        if out is not None:
            raise QTargetsError("give --archive FILE or --out FILE, not both")
        for name in names:
            if "@" in name or Path(name).suffix == ".json":
                raise QTargetsError(f"{name!r}: --archive takes the names of stored devices; "
                                    "choose their times with --since and --until")
        start, end = live.parse_when(since), live.parse_when(until)
        with live.store_in_use(None, required=True) as store:
            assert store is not None  # the default store, opened lazily
            if not names and not store.snapshots(start, end):
                within = "" if since is None and until is None else " in that time range"
                raise QTargetsError(f"nothing to export: the store {str(store.path)!r} holds "
                                    f"no calibration{within} (qtargets fetch, history or "
                                    "import store them)")
            summary = export_archive(path, store=store, backends=names or None,
                                     since=start, until=end)
    for entry in summary.entries:
        taken = entry.taken_at.isoformat() if entry.taken_at else "time unknown"
        parts = f" (raw: {', '.join(entry.raw_parts)})" if entry.raw_parts else ""
        typer.echo(render.clean(f"{entry.backend} {taken}{parts}"))
    count = len(summary.entries)
    typer.echo(f"{count} calibration{'' if count == 1 else 's'} -> {path}")


@app.command("map")
def map_command(
    name: Annotated[str, typer.Argument(metavar="DEVICE", help=f"{DEVICE_FORMS}.")],
    out: Annotated[
        Path | None,
        typer.Option("--out", "-o", callback=image_file,
                     help="Image to write; the suffix picks the format (.png, .svg, .pdf). "
                          "Default: NAME-error-map.png."),
    ] = None,
    dpi: Annotated[float, typer.Option(
        "--dpi", callback=dots_per_inch,
        help=f"Pixels per inch, {MIN_DPI:g} to {MAX_DPI:g} (the image is 10x10 inches; "
             "for more, a .svg or .pdf).")] = 100.0,
    offline: Offline = False,
    timeout: Timeout = DEFAULT_TIMEOUT,
) -> None:
    """Draw the error map: qubits coloured by readout error, edges by two-qubit gate error."""
    with user_errors(source=name):
        found = device(name, offline, timeout)
        path = out if out is not None else file_name(found.name, "-error-map.png")
        path.parent.mkdir(parents=True, exist_ok=True)
        plot_error_map(found.calibration or found.target(), path, dpi=dpi)
    typer.echo(str(path))


@app.command("rank")
def rank_command(
    circuit: Annotated[Path, typer.Argument(metavar="CIRCUIT",
                                            help="An OpenQASM 2 or 3 file.")],
    backends: Annotated[
        list[str] | None,
        typer.Option("--backends", "--backend", "-b", metavar="DEVICES",
                     help="Devices to rank, comma-separated or repeated, each "
                          f"{DEVICE_FORMS}. Default: every device available (live, stored "
                          "and bundled)."),
    ] = None,
    method: Annotated[
        str, typer.Option("--method", callback=one_method,
                          help=f"How to compile, one of: {', '.join(METHODS)} "
                               "(qtargets.methods)."),
    ] = "qtargets",
    level: Annotated[int, typer.Option("--level", min=0, max=3,
                                       help="Optimization level.")] = 3,
    seed: Seed = 1,
    offline: Offline = False,
    timeout: Timeout = DEFAULT_TIMEOUT,
    as_json: AsJson = False,
    as_csv: AsCsv = False,
) -> None:
    """Rank devices for a circuit: transpile it for each, best estimated success first.

    Exits with 1 when no device could be scored (each row says why).
    """
    form = output_format(as_json, as_csv)
    names = device_list(backends or ())
    with user_errors(), render.progress_bar() as bar:
        task = bar.add_task("fetching calibrations", total=None)

        def report(done: int, total: int, name: str) -> None:
            what = f"transpiling for {name}" if done < total else "done"
            bar.update(task, description=what, completed=done, total=total)

        rows = rank(circuit, names or None, method=method,
                    optimization_level=level, seed=seed, live=False if offline else None,
                    timeout=timeout, progress=report)
    if form != "table":
        _emit(form, render.ranking_rows(rows))
    else:
        render.console().print(render.ranking_table(
            rows, f"{circuit.name}: {len(rows)} devices by esp_idle ({method} layout, level "
                  f"{level}, seed {seed})"))
    if all(row.error is not None for row in rows):
        error_line(f"no device could be scored for {circuit.name}"
                   + (" (why: above)" if rows else ": there was none to rank"))
        raise typer.Exit(EXIT_NOTHING_SCORED)


@app.command("sweep")
def sweep_command(
    circuits_dir: Annotated[Path, typer.Argument(
        metavar="CIRCUITS_DIR", help="A directory of OpenQASM 2/3 files (*.qasm).")],
    backends: Annotated[
        list[str], typer.Option("--backends", "--backend", "-b", metavar="DEVICES",
                                help=f"Devices, comma-separated or repeated, each "
                                     f"{DEVICE_FORMS}.")],
    methods: Annotated[
        str, typer.Option("--methods", metavar="NAMES", callback=method_list,
                          help=f"Comma-separated, of: {', '.join(METHODS)}.")
    ] = "default,qtargets",
    seeds: Annotated[str, typer.Option(
        "--seeds", callback=seed_list, help="Comma-separated transpiler seeds (as --seed of "
                                            "rank).")] = "1",
    level: Annotated[int, typer.Option("--level", min=0, max=3,
                                       help="Optimization level.")] = 3,
    days: Annotated[str | None, typer.Option(
        "--days", metavar="DAYS",
        help="Calibration days of each device name, from the store and the bundled history: "
             "N (the newest N), SINCE..UNTIL (every one in the range; either side may be "
             "empty) or DATE,DATE,... (the one in force on each).")] = None,
    workers: Annotated[int | None, typer.Option(
        "--workers", min=1, max=MAX_WORKERS,
        help=f"Local worker processes, 1 to {MAX_WORKERS} (4 per core); default: one per "
             "core.")] = None,
    scheduler: Annotated[str | None, typer.Option(
        "--scheduler", metavar="ADDRESS",
        help="Run on this Dask cluster (its scheduler's address, e.g. tcp://host:8786) "
             "instead of local processes; needs Dask (the qtargets extra 'dask').")] = None,
    out: Annotated[Path, typer.Option(
        "--out", callback=output_file,
        help="CSV (.csv) or JSON lines (.jsonl) file, each run written as it finishes "
             "(missing directories are created).")] = Path("results.csv"),
    resume: Annotated[bool, typer.Option(
        "--resume", help="Keep the runs --out already holds and run only the others.")
    ] = False,
    plot: Annotated[Path | None, typer.Option(
        "--plot", callback=image_file,
        help="Also draw esp_idle per circuit and method to this image; the suffix picks the "
             "format (.png, .svg, .pdf).")] = None,
    offline: Offline = False,
    timeout: Timeout = DEFAULT_TIMEOUT,
) -> None:
    """Transpile and score every circuit x device (x day) x method x seed; write one row
    each, as it finishes."""
    with user_errors():
        chosen_days = parse_days(days) if days is not None else None
        if scheduler is not None and workers is not None:
            raise QTargetsError("--workers counts local processes; with --scheduler the "
                                "Dask cluster's workers run the sweep: give one or the other")
        if out.suffix.lower() not in FORMATS:
            raise QTargetsError(f"--out {out}: the suffix must be .csv or .jsonl")
        files = sorted(circuits_dir.glob("*.qasm"))
        if not circuits_dir.is_dir() or not files:
            raise QTargetsError(f"{circuits_dir}: no *.qasm files there")
        for path in (out, plot):
            if path is not None:  # before the work, not after it
                path.parent.mkdir(parents=True, exist_ok=True)
        circuits = {f.stem: load_circuit(f) for f in files}
        seed_values = [int(s) for s in comma_list([seeds])]
        names = device_list(backends)
        devices: list[Any] = names  # days= looks the names' days up itself
        if chosen_days is None:
            devices = [d.calibration or d.target() for d in resolve_all(
                names, live=False if offline else None, timeout=timeout)]
        with ExitStack() as stack:
            client = None if scheduler is None else stack.enter_context(
                _dask_client(scheduler, timeout))
            bar = stack.enter_context(render.progress_bar())
            task = bar.add_task("transpiling and scoring", total=None)
            records = sweep(circuits, devices, methods=comma_list([methods]),
                            seeds=seed_values, executor=client, days=chosen_days,
                            optimization_level=level, max_workers=workers, out=out,
                            resume=resume, progress=lambda done, total: bar.update(
                                task, completed=done, total=total))
        if plot is not None:
            records.plot(plot)
    notes = [f"{len(records.failed) - len(records.lost)} failed"]
    if records.lost:
        notes.append(f"{len(records.lost)} lost: --resume runs them")
    if records.resumed:
        notes.append(f"{records.resumed} already in {out.name}")
    typer.echo(f"{len(records)} runs ({'; '.join(notes)}) -> {out}"
               + (f", {plot}" if plot is not None else ""))


@contextmanager
def _dask_client(address: str, timeout: float) -> Iterator[Any]:
    """A client of the Dask scheduler at ``address``, closed afterwards."""
    distributed = require("dask.distributed", "sweep --scheduler")
    try:
        client = distributed.Client(address, timeout=timeout, set_as_default=False)
    except Exception as exc:  # OSError, TimeoutError, ValueError (a bad address)...
        raise QTargetsError(f"--scheduler {address}: cannot reach the Dask scheduler "
                            f"({type(exc).__name__}: {exc})") from None
    with client:
        yield client


def _calibrations_in(path: Path, device: str | None) -> list[SnapshotData]:
    """Every calibration a file holds, with what to store with it: a calibration archive
    (told by its content: ``qtargets export --archive``) gives each with its raw bodies, any
    other calibration file one calibration, kept with the file's bytes."""
    if not path.is_file():
        raise QTargetsError(f"{str(path)!r}: no such file")
    with path.open("rb") as file:
        head = file.read(4)
    if is_archive(head):
        if device is not None:
            raise QTargetsError(f"{str(path)!r} is a calibration archive, which names its "
                                "devices: --device is for a vendor file that does not")
        return list(read_archive(path).calibrations)
    data, calibration = read_calibration_file(path, device)
    return [SnapshotData(calibration, {f"file {path.name}": data})]


@app.command("import")
def import_command(
    files: Annotated[list[Path], typer.Argument(
        metavar="FILE...", help="Calibration files: a qtargets calibration JSON (qtargets "
                                "export) or archive (qtargets export --archive), or a "
                                "vendor's file, e.g. an IBM Quantum Platform calibration "
                                "CSV.")],
    device_name: Annotated[str | None, typer.Option(
        "--device", metavar="NAME",
        help="The device of a vendor file whose name does not say, e.g. ibm_fez for an IBM "
             "CSV not named ibm_fez_calibrations_TIME.csv.")] = None,
    as_json: AsJson = False,
) -> None:
    """Save calibration files into the local store (once each), for history, diff and
    NAME@TIME.

    The file's bytes are kept with the calibration (an archive's calibrations: the raw
    bodies it holds). Every file is read and checked before any is saved, and all are saved
    in one transaction: one bad file saves nothing.
    """
    found: list[tuple[Path, SnapshotData]] = []
    for path in files:
        with user_errors(source=str(path)):
            found += [(path, item) for item in _calibrations_in(path, device_name)]
    with user_errors(), live.store_in_use(None, required=True) as store:
        assert store is not None  # the default store, opened lazily
        if store.read_only:
            raise QTargetsError(f"calibration store {str(store.path)!r} is read-only "
                                "here: nothing was imported")
        saved = store.save_many(item for _, item in found)
    rows: list[dict[str, Any]] = [
        {"file": str(path), "vendor": item.calibration.vendor,
         "device": item.calibration.backend_name,
         "taken_at": item.calibration.taken_at.isoformat() if item.calibration.taken_at
         else None, "stored": stored, "snapshot": snapshot.id}
        for (path, item), (snapshot, stored) in zip(found, saved, strict=True)]
    if as_json:
        typer.echo(render.json_text(rows))
        return
    for row in rows:
        taken = row["taken_at"] or "time unknown"
        what = "stored" if row["stored"] else "already stored"
        typer.echo(render.clean(f"{row['file']}: {row['device']} {taken} {what}"))
