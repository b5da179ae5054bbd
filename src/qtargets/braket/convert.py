"""Braket device documents -> neutral :class:`~qtargets.Calibration`.

What maps where (docs/braket.md has the full table):

* **Qubits** keep Braket's numbers (what a verbatim Braket program calls ``$k``): qubit ``k``
  of the Calibration is Braket's qubit ``k``. Numbers no part of the document lists (IQM
  numbers its qubits from 1, so there is no qubit 0; a Rigetti chip lacking qubit 8) are
  placeholders marked ``operational=False``, with no instruction on them.
* **Per-element documents** (``standardized`` v1/v2: IQM, Rigetti): T1/T2, the one-qubit
  randomized-benchmarking fidelity (simultaneous RB where given, else isolated RB) and the
  readout fidelity (and IQM's 0->1 / 1->0 readout errors) per qubit; each pair's two-qubit
  gate fidelity, on the native gate it names, both ways round unless a direction is given.
* **Device-level documents** (``standardized`` v3, IonQ's provider block): the same figures
  for every qubit and every connected pair, with durations. On IonQ devices the provider
  block (IonQ's own characterization) comes first and v3 fills what it lacks; a figure both
  give differently is a warning.
* **Native gates** by Braket's name (``paradigm.nativeGateSet``): IonQ's ``GPI``, ``GPI2``,
  ``MS``, ``ZZ`` become the instructions qtargets' IonQ vendor uses (``gpi``, ``gpi2``,
  ``ms``, ``zz``, parameters in turns as IonQ's API states them; qtargets.ionq gives them
  their matrices when loaded, by name); other vendors' gates become the qiskit standard
  gate of the same operation (``cz``, ``rx``, ``rz``, IQM's ``prx`` as ``r``).
  ``barrier`` and IQM's feed-forward ``measure_ff``/``cc_prx`` are operations of a program,
  not calibrated gates: left out, as the provenance notes say. ``measure`` comes from the
  readout figures.

Errors are ``1 - fidelity``; times are converted to seconds from the document's units. Every
bad value is a :class:`~qtargets.CalibrationError` naming its path in the document (or in
the ``GetDevice`` response holding it): ``standardized.oneQubitProperties[3].T1.value``.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from pydantic import TypeAdapter
from qiskit.transpiler import Target

from .._exceptions import CalibrationError, warn
from ..build import build_target, standard_operations
from ..model import (
    FRAME_CHANGES,
    MAX_QUBITS,
    Calibration,
    GateCalibration,
    InstructionCalibration,
    Provenance,
    QubitCalibration,
    format_path,
    parse_timestamp,
    utc,
    validate_payload,
)
from ..units import to_si
from . import models
from .models import (
    PARADIGM_SCHEMA,
    STANDARDIZED_SCHEMA,
    DeviceCapabilities,
    Fidelity,
    GetDeviceResponse,
    IonQProviderProperties,
    Paradigm,
    StandardizedV1,
    StandardizedV3,
)
from .names import name_of_arn

__all__ = [
    "IONQ_NATIVE_GATES",
    "NOT_CALIBRATED",
    "STANDARD_NAMES",
    "Device",
    "from_braket",
    "parse_device",
    "to_calibration",
]

Payload = Mapping[str, Any] | str | bytes | bytearray

IONQ_NATIVE_GATES: dict[str, tuple[int, tuple[str, ...]]] = {
    "gpi": (1, ("phi",)),
    "gpi2": (1, ("phi",)),
    "ms": (2, ("phi0", "phi1", "theta")),
    "zz": (2, ("theta",)),
}
"""IonQ's native gates on Braket, named and parametrised exactly as qtargets' IonQ vendor
names them (``qtargets.ionq.convert``; a test holds the two to each other): the instruction
name is all a Calibration needs, and ``qtargets.ionq`` registers the gate classes by name.
Parameters are in turns, as IonQ's API states them (Braket's OpenQASM ``gpi(angle)`` takes
radians: multiply by 2π when submitting)."""

STANDARD_NAMES: dict[str, str] = {
    "cz": "cz", "cnot": "cx", "cy": "cy", "cphaseshift": "cp", "ecr": "ecr", "swap": "swap",
    "iswap": "iswap", "xx": "rxx", "yy": "ryy", "zz": "rzz", "ccnot": "ccx", "cswap": "cswap",
    "h": "h", "i": "id", "x": "x", "y": "y", "z": "z", "s": "s", "si": "sdg", "t": "t",
    "ti": "tdg", "v": "sx", "vi": "sxdg", "rx": "rx", "ry": "ry", "rz": "rz",
    "phaseshift": "p", "u": "u", "prx": "r",
}
"""Braket gate name (lower case) -> the qiskit standard gate of the same operation. IQM's
``prx(θ, φ)`` is qiskit's ``r(θ, φ)``: a θ rotation about the axis at angle φ in the XY
plane."""

NOT_CALIBRATED = frozenset({"barrier", "measure", "measure_ff", "cc_prx", "reset"})
"""Native operations that are not calibrated gates of a Target: ``barrier`` (a compiler
directive), ``measure`` (built from the readout figures), IQM's feed-forward ``measure_ff``
and classically controlled ``cc_prx`` (dynamic-circuit operations)."""

_SYMMETRIC = frozenset({"cz", "swap", "iswap", "rxx", "ryy", "rzz", "cp", "ms", "zz"})
"""Two-qubit gates that are the same gate either way round: a connected pair gets both
directions. (``cx``, ``cy``, ``ecr`` run in the direction the connectivity graph gives.)"""

# Which one-qubit figure is the gate error: simultaneous RB (measured with the neighbours
# driven, as in a circuit) where given, else isolated RB. Same for two-qubit gates.
_ONE_QUBIT_RB = ("SIMULTANEOUS_RANDOMIZED_BENCHMARKING", "RANDOMIZED_BENCHMARKING")
_TWO_QUBIT_RB = ("SIMULTANEOUS_INTERLEAVED_RANDOMIZED_BENCHMARKING",
                 "INTERLEAVED_RANDOMIZED_BENCHMARKING", "RANDOMIZED_BENCHMARKING")
_READOUT = "READOUT"
_READOUT_0_TO_1 = "READOUT_ERROR_0_TO_1"  # IQM: P(read 1 | prepared 0), in the fidelity field
_READOUT_1_TO_0 = "READOUT_ERROR_1_TO_0"

_PROVIDERS = {"ionq": "IonQ", "iqm": "IQM", "rigetti": "Rigetti", "aqt": "AQT",
              "quera": "QuEra"}

MAX_ALL_TO_ALL_QUBITS = 256
"""A fully connected device has n² pairs: a corrupt qubit count must not mean billions."""


@dataclass(frozen=True)
class Device:
    """A device document as read from a payload: the document, where it sits in the payload
    (``""`` for a bare document, ``"deviceCapabilities"`` in a GetDevice response), and what
    the response says about the device (``None`` for a bare document)."""

    document: DeviceCapabilities
    root: str
    response: GetDeviceResponse | None
    raw: Mapping[str, Any] = field(repr=False, compare=False)
    """The document as parsed JSON, for the blocks validated once their header is known."""


def parse_device(payload: Payload) -> Device:
    """The device document in ``payload``: a ``GetDevice`` response (its
    ``deviceCapabilities`` JSON text or object), a bare document, or either as JSON text,
    including a document saved as a JSON *string* (``json.dump(device.properties.json())``,
    as Braket's own examples store them)."""
    data = _json(payload, "document")
    if isinstance(data, str):
        data = _json(data, "document")
    if not isinstance(data, Mapping):
        raise CalibrationError("document", "expected a JSON object (a Braket device document "
                               "or a GetDevice response)", type(data).__name__)
    if "deviceCapabilities" in data and "braketSchemaHeader" not in data:
        response = validate_payload(models.get_device_adapter, dict(data), "")
        inner = response.deviceCapabilities
        document = _json(inner, "deviceCapabilities") if isinstance(inner, str) else inner
        if not isinstance(document, Mapping):
            raise CalibrationError("deviceCapabilities", "expected a JSON object",
                                   type(document).__name__)
        return Device(validate_payload(models.capabilities_adapter, dict(document),
                                       "deviceCapabilities"),
                      "deviceCapabilities", response, document)
    return Device(validate_payload(models.capabilities_adapter, dict(data), ""), "", None, data)


def to_calibration(
    payload: Payload | Device,
    *,
    name: str | None = None,
    source: str | None = None,
    retrieved_at: datetime | None = None,
) -> Calibration:
    """The neutral calibration of a Braket device document (see :func:`parse_device` for
    the forms it takes).

    ``name`` is the backend name; by default the one of the response's ``deviceArn``
    (``braket.us-east-1.ionq.Forte-1``, see :mod:`qtargets.braket.names`). A bare document
    names no device, so it needs ``name``.
    """
    device = payload if isinstance(payload, Device) else parse_device(payload)
    return _Converter(device, name, source, retrieved_at).calibration()


def from_braket(payload: Payload, *, name: str | None = None,
                filter_faulty: bool = True) -> Target:
    """A qiskit ``Target`` from a Braket device document (see :func:`to_calibration`).

    >>> import qtargets.braket
    >>> target = qtargets.braket.from_braket(get_device_response)  # doctest: +SKIP
    """
    return build_target(to_calibration(payload, name=name), filter_faulty=filter_faulty)


# -- the conversion ------------------------------------------------------------------------------


@dataclass
class _Figures:
    """What the document says about one qubit, or the device (``None``: not reported)."""

    t1: float | None = None
    t2: float | None = None
    error_1q: float | None = None
    readout_error: float | None = None
    meas1_prep0: float | None = None
    meas0_prep1: float | None = None


class _Converter:
    def __init__(self, device: Device, name: str | None, source: str | None,
                 retrieved_at: datetime | None) -> None:
        self.device = device
        self.doc = device.document
        self.root = device.root
        self.name = name
        self.source = source
        self.retrieved_at = retrieved_at
        self.notes: list[str] = []
        self.left_out: list[str] = []
        self.provider = _provider_of(self.doc.braketSchemaHeader.name)

    def path(self, *parts: str | int) -> str:
        return format_path(self.root, list(parts))

    def sub(self, adapter: TypeAdapter[Any], key: str) -> Any:
        return validate_payload(adapter, self.device.raw[key], self.path(key))

    # -- the whole document --------------------------------------------------------------------

    def calibration(self) -> Calibration:
        backend = self._backend_name()
        paradigm = self._paradigm()
        standardized = self._standardized()
        ionq = self._ionq_provider()
        v1 = standardized if isinstance(standardized, StandardizedV1) else None
        v3 = standardized if isinstance(standardized, StandardizedV3) else None

        labels = self._labels(paradigm, v1, v3)
        n = max(paradigm.qubitCount, max(labels, default=-1) + 1)
        present = self._present(paradigm, labels)
        pairs = self._pairs(paradigm, present)
        device_level = self._device_figures(ionq, v3)
        per_qubit = self._qubit_figures(v1, v3)
        t_1q, t_2q, t_readout = self._durations(ionq, v3)

        qubits = []
        for q in range(n):
            if q not in present:
                qubits.append(QubitCalibration(operational=False))
                continue
            own = per_qubit.get(q, _Figures())
            qubits.append(QubitCalibration(
                t1=_first(own.t1, device_level.t1), t2=_first(own.t2, device_level.t2),
                readout_error=_first(own.readout_error, device_level.readout_error),
                readout_duration=t_readout,
                prob_meas0_prep1=own.meas0_prep1, prob_meas1_prep0=own.meas1_prep0))
        one_qubit_error = {q: _first(per_qubit.get(q, _Figures()).error_1q,
                                     device_level.error_1q) for q in present}
        two_qubit = self._two_qubit_figures(v1, v3, ionq, pairs)

        instructions = self._gates(paradigm, present, pairs, one_qubit_error, t_1q,
                                   two_qubit, t_2q)
        instructions.append(InstructionCalibration(
            "measure", "measure", 1, num_clbits=1,
            qargs=tuple(GateCalibration((q,), qubits[q].readout_error, t_readout)
                        for q in sorted(present))))
        self._note_placeholders(n, present, paradigm)
        if self.left_out:
            self.notes.append("left out: " + "; ".join(self.left_out))
        return Calibration(
            vendor="braket",
            backend_name=backend,
            num_qubits=n,
            qubits=tuple(qubits),
            instructions=tuple(instructions),
            taken_at=self._taken_at(v3),
            processor=self._processor(),
            provenance=Provenance(
                source=self.source or self._default_source(backend),
                retrieved_at=utc(self.retrieved_at) if self.retrieved_at is not None else None,
                notes="; ".join(self.notes) or None),
        )

    def _backend_name(self) -> str:
        if self.name is not None:
            return self.name
        response = self.device.response
        if response is None:
            raise CalibrationError("document", "a bare device document names no device: "
                                   "pass name= (e.g. 'braket.us-east-1.ionq.Forte-1')",
                                   show_value=False)
        try:
            return name_of_arn(response.deviceArn)
        except LookupError:
            raise CalibrationError("deviceArn", "expected the ARN of a Braket QPU "
                                   "(arn:aws:braket:REGION::device/qpu/PROVIDER/DEVICE)",
                                   response.deviceArn) from None

    def _default_source(self, backend: str) -> str:
        response = self.device.response
        if response is not None:
            return f"AWS Braket GetDevice {response.deviceArn}"
        return f"AWS Braket device document of {backend}"

    def _processor(self) -> str | None:
        response = self.device.response
        label = _PROVIDERS.get(self.provider)
        if response is not None:
            return f"{response.providerName} {response.deviceName}"
        return label

    def _taken_at(self, v3: StandardizedV3 | None) -> datetime | None:
        if v3 is not None and v3.updatedAt is not None:
            return _timestamp(v3.updatedAt, self.path("standardized", "updatedAt"))
        service = self.doc.service
        if service is not None and service.updatedAt is not None:
            return _timestamp(service.updatedAt, self.path("service", "updatedAt"))
        return None

    # -- blocks ------------------------------------------------------------------------------------

    def _paradigm(self) -> Paradigm:
        raw = self.device.raw.get("paradigm")
        if raw is None:
            raise CalibrationError(self.path("paradigm"), "required field is missing (a "
                                   "gate-model QPU document has one)", show_value=False)
        header = raw.get("braketSchemaHeader") if isinstance(raw, Mapping) else None
        name = header.get("name") if isinstance(header, Mapping) else None
        if isinstance(name, str) and name != PARADIGM_SCHEMA:
            raise CalibrationError(
                self.path("paradigm", "braketSchemaHeader", "name"),
                f"not a gate-model QPU ({PARADIGM_SCHEMA}): simulators and analog devices "
                "have no gate calibration", name)
        paradigm: Paradigm = self.sub(models.paradigm_adapter, "paradigm")
        return paradigm

    def _standardized(self) -> StandardizedV1 | StandardizedV3 | None:
        raw = self.doc.standardized
        if raw is None:
            return None
        header = raw.get("braketSchemaHeader")
        version = header.get("version") if isinstance(header, Mapping) else None
        name = header.get("name") if isinstance(header, Mapping) else None
        where = self.path("standardized", "braketSchemaHeader")
        if header is not None and name != STANDARDIZED_SCHEMA:
            raise CalibrationError(f"{where}.name", f"expected {STANDARDIZED_SCHEMA}", name)
        if version in ("1", "2"):
            v1: StandardizedV1 = self.sub(models.standardized_v1_adapter, "standardized")
            return v1
        if version == "3":
            v3: StandardizedV3 = self.sub(models.standardized_v3_adapter, "standardized")
            return v3
        if header is None:
            raise CalibrationError(where, "required field is missing", show_value=False)
        raise CalibrationError(f"{where}.version", "expected a version qtargets reads (1, 2 "
                               "or 3)", version)

    def _ionq_provider(self) -> IonQProviderProperties | None:
        raw = self.device.raw.get("provider")
        if raw is None or self.provider != "ionq":
            if raw is not None:
                self.left_out.append(f"the {_PROVIDERS.get(self.provider, self.provider)} "
                                     "provider block (the standardized block carries the "
                                     "figures a Calibration holds)")
            return None
        block: IonQProviderProperties = self.sub(models.ionq_provider_adapter, "provider")
        return block

    # -- qubits and pairs ------------------------------------------------------------------------

    def _labels(self, paradigm: Paradigm, v1: StandardizedV1 | None,
                v3: StandardizedV3 | None) -> set[int]:
        """Every qubit number any part of the document names."""
        labels: set[int] = set()
        graph = paradigm.connectivity.connectivityGraph
        for key, neighbours in graph.items():
            where = self.path("paradigm", "connectivity", "connectivityGraph", key)
            labels.add(_label(key, where))
            for k, other in enumerate(neighbours):
                labels.add(_label(other, f"{where}[{k}]"))
        if v1 is not None:
            for key in v1.oneQubitProperties:
                labels.add(_label(key, self.path("standardized", "oneQubitProperties", key)))
            for key in v1.twoQubitProperties:
                labels.update(self._pair_label(key))
        if v3 is not None and v3.oneQubitProperties:
            for key in v3.oneQubitProperties:
                labels.add(_label(key, self.path("standardized", "oneQubitProperties", key)))
        return labels

    def _pair_label(self, key: str) -> tuple[int, int]:
        where = self.path("standardized", "twoQubitProperties", key)
        parts = key.split("-")
        if len(parts) != 2:
            raise CalibrationError(where, "expected a pair of qubits 'a-b'", key)
        a, b = (_label(p, where) for p in parts)
        if a == b:
            raise CalibrationError(where, "a qubit cannot pair with itself", key)
        return a, b

    def _present(self, paradigm: Paradigm, labels: set[int]) -> set[int]:
        """The qubits on the device: every one the document lists (all of ``qubitCount``
        when fully connected, or when it lists none)."""
        if paradigm.connectivity.fullyConnected or not labels:
            return set(range(paradigm.qubitCount)) | labels
        return labels

    def _note_placeholders(self, n: int, present: set[int], paradigm: Paradigm) -> None:
        missing = [q for q in range(n) if q not in present]
        if missing:
            self.notes.append(
                f"qubit numbers {_ranges(missing)} are not on the device (Braket numbers its "
                f"qubits {_ranges(sorted(present))}): placeholders marked non-operational, so "
                "that qubit k here is Braket's qubit k")
        if len(present) != paradigm.qubitCount:
            warn(f"{self.path('paradigm', 'qubitCount')}: {paradigm.qubitCount} qubits, but "
                 f"the document describes {len(present)} ({_ranges(sorted(present))})")

    def _pairs(self, paradigm: Paradigm, present: set[int]) -> list[tuple[int, int]]:
        """Directed pairs as the document lists them (every ordered pair when fully
        connected)."""
        if paradigm.connectivity.fullyConnected:
            if len(present) > MAX_ALL_TO_ALL_QUBITS:
                raise CalibrationError(self.path("paradigm", "qubitCount"),
                                       f"a fully connected device of more than "
                                       f"{MAX_ALL_TO_ALL_QUBITS} qubits", paradigm.qubitCount)
            ordered = sorted(present)
            return [(a, b) for a in ordered for b in ordered if a != b]
        pairs: list[tuple[int, int]] = []
        for key, neighbours in paradigm.connectivity.connectivityGraph.items():
            a = int(key)
            for k, other in enumerate(neighbours):
                b = int(other)
                if a == b:
                    raise CalibrationError(self.path("paradigm", "connectivity",
                                                     "connectivityGraph", key, k),
                                           "a qubit cannot couple to itself", other)
                pairs.append((a, b))
        return pairs

    # -- figures ---------------------------------------------------------------------------------

    def _qubit_figures(self, v1: StandardizedV1 | None, v3: StandardizedV3 | None
                       ) -> dict[int, _Figures]:
        out: dict[int, _Figures] = {}
        if v1 is not None:
            for key, props in v1.oneQubitProperties.items():
                where = self.path("standardized", "oneQubitProperties", key)
                figures = out.setdefault(int(key), _Figures())
                figures.t1 = _seconds(props.T1.value, props.T1.unit, f"{where}.T1")
                figures.t2 = _seconds(props.T2.value, props.T2.unit, f"{where}.T2")
                by_kind = {f.fidelityType.name.upper(): f.fidelity
                           for f in reversed(props.oneQubitFidelity)}  # the first one wins
                rb = next((by_kind[k] for k in _ONE_QUBIT_RB if k in by_kind), None)
                figures.error_1q = None if rb is None else 1.0 - rb
                if _READOUT in by_kind:
                    figures.readout_error = 1.0 - by_kind[_READOUT]
                figures.meas1_prep0 = by_kind.get(_READOUT_0_TO_1)
                figures.meas0_prep1 = by_kind.get(_READOUT_1_TO_0)
                unread = sorted(set(by_kind) - {*_ONE_QUBIT_RB, _READOUT, _READOUT_0_TO_1,
                                                _READOUT_1_TO_0})
                if unread:
                    self._left_out_once(f"one-qubit figures of kind {', '.join(unread)}")
        if v3 is not None and v3.oneQubitProperties:
            for key, props3 in v3.oneQubitProperties.items():
                if props3.oneQubitFidelity:
                    figures = out.setdefault(int(key), _Figures())
                    figures.error_1q = 1.0 - _pick(props3.oneQubitFidelity).fidelity
        return out

    def _device_figures(self, ionq: IonQProviderProperties | None,
                        v3: StandardizedV3 | None) -> _Figures:
        """Device-level figures: IonQ's provider block first, then the v3 summary."""
        v3_path = self.path("standardized")
        from_v3 = _Figures()
        if v3 is not None:
            from_v3.t1 = _maybe_seconds(v3.T1, f"{v3_path}.T1")
            from_v3.t2 = _maybe_seconds(v3.T2, f"{v3_path}.T2")
            from_v3.error_1q = _error_of(v3.singleQubitFidelity)
            from_v3.readout_error = _error_of(v3.readoutFidelity)
        if ionq is None:
            return from_v3
        p = self.path("provider")
        from_ionq = _Figures(
            t1=ionq.timing.get("T1"), t2=ionq.timing.get("T2"),
            error_1q=self._ionq_error(ionq, "1Q"), readout_error=self._ionq_error(ionq, "spam"))
        out = _Figures()
        for attr, ionq_path, v3_name in (
                ("t1", f"{p}.timing.T1", "T1"), ("t2", f"{p}.timing.T2", "T2"),
                ("error_1q", f"{p}.fidelity.1Q", "singleQubitFidelity"),
                ("readout_error", f"{p}.fidelity.spam", "readoutFidelity")):
            setattr(out, attr, self._agree(getattr(from_ionq, attr), ionq_path,
                                           getattr(from_v3, attr), f"{v3_path}.{v3_name}"))
        return out

    def _ionq_error(self, ionq: IonQProviderProperties, kind: str) -> float | None:
        stats = ionq.fidelity.get(kind)
        if stats is None:
            return None
        value = stats.mean if stats.mean is not None else stats.median
        return None if value is None else 1.0 - value

    def _agree(self, first: float | None, first_path: str, second: float | None,
               second_path: str) -> float | None:
        """``first`` (IonQ's own figure) where given, else ``second``; a warning when both
        are given and differ."""
        if first is not None and second is not None and not math.isclose(
                first, second, rel_tol=1e-9, abs_tol=1e-12):
            warn(f"{first_path} and {second_path} differ ({first!r} against {second!r}, as "
                 f"errors or seconds): {first_path}, IonQ's own figure, is used")
        return _first(first, second)

    def _durations(self, ionq: IonQProviderProperties | None, v3: StandardizedV3 | None
                   ) -> tuple[float | None, float | None, float | None]:
        """One-qubit gate, two-qubit gate and readout durations, seconds."""
        p = self.path("standardized")
        from_v3: tuple[float | None, ...] = (None, None, None)
        if v3 is not None:
            from_v3 = (_maybe_seconds(v3.singleQubitGateDuration,
                                      f"{p}.singleQubitGateDuration"),
                       _maybe_seconds(v3.twoQubitGateDuration, f"{p}.twoQubitGateDuration"),
                       _maybe_seconds(v3.readoutDuration, f"{p}.readoutDuration"))
            if v3.activeResetDuration is not None:
                self.left_out.append("the active reset duration (the reset between shots, "
                                     "not an instruction of a circuit)")
        if ionq is None:
            return from_v3[0], from_v3[1], from_v3[2]
        timing = ionq.timing
        if "reset" in timing and (v3 is None or v3.activeResetDuration is None):
            self.left_out.append("IonQ's reset time (the reset between shots, not an "
                                 "instruction of a circuit)")
        q = self.path("provider", "timing")
        return (self._agree(timing.get("1Q"), f"{q}.1Q", from_v3[0],
                            f"{p}.singleQubitGateDuration"),
                self._agree(timing.get("2Q"), f"{q}.2Q", from_v3[1],
                            f"{p}.twoQubitGateDuration"),
                self._agree(timing.get("readout"), f"{q}.readout", from_v3[2],
                            f"{p}.readoutDuration"))

    def _two_qubit_figures(self, v1: StandardizedV1 | None, v3: StandardizedV3 | None,
                           ionq: IonQProviderProperties | None,
                           pairs: list[tuple[int, int]]
                           ) -> tuple[float | None, dict[tuple[str, tuple[int, int]], float]]:
        """The device-level two-qubit error, and per (gate, directed pair) errors."""
        v3_error = _error_of(v3.twoQubitGateFidelity) if v3 is not None else None
        device_level = v3_error
        if ionq is not None:
            device_level = self._agree(self._ionq_error(ionq, "2Q"),
                                       self.path("provider", "fidelity", "2Q"), v3_error,
                                       self.path("standardized", "twoQubitGateFidelity"))
        per_pair: dict[tuple[str, tuple[int, int]], float] = {}
        if v1 is None:
            return device_level, per_pair
        connected = set(pairs)
        benchmarks: set[str] = set()
        for key, props in v1.twoQubitProperties.items():
            a, b = self._pair_label(key)
            where = self.path("standardized", "twoQubitProperties", key)
            if (a, b) not in connected and (b, a) not in connected:
                warn(f"{where}: figures of a pair the connectivity graph does not connect; "
                     "left out")
                continue
            chosen: dict[str, tuple[int, int, Any]] = {}
            for k, entry in enumerate(props.twoQubitGateFidelity):
                gate = STANDARD_NAMES.get(entry.gateName.lower())
                if self.provider == "ionq" and entry.gateName.lower() in IONQ_NATIVE_GATES:
                    gate = entry.gateName.lower()
                if gate is None:
                    benchmarks.add(entry.gateName)
                    continue
                rank = _rank(entry.fidelityType.name, _TWO_QUBIT_RB)
                if gate not in chosen or rank < chosen[gate][0]:
                    chosen[gate] = (rank, k, entry)
            for gate, (_, k, entry) in chosen.items():
                error = 1.0 - entry.fidelity
                if entry.direction is not None:
                    if set(entry.direction) != {"control", "target"} or {
                            entry.direction["control"], entry.direction["target"]} != {a, b}:
                        raise CalibrationError(
                            f"{where}.twoQubitGateFidelity[{k}].direction",
                            f"expected the control and the target of pair {key}",
                            entry.direction)
                    directions = [(entry.direction["control"], entry.direction["target"])]
                else:
                    directions = [(a, b), (b, a)]
                for pair in directions:
                    per_pair[(gate, pair)] = error
        if benchmarks:
            self.left_out.append("two-qubit figures of no native gate: "
                                 + ", ".join(sorted(benchmarks)))
        return device_level, per_pair

    # -- instructions ----------------------------------------------------------------------------

    def _gates(self, paradigm: Paradigm, present: set[int], pairs: list[tuple[int, int]],
               one_qubit_error: Mapping[int, float | None], t_1q: float | None,
               two_qubit: tuple[float | None, Mapping[tuple[str, tuple[int, int]], float]],
               t_2q: float | None) -> list[InstructionCalibration]:
        device_2q, per_pair = two_qubit
        standard = standard_operations()
        out: list[InstructionCalibration] = []
        seen: set[str] = set()
        skipped: list[str] = []
        unknown: list[str] = []
        for k, braket_name in enumerate(paradigm.nativeGateSet):
            lower = braket_name.lower()
            if lower in NOT_CALIBRATED:
                skipped.append(braket_name)
                continue
            if self.provider == "ionq" and lower in IONQ_NATIVE_GATES:
                name = lower
                width, parameters = IONQ_NATIVE_GATES[lower]
            elif lower in STANDARD_NAMES:
                name = STANDARD_NAMES[lower]
                op = standard[name]
                width, parameters = op.num_qubits, tuple(p.name for p in op.params)
            else:
                unknown.append(braket_name)
                continue
            if name in seen:
                warn(f"{self.path('paradigm', 'nativeGateSet', k)}: {braket_name!r} is listed "
                     "twice; the first is used")
                continue
            seen.add(name)
            if width == 1:
                virtual = name in FRAME_CHANGES
                qargs = tuple(GateCalibration((q,), None if virtual else one_qubit_error[q],
                                              None if virtual else t_1q)
                              for q in sorted(present))
            elif width == 2:
                directed = self._directed(pairs, name)
                qargs = tuple(GateCalibration(pair, per_pair.get((name, pair), device_2q),
                                              t_2q) for pair in directed)
            else:
                unknown.append(braket_name)  # a native three-qubit gate: no figures exist
                continue
            out.append(InstructionCalibration(name=name, kind="gate", num_qubits=width,
                                              parameters=parameters, qargs=qargs))
        if skipped:
            self.left_out.append("native operations that are no calibrated gate: "
                                 + ", ".join(skipped))
        if unknown:
            warn(f"{self.path('paradigm', 'nativeGateSet')}: qtargets does not know the "
                 f"native gate(s) {', '.join(map(repr, unknown))}; left out")
        return out

    def _directed(self, pairs: Iterable[tuple[int, int]], gate: str) -> list[tuple[int, int]]:
        seen: set[tuple[int, int]] = set()
        out = []
        for a, b in pairs:
            for pair in ((a, b), (b, a)) if gate in _SYMMETRIC else ((a, b),):
                if pair not in seen:
                    seen.add(pair)
                    out.append(pair)
        return out

    def _left_out_once(self, what: str) -> None:
        if what not in self.left_out:
            self.left_out.append(what)


# -- helpers -------------------------------------------------------------------------------------


def _json(payload: Payload | str, root: str) -> Any:
    if isinstance(payload, Mapping):
        return payload
    if not isinstance(payload, (str, bytes, bytearray)):
        raise CalibrationError(root, "expected a JSON object (dict) or JSON text (str/bytes)",
                               type(payload).__name__)
    try:
        return json.loads(payload)
    except RecursionError:
        raise CalibrationError(root, "JSON nested too deeply", show_value=False) from None
    except (ValueError, UnicodeError) as exc:
        raise CalibrationError(root, f"invalid JSON: {exc}", show_value=False) from None


def _provider_of(schema: str) -> str:
    """``braket.device_schema.ionq.ionq_device_capabilities`` -> ``ionq``."""
    parts = schema.split(".")
    return parts[2] if len(parts) == 4 and parts[:2] == ["braket", "device_schema"] else ""


def _label(text: str, path: str) -> int:
    if not (text.isascii() and text.isdigit()) or len(text) > 6:
        raise CalibrationError(path, "expected a qubit number (decimal text)", text)
    value = int(text)
    if value >= MAX_QUBITS:
        raise CalibrationError(path, f"qubit number beyond {MAX_QUBITS}", text)
    return value


def _seconds(value: float, unit: str, path: str) -> float:
    seconds = to_si(value, unit.strip(), "time")
    if seconds is None:
        seconds = to_si(value, unit.strip().lower(), "time")
    if seconds is None:
        raise CalibrationError(f"{path}.unit", "expected a time unit (s, ms, us, ns)", unit)
    return seconds


def _maybe_seconds(duration: models.Duration | None, path: str) -> float | None:
    return None if duration is None else _seconds(duration.value, duration.unit, path)


def _pick(fidelities: Sequence[Fidelity]) -> Fidelity:
    """The RB figure among a v3 list (the first of the preferred kind, else the first)."""
    return min(fidelities, key=lambda f: _rank(f.fidelityType.name if f.fidelityType else "",
                                               _ONE_QUBIT_RB + _TWO_QUBIT_RB))


def _error_of(fidelities: Sequence[Fidelity] | None) -> float | None:
    return 1.0 - _pick(fidelities).fidelity if fidelities else None


def _rank(kind: str, preferred: Sequence[str]) -> int:
    kind = kind.upper()
    return preferred.index(kind) if kind in preferred else len(preferred)


def _first(*values: float | None) -> float | None:
    return next((v for v in values if v is not None), None)


def _timestamp(text: str, path: str) -> datetime:
    try:
        return parse_timestamp(text)
    except (ValueError, OverflowError):
        raise CalibrationError(path, "expected an ISO 8601 date-time", text) from None


def _ranges(numbers: Sequence[int]) -> str:
    """``[0, 1, 2, 5]`` -> ``0-2, 5``."""
    out: list[str] = []
    start = prev = None
    for x in numbers:
        if start is None:
            start = prev = x
        elif prev is not None and x == prev + 1:
            prev = x
        else:
            out.append(f"{start}" if start == prev else f"{start}-{prev}")
            start = prev = x
    if start is not None:
        out.append(f"{start}" if start == prev else f"{start}-{prev}")
    return ", ".join(out)
