"""IonQ's QPU families: which native gates each runs, how many qubits it has, and whether every
pair of its qubits can be entangled directly.

The one place this knowledge lives. A backend name maps to a family by its prefix, so a new
``qpu.aria-3`` is recognised; an unknown family is an error unless the caller names the gate.
Where IonQ's API says which native gates a device runs (``supported_native_gates`` in the v0.4
``GET /backends`` entry), that wins over this table (:mod:`qtargets.ionq.convert`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from .._exceptions import UnknownBackendError

__all__ = ["FAMILIES", "Connectivity", "Family", "TwoQubitGate", "family_of"]

TwoQubitGate = Literal["ms", "zz"]
Connectivity = Literal["all-to-all", "restricted"]


@dataclass(frozen=True, slots=True)
class Family:
    name: str
    two_qubit_gate: TwoQubitGate
    """``ms``: Mølmer–Sørensen MS(φ0, φ1, θ); ``zz``: ZZ(θ)."""
    qubits: int | None
    """Qubits IonQ offers on this family's devices; ``None`` where IonQ publishes no figure
    (a characterization's own ``qubits`` is then the only word on it)."""
    prefix: str
    """Backend names of this family start with this."""
    connectivity: Connectivity = "all-to-all"
    """``all-to-all``: one ion chain, any pair entangles (a characterization without
    ``connectivity`` means every pair); ``restricted``: only the pairs a characterization
    lists, which it must then list."""

    @property
    def native_gates(self) -> tuple[str, ...]:
        """IonQ's native gate names on this family: ``gpi``, ``gpi2`` and the entangler."""
        return ("gpi", "gpi2", self.two_qubit_gate)


# Longest prefixes first: "qpu.forte-enterprise" must win over "qpu.forte".
FAMILIES: tuple[Family, ...] = (
    Family("Forte Enterprise", "zz", 36, "qpu.forte-enterprise"),
    Family("Forte", "zz", 36, "qpu.forte"),
    # Tempo, as IonQ's own Qiskit provider (qiskit-community/qiskit-ionq, maintained by IonQ)
    # describes it: backends qpu.tempo-1, qpu.tempo-2 (README, "Tempo backends", v1.1.0,
    # 2026-05-19), reached through API v0.4 (PR #247); native gates gpi, gpi2 and zz, "a
    # ZZ-class system" (PR #247; PR #263's /backends catalog lists supported_native_gates
    # ["gpi", "gpi2", "zz"] for qpu.tempo-1); its connectivity "a genuine *subset* of pairs
    # (e.g. Tempo's multi-parcel layout)", read from the characterization's `connectivity`
    # (ionq_backend.py, _get_coupling_map, PR #263, 2026-07-16). IonQ publishes no qubit
    # count, fidelity or timing of Tempo in any API document, SDK or spec sheet we found.
    Family("Tempo", "zz", None, "qpu.tempo", connectivity="restricted"),
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
