"""qtargets.score: ESP, ESP with idle decoherence, duration and hotspots of transpiled circuits."""

from __future__ import annotations

import decimal
import math
from decimal import Decimal

import pytest
from qiskit import QuantumCircuit, transpile
from qiskit.circuit import Parameter
from qiskit.circuit.library import CXGate, Measure, RZGate, SXGate, XGate
from qiskit.synthesis.qft import synth_qft_full
from qiskit.transpiler import InstructionProperties, PassManager, QubitProperties, Target
from qiskit.transpiler.passes import ALAPScheduleAnalysis

import qtargets
from qtargets import Score, ScoreError, score
from qtargets.scoring import idle_survival, log_idle_survival

T1, T2 = 100e-6, 60e-6
X_TIME, CX_TIME, MEASURE_TIME = 50e-9, 400e-9, 1e-6


def line_target(n: int = 3, *, t1: float | None = T1, t2: float | None = T2) -> Target:
    """A small hand-made device: x/sx/rz on every qubit, cx along a line, measure."""
    target = Target(num_qubits=n, dt=1e-9,
                    qubit_properties=[QubitProperties(t1=t1, t2=t2) for _ in range(n)])
    target.add_instruction(XGate(), {(q,): InstructionProperties(X_TIME, 1e-3 * (q + 1))
                                     for q in range(n)})
    target.add_instruction(SXGate(), {(q,): InstructionProperties(X_TIME, 1e-3)
                                      for q in range(n)})
    target.add_instruction(RZGate(Parameter("t")), {(q,): InstructionProperties(0.0, 0.0)
                                                    for q in range(n)})
    target.add_instruction(CXGate(), {(q, q + 1): InstructionProperties(CX_TIME, 1e-2)
                                      for q in range(n - 1)})
    target.add_instruction(Measure(), {(q,): InstructionProperties(MEASURE_TIME, 0.02 * (q + 1))
                                       for q in range(n)})
    return target


def survival_by_hand(t: float, t1: float, t2: float) -> float:
    t2p = min(t2, 2 * t1)
    return 1 - (1 - math.exp(-t / t2p)) / 3 - (1 - math.exp(-t / t1)) / 6


# -- esp --------------------------------------------------------------------------------------


@pytest.mark.parametrize("device", ["ibm_fez", "ibm_sherbrooke", "ibm_torino"])
def test_esp_equals_qiskits_estimate_fidelity(device: str) -> None:
    target = qtargets.load_target(device)
    circuit = synth_qft_full(8)
    circuit.measure_all()
    out = transpile(circuit, target=target, optimization_level=2, seed_transpiler=3)
    expected = out.estimate_fidelity(target)
    assert expected is not None
    assert score(out, target).esp == pytest.approx(expected, abs=1e-12)


def test_esp_equals_estimate_fidelity_on_an_ionq_native_circuit() -> None:
    target = qtargets.load_target("qpu.forte-1")
    ghz = QuantumCircuit(5)
    ghz.h(0)
    for q in range(4):
        ghz.cx(q, q + 1)
    ghz.measure_all()
    out = transpile(ghz, target=target, translation_method="ionq-native", seed_transpiler=1)
    assert score(out, target).esp == pytest.approx(out.estimate_fidelity(target), abs=1e-12)


def test_barriers_and_delays_cost_no_error_but_measurements_do() -> None:
    target = line_target()
    circuit = QuantumCircuit(3, 1)
    circuit.x(0)
    circuit.barrier()
    circuit.delay(100, 0, unit="ns")
    circuit.measure(0, 0)
    assert score(circuit, target).esp == pytest.approx((1 - 1e-3) * (1 - 0.02), abs=1e-15)


# -- esp_idle -----------------------------------------------------------------------------------


def test_idle_survival_follows_the_documented_formula() -> None:
    for t in (1e-7, 5e-6, 40e-6, 300e-6):
        assert idle_survival(t, T1, T2) == pytest.approx(survival_by_hand(t, T1, T2), rel=1e-12)
    # T2 > 2 T1 (in real data, no physical channel) is capped at 2 T1: pure relaxation.
    assert idle_survival(10e-6, 50e-6, 400e-6) == pytest.approx(
        survival_by_hand(10e-6, 50e-6, 100e-6), rel=1e-12)
    assert idle_survival(0.0, T1, T2) == 1.0
    assert idle_survival(1e-6, None, None) == 1.0
    # one coherence time known: T2 only charges relaxation at T2 too; T1 only dephases at T1
    assert idle_survival(5e-6, None, 80e-6) == pytest.approx(survival_by_hand(5e-6, 80e-6, 80e-6))
    assert idle_survival(5e-6, 80e-6, None) == pytest.approx(survival_by_hand(5e-6, 80e-6, 80e-6))


@pytest.mark.parametrize(("t", "t1", "t2"), [(68e-9, 150e-6, 90e-6), (5e-6, 100e-6, 180e-6),
                                             (40e-6, 60e-6, 30e-6), (1e-3, 200e-6, 250e-6)])
def test_an_idle_gap_costs_the_average_gate_infidelity_of_its_relaxation_channel(
        t: float, t1: float, t2: float) -> None:
    # the currency of IBM's gate_error (randomized benchmarking's error per gate): checked
    # against qiskit's average_gate_fidelity of qiskit-aer's thermal relaxation channel
    aer_noise = pytest.importorskip("qiskit_aer.noise")
    from qiskit.quantum_info import average_gate_fidelity  # noqa: PLC0415

    channel = aer_noise.thermal_relaxation_error(t1, t2, t).to_quantumchannel()
    assert idle_survival(t, t1, t2) == pytest.approx(average_gate_fidelity(channel), rel=1e-9)


def test_a_fully_decohered_qubit_costs_at_most_ln_2() -> None:
    assert log_idle_survival(1.0, 50e-6, 40e-6) == pytest.approx(math.log(0.5), rel=1e-12)


def survival_to_200_digits(t: float, t1: float, t2: float) -> float:
    """The documented formula in 200-digit decimal arithmetic: the cancellation is harmless."""
    with decimal.localcontext() as ctx:
        ctx.prec = 200
        t_, t1_, t2p = Decimal(t), Decimal(t1), Decimal(min(t2, 2 * t1))
        return float(1 - (1 - (-t_ / t2p).exp()) / 3 - (1 - (-t_ / t1_).exp()) / 6)


@pytest.mark.parametrize("t", [1e-9, 1e-6, 1e-4, 1e-3, 3e-3, 5e-3, 2e-2])
def test_idle_survival_is_accurate_for_gaps_of_any_length(t: float) -> None:
    # from a nanosecond (where 1 - survival is 1e-5 and must keep its digits) to 200 T1
    t1, t2 = 100e-6, 50e-6
    assert idle_survival(t, t1, t2) == pytest.approx(survival_to_200_digits(t, t1, t2),
                                                     rel=1e-12)
    assert log_idle_survival(t, t1, t2) == pytest.approx(
        math.log(survival_to_200_digits(t, t1, t2)), rel=1e-12)


def test_a_long_delay_is_charged_without_a_negative_survival() -> None:
    target = line_target(t1=100e-6, t2=50e-6)
    circuit = QuantumCircuit(3)
    circuit.x(0)
    circuit.delay(5, 0, unit="ms")
    circuit.x(0)
    result = score(circuit, target)
    expected = math.log(survival_to_200_digits(5e-3, 100e-6, 50e-6))
    assert result.idle[0] > 0.0
    assert result.esp_idle > 0.0
    assert result.log_esp_idle == pytest.approx(result.log_esp + expected, rel=1e-9)


def test_log_figures_stay_exact_where_the_figures_underflow() -> None:
    target = Target(num_qubits=1)
    target.add_instruction(XGate(), {(0,): InstructionProperties(None, 0.5)})
    circuit = QuantumCircuit(1)
    for _ in range(1200):
        circuit.x(0)
    result = score(circuit, target)
    assert result.esp == 0.0  # 0.5 ** 1200 is below the smallest float
    assert result.log_esp == pytest.approx(1200 * math.log(0.5), rel=1e-12)
    assert result.log_esp_idle == result.log_esp  # no T1/T2: no idle charge


def test_log_figures_are_the_logs_of_the_figures() -> None:
    target = qtargets.load_target("ibm_fez")
    circuit = synth_qft_full(6)
    circuit.measure_all()
    result = score(transpile(circuit, target=target, seed_transpiler=1), target)
    assert result.log_esp == pytest.approx(math.log(result.esp), rel=1e-12)
    assert result.log_esp_idle == pytest.approx(math.log(result.esp_idle), rel=1e-12)


def test_a_delay_between_two_gates_is_charged_as_idle_time() -> None:
    target = line_target()
    circuit = QuantumCircuit(3)
    circuit.x(0)
    circuit.delay(2000, 0, unit="ns")
    circuit.x(0)
    result = score(circuit, target)
    assert result.idle[0] == pytest.approx(survival_by_hand(2e-6, T1, T2), rel=1e-12)
    assert result.esp_idle == pytest.approx(result.esp * result.idle[0], rel=1e-12)
    assert result.duration == pytest.approx(2 * X_TIME + 2e-6, rel=1e-12)


def test_alap_starts_a_qubit_as_late_as_its_partner_allows_so_it_does_not_wait() -> None:
    target = line_target()
    circuit = QuantumCircuit(3)
    circuit.x(1)
    circuit.cx(1, 2)      # qubit 1 could start at once (ASAP would then make it wait)...
    for _ in range(10):
        circuit.x(0)      # ...for qubit 0's ten gates before the cx(0, 1)
    circuit.cx(0, 1)
    result = score(circuit, target)
    assert result.idle == {0: 1.0, 1: 1.0, 2: 1.0}  # ALAP: x(1), cx(1, 2) end just in time
    assert result.duration == pytest.approx(10 * X_TIME + CX_TIME, rel=1e-12)


def test_a_qubit_that_must_wait_between_two_partners_is_charged() -> None:
    target = line_target()
    circuit = QuantumCircuit(3)
    circuit.cx(0, 1)  # must end before qubit 0's 20 gates...
    for _ in range(20):
        circuit.x(0)
    circuit.cx(1, 2)  # ...while qubit 1's next gate ends with the circuit: it waits between
    result = score(circuit, target)
    gap = 20 * X_TIME - CX_TIME
    assert result.idle[1] == pytest.approx(survival_by_hand(gap, T1, T2), rel=1e-12)
    assert result.esp_idle == pytest.approx(result.esp * result.idle[1], rel=1e-12)


def test_duration_is_qiskits_alap_makespan_on_a_real_device() -> None:
    target = qtargets.load_target("ibm_fez")
    circuit = synth_qft_full(6)
    circuit.measure_all()
    out = transpile(circuit, target=target, optimization_level=1, seed_transpiler=5)
    manager = PassManager([ALAPScheduleAnalysis(target=target)])
    manager.run(out)
    starts = manager.property_set["node_start_time"]
    index = {bit: i for i, bit in enumerate(out.qubits)}
    end = 0.0
    for node, start in starts.items():
        if node.op.name == "barrier":
            continue
        props = target[node.op.name][tuple(index[q] for q in node.qargs)]
        end = max(end, start * target.dt + (props.duration or 0.0))
    assert score(out, target).duration == pytest.approx(end, rel=1e-9)


def test_unknown_coherence_is_not_charged_but_reported() -> None:
    target = line_target(t1=None, t2=None)
    circuit = QuantumCircuit(3)
    circuit.x(0)
    circuit.delay(1000, 0, unit="ns")
    circuit.x(0)
    result = score(circuit, target)
    assert result.esp_idle == result.esp
    assert result.unknown_coherence == (0,)


# -- the other figures --------------------------------------------------------------------------


def test_counts_depth_and_hotspots() -> None:
    target = line_target()
    circuit = QuantumCircuit(3, 3)
    circuit.cx(0, 1)
    circuit.cx(1, 2)
    circuit.measure([0, 1, 2], [0, 1, 2])
    result = score(circuit, target)
    assert result.two_qubit_gates == 2
    assert result.depth == circuit.depth()
    # qubit 2 reads out worst (6%), then qubit 1 (4%), then qubit 0 (2%), each more than
    # one 1% cx.
    assert [h.qubits for h in result.hotspots] == [(2,), (1,), (0,)]
    assert result.hotspots[0].cost == pytest.approx(-math.log(1 - 0.06), rel=1e-9)
    total = -math.log(result.esp_idle)
    assert sum(h.share for h in result.hotspots) == pytest.approx(
        sum(h.cost for h in result.hotspots) / total)
    assert "esp" in str(result)


def test_operations_without_an_error_figure_are_counted_as_unknown() -> None:
    target = line_target()
    target.update_instruction_properties("x", (1,), InstructionProperties(X_TIME, None))
    circuit = QuantumCircuit(3)
    circuit.x(0)
    circuit.x(1)
    circuit.x(1)
    circuit.rz(0.3, 2)  # an error of 0 is a figure, not an unknown
    result = score(circuit, target)
    assert result.unknown_errors == 2
    assert result.esp == pytest.approx(1 - 1e-3)


def test_a_sentinel_error_of_one_makes_esp_zero_without_crashing() -> None:
    target = line_target()
    target.update_instruction_properties("cx", (0, 1), InstructionProperties(CX_TIME, 1.0))
    circuit = QuantumCircuit(3)
    circuit.cx(0, 1)
    result = score(circuit, target)
    assert result.esp == 0.0
    assert result.esp_idle == 0.0
    assert result.log_esp == result.log_esp_idle == -math.inf
    assert result.hotspots[0].qubits == (0, 1)
    assert math.isinf(result.hotspots[0].cost)
    assert result.hotspots[0].share == 1.0


def test_a_calibration_or_a_backend_scores_like_its_target() -> None:
    calibration = qtargets.load_calibration("ibm_fez")
    target = qtargets.build_target(calibration)
    circuit = QuantumCircuit(2)
    circuit.h(0)
    circuit.cx(0, 1)
    out = transpile(circuit, target=target, seed_transpiler=1)

    class Backend:
        def __init__(self, target: Target):
            self.target = target

    expected = score(out, target)
    assert isinstance(expected, Score)
    assert score(out, calibration) == expected
    assert score(out, Backend(target)) == expected


# -- errors ------------------------------------------------------------------------------------


def test_an_operation_the_device_lacks_is_named() -> None:
    circuit = QuantumCircuit(3)
    circuit.h(0)
    with pytest.raises(ScoreError, match=r"circuit.data\[0\]: operation 'h' is not in the "
                                         r"target.*transpile"):
        score(circuit, line_target())


def test_qubits_the_device_does_not_couple_are_named() -> None:
    circuit = QuantumCircuit(3)
    circuit.x(0)
    circuit.cx(0, 2)
    with pytest.raises(ScoreError, match=r"circuit.data\[1\]: 'cx' on qubits \[0, 2\]"):
        score(circuit, line_target())


def test_control_flow_and_oversized_circuits_and_wrong_types_are_refused() -> None:
    flow = QuantumCircuit(1, 1)
    with flow.if_test((flow.clbits[0], 1)):
        flow.x(0)
    with pytest.raises(ScoreError, match="control flow"):
        score(flow, line_target())
    with pytest.raises(ScoreError, match="4 qubits on a 3-qubit device"):
        score(QuantumCircuit(4), line_target())
    with pytest.raises(ScoreError, match="got str"):
        score(QuantumCircuit(1), "ibm_fez")
    with pytest.raises(qtargets.QTargetsError):
        score(QuantumCircuit(1), 42)
