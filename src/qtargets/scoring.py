"""How well a transpiled circuit should run on a device: ESP, ESP with idle decoherence, time.

>>> import qtargets
>>> from qiskit import QuantumCircuit, transpile
>>> target = qtargets.load_target("ibm_fez")
>>> bell = QuantumCircuit(2, 2)
>>> _ = bell.h(0), bell.cx(0, 1), bell.measure([0, 1], [0, 1])
>>> s = qtargets.score(transpile(bell, target=target, seed_transpiler=1), target)
>>> 0 < s.esp_idle <= s.esp < 1
True

``esp`` (estimated success probability) is the product of ``1 - error`` over every instruction
(barriers and delays excluded, measurements included): the number qiskit's
``QuantumCircuit.estimate_fidelity`` gives. ``esp_idle`` also charges each qubit for the time
it waits between its first and last operation in an ALAP schedule (operations as late as their
successors allow, as IBM's scheduler places them), in the currency of the gate errors it is
weighed against: IBM's ``gate_error`` is an error per gate from randomized benchmarking, an
average gate infidelity, so an idle gap of length ``t`` is charged the average infidelity of
free relaxation and dephasing over ``t`` on a qubit with relaxation time T1 and dephasing time
T2:

* ``T2' = min(T2, 2 T1)`` (real data has T2 > 2 T1 qubits, which no physical channel has),
* ``error = (1 - exp(-t/T2')) / 3 + (1 - exp(-t/T1)) / 6``,
* ``survival = 1 - error``,

multiplied over the qubit's gaps. For short gaps that is ``t/(3 T2') + t/(6 T1)``: half of
``t/T`` when T1 = T2 = T. (Until issue 15 this was ``exp(-t/T1) (1 + exp(-t (1/T2'' -
1/T1))) / 2`` with ``T2'' = min(T1, T2)``, the probability that no decay happens at all; a
noisy simulation of 132 compiled circuits lost 0.49x of what it predicted, at the median, and
the layout plugin traded gate and readout errors for idle time by that factor too much.) A
fully decohered qubit keeps fidelity 1/2 with its state, so one gap costs at most ``ln 2``.
``log_esp`` and ``log_esp_idle`` are the natural logs of
the two figures, summed rather than multiplied: they stay exact where a large circuit's
figures underflow to 0 (below about ``exp(-745)``), so compare large circuits by them.

A qubit whose T1 and T2 are both unknown is charged nothing and listed in
:attr:`Score.unknown_coherence`. Delays are idle time, not operations.

Every other instruction counts by its own name, with its own error and duration: IBM Heron
r3's ``measure_2`` (qiskit-ibm-runtime's ``MidCircuitMeasure``) with its own readout error and
its shorter duration, ``reset_2`` with its duration (IBM reports no reset error: counted in
:attr:`Score.unknown_errors`). A measurement's error is the Target's ``error`` of ``measure``
on that qubit: the symmetric readout error. The two directions
(:class:`qtargets.build.MeasureProperties`) are not used: which way a readout fails depends on
the state, which a score does not know.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from qiskit.circuit import QuantumCircuit
from qiskit.transpiler import Target

from ._exceptions import ScoreError
from .build import build_target
from .model import Calibration
from .units import to_si

__all__ = ["AlapClock", "Hotspot", "Score", "as_target", "idle_survival",
           "log_idle_survival", "nats", "score"]

_NOT_OPERATIONS = frozenset({"barrier", "delay"})


@dataclass(frozen=True)
class Hotspot:
    """One qubit or one qubit pair, and how much of the circuit's failure it accounts for."""

    qubits: tuple[int, ...]
    """A single physical qubit, or the (sorted) qubits of a multi-qubit gate."""
    cost: float
    """Its part of ``-ln(esp_idle)``: gate and readout errors on it, and (qubits) idling."""
    share: float
    """``cost`` as a fraction of ``-ln(esp_idle)``."""


@dataclass(frozen=True)
class Score:
    """The figures of merit of one transpiled circuit on one calibration."""

    esp: float
    """Product of ``1 - error`` over the instructions (barriers and delays excluded)."""
    esp_idle: float
    """``esp`` times every qubit's survival over its idle gaps (module docs)."""
    log_esp: float
    """``ln(esp)``, summed, so exact where ``esp`` underflows to 0; ``-inf``: a gate at error 1."""
    log_esp_idle: float
    """``ln(esp_idle)``, likewise: compare circuits of thousands of gates by this."""
    duration: float
    """Seconds from the first operation's start to the last one's end (ALAP schedule)."""
    two_qubit_gates: int
    depth: int
    """``QuantumCircuit.depth()``: barriers do not count, delays do."""
    hotspots: tuple[Hotspot, ...]
    """The three qubits or qubit pairs that cost most, costliest first."""
    idle: Mapping[int, float]
    """Survival over its idle gaps, per active physical qubit (1.0: never idle)."""
    unknown_coherence: tuple[int, ...] = ()
    """Active qubits with neither T1 nor T2 in the target: their idling is not charged."""
    unknown_errors: int = 0
    """Operations the target lists on their qubits without an error figure: counted as
    perfect, so ``esp`` flatters the device (e.g. a calibration with no fidelities)."""

    def __str__(self) -> str:
        return (f"esp {self.esp:.4g}, esp_idle {self.esp_idle:.4g}, "
                f"{self.duration * 1e6:.3g} us, {self.two_qubit_gates} two-qubit gates, "
                f"depth {self.depth}")


def as_target(device: Target | Calibration | Any) -> Target:
    """A ``Target`` from a Target, a :class:`Calibration` or anything with a ``.target``
    (a qiskit ``BackendV2``)."""
    if isinstance(device, Target):
        return device
    if isinstance(device, Calibration):
        return build_target(device)
    target = getattr(device, "target", None)
    if isinstance(target, Target):
        return target
    raise ScoreError(f"expected a qiskit Target, a qtargets Calibration or a backend, got "
                     f"{type(device).__name__}")


def idle_survival(t: float, t1: float | None, t2: float | None) -> float:
    """Probability a qubit idle for ``t`` seconds keeps its state (formula in module docs)."""
    return math.exp(log_idle_survival(t, t1, t2))


def log_idle_survival(t: float, t1: float | None, t2: float | None) -> float:
    """``ln`` of :func:`idle_survival`, accurate for gaps of any length (0: no loss).

    Only T2 known: relaxation is charged at that rate too (T1 = T2), the cautious reading;
    only T1 known: T2' = T1."""
    if t <= 0.0:
        return 0.0
    known_t1 = t1 is not None and t1 > 0.0
    known_t2 = t2 is not None and t2 > 0.0
    if not known_t1 and not known_t2:
        return 0.0
    relax = float(t1) if known_t1 else float(t2)  # type: ignore[arg-type]
    dephase = min(float(t2), 2.0 * relax) if known_t2 else relax  # type: ignore[arg-type]
    error = -math.expm1(-t / dephase) / 3.0 - math.expm1(-t / relax) / 6.0
    return math.log1p(-error)


class AlapClock:
    """An ALAP schedule built walking a circuit from its end: every operation ends when the
    earliest successor on its wires starts. Records each qubit's idle gaps between its first
    and last operation (what :func:`score` charges, and the layout plugin estimates).

    Wires: the qubits ``0..num_qubits-1`` first, then any classical bits.
    """

    def __init__(self, num_qubits: int, num_wires: int):
        self._next_start = [0.0] * num_wires
        self._later_start: list[float | None] = [None] * num_qubits
        self.gaps: list[list[float]] = [[] for _ in range(num_qubits)]
        """Per qubit, its idle gaps in seconds (latest first)."""

    def operation(self, qubits: Sequence[int], wires: Sequence[int], seconds: float) -> None:
        """An operation on ``qubits`` (and classical ``wires``) lasting ``seconds``."""
        end = min(self._next_start[w] for w in wires)
        start = end - seconds
        for w in wires:
            self._next_start[w] = start
        for q in qubits:
            later = self._later_start[q]
            if later is not None and later - end > 0.0:
                self.gaps[q].append(later - end)
            self._later_start[q] = start

    def barrier(self, wires: Sequence[int]) -> None:
        """Nothing may cross it: its wires line up, and no qubit's activity starts or ends."""
        end = min(self._next_start[w] for w in wires)
        for w in wires:
            self._next_start[w] = end

    def wait(self, wires: Sequence[int], seconds: float) -> None:
        """A delay: time passes on ``wires``, as idling, not as an operation."""
        start = min(self._next_start[w] for w in wires) - seconds
        for w in wires:
            self._next_start[w] = start

    def active(self, qubit: int) -> bool:
        """Whether ``qubit`` has any operation."""
        return self._later_start[qubit] is not None

    @property
    def makespan(self) -> float:
        """Seconds from the first operation's start to the last one's end."""
        return max(0.0, -min(self._next_start, default=0.0))  # not -0.0 when nothing lasts


def score(circuit: QuantumCircuit, target_or_calibration: Target | Calibration | Any) -> Score:
    """Score ``circuit``, already transpiled for the device, on its calibration.

    Raises :class:`ScoreError` when the circuit uses an operation, or qubits, the target lacks
    (transpile it for this target first), or holds control flow.
    """
    target = as_target(target_or_calibration)
    return _Scorer(target).run(circuit)


class _Scorer:
    def __init__(self, target: Target):
        self.target = target
        self._props: dict[tuple[str, tuple[int, ...]], tuple[float, float, bool]] = {}

    def properties(self, index: int, name: str, qubits: tuple[int, ...]
                   ) -> tuple[float, float, bool]:
        """(error, duration in s, whether the error is unknown) of ``name`` on ``qubits``;
        unknown numbers count as 0. A global instruction is ideal by definition, not
        unknown."""
        key = (name, qubits)
        found = self._props.get(key)
        if found is not None:
            return found
        target = self.target
        if name not in target.operation_names:
            raise ScoreError(
                f"circuit.data[{index}]: operation {name!r} is not in the target of "
                f"{target.description or 'this device'} (it has: "
                f"{', '.join(sorted(target.operation_names))}); transpile for this target first")
        by_qargs = target[name]
        if qubits in by_qargs:
            props = by_qargs[qubits]
        elif None in by_qargs:  # a global instruction (ideal, on any qubits)
            props = None
        else:
            raise ScoreError(
                f"circuit.data[{index}]: {name!r} on qubits {list(qubits)} is not in the "
                f"target (the device has no such {name} there); transpile for this target "
                f"first")
        unknown = qubits in by_qargs and (props is None or props.error is None)
        error = props.error if props is not None and props.error is not None else 0.0
        duration = props.duration if props is not None and props.duration is not None else 0.0
        found = self._props[key] = (float(error), float(duration), unknown)
        return found

    def delay_seconds(self, index: int, op: Any) -> float:
        unit = op.unit
        if unit == "dt":
            if self.target.dt is None:
                raise ScoreError(f"circuit.data[{index}]: a delay in 'dt' on a target without "
                                 f"dt")
            return float(op.duration) * float(self.target.dt)
        seconds = to_si(float(op.duration), unit, "time")
        if seconds is None:
            raise ScoreError(f"circuit.data[{index}]: a delay in unit {unit!r} cannot be "
                             f"scored (stretch durations must be resolved first)")
        return seconds

    def run(self, circuit: QuantumCircuit) -> Score:
        if circuit.has_control_flow_op():
            raise ScoreError("circuit: control flow cannot be scored (its path is only known "
                             "at run time)")
        n = circuit.num_qubits
        if n > self.target.num_qubits:
            raise ScoreError(f"circuit: {n} qubits on a {self.target.num_qubits}-qubit device; "
                             f"transpile it for this target first")
        wire_of = {bit: i for i, bit in enumerate(circuit.qubits)}
        wire_of.update({bit: n + i for i, bit in enumerate(circuit.clbits)})

        esp = 1.0
        log_esp: list[float] = []
        two_qubit = unknown_errors = 0
        costs: dict[tuple[int, ...], float] = {}
        clock = AlapClock(n, n + circuit.num_clbits)
        data = circuit.data
        for index in range(len(data) - 1, -1, -1):  # ALAP: from the end
            inst = data[index]
            op = inst.operation
            name = op.name
            qubits = tuple(wire_of[q] for q in inst.qubits)
            wires = qubits + tuple(wire_of[c] for c in inst.clbits)
            if not wires:
                continue
            if name == "barrier":
                clock.barrier(wires)
                continue
            if name == "delay":
                clock.wait(wires, self.delay_seconds(index, op))
                continue
            error, duration, unknown_error = self.properties(index, name, qubits)
            esp *= 1.0 - error  # a product, as qiskit's estimate_fidelity, to match it exactly
            cost = nats(error)
            log_esp.append(-cost)
            unknown_errors += unknown_error
            if len(qubits) == 2:
                two_qubit += 1
            key = qubits if len(qubits) == 1 else tuple(sorted(qubits))
            costs[key] = costs.get(key, 0.0) + cost
            clock.operation(qubits, wires, duration)

        idle: dict[int, float] = {}
        log_idle: list[float] = []
        unknown: list[int] = []
        properties = self.target.qubit_properties
        for q in range(n):
            if not clock.active(q):
                continue  # the qubit does nothing
            t1 = t2 = None
            if properties is not None and q < len(properties) and properties[q] is not None:
                t1, t2 = properties[q].t1, properties[q].t2
            if t1 is None and t2 is None:
                if clock.gaps[q]:
                    unknown.append(q)
                idle[q] = 1.0
                continue
            log_survival = math.fsum(log_idle_survival(gap, t1, t2) for gap in clock.gaps[q])
            idle[q] = math.exp(log_survival)
            log_idle.append(log_survival)
            costs[(q,)] = costs.get((q,), 0.0) - log_survival

        total = math.fsum(log_esp)  # -inf if a gate has error 1
        return Score(
            esp=esp,
            esp_idle=esp * math.prod(idle.values()),
            log_esp=total,
            log_esp_idle=total + math.fsum(log_idle),
            duration=clock.makespan,
            two_qubit_gates=two_qubit,
            depth=circuit.depth(),
            hotspots=_hotspots(costs.items()),
            idle=idle,
            unknown_coherence=tuple(unknown),
            unknown_errors=unknown_errors,
        )


def nats(error: float) -> float:
    """``-ln(1 - error)``: the additive failure cost of an operation (what ``log_esp`` sums,
    negated, and the layout plugin minimises); a sentinel error of 1 is infinite."""
    return math.inf if error >= 1.0 else -math.log1p(-error)


def _hotspots(costs: Iterable[tuple[tuple[int, ...], float]], top: int = 3
              ) -> tuple[Hotspot, ...]:
    ranked = sorted(((c, k) for k, c in costs if c > 0.0), key=lambda x: (-x[0], x[1]))
    total = math.fsum(c for c, _ in ranked) if ranked else 0.0
    out = []
    for cost, key in ranked[:top]:
        if math.isinf(total):
            share = 1.0 if math.isinf(cost) else 0.0
        else:
            share = cost / total if total > 0.0 else 0.0
        out.append(Hotspot(key, cost, share))
    return tuple(out)
