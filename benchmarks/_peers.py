"""The peers of the layout plugin as compile methods of ``bench_simulate.py`` (issue 15):
mapomatic and pytket's noise-aware placement, each run only where its package is installed,
so the comparison stays honest as they improve.

* ``mapomatic``: as its README recommends: ``transpile`` at optimization level 3, the result
  deflated to its active qubits (``mm.deflate_circuit``), every embedding of it on the device
  (``mm.matching_layouts``) scored (``mm.evaluate_layouts``), and the deflated circuit
  transpiled again at level 3 on the best one (``initial_layout``). mapomatic reads a
  BackendV1 (``configuration().basis_gates``, ``properties()``); it is given a small adapter
  of the Target and a cost function with mapomatic's default formula fed from the Target.
* ``pytket``: the mirror circuit to pytket through OpenQASM 2, optimized (pytket's
  ``FullPeepholeOptimise``, as its IBM backend's default level does, without implicit wire
  swaps), placed with TKET's ``NoiseAwarePlacement`` on the same calibration's errors
  (``qtargets.to_pytket``) and routed on the device's architecture (``RoutingPass``), then
  back to qiskit through OpenQASM 2, every node ``i`` as qubit ``i``, and ``transpile`` at
  level 3 with the trivial layout and no routing, for translation to the Target's basis and
  optimization: the result keeps pytket's placement and routing (checked).

Every compiled circuit is checked to run on the Target (:func:`check_runs`).
"""

from __future__ import annotations

import functools
import importlib.util
import warnings
from collections.abc import Callable
from types import SimpleNamespace
from typing import Any

from qiskit import QuantumCircuit, qasm2, transpile
from qiskit.transpiler import Target

import qtargets

Compiler = Callable[[QuantumCircuit, Target, int, str], QuantumCircuit]
"""``(mirror circuit, device Target, seed, device name) -> compiled circuit``."""

PACKAGES = {"mapomatic": "mapomatic", "pytket": "pytket"}
"""Each peer method and the package it needs."""


def available(method: str) -> bool:
    """Whether the peer ``method``'s package is importable."""
    return importlib.util.find_spec(PACKAGES[method]) is not None


def check_runs(compiled: QuantumCircuit, target: Target, method: str) -> None:
    """Raise ``ValueError`` unless every operation of ``compiled`` (one wire per device
    qubit) is one the Target has on those qubits: every two-qubit gate on a coupled pair."""
    if compiled.num_qubits != target.num_qubits:
        raise ValueError(f"{method}: {compiled.num_qubits} wires on a "
                         f"{target.num_qubits}-qubit device")
    for inst in compiled.data:
        name = inst.operation.name
        if name == "barrier":
            continue
        qargs = tuple(compiled.find_bit(q).index for q in inst.qubits)
        if not target.instruction_supported(name, qargs):
            raise ValueError(f"{method}: {name} on {qargs} does not run on the Target")


# --- mapomatic -------------------------------------------------------------------------------

class _BackendV1Adapter:
    """What ``mapomatic.evaluate_layouts`` reads of a BackendV1 (``configuration()``'s
    ``basis_gates``), plus the Target for :func:`_mapomatic_cost`."""

    def __init__(self, target: Target) -> None:
        self.target = target
        self._configuration = SimpleNamespace(
            basis_gates=list(target.operation_names), num_qubits=target.num_qubits,
            simulator=False, backend_name=target.description or "target")

    def configuration(self) -> SimpleNamespace:
        return self._configuration


def _error(target: Target, name: str, qargs: tuple[int, ...]) -> float:
    props = target[name].get(qargs)
    if props is None:
        raise ValueError(f"mapomatic: the Target has no {name} on {qargs}")
    return 0.0 if props.error is None else props.error  # unreported: as a Target reads it


def _mapomatic_cost(circuit: QuantumCircuit, layouts: list[list[int]],
                    backend: _BackendV1Adapter) -> list[tuple[list[int], float]]:
    """mapomatic's default cost formula, fed from the Target's InstructionProperties instead
    of a BackendV1's ``properties()``: ``1 - prod(1 - error)`` over the circuit's two-qubit
    gates, its ``sx`` and ``x`` gates (``rz`` is virtual) and its measurements and resets
    (each at the qubit's measurement error)."""
    target = backend.target
    terms: list[tuple[str, tuple[int, ...]]] = []
    for inst in circuit.data:
        name = inst.operation.name
        wires = tuple(circuit.find_bit(q).index for q in inst.qubits)
        if name == "barrier":
            continue
        if len(wires) == 2 or name in ("sx", "x"):
            terms.append((name, wires))
        elif name in ("measure", "reset"):
            terms.append(("measure", wires))
    out = []
    for layout in layouts:
        fidelity = 1.0
        for name, wires in terms:
            fidelity *= 1.0 - _error(target, name, tuple(layout[w] for w in wires))
        out.append((layout, 1.0 - fidelity))
    return out


def compile_mapomatic(circuit: QuantumCircuit, target: Target, seed: int,
                      device: str) -> QuantumCircuit:
    """mapomatic's recipe (module docs) at optimization level 3 with ``seed``."""
    import mapomatic as mm  # type: ignore[import-untyped]  # noqa: PLC0415 (optional peer)

    first = transpile(circuit, target=target, optimization_level=3, seed_transpiler=seed)
    with warnings.catch_warnings():
        # mapomatic 0.14 iterates CircuitInstruction as a tuple (deprecated since qiskit 1.2)
        warnings.simplefilter("ignore", DeprecationWarning)
        small = mm.deflate_circuit(first)
    layouts = mm.matching_layouts(small, target.build_coupling_map())
    # The cost is mapomatic's default formula, fed from the Target (not a BackendV1).
    scores = mm.evaluate_layouts(small, layouts, _BackendV1Adapter(target),
                                 cost_function=_mapomatic_cost)
    if not scores:
        raise ValueError(f"mapomatic: no layout of {circuit.name} on {device}")
    best = scores[0][0]
    compiled = transpile(small, target=target, optimization_level=3, initial_layout=best,
                         seed_transpiler=seed)
    check_runs(compiled, target, "mapomatic")
    return compiled


# --- pytket ----------------------------------------------------------------------------------

@functools.lru_cache(maxsize=8)
def _connected(device: str) -> tuple[Any, dict[Any, float], dict[Any, float], dict[Any, float]]:
    """The largest connected part of ``qtargets.to_pytket(device)``'s architecture and the
    averaged node, link and readout errors on it (what ``NoiseAwarePlacement`` reads), once
    per device.

    TKET's placement needs a connected architecture, and dead couplers can cut a device's
    working pairs apart (ibm_sherbrooke 2025-02-26: qubits 7 and 8 are an island)."""
    from pytket.architecture import Architecture  # noqa: PLC0415 (optional peer)

    info: Any = qtargets.to_pytket(device)
    neighbours: dict[Any, set[Any]] = {}
    for a, b in info.architecture.coupling:
        neighbours.setdefault(a, set()).add(b)
        neighbours.setdefault(b, set()).add(a)
    unseen, parts = set(neighbours), []
    while unseen:
        part, todo = set(), [unseen.pop()]
        while todo:
            node = todo.pop()
            part.add(node)
            todo.extend(neighbours[node] & unseen)
            unseen -= neighbours[node]
        parts.append(part)
    kept = max(parts, key=len)
    architecture = Architecture([(a, b) for a, b in info.architecture.coupling if a in kept])
    return (architecture,
            {n: e for n, e in info.averaged_node_gate_errors.items() if n in kept},
            {link: e for link, e in info.averaged_edge_gate_errors.items() if link[0] in kept},
            {n: e for n, e in info.averaged_readout_errors.items() if n in kept})


def compile_pytket(circuit: QuantumCircuit, target: Target, seed: int,
                   device: str) -> QuantumCircuit:
    """TKET's noise-aware placement and routing, then qiskit's level 3 translation and
    optimization on that placement (module docs)."""
    from pytket.circuit import Node, OpType  # noqa: PLC0415 (optional peer)
    from pytket.passes import (  # noqa: PLC0415
        AutoRebase,
        DecomposeBoxes,
        FullPeepholeOptimise,
        NaivePlacementPass,
        PlacementPass,
        RoutingPass,
        SequencePass,
    )
    from pytket.placement import NoiseAwarePlacement  # noqa: PLC0415
    from pytket.predicates import CompilationUnit, ConnectivityPredicate  # noqa: PLC0415
    from pytket.qasm.qasm import circuit_from_qasm_str, circuit_to_qasm_str  # noqa: PLC0415

    architecture, node_errors, link_errors, readout_errors = _connected(device)
    if max(n.index[0] for n in architecture.nodes) >= target.num_qubits:
        raise ValueError(f"pytket: {device}'s BackendInfo has nodes its Target has not")
    placement = NoiseAwarePlacement(architecture, node_errors, link_errors, readout_errors)
    unit = CompilationUnit(circuit_from_qasm_str(qasm2.dumps(circuit)))
    SequencePass([
        DecomposeBoxes(),  # OpenQASM 2 gate definitions (cp, ...) arrive as custom gates
        FullPeepholeOptimise(allow_swaps=False),
        PlacementPass(placement),
        RoutingPass(architecture),
        NaivePlacementPass(architecture),
        # SWAPs as CXs: so qiskit's level 3 cannot elide them as a relabelling
        AutoRebase({OpType.CX, OpType.Rz, OpType.Rx}),
    ]).apply(unit)
    routed = unit.circuit
    if not ConnectivityPredicate(architecture).verify(routed):
        raise ValueError(f"pytket: {circuit.name} is not routed on {device}")
    # Every device qubit a wire (node i is qubit i), so the OpenQASM register is the device.
    present = set(routed.qubits)
    for q in range(target.num_qubits):
        if Node(q) not in present:
            routed.add_qubit(Node(q))
    if any(q.reg_name != "node" for q in routed.qubits):
        raise ValueError(f"pytket: {circuit.name} has unplaced qubits on {device}")
    physical = qasm2.loads(circuit_to_qasm_str(routed, maxwidth=1024),
                           custom_instructions=qasm2.LEGACY_CUSTOM_INSTRUCTIONS)
    compiled = transpile(physical, target=target, optimization_level=3,
                         layout_method="trivial", routing_method="none", seed_transpiler=seed)
    layout = compiled.layout
    if layout is not None and (
            layout.initial_index_layout() != list(range(target.num_qubits))
            or layout.final_index_layout() != list(range(target.num_qubits))):
        raise ValueError(f"pytket: qiskit moved pytket's placement of {circuit.name}")
    check_runs(compiled, target, "pytket")
    return compiled


COMPILERS: dict[str, Compiler] = {"mapomatic": compile_mapomatic, "pytket": compile_pytket}
"""Each peer method's compiler."""
