"""The commands across calibration days, ``qtargets drift`` and ``qtargets window``, and what
they print. Both read every calibration available offline (the local store and the bundled
history, :mod:`qtargets.drift`), never the network: ``qtargets history NAME --since DATE``
downloads more days into the store first."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table
from rich.text import Text

from .. import _format as fmt
from ..drift import (
    CalibrationWindow,
    DaySummary,
    DriftReport,
    ElementDrift,
    FaultEvent,
    Quartiles,
    device_drift,
    in_force,
    plot_drift,
)
from . import render
from ._app import AsCsv, AsJson, app, image_file, iso_time, output_format, user_errors
from .render import clean, relative_change, value_text

__all__ = ["DRIFT_TOP", "drift_command", "drift_rows", "drift_tables", "summary_line",
           "window_command", "window_headline", "window_tables"]

DRIFT_TOP = 10
"""How many elements ``qtargets drift`` lists as having moved most, unless told otherwise."""


@app.command("drift")
def drift_command(
    name: Annotated[str, typer.Argument(metavar="NAME", help="A device, e.g. ibm_sherbrooke.")],
    since: Annotated[str | None, typer.Option(
        "--since", callback=iso_time, help="First calibration time, ISO date or date-time "
                                           "(UTC).")] = None,
    until: Annotated[str | None, typer.Option(
        "--until", callback=iso_time, help="Last calibration time, ISO date or date-time "
                                           "(UTC).")] = None,
    top: Annotated[int, typer.Option("--top", min=0, help="Elements that moved most to list.")
                   ] = DRIFT_TOP,
    plot: Annotated[Path | None, typer.Option(
        "--plot", callback=image_file,
        help="Also draw the per-calibration distributions to this image; the suffix picks "
             "the format (.png, .svg, .pdf).")] = None,
    as_json: AsJson = False,
    as_csv: AsCsv = False,
) -> None:
    """How a device moved across its calibration days (stored and bundled, offline): medians
    per calibration, the elements that moved most, those that became faulty or recovered."""
    form = output_format(as_json, as_csv)
    with user_errors():
        report = device_drift(name, since, until)
        if plot is not None:
            plot.parent.mkdir(parents=True, exist_ok=True)
            plot_drift(report, plot)
    if form == "json":
        typer.echo(render.json_text(report.to_dict()))
        return
    if form == "csv":
        typer.echo(render.csv_text(drift_rows(report)), nl=False)
        return
    console = render.console()
    console.print(Text(clean(summary_line(report)), style="bold"))
    for table in drift_tables(report, top=top):
        console.print()
        console.print(table)
    if plot is not None:
        console.print()
        console.print(Text(clean(f"Plot: {plot}")))


@app.command("window")
def window_command(
    name: Annotated[str, typer.Argument(metavar="NAME", help="A device, e.g. ibm_sherbrooke.")],
    start: Annotated[str, typer.Argument(
        metavar="START", callback=iso_time, help="ISO date or date-time (UTC).")],
    end: Annotated[str, typer.Argument(
        metavar="END", callback=iso_time, help="ISO date or date-time (UTC).")],
    as_json: AsJson = False,
) -> None:
    """The calibrations in force over a time window (stored and bundled, offline), and what
    changed whenever another came into force."""
    with user_errors():
        window = in_force(name, start, end)
    if as_json:
        typer.echo(render.json_text(window.to_dict()))
        return
    console = render.console()
    console.print(Text(clean(window_headline(window)), style="bold"))
    for table in window_tables(window):
        console.print()
        console.print(table)


# -- drift -----------------------------------------------------------------------------------


def summary_line(report: DriftReport) -> str:
    """``ibm_sherbrooke, 3 calibrations 2023-01-03 to 2025-02-26: median T1 304 -> 278 µs,
    ...; 10 elements became faulty, 4 recovered``."""
    first, last = report.days[0], report.days[-1]
    parts = [f"{label} {value_text(quantity, _median(getattr(first, field)))} -> "
             f"{value_text(quantity, _median(getattr(last, field)))}"
             for label, field, quantity in _MEDIANS]
    return (f"{report.backend_name}, {len(report.days)} calibrations "
            f"{_day(first)} to {_day(last)}: median " + ", ".join(parts)
            + f"; {len(report.became_faulty)} elements became faulty, "
              f"{len(report.recovered)} recovered")


_MEDIANS = (("T1", "t1", "t1"), ("T2", "t2", "t2"), ("readout error", "readout_error", "error"),
            ("1q error", "one_qubit_error", "error"), ("2q error", "two_qubit_error", "error"))
"""(label, DaySummary field, how its values are written)."""


def drift_tables(report: DriftReport, *, top: int | None = DRIFT_TOP) -> list[Table]:
    """The medians per calibration, the elements that moved most (the first ``top``; gates
    whose numbers move together on the same qubits, such as IBM's ``sx`` and ``x``, share a
    row), and the elements that became faulty or recovered."""
    tables = [_days_table(report.days)]
    moved = _merged(report.moved_most())
    shown = moved if top is None else moved[:top]
    heading = f"Moved most ({len(moved)} moved"
    heading += f", first {len(shown)} shown)" if len(shown) < len(moved) else ")"
    tables.append(_moved_table(heading, shown))
    tables.append(_faults_table(report.faults))
    return tables


def _days_table(days: Sequence[DaySummary]) -> Table:
    table = render.house_table("Medians per calibration (quartiles: --json)")
    table.add_figure_column("Taken at (UTC)", justify="left")
    for label, _, _ in _MEDIANS:
        table.add_figure_column(label[0].upper() + label[1:], drop=1 if "q" in label else None)
    table.add_figure_column("Faulty\nqubits", drop=2)
    table.add_figure_column("Faulty\n2q", drop=2)
    for day in days:
        table.add_row(fmt.when(day.taken_at, suffix=""),
                      *(value_text(quantity, _median(getattr(day, field)))
                        for _, field, quantity in _MEDIANS),
                      str(day.num_faulty_qubits), str(day.num_faulty_edges))
    return table


def _merged(elements: Sequence[ElementDrift]) -> list[tuple[str, ElementDrift]]:
    """Elements with their labels; gates on the same qubits whose values are the same every
    day (IBM reports one error for ``sx``, ``x`` and ``id``) as one ``sx/x 10`` row."""
    rows: dict[tuple[Any, ...], tuple[list[str], ElementDrift]] = {}
    for element in elements:
        key = (element.kind, element.qubits, element.quantity, element.values)
        if element.gate is not None and key in rows:
            rows[key][0].append(element.gate)
        else:
            rows[key if element.gate is not None else (id(element),)] = (
                [element.gate] if element.gate else [], element)
    out = []
    for gates, element in rows.values():
        label = element.label if not gates else (
            f"{'/'.join(gates)} {'-'.join(map(str, element.qubits))}")
        out.append((label, element))
    return out


def _moved_table(heading: str, rows: Sequence[tuple[str, ElementDrift]]) -> Table:
    table = render.house_table(heading)
    table.add_column("Item", style="bold")
    table.add_column("Quantity")
    table.add_figure_column("Median", drop=3)
    table.add_figure_column("Lowest", drop=2)
    table.add_figure_column("Highest", drop=2)
    table.add_figure_column("Swing")
    table.add_figure_column("Worst\nchange", style="red")
    table.add_figure_column("On (UTC)", justify="left", drop=1)
    for label, e in rows:
        worst = e.worst_change
        change = ("" if worst is None
                  else relative_change(float(worst.old or 0), float(worst.new or 0)))
        table.add_row(label, _QUANTITIES.get(e.quantity, e.quantity),
                      value_text(e.quantity, e.median), value_text(e.quantity, e.low),
                      value_text(e.quantity, e.high), _swing(e.swing), change,
                      "" if e.worst_at is None else _day_of(e.worst_at))
    table.caption = ("Swing: highest / lowest over the calibrations. Worst change: the largest "
                     "worsening from one calibration to the next, on the day of the later one "
                     "(old and new values: --json, --csv)")
    table.caption_justify = "left"
    return table


def _faults_table(faults: Sequence[FaultEvent]) -> Table:
    faulty = sum(f.became == "faulty" for f in faults)
    table = render.house_table(f"Became faulty or recovered ({faulty} faulty, "
                               f"{len(faults) - faulty} recovered)")
    table.add_column("Item", style="bold")
    table.add_column("Became")
    table.add_figure_column("Between (UTC)", justify="left")
    table.add_column("Why", drop=1)
    for label, f in _both_ways(faults):
        table.add_row(label, Text(f.became, style="red" if f.became == "faulty" else "green"),
                      f"{_day_of(f.before)} -> {_day_of(f.at)}",
                      "error 1 (could not be calibrated)" if f.reason == "uncalibrated"
                      else "marked non-operational")
    return table


def _both_ways(faults: Sequence[FaultEvent]) -> list[tuple[str, FaultEvent]]:
    """The events with their labels; a gate on a pair that switched both ways round at once
    (IBM calibrates ``cz`` on 3-4 and on 4-3) as one ``cz 3-4 (both ways)`` row."""
    seen = {(f.gate, f.qubits, f.became, f.at, f.reason) for f in faults}
    rows = []
    for f in faults:
        reverse = (f.gate, f.qubits[::-1], f.became, f.at, f.reason)
        if len(f.qubits) == 2 and reverse in seen:
            if f.qubits[0] < f.qubits[1]:
                rows.append((f"{f.label} (both ways)", f))
            continue
        rows.append((f.label, f))
    return rows


def drift_rows(report: DriftReport) -> list[dict[str, Any]]:
    """``qtargets drift --csv``: one row per element and quantity (every one, not only the
    first ``--top``), qubits first; ``values`` one per calibration, oldest first, and
    ``faults`` the element's switches, e.g. ``faulty 2024-05-27T18:19:05+00:00``."""
    events: dict[tuple[Any, ...], list[str]] = {}
    for f in report.faults:
        events.setdefault((f.kind, f.qubits, f.gate), []).append(
            f"{f.became} {f.at.isoformat()}")
    rows = []
    for e in report.elements:
        worst = e.worst_change
        rows.append({
            "item": e.label, "kind": e.kind, "gate": e.gate,
            "qubits": "-".join(map(str, e.qubits)), "quantity": e.quantity,
            "values": list(e.values), "median": e.median, "low": e.low, "high": e.high,
            "swing": e.swing,
            "worst_old": None if worst is None else worst.old,
            "worst_new": None if worst is None else worst.new,
            "worst_factor": None if worst is None else worst.severity,
            "worst_before": None if e.worst_before is None else e.worst_before.isoformat(),
            "worst_at": None if e.worst_at is None else e.worst_at.isoformat(),
            "faulty_days": e.faulty_days,
            "faults": "; ".join(events.get((e.kind, e.qubits, e.gate), [])) or None,
        })
    return rows


_QUANTITIES = {"t1": "T1", "t2": "T2", "readout_error": "readout error", "error": "error",
               "duration": "duration"}


def _median(q: Quartiles | None) -> float | None:
    return None if q is None else q.median


def _swing(swing: float | None) -> str:
    if swing is None:
        return fmt.MISSING
    return "from 0" if swing == float("inf") else f"x{swing:.3g}"


def _day(day: DaySummary) -> str:
    return _day_of(day.taken_at)


def _day_of(moment: Any) -> str:
    return fmt.when(moment, suffix="")[:10] if moment is not None else fmt.MISSING


# -- window ----------------------------------------------------------------------------------


def window_headline(window: CalibrationWindow) -> str:
    """``ibm_sherbrooke from 2024-01-01 00:00:00 UTC to 2025-01-01 00:00:00 UTC: 2
    calibrations in force, changed once``."""
    count = len(window.calibrations)
    verdict = (f"{count} calibrations in force, changed {count - 1} times" if count > 2 else
               "2 calibrations in force, changed once" if count == 2 else
               "1 calibration in force, no change")
    return (f"{window.backend_name} from {fmt.when(window.start)} to {fmt.when(window.end)}: "
            f"{verdict}")


def window_tables(window: CalibrationWindow) -> list[Table]:
    """The calibrations in force over the window (their sources are in ``--json``), then the
    summary of each change (``qtargets diff``'s first table)."""
    count = len(window.calibrations)
    table = render.house_table("In force")
    table.add_figure_column("Taken at (UTC)", justify="left")
    table.add_figure_column("In force from", justify="left")
    table.add_figure_column("Until", justify="left")
    for i, cal in enumerate(window.calibrations):
        assert cal.taken_at is not None  # in_force places every calibration in time
        until = (window.calibrations[i + 1].taken_at if i + 1 < count else window.end)
        table.add_row(fmt.when(cal.taken_at, suffix=""),
                      fmt.when(max(cal.taken_at, window.start), suffix=""),
                      fmt.when(until, suffix=""))
    table.caption = "Where each came from: --json"
    table.caption_justify = "left"
    return [table, *(render.diff_tables(d, top=0)[0] for d in window.diffs)]
