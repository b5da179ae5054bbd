"""Fast decoding of the two large IBM payloads, ``/configuration`` and ``/properties``.

The pydantic models in :mod:`qtargets.ibm.models` define what a valid payload is. Decoding a
156-qubit ``/properties`` body with them costs about as much as the whole reference pipeline's
``json.loads`` (~5,000 small dicts), which alone would rule out being 3x faster than it. So the
hot path decodes with msgspec structs that mirror those models field for field (same names,
types, strictness and bounds) and skip unused fields without allocating them; anything msgspec
rejects is re-validated with the pydantic model, so errors read the same whichever path
found them. ``tests/test_ibm_wire.py`` holds the two definitions to each other: identical
fields, and identical accept/reject decisions on generated malformed payloads.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any, TypeVar

import msgspec
from pydantic import BaseModel, TypeAdapter

from ..model import INT32_MAX, MAX_QUBITS, validate_payload
from .models import configuration_adapter, properties_adapter, target_properties_adapter

__all__ = [
    "WireConfiguration",
    "WireGateConfig",
    "WireGateProperties",
    "WireGeneralQubitList",
    "WireInstructionSignature",
    "WireNduv",
    "WireProcessorType",
    "WireProperties",
    "WireTargetProperties",
    "decode_configuration",
    "decode_properties",
    "decode_target_properties",
]

_MAX = 1.7976931348623157e308
# NaN fails every comparison and +-inf exceeds the bounds: this is "any finite number".
FiniteNumber = Annotated[float, msgspec.Meta(ge=-_MAX, le=_MAX)]
NonNegativeFinite = Annotated[float, msgspec.Meta(ge=0.0, le=_MAX)]
Count = Annotated[int, msgspec.Meta(ge=0)]
QubitIndex = Annotated[int, msgspec.Meta(ge=0)]
QubitCount = Annotated[int, msgspec.Meta(ge=0, le=MAX_QUBITS)]
TimingValue = Annotated[int, msgspec.Meta(ge=1, le=INT32_MAX)]


class WireGateConfig(msgspec.Struct, gc=False):
    name: str
    parameters: list[str] | None = None
    qasm_def: str | None = None
    coupling_map: list[list[QubitIndex]] | None = None


class WireInstructionSignature(msgspec.Struct, gc=False):
    name: str
    num_qubits: Count
    num_clbits: Count = 0
    parameters: list[str] = msgspec.field(default_factory=list)
    description: str | None = None


class WireProcessorType(msgspec.Struct, gc=False):
    family: str | None = None
    revision: str | int | float | None = None
    segment: str | None = None


class WireConfiguration(msgspec.Struct, gc=False):
    backend_name: Annotated[str, msgspec.Meta(min_length=1)]
    n_qubits: QubitCount
    basis_gates: list[str]
    backend_version: str | None = None
    gates: list[WireGateConfig] = msgspec.field(default_factory=list)
    coupling_map: list[list[QubitIndex]] | None = None
    supported_instructions: list[str] | None = None
    instruction_signatures: list[WireInstructionSignature] | None = None
    dt: NonNegativeFinite | None = None
    dtm: NonNegativeFinite | None = None
    timing_constraints: dict[str, TimingValue] | None = None
    processor_type: WireProcessorType | None = None
    simulator: bool | None = None
    online_date: str | None = None


class WireNduv(msgspec.Struct, gc=False):
    name: str
    unit: str
    value: FiniteNumber


class WireGateProperties(msgspec.Struct, gc=False):
    gate: str
    qubits: list[QubitIndex]
    parameters: list[WireNduv]


class WireGeneralQubitList(msgspec.Struct, gc=False):
    name: str
    qubits: list[QubitIndex]


class WireTargetProperties(msgspec.Struct, gc=False):
    backend_name: str
    last_update_date: str
    qubits: list[list[WireNduv]]
    gates: list[WireGateProperties]


class WireProperties(WireTargetProperties, gc=False):
    general: list[WireNduv] | None = None
    general_qlists: list[WireGeneralQubitList] | None = None


_S = TypeVar("_S", bound=msgspec.Struct)

_CONFIGURATION_DECODER = msgspec.json.Decoder(WireConfiguration)
_PROPERTIES_DECODER = msgspec.json.Decoder(WireProperties)
_TARGET_PROPERTIES_DECODER = msgspec.json.Decoder(WireTargetProperties)


def _decode(
    payload: object,
    decoder: msgspec.json.Decoder[_S],
    struct: type[_S],
    adapter: TypeAdapter[Any],
    root: str,
) -> _S:
    """Fast path: strict JSON text that fits the mirror. Anything else: pydantic decides."""
    if isinstance(payload, (bytes, bytearray, str)):
        try:
            return decoder.decode(payload)
        except (msgspec.ValidationError, msgspec.DecodeError, RecursionError, ValueError):
            pass  # not strict JSON (NaN in an unused field, bad UTF-8...) or invalid: ask pydantic
    # Already-parsed input has no speed budget; pydantic is the one judge of it.
    validated = validate_payload(adapter, payload, root)
    data = validated.model_dump() if isinstance(validated, BaseModel) else validated
    # Lax: the data is already valid; this only copies it into the structs (numpy floats too).
    return msgspec.convert(data, struct, strict=False)


def decode_configuration(payload: object) -> WireConfiguration:
    """A validated ``/configuration`` body (dict, or JSON ``str``/``bytes``)."""
    return _decode(payload, _CONFIGURATION_DECODER, WireConfiguration, configuration_adapter,
                   "configuration")


def decode_properties(payload: object) -> WireProperties:
    """A validated ``/properties`` body (dict, or JSON ``str``/``bytes``)."""
    return _decode(payload, _PROPERTIES_DECODER, WireProperties, properties_adapter,
                   "properties")


def decode_target_properties(payload: object) -> WireTargetProperties:
    """The part of a ``/properties`` body a Target is built from, validated; ``general`` and
    ``general_qlists`` are skipped unread. They hold ~a third of a Heron payload's records:
    decoding and converting them would cost ``from_ibm`` ~15% for numbers no Target holds."""
    if isinstance(payload, Mapping):
        payload = {k: v for k, v in payload.items() if k not in _GENERAL}
    return _decode(payload, _TARGET_PROPERTIES_DECODER, WireTargetProperties,
                   target_properties_adapter, "properties")


_GENERAL = frozenset({"general", "general_qlists"})
