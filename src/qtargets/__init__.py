"""qtargets: real quantum-hardware calibrations as faithful qiskit ``Target`` objects.

>>> import qtargets
>>> target = qtargets.load_target("ibm_fez")      # bundled real calibration, offline
>>> cal = qtargets.load_calibration("ibm_fez")    # the neutral, vendor-free model
>>> live = qtargets.target("ibm_fez")             # doctest: +SKIP  (live with credentials)
"""

from __future__ import annotations

from . import ibm, ionq
from ._exceptions import (
    ApiError,
    AuthenticationError,
    CalibrationError,
    NetworkError,
    NotFoundError,
    QTargetsError,
    QTargetsWarning,
    RateLimitError,
    UnknownBackendError,
)
from .build import build_target
from .bundled import bundled_backends, load_calibration, load_target
from .calibration import (
    Calibration,
    GateCalibration,
    InstructionCalibration,
    Provenance,
    QubitCalibration,
    TimingConstraints,
    calibration_json_schema,
)
from .ibm import from_ibm
from .ionq import from_ionq
from .live import calibration, calibrations, target, targets
from .store import CalibrationStore, Snapshot, StoreError

__version__ = "0.1.0"

__all__ = [
    "ApiError",
    "AuthenticationError",
    "Calibration",
    "CalibrationError",
    "CalibrationStore",
    "GateCalibration",
    "InstructionCalibration",
    "NetworkError",
    "NotFoundError",
    "Provenance",
    "QTargetsError",
    "QTargetsWarning",
    "QubitCalibration",
    "RateLimitError",
    "Snapshot",
    "StoreError",
    "TimingConstraints",
    "UnknownBackendError",
    "__version__",
    "build_target",
    "bundled_backends",
    "calibration",
    "calibration_json_schema",
    "calibrations",
    "from_ibm",
    "from_ionq",
    "ibm",
    "ionq",
    "load_calibration",
    "load_target",
    "target",
    "targets",
]
