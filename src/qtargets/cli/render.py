"""Everything the ``qtargets`` command prints, in one place: the house table style, a
renderer per command, and the machine-readable forms (``--json``, ``--csv``) of the same data.
Numbers come formatted from :mod:`qtargets._format` (shared with the error map); the figures
themselves from the library (summaries, diffs, rankings), so the JSON output and the tables
cannot disagree. The only module, with the commands, that imports rich.

How tables fit (:class:`_Table`): a figure (a number, a time, an id) is never cut, wrapped or
shortened with an ellipsis; text wraps, and a word too long for its column folds onto the next
line. On a terminal too narrow for a whole table, its less important columns are hidden, with a
line saying which. Output that is not a terminal (a pipe, a file) is never cut: it is laid out
as wide as ``COLUMNS`` says, or as wide as it needs (:func:`console`).
"""

from __future__ import annotations

import copy
import csv
import dataclasses
import io
import json
import math
import os
from collections.abc import Iterable, Iterator, Sequence
from datetime import datetime
from typing import Any

from rich import box
from rich.console import Console, ConsoleOptions, Group, RenderableType, RenderResult
from rich.panel import Panel
from rich.progress import (
    BarColumn,
    Progress,
    ProgressColumn,
    TaskProgressColumn,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table
from rich.text import Text

from .. import _format as fmt
from ..diff import HIGHER_IS_BETTER, CalibrationDiff, Change, Value
from ..live import HistoryEntry
from ..model import UNCALIBRATED_ERROR, Calibration
from ..ranking import Ranking
from ..store import Snapshot
from ..summary import CalibrationSummary, FaultyGate, Spread
from ..vendors import Fetched, ListedDevice

__all__ = [
    "DIFF_TOP",
    "PIPE_WIDTH",
    "bundled_table",
    "change_rows",
    "console",
    "csv_text",
    "device_rows",
    "diff_tables",
    "fetched_rows",
    "fetched_table",
    "field_rows",
    "history_table",
    "house_table",
    "json_text",
    "listed_table",
    "offline_history_rows",
    "offline_history_table",
    "probability",
    "problem",
    "progress_bar",
    "ranking_rows",
    "ranking_table",
    "ranks",
    "relative_change",
    "show_sections",
    "snapshot_rows",
    "stored_table",
    "value_text",
]

DIFF_TOP = 20
"""How many rows each table of :func:`diff_tables` shows unless told otherwise."""


clean = fmt.printable
"""Data shown in the terminal: control characters escaped (see :func:`_format.printable`)."""


PIPE_WIDTH = 10_000
"""The width output that is not a terminal is laid out in, unless ``COLUMNS`` says otherwise:
wide enough that no table, panel or line is ever wrapped or cut."""


def console(*, stderr: bool = False) -> Console:
    """The console a command prints to. A terminal: its width. Anything else (a pipe, a
    file): plain text (rich adds no colours there), as wide as ``COLUMNS`` when it is set,
    else :data:`PIPE_WIDTH`, so that nothing is cut."""
    found = Console(stderr=stderr)
    if found.is_terminal or os.environ.get("COLUMNS", "").strip():
        return found
    return Console(stderr=stderr, width=PIPE_WIDTH)


def progress_bar(*columns: str | ProgressColumn) -> Progress:
    """A progress bar on stderr (stdout keeps only the result, so it can be piped), shown only
    when stderr is a terminal (elsewhere it would leave lines behind) and erased when done.
    ``columns`` go after the percentage."""
    shown_on = Console(stderr=True)
    return Progress(TextColumn("{task.description}"), BarColumn(), TaskProgressColumn(),
                    *columns, TimeElapsedColumn(), console=shown_on, transient=True,
                    disable=not shown_on.is_terminal)


class _Table(Table):
    """A rich Table whose plain string cells are literal, cleaned text: a name from data such
    as ``"[red]x"`` or one holding an ESC sequence is shown as it is, never interpreted.
    Styled cells are :class:`~rich.text.Text`.

    Columns fold rather than cut (``overflow="fold"``), so no text ends in an ellipsis;
    :meth:`add_figure_column` adds one whose cells are never wrapped either. A column added
    with ``drop=n`` may be hidden on a terminal too narrow for the table: ``drop=1`` first,
    then 2..., until the rest fits with every figure whole and every word unbroken; a line
    under the table names what was hidden. Output that is not a terminal hides nothing.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self._drop: dict[int, int] = {}  # before Table.__init__, which may add columns
        super().__init__(*args, **kwargs)

    def add_column(self, header: RenderableType = "", footer: RenderableType = "", *,
                   drop: int | None = None, **options: Any) -> None:
        options.setdefault("overflow", "fold")
        super().add_column(header, footer, **options)
        if drop is not None:
            self._drop[len(self.columns) - 1] = drop

    def add_figure_column(self, header: str, *, justify: Any = "right",
                          drop: int | None = None, **options: Any) -> None:
        """A column of figures (numbers, times, ids, qubit pairs): never wrapped, never cut
        short (when nothing else can give, folded onto the next line rather than cut)."""
        self.add_column(header, justify=justify, no_wrap=True, drop=drop, **options)

    def add_row(self, *cells: RenderableType | None, **options: Any) -> None:
        super().add_row(*(Text(clean(c)) if isinstance(c, str) else c for c in cells),
                        **options)

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        hidden = self._to_hide(console, options) if console.is_terminal else []
        yield from Table.__rich_console__(self._without(hidden), console, options)
        if hidden:
            names = ", ".join(_header_text(self.columns[i].header) for i in sorted(hidden))
            yield Text(f"(not shown at this width: {names}; a wider terminal, or --json or "
                       "--csv, shows every column)", style="dim")

    def _to_hide(self, console: Console, options: ConsoleOptions) -> list[int]:
        """The columns to hide, least important first, until the table fits."""
        width = options.max_width if self.width is None else self.width
        order = sorted(self._drop, key=lambda i: self._drop[i])
        hidden: list[int] = []
        while order and _least_width(self._without(hidden), console, options) > width:
            hidden.append(order.pop(0))
        return hidden

    def _without(self, hidden: Sequence[int]) -> Table:
        if not hidden:
            return self
        table = copy.copy(self)
        kept = [c for i, c in enumerate(self.columns) if i not in hidden]
        table.columns = [dataclasses.replace(c, _index=i) for i, c in enumerate(kept)]
        return table


def _least_width(table: Table, console: Console, options: ConsoleOptions) -> int:
    """How narrow ``table`` can be with every figure whole and every word unbroken: no-wrap
    columns at their widest cell, the others at their longest word. (rich's own measure counts
    the longest word of a no-wrap column too.)"""
    measured = [table._measure_column(console, options, column) for column in table.columns]
    return table._extra_width + sum(
        m.maximum if column.no_wrap else m.minimum
        for m, column in zip(measured, table.columns, strict=True))


def _header_text(header: RenderableType) -> str:
    text = header.plain if isinstance(header, Text) else str(header)
    return " ".join(text.split())


def house_table(title: str) -> _Table:
    """The house style: left-aligned title, one rule under the header, tight columns."""
    return _Table(title=Text(clean(title), style="italic"), title_justify="left",
                  box=box.SIMPLE_HEAD, collapse_padding=True, pad_edge=False, show_edge=False)


def problem(text: str) -> None:
    """One yellow line on stderr: something the command could not do, and went on without."""
    Console(stderr=True).print(Text(clean(text), style="yellow"), soft_wrap=True)


# -- list, fetch, history -------------------------------------------------------------------


def listed_table(found: Sequence[ListedDevice]) -> Table:
    """``qtargets list``: the live devices of every configured vendor."""
    out = house_table("Devices (live)")
    out.add_column("Name", style="bold")
    out.add_column("Vendor", drop=1)
    out.add_column("Status", drop=4)
    out.add_figure_column("Qubits")
    out.add_figure_column("Queue", justify="left", drop=3)
    out.add_figure_column("Last calibration", justify="left", drop=2)
    for d in sorted(found, key=lambda d: (d.vendor, d.name)):
        out.add_row(d.name, d.vendor, d.status, str(d.num_qubits or fmt.MISSING), d.queue,
                    fmt.when(d.last_calibration))
    return out


def bundled_table(calibrations: Iterable[tuple[Calibration, int]]) -> Table:
    """``qtargets list``: the calibrations shipped with the package, one row per device (its
    newest), with how many days of it the package holds (its bundled history)."""
    out = house_table("Bundled calibrations")
    out.add_column("Name", style="bold")
    out.add_column("Vendor", drop=1)
    out.add_column("Processor", drop=2)
    out.add_figure_column("Qubits")
    out.add_figure_column("Days", drop=4)
    out.add_figure_column("Newest taken at (UTC)", justify="left", drop=3)
    for cal, days in calibrations:
        out.add_row(clean(cal.backend_name), cal.vendor, cal.processor or fmt.MISSING,
                    str(cal.num_qubits), str(days), fmt.when(cal.taken_at, suffix=""))
    return out


def stored_table(stored: Iterable[tuple[Calibration, int]]) -> Table:
    """``qtargets list``: the calibrations in the local store, one row per device (its
    newest), with how many the store holds."""
    out = house_table("Stored calibrations")
    out.add_column("Name", style="bold")
    out.add_column("Vendor", drop=1)
    out.add_column("Processor", drop=2)
    out.add_figure_column("Qubits")
    out.add_figure_column("Stored", drop=3)
    out.add_figure_column("Newest taken at (UTC)", justify="left", drop=4)
    for cal, count in stored:
        out.add_row(cal.backend_name, cal.vendor, cal.processor or fmt.MISSING,
                    str(cal.num_qubits), str(count), fmt.when(cal.taken_at, suffix=""))
    return out


def fetched_table(found: dict[str, Fetched]) -> Table:
    """``qtargets fetch``: what each fetch stored, or found unchanged."""
    out = house_table("Fetched")
    out.add_column("Name", style="bold")
    out.add_figure_column("Taken at", justify="left", drop=2)
    out.add_figure_column("Snapshot", drop=1)
    out.add_column("")
    for name, fetched in found.items():
        snap = fetched.snapshot
        out.add_row(name, fmt.when(fetched.calibration.taken_at),
                    str(snap.id) if snap is not None else fmt.MISSING,
                    "unchanged" if fetched.not_modified else Text("stored", style="green"))
    return out


def history_table(name: str, snapshots: Sequence[Snapshot]) -> Table:
    """``qtargets history``: the stored calibrations of a range."""
    out = house_table(f"{name}: {len(snapshots)} calibrations stored in the range")
    out.add_figure_column("Taken at", justify="left")
    out.add_figure_column("Calibration id", justify="left", drop=2)
    out.add_figure_column("Snapshot", drop=1)
    for snap in snapshots:
        out.add_row(fmt.when(snap.taken_at), snap.calibration_id or fmt.MISSING, str(snap.id))
    return out


def offline_history_table(name: str, entries: Sequence[HistoryEntry]) -> Table:
    """``qtargets history --offline``: the stored and bundled calibrations of a range."""
    stored = sum(e.where == "stored" for e in entries)
    out = house_table(f"{name}: {len(entries)} calibrations offline ({stored} stored, "
                      f"{len(entries) - stored} bundled)")
    out.add_figure_column("Taken at", justify="left")
    out.add_column("Where")
    out.add_column("Source", drop=1)
    for entry in entries:
        out.add_row(fmt.when(entry.taken_at), entry.where, clean(entry.source))
    return out


# -- show ------------------------------------------------------------------------------------


def show_sections(s: CalibrationSummary) -> list[Panel | Group | Table | Text]:
    """``qtargets show``: header, operations, qubits, faulty elements, best qubits and edges."""
    sections: list[Panel | Group | Table | Text] = [
        header(s), operations(s), qubits(s), faulty(s), best_qubits(s), best_edges(s)]
    if s.layer_fidelities:
        sections.append(layer_fidelities(s))
    if s.couplers is not None:
        sections.append(couplers(s))
    return sections


def _with_note(table: Table, note: str) -> Group:
    # a note under the table rather than a caption, which rich wraps to the table's width
    return Group(table, Text(note, style="dim"))


# -- sections ------------------------------------------------------------------------------


def header(s: CalibrationSummary) -> Panel:
    grid = _Table.grid(padding=(0, 2))
    grid.add_column(style="bold")
    grid.add_column()
    grid.add_row("Vendor", s.vendor)
    grid.add_row("Processor", s.processor or fmt.MISSING)
    grid.add_row("Version", s.backend_version or fmt.MISSING)
    faulty = s.num_qubits - s.num_operational_qubits
    grid.add_row("Qubits", f"{s.num_qubits} ({s.num_operational_qubits} operational"
                           + (f", {faulty} faulty)" if faulty else ")"))
    grid.add_row("Taken at", fmt.when(s.taken_at))
    grid.add_row("Source", s.source)
    if s.retrieved_at is not None:
        grid.add_row("Retrieved at", fmt.when(s.retrieved_at))
    return Panel(grid, title=Text(clean(s.backend_name), style="bold cyan"), title_align="left",
                 expand=False)


def operations(s: CalibrationSummary) -> Group:
    table = house_table("Operations")
    table.add_column("Name", style="bold")
    table.add_column("Kind", drop=2)
    table.add_figure_column("Qubits", drop=3)
    table.add_figure_column("Qargs", drop=6)
    table.add_figure_column("Median\nerror")
    table.add_figure_column("Best\nerror", drop=7)
    table.add_figure_column("Worst\nerror", drop=8)
    table.add_figure_column("Error\n= 1", header_style="bold yellow", drop=4)
    table.add_figure_column("No\nerror", drop=1)
    table.add_figure_column("Median\nduration", drop=5)
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
            fmt.duration(inst.median_duration),
            style="dim" if global_ else None,
        )
    return _with_note(table, "Usable entries only (operational, no faulty qubit; others shown "
                             "as -n). Error = 1 only in worst.")


def qubits(s: CalibrationSummary) -> Table:
    table = house_table(f"Qubits ({s.num_operational_qubits} operational)")
    table.add_column("Quantity", style="bold")
    table.add_figure_column("Median")
    table.add_figure_column("Best", drop=2)
    table.add_figure_column("Worst", drop=1)
    table.add_row("Readout error", *_errors(s.readout_error))
    table.add_row("T1", fmt.micro(s.t1_median), "", "")
    table.add_row("T2", fmt.micro(s.t2_median), "", "")
    return table


def faulty(s: CalibrationSummary) -> Table:
    grid = _Table.grid(padding=(0, 2))
    grid.add_column(style="bold")
    grid.add_column()
    grid.add_row("Faulty qubits",
                 ", ".join(map(str, s.faulty_qubits)) if s.faulty_qubits else _none())
    grid.add_row("Faulty gates", _gates(s.faulty_gates))
    grid.add_row(Text("Error = 1 (uncalibrated)", style="bold yellow"),
                 _gates(s.uncalibrated_gates))
    outer = _Table.grid()
    outer.add_row(Text("Faulty elements", style="italic"))
    outer.add_row(grid)
    return outer


def best_qubits(s: CalibrationSummary) -> Group | Text:
    if not s.best_qubits:
        return Text("Best qubits: none ranked (needs readout and 1-qubit gate errors)",
                    style="italic")
    table = house_table(f"Best {len(s.best_qubits)} qubits")
    table.add_figure_column("Qubit", style="bold")
    table.add_figure_column("Score")
    table.add_figure_column("Readout err", drop=4)
    table.add_figure_column("1q gate err", drop=3)
    table.add_figure_column("T1", drop=2)
    table.add_figure_column("T2", drop=1)
    for q in s.best_qubits:
        table.add_row(str(q.qubit), fmt.error(q.score), fmt.error(q.readout_error),
                      fmt.error(q.gate_error), fmt.micro(q.t1), fmt.micro(q.t2))
    return _with_note(table, "score = readout error + mean error of the qubit's 1-qubit "
                             "gates (virtual ones, like rz, left out)")


def best_edges(s: CalibrationSummary) -> Group | Text:
    if not s.best_edges:
        return Text("Best edges: none ranked (needs 2-qubit gate errors)", style="italic")
    table = house_table(f"Best {len(s.best_edges)} edges")
    table.add_figure_column("Qubits", style="bold")
    table.add_column("Gate")
    table.add_figure_column("Error")
    table.add_figure_column("Duration", drop=1)
    for e in s.best_edges:
        table.add_row(f"{e.qubits[0]}-{e.qubits[1]}", e.gate, fmt.error(e.error),
                      fmt.duration(e.duration))
    return _with_note(table, "each pair by its best 2-qubit gate, in either direction")


LAYER_SIZES = (10, 20, 50, 100)
"""Chain lengths ``show`` lists layer fidelities for (those measured), besides the longest:
the points IBM quotes (EPLG on 100 qubits, its headline figure)."""


def layer_fidelities(s: CalibrationSummary) -> Group:
    longest = s.longest_layer
    assert longest is not None  # the caller checks
    shown = [layer for layer in s.layer_fidelities
             if layer.num_qubits in LAYER_SIZES or layer is longest]
    table = house_table(f"Layer fidelity (longest chain: {longest.num_qubits} qubits)")
    table.add_figure_column("N", style="bold")
    table.add_figure_column("LF")
    table.add_figure_column("EPLG")
    table.add_column("Chain", drop=1)
    for layer in shown:
        table.add_row(str(layer.num_qubits), f"{layer.fidelity:.4f}", fmt.error(layer.eplg),
                      _chain(layer.qubits))
    return _with_note(table, f"{len(s.layer_fidelities)} chains measured (all in --json); "
                             "EPLG = 1 - LF^(1/(N - 1)) on N qubits")


def couplers(s: CalibrationSummary) -> Table | Group:
    c = s.couplers
    assert c is not None  # the caller checks
    table = house_table(f"Couplers ({c.num_couplers})")
    table.add_column("Quantity", style="bold")
    table.add_figure_column("Median")
    table.add_figure_column("Best", drop=2)
    table.add_figure_column("Worst", drop=1)
    worst = _hertz(c.static_zz.worst)
    if c.worst_static_zz_qubits is not None:
        worst += f" ({c.worst_static_zz_qubits[0]}-{c.worst_static_zz_qubits[1]})"
    table.add_row("|Static ZZ|", _hertz(c.static_zz.median), _hertz(c.static_zz.best), worst)
    table.add_row("Coupling J", _hertz(c.coupling_median), "", "")
    if c.static_zz.worst == 0.0 and c.coupling_median in (0.0, None):
        return _with_note(table, "every coupler reports 0 (kept as reported)")
    return table


def _chain(qubits: tuple[int, ...] | None) -> str:
    """A chain as ``35-19-15-14``, its ends only when long; ``n/a`` when not reported."""
    if qubits is None:
        return fmt.MISSING
    if len(qubits) <= 8:
        return "-".join(map(str, qubits))
    return f"{'-'.join(map(str, qubits[:4]))}-...-{'-'.join(map(str, qubits[-3:]))}"


def _hertz(value: float | None) -> str:
    """A frequency to three figures in Hz, kHz, MHz or GHz."""
    if value is None:
        return fmt.MISSING
    for scale, unit in ((1e9, "GHz"), (1e6, "MHz"), (1e3, "kHz")):
        if abs(value) >= scale:
            return f"{value / scale:.3g} {unit}"
    return f"{value:.3g} Hz"


# -- values --------------------------------------------------------------------------------


def _errors(spread: Spread) -> tuple[str, str, str | Text]:
    worst: str | Text = fmt.error(spread.worst)
    if spread.worst == 1.0:
        worst = Text(str(worst), style="yellow")
    return fmt.error(spread.median), fmt.error(spread.best), worst


def _count(n: int, style: str) -> str | Text:
    return Text(str(n), style=style) if n else "0"


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


# -- diff ----------------------------------------------------------------------------------


_QUANTITY_NAMES = {
    "t1": "T1", "t2": "T2", "readout_error": "readout error", "error": "error",
    "duration": "duration", "operational": "operational", "present": "present",
    "eplg": "EPLG", "static_zz": "static ZZ",
}
_DIRECTION_NAMES = {
    "appeared": "appeared", "disappeared": "disappeared", "now_unknown": "no longer reported",
    "now_known": "now reported",
}


def diff_tables(diff: CalibrationDiff, *, top: int | None = DIFF_TOP) -> list[Table]:
    """Rich tables for a terminal: a summary, then worse, better and other changes.

    Only non-empty change tables are included; each shows its first ``top`` rows (all when
    ``top`` is None) and says how many it left out. Print each with ``Console().print``.
    """
    if top is not None and top < 0:
        raise ValueError(f"top must be non-negative or None, got {top}")
    tables = [_summary_table(diff)]
    worse, better = diff.worse, diff.better
    other = tuple(c for c in diff.changes if c.direction not in ("worse", "better"))
    if worse:
        tables.append(_change_table("Worse", worse, top, "red"))
    if better:
        tables.append(_change_table("Better", better, top, "green"))
    if other:
        tables.append(_change_table("Other changes", other, top, None))
    return tables


def _summary_table(diff: CalibrationDiff) -> Table:
    old, new = diff.old, diff.new
    # the labels go in rows, not the title: rich wraps a title to the table's width
    table = house_table("Calibration diff")
    table.add_column("", style="bold")
    table.add_figure_column("Old")
    table.add_figure_column("New")
    table.add_figure_column("Change")
    table.add_row("Backend", old.backend_name, new.backend_name,
                  "" if diff.same_device else Text("different device", style="yellow"))
    if old.vendor != new.vendor:
        table.add_row("Vendor", old.vendor, new.vendor, "")
    table.add_row("Taken at", fmt.when(old.taken_at), fmt.when(new.taken_at), "")
    table.add_row("Qubits", str(old.num_qubits), str(new.num_qubits),
                  _count_change(old.num_qubits, new.num_qubits, higher_is_better=True))
    table.add_row("Faulty qubits", str(old.num_faulty_qubits), str(new.num_faulty_qubits),
                  _count_change(old.num_faulty_qubits, new.num_faulty_qubits,
                                higher_is_better=False))
    table.add_row("Faulty gates", str(old.num_faulty_gates), str(new.num_faulty_gates),
                  _count_change(old.num_faulty_gates, new.num_faulty_gates,
                                higher_is_better=False))
    table.add_row("Edges", str(old.num_edges), str(new.num_edges),
                  _count_change(old.num_edges, new.num_edges, higher_is_better=True))
    rows: tuple[tuple[str, str, float | None, float | None], ...] = (
        ("Median T1", "t1", old.t1_median, new.t1_median),
        ("Median T2", "t2", old.t2_median, new.t2_median),
        ("Median readout error", "readout_error", old.readout_error_median,
         new.readout_error_median),
        ("Median 2q error", "error", old.two_qubit_error_median, new.two_qubit_error_median),
    )
    for name, quantity, a, b in rows:
        table.add_row(name, value_text(quantity, a), value_text(quantity, b),
                      _median_change(quantity, a, b))
    if old.eplg is not None or new.eplg is not None:
        table.add_row("EPLG (longest chain)", _eplg(old.eplg, old.eplg_chain_length),
                      _eplg(new.eplg, new.eplg_chain_length),
                      _median_change("eplg", old.eplg, new.eplg))
    if old.static_zz_median is not None or new.static_zz_median is not None:
        table.add_row("Median |static ZZ|", value_text("static_zz", old.static_zz_median),
                      value_text("static_zz", new.static_zz_median),
                      _median_change("static_zz", old.static_zz_median, new.static_zz_median))
    counts = diff.counts()
    other = sum(counts[d] for d in _DIRECTION_NAMES)
    table.caption = (
        f"{counts['worse']} worse, {counts['better']} better, {other} other; "
        f"{counts['unchanged']} unchanged (within {diff.rel_tol:.0%})"
    )
    table.caption_justify = "left"
    return table


def _change_table(title: str, changes: tuple[Change, ...], top: int | None,
                  style: str | None) -> Table:
    shown = changes if top is None else changes[:top]
    heading = f"{title} ({len(changes)})"
    if len(shown) < len(changes):
        heading = f"{title} ({len(changes)}, first {len(shown)} shown)"
    table = house_table(heading)
    table.add_column("Item", style="bold")
    table.add_column("Quantity")
    table.add_figure_column("Old")
    table.add_figure_column("New")
    table.add_figure_column("Change", style=style)
    marker = False
    for c in shown:
        old: str | Text = value_text(c.quantity, c.old)
        new: str | Text = value_text(c.quantity, c.new)
        if c.quantity == "error":
            old, new = _flag_marker(str(old), c.old), _flag_marker(str(new), c.new)
            marker = marker or UNCALIBRATED_ERROR in (c.old, c.new)
        table.add_row(c.label, _QUANTITY_NAMES.get(c.quantity, c.quantity), old, new, _how(c))
    if marker:
        table.caption = "error 1: could not be calibrated"
        table.caption_justify = "left"
    return table


def _flag_marker(text: str, value: Value) -> str | Text:
    return Text(text, style="yellow") if value == UNCALIBRATED_ERROR else text


def _how(change: Change) -> str:
    """The Change column: ``+45%``, ``x12``, ``faulty``, ``repaired``, ``appeared``..."""
    if change.direction in _DIRECTION_NAMES:
        return _DIRECTION_NAMES[change.direction]
    if change.quantity == "operational":
        return "repaired" if change.new else "faulty"
    old, new = change.old, change.new
    if old is None or new is None or isinstance(old, bool) or isinstance(new, bool):
        return ""  # not reachable: worse and better changes are between numbers
    if change.quantity == "static_zz":  # compared by size (see qtargets.diff)
        return relative_change(abs(old), abs(new))
    return relative_change(old, new)


def _eplg(value: float | None, chain_length: int | None) -> str:
    if value is None:
        return fmt.MISSING
    return f"{fmt.error(value)} ({chain_length}q)"


def relative_change(old: float, new: float) -> str:
    """Percent while readable, a factor from 10x up or down, ``from 0`` without a base.

    A factor because a percentage hides the size of a big drop: 1 -> 2.3e-3 is "-100%".
    """
    if old == 0:
        return "from 0"
    if new / old >= 10:
        return f"x{new / old:.3g}"
    if new and old / new >= 10:
        return f"÷{old / new:.3g}"
    return f"{(new - old) / abs(old):+.0%}"


def _median_change(quantity: str, old: float | None, new: float | None) -> str | Text:
    if old is None or new is None:
        return ""
    if new == old:
        return "±0%"
    text = relative_change(old, new)
    worse = (new < old) if quantity in HIGHER_IS_BETTER else (new > old)
    return Text(text, style="red" if worse else "green")


def _count_change(old: int, new: int, *, higher_is_better: bool) -> str | Text:
    if old == new:
        return ""
    worse = (new < old) if higher_is_better else (new > old)
    return Text(f"{new - old:+d}", style="red" if worse else "green")


def value_text(quantity: str, value: Value) -> str:
    """A value in human units: µs for T1/T2, ns for durations, 1.23e-3 for errors."""
    if value is None:
        return fmt.MISSING
    if quantity == "present":
        return "yes" if value else "no"
    if quantity == "operational":
        return "ok" if value else "faulty"
    if quantity in ("t1", "t2"):
        return fmt.micro(value)
    if quantity == "duration":
        return fmt.duration(value)
    if quantity == "static_zz":
        return _hertz(value)
    return fmt.error(value)


# -- rank ----------------------------------------------------------------------------------


def ranks(rows: list[Ranking]) -> list[int | None]:
    """1, 2, ... for the rows with figures; ``None`` for those with an error."""
    return [i if row.error is None else None for i, row in enumerate(rows, 1)]


def ranking_table(rows: list[Ranking], title: str) -> Group:
    table = house_table(title)
    table.add_figure_column("#")
    table.add_column("Device", style="bold")
    table.add_figure_column("Qubits", drop=3)
    table.add_figure_column("ESP\nidle")
    table.add_figure_column("ESP", drop=7)
    table.add_figure_column("Duration", drop=4)
    table.add_figure_column("2q\ngates", drop=2)
    table.add_figure_column("Depth", drop=1)
    table.add_figure_column("Calibration (UTC)", justify="left", drop=5)
    queued = any(row.queue is not None for row in rows)
    if queued:
        table.add_column("Queue", drop=6)
    notes: list[Text] = []
    for rank_, row in zip(ranks(rows), rows, strict=True):
        esp_idle: str | Text = probability(row.esp_idle, row.log_esp_idle)
        if row.error is not None:
            esp_idle = Text("error", style="red")
            notes.append(Text(clean(f"{row.device}: {row.error}"), style="red"))
        elif row.unknown_errors:
            esp_idle = Text.assemble(str(esp_idle), ("*", "yellow"))
            notes.append(Text(clean(f"* {row.device}: {row.unknown_errors} operations "
                                    "without an error figure, counted as perfect"),
                              style="yellow"))
        cells: list[str | Text] = [
                 str(rank_) if rank_ is not None else "-", row.device, str(row.num_qubits),
                 esp_idle, probability(row.esp), fmt.duration(row.duration),
                 fmt.MISSING if row.two_qubit_gates is None else str(row.two_qubit_gates),
                 fmt.MISSING if row.depth is None else str(row.depth),
                 fmt.when(row.taken_at, suffix="")]
        if queued:
            cells.append(row.queue or fmt.MISSING)
        table.add_row(*cells, style="dim" if row.error is not None else None)
    return Group(table, *notes)


def probability(p: float | None, log: float | None = None) -> str:
    """``p`` to three figures; below the smallest float, ``e^-812`` from its log."""
    if p is None:
        return fmt.MISSING
    if p == 0.0 and log is not None and math.isfinite(log):
        return f"e^{log:.0f}"
    return f"{p:.3g}"


# -- machine-readable: --json and --csv --------------------------------------------------------


def json_text(data: Any) -> str:
    """``data`` as JSON: indented, keys in order. A number JSON cannot hold (``-inf``, the log
    of a probability of 0) is ``null``, as unknown values are."""
    return json.dumps(_finite(data), indent=2, allow_nan=False)


def csv_text(rows: Sequence[dict[str, Any]]) -> str:
    """Rows of one shape as CSV: a header of their keys, then one line each. Empty for no
    value, ``true``/``false``, numbers in full precision, lists and objects as JSON, and text
    from data with its control characters escaped, as in the tables."""
    out = io.StringIO()
    if rows:
        writer = csv.DictWriter(out, fieldnames=list(rows[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows({key: _cell(value) for key, value in row.items()} for row in rows)
    return out.getvalue()


def field_rows(data: Any) -> list[dict[str, Any]]:
    """One nested object (``show``'s summary) as rows of ``field`` and ``value``: a row per
    value, ``field`` its path, list items by index (``instructions.0.error.median``)."""
    return [{"field": path, "value": value} for path, value in _leaves(data, "")]


def _leaves(value: Any, path: str) -> Iterator[tuple[str, Any]]:
    if isinstance(value, dict) and value:
        for key, item in value.items():
            yield from _leaves(item, f"{path}.{key}" if path else str(key))
    elif isinstance(value, list) and value:
        for i, item in enumerate(value):
            yield from _leaves(item, f"{path}.{i}" if path else str(i))
    else:
        yield path, value


def _cell(value: Any) -> str:
    value = _finite(value)
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, (list, dict)):
        return json.dumps(value, allow_nan=False)
    return clean(value)


def _finite(data: Any) -> Any:
    if isinstance(data, float) and not math.isfinite(data):
        return None
    if isinstance(data, dict):
        return {key: _finite(value) for key, value in data.items()}
    if isinstance(data, (list, tuple)):
        return [_finite(value) for value in data]
    return data


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None


def device_rows(live: Sequence[ListedDevice], stored: Iterable[tuple[Calibration, int]],
                bundled: Iterable[tuple[Calibration, int]]) -> list[dict[str, Any]]:
    """``qtargets list --json/--csv``: every device of the three tables, one shape."""
    rows = [{"name": d.name, "vendor": d.vendor, "source": "live", "status": d.status,
             "processor": None, "num_qubits": d.num_qubits, "queue": d.queue,
             "taken_at": _iso(d.last_calibration), "stored": None, "bundled_days": None}
            for d in sorted(live, key=lambda d: (d.vendor, d.name))]
    rows += [{"name": cal.backend_name, "vendor": cal.vendor, "source": "stored",
              "status": None, "processor": cal.processor, "num_qubits": cal.num_qubits,
              "queue": None, "taken_at": _iso(cal.taken_at), "stored": count,
              "bundled_days": None}
             for cal, count in stored]
    rows += [{"name": cal.backend_name, "vendor": cal.vendor, "source": "bundled",
              "status": None, "processor": cal.processor, "num_qubits": cal.num_qubits,
              "queue": None, "taken_at": _iso(cal.taken_at), "stored": None,
              "bundled_days": days}
             for cal, days in bundled]
    return rows


def fetched_rows(found: dict[str, Fetched]) -> list[dict[str, Any]]:
    """``qtargets fetch --json/--csv``: one row per name asked for."""
    return [{"name": name, "backend": f.calibration.backend_name,
             "vendor": f.calibration.vendor, "taken_at": _iso(f.calibration.taken_at),
             "snapshot": f.snapshot.id if f.snapshot is not None else None,
             "status": "unchanged" if f.not_modified else "stored"}
            for name, f in found.items()]


def snapshot_rows(snapshots: Sequence[Snapshot]) -> list[dict[str, Any]]:
    """``qtargets history --json/--csv``: one row per stored calibration of the range."""
    return [{"snapshot": s.id, "vendor": s.vendor, "backend": s.backend,
             "taken_at": _iso(s.taken_at), "calibration_id": s.calibration_id,
             "fetched_at": _iso(s.fetched_at), "content_hash": s.content_hash}
            for s in snapshots]


def offline_history_rows(entries: Sequence[HistoryEntry]) -> list[dict[str, Any]]:
    """``qtargets history --offline --json/--csv``: one row per stored or bundled
    calibration of the range (``snapshot``: the store's id, empty for a bundled one)."""
    return [{"backend": e.backend, "taken_at": _iso(e.taken_at), "where": e.where,
             "source": e.source, "snapshot": e.snapshot.id if e.snapshot else None,
             "calibration_id": e.snapshot.calibration_id if e.snapshot else None}
            for e in entries]


def ranking_rows(rows: list[Ranking]) -> list[dict[str, Any]]:
    """``qtargets rank --json/--csv``: one row per device, in rank order."""
    return [{"rank": r, **row.to_dict()} for r, row in zip(ranks(rows), rows, strict=True)]


def change_rows(diff: CalibrationDiff) -> list[dict[str, Any]]:
    """``qtargets diff --csv``: every change (not only the first ``--top``), in the order of
    ``CalibrationDiff.changes`` (worse, better, then the others); ``qubits`` as ``3-4``."""
    return [{"item": c.label, "kind": c.kind, "gate": c.gate,
             "qubits": "-".join(map(str, c.qubits)), "quantity": c.quantity, "old": c.old,
             "new": c.new, "relative": c.relative, "direction": c.direction,
             "chain_length": c.chain_length}
            for c in diff.changes]
