"""IonQ's QPU families: which native two-qubit gate each runs, and how many qubits it has.

The one place this knowledge lives. A backend name maps to a family by its prefix, so a new
``qpu.aria-3`` is recognised; an unknown family is an error unless the caller names the gate.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from .._exceptions import UnknownBackendError

__all__ = ["FAMILIES", "Family", "TwoQubitGate", "family_of"]

TwoQubitGate = Literal["ms", "zz"]


@dataclass(frozen=True, slots=True)
class Family:
    name: str
    two_qubit_gate: TwoQubitGate
    """``ms``: Mølmer–Sørensen MS(φ0, φ1, θ); ``zz``: ZZ(θ)."""
    qubits: int
    """Qubits IonQ offers on this family's devices."""
    prefix: str
    """Backend names of this family start with this."""


# Longest prefixes first: "qpu.forte-enterprise" must win over "qpu.forte".
FAMILIES: tuple[Family, ...] = (
    Family("Forte Enterprise", "zz", 36, "qpu.forte-enterprise"),
    Family("Forte", "zz", 36, "qpu.forte"),
    Family("Aria", "ms", 25, "qpu.aria"),
    Family("Harmony", "ms", 11, "qpu.harmony"),
)


def family_of(backend: str) -> Family:
    """The family of an IonQ backend name (``qpu.aria-1``, ``aria-1``, ``ionq.qpu.aria-1``).

    Raises :class:`~qtargets.UnknownBackendError` for a name no family claims.
    """
    name = backend.lower().removeprefix("ionq.")
    if not name.startswith("qpu."):
        name = "qpu." + name
    for family in FAMILIES:
        if name.startswith(family.prefix):
            return family
    known = ", ".join(f"{f.prefix}* ({f.name})" for f in FAMILIES)
    raise UnknownBackendError(
        f"unknown IonQ backend {backend!r} (known families: {known}); pass "
        "two_qubit_gate='ms' or 'zz' to say which native two-qubit gate it runs"
    )
