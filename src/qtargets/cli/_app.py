"""The ``qtargets`` typer application and what every command shares: errors as one red line
(a user error, and a bad option value alike), the options several commands take, and the
parameter checks behind them, one per kind of value, so that every option of a kind is
checked the same way before any work starts."""

from __future__ import annotations

import math
import os
import re
import warnings
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any, Literal, TextIO

import typer
from rich.console import Console
from rich.text import Text
from typer.core import TyperGroup

from .._exceptions import CalibrationError, QTargetsError
from .._version import __version__
from ..devices import Device, DeviceSpec, resolve_all
from ..errormap import check_image_file
from ..live import DEFAULT_TIMEOUT, MAX_SECONDS, parse_when
from ..methods import METHODS
from .render import clean

__all__ = [
    "EXIT_NOTHING_SCORED",
    "EXIT_USAGE",
    "MAX_DPI",
    "MAX_SECONDS",
    "MAX_SEED",
    "MAX_WORKERS",
    "MIN_DPI",
    "AsCsv",
    "AsJson",
    "Format",
    "Offline",
    "Seed",
    "Timeout",
    "app",
    "comma_list",
    "device",
    "device_list",
    "dpi",
    "error_line",
    "file_name",
    "finite_non_negative",
    "image_file",
    "iso_time",
    "main",
    "method_list",
    "one_method",
    "output_file",
    "output_format",
    "positive_seconds",
    "seed_list",
    "user_errors",
]

EXIT_USAGE = 2
"""Exit code for input the user got wrong: a bad option value, an unknown device, a file that
is not a calibration (the code click's own usage errors have)."""

EXIT_NOTHING_SCORED = 1
"""Exit code of ``qtargets rank`` when no device could be scored (the table says why)."""

MAX_SEED = 2**32 - 1
"""The largest transpiler seed every layout method takes (numpy's and qiskit's Rust passes)."""

MAX_DPI = 600.0
"""The largest ``--dpi``: the error map is 10 x 10 inches, so 6000 x 6000 pixels (144 MB of
pixels while drawing). Larger ones exhaust memory; a vector format (.svg, .pdf) scales
without limit."""

MIN_DPI = 10.0

MAX_WORKERS = 4 * (os.cpu_count() or 1)
"""The most ``sweep --workers``: four per core (more only compete for the cores, each with
qiskit loaded)."""

Format = Literal["table", "json", "csv"]


def error_line(text: str) -> None:
    """One red ``error: ...`` line on stderr, however narrow the terminal."""
    message = Text.assemble(("error: ", "bold red"), (clean(text), "red"))
    Console(stderr=True).print(message, soft_wrap=True)  # soft_wrap: never broken in two


_UsageError: type[Exception] = typer.BadParameter.__mro__[1]
"""click's UsageError (or that of the copy of click recent typer versions carry): every bad
value, missing argument or unknown option raises one."""
assert _UsageError.__name__ == "UsageError"


def _usage_error(exc: Exception, ctx: Any) -> typer.Exit:
    """``exc``, a usage error, said in one red line; the exit to raise instead."""
    where = getattr(getattr(exc, "ctx", None) or ctx, "command_path", "qtargets")
    message: str = getattr(exc, "format_message", exc.__str__)()
    error_line(f"{message} (see: {where} --help)")
    return typer.Exit(EXIT_USAGE)


class _Commands(TyperGroup):
    """The root command: a usage error (a bad option value, a missing argument, an unknown
    option or command) is one red line naming the option, exit code 2, like every other user
    error, instead of click's usage block and framed panel."""

    def make_context(self, info_name: Any, args: Any, parent: Any = None,
                     **extra: Any) -> Any:
        try:
            return super().make_context(info_name, args, parent, **extra)
        except _UsageError as exc:
            if type(exc).__name__ == "NoArgsIsHelpError":  # no command: the help, as it was
                raise
            raise _usage_error(exc, None) from None

    def invoke(self, ctx: Any) -> Any:
        try:
            return super().invoke(ctx)
        except _UsageError as exc:
            raise _usage_error(exc, ctx) from None


app = typer.Typer(
    name="qtargets",
    cls=_Commands,
    help="Real quantum-hardware calibrations, summarised (and ready as qiskit Targets).",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_show_locals=False,
)

DEVICE_FORMS = ("NAME (bundled, stored or live), NAME@TIME (ISO 8601, UTC) or a calibration "
                "JSON file")
"""How a command's device argument is described (the forms: qtargets.devices)."""

Offline = Annotated[bool, typer.Option(
    "--offline", help="Stored and bundled calibrations only; no network.")]


# -- checks of option values: one per kind, shared by every option of that kind -----------------


def _finite(low: float, high: float, *, above: bool, what: str
            ) -> Callable[[float | None], float | None]:
    """A typer callback: a finite number in ``[low, high]`` (``(low, high]`` if ``above``),
    or a usage error. NaN and infinities are refused (click's FloatRange lets NaN through)."""
    sign = ">" if above else ">="
    bounds = f"{sign} {low:g}" + (f" and <= {high:g}" if high < math.inf else "")

    def check(value: float | None) -> float | None:
        if value is None:
            return None
        inside = (low < value if above else low <= value) and value <= high
        if not (math.isfinite(value) and inside):
            raise typer.BadParameter(f"expected {what} {bounds}, got {value!r}")
        return value

    return check


positive_seconds = _finite(0.0, MAX_SECONDS, above=True, what="a number of seconds")
"""``--timeout``: positive, finite, at most :data:`MAX_SECONDS`."""

finite_non_negative = _finite(0.0, math.inf, above=False, what="a finite number")
"""A tolerance (``diff --tol``): finite and >= 0."""

dpi = _finite(MIN_DPI, MAX_DPI, above=False, what="pixels per inch")
"""``map --dpi``: 10 to :data:`MAX_DPI`."""


def _seed(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise typer.BadParameter(f"expected comma-separated integers, got {text!r}") from None
    if not 0 <= value <= MAX_SEED:
        raise typer.BadParameter(f"a seed is an integer from 0 to {MAX_SEED}, got {value}")
    return value


def seed_list(value: str) -> str:
    """``sweep --seeds``: comma-separated seeds, each as ``--seed`` takes it."""
    if not comma_list([value]):
        raise typer.BadParameter("expected at least one seed")
    for item in comma_list([value]):
        _seed(item)
    return value


def one_method(name: str) -> str:
    """``rank --method``: one of :data:`qtargets.methods.METHODS`."""
    if name not in METHODS:
        raise typer.BadParameter(f"{name!r} is not one of {', '.join(METHODS)}")
    return name


def method_list(value: str) -> str:
    """``sweep --methods``: comma-separated names, each one of the methods."""
    names = comma_list([value])
    if not names:
        raise typer.BadParameter(f"expected at least one of {', '.join(METHODS)}")
    for name in names:
        one_method(name)
    return value


def iso_time(value: str | None) -> str | None:
    """``--since``, ``--until``: an ISO 8601 date or date-time."""
    if value is None:
        return None
    try:
        parse_when(value)
    except QTargetsError:
        raise typer.BadParameter(f"expected an ISO 8601 date or date-time (UTC unless it says "
                                 f"otherwise, e.g. 2025-06-01 or 2025-06-01T12:00:00Z), got "
                                 f"{value!r}") from None
    return value


def output_file(value: Path | None) -> Path | None:
    """A file a command writes (``--out``): not a directory. Its missing parent directories
    are created when it is written."""
    if value is not None and value.is_dir():
        raise typer.BadParameter(f"{str(value)!r} is a directory; give a file name")
    return value


def image_file(value: Path | None) -> Path | None:
    """An image to write (``map --out``, ``sweep --plot``): its suffix picks the format, so it
    must name one matplotlib writes; checked before any work (needs matplotlib)."""
    if output_file(value) is None:
        return None
    assert value is not None
    if not value.suffix:
        raise typer.BadParameter(f"{str(value)!r} has no suffix to pick the image format by "
                                 "(.png, .svg, .pdf...)")
    try:
        check_image_file(value)
    except QTargetsError as exc:
        raise typer.BadParameter(str(exc)) from None
    return value


Timeout = Annotated[float, typer.Option(
    "--timeout", callback=positive_seconds, metavar="SECONDS",
    help="Deadline of the live part in all, retries included; then stored or bundled data "
         "with a warning, or an error.")]

Seed = Annotated[int, typer.Option(
    "--seed", min=0, max=MAX_SEED, help=f"Transpiler seed, 0 to {MAX_SEED}.")]

AsJson = Annotated[bool, typer.Option(
    "--json", help="Print everything as JSON instead of tables (SI units, null for unknown).")]

AsCsv = Annotated[bool, typer.Option(
    "--csv", help="Print everything as CSV instead of tables (docs/cli.md: the rows).")]


def output_format(as_json: bool, as_csv: bool) -> Format:
    """What ``--json`` and ``--csv`` ask for; both at once is a usage error."""
    if as_json and as_csv:
        raise typer.BadParameter("give one of them", param_hint="'--json' / '--csv'")
    return "json" if as_json else "csv" if as_csv else "table"


# -- the application --------------------------------------------------------------------------


def main() -> None:
    """Entry point of the ``qtargets`` console script."""
    app()


def _version(value: bool) -> None:
    if value:
        typer.echo(f"qtargets {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    ctx: typer.Context,
    version: Annotated[
        bool,
        typer.Option("--version", callback=_version, is_eager=True,
                     help="Print the qtargets version and exit."),
    ] = False,
) -> None:
    """Real quantum-hardware calibrations, summarised (and ready as qiskit Targets)."""
    shown = warnings.showwarning
    warnings.showwarning = _show_warning
    ctx.call_on_close(lambda: setattr(warnings, "showwarning", shown))


def _show_warning(message: Warning | str, category: type[Warning], filename: str,
                  lineno: int, file: TextIO | None = None, line: str | None = None) -> None:
    """A warning as one yellow line on stderr: its message, not the file and line of
    Python source that raised it."""
    Console(stderr=True).print(Text(f"warning: {clean(message)}", style="yellow"),
                               soft_wrap=True)


@contextmanager
def user_errors(source: str | None = None) -> Iterator[None]:
    """Turn errors the user caused into one red stderr line and exit code 2.

    A CalibrationError names the bad field but not always the file it is in, so ``source``
    is put in front of it unless the message starts with it (a vendor file's reader names
    the file).
    """
    try:
        yield
    except (QTargetsError, OSError) as exc:
        text = str(exc)
        if (source and isinstance(exc, CalibrationError)
                and not text.startswith((source, Path(source).name))):
            text = f"{source}: {text}"
        error_line(text)
        raise typer.Exit(EXIT_USAGE) from None


def device(spec: DeviceSpec, offline: bool = False,
           timeout: float = DEFAULT_TIMEOUT) -> Device:
    """The device a command's argument names, in any form qtargets.devices accepts."""
    (found,) = resolve_all([spec], live=False if offline else None, timeout=timeout)
    return found


def file_name(name: str, suffix: str) -> Path:
    """A file in the working directory named after ``name`` (a device's name, from data):
    reduced to letters, digits, ``.``, ``-`` and ``_``, so that no name (``../../x``,
    ``/etc/x``) can put the file anywhere else."""
    stem = re.sub(r"[^A-Za-z0-9._-]+", "_", name).strip("._")[:100] or "device"
    return Path(stem + suffix)


def comma_list(specs: Iterable[str]) -> list[str]:
    """Option values given comma-separated, repeated, or both, as one list."""
    return [item.strip() for spec in specs for item in spec.split(",") if item.strip()]


def device_list(specs: Iterable[str]) -> list[str]:
    """Devices given comma-separated, repeated, or both (``-b``): as :func:`comma_list`, except
    that a value naming an existing file is one device, commas and all, so ``-b`` takes a
    calibration file wherever ``show`` and ``map`` take it."""
    found: list[str] = []
    for spec in specs:
        found += [spec] if Path(spec).is_file() else comma_list([spec])
    return found
