"""Aer noise models of any calibration, and a simulator that runs every instruction it has.

>>> import qtargets
>>> model = qtargets.noise_model("ibm_boston", qubits=[0, 1])     # a qiskit_aer NoiseModel
>>> sorted(model.noise_instructions)
['cz', 'id', 'measure', 'sx', 'x']

:func:`noise_model` works for every vendor the same way, from the Target of the calibration
(IBM and IonQ alike, and anything :mod:`qtargets.devices` accepts):

* **Gates**: on each gate and its qubits, a depolarizing channel followed by thermal
  relaxation (T1, T2) over the gate's duration, the depolarizing strength chosen so that the
  channel's average gate error is the calibrated one: with ``F_r`` the average fidelity of
  the relaxation channel and ``d = 2**n``, ``p = d (error - (1 - F_r)) / (d F_r - 1)``.
  This is the model of qiskit-aer's ``basic_device_gate_errors`` (its numbers agree); ``F_r``
  is computed in closed form (per qubit, process fidelity ``(1 + e^{-t/T1} + 2 e^{-t/T2})
  / 4``, multiplied over the gate's qubits) instead of from a superoperator.
* **Readout**: a classical bit flip on each measurement, with ``P(1|0)`` and ``P(0|1)`` where
  the calibration has both (:class:`qtargets.build.MeasureProperties`), else the symmetric
  readout error both ways.
* **Delays**: thermal relaxation over their duration (as Aer's own device model).
* **What the data cannot mean as reported**, each case said once per model in a
  :class:`~qtargets.QTargetsWarning`: an error at or above the largest an ``n``-qubit
  channel can have (``d / (d + 1)``; IBM's ``1`` marks a broken gate or coupler) becomes the
  maximally depolarizing channel, which is what "broken" means (leaving the gate ideal, or
  out, would flatter the device or fail the circuit); ``T2 > 2 T1`` (reported, physically
  impossible) is clamped to ``2 T1`` for the relaxation channel only, the calibration keeps
  its value; qubits without T1/T2 (IonQ Aria's published figures) get no relaxation.
* **Without a warning**, as in Aer: where T1/T2 alone cause more error over a gate's
  duration than calibrated (T1/T2 and gate errors are measured at different times; 82 gates
  of the bundled ``ibm_fez``), the gate gets relaxation alone, slightly more error than
  calibrated. Resets get no noise: they end in ``|0>``, which relaxation leaves alone.
* **Not modelled**: crosstalk, leakage, coherent errors, excited-state population
  (temperature), idling between gates of a circuit without delays (schedule it with
  ``transpile(..., scheduling_method="alap")`` to get delays), relaxation during
  measurements.

A ``NoiseModel`` runs in any ``AerSimulator`` for circuits of Aer's own gates. Two things a
calibration can hold are beyond it, and :func:`simulator` (and
:meth:`qtargets.QTargetsBackend.aer_simulator`, which is the same) handles both:

* gates Aer does not know (IonQ's ``gpi``, ``gpi2``, ``ms``, ``zz``) run as their exact
  unitary labelled with their name, which is how Aer attaches their noise;
* named measurement and reset variants (IBM Heron r3's ``measure_2`` and ``reset_2``, the
  ``MidCircuitMeasure`` and ``MidCircuitReset`` of qiskit-ibm-runtime; see
  :func:`is_measurement`): Aer knows only ``measure`` and attaches readout errors to qubits, not
  to instruction names (qiskit-aer issue 2388). A reset variant runs as ``reset``; a
  measurement variant copies the qubit onto a spare qubit of the simulation, flips the copy
  with the variant's own calibrated readout error and measures it: the same back-action on
  the qubit as a measurement, and the variant's error instead of ``measure``'s.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING, Any

import numpy as np
from qiskit.circuit import ControlFlowOp, Delay, Gate, Instruction, QuantumCircuit, Qubit
from qiskit.circuit.library import Measure, Reset, UnitaryGate
from qiskit.quantum_info import Kraus, Operator
from qiskit.transpiler import Target

from ._exceptions import BackendInputError, BackendRunError, warn
from ._optional import require
from .devices import DeviceSpec, resolve
from .live import DEFAULT_TIMEOUT, StoreArg, When

if TYPE_CHECKING:
    from qiskit_aer import AerSimulator  # type: ignore[import-untyped]
    from qiskit_aer.noise import NoiseModel  # type: ignore[import-untyped]

__all__ = ["is_measurement", "is_reset", "noise_model", "simulator"]

_Keep = Callable[[tuple[int, ...]], bool]

Confusion = tuple[tuple[float, float], tuple[float, float]]
"""A readout error as Aer writes it: ``((P(0|0), P(1|0)), (P(0|1), P(1|1)))``, rows the
prepared state, columns the bit read."""

def is_measurement(operation: Instruction) -> bool:
    """Whether ``operation`` measures one qubit into one bit: qiskit's ``measure``, or a named
    variant of it such as IBM Heron r3's ``measure_2`` (any non-gate instruction called
    ``measure_*`` on one qubit and one bit, the convention of qiskit-ibm-runtime's
    ``MidCircuitMeasure``; ``measure_reset*``, which also resets, is not one)."""
    if isinstance(operation, Measure):
        return True
    if not isinstance(operation, Instruction):
        return False  # a Target holds control flow as classes
    name = operation.name
    return (name.startswith("measure_") and not name.startswith("measure_reset")
            and not isinstance(operation, Gate)
            and operation.num_qubits == 1 and operation.num_clbits == 1)


def is_reset(operation: Instruction) -> bool:
    """Whether ``operation`` resets one qubit: qiskit's ``reset``, or a named variant such as
    IBM Heron r3's ``reset_2`` (any non-gate instruction called ``reset_*`` on one qubit and
    no bit, as qiskit-ibm-runtime's ``MidCircuitReset``)."""
    if isinstance(operation, Reset):
        return True
    if not isinstance(operation, Instruction):
        return False
    return (operation.name.startswith("reset_") and not isinstance(operation, Gate)
            and operation.num_qubits == 1 and operation.num_clbits == 0)


def noise_model(
    device: DeviceSpec,
    at: When = None,
    *,
    qubits: Iterable[int] | None = None,
    gate_error: bool = True,
    thermal_relaxation: bool = True,
    readout: bool = True,
    live: bool | None = None,
    store: StoreArg = None,
    timeout: float = DEFAULT_TIMEOUT,
) -> NoiseModel:
    """A ``qiskit_aer.noise.NoiseModel`` of ``device`` (needs ``qiskit-aer``; the model is
    described in the module docs).

    ``device`` is anything :mod:`qtargets.devices` accepts (a name, ``NAME@TIME``, a
    calibration file, a Calibration, a Target, a backend), resolved with ``at``, ``live``,
    ``store`` and ``timeout``. ``qubits``: noise only on instructions acting within these
    physical qubits (those a transpiled circuit uses): Aer serialises the whole model on every
    run, seconds for a 156-qubit device, and the circuit's noise is the same.
    ``gate_error``, ``thermal_relaxation``, ``readout`` switch those parts off.

    Raises :class:`~qtargets.BackendInputError` for qubits the device lacks.
    """
    name, target = _device_target(device, at, live=live, store=store, timeout=timeout)
    return _build(target, name, qubits, gate_error=gate_error,
                  thermal_relaxation=thermal_relaxation, readout=readout).model


def simulator(
    device: DeviceSpec,
    at: When = None,
    *,
    qubits: Iterable[int] | None = None,
    gate_error: bool = True,
    thermal_relaxation: bool = True,
    readout: bool = True,
    live: bool | None = None,
    store: StoreArg = None,
    timeout: float = DEFAULT_TIMEOUT,
    **options: Any,
) -> AerSimulator:
    """An ``AerSimulator`` of ``device`` with :func:`noise_model`'s noise, which also runs the
    gates and instructions Aer lacks (module docs). Arguments as :func:`noise_model`;
    ``options`` go to ``AerSimulator`` (``noise_model=`` replaces the calibrated noise: then
    measurement variants read with that model's ``measure`` error).

    Its ``target`` is the device's, so ``transpile(circuit, sim)`` compiles for the device.
    Bind parameters before running: a native gate with free parameters raises
    :class:`~qtargets.BackendRunError`.
    """
    name, target = _device_target(device, at, live=live, store=store, timeout=timeout)
    return _simulator(target, name, qubits, gate_error=gate_error,
                      thermal_relaxation=thermal_relaxation, readout=readout, **options)


# -- the model -------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Noise:
    model: NoiseModel
    measurements: Mapping[str, Mapping[int, Confusion | None]]
    """Per measurement variant (``measure_2``), per qubit, its readout error (``None``:
    none known, measured ideally)."""


def _device_target(device: DeviceSpec, at: When, *, live: bool | None, store: StoreArg,
                   timeout: float) -> tuple[str, Target]:
    """The device's name and Target; a backend's own Target as it is (with the build flags
    it was made with)."""
    held = getattr(device, "target", None)
    if isinstance(held, Target) and at is None and live is None and store is None:
        return str(getattr(device, "name", None) or held.description or "target"), held
    found = resolve(device, at, live=live, store=store, timeout=timeout)
    return found.name, found.target()


def _build(target: Target, device: str, qubits: Iterable[int] | None, *, gate_error: bool,
           thermal_relaxation: bool, readout: bool) -> _Noise:
    aer_noise = require("qiskit_aer", "simulating a calibration").noise
    keep = _qubit_filter(target, device, qubits)
    model = aer_noise.NoiseModel(basis_gates=list(target.operation_names))
    issues = _Issues()
    relaxation = _Relaxation(target, issues) if thermal_relaxation else None

    for name in target.operation_names:
        operation = target.operation_from_name(name)
        by_qargs = target[name]
        if by_qargs is None or not isinstance(operation, Gate):
            continue  # measurements: readout below; resets end in |0>, which relaxation keeps
        for qargs, props in by_qargs.items():
            if qargs is None or props is None or not keep(qargs):
                continue
            relax = (relaxation.channel(qargs, props.duration)
                     if relaxation is not None and props.duration else None)
            depolarizing = (_depolarizing(name, qargs, props.error, relax, issues)
                            if gate_error else None)
            channels = [found[0] for found in (depolarizing, relax) if found is not None]
            if channels:  # the depolarizing channel first, then relaxation (as Aer)
                model.add_quantum_error(
                    channels[0] if len(channels) == 1 else channels[0].compose(channels[1]),
                    name, qargs)

    measurements: dict[str, dict[int, Confusion | None]] = {}
    for name in target.operation_names:
        operation = target.operation_from_name(name)
        if not is_measurement(operation) or target[name] is None:
            continue
        per_qubit: dict[int, Confusion | None] = {}
        for qargs, props in target[name].items():
            if qargs is None or len(qargs) != 1 or not keep(qargs):
                continue
            per_qubit[qargs[0]] = _confusion(props) if readout else None
        if name == "measure":
            for qubit, confusion in per_qubit.items():
                if confusion is not None:
                    model.add_readout_error(aer_noise.ReadoutError(confusion), [qubit])
        else:
            measurements[name] = per_qubit

    if relaxation is not None:
        relaxation.add_delay_noise(model, keep)
    if _foreign_gates(target):
        model.add_basis_gates(["unitary"])
    issues.report(device)
    return _Noise(model, measurements)


def _qubit_filter(target: Target, device: str, qubits: Iterable[int] | None) -> _Keep:
    """A test: do these qargs lie within ``qubits`` (every qargs if ``None``)?"""
    if qubits is None:
        return lambda qargs: True
    chosen = frozenset(qubits)
    outside = sorted(q for q in chosen if not 0 <= q < (target.num_qubits or 0))
    if outside:
        raise BackendInputError(f"qubits {outside} are not on {device!r} "
                                f"(qubits 0 to {(target.num_qubits or 0) - 1})")
    return chosen.issuperset


def _confusion(props: Any) -> Confusion | None:
    """The readout error of a measurement's properties: both directions if known."""
    if props is None:
        return None
    p01 = getattr(props, "prob_meas0_prep1", None)
    p10 = getattr(props, "prob_meas1_prep0", None)
    if p01 is None or p10 is None:
        if props.error is None:
            return None
        p01 = p10 = props.error
    return ((1.0 - p10, p10), (p01, 1.0 - p01))


class _Issues:
    """What the model could not take as calibrated, collected to be said once per kind."""

    def __init__(self) -> None:
        self.saturated: list[str] = []
        self.clamped: set[int] = set()
        self.no_coherence: set[int] = set()

    def report(self, device: str) -> None:
        if self.saturated:
            warn(f"{device}: {len(self.saturated)} gate error(s) at or above the largest a "
                 f"channel can have (an error of 1 marks a broken gate), simulated as "
                 f"maximally depolarizing: {', '.join(self.saturated)}")
        if self.clamped:
            warn(f"{device}: qubits {sorted(self.clamped)} report T2 > 2*T1, which no qubit "
                 f"can have; their relaxation noise uses T2 = 2*T1 (the calibration keeps the "
                 f"reported T2)")
        if self.no_coherence:
            qubits = ", ".join(str(q) for q in sorted(self.no_coherence))
            warn(f"{device}: no T1/T2 for qubits {qubits}: their gates get no "
                 f"relaxation noise, only the calibrated error")


class _Relaxation:
    """Thermal relaxation channels (zero temperature) from a Target's T1/T2."""

    def __init__(self, target: Target, issues: _Issues):
        self.target = target
        self.issues = issues
        self._times: dict[int, tuple[float, float] | None] = {}

    def times(self, qubit: int) -> tuple[float, float] | None:
        """(T1, T2) of ``qubit`` in seconds, T2 clamped to 2 T1 (an unknown T1 is infinite,
        an unknown T2 is 2 T1); ``None`` when neither is known."""
        if qubit in self._times:
            return self._times[qubit]
        properties = self.target.qubit_properties
        t1 = t2 = None
        if properties is not None and qubit < len(properties) and properties[qubit] is not None:
            t1, t2 = properties[qubit].t1, properties[qubit].t2
        found: tuple[float, float] | None
        if t1 is None and t2 is None:
            found = None
        else:
            t1 = math.inf if t1 is None else float(t1)
            limit = 2.0 * t1
            if t2 is None:
                t2 = limit
            elif t2 > limit:
                self.issues.clamped.add(qubit)
                t2 = limit
            found = (t1, float(t2))
        self._times[qubit] = found
        return found

    def channel(self, qargs: tuple[int, ...], duration: float) -> tuple[Any, float] | None:
        """The relaxation channel over ``duration`` on ``qargs`` (first qubit least
        significant, as in the gate) and its average gate fidelity; ``None`` if no qubit of
        ``qargs`` has T1/T2."""
        times = [self.times(q) for q in qargs]
        self.issues.no_coherence.update(q for q, t in zip(qargs, times, strict=True) if t is None)
        if all(t is None for t in times):
            return None
        thermal = require("qiskit_aer", "simulating a calibration").noise.thermal_relaxation_error
        channel = None
        process_fidelity = 1.0
        for t in times:
            t1, t2 = t if t is not None else (math.inf, math.inf)
            single = thermal(t1, t2, duration)
            channel = single if channel is None else channel.expand(single)
            process_fidelity *= (1.0 + math.exp(-duration / t1)
                                 + 2.0 * math.exp(-duration / t2)) / 4.0
        dim = 2 ** len(qargs)
        return channel, (dim * process_fidelity + 1.0) / (dim + 1.0)

    def add_delay_noise(self, model: NoiseModel, keep: _Keep) -> None:
        """Relaxation on delays, as Aer's own device model has (qubits outside: none)."""
        n = self.target.num_qubits or 0
        times = [self.times(q) if keep((q,)) else None for q in range(n)]
        if all(t is None for t in times):
            return
        passes = require("qiskit_aer", "simulating a calibration").noise
        model._custom_noise_passes.append(passes.RelaxationNoisePass(  # no public way in Aer
            t1s=[t[0] if t is not None else math.inf for t in times],
            t2s=[t[1] if t is not None else math.inf for t in times],
            dt=self.target.dt, op_types=Delay, target=self.target))


def _depolarizing(name: str, qargs: tuple[int, ...], error: float | None,
                  relax: tuple[Any, float] | None, issues: _Issues) -> tuple[Any, float] | None:
    """The depolarizing channel that, followed by ``relax``, has average gate error
    ``error``; ``None`` when none is needed (no error, or relaxation alone reaches it)."""
    if not error:
        return None
    relax_fidelity = relax[1] if relax is not None else 1.0
    relax_error = 1.0 - relax_fidelity
    n = len(qargs)
    dim = 2**n
    if error <= relax_error:
        return None  # relaxation alone has that much error (the module docs say why not warned)
    largest = dim / (dim + 1.0)  # average gate error of the maximally depolarizing channel
    if error >= largest:
        issues.saturated.append(f"{name}{qargs}")
        error = largest
    strength = dim * (error - relax_error) / (dim * relax_fidelity - 1.0)
    strength = min(strength, 4.0**n / (4.0**n - 1.0))
    depolarizing = require("qiskit_aer", "simulating a calibration").noise.depolarizing_error
    return depolarizing(strength, n), strength


# -- the simulator ---------------------------------------------------------------------------


@cache
def _aer_gates(method: str = "automatic") -> frozenset[str]:
    """The names Aer's ``method`` accepts in ``basis_gates``. Its configuration lists more
    (``delay``, control flow) for every method, which only ``automatic`` accepts there, so
    each is asked once (Aer still runs delays and control flow)."""
    aer = require("qiskit_aer", "simulating a calibration")
    listed = aer.AerSimulator(method=method).configuration().basis_gates
    if method == "automatic":
        return frozenset(listed)
    probe = aer.AerSimulator(method=method)
    accepted = set()
    for name in listed:
        try:
            probe.set_options(basis_gates=[name])
        except aer.AerError:
            continue
        accepted.add(name)
    return frozenset(accepted)


def _foreign_gates(target: Target) -> tuple[str, ...]:
    """The Target's gates Aer cannot simulate by name (IonQ's ``gpi``, ``ms``...)."""
    return tuple(sorted(
        name for name in target.operation_names
        if name not in _aer_gates() and isinstance(target.operation_from_name(name), Gate)))


def _simulator(target: Target, name: str, qubits: Iterable[int] | None, *, gate_error: bool,
               thermal_relaxation: bool, readout: bool, **options: Any) -> AerSimulator:
    simulator_class = _native_gate_simulator_class()
    measurement_errors: Mapping[str, Mapping[int, Confusion | None]] | None = None
    if "noise_model" not in options:
        noise = _build(target, name, qubits, gate_error=gate_error,
                       thermal_relaxation=thermal_relaxation, readout=readout)
        options["noise_model"] = None if noise.model.is_ideal() else noise.model
        measurement_errors = noise.measurements
    elif qubits is not None:
        _qubit_filter(target, name, qubits)  # still refuse qubits the device lacks
    # Aer runs only the gates its basis names; by default those of the noise model, which
    # for a noise model of one's own need not be the device's.
    options.setdefault("basis_gates", sorted(
        {*_aer_gates(options.get("method", "automatic")).intersection(target.operation_names),
         "unitary"}))
    simulator: AerSimulator = simulator_class(target=target, **options)
    simulator.qtargets_rewrite = _Rewrite(
        unitary_gates=frozenset(_foreign_gates(target)),
        resets=frozenset(n for n in target.operation_names
                         if n != "reset" and is_reset(target.operation_from_name(n))),
        measurements=frozenset(n for n in target.operation_names
                               if n != "measure"
                               and is_measurement(target.operation_from_name(n))),
        measurement_errors=measurement_errors,
        device_qubits=target.num_qubits or 0)
    return simulator


@cache
def _native_gate_simulator_class() -> Any:
    """``AerSimulator`` that rewrites what Aer cannot run before running it.

    Built on first use so that qiskit-aer stays optional.
    """
    aer_simulator: Any = require("qiskit_aer", "simulating a calibration").AerSimulator

    class NativeGateAerSimulator(aer_simulator):  # type: ignore[misc]
        """``AerSimulator`` that also runs a device's own gates and measurement variants
        (see :mod:`qtargets.noise`)."""

        qtargets_rewrite: _Rewrite | None = None

        def run(self, circuits: QuantumCircuit | Sequence[QuantumCircuit],
                parameter_binds: Any = None, **run_options: Any) -> Any:
            rewrite = self.qtargets_rewrite
            if rewrite is not None:
                if isinstance(circuits, QuantumCircuit):
                    circuits = [circuits]
                circuits = [rewrite.circuit(c) for c in circuits]
            return super().run(circuits, parameter_binds=parameter_binds, **run_options)

    return NativeGateAerSimulator


_CX = np.array([[1, 0, 0, 0], [0, 0, 0, 1], [0, 0, 1, 0], [0, 1, 0, 0]], dtype=complex)


@dataclass(frozen=True)
class _Rewrite:
    """A circuit as Aer can run it (module docs)."""

    unitary_gates: frozenset[str]
    """Gates Aer does not know: run as their unitaries, labelled with their names."""
    resets: frozenset[str]
    """Reset variants (``reset_2``): run as ``reset``."""
    measurements: frozenset[str]
    """Measurement variants (``measure_2``)."""
    measurement_errors: Mapping[str, Mapping[int, Confusion | None]] | None
    """Readout error per measurement variant and qubit (``None`` there: measured ideally);
    ``None``: the variants run as ``measure`` (a noise model of the user's: only its
    ``measure`` error is known)."""
    device_qubits: int

    def touches(self, circuit: QuantumCircuit) -> bool:
        names = self.unitary_gates | self.resets | self.measurements
        return any(inst.operation.name in names
                   or (isinstance(inst.operation, ControlFlowOp)
                       and any(self.touches(b) for b in inst.operation.blocks))
                   for inst in circuit.data)

    def needs_copy_qubit(self, circuit: QuantumCircuit) -> bool:
        return self.measurement_errors is not None and any(
            inst.operation.name in self.measurements
            or (isinstance(inst.operation, ControlFlowOp)
                and any(self.needs_copy_qubit(b) for b in inst.operation.blocks))
            for inst in circuit.data)

    def circuit(self, circuit: QuantumCircuit) -> QuantumCircuit:
        if not self.touches(circuit):
            return circuit
        spare: Qubit | None = None
        out = circuit.copy_empty_like()
        if self.needs_copy_qubit(circuit):
            # The copy qubit must carry no device noise: it sits past every device qubit.
            padding = max(0, self.device_qubits - circuit.num_qubits)
            spare = Qubit()
            with _quiet_layout():
                out.add_bits([Qubit() for _ in range(padding)] + [spare])
        self._fill(circuit, out, spare)
        return out

    def _fill(self, circuit: QuantumCircuit, out: QuantumCircuit, spare: Qubit | None,
              physical: Mapping[Qubit, int] | None = None) -> None:
        """Append ``circuit``'s instructions, rewritten, to ``out``; ``physical``: the device
        qubit of each of ``circuit``'s qubits (a transpiled circuit's own positions if
        ``None``; inside a control-flow block, those of the block's qubits)."""
        if physical is None:
            physical = {bit: i for i, bit in enumerate(circuit.qubits)}
        for inst in circuit.data:
            op = inst.operation
            qargs = tuple(inst.qubits)
            if isinstance(op, ControlFlowOp):
                uses_spare = spare is not None and any(self.needs_copy_qubit(b)
                                                       for b in op.blocks)
                blocks = []
                for block in op.blocks:
                    inner = {bit: physical[outer]
                             for bit, outer in zip(block.qubits, qargs, strict=True)}
                    blocks.append(self._block(block, uses_spare, inner))
                op = op.replace_blocks(blocks)
                if uses_spare:
                    assert spare is not None
                    qargs = (*qargs, spare)
                out.append(op, qargs, inst.clbits, copy=False)
            elif op.name in self.unitary_gates:
                if op.is_parameterized():
                    raise BackendRunError(
                        f"cannot simulate {op.name!r} with unbound parameters "
                        f"{sorted(str(p) for p in op.params)}: bind them first "
                        "(circuit.assign_parameters) instead of passing parameter_binds")
                out.append(UnitaryGate(Operator(op), label=op.name, check_input=False),
                           qargs, inst.clbits, copy=False)
            elif op.name in self.resets:
                out.append(Reset(), qargs, copy=False)
            elif op.name in self.measurements and (spare is None
                                                   or self.measurement_errors is None):
                out.append(Measure(), qargs, inst.clbits, copy=False)
            elif op.name in self.measurements:
                assert spare is not None
                assert self.measurement_errors is not None
                qubit = qargs[0]
                confusion = self.measurement_errors.get(op.name, {}).get(physical[qubit])
                # A CX onto the spare qubit (in |0>) entangles it with the qubit's Z value:
                # measuring the spare collapses the qubit exactly as measuring it would.
                out.append(UnitaryGate(_CX, label="qtargets_copy", check_input=False),
                           (qubit, spare), copy=False)
                if confusion is not None:
                    out.append(_flip(confusion), (spare,), copy=False)
                out.append(Measure(), (spare,), inst.clbits, copy=False)
                out.append(Reset(), (spare,), copy=False)
            else:
                out.append(op, qargs, inst.clbits, copy=False)

    def _block(self, block: QuantumCircuit, uses_spare: bool,
               physical: Mapping[Qubit, int]) -> QuantumCircuit:
        out = block.copy_empty_like()
        spare = None
        if uses_spare:
            spare = Qubit()
            with _quiet_layout():
                out.add_bits([spare])
        self._fill(block, out, spare, physical)
        return out


@cache
def _flip(confusion: Confusion) -> Instruction:
    """The classical channel ``confusion`` as a Kraus instruction: the read bit's flip,
    applied to the spare qubit only."""
    (p00, p10), (p01, p11) = confusion
    # Kraus operators of the classical channel: keep (sqrt P(b|b)), flip 0->1, flip 1->0.
    operators = [np.diag([math.sqrt(p00), math.sqrt(p11)]).astype(complex)]
    if p10 > 0.0:
        operators.append(np.array([[0, 0], [math.sqrt(p10), 0]], dtype=complex))
    if p01 > 0.0:
        operators.append(np.array([[0, math.sqrt(p01)], [0, 0]], dtype=complex))
    instruction: Instruction = Kraus(operators).to_instruction()
    return instruction


@contextmanager
def _quiet_layout() -> Iterator[None]:
    """Silence qiskit's warning that bits are added to a circuit with a layout: the spare
    qubit is the simulator's, past every qubit the layout maps."""
    with warnings.catch_warnings():
        warnings.filterwarnings(
            "ignore", "Trying to add bits to a QuantumCircuit having a layout")
        yield
