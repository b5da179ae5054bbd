"""IonQ: characterization payloads, the REST client, native gates (GPI, GPI2, MS, ZZ),
conversion, and the vendor the registry serves ``qpu.*`` names with
(:mod:`qtargets.ionq.source`)."""

from __future__ import annotations

from ..build import register_gate
from .api import AsyncIonQClient, BackendBody, CharacterizationBody, IonQClient
from .convert import Gateset, from_ionq, parse_characterization, to_calibration
from .equivalences import add_equivalences
from .families import FAMILIES, Family, family_of
from .gates import NATIVE_GATES, GPI2Gate, GPIGate, MSGate, ZZGate
from .models import Characterization, CharacterizationList
from .source import vendor

for _name, _gate_class in NATIVE_GATES.items():
    register_gate(_name, _gate_class)
# So that plain transpile(circuit, target=ionq_target) can reach gpi/gpi2/ms/zz at all; the
# compact route is the "ionq-native" stage plugins (see docs/ionq-compilation.md).
add_equivalences()

__all__ = [
    "FAMILIES",
    "NATIVE_GATES",
    "AsyncIonQClient",
    "BackendBody",
    "Characterization",
    "CharacterizationBody",
    "CharacterizationList",
    "Family",
    "GPI2Gate",
    "GPIGate",
    "Gateset",
    "IonQClient",
    "MSGate",
    "ZZGate",
    "add_equivalences",
    "family_of",
    "from_ionq",
    "parse_characterization",
    "to_calibration",
    "vendor",
]
