"""Line circuits laid out along IBM's layer-fidelity chains and the device's cheapest paths.

A Target built from a calibration that names its layer-fidelity chains carries them
(``TargetWithChains``); the layout plugin tries every window of them, and the cheapest paths
a beam search finds, for circuits whose interaction graph is a line, and the cost decides.
"""

from __future__ import annotations

import copy
import dataclasses
import itertools
import pickle
import warnings

import numpy as np
import pytest
from qiskit import QuantumCircuit, transpile
from qiskit.converters import circuit_to_dag
from qiskit.transpiler import PassManager, Target

import qtargets
from qtargets import layout
from qtargets.build import TargetWithChains, layer_chains
from qtargets.layout import (
    DeviceModel,
    NoiseAwareLayout,
    TargetWithHistory,
    best_placement,
    chain_placements,
    circuit_load,
    embeddings,
    line_order,
    path_placements,
    with_history,
)
from small_circuits import ghz


def star(size: int) -> QuantumCircuit:
    circuit = QuantumCircuit(size)
    circuit.h(0)
    for q in range(1, size):
        circuit.cx(0, q)
    circuit.measure_all()
    return circuit


def runs_in(piece: tuple[int, ...], chains: tuple[tuple[int, ...], ...]) -> bool:
    """Whether ``piece`` is consecutive qubits of one of ``chains``, either way round."""
    text = "," + ",".join(map(str, piece)) + ","
    for chain in chains:
        for way in (chain, chain[::-1]):
            if text in "," + ",".join(map(str, way)) + ",":
                return True
    return False


def chosen(target: Target, circuit: QuantumCircuit, *, chains: bool = True,
           paths: bool = True) -> tuple[tuple[int, ...], float]:
    """The physical line NoiseAwareLayout ("dd": gates and readout) picks for ``circuit``, in
    the line's order, and its estimated cost."""
    out = PassManager([NoiseAwareLayout(target, idle="dd", seed=1, chains=chains,
                                        paths=paths)]).run(circuit)
    line = tuple(out.layout.initial_index_layout(filter_ancillas=True)[:circuit.num_qubits])
    device = DeviceModel.of(target)
    load = circuit_load(circuit_to_dag(circuit), device)
    placed = np.array([[line[load.qubits[r]] for r in load.paired()]], dtype=np.int64)
    return line, best_placement(load, device, placed, 0.0)[1]


@pytest.fixture(scope="module")
def torino() -> Target:
    return qtargets.load_target("ibm_torino")


# -- the Target carries the chains --------------------------------------------------------------


def test_an_ibm_target_carries_every_published_chain(torino: Target) -> None:
    published = [lf.qubits for lf in qtargets.load_calibration("ibm_torino").layer_fidelities
                 if lf.qubits is not None]
    assert isinstance(torino, TargetWithChains)
    assert len(published) == 97
    assert all(runs_in(chain, torino.layer_chains) for chain in published)
    # only the chains that are not runs of longer ones are kept
    assert len(torino.layer_chains) < len(published)
    assert not any(runs_in(c, tuple(o for o in torino.layer_chains if o is not c))
                   for c in torino.layer_chains)
    coupled = set(torino["cz"])
    for chain in torino.layer_chains:
        assert len(set(chain)) == len(chain) >= 2
        assert all((a, b) in coupled or (b, a) in coupled for a, b in itertools.pairwise(chain))


def test_a_target_without_chains_is_a_plain_target() -> None:
    assert type(qtargets.load_target("qpu.forte-1")) is Target


def test_the_chains_survive_pickling_copying_and_history(torino: Target) -> None:
    for other in (pickle.loads(pickle.dumps(torino)), copy.deepcopy(torino)):
        assert isinstance(other, TargetWithChains)
        assert other.layer_chains == torino.layer_chains
        assert other.num_qubits == torino.num_qubits
        assert other.operation_names == torino.operation_names
    yesterday = qtargets.load_target("ibm_torino", filter_faulty=False)
    robust = with_history(torino, [yesterday])
    again = pickle.loads(pickle.dumps(robust))
    for target in (robust, again):
        assert isinstance(target, TargetWithHistory)
        assert target.layer_chains == torino.layer_chains
        assert len(target.history) == 1
    assert with_history(Target(num_qubits=2), []).layer_chains == ()


def test_a_faulty_qubit_cuts_the_chains_through_it() -> None:
    cal = qtargets.load_calibration("ibm_torino")
    longest = next(lf.qubits for lf in reversed(cal.layer_fidelities) if lf.qubits)
    broken = longest[40]
    qubits = list(cal.qubits)
    qubits[broken] = dataclasses.replace(qubits[broken], operational=False)
    faulty = dataclasses.replace(cal, qubits=tuple(qubits))

    chains = qtargets.build_target(faulty).layer_chains
    assert all(broken not in chain for chain in chains)
    assert runs_in(longest[:40], chains)
    assert runs_in(longest[41:], chains)
    assert runs_in(longest, qtargets.build_target(faulty, filter_faulty=False).layer_chains)


def test_layer_chains_cuts_uncoupled_neighbours_and_drops_runs_of_longer_ones() -> None:
    chains = [(0, 1, 2, 3, 4), (3, 2, 1), None, (4, 1), (7, 8, 9, 5)]
    coupled = {(0, 1), (1, 2), (2, 3), (3, 4), (1, 4), (7, 8), (9, 5)}
    assert layer_chains(chains, coupled) == ((0, 1, 2, 3, 4), (4, 1), (7, 8), (9, 5))
    assert layer_chains(chains) == ((0, 1, 2, 3, 4), (7, 8, 9, 5), (4, 1))


# -- line circuits ------------------------------------------------------------------------------


def test_only_a_single_path_is_a_line(torino: Target) -> None:
    device = DeviceModel.of(torino)

    def order(circuit: QuantumCircuit) -> list[int] | None:
        return line_order(circuit_load(circuit_to_dag(circuit), device))

    backwards = QuantumCircuit(4)
    for a, b in ((2, 3), (0, 2), (1, 3)):
        backwards.cx(a, b)
    ring = ghz(5)
    ring.cx(4, 0)
    two_lines = QuantumCircuit(4)
    two_lines.cx(0, 1)
    two_lines.cx(2, 3)
    triangle_and_pair = QuantumCircuit(5)
    for a, b in ((0, 1), (1, 2), (2, 0), (3, 4)):
        triangle_and_pair.cx(a, b)
    assert order(ghz(6)) == [0, 1, 2, 3, 4, 5]
    assert order(backwards) == [0, 2, 3, 1]
    assert order(star(4)) is None
    assert order(ring) is None
    assert order(two_lines) is None
    assert order(triangle_and_pair) is None


def test_the_chain_windows_of_a_24_qubit_line_are_candidates(torino: Target) -> None:
    device = DeviceModel.of(torino)
    load = circuit_load(circuit_to_dag(ghz(24)), device)
    along = chain_placements(load, device, torino.layer_chains)
    lf_24 = next(lf.qubits for lf in qtargets.load_calibration("ibm_torino").layer_fidelities
                 if lf.num_qubits == 24)
    rows = {tuple(int(q) for q in row) for row in along}
    assert lf_24 in rows
    assert lf_24[::-1] in rows
    assert all(runs_in(row, torino.layer_chains) for row in rows)
    assert len(rows) == len(along) > 100
    assert not len(chain_placements(circuit_load(circuit_to_dag(star(5)), device), device,
                                     torino.layer_chains))


def test_a_window_on_a_dead_pair_is_left_out(torino: Target) -> None:
    device = DeviceModel.of(torino)
    load = circuit_load(circuit_to_dag(ghz(4)), device)
    chain = torino.layer_chains[0][:6]
    dead = dataclasses.replace(device, two_qubit=device.two_qubit.copy())
    dead.two_qubit[chain[2], chain[3]] = dead.two_qubit[chain[3], chain[2]] = np.inf
    assert len(chain_placements(load, device, [chain])) == 6  # 3 windows, both ways
    assert len(chain_placements(load, dead, [chain])) == 0


def test_the_plugin_costs_no_more_with_chains_on_torino(torino: Target) -> None:
    line, cost = chosen(torino, ghz(24))
    _, vf2_cost = chosen(torino, ghz(24), chains=False, paths=False)
    assert cost <= vf2_cost
    assert all((a, b) in torino["cz"] or (b, a) in torino["cz"]
               for a, b in itertools.pairwise(line))


def test_a_chain_window_can_win() -> None:
    # On ibm_miami (a square lattice) VF2's first 5,000 placements of a 20-qubit line stay
    # round the best qubits; a window of one of IBM's chains costs 0.05 nats (-ln ESP, 13 %)
    # less: 0.339 against 0.388.
    miami = qtargets.load_target("ibm_miami")
    line, cost = chosen(miami, ghz(20), paths=False)
    vf2_line, vf2_cost = chosen(miami, ghz(20), chains=False, paths=False)
    assert runs_in(line, miami.layer_chains)
    assert not runs_in(vf2_line, miami.layer_chains)
    assert cost < vf2_cost - 0.04
    assert (vf2_cost - cost) / vf2_cost > 0.1


def test_the_cheapest_paths_beat_vf2_and_the_chains() -> None:
    miami = qtargets.load_target("ibm_miami")
    line, cost = chosen(miami, ghz(24))
    _, chain_cost = chosen(miami, ghz(24), paths=False)
    _, vf2_cost = chosen(miami, ghz(24), chains=False, paths=False)
    assert cost < min(vf2_cost, chain_cost) - 0.05  # about 0.46 against 0.38
    device = DeviceModel.of(miami)
    assert len(set(line)) == 24
    assert all(np.isfinite(device.two_qubit[a, b]) for a, b in itertools.pairwise(line))


def test_the_beam_search_is_no_worse_than_vf2() -> None:
    # (its cost, a few ms of a 50 ms compile, shows in benchmarks/bench_chains.py's times)
    fez = qtargets.load_target("ibm_fez")  # 156 qubits
    device = DeviceModel.of(fez)
    load = circuit_load(circuit_to_dag(ghz(24)), device)
    paths = path_placements(load, device, 0.0)
    vf2 = embeddings(load, device, limit=5_000, call_limit=2_000_000)
    assert len(paths) == 256
    assert best_placement(load, device, paths, 0.0)[1] <= best_placement(load, device, vf2,
                                                                          0.0)[1]
    with pytest.raises(qtargets.ConfigurationError, match="width"):
        path_placements(load, device, width=0)


def test_transpiled_line_scores_at_least_as_well(torino: Target) -> None:
    def compiled_score(method: str, sources: tuple[str, ...]) -> qtargets.Score:
        before = layout.LINE_PLACEMENTS
        layout.LINE_PLACEMENTS = sources
        try:
            out = transpile(ghz(24), target=torino, optimization_level=3,
                            layout_method=method, seed_transpiler=1)
        finally:
            layout.LINE_PLACEMENTS = before
        return qtargets.score(out, torino)

    assert (compiled_score("qtargets-dd", ("chains", "paths")).esp
            >= compiled_score("qtargets-dd", ()).esp)
    assert (compiled_score("qtargets", ("chains", "paths")).esp_idle
            >= compiled_score("qtargets", ()).esp_idle)


def test_a_non_line_circuit_is_unaffected(torino: Target) -> None:
    circuit = star(6)
    assert chosen(torino, circuit) == chosen(torino, circuit, chains=False, paths=False)


def test_targets_without_chains_get_no_chain_candidates() -> None:
    from qiskit_ibm_runtime.fake_provider import FakeSherbrooke  # noqa: PLC0415

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        fake = FakeSherbrooke().target
    assert not isinstance(fake, TargetWithChains)
    assert chosen(fake, ghz(12), paths=False) == chosen(fake, ghz(12), chains=False,
                                                        paths=False)
    forte = qtargets.load_target("qpu.forte-1")
    assert chosen(forte, ghz(8)) == chosen(forte, ghz(8), chains=False, paths=False)


def test_an_unknown_line_placement_setting_is_a_configuration_error(torino: Target) -> None:
    before = layout.LINE_PLACEMENTS
    layout.LINE_PLACEMENTS = ("chains", "rings")
    try:
        with pytest.raises(qtargets.ConfigurationError, match="LINE_PLACEMENTS"):
            transpile(ghz(3), target=torino, layout_method="qtargets")
    finally:
        layout.LINE_PLACEMENTS = before
