"""``qtargets.graphs.to_networkx``: a device as a graph, from a Calibration or a Target."""

from __future__ import annotations

import math
from dataclasses import replace
from typing import Any

import networkx as nx
import pytest
from qiskit.transpiler import Target

import qtargets
from qtargets import Calibration, GateCalibration, InstructionCalibration
from qtargets.graphs import to_networkx
from test_summary import bare_calibration, small_calibration


@pytest.fixture(scope="module")
def fez() -> Calibration:
    return qtargets.load_calibration("ibm_fez")


@pytest.fixture(scope="module")
def fez_target() -> Target:
    return qtargets.load_target("ibm_fez")


def without_faults(data: dict[str, Any]) -> dict[str, Any]:
    """What a Target's graph has of a Calibration's: no faults, no coupler numbers."""
    return {k: v for k, v in data.items() if k not in ("operational", "coupling", "static_zz")}


def with_fractional_rzz(cal: Calibration, *, error_factor: float = 0.5,
                        extra: tuple[int, int] | None = None) -> Calibration:
    """``cal`` with IBM's fractional ``rzz`` on every cz pair, better than cz on paper."""
    qargs = [GateCalibration(g.qubits, g.error * error_factor if g.error is not None else None,
                             5e-8)
             for g in cal.instruction("cz").qargs or ()]
    if extra is not None:
        qargs.append(GateCalibration(extra, 1e-3, 5e-8))
    rzz = InstructionCalibration("rzz", "gate", 2, parameters=("theta",), fractional=True,
                                 angle_bounds=((0.0, math.pi / 2),), qargs=tuple(qargs))
    return replace(cal, instructions=(*cal.instructions, rzz))


# -- shape ---------------------------------------------------------------------------------


def test_every_qubit_is_a_node_and_every_calibrated_direction_an_edge(fez: Calibration) -> None:
    graph = to_networkx(fez)
    assert isinstance(graph, nx.DiGraph)
    assert sorted(graph.nodes) == list(range(156))
    assert set(graph.edges) == {g.qubits for g in fez.instruction("cz").qargs or ()}
    assert graph.number_of_edges() == 352


def test_symmetric_gate_gives_both_directions(fez: Calibration) -> None:
    graph = to_networkx(fez)
    assert all(graph.has_edge(b, a) for a, b in graph.edges)


def test_directed_gate_gives_only_the_directions_it_runs_in() -> None:
    cal = qtargets.load_calibration("ibm_sherbrooke")
    graph = to_networkx(cal)
    ecr = {g.qubits for g in cal.instruction("ecr").qargs or ()}
    assert set(graph.edges) == ecr
    assert not any(graph.has_edge(b, a) for a, b in graph.edges)
    assert graph.graph["two_qubit_gate"] == "ecr"


def test_all_to_all_device_has_every_pair_both_ways() -> None:
    graph = to_networkx(qtargets.load_calibration("qpu.forte-1"))
    assert graph.number_of_nodes() == 36
    assert graph.number_of_edges() == 2 * 630
    assert to_networkx(qtargets.load_calibration("qpu.forte-1"), undirected=True
                       ).number_of_edges() == 630


def test_qubit_without_a_two_qubit_gate_is_still_a_node() -> None:
    cal = small_calibration()
    cz = cal.instruction("cz")
    only_0_1 = replace(cz, qargs=tuple(g for g in cz.qargs or () if 3 not in g.qubits))
    cal = replace(cal, instructions=tuple(only_0_1 if i.name == "cz" else i
                                          for i in cal.instructions))
    graph = to_networkx(cal)
    assert 3 in graph.nodes
    assert graph.degree(3) == 0


# -- numbers -------------------------------------------------------------------------------


def test_edge_error_and_duration_are_the_targets(fez_target: Target) -> None:
    graph = to_networkx(fez_target)
    for (a, b), props in fez_target["cz"].items():
        edge = graph.edges[a, b]
        assert edge["gate"] == "cz"
        assert edge["error"] == props.error
        assert edge["duration"] == props.duration
        assert edge["gate_errors"] == {"cz": props.error}
        assert edge["gate_durations"] == {"cz": props.duration}


def test_node_numbers_are_the_targets(fez_target: Target) -> None:
    graph = to_networkx(fez_target)
    for q in range(fez_target.num_qubits):
        node = graph.nodes[q]
        props = fez_target.qubit_properties[q]
        assert (node["t1"], node["t2"], node["frequency"]) == (props.t1, props.t2,
                                                               props.frequency)
        assert node["readout_error"] == fez_target["measure"][(q,)].error
        assert node["readout_duration"] == fez_target["measure"][(q,)].duration
        assert node["single_qubit_error"] == fez_target["sx"][(q,)].error
        assert node["gate_errors"] == {name: fez_target[name][(q,)].error
                                       for name in ("id", "rz", "sx", "x")}


def test_node_numbers_are_in_si_units(fez: Calibration) -> None:
    node = to_networkx(fez).nodes[4]
    assert node["t1"] == fez.qubits[4].t1
    assert 50e-6 < node["t1"] < 1e-3  # seconds, not microseconds
    assert node["readout_duration"] == pytest.approx(1.56e-6)
    assert to_networkx(fez).edges[72, 73]["duration"] == pytest.approx(84e-9)


@pytest.mark.parametrize("name", ["ibm_fez", "ibm_sherbrooke", "qpu.forte-1"])
def test_calibration_and_its_target_give_the_same_numbers(name: str) -> None:
    from_cal = to_networkx(qtargets.load_calibration(name))
    from_target = to_networkx(qtargets.load_target(name))
    assert dict(from_target.nodes(data=True)) == {
        q: without_faults(d) for q, d in from_cal.nodes(data=True)}
    assert {(a, b): d for a, b, d in from_target.edges(data=True)} == {
        (a, b): without_faults(d) for a, b, d in from_cal.edges(data=True)}
    assert from_target.graph["single_qubit_gate"] == from_cal.graph["single_qubit_gate"]
    assert from_target.graph["two_qubit_gate"] == from_cal.graph["two_qubit_gate"]


def test_unknown_numbers_are_none() -> None:
    graph = to_networkx(bare_calibration())
    node = graph.nodes[0]
    for key in ("t1", "t2", "frequency", "readout_error", "readout_duration",
                "single_qubit_error"):
        assert node[key] is None
    assert graph.edges[0, 1]["error"] is None
    assert graph.edges[0, 1]["duration"] is None
    assert graph.graph["taken_at"] is None


def test_readout_falls_back_to_the_measure_instruction() -> None:
    cal = small_calibration()
    qubits = (replace(cal.qubits[0], readout_error=None), *cal.qubits[1:])
    graph = to_networkx(replace(cal, qubits=qubits))
    assert graph.nodes[0]["readout_error"] == 0.02  # the measure entry
    assert graph.nodes[0]["readout_duration"] == pytest.approx(1e-6)


# -- main gates ----------------------------------------------------------------------------


def test_single_qubit_error_is_the_pi_half_pulse_not_the_virtual_rz(fez: Calibration) -> None:
    graph = to_networkx(fez)
    assert graph.graph["single_qubit_gate"] == "sx"
    node = graph.nodes[0]
    assert node["single_qubit_error"] == fez.instruction("sx").qargs[0].error  # type: ignore[index]
    assert node["gate_errors"]["rz"] == 0.0
    assert set(node["gate_errors"]) == {"id", "rz", "sx", "x"}


def test_ionq_single_qubit_gate_is_gpi2() -> None:
    graph = to_networkx(qtargets.load_calibration("qpu.aria-1"))
    assert graph.graph["single_qubit_gate"] == "gpi2"
    assert graph.graph["two_qubit_gate"] == "ms"


def test_main_entangling_gate_is_the_non_fractional_one(fez: Calibration) -> None:
    cal = with_fractional_rzz(fez)
    for source in (cal, qtargets.build_target(cal)):
        graph = to_networkx(source)
        assert graph.graph["two_qubit_gate"] == "cz"
        edge = graph.edges[72, 73]
        cz = next(g for g in fez.instruction("cz").qargs or () if g.qubits == (72, 73))
        assert (edge["gate"], edge["error"], edge["duration"]) == ("cz", cz.error, cz.duration)
        assert edge["gate_errors"] == {"cz": cz.error, "rzz": cz.error * 0.5}  # type: ignore[operator]
        assert edge["gate_durations"]["rzz"] == 5e-8


def test_pair_with_only_a_secondary_gate_takes_its_numbers_and_names_it(
        fez: Calibration) -> None:
    graph = to_networkx(with_fractional_rzz(fez, extra=(0, 155)))
    edge = graph.edges[0, 155]
    assert (edge["gate"], edge["error"]) == ("rzz", 1e-3)
    assert graph.graph["two_qubit_gate"] == "cz"


def test_most_widely_calibrated_gate_is_main_among_equals() -> None:
    graph = to_networkx(small_calibration())  # cz on 5 directions, cx on 2
    assert graph.graph["two_qubit_gate"] == "cz"
    assert graph.edges[1, 0]["gate"] == "cz"
    assert graph.edges[1, 0]["error"] == 0.02
    assert graph.edges[1, 0]["gate_errors"] == {"cz": 0.02, "cx": 0.005}


# -- faults and direction merging ----------------------------------------------------------


def test_faulty_qubits_and_gates_stay_in_with_operational_false() -> None:
    graph = to_networkx(small_calibration())
    assert graph.nodes[3]["operational"] is False
    assert graph.nodes[0]["operational"] is True
    assert graph.edges[2, 1]["operational"] is False  # marked non-operational
    assert graph.edges[2, 3]["operational"] is False  # touches faulty qubit 3
    assert graph.edges[2, 3]["error"] == 0.001  # its numbers kept as reported
    assert graph.edges[0, 1]["operational"] is True


def test_target_graph_records_no_faults_or_provenance(fez_target: Target) -> None:
    graph = to_networkx(fez_target)
    assert "operational" not in graph.nodes[0]
    assert "operational" not in graph.edges[72, 73]
    assert graph.graph["backend_name"] is None
    assert graph.graph["taken_at"] is None
    assert graph.graph["description"] == "ibm ibm_fez"
    assert graph.graph["num_qubits"] == 156


def test_graph_attributes_name_the_device(fez: Calibration) -> None:
    attrs = to_networkx(fez).graph
    assert attrs["backend_name"] == "ibm_fez"
    assert attrs["vendor"] == "ibm"
    assert attrs["processor"] == "Heron r2"
    assert attrs["taken_at"] == fez.taken_at
    assert attrs["num_qubits"] == 156
    assert to_networkx(fez, undirected=True).graph == attrs


def test_undirected_keeps_the_lower_error_direction() -> None:
    graph = to_networkx(small_calibration(), undirected=True)
    assert isinstance(graph, nx.Graph)
    assert not graph.is_directed()
    edge = graph.edges[0, 1]
    assert (edge["qubits"], edge["error"]) == ((0, 1), 0.01)  # cz (0,1) 0.01 beats (1,0) 0.02


def test_undirected_prefers_an_operational_direction_over_a_lower_error() -> None:
    edge = to_networkx(small_calibration(), undirected=True).edges[1, 2]
    # cz (2,1) is 0.03 but non-operational; (1,2) runs, though uncalibrated (error = 1)
    assert (edge["qubits"], edge["error"], edge["operational"]) == ((1, 2), 1.0, True)


def test_undirected_directed_device_keeps_the_one_direction() -> None:
    cal = qtargets.load_calibration("ibm_sherbrooke")
    graph = to_networkx(cal, undirected=True)
    ecr = {g.qubits: g.error for g in cal.instruction("ecr").qargs or ()}
    assert graph.number_of_edges() == len(ecr) == 144
    for a, b, data in graph.edges(data=True):
        assert ecr[data["qubits"]] == data["error"]
        assert {a, b} == set(data["qubits"])


def test_undirected_nodes_are_the_directed_ones(fez: Calibration) -> None:
    assert dict(to_networkx(fez, undirected=True).nodes(data=True)) == dict(
        to_networkx(fez).nodes(data=True))


def test_anything_else_is_a_type_error() -> None:
    with pytest.raises(TypeError, match="Calibration or a qiskit Target"):
        to_networkx("ibm_fez")  # type: ignore[arg-type]
