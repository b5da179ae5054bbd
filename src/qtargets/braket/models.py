"""Pydantic models of AWS Braket device documents: what ``GetDevice`` and ``SearchDevices``
return, and the parts of a device's ``deviceCapabilities`` document qtargets reads.

They mirror the published schemas (the ``amazon-braket-schemas`` package, module
``braket.device_schema``) field for field where qtargets reads a field, rather than import
that package: it is built on pydantic's v1 compatibility layer, which Python 3.14 does not
support, and its errors would not carry the document's own JSON paths. Unknown fields are
ignored (documents grow); fields qtargets reads must have their documented type. The test
suite validates every bundled fixture with the published package too.

A document is a ``{"braketSchemaHeader": {"name", "version"}, ...}`` object whose blocks each
carry their own header:

* ``paradigm`` (``gate_model_qpu_paradigm_properties`` v1): qubit count, connectivity,
  native gate set;
* ``standardized`` (``standardized_gate_model_qpu_device_properties``): v1 and v2 per qubit
  (T1, T2, one-qubit and readout fidelities) and per pair (two-qubit gate fidelities); v3 a
  device-level summary (T1, T2, readout, one- and two-qubit fidelities and durations);
* ``provider``: the vendor's own block; qtargets reads IonQ's (``ionq_provider_properties``
  v1: IonQ's own fidelities and timings).

This module knows nothing of qiskit.
"""

# Field names are the documents' own (camelCase): the models read the wire as it is.
# ruff: noqa: N815

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, Strict, TypeAdapter

from ..model import MAX_QUBITS

__all__ = [
    "PARADIGM_SCHEMA",
    "STANDARDIZED_SCHEMA",
    "CoherenceTime",
    "Connectivity",
    "DeviceCapabilities",
    "DeviceQueueInfo",
    "DeviceSummary",
    "Duration",
    "Fidelity",
    "FidelityType",
    "GateFidelity2Q",
    "GetDeviceResponse",
    "IonQFidelity",
    "IonQProviderProperties",
    "OneQubitPropertiesV1",
    "OneQubitPropertiesV3",
    "Paradigm",
    "SchemaHeader",
    "SearchDevicesResponse",
    "ServiceProperties",
    "StandardizedV1",
    "StandardizedV3",
    "TwoQubitProperties",
]

PARADIGM_SCHEMA = "braket.device_schema.gate_model_qpu_paradigm_properties"
STANDARDIZED_SCHEMA = "braket.device_schema.standardized_gate_model_qpu_device_properties"

Probability = Annotated[float, Strict(), Field(ge=0.0, le=1.0, allow_inf_nan=False)]
Finite = Annotated[float, Strict(), Field(allow_inf_nan=False)]
NonNegative = Annotated[float, Strict(), Field(ge=0.0, allow_inf_nan=False)]
Text = Annotated[str, Strict()]


class _Model(BaseModel):
    """Unknown fields are ignored (documents grow); known ones must have exactly their type."""

    model_config = ConfigDict(extra="ignore", frozen=True, strict=True)


class SchemaHeader(_Model):
    """``braketSchemaHeader``: which schema, and which version of it, a block follows."""

    name: Annotated[str, Strict(), Field(min_length=1)]
    version: Annotated[str, Strict(), Field(min_length=1, max_length=50)]


# -- the paradigm block ---------------------------------------------------------------------------


class Connectivity(_Model):
    fullyConnected: Annotated[bool, Strict()]
    connectivityGraph: dict[str, list[Text]] = Field(default_factory=dict)
    """Qubit label -> the labels it couples to (labels are decimal text). Empty, or listing
    every pair, when ``fullyConnected``."""


class Paradigm(_Model):
    """``gate_model_qpu_paradigm_properties`` v1."""

    braketSchemaHeader: SchemaHeader
    connectivity: Connectivity
    qubitCount: Annotated[int, Strict(), Field(ge=0, le=MAX_QUBITS)]
    nativeGateSet: list[Text]
    """Braket's names of the gates the hardware runs (any case: ``GPI``, ``cz``, ``prx``)."""


# -- the standardized block -----------------------------------------------------------------------


class FidelityType(_Model):
    name: Text
    """How it was measured: ``RANDOMIZED_BENCHMARKING``, ``READOUT``... (free text in v1/v2,
    where IQM also reports ``READOUT_ERROR_0_TO_1``/``_1_TO_0``: error probabilities carried
    in the ``fidelity`` field)."""
    description: Text | None = None


class Fidelity1Q(_Model):
    """One one-qubit figure of one qubit (v1, v2)."""

    fidelityType: FidelityType
    fidelity: Probability
    standardError: NonNegative | None = None
    unit: Text | None = None
    """v2: ``fraction``."""


class CoherenceTime(_Model):
    """T1 or T2 of one qubit (v1, v2)."""

    value: NonNegative
    standardError: NonNegative | None = None
    unit: Text
    """``s``/``S``, ``ms``, ``us``, ``ns`` (v1 leaves it free text; v2 says ``s``)."""


class OneQubitPropertiesV1(_Model):
    T1: CoherenceTime
    T2: CoherenceTime
    oneQubitFidelity: list[Fidelity1Q]


class GateFidelity2Q(_Model):
    """One two-qubit figure of one pair (v1, v2)."""

    direction: dict[Literal["control", "target"], Annotated[int, Strict(), Field(ge=0)]] | None = (
        None)
    """Which qubit is the control; ``None``: measured on the pair either way round."""
    gateName: Text
    """``CZ``, ``CNOT``... or a benchmark that is no gate (IQM's ``Two_Qubit_Clifford``)."""
    fidelity: Probability
    standardError: NonNegative | None = None
    fidelityType: FidelityType
    unit: Text | None = None


class TwoQubitProperties(_Model):
    twoQubitGateFidelity: list[GateFidelity2Q]


class StandardizedV1(_Model):
    """``standardized_gate_model_qpu_device_properties`` v1 and v2: per qubit (keys: qubit
    labels) and per pair (keys: ``"a-b"``)."""

    braketSchemaHeader: SchemaHeader
    oneQubitProperties: dict[str, OneQubitPropertiesV1]
    twoQubitProperties: dict[str, TwoQubitProperties]


class Fidelity(_Model):
    """A fidelity of the v3 summary."""

    fidelityType: FidelityType | None = None
    fidelity: Probability
    standardError: NonNegative | None = None
    median: Probability | None = None
    unit: Text
    """``fraction``."""


class Duration(_Model):
    """A time of the v3 summary."""

    value: NonNegative
    standardError: NonNegative | None = None
    unit: Text
    """``s``, ``ms``, ``us`` or ``ns``."""


class OneQubitPropertiesV3(_Model):
    oneQubitFidelity: list[Fidelity]


class StandardizedV3(_Model):
    """``standardized_gate_model_qpu_device_properties`` v3: a device-level summary, and
    optionally one-qubit fidelities per qubit."""

    braketSchemaHeader: SchemaHeader
    oneQubitProperties: dict[str, OneQubitPropertiesV3] | None = None
    T1: Duration | None = None
    T2: Duration | None = None
    readoutFidelity: list[Fidelity] | None = None
    readoutDuration: Duration | None = None
    singleQubitGateDuration: Duration | None = None
    singleQubitFidelity: list[Fidelity] | None = None
    twoQubitGateFidelity: list[Fidelity] | None = None
    twoQubitGateDuration: Duration | None = None
    activeResetDuration: Duration | None = None
    updatedAt: Text | None = None


# -- provider blocks ------------------------------------------------------------------------------


class IonQFidelity(_Model):
    mean: Probability | None = None
    median: Probability | None = None
    stderr: NonNegative | None = None


class IonQProviderProperties(_Model):
    """``ionq_provider_properties`` v1: IonQ's characterization as IonQ reports it, keys
    ``1Q``, ``2Q``, ``spam`` (fidelities) and ``T1``, ``T2``, ``1Q``, ``2Q``, ``readout``,
    ``reset`` (timing, seconds)."""

    braketSchemaHeader: SchemaHeader
    fidelity: dict[str, IonQFidelity] = Field(default_factory=dict)
    timing: dict[str, NonNegative] = Field(default_factory=dict)


# -- the document and the API -----------------------------------------------------------------


class ServiceProperties(_Model):
    """``device_service_properties`` v1: only ``updatedAt`` is read."""

    updatedAt: Text | None = None


class DeviceCapabilities(_Model):
    """A device document. The blocks whose shape depends on their header are kept as JSON
    and validated once their header is known (see :mod:`qtargets.braket.convert`)."""

    braketSchemaHeader: SchemaHeader
    service: ServiceProperties | None = None
    paradigm: dict[str, Any] | None = None
    standardized: dict[str, Any] | None = None
    provider: dict[str, Any] | None = None


class DeviceQueueInfo(_Model):
    queue: Text
    """``QUANTUM_TASKS_QUEUE`` or ``JOBS_QUEUE``."""
    queueSize: Text
    queuePriority: Text | None = None


class GetDeviceResponse(_Model):
    """``GET /device/{deviceArn}``. ``deviceCapabilities`` is the document as JSON text (the
    API's ``JsonValue``); a saved response may hold it already parsed."""

    deviceArn: Annotated[str, Strict(), Field(min_length=1, max_length=256)]
    deviceName: Text
    providerName: Text
    deviceType: Text
    deviceStatus: Text
    deviceCapabilities: Text | dict[str, Any]
    deviceQueueInfo: list[DeviceQueueInfo] = Field(default_factory=list)


class DeviceSummary(_Model):
    """One device of ``POST /devices`` (SearchDevices)."""

    deviceArn: Annotated[str, Strict(), Field(min_length=1, max_length=256)]
    deviceName: Text
    providerName: Text
    deviceType: Text
    """``QPU`` or ``SIMULATOR``."""
    deviceStatus: Text
    """``ONLINE``, ``OFFLINE``, ``RETIRED`` or ``PAUSED``."""


class SearchDevicesResponse(_Model):
    devices: list[DeviceSummary]
    nextToken: Text | None = None


capabilities_adapter: TypeAdapter[DeviceCapabilities] = TypeAdapter(DeviceCapabilities)
paradigm_adapter: TypeAdapter[Paradigm] = TypeAdapter(Paradigm)
standardized_v1_adapter: TypeAdapter[StandardizedV1] = TypeAdapter(StandardizedV1)
standardized_v3_adapter: TypeAdapter[StandardizedV3] = TypeAdapter(StandardizedV3)
ionq_provider_adapter: TypeAdapter[IonQProviderProperties] = TypeAdapter(IonQProviderProperties)
get_device_adapter: TypeAdapter[GetDeviceResponse] = TypeAdapter(GetDeviceResponse)
search_devices_adapter: TypeAdapter[SearchDevicesResponse] = TypeAdapter(SearchDevicesResponse)
