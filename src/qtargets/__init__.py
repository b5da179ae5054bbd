"""qtargets: real quantum-hardware calibrations as faithful qiskit ``Target`` objects.

>>> import qtargets
>>> target = qtargets.load_target("ibm_fez")      # bundled real calibration, offline
>>> cal = qtargets.load_calibration("ibm_fez")    # the neutral, vendor-free model
>>> live = qtargets.target("ibm_fez")             # doctest: +SKIP  (live with credentials)
"""

from __future__ import annotations

from . import braket, ibm, ionq, iqm
from ._exceptions import (
    ApiError,
    ArchiveError,
    AuthenticationError,
    BackendInputError,
    BackendRunError,
    CalibrationError,
    CircuitFileError,
    ConfigurationError,
    DriftError,
    MissingDependencyError,
    NetworkError,
    NotCompiledError,
    NotFoundError,
    QTargetsError,
    QTargetsWarning,
    RankError,
    RateLimitError,
    RecompileError,
    ScoreError,
    StoreError,
    SweepError,
    UnknownBackendError,
    UnsupportedFormatError,
)
from ._version import __version__
from .backends import QTargetsBackend, backend
from .build import build_target
from .bundled import bundled_backends, load_calibration, load_target
from .circuits import load_circuit
from .devices import calibration, calibrations, resolve, target, targets
from .errormap import plot_error_map
from .graphs import to_networkx
from .ibm import from_ibm
from .ionq import from_ionq
from .model import (
    Calibration,
    CouplerCalibration,
    GateCalibration,
    InstructionCalibration,
    LayerFidelity,
    Provenance,
    QubitCalibration,
    TimingConstraints,
    calibration_json_schema,
)
from .noise import noise_model
from .ranking import Ranking, rank
from .robust import robust_target
from .scoring import Hotspot, Score, score
from .store import CalibrationStore, Snapshot
from .sweeps import SweepRecord, SweepRecords, sweep
from .tket import to_pytket

__all__ = [
    "ApiError",
    "ArchiveError",
    "AuthenticationError",
    "BackendInputError",
    "BackendRunError",
    "Calibration",
    "CalibrationError",
    "CalibrationStore",
    "CircuitFileError",
    "ConfigurationError",
    "CouplerCalibration",
    "DriftError",
    "GateCalibration",
    "Hotspot",
    "InstructionCalibration",
    "LayerFidelity",
    "MissingDependencyError",
    "NetworkError",
    "NotCompiledError",
    "NotFoundError",
    "Provenance",
    "QTargetsBackend",
    "QTargetsError",
    "QTargetsWarning",
    "QubitCalibration",
    "RankError",
    "Ranking",
    "RateLimitError",
    "RecompileError",
    "Score",
    "ScoreError",
    "Snapshot",
    "StoreError",
    "SweepError",
    "SweepRecord",
    "SweepRecords",
    "TimingConstraints",
    "UnknownBackendError",
    "UnsupportedFormatError",
    "__version__",
    "backend",
    "braket",
    "build_target",
    "bundled_backends",
    "calibration",
    "calibration_json_schema",
    "calibrations",
    "from_ibm",
    "from_ionq",
    "ibm",
    "ionq",
    "iqm",
    "load_calibration",
    "load_circuit",
    "load_target",
    "noise_model",
    "plot_error_map",
    "rank",
    "resolve",
    "robust_target",
    "score",
    "sweep",
    "target",
    "targets",
    "to_networkx",
    "to_pytket",
]
