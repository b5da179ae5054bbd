"""qiskit transpiler stage plugins: compact, exact compilation to IonQ's native gates.

Registered as ``ionq-native`` for the translation and the optimization stage (and, optionally,
the init stage)::

    transpile(circuit, target=target,
              translation_method="ionq-native", optimization_method="ionq-native")

where ``target = qtargets.from_ionq(payload, gateset="native")``, or any Target whose
operations are ``gpi``, ``gpi2``, one of ``ms``/``zz``, and ``measure``. The stages work in an
*intermediate* basis, ``{rz, sx, x, rxx | rzz}`` (:func:`intermediate_target`: the same device
with ``rz`` perfect), and end with :class:`~qtargets.ionq.passes.IntermediateToNative`, which
emits one pulse per ``sx`` and turns ``rz`` and ``x`` into phase shifts of later pulses. The
optimization stage is qiskit's own, run on the intermediate target, so the two-qubit gates are
those qiskit finds when Z rotations are free. :func:`ionq_pass_manager` builds the pipeline.

A backend can name only its translation stage (``BackendV2.get_translation_stage_plugin``):
``transpile(circuit, backend=qtargets.backend(ionq_device))`` then runs qiskit's default
optimization stage on the native target, where it can resynthesise neither two-qubit blocks
nor single-qubit runs of ``gpi``/``gpi2``/``ms``/``zz``. So when the optimization stage is not
``ionq-native``, the translation stage runs qiskit's optimization loop itself, on the
intermediate target, before converting: the stage that follows finds nothing left to do.

Example::

    >>> import qtargets
    >>> from qiskit import QuantumCircuit
    >>> from qtargets.ionq.plugin import ionq_pass_manager
    >>> target = qtargets.from_ionq({"backend": "qpu.aria-1", "qubits": 4})
    >>> bell = QuantumCircuit(2)
    >>> _ = bell.h(0)
    >>> _ = bell.cx(0, 1)
    >>> _ = bell.measure_all()
    >>> sorted(ionq_pass_manager(target, seed=1).run(bell).count_ops().items())
    [('barrier', 1), ('gpi2', 2), ('measure', 2), ('ms', 1)]
"""

from __future__ import annotations

import copy

from qiskit.circuit import Parameter
from qiskit.circuit.library import RXXGate, RZGate, RZZGate, SXGate, XGate
from qiskit.transpiler import InstructionProperties, PassManager, PassManagerConfig, Target
from qiskit.transpiler.exceptions import TranspilerError
from qiskit.transpiler.passes import Optimize1qGatesDecomposition, TwoQubitPeepholeOptimization
from qiskit.transpiler.passmanager import StagedPassManager
from qiskit.transpiler.preset_passmanagers import common, generate_preset_pass_manager
from qiskit.transpiler.preset_passmanagers.builtin_plugins import (
    DefaultInitPassManager,
    OptimizationPassManager,
)
from qiskit.transpiler.preset_passmanagers.plugin import (
    PassManagerStagePlugin,
    list_stage_plugins,
)

from .equivalences import add_equivalences
from .passes import (
    Entangler,
    FoldEntanglerAngles,
    IntermediateGate,
    IntermediateToNative,
    NativeToIntermediate,
    intermediate_basis,
)

__all__ = [
    "PLUGIN_NAME",
    "IonQInitPlugin",
    "IonQOptimizationPlugin",
    "IonQTranslationPlugin",
    "entangler_of",
    "intermediate_target",
    "ionq_pass_manager",
]

PLUGIN_NAME = "ionq-native"
"""The name the stage plugins are registered under (``translation_method=...`` etc.)."""

# Native operation -> intermediate gate carrying its calibration over.
_CARRIED_OVER = {"gpi2": "sx", "gpi": "x", "ms": "rxx", "zz": "rzz"}
_INTERMEDIATE_ENTANGLER: dict[Entangler, IntermediateGate] = {"ms": "rxx", "zz": "rzz"}
# Non-gate instructions a target may hold that the intermediate target keeps as they are.
_KEPT = ("measure", "reset", "delay")


def entangler_of(target: Target) -> Entangler:
    """The native two-qubit gate of an IonQ ``target``: ``"ms"`` or ``"zz"``."""
    names = set(target.operation_names)
    found = [name for name in ("ms", "zz") if name in names]
    if len(found) != 1 or not {"gpi", "gpi2"} <= names:
        raise TranspilerError(
            "ionq-native: the target must hold gpi, gpi2 and exactly one of ms or zz (build it "
            f"with qtargets.from_ionq(payload, gateset='native')); it holds {sorted(names)}"
        )
    return "ms" if found == ["ms"] else "zz"


def intermediate_target(target: Target) -> Target:
    """The native ``target`` restated in qiskit's ``{rz, sx, x, rxx | rzz}``.

    Same qubits and connected pairs; ``sx``/``x`` take the errors and durations of
    ``gpi2``/``gpi``, ``rxx``/``rzz`` those of ``ms``/``zz``, and ``rz`` is perfect and
    instantaneous, since phase tracking makes it free. ``measure``, ``reset`` and ``delay``
    are copied. qiskit's optimisers, given this target, optimise for what IonQ really pays.
    """
    entangler = entangler_of(target)
    proxy = Target(
        description=f"intermediate basis {intermediate_basis(entangler)} of {target.description}",
        num_qubits=target.num_qubits,
        dt=target.dt,
        qubit_properties=target.qubit_properties,
        concurrent_measurements=target.concurrent_measurements,
    )
    rz_properties: dict[tuple[int, ...] | None, InstructionProperties | None] = {}
    for qargs in _qargs_of(target, "gpi2"):
        rz_properties[qargs] = InstructionProperties(error=0.0, duration=0.0)
    proxy.add_instruction(RZGate(Parameter("θ")), rz_properties)
    gates = {"sx": SXGate(), "x": XGate(), "rxx": RXXGate(Parameter("θ")),
             "rzz": RZZGate(Parameter("θ"))}
    for native in ("gpi2", "gpi", entangler):
        proxy.add_instruction(gates[_CARRIED_OVER[native]], _copy_properties(target, native))
    for name in _KEPT:
        if name in target.operation_names:
            proxy.add_instruction(
                target.operation_from_name(name), _copy_properties(target, name), name=name
            )
    return proxy


class IonQInitPlugin(PassManagerStagePlugin):  # type: ignore[misc]  # qiskit is untyped
    """Init stage ``ionq-native`` (optional): qiskit's default init, on the intermediate target.

    The init stage already decomposes gates on three or more qubits; towards the native target
    qiskit's ``BasisTranslator`` may take a path with more entanglers (through ``cx``) than
    towards ``rxx``/``rzz`` (about 10% more on random circuits at levels 0 and 1). The translation
    stage copes with whatever the default init stage leaves.
    """

    def pass_manager(
        self, pass_manager_config: PassManagerConfig, optimization_level: int | None = None
    ) -> PassManager | None:
        """The stage's pass manager for ``pass_manager_config.target``."""
        proxy = intermediate_target(_native_target(pass_manager_config))
        init: PassManager | None = DefaultInitPassManager().pass_manager(
            _proxy_config(pass_manager_config, proxy), optimization_level
        )
        return init


class IonQTranslationPlugin(PassManagerStagePlugin):  # type: ignore[misc]  # qiskit is untyped
    """Translation stage ``ionq-native``: any circuit to IonQ natives, phase-tracked.

    Native gates already present become intermediate gates; qiskit's translation (unitary and
    high-level synthesis, ``BasisTranslator``) runs on :func:`intermediate_target`; entangler
    angles are folded into IonQ's range, single-qubit runs resynthesised as ``rz``/``sx``/``x``
    and finally converted by :class:`~qtargets.ionq.passes.IntermediateToNative`. Output holds
    only target operations (and barriers).

    Unless the optimization stage is ``ionq-native`` too, qiskit's optimization loop for the
    level runs here, on the intermediate target, before the conversion (at level 1 with a
    two-qubit peephole pass as well): the path a backend gets, since it can name no other
    stage.
    """

    def pass_manager(
        self, pass_manager_config: PassManagerConfig, optimization_level: int | None = None
    ) -> PassManager:
        """The stage's pass manager for ``pass_manager_config.target``."""
        target = _native_target(pass_manager_config)
        entangler = entangler_of(target)
        proxy = intermediate_target(target)
        config = _proxy_config(pass_manager_config, proxy)
        stage = PassManager([NativeToIntermediate()])
        stage += common.generate_translation_passmanager(
            proxy,
            method="translator",
            approximation_degree=config.approximation_degree,
            coupling_map=config.coupling_map,
            unitary_synthesis_method=config.unitary_synthesis_method,
            unitary_synthesis_plugin_config=config.unitary_synthesis_plugin_config,
            hls_config=config.hls_config,
            qubits_initially_zero=config.qubits_initially_zero,
        )
        if optimization_level and pass_manager_config.optimization_method != PLUGIN_NAME:
            # qiskit's optimization stage will run on the native target, where it can neither
            # resynthesise two-qubit blocks (its decomposers know only standard gates) nor
            # single-qubit runs (no Euler basis is gpi/gpi2): run it here, on the
            # intermediate target, before the gates become natives. This is how a backend,
            # which can name only its translation stage, gets the ionq-native optimization.
            #
            # At level 1 also a peephole pass: the default init stage has decomposed gates
            # on 3+ qubits towards the native target, on a path with more entanglers than
            # towards rxx/rzz (see IonQInitPlugin), and level 1's loop never resynthesises
            # two-qubit blocks. Without the coupling map qiskit's level-3 loop skips its
            # VF2PostLayout: the optimization stage that follows runs one on the natives.
            loop_config = copy.copy(config)
            loop_config.coupling_map = None
            stage += _intermediate_optimization(
                entangler, loop_config, optimization_level, peephole=optimization_level == 1
            )
        stage += _to_native(entangler, proxy)
        return stage


class IonQOptimizationPlugin(PassManagerStagePlugin):  # type: ignore[misc]  # qiskit is untyped
    """Optimization stage ``ionq-native``: qiskit's own optimization loop with free ``rz``.

    The circuit goes back to the intermediate basis, qiskit's built-in optimization stage for
    the same level runs against :func:`intermediate_target` (re-translating with the
    ``BasisTranslator`` when it leaves the basis), and the result is folded, resynthesised and
    converted to natives as in the translation stage. Level 0 does nothing, as in qiskit.
    """

    def pass_manager(
        self, pass_manager_config: PassManagerConfig, optimization_level: int | None = None
    ) -> PassManager | None:
        """The stage's pass manager for ``pass_manager_config.target``."""
        if not optimization_level:
            return None
        target = _native_target(pass_manager_config)
        entangler = entangler_of(target)
        proxy = intermediate_target(target)
        stage = PassManager([NativeToIntermediate()])
        stage += _intermediate_optimization(
            entangler, _proxy_config(pass_manager_config, proxy), optimization_level
        )
        stage += _to_native(entangler, proxy)
        return stage


def ionq_pass_manager(
    target: Target, optimization_level: int = 2, seed: int | None = None
) -> StagedPassManager:
    """qiskit's preset pass manager for ``target`` with the ``ionq-native`` stages.

    Once the plugins are installed as entry points, this is ``generate_preset_pass_manager(
    optimization_level, target=target, seed_transpiler=seed, translation_method="ionq-native",
    optimization_method="ionq-native")`` (plus ``init_method="ionq-native"`` if that one is
    installed too); until then the same stages are swapped into the default preset.
    """
    installed = {
        stage: PLUGIN_NAME in list_stage_plugins(stage)
        for stage in ("init", "translation", "optimization")
    }
    if installed["translation"] and installed["optimization"]:
        staged: StagedPassManager = generate_preset_pass_manager(
            optimization_level,
            target=target,
            seed_transpiler=seed,
            init_method=PLUGIN_NAME if installed["init"] else None,
            translation_method=PLUGIN_NAME,
            optimization_method=PLUGIN_NAME,
        )
        return staged
    staged = generate_preset_pass_manager(optimization_level, target=target, seed_transpiler=seed)
    # What generate_preset_pass_manager derives from a lone target.
    config = PassManagerConfig(
        basis_gates=list(target.operation_names),
        coupling_map=target.build_coupling_map(),
        instruction_durations=target.durations(),
        timing_constraints=target.timing_constraints(),
        approximation_degree=1.0,
        seed_transpiler=seed,
        target=target,
        init_method=PLUGIN_NAME,
        translation_method=PLUGIN_NAME,
        optimization_method=PLUGIN_NAME,
    )
    staged.init = IonQInitPlugin().pass_manager(config, optimization_level)
    staged.translation = IonQTranslationPlugin().pass_manager(config, optimization_level)
    staged.optimization = IonQOptimizationPlugin().pass_manager(config, optimization_level)
    return staged


# -- helpers -----------------------------------------------------------------------------------


def _native_target(config: PassManagerConfig) -> Target:
    # Stages that are not ours (e.g. the default init's 3-qubit unrolling) translate towards
    # the native target with qiskit's session library, which needs the native rules.
    add_equivalences()
    if config.target is None:
        raise TranspilerError(
            "ionq-native needs a Target: transpile(..., target=qtargets.from_ionq(payload))"
        )
    target: Target = config.target
    return target


def _proxy_config(config: PassManagerConfig, proxy: Target) -> PassManagerConfig:
    """``config`` with the intermediate target in place of the native one."""
    out = copy.copy(config)
    out.target = proxy
    out.basis_gates = list(proxy.operation_names)
    out.translation_method = "translator"
    out.optimization_method = "default"
    return out


def _intermediate_optimization(
    entangler: Entangler, proxy_config: PassManagerConfig, level: int, *, peephole: bool = False
) -> PassManager:
    """qiskit's built-in optimization stage for ``level`` on the intermediate target.

    It starts from entangler angles folded into IonQ's range and single-qubit runs already
    resynthesised: from the ``BasisTranslator``'s raw output qiskit's loop settles on more
    single-qubit gates (on 8 random 8-qubit circuits at level 2, 448 instead of 382 on Aria).
    """
    stage = PassManager(
        [
            FoldEntanglerAngles(_INTERMEDIATE_ENTANGLER[entangler]),
            Optimize1qGatesDecomposition(target=proxy_config.target),
        ]
    )
    if peephole:
        # Keeps a two-qubit block unless it finds fewer entanglers (or, as many, fewer errors).
        stage.append(
            TwoQubitPeepholeOptimization(
                proxy_config.target, approximation_degree=proxy_config.approximation_degree
            )
        )
    builtin: PassManager | None = OptimizationPassManager().pass_manager(proxy_config, level)
    if builtin is not None:
        stage += builtin
    return stage


def _to_native(entangler: Entangler, proxy: Target) -> PassManager:
    return PassManager(
        [
            FoldEntanglerAngles(_INTERMEDIATE_ENTANGLER[entangler]),
            Optimize1qGatesDecomposition(target=proxy),
            IntermediateToNative(entangler),
        ]
    )


def _qargs_of(target: Target, name: str) -> list[tuple[int, ...] | None]:
    qargs = target.qargs_for_operation_name(name)
    return [None] if qargs is None else [tuple(q) for q in qargs]


def _copy_properties(
    target: Target, name: str
) -> dict[tuple[int, ...] | None, InstructionProperties | None]:
    out: dict[tuple[int, ...] | None, InstructionProperties | None] = {}
    for qargs in _qargs_of(target, name):
        props = target[name][qargs]
        out[qargs] = None if props is None else InstructionProperties(
            duration=props.duration, error=props.error
        )
    return out
