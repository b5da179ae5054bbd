"""SI conversion of the unit strings vendors attach to numbers.

Targets hold seconds and hertz; vendors send ``us``, ``µs``, ``ns``, ``GHz`` and friends.
Each quantity has a dimension, and a unit from another dimension is an error rather than a
silent rescale (a T1 in ``GHz`` is corrupt data, not 1e9 seconds).
"""

from __future__ import annotations

from typing import Literal

__all__ = ["DIMENSIONLESS_UNITS", "FREQUENCY_UNITS", "TIME_UNITS", "Dimension", "scale_for"]

Dimension = Literal["time", "frequency", "dimensionless"]

# Negative powers are divisors, mirroring qiskit's apply_prefix, so 1.0 us is exactly 1.0 / 1e6.
# Both the micro sign (U+00B5) and the Greek mu (U+03BC) occur in real payloads.
TIME_UNITS: dict[str, tuple[str, float]] = {
    "s": ("*", 1.0),
    "ms": ("/", 1e3),
    "us": ("/", 1e6),
    "\u00b5s": ("/", 1e6),
    "\u03bcs": ("/", 1e6),
    "ns": ("/", 1e9),
    "ps": ("/", 1e12),
}
FREQUENCY_UNITS: dict[str, tuple[str, float]] = {
    "Hz": ("*", 1.0),
    "kHz": ("*", 1e3),
    "MHz": ("*", 1e6),
    "GHz": ("*", 1e9),
}
DIMENSIONLESS_UNITS: dict[str, tuple[str, float]] = {"": ("*", 1.0)}

_BY_DIMENSION: dict[Dimension, dict[str, tuple[str, float]]] = {
    "time": TIME_UNITS,
    "frequency": FREQUENCY_UNITS,
    "dimensionless": DIMENSIONLESS_UNITS,
}
ANY_UNIT: dict[str, tuple[str, float]] = {**TIME_UNITS, **FREQUENCY_UNITS, **DIMENSIONLESS_UNITS}


def scale_for(unit: str, dimension: Dimension | None) -> tuple[str, float] | None:
    """``(op, factor)`` that turns a value in ``unit`` into SI, or None if ``unit`` is unknown.

    ``dimension=None`` accepts any known unit (for quantities whose dimension we don't know).
    """
    table = ANY_UNIT if dimension is None else _BY_DIMENSION[dimension]
    return table.get(unit)


def to_si(value: float, unit: str, dimension: Dimension | None) -> float | None:
    """``value`` in SI units, or None if ``unit`` is not a unit of ``dimension``."""
    scale = scale_for(unit, dimension)
    if scale is None:
        return None
    op, factor = scale
    return value / factor if op == "/" else value * factor
