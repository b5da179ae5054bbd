"""Pydantic models of the IBM Quantum REST responses qtargets reads.

Shapes follow the Qiskit Runtime backends API (``/v1/backends``, ``/v1/backends/{id}/
configuration``, ``/properties``, ``/status``); fields qtargets does not use are accepted and
ignored, so a richer payload never breaks parsing. This module knows nothing of qiskit.

These models define what a valid payload is. The converter decodes the two large bodies
(``/configuration``, ``/properties``) with field-for-field msgspec mirrors of them for speed
and falls back to these models to report errors; see :mod:`qtargets.ibm._wire`.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, Strict, TypeAdapter, with_config
from typing_extensions import TypedDict

from ..model import INT32_MAX, MAX_QUBITS

__all__ = [
    "BackendConfiguration",
    "BackendDevice",
    "BackendProperties",
    "BackendStatus",
    "BackendsResponse",
    "GateConfig",
    "GateProperties",
    "GeneralQubitList",
    "InstructionSignature",
    "Nduv",
    "ProcessorType",
    "TargetProperties",
    "backends_adapter",
    "configuration_adapter",
    "properties_adapter",
    "status_adapter",
    "target_properties_adapter",
]

FiniteNumber = Annotated[float, Strict(), Field(allow_inf_nan=False)]
"""A JSON number (an integer is fine); strings, booleans, NaN and infinities are not."""
Count = Annotated[int, Strict(), Field(ge=0)]
QubitCount = Annotated[int, Strict(), Field(ge=0, le=MAX_QUBITS)]
QubitIndex = Annotated[int, Strict(), Field(ge=0)]


class _Lenient(BaseModel):
    """Unknown fields are ignored (payloads grow); known ones must have exactly their type."""

    model_config = ConfigDict(extra="ignore", frozen=True, strict=True)


# -- /configuration ----------------------------------------------------------------------------


class GateConfig(_Lenient):
    """A gate the backend declares, optionally restricted to a coupling map."""

    name: Annotated[str, Strict()]
    parameters: list[Annotated[str, Strict()]] | None = None
    """Parameter names; real payloads send ``null`` for parameterless gates."""
    qasm_def: str | None = None
    coupling_map: list[list[QubitIndex]] | None = None


class InstructionSignature(_Lenient):
    """A non-standard instruction such as ``measure_2`` (a shorter mid-circuit measurement)."""

    name: Annotated[str, Strict()]
    num_qubits: Count
    num_clbits: Count = 0
    parameters: list[Annotated[str, Strict()]] = []
    description: str | None = None


class ProcessorType(_Lenient):
    family: str | None = None
    revision: str | int | float | None = None  # real payloads hold "2", 3 and 1.2
    segment: str | None = None


class BackendConfiguration(_Lenient):
    """``GET /v1/backends/{id}/configuration``. ``dt`` and ``dtm`` are in nanoseconds."""

    backend_name: Annotated[str, Strict(), Field(min_length=1)]
    backend_version: str | None = None
    n_qubits: QubitCount
    basis_gates: list[Annotated[str, Strict()]]
    gates: list[GateConfig] = []
    coupling_map: list[list[QubitIndex]] | None = None
    supported_instructions: list[Annotated[str, Strict()]] | None = None
    instruction_signatures: list[InstructionSignature] | None = None
    dt: Annotated[FiniteNumber, Field(ge=0)] | None = None
    dtm: Annotated[FiniteNumber, Field(ge=0)] | None = None
    timing_constraints: dict[str, Annotated[int, Strict(), Field(ge=1, le=INT32_MAX)]] | None = None
    processor_type: ProcessorType | None = None
    simulator: bool | None = None
    online_date: str | None = None


# -- /properties -------------------------------------------------------------------------------


# Strict: a JSON payload has exactly one right type per field; strict validation is also ~20%
# faster on the large /properties body.
_STRICT = ConfigDict(strict=True)


@with_config(_STRICT)
class Nduv(TypedDict):
    """A name/date/unit/value record: one measured number."""

    name: Annotated[str, Strict()]
    unit: Annotated[str, Strict()]
    value: FiniteNumber
    # ``date`` (when this number was measured) is not modelled: a Calibration carries one
    # ``taken_at`` for the whole calibration.


@with_config(_STRICT)
class GateProperties(TypedDict):
    gate: Annotated[str, Strict()]
    qubits: list[QubitIndex]
    parameters: list[Nduv]


@with_config(_STRICT)
class GeneralQubitList(TypedDict):
    """Which qubits a ``general`` number was measured on: ``{"name": "lf_4", "qubits":
    [35, 19, 15, 14]}`` gives the chain, in order, of the layer fidelity ``lf_4``."""

    name: Annotated[str, Strict()]
    qubits: list[QubitIndex]


@with_config(_STRICT)
class TargetProperties(TypedDict):
    """The part of ``/properties`` a qiskit ``Target`` is built from: everything but the
    device-wide ``general`` numbers, which no Target holds (``from_ibm`` reads only this)."""

    backend_name: Annotated[str, Strict()]
    last_update_date: Annotated[str, Strict()]
    """ISO 8601 time of the calibration (parsed, with its path in errors, by the converter)."""
    qubits: list[list[Nduv]]
    gates: list[GateProperties]


@with_config(_STRICT)
class BackendProperties(TargetProperties, total=False):  # general*: optional
    """``GET /v1/backends/{id}/properties``: calibration data with units on every number."""

    general: list[Nduv] | None
    """Device-wide numbers: layer fidelities ``lf_N`` (unit ``""``) of an N-qubit chain, and
    per coupler ``jq_<a><b>`` (coupling) and ``zz_<a><b>`` (static ZZ), in ``GHz``, whose
    names run the two qubit indices together (``jq_717`` is 7-17)."""
    general_qlists: list[GeneralQubitList] | None
    """The chain of each ``lf_N``, by name (older payloads give only the longest, or none)."""


# -- /status and /v1/backends ------------------------------------------------------------------


class BackendStatus(_Lenient):
    """``GET /v1/backends/{id}/status``."""

    state: bool | None = None
    status: str | None = None
    message: str | None = None
    length_queue: Count
    backend_version: str | None = None


class DeviceStatus(_Lenient):
    name: Literal["online", "paused", "offline"] | str
    reason: str | None = None


class WaitTimes(_Lenient):
    """Queue wait before a job starts, seconds (``?fields=wait_time_seconds``)."""

    average: Count
    p50: Count
    p95: Count


class BackendDevice(_Lenient):
    """One entry of ``GET /v1/backends``."""

    name: Annotated[str, Strict()]
    status: DeviceStatus
    is_simulator: bool | None = None
    qubits: Count | None = None
    queue_length: Count
    processor_type: ProcessorType | None = None
    wait_time_seconds: WaitTimes | None = None


class BackendsResponse(_Lenient):
    """``GET /v1/backends``: the backends this service instance may use."""

    devices: list[BackendDevice]


configuration_adapter: TypeAdapter[BackendConfiguration] = TypeAdapter(BackendConfiguration)
properties_adapter: TypeAdapter[BackendProperties] = TypeAdapter(BackendProperties)
target_properties_adapter: TypeAdapter[TargetProperties] = TypeAdapter(TargetProperties)
status_adapter: TypeAdapter[BackendStatus] = TypeAdapter(BackendStatus)
backends_adapter: TypeAdapter[BackendsResponse] = TypeAdapter(BackendsResponse)
