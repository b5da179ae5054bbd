"""How numbers and times look in the terminal: one place, shared by the CLI and the diff."""

from __future__ import annotations

from datetime import datetime, timezone

from rich import box
from rich.table import Table

__all__ = ["MISSING", "duration", "error", "micro", "table", "when"]

MISSING = "n/a"


def table(title: str) -> Table:
    """The house style: left-aligned title, one rule under the header, tight columns."""
    return Table(title=title, title_justify="left", box=box.SIMPLE_HEAD,
                 collapse_padding=True, pad_edge=False, show_edge=False)


def when(moment: datetime | None, *, suffix: str = " UTC") -> str:
    """A time in UTC to the second."""
    if moment is None:
        return MISSING
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M:%S") + suffix


def error(p: float | None) -> str:
    """A probability in compact scientific notation (``2.79e-3``), the way IBM shows errors."""
    if p is None:
        return MISSING
    if p in (0.0, 1.0):
        return f"{p:g}"
    mantissa, exponent = f"{p:.2e}".split("e")
    return f"{mantissa}e{int(exponent)}"


def duration(seconds: float | None) -> str:
    """Seconds as ns below a microsecond, else µs."""
    if seconds is None:
        return MISSING
    if seconds < 1e-6:
        return f"{seconds * 1e9:.3g} ns"
    return f"{seconds * 1e6:.3g} µs"


def micro(seconds: float | None) -> str:
    """T1/T2: µs with one decimal (superconducting qubits), trapped ions' long times in s."""
    if seconds is None:
        return MISSING
    if seconds >= 1e-2:
        return f"{seconds:.3g} s"
    return f"{seconds * 1e6:.1f} µs"
