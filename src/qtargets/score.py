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
successors allow, as IBM's scheduler places them), with the survival of an idle gap of length
``t`` on a qubit with relaxation time T1 and dephasing time T2:

* ``T2' = min(T1, T2)`` (real data has T2 > 2 T1 qubits; this keeps the estimate cautious),
* ``p_reset = 1 - exp(-t/T1)``,
* ``p_z = (1 - p_reset)(1 - exp(-t (1/T2' - 1/T1))) / 2``,
* ``survival = 1 - p_reset - p_z``,

multiplied over the qubit's gaps. A qubit whose T1 and T2 are both unknown is charged nothing
and listed in :attr:`Score.unknown_coherence`. Delays are idle time, not operations.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from qiskit.circuit import QuantumCircuit
from qiskit.transpiler import Target

from ._exceptions import QTargetsError
from .build import build_target
from .calibration import Calibration

__all__ = ["Hotspot", "Score", "ScoreError", "as_target", "idle_survival", "score"]

_SECONDS = {"s": 1.0, "ms": 1e-3, "us": 1e-6, "µs": 1e-6, "ns": 1e-9, "ps": 1e-12}
_NOT_OPERATIONS = frozenset({"barrier", "delay"})


class ScoreError(QTargetsError, ValueError):
    """The circuit cannot be scored on this target (an operation or qubits it lacks...)."""


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
    if t <= 0.0:
        return 1.0
    known = [x for x in (t1, t2) if x is not None and x > 0.0]
    if not known:
        return 1.0
    t2_eff = min(known)
    if t1 is None or t1 <= 0.0:
        t1 = t2_eff  # T2 only: charge it as relaxation at that rate, the cautious reading
    keep = math.exp(-t / t1)
    p_reset = 1.0 - keep
    p_z = keep * (1.0 - math.exp(-t * (1.0 / t2_eff - 1.0 / t1))) / 2.0
    return 1.0 - p_reset - p_z


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
        self._props: dict[tuple[str, tuple[int, ...]], tuple[float, float]] = {}

    def properties(self, index: int, name: str, qubits: tuple[int, ...]) -> tuple[float, float]:
        """(error, duration in s) of ``name`` on ``qubits``; unknown numbers count as 0."""
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
        error = props.error if props is not None and props.error is not None else 0.0
        duration = props.duration if props is not None and props.duration is not None else 0.0
        found = self._props[key] = (float(error), float(duration))
        return found

    def delay_seconds(self, index: int, op: Any) -> float:
        unit = op.unit
        if unit == "dt":
            if self.target.dt is None:
                raise ScoreError(f"circuit.data[{index}]: a delay in 'dt' on a target without "
                                 f"dt")
            return float(op.duration) * float(self.target.dt)
        scale = _SECONDS.get(unit)
        if scale is None:
            raise ScoreError(f"circuit.data[{index}]: a delay in unit {unit!r} cannot be "
                             f"scored (stretch durations must be resolved first)")
        return float(op.duration) * scale

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
        two_qubit = 0
        costs: dict[tuple[int, ...], float] = {}
        # ALAP in reverse: every operation ends when the earliest successor on its wires starts.
        next_start = [0.0] * (n + circuit.num_clbits)
        later_start: list[float | None] = [None] * n  # start of the qubit's next operation
        gaps: list[list[float]] = [[] for _ in range(n)]
        data = circuit.data
        for index in range(len(data) - 1, -1, -1):
            inst = data[index]
            op = inst.operation
            name = op.name
            qubits = tuple(wire_of[q] for q in inst.qubits)
            wires = qubits + tuple(wire_of[c] for c in inst.clbits)
            if not wires:
                continue
            end = min(next_start[w] for w in wires)
            if name == "barrier":
                for w in wires:
                    next_start[w] = end
                continue
            if name == "delay":
                start = end - self.delay_seconds(index, op)
                for w in wires:
                    next_start[w] = start
                continue
            error, duration = self.properties(index, name, qubits)
            esp *= 1.0 - error
            if len(qubits) == 2:
                two_qubit += 1
            key = qubits if len(qubits) == 1 else tuple(sorted(qubits))
            costs[key] = costs.get(key, 0.0) + _nats(error)
            start = end - duration
            for w in wires:
                next_start[w] = start
            for q in qubits:
                later = later_start[q]
                if later is not None and later - end > 0.0:
                    gaps[q].append(later - end)
                later_start[q] = start
        makespan = max(0.0, -min(next_start, default=0.0))  # not -0.0 when nothing takes time

        idle: dict[int, float] = {}
        unknown: list[int] = []
        properties = self.target.qubit_properties
        for q in range(n):
            if later_start[q] is None:
                continue  # the qubit does nothing
            t1 = t2 = None
            if properties is not None and q < len(properties) and properties[q] is not None:
                t1, t2 = properties[q].t1, properties[q].t2
            if t1 is None and t2 is None:
                if gaps[q]:
                    unknown.append(q)
                idle[q] = 1.0
                continue
            survival = math.prod(idle_survival(gap, t1, t2) for gap in gaps[q])
            idle[q] = survival
            costs[(q,)] = costs.get((q,), 0.0) + _nats(1.0 - survival)

        esp_idle = esp * math.prod(idle.values())
        return Score(
            esp=esp,
            esp_idle=esp_idle,
            duration=makespan,
            two_qubit_gates=two_qubit,
            depth=circuit.depth(),
            hotspots=_hotspots(costs.items()),
            idle=idle,
            unknown_coherence=tuple(unknown),
        )


def _nats(error: float) -> float:
    """``-ln(1 - error)``: additive failure cost; a sentinel error of 1 is infinite."""
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
