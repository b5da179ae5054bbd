"""``qtargets check``: should a compiled circuit be compiled again for today's calibration?

The command parses its arguments, asks :func:`qtargets.recompile.check`, and prints the advice:
the three scores, the gain, what got worse on the qubits and pairs the circuit uses, and one
line saying recompile or keep. Exit code 0 either way (the advice is the output), unless
``--exit-code`` asks for 1 on "recompile", for scripts.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from .. import _format as fmt
from ..diff import HIGHER_IS_BETTER, Change
from ..live import DEFAULT_TIMEOUT
from ..methods import METHODS
from ..recompile import DEFAULT_THRESHOLD, Advice, check
from ..scoring import Score
from . import render
from ._app import (
    DEVICE_FORMS,
    AsJson,
    Offline,
    Seed,
    Timeout,
    app,
    finite_non_negative,
    one_method,
    user_errors,
)

__all__ = ["EXIT_RECOMPILE", "WORSE_TOP", "advice_view", "check_command"]

EXIT_RECOMPILE = 1
"""Exit code of ``qtargets check --exit-code`` when the advice is to recompile."""

WORSE_TOP = 10
"""How many of the changes that hurt the circuit the table lists (``--json``: all)."""


@app.command("check")
def check_command(
    compiled: Annotated[Path, typer.Argument(
        metavar="COMPILED", help="The compiled circuit: a QPY or OpenQASM 2/3 file, laid out "
                                 "on the device's physical qubits.")],
    compiled_for: Annotated[str, typer.Option(
        "--compiled-for", metavar="DEVICE",
        help=f"The calibration it was compiled for: {DEVICE_FORMS}.")],
    on: Annotated[str | None, typer.Option(
        "--on", metavar="DEVICE",
        help="The newer calibration, same forms. Default: the newest of the same device "
             "(live with credentials, else stored or bundled).")] = None,
    original: Annotated[Path | None, typer.Option(
        "--original", metavar="FILE",
        help="The circuit before compiling, to compile anew (default: the compiled one, its "
             "qubits relabelled; it keeps the old routing, so the gain is a lower bound).")
    ] = None,
    threshold: Annotated[float, typer.Option(
        "--threshold", callback=finite_non_negative,
        help="Recompile when compiling anew gains more than this in esp_idle (0.05: 5%).")
    ] = DEFAULT_THRESHOLD,
    method: Annotated[str, typer.Option(
        "--method", callback=one_method,
        help=f"How to compile anew, one of: {', '.join(METHODS)} (qtargets.methods).")
    ] = "qtargets",
    level: Annotated[int, typer.Option("--level", min=0, max=3,
                                       help="Optimization level.")] = 3,
    seed: Seed = 1,
    exit_code: Annotated[bool, typer.Option(
        "--exit-code", help=f"Exit with {EXIT_RECOMPILE} when the advice is to recompile.")
    ] = False,
    offline: Offline = False,
    timeout: Timeout = DEFAULT_TIMEOUT,
    as_json: AsJson = False,
) -> None:
    """Rescore a compiled circuit on a newer calibration and say whether recompiling pays.

    Compares it as compiled with a fresh compile, and lists what got worse on its qubits.
    """
    with user_errors():
        advice = check(compiled, compiled_for=compiled_for, now=on, original=original,
                       threshold=threshold, method=method, seed=seed,
                       optimization_level=level, live=False if offline else None,
                       timeout=timeout)
    if as_json:
        typer.echo(render.json_text({"circuit": str(compiled), **advice.to_dict()}))
    else:
        render.console().print(advice_view(advice, compiled.name))
    if exit_code and advice.recompile:
        raise typer.Exit(EXIT_RECOMPILE)


def advice_view(advice: Advice, circuit: str) -> Group:
    """The scores, the gain, what got worse and the advice, for the terminal."""
    figures = render.house_table(f"{circuit}: compiled for {advice.compiled_for}")
    figures.add_column("Circuit")
    figures.add_column("Calibration")
    figures.add_figure_column("ESP\nidle")
    figures.add_figure_column("ESP", drop=3)
    figures.add_figure_column("Duration", drop=2)
    figures.add_figure_column("2q\ngates", drop=1)
    figures.add_figure_column("Depth", drop=1)
    rows: list[tuple[str, str, Score | None, str | None]] = [
        ("as compiled", _when(advice.compiled_for), advice.before, None),
        ("as compiled", _when(advice.now), advice.kept, advice.kept_problem),
        ("compiled anew", _when(advice.now), advice.fresh, advice.fresh_problem),
    ]
    for label, calibration, figures_of, problem in rows:
        if figures_of is None:
            why = "cannot run" if problem == advice.kept_problem else "failed"
            figures.add_row(label, calibration, Text(why, style="red"), "", "", "", "")
            continue
        figures.add_row(label, calibration,
                        render.probability(figures_of.esp_idle, figures_of.log_esp_idle),
                        render.probability(figures_of.esp, figures_of.log_esp),
                        fmt.duration(figures_of.duration), str(figures_of.two_qubit_gates),
                        str(figures_of.depth))
    source = "the original circuit" if advice.from_original else (
        "the compiled circuit, its qubits relabelled")
    parts: list[RenderableType] = [figures, Text(
        f"compiled anew: method {advice.method}, level {advice.optimization_level}, seed "
        f"{advice.seed}, from {source}")]
    if advice.gain is not None:
        parts.append(Text(f"gain: {_percent(advice.gain)} esp_idle, "
                          f"{_percent(advice.esp_gain)} esp (threshold "
                          f"{advice.threshold * 100:.3g}%)"))
    worse = advice.worse
    if worse:
        parts.append(Text())
        parts.append(_worse_table(worse, _used(advice)))
    elif advice.changes is not None:
        parts.append(Text(f"nothing got worse on its {_used(advice)}"))
    parts.append(Text(render.clean(advice.reason),
                      style="bold yellow" if advice.recompile else "bold green"))
    return Group(*parts)


def _worse_table(worse: tuple[Change, ...], used: str) -> Table:
    table = render.house_table(f"Worse on its {used}")
    table.add_column("Item", style="bold")
    table.add_column("Quantity")
    table.add_figure_column("Then")
    table.add_figure_column("Now")
    table.add_figure_column("Change", style="red")
    for change in worse[:WORSE_TOP]:
        table.add_row(change.label, change.quantity, _value(change, change.old),
                      _value(change, change.new), _how(change))
    if len(worse) > WORSE_TOP:
        table.caption = f"and {len(worse) - WORSE_TOP} more (--json lists every one)"
        table.caption_justify = "left"
    return table


def _used(advice: Advice) -> str:
    """``8 qubits and 7 pairs``."""
    qubits, pairs = len(advice.qubits), len(advice.pairs)
    return (f"{qubits} qubit{'s' * (qubits != 1)} and {pairs} "
            f"pair{'s' * (pairs != 1)}")


def _when(label: str) -> str:
    """``2025-02-26 19:43 UTC`` from a calibration's label (the name is in the title)."""
    _, at, moment = label.partition(" @ ")
    return moment if at else label


def _percent(x: float | None) -> str:
    if x is None:
        return fmt.MISSING
    return f"{x * 100:+.3g}%"


def _value(change: Change, value: float | bool | None) -> str:
    if value is None:
        return fmt.MISSING
    if change.quantity == "present":
        return "yes" if value else "no"
    if change.quantity == "operational":
        return "ok" if value else "faulty"
    if isinstance(value, bool):
        return str(value)
    if change.quantity in ("t1", "t2"):
        return fmt.micro(value)
    if change.quantity == "duration":
        return fmt.duration(value)
    return fmt.error(value)


def _how(change: Change) -> str:
    if change.direction == "disappeared":
        return "gone"
    if change.quantity == "operational":
        return "faulty"
    old, new = change.old, change.new
    if isinstance(old, bool) or isinstance(new, bool) or not old or new is None:
        return ""
    factor = new / old
    if change.quantity in HIGHER_IS_BETTER:
        return f"÷{1 / factor:.3g}" if factor and factor <= 0.5 else f"{factor - 1:+.0%}"
    return f"x{factor:.3g}" if factor >= 2 else f"{factor - 1:+.0%}"
