"""IBM Quantum: REST payload models and conversion to the neutral calibration model."""

from __future__ import annotations

from .convert import from_ibm, parse_configuration, parse_properties, to_calibration
from .models import (
    BackendConfiguration,
    BackendProperties,
    BackendsResponse,
    BackendStatus,
    backends_adapter,
    status_adapter,
)

__all__ = [
    "BackendConfiguration",
    "BackendProperties",
    "BackendStatus",
    "BackendsResponse",
    "backends_adapter",
    "from_ibm",
    "parse_configuration",
    "parse_properties",
    "status_adapter",
    "to_calibration",
]
