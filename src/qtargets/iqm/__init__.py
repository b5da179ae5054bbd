"""IQM: quality metric sets, calibration sets and dynamic quantum architectures of IQM
Server / IQM Resonance, the REST client, conversion, and the vendor the registry serves
``iqm_*`` names with (:mod:`qtargets.iqm.source`). See docs/iqm.md."""

from __future__ import annotations

from .api import AsyncIQMClient, IQMClient
from .convert import from_iqm, to_calibration
from .models import DynamicQuantumArchitecture, Observation, ObservationSet
from .source import vendor

__all__ = [
    "AsyncIQMClient",
    "DynamicQuantumArchitecture",
    "IQMClient",
    "Observation",
    "ObservationSet",
    "from_iqm",
    "to_calibration",
    "vendor",
]
