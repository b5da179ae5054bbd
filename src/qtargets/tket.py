"""A calibration as a pytket ``BackendInfo``, so TKET's noise-aware placement and routing run
on the same numbers as qiskit's ``Target``.

>>> import qtargets
>>> info = qtargets.to_pytket("qpu.aria-1")          # or a Calibration, a file, a backend
>>> type(info.architecture).__name__, info.n_nodes
('FullyConnected', 25)

pytket's own IBM backend (pytket-qiskit's ``IBMQBackend``) builds its ``BackendInfo`` only
from a live, authenticated backend; this builds one offline from any calibration qtargets
reads, bundled, stored or live, IBM or IonQ. The conventions are that backend's, so a
``BackendInfo`` from here and one from ``IBMQBackend`` are read the same way:

* **Nodes** are ``Node("node", i)`` (pytket's default ``Node(i)``) for the device's qubit
  ``i``, as ``IBMQBackend`` names them; ``label=`` picks another register name. A device on
  which every qubit pairs with every other (IonQ) gets a ``FullyConnected`` architecture,
  any other an ``Architecture`` of the directed pairs the calibration has a working
  two-qubit gate on.
* **Errors.** ``all_node_gate_errors[node][optype]`` and ``all_edge_gate_errors[(a, b)]
  [optype]`` are the calibration's errors, unchanged; the ``averaged_*`` dicts (which
  ``NoiseAwarePlacement`` reads) are their plain means over a node's or a link's gates,
  ``rz``'s 0 included, as pytket-qiskit computes them. A readout matrix is
  ``[[P(0|0), P(1|0)], [P(0|1), P(1|1)]]`` (row: prepared, column: read), from the
  asymmetric ``prob_meas1_prep0``/``prob_meas0_prep1`` where the calibration has them, else
  symmetric from ``readout_error``; its average is the mean of the two off-diagonal terms.
  An unknown error is left out, never made up: TKET reads a missing one as 0.
* **Faults.** Faulty qubits, faulty gates and dead couplers (error 1, IBM's mark of a broken
  pair) are left out of the architecture and every error table, so neither placement nor
  routing uses them; they are listed in ``misc["faulty"]``. A working qubit left with no
  working coupler cannot be an ``Architecture`` node: it is left out too, with a warning.
* **Gate set.** Each instruction name maps to one ``OpType`` (:data:`OPTYPES`); a name with
  none is left out of the gate set with one warning naming every such name. Instructions
  pytket has no operation for by design (``delay``, loops, ``switch_case``) are left out
  without a warning; every left-out name is in ``misc["left_out"]``.

pytket states angles in half-turns (units of π); qiskit's gates take radians and IonQ's
native gates turns, so the same gate takes ``θ/π`` in pytket for a qiskit angle ``θ`` and
``2φ`` for an IonQ phase ``φ``: ``GPIGate(φ)`` is ``GPI(2φ)``, ``GPI2Gate(φ)`` is
``GPI2(2φ)``, ``MSGate(φ0, φ1, θ)`` is ``AAMS(2θ, 2φ0, 2φ1)`` (note the order) and
``ZZGate(θ)`` is ``ZZPhase(2θ)``, exactly (same matrices, no global phase).
"""

from __future__ import annotations

import statistics
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from ._exceptions import warn
from ._optional import require
from ._version import __version__
from .devices import DeviceSpec, resolve
from .live import DEFAULT_TIMEOUT, StoreArg, When
from .model import UNCALIBRATED_ERROR, Calibration, GateCalibration, InstructionCalibration

if TYPE_CHECKING:
    from pytket.backends.backendinfo import BackendInfo
    from pytket.circuit import Node, OpType

__all__ = ["OPTYPES", "WITHOUT_OPTYPE", "to_pytket"]

OPTYPES: dict[str, str] = {
    # qiskit's standard gates that are pytket's (angles in radians there, half-turns here)
    "id": "noop", "x": "X", "y": "Y", "z": "Z", "h": "H", "s": "S", "sdg": "Sdg",
    "t": "T", "tdg": "Tdg", "sx": "SX", "sxdg": "SXdg", "rx": "Rx", "ry": "Ry", "rz": "Rz",
    "p": "U1", "u1": "U1", "u2": "U2", "u3": "U3", "u": "U3", "r": "PhasedX",
    "cx": "CX", "cy": "CY", "cz": "CZ", "ch": "CH", "ecr": "ECR", "swap": "SWAP",
    "iswap": "ISWAPMax", "crx": "CRx", "cry": "CRy", "crz": "CRz", "cp": "CU1", "cu1": "CU1",
    "cu3": "CU3", "csx": "CSX", "cs": "CS", "csdg": "CSdg", "rxx": "XXPhase",
    "ryy": "YYPhase", "rzz": "ZZPhase", "ccx": "CCX", "cswap": "CSWAP",
    # IonQ's native gates (qtargets.ionq.gates; phases in turns there, half-turns here)
    "gpi": "GPI", "gpi2": "GPI2", "ms": "AAMS", "zz": "ZZPhase",
    # not gates
    "measure": "Measure", "reset": "Reset", "barrier": "Barrier",
}
"""A calibration's instruction name -> the name of the pytket ``OpType`` that is the same
operation (same matrix once angles are converted to half-turns; see the module docs)."""

WITHOUT_OPTYPE = frozenset({"delay", "for_loop", "while_loop", "switch_case"})
"""Instructions pytket has no operation for by design (no timing, no loops): left out of
the gate set without a warning. ``if_else`` is not among them: it becomes pytket's
``Conditional`` (with ``RangePredicate``) and ``supports_fast_feedforward``."""

_FEEDFORWARD = "if_else"


def to_pytket(device: DeviceSpec, at: When = None, *, label: str = "node",
              live: bool | None = None, store: StoreArg = None,
              timeout: float = DEFAULT_TIMEOUT) -> BackendInfo:
    """The pytket ``BackendInfo`` of a device's calibration (conventions: module docs).

    ``device`` is any form :func:`qtargets.calibration` takes (a name, ``NAME@TIME``, a
    calibration file, a Calibration, a qtargets backend), resolved with ``at``, ``live``,
    ``store`` and ``timeout`` as there; a bare qiskit Target has no calibration to convert.
    ``label`` is the register name of the nodes (``"q"`` for pytket-quantinuum's).

    Example, TKET's noise-aware placement on a real IBM calibration::

        >>> import qtargets
        >>> from pytket import Circuit
        >>> from pytket.placement import NoiseAwarePlacement
        >>> info = qtargets.to_pytket("ibm_boston")  # warns: measure_2, reset_2 (no OpType)
        >>> placement = NoiseAwarePlacement(info.architecture, info.averaged_node_gate_errors,
        ...                                 info.averaged_edge_gate_errors,
        ...                                 info.averaged_readout_errors)
        >>> mapping = placement.get_placement_map(Circuit(2).CZ(0, 1))
    """
    require("pytket", "converting a calibration to a pytket BackendInfo")
    cal = resolve(device, at, live=live, store=store,
                  timeout=timeout).require_calibration("to_pytket")
    return _backend_info(cal, label)


def _backend_info(cal: Calibration, label: str) -> BackendInfo:
    from pytket.architecture import Architecture, FullyConnected  # noqa: PLC0415
    from pytket.backends.backendinfo import BackendInfo  # noqa: PLC0415
    from pytket.circuit import Node, OpType  # noqa: PLC0415

    faulty_qubits = set(cal.faulty_qubits)
    working = [q for q in range(cal.num_qubits) if q not in faulty_qubits]
    gates, left_out, unknown, bounded = _gate_table(cal.instructions)
    if unknown:
        warn(f"{cal.backend_name}: no pytket OpType for {_names(unknown)}: left out of the "
             "BackendInfo's gate set and error tables")
    if bounded:
        warn(f"{cal.backend_name}: {_names(bounded)} only take(s) angles within bounds that "
             "a pytket gate set cannot express: left out of the BackendInfo's gate set")

    links: set[tuple[int, int]] = set()
    dead: set[tuple[int, int]] = set()
    for inst in gates:
        if inst.num_qubits != 2:
            continue
        if inst.qargs is None:  # runs on any pair
            links.update((a, b) for a in working for b in working if a != b)
            continue
        for g in inst.qargs:
            pair = (g.qubits[0], g.qubits[1])
            if _works(g, faulty_qubits):
                links.add(pair)
            elif faulty_qubits.isdisjoint(pair):
                dead.add(pair)
    dead -= links  # a pair another gate still runs on is not dead

    all_to_all = len(working) == cal.num_qubits and len(links) == len(working) * (
        len(working) - 1)
    nodes = {q: Node(label, q) for q in working}
    isolated: list[int] = []
    architecture: Architecture | FullyConnected
    if all_to_all:
        architecture = FullyConnected(cal.num_qubits, label)
    else:
        architecture = Architecture([(nodes[a], nodes[b]) for a, b in sorted(links)])
        linked = {q for pair in links for q in pair}
        isolated = [q for q in working if q not in linked]
        if isolated:
            warn(f"{cal.backend_name}: qubit(s) {', '.join(map(str, isolated))} have no "
                 "working coupler, so cannot be nodes of a pytket Architecture: left out")
        nodes = {q: node for q, node in nodes.items() if q in linked}

    node_errors: dict[Node, dict[OpType, float]] = {node: {} for node in nodes.values()}
    edge_errors: dict[tuple[Node, Node], dict[OpType, float]] = {}
    gate_times: list[list[Any]] = []
    for inst in gates:
        optype = OpType.from_name(OPTYPES[inst.name])
        for g in inst.qargs or ():
            if not _works(g, faulty_qubits) or not all(q in nodes for q in g.qubits):
                continue
            if g.duration is not None and inst.kind != "measure":
                gate_times.append([inst.name, list(g.qubits), g.duration * 1e9])
            if g.error is None or inst.kind == "measure":
                continue
            if len(g.qubits) == 1:
                node_errors[nodes[g.qubits[0]]].setdefault(optype, g.error)
            elif len(g.qubits) == 2:
                key = (nodes[g.qubits[0]], nodes[g.qubits[1]])
                edge_errors.setdefault(key, {}).setdefault(optype, g.error)
    node_errors = {node: errors for node, errors in node_errors.items() if errors}

    readout = _readout_matrices(cal, nodes)
    gate_set = {OpType.from_name(OPTYPES[inst.name]) for inst in gates}
    feedforward = any(inst.name == _FEEDFORWARD and inst.kind == "control_flow"
                      for inst in cal.instructions)
    if feedforward:
        gate_set |= {OpType.Conditional, OpType.RangePredicate}
    return BackendInfo(
        name="qtargets",
        device_name=cal.backend_name,
        version=__version__,
        architecture=architecture,
        gate_set=gate_set,
        supports_fast_feedforward=feedforward,
        # branching on a result mid-circuit needs the measurement to be mid-circuit
        supports_midcircuit_measurement=feedforward,
        supports_reset=OpType.Reset in gate_set,
        all_node_gate_errors=node_errors,
        all_edge_gate_errors=edge_errors,
        all_readout_errors=readout,
        averaged_node_gate_errors={n: statistics.fmean(e.values())
                                   for n, e in node_errors.items()},
        averaged_edge_gate_errors={link: statistics.fmean(e.values())
                                   for link, e in edge_errors.items()},
        averaged_readout_errors={n: (m[0][1] + m[1][0]) / 2 for n, m in readout.items()},
        misc={
            "characterisation": _characterisation(cal, nodes, gate_times),
            "calibration": {
                "vendor": cal.vendor,
                "backend_name": cal.backend_name,
                "processor": cal.processor,
                "backend_version": cal.backend_version,
                "taken_at": cal.taken_at.isoformat() if cal.taken_at is not None else None,
                "source": cal.provenance.source,
            },
            "faulty": {
                "qubits": sorted(faulty_qubits),
                "couplers": [list(pair) for pair in sorted(dead)],
                "isolated_qubits": isolated,
            },
            "left_out": sorted({*left_out, *unknown, *bounded}),
        },
    )


def _gate_table(instructions: Iterable[InstructionCalibration]
                ) -> tuple[list[InstructionCalibration], list[str], list[str], list[str]]:
    """The instructions that have an OpType; those without one by design, unknown to the
    mapping, and left out for their angle bounds."""
    gates: list[InstructionCalibration] = []
    by_design: list[str] = []
    unknown: list[str] = []
    bounded: list[str] = []
    for inst in instructions:
        if inst.name in WITHOUT_OPTYPE or inst.kind in ("delay", "control_flow"):
            if inst.name != _FEEDFORWARD:
                by_design.append(inst.name)
        elif inst.name not in OPTYPES:
            unknown.append(inst.name)
        elif inst.angle_bounds is not None:
            bounded.append(inst.name)
        else:
            gates.append(inst)
    return gates, by_design, unknown, bounded


def _works(gate: GateCalibration, faulty_qubits: set[int]) -> bool:
    """Usable: not marked faulty, on working qubits, and not a dead coupler (error 1)."""
    if not gate.operational or not faulty_qubits.isdisjoint(gate.qubits):
        return False
    return len(gate.qubits) < 2 or gate.error is None or gate.error < UNCALIBRATED_ERROR


def _readout_matrices(cal: Calibration, nodes: dict[int, Node]) -> dict[Node, list[list[float]]]:
    """Each node's readout matrix: row = prepared state, column = the bit read."""
    measured: dict[int, float] = {}
    try:
        measure = cal.instruction("measure")
    except KeyError:
        measure = None
    if measure is not None:
        measured = {g.qubits[0]: g.error for g in measure.qargs or ()
                    if g.error is not None and g.operational}
    out: dict[Node, list[list[float]]] = {}
    for q, node in nodes.items():
        qubit = cal.qubits[q]
        read1_prep0, read0_prep1 = qubit.prob_meas1_prep0, qubit.prob_meas0_prep1
        if read1_prep0 is None or read0_prep1 is None:
            symmetric = (qubit.readout_error if qubit.readout_error is not None
                         else measured.get(q))
            if symmetric is None:
                continue
            read1_prep0 = read0_prep1 = symmetric
        out[node] = [[1.0 - read1_prep0, read1_prep0], [read0_prep1, 1.0 - read0_prep1]]
    return out


def _characterisation(cal: Calibration, nodes: dict[int, Node],
                      gate_times: list[list[Any]]) -> dict[str, list[list[Any]]]:
    """pytket-qiskit's ``misc["characterisation"]`` in its units: T1/T2 in microseconds,
    frequencies in GHz, gate times in nanoseconds (what its crosstalk model reads)."""
    def column(values: Iterable[tuple[int, float | None]], scale: float) -> list[list[Any]]:
        return [[q, value * scale] for q, value in values if value is not None]

    qubits = [(q, cal.qubits[q]) for q in nodes]
    return {
        "t1times": column(((q, c.t1) for q, c in qubits), 1e6),
        "t2times": column(((q, c.t2) for q, c in qubits), 1e6),
        "Frequencies": column(((q, c.frequency) for q, c in qubits), 1e-9),
        "GateTimes": gate_times,
    }


def _names(names: Iterable[str]) -> str:
    return ", ".join(repr(n) for n in sorted(names))
