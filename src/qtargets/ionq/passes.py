r"""Transpiler passes that compile to IonQ's native gates with Z rotations and X flips for free.

The route is ``anything -> {rz, sx, x, rxx | rzz} -> {gpi, gpi2, ms | zz}``: qiskit optimises
in the *intermediate* basis, and :class:`IntermediateToNative` then emits only the pulses.
Angles ``β, t`` are radians, native phases and angles turns, products in matrix order (the
rightmost gate runs first).

**Phase tracking.** A Z rotation run before a native gate equals the native gate with a
shifted phase, run before the same Z rotation::

    GPI(φ)·Rz(β)                  = Rz(β)·GPI(φ - β/2π)
    GPI2(φ)·Rz(β)                 = Rz(β)·GPI2(φ - β/2π)
    MS(φ0, φ1, θ)·(Rz(β0)⊗Rz(β1)) = (Rz(β0)⊗Rz(β1))·MS(φ0 - β0/2π, φ1 - β1/2π, θ)
    ZZ(θ)·(Rz(β0)⊗Rz(β1))         = (Rz(β0)⊗Rz(β1))·ZZ(θ)

so each qubit carries a pending *frame* that only shifts later phases. The frame also absorbs
``X`` gates, since ``X·P(φ)·X = P(-φ)``: ``GPI2(φ)·X = X·GPI2(-φ)``, ``MS(φ0, φ1, θ)·(X⊗I) =
(X⊗I)·MS(-φ0, φ1, θ)`` and ``ZZ(θ)·(X⊗I) = (X⊗I)·ZZ(-θ)``. A frame is ``Rz(β)·X^s``; ``rz``
and ``x`` gates update it and cost nothing. It must be emitted (as pulses) only where it
matters: an ``X`` before a measurement (which it would flip) or before a ``zz`` it would make
negative. That costs one ``gpi`` pulse, or none when merged into the qubit's previous pulse
(``GPI(a)·GPI2(a) = -i·GPI2(a + 1/2)``, ``GPI(a)·GPI(a) = I``); where to do it is chosen to
need the fewest pulses (:class:`IntermediateToNative`). A Z rotation before a Z-basis
measurement (or a reset) is dropped. What is still pending at the end of the circuit becomes
``Rz(β)·X = GPI(β/4π)`` or ``Rz(β) = GPI(β/4π)·GPI(0)``.

**Angle folding.** IonQ runs MS and ZZ for ``0 < θ <= 1/4`` turns only.
:class:`FoldEntanglerAngles` reduces ``t`` modulo 2π (``RXX(t + 2π) = -RXX(t)``, likewise
``RZZ``), then for ``|t| > π/2`` uses::

    RXX(t) = RXX(t ∓ π)·(∓i X⊗X)            RZZ(t) = RZZ(t ∓ π)·(∓i Z⊗Z)

(``Z⊗Z = -Rz(π)⊗Rz(π)`` is free), and a negative ZZ angle ``RZZ(-t) = (X⊗I)·RZZ(t)·(X⊗I)``.
A negative MS angle is free: ``MS(φ0, φ1, -θ) = MS(φ0 + 1/2, φ1, θ)``. The ``x`` gates a fold
adds merge into neighbouring single-qubit runs (``Optimize1qGatesDecomposition``) or into
frames.

Every pass is exact, global phase included (``Operator(out) == Operator(in)``), except that
a frame dropped before a measurement or reset changes nothing observable. Unbound parameters
pass through: frames and phases become parameter expressions, but an ``rxx``/``rzz`` whose
angle is unbound is neither folded nor sign-corrected, so bind parameters before compiling a
circuit for hardware.

Example::

    >>> from qiskit import QuantumCircuit
    >>> from qtargets.ionq.passes import IntermediateToNative
    >>> qc = QuantumCircuit(1)
    >>> _ = qc.rz(0.5, 0)
    >>> _ = qc.sx(0)
    >>> _ = qc.measure_all()
    >>> out = IntermediateToNative("ms")(qc)
    >>> [inst.operation.name for inst in out.data]
    ['gpi2', 'barrier', 'measure']
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from typing import Any, Literal

import numpy as np
import numpy.typing as npt
from qiskit.circuit import ControlFlowOp, Gate, Instruction, ParameterExpression, Qubit
from qiskit.circuit.library import RXXGate, RZGate, RZZGate, SXGate, XGate
from qiskit.dagcircuit import DAGCircuit, DAGOpNode
from qiskit.transpiler.basepasses import TransformationPass
from qiskit.transpiler.exceptions import TranspilerError
from qiskit.transpiler.passes.utils import control_flow

from .gates import GPI2Gate, GPIGate, MSGate, ZZGate

__all__ = [
    "ANGLE_TOLERANCE",
    "Entangler",
    "FoldEntanglerAngles",
    "IntermediateGate",
    "IntermediateToNative",
    "NativeToIntermediate",
    "fold_entangler",
    "intermediate_basis",
]

Entangler = Literal["ms", "zz"]
"""IonQ's native two-qubit gate: MS (Harmony, Aria) or ZZ (Forte)."""
IntermediateGate = Literal["rxx", "rzz"]
"""The qiskit standard gate each native entangler is exactly a phase-shifted copy of."""

ANGLE_TOLERANCE = 1e-12
"""Angles (radians) this close to zero count as zero: the gate or frame is dropped."""

_TAU = 2 * math.pi
_INTERMEDIATE: dict[str, IntermediateGate] = {"ms": "rxx", "zz": "rzz"}
_OTHER_ENTANGLER: dict[str, str] = {"ms": "zz", "zz": "ms"}

# Diagonal single-qubit gates as ``(frame angle, global phase)``: the gate is
# ``e^{i·phase}·Rz(angle)``. ``rz``, ``p`` and ``u1`` take the angle from their parameter.
_FIXED_Z_ROTATIONS: dict[str, tuple[float, float]] = {
    "z": (math.pi, math.pi / 2),
    "s": (math.pi / 2, math.pi / 4),
    "sdg": (-math.pi / 2, -math.pi / 4),
    "t": (math.pi / 4, math.pi / 8),
    "tdg": (-math.pi / 4, -math.pi / 8),
}
_Z_ROTATIONS = frozenset({"rz", "p", "u1", "id", *_FIXED_Z_ROTATIONS})
# What NativeToIntermediate moves an X through (see there).
_X_COMMUTES_OR_FLIPS = frozenset({"rz", "sx", "x", "rxx", "rzz"})

Angle = Any  # a float or a qiskit ParameterExpression (qiskit ships no type information)
# One gate of a rewrite: name, parameters (radians), positions in the rewritten gate's qargs.
Step = tuple[str, tuple[Angle, ...], tuple[int, ...]]


def intermediate_basis(two_qubit_gate: Entangler) -> tuple[str, ...]:
    """The gates qiskit optimises in before :class:`IntermediateToNative`: rz, sx, x, rxx|rzz."""
    return ("rz", "sx", "x", _INTERMEDIATE[two_qubit_gate])


def fold_entangler(kind: IntermediateGate, angle: float) -> tuple[list[Step], float]:
    """``rxx(angle)`` or ``rzz(angle)`` as gates IonQ runs, and the global phase they need.

    The steps, in time order (``0, 1`` are the gate's ``qargs``), hold at most one
    ``rxx``/``rzz`` with ``0 < |t| <= π/2`` (``0 < t`` for ``rzz``), and ``x``/``rz(π)``
    gates; no interaction at all if it is the identity.

    >>> fold_entangler("rxx", 3 * math.pi / 4)[0]
    [('x', (), (0,)), ('x', (), (1,)), ('rxx', (-0.7853981633974483,), (0, 1))]
    """
    turns = round(angle / _TAU)
    t = angle - _TAU * turns
    if t <= -math.pi:
        t += _TAU
        turns -= 1
    phase = math.pi * (turns % 2)  # RXX(t + 2π) = -RXX(t), likewise RZZ
    steps: list[Step] = []
    if abs(t) > math.pi / 2:
        sign = 1.0 if t > 0 else -1.0
        t -= sign * math.pi
        if kind == "rxx":
            phase -= sign * math.pi / 2  # RXX(±π) = ∓i X⊗X
            steps += [("x", (), (0,)), ("x", (), (1,))]
        else:
            phase += sign * math.pi / 2  # RZZ(±π) = ∓i Z⊗Z = ±i Rz(π)⊗Rz(π)
            steps += [("rz", (math.pi,), (0,)), ("rz", (math.pi,), (1,))]
    if abs(t) <= ANGLE_TOLERANCE:
        return steps, phase
    if kind == "rzz" and t < 0:
        return [*steps, ("x", (), (0,)), ("rzz", (-t,), (0, 1)), ("x", (), (0,))], phase
    return [*steps, (kind, (t,), (0, 1))], phase


class FoldEntanglerAngles(TransformationPass):  # type: ignore[misc]  # qiskit is untyped
    """Bring every bound ``rxx``/``rzz`` angle into IonQ's native range (see module docs).

    Runs before single-qubit optimisation, so the ``x`` gates it adds merge into neighbouring
    runs. ``rxx``/``rzz`` gates with unbound angles are left alone; identities are removed.
    """

    def __init__(self, kind: IntermediateGate) -> None:
        super().__init__()
        if kind not in ("rxx", "rzz"):
            raise TranspilerError(f"FoldEntanglerAngles: kind must be 'rxx' or 'rzz', not {kind!r}")
        self.kind: IntermediateGate = kind

    def run(self, dag: DAGCircuit) -> DAGCircuit:
        """Rewrite ``dag`` (returns a new DAG)."""
        _recurse_into_control_flow(self, dag)
        if self.kind not in dag.count_ops(recurse=False):
            return dag
        out = dag.copy_empty_like()
        for node in dag.topological_op_nodes():
            angle = _bound(node.op.params[0]) if node.name == self.kind else None
            in_range = angle is not None and 0 < abs(angle) <= math.pi / 2 and (
                self.kind == "rxx" or angle > 0
            )
            if angle is None or in_range:
                out.apply_operation_back(node.op, node.qargs, node.cargs, check=False)
                continue
            steps, phase = fold_entangler(self.kind, angle)
            out.global_phase += phase
            for name, params, positions in steps:
                qargs = tuple(node.qargs[p] for p in positions)
                out.apply_operation_back(_intermediate_gate(name, params), qargs, (), check=False)
        return out


class NativeToIntermediate(TransformationPass):  # type: ignore[misc]  # qiskit is untyped
    """Rewrite IonQ native gates exactly in qiskit's ``rz``, ``sx``, ``x``, ``rxx``, ``rzz``.

    ``GPI(φ) = Rz(2πφ)·X·Rz(-2πφ)``, ``GPI2(φ) = e^{-iπ/4}·Rz(2πφ)·SX·Rz(-2πφ)``,
    ``MS(φ0, φ1, θ)`` is ``RXX(2πθ)`` conjugated the same way and ``ZZ(θ) = RZZ(2πθ)``. For
    native gates coming back into a circuit qiskit is about to optimise.

    ``X`` gates (from ``gpi`` or already ``x``) are moved later, through ``rz``, ``sx``,
    ``rxx`` and ``rzz`` (``X·Rz(θ) = Rz(-θ)·X``, ``RZZ(t)·(X⊗I) = (X⊗I)·RZZ(-t)``; ``X``
    commutes with ``SX`` and ``RXX``), to the next measurement, barrier or other gate on the
    qubit, or the end. The pulses that only made ``zz`` angles positive thus vanish, and qiskit
    optimises with ``rzz`` signs free again; :class:`IntermediateToNative` fixes them last.
    """

    def run(self, dag: DAGCircuit) -> DAGCircuit:
        """Rewrite ``dag`` (returns a new DAG, or ``dag`` itself if there is nothing to do)."""
        _recurse_into_control_flow(self, dag)
        if not {"gpi", "gpi2", "ms", "zz", "x"} & set(dag.count_ops(recurse=False)):
            return dag
        out = dag.copy_empty_like()
        pending: set[Qubit] = set()  # qubits owing an X after everything emitted so far

        def settle(qargs: Iterable[Qubit]) -> None:
            for qubit in qargs:
                if qubit in pending:
                    pending.discard(qubit)
                    out.apply_operation_back(XGate(), (qubit,), (), check=False)

        def put(name: str, params: tuple[Angle, ...], qargs: tuple[Qubit, ...]) -> None:
            if name == "x":
                pending.symmetric_difference_update(qargs)
                return
            if name == "rz" and _bound(params[0]) == 0:
                return
            if (name == "rz" and qargs[0] in pending) or (
                name == "rzz" and len(pending.intersection(qargs)) == 1
            ):
                params = (-params[0],)
            out.apply_operation_back(_intermediate_gate(name, params), qargs, (), check=False)

        for node in dag.topological_op_nodes():
            op, qargs = node.op, tuple(node.qargs)
            rewrite = _native_as_intermediate(op)
            if rewrite is not None:
                steps, phase = rewrite
                out.global_phase += phase
                for name, params, positions in steps:
                    put(name, params, tuple(qargs[p] for p in positions))
            elif op.name in _X_COMMUTES_OR_FLIPS and op.num_qubits == len(qargs) and (
                not node.cargs
            ):
                put(op.name, tuple(op.params), qargs)
            elif op.name == "reset":
                pending.difference_update(qargs)  # nothing before a reset matters
                out.apply_operation_back(op, qargs, node.cargs, check=False)
            elif op.name == "delay":
                out.apply_operation_back(op, qargs, node.cargs, check=False)
            else:
                settle(qargs)
                out.apply_operation_back(op, qargs, node.cargs, check=False)
        settle(list(out.qubits))
        return out


class IntermediateToNative(TransformationPass):  # type: ignore[misc]  # qiskit is untyped
    """Convert ``{rz, sx, x, rxx | rzz}`` (and measure, reset, barrier, delay) to IonQ natives.

    Frames (see module docs) absorb ``rz`` and ``x``; ``sx`` becomes one ``gpi2``, ``rxx`` or
    ``rzz`` one ``ms`` or ``zz``. The frames' ``X`` parts are emitted where measurements and
    ``zz`` signs need it, at the fewest pulses (see :class:`_FramePlan`). Also accepted: the
    other diagonal gates (``p``, ``z``, ``s``, ``t``...), ``sxdg``, ``y``, ``id``,
    out-of-range entangler angles (folded here) and the native gates themselves. Anything else
    raises ``TranspilerError``, control flow included.
    """

    def __init__(self, two_qubit_gate: Entangler) -> None:
        super().__init__()
        if two_qubit_gate not in _INTERMEDIATE:
            raise TranspilerError(
                f"IntermediateToNative: two_qubit_gate must be 'ms' or 'zz', not {two_qubit_gate!r}"
            )
        self.two_qubit_gate: Entangler = two_qubit_gate

    def run(self, dag: DAGCircuit) -> DAGCircuit:
        """Return the native DAG (a new one)."""
        nodes = list(dag.topological_op_nodes())
        # A dry run lists what constrains the frames' X parts, the plan decides where to change
        # them, and the real run follows it.
        plan = _FramePlan()
        planner = _NativeWriter(dag.copy_empty_like(), self.two_qubit_gate, plan, planning=True)
        for node in nodes:
            planner.add(node.op, node.qargs, node.cargs)
        plan.solve()
        writer = _NativeWriter(dag.copy_empty_like(), self.two_qubit_gate, plan)
        for node in nodes:
            writer.add(node.op, node.qargs, node.cargs)
        return writer.finish()


# An event that constrains frames' X bits: (id, kind, qubits, parity). Kinds: "x" (toggles the
# bit for free), "pulse" (a gpi2 just emitted: the bit may toggle for free), "zz" (the two bits
# must differ exactly when parity is 1), "measure" (the bit must be clear; clears it), "reset"
# (clears it).
_Event = tuple[int, str, tuple[Qubit, ...], int]


class _FramePlan:
    """Where to toggle the ``X`` bits of the frames so that the fewest pulses are spent.

    Toggling costs nothing at an ``x`` gate or right after a ``gpi2`` (merged into it) and one
    pulse anywhere else; a ``zz`` with a negative angle needs the bits of its qubits to differ,
    one with a positive angle needs them equal, a measurement needs the bit clear. Qubits
    linked by ``zz`` gates form groups; each group of at most :attr:`MAX_GROUP` qubits is
    solved exactly by dynamic programming over its events in order (the state is the group's
    bits, the cost the pulses paid). Larger groups, or too many events, are left to the greedy
    rule of :class:`_NativeWriter`: toggle where a constraint fails, preferring a merge.
    """

    MAX_GROUP = 12
    MAX_WORK = 1 << 24  # states x events

    def __init__(self) -> None:
        self.events: list[_Event] = []
        # Event id -> the qubit to toggle there (after a pulse, before a zz or measurement).
        self.toggles: dict[int, Qubit] = {}

    def record(self, event: int, kind: str, qubits: tuple[Qubit, ...], parity: int) -> None:
        self.events.append((event, kind, qubits, parity))

    def solve(self) -> None:
        """Fill :attr:`toggles` for every group of qubits small enough."""
        root: dict[Qubit, Qubit] = {}

        def find(qubit: Qubit) -> Qubit:
            root.setdefault(qubit, qubit)
            while root[qubit] != qubit:
                root[qubit] = root[root[qubit]]
                qubit = root[qubit]
            return qubit

        for _, kind, pair, _ in self.events:
            if kind == "zz":
                root[find(pair[0])] = find(pair[1])
        groups: dict[Qubit, list[_Event]] = {}
        for event in self.events:
            groups.setdefault(find(event[2][0]), []).append(event)
        for events in groups.values():
            qubits = list(dict.fromkeys(q for event in events for q in event[2]))
            if len(qubits) <= self.MAX_GROUP and len(events) << len(qubits) <= self.MAX_WORK:
                self._solve_group(qubits, events)

    def _solve_group(self, qubits: list[Qubit], events: list[_Event]) -> None:
        bit = {qubit: 1 << i for i, qubit in enumerate(qubits)}
        states = np.arange(1 << len(qubits))
        unreachable = len(events) + 1  # more than any plan costs
        cost = np.full(states.size, unreachable, dtype=np.int64)
        cost[0] = 0  # every frame starts without X
        # choices[k][state]: how the state after event k was reached: 0 without a toggle, 1 by
        # toggling the event's first qubit, 2 its second.
        choices: list[npt.NDArray[np.intp]] = []
        for _, kind, event_qubits, parity in events:
            first = bit[event_qubits[0]]
            toggle_price = 1 if kind in ("zz", "measure") else 0
            options = [cost, cost[states ^ first] + toggle_price]
            if kind == "zz":
                second = bit[event_qubits[1]]
                options.append(cost[states ^ second] + 1)
            stacked = np.stack(options)
            choice = np.argmin(stacked, axis=0)
            if kind == "x":  # the toggle is forced
                choice = np.ones_like(states)
            cost = np.choose(choice, stacked)
            if kind == "zz":
                differ = ((states & first) > 0) != ((states & second) > 0)
                cost = np.where(differ == bool(parity), cost, unreachable)
            elif kind in ("measure", "reset"):
                cost = np.where(states & first, unreachable, cost)
            choices.append(choice)
        state = int(np.argmin(cost))
        for (event, kind, event_qubits, _), choice in zip(
            reversed(events), reversed(choices), strict=True
        ):
            how = int(choice[state])
            if how:
                toggled = event_qubits[how - 1]
                if kind not in ("x", "reset"):  # x toggles by itself; before a reset, no need
                    self.toggles[event] = toggled
                state ^= bit[toggled]


class _Frame:
    """A qubit's pending ``Rz(beta)·X^flipped`` (``X`` first in time), not yet emitted."""

    __slots__ = ("beta", "flipped")

    def __init__(self) -> None:
        self.beta: Angle = 0.0
        self.flipped = False

    @property
    def sign(self) -> int:
        """How the frame's ``X`` acts on equatorial phases: ``X·P(φ)·X = P(-φ)``."""
        return -1 if self.flipped else 1


class _NativeWriter:
    """Emits native gates into ``out`` while tracking each qubit's pending frame.

    The input circuit equals, qubit by qubit, the pending frame after what was emitted. A gate
    ``G`` arriving is rewritten as ``G·F = F'·G'``: ``G'`` is emitted, ``F'`` pending.
    """

    def __init__(
        self, out: DAGCircuit, two_qubit_gate: Entangler, plan: _FramePlan,
        *, planning: bool = False,
    ) -> None:
        self.out = out
        self.two_qubit_gate = two_qubit_gate
        self.intermediate = _INTERMEDIATE[two_qubit_gate]
        self.frames: dict[Qubit, _Frame] = {}
        # The last operation emitted on a qubit, if it is a single-qubit pulse: a frame's X can
        # be merged into it instead of costing a pulse of its own.
        self.last_pulse: dict[Qubit, DAGOpNode] = {}
        # Planning (the dry run) records events in ``plan``; the real run makes its toggles.
        # Both number the events alike, since they see the same gates in the same order.
        self.plan = plan
        self.planning = planning
        self.events = 0

    def frame(self, qubit: Qubit) -> _Frame:
        frame = self.frames.get(qubit)
        if frame is None:
            frame = self.frames[qubit] = _Frame()
        return frame

    def add(self, op: Instruction, qargs: Sequence[Qubit], cargs: Sequence[Any]) -> None:
        """Convert one operation of the input circuit."""
        name = op.name
        if isinstance(op, ControlFlowOp):
            raise TranspilerError(
                f"IntermediateToNative: control flow ({name!r}) is not supported; IonQ targets "
                "do not run dynamic circuits"
            )
        one_qubit = len(qargs) == 1 and not cargs and op.num_qubits == 1
        if one_qubit and name in _Z_ROTATIONS:
            self._rotate_frame(name, op.params, qargs[0])
        elif one_qubit and name in ("x", "y"):
            # X·Rz(β)·X^s = Rz(-β)·X^(s+1), and Y = Rz(π)·X
            frame = self.frame(qargs[0])
            frame.beta = -frame.beta + (math.pi if name == "y" else 0.0)
            frame.flipped = not frame.flipped
            self._event("x", (qargs[0],))
        elif one_qubit and name in ("sx", "sxdg"):
            # SX = e^{iπ/4}·GPI2(0), SX† = e^{-iπ/4}·GPI2(1/2)
            phi, phase = (0.0, math.pi / 4) if name == "sx" else (0.5, -math.pi / 4)
            self._emit_pulse(GPI2Gate(self._phase(phi, qargs[0])), qargs[0])
            self.out.global_phase += phase
            self._event("pulse", (qargs[0],))
        elif name == self.intermediate and len(qargs) == 2:
            self._entangler(op.params[0], qargs)
        elif name == "measure":
            # Z before a Z-basis measurement changes nothing; X would flip the outcome.
            self._event("measure", (qargs[0],))
            if self.frame(qargs[0]).flipped and not self.planning:
                self._flip(qargs[0])
            self.frames.pop(qargs[0], None)
            self._emit_other(op, qargs, cargs)
        elif name == "reset":
            self._event("reset", (qargs[0],))
            self.frames.pop(qargs[0], None)  # nothing before a reset matters
            self._emit_other(op, qargs, cargs)
        elif name in ("barrier", "delay"):
            self._emit_other(op, qargs, cargs)
        elif name != _OTHER_ENTANGLER[self.two_qubit_gate] and (
            rewrite := _native_as_intermediate(op)
        ) is not None:
            steps, phase = rewrite
            self.out.global_phase += phase
            self._add_steps(steps, qargs)
        else:
            raise TranspilerError(
                f"IntermediateToNative: cannot convert {name!r} on {len(qargs)} qubit(s) to IonQ "
                f"native gates with {self.two_qubit_gate!r}; translate the circuit to "
                f"{', '.join(intermediate_basis(self.two_qubit_gate))} first"
            )

    def finish(self) -> DAGCircuit:
        """Emit every frame still pending and return the DAG."""
        for qubit in self.out.qubits:
            frame = self.frames.get(qubit)
            if frame is None:
                continue
            if not frame.flipped:
                value = _bound(frame.beta)
                if value is not None:
                    beta = value % (2 * _TAU)  # Rz is 4π-periodic
                    if min(beta, 2 * _TAU - beta) <= ANGLE_TOLERANCE:
                        continue
                    if abs(beta - _TAU) <= ANGLE_TOLERANCE:  # Rz(2π) = -I
                        self.out.global_phase += math.pi
                        continue
                last = self.last_pulse.get(qubit)
                if last is not None and last.name == "gpi":
                    # Rz(β)·GPI(a) = GPI(a + β/4π): the frame merges into the last pulse.
                    phi = last.op.params[0] + frame.beta / (2 * _TAU)
                    self._replace(last, GPIGate(_turns(phi)))
                    continue
                if last is None:
                    # Rz(β) = GPI(β/4π)·GPI(0), exactly.
                    self._emit_pulse(GPIGate(0.0), qubit)
                    self._emit_pulse(GPIGate(_turns(frame.beta / (2 * _TAU))), qubit)
                    continue
                self._flip(qubit)  # merged into the last gpi2: one pulse left instead of two
            # Rz(β)·X = GPI(β/4π), exactly.
            self._emit_pulse(GPIGate(_turns(frame.beta / (2 * _TAU))), qubit)
        self.frames.clear()
        return self.out

    # -- frames ---------------------------------------------------------------------------------

    def _rotate_frame(self, name: str, params: Sequence[Angle], qubit: Qubit) -> None:
        if name == "id":
            return
        if name == "rz":
            angle, phase = params[0], 0.0
        elif name in ("p", "u1"):
            angle, phase = params[0], params[0] / 2  # P(λ) = e^{iλ/2}·Rz(λ)
        else:
            angle, phase = _FIXED_Z_ROTATIONS[name]
        frame = self.frame(qubit)
        frame.beta = frame.beta + angle  # Rz(θ)·Rz(β)·X^s = Rz(β + θ)·X^s
        self.out.global_phase += phase

    def _phase(self, phi: Angle, qubit: Qubit) -> Angle:
        """The native phase (turns) that runs phase ``phi`` through ``qubit``'s frame.

        ``P(φ)·Rz(β)·X^s = Rz(β)·X^s·P(±(φ - β/2π))``, with ``-`` when ``s`` is set.
        """
        frame = self.frames.get(qubit)
        if frame is None:
            return _turns(phi)
        return _turns(frame.sign * (phi - frame.beta / _TAU))

    def _flip(self, qubit: Qubit) -> None:
        """Emit the ``X`` of ``qubit``'s frame (or add one), merged into its last pulse if any.

        The pulse is ``GPI(a) = Rz(4πa)·X`` with ``a`` the last pulse's phase (``GPI(a)·GPI(a)
        = I``, ``GPI(a)·GPI2(a) = -i·GPI2(a + 1/2)``), or ``a = 0`` alone; the frame becomes
        ``F·GPI(a) = Rz(β ± 4πa)·X^(1-s)``.
        """
        frame = self.frame(qubit)
        last = self.last_pulse.get(qubit)
        a: Angle = 0.0
        if last is None:
            self._emit_pulse(GPIGate(0.0), qubit)
        elif last.name == "gpi":
            a = last.op.params[0]
            self.out.remove_op_node(last)
            del self.last_pulse[qubit]
        else:
            a = last.op.params[0]
            self._replace(last, GPI2Gate(_turns(a + 0.5)))
            self.out.global_phase -= math.pi / 2
        frame.beta = frame.beta + frame.sign * 2 * _TAU * a
        frame.flipped = not frame.flipped

    def _flip_cost(self, qubit: Qubit) -> tuple[int, int]:
        """Pulses a :meth:`_flip` of ``qubit`` adds; then 0 if it clears the frame's X."""
        last = self.last_pulse.get(qubit)
        cost = 1 if last is None else (-1 if last.name == "gpi" else 0)
        return cost, 0 if self.frame(qubit).flipped else 1

    def _event(self, kind: str, qargs: tuple[Qubit, ...], parity: int = 0) -> None:
        """Planning: record the event. Real run: make the toggle the plan chose for it."""
        self.events += 1
        if self.planning:
            self.plan.record(self.events, kind, qargs, parity)
            return
        toggled = self.plan.toggles.get(self.events)
        if toggled is not None:
            self._flip(toggled)

    # -- emission -------------------------------------------------------------------------------

    def _emit_pulse(self, gate: Gate, qubit: Qubit) -> None:
        self.last_pulse[qubit] = self.out.apply_operation_back(gate, (qubit,), (), check=False)

    def _emit_other(self, op: Instruction, qargs: Sequence[Qubit], cargs: Sequence[Any]) -> None:
        self.out.apply_operation_back(op, tuple(qargs), tuple(cargs), check=False)
        for qubit in qargs:
            self.last_pulse.pop(qubit, None)

    def _replace(self, node: DAGOpNode, gate: Gate) -> None:
        self.last_pulse[node.qargs[0]] = self.out.substitute_node(node, gate)

    def _add_steps(self, steps: Iterable[Step], qargs: Sequence[Qubit]) -> None:
        for name, params, positions in steps:
            self.add(_intermediate_gate(name, params), [qargs[p] for p in positions], ())

    def _entangler(self, angle: Angle, qargs: Sequence[Qubit]) -> None:
        value = _bound(angle)
        if value is not None and not 0 < abs(value) <= math.pi / 2:
            # Folding here costs no pulse: its x and rz(π) only update frames.
            steps, phase = fold_entangler(self.intermediate, value)
            self.out.global_phase += phase
            self._add_steps(steps, qargs)
        elif self.two_qubit_gate == "zz":
            self._emit_zz(angle, value, qargs)
        else:
            self._emit_ms(angle, value, qargs)

    def _emit_zz(self, angle: Angle, value: float | None, qargs: Sequence[Qubit]) -> None:
        # ZZ(θ)·(F0⊗F1) = (F0⊗F1)·ZZ(±θ): each X in the frames negates θ.
        if value is not None:
            self._event("zz", (qargs[0], qargs[1]), int(value < 0))
        sign = self.frame(qargs[0]).sign * self.frame(qargs[1]).sign
        if value is not None and sign * value < 0 and not self.planning:
            # Qubits the plan left to the greedy rule (see _FramePlan): the cheaper toggle.
            self._flip(min(qargs, key=self._flip_cost))
            sign = -sign
        self._emit_other(ZZGate(sign * angle / _TAU), qargs, ())

    def _emit_ms(self, angle: Angle, value: float | None, qargs: Sequence[Qubit]) -> None:
        # MS(φ0, φ1, -θ) = MS(φ0 + 1/2, φ1, θ): IonQ wants θ > 0.
        negative = value is not None and value < 0
        theta = -angle / _TAU if negative else angle / _TAU
        phi0 = self._phase(0.5 if negative else 0.0, qargs[0])
        self._emit_other(MSGate(phi0, self._phase(0.0, qargs[1]), theta), qargs, ())


def _recurse_into_control_flow(pass_: TransformationPass, dag: DAGCircuit) -> None:
    """Run ``pass_`` on the blocks of every control-flow operation of ``dag``, in place."""
    for node in dag.control_flow_op_nodes():
        dag.substitute_node(node, control_flow.map_blocks(pass_.run, node.op))


def _native_as_intermediate(op: Instruction) -> tuple[list[Step], float] | None:
    """An IonQ native gate as exact intermediate steps and global phase; else ``None``."""
    name, params = op.name, op.params
    if name == "gpi" and op.num_qubits == 1 and len(params) == 1:
        a = _TAU * params[0]
        return [("rz", (-a,), (0,)), ("x", (), (0,)), ("rz", (a,), (0,))], 0.0
    if name == "gpi2" and op.num_qubits == 1 and len(params) == 1:
        a = _TAU * params[0]
        return [("rz", (-a,), (0,)), ("sx", (), (0,)), ("rz", (a,), (0,))], -math.pi / 4
    if name == "ms" and op.num_qubits == 2 and len(params) == 3:
        a0, a1 = _TAU * params[0], _TAU * params[1]
        return [
            ("rz", (-a0,), (0,)),
            ("rz", (-a1,), (1,)),
            ("rxx", (_TAU * params[2],), (0, 1)),
            ("rz", (a0,), (0,)),
            ("rz", (a1,), (1,)),
        ], 0.0
    if name == "zz" and op.num_qubits == 2 and len(params) == 1:
        return [("rzz", (_TAU * params[0],), (0, 1))], 0.0
    return None


def _intermediate_gate(name: str, params: tuple[Angle, ...]) -> Gate:
    if name == "rz":
        return RZGate(params[0])
    if name == "sx":
        return SXGate()
    if name == "x":
        return XGate()
    if name == "rxx":
        return RXXGate(params[0])
    if name == "rzz":
        return RZZGate(params[0])
    raise AssertionError(name)  # pragma: no cover  (steps only hold the names above)


def _bound(value: Angle) -> float | None:
    """``value`` as a float, or ``None`` while it still depends on a free Parameter."""
    if isinstance(value, ParameterExpression):
        if value.parameters:
            return None
        return float(value.numeric())
    return float(value)


def _turns(value: Angle) -> Angle:
    """A phase in turns reduced to ``[0, 1)`` when it is a number (phases are 1-periodic)."""
    number = _bound(value)
    if number is None:
        return value
    reduced = number % 1.0
    return 0.0 if reduced <= ANGLE_TOLERANCE or 1.0 - reduced <= ANGLE_TOLERANCE else reduced
