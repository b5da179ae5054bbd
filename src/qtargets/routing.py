"""An error-aware routing stage for qiskit: ``transpile(..., routing_method="qtargets")``.

>>> import qtargets
>>> from qiskit import QuantumCircuit, transpile
>>> target = qtargets.load_target("ibm_fez")
>>> ring = QuantumCircuit(4)
>>> _ = [ring.cx(i, (i + 1) % 4) for i in range(4)]
>>> out = transpile(ring, target=target, routing_method="qtargets", seed_transpiler=1)

Why not qiskit's own: Sabre counts swaps. Two routes of equal length through pairs whose
two-qubit error differs tenfold are the same to it, and so is a route through a dead coupler
(error 1, IBM's mark for a broken pair) and one around it. Sabre's distance is the hop count of
the coupling map, and qiskit has no public way to give it another one (its Rust core builds
the distance matrix from the Target; qiskit PR #9904, error-weighted Sabre costs, is open since
2023). So this stage changes what Sabre is given, not Sabre:

1. it routes the laid-out circuit with Sabre on several coupling maps: the device's own, the
   device without its dead pairs, and the device without the worst 10% and 25% of its live
   pairs by two-qubit error, each under one or more seeds. Leaving a pair out makes Sabre
   route around it, at the price of longer routes where it was a short cut;
2. it costs every routed candidate by an estimate of ``-ln(esp_idle)`` (see
   :mod:`qtargets.scoring`) on the device's real numbers: each two-qubit gate (a swap counts
   three) at the error of the pair it runs on, each pulse 1q gate and readout at its qubit's
   error, and each qubit's idle time in an ALAP schedule that uses every pair's own gate
   duration, at the qubit's decoherence rate. Where qiskit's ``"sabre"`` stage would run
   VF2PostLayout next (layout not fixed), a candidate is also costed at the cheapest
   placement of its routed interaction graph (the layout plugin's search) and moved there;
3. it keeps qiskit's own routing unless a candidate with no more swaps is estimated at least
   1% better (:data:`_MARGIN`), and then the cheapest such; so the winner never has more
   swaps than qiskit's routing and is never worse by the estimate. A route through a dead
   pair (cost infinite) loses to any route without one, whatever its swaps.

qiskit's own routing: where qiskit's Sabre layout stage chose the layout (``layout_method``
unnamed, ``"default"`` or ``"sabre"``, no ``initial_layout``), that stage routed while it
chose, kept the layout whose routing took fewest swaps, and threw that routing away because
another routing stage was named. Routing the same layout again, even with the same seed and
trials, costs a few swaps more (18 against 20 on a 6-qubit quantum volume mirror circuit): the
layout was picked for one lucky routing. So this stage reruns that SabreLayout (same
settings and seed, now with its routing, on that stage's own circuit: Sabre also depends on
the order and node ids the circuit's operations have; the layout it finds is checked to be
the one it was given) and takes its routing as qiskit's own, the bar of step 3. Otherwise
(a layout fixed or chosen another way) qiskit's own is a Sabre run on the device's map under
the first seed: the same seed, heuristic and trials as qiskit's ``"sabre"`` routing stage.

Everything else in the stage is qiskit's ``"sabre"`` stage (check-map, barrier before final
measurements), so it works with every layout stage. ``layout_method="qtargets"`` routes inside
its layout stage already (its candidates are Sabre runs, placed by the same cost): this stage
then finds nothing to route, as qiskit's does. A device whose every pair is coupled (IonQ) or
without a coupling map needs no routing: the stage leaves the circuit as it is.
"""

from __future__ import annotations

import copy
import math
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
from numpy.typing import NDArray
from qiskit.dagcircuit import DAGCircuit, DAGCircuitError
from qiskit.passmanager.compilation_status import PropertySet
from qiskit.passmanager.flow_controllers import FlowControllerLinear
from qiskit.transpiler import CouplingMap, Layout, PassManager, Target, TranspilerError
from qiskit.transpiler.basepasses import AnalysisPass, TransformationPass
from qiskit.transpiler.layout import TranspileLayout
from qiskit.transpiler.passes import (
    ApplyLayout,
    BarrierBeforeFinalMeasurements,
    SabreLayout,
    SabreSwap,
)
from qiskit.transpiler.passmanager_config import PassManagerConfig
from qiskit.transpiler.preset_passmanagers import common
from qiskit.transpiler.preset_passmanagers.plugin import PassManagerStagePlugin

try:  # qiskit's rule for its Sabre layout stage's trial count (private; 2.2-2.6)
    from qiskit.transpiler.preset_passmanagers.builtin_plugins import _get_trial_count
except ImportError:  # pragma: no cover - a qiskit that moved it
    _get_trial_count = None
try:  # relabels a laid-out circuit's qubits in place, its nodes kept (private; 2.2-2.6)
    from qiskit._accelerate.apply_layout import update_layout
except ImportError:  # pragma: no cover - a qiskit that moved it: no rerun, the stage still works
    update_layout = None

from .layout import (
    DEFAULT_IDLE,
    DeviceModel,
    best_placement,
    circuit_load,
    embeddings,
    idle_weight,
    native_2q_count,
)
from .model import is_virtual
from .scoring import AlapClock

__all__ = ["DeviceCosts", "NoiseAwareRouting", "QTargetsDDRoutingPlugin",
           "QTargetsFreeIdleRoutingPlugin", "QTargetsRoutingPlugin", "routed_cost"]

_PRUNED_SHARES = (0.1, 0.25)
"""Coupling maps tried besides the device's own: without that share of its live pairs, the
worst by two-qubit error (dead pairs always out). Not tuned: larger shares cut a heavy-hex
lattice (degree 2-3) into pieces that Sabre refuses, and other shares were not measured
(benchmarks/bench_routing.py is where to try them)."""

_NOT_GATES = frozenset({"delay", "barrier", "measure", "reset"})

_MARGIN = 0.01
"""Nats (about 1% of success) a candidate's estimate must beat Sabre's own routing by to
replace it: smaller differences are within what the estimate, made before translation and
optimization, gets wrong (benchmarks/bench_routing.py --simulate)."""

_BARRIER_LABEL = "qiskit.transpiler.internal.routing.protection.barrier"
"""The label of the barriers qiskit's layout and routing stages put before final
measurements (``BarrierBeforeFinalMeasurements``)."""

_LAID_OUT = "qtargets_laid_out"
"""Property-set key of the laid-out circuit as the layout stage left it (:class:`_KeepLaidOut`)."""

_NATIVE_SWAP = 3
"""Native two-qubit gates of a swap (of any gate on a pair that has no native form, too)."""


# -- the device ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class DeviceCosts:
    """What routing weighs on a device: :class:`qtargets.layout.DeviceModel`'s errors and
    rates (nats, nats per second), plus every pair's own two-qubit gate duration, and the
    coupling maps Sabre is run on."""

    model: DeviceModel
    pair_time: NDArray[np.float64]
    """``[a, b]``: seconds of the pair's cheapest native two-qubit gate (the model's median
    where unreported)."""
    native_2q: frozenset[str]
    """Names of the Target's two-qubit operations: a circuit gate so named runs as one."""
    maps: tuple[CouplingMap, ...]
    """Pruned coupling maps to route on, besides the Target's own (see _PRUNE_QUANTILES)."""

    def under(self, idle_weight: float) -> DeviceCosts:
        """These costs with the model of that idle mode (:meth:`DeviceModel.under`)."""
        return replace(self, model=self.model.under(idle_weight))

    @classmethod
    def of(cls, target: Target) -> DeviceCosts:
        """The costs of ``target``, cached for the last few targets as its DeviceModel is,
        and forgotten with it (:func:`qtargets.layout.clear_models`)."""
        model = DeviceModel.of(target)
        entry = _COSTS.get(id(target))
        if entry is not None and entry[0] is target and entry[1].model is model:
            _COSTS.move_to_end(id(target))  # (a new model: clear_models() was called)
            return entry[1]
        costs = cls._build(target, model)
        _COSTS[id(target)] = (target, costs)
        while len(_COSTS) > _COSTS_KEPT:
            _COSTS.popitem(last=False)
        return costs

    @classmethod
    def _build(cls, target: Target, model: DeviceModel) -> DeviceCosts:
        n = model.num_qubits
        pair_time = np.full((n, n), model.two_qubit_time)
        best = np.full((n, n), np.inf)
        native: set[str] = set()
        for name in target.operation_names:
            for qargs, props in target[name].items():
                if qargs is None or len(qargs) != 2:
                    continue
                native.add(name)
                if props is None or props.duration is None:
                    continue
                a, b = qargs
                error = props.error if props.error is not None else 0.0
                if error < best[a, b]:  # the duration of the gate the error model counts
                    best[a, b] = best[b, a] = error
                    pair_time[a, b] = pair_time[b, a] = props.duration
        return cls(model, pair_time, frozenset(native), _pruned_maps(model))


def _pruned_maps(model: DeviceModel) -> tuple[CouplingMap, ...]:
    if model.complete or model.num_qubits < 2:
        return ()
    upper = np.triu(np.isfinite(model.two_qubit), 1)
    pairs = np.argwhere(upper)
    if not len(pairs):
        return ()
    errors = model.two_qubit[pairs[:, 0], pairs[:, 1]]
    order = np.argsort(errors, kind="stable")  # best first; ties by pair index
    maps: list[CouplingMap] = []
    counts = [len(pairs), *(len(pairs) - math.ceil(share * len(pairs))
                            for share in _PRUNED_SHARES)]
    if model.live_coupling is None:  # no dead pair: all live pairs are the Target's own map
        counts = counts[1:]
    for count in dict.fromkeys(counts):  # distinct, in order
        if count < 1:
            continue
        keep = pairs[order[:count]]
        edges = [(int(a), int(b)) for a, b in keep]
        coupling = CouplingMap([*edges, *((b, a) for a, b in edges)])
        present = set(coupling.physical_qubits)
        for q in range(model.num_qubits):
            if q not in present:
                coupling.add_physical_qubit(q)
        maps.append(coupling)
    return tuple(maps)


_COSTS: OrderedDict[int, tuple[Target, DeviceCosts]] = OrderedDict()
_COSTS_KEPT = 8


# -- the cost of a routed circuit ---------------------------------------------------------------


def routed_cost(dag: DAGCircuit, costs: DeviceCosts,
                placement: Sequence[int] | None = None, idle_weight: float = 1.0) -> float:
    """Estimated ``-ln(esp_idle)`` of the physical, routed but untranslated ``dag`` (moved to
    ``placement``, the physical qubit of each of its qubits, if given): inf if a two-qubit gate
    sits on a dead or uncoupled pair.

    Gates are counted as translation will leave them, roughly: a two-qubit gate the Target
    runs natively is one native gate, a swap three, any other as
    :func:`qtargets.layout.native_2q_count` says (a ``unitary`` block by its KAK
    decomposition), each with one pulse 1q gate a side; frame changes are free. Idle time
    comes from an ALAP schedule with each pair's own duration, charged at ``idle_weight``
    times each qubit's decoherence rate (0: dynamically decoupled, see
    :data:`qtargets.layout.IDLE_WEIGHT`).
    """
    model = costs.model
    index = {bit: i for i, bit in enumerate(dag.qubits)}
    nq = len(dag.qubits)
    where = list(range(nq)) if placement is None else [int(p) for p in placement]
    clbit = {bit: nq + i for i, bit in enumerate(dag.clbits)}
    clock = AlapClock(nq, nq + len(dag.clbits))
    t1q, tm = model.one_qubit_time, model.measure_time
    total = 0.0
    for node in reversed(list(dag.topological_op_nodes())):
        name = node.op.name
        qs = [index[q] for q in node.qargs]
        wires = qs + [clbit[c] for c in node.cargs]
        if not wires:
            continue
        if name == "barrier":
            clock.barrier(wires)
            continue
        if name == "delay":
            clock.wait(wires, _delay_seconds(node.op, dag))
            continue
        if len(qs) == 1:
            q = where[qs[0]]
            if name == "measure":
                total += model.readout[q]
                seconds = tm
            elif name in _NOT_GATES or is_virtual(name):
                seconds = 0.0
            else:
                total += model.one_qubit[q]
                seconds = t1q
        elif len(qs) == 2:
            a, b = where[qs[0]], where[qs[1]]
            k = _natives(node, dag, costs.native_2q)
            if k:  # (0 x inf on a dead pair is nan; the gate it merged with counts that)
                total += k * (model.two_qubit[a, b] + model.one_qubit[a] + model.one_qubit[b])
            seconds = k * (costs.pair_time[a, b] + t1q)
        else:
            raise TranspilerError(f"routing met a {len(qs)}-qubit {name!r}: qiskit's init "
                                  "stage should have decomposed it")
        clock.operation(qs, wires, seconds)
    if idle_weight:
        for q in range(nq):
            total += idle_weight * model.idle_rate[where[q]] * float(sum(clock.gaps[q]))
    return float(total)


def _natives(node: Any, dag: DAGCircuit, native: frozenset[str]) -> int:
    """Native two-qubit gates ``node`` adds once translated. A swap next to another two-qubit
    gate on the same pair merges with it at levels 2-3 (qiskit consolidates the block: any
    two-qubit unitary takes at most three), so it adds only what the block lacks of three."""
    own = 1 if node.op.name in native else native_2q_count(node.op)
    if node.op.name != "swap":
        return own
    pair = set(node.qargs)
    for near in (dag.op_successors(node), dag.op_predecessors(node)):
        nodes = list(near)
        if len(nodes) == 1 and len(nodes[0].qargs) == 2 and set(nodes[0].qargs) == pair:
            other = nodes[0].op
            return max(0, _NATIVE_SWAP - (1 if other.name in native else native_2q_count(other)))
    return own


def _delay_seconds(op: Any, dag: DAGCircuit) -> float:
    unit = getattr(op, "unit", "s")
    value = float(op.duration or 0.0)
    if unit == "dt":
        return value * float(getattr(dag, "_dt", None) or 0.0)
    scale = {"s": 1.0, "ms": 1e-3, "us": 1e-6, "ns": 1e-9, "ps": 1e-12}
    return value * scale.get(unit, 0.0)


def _swaps(dag: DAGCircuit) -> int:
    return int(dag.count_ops().get("swap", 0))


# -- the pass -----------------------------------------------------------------------------------


class NoiseAwareRouting(TransformationPass):  # type: ignore[misc]
    """Route with Sabre on several coupling maps and seeds; keep the cheapest by
    :func:`routed_cost`. Runs on laid-out (physical) circuits, like :class:`SabreSwap`.

    Args:
        target: the device.
        seed: seeds the Sabre runs (``seed + i`` for the ``i``-th seed of each map).
        seeds: Sabre runs per coupling map.
        trials: swap trials of each Sabre run (Sabre keeps its fewest-swaps trial).
        heuristic: Sabre's heuristic (``"basic"``, ``"lookahead"``, ``"decay"``).
        prune: also route on the pruned coupling maps (False: seeds only).
        replace: the layout is not fixed (qiskit would run VF2PostLayout next): score each
            candidate at the cheapest placement of its routed interaction graph on the device
            (:func:`qtargets.layout.embeddings`, :func:`qtargets.layout.best_placement`, with
            the device's median durations) and move the winner there.
        max_placements: placements scored per candidate when ``replace``.
        call_limit: VF2 states explored per candidate when ``replace``.
        idle: how idle time is charged, a key of :data:`qtargets.layout.IDLE_WEIGHT`, as
            the layout plugin's: ``"free"`` (modelled decay) or ``"dd"`` (dynamically
            decoupled: idling free, so routes are chosen for their gates and readout alone).
        sabre_layout: ``(max_iterations, trials)`` of the SabreLayout that chose the layout
            (with ``seed``), with its routing skipped: rerun it with routing, and if it finds
            the same layout its routing is qiskit's own (see the module's docstring). It reruns
            on the circuit the routing stage's first pass kept (:class:`_KeepLaidOut`, which
            the ``"qtargets"`` stage runs), and not at all without it. None: the layout was
            fixed or chosen otherwise.
    """

    def __init__(self, target: Target, *, seed: int | None = None, seeds: int = 1,
                 trials: int = 20, heuristic: str = "decay", prune: bool = True,
                 replace: bool = False, max_placements: int = 20_000,
                 call_limit: int = 2_000_000, idle: str = "free",
                 sabre_layout: tuple[int, int] | None = None):
        super().__init__()
        self.target = target
        self.seed = seed
        self.seeds = max(1, seeds)
        self.trials = trials
        self.heuristic = heuristic
        self.prune = prune
        self.replace = replace
        self.max_placements = max_placements
        self.call_limit = call_limit
        self.idle_weight = idle_weight(idle)
        self.sabre_layout = sabre_layout

    def run(self, dag: DAGCircuit) -> DAGCircuit:
        laid_out = self.property_set.pop(_LAID_OUT, None)
        costs = DeviceCosts.of(self.target).under(self.idle_weight)
        if costs.model.complete:
            return dag
        swaps_before = _swaps(dag)
        maps: Sequence[Target | CouplingMap] = [self.target, *(costs.maps if self.prune else ())]
        candidates: list[tuple[DAGCircuit, PropertySet]] = []
        failure: TranspilerError | None = None
        for m, coupling in enumerate(maps):
            for i in range(self.seeds):
                seed = None if self.seed is None else self.seed + i
                properties = PropertySet()
                properties.update(self.property_set)
                sabre = SabreSwap(coupling, heuristic=self.heuristic, seed=seed,
                                  trials=self.trials)
                sabre.property_set = properties
                try:
                    candidates.append((sabre.run(dag), properties))
                except TranspilerError as error:  # a pruned map split what must meet
                    if m == 0:
                        raise
                    failure = error
        if self.sabre_layout is not None and _swaps(candidates[0][0]) > swaps_before:
            joint = self._joint(dag, laid_out)
            if joint is not None and joint[2]:  # qiskit's own routing of this layout: the bar
                candidates.insert(0, joint[:2])
            elif joint is not None:  # a Sabre layout-and-routing of another layout: closer
                # to qiskit's joint search than rerouting its layout, so the bar if fewer swaps
                fewer = _swaps(joint[0]) < _swaps(candidates[0][0])
                candidates.insert(0 if fewer else len(candidates), joint[:2])
        best: tuple[float, int] | None = None
        winner: tuple[DAGCircuit, PropertySet, Layout | None] | None = None
        own_swaps, bar = 0, math.inf
        for routed, properties in candidates:
            cost, moved = (self._placed(routed, costs) if self.replace
                           else (routed_cost(routed, costs, None, self.idle_weight), None))
            key = (cost, _swaps(routed) - swaps_before)
            if best is None:  # qiskit's own: the bar
                best, winner = key, (routed, properties, moved)
                own_swaps = key[1]
                bar = cost - _MARGIN if math.isfinite(cost) else math.inf
            elif key[0] < min(best[0], bar) and (key[1] <= own_swaps
                                                 or not math.isfinite(bar)):
                best, winner = key, (routed, properties, moved)
        if winner is None:  # unreachable: the Target's own map either routes or raises
            raise TranspilerError("no coupling map could route the circuit") from failure
        routed, properties, moved = winner
        if moved is not None:
            properties["post_layout"] = moved
            apply = ApplyLayout()
            apply.property_set = properties
            routed = apply.run(routed)
        for name in _LAYOUT_KEYS:
            if properties.get(name) is not None:
                self.property_set[name] = properties[name]
        return routed

    def _joint(self, dag: DAGCircuit, laid_out: DAGCircuit | None
               ) -> tuple[DAGCircuit, PropertySet, bool] | None:
        """qiskit's Sabre layout stage's routing of the layout it chose, and whether the
        layout is the one it chose; None where the rerun cannot be made. Another layout's
        routing (a qiskit that builds its circuits otherwise) is a candidate only where the
        layout is not fixed (``replace``).

        Sabre's choices depend on more than the circuit: on the order its operations were
        added and the node ids that order left (a circuit rebuilt op by op in topological
        order made SabreLayout find another layout for 2 of 12 benchmark circuits). So the
        rerun runs on the layout stage's own circuit: the laid-out circuit as that stage left
        it (kept by :class:`_KeepLaidOut` before the routing stage's barrier), its qubits
        relabelled back in place (qiskit's ``update_layout``, which keeps every node) and its
        ancillas removed.
        """
        if self.sabre_layout is None or laid_out is None or update_layout is None:
            return None
        layout = self.property_set["layout"]
        indices = self.property_set["original_qubit_indices"]
        inputs = self.property_set["num_input_qubits"]
        if layout is None or indices is None or inputs is None:
            return None
        virtuals = sorted((q for q, i in indices.items() if i < inputs), key=indices.__getitem__)
        physicals = [layout[v] for v in virtuals]
        if len(set(physicals)) != len(virtuals) or len(laid_out.qubits) != len(dag.qubits):
            return None
        order = iter(range(len(virtuals), len(dag.qubits)))
        position = {p: i for i, p in enumerate(physicals)}
        relabel = [position[p] if p in position else next(order) for p in range(len(dag.qubits))]
        try:
            update_layout(laid_out, TranspileLayout.from_property_set(laid_out, self.property_set),
                          relabel)
            laid_out.remove_qubits(*laid_out.qubits[len(virtuals):])
        except (DAGCircuitError, TranspilerError, ValueError, TypeError):
            return None  # not the circuit the layout stage left (an ancilla is used)
        virtual = laid_out
        iterations, trials = self.sabre_layout
        properties = PropertySet()
        if self.property_set.get("sabre_starting_layouts") is not None:
            properties["sabre_starting_layouts"] = self.property_set["sabre_starting_layouts"]
        sabre = SabreLayout(self.target, seed=self.seed, max_iterations=iterations,
                            swap_trials=trials, layout_trials=trials)
        sabre.property_set = properties
        try:
            routed = sabre.run(virtual)
        except TranspilerError:
            return None
        found = [properties["layout"][q] for q in virtual.qubits]  # of virtuals, in order
        same = found == physicals
        if not same and not self.replace:
            return None  # a fixed layout: a routing of another one is no candidate
        # SabreLayout's output has its own qubits, in physical order: move it onto dag's.
        physical = {q: dag.qubits[i] for i, q in enumerate(routed.qubits)}
        out = dag.copy_empty_like()
        for node in routed.topological_op_nodes():
            out.apply_operation_back(node.op, [physical[q] for q in node.qargs], node.cargs,
                                     check=False)
        own = PropertySet()
        own.update(self.property_set)
        final = properties["final_layout"]
        final = Layout({physical[q]: p for q, p in final.get_virtual_bits().items()})
        earlier = self.property_set.get("final_layout")
        own["final_layout"] = final if earlier is None else earlier.compose(final, out.qubits)
        if not same:  # the layout stage's layout, moved: the same virtual and ancilla bits
            free = iter(sorted(set(range(len(dag.qubits))) - set(found)))
            moved = Layout(dict(zip(virtuals, found, strict=True)))
            for bit in layout.get_virtual_bits():
                if bit not in moved.get_virtual_bits():
                    moved[bit] = next(free)
            for register in layout.get_registers():
                moved.add_register(register)
            own["layout"] = moved
        return out, own, same

    def _placed(self, routed: DAGCircuit, costs: DeviceCosts) -> tuple[float, Layout | None]:
        """The cost of ``routed`` where it is, or at the cheapest placement of its interaction
        graph if that is cheaper, with that placement (None: where it is).

        The placements are ranked by the layout plugin's estimate (per-pair errors, median
        durations: fast over thousands of them), the winner then costed like every candidate,
        with each pair's own duration."""
        model = costs.model
        here = routed_cost(routed, costs, None, self.idle_weight)
        load = circuit_load(routed, model)
        if not load.pairs:
            return here, None
        own = np.array([[load.qubits[r] for r in load.paired()]], dtype=np.int64)
        found = embeddings(load, model, limit=self.max_placements, call_limit=self.call_limit)
        placements = np.vstack([own, found]) if len(found) else own
        placement = best_placement(load, model, placements, self.idle_weight)[0]
        target_of = dict(zip(load.qubits, (int(p) for p in placement), strict=True))
        free = iter(sorted(set(range(len(routed.qubits))) - set(target_of.values())))
        where = [target_of[i] if i in target_of else next(free)
                 for i in range(len(routed.qubits))]
        there = routed_cost(routed, costs, where, self.idle_weight)
        if not there < here:
            return here, None
        return there, Layout({bit: p for bit, p in zip(routed.qubits, where, strict=True)})


_LAYOUT_KEYS = ("layout", "final_layout", "original_qubit_indices", "num_input_qubits",
                "virtual_permutation_layout")


# -- the stage plugin ---------------------------------------------------------------------------


_EFFORT = {0: ("basic", 5, 1, 0), 1: ("decay", 5, 1, 500), 2: ("decay", 20, 1, 2_000),
           3: ("decay", 20, 2, 4_000)}
"""optimization level -> (Sabre heuristic, trials per run, seeds per coupling map, placements
per candidate); the heuristic and trials are those of qiskit's ``"sabre"`` stage at that
level. Enumerating placements is most of this stage's time (VF2 in rustworkx, ~0.3 s for
20 000 on a 127-qubit device)."""


class _KeepLaidOut(AnalysisPass):  # type: ignore[misc]
    """Keep a copy of the laid-out circuit as the layout stage left it, node ids and all,
    for :meth:`NoiseAwareRouting._joint`: the routing stage's barrier before final
    measurements re-adds them under other ids."""

    def run(self, dag: DAGCircuit) -> None:
        self.property_set[_LAID_OUT] = copy.deepcopy(dag)


_SABRE_LAYOUT = {0: (1, 5), 1: (2, 5), 2: (2, 20), 3: (4, 20)}
"""optimization level -> (max_iterations, default trials) of the SabreLayout in qiskit's
``"default"`` and ``"sabre"`` layout stages (qiskit 2.2-2.6)."""


def _sabre_layout(config: PassManagerConfig, level: int) -> tuple[int, int] | None:
    """The settings of the SabreLayout that qiskit's layout stage runs (with its routing
    skipped, as another routing stage is named), or None where the layout is fixed or
    chosen another way: given, another stage named, or level 0's trivial default."""
    method = config.layout_method
    if config.initial_layout is not None or method not in (None, "default", "sabre"):
        return None
    if (level == 0 and method != "sabre") or level not in _SABRE_LAYOUT:
        return None
    iterations, trials = _SABRE_LAYOUT[level]
    return iterations, _trial_count(trials)


def _trial_count(default: int) -> int:
    """qiskit's trial count: its default, or more when its settings say to use every
    thread (``QISKIT_SABRE_ALL_THREADS``); qiskit's own rule where it can be imported."""
    return default if _get_trial_count is None else int(_get_trial_count(default))


class QTargetsRoutingPlugin(PassManagerStagePlugin):  # type: ignore[misc]
    """The ``routing_method="qtargets"`` stage (entry point ``qiskit.transpiler.routing``):
    qiskit's ``"sabre"`` stage with :class:`NoiseAwareRouting` as its routing pass, idle
    time charged as :data:`qtargets.layout.DEFAULT_IDLE` says."""

    idle: str | None = None
    """The idle mode (a key of :data:`qtargets.layout.IDLE_WEIGHT`); None: the default."""

    def pass_manager(self, pass_manager_config: PassManagerConfig,
                     optimization_level: int | None = None) -> PassManager:
        target = pass_manager_config.target
        if target is None:
            name = "qtargets" if self.idle is None else f"qtargets-{self.idle}"
            raise TranspilerError(f'routing_method="{name}" needs a Target (transpile(..., '
                                  'target=...) or a backend), not just a coupling map')
        level = 3 if optimization_level is None else optimization_level
        idle = self.idle if self.idle is not None else DEFAULT_IDLE
        idle_weight(idle)  # a bad DEFAULT_IDLE fails here, not mid-transpile
        heuristic, trials, seeds, placements = _EFFORT.get(level, _EFFORT[3])
        # Where qiskit's "sabre" stage runs VF2PostLayout (layout not fixed by the user or
        # a named layout stage), this stage re-places its candidates itself, by their cost.
        call_limit, max_trials = common.get_vf2_limits(
            level, pass_manager_config.layout_method, pass_manager_config.initial_layout)
        replace = level > 0 and bool(call_limit) and bool(max_trials)
        routing = NoiseAwareRouting(target, seed=pass_manager_config.seed_transpiler,
                                    seeds=seeds, trials=trials, heuristic=heuristic,
                                    replace=replace, max_placements=placements,
                                    call_limit=100 * placements, idle=idle,
                                    sabre_layout=_sabre_layout(pass_manager_config, level))
        stage = [BarrierBeforeFinalMeasurements(_BARRIER_LABEL), routing]
        if routing.sabre_layout is not None:
            stage.insert(0, _KeepLaidOut())
        return common.generate_routing_passmanager(
            FlowControllerLinear(stage), target, coupling_map=pass_manager_config.coupling_map,
            seed_transpiler=-1, use_barrier_before_measurement=False)


class QTargetsFreeIdleRoutingPlugin(QTargetsRoutingPlugin):
    """``routing_method="qtargets-free"``: idling costs its modelled decay."""

    idle = "free"


class QTargetsDDRoutingPlugin(QTargetsRoutingPlugin):
    """``routing_method="qtargets-dd"``: for circuits run with dynamical decoupling, idling
    free; routes are chosen (and re-placed) for their gates and readout alone."""

    idle = "dd"
