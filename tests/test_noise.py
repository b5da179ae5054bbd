"""qtargets.noise: Aer noise models of real calibrations, and a simulator for what Aer lacks.

Every number checked here comes from a bundled real calibration: IBM's ibm_fez (Heron r2) and
ibm_boston (Heron r3, with measure_2/reset_2), IonQ's published qpu.forte-1/qpu.aria-1
figures. Noise is restricted to the qubits a test uses (``qubits=``) to keep each test fast.
"""

from __future__ import annotations

import math
import pickle
import warnings

import numpy as np
import pytest
from qiskit import QuantumCircuit, transpile
from qiskit.circuit import Instruction
from qiskit.transpiler import Target

import qtargets
from qtargets import BackendInputError, QTargetsWarning
from qtargets.backends import QTargetsBackend, backend
from qtargets.build import MeasureProperties
from qtargets.noise import is_measurement, is_reset, noise_model, simulator
from qtargets.scoring import idle_survival

aer_noise = pytest.importorskip("qiskit_aer.noise")
qi = pytest.importorskip("qiskit.quantum_info")

SHOTS = 4000


def measure_2() -> Instruction:
    """What qiskit-ibm-runtime's ``MidCircuitMeasure()`` is: an Instruction named measure_2
    on one qubit and one bit (that package is the reference, when installed)."""
    try:
        from qiskit_ibm_runtime.circuit import MidCircuitMeasure  # noqa: PLC0415
    except ImportError:
        return Instruction("measure_2", 1, 1, [])
    instruction: Instruction = MidCircuitMeasure()
    return instruction


def reset_2() -> Instruction:
    try:
        from qiskit_ibm_runtime.circuit import MidCircuitReset  # noqa: PLC0415
    except ImportError:
        return Instruction("reset_2", 1, 0, [])
    instruction: Instruction = MidCircuitReset()
    return instruction


@pytest.fixture(scope="module")
def fez() -> QTargetsBackend:
    return backend("ibm_fez", live=False)


@pytest.fixture(scope="module")
def boston() -> QTargetsBackend:
    return backend("ibm_boston", live=False)


def gate_channel(model: object, name: str, qargs: tuple[int, ...]) -> object:
    return model._local_quantum_errors[name][qargs]  # type: ignore[attr-defined]


def superop(error: object) -> np.ndarray:
    return np.asarray(qi.SuperOp(error).data)


def contents(model: object) -> dict[object, list[list[float]]]:
    """Every error of a noise model, comparable (``NoiseModel.__eq__`` takes seconds)."""
    out: dict[object, list[list[float]]] = {
        (name, qargs): np.round(superop(error), 12).tolist()
        for name, by_qargs in model._local_quantum_errors.items()  # type: ignore[attr-defined]
        for qargs, error in by_qargs.items()}
    for qargs, error in model._local_readout_errors.items():  # type: ignore[attr-defined]
        out[("readout", qargs)] = error.probabilities.tolist()
    return out


def qubits_of(target: Target, q: int) -> tuple[float, float]:
    props = target.qubit_properties[q]
    return props.t1, props.t2


def healthy_qubit(target: Target) -> int:
    """A qubit whose T2 <= 2*T1 and whose sx error exceeds what relaxation alone causes
    (so that its noise has both parts)."""
    for q, props in enumerate(target.qubit_properties):
        sx = target["sx"].get((q,))
        if sx is None or props.t2 > 2 * props.t1:
            continue
        relaxation = aer_noise.thermal_relaxation_error(props.t1, props.t2, sx.duration)
        if sx.error > 1.5 * (1 - qi.average_gate_fidelity(relaxation)):
            return q
    raise AssertionError("no such qubit")


# -- readout -----------------------------------------------------------------------------------


def test_readout_error_of_a_real_qubit_is_its_calibrated_asymmetric_pair() -> None:
    # ibm_boston qubit 27 misreads a prepared 1 nine times as often as a prepared 0.
    qubit = qtargets.load_calibration("ibm_boston").qubits[27]
    assert (qubit.prob_meas0_prep1, qubit.prob_meas1_prep0) == (0.0732421875, 0.00830078125)
    model = noise_model("ibm_boston", qubits=[27])
    probabilities = model._local_readout_errors[(27,)].probabilities
    assert probabilities.tolist() == [[1 - 0.00830078125, 0.00830078125],
                                      [0.0732421875, 1 - 0.0732421875]]


def test_a_calibration_with_one_readout_figure_reads_symmetrically() -> None:
    forte = qtargets.load_calibration("qpu.forte-1")
    assert forte.qubits[3].prob_meas0_prep1 is None
    error = forte.qubits[3].readout_error
    model = noise_model(forte, qubits=[3])
    assert model._local_readout_errors[(3,)].probabilities.tolist() == [
        [1 - error, error], [error, 1 - error]]


def test_the_target_carries_both_readout_errors_of_each_qubit(boston: QTargetsBackend) -> None:
    props = boston.target["measure"][(27,)]
    assert isinstance(props, MeasureProperties)
    assert (props.prob_meas0_prep1, props.prob_meas1_prep0) == (0.0732421875, 0.00830078125)
    assert props.error == qtargets.load_calibration("ibm_boston").qubits[27].readout_error
    # They survive the trip to a worker process (sweeps, Dask).
    again = pickle.loads(pickle.dumps(boston.target))["measure"][(27,)]
    assert (again.prob_meas0_prep1, again.prob_meas1_prep0) == (0.0732421875, 0.00830078125)
    # IonQ publishes one readout figure: plain properties, no invented asymmetry.
    aria = qtargets.load_target("qpu.aria-1")
    assert not isinstance(aria["measure"][(0,)], MeasureProperties)


def test_aers_own_device_model_reads_the_asymmetry_from_the_target(
        boston: QTargetsBackend) -> None:
    # qiskit-aer's NoiseModel.from_backend looks for these attributes on measure's properties.
    from qiskit_aer.noise.device import basic_device_readout_errors  # noqa: PLC0415

    aer = dict((tuple(q), e) for q, e in basic_device_readout_errors(target=boston.target))
    ours = noise_model(boston, qubits=[27])._local_readout_errors
    assert aer[(27,)] == ours[(27,)]


# -- gates ---------------------------------------------------------------------------------------


def test_gate_noise_agrees_with_aers_own_device_model_on_ibm_fez(fez: QTargetsBackend) -> None:
    from qiskit_aer.noise.device import basic_device_gate_errors  # noqa: PLC0415

    q = healthy_qubit(fez.target)
    neighbour = next(b for a, b in fez.target["cz"] if a == q
                     and fez.target["cz"][(a, b)].error < 0.5
                     and fez.target.qubit_properties[b].t2 <= 2 * fez.target.qubit_properties[b].t1)
    small = Target(num_qubits=fez.target.num_qubits, qubit_properties=fez.target.qubit_properties)
    for name in ("sx", "x", "cz"):
        small.add_instruction(fez.target.operation_from_name(name), {
            qargs: fez.target[name][qargs] for qargs in [(q,), (neighbour,), (q, neighbour)]
            if qargs in fez.target[name]})
    aer = {(name, tuple(qargs)): error
           for name, qargs, error in basic_device_gate_errors(target=small)}
    model = noise_model(fez, qubits=[q, neighbour])
    for (name, qargs), error in aer.items():
        assert np.allclose(superop(gate_channel(model, name, qargs)), superop(error),
                           atol=1e-12), (name, qargs)
    assert ("cz", (q, neighbour)) in aer


def test_each_gate_has_its_calibrated_average_error(fez: QTargetsBackend) -> None:
    q = healthy_qubit(fez.target)
    model = noise_model(fez, qubits=[q])
    for name in ("sx", "x"):
        channel = gate_channel(model, name, (q,))
        error = fez.target[name][(q,)].error
        assert 1 - qi.average_gate_fidelity(channel) == pytest.approx(error, rel=1e-9)


def test_thermal_relaxation_is_there_where_t1_and_t2_are_known(fez: QTargetsBackend) -> None:
    q = healthy_qubit(fez.target)
    t1, t2 = qubits_of(fez.target, q)
    duration = fez.target["sx"][(q,)].duration
    relaxation_only = noise_model(fez, qubits=[q], gate_error=False, readout=False)
    expected = aer_noise.thermal_relaxation_error(t1, t2, duration)
    assert np.allclose(superop(gate_channel(relaxation_only, "sx", (q,))), superop(expected))
    depolarizing_only = noise_model(fez, qubits=[q], thermal_relaxation=False)
    total = noise_model(fez, qubits=[q])
    # Without relaxation, the depolarizing part alone carries the whole calibrated error.
    assert not np.allclose(superop(gate_channel(depolarizing_only, "sx", (q,))),
                           superop(gate_channel(total, "sx", (q,))))
    assert 1 - qi.average_gate_fidelity(gate_channel(depolarizing_only, "sx", (q,))) == (
        pytest.approx(fez.target["sx"][(q,)].error, rel=1e-9))


def test_a_delay_relaxes_the_qubit_with_its_t1(fez: QTargetsBackend) -> None:
    q = healthy_qubit(fez.target)
    t1, _ = qubits_of(fez.target, q)
    circuit = QuantumCircuit(1, 1)
    circuit.x(0)
    circuit.delay(round(t1 / fez.target.dt), 0, unit="dt")  # one T1: a 1 survives e^-1 = 0.37
    circuit.measure(0, 0)
    compiled = transpile(circuit, fez, initial_layout=[q], seed_transpiler=1)
    sim = fez.aer_simulator(qubits=[q], gate_error=False, readout=False)
    counts = sim.run(compiled, shots=SHOTS, seed_simulator=1).result().get_counts()
    assert counts.get("1", 0) / SHOTS == pytest.approx(math.exp(-1), abs=0.03)


@pytest.mark.parametrize("method", ["density_matrix", "matrix_product_state", "statevector"])
def test_every_aer_method_runs_delays_with_their_relaxation(fez: QTargetsBackend,
                                                           method: str) -> None:
    """Aer lists ``delay`` (and control flow) as basis gates of every method but accepts
    them there only for ``automatic``: a simulator for another method must still build and
    run a scheduled circuit, with the same relaxation."""
    q = healthy_qubit(fez.target)
    t1, _ = qubits_of(fez.target, q)
    circuit = QuantumCircuit(1, 1)
    circuit.x(0)
    circuit.delay(round(t1 / fez.target.dt), 0, unit="dt")
    circuit.measure(0, 0)
    compiled = transpile(circuit, fez, initial_layout=[q], seed_transpiler=1)
    sim = simulator(fez, qubits=[q], gate_error=False, readout=False, method=method)
    counts = sim.run(compiled, shots=SHOTS, seed_simulator=1).result().get_counts()
    assert counts.get("1", 0) / SHOTS == pytest.approx(math.exp(-1), abs=0.03)


def test_broken_couplers_are_maximally_depolarizing_with_one_warning_naming_them(
        fez: QTargetsBackend) -> None:
    broken = sorted(qargs for qargs, props in fez.target["cz"].items() if props.error == 1.0)
    two = sorted({broken[0], broken[0][::-1], broken[2], broken[2][::-1]})
    qubits = sorted({q for pair in two for q in pair})
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        model = noise_model(fez, qubits=qubits, thermal_relaxation=False)
    saturated = [str(w.message) for w in caught if "maximally depolarizing" in str(w.message)]
    assert len(saturated) == 1
    assert saturated[0].startswith("ibm_fez: 4 gate error(s)")
    for a, b in two:
        assert f"cz({a}, {b})" in saturated[0]
    # Average gate error d/(d+1) = 0.8: the two qubits come out uniformly random.
    channel = gate_channel(model, "cz", two[0])
    assert 1 - qi.average_gate_fidelity(channel) == pytest.approx(0.8)
    assert fez.target["cz"][two[0]].error == 1.0  # the Target is untouched


def test_t2_above_twice_t1_is_clamped_for_relaxation_only_with_one_warning(
        fez: QTargetsBackend) -> None:
    cal = fez.calibration
    assert cal is not None
    odd = next(i for i, q in enumerate(cal.qubits)
               if q.t1 is not None and q.t2 is not None and q.t2 > 2 * q.t1)
    t1, t2 = qubits_of(fez.target, odd)
    with pytest.warns(QTargetsWarning, match=rf"qubits \[{odd}\] report T2 > 2\*T1") as caught:
        model = noise_model(fez, qubits=[odd], gate_error=False)
    assert len([w for w in caught if "T2 > 2*T1" in str(w.message)]) == 1
    duration = fez.target["sx"][(odd,)].duration
    clamped = aer_noise.thermal_relaxation_error(t1, 2 * t1, duration)
    assert np.allclose(superop(gate_channel(model, "sx", (odd,))), superop(clamped))
    assert qubits_of(fez.target, odd) == (t1, t2)  # never altered
    assert cal.qubits[odd].t2 == t2


def test_noise_model_takes_every_device_form() -> None:
    cal = qtargets.load_calibration("qpu.forte-1")
    forms = [
        "qpu.forte-1", cal, qtargets.build_target(cal), backend(cal),
    ]
    models = [contents(noise_model(form, qubits=[0, 1])) for form in forms]
    assert all(model == models[0] for model in models[1:])
    assert {key[0] for key in models[0]} == {"gpi", "gpi2", "zz", "readout"}


def test_qubits_the_device_lacks_are_refused() -> None:
    with pytest.raises(BackendInputError, match=r"qubits \[36\] are not on"):
        noise_model("qpu.forte-1", qubits=[0, 36])


def test_the_backends_simulator_runs_this_noise_model(fez: QTargetsBackend) -> None:
    q = healthy_qubit(fez.target)
    simulator = fez.aer_simulator(qubits=[q])
    assert contents(simulator.options.noise_model) == contents(noise_model(fez, qubits=[q]))


# -- IonQ native gates --------------------------------------------------------------------------


def esp(circuit: QuantumCircuit, target: Target) -> float:
    return qtargets.score(circuit, target).esp


@pytest.mark.parametrize("name", ["qpu.forte-1", "qpu.aria-1"])
def test_ionq_native_circuit_loses_what_the_calibration_predicts(name: str) -> None:
    device = backend(name, live=False)
    ghz = QuantumCircuit(3)
    ghz.h(0)
    ghz.cx(0, 1)
    ghz.cx(1, 2)
    ghz.measure_all()
    compiled = device.pass_manager(2, seed_transpiler=3).run(ghz)
    assert set(compiled.count_ops()) <= {"gpi", "gpi2", "ms", "zz", "measure", "barrier"}
    used = sorted({compiled.find_bit(q).index for inst in compiled.data for q in inst.qubits
                   if inst.operation.name != "barrier"})

    def success(counts: dict[str, int]) -> float:
        return (counts.get("000", 0) + counts.get("111", 0)) / SHOTS

    ideal = simulator(device, qubits=used, gate_error=False, thermal_relaxation=False,
                      readout=False)
    assert success(ideal.run(compiled, shots=SHOTS, seed_simulator=1).result()
                   .get_counts()) == 1.0
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "qpu.aria-1: no T1/T2", QTargetsWarning)
        noisy = simulator(device, qubits=used)
    drop = 1.0 - success(noisy.run(compiled, shots=SHOTS, seed_simulator=1).result()
                         .get_counts())
    predicted = 1.0 - esp(compiled, device.target)
    assert 0.02 < predicted < 0.05
    # Readout errors count fully; of a depolarizing gate error about 3/4 (its Z-type Paulis
    # leave a GHZ state's populations alone); sampling adds ~0.003 (one sigma).
    assert 0.6 * predicted <= drop <= predicted + 0.01


# -- IBM Heron r3: measure_2 and reset_2 ----------------------------------------------------------


def test_measurement_and_reset_variants_are_recognised(boston: QTargetsBackend) -> None:
    assert is_measurement(boston.target.operation_from_name("measure_2"))
    assert is_measurement(boston.target.operation_from_name("measure"))
    assert is_measurement(measure_2())
    assert is_reset(boston.target.operation_from_name("reset_2"))
    assert is_reset(reset_2())
    assert not is_measurement(Instruction("measure_reset", 1, 1, []))
    assert not is_measurement(boston.target.operation_from_name("x"))


def mid_circuit_circuit(boston: QTargetsBackend, qubit: int) -> QuantumCircuit:
    """On ``qubit``: X, measure_2 (reads 1), reset_2, measure_2 (reads 0), X, measure (1)."""
    circuit = QuantumCircuit(1, 3)
    circuit.x(0)
    circuit.append(measure_2(), [0], [0])
    circuit.append(reset_2(), [0])
    circuit.append(measure_2(), [0], [1])
    circuit.x(0)
    circuit.measure(0, 2)
    compiled = transpile(circuit, boston, initial_layout=[qubit], seed_transpiler=1)
    assert compiled.count_ops()["measure_2"] == 2
    assert compiled.count_ops()["reset_2"] == 1
    return compiled


def test_heron_r3_measure_2_and_reset_2_simulate_noiselessly_exactly(
        boston: QTargetsBackend) -> None:
    compiled = mid_circuit_circuit(boston, 27)
    ideal = boston.aer_simulator(qubits=[27], gate_error=False, thermal_relaxation=False,
                                 readout=False)
    counts = ideal.run(compiled, shots=500, seed_simulator=1).result().get_counts()
    assert counts == {"101": 500}
    # ... also inside control flow: measure_2 on the branch a measure_2 decided.
    circuit = QuantumCircuit(2, 2)
    circuit.x(0)
    circuit.append(measure_2(), [0], [0])
    with circuit.if_test((circuit.clbits[0], 1)):
        circuit.x(1)
        circuit.append(measure_2(), [1], [1])
    compiled = transpile(circuit, boston, initial_layout=[26, 27], seed_transpiler=1)
    counts = ideal.run(compiled, shots=200, seed_simulator=1).result().get_counts()
    assert counts == {"11": 200}


def test_heron_r3_measure_2_reads_with_its_own_calibrated_error(
        boston: QTargetsBackend) -> None:
    # Qubit 27: measure_2 misreads 5.0% both ways, measure misreads a 0 0.8% of the time.
    measure_2_error = boston.target["measure_2"][(27,)].error
    assert measure_2_error == 0.049560546875
    assert boston.target["measure"][(27,)].prob_meas1_prep0 == 0.00830078125
    compiled = mid_circuit_circuit(boston, 27)
    counts = boston.aer_simulator(qubits=[27]).run(
        compiled, shots=SHOTS, seed_simulator=2).result().get_counts()

    def rate(bit: int, value: str) -> float:
        return sum(n for key, n in counts.items() if key[2 - bit] == value) / SHOTS

    sigma = math.sqrt(measure_2_error / SHOTS)  # ~0.0035
    # After reset_2 the qubit is |0>: reading 1 is measure_2's own error, not measure's.
    assert abs(rate(1, "1") - measure_2_error) < 4 * sigma
    # The first measure_2 reads a prepared 1 (X error and relaxation add a little).
    assert abs(rate(0, "0") - measure_2_error) < 4 * sigma + 0.005
    # The final measure reads |1> with measure's own P(0|1) = 7.3%.
    assert abs(rate(2, "0") - 0.0732421875) < 0.02


def test_measure_2_reads_like_measure_under_a_noise_model_of_ones_own(
        boston: QTargetsBackend) -> None:
    own = aer_noise.NoiseModel()
    own.add_readout_error(aer_noise.ReadoutError([[0, 1], [1, 0]]), [27])  # always wrong
    compiled = mid_circuit_circuit(boston, 27)
    counts = boston.aer_simulator(noise_model=own).run(
        compiled, shots=100, seed_simulator=1).result().get_counts()
    assert counts == {"010": 100}


# -- scoring ---------------------------------------------------------------------------------------


def test_scoring_counts_measure_2_and_reset_2_errors_and_durations(
        boston: QTargetsBackend) -> None:
    target = boston.target
    circuit = QuantumCircuit(2, 1)
    circuit.cz(0, 1)
    circuit.append(measure_2(), [0], [0])
    circuit.append(reset_2(), [0])
    circuit.cz(0, 1)
    compiled = transpile(circuit, boston, initial_layout=[0, 1], optimization_level=0)
    assert compiled.count_ops() == {"cz": 2, "measure_2": 1, "reset_2": 1}
    score = qtargets.score(compiled, target)
    m2, r2, cz = target["measure_2"][(0,)], target["reset_2"][(0,)], target["cz"][(0, 1)]
    assert score.esp == pytest.approx((1 - cz.error) ** 2 * (1 - m2.error))
    assert score.duration == pytest.approx(2 * cz.duration + m2.duration + r2.duration)
    # Qubit 1 idles while qubit 0 is measured and reset: charged for exactly that time.
    t1, t2 = qubits_of(target, 1)
    assert score.idle[1] == pytest.approx(idle_survival(m2.duration + r2.duration, t1, t2))
    assert score.unknown_errors == 1  # IBM reports no error for reset_2, as for reset
