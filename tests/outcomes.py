"""Exact outcome distributions of small (or compiled, mostly idle) circuits: the check that a
compiled circuit still computes what it was given."""

from __future__ import annotations

from collections import defaultdict

import numpy as np
from qiskit import QuantumCircuit
from qiskit.quantum_info import Operator

_NOT_ON_STATE = frozenset({"barrier", "delay"})


def outcome_distribution(circuit: QuantumCircuit) -> dict[str, float]:
    """Exact probabilities of the classical bits at the end (``""`` if there are none).

    Simulates the qubits the circuit touches only, branching at each measurement and reset;
    gates act on every branch, so mid-circuit measurements and resets are handled.
    """
    active = sorted({circuit.find_bit(q).index for inst in circuit.data
                     if inst.operation.name not in _NOT_ON_STATE for q in inst.qubits})
    axis = {q: len(active) - 1 - i for i, q in enumerate(active)}  # little-endian tensor axes
    start = np.zeros((2,) * len(active), dtype=complex)
    start[(0,) * len(active)] = 1.0
    branches: list[tuple[tuple[int, ...], np.ndarray]] = [((0,) * circuit.num_clbits, start)]
    for inst in circuit.data:
        op = inst.operation
        qubits = [circuit.find_bit(q).index for q in inst.qubits]
        if op.name in _NOT_ON_STATE:
            continue
        if op.name in ("measure", "reset"):
            ax = axis[qubits[0]]
            split = []
            for bits, state in branches:
                for outcome in (0, 1):
                    projected = state.copy()
                    index: list[slice | int] = [slice(None)] * state.ndim
                    index[ax] = 1 - outcome
                    projected[tuple(index)] = 0
                    if np.vdot(projected, projected).real <= 1e-14:
                        continue
                    new_bits = list(bits)
                    if op.name == "measure":
                        new_bits[circuit.find_bit(inst.clbits[0]).index] = outcome
                    elif outcome:  # reset: |1> -> |0>
                        projected = np.flip(projected, axis=ax)
                    split.append((tuple(new_bits), projected))
            branches = split
            continue
        assert not inst.clbits, op.name
        matrix = Operator(op).data.reshape((2,) * (2 * len(qubits)))
        axes = [axis[q] for q in reversed(qubits)]  # matrix rows: big-endian over qubits
        branches = [
            (bits, np.moveaxis(np.tensordot(matrix, state, axes=(range(len(qubits), 2 *
                                                                  len(qubits)), axes)),
                               range(len(qubits)), axes))
            for bits, state in branches
        ]
    out: defaultdict[str, float] = defaultdict(float)
    for bits, state in branches:
        out["".join(str(b) for b in reversed(bits))] += float(np.vdot(state, state).real)
    return {k: v for k, v in out.items() if v > 1e-12}
