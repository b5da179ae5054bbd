"""The one builder: any :class:`~qtargets.Calibration` -> qiskit ``Target``.

Vendor code never touches ``Target``; it only produces Calibrations. So every vendor gets the
same treatment of faulty elements, control flow and units.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Sequence
from functools import cache
from typing import Any

from qiskit.circuit import Gate, Instruction, Parameter
from qiskit.circuit.controlflow import ForLoopOp, IfElseOp, SwitchCaseOp, WhileLoopOp
from qiskit.circuit.library.standard_gates import get_standard_gate_name_mapping
from qiskit.providers.backend import QubitProperties
from qiskit.transpiler import InstructionProperties, Target

from ._exceptions import CalibrationError
from .model import Calibration, InstructionCalibration

__all__ = ["CONTROL_FLOW_OPERATIONS", "MeasureProperties", "TargetWithChains", "build_target",
           "layer_chains", "operation_for", "register_gate"]

CONTROL_FLOW_OPERATIONS: dict[str, type[Instruction]] = {
    "if_else": IfElseOp,
    "while_loop": WhileLoopOp,
    "for_loop": ForLoopOp,
    "switch_case": SwitchCaseOp,
}


_VENDOR_GATES: dict[str, Callable[..., Instruction]] = {}


class MeasureProperties(InstructionProperties):  # type: ignore[misc]  # qiskit is untyped
    """The ``measure`` properties of a qubit whose readout is known in both directions.

    A Target keeps one ``error`` per measurement (the symmetric ``readout_error``); a qubit
    often misreads a prepared 1 several times as often as a prepared 0 (relaxation during the
    measurement). :func:`build_target` gives ``target["measure"][(q,)]`` this class, with both
    figures, wherever the calibration has them, so they are reachable from the Target alone:

    >>> import qtargets
    >>> props = qtargets.load_target("ibm_boston")["measure"][(0,)]
    >>> props.prob_meas0_prep1, props.prob_meas1_prep0, props.error
    (0.005859375, 0.00244140625, 0.004150390625)

    The attribute names are those qiskit-aer's ``NoiseModel.from_backend`` looks for on a
    measurement's properties, so Aer's own noise model of a qtargets backend uses them too.
    """

    __slots__ = ("prob_meas0_prep1", "prob_meas1_prep0")

    def __new__(cls, duration: float | None, error: float | None, prob_meas0_prep1: float,
                prob_meas1_prep0: float) -> MeasureProperties:
        self: MeasureProperties = super().__new__(cls, duration, error)
        return self

    def __init__(self, duration: float | None, error: float | None, prob_meas0_prep1: float,
                 prob_meas1_prep0: float) -> None:
        super().__init__(duration, error)
        self.prob_meas0_prep1 = prob_meas0_prep1
        """Probability of reading 0 after preparing 1."""
        self.prob_meas1_prep0 = prob_meas1_prep0
        """Probability of reading 1 after preparing 0."""

    def __reduce__(self) -> tuple[Any, ...]:
        # qiskit's base pickles duration and error only: the readout figures would be lost
        # on the way to a worker process.
        return (type(self), (self.duration, self.error, self.prob_meas0_prep1,
                             self.prob_meas1_prep0))

    def __repr__(self) -> str:
        return (f"MeasureProperties(duration={self.duration}, error={self.error}, "
                f"prob_meas0_prep1={self.prob_meas0_prep1}, "
                f"prob_meas1_prep0={self.prob_meas1_prep0})")


class TargetWithChains(Target):  # type: ignore[misc]  # qiskit is untyped
    """A Target carrying the qubit chains its device's layer fidelity was measured on (IBM's
    ``lf_N``, see :class:`~qtargets.LayerFidelity`): vendor-chosen lines of good qubits that
    ``layout_method="qtargets"`` tries for circuits whose interaction graph is a line. qiskit
    hands a layout plugin the Target and nothing else, so the Target has to carry them.

    :func:`build_target` returns one when the calibration names such chains (a plain Target
    otherwise); to everything else it is a Target. The chains survive pickling (parallel
    ``transpile``) and :func:`qtargets.layout.with_history`.
    """

    layer_chains: tuple[tuple[int, ...], ...] = ()
    """Each chain's physical qubits in order (neighbours coupled in this Target): see
    :func:`layer_chains` for what is kept."""

    _carried: tuple[str, ...] = ("layer_chains",)
    """The tuple attributes qtargets adds, pickled as ``qtargets_<name>`` (a subclass that
    carries more extends this)."""

    def __getstate__(self) -> dict[str, Any]:
        state: dict[str, Any] = super().__getstate__()
        for name in self._carried:
            state[f"qtargets_{name}"] = getattr(self, name)
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        state = dict(state)
        for name in self._carried:
            setattr(self, name, tuple(state.pop(f"qtargets_{name}", ())))
        super().__setstate__(state)


def layer_chains(chains: Iterable[Sequence[int] | None],
                 coupled: Collection[tuple[int, int]] | None = None
                 ) -> tuple[tuple[int, ...], ...]:
    """The distinct usable pieces of ``chains`` (qubit sequences; None, an unknown chain, is
    skipped), for layout.

    A chain is cut wherever two neighbours are not ``coupled`` (pairs, either order; None:
    every pair is): where a qubit or gate was filtered out as faulty, what lies on either side
    stays, since a line through it can no longer be laid out. Pieces of fewer than two qubits
    go. So does a piece that is a contiguous run of a longer one, read either way (IBM's
    shorter chains mostly lie on its longest): it offers no window the longer one does not.
    Longest first.
    """
    pieces: list[tuple[int, ...]] = []
    for chain in chains:
        if chain is None:
            continue
        run: list[int] = []
        for q in chain:
            if (run and coupled is not None and (run[-1], q) not in coupled
                    and (q, run[-1]) not in coupled):
                pieces.append(tuple(run))
                run = []
            run.append(q)
        pieces.append(tuple(run))
    kept: list[tuple[int, ...]] = []
    for piece in sorted((p for p in pieces if len(p) >= 2), key=len, reverse=True):
        if not any(_runs_in(piece, longer) for longer in kept):
            kept.append(piece)
    return tuple(kept)


def _runs_in(piece: tuple[int, ...], chain: tuple[int, ...]) -> bool:
    """Whether ``piece`` is a contiguous run of ``chain``, read either way."""
    k = len(piece)
    try:
        i = chain.index(piece[0])  # chains hold each qubit once
    except ValueError:
        return False
    return chain[i:i + k] == piece or (i >= k - 1 and chain[i - k + 1:i + 1] == piece[::-1])


def register_gate(name: str, gate_class: Callable[..., Instruction]) -> None:
    """Make ``build_target`` use ``gate_class(*parameters)`` for instructions called ``name``.

    How a vendor subpackage (e.g. ``qtargets.ionq`` for ``gpi``/``ms``) gives its native gates
    real semantics (matrix, definition) in every Target, without the builder knowing vendors.
    """
    _VENDOR_GATES[name] = gate_class


@cache
def standard_operations() -> dict[str, Instruction]:
    """qiskit's standard gates and instructions by name, built once per process."""
    return dict(get_standard_gate_name_mapping())


def operation_for(inst: InstructionCalibration) -> Instruction:
    """The qiskit object a Target should hold for ``inst``.

    A name qiskit knows (``cz``, ``rz``, ``measure``...) maps to qiskit's own class, so the
    transpiler understands its semantics; anything else becomes an opaque ``Gate`` or
    ``Instruction`` of the declared width and parameters.
    """
    vendor_gate = _VENDOR_GATES.get(inst.name)
    if vendor_gate is not None and inst.kind == "gate":
        gate = vendor_gate(*(Parameter(p) for p in inst.parameters))
        if gate.num_qubits != inst.num_qubits:
            raise CalibrationError(
                f"calibration.instructions[{inst.name!r}].num_qubits",
                f"{inst.name!r} acts on {gate.num_qubits} qubits", inst.num_qubits,
            )
        return gate
    standard = standard_operations().get(inst.name)
    if standard is not None and inst.kind != "instruction":
        if standard.num_qubits != inst.num_qubits or len(standard.params) != len(inst.parameters):
            raise CalibrationError(
                f"calibration.instructions[{inst.name!r}]",
                f"qiskit's {inst.name!r} acts on {standard.num_qubits} qubits with "
                f"{len(standard.params)} parameters, not {inst.num_qubits} and "
                f"{len(inst.parameters)}",
                show_value=False,
            )
        return standard
    params = [Parameter(p) for p in inst.parameters]
    if inst.kind == "gate":
        return Gate(name=inst.name, num_qubits=inst.num_qubits, params=params)
    return Instruction(
        name=inst.name, num_qubits=inst.num_qubits, num_clbits=inst.num_clbits, params=params
    )


def build_target(
    calibration: Calibration,
    *,
    include_control_flow: bool = True,
    include_fractional_gates: bool = True,
    filter_faulty: bool = True,
    add_delay: bool = True,
) -> Target:
    """A qiskit ``Target`` holding everything ``calibration`` says about the device.

    Args:
        include_control_flow: keep ``if_else``, ``for_loop``... (dynamic circuits).
        include_fractional_gates: keep continuously parametrised gates such as IBM's
            ``rzz``/``rx`` (see ``InstructionCalibration.fractional``).
        filter_faulty: leave out every qubit marked non-operational (from every instruction)
            and every gate marked non-operational on particular qubits.
        add_delay: keep the ``delay`` instruction.

    A calibration naming the chains its layer fidelities were measured on (IBM) gives a
    :class:`TargetWithChains` carrying them (:func:`layer_chains`: cut where this Target
    couples no neighbours, e.g. at a qubit filtered out as faulty); any other, a ``Target``.

    Example::

        >>> import qtargets
        >>> target = qtargets.build_target(qtargets.load_calibration("ibm_fez"))
        >>> target.num_qubits
        156
    """
    cal = calibration
    faulty = set(cal.faulty_qubits) if filter_faulty else set()

    # qiskit treats a Target whose qubit properties are all unknown like one without any.
    qubit_properties: list[QubitProperties] | None = None
    if any(q.t1 is not None or q.t2 is not None or q.frequency is not None for q in cal.qubits):
        qubit_properties = [
            QubitProperties(t1=q.t1, t2=q.t2, frequency=q.frequency) for q in cal.qubits
        ]
    timing = cal.timing_constraints
    chains = [layer.qubits for layer in cal.layer_fidelities if layer.qubits is not None]
    target = (TargetWithChains if chains else Target)(
        description=f"{cal.vendor} {cal.backend_name}",
        num_qubits=cal.num_qubits,
        dt=cal.dt,
        granularity=timing.granularity,
        min_length=timing.min_length,
        pulse_alignment=timing.pulse_alignment,
        acquire_alignment=timing.acquire_alignment,
        qubit_properties=qubit_properties,
    )

    coupled: set[tuple[int, int]] = set()
    everywhere = False
    for inst in cal.instructions:
        if inst.kind == "control_flow":
            if include_control_flow:
                target.add_instruction(_control_flow_class(inst.name), name=inst.name)
            continue
        if inst.fractional and not include_fractional_gates:
            continue
        if inst.kind == "delay" and not add_delay:
            continue
        properties: dict[tuple[int, ...], InstructionProperties | None] | None = None
        if inst.qargs is not None:
            properties = {}
            for qubits, error, duration, operational in inst.qargs:
                if filter_faulty and not operational:
                    continue
                if faulty and not faulty.isdisjoint(qubits):  # empty unless filter_faulty
                    continue
                properties[qubits] = (
                    None if error is None and duration is None
                    # positional (duration, error): this runs thousands of times per Target
                    else InstructionProperties(duration, error)
                )
            if inst.kind == "measure":
                _add_readout_asymmetry(cal, properties)
            if chains and inst.kind == "gate" and inst.num_qubits == 2:
                coupled.update(q for q in properties if len(q) == 2)
        elif chains and inst.kind == "gate" and inst.num_qubits == 2:
            everywhere = True  # a two-qubit gate on any pair: nothing to cut
        kwargs: dict[str, Any] = {}
        if inst.angle_bounds is not None:
            kwargs["angle_bounds"] = [tuple(b) for b in inst.angle_bounds]
        target.add_instruction(operation_for(inst), properties, name=inst.name, **kwargs)
    if chains:
        target.layer_chains = layer_chains(chains, None if everywhere else coupled)
    return target


def _add_readout_asymmetry(cal: Calibration,
                           properties: dict[tuple[int, ...], InstructionProperties | None]
                           ) -> None:
    """Turn the ``measure`` properties of every qubit whose readout errors are known in both
    directions into :class:`MeasureProperties` carrying them."""
    for qubits, props in properties.items():
        if len(qubits) != 1 or not 0 <= qubits[0] < len(cal.qubits):
            continue
        qubit = cal.qubits[qubits[0]]
        p01, p10 = qubit.prob_meas0_prep1, qubit.prob_meas1_prep0
        if p01 is None or p10 is None:
            continue
        properties[qubits] = MeasureProperties(
            props.duration if props is not None else None,
            props.error if props is not None else None, p01, p10)


def _control_flow_class(name: str) -> type[Instruction]:
    try:
        return CONTROL_FLOW_OPERATIONS[name]
    except KeyError:
        raise CalibrationError(
            f"calibration.instructions[{name!r}].name",
            f"not a control-flow operation (known: {', '.join(CONTROL_FLOW_OPERATIONS)})",
            name,
        ) from None
