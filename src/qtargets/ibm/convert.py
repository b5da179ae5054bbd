"""IBM ``/configuration`` + ``/properties`` payloads -> neutral :class:`~qtargets.Calibration`.

Which instructions exist, on which qubits, and which are global follows qiskit-ibm-runtime's
``convert_to_target`` exactly (the parity tests hold us to it), except where that reference is
wrong; those differences are listed in ``docs/ibm.md``.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime
from functools import cache
from typing import Any

from qiskit.transpiler import Target

from .._exceptions import CalibrationError, warn
from ..build import CONTROL_FLOW_OPERATIONS, build_target, standard_operations
from ..model import (
    Calibration,
    CouplerCalibration,
    GateCalibration,
    InstructionCalibration,
    InstructionKind,
    LayerFidelity,
    Provenance,
    QubitCalibration,
    TimingConstraints,
    parse_timestamp,
    utc,
    validate_payload,
)
from ..units import SCALES, Dimension
from ._wire import (
    WireConfiguration,
    WireGeneralQubitList,
    WireNduv,
    WireProperties,
    WireTargetProperties,
    decode_configuration,
    decode_properties,
    decode_target_properties,
)
from .models import (
    BackendConfiguration,
    BackendProperties,
    configuration_adapter,
    properties_adapter,
)

__all__ = ["from_ibm", "parse_configuration", "parse_properties", "to_calibration"]

Payload = Mapping[str, Any] | str | bytes | bytearray
"""A JSON body: already parsed (a dict) or as received (``str``/``bytes``)."""

NON_UNITARY = ("measure", "reset", "delay")
DEFAULT_SUPPORTED_INSTRUCTIONS = ("measure", "reset", "delay")
# Parametrised gates IBM implements in software (virtual Z) or as waits: never "fractional".
NOT_FRACTIONAL = frozenset({"rz", "p", "u1", "delay"})
RZZ_ANGLE_BOUNDS = ((0.0, 1.5707963267948966),)  # rzz(θ) runs natively for 0 <= θ <= π/2

# Property name -> (field it fills, dimension of its unit, check on the SI value):
# "p" probability in [0, 1], "t" non-negative time, "f" any finite number, "b" flag.
QUBIT_FIELDS: dict[str, tuple[str, Dimension, str]] = {
    "T1": ("t1", "time", "t"),
    "T2": ("t2", "time", "t"),
    "frequency": ("frequency", "frequency", "f"),
    "anharmonicity": ("anharmonicity", "frequency", "f"),
    "readout_error": ("readout_error", "dimensionless", "p"),
    "readout_length": ("readout_duration", "time", "t"),
    "prob_meas0_prep1": ("prob_meas0_prep1", "dimensionless", "p"),
    "prob_meas1_prep0": ("prob_meas1_prep0", "dimensionless", "p"),
    "operational": ("operational", "dimensionless", "b"),
}
GATE_FIELDS: dict[str, tuple[str, Dimension, str]] = {
    "gate_error": ("error", "dimensionless", "p"),
    "gate_length": ("duration", "time", "t"),
    "operational": ("operational", "dimensionless", "b"),
}
KNOWN_TIMING = ("granularity", "min_length", "pulse_alignment", "acquire_alignment")

# ``/properties`` describes every gate the device is calibrated for; ``/configuration`` only
# those of the mode it was fetched in. So real properties of Heron and Nighthawk devices hold
# the fractional gates whether or not the configuration offers them, and legacy devices list
# ``u`` and ``p`` (qiskit's names for ``u3`` and ``u1``) beside the ``u1``/``u2``/``u3`` they
# offer. Those entries are left out quietly; entries of any other gate the configuration does
# not offer are left out with a warning.
OTHER_MODE_GATES = frozenset({"rx", "rzz"})
RENAMED_GATES = {"u": "u3", "p": "u1"}


def parse_configuration(payload: Payload) -> BackendConfiguration:
    """The validated pydantic model of a ``/configuration`` body (dict or JSON text)."""
    return validate_payload(configuration_adapter, payload, "configuration")


def parse_properties(payload: Payload) -> BackendProperties:
    """The validated pydantic model of a ``/properties`` body (dict or JSON text)."""
    return validate_payload(properties_adapter, payload, "properties")


def to_calibration(
    configuration: Payload,
    properties: Payload | None = None,
    *,
    source: str | None = None,
    retrieved_at: datetime | None = None,
) -> Calibration:
    """The neutral calibration described by an IBM configuration and (optional) properties.

    ``configuration`` and ``properties`` are the JSON bodies of
    ``GET /v1/backends/{id}/configuration`` and ``.../properties``, as dicts or JSON
    ``str``/``bytes``. Without properties the calibration holds no errors, durations or qubit
    data: only which instructions exist where. ``properties.general`` gives the layer
    fidelities and coupler numbers (see :func:`_general`).

    Raises :class:`~qtargets.CalibrationError` naming the JSON path of any bad field.
    """
    return _to_calibration(configuration, properties, general=True, source=source,
                           retrieved_at=retrieved_at)


def _to_calibration(
    configuration: Payload,
    properties: Payload | None,
    *,
    general: bool,
    source: str | None = None,
    retrieved_at: datetime | None = None,
) -> Calibration:
    """:func:`to_calibration`; without ``general`` (for a Target, which holds none of its
    numbers), ``properties.general`` and ``general_qlists`` are neither read nor checked."""
    conf = decode_configuration(configuration)
    props: WireTargetProperties | None = None
    if properties is not None:
        props = (decode_properties if general else decode_target_properties)(properties)
    if props is not None:
        _same_device(conf, props)
    _check_coupling_map(conf)
    warned: set[str] = set()

    def warn_once(key: str, message: str) -> None:
        if key not in warned:
            warned.add(key)
            warn(message)

    shapes = _shapes(conf, warn_once)
    if props is not None:
        qubits = _qubits(props, conf.n_qubits, warn_once)
    else:
        qubits = [QubitCalibration()] * conf.n_qubits
    where = _where(conf, props, shapes, qubits, warn_once)
    instructions = []
    for name, (kind, width, params, clbits, fractional) in shapes.items():
        slot = where[name]
        instructions.append(InstructionCalibration(
            name=name,
            kind=kind,
            num_qubits=width,
            parameters=params,
            num_clbits=clbits,
            qargs=None if slot is None else tuple(slot.values()),
            fractional=fractional,
            angle_bounds=RZZ_ANGLE_BOUNDS if name == "rzz" and kind == "gate" else None,
        ))

    taken_at = _timestamp(props.last_update_date) if props is not None else None
    layers: tuple[LayerFidelity, ...] = ()
    couplers: tuple[CouplerCalibration, ...] = ()
    if isinstance(props, WireProperties) and (props.general or props.general_qlists):
        layers, couplers = _general(props, conf, where, warn_once)
    return Calibration._from_checked_fields(
        vendor="ibm",
        backend_name=conf.backend_name,
        backend_version=conf.backend_version,
        processor=_processor(conf),
        num_qubits=conf.n_qubits,
        qubits=tuple(qubits),
        instructions=tuple(instructions),
        dt=conf.dt * 1e-9 if conf.dt is not None else None,
        timing_constraints=_timing(conf, warn_once),
        layer_fidelities=layers,
        couplers=couplers,
        taken_at=taken_at,
        provenance=Provenance(
            source=source or f"IBM Quantum backend {conf.backend_name}: configuration"
            + (" and properties" if props is not None else ""),
            retrieved_at=utc(retrieved_at) if retrieved_at is not None else None,
        ),
    )


def from_ibm(
    configuration: Payload,
    properties: Payload | None = None,
    *,
    include_control_flow: bool = True,
    include_fractional_gates: bool = True,
    filter_faulty: bool = True,
    add_delay: bool = True,
) -> Target:
    """A qiskit ``Target`` from IBM ``/configuration`` and ``/properties`` JSON bodies.

    Equal (instructions, qargs, errors, durations, qubit properties, timing) to
    ``qiskit_ibm_runtime``'s ``convert_to_target`` on the same data, minus its known bugs.
    ``properties.general`` is neither read nor checked: no Target holds its numbers
    (:func:`to_calibration` reads them).

    >>> import qtargets, json
    >>> target = qtargets.from_ibm(conf_json, props_json)  # doctest: +SKIP
    """
    return build_target(
        _to_calibration(configuration, properties, general=False),
        include_control_flow=include_control_flow,
        include_fractional_gates=include_fractional_gates,
        filter_faulty=filter_faulty,
        add_delay=add_delay,
    )


# -- helpers -----------------------------------------------------------------------------------


_Shape = tuple[InstructionKind, int, tuple[str, ...], int, bool]
"""(kind, number of qubits, parameter names, number of clbits, fractional?)"""


def _shapes(conf: WireConfiguration, warn_once: Callable[[str, str], None]) -> dict[str, _Shape]:
    """Every instruction the device offers, by name, in the payload's order."""
    supported = conf.supported_instructions or DEFAULT_SUPPORTED_INSTRUCTIONS
    gate_configs = {gate.name: gate for gate in conf.gates}
    names: dict[str, None] = dict.fromkeys(conf.basis_gates)
    names.update(dict.fromkeys(s for s in supported if s in NON_UNITARY))
    names.update(dict.fromkeys(s for s in supported if s in CONTROL_FLOW_OPERATIONS))

    standard = standard_operations()
    shapes: dict[str, _Shape] = {}
    for name in names:
        if name in CONTROL_FLOW_OPERATIONS:
            shapes[name] = ("control_flow", 0, (), 0, False)
        elif name in standard:
            shapes[name] = _standard_shape(name)
        elif name in gate_configs:
            gate = gate_configs[name]
            width = len(gate.coupling_map[0]) if gate.coupling_map else 0
            shapes[name] = ("gate", width, tuple(gate.parameters or ()), 0, False)
        else:
            warn_once(
                f"undefined:{name}",
                f"configuration.basis_gates: {name!r} is neither a qiskit standard gate nor "
                "defined in configuration.gates; it is left out of the calibration",
            )
    for k, signature in enumerate(conf.instruction_signatures or ()):
        known = standard.get(signature.name)
        if known is not None and (
            known.num_qubits != signature.num_qubits
            or known.num_clbits != signature.num_clbits
            or len(known.params) != len(signature.parameters)
        ):
            raise CalibrationError(
                f"configuration.instruction_signatures[{k}]",
                f"qiskit's {signature.name!r} acts on {known.num_qubits} qubit(s) and "
                f"{known.num_clbits} clbit(s) with {len(known.params)} parameter(s); the "
                "signature says otherwise",
                show_value=False,
            )
        shapes[signature.name] = ("instruction", signature.num_qubits,
                                  tuple(signature.parameters), signature.num_clbits, False)
    return shapes


@cache
def _standard_shape(name: str) -> _Shape:
    """The shape of qiskit's standard gate ``name`` (reading ``params`` builds objects)."""
    op = standard_operations()[name]
    kind: InstructionKind = name if name in NON_UNITARY else "gate"  # type: ignore[assignment]
    params = tuple(p.name for p in op.params)
    return kind, op.num_qubits, params, op.num_clbits, bool(params) and name not in NOT_FRACTIONAL


def _where(
    conf: WireConfiguration,
    props: WireTargetProperties | None,
    shapes: dict[str, _Shape],
    qubits: list[QubitCalibration],
    warn_once: Callable[[str, str], None],
) -> dict[str, dict[tuple[int, ...], GateCalibration] | None]:
    """Per instruction, the qubit tuples it runs on with their numbers; None = global.

    Properties first, then the gate configs' coupling maps add qubit tuples that have no
    measured numbers (ideal gates); measure takes each qubit's readout numbers; measure,
    reset and delay with no data at all run on every qubit.
    """
    n = conf.n_qubits
    qargs: dict[str, dict[tuple[int, ...], GateCalibration] | None] = dict.fromkeys(shapes)
    if props is not None:
        # name -> (width, its qargs dict); measure's numbers come from the readout data below.
        slots: dict[str, tuple[int, dict[tuple[int, ...], GateCalibration]]] = {
            name: (shape[1], {}) for name, shape in shapes.items()
            if shape[0] != "control_flow" and name != "measure"}
        make = tuple.__new__  # GateCalibration(...) without its Python-level __new__
        # Entries whose numbers nothing here takes: their gates, qubits and count, checked
        # after the loop (collecting costs less than checking each one).
        unused_gates: dict[str, None] = {}
        unused_qubits: list[int] = []
        skipped = 0
        for gi, gate_props in enumerate(props.gates):
            found = slots.get(gate_props.gate)
            if found is None:
                unused_gates[gate_props.gate] = None
                unused_qubits += gate_props.qubits
                skipped += 1
                continue
            width, measured = found
            key = tuple(gate_props.qubits)
            if not _plausible_qargs(key, n, width):
                _checked_qubits(f"properties.gates[{gi}].qubits", key, n, width)
            measured[key] = make(GateCalibration,
                             (key, *_gate_values(gate_props.parameters, gi, warn_once)))
        if skipped:
            _check_unused(props, unused_gates, max(unused_qubits, default=0), conf, shapes,
                          slots, warn_once)
        # Fewer qubit tuples than entries: some repeat one, and the last of each was kept.
        if sum(len(measured) for _, measured in slots.values()) + skipped != len(props.gates):
            _report_conflicts(props, slots, warn_once)
        for name, (_, measured) in slots.items():
            if measured:
                qargs[name] = measured
        if "measure" in qargs:
            qargs["measure"] = {
                (i,): make(GateCalibration, ((i,), q.readout_error, q.readout_duration, True))
                for i, q in enumerate(qubits)
            }
    last_config = {gate.name: gi for gi, gate in enumerate(conf.gates)}  # a later one wins
    for gi, gate in enumerate(conf.gates):
        name = gate.name
        if (name not in shapes or not gate.coupling_map or last_config[name] != gi
                or (props is not None and name == "measure")):
            continue
        width = shapes[name][1]
        slot = qargs[name]
        if slot is None:
            slot = qargs[name] = {}
        for j, pair in enumerate(gate.coupling_map):
            key = tuple(pair)
            if key in slot:  # already checked as properties qargs
                continue
            if not _plausible_qargs(key, n, width):
                _checked_qubits(f"configuration.gates[{gi}].coupling_map[{j}]", key, n, width)
            slot[key] = GateCalibration(key)  # rare: ideal gates with no measured numbers
    supported = conf.supported_instructions or DEFAULT_SUPPORTED_INSTRUCTIONS
    for name in NON_UNITARY:
        if name in supported and name in qargs and qargs[name] is None:
            qargs[name] = {(i,): GateCalibration((i,)) for i in range(n)}
    return qargs


def _same_device(conf: WireConfiguration, props: WireTargetProperties) -> None:
    """Refuse properties measured on another device than the configuration describes.

    Combined, they would describe neither device (one's error rates on the other's qubits),
    and when both have as many qubits nothing else would notice.
    """
    if props.backend_name != conf.backend_name:
        raise CalibrationError(
            "properties.backend_name",
            f"expected the configuration's device {conf.backend_name!r}: the properties of "
            "another device cannot be combined with it",
            props.backend_name,
        )


def _check_coupling_map(conf: WireConfiguration) -> None:
    """Refuse a ``configuration.coupling_map`` pair that cannot exist on the device.

    The calibration takes where gates run from the gate configs and the properties, not from
    this map; but a pair naming a qubit the device lacks (or one qubit twice) means the payload
    is corrupt or of another device, and passing over it would hide that.
    """
    n = conf.n_qubits
    for j, pair in enumerate(conf.coupling_map or ()):
        if len(pair) == 2 and pair[0] != pair[1] and pair[0] < n and pair[1] < n:
            continue
        path = f"configuration.coupling_map[{j}]"
        if len(pair) != 2:
            raise CalibrationError(path, "expected a pair of qubits", pair)
        if pair[0] == pair[1]:
            raise CalibrationError(path, "a qubit cannot be coupled to itself", pair)
        raise CalibrationError(path, f"qubit index out of range for {n} qubits", pair)


def _check_unused(
    props: WireTargetProperties,
    gates: Iterable[str],
    top: int,
    conf: WireConfiguration,
    shapes: dict[str, _Shape],
    slots: Mapping[str, object],
    warn_once: Callable[[str, str], None],
) -> None:
    """Check the ``properties.gates`` entries whose numbers the calibration does not take:
    ``gates`` are their names, ``top`` their highest qubit index.

    They are ``measure``'s (its numbers come from the qubits' readout data) and those of gates
    the configuration does not offer. Their qubits must still exist: an index past
    ``n_qubits`` means the properties are corrupt or of another device. A gate the
    configuration does not offer is left out with a warning, unless IBM routinely measures it
    outside the configuration's mode (see :data:`OTHER_MODE_GATES`) or it is a basis gate
    already warned about.
    """
    n = conf.n_qubits
    if top >= n:
        index, entry = next((i, g) for i, g in enumerate(props.gates)
                            if g.gate not in slots and g.qubits and max(g.qubits) >= n)
        k = next(k for k, q in enumerate(entry.qubits) if q >= n)
        raise CalibrationError(f"properties.gates[{index}].qubits[{k}]",
                               f"qubit index out of range for {n} qubits", entry.qubits[k])
    for name in gates:
        if (name in shapes or name in OTHER_MODE_GATES or RENAMED_GATES.get(name) in shapes
                or name in conf.basis_gates):
            continue
        index = next(i for i, g in enumerate(props.gates) if g.gate == name)
        warn_once(f"unoffered:{name}",
                  f"properties.gates[{index}].gate: {name!r} is not among the instructions "
                  "the configuration offers (basis_gates, supported_instructions, "
                  "instruction_signatures); its properties entries are left out of the "
                  "calibration")


def _report_conflicts(
    props: WireTargetProperties,
    slots: Mapping[str, object],
    warn_once: Callable[[str, str], None],
) -> None:
    """Warn where two ``properties.gates`` entries give one gate on the same qubits different
    numbers: only one can be kept, and which one is right the payload does not say.

    The later entry is kept, as qiskit-ibm-runtime does; identical repeats are merged without
    a word, as they lose nothing. One warning per gate name, naming its first conflict. Runs
    only when some entries repeat (the fast loop just counts), so it can afford to decode them
    again.
    """
    seen: dict[tuple[str, tuple[int, ...]], tuple[int, GateCalibration]] = {}
    for index, gate_props in enumerate(props.gates):
        name = gate_props.gate
        if name not in slots:
            continue
        key = tuple(gate_props.qubits)
        entry = GateCalibration(key, *_gate_values(gate_props.parameters, index, warn_once))
        before = seen.get((name, key))
        if before is not None and before[1] != entry:
            earlier, kept = before
            warn_once(
                f"duplicate:{name}",
                f"properties.gates[{index}]: {name} on qubits {list(key)} is also at "
                f"properties.gates[{earlier}] with other numbers ({_figures(kept)} there, "
                f"{_figures(entry)} here); the later entry is kept",
            )
        seen[name, key] = (index, entry)


def _figures(gate: GateCalibration) -> str:
    """A gate entry's numbers as the calibration holds them (SI), for a message."""
    return (f"error={gate.error!r}, duration={gate.duration!r} s, "
            f"operational={gate.operational!r}")


def _plausible_qargs(key: tuple[int, ...], n: int, width: int) -> bool:
    """Cheap test that ``key`` names ``width`` distinct in-range qubits (indices are >= 0)."""
    if len(key) != width or width == 0:
        return False
    if width == 1:
        return key[0] < n
    return max(key) < n and len(set(key)) == width


def _checked_qubits(path: str, qubits: tuple[int, ...], n: int, width: int) -> tuple[int, ...]:
    """``qubits`` if they fit an instruction of ``width`` on ``n`` qubits, else raise why not."""
    key = tuple(qubits)
    if width == 0:
        raise CalibrationError(path, "this instruction acts on no qubits, so it cannot have "
                               "per-qubit entries", list(qubits))
    if len(key) != width:
        raise CalibrationError(path, f"expected {width} qubit(s) for this instruction",
                               list(qubits))
    for k, q in enumerate(key):
        if q >= n:
            raise CalibrationError(f"{path}[{k}]", f"qubit index out of range for {n} qubits", q)
    if len(set(key)) != width:
        raise CalibrationError(path, "expected distinct qubits", qubits)
    return key


def _values(
    records: list[WireNduv],
    fields: dict[str, tuple[str, Dimension, str]],
    root: str,
    index: int,
    sub: str,
    warn_once: Callable[[str, str], None],
) -> dict[str, Any]:
    """SI values of name/date/unit/value records by field name, each unit- and range-checked.

    This runs for every record of a payload (~5,000 on a 156-qubit device): paths are only
    formatted when something is wrong.
    """
    values: dict[str, Any] = {}
    for k, record in enumerate(records):
        name = record.name
        spec = fields.get(name)
        if spec is None:
            warn_once(f"{root}:{name}",
                      f"{root}[{index}]{sub}[{k}].name: unknown property "
                      f"{name!r} is ignored")
            continue
        field, dimension, check = spec
        scale = SCALES[dimension].get(record.unit)
        if scale is None:
            raise CalibrationError(
                f"{root}[{index}]{sub}[{k}].unit",
                f"unknown {dimension} unit for {name} (known: "
                f"{', '.join(repr(u) for u in SCALES[dimension])})", record.unit)
        value = record.value
        value = value / scale[1] if scale[0] else value * scale[1]
        if check == "p":
            if not 0.0 <= value <= 1.0:
                raise CalibrationError(f"{root}[{index}]{sub}[{k}].value",
                                       "expected a probability in [0, 1]", record.value)
        elif check == "t":
            if value < 0.0:
                raise CalibrationError(f"{root}[{index}]{sub}[{k}].value",
                                       "expected a non-negative time", record.value)
            if value == math.inf:  # a huge value in a unit larger than seconds
                raise CalibrationError(f"{root}[{index}]{sub}[{k}].value",
                                       "expected a finite time once in seconds", record.value)
        elif check == "f":
            if not -math.inf < value < math.inf:  # 1e300 GHz overflows to inf in hertz
                raise CalibrationError(f"{root}[{index}]{sub}[{k}].value",
                                       f"expected a finite {dimension} once in SI units",
                                       record.value)
        elif check == "b":
            value = bool(value)
        values[field] = value
    return values


def _gate_values(
    records: list[WireNduv], index: int, warn_once: Callable[[str, str], None]
) -> tuple[float | None, float | None, bool]:
    """(error, duration in s, operational) of one gate entry.

    Real payloads hold ``gate_error`` (unitless) and ``gate_length`` (ns) and little else, so
    those take a fast path; anything unusual goes through the general :func:`_values`.
    """
    error = duration = None
    for record in records:
        name = record.name
        if name == "gate_error" and record.unit == "":
            error = record.value
            if not 0.0 <= error <= 1.0:
                break
        elif name == "gate_length" and record.unit == "ns":
            duration = record.value / 1e9
            if duration < 0.0:
                break
        else:
            break
    else:
        return error, duration, True
    values = _values(records, GATE_FIELDS, "properties.gates", index, ".parameters", warn_once)
    return values.get("error"), values.get("duration"), values.get("operational", True)


def _qubits(
    props: WireTargetProperties, n: int, warn_once: Callable[[str, str], None]
) -> list[QubitCalibration]:
    records = props.qubits
    if len(records) < n:
        warn_once("short-qubits",
                  f"properties.qubits: {len(records)} entries for a {n}-qubit device; qubits "
                  f"{len(records)}..{n - 1} are treated as unknown (no T1/T2/readout data)")
    elif len(records) > n:
        warn_once("long-qubits",
                  f"properties.qubits: {len(records)} entries for a {n}-qubit device; the "
                  f"extra {len(records) - n} are ignored")
    out = [
        QubitCalibration(**_values(records[i], QUBIT_FIELDS, "properties.qubits", i, "",
                                   warn_once))
        for i in range(min(n, len(records)))
    ]
    out.extend(QubitCalibration() for _ in range(n - len(out)))
    return out


# ``properties.general`` names: the prefix of each kind of number IBM reports there.
LAYER_FIDELITY = "lf_"
COUPLER_FIELDS: dict[str, int] = {"jq_": 0, "zz_": 1}
"""Prefix -> position in :class:`~qtargets.model.CouplerCalibration`'s numbers (coupling
strength, static ZZ)."""

_Found = dict[Any, tuple[int, float]]
"""What one number was found as so far: key -> (index in ``properties.general``, SI value)."""


def _general(
    props: WireProperties,
    conf: WireConfiguration,
    where: Mapping[str, Mapping[tuple[int, ...], GateCalibration] | None],
    warn_once: Callable[[str, str], None],
) -> tuple[tuple[LayerFidelity, ...], tuple[CouplerCalibration, ...]]:
    """Layer fidelities and per-coupler numbers from ``properties.general`` and
    ``general_qlists``.

    ``lf_N`` (unit ``""``) is the layer fidelity of an N-qubit chain, whose qubits the
    ``general_qlists`` entry of the same name gives; without one (older payloads list only the
    longest chain) the chain is unknown, not guessed. ``jq_<a><b>``/``zz_<a><b>`` (a frequency
    unit) belong to the coupler between qubits a and b, whose indices the name runs together:
    see :class:`_CouplerNames` for how they are read.

    The common entry (a coupler number in GHz under an unmistakable name) takes a fast path:
    a Heron payload holds ~350 of them.
    """
    n = conf.n_qubits
    names = _CouplerNames(conf, where)
    lower_first = names.lower_first
    values: dict[tuple[int, int], _Found] = {}
    lf: _Found = {}
    for i, record in enumerate(props.general or ()):
        name = record.name
        f = COUPLER_FIELDS.get(name[:3])
        if f is not None and record.unit == "GHz":
            hit = lower_first.get(name[3:])
            if hit is not None and len(hit) == 1:
                hz = record.value * 1e9
                pair = hit[0]
                slot = values.get(pair)
                if slot is None:
                    values[pair] = slot = {}
                if -math.inf < hz < math.inf and f not in slot:
                    slot[f] = (i, hz)
                    continue
        _general_entry(i, record, n, names, values, lf, warn_once)
    names.report(warn_once)
    chains = _chains(props.general_qlists or (), n, warn_once)
    layers = []
    for size, (i, fidelity) in sorted(lf.items()):
        chain = chains.pop(f"{LAYER_FIDELITY}{size}", None)
        if chain is not None and len(chain[1]) != size:
            raise CalibrationError(f"properties.general_qlists[{chain[0]}].qubits",
                                   f"expected {size} qubits, the chain of "
                                   f"{LAYER_FIDELITY}{size} (properties.general[{i}])",
                                   list(chain[1]))
        layers.append(LayerFidelity(size, fidelity, None if chain is None else chain[1]))
    for name, (k, _) in chains.items():
        warn_once(f"qlist:{name}",
                  f"properties.general_qlists[{k}]: no number in properties.general is "
                  f"called {name!r}; its qubits are ignored")
    couplers = tuple(
        CouplerCalibration(pair, found[0][1] if 0 in found else None,
                           found[1][1] if 1 in found else None)
        for pair, found in sorted(values.items()) if found)
    return tuple(layers), couplers


def _general_entry(
    i: int,
    record: WireNduv,
    n: int,
    names: _CouplerNames,
    values: dict[tuple[int, int], _Found],
    lf: _Found,
    warn_once: Callable[[str, str], None],
) -> None:
    """One ``properties.general`` entry off the fast path of :func:`_general`: a layer
    fidelity, a coupler number in another unit, under a doubtful name or repeated, or a name
    nothing here reads."""
    name = record.name
    prefix, digits = name[:3], name[3:]
    if not (digits.isascii() and digits.isdigit()):
        prefix = ""
    path = f"properties.general[{i}]"
    if prefix == LAYER_FIDELITY:
        if record.unit != "":
            raise CalibrationError(f"{path}.unit",
                                   f"expected '' (a fidelity has no unit) for {name}",
                                   record.unit)
        size = int(digits)
        if not 2 <= size <= n:
            raise CalibrationError(f"{path}.name", f"a layer fidelity is of a chain of 2 to "
                                   f"{n} qubits (the device's)", name)
        if not 0.0 <= record.value <= 1.0:
            raise CalibrationError(f"{path}.value", "expected a fidelity in [0, 1]",
                                   record.value)
        _keep_later(lf, size, (i, record.value), name, warn_once)
    elif prefix in COUPLER_FIELDS:
        scale = SCALES["frequency"].get(record.unit)
        if scale is None:
            raise CalibrationError(
                f"{path}.unit", f"unknown frequency unit for {name} (known: "
                f"{', '.join(repr(u) for u in SCALES['frequency'])})", record.unit)
        hz = record.value / scale[1] if scale[0] else record.value * scale[1]
        if not -math.inf < hz < math.inf:
            raise CalibrationError(f"{path}.value", "expected a finite frequency once in "
                                   "hertz", record.value)
        pair = names.resolve(name, path, warn_once)
        if pair is not None:
            _keep_later(values.setdefault(pair, {}), COUPLER_FIELDS[prefix], (i, hz), name,
                        warn_once)
    else:
        warn_once(f"general:{name}", f"{path}.name: unknown property {name!r} is ignored")


def _keep_later(found: _Found, key: object, entry: tuple[int, float], name: str,
                warn_once: Callable[[str, str], None]) -> None:
    """Record ``entry`` under ``key``; a repeat with another value is warned about and the
    later one kept, as for repeated gate entries."""
    before = found.get(key)
    if before is not None and before[1] != entry[1]:
        warn_once(f"general-duplicate:{name}",
                  f"properties.general[{entry[0]}]: {name} is also at "
                  f"properties.general[{before[0]}] with another value ({before[1]!r} there, "
                  f"{entry[1]!r} here); the later entry is kept")
    found[key] = entry


def _chains(
    qlists: Iterable[WireGeneralQubitList], n: int, warn_once: Callable[[str, str], None]
) -> dict[str, tuple[int, tuple[int, ...]]]:
    """``general_qlists`` by name: (index of the entry, its qubits), each checked."""
    chains: dict[str, tuple[int, tuple[int, ...]]] = {}
    for k, entry in enumerate(qlists):
        qubits = tuple(entry.qubits)
        if qubits and max(qubits) >= n:
            j = next(j for j, q in enumerate(qubits) if q >= n)
            raise CalibrationError(f"properties.general_qlists[{k}].qubits[{j}]",
                                   f"qubit index out of range for {n} qubits", qubits[j])
        if len(set(qubits)) != len(qubits):
            raise CalibrationError(f"properties.general_qlists[{k}].qubits",
                                   "a chain visits each qubit once", list(qubits))
        before = chains.get(entry.name)
        if before is not None and before[1] != qubits:
            warn_once(f"qlist-duplicate:{entry.name}",
                      f"properties.general_qlists[{k}]: {entry.name} is also at "
                      f"properties.general_qlists[{before[0]}] with other qubits; the later "
                      "entry is kept")
        chains[entry.name] = (k, qubits)
    return chains


class _CouplerNames:
    """Which coupler a ``jq_<a><b>``/``zz_<a><b>`` name belongs to.

    IBM names a coupler by its two qubit indices run together, lower first (``jq_717`` is
    7-17; so reads every such name in the 58 qiskit-ibm-runtime snapshots that carry them).
    Without a separator one name can fit two couplers (ibm_melbourne's ``jq_113``: 1-13
    written lower first, or 11-3 written higher first), so the lower-first reading is taken
    when there is exactly one, else a unique higher-first one; a name fitting no coupler, or
    two couplers alike, is left out with a warning. The couplers are the configuration's
    ``coupling_map`` (the pairs of the calibrated two-qubit gates when it has none).
    """

    def __init__(self, conf: WireConfiguration,
                 where: Mapping[str, Mapping[tuple[int, ...], GateCalibration] | None]) -> None:
        if conf.coupling_map:
            self.pairs = {(a, b) if a < b else (b, a) for a, b in conf.coupling_map}
        else:
            self.pairs = {(min(q), max(q)) for slot in where.values() if slot for q in slot
                          if len(q) == 2}
        self.lower_first: dict[str, list[tuple[int, int]]] = {}
        for pair in self.pairs:
            self.lower_first.setdefault(f"{pair[0]}{pair[1]}", []).append(pair)
        self._higher_first: dict[str, list[tuple[int, int]]] | None = None
        self.no_coupler: list[str] = []
        """Where each name that fits no coupler is, for :meth:`report`."""

    def resolve(self, name: str, path: str,
                warn_once: Callable[[str, str], None]) -> tuple[int, int] | None:
        """The coupler of ``name`` (``jq_7273``), or ``None`` with a warning saying why."""
        digits = name[3:]
        found = self.lower_first.get(digits)
        if not found:
            if self._higher_first is None:
                self._higher_first = {}
                for pair in self.pairs:
                    self._higher_first.setdefault(f"{pair[1]}{pair[0]}", []).append(pair)
            found = self._higher_first.get(digits)
        if found is not None and len(found) == 1:
            return found[0]
        if found:
            readings = " or ".join(f"{a}-{b}" for a, b in sorted(found))
            warn_once(f"ambiguous:{name}",
                      f"{path}.name: {name!r} could name the coupler {readings}; it is left "
                      "out")
        else:
            self.no_coupler.append(f"{path}.name: {name!r}")
        return None

    def report(self, warn_once: Callable[[str, str], None]) -> None:
        """One warning for every name that fits no coupler (a payload without a coupling
        map would otherwise give hundreds)."""
        if self.no_coupler:
            more = len(self.no_coupler) - 1
            warn_once("no-coupler",
                      f"{self.no_coupler[0]} names no coupled pair of qubits (in the "
                      "configuration's coupling_map); it is left out"
                      + (f", as are {more} more such names" if more else ""))


def _timing(conf: WireConfiguration, warn_once: Callable[[str, str], None]) -> TimingConstraints:
    given = conf.timing_constraints or {}
    unknown = sorted(set(given) - set(KNOWN_TIMING))
    if unknown:
        warn_once("timing", f"configuration.timing_constraints: unknown keys {unknown} ignored")
    return TimingConstraints(**{k: v for k, v in given.items() if k in KNOWN_TIMING})


def _timestamp(text: str) -> datetime:
    """``properties.last_update_date`` as an aware UTC datetime."""
    try:
        return parse_timestamp(text)
    except (ValueError, OverflowError):  # OverflowError: year 1 or 9999 shifted out of range
        raise CalibrationError("properties.last_update_date",
                               "expected an ISO 8601 date-time within years 1-9999 in UTC",
                               text) from None


def _processor(conf: WireConfiguration) -> str | None:
    """``"Heron r2"`` from ``processor_type``, when the payload says."""
    kind = conf.processor_type
    if kind is None or not kind.family:
        return None
    if kind.revision is None:
        return kind.family
    return f"{kind.family} r{kind.revision}"
