"""Pydantic models of the IQM Server payloads qtargets reads (IQM Resonance and on-premises
IQM Server alike, API v1, the paths :mod:`iqm.iqm_client` uses):

* ``GET /api/v1/calibration-sets/{qc}/{id}/metrics``: a **quality metric set**
  (:class:`ObservationSet`, ``observation_set_type == "quality-metric-set"``): the T1/T2 times,
  randomized-benchmarking and readout fidelities measured for calibration set ``id``
  (``default``: the one in use now);
* ``GET /api/v1/calibration-sets/{qc}/{id}``: the **calibration set** itself (the same shape,
  ``"calibration-set"``): the operating point, among it each gate's duration;
* ``GET /api/v1/calibration-sets/{qc}/{id}/dynamic-quantum-architecture``: the
  :class:`DynamicQuantumArchitecture`: which gates run on which loci, with which
  implementation;
* ``GET /api/v1/quantum-computers``: :class:`QuantumComputers`, what the token can see.

An observation set is a flat list of observations, each named by a dotted ``dut_field``
(``metrics.rb.prx.drag_crf.QB4.fidelity:par=d2``); :mod:`qtargets.iqm.convert` reads the
names. This module knows nothing of qiskit.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, JsonValue, Strict, TypeAdapter

from ..model import MAX_QUBITS

__all__ = [
    "DynamicQuantumArchitecture",
    "GateImplementation",
    "GateInfo",
    "Observation",
    "ObservationSet",
    "ObservationSetType",
    "QuantumComputer",
    "QuantumComputers",
    "architecture_adapter",
    "observation_set_adapter",
    "quantum_computers_adapter",
]

ObservationSetType = Literal["quality-metric-set", "calibration-set", "generic-set",
                             "characterization-set"]
"""IQM's kinds of observation set (``iqm.station_control.interface.models.ObservationSetType``);
qtargets reads the first two."""

Name = Annotated[str, Strict(), Field(min_length=1, max_length=1000)]
Locus = Annotated[list[Name], Field(min_length=1, max_length=8)]


class _Model(BaseModel):
    """Unknown fields are ignored (payloads grow); known ones must have exactly their type."""

    model_config = ConfigDict(extra="ignore", frozen=True, strict=True)


class Observation(_Model):
    """One measured or set value: ``dut_field`` names what it is about, ``unit`` its SI unit
    (``""``: dimensionless)."""

    dut_field: Name
    value: JsonValue
    """A number for everything qtargets reads; checked where it is used, with its path."""
    unit: Annotated[str, Strict()] = ""
    uncertainty: JsonValue = None
    invalid: Annotated[bool, Strict()] = False
    """IQM: "automated systems must not use invalid observations"; qtargets leaves them out."""
    observation_id: Annotated[int, Strict()] | None = None
    created_timestamp: Annotated[str, Strict()] | None = None


class ObservationSet(_Model):
    """A quality metric set or a calibration set, with its observations."""

    observation_set_id: Name
    observation_set_type: ObservationSetType
    describes_id: Annotated[str, Strict()] | None = None
    """For a quality metric set: the id of the calibration set it measured."""
    dut_label: Annotated[str, Strict()] | None = None
    """The chip (device under test) the set is about, e.g. ``M194_F0W2114_P08_B15``."""
    created_timestamp: Annotated[str, Strict()] | None = None
    end_timestamp: Annotated[str, Strict()] | None = None
    """When the set was finalized (``None``: not yet)."""
    invalid: Annotated[bool, Strict()] = False
    observations: Annotated[list[Observation], Field(max_length=50 * MAX_QUBITS)]


class GateImplementation(_Model):
    loci: Annotated[list[Locus], Field(max_length=MAX_QUBITS * 8)]
    """The loci (tuples of component names, ordered) it is calibrated for."""


class GateInfo(_Model):
    implementations: dict[Name, GateImplementation]
    default_implementation: Name
    override_default_implementation: dict[Name, Name] = Field(default_factory=dict)
    """Locus (components joined by ``,`` in JSON) -> the implementation used there instead."""


class DynamicQuantumArchitecture(_Model):
    """What a calibration set makes available: qubits, resonators and gates with their loci."""

    calibration_set_id: Name
    qubits: Annotated[list[Name], Field(max_length=MAX_QUBITS)]
    computational_resonators: Annotated[list[Name], Field(max_length=MAX_QUBITS)] = Field(
        default_factory=list)
    gates: dict[Name, GateInfo]


class QuantumComputer(_Model):
    alias: Name
    """The name API paths take (``garnet``); qtargets names the device ``iqm_<alias>``."""
    id: Annotated[str, Strict()] | None = None
    display_name: Annotated[str, Strict()] | None = None


class QuantumComputers(_Model):
    quantum_computers: Annotated[list[QuantumComputer], Field(max_length=10_000)]


observation_set_adapter: TypeAdapter[ObservationSet] = TypeAdapter(ObservationSet)
architecture_adapter: TypeAdapter[DynamicQuantumArchitecture] = TypeAdapter(
    DynamicQuantumArchitecture)
quantum_computers_adapter: TypeAdapter[QuantumComputers] = TypeAdapter(QuantumComputers)
