"""Teach qiskit's ``BasisTranslator`` the way down to IonQ's native gates.

qiskit's own equivalence library already reduces every standard gate to ``rxx``/``rzz`` plus
single-qubit rotations; these rules add the last step, to ``{gpi, gpi2, ms}`` (Harmony, Aria) or
``{gpi, gpi2, zz}`` (Forte). Every rule is exact, global phase included, and holds for symbolic
parameters. Importing this module registers nothing; ``import qtargets`` calls
:func:`add_equivalences` once for qiskit's session library, so plain ``transpile`` works.

In the formulas below angles ``t, θ, φ, λ`` are radians (qiskit) and the native gates' arguments
are turns (IonQ); products are written in matrix order, the rightmost gate runs first.

qiskit 2 refuses non-standard names in ``transpile(basis_gates=...)``, so the native gates reach
the transpiler through a ``Target``. Example::

    >>> from qiskit import QuantumCircuit, transpile
    >>> from qiskit.transpiler import Target
    >>> from qtargets.ionq.equivalences import add_equivalences
    >>> from qtargets.ionq.gates import native_gate_mapping
    >>> _ = add_equivalences()
    >>> target = Target.from_configuration(
    ...     ["gpi", "gpi2", "ms"], num_qubits=2, custom_name_mapping=native_gate_mapping()
    ... )
    >>> bell = QuantumCircuit(2)
    >>> _ = bell.h(0)
    >>> _ = bell.cx(0, 1)
    >>> sorted(transpile(bell, target=target).count_ops())
    ['gpi', 'gpi2', 'ms']
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
from qiskit.circuit import Gate, Parameter, QuantumCircuit
from qiskit.circuit.equivalence import EquivalenceLibrary
from qiskit.circuit.equivalence_library import SessionEquivalenceLibrary
from qiskit.circuit.library import (
    HGate,
    RGate,
    RXGate,
    RXXGate,
    RYGate,
    RZGate,
    RZZGate,
    SXdgGate,
    SXGate,
    UGate,
    XGate,
    YGate,
)
from qiskit.circuit.parameterexpression import ParameterValueType

from .gates import GPI2Gate, GPIGate, MSGate, ZZGate

__all__ = ["add_equivalences", "equivalence_rules"]

_TAU = 2 * np.pi

# One set of Parameters for every call: ``EquivalenceLibrary.get_entry`` silently drops an
# entry it cannot rebind to same-named but different Parameters, which would defeat the
# already-registered check in add_equivalences.
_T, _THETA, _PHI, _LAM = Parameter("t"), Parameter("θ"), Parameter("φ"), Parameter("λ")


def equivalence_rules() -> Iterator[tuple[Gate, QuantumCircuit]]:
    """Every ``(standard gate, exact native circuit)`` pair :func:`add_equivalences` registers.

    The single-qubit rules rest on three identities (angles in turns on the right):
    ``GPI(a)·GPI(b) = RZ(4π(a - b))``; conjugating by ``RZ(β)`` adds ``β/2π`` to every phase of
    a GPI/GPI2 sequence; and ``RX(t) = i·GPI2(-1/4)·GPI2(-1/4 - t/2π)·GPI(-1/4 - t/4π)``, which
    makes any single-qubit gate three native pulses.
    """
    t, theta, phi, lam = _T, _THETA, _PHI, _LAM

    # RXX(t) = MS(0, 0, t/2π)
    yield RXXGate(t), _circuit(2, [(MSGate(0, 0, t / _TAU), (0, 1))])
    # RZZ(t) = ZZ(t/2π)
    yield RZZGate(t), _circuit(2, [(ZZGate(t / _TAU), (0, 1))])
    # X = GPI(0)
    yield XGate(), _circuit(1, [(GPIGate(0), (0,))])
    # Y = GPI(1/4)
    yield YGate(), _circuit(1, [(GPIGate(0.25), (0,))])
    # SX = e^{iπ/4}·GPI2(0)
    yield SXGate(), _circuit(1, [(GPI2Gate(0), (0,))], np.pi / 4)
    # SX† = e^{-iπ/4}·GPI2(1/2)
    yield SXdgGate(), _circuit(1, [(GPI2Gate(0.5), (0,))], -np.pi / 4)
    # RZ(t) = GPI(t/4π)·GPI(0)
    yield RZGate(t), _circuit(1, [(GPIGate(0), (0,)), (GPIGate(t / (2 * _TAU)), (0,))])
    # RX(t) = i·GPI2(-1/4)·GPI2(-1/4 - t/2π)·GPI(-1/4 - t/4π)
    yield RXGate(t), _three_pulses(-0.25, t, np.pi / 2)
    # RY(t) = i·GPI2(0)·GPI2(-t/2π)·GPI(-t/4π)
    yield RYGate(t), _three_pulses(0, t, np.pi / 2)
    # R(θ, φ) = RZ(φ)·RX(θ)·RZ(-φ)
    #         = i·GPI2(φ/2π - 1/4)·GPI2(φ/2π - 1/4 - θ/2π)·GPI(φ/2π - 1/4 - θ/4π)
    yield RGate(theta, phi), _three_pulses(phi / _TAU - 0.25, theta, np.pi / 2)
    # U(θ, φ, λ) = e^{i(φ+λ)/2}·RZ(φ)·RY(θ)·RZ(λ)
    #            = e^{i(φ+λ+π)/2}·GPI2(φ/2π)·GPI2((φ-θ)/2π)·GPI((φ-θ-λ)/4π)
    yield UGate(theta, phi, lam), _three_pulses(
        phi / _TAU, theta, (phi + lam + np.pi) / 2, extra_z=phi + lam
    )
    # H = U(π/2, 0, π) = -GPI2(0)·GPI2(-1/4)·GPI(-3/8)
    yield HGate(), _three_pulses(0, np.pi / 2, np.pi, extra_z=np.pi)


def add_equivalences(library: EquivalenceLibrary | None = None) -> EquivalenceLibrary:
    """Register :func:`equivalence_rules` in ``library`` and return it.

    Defaults to qiskit's ``SessionEquivalenceLibrary``, which ``transpile`` uses. Calling it
    again adds nothing: a rule already present (compared circuit by circuit) is skipped.
    """
    library = SessionEquivalenceLibrary if library is None else library
    for gate, circuit in equivalence_rules():
        if not any(existing == circuit for existing in library.get_entry(gate)):
            library.add_equivalence(gate, circuit)
    return library


def _three_pulses(
    axis: ParameterValueType,
    angle: ParameterValueType,
    global_phase: ParameterValueType,
    extra_z: ParameterValueType = 0,
) -> QuantumCircuit:
    """``RZ(2π·axis + π/2)·RX(angle)·RZ(-2π·axis - π/2)·RZ(extra_z)`` with phase ``global_phase``.

    That is a rotation by ``angle`` about the equatorial axis ``axis + 1/4`` turns, then a Z
    rotation folded into the GPI; as pulses ``GPI2(axis)·GPI2(axis - angle/2π)·GPI(axis -
    angle/4π - extra_z/4π)`` times ``e^{i·global_phase}`` (the caller puts the ``i`` from GPI
    into ``global_phase``).
    """
    return _circuit(
        1,
        [
            (GPIGate(axis - angle / (2 * _TAU) - extra_z / (2 * _TAU)), (0,)),
            (GPI2Gate(axis - angle / _TAU), (0,)),
            (GPI2Gate(axis), (0,)),
        ],
        global_phase,
    )


def _circuit(
    num_qubits: int,
    gates: list[tuple[Gate, tuple[int, ...]]],
    global_phase: ParameterValueType = 0,
) -> QuantumCircuit:
    qc = QuantumCircuit(num_qubits, global_phase=global_phase)
    for gate, qubits in gates:
        qc.append(gate, qubits)
    return qc
