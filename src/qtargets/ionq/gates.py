"""IonQ's native gates (GPI, GPI2, MS, ZZ) as qiskit gates.

IonQ states every phase and angle in *turns* (1 turn = 2π rad), and so do these classes: a
parameter is exactly the number IonQ's native-gate JSON carries, so no conversion can be
forgotten on the way to or from the API. Each gate has its exact matrix (``__array__``) and an
exact ``definition`` in qiskit's standard gates with no global phase (OpenQASM 3 export would
drop it), so circuits holding them simulate, export to OpenQASM 3 and survive QPY. QPY gives
them back as plain ``Gate`` objects with the same name, parameters and definition. qiskit's
OpenQASM 3 exporter mis-signs custom gates whose arguments are Parameter *expressions*
(Qiskit/qiskit#7335): bind parameters before exporting such circuits.

Matrices use ``P(φ) = cos(2πφ) X + sin(2πφ) Y = [[0, e^{-2πiφ}], [e^{2πiφ}, 0]]`` and qiskit's
little-endian order (``qargs[0]`` is the rightmost tensor factor).

Example::

    >>> import numpy as np
    >>> from qiskit.circuit.library import RXXGate
    >>> from qiskit.quantum_info import Operator
    >>> from qtargets.ionq.gates import MSGate
    >>> Operator(MSGate(0, 0, 0.25)) == Operator(RXXGate(np.pi / 2))
    True
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt
from qiskit.circuit import Gate, Parameter, QuantumCircuit
from qiskit.circuit.library import RXXGate, RZGate, RZZGate, UGate
from qiskit.circuit.parameterexpression import ParameterValueType

__all__ = [
    "NATIVE_GATES",
    "GPI2Gate",
    "GPIGate",
    "IonQMSGate",
    "MSGate",
    "ZZGate",
    "native_gate_mapping",
]

_TAU = 2 * np.pi


def _pauli_phi(phi: float) -> npt.NDArray[np.complex128]:
    """``P(φ) = cos(2πφ) X + sin(2πφ) Y`` for ``φ`` in turns."""
    return np.array(
        [[0, np.exp(-1j * _TAU * phi)], [np.exp(1j * _TAU * phi), 0]], dtype=np.complex128
    )


def _as_array(
    matrix: npt.NDArray[np.complex128], dtype: npt.DTypeLike | None, copy: bool | None
) -> npt.NDArray[Any]:
    # The numpy-2 ``__array__`` protocol: the matrix is always freshly built, so no copy can be
    # avoided or needed.
    if copy is False:
        raise ValueError("unable to avoid copy while creating an array as requested")
    return matrix if dtype is None else matrix.astype(dtype, copy=False)


class GPIGate(Gate):  # type: ignore[misc]  # qiskit ships no type information
    r"""IonQ's single-qubit π rotation about an equatorial axis, phase ``φ`` in turns.

    .. math::

        GPI(φ) = \begin{pmatrix} 0 & e^{-2πiφ} \\ e^{2πiφ} & 0 \end{pmatrix} = P(φ)

    ``GPI(0)`` is exactly ``X``, ``GPI(0.25)`` exactly ``Y``; it is its own inverse.
    """

    def __init__(self, phi: ParameterValueType, label: str | None = None) -> None:
        super().__init__("gpi", 1, [phi], label=label)

    def _define(self) -> None:
        # U(π, a, π - a) is GPI exactly, so no global phase is needed: OpenQASM 3 export drops a
        # definition's global phase.
        (phi,) = self.params
        qc = QuantumCircuit(1, name=self.name)
        qc.append(UGate(np.pi, _TAU * phi, np.pi - _TAU * phi), [0])
        self.definition = qc

    def inverse(self, annotated: bool = False) -> GPIGate:
        """``GPI(φ)`` squared is the identity."""
        return GPIGate(self.params[0])

    def __array__(
        self, dtype: npt.DTypeLike | None = None, copy: bool | None = None
    ) -> npt.NDArray[Any]:
        (phi,) = (float(p) for p in self.params)
        return _as_array(_pauli_phi(phi), dtype, copy)


class GPI2Gate(Gate):  # type: ignore[misc]  # qiskit ships no type information
    r"""IonQ's single-qubit π/2 rotation about an equatorial axis, phase ``φ`` in turns.

    .. math::

        GPI2(φ) = \frac{1}{\sqrt 2}
            \begin{pmatrix} 1 & -i e^{-2πiφ} \\ -i e^{2πiφ} & 1 \end{pmatrix}
            = \exp(-i\tfrac{π}{4} P(φ))

    ``GPI2(0)`` is exactly ``RX(π/2)``; ``GPI2(φ)†`` is ``GPI2(φ + 0.5)``.
    """

    def __init__(self, phi: ParameterValueType, label: str | None = None) -> None:
        super().__init__("gpi2", 1, [phi], label=label)

    def _define(self) -> None:
        # U(π/2, a - π/2, π/2 - a) is GPI2 exactly (it is also qiskit's R(π/2, a)).
        (phi,) = self.params
        qc = QuantumCircuit(1, name=self.name)
        qc.append(UGate(np.pi / 2, _TAU * phi - np.pi / 2, np.pi / 2 - _TAU * phi), [0])
        self.definition = qc

    def inverse(self, annotated: bool = False) -> GPI2Gate:
        """The π/2 rotation about the opposite axis, ``-P(φ) = P(φ + 0.5)``."""
        return GPI2Gate(self.params[0] + 0.5)

    def __array__(
        self, dtype: npt.DTypeLike | None = None, copy: bool | None = None
    ) -> npt.NDArray[Any]:
        (phi,) = (float(p) for p in self.params)
        matrix = (np.eye(2) - 1j * _pauli_phi(phi)) / np.sqrt(2)
        return _as_array(matrix, dtype, copy)


class IonQMSGate(Gate):  # type: ignore[misc]  # qiskit ships no type information
    r"""IonQ's Mølmer–Sørensen gate (Harmony, Aria); phases and angle in turns. Use as ``MSGate``.

    .. math::

        MS(φ_0, φ_1, θ) = \exp(-iπθ\, P(φ_0) ⊗ P(φ_1))
            = \cos(πθ)\, I - i \sin(πθ)\, P(φ_0) ⊗ P(φ_1)

    ``φ0`` acts on ``qargs[0]`` and ``φ1`` on ``qargs[1]``; in qiskit's little-endian matrix the
    tensor factor is therefore ``P(φ1) ⊗ P(φ0)``. ``θ = 0.25`` (the default) is fully entangling;
    IonQ runs ``0 < θ <= 0.25`` natively. ``MS(0, 0, t/2π)`` is exactly ``RXX(t)``.

    The class is not *named* ``MSGate`` because QPY serializes an instruction by its class name
    and would read that name back as qiskit's unrelated global MS gate
    (``qiskit.circuit.library.MSGate``, also called ``"ms"``).
    """

    def __init__(
        self,
        phi0: ParameterValueType,
        phi1: ParameterValueType,
        theta: ParameterValueType = 0.25,
        label: str | None = None,
    ) -> None:
        super().__init__("ms", 2, [phi0, phi1, theta], label=label)

    def _define(self) -> None:
        # RZ(2πφ)·X·RZ(-2πφ) = P(φ), so conjugating RXX by RZs on both qubits turns X⊗X into
        # P(φ0)⊗P(φ1) exactly (the RZ phases cancel pairwise).
        phi0, phi1, theta = self.params
        qc = QuantumCircuit(2, name=self.name)
        qc.append(RZGate(-_TAU * phi0), [0])
        qc.append(RZGate(-_TAU * phi1), [1])
        qc.append(RXXGate(_TAU * theta), [0, 1])
        qc.append(RZGate(_TAU * phi0), [0])
        qc.append(RZGate(_TAU * phi1), [1])
        self.definition = qc

    def inverse(self, annotated: bool = False) -> IonQMSGate:
        """The same interaction run backwards, ``MS(φ0, φ1, -θ)``."""
        phi0, phi1, theta = self.params
        return IonQMSGate(phi0, phi1, -theta)

    def __array__(
        self, dtype: npt.DTypeLike | None = None, copy: bool | None = None
    ) -> npt.NDArray[Any]:
        phi0, phi1, theta = (float(p) for p in self.params)
        interaction = np.kron(_pauli_phi(phi1), _pauli_phi(phi0))
        matrix = np.cos(np.pi * theta) * np.eye(4) - 1j * np.sin(np.pi * theta) * interaction
        return _as_array(matrix, dtype, copy)


MSGate = IonQMSGate


class ZZGate(Gate):  # type: ignore[misc]  # qiskit ships no type information
    r"""IonQ's ZZ interaction (Forte family), angle ``θ`` in turns.

    .. math::

        ZZ(θ) = \exp(-iπθ\, Z ⊗ Z) = \mathrm{diag}(e^{-iπθ}, e^{iπθ}, e^{iπθ}, e^{-iπθ})

    ``ZZ(t/2π)`` is exactly ``RZZ(t)``; ``ZZ(θ)†`` is ``ZZ(-θ)``.
    """

    def __init__(self, theta: ParameterValueType, label: str | None = None) -> None:
        super().__init__("zz", 2, [theta], label=label)

    def _define(self) -> None:
        (theta,) = self.params
        qc = QuantumCircuit(2, name=self.name)
        qc.append(RZZGate(_TAU * theta), [0, 1])
        self.definition = qc

    def inverse(self, annotated: bool = False) -> ZZGate:
        """The same interaction run backwards, ``ZZ(-θ)``."""
        return ZZGate(-self.params[0])

    def __array__(
        self, dtype: npt.DTypeLike | None = None, copy: bool | None = None
    ) -> npt.NDArray[Any]:
        (theta,) = (float(p) for p in self.params)
        phase = np.exp(-1j * np.pi * theta)
        matrix = np.diag([phase, phase.conjugate(), phase.conjugate(), phase])
        return _as_array(matrix.astype(np.complex128), dtype, copy)


NATIVE_GATES: dict[str, type[Gate]] = {
    "gpi": GPIGate,
    "gpi2": GPI2Gate,
    "ms": MSGate,
    "zz": ZZGate,
}
"""IonQ's native gate names (as in its API and ``Target``) to their qiskit classes."""


def native_gate_mapping() -> dict[str, Gate]:
    """Each native gate with a free ``Parameter`` per argument, keyed by name.

    The IonQ analogue of qiskit's ``get_standard_gate_name_mapping()``: what a ``Target`` holds
    (``Target.from_configuration(..., custom_name_mapping=native_gate_mapping())``) so that any
    angle is accepted.
    """
    return {
        "gpi": GPIGate(Parameter("φ")),
        "gpi2": GPI2Gate(Parameter("φ")),
        "ms": MSGate(Parameter("φ0"), Parameter("φ1"), Parameter("θ")),
        "zz": ZZGate(Parameter("θ")),
    }
