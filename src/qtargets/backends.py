"""A calibration as a qiskit ``BackendV2``, for tools that want a backend rather than a Target.

``transpile(circuit, backend)``, ``generate_preset_pass_manager(backend=backend)``,
``plot_error_map(backend)`` and ``AerSimulator.from_backend(backend)`` all take a backend;
:func:`backend` gives them one carrying exactly the Target :func:`qtargets.build_target` builds,
plus where it came from (:attr:`QTargetsBackend.calibration`). It describes a device on one
day; it cannot run anything (:meth:`QTargetsBackend.run` says to simulate instead).

>>> from qtargets.backends import backend
>>> fez = backend("ibm_fez", live=False)
>>> fez
<QTargetsBackend ibm_fez: 156 qubits, ibm Heron r2, taken 2025-02-26T20:16:25+00:00>
>>> fez.target.num_qubits
156
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import datetime
from functools import cache
from typing import TYPE_CHECKING, Any, NoReturn, TypeVar

from qiskit.circuit import ControlFlowOp, Gate, QuantumCircuit
from qiskit.circuit.library import UnitaryGate
from qiskit.providers import BackendV2, Options
from qiskit.quantum_info import Operator
from qiskit.transpiler import Target
from qiskit.transpiler.passmanager import StagedPassManager
from qiskit.transpiler.preset_passmanagers import generate_preset_pass_manager

from . import vendors
from ._exceptions import BackendInputError, BackendRunError
from ._optional import require
from .build import build_target
from .devices import DeviceSpec, resolve
from .live import DEFAULT_TIMEOUT, StoreArg, When
from .model import Calibration
from .scoring import Score, score

if TYPE_CHECKING:
    from qiskit_aer import AerSimulator  # type: ignore[import-untyped]

__all__ = ["Figures", "QTargetsBackend", "Transpiled", "backend"]


@dataclass(frozen=True)
class Transpiled:
    """A circuit transpiled for a backend, its score and how long transpiling took."""

    circuit: QuantumCircuit
    score: Score
    seconds: float
    """Wall time building the pass manager and running it."""


_F = TypeVar("_F", bound="Figures")


@dataclass(frozen=True, kw_only=True)
class Figures:
    """The figures of one circuit transpiled and scored for one device: what a ranking row
    (:class:`qtargets.Ranking`) and a sweep record (:class:`qtargets.SweepRecord`) share,
    under the same names. They are those of :class:`qtargets.Score`, ``None`` when ``error``
    says why there are none."""

    device: str
    taken_at: datetime | None = None
    """When the calibration used was taken (UTC); ``None`` if unknown (a bare Target)."""
    esp: float | None = None
    esp_idle: float | None = None
    log_esp_idle: float | None = None
    """``ln(esp_idle)``, exact where a large circuit's ``esp_idle`` underflows to 0: compare
    (and order) by this."""
    duration: float | None = None
    """Seconds, first operation's start to last one's end (ALAP)."""
    two_qubit_gates: int | None = None
    depth: int | None = None
    transpile_seconds: float | None = None
    """Wall-clock time building the pass manager and running it."""
    unknown_errors: int = 0
    """Operations of the transpiled circuit the calibration gives no error for (scored as
    perfect, so the figures flatter the device)."""
    error: str | None = None
    """Why there are no figures (too small, transpile failed); ``None`` when there are."""

    def with_result(self: _F, done: Transpiled) -> _F:
        """A copy holding the figures of ``done``."""
        figures = done.score
        return replace(self, esp=figures.esp, esp_idle=figures.esp_idle,
                       log_esp_idle=figures.log_esp_idle, duration=figures.duration,
                       two_qubit_gates=figures.two_qubit_gates, depth=figures.depth,
                       transpile_seconds=done.seconds, unknown_errors=figures.unknown_errors)


class QTargetsBackend(BackendV2):  # type: ignore[misc]  # qiskit ships no type information
    """A ``BackendV2`` whose ``target`` is a qtargets Target; made by :func:`backend`.

    Everything qiskit reads from a backend (``coupling_map``, ``num_qubits``, ``dt``,
    ``instruction_durations``, ``qubit_properties``...) comes from ``target``, untouched. On
    a Target of a vendor's native gates, :meth:`get_translation_stage_plugin` makes
    ``transpile`` use the translation stage that vendor wants (IonQ: ``ionq-native``)
    without being asked.
    """

    def __init__(
        self,
        target: Target,
        *,
        calibration: Calibration | None = None,
        name: str | None = None,
        description: str | None = None,
    ) -> None:
        if name is None:
            name = calibration.backend_name if calibration is not None else (
                target.description or "target")
        if description is None and calibration is not None:
            description = _describe(calibration)
        super().__init__(
            name=name,
            description=description,
            backend_version=calibration.backend_version if calibration is not None else None,
        )
        self._target = target
        self._calibration = calibration

    @property
    def target(self) -> Target:
        """The Target, exactly as built from the calibration (faulty elements left out)."""
        return self._target

    @property
    def calibration(self) -> Calibration | None:
        """The calibration the Target was built from; ``None`` for a backend of a bare Target."""
        return self._calibration

    @property
    def max_circuits(self) -> None:
        """No limit: the backend runs nothing, so it has no batch size to impose."""
        return None

    @classmethod
    def _default_options(cls) -> Options:
        return Options(shots=1024)

    def get_translation_stage_plugin(self) -> str | None:
        """The translation stage the vendor of this Target's native gates wants (see
        :meth:`qtargets.vendors.Vendor.stage_plugins`), else qiskit's default (``None``).

        For IonQ's native gates that is ``"ionq-native"``: qiskit's default translation
        reaches ``gpi``/``gpi2``/``ms`` gate by gate (27 single-qubit pulses for a 3-qubit GHZ
        state), the ``ionq-native`` stage tracks Z rotations as phases instead (4 pulses).
        qiskit asks backends only about the translation and scheduling stages: for the
        matching init and optimization stages use :meth:`pass_manager`.
        """
        stages = vendors.stage_plugins(self._target)
        return stages.translation if stages is not None else None

    def run(self, run_input: Any, **options: Any) -> NoReturn:
        """Always raises :class:`BackendRunError`: a calibration cannot execute circuits."""
        raise BackendRunError(
            f"{self.name!r} is a calibration, not a device: it cannot run circuits. Simulate "
            "with its noise instead: AerSimulator.from_backend(backend), or "
            "backend.aer_simulator() (which also works for IonQ's native gates)"
        )

    def pass_manager(self, optimization_level: int = 2, **options: Any) -> StagedPassManager:
        """``generate_preset_pass_manager(optimization_level, backend=self, **options)``, with
        the init and optimization stages the Target's vendor wants too (unless ``options``
        choose others): on IonQ's native gates, ``ionq-native``, as
        :func:`qtargets.ionq.plugin.ionq_pass_manager` does.

        qiskit lets a backend choose only its translation stage, and qiskit's own optimization
        stage cannot resynthesise ``gpi``/``gpi2``/``ms`` runs: the ``ionq-native`` one finds
        about a fifth fewer entangling gates on random circuits at levels 2 and 3.
        """
        stages = vendors.stage_plugins(self._target)
        if stages is not None:
            if stages.init is not None:
                options.setdefault("init_method", stages.init)
            if stages.optimization is not None:
                options.setdefault("optimization_method", stages.optimization)
        pm: StagedPassManager = generate_preset_pass_manager(
            optimization_level, backend=self, **options)
        return pm

    def transpile_and_score(self, circuit: QuantumCircuit, optimization_level: int = 2,
                            **options: Any) -> Transpiled:
        """:meth:`pass_manager` run on ``circuit``, timed, then :func:`qtargets.score` of
        the result: what ranking and sweeps do for every device. Transpiler errors (qiskit's,
        or a :class:`~qtargets.ScoreError` when scoring) propagate."""
        start = time.perf_counter()
        compiled = self.pass_manager(optimization_level, **options).run(circuit)
        seconds = time.perf_counter() - start
        return Transpiled(compiled, score(compiled, self._target), seconds)

    def aer_simulator(self, qubits: Iterable[int] | None = None, **options: Any
                      ) -> AerSimulator:
        """A noisy ``qiskit_aer.AerSimulator`` of this calibration (needs ``qiskit-aer``).

        ``AerSimulator.from_backend(self, **options)``, with two gaps in Aer filled:

        * Aer's noise model expects T1/T2 wherever a gate has a duration, and crashes on a
          Target with none (IonQ publishes durations but not every T1/T2): without them the
          noise model has gate and readout errors only, and Aer says so in a warning.
        * Aer cannot simulate gates outside its own set (IonQ's ``gpi``, ``gpi2``, ``ms``,
          ``zz``): the simulator passes each such gate to Aer as its exact unitary labelled
          with the gate's name, which is how Aer attaches that gate's noise.

        ``qubits``: model noise only on instructions acting within these physical qubits
        (e.g. those a transpiled circuit uses). Aer builds its noise model instruction by
        instruction and serialises all of it on every run, which for a 156-qubit device costs
        seconds each time; on the circuit's own qubits the noise is the same.

        Aer's own choices apply unchanged: errors above the maximum for a gate's size (IBM's
        ``1`` meaning "broken") become fully depolarizing channels, and ``T2 > 2*T1`` is
        truncated to ``2*T1`` for the relaxation noise. The Target itself is never changed.
        Pass ``noise_model=...`` (or any other ``AerSimulator`` option) to override.
        """
        simulator_class = _native_gate_simulator_class()
        from qiskit_aer.noise import NoiseModel  # type: ignore[import-untyped]  # noqa: PLC0415

        if "noise_model" not in options:
            noise_source = self if qubits is None else QTargetsBackend(
                self._noise_target(qubits), calibration=self._calibration, name=self.name,
                description=self.description)
            noise_model = NoiseModel.from_backend(
                noise_source, thermal_relaxation=bool(self._target.qubit_properties))
            # Aer simulates only the gates its noise model lists; with noise on some qubits
            # only, some gates would be missing from it.
            noise_model.add_basis_gates(list(self._target.operation_names))
            options["noise_model"] = None if noise_model.is_ideal() else noise_model
        aer_gates = set(simulator_class().configuration().basis_gates)
        foreign = tuple(sorted(
            name for name in self._target.operation_names
            if name not in aer_gates and isinstance(self._target.operation_from_name(name), Gate)
        ))
        if not foreign:
            simulator: AerSimulator = simulator_class.from_backend(self, **options)
            return simulator
        options.setdefault("basis_gates", sorted(
            {*aer_gates.intersection(self._target.operation_names), "unitary"}))
        # Aer warns that the device's gates and its own have nothing in common before
        # applying basis_gates, which says that they do.
        with _dropping_aer_log("The intersection of configuration basis gates"):
            simulator = simulator_class.from_backend(self, **options)
        simulator.qtargets_unitary_gates = foreign
        return simulator

    def _noise_target(self, qubits: Iterable[int]) -> Target:
        """The Target with only the instruction properties within ``qubits``."""
        keep = frozenset(qubits)
        outside = sorted(q for q in keep if not 0 <= q < self._target.num_qubits)
        if outside:
            raise BackendInputError(
                f"qubits {outside} are not on {self.name!r} "
                f"(qubits 0 to {self._target.num_qubits - 1})"
            )
        full = self._target
        pruned = Target(num_qubits=full.num_qubits, dt=full.dt,
                        qubit_properties=full.qubit_properties)
        for name in full.operation_names:
            kept = {qargs: props for qargs, props in full[name].items()
                    if qargs is not None and keep.issuperset(qargs)}
            if kept:
                pruned.add_instruction(full.operation_from_name(name), kept, name=name)
        return pruned

    def __repr__(self) -> str:
        cal = self._calibration
        if cal is None:
            return f"<QTargetsBackend {self.name}: {self._target.num_qubits} qubits, bare Target>"
        taken = cal.taken_at.isoformat() if cal.taken_at is not None else "time unknown"
        kind = f"{cal.vendor} {cal.processor}" if cal.processor else cal.vendor
        return f"<QTargetsBackend {self.name}: {cal.num_qubits} qubits, {kind}, taken {taken}>"


def backend(
    source: DeviceSpec,
    at: When = None,
    *,
    live: bool | None = None,
    store: StoreArg = None,
    timeout: float = DEFAULT_TIMEOUT,
    include_control_flow: bool = True,
    include_fractional_gates: bool = True,
    filter_faulty: bool = True,
    add_delay: bool = True,
) -> QTargetsBackend:
    """A :class:`QTargetsBackend` of any device: a name (``"ibm_fez"``,
    ``"ibm_fez@2025-06-01"``), a calibration file, a Calibration, a Target or another backend
    (see :mod:`qtargets.devices`).

    A name is resolved with ``at``, ``live``, ``store`` and ``timeout`` (the deadline of a
    live fetch, seconds): live when the vendor's credentials are configured, else the store or
    the bundled snapshot (``live=False`` never touches the network). A qiskit ``Target`` is
    wrapped as it is (``calibration`` is then ``None``). The flags are those of
    :func:`qtargets.build_target`.
    """
    device = resolve(source, at, live=live, store=store, timeout=timeout)
    flags = {"include_control_flow": include_control_flow,
             "include_fractional_gates": include_fractional_gates,
             "filter_faulty": filter_faulty, "add_delay": add_delay}
    if device.calibration is None:
        return QTargetsBackend(device.target(**{k: v for k, v in flags.items() if not v}))
    return QTargetsBackend(build_target(device.calibration, **flags),
                           calibration=device.calibration)


def _describe(cal: Calibration) -> str:
    device = f"{cal.vendor} {cal.processor}" if cal.processor else cal.vendor
    taken = cal.taken_at.isoformat() if cal.taken_at is not None else "at an unknown time"
    return f"{cal.backend_name} ({device}), calibration taken {taken}; {cal.provenance.source}"


# -- Aer -------------------------------------------------------------------------------------


@cache
def _native_gate_simulator_class() -> Any:
    """``AerSimulator`` that hands Aer named unitaries for the gates it cannot simulate.

    Built on first use so that qiskit-aer stays optional.
    """
    simulator: Any = require("qiskit_aer", "simulating a calibration").AerSimulator

    class NativeGateAerSimulator(simulator):  # type: ignore[misc]
        """``AerSimulator`` that also runs a device's non-standard gates (see ``aer_simulator``).

        Each gate named in ``qtargets_unitary_gates`` becomes its exact unitary labelled with
        its name, so the noise model's errors for that name apply to it.
        """

        qtargets_unitary_gates: tuple[str, ...] = ()

        def run(self, circuits: QuantumCircuit | Sequence[QuantumCircuit],
                parameter_binds: Any = None, **run_options: Any) -> Any:
            names = frozenset(self.qtargets_unitary_gates)
            if names:
                if isinstance(circuits, QuantumCircuit):
                    circuits = [circuits]
                circuits = [_as_labelled_unitaries(c, names) for c in circuits]
            return super().run(circuits, parameter_binds=parameter_binds, **run_options)

    return NativeGateAerSimulator


def _as_labelled_unitaries(circuit: QuantumCircuit, names: frozenset[str]) -> QuantumCircuit:
    """``circuit`` with each gate called one of ``names`` as ``UnitaryGate(label=name)``."""
    if not any(inst.operation.name in names or isinstance(inst.operation, ControlFlowOp)
               for inst in circuit.data):
        return circuit
    out = circuit.copy_empty_like()
    for inst in circuit.data:
        op = inst.operation
        if isinstance(op, ControlFlowOp):
            op = op.replace_blocks([_as_labelled_unitaries(b, names) for b in op.blocks])
        elif op.name in names:
            if op.is_parameterized():
                raise BackendRunError(
                    f"cannot simulate {op.name!r} with unbound parameters "
                    f"{sorted(str(p) for p in op.params)}: bind them first "
                    "(circuit.assign_parameters) instead of passing parameter_binds"
                )
            op = UnitaryGate(Operator(op), label=op.name, check_input=False)
        out.append(op, inst.qubits, inst.clbits, copy=False)
    return out


@contextmanager
def _dropping_aer_log(prefix: str) -> Iterator[None]:
    """Leave out qiskit-aer log records starting with ``prefix`` for the ``with`` block."""

    def keep(record: logging.LogRecord) -> bool:
        return not str(record.msg).startswith(prefix)

    logger = logging.getLogger("qiskit_aer.backends.aer_simulator")
    logger.addFilter(keep)
    try:
        yield
    finally:
        logger.removeFilter(keep)
