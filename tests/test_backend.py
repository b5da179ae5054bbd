"""qtargets.backend: a calibration as a qiskit BackendV2, for transpile, plots and Aer.

Noisy simulations are judged against the calibration itself: the estimated success probability
(ESP, the product of ``1 - error`` over the circuit's gates and measurements) is what the device
data predicts for P(000..0) + P(111..1) of a GHZ state.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from pathlib import Path

import matplotlib
import pytest
from qiskit import QuantumCircuit, transpile
from qiskit.providers import BackendV2
from qiskit.transpiler import Target, generate_preset_pass_manager

import qtargets
from qtargets import (
    BackendInputError,
    BackendRunError,
    QTargetsError,
    QTargetsWarning,
)
from qtargets.backends import QTargetsBackend, backend

matplotlib.use("Agg")

IONQ_NATIVE = {"gpi", "gpi2", "ms", "zz", "measure", "barrier"}
SHOTS = 2000


def ghz(num_qubits: int) -> QuantumCircuit:
    circuit = QuantumCircuit(num_qubits)
    circuit.h(0)
    for qubit in range(num_qubits - 1):
        circuit.cx(qubit, qubit + 1)
    circuit.measure_all()
    return circuit


def estimated_success_probability(circuit: QuantumCircuit, target: Target) -> float:
    esp = 1.0
    for inst in circuit.data:
        if inst.operation.name == "barrier":
            continue
        qargs = tuple(circuit.find_bit(q).index for q in inst.qubits)
        props = target[inst.operation.name].get(qargs)
        if props is not None and props.error is not None:
            esp *= 1.0 - props.error
    return esp


def active_qubits(circuit: QuantumCircuit) -> list[int]:
    return sorted({circuit.find_bit(q).index for inst in circuit.data
                   if inst.operation.name != "barrier" for q in inst.qubits})


def contents(target: Target) -> dict[str, object]:
    """What a Target says, comparable across builds (``Target.__eq__`` compares identities)."""
    out: dict[str, object] = {
        name: None if target[name] is None else {
            qargs: None if props is None else (props.duration, props.error)
            for qargs, props in target[name].items()
        }
        for name in target.operation_names
    }
    out["qubit_properties"] = None if target.qubit_properties is None else [
        (q.t1, q.t2, q.frequency) for q in target.qubit_properties]
    return out


def ghz_fidelity(counts: dict[str, int], num_qubits: int) -> float:
    return (counts.get("0" * num_qubits, 0) + counts.get("1" * num_qubits, 0)) / SHOTS


def assert_noisy_but_close_to_esp(fidelity: float, esp: float) -> None:
    # Aer gives each gate a channel whose average infidelity is the reported error, and each
    # measurement a bit flip with the readout error. Part of a depolarizing channel (its Z-type
    # Paulis) leaves the GHZ populations alone, so the fidelity sits at or somewhat above the
    # ESP; 2000 shots add a standard deviation of about 0.006. The device data (ESP well
    # below 0.99 here) says the noise must show.
    assert esp < 0.98
    assert esp - 0.05 <= fidelity <= min(esp + 0.05, 0.99)


@pytest.fixture(scope="module")
def fez() -> QTargetsBackend:
    return backend("ibm_fez", live=False)


@pytest.fixture(scope="module")
def aria() -> QTargetsBackend:
    return backend("qpu.aria-1", live=False)


# -- what the backend is ---------------------------------------------------------------------


def test_backend_of_a_name_offline_carries_the_bundled_calibration(fez: QTargetsBackend) -> None:
    cal = qtargets.load_calibration("ibm_fez")
    assert isinstance(fez, BackendV2)
    assert fez.calibration == cal
    assert fez.name == "ibm_fez"
    assert fez.backend_version == cal.backend_version
    assert fez.num_qubits == 156
    assert fez.description is not None
    assert "Heron r2" in fez.description
    assert "2025-02-26T20:16:25+00:00" in fez.description
    assert repr(fez) == (
        "<QTargetsBackend ibm_fez: 156 qubits, ibm Heron r2, taken 2025-02-26T20:16:25+00:00>"
    )


def test_target_is_exactly_what_build_target_builds(fez: QTargetsBackend) -> None:
    assert fez.calibration is not None
    assert contents(fez.target) == contents(qtargets.build_target(fez.calibration))
    assert fez.coupling_map.get_edges() == fez.target.build_coupling_map().get_edges()


def test_build_flags_reach_the_target() -> None:
    cal = qtargets.load_calibration("ibm_boston")
    plain = backend(cal, include_control_flow=False, add_delay=False)
    assert contents(plain.target) == contents(qtargets.build_target(
        cal, include_control_flow=False, add_delay=False))
    assert {"if_else", "delay"} <= set(backend(cal).operation_names)
    assert not {"if_else", "delay"} & set(plain.operation_names)


def test_backend_of_a_target_wraps_that_very_target() -> None:
    target = qtargets.load_target("ibm_torino")
    wrapped = backend(target)
    assert wrapped.target is target
    assert wrapped.calibration is None
    assert wrapped.name == target.description
    assert "bare Target" in repr(wrapped)


def test_backend_of_a_path_reads_a_saved_calibration(tmp_path: Path) -> None:
    path = tmp_path / "aria.json"
    path.write_text(qtargets.load_calibration("qpu.aria-1").to_json(), encoding="utf-8")
    assert backend(path).calibration == qtargets.load_calibration("qpu.aria-1")


@pytest.mark.parametrize("source", [42, None, b"ibm_fez", {"backend": "qpu.aria-1"}])
def test_anything_else_is_refused_naming_its_type(source: object) -> None:
    with pytest.raises(BackendInputError, match=type(source).__qualname__) as info:
        backend(source)  # type: ignore[arg-type]
    assert isinstance(info.value, QTargetsError)
    assert isinstance(info.value, TypeError)


def test_at_live_and_store_only_choose_among_calibrations_of_a_name() -> None:
    cal = qtargets.load_calibration("ibm_fez")
    with pytest.raises(BackendInputError, match="Calibration"):
        backend(cal, at="2025-01-01")
    with pytest.raises(BackendInputError, match="Target"):
        backend(qtargets.build_target(cal), live=False)


def test_run_refuses_and_points_to_aer(fez: QTargetsBackend) -> None:
    with pytest.raises(BackendRunError, match=r"AerSimulator\.from_backend"):
        fez.run(ghz(2))
    assert issubclass(BackendRunError, QTargetsError)
    assert fez.max_circuits is None
    assert fez.options.shots == 1024


# -- compiling -------------------------------------------------------------------------------


def test_transpiling_for_the_backend_equals_transpiling_for_its_target(
        fez: QTargetsBackend) -> None:
    circuit = ghz(5)
    for level in (1, 3):
        assert transpile(circuit, fez, optimization_level=level, seed_transpiler=5) == transpile(
            circuit, target=fez.target, optimization_level=level, seed_transpiler=5)


def test_generate_preset_pass_manager_takes_the_backend(fez: QTargetsBackend) -> None:
    pm = generate_preset_pass_manager(backend=fez, optimization_level=2, seed_transpiler=3)
    compiled = pm.run(ghz(4))
    assert set(compiled.count_ops()) <= {*fez.operation_names, "barrier"}
    assert compiled == fez.pass_manager(2, seed_transpiler=3).run(ghz(4))


@pytest.mark.parametrize("name", ["qpu.aria-1", "qpu.forte-1"])
def test_ionq_backend_compiles_to_native_gates_with_the_ionq_native_stage(name: str) -> None:
    ionq = backend(name, live=False)
    assert ionq.get_translation_stage_plugin() == "ionq-native"
    compiled = transpile(ghz(3), ionq, optimization_level=1, seed_transpiler=1)
    assert set(compiled.count_ops()) <= IONQ_NATIVE
    assert compiled == transpile(ghz(3), target=ionq.target, optimization_level=1,
                                 seed_transpiler=1, translation_method="ionq-native")
    # Phase tracking: one pulse per H and per CNOT's basis change, not qiskit's 27 for this.
    assert compiled.count_ops()["gpi2"] <= 6


def test_other_backends_keep_qiskits_default_translation(fez: QTargetsBackend) -> None:
    assert fez.get_translation_stage_plugin() is None


def test_pass_manager_adds_the_ionq_optimization_stage_qiskit_cannot_ask_for(
        aria: QTargetsBackend) -> None:
    circuit = ghz(4)
    circuit.ccx(0, 1, 2)
    circuit.rzz(0.3, 1, 3)
    ours = aria.pass_manager(3, seed_transpiler=2).run(circuit)
    assert ours == generate_preset_pass_manager(
        3, backend=aria, seed_transpiler=2, init_method="ionq-native",
        optimization_method="ionq-native").run(circuit)
    assert set(ours.count_ops()) <= IONQ_NATIVE


# -- plotting --------------------------------------------------------------------------------


@pytest.fixture
def close_figures() -> Iterator[None]:
    pytest.importorskip("seaborn")
    from qiskit.utils.optionals import HAS_GRAPHVIZ  # noqa: PLC0415

    if not HAS_GRAPHVIZ:
        pytest.skip("qiskit's plot_error_map needs the Graphviz program 'dot'")
    import matplotlib.pyplot as plt  # noqa: PLC0415

    yield
    plt.close("all")


@pytest.mark.usefixtures("close_figures")
@pytest.mark.parametrize("name", ["ibm_fez", "qpu.aria-1"])
def test_qiskits_plot_error_map_draws_the_backend(name: str) -> None:
    from matplotlib.figure import Figure  # noqa: PLC0415
    from qiskit.visualization import plot_error_map  # noqa: PLC0415

    figure = plot_error_map(backend(name, live=False))
    assert isinstance(figure, Figure)
    titles = {axes.get_title() for axes in figure.axes}
    assert "Readout Error (%)" in titles
    # IonQ is all-to-all: the drawing is a tangle, but every pair's error is there.
    assert any(title.startswith("CNOT error rate (%)") for title in titles)


# -- simulating with Aer ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def fez_ghz(fez: QTargetsBackend) -> QuantumCircuit:
    return transpile(ghz(5), fez, optimization_level=2, seed_transpiler=7)


@pytest.fixture(scope="module")
def fez_full_counts(fez: QTargetsBackend, fez_ghz: QuantumCircuit) -> dict[str, int]:
    """One GHZ run on Aer's own simulator of the whole device (Aer takes seconds for it)."""
    aer = pytest.importorskip("qiskit_aer")
    simulator = aer.AerSimulator.from_backend(fez)
    counts: dict[str, int] = simulator.run(
        fez_ghz, shots=SHOTS, seed_simulator=11).result().get_counts()
    return counts


def test_aer_simulator_from_backend_gives_ibm_fez_its_calibrated_noise(
        fez: QTargetsBackend, fez_ghz: QuantumCircuit, fez_full_counts: dict[str, int]) -> None:
    esp = estimated_success_probability(fez_ghz, fez.target)
    assert_noisy_but_close_to_esp(ghz_fidelity(fez_full_counts, 5), esp)


def test_noise_on_the_circuits_qubits_only_changes_nothing_for_that_circuit(
        fez: QTargetsBackend, fez_ghz: QuantumCircuit, fez_full_counts: dict[str, int]) -> None:
    simulator = fez.aer_simulator(qubits=active_qubits(fez_ghz))
    counts = simulator.run(fez_ghz, shots=SHOTS, seed_simulator=11).result().get_counts()
    assert counts == fez_full_counts


@pytest.mark.parametrize("name", ["qpu.aria-1", "qpu.forte-1"])
def test_aer_simulator_runs_ionq_native_gates_with_their_noise(name: str) -> None:
    pytest.importorskip("qiskit_aer")
    ionq = backend(name, live=False)
    compiled = ionq.pass_manager(2, seed_transpiler=7).run(ghz(5))
    assert set(compiled.count_ops()) <= IONQ_NATIVE
    with warnings.catch_warnings():
        # Aria's published figures have no T1/T2: qtargets says it leaves relaxation out.
        warnings.filterwarnings("ignore", "qpu.aria-1: no T1/T2", QTargetsWarning)
        simulator = ionq.aer_simulator(qubits=active_qubits(compiled))
    counts = simulator.run(compiled, shots=SHOTS, seed_simulator=11).result().get_counts()
    esp = estimated_success_probability(compiled, ionq.target)
    assert_noisy_but_close_to_esp(ghz_fidelity(counts, 5), esp)


def test_aer_simulator_without_t1_t2_warns_and_keeps_gate_and_readout_noise(
        aria: QTargetsBackend) -> None:
    pytest.importorskip("qiskit_aer")
    assert aria.target.qubit_properties is None
    with pytest.warns(QTargetsWarning, match=r"no T1/T2 for qubits 0, 1, .* no relaxation"):
        simulator = aria.aer_simulator()
    assert not simulator.options.noise_model.is_ideal()


def test_a_gate_ibm_reports_broken_simulates_as_fully_depolarizing(fez: QTargetsBackend) -> None:
    pytest.importorskip("qiskit_aer")
    broken = next(q for q, props in fez.target["cz"].items() if props.error == 1.0)
    healthy = min(fez.target["cz"].items(), key=lambda item: item[1].error)[0]
    bell = QuantumCircuit(2)
    bell.h(0)
    bell.cx(0, 1)
    bell.measure_all()
    fidelities = {}
    for edge in (broken, healthy):
        compiled = transpile(bell, fez, initial_layout=list(edge), optimization_level=1,
                             seed_transpiler=1)
        if edge == broken:
            # IBM marks the coupler broken both ways: one warning names both gates.
            with pytest.warns(QTargetsWarning, match=rf"2 gate error.* depolarizing: "
                                                     rf"cz\({edge[0]}, {edge[1]}\)"):
                simulator = fez.aer_simulator(qubits=edge)
        else:
            simulator = fez.aer_simulator(qubits=edge)
        counts = simulator.run(compiled, shots=SHOTS, seed_simulator=3).result().get_counts()
        fidelities[edge] = (counts.get("00", 0) + counts.get("11", 0)) / SHOTS
    # A fully depolarizing two-qubit channel leaves every outcome equally likely: 1/2 for
    # {00, 11}, give or take 0.011 (one standard deviation) for 2000 shots.
    assert abs(fidelities[broken] - 0.5) < 0.06
    assert fidelities[healthy] > 0.9


def test_qubits_with_t2_above_twice_t1_simulate(fez: QTargetsBackend) -> None:
    pytest.importorskip("qiskit_aer")
    assert fez.calibration is not None
    odd = next(i for i, q in enumerate(fez.calibration.qubits)
               if q.t1 is not None and q.t2 is not None and q.t2 > 2 * q.t1)
    circuit = QuantumCircuit(1)
    circuit.x(0)
    circuit.measure_all()
    compiled = transpile(circuit, fez, initial_layout=[odd], seed_transpiler=1)
    with pytest.warns(QTargetsWarning, match=rf"qubits \[{odd}\] report T2 > 2\*T1"):
        simulator = fez.aer_simulator(qubits=[odd])
    counts = simulator.run(compiled, shots=SHOTS, seed_simulator=5).result().get_counts()
    assert counts.get("1", 0) / SHOTS > 0.9


def test_aer_simulator_refuses_qubits_the_device_lacks(fez: QTargetsBackend) -> None:
    pytest.importorskip("qiskit_aer")
    with pytest.raises(BackendInputError, match=r"\[156\]"):
        fez.aer_simulator(qubits=[0, 156])
