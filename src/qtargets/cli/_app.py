"""The ``qtargets`` typer application and what every command shares: user errors as one red
line, the options several commands take, comma-separated lists."""

from __future__ import annotations

import math
import re
import warnings
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, TextIO

import typer
from rich.console import Console
from rich.text import Text

from .._exceptions import CalibrationError, QTargetsError
from .._version import __version__
from ..devices import Device, DeviceSpec, resolve_all
from ..live import DEFAULT_TIMEOUT
from .render import clean

__all__ = ["EXIT_USAGE", "Offline", "Timeout", "app", "comma_list", "device", "file_name",
           "main", "user_errors"]

EXIT_USAGE = 2
"""Exit code for input the user got wrong (the same code the argument parser uses)."""

app = typer.Typer(
    name="qtargets",
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


def positive_seconds(value: float) -> float:
    """A typer callback: a positive, finite number of seconds, or a usage error."""
    if not 0 < value < math.inf:
        raise typer.BadParameter(f"expected a positive number of seconds, got {value!r}")
    return value


Timeout = Annotated[float, typer.Option(
    "--timeout", callback=positive_seconds, metavar="SECONDS",
    help="Deadline of the live part in all, retries included; then stored or bundled data "
         "with a warning, or an error.")]


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

    A CalibrationError names the bad field but not the file it is in, so ``source`` is
    put in front of it.
    """
    try:
        yield
    except (QTargetsError, OSError) as exc:
        text = f"{source}: {exc}" if source and isinstance(exc, CalibrationError) else str(exc)
        message = Text.assemble(("error: ", "bold red"), (clean(text), "red"))
        # soft_wrap: keep it one line however narrow the terminal is
        Console(stderr=True).print(message, soft_wrap=True)
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
