"""The commands: each parses its arguments, asks the library, and hands the result to
:mod:`qtargets.cli.render`. Every device argument takes the forms of
:mod:`qtargets.devices` (``qtargets fetch``: names and ``NAME@TIME``, since it downloads).
Errors a user can cause are one red line on stderr and exit code 2, never a traceback.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn, TimeElapsedColumn
from rich.text import Text

from .. import live
from .._exceptions import QTargetsError
from ..bundled import bundled_backends, load_calibration
from ..circuits import load_circuit
from ..devices import resolve_all
from ..diff import DEFAULT_REL_TOL, diff_calibrations
from ..errormap import plot_error_map
from ..live import DEFAULT_TIMEOUT, HISTORY_TIMEOUT
from ..methods import METHODS
from ..ranking import rank
from ..summary import DEFAULT_TOP, summarize
from ..sweeps import sweep
from ..vendors import Vendor
from . import render
from ._app import (
    DEVICE_FORMS,
    Offline,
    Timeout,
    app,
    comma_list,
    device,
    file_name,
    positive_seconds,
    user_errors,
)

__all__ = ["diff_command", "fetch_command", "history_command", "list_command", "map_command",
           "rank_command", "show_command", "sweep_command"]


@app.command("list")
def list_command(
    offline: Annotated[
        bool, typer.Option("--offline", help="Only the bundled calibrations; no network."),
    ] = False,
    timeout: Timeout = DEFAULT_TIMEOUT,
) -> None:
    """List devices: live ones of every configured vendor, then the bundled calibrations."""
    console = Console()
    if not offline and live.configured_vendors():
        unreached: list[tuple[Vendor, QTargetsError]] = []
        with user_errors():
            found = live.devices(timeout=timeout, unreached=unreached)
        if found:
            console.print(render.listed_table(found))
            console.print("[dim]Last calibration: the vendor's figure, else the newest stored "
                          "(qtargets fetch NAME)[/dim]")
        for vendor, error in unreached:
            render.problem(f"{vendor.label}: devices not listed ({type(error).__name__}: "
                           f"{error})")
        console.print()
    with user_errors():
        bundled = [(name, load_calibration(name)) for name in bundled_backends()]
    console.print(render.bundled_table(bundled))
    if not live.configured_vendors():
        console.print(Text(render.clean(f"No credentials configured. For live devices: "
                                        f"{live.credentials_hint()}."), style="dim"))
    console.print("[dim]Where each came from: qtargets show NAME[/dim]")


@app.command("fetch")
def fetch_command(
    names: Annotated[list[str], typer.Argument(
        metavar="NAME...", help="Backends, e.g. ibm_fez qpu.aria-1, or NAME@TIME for the "
                                "calibration in force then.")],
    timeout: Timeout = DEFAULT_TIMEOUT,
) -> None:
    """Fetch calibrations live and keep them in the local store."""
    with user_errors():
        for name in names:
            if Path(name).suffix == ".json" or Path(name).is_file():
                raise QTargetsError(f"{name!r} is a calibration file; fetch downloads from "
                                    "a vendor's API: give a device name or NAME@TIME")
        found = live.fetch(names, timeout=timeout)
    Console().print(render.fetched_table(found))


@app.command("history")
def history_command(
    name: Annotated[str, typer.Argument(help="A backend, e.g. qpu.aria-1.")],
    since: Annotated[str, typer.Option("--since", help="ISO date or date-time (UTC).")],
    until: Annotated[
        str | None, typer.Option("--until", help="ISO date or date-time (UTC); default now."),
    ] = None,
    timeout: Annotated[float, typer.Option(
        "--timeout", callback=positive_seconds, metavar="SECONDS",
        help="Deadline of the whole download, retries included.")] = HISTORY_TIMEOUT,
) -> None:
    """Download every calibration of a backend in a time range into the store, and list it."""
    with user_errors(), Progress(
            TextColumn("{task.description}"), BarColumn(), TaskProgressColumn(),
            TextColumn("{task.fields[found]} found"), TimeElapsedColumn(),
            transient=True) as bar:
        task = bar.add_task(f"downloading {name}", total=1.0, found=0)
        snapshots = live.history(
            name, since, until, timeout=timeout,
            progress=lambda done, count: bar.update(task, completed=done,
                                                    found=count or None))
    Console().print(render.history_table(name, snapshots))


@app.command("diff")
def diff_command(
    old: Annotated[str, typer.Argument(metavar="OLD", help=f"{DEVICE_FORMS}.")],
    new: Annotated[str, typer.Argument(metavar="NEW", help="Same forms as OLD.")],
    tol: Annotated[float, typer.Option("--tol", min=0.0,
                                       help="Relative change below which nothing is "
                                            "reported.")] = DEFAULT_REL_TOL,
    top: Annotated[int, typer.Option("--top", min=0, help="Rows per table.")
                   ] = render.DIFF_TOP,
    offline: Offline = False,
    timeout: Timeout = DEFAULT_TIMEOUT,
    as_json: Annotated[bool, typer.Option("--json", help="Print the diff as JSON.")] = False,
) -> None:
    """What changed between two calibrations: qubits and edges that got worse or better."""
    with user_errors():
        before, after = resolve_all([old, new], live=False if offline else None,
                                    timeout=timeout)
        result = diff_calibrations(before.require_calibration("diff"),
                                   after.require_calibration("diff"), rel_tol=tol)
    if as_json:
        typer.echo(json.dumps(result.to_dict(), indent=2, allow_nan=False))
        return
    console = Console()
    for table in render.diff_tables(result, top=top):
        console.print(table)


@app.command("show")
def show_command(
    backend: Annotated[str, typer.Argument(metavar="DEVICE", help=f"{DEVICE_FORMS}.")],
    as_json: Annotated[
        bool, typer.Option("--json", help="Print the summary as JSON (stable keys, SI units)."),
    ] = False,
    top: Annotated[
        int, typer.Option("--top", min=0, help="How many best qubits and edges to list."),
    ] = DEFAULT_TOP,
    offline: Offline = False,
    timeout: Timeout = DEFAULT_TIMEOUT,
) -> None:
    """Summarise one calibration: operations, qubits, faulty elements, best qubits and edges."""
    with user_errors(source=backend):
        cal = device(backend, offline, timeout).require_calibration("show")
    summary = summarize(cal, top=top)
    if as_json:
        typer.echo(json.dumps(summary.to_dict(), indent=2, allow_nan=False))
        return
    console = Console()
    for i, section in enumerate(render.show_sections(summary)):
        if i:
            console.print()
        console.print(section)


@app.command("map")
def map_command(
    name: Annotated[str, typer.Argument(metavar="DEVICE", help=f"{DEVICE_FORMS}.")],
    out: Annotated[
        Path | None,
        typer.Option("--out", "-o", help="Image to write; the suffix picks the format (.png, "
                                         ".svg, .pdf). Default: NAME-error-map.png."),
    ] = None,
    dpi: Annotated[float, typer.Option("--dpi", min=10.0, help="Pixels per inch (the image "
                                                             "is 10x10 inches).")] = 100.0,
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


def _one_method(name: str) -> str:
    if name not in METHODS:
        raise typer.BadParameter(f"{name!r} is not one of {', '.join(METHODS)}")
    return name


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
        str, typer.Option("--method", callback=_one_method,
                          help=f"How to compile, one of: {', '.join(METHODS)} "
                               "(qtargets.methods)."),
    ] = "qtargets",
    level: Annotated[int, typer.Option("--level", min=0, max=3,
                                       help="Optimization level.")] = 3,
    seed: Annotated[int, typer.Option("--seed", help="Transpiler seed.")] = 1,
    offline: Offline = False,
    timeout: Timeout = DEFAULT_TIMEOUT,
    as_json: Annotated[bool, typer.Option("--json", help="Print the rows as JSON.")] = False,
) -> None:
    """Rank devices for a circuit: transpile it for each, best estimated success first."""
    names = comma_list(backends or ())
    # on stderr, so that --json output can be piped; only on a terminal, where it can erase
    # itself (elsewhere rich leaves a blank line)
    progress_console = Console(stderr=True)
    with user_errors(), Progress(
            TextColumn("{task.description}"), BarColumn(), TaskProgressColumn(),
            TimeElapsedColumn(), console=progress_console, transient=True,
            disable=not progress_console.is_terminal) as bar:
        task = bar.add_task("fetching calibrations", total=None)

        def report(done: int, total: int, name: str) -> None:
            what = f"transpiling for {name}" if done < total else "done"
            bar.update(task, description=what, completed=done, total=total)

        rows = rank(circuit, names or None, method=method,
                    optimization_level=level, seed=seed, live=False if offline else None,
                    timeout=timeout, progress=report)
    if as_json:
        ranked = render.ranks(rows)
        typer.echo(json.dumps([{"rank": r, **row.to_dict()} for r, row in zip(
            ranked, rows, strict=True)], indent=2, allow_nan=False))
        return
    Console().print(render.ranking_table(
        rows, f"{circuit.name}: {len(rows)} devices by esp_idle ({method} layout, level "
              f"{level}, seed {seed})"))


@app.command("sweep")
def sweep_command(
    circuits_dir: Annotated[Path, typer.Argument(
        metavar="CIRCUITS_DIR", help="A directory of OpenQASM 2/3 files (*.qasm).")],
    backends: Annotated[
        list[str], typer.Option("--backends", "--backend", "-b", metavar="DEVICES",
                                help=f"Devices, comma-separated or repeated, each "
                                     f"{DEVICE_FORMS}.")],
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
    offline: Offline = False,
    timeout: Timeout = DEFAULT_TIMEOUT,
) -> None:
    """Transpile and score every circuit x device x method x seed; write one CSV row each."""
    with user_errors():
        files = sorted(circuits_dir.glob("*.qasm"))
        if not circuits_dir.is_dir() or not files:
            raise QTargetsError(f"{circuits_dir}: no *.qasm files there")
        circuits = {f.stem: load_circuit(f) for f in files}
        try:
            seed_list = [int(s) for s in comma_list([seeds])]
        except ValueError:
            raise QTargetsError(f"--seeds: expected comma-separated integers, got "
                                f"{seeds!r}") from None
        found = resolve_all(comma_list(backends), live=False if offline else None,
                            timeout=timeout)
        with Progress(TextColumn("{task.description}"), BarColumn(), TaskProgressColumn(),
                      TimeElapsedColumn(), console=Console(stderr=True),
                      transient=True) as bar:
            task = bar.add_task("transpiling and scoring", total=None)
            records = sweep(circuits, [d.calibration or d.target() for d in found],
                            methods=comma_list([methods]), seeds=seed_list,
                            optimization_level=level, max_workers=workers,
                            progress=lambda done, total: bar.update(
                                task, completed=done, total=total))
        records.to_csv(out)
        if plot is not None:
            records.plot(plot)
    failed = len(records.failed)
    typer.echo(f"{len(records)} runs ({failed} failed) -> {out}"
               + (f", {plot}" if plot is not None else ""))
