"""Everything the ``qtargets`` command prints, in one place: the house table style and a
renderer per command. Numbers come formatted from :mod:`qtargets._format` (shared with the
error map); the figures themselves from the library (summaries, diffs, rankings), so the JSON
output and the tables cannot disagree. The only module, with the commands, that imports rich.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from typing import Any

from rich import box
from rich.console import Console, Group, RenderableType
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from .. import _format as fmt
from ..diff import HIGHER_IS_BETTER, CalibrationDiff, Change, Value
from ..model import UNCALIBRATED_ERROR, Calibration
from ..ranking import Ranking
from ..store import Snapshot
from ..summary import CalibrationSummary, FaultyGate, Spread
from ..vendors import Fetched, ListedDevice

__all__ = [
    "DIFF_TOP",
    "bundled_table",
    "diff_tables",
    "fetched_table",
    "history_table",
    "house_table",
    "listed_table",
    "probability",
    "problem",
    "ranking_table",
    "ranks",
    "show_sections",
]

DIFF_TOP = 20
"""How many rows each table of :func:`diff_tables` shows unless told otherwise."""


clean = fmt.printable
"""Data shown in the terminal: control characters escaped (see :func:`_format.printable`)."""


class _Table(Table):
    """A rich Table whose plain string cells are literal, cleaned text: a name from data such
    as ``"[red]x"`` or one holding an ESC sequence is shown as it is, never interpreted.
    Styled cells are :class:`~rich.text.Text`."""

    def add_row(self, *cells: RenderableType | None, **options: Any) -> None:
        super().add_row(*(Text(clean(c)) if isinstance(c, str) else c for c in cells),
                        **options)


def house_table(title: str) -> Table:
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
    for header in ("Name", "Vendor", "Status", "Qubits", "Queue", "Last calibration"):
        out.add_column(header, no_wrap=True, justify="right" if header == "Qubits" else "left")
    for d in sorted(found, key=lambda d: (d.vendor, d.name)):
        out.add_row(d.name, d.vendor, d.status, str(d.num_qubits or fmt.MISSING), d.queue,
                    fmt.when(d.last_calibration))
    return out


def bundled_table(calibrations: Iterable[tuple[str, Calibration]]) -> Table:
    """``qtargets list``: the calibrations shipped with the package."""
    out = house_table("Bundled calibrations")
    out.add_column("Name", style="bold", no_wrap=True)
    out.add_column("Vendor", no_wrap=True)
    out.add_column("Processor", no_wrap=True)
    out.add_column("Qubits", justify="right", no_wrap=True)
    out.add_column("Taken at (UTC)", no_wrap=True)
    for name, cal in calibrations:
        out.add_row(name, cal.vendor, cal.processor or fmt.MISSING, str(cal.num_qubits),
                    fmt.when(cal.taken_at, suffix=""))
    return out


def fetched_table(found: dict[str, Fetched]) -> Table:
    """``qtargets fetch``: what each fetch stored, or found unchanged."""
    out = house_table("Fetched")
    for header in ("Name", "Taken at", "Snapshot", ""):
        out.add_column(header, no_wrap=True)
    for name, fetched in found.items():
        snap = fetched.snapshot
        out.add_row(name, fmt.when(fetched.calibration.taken_at),
                    str(snap.id) if snap is not None else fmt.MISSING,
                    "unchanged" if fetched.not_modified else Text("stored", style="green"))
    return out


def history_table(name: str, snapshots: Sequence[Snapshot]) -> Table:
    """``qtargets history``: the stored calibrations of a range."""
    out = house_table(f"{name}: {len(snapshots)} calibrations stored in the range")
    for header in ("Taken at", "Calibration id", "Snapshot"):
        out.add_column(header, no_wrap=True)
    for snap in snapshots:
        out.add_row(fmt.when(snap.taken_at), snap.calibration_id or fmt.MISSING, str(snap.id))
    return out


# -- show ------------------------------------------------------------------------------------


def show_sections(s: CalibrationSummary) -> list[Panel | Group | Table | Text]:
    """``qtargets show``: header, operations, qubits, faulty elements, best qubits and edges."""
    return [header(s), operations(s), qubits(s), faulty(s), best_qubits(s), best_edges(s)]


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
            fmt.duration(inst.median_duration),
            style="dim" if global_ else None,
        )
    return _with_note(table, "Usable entries only (operational, no faulty qubit; others shown "
                             "as -n). Error = 1 only in worst.")


def qubits(s: CalibrationSummary) -> Table:
    table = house_table(f"Qubits ({s.num_operational_qubits} operational)")
    table.add_column("Quantity", style="bold")
    table.add_column("Median", justify="right")
    table.add_column("Best", justify="right")
    table.add_column("Worst", justify="right")
    table.add_row("Readout error", *_errors(s.readout_error))
    table.add_row("T1", fmt.micro(s.t1_median), "", "")
    table.add_row("T2", fmt.micro(s.t2_median), "", "")
    return table


def faulty(s: CalibrationSummary) -> Table:
    grid = _Table.grid(padding=(0, 2))
    grid.add_column(style="bold", no_wrap=True)
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
    table.add_column("Qubit", justify="right", style="bold")
    table.add_column("Score", justify="right")
    table.add_column("Readout err", justify="right")
    table.add_column("1q gate err", justify="right")
    table.add_column("T1", justify="right")
    table.add_column("T2", justify="right")
    for q in s.best_qubits:
        table.add_row(str(q.qubit), fmt.error(q.score), fmt.error(q.readout_error),
                      fmt.error(q.gate_error), fmt.micro(q.t1), fmt.micro(q.t2))
    return _with_note(table, "score = readout error + mean error of the qubit's 1-qubit "
                             "gates (virtual ones, like rz, left out)")


def best_edges(s: CalibrationSummary) -> Group | Text:
    if not s.best_edges:
        return Text("Best edges: none ranked (needs 2-qubit gate errors)", style="italic")
    table = house_table(f"Best {len(s.best_edges)} edges")
    table.add_column("Qubits", justify="right", style="bold")
    table.add_column("Gate")
    table.add_column("Error", justify="right")
    table.add_column("Duration", justify="right")
    for e in s.best_edges:
        table.add_row(f"{e.qubits[0]}-{e.qubits[1]}", e.gate, fmt.error(e.error),
                      fmt.duration(e.duration))
    return _with_note(table, "each pair by its best 2-qubit gate, in either direction")


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
    table.add_column("", style="bold", no_wrap=True)
    table.add_column("Old", justify="right", no_wrap=True)
    table.add_column("New", justify="right", no_wrap=True)
    table.add_column("Change", justify="right", no_wrap=True)
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
        table.add_row(name, _value(quantity, a), _value(quantity, b),
                      _median_change(quantity, a, b))
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
    table.add_column("Item", style="bold", no_wrap=True)
    table.add_column("Quantity", no_wrap=True)
    table.add_column("Old", justify="right", no_wrap=True)
    table.add_column("New", justify="right", no_wrap=True)
    table.add_column("Change", justify="right", no_wrap=True, style=style)
    marker = False
    for c in shown:
        old: str | Text = _value(c.quantity, c.old)
        new: str | Text = _value(c.quantity, c.new)
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
    return _relative(old, new)


def _relative(old: float, new: float) -> str:
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
    text = _relative(old, new)
    worse = (new < old) if quantity in HIGHER_IS_BETTER else (new > old)
    return Text(text, style="red" if worse else "green")


def _count_change(old: int, new: int, *, higher_is_better: bool) -> str | Text:
    if old == new:
        return ""
    worse = (new < old) if higher_is_better else (new > old)
    return Text(f"{new - old:+d}", style="red" if worse else "green")


def _value(quantity: str, value: Value) -> str:
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
    return fmt.error(value)


# -- rank ----------------------------------------------------------------------------------


def ranks(rows: list[Ranking]) -> list[int | None]:
    """1, 2, ... for the rows with figures; ``None`` for those with an error."""
    return [i if row.error is None else None for i, row in enumerate(rows, 1)]


def ranking_table(rows: list[Ranking], title: str) -> Group:
    table = house_table(title)
    table.add_column("#", justify="right", no_wrap=True)
    table.add_column("Device", style="bold", no_wrap=True)
    for header in ("Qubits", "ESP\nidle", "ESP", "Duration", "2q\ngates", "Depth"):
        table.add_column(header, justify="right", no_wrap=True)
    table.add_column("Calibration (UTC)", no_wrap=True)
    queued = any(row.queue is not None for row in rows)
    if queued:
        table.add_column("Queue", no_wrap=True)
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
