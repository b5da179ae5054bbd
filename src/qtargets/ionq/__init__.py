"""IonQ: characterization payloads, native gates (GPI, GPI2, MS, ZZ) and conversion."""

from __future__ import annotations

from ..target import register_gate
from .convert import Gateset, from_ionq, parse_characterization, to_calibration
from .families import FAMILIES, Family, family_of
from .gates import NATIVE_GATES, GPI2Gate, GPIGate, MSGate, ZZGate
from .models import Characterization, CharacterizationList

for _name, _gate_class in NATIVE_GATES.items():
    register_gate(_name, _gate_class)

__all__ = [
    "FAMILIES",
    "NATIVE_GATES",
    "Characterization",
    "CharacterizationList",
    "Family",
    "GPI2Gate",
    "GPIGate",
    "Gateset",
    "MSGate",
    "ZZGate",
    "family_of",
    "from_ionq",
    "parse_characterization",
    "to_calibration",
]
