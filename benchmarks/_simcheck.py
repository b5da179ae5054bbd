"""Checking a compiled circuit's predicted quality against a noisy simulation (issue 15).

Shared by ``bench_simulate.py`` and ``tests/test_simulation_check.py``:

* :func:`mirror`: ``C`` then ``C``-inverse, a barrier between them (so the optimizer cannot
  cancel the two halves), then a measurement of every qubit: the ideal outcome is all zeros,
  so the success probability ``P(0...0)`` is an exact, error-sensitive figure. Build it
  *before* compiling, so that every method compiles the same circuit.
* :func:`schedule`: ALAP (as IBM schedules), so idle time becomes delays, which the noise
  model relaxes (``qtargets.noise``); an unscheduled circuit has no idle noise.
* :func:`reduce`: the compiled circuit on its active physical qubits only, and the device's
  Target restricted (and renumbered) to them, so a 156-qubit device simulates as a handful of
  qubits with exactly their calibrated noise.
* :func:`success`: ``P(0...0)`` under :func:`qtargets.noise.simulator`'s noise: exactly, from
  the density matrix (readout applied analytically with each qubit's asymmetric readout
  figures), up to ``exact_limit`` active qubits; above it, sampled with ``shots`` trajectories
  of Aer's matrix-product-state method (readout by the noise model itself).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np
from qiskit import QuantumCircuit, transpile
from qiskit.circuit import Delay, Gate, Instruction
from qiskit.transpiler import PassManager, Target
from qiskit.transpiler.passes import ALAPScheduleAnalysis, PadDelay

import qtargets
from qtargets.methods import METHODS
from qtargets.noise import is_measurement

EXACT_LIMIT = 10
"""Most active qubits simulated exactly (density matrix: 4**n entries, 16 MiB at 10)."""


def mirror(circuit: QuantumCircuit) -> QuantumCircuit:
    """``circuit`` (its final measurements removed), a barrier, its inverse, then every qubit
    measured: ideally all zeros. Mid-circuit measurements or resets are refused (no inverse)."""
    body = circuit.remove_final_measurements(inplace=False)
    if body.num_clbits or any(inst.operation.name in ("measure", "reset")
                              for inst in body.data):
        raise ValueError(f"{circuit.name}: mid-circuit measurements or resets have no inverse")
    out = body.copy()
    out.barrier()
    out.compose(body.inverse(), inplace=True)
    out.measure_all()
    out.name = f"mirror.{circuit.name}"
    return out


def compile_circuit(circuit: QuantumCircuit, target: Target, method: str, seed: int,
                    **options: object) -> QuantumCircuit:
    """``transpile`` at optimization level 3: ``method`` "qiskit" (qiskit's default stages),
    a name of :data:`qtargets.methods.METHODS` (``"qtargets-routing"``: its options) or a
    layout method name."""
    if method in METHODS:
        for key, value in METHODS[method].options.items():
            options.setdefault(key, value)
    elif method != "qiskit":
        options.setdefault("layout_method", method)
    return transpile(circuit, target=target, optimization_level=3, seed_transpiler=seed,
                     **options)


def schedule(compiled: QuantumCircuit, target: Target) -> QuantumCircuit:
    """``compiled`` with its idle time as delays, ALAP."""
    scheduled: QuantumCircuit = PassManager(
        [ALAPScheduleAnalysis(target=target), PadDelay(target=target)]).run(compiled)
    return scheduled


@dataclass(frozen=True)
class Reduced:
    """A compiled circuit on its active qubits and the Target restricted to them."""

    circuit: QuantumCircuit
    target: Target
    physical: tuple[int, ...]
    """The device qubit of each of ``circuit``'s qubits."""
    device: Target
    """The whole device's Target."""


def active_qubits(circuit: QuantumCircuit) -> tuple[int, ...]:
    """Physical qubits with an operation other than a delay or barrier, ascending."""
    used: set[int] = set()
    for inst in circuit.data:
        if inst.operation.name not in ("delay", "barrier"):
            used.update(circuit.find_bit(q).index for q in inst.qubits)
    return tuple(sorted(used))


def reduce(circuit: QuantumCircuit, target: Target, *, idle: bool = True) -> Reduced:
    """``circuit`` (compiled for ``target``, one wire per device qubit) on its active qubits
    only; barriers dropped; delays kept if ``idle`` (else removed: noiseless idling, the
    stand-in for dynamical decoupling)."""
    physical = active_qubits(circuit)
    index = {q: i for i, q in enumerate(physical)}
    out = QuantumCircuit(len(physical), circuit.num_clbits, name=circuit.name,
                         global_phase=circuit.global_phase)
    for inst in circuit.data:
        op = inst.operation
        if op.name == "barrier" or (isinstance(op, Delay) and not idle):
            continue
        wires = [circuit.find_bit(q).index for q in inst.qubits]
        if not all(w in index for w in wires):
            continue  # delays on idle wires only
        out.append(op, [out.qubits[index[w]] for w in wires],
                   [out.clbits[circuit.find_bit(c).index] for c in inst.clbits])
    return Reduced(out, restrict(target, physical), physical, target)


def restrict(target: Target, physical: tuple[int, ...]) -> Target:
    """``target`` on the qubits ``physical`` only, renumbered 0, 1, ... in that order, with
    their own properties (T1, T2, gate errors and durations, readout in both directions)."""
    index = {q: i for i, q in enumerate(physical)}
    props = target.qubit_properties
    sub = Target(description=f"{target.description} on {list(physical)}",
                 num_qubits=len(physical), dt=target.dt,
                 qubit_properties=None if props is None else [props[q] for q in physical])
    for name in target.operation_names:
        operation = target.operation_from_name(name)
        if not isinstance(operation, Instruction):
            continue  # control flow: not in compiled benchmark circuits
        by_qargs = target[name]
        if by_qargs is None or None in by_qargs:
            sub.add_instruction(operation, None if by_qargs is None else {None: None},
                                name=name)
            continue
        kept = {tuple(index[q] for q in qargs): p for qargs, p in by_qargs.items()
                if all(q in index for q in qargs)}
        if kept:
            sub.add_instruction(operation, kept, name=name)
    return sub


def success(reduced: Reduced, *, exact_limit: int = EXACT_LIMIT, shots: int = 2000,
            seed: int = 11, **noise: bool) -> float:
    """``P(0...0)`` of ``reduced`` (a mirror circuit) under the calibrated noise: exact up to
    ``exact_limit`` active qubits, else sampled (matrix product states, ``shots``).
    ``noise``: ``gate_error``, ``thermal_relaxation``, ``readout`` of
    :func:`qtargets.noise.simulator`, to switch parts off."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", qtargets.QTargetsWarning)  # said in bench/test output
        if reduced.circuit.num_qubits <= exact_limit:
            return _exact(reduced, noise)
        sim = _simulator(reduced, "matrix_product_state", seed_simulator=seed, **noise)
        counts = sim.run(reduced.circuit, shots=shots).result().get_counts()
    zeros = "0" * reduced.circuit.num_clbits
    return float(counts.get(zeros, 0)) / shots


def _exact(reduced: Reduced, noise: dict[str, bool]) -> float:
    circuit = reduced.circuit
    # Every measurement is final in a mirror circuit: what follows one on its qubit is
    # padding, and relaxation after a readout cannot change the bit read.
    measured: list[int] = []
    body = circuit.copy_empty_like()
    done: set[int] = set()
    for inst in circuit.data:
        qubits = [circuit.find_bit(q).index for q in inst.qubits]
        if is_measurement(inst.operation):
            measured.append(qubits[0])
            done.add(qubits[0])
        elif done.intersection(qubits):
            if not isinstance(inst.operation, Delay):
                raise ValueError(f"{inst.operation.name} after a measurement: not a mirror "
                                 "circuit")
        else:
            body.append(inst)
    if len(set(measured)) != len(measured) or len(measured) != circuit.num_clbits:
        raise ValueError("a mirror circuit measures each qubit once, into every bit")
    # An active qubit left unmeasured (a routing SWAP moved its logical qubit away, as
    # pytket's routing can leave it) is traced out: success is P(every bit read is 0).
    body.save_probabilities()  # added to QuantumCircuit by qiskit_aer
    sim = _simulator(reduced, "density_matrix", **noise)
    probabilities = np.asarray(sim.run(body, shots=1).result().data()["probabilities"])
    # Aer's probabilities put qubit 0 least significant: axis n-1-q once reshaped.
    n = circuit.num_qubits
    tensor = probabilities.reshape((2,) * n)
    for q in reversed(range(n)):  # axis 0 is always the most significant qubit left
        if q not in done:
            read = (1.0, 1.0)
        else:
            read = reads_zero(reduced.target, q) if noise.get("readout", True) else (1, 0)
        tensor = np.tensordot(tensor, np.array(read, dtype=float), axes=(0, 0))
    return float(tensor)


_SIMULATORS: dict[tuple[object, ...], tuple[Target, Any]] = {}


def _simulator(reduced: Reduced, method: str, **options: Any) -> Any:
    """``qtargets.noise.simulator`` of ``reduced.target`` with ``method``, the last few kept:
    building the noise model takes seconds for 20 qubits, and a compiled circuit is
    simulated with and without its delays on the same qubits.

    The basis is given here because the simulator's default names ``delay``, which Aer runs
    under every method but refuses in ``basis_gates`` for any method but "automatic"."""
    key = (id(reduced.device), reduced.physical, method, *sorted(options.items()))
    found = _SIMULATORS.get(key)
    if found is not None and found[0] is reduced.device:
        return found[1]
    target = reduced.target
    gates = [name for name in target.operation_names
             if isinstance(target.operation_from_name(name), Gate) and name != "delay"]
    simulator = qtargets.noise.simulator(target, method=method,
                                         basis_gates=[*gates, "unitary"], **options)
    if len(_SIMULATORS) >= 4:
        del _SIMULATORS[next(iter(_SIMULATORS))]
    _SIMULATORS[key] = (reduced.device, simulator)
    return simulator


def reads_zero(target: Target, qubit: int) -> tuple[float, float]:
    """``(P(0|0), P(0|1))`` of ``qubit``'s ``measure``: asymmetric where the Target has it."""
    props = target["measure"].get((qubit,)) if "measure" in target.operation_names else None
    if props is None or props.error is None:
        return 1.0, 0.0
    p01 = getattr(props, "prob_meas0_prep1", None)
    p10 = getattr(props, "prob_meas1_prep0", None)
    if p01 is None or p10 is None:
        p01 = p10 = props.error
    return 1.0 - p10, p01
