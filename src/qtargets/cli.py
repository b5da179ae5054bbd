"""The ``qtargets`` command: list devices, show, fetch, download history, diff calibrations,
draw error maps.

Formatting only: every number comes from :mod:`qtargets.summary`, so the JSON output and
the tables cannot disagree. Errors a user can cause (unknown backend, unreadable or
malformed file) are one red line on stderr and exit code 2, never a traceback.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console, Group
from rich.panel import Panel
from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn, TimeElapsedColumn
from rich.table import Table
from rich.text import Text

from . import __version__, live
from . import _format as _fmt
from ._exceptions import CalibrationError, QTargetsError
from .bundled import bundled_backends, load_calibration
from .circuits import load_circuit
from .diff import DEFAULT_REL_TOL, diff_calibrations, diff_tables
from .errormap import plot_error_map
from .methods import METHODS
from .model import Calibration
from .ranking import Ranking, rank
from .summary import DEFAULT_TOP, CalibrationSummary, FaultyGate, Spread, summarize
from .sweeps import sweep

__all__ = ["app", "main"]

EXIT_USAGE = 2
"""Exit code for input the user got wrong (the same code the argument parser uses)."""

app = typer.Typer(
    name="qtargets",
    help="Real quantum-hardware calibrations, summarised (and ready as qiskit Targets).",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_show_locals=False,
)


def main() -> None:
    """Entry point of the ``qtargets`` console script."""
    app()


def _version(value: bool) -> None:
    if value:
        typer.echo(f"qtargets {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool,
        typer.Option("--version", callback=_version, is_eager=True,
                     help="Print the qtargets version and exit."),
    ] = False,
) -> None:
    """Real quantum-hardware calibrations, summarised (and ready as qiskit Targets)."""


@app.command("list")
def list_backends(
    offline: Annotated[
        bool, typer.Option("--offline", help="Only the bundled calibrations; no network."),
    ] = False,
) -> None:
    """List devices: live ones of every configured vendor, then the bundled calibrations."""
    console = Console()
    if not offline and live.configured_vendors():
        with _user_errors():
            found = live.devices()
        table = _fmt.table("Devices (live)")
        for header in ("Name", "Vendor", "Status", "Qubits", "Queue", "Last calibration"):
            table.add_column(header, no_wrap=True,
                             justify="right" if header == "Qubits" else "left")
        for d in sorted(found, key=lambda d: (d.vendor, d.name)):
            table.add_row(d.name, d.vendor, d.status, str(d.num_qubits or _fmt.MISSING),
                          d.queue, _fmt.when(d.last_calibration))
        console.print(table)
        console.print("[dim]Last calibration: IonQ's figure; for IBM the newest stored "
                      "(qtargets fetch NAME)[/dim]\n")
    table = _fmt.table("Bundled calibrations")
    table.add_column("Name", style="bold", no_wrap=True)
    table.add_column("Vendor", no_wrap=True)
    table.add_column("Processor", no_wrap=True)
    table.add_column("Qubits", justify="right", no_wrap=True)
    table.add_column("Taken at (UTC)", no_wrap=True)
    with _user_errors():
        for name in bundled_backends():
            cal = load_calibration(name)
            table.add_row(name, cal.vendor, cal.processor or _fmt.MISSING, str(cal.num_qubits),
                          _fmt.when(cal.taken_at, suffix=""))
    console.print(table)
    if not live.configured_vendors():
        console.print(f"[dim]No credentials configured: {live.credentials_hint()} for live "
                      "devices.[/dim]")
    console.print("[dim]Where each came from: qtargets show NAME[/dim]")


@app.command("fetch")
def fetch_command(
    names: Annotated[list[str], typer.Argument(metavar="NAME...",
                                               help="Backends, e.g. ibm_fez qpu.aria-1.")],
) -> None:
    """Fetch the newest calibrations live and keep them in the local store."""
    with _user_errors():
        found = live.fetch(names)
    table = _fmt.table("Fetched")
    for header in ("Name", "Taken at", "Snapshot", ""):
        table.add_column(header, no_wrap=True)
    for name, fetched in found.items():
        snap = fetched.snapshot
        table.add_row(name, _fmt.when(fetched.calibration.taken_at),
                      str(snap.id) if snap is not None else _fmt.MISSING,
                      "unchanged" if fetched.not_modified else "[green]stored[/]")
    Console().print(table)


@app.command("history")
def history_command(
    name: Annotated[str, typer.Argument(help="A backend, e.g. qpu.aria-1.")],
    since: Annotated[str, typer.Option("--since", help="ISO date or date-time (UTC).")],
    until: Annotated[
        str | None, typer.Option("--until", help="ISO date or date-time (UTC); default now."),
    ] = None,
) -> None:
    """Download every calibration of a backend in a time range into the store, and list it."""
    with _user_errors(), Progress(
            TextColumn("{task.description}"), BarColumn(), TaskProgressColumn(),
            TextColumn("{task.fields[found]} found"), TimeElapsedColumn(),
            transient=True) as bar:
        task = bar.add_task(f"downloading {name}", total=1.0, found=0)
        snapshots = live.history(
            name, since, until,
            progress=lambda done, count: bar.update(task, completed=done,
                                                    found=count or None))
    table = _fmt.table(f"{name}: {len(snapshots)} calibrations stored in the range")
    for header in ("Taken at", "Calibration id", "Snapshot"):
        table.add_column(header, no_wrap=True)
    for snap in snapshots:
        table.add_row(_fmt.when(snap.taken_at), snap.calibration_id or _fmt.MISSING,
                      str(snap.id))
    Console().print(table)


@app.command("diff")
def diff_command(
    old: Annotated[str, typer.Argument(metavar="OLD",
                                       help="NAME, NAME@TIME (ISO, UTC) or a calibration file.")],
    new: Annotated[str, typer.Argument(metavar="NEW", help="Same forms as OLD.")],
    tol: Annotated[float, typer.Option("--tol", min=0.0,
                                       help="Relative change below which nothing is "
                                            "reported.")] = DEFAULT_REL_TOL,
    top: Annotated[int, typer.Option("--top", min=0, help="Rows per table.")] = 20,
    as_json: Annotated[bool, typer.Option("--json", help="Print the diff as JSON.")] = False,
) -> None:
    """What changed between two calibrations: qubits and edges that got worse or better."""
    with _user_errors():
        before, after = _resolve(old), _resolve(new)
        result = diff_calibrations(before, after, rel_tol=tol)
    if as_json:
        typer.echo(json.dumps(result.to_dict(), indent=2, allow_nan=False))
        return
    console = Console()
    for table in diff_tables(result, top=top):
        console.print(table)


def _resolve(spec: str) -> Calibration:
    """``NAME@TIME``, a calibration file, or ``NAME`` (live, stored or bundled)."""
    if "@" in spec:
        name, _, when = spec.partition("@")
        return live.calibration(name, when)
    if Path(spec).is_file() and spec not in bundled_backends():
        return load_calibration(Path(spec))
    return live.calibration(spec)


@app.command()
def show(
    backend: Annotated[
        str,
        typer.Argument(metavar="NAME_OR_FILE",
                       help="A bundled backend name (see `qtargets list`) or a path to a "
                            "calibration JSON file (Calibration.to_json output)."),
    ],
    as_json: Annotated[
        bool, typer.Option("--json", help="Print the summary as JSON (stable keys, SI units)."),
    ] = False,
    top: Annotated[
        int, typer.Option("--top", min=0, help="How many best qubits and edges to list."),
    ] = DEFAULT_TOP,
) -> None:
    """Summarise one calibration: operations, qubits, faulty elements, best qubits and edges."""
    with _user_errors(source=backend):
        cal = _load(backend)
    summary = summarize(cal, top=top)
    if as_json:
        typer.echo(json.dumps(summary.to_dict(), indent=2, allow_nan=False))
        return
    console = Console()
    sections = (_header, _operations, _qubits, _faulty, _best_qubits, _best_edges)
    for i, section in enumerate(sections):
        if i:
            console.print()
        console.print(section(summary))


@app.command("map")
def map_command(
    name: Annotated[str, typer.Argument(metavar="NAME",
                                        help="NAME, NAME@TIME (ISO, UTC) or a calibration "
                                             "file.")],
    out: Annotated[
        Path | None,
        typer.Option("--out", "-o", help="Image to write; the suffix picks the format (.png, "
                                         ".svg, .pdf). Default: NAME-error-map.png."),
    ] = None,
    dpi: Annotated[float, typer.Option("--dpi", min=10.0, help="Pixels per inch (the image "
                                                             "is 10x10 inches).")] = 100.0,
) -> None:
    """Draw the error map: qubits coloured by readout error, edges by two-qubit gate error."""
    with _user_errors(source=name):
        cal = _resolve(name)
        path = out if out is not None else Path(f"{cal.backend_name}-error-map.png")
        path.parent.mkdir(parents=True, exist_ok=True)
        plot_error_map(cal, path, dpi=dpi)
    typer.echo(str(path))


@app.command("rank")
def rank_command(
    circuit: Annotated[Path, typer.Argument(metavar="CIRCUIT",
                                            help="An OpenQASM 2 or 3 file.")],
    backends: Annotated[
        list[str] | None,
        typer.Option("--backends", "--backend", "-b", metavar="NAMES",
                     help="Devices to rank, comma-separated or repeated. Default: every "
                          "device available (live, stored and bundled)."),
    ] = None,
    method: Annotated[
        str, typer.Option("--method", callback=_one_method,
                          help=f"How to compile, one of: {', '.join(METHODS)} "
                               "(qtargets.methods)."),
    ] = "qtargets",
    level: Annotated[int, typer.Option("--level", min=0, max=3,
                                       help="Optimization level.")] = 3,
    seed: Annotated[int, typer.Option("--seed", help="Transpiler seed.")] = 1,
    offline: Annotated[
        bool, typer.Option("--offline", help="Stored and bundled calibrations only; no "
                                             "network."),
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the rows as JSON.")] = False,
) -> None:
    """Rank devices for a circuit: transpile it for each, best estimated success first."""
    names = _comma_list(backends or ())
    # on stderr, so that --json output can be piped; only on a terminal, where it can erase
    # itself (elsewhere rich leaves a blank line)
    progress_console = Console(stderr=True)
    with _user_errors(), Progress(
            TextColumn("{task.description}"), BarColumn(), TaskProgressColumn(),
            TimeElapsedColumn(), console=progress_console, transient=True,
            disable=not progress_console.is_terminal) as bar:
        task = bar.add_task("fetching calibrations", total=None)

        def report(done: int, total: int, device: str) -> None:
            what = f"transpiling for {device}" if done < total else "done"
            bar.update(task, description=what, completed=done, total=total)

        rows = rank(circuit, names or None, method=method,
                    optimization_level=level, seed=seed, live=False if offline else None,
                    progress=report)
    if as_json:
        ranked = _ranks(rows)
        typer.echo(json.dumps([{"rank": r, **row.to_dict()} for r, row in zip(
            ranked, rows, strict=True)], indent=2, allow_nan=False))
        return
    Console().print(_ranking_table(rows, f"{circuit.name}: {len(rows)} devices by esp_idle "
                                         f"({method} layout, level {level}, seed {seed})"))


@app.command("sweep")
def sweep_command(
    circuits_dir: Annotated[Path, typer.Argument(
        metavar="CIRCUITS_DIR", help="A directory of OpenQASM 2/3 files (*.qasm).")],
    backends: Annotated[
        list[str], typer.Option("--backends", "--backend", "-b", metavar="NAMES",
                                help="Devices, comma-separated or repeated (bundled, stored "
                                     "or live, like every other command).")],
    methods: Annotated[
        str, typer.Option("--methods", metavar="NAMES",
                          help=f"Comma-separated, of: {', '.join(METHODS)}.")
    ] = "default,qtargets",
    seeds: Annotated[str, typer.Option("--seeds", help="Comma-separated transpiler seeds.")
                     ] = "1",
    level: Annotated[int, typer.Option("--level", min=0, max=3,
                                       help="Optimization level.")] = 3,
    workers: Annotated[int | None, typer.Option(
        "--workers", min=1, help="Local worker processes (default: one per core).")] = None,
    out: Annotated[Path, typer.Option("--out", help="CSV file to write.")
                   ] = Path("results.csv"),
    plot: Annotated[Path | None, typer.Option(
        "--plot", help="Also draw esp_idle per circuit and method to this image.")] = None,
) -> None:
    """Transpile and score every circuit x device x method x seed; write one CSV row each."""
    with _user_errors():
        files = sorted(circuits_dir.glob("*.qasm"))
        if not circuits_dir.is_dir() or not files:
            raise QTargetsError(f"{circuits_dir}: no *.qasm files there")
        circuits = {f.stem: load_circuit(f) for f in files}
        names = _comma_list(backends)
        try:
            seed_list = [int(s) for s in _comma_list([seeds])]
        except ValueError:
            raise QTargetsError(f"--seeds: expected comma-separated integers, got "
                                f"{seeds!r}") from None
        method_list = _comma_list([methods])
        calibrations = list(live.calibrations(names).values())
        with Progress(TextColumn("{task.description}"), BarColumn(), TaskProgressColumn(),
                      TimeElapsedColumn(), console=Console(stderr=True),
                      transient=True) as bar:
            task = bar.add_task("transpiling and scoring", total=None)
            records = sweep(circuits, calibrations, methods=method_list, seeds=seed_list,
                            optimization_level=level, max_workers=workers,
                            progress=lambda done, total: bar.update(
                                task, completed=done, total=total))
        records.to_csv(out)
        if plot is not None:
            records.plot(plot)
    failed = len(records.failed)
    typer.echo(f"{len(records)} runs ({failed} failed) -> {out}"
               + (f", {plot}" if plot is not None else ""))


def _one_method(name: str) -> str:
    if name not in METHODS:
        raise typer.BadParameter(f"{name!r} is not one of {', '.join(METHODS)}")
    return name


def _comma_list(specs: Iterable[str]) -> list[str]:
    """Option values given comma-separated, repeated, or both, as one list."""
    return [item.strip() for spec in specs for item in spec.split(",") if item.strip()]


def _ranks(rows: list[Ranking]) -> list[int | None]:
    """1, 2, ... for the rows with figures; ``None`` for those with an error."""
    return [i if row.error is None else None for i, row in enumerate(rows, 1)]


def _ranking_table(rows: list[Ranking], title: str) -> Group:
    table = _fmt.table(title)
    table.add_column("#", justify="right", no_wrap=True)
    table.add_column("Device", style="bold", no_wrap=True)
    for header in ("Qubits", "ESP\nidle", "ESP", "Duration\n(µs)", "2q\ngates", "Depth"):
        table.add_column(header, justify="right", no_wrap=True)
    table.add_column("Calibration (UTC)", no_wrap=True)
    queued = any(row.queue is not None for row in rows)
    if queued:
        table.add_column("Queue", no_wrap=True)
    notes: list[Text] = []
    for rank_, row in zip(_ranks(rows), rows, strict=True):
        esp_idle = _probability(row.esp_idle, row.log_esp_idle)
        if row.error is not None:
            esp_idle = "[red]error[/]"
            notes.append(Text(f"{row.device}: {row.error}", style="red"))
        elif row.unknown_errors:
            esp_idle += "[yellow]*[/]"
            notes.append(Text(f"* {row.device}: {row.unknown_errors} operations without an "
                              "error figure, counted as perfect", style="yellow"))
        cells = [str(rank_) if rank_ is not None else "-", row.device, str(row.num_qubits),
                 esp_idle, _probability(row.esp), _micro(row.duration),
                 _fmt.MISSING if row.two_qubit_gates is None else str(row.two_qubit_gates),
                 _fmt.MISSING if row.depth is None else str(row.depth),
                 _fmt.when(row.taken_at, suffix="")]
        if queued:
            cells.append(row.queue or _fmt.MISSING)
        table.add_row(*cells, style="dim" if row.error is not None else None)
    return Group(table, *notes)


def _probability(p: float | None, log: float | None = None) -> str:
    """``p`` to three figures; below the smallest float, ``e^-812`` from its log."""
    if p is None:
        return _fmt.MISSING
    if p == 0.0 and log is not None and math.isfinite(log):
        return f"e^{log:.0f}"
    return f"{p:.3g}"


def _micro(seconds: float | None) -> str:
    """µs: three figures for gate-model times, whole µs for trapped ions' milliseconds."""
    if seconds is None:
        return _fmt.MISSING
    micro = seconds * 1e6
    return f"{micro:,.0f}" if micro >= 1000 else f"{micro:.3g}"


# -- errors --------------------------------------------------------------------------------


@contextmanager
def _user_errors(source: str | None = None) -> Iterator[None]:
    """Turn errors the user caused into one red stderr line and exit code 2.

    A CalibrationError names the bad field but not the file it is in, so ``source`` is
    put in front of it.
    """
    try:
        yield
    except (QTargetsError, OSError) as exc:
        text = f"{source}: {exc}" if source and isinstance(exc, CalibrationError) else str(exc)
        message = Text.assemble(("error: ", "bold red"), (text, "red"))
        # soft_wrap: keep it one line however narrow the terminal is
        Console(stderr=True).print(message, soft_wrap=True)
        raise typer.Exit(EXIT_USAGE) from None


def _load(backend: str) -> Calibration:
    """A bundled name wins; otherwise an existing file is read even without a .json suffix."""
    if backend not in bundled_backends() and Path(backend).is_file():
        return load_calibration(Path(backend))
    return load_calibration(backend)


def _with_note(table: Table, note: str) -> Group:
    # a note under the table rather than a caption, which rich wraps to the table's width
    return Group(table, Text(note, style="dim"))


# -- sections ------------------------------------------------------------------------------


def _header(s: CalibrationSummary) -> Panel:
    grid = Table.grid(padding=(0, 2))
    grid.add_column(style="bold")
    grid.add_column()
    grid.add_row("Vendor", s.vendor)
    grid.add_row("Processor", s.processor or _fmt.MISSING)
    grid.add_row("Version", s.backend_version or _fmt.MISSING)
    faulty = s.num_qubits - s.num_operational_qubits
    grid.add_row("Qubits", f"{s.num_qubits} ({s.num_operational_qubits} operational"
                           + (f", {faulty} faulty)" if faulty else ")"))
    grid.add_row("Taken at", _fmt.when(s.taken_at))
    grid.add_row("Source", s.source)
    if s.retrieved_at is not None:
        grid.add_row("Retrieved at", _fmt.when(s.retrieved_at))
    return Panel(grid, title=Text(s.backend_name, style="bold cyan"), title_align="left",
                 expand=False)


def _operations(s: CalibrationSummary) -> Group:
    table = _fmt.table("Operations")
    table.add_column("Name", style="bold", no_wrap=True)
    table.add_column("Kind")
    for header in ("Qubits", "Qargs", "Median\nerror", "Best\nerror", "Worst\nerror"):
        table.add_column(header, justify="right", no_wrap=True)
    table.add_column("Error\n= 1", justify="right", no_wrap=True, header_style="bold yellow")
    table.add_column("No\nerror", justify="right", no_wrap=True)
    table.add_column("Median\nduration", justify="right", no_wrap=True)
    for inst in s.instructions:
        global_ = inst.num_qargs is None
        qargs = "global" if global_ else str(inst.num_qargs)
        if inst.num_excluded:
            qargs += f" (-{inst.num_excluded})"
        table.add_row(
            inst.name, inst.kind, str(inst.num_qubits), qargs,
            *_errors(inst.error),
            "" if global_ else _count(inst.num_uncalibrated, "yellow"),
            "" if global_ else _count(inst.num_missing_error, "dim"),
            _fmt.duration(inst.median_duration),
            style="dim" if global_ else None,
        )
    return _with_note(table, "Usable entries only (operational, no faulty qubit; others shown "
                             "as -n). Error = 1 only in worst.")


def _qubits(s: CalibrationSummary) -> Table:
    table = _fmt.table(f"Qubits ({s.num_operational_qubits} operational)")
    table.add_column("Quantity", style="bold")
    table.add_column("Median", justify="right")
    table.add_column("Best", justify="right")
    table.add_column("Worst", justify="right")
    table.add_row("Readout error", *_errors(s.readout_error))
    table.add_row("T1", _fmt.micro(s.t1_median), "", "")
    table.add_row("T2", _fmt.micro(s.t2_median), "", "")
    return table


def _faulty(s: CalibrationSummary) -> Table:
    grid = Table.grid(padding=(0, 2))
    grid.add_column(style="bold", no_wrap=True)
    grid.add_column()
    grid.add_row("Faulty qubits",
                 ", ".join(map(str, s.faulty_qubits)) if s.faulty_qubits else _none())
    grid.add_row("Faulty gates", _gates(s.faulty_gates))
    grid.add_row(Text("Error = 1 (uncalibrated)", style="bold yellow"),
                 _gates(s.uncalibrated_gates))
    outer = Table.grid()
    outer.add_row(Text("Faulty elements", style="italic"))
    outer.add_row(grid)
    return outer


def _best_qubits(s: CalibrationSummary) -> Group | Text:
    if not s.best_qubits:
        return Text("Best qubits: none ranked (needs readout and 1-qubit gate errors)",
                    style="italic")
    table = _fmt.table(f"Best {len(s.best_qubits)} qubits")
    table.add_column("Qubit", justify="right", style="bold")
    table.add_column("Score", justify="right")
    table.add_column("Readout err", justify="right")
    table.add_column("1q gate err", justify="right")
    table.add_column("T1", justify="right")
    table.add_column("T2", justify="right")
    for q in s.best_qubits:
        table.add_row(str(q.qubit), _fmt.error(q.score), _fmt.error(q.readout_error),
                      _fmt.error(q.gate_error), _fmt.micro(q.t1), _fmt.micro(q.t2))
    return _with_note(table, "score = readout error + mean error of the qubit's 1-qubit "
                             "gates (virtual ones, like rz, left out)")


def _best_edges(s: CalibrationSummary) -> Group | Text:
    if not s.best_edges:
        return Text("Best edges: none ranked (needs 2-qubit gate errors)", style="italic")
    table = _fmt.table(f"Best {len(s.best_edges)} edges")
    table.add_column("Qubits", justify="right", style="bold")
    table.add_column("Gate")
    table.add_column("Error", justify="right")
    table.add_column("Duration", justify="right")
    for e in s.best_edges:
        table.add_row(f"{e.qubits[0]}-{e.qubits[1]}", e.gate, _fmt.error(e.error),
                      _fmt.duration(e.duration))
    return _with_note(table, "each pair by its best 2-qubit gate, in either direction")


# -- values --------------------------------------------------------------------------------


def _errors(spread: Spread) -> tuple[str, str, str]:
    worst = _fmt.error(spread.worst)
    if spread.worst == 1.0:
        worst = f"[yellow]{worst}[/]"
    return _fmt.error(spread.median), _fmt.error(spread.best), worst


def _count(n: int, style: str) -> str:
    return f"[{style}]{n}[/]" if n else "0"


def _none() -> Text:
    return Text("none", style="green")


def _gates(gates: Iterable[FaultyGate]) -> Text | str:
    """Gates grouped by name, as ``a-b``; a pair listed in both directions is shown once."""
    by_name: dict[str, set[tuple[int, ...]]] = {}
    for g in gates:
        by_name.setdefault(g.name, set()).add(g.qubits)
    if not by_name:
        return _none()
    parts = []
    for name, qargs in by_name.items():
        shown = sorted((q for q in qargs if q[::-1] not in qargs or q <= q[::-1]),
                       key=sorted)
        parts.append(f"{name} on " + ", ".join("-".join(map(str, q)) for q in shown))
    return "; ".join(parts)
