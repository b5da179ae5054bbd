"""routing_method="qtargets": a routing stage whose swaps weigh each pair's error and duration."""

from __future__ import annotations

import math
import statistics

import pytest
from qiskit import QuantumCircuit, transpile
from qiskit.circuit.library import quantum_volume
from qiskit.circuit.random import random_circuit
from qiskit.converters import circuit_to_dag, dag_to_circuit
from qiskit.dagcircuit import DAGCircuit
from qiskit.quantum_info import Operator
from qiskit.transpiler import (
    CouplingMap,
    InstructionProperties,
    PassManager,
    Target,
    TranspilerError,
)
from qiskit.transpiler.passes import (
    ApplyLayout,
    EnlargeWithAncilla,
    FullAncillaAllocation,
    SabreLayout,
    SabreSwap,
)
from qiskit.transpiler.passmanager_config import PassManagerConfig
from qiskit.transpiler.preset_passmanagers import generate_preset_pass_manager
from qiskit.transpiler.preset_passmanagers.plugin import list_stage_plugins

import qtargets
from outcomes import outcome_distribution
from qtargets.layout import clear_models
from qtargets.routing import DeviceCosts, NoiseAwareRouting, QTargetsRoutingPlugin, routed_cost
from routed import all_pairs_circuit, dead_pairs, mapped, pairs_used, ring_backend, same_unitary

SWAP_MARGIN = 1.10
"""On average over circuits, this stage's swaps stay within 10% of Sabre's (docs/routing.md)."""


def set_pair_error(target: Target, pair: tuple[int, int], error: float) -> None:
    for name in target.operation_names:
        for qargs in (pair, pair[::-1]):
            if qargs in target[name]:
                props = target[name][qargs]
                target.update_instruction_properties(
                    name, qargs, InstructionProperties(props.duration if props else None, error))
    clear_models()  # the target changed in place after its first use


def routed_swaps(circuit: QuantumCircuit, target: Target, **options: object) -> QuantumCircuit:
    """``circuit`` laid out and routed, not yet translated: its swaps are still swaps."""
    pm = generate_preset_pass_manager(target=target, **options)
    pm.translation = pm.optimization = pm.scheduling = None
    return pm.run(circuit)


def test_the_plugin_is_registered_as_a_routing_stage_in_each_idle_mode() -> None:
    assert {"qtargets", "qtargets-free", "qtargets-dd"} <= set(list_stage_plugins("routing"))


def test_dd_mode_charges_idling_nothing_and_everything_else_the_same() -> None:
    target = ring_backend(4).target
    costs = DeviceCosts.of(target)
    model = costs.model
    circuit = QuantumCircuit(4, 2)
    circuit.x(2)
    circuit.barrier()  # qubit 2 then idles through the five gates before its measurement
    for _ in range(5):
        circuit.cx(0, 1)
    circuit.measure([1, 2], [0, 1])
    dag = circuit_to_dag(circuit)
    gates = (5 * (model.two_qubit[0, 1] + model.one_qubit[0] + model.one_qubit[1])
             + model.one_qubit[2] + model.readout[1] + model.readout[2])
    assert routed_cost(dag, costs, idle_weight=0.0) == pytest.approx(gates)
    assert routed_cost(dag, costs) > gates
    assert NoiseAwareRouting(target, idle="dd").idle_weight == 0.0


def test_an_unknown_idle_mode_is_a_typed_error_naming_it() -> None:
    with pytest.raises(qtargets.QTargetsError, match="'sometimes'"):
        NoiseAwareRouting(ring_backend(4).target, idle="sometimes")


def test_dd_mode_keeps_qiskits_gates_where_free_mode_traded_them_for_idle() -> None:
    # On this circuit the free mode re-places qiskit's routing for less modelled idling at
    # 5% lower gate-and-readout ESP (0.643 against 0.677). Under DD idling is worth nothing:
    # the stage keeps qiskit's output. (MQT Bench's 10-qubit amplitude estimation, seed 2,
    # did the same at 0.82x: benchmarks/bench_routing.py.)
    target = qtargets.load_target("ibm_sherbrooke")
    circuit = random_circuit(8, 8, max_operands=2, seed=8)
    options = {"optimization_level": 3, "seed_transpiler": 1}
    theirs = transpile(circuit, target=target, **options)
    free = transpile(circuit, target=target, routing_method="qtargets-free", **options)
    dd = transpile(circuit, target=target, routing_method="qtargets-dd", **options)
    assert qtargets.score(free, target).esp < qtargets.score(theirs, target).esp
    assert qtargets.score(dd, target).esp >= qtargets.score(theirs, target).esp


@pytest.mark.parametrize("layout_method", [None, "sabre", "qtargets"])
@pytest.mark.parametrize("level", [0, 1, 2, 3])
def test_routed_output_runs_on_the_device_and_computes_the_same_unitary(
        level: int, layout_method: str | None) -> None:
    backend = ring_backend()
    circuit = all_pairs_circuit(5)  # no placement on a ring avoids swaps
    out = transpile(circuit, target=backend.target, routing_method="qtargets",
                    layout_method=layout_method, optimization_level=level, seed_transpiler=4)
    assert mapped(out, backend.target)
    assert out.layout is not None
    assert same_unitary(out, circuit)


def test_a_route_through_bad_pairs_is_avoided_where_sabre_takes_it() -> None:
    target = ring_backend(8).target
    circuit = QuantumCircuit(2)
    circuit.h(0)
    circuit.cx(0, 1)  # placed on opposite sides of the ring: two routes of equal length
    options = {"initial_layout": [0, 4], "seed_transpiler": 3, "optimization_level": 3}
    sabres = pairs_used(routed_swaps(circuit, target, routing_method="sabre", **options))
    for pair in sabres:
        set_pair_error(target, pair, 0.2)  # about 20x the others
    assert pairs_used(routed_swaps(circuit, target, routing_method="sabre", **options)) == sabres
    ours = routed_swaps(circuit, target, routing_method="qtargets", **options)
    assert not pairs_used(ours) & sabres
    assert ours.count_ops()["swap"] == 3  # the other way round is no longer


def test_dead_couplers_are_never_used_when_a_live_route_exists() -> None:
    target = qtargets.load_target("ibm_fez")
    dead = dead_pairs(target)
    assert dead  # the real snapshot has broken couplers
    circuit = random_circuit(16, 12, max_operands=2, seed=7, measure=True)
    options = {"layout_method": "sabre", "optimization_level": 3, "seed_transpiler": 1}
    # on Sabre's layout, Sabre's own routing takes a dead pair (its esp is exactly 0)
    theirs = transpile(circuit, target=target, **options)
    assert pairs_used(theirs) & dead
    ours = transpile(circuit, target=target, routing_method="qtargets", **options)
    assert mapped(ours, target)
    assert not pairs_used(ours) & dead
    assert qtargets.score(ours, target).esp > 0.0


def test_a_dead_pair_makes_a_route_infinitely_costly() -> None:
    target = ring_backend(4).target
    set_pair_error(target, (1, 2), 1.0)
    costs = DeviceCosts.of(target)
    circuit = QuantumCircuit(4)
    circuit.cx(0, 1)
    assert routed_cost(circuit_to_dag(circuit), costs) < float("inf")
    circuit.swap(1, 2)
    assert routed_cost(circuit_to_dag(circuit), costs) == float("inf")


def test_a_swap_costs_three_native_gates() -> None:
    target = ring_backend(4).target
    costs = DeviceCosts.of(target)
    one, three = QuantumCircuit(4), QuantumCircuit(4)
    one.cx(0, 1)
    three.swap(0, 1)
    model = costs.model
    sides = model.one_qubit[0] + model.one_qubit[1]
    assert routed_cost(circuit_to_dag(one), costs) == pytest.approx(model.two_qubit[0, 1] + sides)
    assert routed_cost(circuit_to_dag(three), costs) == pytest.approx(
        3 * (model.two_qubit[0, 1] + sides))


def test_a_swap_beside_a_gate_on_the_same_pair_merges_with_it() -> None:
    target = ring_backend(4).target
    costs = DeviceCosts.of(target)
    lone, merged = QuantumCircuit(4), QuantumCircuit(4)
    lone.swap(0, 1)
    merged.swap(0, 1)
    merged.unitary(Operator(QuantumCircuit(2)), [0, 1])  # any two-qubit block: <= 3 natives
    assert routed_cost(circuit_to_dag(merged), costs) == pytest.approx(
        routed_cost(circuit_to_dag(lone), costs))
    set_pair_error(target, (0, 1), 1.0)
    assert routed_cost(circuit_to_dag(merged), DeviceCosts.of(target)) == float("inf")


def test_a_fully_connected_device_is_left_alone() -> None:
    target = qtargets.load_target("qpu.forte-1")
    circuit = all_pairs_circuit(6)
    dag = circuit_to_dag(transpile(circuit, target=target, layout_method="trivial",
                                   routing_method="none", optimization_level=0))
    assert NoiseAwareRouting(target).run(dag) is dag
    out = transpile(circuit, target=target, routing_method="qtargets", seed_transpiler=1)
    assert "swap" not in routed_swaps(circuit, target, routing_method="qtargets").count_ops()
    assert mapped(out, target)


def test_swaps_stay_within_the_documented_margin_of_sabre_on_average() -> None:
    target = qtargets.load_target("ibm_sherbrooke")
    ours, theirs = [], []
    for seed in range(4):
        circuit = random_circuit(10, 8, max_operands=2, seed=seed)
        for method, found in (("qtargets", ours), ("sabre", theirs)):
            routed = routed_swaps(circuit, target, routing_method=method, layout_method="sabre",
                                  optimization_level=3, seed_transpiler=seed)
            found.append(routed.count_ops().get("swap", 0))
    assert statistics.fmean(ours) <= SWAP_MARGIN * statistics.fmean(theirs)


@pytest.mark.parametrize(("device", "seed"), [("ibm_sherbrooke", 0), ("ibm_sherbrooke", 2),
                                           ("ibm_sherbrooke", 1), ("ibm_sherbrooke", 4)])
def test_it_never_routes_with_more_swaps_than_sabres_own_run(device: str, seed: int) -> None:
    # the stage's first candidate is SabreSwap with qiskit's seed, heuristic and trials; a
    # candidate with more swaps may replace it only where it crosses a dead coupler, and any
    # candidate must be estimated 1% better. (sherbrooke, seed 0 used to take 70 swaps over
    # Sabre's 59 for a 0.5% better estimate.)
    target = qtargets.load_target(device)
    circuit = random_circuit(12, 10, max_operands=2, seed=seed)
    laid_out = PassManager([SabreLayout(target, seed=seed, skip_routing=True),
                            FullAncillaAllocation(target), EnlargeWithAncilla(),
                            ApplyLayout()]).run(circuit)
    sabre = SabreSwap(target, heuristic="decay", seed=seed, trials=20).run(
        circuit_to_dag(laid_out))
    ours = NoiseAwareRouting(target, seed=seed, seeds=2, trials=20).run(
        circuit_to_dag(laid_out))
    assert not pairs_used(dag_to_circuit(sabre)) & dead_pairs(target)
    assert ours.count_ops().get("swap", 0) <= sabre.count_ops().get("swap", 0)


def mirror_of_quantum_volume(width: int) -> QuantumCircuit:
    body = quantum_volume(width, seed=7)
    circuit = body.copy()
    circuit.barrier()
    circuit.compose(body.inverse(), inplace=True)
    circuit.measure_all()
    return circuit


@pytest.mark.parametrize("level", [1, 2, 3])
@pytest.mark.parametrize("layout_method", [None, "sabre"])
def test_after_qiskits_sabre_layout_it_never_takes_more_swaps_than_qiskits_default(
        level: int, layout_method: str | None) -> None:
    # qiskit's Sabre layout stage routes while choosing the layout and keeps the layout whose
    # routing took fewest swaps; named another routing stage, it throws that routing away.
    # Routing the same layout again took 20 swaps where qiskit's default takes 18 (this
    # circuit, sherbrooke, seed 1): the stage now reruns that layout stage for its bar.
    target = qtargets.load_target("ibm_sherbrooke")
    circuit = mirror_of_quantum_volume(6)
    for seed in (1, 2):
        options = {"optimization_level": level, "seed_transpiler": seed,
                   "layout_method": layout_method}
        theirs = routed_swaps(circuit, target, **options).count_ops().get("swap", 0)
        ours = routed_swaps(circuit, target, routing_method="qtargets", **options)
        assert theirs > 0
        assert ours.count_ops().get("swap", 0) <= theirs


def test_where_nothing_beats_qiskits_own_routing_the_output_is_qiskits() -> None:
    target = qtargets.load_target("ibm_sherbrooke")
    circuit = mirror_of_quantum_volume(6)
    theirs = routed_swaps(circuit, target, optimization_level=3, seed_transpiler=1)
    ours = routed_swaps(circuit, target, optimization_level=3, seed_transpiler=1,
                        routing_method="qtargets")
    assert ours == theirs
    assert (ours.layout.initial_index_layout(filter_ancillas=True)
            == theirs.layout.initial_index_layout(filter_ancillas=True))
    assert ours.layout.routing_permutation() == theirs.layout.routing_permutation()


def passes(task: object) -> list[object]:
    """Every pass under ``task``, through nested flow controllers."""
    inner = getattr(task, "tasks", None)
    return [task] if inner is None else [p for t in inner for p in passes(t)]


def rebuilt(dag: DAGCircuit) -> DAGCircuit:
    """``dag`` added op by op in topological order: the same circuit, other node ids."""
    out = dag.copy_empty_like()
    for node in dag.topological_op_nodes():
        out.apply_operation_back(node.op, node.qargs, node.cargs, check=False)
    return out


JOINT = NoiseAwareRouting._joint


def rerun_layouts(monkeypatch: pytest.MonkeyPatch, *, rebuild: bool = False) -> list[bool]:
    """Whether each rerun of the layout stage found its layout (rebuilding what it reruns)."""
    found: list[bool] = []
    joint = JOINT

    def spy(self: NoiseAwareRouting, dag: DAGCircuit, laid_out: DAGCircuit | None) -> object:
        if rebuild and laid_out is not None:
            laid_out = rebuilt(laid_out)
        result = joint(self, dag, laid_out)
        found.append(result is not None and result[2])
        return result

    monkeypatch.setattr(NoiseAwareRouting, "_joint", spy)
    return found


@pytest.mark.parametrize(("device", "shape", "seed"), [("ibm_fez", (8, 10, 3), 21),
                                                    ("ibm_torino", (10, 12, 2), 2)])
def test_the_rerun_finds_the_layout_stages_layout_where_a_rebuilt_circuit_did_not(
        monkeypatch: pytest.MonkeyPatch, device: str, shape: tuple[int, int, int],
        seed: int) -> None:
    # Sabre depends on the order and node ids of the circuit's operations, not just on the
    # circuit: rerun on the same circuit rebuilt op by op, it finds another layout here.
    target = qtargets.load_target(device)
    width, depth, operands = shape
    circuit = random_circuit(width, depth, max_operands=operands, seed=seed, measure=True)
    for rebuild, expected in ((True, [False]), (False, [True])):
        found = rerun_layouts(monkeypatch, rebuild=rebuild)
        transpile(circuit, target=target, routing_method="qtargets", optimization_level=3,
                  seed_transpiler=seed)
        assert found == expected


def test_where_the_rerun_finds_another_layout_its_routing_still_competes_correctly(
        monkeypatch: pytest.MonkeyPatch) -> None:
    # Rebuilt op by op, the layout stage's circuit makes SabreLayout find another layout
    # (as a qiskit that builds its circuits otherwise could). Its routing competes (the
    # layout is not fixed) and whatever wins computes the circuit.
    joint = JOINT
    found = rerun_layouts(monkeypatch, rebuild=True)
    target = qtargets.load_target("ibm_fez")
    circuit = random_circuit(8, 10, max_operands=3, seed=21, measure=True)
    out = transpile(circuit, target=target, routing_method="qtargets", optimization_level=3,
                    seed_transpiler=21)
    assert found == [False]
    want = outcome_distribution(circuit)
    # ... and where it wins (every other candidate made to cost infinitely), its layout too
    reruns: list[DAGCircuit] = []

    def rerun(self: NoiseAwareRouting, dag: DAGCircuit, laid_out: DAGCircuit | None) -> object:
        result = joint(self, dag, None if laid_out is None else rebuilt(laid_out))
        if result is not None:
            reruns.append(result[0])
        return result

    def cost(self: NoiseAwareRouting, routed: DAGCircuit, costs: object) -> tuple[float, None]:
        return (0.0 if any(routed is r for r in reruns) else math.inf), None

    monkeypatch.setattr(NoiseAwareRouting, "_joint", rerun)
    monkeypatch.setattr(NoiseAwareRouting, "_placed", cost)
    won = transpile(circuit, target=target, routing_method="qtargets", optimization_level=3,
                    seed_transpiler=21)
    assert len(reruns) == 1
    measured = {circuit.find_bit(i.clbits[0]).index: circuit.find_bit(i.qubits[0]).index
                for i in circuit.data if i.operation.name == "measure"}
    for compiled in (out, won):
        assert mapped(compiled, target)
        where = compiled.layout.final_index_layout()  # virtual qubit -> physical, at the end
        assert {compiled.find_bit(i.clbits[0]).index: compiled.find_bit(i.qubits[0]).index
                for i in compiled.data if i.operation.name == "measure"} == {
                    c: where[v] for c, v in measured.items()}
        got = outcome_distribution(compiled)
        assert set(got) == set(want)
        assert all(got[k] == pytest.approx(want[k], abs=1e-9) for k in want)


@pytest.mark.parametrize(("options", "expected"), [
    ({}, (4, 20)),
    ({"layout_method": "sabre"}, (4, 20)),
    ({"layout_method": "dense"}, None),
    ({"layout_method": "qtargets"}, None),
    ({"initial_layout": [0, 1, 2]}, None),
])
def test_qiskits_layout_routing_is_rerun_only_where_its_sabre_layout_chose(
        options: dict[str, object], expected: tuple[int, int] | None) -> None:
    config = PassManagerConfig(target=qtargets.load_target("ibm_torino"), seed_transpiler=1,
                               **options)
    routing = QTargetsRoutingPlugin().pass_manager(config, optimization_level=3)
    tasks = passes(routing.to_flow_controller())
    found = [task for task in tasks if isinstance(task, NoiseAwareRouting)]
    assert len(found) == 1
    assert found[0].sabre_layout == expected
    # the circuit it reruns on is kept only where there is a rerun
    assert any(type(task).__name__ == "_KeepLaidOut" for task in tasks) == (expected is not None)


def test_the_same_seed_gives_the_same_circuit() -> None:
    target = qtargets.load_target("ibm_torino")
    circuit = random_circuit(10, 6, max_operands=2, seed=2, measure=True)
    first, second = (transpile(circuit, target=target, routing_method="qtargets",
                               seed_transpiler=5) for _ in range(2))
    assert first == second


def test_a_given_initial_layout_is_kept() -> None:
    backend = ring_backend()
    circuit = all_pairs_circuit(4)
    out = transpile(circuit, target=backend.target, routing_method="qtargets",
                    initial_layout=[3, 4, 5, 6], seed_transpiler=1, optimization_level=3)
    assert out.layout.initial_index_layout(filter_ancillas=True) == [3, 4, 5, 6]
    assert same_unitary(out, circuit)


def test_a_pass_manager_config_without_a_target_is_refused_clearly() -> None:
    config = PassManagerConfig(coupling_map=CouplingMap.from_line(3))
    with pytest.raises(TranspilerError, match="needs a Target"):
        QTargetsRoutingPlugin().pass_manager(config, optimization_level=1)
