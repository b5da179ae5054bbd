"""SI conversion of the unit strings vendors (and qiskit's delays) attach to numbers.

Targets hold seconds and hertz; vendors send ``us``, ``µs``, ``ns``, ``GHz`` and friends.
Each quantity has a dimension, and a unit from another dimension is an error rather than a
silent rescale (a T1 in ``GHz`` is corrupt data, not 1e9 seconds).
"""

from __future__ import annotations

from typing import Literal

__all__ = ["SCALES", "Dimension", "to_si"]

Dimension = Literal["time", "frequency", "dimensionless"]

# Negative powers are divisors, mirroring qiskit's apply_prefix, so 1.0 us is exactly 1.0 / 1e6.
# Both the micro sign (U+00B5) and the Greek mu (U+03BC) occur in real payloads.
SCALES: dict[Dimension, dict[str, tuple[bool, float]]] = {
    "time": {
        "s": (False, 1.0),
        "ms": (True, 1e3),
        "us": (True, 1e6),
        "\u00b5s": (True, 1e6),
        "\u03bcs": (True, 1e6),
        "ns": (True, 1e9),
        "ps": (True, 1e12),
    },
    "frequency": {
        "Hz": (False, 1.0),
        "kHz": (False, 1e3),
        "MHz": (False, 1e6),
        "GHz": (False, 1e9),
    },
    "dimensionless": {"": (False, 1.0)},
}
"""Per dimension, unit -> (divide?, factor): one lookup and one operation per value, which
matters where a payload holds thousands of them."""


def to_si(value: float, unit: str, dimension: Dimension) -> float | None:
    """``value`` in SI units, or ``None`` if ``unit`` is not a unit of ``dimension``.

    >>> to_si(250.0, "ns", "time")
    2.5e-07
    """
    scale = SCALES[dimension].get(unit)
    if scale is None:
        return None
    divide, factor = scale
    return value / factor if divide else value * factor
