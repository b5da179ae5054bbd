"""A device as a networkx graph: qubits are nodes, pairs with a two-qubit gate are edges.

So that graph tools (shortest paths, subgraph search, community detection, drawing) run on a
calibration directly. The rules, with every attribute and its unit, are in docs/graphs.md.

* **Direction.** The default is a ``DiGraph`` with an edge ``a -> b`` wherever a two-qubit gate
  is calibrated on ``(a, b)``: a symmetric gate (IBM's ``cz``, IonQ's ``zz``) gives both
  directions, a directed one (IBM Eagle's ``ecr``) only those that exist.
  ``undirected=True`` gives a ``Graph`` with one edge per pair, from the better direction.
* **Main gates.** ``error``/``duration`` of an edge come from the device's main entangling
  gate, the non-fractional one (``cz`` rather than ``rzz`` on a Heron with fractional
  gates); ``single_qubit_error`` of a node from its main pulse (``sx`` on IBM, ``gpi2`` on
  IonQ). Every gate's numbers stay available in ``gate_errors``/``gate_durations``.
* **Faults.** From a ``Calibration``, faulty qubits and gates stay in the graph with
  ``operational=False``; a ``Target`` does not record faults, so its graph has no
  ``operational`` attribute.
* **Device-wide numbers.** From a ``Calibration`` that has them, edges carry their
  coupler's ``coupling`` and ``static_zz`` (Hz), and the graph its ``layer_fidelities``;
  a ``Target`` holds neither.

>>> import qtargets
>>> from qtargets.graphs import to_networkx
>>> graph = to_networkx(qtargets.load_calibration("ibm_fez"))
>>> graph.graph["two_qubit_gate"], graph.number_of_nodes(), graph.number_of_edges()
('cz', 156, 352)
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from qiskit.circuit import Gate
from qiskit.transpiler import Target

from .model import Calibration, CouplerCalibration, LayerFidelity, is_virtual

if TYPE_CHECKING:
    # networkx is imported when first used: it adds ~0.2 s to ``import qtargets`` otherwise.
    import networkx as nx  # type: ignore[import-untyped]

__all__ = ["SINGLE_QUBIT_PULSES", "to_networkx"]

SINGLE_QUBIT_PULSES = ("sx", "gpi2")
"""The pi/2 pulses IBM (``sx``) and IonQ (``gpi2``) build every single-qubit rotation from,
preferred as a device's main single-qubit gate. IBM reports the same error for ``x`` and
``id``, and IonQ for ``gpi``, so the choice names the gate rather than changes the number."""


@dataclass(frozen=True, slots=True)
class _Entry:
    error: float | None
    duration: float | None
    operational: bool | None
    """``None`` when the source (a Target) does not say."""


@dataclass(frozen=True, slots=True)
class _GateTable:
    """One gate of the device and where it is calibrated, whatever the source."""

    name: str
    num_qubits: int
    fractional: bool
    parametrised: bool
    entries: dict[tuple[int, ...], _Entry]

    @property
    def virtual(self) -> bool:
        """A frame change, no pulse (see :func:`qtargets.model.is_virtual`)."""
        return is_virtual(self.name, (e.error for e in self.entries.values()))


@dataclass(frozen=True, slots=True)
class _Qubit:
    t1: float | None
    t2: float | None
    frequency: float | None
    readout_error: float | None
    readout_duration: float | None
    operational: bool | None


@dataclass(frozen=True, slots=True)
class _Device:
    """What a graph needs from a Calibration or a Target."""

    attributes: dict[str, Any]
    qubits: list[_Qubit]
    gates: list[_GateTable]
    couplers: dict[tuple[int, int], CouplerCalibration] | None = None
    """By pair, lower qubit first; ``None`` when the source has no coupler numbers."""


def to_networkx(source: Calibration | Target, *, undirected: bool = False) -> nx.Graph:
    """The device of ``source`` as a ``networkx.DiGraph`` (or ``Graph`` if ``undirected``).

    A ``Calibration`` gives the fuller picture (faulty elements, vendor, calibration time);
    a ``Target`` gives what the transpiler sees. Nodes are qubit indices 0..n-1, every qubit
    a node even when it has no two-qubit gate. Attributes are described in docs/graphs.md.

    ``undirected=True`` merges the two directions of a pair into one edge carrying the
    attributes of the better direction (an operational one over a faulty one, then the lower
    ``error``, unknown counting as worst, then ``(min, max)``), plus ``qubits``: that
    direction.
    """
    import networkx as nx  # noqa: PLC0415  (see the TYPE_CHECKING import)

    if isinstance(source, Calibration):
        device = _from_calibration(source)
    elif isinstance(source, Target):
        device = _from_target(source)
    else:
        raise TypeError(f"expected a qtargets Calibration or a qiskit Target, "
                        f"got {type(source).__name__}")

    one_qubit = _ranked([g for g in device.gates if g.num_qubits == 1 and not g.virtual],
                        SINGLE_QUBIT_PULSES)
    two_qubit = _ranked([g for g in device.gates if g.num_qubits == 2], ())
    main_1q = one_qubit[0] if one_qubit else None

    graph = nx.DiGraph(
        **device.attributes,
        single_qubit_gate=main_1q.name if main_1q is not None else None,
        two_qubit_gate=two_qubit[0].name if two_qubit else None,
    )
    for q, qubit in enumerate(device.qubits):
        graph.add_node(q, **_node_attributes(q, qubit, device.gates, main_1q))
    for pair, attributes in _edges(device.qubits, two_qubit):
        if device.couplers is not None:
            coupler = device.couplers.get((min(pair), max(pair)))
            attributes["coupling"] = coupler.coupling if coupler is not None else None
            attributes["static_zz"] = coupler.static_zz if coupler is not None else None
        graph.add_edge(*pair, **attributes)
    return _merge_directions(graph) if undirected else graph


# -- sources -------------------------------------------------------------------------------


def _from_calibration(cal: Calibration) -> _Device:
    measure = _measure_entries(cal)
    qubits = [
        _Qubit(
            t1=q.t1,
            t2=q.t2,
            frequency=q.frequency,
            readout_error=q.readout_error if q.readout_error is not None
            else measure.get(i, _NO_ENTRY).error,
            readout_duration=q.readout_duration if q.readout_duration is not None
            else measure.get(i, _NO_ENTRY).duration,
            operational=q.operational,
        )
        for i, q in enumerate(cal.qubits)
    ]
    gates = [
        _GateTable(
            name=inst.name,
            num_qubits=inst.num_qubits,
            fractional=inst.fractional,
            parametrised=bool(inst.parameters),
            entries={g.qubits: _Entry(g.error, g.duration, g.operational) for g in inst.qargs},
        )
        for inst in cal.instructions
        if inst.kind == "gate" and inst.qargs is not None and inst.num_qubits in (1, 2)
    ]
    attributes = {
        "backend_name": cal.backend_name,
        "vendor": cal.vendor,
        "processor": cal.processor,
        "taken_at": cal.taken_at,
        "num_qubits": cal.num_qubits,
        "description": f"{cal.vendor} {cal.backend_name}",  # what build_target writes
        "layer_fidelities": _shortest_first(cal.layer_fidelities),
    }
    couplers = {c.qubits: c for c in cal.couplers} if cal.couplers else None
    return _Device(attributes, qubits, gates, couplers)


def _shortest_first(layers: tuple[LayerFidelity, ...]) -> tuple[LayerFidelity, ...]:
    return tuple(sorted(layers, key=lambda layer: layer.num_qubits))


_NO_ENTRY = _Entry(None, None, None)


def _measure_entries(cal: Calibration) -> dict[int, _Entry]:
    try:
        measure = cal.instruction("measure")
    except KeyError:
        return {}
    return {g.qubits[0]: _Entry(g.error, g.duration, g.operational)
            for g in measure.qargs or () if len(g.qubits) == 1}


def _from_target(target: Target) -> _Device:
    properties = target.qubit_properties or [None] * target.num_qubits
    measure = _target_entries(target, "measure") if "measure" in target else {}
    qubits = []
    for q in range(target.num_qubits):
        props = properties[q]
        readout = measure.get((q,), _NO_ENTRY)
        qubits.append(_Qubit(
            t1=getattr(props, "t1", None),
            t2=getattr(props, "t2", None),
            frequency=getattr(props, "frequency", None),
            readout_error=readout.error,
            readout_duration=readout.duration,
            operational=None,
        ))
    gates = []
    for name in target.operation_names:
        operation = target.operation_from_name(name)
        # a class rather than an instance: a variadic operation such as control flow
        if isinstance(operation, type) or not isinstance(operation, Gate):
            continue
        if operation.num_qubits not in (1, 2):
            continue
        entries = _target_entries(target, name)
        if not entries:
            continue
        gates.append(_GateTable(
            name=name,
            num_qubits=operation.num_qubits,
            # a Target does not mark fractional gates; IBM's (rzz) are the angle-bounded ones
            fractional=target.gate_has_angle_bounds(name),
            parametrised=bool(operation.params),
            entries=entries,
        ))
    attributes = {
        "backend_name": None,
        "vendor": None,
        "processor": None,
        "taken_at": None,
        "num_qubits": target.num_qubits,
        "description": target.description,
        "layer_fidelities": (),
    }
    return _Device(attributes, qubits, gates)


def _target_entries(target: Target, name: str) -> dict[tuple[int, ...], _Entry]:
    """Per-qubit entries of ``name``; empty for a global one (``None`` qargs)."""
    out: dict[tuple[int, ...], _Entry] = {}
    for qargs, props in target[name].items():
        if qargs is None:
            return {}
        out[tuple(qargs)] = (_Entry(props.error, props.duration, None) if props is not None
                             else _NO_ENTRY)
    return out


# -- graph ---------------------------------------------------------------------------------


def _ranked(gates: list[_GateTable], preferred: tuple[str, ...]) -> list[_GateTable]:
    """Best first: a preferred name, then non-fractional, parameter-free, widest coverage.

    "Parameter-free" is what tells Heron's ``cz`` from ``rzz`` in a Target, where nothing
    marks the fractional one but its angle bounds; the name makes the order total.
    """
    def key(g: _GateTable) -> tuple[int, bool, bool, int, str]:
        rank = preferred.index(g.name) if g.name in preferred else len(preferred)
        return (rank, g.fractional, g.parametrised, -len(g.entries), g.name)

    return sorted(gates, key=key)


def _node_attributes(q: int, qubit: _Qubit, gates: list[_GateTable],
                     main_1q: _GateTable | None) -> dict[str, Any]:
    gate_errors: dict[str, float | None] = {}
    gate_durations: dict[str, float | None] = {}
    for gate in gates:
        entry = gate.entries.get((q,)) if gate.num_qubits == 1 else None
        if entry is not None:
            gate_errors[gate.name] = entry.error
            gate_durations[gate.name] = entry.duration
    main = main_1q.entries.get((q,), _NO_ENTRY) if main_1q is not None else _NO_ENTRY
    attributes: dict[str, Any] = {
        "t1": qubit.t1,
        "t2": qubit.t2,
        "frequency": qubit.frequency,
        "readout_error": qubit.readout_error,
        "readout_duration": qubit.readout_duration,
        "single_qubit_error": main.error,
        "gate_errors": gate_errors,
        "gate_durations": gate_durations,
    }
    if qubit.operational is not None:
        attributes["operational"] = qubit.operational
    return attributes


def _edges(qubits: list[_Qubit], ranked: list[_GateTable]
           ) -> Iterator[tuple[tuple[int, int], dict[str, Any]]]:
    """One directed edge per calibrated pair; ``gate`` is the best-ranked gate on it."""
    pairs = {(qargs[0], qargs[1]) for gate in ranked for qargs in gate.entries}
    for pair in sorted(pairs):
        on_pair = [g for g in ranked if pair in g.entries]
        best = on_pair[0]
        entry = best.entries[pair]
        attributes: dict[str, Any] = {
            "gate": best.name,
            "error": entry.error,
            "duration": entry.duration,
            "gate_errors": {g.name: g.entries[pair].error for g in on_pair},
            "gate_durations": {g.name: g.entries[pair].duration for g in on_pair},
        }
        if entry.operational is not None:
            attributes["operational"] = (entry.operational
                                         and bool(qubits[pair[0]].operational)
                                         and bool(qubits[pair[1]].operational))
        yield pair, attributes


def _merge_directions(graph: nx.DiGraph) -> nx.Graph:
    import networkx as nx  # noqa: PLC0415

    merged = nx.Graph(**graph.graph)
    merged.add_nodes_from(graph.nodes(data=True))
    for a, b in _unordered(graph.edges):
        directions = [d for d in ((a, b), (b, a)) if graph.has_edge(*d)]
        best = min(directions, key=lambda d: _direction_rank(d, graph.edges[d]))
        merged.add_edge(a, b, **graph.edges[best], qubits=best)
    return merged


def _unordered(edges: Iterable[tuple[int, int]]) -> list[tuple[int, int]]:
    return sorted({(min(a, b), max(a, b)) for a, b in edges})


def _direction_rank(direction: tuple[int, int], data: dict[str, Any]
                    ) -> tuple[bool, bool, float, bool]:
    error = data["error"]
    return (not data.get("operational", True), error is None,
            error if error is not None else 0.0, direction[0] > direction[1])
