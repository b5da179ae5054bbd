"""Malformed IonQ characterizations fail with ``CalibrationError`` and nothing else.

Valid payloads in each shape the converter accepts (v0.3 ``current``, a v0.4 list page, a
legacy v0.1 calibration) get one to three random mutations at random JSON paths: wrong types,
NaN/inf, negative or huge numbers, qubit indices around the qubit count, self-pairs, deleted
keys, nested junk. ``qtargets.from_ionq`` must then either return a ``Target`` or raise
:class:`qtargets.CalibrationError` naming a path in the payload (or
:class:`qtargets.UnknownBackendError`, for a backend name no family claims), whether the payload
arrives as a dict or as JSON bytes.

Alongside, well-typed payloads with any figures in range (fidelities in [0, 1], any finite time,
random connectivity) must convert to exactly the numbers the spec gives (``1 - F``, the times).
"""

from __future__ import annotations

import copy
import itertools
import json
import math
import warnings
from collections.abc import Callable
from datetime import timedelta, timezone
from typing import Any

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from qiskit.transpiler import Target

import qtargets
from qtargets import CalibrationError, UnknownBackendError

FUZZ = settings(max_examples=300, deadline=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


def aria_v03() -> dict[str, Any]:
    return {
        "id": "6c2a1f3e-8e0b-4c77-9a39-0b1d6f3c2e51",
        "date": 1_717_243_200,
        "backend": "qpu.aria-1",
        "qubits": 8,
        "connectivity": [[0, 1], [1, 2], [2, 3], [3, 4], [4, 5], [5, 6], [6, 7], [7, 0], [2, 6]],
        "fidelity": {
            "spam": {"mean": 0.9937, "stderr": 0.0004, "median": 0.9941},
            "1q": {"mean": 0.9998, "stderr": 0.00002, "median": 0.99985},
            "2q": {"mean": 0.9872, "stderr": 0.0011, "median": 0.9885},
        },
        "timing": {"readout": 0.0003, "reset": 0.00002, "1q": 0.000135, "2q": 0.0006,
                   "t1": 100.0, "t2": 1.0},
    }


def forte_v04_page() -> dict[str, Any]:
    def entry(date: str, two_qubit: float) -> dict[str, Any]:
        return {
            "id": f"forte-{date}",
            "date": date,
            "backend": "qpu.forte-1",
            "qubits": 6,
            "fidelity": {"spam": {"median": 0.9959}, "1q": {"mean": 0.9998, "median": 0.9999},
                         "2q": {"median": two_qubit}},
            "timing": {"readout": 0.00015, "reset": 0.00005, "1q": 0.00013, "2q": 0.00097,
                       "t1": 100.0, "t2": 1.0},
        }
    return {"characterizations": [entry("2024-10-01T08:00:00Z", 0.9901),
                                  entry("2024-11-15T09:30:00.250+02:00", 0.9932)],
            "pages": 3}


def harmony_v01() -> dict[str, Any]:
    pairs = [[b, a] if (a + b) % 3 == 0 else [a, b]
             for a, b in itertools.combinations(range(5), 2)]
    return {
        "id": "legacy-harmony",
        "date": "2023-05-01T12:34:56.789Z",
        "target": "qpu.harmony",
        "qubits": 5,
        "connectivity": [*pairs, [1, 0]],
        "fidelity": {"spam": {"mean": 0.993, "stderr": 0.001}, "1q": {"mean": 0.9973},
                     "2q": {"mean": 0.9002}},
        "timing": {"readout": 0.00013, "reset": 0.00002, "1q": 0.00001, "2q": 0.0002,
                   "t1": 10000.0, "t2": 0.2},
    }


SHAPES: dict[str, Callable[[], dict[str, Any]]] = {
    "v0.3": aria_v03, "v0.4 page": forte_v04_page, "v0.1": harmony_v01,
}

SPECIAL_VALUES: tuple[Any, ...] = (
    None, True, False, "", "abc", "0.99", "NaN", [], {}, [[]], [None], {"mean": 0.9},
    math.nan, math.inf, -math.inf, -1, -1.0, -0.1, -1e-300, 0, 0.0, -0.0, 1, 1.0, 1.5, 2,
    1 + 1e-15, 5e-324, 1e300, 1e308, -1e308, 2**31, 2**53 + 1, 2**63, 2**64, 10**30, 10**400,
    100_001, 2**1024,
    "2024-02-30T00:00:00Z", "0001-01-01T00:00:00+01:00", "9999-12-31T23:59:59-01:00", "Z",
    "2024-06-01", "2024-06-01T12:00:00", "1717243200", "2024-06-01T12:00:00.123456789Z",
    "qpu.tempo-1", "qpu.forte-enterprise-1", "ionq.qpu.aria-2", "QPU.HARMONY", "simulator",
)


def bad_values(n: int) -> st.SearchStrategy[Any]:
    """Wrong somewhere: types, non-finite, negative, huge, qubit indices around ``n``,
    self-pairs, bad dates, unknown backends, and random nested JSON."""
    # Unbounded integers could land on a qubit count in the tens of thousands, which is
    # valid but slow to build; huge ones come from SPECIAL_VALUES instead.
    leaves = (st.none() | st.booleans() | st.integers(-3, 3 * n) | st.floats()
              | st.text(max_size=4))
    junk = st.recursive(leaves, lambda inner: st.lists(inner, max_size=3)
                        | st.dictionaries(st.text(max_size=3), inner, max_size=3), max_leaves=8)
    return st.one_of(
        st.sampled_from(SPECIAL_VALUES),
        st.sampled_from([n - 1, n, n + 1, 2 * n, [0, n], [n, 0], [0, 0], [n - 1, n - 1],
                         [-1, 0], [0, 1, 2], [0], [[0, 1]], [0, 1.0], [True, False]]),
        st.floats(allow_nan=True, allow_infinity=True),
        junk,
    )


EDGE_NUMBERS: tuple[Any, ...] = (
    math.nan, math.inf, -math.inf, -1, -1e-300, -0.0, 0, 5e-324, 1 + 1e-15, 2, 257, 1000,
    1e308, 1.7976931348623157e308, 2**1023, 10**308, 2**1024, 2**63, 10**400, True,
)


def _paths(node: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every path below ``node`` (dict keys and list indices)."""
    if isinstance(node, dict):
        items: Any = node.items()
    elif isinstance(node, list):
        items = enumerate(node)
    else:
        return []
    out: list[tuple[Any, ...]] = []
    for key, child in items:
        out.append((*prefix, key))
        out.extend(_paths(child, (*prefix, key)))
    return out


def _get(doc: Any, path: tuple[Any, ...]) -> Any:
    for key in path:
        doc = doc[key]
    return doc


def _draw_path(draw: st.DrawFn, doc: dict[str, Any]) -> tuple[Any, ...] | None:
    """A path, choosing the characterization field first so that the many connectivity
    entries don't crowd out ``date``, ``qubits`` or a ``timing`` figure."""
    paths = _paths(doc)
    if not paths:
        return None
    field_of = {path: next((k for k in path if isinstance(k, str) and k != "characterizations"),
                           "") for path in paths}
    field = draw(st.sampled_from(sorted(set(field_of.values()))))
    path: tuple[Any, ...] = draw(st.sampled_from([p for p in paths if field_of[p] == field]))
    return path


@st.composite
def mutated_payloads(draw: st.DrawFn) -> tuple[str, dict[str, Any]]:
    shape = draw(st.sampled_from(sorted(SHAPES)))
    doc = SHAPES[shape]()
    n = doc["qubits"] if "qubits" in doc else doc["characterizations"][-1]["qubits"]
    for _ in range(draw(st.integers(1, 3))):
        path = _draw_path(draw, doc)
        if path is None:
            break
        parent = _get(doc, path[:-1])
        key = path[-1]
        kind = draw(st.sampled_from(["replace", "number", "number", "delete", "insert",
                                     "duplicate", "truncate"]))
        # deep copies: a later mutation must not edit a shared SPECIAL_VALUES entry
        if kind == "replace":
            parent[key] = copy.deepcopy(draw(bad_values(n)))
        elif kind == "number":
            parent[key] = draw(st.sampled_from(EDGE_NUMBERS) | st.floats())
        elif kind == "delete":
            del parent[key]
        elif kind == "insert" and isinstance(parent, dict):
            parent[draw(st.sampled_from(["mean", "median", "1q", "2q", "t1", "date", "target",
                                         "backend", "connectivity", "extra"]))] = copy.deepcopy(
                draw(bad_values(n)))
        elif kind == "insert" and isinstance(parent, list):
            parent.insert(key, copy.deepcopy(draw(bad_values(n))))
        elif kind == "duplicate" and isinstance(parent[key], list):
            parent[key] = parent[key] + copy.deepcopy(parent[key])
        elif kind == "truncate" and isinstance(parent[key], list):
            parent[key] = parent[key][: draw(st.integers(0, 2))]
    return shape, doc


PAYLOAD_ROOTS = ("characterization", "characterizations", "pages")


def _outcome(payload: Any, gateset: str, two_qubit_gate: str | None) -> Target | Exception:
    """What ``from_ionq`` makes of ``payload``: a Target or a promised error (any other
    exception propagates and fails the test)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            return qtargets.from_ionq(payload, gateset,  # type: ignore[arg-type]
                                      two_qubit_gate=two_qubit_gate)  # type: ignore[arg-type]
        except (CalibrationError, UnknownBackendError) as err:
            return err


def _convert(payload: Any, gateset: str, two_qubit_gate: str | None) -> None:
    """A Target with sane numbers, or an error naming a path in the payload."""
    outcome = _outcome(payload, gateset, two_qubit_gate)
    if isinstance(outcome, CalibrationError):
        root = outcome.path.split(".")[0].split("[")[0]
        assert root in PAYLOAD_ROOTS, f"error names no payload path: {outcome}"
        assert str(outcome).startswith(outcome.path)
        return
    if isinstance(outcome, UnknownBackendError):
        assert two_qubit_gate is None  # a named entangler needs no family
        assert "two_qubit_gate" in str(outcome)
        return
    assert isinstance(outcome, Target)
    for name in outcome.operation_names:
        for props in outcome[name].values():
            if props is None:
                continue
            assert props.error is None or 0.0 <= props.error <= 1.0
            assert props.duration is None or 0.0 <= props.duration < math.inf
        if outcome.operation_from_name(name).num_qubits == 2:
            assert all((b, a) in outcome[name] for a, b in outcome[name])


def _with(doc: dict[str, Any], path: tuple[Any, ...], value: Any) -> dict[str, Any]:
    _get(doc, path[:-1])[path[-1]] = value
    return doc


# Bugs found while writing these tests, replayed on every run: all pairs of 100,000 qubits (no
# connectivity) took hours; a 2q time whose triple (a qis swap) overflows to inf raised an
# error naming ``calibration.instructions[17]...`` instead of the payload's ``timing.2q``.
HUGE_ALL_TO_ALL = ("v0.4 page", _with(forte_v04_page(), ("characterizations", 1, "qubits"),
                                      100_000))
SWAP_OVERFLOW = ("v0.3", _with(aria_v03(), ("timing", "2q"), 1e308))


GATESETS = st.sampled_from(["native", "qis"])
ENTANGLERS = st.sampled_from([None, None, "ms", "zz"])


@FUZZ
@given(mutated_payloads(), GATESETS, ENTANGLERS)
@example(HUGE_ALL_TO_ALL, "native", None)
@example(SWAP_OVERFLOW, "qis", None)
def test_mutated_dict_payloads_raise_only_calibration_errors(
    case: tuple[str, dict[str, Any]], gateset: str, two_qubit_gate: str | None
) -> None:
    _convert(case[1], gateset, two_qubit_gate)


@FUZZ
@given(mutated_payloads(), GATESETS, ENTANGLERS)
@example(HUGE_ALL_TO_ALL, "native", None)
@example(SWAP_OVERFLOW, "qis", None)
def test_mutated_json_bytes_raise_only_calibration_errors(
    case: tuple[str, dict[str, Any]], gateset: str, two_qubit_gate: str | None
) -> None:
    _convert(json.dumps(case[1], allow_nan=True).encode(), gateset, two_qubit_gate)


# -- well-typed payloads: any figures in range convert, with exactly the spec's numbers ---------

PROBABILITIES = st.floats(0.0, 1.0)
SECONDS = st.floats(0.0, allow_infinity=False)  # finite, up to the largest float
BACKENDS = {"qpu.harmony": "ms", "qpu.aria-1": "ms", "qpu.aria-2": "ms", "qpu.forte-1": "zz",
            "qpu.forte-enterprise-1": "zz"}


@st.composite
def well_typed_payloads(draw: st.DrawFn) -> tuple[dict[str, Any], dict[str, Any]]:
    """(payload, the characterization in it) in any of the three shapes."""
    n = draw(st.integers(0, 9))
    char: dict[str, Any] = {"qubits": n}
    legacy = draw(st.booleans())
    char["target" if legacy else "backend"] = draw(st.sampled_from(sorted(BACKENDS)))
    char["date"] = draw(st.none() | st.integers(0, 4_000_000_000) | st.datetimes(
        timezones=st.sampled_from([timezone.utc, timezone(timedelta(hours=-5))])).map(
        lambda d: d.isoformat(timespec="milliseconds").replace("+00:00", "Z")))
    if n >= 2 and draw(st.booleans()):
        pair = st.lists(st.integers(0, n - 1), min_size=2, max_size=2, unique=True)
        char["connectivity"] = draw(st.lists(pair, max_size=12))
    fidelity = {}
    for kind in ("spam", "1q", "2q"):
        if draw(st.booleans()):
            fidelity[kind] = draw(st.fixed_dictionaries({}, optional={
                "mean": PROBABILITIES, "median": PROBABILITIES, "stderr": PROBABILITIES}))
    char["fidelity"] = fidelity
    char["timing"] = draw(st.fixed_dictionaries({}, optional={
        key: SECONDS for key in ("readout", "reset", "1q", "2q", "t1", "t2")}))
    if draw(st.booleans()):
        # undated sorts oldest, and of equally old entries the first is used
        undated = {**char, "date": None, "fidelity": {}}
        return {"characterizations": [char, undated], "pages": 1}, char
    return char, char


def _expected_error(char: dict[str, Any], kind: str) -> float | None:
    stats = char["fidelity"].get(kind, {})
    fidelity = stats.get("mean", stats.get("median"))
    return None if fidelity is None else 1 - fidelity


@FUZZ
@given(well_typed_payloads(), GATESETS)
def test_well_typed_payloads_convert_to_the_spec_numbers(
    case: tuple[dict[str, Any], dict[str, Any]], gateset: str
) -> None:
    payload, char = case
    timing = char["timing"]
    outcome = _outcome(json.dumps(payload).encode(), gateset, None)
    if gateset == "qis" and not math.isfinite(3 * timing.get("2q", 0.0)):
        # a swap is three entanglers: too long to represent, and the error says which figure
        assert isinstance(outcome, CalibrationError)
        assert outcome.path.endswith("timing.2q")
        return
    assert isinstance(outcome, Target), outcome
    n = char["qubits"]
    if "connectivity" in char:
        listed = char["connectivity"]
        pairs = {(a, b) for a, b in listed} | {(b, a) for a, b in listed}
    else:
        pairs = {(a, b) for a in range(n) for b in range(n) if a != b}
    entangler = BACKENDS[char.get("backend") or char["target"]]
    one, two = ("gpi", entangler) if gateset == "native" else ("h", "cx")

    def figures(name: str) -> set[tuple[float | None, float | None]]:
        return {(None, None) if p is None else (p.error, p.duration)
                for p in outcome[name].values()}

    assert set(outcome[two]) == pairs
    assert set(outcome[one]) == {(q,) for q in range(n)}
    if n:
        assert figures(one) == {(_expected_error(char, "1q"), timing.get("1q"))}
        assert figures("measure") == {(_expected_error(char, "spam"), timing.get("readout"))}
    if pairs:
        assert figures(two) == {(_expected_error(char, "2q"), timing.get("2q"))}
    if n and ("t1" in timing or "t2" in timing):
        assert {(p.t1, p.t2) for p in outcome.qubit_properties} == {
            (timing.get("t1"), timing.get("t2"))
        }


@settings(max_examples=100, deadline=None)
@given(st.binary(max_size=64) | st.text(max_size=64).map(str.encode))
def test_arbitrary_bytes_raise_only_calibration_errors(payload: bytes) -> None:
    _convert(payload, "native", None)


def test_the_unmutated_payloads_convert() -> None:
    for make in SHAPES.values():
        for gateset in ("native", "qis"):
            assert isinstance(qtargets.from_ionq(make(), gateset), Target)
