"""How numbers and times look to people: one place, shared by the CLI's tables and the error
map's labels. Plain text; the CLI (``qtargets.cli.render``) adds the colours and tables."""

from __future__ import annotations

from datetime import datetime, timezone

__all__ = ["MISSING", "duration", "error", "micro", "printable", "when"]

MISSING = "n/a"


def printable(text: object) -> str:
    """``text`` with every control character (an ESC sequence, a carriage return, a bell)
    shown escaped: data from a file or a vendor never reaches a terminal or a picture raw."""
    value = str(text)
    if value.isprintable():
        return value
    return "".join(ch if ch.isprintable() else ch.encode("unicode_escape").decode("ascii")
                   for ch in value)


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
    """A duration to three figures in the unit that suits it: ns below a microsecond, µs
    below a millisecond (gate-model devices), ms below a second (trapped ions), else s."""
    if seconds is None:
        return MISSING
    for scale, unit in ((1e-6, "ns"), (1e-3, "µs"), (1.0, "ms")):
        if seconds < scale:
            return f"{seconds * 1e3 / scale:.3g} {unit}"
    return f"{seconds:.3g} s"


def micro(seconds: float | None) -> str:
    """A coherence time (T1, T2): µs with one decimal (superconducting qubits), trapped ions'
    long times in s."""
    if seconds is None:
        return MISSING
    if seconds >= 1e-2:
        return f"{seconds:.3g} s"
    return f"{seconds * 1e6:.1f} µs"
