"""Malformed IBM payloads fail with ``CalibrationError`` and nothing else.

Acceptance criterion: Hypothesis-generated malformed ``/configuration`` and ``/properties``
payloads (wrong types, missing fields, NaN/inf, negative errors, qubit indices out of range,
unknown units, truncated or duplicated lists...) raise only :class:`qtargets.CalibrationError`,
never anything else, whether they arrive as dicts or as JSON bytes.

The payloads are real, small snapshots (5-qubit ``vigo``, 7-qubit ``lagos`` with timing
constraints and control flow, and ``fractional`` with ``rzz``/``rx``) with one to three random
mutations applied. Alongside the random search, one concrete mutation per category is pinned
to the exact path its error message must name, and payloads the search once found to crash
the converter are replayed on every run (``@example``).
"""

from __future__ import annotations

import copy
import dataclasses
import json
import math
import subprocess
import sys
import textwrap
import warnings
from collections.abc import Callable, Sequence
from functools import cache
from typing import Any, TypeVar

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from qiskit.transpiler import Target

import qtargets
from qtargets import CalibrationError
from qtargets.ibm import to_calibration

from reference import snapshots

_T = TypeVar("_T")

SMALL_SNAPSHOTS = ("vigo", "lagos", "fractional")

# The fields the converter reads; mutating the many fields it ignores (channels, hamiltonian,
# general...) would only waste examples.
CONF_FIELDS = (
    "backend_name", "backend_version", "n_qubits", "basis_gates", "gates", "coupling_map",
    "supported_instructions", "instruction_signatures", "dt", "dtm", "timing_constraints",
    "processor_type", "simulator", "online_date",
)
PROPS_FIELDS = ("backend_name", "last_update_date", "qubits", "gates")

UNITS = (
    "furlongs", "GHz", "MHz", "kHz", "Hz", "s", "ms", "us", "\u00b5s", "\u03bcs", "ns", "ps",
    "", "US", "ns ", "sec", "dBm",
)
SPECIAL_VALUES: tuple[Any, ...] = (
    None, True, False, "", "abc", "1.5", "NaN", [], {}, [[]], [None], {"value": 1},
    math.nan, math.inf, -math.inf, -1, -1.0, -0.1, -1e-300, 0, 0.0, -0.0, 1, 1.5, 2,
    1e300, 1e308, -1e308, 5e-324, 2**31, 2**32, 2**53 + 1, 2**63, 2**64, 10**30, -(2**64),
    10**400,
    "0001-01-01T00:00:00+01:00", "9999-12-31T23:59:59-01:00", "2021-02-30T00:00:00Z", "Z",
)
INSTRUCTION_NAMES = (
    "rzz", "rx", "rz", "cx", "ecr", "x", "id", "u3", "global_phase", "measure", "reset",
    "delay", "if_else", "for_loop", "while_loop", "switch_case", "barrier", "measure_2",
    "foo", "",
)
TIMING_KEYS = ("granularity", "min_length", "pulse_alignment", "acquire_alignment", "bogus")
PROPERTY_NAMES = (
    "T1", "T2", "frequency", "anharmonicity", "readout_error", "readout_length",
    "prob_meas0_prep1", "prob_meas1_prep0", "operational", "gate_error", "gate_length",
    "bogus",
)


@cache
def _original(name: str) -> tuple[str, str]:
    snapshot = next(s for s in snapshots() if s.id == name)
    return json.dumps(snapshot.conf()), json.dumps(snapshot.props())


def fresh_payloads(name: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """A private, mutable copy of a real snapshot's (configuration, properties)."""
    conf, props = _original(name)
    return json.loads(conf), json.loads(props)


def _descendants(node: Any, prefix: tuple[Any, ...]) -> list[tuple[Any, ...]]:
    out: list[tuple[Any, ...]] = []
    if isinstance(node, dict):
        items: Any = node.items()
    elif isinstance(node, list):
        items = enumerate(node)
    else:
        return out
    for key, child in items:
        path = (*prefix, key)
        out.append(path)
        out.extend(_descendants(child, path))
    return out


def _show(root: str, path: tuple[Any, ...]) -> str:
    """``("qubits", 3, 1, "value")`` under properties -> ``properties.qubits[3][1].value``."""
    return root + "".join(f"[{key}]" if isinstance(key, int) else f".{key}" for key in path)


def _get(doc: Any, path: tuple[Any, ...]) -> Any:
    for key in path:
        doc = doc[key]
    return doc


def bad_values(n: int) -> st.SearchStrategy[Any]:
    """Values that are wrong somewhere: wrong types, non-finite, negative, huge, bogus units,
    qubit indices around ``n``, dates out of range, random JSON."""
    json_leaves = st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=4)
    return st.one_of(
        st.sampled_from(SPECIAL_VALUES),
        st.sampled_from(UNITS),
        st.sampled_from([n - 1, n, n + 1, 2 * n, [0, n], [n, 0], [0, 0], [-1], [0, 1, 2],
                         [0.0], [True], ["0"]]),
        st.integers(),
        st.floats(),
        st.text(max_size=8),
        st.recursive(
            json_leaves,
            lambda kids: st.lists(kids, max_size=3)
            | st.dictionaries(st.text(max_size=4), kids, max_size=3),
            max_leaves=5,
        ),
    )


def n_qubits_values(n: int) -> st.SearchStrategy[Any]:
    """Bad qubit counts. Huge ones are left to ``test_huge_n_qubits_...`` (run in a memory-
    limited subprocess): a converter that trusted them could exhaust this machine's memory."""
    return st.sampled_from([
        -1, 0, 1, n - 1, n + 1, 2 * n, 1.5, float(n), "5", None, True, math.nan, math.inf,
        [], {}, [n],
    ])


def nduv_records() -> st.SearchStrategy[dict[str, Any]]:
    return st.fixed_dictionaries({
        "name": st.sampled_from(PROPERTY_NAMES),
        "unit": st.sampled_from(UNITS),
        "value": st.one_of(st.floats(), st.integers(), st.sampled_from(SPECIAL_VALUES)),
    })


Mutation = Callable[[st.DrawFn, dict[str, Any], dict[str, Any], int], str]


def _index(draw: st.DrawFn, size: int) -> int:
    """An index into ``size`` items. A one-value draw (``integers(0, 0)``) is not drawn at all:
    hypothesis records such pseudo-choices inconsistently on replay, and reports the strategy
    as flaky (FlakyStrategyDefinition, seen in CI with hypothesis 6.170.29)."""
    return draw(st.integers(0, size - 1)) if size > 1 else 0


def _one(draw: st.DrawFn, items: Sequence[_T]) -> _T:
    """One of ``items``, drawn only if there is a choice (see :func:`_index`)."""
    return items[_index(draw, len(items))]


def _pick(draw: st.DrawFn, conf: Any, props: Any,
          want: Callable[[Any], bool] = lambda node: True,
          ) -> tuple[str, Any, tuple[Any, ...]] | None:
    """A random (document name, document, path) whose node satisfies ``want``.

    First a field the converter reads (each equally likely, so small ones such as
    ``timing_constraints`` get hit as often as the big ``properties.gates``), then a node in it.
    """
    groups = []
    for root, doc, fields in (("configuration", conf, CONF_FIELDS),
                              ("properties", props, PROPS_FIELDS)):
        if not isinstance(doc, dict):
            continue
        for key in fields:
            if key in doc:
                paths = [(key,), *_descendants(doc[key], (key,))]
                paths = [path for path in paths if want(_get(doc, path))]
                if paths:
                    groups.append((root, doc, paths))
    if not groups:
        return None
    root, doc, paths = _one(draw, groups)
    return root, doc, _one(draw, paths)


def replace_value(draw: st.DrawFn, conf: dict[str, Any], props: dict[str, Any], n: int) -> str:
    picked = _pick(draw, conf, props)
    if picked is None:
        return "replace: nothing to replace"
    root, doc, path = picked
    value = draw(n_qubits_values(n) if (root, path) == ("configuration", ("n_qubits",))
                 else bad_values(n))
    _get(doc, path[:-1])[path[-1]] = value
    return f"replace {_show(root, path)} with {value!r}"


def scale_number(draw: st.DrawFn, conf: dict[str, Any], props: dict[str, Any], n: int) -> str:
    """A real number pushed out of range: negated, or scaled until SI conversion overflows."""
    picked = _pick(draw, conf, props,
                   lambda node: isinstance(node, (int, float)) and not isinstance(node, bool))
    if picked is None:
        return "scale: no number"
    root, doc, path = picked
    factors = [-1, 1e300, -1e300, 1e308, 1e-320, 0, 2**40]
    if (root, path) == ("configuration", ("n_qubits",)):
        factors = [-1, 0]  # huge qubit counts: see test_huge_n_qubits_...
    factor = _one(draw, factors)
    parent = _get(doc, path[:-1])
    parent[path[-1]] = parent[path[-1]] * factor
    return f"scale {_show(root, path)} by {factor!r}"


def delete_entry(draw: st.DrawFn, conf: dict[str, Any], props: dict[str, Any], n: int) -> str:
    picked = _pick(draw, conf, props)
    if picked is None:
        return "delete: nothing to delete"
    root, doc, path = picked
    del _get(doc, path[:-1])[path[-1]]
    return f"delete {_show(root, path)}"


def truncate_list(draw: st.DrawFn, conf: dict[str, Any], props: dict[str, Any], n: int) -> str:
    picked = _pick(draw, conf, props, lambda node: isinstance(node, list) and len(node) > 0)
    if picked is None:
        return "truncate: no list"
    root, doc, path = picked
    node = _get(doc, path)
    keep = _index(draw, len(node))
    del node[keep:]
    return f"truncate {_show(root, path)} to {keep} entries"


def duplicate_entry(draw: st.DrawFn, conf: dict[str, Any], props: dict[str, Any],
                    n: int) -> str:
    picked = _pick(draw, conf, props, lambda node: isinstance(node, list) and len(node) > 0)
    if picked is None:
        return "duplicate: no list"
    root, doc, path = picked
    node = _get(doc, path)
    source = _index(draw, len(node))
    where = draw(st.integers(0, len(node)))
    node.insert(where, copy.deepcopy(node[source]))
    return f"duplicate {_show(root, path)}[{source}] at {where}"


def empty_container(draw: st.DrawFn, conf: dict[str, Any], props: dict[str, Any],
                    n: int) -> str:
    picked = _pick(draw, conf, props, lambda node: isinstance(node, (list, dict)) and node)
    if picked is None:
        return "empty: no container"
    root, doc, path = picked
    _get(doc, path).clear()
    return f"empty {_show(root, path)}"


def add_basis_gate(draw: st.DrawFn, conf: dict[str, Any], props: dict[str, Any],
                   n: int) -> str:
    name = draw(st.sampled_from(INSTRUCTION_NAMES))
    if isinstance(conf.get("basis_gates"), list):
        conf["basis_gates"].append(name)
    return f"add basis gate {name!r}"


def add_gate_config(draw: st.DrawFn, conf: dict[str, Any], props: dict[str, Any],
                    n: int) -> str:
    qubit = st.integers(-1, n + 1)
    gate = {
        "name": draw(st.sampled_from(INSTRUCTION_NAMES)),
        "parameters": draw(st.none() | st.lists(st.sampled_from(["theta", "a", ""]),
                                                max_size=2)),
        "coupling_map": draw(st.none() | st.lists(st.lists(qubit, max_size=3), max_size=3)),
    }
    if isinstance(conf.get("gates"), list):
        conf["gates"].append(gate)
    if draw(st.booleans()) and isinstance(conf.get("basis_gates"), list):
        conf["basis_gates"].append(gate["name"])
    return f"add gate config {gate!r}"


def add_instruction_signature(draw: st.DrawFn, conf: dict[str, Any], props: dict[str, Any],
                              n: int) -> str:
    signature = {
        # mostly names qtargets gives a meaning of its own, where a signature can contradict it
        "name": draw(st.sampled_from(("measure", "rzz", "delay", "reset", "measure_2", "rx"))
                     | st.sampled_from(INSTRUCTION_NAMES)),
        "num_qubits": draw(st.integers(0, 3) | st.integers(0, 3) | bad_values(n)),
        "num_clbits": draw(st.integers(0, 2)),
        "parameters": draw(st.lists(st.sampled_from(["theta", "a"]), max_size=2)),
    }
    signatures = conf.get("instruction_signatures")
    if not isinstance(signatures, list):
        signatures = conf["instruction_signatures"] = []
    signatures.append(signature)
    return f"add instruction signature {signature!r}"


def add_gate_entry(draw: st.DrawFn, conf: dict[str, Any], props: dict[str, Any],
                   n: int) -> str:
    entry = {
        "gate": draw(st.sampled_from(INSTRUCTION_NAMES)),
        "qubits": draw(st.lists(st.integers(-1, n + 1), max_size=3)),
        "parameters": draw(st.lists(nduv_records(), max_size=3)),
    }
    if isinstance(props.get("gates"), list):
        props["gates"].append(entry)
    return f"add properties gate entry {entry!r}"


def set_timing_constraint(draw: st.DrawFn, conf: dict[str, Any], props: dict[str, Any],
                          n: int) -> str:
    key = draw(st.sampled_from(TIMING_KEYS))
    value = draw(st.sampled_from([2**31, 2**32, 2**63, 2**64, 10**30]) | st.integers(1, 64)
                 | bad_values(n))
    current = conf.get("timing_constraints")  # an earlier mutation may have made it a non-dict
    conf["timing_constraints"] = {**(current if isinstance(current, dict) else {}), key: value}
    return f"set configuration.timing_constraints[{key!r}] = {value!r}"


def add_qubit_record(draw: st.DrawFn, conf: dict[str, Any], props: dict[str, Any],
                     n: int) -> str:
    record = draw(nduv_records())
    qubits = props.get("qubits")
    if isinstance(qubits, list) and qubits and isinstance(qubits[0], list):
        qubits[_index(draw, len(qubits))].append(record)
    return f"add qubit record {record!r}"


# Hypothesis favours the first entries of a sampled_from, so the list interleaves the
# generic mutations with the targeted ones rather than grouping them.
MUTATIONS: tuple[Mutation, ...] = (
    replace_value, set_timing_constraint, scale_number, add_instruction_signature,
    replace_value, delete_entry, add_basis_gate, truncate_list, replace_value,
    add_gate_config, duplicate_entry, scale_number, add_gate_entry, delete_entry,
    empty_container, replace_value, add_qubit_record,
)


class Mutated:
    """A mutated (configuration, properties) pair that prints as the steps that made it
    (not a dataclass, so Hypothesis reports the steps rather than two whole payloads)."""

    def __init__(self, conf: Any, props: Any, steps: list[str]) -> None:
        self.conf = conf
        self.props = props
        self.steps = steps

    def __repr__(self) -> str:
        return "Mutated(" + "; ".join(self.steps) + ")"


@st.composite
def malformed_payloads(draw: st.DrawFn) -> Mutated:
    """A real small snapshot's (configuration, properties) with 1-3 random mutations."""
    name = draw(st.sampled_from(SMALL_SNAPSHOTS))
    conf, props = fresh_payloads(name)
    n = conf["n_qubits"]
    steps = [name]
    # mostly one mutation: with several, an early error tends to hide a later one
    for _ in range(draw(st.sampled_from([1, 1, 1, 2, 3]))):
        mutation = draw(st.sampled_from(MUTATIONS))
        steps.append(mutation(draw, conf, props, n))
    out: list[Any] = [conf, props]
    if draw(st.integers(0, 24)) == 13:  # now and then, a whole payload of the wrong kind
        which = draw(st.integers(0, 1))
        out[which] = draw(st.sampled_from([None, [], "", 0, "null", b"[]", b"{", [conf]]))
        steps.append(f"{('configuration', 'properties')[which]} = {out[which]!r:.40}")
    return Mutated(out[0], out[1], steps)


def as_json_bytes(payload: Any) -> Any:
    if isinstance(payload, (bytes, str)):
        return payload
    return json.dumps(payload, allow_nan=True).encode()


def convert(conf: Any, props: Any) -> Target | CalibrationError:
    """``from_ibm(conf, props)``: the Target, or the CalibrationError it raised.

    Any other exception propagates and fails the test. Warnings are expected on odd input.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            target = qtargets.from_ibm(conf, props)
        except CalibrationError as exc:
            return exc
    assert isinstance(target, Target)
    return target


def assert_names_the_payload(error: CalibrationError) -> None:
    """The error points into what the caller passed, not into qtargets' internals."""
    assert error.path.startswith(("configuration", "properties")), str(error)
    assert str(error).startswith(error.path)


FUZZ = settings(max_examples=300, deadline=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


# -- one concrete mutation per category, and the path its message must name -----------------


def gate_index(props: dict[str, Any], gate: str, qubits: list[int]) -> int:
    return next(i for i, g in enumerate(props["gates"])
                if g["gate"] == gate and g["qubits"] == qubits)


def parameter_index(entry: dict[str, Any], name: str) -> int:
    return next(i for i, p in enumerate(entry["parameters"]) if p["name"] == name)


def record_index(records: list[dict[str, Any]], name: str) -> int:
    return next(i for i, r in enumerate(records) if r["name"] == name)


Case = Callable[[dict[str, Any], dict[str, Any]], list[str]]
"""Mutates (conf, props) in place; returns the substrings the error message must contain."""


def _value_of_qubit_record(qubit: int, name: str, value: Any, *expected: str) -> Case:
    def case(conf: dict[str, Any], props: dict[str, Any]) -> list[str]:
        k = record_index(props["qubits"][qubit], name)
        props["qubits"][qubit][k]["value"] = value
        return [f"properties.qubits[{qubit}][{k}].value", *expected]
    return case


def _gate_parameter(gate: str, qubits: list[int], name: str, field: str, value: Any,
                    *expected: str) -> Case:
    def case(conf: dict[str, Any], props: dict[str, Any]) -> list[str]:
        g = gate_index(props, gate, qubits)
        k = parameter_index(props["gates"][g], name)
        props["gates"][g]["parameters"][k][field] = value
        return [f"properties.gates[{g}].parameters[{k}].{field}", *expected]
    return case


def _gate_qubits(gate: str, qubits: list[int], new: list[Any], suffix: str,
                 *expected: str) -> Case:
    def case(conf: dict[str, Any], props: dict[str, Any]) -> list[str]:
        g = gate_index(props, gate, qubits)
        props["gates"][g]["qubits"] = new
        return [f"properties.gates[{g}].qubits{suffix}", *expected]
    return case


def _wrong_type_qubit_value(conf: dict[str, Any], props: dict[str, Any]) -> list[str]:
    props["qubits"][3][1]["value"] = "abc"
    return ["properties.qubits[3][1].value", "'abc'"]


def _wrong_type_n_qubits(conf: dict[str, Any], props: dict[str, Any]) -> list[str]:
    conf["n_qubits"] = "5"
    return ["configuration.n_qubits", "'5'"]


def _wrong_type_gates_list(conf: dict[str, Any], props: dict[str, Any]) -> list[str]:
    props["gates"] = {"gate": "cx"}
    return ["properties.gates", "expected a list"]


def _wrong_type_basis_gate(conf: dict[str, Any], props: dict[str, Any]) -> list[str]:
    conf["basis_gates"][2] = 7
    return ["configuration.basis_gates[2]", "7"]


def _missing_gate_name(conf: dict[str, Any], props: dict[str, Any]) -> list[str]:
    del props["gates"][2]["gate"]
    return ["properties.gates[2].gate", "required field is missing"]


def _missing_unit(conf: dict[str, Any], props: dict[str, Any]) -> list[str]:
    del props["qubits"][0][0]["unit"]
    return ["properties.qubits[0][0].unit", "required field is missing"]


def _missing_basis_gates(conf: dict[str, Any], props: dict[str, Any]) -> list[str]:
    del conf["basis_gates"]
    return ["configuration.basis_gates", "required field is missing"]


def _missing_last_update(conf: dict[str, Any], props: dict[str, Any]) -> list[str]:
    del props["last_update_date"]
    return ["properties.last_update_date", "required field is missing"]


def _nan_dt(conf: dict[str, Any], props: dict[str, Any]) -> list[str]:
    conf["dt"] = math.nan
    return ["configuration.dt"]


def _minus_inf_dt(conf: dict[str, Any], props: dict[str, Any]) -> list[str]:
    conf["dt"] = -math.inf
    return ["configuration.dt"]


def _coupling_map_out_of_range(conf: dict[str, Any], props: dict[str, Any]) -> list[str]:
    g = next(i for i, gate in enumerate(conf["gates"]) if gate["name"] == "cx")
    conf["gates"][g]["coupling_map"].append([4, 9])
    j = len(conf["gates"][g]["coupling_map"]) - 1
    return [f"configuration.gates[{g}].coupling_map[{j}][1]", "out of range", "9"]


def _coupling_map_negative(conf: dict[str, Any], props: dict[str, Any]) -> list[str]:
    g = next(i for i, gate in enumerate(conf["gates"]) if gate["name"] == "cx")
    conf["gates"][g]["coupling_map"][0] = [0, -1]
    return [f"configuration.gates[{g}].coupling_map[0][1]", "-1"]


def _qubit_records_not_a_list(conf: dict[str, Any], props: dict[str, Any]) -> list[str]:
    props["qubits"][1] = {}
    return ["properties.qubits[1]", "expected a list"]


def _timing_huge(conf: dict[str, Any], props: dict[str, Any]) -> list[str]:
    conf["timing_constraints"] = {"granularity": 2**64}
    return ["configuration.timing_constraints.granularity", str(2**64)]


def _timing_just_past_32_bits(conf: dict[str, Any], props: dict[str, Any]) -> list[str]:
    conf["timing_constraints"] = {"acquire_alignment": 2**32}
    return ["configuration.timing_constraints.acquire_alignment", str(2**32)]


def _huge_number(conf: dict[str, Any], props: dict[str, Any]) -> list[str]:
    props["qubits"][0][0]["value"] = 10**400
    return ["properties.qubits[0][0].value"]


def _date_before_year_one(conf: dict[str, Any], props: dict[str, Any]) -> list[str]:
    props["last_update_date"] = "0001-01-01T00:00:00+01:00"  # 31 Dec of year 0 in UTC
    return ["properties.last_update_date", "0001-01-01T00:00:00+01:00"]


def _date_after_year_9999(conf: dict[str, Any], props: dict[str, Any]) -> list[str]:
    props["last_update_date"] = "9999-12-31T23:59:59-01:00"  # year 10000 in UTC
    return ["properties.last_update_date"]


def _date_not_a_date(conf: dict[str, Any], props: dict[str, Any]) -> list[str]:
    props["last_update_date"] = "2021-02-30T00:00:00Z"
    return ["properties.last_update_date", "'2021-02-30T00:00:00Z'"]


def _frequency_overflows_to_inf(conf: dict[str, Any], props: dict[str, Any]) -> list[str]:
    k = record_index(props["qubits"][0], "frequency")
    props["qubits"][0][k]["value"] = 1e300  # GHz: 1e309 Hz is not a finite float
    return [f"properties.qubits[0][{k}].value"]


def _anharmonicity_overflows_to_minus_inf(conf: dict[str, Any],
                                          props: dict[str, Any]) -> list[str]:
    k = record_index(props["qubits"][0], "anharmonicity")
    props["qubits"][0][k]["value"] = -1e300
    return [f"properties.qubits[0][{k}].value"]


def _signature_redefines_measure_on_two_qubits(conf: dict[str, Any],
                                               props: dict[str, Any]) -> list[str]:
    conf["instruction_signatures"] = [{"name": "measure", "num_qubits": 2, "num_clbits": 2}]
    return ["configuration.instruction_signatures[0]"]


def _signature_redefines_delay_on_two_qubits(conf: dict[str, Any],
                                             props: dict[str, Any]) -> list[str]:
    conf["instruction_signatures"] = [{"name": "delay", "num_qubits": 2}]
    return ["configuration.instruction_signatures[0]"]


def _signature_redefines_rzz_without_parameters(conf: dict[str, Any],
                                                props: dict[str, Any]) -> list[str]:
    conf["instruction_signatures"] = [{"name": "rzz", "num_qubits": 2}]
    return ["configuration.instruction_signatures[0]"]


def _unit(props: dict[str, Any], qubit: int, name: str, unit: str) -> list[str]:
    k = record_index(props["qubits"][qubit], name)
    props["qubits"][qubit][k]["unit"] = unit
    return [f"properties.qubits[{qubit}][{k}].unit", repr(unit)]


CASES: dict[str, tuple[str, Case]] = {
    # wrong types
    "wrong_type_qubit_value": ("vigo", _wrong_type_qubit_value),
    "wrong_type_n_qubits": ("vigo", _wrong_type_n_qubits),
    "wrong_type_properties_gates": ("vigo", _wrong_type_gates_list),
    "wrong_type_basis_gate": ("vigo", _wrong_type_basis_gate),
    "wrong_type_qubit_records": ("vigo", _qubit_records_not_a_list),
    "wrong_type_gate_error": ("vigo", _gate_parameter("cx", [0, 1], "gate_error", "value",
                                                      "0.01", "'0.01'")),
    "bool_is_not_a_number": ("vigo", _value_of_qubit_record(0, "T1", True, "True")),
    # missing fields
    "missing_gate_name": ("vigo", _missing_gate_name),
    "missing_unit": ("vigo", _missing_unit),
    "missing_basis_gates": ("vigo", _missing_basis_gates),
    "missing_last_update_date": ("vigo", _missing_last_update),
    # NaN / inf
    "nan_t1": ("vigo", _value_of_qubit_record(0, "T1", math.nan, "nan")),
    "inf_readout_error": ("vigo", _value_of_qubit_record(2, "readout_error", math.inf, "inf")),
    "inf_gate_length": ("vigo", _gate_parameter("sx", [1], "gate_length", "value", math.inf,
                                                "inf")),
    "nan_dt": ("vigo", _nan_dt),
    "minus_inf_dt": ("vigo", _minus_inf_dt),
    # negative numbers and probabilities out of range
    "negative_gate_error": ("vigo", _gate_parameter("cx", [0, 1], "gate_error", "value", -0.1,
                                                    "-0.1", "probability")),
    "gate_error_above_one": ("vigo", _gate_parameter("sx", [2], "gate_error", "value", 1.5,
                                                     "1.5", "probability")),
    "negative_t1": ("vigo", _value_of_qubit_record(1, "T1", -5.0, "-5.0")),
    "negative_readout_error": ("vigo", _value_of_qubit_record(4, "readout_error", -0.01,
                                                              "-0.01")),
    "negative_gate_length": ("vigo", _gate_parameter("x", [3], "gate_length", "value", -35.5,
                                                     "-35.5")),
    # qubit indices
    "qubit_index_out_of_range": ("vigo", _gate_qubits("cx", [0, 1], [0, 5], "[1]",
                                                      "out of range", "5")),
    "qubit_index_negative": ("vigo", _gate_qubits("sx", [0], [-1], "[0]", "-1")),
    "qubit_index_huge": ("vigo", _gate_qubits("sx", [0], [2**64], "[0]", str(2**64))),
    "qubit_index_float": ("vigo", _gate_qubits("sx", [0], [0.0], "[0]", "0.0")),
    "coupling_map_out_of_range": ("vigo", _coupling_map_out_of_range),
    "coupling_map_negative": ("vigo", _coupling_map_negative),
    # unknown units
    "unknown_unit_t1": ("vigo", lambda c, p: _unit(p, 2, "T1", "furlongs")),
    "frequency_unit_on_a_time": ("vigo", lambda c, p: _unit(p, 0, "T2", "GHz")),
    "time_unit_on_a_frequency": ("vigo", lambda c, p: _unit(p, 1, "frequency", "ns")),
    "unit_on_a_probability": ("vigo", lambda c, p: _unit(p, 3, "readout_error", "%")),
    "unknown_unit_gate_length": ("vigo", _gate_parameter("cx", [1, 2], "gate_length", "unit",
                                                         "GHz", "'GHz'")),
    # truncated, duplicated and emptied lists
    "truncated_two_qubit_qargs": ("vigo", _gate_qubits("cx", [0, 1], [0], "",
                                                       "expected 2 qubit")),
    "duplicated_qubit_in_qargs": ("vigo", _gate_qubits("cx", [1, 2], [1, 1], "",
                                                       "distinct")),
    "empty_qargs": ("vigo", _gate_qubits("sx", [0], [], "", "expected 1 qubit")),
    "too_many_qubits_in_qargs": ("vigo", _gate_qubits("x", [0], [0, 1], "",
                                                      "expected 1 qubit")),
    # huge integers
    "huge_number": ("vigo", _huge_number),
    "huge_timing_constraint": ("lagos", _timing_huge),
    "timing_constraint_past_32_bits": ("lagos", _timing_just_past_32_bits),
    # dates
    "date_not_a_date": ("vigo", _date_not_a_date),
    "date_before_year_one_in_utc": ("vigo", _date_before_year_one),
    "date_after_year_9999_in_utc": ("vigo", _date_after_year_9999),
    # numbers that overflow when converted to SI
    "frequency_overflows_to_inf": ("vigo", _frequency_overflows_to_inf),
    "anharmonicity_overflows_to_minus_inf": ("vigo", _anharmonicity_overflows_to_minus_inf),
    # instruction signatures that contradict the instruction they name
    "signature_measure_on_two_qubits": ("vigo", _signature_redefines_measure_on_two_qubits),
    "signature_delay_on_two_qubits": ("vigo", _signature_redefines_delay_on_two_qubits),
    "signature_rzz_without_parameters": ("fractional",
                                         _signature_redefines_rzz_without_parameters),
}



@pytest.mark.parametrize("as_bytes", [False, True], ids=["dict", "json_bytes"])
@pytest.mark.parametrize("case", list(CASES), ids=list(CASES))
def test_each_kind_of_malformation_raises_calibration_error_naming_its_path(
    case: str, as_bytes: bool
) -> None:
    snapshot, mutate = CASES[case]
    conf, props = fresh_payloads(snapshot)
    expected = mutate(conf, props)
    if as_bytes:
        conf, props = as_json_bytes(conf), as_json_bytes(props)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(CalibrationError) as info:
            qtargets.from_ibm(conf, props)
    message = str(info.value)
    for part in expected:
        assert part in message, f"{part!r} not in {message!r}"
    # the path named is the field's (or, for a signature that contradicts qtargets, one of
    # the signature's fields), and the message leads with it
    assert info.value.path.startswith(expected[0]), message
    assert message.startswith(f"{info.value.path}: "), message


def test_wrong_type_message_names_path_and_value_exactly() -> None:
    conf, props = fresh_payloads("vigo")
    props["qubits"][3][1]["value"] = "abc"
    with pytest.raises(CalibrationError) as info:
        qtargets.from_ibm(conf, props)
    assert str(info.value) == "properties.qubits[3][1].value: expected a number, got 'abc'"
    assert info.value.path == "properties.qubits[3][1].value"
    assert info.value.value == "abc"


# -- the property ----------------------------------------------------------------------------


def regression(name: str, mutate: Case) -> Mutated:
    """A payload a random search once found, pinned so every run tries it."""
    conf, props = fresh_payloads(name)
    mutate(conf, props)
    return Mutated(conf, props, [name, mutate.__name__.strip("_")])


def with_regressions(test: Callable[..., None]) -> Callable[..., None]:
    for name, mutate in (
        ("lagos", _timing_just_past_32_bits),
        ("vigo", _date_before_year_one),
        ("vigo", _signature_redefines_measure_on_two_qubits),
        ("fractional", _signature_redefines_rzz_without_parameters),
        ("vigo", _frequency_overflows_to_inf),
    ):
        test = example(regression(name, mutate))(test)
    return test


@FUZZ
@with_regressions
@given(malformed_payloads())
def test_malformed_dict_payloads_raise_only_calibration_error(payloads: Mutated) -> None:
    outcome = convert(payloads.conf, payloads.props)
    if isinstance(outcome, CalibrationError):
        assert_names_the_payload(outcome)


@FUZZ
@with_regressions
@given(malformed_payloads())
def test_malformed_json_bytes_payloads_raise_only_calibration_error(payloads: Mutated) -> None:
    outcome = convert(as_json_bytes(payloads.conf), as_json_bytes(payloads.props))
    if isinstance(outcome, CalibrationError):
        assert_names_the_payload(outcome)


@FUZZ
@with_regressions
@given(malformed_payloads())
def test_accepted_payloads_give_calibrations_that_pass_the_model_checks(
    payloads: Mutated,
) -> None:
    """Whatever the converter accepts must satisfy the Calibration's own invariants (finite
    numbers, probabilities in [0, 1], qargs of the right width...), which it skips for speed."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            cal = to_calibration(payloads.conf, payloads.props)
        except CalibrationError:
            return
    try:
        dataclasses.replace(cal)  # re-runs Calibration.__post_init__'s checks
    except CalibrationError as exc:
        pytest.fail(f"to_calibration accepted a payload but built an invalid Calibration: {exc}")


def test_unmutated_small_snapshots_convert_cleanly() -> None:
    """The fuzzing starts from valid data: without mutations every snapshot converts."""
    for name in SMALL_SNAPSHOTS:
        conf, props = fresh_payloads(name)
        assert isinstance(qtargets.from_ibm(conf, props), Target)
        assert isinstance(qtargets.from_ibm(as_json_bytes(conf), as_json_bytes(props)), Target)


# -- huge qubit counts: run where a runaway allocation can't take the machine down ------------

_HUGE_N_QUBITS_SCRIPT = textwrap.dedent("""
    import json, resource, sys, warnings

    import qtargets
    from qtargets import CalibrationError

    # Address space already in use (qiskit reserves plenty) plus 256 MiB, then no more.
    with open("/proc/self/status") as status:
        vm_kib = next(int(line.split()[1]) for line in status if line.startswith("VmSize"))
    limit = vm_kib * 1024 + 2**28
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))

    conf = json.loads(sys.argv[1])
    props = json.loads(sys.argv[2]) if sys.argv[2] != "null" else None
    warnings.simplefilter("ignore")
    try:
        qtargets.from_ibm(conf, props)
    except CalibrationError as exc:
        print("CalibrationError", exc)
    except BaseException as exc:
        print(type(exc).__name__, str(exc)[:200])
    else:
        print("accepted")
""")


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="uses /proc and RLIMIT_AS")
@pytest.mark.parametrize("with_properties", [False, True], ids=["no_properties", "properties"])
def test_huge_n_qubits_raises_calibration_error_instead_of_exhausting_memory(
    with_properties: bool,
) -> None:
    """A qubit count no device has must be rejected as data, not trusted: a converter that
    allocates per declared qubit dies with MemoryError/OverflowError (or takes the host down)."""
    conf, props = fresh_payloads("vigo")
    conf["n_qubits"] = 2**64
    result = subprocess.run(
        [sys.executable, "-c", _HUGE_N_QUBITS_SCRIPT, json.dumps(conf),
         json.dumps(props if with_properties else None)],
        capture_output=True, text=True, timeout=120, check=False,
    )
    outcome = result.stdout.strip() or result.stderr.strip()[-500:]
    assert outcome.startswith("CalibrationError"), outcome
    assert "n_qubits" in outcome, outcome
