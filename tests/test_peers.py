"""The peer compile methods of benchmarks/bench_simulate.py (issue 15): mapomatic and pytket.

Each peer, where installed, must compile a mirror circuit to one that runs on the device
(every operation on qubits the Target has it on) and still ideally returns every qubit to
zero; mapomatic must score layouts with its own default formula, fed from the Target.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from qiskit import QuantumCircuit
from qiskit.quantum_info import Statevector

import qtargets

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
import _peers
import _simcheck

from small_circuits import ghz, qft

pytestmark = pytest.mark.filterwarnings("ignore::qtargets.QTargetsWarning")


@pytest.fixture(scope="module")
def fez() -> qtargets.Target:
    return qtargets.load_target("ibm_fez")


def needs(method: str) -> None:
    if not _peers.available(method):
        pytest.skip(f"{_peers.PACKAGES[method]} is not installed")


def ideal_zeros(compiled: QuantumCircuit, target: qtargets.Target, width: int) -> float:
    """P(every bit reads 0) of ``compiled`` without noise, on its active qubits."""
    reduced = _simcheck.reduce(compiled, target, idle=False).circuit
    measured = [reduced.find_bit(inst.qubits[0]).index for inst in reduced.data
                if inst.operation.name == "measure"]
    assert len(set(measured)) == len(measured) == width
    body = reduced.remove_final_measurements(inplace=False)
    return float(Statevector(body).probabilities(measured)[0])


@pytest.mark.parametrize("method", sorted(_peers.COMPILERS))
@pytest.mark.parametrize("circuit", [ghz(5), qft(4)], ids=lambda c: c.name)
def test_a_peer_compiles_a_mirror_circuit_that_runs_on_fez_and_returns_to_zero(
        fez: qtargets.Target, method: str, circuit: QuantumCircuit) -> None:
    needs(method)
    compiled = _peers.COMPILERS[method](_simcheck.mirror(circuit), fez, 1, "ibm_fez")
    coupled = set(fez.build_coupling_map().get_edges())
    two_qubit = [tuple(compiled.find_bit(q).index for q in inst.qubits)
                 for inst in compiled.data
                 if len(inst.qubits) == 2 and inst.operation.name != "barrier"]
    assert two_qubit
    assert all(pair in coupled for pair in two_qubit)
    assert set(compiled.count_ops()) <= {*fez.operation_names, "barrier"}
    assert ideal_zeros(compiled, fez, circuit.num_qubits) == pytest.approx(1)


def test_pytket_respects_a_one_way_coupler_and_avoids_a_cut_off_island() -> None:
    """ibm_sherbrooke (2025-02-26): ``ecr`` runs one way only, and dead couplers cut qubits
    7 and 8 off the rest, which TKET's placement cannot take (it needs a connected
    architecture): the peer places on the largest connected part."""
    needs("pytket")
    from pytket.circuit import Node  # noqa: PLC0415 (optional)

    sherbrooke = qtargets.load_target("ibm_sherbrooke")
    architecture = _peers._connected("ibm_sherbrooke")[0]
    assert Node(7) not in architecture.nodes
    assert Node(0) in architecture.nodes
    compiled = _peers.compile_pytket(_simcheck.mirror(ghz(5)), sherbrooke, 1,
                                     "ibm_sherbrooke")
    assert compiled.count_ops()["ecr"] >= 8  # 4 CNOTs each half, each on an ecr direction
    assert ideal_zeros(compiled, sherbrooke, 5) == pytest.approx(1)


def test_a_circuit_off_the_coupling_map_does_not_run(fez: qtargets.Target) -> None:
    circuit = QuantumCircuit(fez.num_qubits)
    circuit.cz(0, 2)  # not a coupled pair on Heron
    with pytest.raises(ValueError, match=r"cz on \(0, 2\) does not run"):
        _peers.check_runs(circuit, fez, "test")


def test_mapomatic_cost_is_its_default_formula_fed_from_the_target(
        fez: qtargets.Target) -> None:
    """``1 - prod(1 - error)`` over two-qubit gates, ``sx``, ``x`` and measurements; ``rz``
    and barriers free."""
    small = QuantumCircuit(2, 2)
    small.sx(0)
    small.rz(0.3, 0)
    small.x(1)
    small.cz(0, 1)
    small.barrier()
    small.measure([0, 1], [0, 1])
    layout = [3, 4]
    expected = 1 - ((1 - fez["sx"][(3,)].error) * (1 - fez["x"][(4,)].error)
                    * (1 - fez["cz"][(3, 4)].error) * (1 - fez["measure"][(3,)].error)
                    * (1 - fez["measure"][(4,)].error))
    [(got_layout, cost)] = _peers._mapomatic_cost(small, [layout],
                                                  _peers._BackendV1Adapter(fez))
    assert got_layout == layout
    assert cost == pytest.approx(expected, rel=1e-12)
    assert 0 < cost < 0.1


@pytest.mark.filterwarnings("ignore::DeprecationWarning")  # mapomatic 0.14 on qiskit 2
def test_mapomatic_picks_the_lowest_cost_embedding(fez: qtargets.Target) -> None:
    needs("mapomatic")
    import mapomatic as mm  # noqa: PLC0415 (optional)

    compiled = _peers.compile_mapomatic(_simcheck.mirror(ghz(5)), fez, 1, "ibm_fez")
    small = mm.deflate_circuit(compiled)
    used = list(_simcheck.active_qubits(compiled))
    adapter = _peers._BackendV1Adapter(fez)
    best = _peers._mapomatic_cost(small, [used], adapter)[0][1]
    others = mm.matching_layouts(small, fez.build_coupling_map())[:200]
    assert all(best <= cost + 1e-12
               for _, cost in _peers._mapomatic_cost(small, others, adapter))


def test_an_active_qubit_left_unmeasured_is_traced_out(fez: qtargets.Target) -> None:
    """pytket's routing can move a logical qubit off a wire it worked on, leaving that wire
    active but unmeasured: success is then P(every bit read is 0), the wire traced out."""
    pytest.importorskip("qiskit_aer")
    circuit = QuantumCircuit(fez.num_qubits, 1)
    circuit.x(0)          # active, left in |1>, never measured
    circuit.measure(1, 0)
    reduced = _simcheck.reduce(circuit, fez, idle=False)
    assert reduced.physical == (0, 1)
    assert _simcheck.success(reduced) == pytest.approx(_simcheck.reads_zero(fez, 1)[0])
