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

import time
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime
from typing import TYPE_CHECKING, Any, NoReturn, TypeVar

from qiskit.circuit import QuantumCircuit
from qiskit.providers import BackendV2, Options
from qiskit.transpiler import Target
from qiskit.transpiler.passmanager import StagedPassManager
from qiskit.transpiler.preset_passmanagers import generate_preset_pass_manager

from . import noise, vendors
from ._exceptions import BackendRunError
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
        qiskit asks backends only about the translation and scheduling stages, so that stage
        also runs qiskit's optimization loop on IonQ's free-Z equivalent basis: ``transpile``
        with this backend alone finds as few entanglers as naming every stage does.
        """
        stages = vendors.stage_plugins(self._target)
        return stages.translation if stages is not None else None

    def run(self, run_input: Any, **options: Any) -> NoReturn:
        """Always raises :class:`BackendRunError`: a calibration cannot execute circuits."""
        raise BackendRunError(
            f"{self.name!r} is a calibration, not a device: it cannot run circuits. Simulate "
            "with its noise instead: backend.aer_simulator() (which also runs IonQ's native "
            "gates and measure_2/reset_2), or AerSimulator.from_backend(backend)"
        )

    def pass_manager(self, optimization_level: int = 2, **options: Any) -> StagedPassManager:
        """``generate_preset_pass_manager(optimization_level, backend=self, **options)``, with
        the init and optimization stages the Target's vendor wants too (unless ``options``
        choose others): on IonQ's native gates, ``ionq-native``, as
        :func:`qtargets.ionq.plugin.ionq_pass_manager` does.

        qiskit lets a backend choose only its translation stage; on IonQ's natives that stage
        already optimizes (:mod:`qtargets.ionq.plugin`), and the ``ionq-native`` init stage
        also avoids a costlier path for gates on three or more qubits.
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
        """A noisy ``qiskit_aer.AerSimulator`` of this calibration (needs ``qiskit-aer``):
        :func:`qtargets.noise.simulator` of this backend's Target.

        Its noise is :func:`qtargets.noise_model`'s (depolarizing and thermal relaxation per
        gate, asymmetric readout errors where known); it also runs what plain Aer cannot:
        IonQ's ``gpi``, ``gpi2``, ``ms``, ``zz`` (as their exact unitaries, labelled so their
        noise attaches) and IBM Heron r3's ``reset_2`` and ``measure_2`` (with its own
        calibrated readout error). ``AerSimulator.from_backend(backend)`` builds Aer's own
        noise model instead, and fails on those.

        ``qubits``: model noise only on instructions acting within these physical qubits
        (e.g. those a transpiled circuit uses): a 156-qubit device's full model costs seconds
        to build and again on every run; on the circuit's own qubits the noise is the same.
        ``options`` (``noise_model=...`` included) go to ``AerSimulator``; the keywords
        ``gate_error``, ``thermal_relaxation`` and ``readout`` to :func:`qtargets.noise_model`.
        """
        return noise.simulator(self, qubits=qubits, **options)

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
