"""Pydantic models of IonQ characterization payloads (v0.1, v0.3 and v0.4 shapes).

``GET /characterizations/backends/{backend}/current`` returns one :class:`Characterization`;
the list endpoint wraps several in :class:`CharacterizationList`; ``GET /backends`` lists
:class:`Backend` entries. The shapes differ across API
versions, and these models accept all of them:

* v0.3: ``date`` is an integer (Unix epoch seconds), fidelities carry ``mean`` (and maybe
  ``stderr``/``median``);
* v0.4: ``date`` is ISO 8601 text, a fidelity may carry only ``median`` (or only ``spam``),
  and the list's ``characterizations`` may be ``null``;
* v0.1 (legacy calibrations): ``target`` instead of ``backend``, ISO date with milliseconds.

A v0.4 ``GET /backends`` entry (and ``GET /backends/{backend}``) may also name the gates the
device accepts: ``supported_native_gates`` (e.g. ``["gpi", "gpi2", "zz"]``), ``supported_gates``
(the QIS gates) and ``supported_error_mitigations``, as in IonQ's OpenAPI-generated SDK
(ionq/ionq-core-python, ``ionq_core/models/backend.py``). v0.3 entries have none of them.

Times are seconds. This module knows nothing of qiskit.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, Strict, TypeAdapter

from ..model import MAX_QUBITS

__all__ = [
    "Backend",
    "Characterization",
    "CharacterizationList",
    "Fidelities",
    "FidelityStatistics",
    "Timing",
    "backend_adapter",
    "backends_adapter",
    "characterization_adapter",
    "characterization_list_adapter",
]

Probability = Annotated[float, Strict(), Field(ge=0.0, le=1.0, allow_inf_nan=False)]
Seconds = Annotated[float, Strict(), Field(ge=0.0, allow_inf_nan=False)]
QubitIndex = Annotated[int, Strict(), Field(ge=0)]
Name = Annotated[str, Strict(), Field(min_length=1)]


class _Model(BaseModel):
    """Unknown fields are ignored (payloads grow); known ones must have exactly their type."""

    model_config = ConfigDict(extra="ignore", frozen=True, strict=True, populate_by_name=True)


class FidelityStatistics(_Model):
    """Summary statistics of one kind of operation's fidelity, each in [0, 1]."""

    mean: Probability | None = None
    median: Probability | None = None
    stderr: Annotated[float, Strict(), Field(ge=0.0, allow_inf_nan=False)] | None = None


class Fidelities(_Model):
    spam: FidelityStatistics | None = None
    one_qubit: FidelityStatistics | None = Field(default=None, alias="1q")
    two_qubit: FidelityStatistics | None = Field(default=None, alias="2q")


class Timing(_Model):
    """Durations and coherence times, seconds."""

    readout: Seconds | None = None
    reset: Seconds | None = None
    one_qubit: Seconds | None = Field(default=None, alias="1q")
    two_qubit: Seconds | None = Field(default=None, alias="2q")
    t1: Seconds | None = None
    t2: Seconds | None = None


class Characterization(_Model):
    """One characterization of one IonQ QPU."""

    id: str | None = None
    date: Annotated[int, Strict()] | Annotated[str, Strict()] | None = None
    """Unix epoch seconds (v0.3) or ISO 8601 text (v0.1, v0.4)."""
    backend: str | None = None
    target: str | None = None
    """The v0.1 name of ``backend``."""
    qubits: Annotated[int, Strict(), Field(ge=0, le=MAX_QUBITS)]
    connectivity: list[list[QubitIndex]] | None = None
    """Unordered qubit pairs that support a two-qubit gate; absent means all pairs."""
    fidelity: Fidelities | None = None
    timing: Timing | None = None


class CharacterizationList(_Model):
    """``GET /characterizations/backends/{backend}``: a page of characterizations."""

    characterizations: list[Characterization] | None = None
    pages: Annotated[int, Strict(), Field(ge=0)] | None = None


characterization_adapter: TypeAdapter[Characterization] = TypeAdapter(Characterization)
characterization_list_adapter: TypeAdapter[CharacterizationList] = TypeAdapter(
    CharacterizationList
)


class Backend(_Model):
    """One entry of ``GET /backends`` (v0.3 and v0.4 shapes): a QPU and its state now."""

    backend: Annotated[str, Strict()]
    status: str | None = None
    """``available``, ``unavailable``, ``retired``...: IonQ's word for it."""
    qubits: Annotated[int, Strict(), Field(ge=0, le=MAX_QUBITS)] | None = None
    average_queue_time: Seconds | None = None
    """The average wait before a job runs, in milliseconds (despite the type's name)."""
    last_updated: Annotated[int, Strict()] | Annotated[float, Strict()] | Annotated[
        str, Strict()] | None = None
    """When the QPU's characterization was last updated: Unix epoch seconds (v0.3) or ISO
    8601 text (v0.4)."""
    characterization_id: str | None = None
    """v0.4: the id of the newest characterization."""
    degraded: bool | None = None
    has_access: bool | None = None
    supported_native_gates: list[Name] | None = None
    """v0.4: IonQ's names of the native gates the device runs (``gpi``, ``gpi2``, ``ms`` or
    ``zz``); absent in v0.3."""
    supported_gates: list[Name] | None = None
    """v0.4: IonQ's names of the QIS gates it accepts (``x``, ``cnot``, ``zz``...)."""
    supported_error_mitigations: list[Name] | None = None
    """v0.4: e.g. ``["debiasing"]``."""


backend_adapter: TypeAdapter[Backend] = TypeAdapter(Backend)
backends_adapter: TypeAdapter[list[Backend]] = TypeAdapter(list[Backend])
