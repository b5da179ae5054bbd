"""A noise-aware layout stage for qiskit: ``transpile(..., layout_method="qtargets")``.

>>> import qtargets
>>> from qiskit import QuantumCircuit, transpile
>>> target = qtargets.load_target("ibm_fez")
>>> ghz = QuantumCircuit(3)
>>> _ = ghz.h(0), ghz.cx(0, 1), ghz.cx(1, 2), ghz.measure_all()
>>> out = transpile(ghz, target=target, layout_method="qtargets", seed_transpiler=1)

Why not qiskit's own: naming any ``layout_method`` switches off qiskit's VF2PostLayout, and
its VF2 scoring averages every instruction's error on a qubit (diluting readout error about
8x) and ignores the time qubits spend idle. This stage

1. looks for a placement needing no swaps (VF2 on the circuit's interaction graph); where
   that graph is a line (a GHZ chain, a 1D Hamiltonian simulation) also along the cheapest
   paths of the device (a beam search, :func:`path_placements`) and, on a
   :class:`~qtargets.build.TargetWithChains` (IBM devices), every window of the chains the
   vendor measured layer fidelity on (:func:`chain_placements`): VF2's first placements
   cluster round the best qubits, a long line may do better elsewhere,
2. otherwise routes with SabreLayout under several seeds (one seed's best is often not the
   best routing once the device's real numbers are counted), the first as qiskit's own
   layout stage would, the odd ones on the device without its dead couplers (error 1,
   IBM's mark for a broken pair), which qiskit's own routing uses like any other,
3. for every candidate, enumerates where on the device its (routed) interaction graph fits and
   scores each placement by an estimate of ``-ln(esp_idle)`` (see :mod:`qtargets.scoring`):
   per qubit, 1q gates x 1q error + readout error + estimated idle time x decoherence rate;
   per pair, native two-qubit gates x that pair's error,
4. keeps the cheapest, already routed and embedded, so qiskit's routing stage has nothing to do.

Idle modes: ``layout_method="qtargets-free"`` charges idle decay as above;
``"qtargets-dd"`` (for circuits run with dynamical decoupling) charges none, so gate and
readout errors alone decide, and its first Sabre run is qiskit's own, so qiskit's routing is
always a candidate; ``"qtargets"`` follows :data:`DEFAULT_IDLE`. See :data:`IDLE_WEIGHT`.

Across calibration days: ``layout_method="qtargets-robust"`` (``"qtargets-robust-worst"``)
scores each candidate placement on the device's earlier calibrations too, which a
:class:`TargetWithHistory` carries (:func:`qtargets.robust_target`), and keeps the one whose
mean (worst) estimated cost over the days is lowest; the candidates are the same. See
:func:`robust_placement`.

On all-to-all devices (IonQ) there is nothing to route: virtual qubits are assigned to
physical ones by those per-qubit costs, which changes nothing where the numbers are uniform.
"""

from __future__ import annotations

import functools
import itertools
import math
from collections import OrderedDict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import rustworkx as rx
from numpy.typing import NDArray
from qiskit.circuit.exceptions import CircuitError
from qiskit.circuit.library import CXGate
from qiskit.dagcircuit import DAGCircuit
from qiskit.exceptions import QiskitError
from qiskit.passmanager import ConditionalController
from qiskit.passmanager.compilation_status import PropertySet
from qiskit.quantum_info import Operator
from qiskit.synthesis import TwoQubitBasisDecomposer
from qiskit.transpiler import CouplingMap, Layout, PassManager, Target, TranspilerError
from qiskit.transpiler.basepasses import TransformationPass
from qiskit.transpiler.passes import (
    ApplyLayout,
    BarrierBeforeFinalMeasurements,
    EnlargeWithAncilla,
    FullAncillaAllocation,
    SabreLayout,
    SetLayout,
)
from qiskit.transpiler.passmanager_config import PassManagerConfig
from qiskit.transpiler.preset_passmanagers.plugin import PassManagerStagePlugin

from ._exceptions import ConfigurationError, warn
from .build import TargetWithChains
from .model import is_virtual
from .scoring import AlapClock, log_idle_survival, nats

__all__ = ["DEFAULT_IDLE", "IDLE_WEIGHT", "LINE_PLACEMENTS", "ROBUST", "DeviceModel",
           "NoiseAwareLayout", "QTargetsDDLayoutPlugin", "QTargetsFreeIdleLayoutPlugin",
           "QTargetsLayoutPlugin", "QTargetsRobustLayoutPlugin",
           "QTargetsRobustWorstLayoutPlugin", "TargetWithHistory", "chain_placements",
           "clear_models", "idle_weight", "line_order", "native_2q_count", "path_placements",
           "robust_placement",
           "with_history"]

_NOT_GATES = frozenset({"delay", "barrier", "measure", "reset"})
"""One-qubit operations that are not gates: counted apart (measure) or not at all."""

_NATIVE_2Q_COUNT = {
    "cx": 1, "cz": 1, "ecr": 1, "cy": 1, "ms": 1, "zz": 1, "rzz": 1,
    "swap": 3, "iswap": 2, "dcx": 2, "ch": 2, "cs": 2, "csdg": 2, "csx": 2,
    "cp": 2, "cu1": 2, "crx": 2, "cry": 2, "crz": 2, "cu": 2, "cu3": 2,
    "rxx": 2, "ryy": 2, "rzx": 2, "xx_minus_yy": 2, "xx_plus_yy": 2,
}
"""Native two-qubit gates a circuit gate becomes after translation (others: see
:func:`native_2q_count`)."""


def native_2q_count(op: Any) -> int:
    """Native two-qubit gates the two-qubit operation ``op`` becomes once translated: by name
    for qiskit's standard gates (:data:`_NATIVE_2Q_COUNT`); for any other with a matrix, the
    CX count of its KAK decomposition (0-3); 3 where neither is known (unbound parameters).

    qiskit's level-3 init stage consolidates two-qubit blocks into ``unitary`` gates; counting
    each as 3 overcounted a 24-qubit Hamiltonian simulation's two-qubit gates 3x (each block
    takes one CZ) and its pulses 2.8x, so placements were chosen for the wrong errors.
    """
    known = _NATIVE_2Q_COUNT.get(op.name)
    if known is not None:
        return known
    try:
        matrix = np.asarray(Operator(op).data, dtype=complex)
    except (CircuitError, QiskitError, TypeError, ValueError):
        return 3
    if matrix.shape != (4, 4):
        return 3
    return _kak_count(matrix.tobytes())


@functools.lru_cache(maxsize=4096)
def _kak_count(matrix: bytes) -> int:
    unitary = np.frombuffer(matrix, dtype=complex).reshape(4, 4)
    return int(_cx_decomposer().num_basis_gates(unitary))


@functools.cache
def _cx_decomposer() -> Any:
    return TwoQubitBasisDecomposer(CXGate())

_BARRIER_LABEL = "qiskit.transpiler.internal.routing.protection.barrier"


# -- the device ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class DeviceModel:
    """A Target's numbers as arrays, in the units of the cost: nats (``-ln(1 - error)``)."""

    num_qubits: int
    one_qubit: NDArray[np.float64]
    """Per qubit: the median ``-ln(1-e)`` of its physical (non-frame) 1q gates."""
    readout: NDArray[np.float64]
    idle_rate: NDArray[np.float64]
    """Per qubit, nats per second of idling: the slope of ``-ln(survival)`` at small t."""
    two_qubit: NDArray[np.float64]
    """``[a, b]``: cheapest native two-qubit gate on the pair, either direction; inf: none."""
    two_qubit_floor: NDArray[np.float64]
    """``[a, b]``: what the two qubits' idle rates charge over that gate's duration, the least
    the gate can cost (see :meth:`under`)."""
    graph: Any  # rustworkx.PyGraph of the pairs with a usable two-qubit gate (error < 1)
    search_graph: Any
    """``graph`` renumbered best qubit first (1q and readout error): VF2 tries nodes in
    index order, so its first placements (all that :func:`embeddings` keeps) lie on the
    best qubits, not wherever qubit 0 happens to be."""
    search_order: NDArray[np.int64]
    """Physical qubit of each ``search_graph`` node."""
    live_coupling: CouplingMap | None
    """The coupling map without the dead pairs (every two-qubit gate on them at error 1), for
    routing; None when the device has none."""
    complete: bool
    """Every pair coupled (IonQ): nothing to route."""
    one_qubit_time: float
    two_qubit_time: float
    measure_time: float

    @classmethod
    def of(cls, target: Target) -> DeviceModel:
        """The model of ``target``, cached for the last few targets: transpiling many circuits
        for one device builds it once (17 ms for a 156-qubit Heron). A Target changed in place
        after its first use keeps its old model until :func:`clear_models`."""
        entry = _MODELS.get(id(target))
        if entry is not None and entry[0] is target:
            _MODELS.move_to_end(id(target))
            return entry[1]
        model = cls._build(target)
        _MODELS[id(target)] = (target, model)  # holding the target keeps its id unique
        while len(_MODELS) > _MODELS_KEPT:
            _MODELS.popitem(last=False)
        return model

    def under(self, idle_weight: float) -> DeviceModel:
        """The model placements are costed with in an idle mode (:data:`IDLE_WEIGHT`).

        With idling free (DD), a two-qubit gate costs at least its :attr:`two_qubit_floor`:
        a gate decoheres its qubits at least as much as idling as long would, and no idle
        charge then keeps placements off short-T2 qubits. Calibrated errors and T1/T2 are
        measured at different times; the noise model (:mod:`qtargets.noise`, as Aer's)
        charges a gate the larger. Without the floor the DD mode put sherbrooke's QFT 10 on
        pairs of 0.5-0.8% ECR error whose qubits' T2 (24-46 us) cost ~1.4% over 533 ns:
        0.78x qiskit's simulated success; with it 1.00x. With free idling the model is
        unchanged: there the floor moved 4 of 17 sherbrooke benchmark placements to ones worse
        by the calibration's own figures, with no simulation yet to say which is right
        (benchmarks/README.md, session 9).
        """
        if idle_weight:
            return self
        return replace(self, two_qubit=np.maximum(self.two_qubit, self.two_qubit_floor))

    @classmethod
    def _build(cls, target: Target) -> DeviceModel:
        n = int(target.num_qubits or 0)
        one_q: list[list[float]] = [[] for _ in range(n)]
        readout = np.zeros(n)
        two_q = np.full((n, n), np.inf)
        two_q_time: dict[tuple[int, int], float] = {}  # of the cheapest gate on each pair
        t1q: list[float] = []
        t2q: list[float] = []
        tmeas: list[float] = []
        for name in target.operation_names:
            by_qargs = target[name]
            pulse = name not in _NOT_GATES and not is_virtual(
                name, (p.error for p in by_qargs.values() if p is not None))
            for qargs, props in by_qargs.items():
                if qargs is None:
                    continue
                error = props.error if props is not None and props.error is not None else 0.0
                duration = props.duration if props is not None else None
                cost = nats(error)
                if name == "measure":
                    readout[qargs[0]] = cost
                    if duration:
                        tmeas.append(duration)
                elif len(qargs) == 1 and pulse:
                    one_q[qargs[0]].append(cost)
                    if duration:
                        t1q.append(duration)
                elif len(qargs) == 2:
                    a, b = qargs
                    if cost < two_q[a, b]:
                        two_q[a, b] = two_q[b, a] = cost
                        two_q_time[min(a, b), max(a, b)] = duration or 0.0
                    if duration:
                        t2q.append(duration)
        rates = np.zeros(n)
        properties = target.qubit_properties or []
        for q, qp in enumerate(properties[:n]):
            if qp is None:
                continue
            tiny = 1e-9  # slope of -ln(survival) at t -> 0, measured numerically
            rates[q] = -log_idle_survival(tiny, qp.t1, qp.t2) / tiny
        floor = np.zeros((n, n))
        for (a, b), seconds in two_q_time.items():
            floor[a, b] = floor[b, a] = (rates[a] + rates[b]) * seconds
        graph = rx.PyGraph(multigraph=False)
        graph.add_nodes_from(range(n))
        pairs = np.argwhere(np.triu(np.isfinite(two_q), 1))
        graph.add_edges_from_no_data([(int(a), int(b)) for a, b in pairs])
        # A qubit the Target gives no pulse gate (or no measurement, where others have one):
        # filtered out as faulty. It costs infinitely, not nothing, or the qubits a circuit
        # never pairs would be placed on it.
        some_1q = any(one_q)
        one_qubit = np.array([float(np.median(v)) if v else (np.inf if some_1q else 0.0)
                              for v in one_q])
        if "measure" in target.operation_names:
            measurable = {qargs[0] for qargs in target["measure"] if qargs}
            readout[[q for q in range(n) if q not in measurable]] = np.inf
        order = np.argsort(one_qubit + readout, kind="stable")
        position = np.empty_like(order)
        position[order] = np.arange(n)
        search_graph = rx.PyGraph(multigraph=False)
        search_graph.add_nodes_from(range(n))
        search_graph.add_edges_from_no_data(
            [(int(position[a]), int(position[b])) for a, b in pairs])
        complete = n > 1 and len(pairs) == n * (n - 1) // 2
        live_coupling = None
        if (n > 1 and not complete
                and len(pairs) < len(_undirected(target.build_coupling_map()))):
            edges = [(int(a), int(b)) for a, b in pairs]
            live_coupling = CouplingMap([*edges, *((b, a) for a, b in edges)])
            present = set(live_coupling.physical_qubits)
            for q in range(n):  # a qubit whose every pair is dead stays, isolated
                if q not in present:
                    live_coupling.add_physical_qubit(q)
        return cls(
            num_qubits=n,
            one_qubit=one_qubit,
            readout=readout,
            idle_rate=rates,
            two_qubit=two_q,
            two_qubit_floor=floor,
            graph=graph,
            search_graph=search_graph,
            search_order=order.astype(np.int64),
            live_coupling=live_coupling,
            complete=complete,
            one_qubit_time=float(np.median(t1q)) if t1q else 0.0,
            two_qubit_time=float(np.median(t2q)) if t2q else 0.0,
            measure_time=float(np.median(tmeas)) if tmeas else 0.0,
        )


def _undirected(coupling: CouplingMap | None) -> set[tuple[int, int]]:
    if coupling is None:
        return set()
    return {(min(a, b), max(a, b)) for a, b in coupling.get_edges()}


_MODELS: OrderedDict[int, tuple[Target, DeviceModel]] = OrderedDict()
_MODELS_KEPT = 8


def clear_models() -> None:
    """Forget every cached :class:`DeviceModel` (after changing a Target in place)."""
    _MODELS.clear()


# -- the circuit --------------------------------------------------------------------------------


@dataclass
class CircuitLoad:
    """What a circuit asks of each of its qubits and qubit pairs, placement-independent."""

    qubits: list[int]
    """The circuit's active qubit indices; rows of the arrays below."""
    one_qubit: NDArray[np.float64]
    """Physical 1q gates per active qubit (translation's extra ones included, roughly)."""
    measured: NDArray[np.float64]
    idle: NDArray[np.float64]
    """Estimated seconds idle between first and last operation (ALAP)."""
    pairs: list[tuple[int, int, float]]
    """(row a, row b, native two-qubit gates between them)."""

    def paired(self) -> list[int]:
        """Rows of the qubits with at least one two-qubit gate, in row order."""
        return sorted({r for a, b, _ in self.pairs for r in (a, b)})

    def node_costs(self, device: DeviceModel, idle_weight: float = 1.0
                   ) -> NDArray[np.float64]:
        """``[row, physical qubit]``: cost of putting that qubit there (pairs excluded);
        ``idle_weight`` scales the idle term (0: idling costs nothing, see :data:`IDLE_WEIGHT`)."""
        with np.errstate(invalid="ignore"):  # 0 uses x infinite cost (a dead qubit) is 0
            costs = (np.nan_to_num(self.one_qubit[:, None] * device.one_qubit[None, :],
                                   nan=0.0, posinf=np.inf)
                     + np.nan_to_num(self.measured[:, None] * device.readout[None, :],
                                     nan=0.0, posinf=np.inf))
        if idle_weight:
            costs += idle_weight * self.idle[:, None] * device.idle_rate[None, :]
        return costs


def circuit_load(dag: DAGCircuit, device: DeviceModel) -> CircuitLoad:
    """Count gates per qubit and pair, and estimate idle times with the device's typical
    durations (placement-independent, so every placement is scored on the same load)."""
    index = {bit: i for i, bit in enumerate(dag.qubits)}
    nq = len(dag.qubits)
    ones = np.zeros(nq)
    measured = np.zeros(nq)
    pair_count: dict[tuple[int, int], float] = {}
    clbit_index = {bit: nq + i for i, bit in enumerate(dag.clbits)}
    clock = AlapClock(nq, nq + len(dag.clbits))
    t1, t2, tm = device.one_qubit_time, device.two_qubit_time, device.measure_time
    # Consecutive two-qubit gates on one pair (1q gates between them included) become one
    # block, which qiskit's optimization resynthesises in at most 3 native gates: a swap
    # beside a cx costs 2 more, not 3. Per qubit: the pair of its latest block, and its count.
    block: list[tuple[int, int] | None] = [None] * nq
    block_count: dict[tuple[int, int], float] = {}
    for node in reversed(list(dag.topological_op_nodes())):  # ALAP: from the end
        name = node.op.name
        qs = [index[q] for q in node.qargs]
        wires = qs + [clbit_index[c] for c in node.cargs]
        if not wires:
            continue
        if name == "barrier":
            clock.barrier(wires)
            for q in qs:
                block[q] = None
            continue
        if len(qs) == 1:
            if name == "measure":
                measured[qs[0]] += 1
                block[qs[0]] = None
                duration = tm
            elif name in _NOT_GATES or is_virtual(name):
                if name == "reset":
                    block[qs[0]] = None
                duration = 0.0
            else:
                ones[qs[0]] += 1
                duration = t1
        elif len(qs) == 2:
            a, b = sorted(qs)
            native = native_2q_count(node.op)
            if block[a] == block[b] == (a, b):
                before = block_count[(a, b)]
                k = min(before + native, 3.0) - before
            else:
                block[a] = block[b] = (a, b)
                before, k = 0.0, float(native)
            block_count[(a, b)] = before + k
            pair_count[(a, b)] = pair_count.get((a, b), 0.0) + k
            ones[a] += k  # translation wraps native 2q gates in 1q gates, about one a side
            ones[b] += k
            duration = k * t2 + k * t1
        else:  # wider gates get synthesised; count them as pairwise entanglers on a chain
            for a, b in itertools.pairwise(sorted(qs)):
                pair_count[(a, b)] = pair_count.get((a, b), 0.0) + 3
            for q in qs:
                block[q] = None
            duration = 3 * (len(qs) - 1) * t2
        clock.operation(qs, wires, duration)
    idle = np.array([math.fsum(gaps) for gaps in clock.gaps])
    active = [q for q in range(nq) if clock.active(q)]
    row = {q: r for r, q in enumerate(active)}
    pairs = [(row[a], row[b], k) for (a, b), k in pair_count.items()]
    return CircuitLoad(active, ones[active], measured[active], idle[active], pairs)


# -- placements ---------------------------------------------------------------------------------


def embeddings(load: CircuitLoad, device: DeviceModel, *, limit: int,
               call_limit: int) -> NDArray[np.int64]:
    """Up to ``limit`` placements of the circuit's paired qubits (row ``i``: physical qubit of
    ``load.paired()[i]``) on coupled pairs of the device; empty if none was found.

    Qubits without two-qubit gates are left out: they fit anywhere, and enumerating where
    would multiply the placements without telling them apart (see :func:`best_placement`).
    """
    paired = load.paired()
    row_of = {r: i for i, r in enumerate(paired)}
    n = len(paired)
    pattern = rx.PyGraph(multigraph=False)
    pattern.add_nodes_from(range(n))
    pattern.add_edges_from_no_data([(row_of[a], row_of[b]) for a, b, _ in load.pairs])
    if not _may_fit(pattern, device.graph):
        return np.empty((0, n), dtype=np.int64)
    found = rx.vf2_mapping(device.search_graph, pattern, subgraph=True, induced=False,
                           id_order=True, call_limit=call_limit)
    physical: list[int] = []
    rows: list[int] = []
    count = 0
    for mapping in itertools.islice(found, limit):
        physical.extend(mapping.keys())
        rows.extend(mapping.values())
        count += 1
    out = np.empty((count, n), dtype=np.int64)
    if count:
        out[np.repeat(np.arange(count), n), rows] = device.search_order[physical]
    return out


def line_order(load: CircuitLoad) -> list[int] | None:
    """The columns of :func:`embeddings`' placements (``load.paired()`` positions) in the
    order of the path the circuit's interaction graph forms, from its end with the lower
    column; None unless that graph is one path (connected, acyclic, no qubit with three
    partners): a GHZ chain, a 1D Hamiltonian simulation."""
    paired = load.paired()
    row_of = {r: i for i, r in enumerate(paired)}
    n = len(paired)
    if n < 2 or len(load.pairs) != n - 1:
        return None
    partners: list[list[int]] = [[] for _ in range(n)]
    for a, b, _ in load.pairs:
        partners[row_of[a]].append(row_of[b])
        partners[row_of[b]].append(row_of[a])
    if any(len(p) > 2 for p in partners):
        return None
    ends = [i for i in range(n) if len(partners[i]) == 1]
    if not ends:  # a cycle
        return None
    order = [ends[0]]
    previous = -1
    while len(order) < n:
        step = [p for p in partners[order[-1]] if p != previous]
        if not step:  # n - 1 edges but not connected: a cycle elsewhere
            return None
        previous = order[-1]
        order.append(step[0])
    return order


def chain_placements(load: CircuitLoad, device: DeviceModel,
                     chains: Iterable[Sequence[int]]) -> NDArray[np.int64]:
    """Placements (as :func:`embeddings`) of a circuit whose interaction graph is a path of
    ``k`` qubits on every window of ``k`` consecutive qubits of ``chains``, each both ways
    round, the path following the window; empty if the circuit is no path or no window fits.

    The chains are the vendor's own lines of good qubits (:attr:`TargetWithChains.layer_chains`,
    IBM's layer-fidelity chains), which the first placements VF2 finds need not come near.
    A window using a pair the device cannot couple (error 1 or no gate) is left out.
    """
    order = line_order(load)
    n = len(load.paired())
    if order is None:
        return np.empty((0, n), dtype=np.int64)
    k = len(order)
    windows: set[tuple[int, ...]] = set()
    for chain in chains:
        if any(not 0 <= q < device.num_qubits for q in chain):
            continue
        usable = np.isfinite(device.two_qubit[list(chain[:-1]), list(chain[1:])])
        for i in range(len(chain) - k + 1):
            if usable[i:i + k - 1].all():
                window = tuple(chain[i:i + k])
                windows.update((window, window[::-1]))
    out = np.empty((len(windows), n), dtype=np.int64)
    if windows:
        out[:, order] = np.array(sorted(windows), dtype=np.int64)
    return out


def path_placements(load: CircuitLoad, device: DeviceModel, idle_weight: float = 1.0, *,
                    width: int = 256) -> NDArray[np.int64]:
    """Up to ``width`` cheap placements (as :func:`embeddings`) of a circuit whose interaction
    graph is a path, found by a beam search over the device's paths; empty if it is no path.

    The search lays the path's qubits one at a time from one end, from every physical qubit,
    keeping the ``width`` partial placements cheapest by the cost :func:`best_placement`
    charges (per qubit, its gates, readout and idling there; per pair, its gates). VF2 offers
    the first placements it meets near the best qubits; this one follows the cheap couplers
    across the device, and needs no vendor's chains (:func:`chain_placements`).
    """
    if width < 1:
        raise ConfigurationError(f"path width {width!r} is not a positive number of paths",
                                 setting="width")
    order = line_order(load)
    paired = load.paired()
    if order is None:
        return np.empty((0, len(paired)), dtype=np.int64)
    rows = [paired[c] for c in order]
    nodes = load.node_costs(device, idle_weight)[rows]  # [position, physical qubit]
    gates = {(min(a, b), max(a, b)): g for a, b, g in load.pairs}
    links = [gates[min(a, b), max(a, b)] for a, b in itertools.pairwise(rows)]
    partners = [list(device.graph.neighbors(q)) for q in range(device.num_qubits)]
    degree = max(map(len, partners), default=0)
    adjacent = np.full((device.num_qubits, max(degree, 1)), -1, dtype=np.int64)
    for q, qs in enumerate(partners):
        adjacent[q, :len(qs)] = qs
    start = np.flatnonzero(np.isfinite(nodes[0]))
    paths = start[:, None]
    cost = nodes[0][start]
    for i, gates_here in enumerate(links, start=1):
        last = paths[:, -1]
        step = adjacent[last]  # [path, partner]; -1: none
        free = (step >= 0) & ~(paths[:, :, None] == step[:, None, :]).any(axis=1)
        step = np.where(free, step, 0)
        pair = device.two_qubit[last[:, None], step]
        total = np.where(free, cost[:, None] + nodes[i][step] + gates_here * pair, np.inf)
        total = total.ravel()
        alive = np.flatnonzero(np.isfinite(total))
        if len(alive) > width:
            alive = alive[np.argpartition(total[alive], width - 1)[:width]]
        if not len(alive):
            return np.empty((0, len(paired)), dtype=np.int64)
        which, partner = np.divmod(alive, adjacent.shape[1])
        paths = np.hstack([paths[which], step[which, partner][:, None]])
        cost = total[alive]
    out = np.empty((len(paths), len(paired)), dtype=np.int64)
    out[:, order] = paths[np.argsort(cost, kind="stable")]
    return out


def _may_fit(pattern: Any, graph: Any) -> bool:
    """Cheap necessary conditions for ``pattern`` to embed in ``graph``: enough nodes and
    edges, and for each degree, enough nodes of at least that degree. VF2 proves a misfit
    only by exhausting its search (about a second at its call limit for a QFT on heavy-hex)."""
    if pattern.num_nodes() > graph.num_nodes() or pattern.num_edges() > graph.num_edges():
        return False
    have = sorted((graph.degree(v) for v in graph.node_indices()), reverse=True)
    need = sorted((pattern.degree(v) for v in pattern.node_indices()), reverse=True)
    return all(h >= d for h, d in zip(have, need, strict=False))


def best_placement(load: CircuitLoad, device: DeviceModel, placements: NDArray[np.int64],
                   idle_weight: float = 1.0) -> tuple[NDArray[np.int64], float]:
    """The cheapest of ``placements`` (of the paired qubits, see :func:`embeddings`)
    completed with the unpaired ones, and its estimated ``-ln(esp_idle)``.

    Unpaired qubits take the cheapest free places, the costliest-to-misplace first. (One day
    of :func:`robust_placement`.)
    """
    placement, cost, _ = robust_placement(load, [device], placements, idle_weight)
    return placement, cost


def _assign(load: CircuitLoad, device: DeviceModel, idle_weight: float = 1.0
            ) -> NDArray[np.int64]:
    """All-to-all devices: the busiest qubits take the cheapest places, greedily, counting
    each qubit's pairs at the device's mean pair cost from each place."""
    finite = np.where(np.isfinite(device.two_qubit), device.two_qubit, np.nan)
    mean_pair = np.nan_to_num(np.nanmean(finite, axis=1), nan=0.0)
    weight = np.zeros(len(load.qubits))
    for a, b, k in load.pairs:
        weight[a] += k / 2
        weight[b] += k / 2
    costs = load.node_costs(device, idle_weight) + weight[:, None] * mean_pair[None, :]
    order = np.argsort(-(costs.max(axis=1) - costs.min(axis=1)), kind="stable")
    taken = np.zeros(device.num_qubits, dtype=bool)
    out = np.empty(len(load.qubits), dtype=np.int64)
    for r in order:
        row = np.where(taken, np.inf, costs[r])
        best = int(np.argmin(row))  # ties: the lowest index, so uniform devices stay trivial
        out[r] = best
        taken[best] = True
    return out


# -- across calibration days --------------------------------------------------------------------


ROBUST = ("mean", "worst")
"""How a placement's estimated cost on each calibration day is summed up
(:func:`robust_placement`): ``"mean"``, its average over the days (what to expect if the next
calibration is like one of them), or ``"worst"``, its largest (the day it would have done
worst)."""


class TargetWithHistory(TargetWithChains):
    """Today's Target carrying its device's earlier calibrations, for
    ``layout_method="qtargets-robust"``: qiskit hands a layout plugin the Target and nothing
    else, so the Target has to carry them. Made by :func:`with_history` (or
    :func:`qtargets.robust_target`); to everything else it is the Target it copies, the
    layer-fidelity chains of a :class:`TargetWithChains` included."""

    history: tuple[Target, ...] = ()
    """Earlier calibrations of the same device as Targets, oldest first, today's not included."""

    _carried = (*TargetWithChains._carried, "history")


def with_history(target: Target, history: Iterable[Target]) -> TargetWithHistory:
    """A copy of ``target`` (today's calibration; left as it is) carrying ``history``, earlier
    calibrations of the same device, oldest first.

    A day with another qubit count (the device was upgraded in between: another device) is a
    :class:`qtargets.ConfigurationError`; leave it out. Build earlier days with
    ``filter_faulty=False``, so that what was faulty then counts with its bad numbers rather
    than vanishing (a qubit with no readout figure would cost nothing that day).
    """
    days = tuple(h for h in history if h is not target)
    _check_history(target, days)
    copy = TargetWithHistory.__new__(TargetWithHistory)
    copy.__setstate__({**target.__getstate__(), "qtargets_history": days})
    return copy


def _check_history(target: Target, history: Sequence[Target]) -> None:
    for i, day in enumerate(history):
        if not isinstance(day, Target):
            raise ConfigurationError(f"history[{i}] is a {type(day).__name__}, not a qiskit "
                                     "Target", setting="history")
        if day.num_qubits != target.num_qubits:
            raise ConfigurationError(
                f"history[{i}] has {day.num_qubits} qubits, today's Target {target.num_qubits}: "
                "a device upgraded in between is another device; leave its older days out",
                setting="history")


def _summary(robust: str) -> str:
    if robust not in ROBUST:
        raise ConfigurationError(f"robust={robust!r} is not one of "
                                 f"{', '.join(map(repr, ROBUST))}", setting="robust")
    return robust


def _summed_up(cost: NDArray[np.float64], robust: str
               ) -> tuple[NDArray[np.float64], NDArray[np.int64], NDArray[np.float64]]:
    """``cost[day, placement]`` summed up over the days: the mean or the largest (infinite
    where any day is), and the rank placements compare by: (days on which the placement needs
    an element that day lacked or had at error 1, the mean or largest over the other days), so
    that a pair dead on one old day does not tie every placement using it at infinity."""
    dead = np.isinf(cost)
    bad_days = dead.sum(axis=0).astype(np.int64)
    finite = np.where(dead, 0.0, cost)  # costs are >= 0, so a 0 never wins a maximum
    if robust == "mean":
        total = cost.mean(axis=0)
        rest = finite.sum(axis=0) / np.maximum(len(cost) - bad_days, 1)
    else:
        total = cost.max(axis=0)
        rest = finite.max(axis=0)
    return total, bad_days, rest


def robust_placement(load: CircuitLoad, days: Sequence[DeviceModel],
                     placements: NDArray[np.int64], idle_weight: float = 1.0,
                     robust: str = "mean") -> tuple[NDArray[np.int64], float, tuple[int, float]]:
    """:func:`best_placement` judged on several calibration days of one device: every
    placement's estimated ``-ln(esp_idle)`` on each day's numbers (``days``: their models,
    today's first; ``load`` counted with today's), summed up by ``robust`` (:data:`ROBUST`).

    Returns the chosen placement (completed with the unpaired qubits), its summed-up cost and
    its rank ``(bad days, summed-up cost over the others)``: placements compare by rank, so
    that one needing a pair dead on an old day loses to one that does not, and such
    placements still compare among themselves. Unpaired qubits take the cheapest free places
    by their mean (``"worst"``: largest) cost over the days.
    """
    _summary(robust)
    paired = load.paired()
    row_of = {r: i for i, r in enumerate(paired)}
    nodes = np.stack([load.node_costs(d, idle_weight) for d in days])  # [day, row, qubit]
    cols = np.array(paired, dtype=np.int64)[None, :]
    cost = nodes[:, cols, placements].sum(axis=2)  # [day, placement]
    for a, b, k in load.pairs:
        cost += k * np.stack([d.two_qubit[placements[:, row_of[a]], placements[:, row_of[b]]]
                              for d in days])
    _, bad_days, rest_cost = _summed_up(cost, robust)
    best = int(np.lexsort((rest_cost, bad_days))[0])
    out = np.full(len(load.qubits), -1, dtype=np.int64)
    out[paired] = placements[best]
    totals = cost[:, best].copy()
    rest = [r for r in range(len(load.qubits)) if r not in row_of]
    if rest:
        summed = nodes.mean(axis=0) if robust == "mean" else nodes.max(axis=0)
        taken = np.zeros(days[0].num_qubits, dtype=bool)
        taken[placements[best]] = True
        spread = summed[rest].max(axis=1) - summed[rest].min(axis=1)
        for r in (rest[i] for i in np.argsort(-spread, kind="stable")):
            row = np.where(taken, np.inf, summed[r])
            place = int(np.argmin(row))
            out[r] = place
            taken[place] = True
            totals += nodes[:, r, place]
    total, bad, other = _summed_up(totals[:, None], robust)
    return out, float(total[0]), (int(bad[0]), float(other[0]))


# -- the pass -----------------------------------------------------------------------------------


@dataclass
class _Candidate:
    dag: DAGCircuit
    properties: PropertySet
    load: CircuitLoad
    placement: NDArray[np.int64]  # physical qubit per active qubit of `dag`
    cost: float
    rank: tuple[int, float]  # what candidates compare by (robust_placement; else (0, cost))


class NoiseAwareLayout(TransformationPass):  # type: ignore[misc]
    """Choose, route and embed: the whole layout stage of ``layout_method="qtargets"``.

    Args:
        target: the device.
        idle: how idle time is charged, a key of :data:`IDLE_WEIGHT`: ``"free"`` (modelled
            T1/T2 decay) or ``"dd"`` (dynamically decoupled: idling free; gates and readout
            only).
        seed: seeds the SabreLayout runs (``seed + i`` for run ``i``); run 0 is qiskit's own
            SabreLayout of the same level and seed, so its routing is always a candidate.
        routing_seeds: how many SabreLayout runs compete when swaps are needed.
        sabre_trials: layout and swap trials of run 0.
        sabre_iterations: forward-backward passes of each run.
        extra_trials: layout and swap trials of each later run (fewer: they add variety,
            run 0 has the depth).
        max_placements: placements scored per candidate.
        call_limit: VF2 states explored per search.
        history: earlier calibrations of the device (Targets of its qubit count, oldest
            first): placements are then chosen by their cost on today's and each of these
            (:func:`robust_placement`); the candidates and today's routing are the same.
            Empty: today's alone.
        robust: how the days' costs are summed up, a key of :data:`ROBUST`.
        chains: where the circuit is a line, also try the windows of the Target's
            layer-fidelity chains (:func:`chain_placements`; a :class:`TargetWithChains`
            only).
        paths: where the circuit is a line, also try the cheapest paths of the device a beam
            search of ``path_width`` finds (:func:`path_placements`).
    """

    def __init__(self, target: Target, *, idle: str = "free", seed: int | None = None,
                 routing_seeds: int = 2, sabre_trials: int = 20, sabre_iterations: int = 4,
                 extra_trials: int = 5, max_placements: int = 5_000,
                 call_limit: int = 2_000_000, history: Sequence[Target] = (),
                 robust: str = "mean", chains: bool = True, paths: bool = True,
                 path_width: int = 256):
        super().__init__()
        self.target = target
        self.robust = _summary(robust)
        self.history = tuple(h for h in history if h is not target)
        _check_history(target, self.history)
        self.idle_weight = idle_weight(idle)
        self.seed = seed
        self.routing_seeds = routing_seeds
        self.sabre_trials = sabre_trials
        self.sabre_iterations = sabre_iterations
        self.extra_trials = extra_trials
        self.max_placements = max_placements
        self.call_limit = call_limit
        self.chains = chains
        self.paths = paths
        self.path_width = path_width

    def run(self, dag: DAGCircuit) -> DAGCircuit:
        device = DeviceModel.of(self.target).under(self.idle_weight)
        if len(dag.qubits) > device.num_qubits:
            raise TranspilerError(f"{len(dag.qubits)} virtual qubits do not fit the "
                                  f"{device.num_qubits}-qubit device")
        self.property_set["qtargets_layout_done"] = True
        load = circuit_load(dag, device)
        if self.history and not device.complete and not load.pairs:
            nothing = np.empty((1, 0), dtype=np.int64)  # no pairs: the qubits alone
            return self._embed(dag, load, self._best(load, device, nothing)[0])
        if device.complete or not load.pairs:
            if self.history and device.complete:
                warn("an all-to-all device: nothing to place by pairs, so qubits are assigned "
                     "by today's calibration alone (the history is not used)")
            return self._embed(dag, load, _assign(load, device, self.idle_weight))
        best = self._placed(load, device)
        if best is not None:  # no swaps needed
            return self._embed(dag, load, best)
        candidates = [self._routed(dag, device, i) for i in range(self.routing_seeds)]
        winner = min(candidates, key=lambda c: c.rank)
        return self._apply(winner)

    def _best(self, load: CircuitLoad, device: DeviceModel, placements: NDArray[np.int64]
              ) -> tuple[NDArray[np.int64], float, tuple[int, float]]:
        """The cheapest of ``placements``, its cost and rank: on today's numbers, or with a
        history on every day's (:func:`robust_placement`)."""
        if not self.history:
            placement, cost = best_placement(load, device, placements, self.idle_weight)
            return placement, cost, (0, cost)
        days = [device, *(DeviceModel.of(day).under(self.idle_weight) for day in self.history)]
        return robust_placement(load, days, placements, self.idle_weight, self.robust)

    # -- no routing: place the virtual circuit directly ----------------------------------------

    def _placed(self, load: CircuitLoad, device: DeviceModel) -> NDArray[np.int64] | None:
        placements = embeddings(load, device, limit=self.max_placements,
                                call_limit=self.call_limit)
        # VF2's first: ties stay as they were.
        if self.chains and isinstance(self.target, TargetWithChains):
            placements = np.vstack([placements, chain_placements(load, device,
                                                                 self.target.layer_chains)])
        if self.paths:
            placements = np.vstack([placements, path_placements(
                load, device, self.idle_weight, width=self.path_width)])
        if not len(placements):
            return None
        return self._best(load, device, placements)[0]

    def _embed(self, dag: DAGCircuit, load: CircuitLoad,
               placement: NDArray[np.int64]) -> DAGCircuit:
        """Lay the virtual ``dag`` out with ``placement`` (idle qubits fill the rest)."""
        chosen = {dag.qubits[q]: int(p) for q, p in zip(load.qubits, placement, strict=True)}
        free = iter(sorted(set(range(self.target.num_qubits)) - set(chosen.values())))
        for bit in dag.qubits:
            if bit not in chosen:
                chosen[bit] = next(free)
        layout = Layout(chosen)
        for register in dag.qregs.values():
            layout.add_register(register)
        properties = self._inner_properties()
        properties["layout"] = layout
        passes = [FullAncillaAllocation(self.target), EnlargeWithAncilla(), ApplyLayout()]
        return self._adopt(self._run(passes, dag, properties), properties)

    # -- routing: several Sabre runs, each placed anew -----------------------------------------

    def _routed(self, dag: DAGCircuit, device: DeviceModel, attempt: int) -> _Candidate:
        """Sabre run ``attempt``: run 0 is qiskit's own (every pair, the user's seed), so
        what qiskit's default would route is always a candidate; odd runs route around the
        dead couplers (if any), even ones use every pair, since avoiding a few dead pairs can
        cost more swaps than the re-placement below needs to dodge them. The cost decides."""
        seed = None if self.seed is None else self.seed + attempt
        properties = self._inner_properties()
        routed = None
        if device.live_coupling is not None and attempt % 2 == 1:
            try:
                routed = self._run([self._sabre(device.live_coupling, seed, attempt)], dag,
                                   properties)
            except TranspilerError:  # a part of the circuit fits no live component
                properties = self._inner_properties()
        if routed is None:
            routed = self._run([self._sabre(self.target, seed, attempt)], dag, properties)
        load = circuit_load(routed, device)
        placements = embeddings(load, device, limit=self.max_placements,
                                call_limit=self.call_limit)
        own = np.array([[load.qubits[r] for r in load.paired()]], dtype=np.int64)  # Sabre's
        placements = np.vstack([own, placements]) if len(placements) else own
        placement, cost, rank = self._best(load, device, placements)
        return _Candidate(routed, properties, load, placement, cost, rank)

    def _sabre(self, coupling: Target | CouplingMap, seed: int | None, attempt: int
               ) -> SabreLayout:
        trials = self.sabre_trials if attempt == 0 else self.extra_trials
        return SabreLayout(coupling, seed=seed, max_iterations=self.sabre_iterations,
                           swap_trials=trials, layout_trials=trials)

    def _apply(self, winner: _Candidate) -> DAGCircuit:
        """Move the routed circuit of ``winner`` onto its best placement."""
        dag, load = winner.dag, winner.load
        target_of = dict(zip(load.qubits, (int(p) for p in winner.placement), strict=True))
        if all(q == p for q, p in target_of.items()):
            return self._adopt(dag, winner.properties)
        free = iter(sorted(set(range(len(dag.qubits))) - set(target_of.values())))
        post = Layout({bit: target_of[i] if i in target_of else next(free)
                       for i, bit in enumerate(dag.qubits)})
        properties = winner.properties
        properties["post_layout"] = post
        return self._adopt(self._run([ApplyLayout()], dag, properties), properties)

    # -- running inner passes with their own property set --------------------------------------

    def _inner_properties(self) -> PropertySet:
        properties = PropertySet()
        properties.update(self.property_set)
        return properties

    @staticmethod
    def _run(passes: Sequence[Any], dag: DAGCircuit, properties: PropertySet) -> DAGCircuit:
        """Run ``passes`` on ``dag`` against ``properties``, not this pass's property set:
        candidates must not see each other's layouts."""
        for task in passes:
            task.property_set = properties
            result = task.run(dag)
            if result is not None:
                dag = result
        return dag

    def _adopt(self, dag: DAGCircuit, properties: PropertySet) -> DAGCircuit:
        """Make the chosen candidate's layout this pass's result."""
        for key in _LAYOUT_KEYS:
            if properties.get(key) is not None:
                self.property_set[key] = properties[key]
        return dag


_LAYOUT_KEYS = ("layout", "final_layout", "original_qubit_indices", "num_input_qubits",
                "virtual_permutation_layout")


# -- the stage plugin ---------------------------------------------------------------------------


IDLE_WEIGHT: dict[str, float] = {"free": 1.0, "dd": 0.0}
"""How much of the modelled idle decay (:func:`qtargets.scoring.log_idle_survival`) a
placement is charged, by idle mode:

* ``"free"``: all of it; qubits idle unprotected (no dynamical decoupling).
* ``"dd"``: none; dynamical decoupling is on and the layout is chosen for its gate and
  readout errors alone. DD refocuses dephasing but not T1 decay, and adds pulses of its
  own: what is left depends on the sequence and the device, so rather than guess a residual
  this mode charges nothing and never trades a gate or readout error for idle time.
"""

DEFAULT_IDLE = "free"
"""The idle mode of ``layout_method="qtargets"`` (``"qtargets-free"`` and ``"qtargets-dd"``
name one explicitly). A module setting, read each time a pass manager is built."""


LINE_PLACEMENTS: tuple[str, ...] = ("chains", "paths")
"""What ``layout_method="qtargets..."`` tries besides VF2 for a circuit whose interaction
graph is a line: ``"chains"``, the windows of the Target's layer-fidelity chains
(:func:`chain_placements`), ``"paths"``, the device's cheapest paths (:func:`path_placements`).
A module setting, read each time a pass manager is built (``()``: VF2 alone, as before)."""


def _line_placements() -> tuple[bool, bool]:
    """(chains, paths) as :data:`LINE_PLACEMENTS` says; an unknown name is a
    :class:`qtargets.ConfigurationError`."""
    known = ("chains", "paths")
    unknown = [name for name in LINE_PLACEMENTS if name not in known]
    if unknown or isinstance(LINE_PLACEMENTS, str):
        raise ConfigurationError(f"LINE_PLACEMENTS={LINE_PLACEMENTS!r}: expected a tuple of "
                                 f"{', '.join(map(repr, known))}", setting="LINE_PLACEMENTS")
    return "chains" in LINE_PLACEMENTS, "paths" in LINE_PLACEMENTS


def idle_weight(idle: str) -> float:
    """The weight of idle mode ``idle``; an unknown mode is a
    :class:`qtargets.ConfigurationError`."""
    try:
        return IDLE_WEIGHT[idle]
    except (KeyError, TypeError):
        raise ConfigurationError(
            f"idle mode {idle!r} is not one of {', '.join(map(repr, IDLE_WEIGHT))}",
            setting="idle") from None


_EFFORT = {0: (2, 2, 2, 2), 1: (2, 5, 2, 2), 2: (2, 20, 2, 5), 3: (3, 20, 4, 5)}
"""optimization level -> (Sabre runs that compete, trials of run 0, iterations per run,
trials of each later run); run 0 is qiskit's own SabreLayout of that level."""


class QTargetsLayoutPlugin(PassManagerStagePlugin):  # type: ignore[misc]
    """The ``layout_method="qtargets"`` stage (entry point ``qiskit.transpiler.layout``), in
    :data:`DEFAULT_IDLE` mode."""

    idle: str | None = None
    """The idle mode (a key of :data:`IDLE_WEIGHT`); None: :data:`DEFAULT_IDLE`."""

    robust: str | None = None
    """A key of :data:`ROBUST`: placements judged on the history a :class:`TargetWithHistory`
    carries; None: on today's calibration alone."""

    def pass_manager(self, pass_manager_config: PassManagerConfig,
                     optimization_level: int | None = None) -> PassManager:
        target = pass_manager_config.target
        if target is None:
            raise TranspilerError('layout_method="qtargets" needs a Target (transpile(..., '
                                  'target=...) or a backend), not just a coupling map')
        runs, trials, iterations, extra = _EFFORT.get(optimization_level or 0, _EFFORT[3])
        idle = self.idle if self.idle is not None else DEFAULT_IDLE
        idle_weight(idle)  # a bad DEFAULT_IDLE fails here, not mid-transpile
        chains, paths = _line_placements()
        history: tuple[Target, ...] = ()
        if isinstance(target, TargetWithHistory) and self.robust is not None:
            history = target.history
        elif self.robust is not None:
            method = "qtargets-robust" + ("-worst" if self.robust == "worst" else "")
            warn(f"layout_method {method!r}: this Target carries no earlier "
                 "calibrations (make it with qtargets.robust_target(...) or "
                 "qtargets.layout.with_history(...)), so placements are judged on "
                 "today's calibration alone")

        def choose(property_set: PropertySet) -> bool:
            return not property_set["layout"]

        def embed_given(property_set: PropertySet) -> bool:
            return bool(property_set["layout"]) and property_set["final_layout"] is None \
                and not property_set["qtargets_layout_done"]

        layout = PassManager()
        layout.append(SetLayout(pass_manager_config.initial_layout))
        layout.append(_conditional(
            [BarrierBeforeFinalMeasurements(_BARRIER_LABEL),
             NoiseAwareLayout(target, idle=idle, seed=pass_manager_config.seed_transpiler,
                              routing_seeds=runs, sabre_trials=trials,
                              sabre_iterations=iterations, extra_trials=extra,
                              history=history, robust=self.robust or "mean",
                              chains=chains, paths=paths)],
            choose))
        # A user's initial_layout: embed it as qiskit does, and let the routing stage route.
        layout.append(_conditional([FullAncillaAllocation(target), EnlargeWithAncilla(),
                                ApplyLayout()], embed_given))
        return layout


class QTargetsFreeIdleLayoutPlugin(QTargetsLayoutPlugin):
    """``layout_method="qtargets-free"``: idle decay charged in full, whatever the default."""

    idle = "free"


class QTargetsDDLayoutPlugin(QTargetsLayoutPlugin):
    """``layout_method="qtargets-dd"``: for circuits run with dynamical decoupling; gate and
    readout errors alone decide."""

    idle = "dd"


class QTargetsRobustLayoutPlugin(QTargetsLayoutPlugin):
    """``layout_method="qtargets-robust"``: placements judged by their mean estimated cost
    over today's calibration and the earlier ones a :class:`TargetWithHistory` carries
    (:func:`qtargets.robust_target`); idle mode :data:`DEFAULT_IDLE`. A plain Target: today's
    alone, with a warning."""

    robust = "mean"


class QTargetsRobustWorstLayoutPlugin(QTargetsRobustLayoutPlugin):
    """``layout_method="qtargets-robust-worst"``: as ``"qtargets-robust"``, by the worst day's
    estimated cost."""

    robust = "worst"


def _conditional(tasks: Iterable[Any], condition: Any) -> ConditionalController:
    return ConditionalController(list(tasks), condition=condition)
