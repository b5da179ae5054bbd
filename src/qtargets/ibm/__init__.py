"""IBM Quantum: REST payload models, the REST client, conversion to the neutral calibration
model, and the vendor the registry serves ``ibm_*`` names with (:mod:`qtargets.ibm.source`)."""

from __future__ import annotations

from .api import AsyncIBMClient, IBMClient
from .convert import from_ibm, parse_configuration, parse_properties, to_calibration
from .csvfile import read_calibration_csv
from .models import (
    BackendConfiguration,
    BackendProperties,
    BackendsResponse,
    BackendStatus,
    backends_adapter,
    status_adapter,
)
from .source import vendor

__all__ = [
    "AsyncIBMClient",
    "BackendConfiguration",
    "BackendProperties",
    "BackendStatus",
    "BackendsResponse",
    "IBMClient",
    "backends_adapter",
    "from_ibm",
    "parse_configuration",
    "parse_properties",
    "read_calibration_csv",
    "status_adapter",
    "to_calibration",
    "vendor",
]
