"""Layouts judged across calibration days: layout_method="qtargets-robust" (issue 16).

A placement is scored on today's calibration and on the earlier ones a TargetWithHistory
carries, by its mean (or worst) estimated -ln(esp_idle); the candidates, today's routing and
the Target routed on are today's.
"""

from __future__ import annotations

import dataclasses
import math
import pickle
import statistics
from datetime import datetime, timezone

import numpy as np
import pytest
from qiskit import QuantumCircuit, transpile
from qiskit.circuit.library import CZGate, Measure
from qiskit.converters import circuit_to_dag, dag_to_circuit
from qiskit.transpiler import InstructionProperties, Target
from qiskit.transpiler.passmanager_config import PassManagerConfig
from qiskit.transpiler.preset_passmanagers.plugin import list_stage_plugins

import qtargets
from qtargets import BackendInputError, ConfigurationError, QTargetsError, QTargetsWarning
from qtargets.layout import (
    ROBUST,
    DeviceModel,
    NoiseAwareLayout,
    QTargetsRobustWorstLayoutPlugin,
    TargetWithHistory,
    circuit_load,
    embeddings,
    robust_placement,
    with_history,
)
from qtargets.live import offline_calibrations
from qtargets.store import CalibrationStore
from routed import all_pairs_circuit


def sherbrooke_days() -> tuple[Target, Target]:
    """ibm_sherbrooke's real calibrations of 2025-02-26 (today) and 2024-05-27 (the day
    before it in the bundled history)."""
    *_, before, today = offline_calibrations("ibm_sherbrooke", store=False)
    return qtargets.build_target(today), qtargets.build_target(before, filter_faulty=False)


def bell() -> QuantumCircuit:
    circuit = QuantumCircuit(2)
    circuit.h(0)
    circuit.cx(0, 1)
    circuit.measure_all()
    return circuit


def ghz(n: int) -> QuantumCircuit:
    circuit = QuantumCircuit(n)
    circuit.h(0)
    for q in range(n - 1):
        circuit.cx(q, q + 1)
    circuit.measure_all()
    return circuit


def placed(compiled: QuantumCircuit) -> list[int]:
    return list(compiled.layout.initial_index_layout(filter_ancillas=True))


def nats(error: float) -> float:
    return math.inf if error >= 1 else -math.log1p(-error)


def bell_cost_by_hand(target: Target, a: int, b: int) -> float:
    """The estimated -ln(esp_idle) of the Bell circuit with virtual qubit 0 on ``a`` and 1
    on ``b``, straight from the Target: qubit 0 has 2 one-qubit gates (h, and one wrapping
    the entangler), qubit 1 one, both one measurement, no idle time, one ecr on the pair (its
    cheaper direction). A one-qubit gate costs the median over the qubit's pulses."""
    def one_qubit(q: int) -> float:
        return statistics.median(
            nats(target[name][(q,)].error) for name in target.operation_names
            if name not in {"rz", "measure", "reset", "delay"} and (q,) in target[name])

    pair = min(nats(target["ecr"][qargs].error) for qargs in ((a, b), (b, a))
               if qargs in target["ecr"])
    return (2 * one_qubit(a) + one_qubit(b) + nats(target["measure"][(a,)].error)
            + nats(target["measure"][(b,)].error) + pair)


def test_the_robust_methods_are_registered_layout_stages() -> None:
    assert {"qtargets-robust", "qtargets-robust-worst"} <= set(list_stage_plugins("layout"))
    assert ROBUST == ("mean", "worst")


# -- one day is today ---------------------------------------------------------------------------


@pytest.mark.parametrize("method", ["qtargets-robust", "qtargets-robust-worst"])
def test_with_todays_calibration_as_its_only_history_it_places_as_today_only(method: str
                                                                             ) -> None:
    cal = qtargets.load_calibration("ibm_sherbrooke")
    today = qtargets.build_target(cal)
    again = with_history(today, [qtargets.build_target(cal)])  # the same numbers, another day
    assert len(again.history) == 1
    for circuit in (ghz(8), all_pairs_circuit(6)):  # fits without swaps; needs routing
        circuit.measure_all()
        plain = transpile(circuit, target=today, layout_method="qtargets", seed_transpiler=3,
                          optimization_level=3)
        robust = transpile(circuit, target=again, layout_method=method, seed_transpiler=3,
                           optimization_level=3)
        assert placed(robust) == placed(plain)
        assert robust == plain


def test_today_given_as_its_own_history_is_not_a_second_day() -> None:
    today = qtargets.load_target("ibm_sherbrooke")
    assert with_history(today, [today]).history == ()
    assert NoiseAwareLayout(today, history=[today]).history == ()


# -- a qubit that was bad on the day before -----------------------------------------------------


def test_todays_best_placement_on_a_qubit_bad_the_day_before_loses_to_a_steadier_one() -> None:
    today, before = sherbrooke_days()
    device = DeviceModel.of(today)
    load = circuit_load(circuit_to_dag(bell()), device)
    assert load.one_qubit.tolist() == [2.0, 1.0]
    assert load.measured.tolist() == [1.0, 1.0]
    assert load.idle.tolist() == [0.0, 0.0]
    assert load.pairs == [(0, 1, 1.0)]
    placements = embeddings(load, device, limit=5_000, call_limit=2_000_000)
    by_hand = {(int(a), int(b)): (bell_cost_by_hand(today, a, b),
                                  bell_cost_by_hand(before, a, b)) for a, b in placements}
    todays = min(by_hand, key=lambda p: by_hand[p][0])
    steadiest = min(by_hand, key=lambda p: statistics.fmean(by_hand[p]))
    assert todays != steadiest
    # today's favourite read out badly on 2024-05-27: one of its qubits >5x today's error
    assert any(before["measure"][(q,)].error > 5 * today["measure"][(q,)].error
               for q in todays)

    placement, cost, rank = robust_placement(load, [device, DeviceModel.of(before)],
                                             placements)
    assert tuple(placement) == steadiest
    assert cost == pytest.approx(statistics.fmean(by_hand[steadiest]), rel=1e-12)
    assert rank == (0, pytest.approx(cost, rel=1e-12))

    # and through transpile: the plain method keeps today's favourite, the robust one moves
    target = with_history(today, [before])
    plain = transpile(bell(), target=target, layout_method="qtargets", seed_transpiler=1)
    robust = transpile(bell(), target=target, layout_method="qtargets-robust",
                       seed_transpiler=1)
    assert tuple(placed(plain)) == todays
    assert tuple(placed(robust)) == steadiest


# -- mean and worst -----------------------------------------------------------------------------


def line_target(readout: list[float], cz: dict[tuple[int, int], float]) -> Target:
    """A small device with only the figures a test is about: readout errors per qubit and
    cz errors per pair (the other costs 0)."""
    target = Target(num_qubits=len(readout))
    target.add_instruction(Measure(), {(q,): InstructionProperties(error=e, duration=1e-6)
                                       for q, e in enumerate(readout)})
    target.add_instruction(CZGate(), {pair: InstructionProperties(error=e, duration=1e-7)
                                      for pair, e in cz.items()})
    return target


def measured_qubit() -> QuantumCircuit:
    circuit = QuantumCircuit(1)
    circuit.measure_all()
    return circuit


def test_mean_takes_the_qubit_best_on_average_and_worst_the_one_never_bad() -> None:
    # qubit 0: excellent twice, poor once; qubit 1: middling every day; qubit 2: poor always
    days = [line_target([0.01, 0.05, 0.30], {(0, 1): 0.01, (1, 2): 0.01}),
            line_target([0.01, 0.05, 0.30], {(0, 1): 0.01, (1, 2): 0.01}),
            line_target([0.12, 0.05, 0.30], {(0, 1): 0.01, (1, 2): 0.01})]
    models = [DeviceModel.of(t) for t in days]
    load = circuit_load(circuit_to_dag(measured_qubit()), models[0])
    none = np.empty((1, 0), dtype=np.int64)

    mean_choice, mean_cost, _ = robust_placement(load, models, none, robust="mean")
    worst_choice, worst_cost, _ = robust_placement(load, models, none, robust="worst")
    assert mean_choice.tolist() == [0]
    assert mean_cost == pytest.approx((2 * nats(0.01) + nats(0.12)) / 3, rel=1e-12)
    assert worst_choice.tolist() == [1]
    assert worst_cost == pytest.approx(nats(0.05), rel=1e-12)
    # (qubit 0's mean, 0.0473 nats, beats qubit 1's 0.0513; its worst, 0.128, does not)

    # the same through transpile, on the first day with the other two as its history
    target = with_history(days[0], days[1:])
    for method, qubit in (("qtargets-robust", 0), ("qtargets-robust-worst", 1),
                          ("qtargets", 0)):
        out = transpile(measured_qubit(), target=target, layout_method=method,
                        seed_transpiler=1)
        assert placed(out) == [qubit], method


def test_a_pair_dead_on_an_old_day_ranks_behind_one_that_never_failed() -> None:
    # today pair (0, 1) is the better one; on the day before it was dead (error 1)
    today = line_target([0.02, 0.02, 0.02], {(0, 1): 0.01, (1, 2): 0.03})
    before = line_target([0.02, 0.02, 0.02], {(0, 1): 1.0, (1, 2): 0.03})
    models = [DeviceModel.of(today), DeviceModel.of(before)]
    circuit = QuantumCircuit(2)
    circuit.cz(0, 1)
    circuit.measure_all()
    load = circuit_load(circuit_to_dag(circuit), models[0])
    placements = np.array([[0, 1], [1, 2]], dtype=np.int64)
    for robust in ROBUST:
        choice, cost, rank = robust_placement(load, models, placements, robust=robust)
        assert choice.tolist() == [1, 2]
        assert math.isfinite(cost)
        assert rank[0] == 0
    # when every placement failed on some day, the other days still decide (not the first)
    worse = line_target([0.02, 0.02, 0.02], {(0, 1): 1.0, (1, 2): 1.0})
    models = [DeviceModel.of(today), DeviceModel.of(worse)]
    choice, cost, rank = robust_placement(load, models, placements)
    assert choice.tolist() == [0, 1]
    assert cost == math.inf
    assert rank == (1, pytest.approx(2 * nats(0.02) + nats(0.01), rel=1e-12))


def test_the_worst_method_builds_a_pass_on_the_targets_history() -> None:
    today, before = sherbrooke_days()
    target = with_history(today, [before])
    stage = QTargetsRobustWorstLayoutPlugin().pass_manager(
        PassManagerConfig(target=target, seed_transpiler=1), optimization_level=3)
    found = [task for controller in stage._tasks for flow in controller
             for task in getattr(flow, "tasks", [flow]) if isinstance(task, NoiseAwareLayout)]
    assert len(found) == 1
    assert found[0].robust == "worst"
    assert found[0].history == (before,)


def test_an_unknown_summary_is_a_configuration_error() -> None:
    target = qtargets.load_target("ibm_fez")
    with pytest.raises(ConfigurationError, match="'median' is not one of 'mean', 'worst'"
                       ) as caught:
        NoiseAwareLayout(target, robust="median")
    assert caught.value.setting == "robust"


# -- end to end, offline, on the bundled history ------------------------------------------------


def outcomes(compiled: QuantumCircuit) -> dict[str, int]:
    """Noiseless counts of a compiled circuit, on its active qubits only (the device has
    127-156)."""
    from qiskit_aer import AerSimulator  # noqa: PLC0415 (test extra)

    dag = circuit_to_dag(compiled)
    dag.remove_qubits(*[q for q in dag.idle_wires() if q in dag.qubits])
    small = dag_to_circuit(dag)
    result = AerSimulator(seed_simulator=5).run(small, shots=2_000).result()
    return dict(result.get_counts())


@pytest.mark.parametrize("method", ["qtargets-robust", "qtargets-robust-worst"])
@pytest.mark.parametrize("level", [1, 3])
def test_transpile_on_the_bundled_history_gives_a_circuit_with_the_ghz_outcomes(
        method: str, level: int) -> None:
    target = qtargets.robust_target("ibm_sherbrooke", last=3, store=False)
    assert [day.num_qubits for day in target.history] == [127, 127]
    circuit = all_pairs_circuit(4)  # needs swaps on heavy-hex: routed, then placed
    circuit.compose(ghz(4).remove_final_measurements(inplace=False), inplace=True)
    circuit.measure_all()
    compiled = transpile(circuit, target=target, layout_method=method,
                         optimization_level=level, seed_transpiler=2)
    expected = outcomes(transpile(circuit, basis_gates=["cx", "u", "measure"],
                                  optimization_level=0))
    counts = outcomes(compiled)
    assert set(counts) == set(expected)
    for key in expected:
        assert counts[key] == pytest.approx(expected[key], abs=150)
    assert qtargets.score(compiled, target).esp > 0  # runs on today's Target


def test_a_target_with_history_pickles_with_it_for_parallel_transpiles() -> None:
    target = qtargets.robust_target("ibm_sherbrooke", last=2, store=False)
    back = pickle.loads(pickle.dumps(target))
    assert isinstance(back, TargetWithHistory)
    assert [t.num_qubits for t in back.history] == [127]
    outs = transpile([ghz(5), ghz(6)], target=target, layout_method="qtargets-robust",
                     seed_transpiler=1)  # several circuits: qiskit's process pool
    assert [o.count_ops()["measure"] for o in outs] == [5, 6]


# -- looking the days up ------------------------------------------------------------------------


def test_robust_target_is_todays_target_carrying_the_days_before_it() -> None:
    newest = qtargets.robust_target("ibm_sherbrooke", last=2, store=False)
    assert newest.num_qubits == 127
    assert len(newest.history) == 1
    then = qtargets.robust_target("ibm_sherbrooke@2024-06-01", last=3, store=False)
    assert len(then.history) == 1  # only 2023-01-03 is earlier than 2024-05-27
    plain = qtargets.build_target(offline_calibrations("ibm_sherbrooke", store=False)[1])
    assert then["measure"][(5,)].error == plain["measure"][(5,)].error  # 2024-05-27's
    assert qtargets.robust_target("ibm_sherbrooke", "2024-06-01", last=3,
                                  store=False)["measure"][(5,)].error == (
        plain["measure"][(5,)].error)


def test_no_earlier_day_warns_that_the_robust_layout_is_todays() -> None:
    with pytest.warns(QTargetsWarning, match="no earlier calibration"):
        target = qtargets.robust_target("ibm_fez@2025-02-01", last=3, store=False)
    assert target.history == ()


def test_bad_arguments_are_typed_errors() -> None:
    with pytest.raises(QTargetsError, match="last must be a whole number"):
        qtargets.robust_target("ibm_fez", last=0)
    with pytest.raises(BackendInputError, match="names its time"):
        qtargets.robust_target("ibm_fez@2025-02-01", "2025-02-01")
    with pytest.raises(qtargets.UnknownBackendError, match="at or before"):
        qtargets.robust_target("ibm_fez@2020-01-01", store=False)


# -- mismatched qubit counts, and the fallback --------------------------------------------------


def test_history_of_another_qubit_count_is_a_configuration_error() -> None:
    fez = qtargets.load_target("ibm_fez")
    sherbrooke = qtargets.load_target("ibm_sherbrooke")
    with pytest.raises(ConfigurationError, match=r"history\[0\] has 127 qubits, today's "
                       r"Target 156") as caught:
        with_history(fez, [sherbrooke])
    assert caught.value.setting == "history"
    with pytest.raises(ConfigurationError, match="127 qubits"):
        NoiseAwareLayout(fez, history=[sherbrooke])
    with pytest.raises(ConfigurationError, match="not a qiskit Target"):
        with_history(fez, ["ibm_fez@2025-01-23"])  # type: ignore[list-item]


def test_an_older_day_of_another_qubit_count_is_left_out_with_a_warning() -> None:
    # a stand-in for a device upgraded in between: ibm_torino's real 133-qubit calibration of
    # 2024-02-28, stored under ibm_sherbrooke's name a day before sherbrooke's first day
    torino = offline_calibrations("ibm_torino", store=False)[0]
    upgraded = dataclasses.replace(torino, backend_name="ibm_sherbrooke",
                                   taken_at=datetime(2023, 1, 2, tzinfo=timezone.utc))
    with CalibrationStore() as store:  # the test's own default store (tests/conftest.py)
        store.save(upgraded)
    with pytest.warns(QTargetsWarning, match="has 133 qubits, today's .* 127"):
        target = qtargets.robust_target("ibm_sherbrooke@2024-06-01", last=3)
    assert [day.num_qubits for day in target.history] == [127]  # 2023-01-03's


def test_a_plain_target_under_the_robust_method_warns_and_places_on_today_alone() -> None:
    target = qtargets.load_target("ibm_sherbrooke")
    plain = transpile(ghz(6), target=target, layout_method="qtargets", seed_transpiler=1)
    with pytest.warns(QTargetsWarning, match="carries no earlier calibrations"):
        robust = transpile(ghz(6), target=target, layout_method="qtargets-robust",
                           seed_transpiler=1)
    assert robust == plain
