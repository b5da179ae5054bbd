"""IQM quality metric sets (with, optionally, the dynamic quantum architecture and the
calibration set) -> the neutral :class:`~qtargets.Calibration`.

What maps where (docs/iqm.md has the full table and the reasons):

* **Qubits.** With an architecture, qubit ``i`` is ``architecture.qubits[i]`` (IQM's own
  qiskit backend numbers them so); without one, ``QBn`` is qubit ``n - 1``. The names are kept
  in ``provenance.notes``. Computational resonators (IQM Star) are not qubits: left out.
* **Gates.** IQM's ``prx(angle, phase)`` is qiskit's ``r(theta, phi)`` (the same matrix,
  exp(-i θ/2 (cos φ X + sin φ Y)); qiskit-on-iqm maps it so), ``cz`` is ``cz`` and
  ``measure`` is ``measure``; ``id`` and ``delay`` run on every qubit, as in IQM's Target.
* **Errors.** ``error = 1 - fidelity`` for the fidelity IQM reports per gate, implementation
  and locus: ``metrics.rb.prx...fidelity`` (randomized benchmarking of prx),
  ``metrics.irb.cz...fidelity`` (interleaved RB of cz), ``metrics.ssro.measure...fidelity``
  (single-shot readout). RB and IRB estimate the *average gate* fidelity (Magesan et al.,
  PRL 106, 180504 (2011) and PRL 109, 080505 (2012)), and qiskit's
  ``InstructionProperties.error`` is an average error, as IBM's RB ``gate_error``: no
  conversion to process fidelity (F_pro = ((d+1) F_avg - 1) / d, Nielsen, Phys. Lett. A
  303, 249 (2002)) is made, exactly as qiskit-on-iqm's ``IQMTarget`` does. Which method
  serves which gate is IQM's own table (``GATE_FIDELITY_METHODS`` of iqm-station-control-client):
  ``rb`` for prx, ``ssro`` for measure, ``irb`` otherwise.
* **Readout.** ``readout_error = 1 - ssro fidelity`` (= the mean of the two assignment errors
  in IQM's data), ``prob_meas1_prep0 = error_0_to_1``, ``prob_meas0_prep1 = error_1_to_0``.
* **Times.** ``t1_time``, ``t2_time`` (seconds, by their ``unit``); gate durations
  (``gates.<gate>.<implementation>.<locus>.duration``) come from the calibration set only.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, TypeVar

from .._exceptions import CalibrationError, warn
from ..build import build_target
from ..model import (
    MAX_QUBITS,
    Calibration,
    GateCalibration,
    InstructionCalibration,
    Provenance,
    QubitCalibration,
    parse_timestamp,
    utc,
    validate_payload,
)
from ..units import to_si
from .models import (
    DynamicQuantumArchitecture,
    ObservationSet,
    architecture_adapter,
    observation_set_adapter,
)

__all__ = [
    "GATE_NAMES",
    "PROCESSORS",
    "Payload",
    "backend_name_of",
    "fidelity_method",
    "from_iqm",
    "parse_architecture",
    "parse_observation_set",
    "to_calibration",
]

if TYPE_CHECKING:
    from qiskit.transpiler import Target

Payload = str | bytes | bytearray | dict[str, object]

GATE_NAMES: dict[str, tuple[str, tuple[str, ...]]] = {
    "prx": ("r", ("\u03f4", "\u03c6")),  # qiskit's own parameter names of RGate: ϴ, φ
    "cz": ("cz", ()),
    "measure": ("measure", ()),
}
"""IQM operation -> (qiskit instruction name, its parameter names), as qiskit-on-iqm maps
them. Other IQM operations (``cc_prx``, ``move``, ``prx_12``, ``measure_fidelity``,
``reset_wait``...) are left out and named in the provenance notes."""

_WIDTHS = {"prx": 1, "cz": 2, "measure": 1}
_FIDELITY_METHODS = {"prx": "rb", "measure": "ssro"}
_DEFAULT_FIDELITY_METHOD = "irb"

PROCESSORS = {"garnet": "IQM Crystal 20", "emerald": "IQM Crystal 54"}
"""Processor of the IQM quantum computers whose architecture is public, by alias."""

_QUBIT = re.compile(r"QB([1-9][0-9]*)")
_LOCUS_SEPARATOR = "__"  # IQM's LOCUS_SEPARATOR: QB1__QB2


def fidelity_method(gate: str) -> str:
    """The benchmark whose fidelity IQM reports as ``gate``'s (IQM's own rule)."""
    return _FIDELITY_METHODS.get(gate, _DEFAULT_FIDELITY_METHOD)


def parse_observation_set(payload: Payload, root: str = "metrics") -> ObservationSet:
    """A quality metric set or calibration set body, validated (paths start at ``root``)."""
    return validate_payload(observation_set_adapter, payload, root)


def parse_architecture(payload: Payload, root: str = "architecture"
                       ) -> DynamicQuantumArchitecture:
    """A dynamic quantum architecture body, validated (paths start at ``root``)."""
    return validate_payload(architecture_adapter, payload, root)


def backend_name_of(metrics: ObservationSet) -> str:
    """The name of a calibration read from a file: ``iqm_`` and the chip's label (a quality
    metric set names its chip, not the quantum computer)."""
    return f"iqm_{metrics.dut_label or 'unknown'}"


# -- reading observations -----------------------------------------------------------------------


Key = tuple[str, str, tuple[str, ...]]  # (gate, implementation, locus)
_K = TypeVar("_K")


@dataclass
class _Readings:
    """The numbers qtargets uses, from one or two observation sets, each with its path."""

    fidelity: dict[Key, float] = field(default_factory=dict)
    readout: dict[tuple[str, tuple[str, ...]], dict[str, float]] = field(default_factory=dict)
    duration: dict[Key, float] = field(default_factory=dict)
    t1: dict[str, float] = field(default_factory=dict)
    t2: dict[str, float] = field(default_factory=dict)
    components: set[str] = field(default_factory=set)
    invalid: int = 0
    repeated: list[str] = field(default_factory=list)


def _number(path: str, name: str, value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(
            value):
        raise CalibrationError(path, f"{name}: expected a finite number", value)
    return float(value)


def _fraction(path: str, name: str, value: object, unit: str) -> float:
    number = _number(f"{path}.value", name, value)
    if unit != "":
        raise CalibrationError(f"{path}.unit", f"{name}: expected '' (dimensionless)", unit)
    if not 0.0 <= number <= 1.0:
        raise CalibrationError(f"{path}.value", f"{name}: expected a probability in [0, 1]",
                               value)
    return number


def _seconds(path: str, name: str, value: object, unit: str) -> float:
    number = _number(f"{path}.value", name, value)
    seconds = to_si(number, unit, "time")
    if seconds is None:
        raise CalibrationError(f"{path}.unit", f"{name}: expected a unit of time (s, ns...)",
                               unit)
    if seconds < 0:
        raise CalibrationError(f"{path}.value", f"{name}: expected a time >= 0", value)
    return seconds


def _keep(table: dict[_K, float], key: _K, value: float, name: str,
          readings: _Readings) -> None:
    # IQM's ObservationFinder keeps the first of repeated observations (e.g. one name with
    # two suffixes) and warns; so does this
    if key in table:
        readings.repeated.append(name)
    else:
        table[key] = value


def _locus(path: str, gate: str, locus: tuple[str, ...], value: object) -> tuple[str, ...]:
    """``locus``, if it has as many distinct components as ``gate`` acts on (for the gates
    qtargets models; any other gate's loci are not read)."""
    width = _WIDTHS.get(gate)
    if width is not None and (len(locus) != width or len(set(locus)) != width):
        raise CalibrationError(path, f"{gate} acts on {width} distinct component(s), not "
                               f"{_LOCUS_SEPARATOR.join(locus)}", value)
    return locus


def _read(observations: ObservationSet, root: str, readings: _Readings, *,
          durations: bool) -> None:
    for i, obs in enumerate(observations.observations):
        path = f"{root}.observations[{i}]"
        name = obs.dut_field
        if obs.invalid:
            readings.invalid += 1
            continue
        parts = name.partition(":")[0].split(".")
        if parts[0] == "characterization" and len(parts) == 4 and parts[1] == "model":
            component, quantity = parts[2], parts[3]
            readings.components.add(component)
            if quantity == "t1_time":
                _keep(readings.t1, component, _seconds(path, name, obs.value, obs.unit), name,
                      readings)
            elif quantity == "t2_time":
                _keep(readings.t2, component, _seconds(path, name, obs.value, obs.unit), name,
                      readings)
        elif parts[0] == "metrics" and len(parts) == 6:
            method, gate, implementation, locus_text, metric = parts[1:]
            locus = _locus(f"{path}.dut_field", gate, tuple(locus_text.split(_LOCUS_SEPARATOR)),
                           name)
            readings.components.update(locus)
            if gate == "measure" and method == "ssro" and metric in ("error_0_to_1",
                                                                      "error_1_to_0"):
                errors = readings.readout.setdefault((implementation, locus), {})
                _keep(errors, metric, _fraction(path, name, obs.value, obs.unit), name,
                      readings)
            elif metric == "fidelity" and method == fidelity_method(gate):
                _keep(readings.fidelity, (gate, implementation, locus),
                      _fraction(path, name, obs.value, obs.unit), name, readings)
        elif (durations and parts[0] == "gates" and len(parts) == 5
              and parts[4] == "duration"):
            locus = _locus(f"{path}.dut_field", parts[1], tuple(parts[3].split(_LOCUS_SEPARATOR)),
                           name)
            _keep(readings.duration, (parts[1], parts[2], locus),
                  _seconds(path, name, obs.value, obs.unit), name, readings)


# -- the architecture: given, or what the metrics were measured on ----------------------------


@dataclass(frozen=True)
class _Gate:
    name: str
    loci: tuple[tuple[str, ...], ...]
    implementation: dict[tuple[str, ...], str]


def _qubit_number(name: str) -> int | None:
    found = _QUBIT.fullmatch(name)
    return int(found.group(1)) if found is not None else None


def _from_architecture(dqa: DynamicQuantumArchitecture) -> tuple[list[str], list[_Gate]]:
    qubits = list(dqa.qubits)
    if len(set(qubits)) != len(qubits):
        duplicate = next(q for q in qubits if qubits.count(q) > 1)
        raise CalibrationError("architecture.qubits", "duplicate qubit name", duplicate)
    gates = []
    for gate, info in dqa.gates.items():
        if info.default_implementation not in info.implementations:
            raise CalibrationError(f"architecture.gates.{gate}.default_implementation",
                                   f"not one of the implementations "
                                   f"({', '.join(info.implementations)})",
                                   info.default_implementation)
        overrides = {tuple(k.split(",")): v
                     for k, v in info.override_default_implementation.items()}
        for locus, implementation in overrides.items():
            if implementation not in info.implementations:
                raise CalibrationError(
                    f"architecture.gates.{gate}.override_default_implementation."
                    f"{','.join(locus)}", "not one of the implementations", implementation)
        loci: dict[tuple[str, ...], None] = {}
        for impl_name, impl in info.implementations.items():
            for j, locus_list in enumerate(impl.loci):
                locus = _locus(
                    f"architecture.gates.{gate}.implementations.{impl_name}.loci[{j}]", gate,
                    tuple(locus_list), locus_list)
                if len(set(locus)) != len(locus):
                    raise CalibrationError(
                        f"architecture.gates.{gate}.implementations.{impl_name}.loci[{j}]",
                        "a component appears twice", locus_list)
                loci[locus] = None
        gates.append(_Gate(gate, tuple(loci), {
            locus: overrides.get(locus, info.default_implementation) for locus in loci}))
    return qubits, gates


def _from_metrics(readings: _Readings) -> tuple[list[str], list[_Gate], list[str]]:
    """Qubits ``QB1..QBn`` (n the highest number seen) and every locus with a metric."""
    numbers = {q: n for q in readings.components if (n := _qubit_number(q)) is not None}
    highest = max(numbers.values(), default=0)
    if highest > MAX_QUBITS:
        raise CalibrationError("metrics.observations", f"qubit number above {MAX_QUBITS}",
                               f"QB{highest}")
    qubits = [f"QB{n}" for n in range(1, highest + 1)]
    others = sorted(readings.components - set(numbers))
    seen: dict[str, dict[tuple[str, ...], set[str]]] = {}
    keys: Iterable[tuple[str, str, tuple[str, ...]]] = (
        *readings.fidelity, *(("measure", impl, locus) for impl, locus in readings.readout))
    for gate, implementation, locus in keys:
        seen.setdefault(gate, {}).setdefault(locus, set()).add(implementation)
    gates = []
    for gate, by_locus in seen.items():
        chosen = {}
        for locus, implementations in by_locus.items():
            if len(implementations) > 1:  # only an architecture says which one is in use
                raise CalibrationError(
                    "architecture", f"the metrics hold {gate} on {_LOCUS_SEPARATOR.join(locus)} "
                    f"in {len(implementations)} implementations "
                    f"({', '.join(sorted(implementations))}): pass the dynamic quantum "
                    "architecture to tell which one is used", show_value=False)
            chosen[locus] = next(iter(implementations))
        gates.append(_Gate(gate, tuple(sorted(by_locus, key=_locus_order)), chosen))
    return qubits, gates, others


def _locus_order(locus: tuple[str, ...]) -> tuple[tuple[str, int], ...]:
    return tuple((re.sub(r"[0-9]", "", c), _qubit_number(c) or 0) for c in locus)


# -- conversion ---------------------------------------------------------------------------------


def to_calibration(
    metrics: Payload | ObservationSet,
    architecture: Payload | DynamicQuantumArchitecture | None = None,
    calibration_set: Payload | ObservationSet | None = None,
    *,
    backend_name: str | None = None,
    source: str | None = None,
    retrieved_at: datetime | None = None,
) -> Calibration:
    """The neutral calibration of an IQM quality metric set (``metrics``).

    ``architecture`` (the dynamic quantum architecture of the same calibration set) decides
    qubit order, loci and which implementation runs where; without it they are read off the
    metrics (``QBn`` is qubit ``n - 1``). ``calibration_set`` adds gate durations.
    ``backend_name`` defaults to ``iqm_`` and the chip label. Raises
    :class:`~qtargets.CalibrationError` naming the path of a malformed field.

    >>> cal = to_calibration(open("garnet_metrics.json", "rb").read(),   # doctest: +SKIP
    ...                      backend_name="iqm_garnet")
    """
    qms = metrics if isinstance(metrics, ObservationSet) else parse_observation_set(metrics)
    if qms.observation_set_type != "quality-metric-set":
        raise CalibrationError("metrics.observation_set_type", "expected 'quality-metric-set'",
                               qms.observation_set_type)
    dqa = (architecture if isinstance(architecture, DynamicQuantumArchitecture) or
           architecture is None else parse_architecture(architecture))
    cal_set = (calibration_set if isinstance(calibration_set, ObservationSet) or
               calibration_set is None
               else parse_observation_set(calibration_set, "calibration_set"))
    if cal_set is not None and cal_set.observation_set_type != "calibration-set":
        raise CalibrationError("calibration_set.observation_set_type",
                               "expected 'calibration-set'", cal_set.observation_set_type)
    measured = qms.describes_id
    if dqa is not None and measured is not None and dqa.calibration_set_id != measured:
        raise CalibrationError("architecture.calibration_set_id",
                               f"not the calibration set the metrics describe ({measured})",
                               dqa.calibration_set_id)
    if cal_set is not None and measured is not None and cal_set.observation_set_id != measured:
        raise CalibrationError("calibration_set.observation_set_id",
                               f"not the calibration set the metrics describe ({measured})",
                               cal_set.observation_set_id)

    readings = _Readings()
    _read(qms, "metrics", readings, durations=False)
    if cal_set is not None:
        _read(cal_set, "calibration_set", readings, durations=True)
    if dqa is not None:
        qubits, gates = _from_architecture(dqa)
        others = sorted(dqa.computational_resonators)
    else:
        qubits, gates, others = _from_metrics(readings)
    index = {name: i for i, name in enumerate(qubits)}

    instructions: list[InstructionCalibration] = []
    left_out: list[str] = []
    resonator_loci = 0
    loci_of: dict[str, set[str]] = {}
    for gate in gates:
        if gate.name not in GATE_NAMES:
            left_out.append(gate.name)
            continue
        qiskit_name, parameters = GATE_NAMES[gate.name]
        qargs = []
        for locus in gate.loci:
            if any(c not in index for c in locus):
                resonator_loci += 1  # on a computational resonator (or an unknown component)
                continue
            implementation = gate.implementation[locus]
            key = (gate.name, implementation, locus)
            fidelity = readings.fidelity.get(key)
            qargs.append(GateCalibration(tuple(index[c] for c in locus),
                                         None if fidelity is None else 1.0 - fidelity,
                                         readings.duration.get(key)))
            if len(locus) == 1:
                loci_of.setdefault(locus[0], set()).add(gate.name)
        width = len(gate.loci[0]) if gate.loci else (2 if gate.name == "cz" else 1)
        if gate.name == "measure":
            instructions.append(InstructionCalibration(
                "measure", "measure", 1, num_clbits=1, qargs=tuple(qargs)))
        else:
            instructions.append(InstructionCalibration(
                qiskit_name, "gate", width, parameters=parameters, qargs=tuple(qargs)))
    if resonator_loci:
        warn(f"IQM metrics: {resonator_loci} gate loci on computational resonators "
             f"({', '.join(others) or 'components that are not qubits'}) left out: qtargets "
             "models qubits only (see docs/iqm.md)")
    n = len(qubits)
    instructions.append(InstructionCalibration(
        "id", "gate", 1, qargs=tuple(GateCalibration((q,)) for q in range(n))))
    instructions.append(InstructionCalibration(
        "delay", "delay", 1, parameters=("t",), qargs=tuple(GateCalibration((q,))
                                                           for q in range(n))))
    instructions.sort(key=lambda inst: _ORDER.get(inst.name, len(_ORDER)))

    qubit_cals = []
    for name in qubits:
        impl = next((g.implementation.get((name,)) for g in gates if g.name == "measure"
                     and (name,) in g.implementation), None)
        fidelity = readings.fidelity.get(("measure", impl, (name,))) if impl else None
        errors = readings.readout.get((impl, (name,)), {}) if impl else {}
        # IQM's backend drops a qubit without prx or measure (in the architecture; without
        # one, with no metric of them: a QBn with no data at all); it stays, marked faulty
        usable = {"prx", "measure"} <= loci_of.get(name, set())
        qubit_cals.append(QubitCalibration(
            t1=readings.t1.get(name), t2=readings.t2.get(name),
            readout_error=None if fidelity is None else 1.0 - fidelity,
            readout_duration=readings.duration.get(("measure", impl, (name,))) if impl
            else None,
            prob_meas1_prep0=errors.get("error_0_to_1"),
            prob_meas0_prep1=errors.get("error_1_to_0"),
            operational=usable))

    if readings.invalid:
        warn(f"IQM metrics: {readings.invalid} observation(s) marked invalid by IQM left out")
    if readings.repeated:
        warn(f"IQM metrics: {len(readings.repeated)} repeated observation(s) left out, the "
             f"first of each kept (as IQM's client does), e.g. {readings.repeated[0]}")

    alias = (backend_name or "").removeprefix("iqm_")
    name = backend_name or backend_name_of(qms)
    taken = _timestamp(qms)
    notes = [f"IQM quality metric set {qms.observation_set_id}"
             + (f" of calibration set {qms.describes_id}" if qms.describes_id else "")
             + (f", chip {qms.dut_label}" if qms.dut_label else "") + ".",
             "Qubits: " + ", ".join(f"{q}={i}" for i, q in enumerate(qubits)) + "."]
    if dqa is None:
        notes.append("No dynamic quantum architecture: loci are those with metrics.")
    if cal_set is None:
        notes.append("No calibration set: gate durations unknown.")
    if left_out:
        notes.append(f"IQM operations not modelled: {', '.join(sorted(left_out))}.")
    if others:
        notes.append(f"Not qubits, left out: {', '.join(others)}.")
    return Calibration(
        vendor="iqm",
        backend_name=name,
        num_qubits=n,
        qubits=tuple(qubit_cals),
        instructions=tuple(instructions),
        provenance=Provenance(
            source=source or f"IQM quality metric set {qms.observation_set_id}",
            retrieved_at=utc(retrieved_at) if retrieved_at is not None else None,
            notes=" ".join(notes)),
        taken_at=taken,
        backend_version=qms.describes_id,
        processor=PROCESSORS.get(alias),
    )


_ORDER = {name: i for i, name in enumerate(("cz", "id", "r", "delay", "measure"))}


def _timestamp(qms: ObservationSet) -> datetime | None:
    """When the metrics were complete: the set's ``end_timestamp`` (finalized), else its
    ``created_timestamp``."""
    for key in ("end_timestamp", "created_timestamp"):
        text = getattr(qms, key)
        if text is not None:
            try:
                return parse_timestamp(text)
            except (ValueError, OverflowError):
                raise CalibrationError(f"metrics.{key}", "expected an ISO 8601 date-time",
                                       text) from None
    return None


def from_iqm(metrics: Payload | ObservationSet,
             architecture: Payload | DynamicQuantumArchitecture | None = None,
             calibration_set: Payload | ObservationSet | None = None, *,
             backend_name: str | None = None, **target_options: Any) -> Target:
    """A qiskit ``Target`` of an IQM quality metric set: :func:`to_calibration`, then
    :func:`qtargets.build_target` (``target_options`` are its keyword arguments)."""
    return build_target(to_calibration(metrics, architecture, calibration_set,
                                       backend_name=backend_name), **target_options)
