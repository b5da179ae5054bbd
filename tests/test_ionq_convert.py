"""IonQ characterizations -> qiskit Target: what each payload shape must turn into.

Three realistic payloads, one per shape the converter accepts:

* Aria, API v0.3, ``GET .../current``: int epoch date, mean (and median) fidelities, every
  pair listed in ``connectivity``;
* Forte, API v0.4, a list page ``{"characterizations": [older, newer]}``: ISO dates, a
  median-only ``2q`` fidelity, no ``connectivity`` (so all pairs);
* Harmony, a legacy v0.1 calibration: ``target`` instead of ``backend``, an ISO date with
  milliseconds, and reversed/duplicated pairs in ``connectivity``.

IonQ reports device-wide figures, so every qubit and pair carries the same numbers; the
expected values below are computed exactly as the spec states them (``1 - F``).
"""

from __future__ import annotations

import itertools
import json
import math
import time
import types
from datetime import datetime, timezone
from typing import Any

import pytest
from qiskit.transpiler import Target

import qtargets
from qtargets import CalibrationError, QTargetsError, QTargetsWarning, UnknownBackendError
from qtargets.ionq import from_ionq, parse_characterization, to_calibration
from qtargets.ionq.convert import QIS_ENTANGLING, QIS_SINGLE, QIS_SWAP, QIS_VIRTUAL

# -- payloads ----------------------------------------------------------------------------------

ARIA_DATE = 1_717_243_200  # 2024-06-01T12:00:00Z


@pytest.fixture
def aria_v03() -> dict[str, Any]:
    """``GET /v0.3/characterizations/backends/qpu.aria-1/current``."""
    return {
        "id": "6c2a1f3e-8e0b-4c77-9a39-0b1d6f3c2e51",
        "date": ARIA_DATE,
        "backend": "qpu.aria-1",
        "qubits": 25,
        "connectivity": [list(p) for p in itertools.combinations(range(25), 2)],
        "fidelity": {
            "spam": {"mean": 0.9937, "stderr": 0.0004, "median": 0.9941},
            "1q": {"mean": 0.9998, "stderr": 0.00002, "median": 0.99985},
            "2q": {"mean": 0.9872, "stderr": 0.0011, "median": 0.9885},
        },
        "timing": {
            "readout": 0.0003, "reset": 0.00002, "1q": 0.000135, "2q": 0.0006,
            "t1": 100.0, "t2": 1.0,
        },
    }


def forte_v04(date: str, two_qubit_median: float) -> dict[str, Any]:
    return {
        "id": f"forte-{date}",
        "date": date,
        "backend": "qpu.forte-1",
        "qubits": 36,
        "fidelity": {
            "spam": {"median": 0.9959},
            "1q": {"mean": 0.9998, "median": 0.99983},
            "2q": {"median": two_qubit_median},
        },
        "timing": {
            "readout": 0.00015, "reset": 0.00005, "1q": 0.00013, "2q": 0.00097,
            "t1": 100.0, "t2": 1.0,
        },
    }


@pytest.fixture
def forte_v04_page() -> dict[str, Any]:
    """``GET /v0.4/characterizations/backends/qpu.forte-1``: a page, oldest first."""
    return {
        "characterizations": [
            forte_v04("2024-10-01T08:00:00Z", 0.9901),
            forte_v04("2024-11-15T09:30:00.250+02:00", 0.9932),
        ],
        "pages": 3,
    }


@pytest.fixture
def harmony_v01() -> dict[str, Any]:
    """A legacy v0.1 calibration of Harmony: ``target``, millisecond ISO date."""
    pairs = [[a, b] for a, b in itertools.combinations(range(11), 2)]
    pairs[3] = pairs[3][::-1]  # reversed
    pairs += [[1, 0], [0, 1], [10, 9]]  # duplicated, both ways
    return {
        "id": "legacy-harmony-2023-05-01",
        "date": "2023-05-01T12:34:56.789Z",
        "target": "qpu.harmony",
        "qubits": 11,
        "connectivity": pairs,
        "fidelity": {
            "spam": {"mean": 0.993, "stderr": 0.001},
            "1q": {"mean": 0.9973},
            "2q": {"mean": 0.9002},
        },
        "timing": {
            "readout": 0.00013, "reset": 0.00002, "1q": 0.00001, "2q": 0.0002,
            "t1": 10000.0, "t2": 0.2,
        },
    }


def directed_pairs(n: int) -> set[tuple[int, int]]:
    return {(a, b) for a in range(n) for b in range(n) if a != b}


def qargs(target: Target, name: str) -> set[tuple[int, ...]]:
    return set(target[name])


def caught(payload: Any, **kwargs: Any) -> CalibrationError:
    with pytest.raises(CalibrationError) as info:
        from_ionq(payload, **kwargs)
    return info.value


# -- Aria, v0.3 --------------------------------------------------------------------------------


def test_aria_native_gateset_is_gpi_gpi2_ms_and_measure(aria_v03: dict[str, Any]) -> None:
    target = from_ionq(aria_v03, gateset="native")
    assert target.num_qubits == 25
    assert set(target.operation_names) == {"gpi", "gpi2", "ms", "measure"}


def test_single_qubit_error_is_one_minus_mean_1q_fidelity_on_every_qubit(
    aria_v03: dict[str, Any],
) -> None:
    target = from_ionq(aria_v03)
    for name in ("gpi", "gpi2"):
        assert qargs(target, name) == {(q,) for q in range(25)}
        for props in target[name].values():
            assert props.error == 1 - 0.9998
            assert props.duration == 0.000135


def test_two_qubit_error_is_one_minus_mean_2q_fidelity_on_every_pair_both_ways(
    aria_v03: dict[str, Any],
) -> None:
    target = from_ionq(aria_v03)
    assert qargs(target, "ms") == directed_pairs(25)
    assert len(target["ms"]) == 25 * 24
    for props in target["ms"].values():
        assert props.error == 1 - 0.9872
        assert props.duration == 0.0006


def test_measure_error_is_one_minus_spam_fidelity_with_readout_duration(
    aria_v03: dict[str, Any],
) -> None:
    target = from_ionq(aria_v03)
    assert qargs(target, "measure") == {(q,) for q in range(25)}
    for props in target["measure"].values():
        assert props.error == 1 - 0.9937
        assert props.duration == 0.0003


def test_every_qubit_gets_t1_and_t2_from_timing(aria_v03: dict[str, Any]) -> None:
    target = from_ionq(aria_v03)
    assert len(target.qubit_properties) == 25
    assert all(p.t1 == 100.0 and p.t2 == 1.0 for p in target.qubit_properties)


def test_epoch_seconds_date_is_taken_at_in_utc(aria_v03: dict[str, Any]) -> None:
    cal = to_calibration(aria_v03)
    assert cal.taken_at == datetime(2024, 6, 1, 12, 0, tzinfo=timezone.utc)
    assert cal.taken_at.utcoffset() == timezone.utc.utcoffset(None)


def test_mean_is_preferred_over_median_and_the_notes_say_so(aria_v03: dict[str, Any]) -> None:
    cal = to_calibration(aria_v03)
    assert cal.provenance.notes is not None
    assert "fidelities used: 1q mean, 2q mean, spam mean" in cal.provenance.notes
    assert "native two-qubit gate ms" in cal.provenance.notes


def test_provenance_names_the_characterization_and_the_device(aria_v03: dict[str, Any]) -> None:
    cal = to_calibration(aria_v03)
    assert cal.vendor == "ionq"
    assert cal.backend_name == "qpu.aria-1"
    assert cal.processor == "Aria"
    assert aria_v03["id"] in cal.provenance.source
    retrieved = datetime(2024, 6, 2, tzinfo=timezone.utc)
    assert to_calibration(aria_v03, source="file.json",
                          retrieved_at=retrieved).provenance.source == "file.json"


def test_median_is_used_where_the_mean_is_missing(aria_v03: dict[str, Any]) -> None:
    del aria_v03["fidelity"]["2q"]["mean"]
    target = from_ionq(aria_v03)
    assert {p.error for p in target["ms"].values()} == {1 - 0.9885}
    notes = to_calibration(aria_v03).provenance.notes
    assert notes is not None
    assert "1q mean, 2q median, spam mean" in notes


def test_only_listed_pairs_get_the_two_qubit_gate(aria_v03: dict[str, Any]) -> None:
    aria_v03["connectivity"] = [[0, 1], [1, 2], [5, 3], [24, 23]]
    target = from_ionq(aria_v03)
    assert qargs(target, "ms") == {(0, 1), (1, 0), (1, 2), (2, 1), (3, 5), (5, 3),
                                   (23, 24), (24, 23)}
    assert qargs(target, "gpi") == {(q,) for q in range(25)}  # every qubit stays
    assert to_calibration(aria_v03).edges == tuple(sorted(qargs(target, "ms")))


def test_empty_connectivity_means_no_two_qubit_gate_anywhere(aria_v03: dict[str, Any]) -> None:
    aria_v03["connectivity"] = []
    assert qargs(from_ionq(aria_v03), "ms") == set()


def test_named_entangler_overrides_the_family(aria_v03: dict[str, Any]) -> None:
    target = from_ionq(aria_v03, two_qubit_gate="zz")
    assert "zz" in target.operation_names
    assert "ms" not in target.operation_names
    assert {p.error for p in target["zz"].values()} == {1 - 0.9872}


# -- QIS gateset -------------------------------------------------------------------------------


def test_qis_gateset_has_the_abstract_gates_and_no_native_ones(
    aria_v03: dict[str, Any],
) -> None:
    target = from_ionq(aria_v03, gateset="qis")
    expected = {*QIS_VIRTUAL, *QIS_SINGLE, *QIS_ENTANGLING, *QIS_SWAP, "measure"}
    assert set(target.operation_names) == expected
    assert {"gpi", "gpi2", "ms", "zz"}.isdisjoint(target.operation_names)
    assert "gateset qis" in (to_calibration(aria_v03, gateset="qis").provenance.notes or "")


def test_qis_virtual_z_gates_are_free_and_exact(aria_v03: dict[str, Any]) -> None:
    target = from_ionq(aria_v03, gateset="qis")
    for name in ("z", "rz", "s", "sdg", "t", "tdg"):
        assert qargs(target, name) == {(q,) for q in range(25)}
        assert {(p.error, p.duration) for p in target[name].values()} == {(0.0, 0.0)}


def test_qis_single_qubit_gates_cost_one_native_gate(aria_v03: dict[str, Any]) -> None:
    target = from_ionq(aria_v03, gateset="qis")
    for name in ("x", "y", "h", "rx", "ry", "sx", "sxdg"):
        assert qargs(target, name) == {(q,) for q in range(25)}
        assert {(p.error, p.duration) for p in target[name].values()} == {
            (1 - 0.9998, 0.000135)
        }


def test_qis_entangling_gates_cost_one_native_entangler(aria_v03: dict[str, Any]) -> None:
    aria_v03["connectivity"] = [[0, 1], [2, 1]]
    target = from_ionq(aria_v03, gateset="qis")
    for name in ("cx", "rxx", "ryy", "rzz"):
        assert qargs(target, name) == {(0, 1), (1, 0), (1, 2), (2, 1)}
        assert {(p.error, p.duration) for p in target[name].values()} == {
            (1 - 0.9872, 0.0006)
        }


def test_qis_swap_costs_three_native_entanglers(aria_v03: dict[str, Any]) -> None:
    target = from_ionq(aria_v03, gateset="qis")
    assert qargs(target, "swap") == directed_pairs(25)
    (props,) = {(p.error, p.duration) for p in target["swap"].values()}
    assert props[0] == pytest.approx(1 - 0.9872**3, rel=1e-12)
    assert props[1] == pytest.approx(3 * 0.0006, rel=1e-15)


def test_qis_measure_is_the_same_as_native(aria_v03: dict[str, Any]) -> None:
    native = from_ionq(aria_v03)["measure"]
    qis = from_ionq(aria_v03, gateset="qis")["measure"]
    assert {q: (p.error, p.duration) for q, p in native.items()} == {
        q: (p.error, p.duration) for q, p in qis.items()
    }


# -- Forte, v0.4 list page ---------------------------------------------------------------------


def test_most_recent_characterization_of_a_page_is_used(
    forte_v04_page: dict[str, Any],
) -> None:
    _, path = parse_characterization(forte_v04_page)
    assert path == "characterizations[1]"
    target = from_ionq(forte_v04_page)
    assert {p.error for p in target["zz"].values()} == {1 - 0.9932}


def test_most_recent_wins_whatever_the_order_on_the_page(
    forte_v04_page: dict[str, Any],
) -> None:
    forte_v04_page["characterizations"].reverse()
    char, path = parse_characterization(forte_v04_page)
    assert path == "characterizations[0]"
    assert char.id == "forte-2024-11-15T09:30:00.250+02:00"


def test_iso_date_with_an_offset_is_taken_at_in_utc(forte_v04_page: dict[str, Any]) -> None:
    cal = to_calibration(forte_v04_page)
    assert cal.taken_at == datetime(2024, 11, 15, 7, 30, 0, 250_000, tzinfo=timezone.utc)
    assert cal.taken_at is not None
    assert cal.taken_at.tzinfo == timezone.utc


def test_iso_date_without_an_offset_is_taken_to_be_utc(aria_v03: dict[str, Any]) -> None:
    aria_v03["date"] = "2024-06-01T12:00:00"
    assert to_calibration(aria_v03).taken_at == datetime(2024, 6, 1, 12, tzinfo=timezone.utc)


def test_forte_family_runs_zz(forte_v04_page: dict[str, Any]) -> None:
    target = from_ionq(forte_v04_page)
    assert set(target.operation_names) == {"gpi", "gpi2", "zz", "measure"}
    assert to_calibration(forte_v04_page).processor == "Forte"


def test_absent_connectivity_means_every_pair_both_ways(
    forte_v04_page: dict[str, Any],
) -> None:
    target = from_ionq(forte_v04_page)
    assert qargs(target, "zz") == directed_pairs(36)
    assert len(target["zz"]) == 36 * 35
    assert {p.duration for p in target["zz"].values()} == {0.00097}


def test_median_only_fidelities_are_used_and_recorded(forte_v04_page: dict[str, Any]) -> None:
    target = from_ionq(forte_v04_page)
    assert {p.error for p in target["gpi2"].values()} == {1 - 0.9998}  # mean beats median
    assert {p.error for p in target["measure"].values()} == {1 - 0.9959}
    assert all(p.t1 == 100.0 and p.t2 == 1.0 for p in target.qubit_properties)
    notes = to_calibration(forte_v04_page).provenance.notes
    assert notes is not None
    assert "fidelities used: 1q mean, 2q median, spam median" in notes


def test_spam_only_fidelity_leaves_gate_errors_unknown(forte_v04_page: dict[str, Any]) -> None:
    newest = forte_v04_page["characterizations"][1]
    newest["fidelity"] = {"spam": {"median": 0.9959}}
    target = from_ionq(forte_v04_page)
    assert {p.error for p in target["zz"].values()} == {None}
    assert {p.error for p in target["gpi"].values()} == {None}
    assert {p.duration for p in target["gpi"].values()} == {0.00013}
    assert {p.error for p in target["measure"].values()} == {1 - 0.9959}
    notes = to_calibration(forte_v04_page).provenance.notes
    assert notes is not None
    assert notes.endswith("fidelities used: spam median")


def test_a_page_of_one_characterization_is_that_one(forte_v04_page: dict[str, Any]) -> None:
    page = {"characterizations": forte_v04_page["characterizations"][:1]}
    target = from_ionq(page)
    assert {p.error for p in target["zz"].values()} == {1 - 0.9901}


# -- Harmony, legacy v0.1 ----------------------------------------------------------------------


def test_v01_target_key_names_the_backend(harmony_v01: dict[str, Any]) -> None:
    cal = to_calibration(harmony_v01)
    assert cal.backend_name == "qpu.harmony"
    assert cal.processor == "Harmony"
    assert "ms" in from_ionq(harmony_v01).operation_names


def test_v01_millisecond_iso_date_is_taken_at_in_utc(harmony_v01: dict[str, Any]) -> None:
    cal = to_calibration(harmony_v01)
    assert cal.taken_at == datetime(2023, 5, 1, 12, 34, 56, 789_000, tzinfo=timezone.utc)


def test_reversed_and_duplicated_pairs_are_one_pair(harmony_v01: dict[str, Any]) -> None:
    target = from_ionq(harmony_v01)
    assert qargs(target, "ms") == directed_pairs(11)
    assert len(target["ms"]) == 11 * 10


def test_harmony_numbers(harmony_v01: dict[str, Any]) -> None:
    target = from_ionq(harmony_v01)
    assert {(p.error, p.duration) for p in target["gpi"].values()} == {(1 - 0.9973, 0.00001)}
    assert {(p.error, p.duration) for p in target["ms"].values()} == {(1 - 0.9002, 0.0002)}
    assert {(p.error, p.duration) for p in target["measure"].values()} == {
        (1 - 0.993, 0.00013)
    }
    assert {(p.t1, p.t2) for p in target.qubit_properties} == {(10000.0, 0.2)}


def test_backend_wins_over_target_when_both_are_given(harmony_v01: dict[str, Any]) -> None:
    harmony_v01["backend"] = "qpu.harmony"
    assert to_calibration(harmony_v01).backend_name == "qpu.harmony"


def test_backend_and_target_naming_two_devices_is_a_warning(harmony_v01: dict[str, Any]
                                                           ) -> None:
    harmony_v01["backend"] = "qpu.aria-2"
    with pytest.warns(QTargetsWarning, match=r"target: 'qpu.harmony' names another device"):
        assert to_calibration(harmony_v01).backend_name == "qpu.aria-2"


def test_more_qubits_than_the_family_has_is_a_warning(aria_v03: dict[str, Any]) -> None:
    aria_v03["backend"] = "qpu.harmony"
    with pytest.warns(QTargetsWarning, match=r"qubits: 25 qubits on 'qpu.harmony', whose "
                                             r"family \(Harmony\) has 11"):
        assert to_calibration(aria_v03).num_qubits == 25


# -- inputs ------------------------------------------------------------------------------------


@pytest.mark.parametrize("encode", [
    pytest.param(json.dumps, id="str"),
    pytest.param(lambda d: json.dumps(d).encode(), id="bytes"),
    pytest.param(lambda d: bytearray(json.dumps(d).encode()), id="bytearray"),
    pytest.param(types.MappingProxyType, id="mapping"),
])
@pytest.mark.parametrize("payload", ["aria_v03", "forte_v04_page", "harmony_v01"])
def test_json_text_bytes_and_mappings_equal_the_dict(
    payload: str, encode: Any, request: pytest.FixtureRequest
) -> None:
    data = request.getfixturevalue(payload)
    assert to_calibration(encode(data)) == to_calibration(data)
    assert to_calibration(encode(data), gateset="qis") == to_calibration(data, gateset="qis")


def test_unknown_fields_are_ignored(aria_v03: dict[str, Any]) -> None:
    expected = to_calibration(aria_v03)
    aria_v03["status"] = "available"
    aria_v03["fidelity"]["3q"] = {"mean": 0.9}
    aria_v03["timing"]["shuttle"] = 1.5
    assert to_calibration(aria_v03) == expected


def test_calibration_round_trips_through_json(forte_v04_page: dict[str, Any]) -> None:
    for gateset in ("native", "qis"):
        cal = to_calibration(forte_v04_page, gateset=gateset)
        assert qtargets.Calibration.from_json(cal.to_json()) == cal


# -- errors name the path ----------------------------------------------------------------------


def _set(path: tuple[Any, ...], value: Any) -> Any:
    def mutate(doc: Any) -> None:
        for key in path[:-1]:
            doc = doc[key]
        doc[path[-1]] = value
    return mutate


def _delete(path: tuple[Any, ...]) -> Any:
    def mutate(doc: Any) -> None:
        for key in path[:-1]:
            doc = doc[key]
        del doc[path[-1]]
    return mutate


ARIA_ERRORS = [
    pytest.param(_set(("fidelity", "2q", "mean"), 1.2), "characterization.fidelity.2q.mean",
                 id="fidelity above 1"),
    pytest.param(_set(("fidelity", "spam", "median"), -0.01),
                 "characterization.fidelity.spam.median", id="negative fidelity"),
    pytest.param(_set(("fidelity", "1q", "mean"), math.nan), "characterization.fidelity.1q.mean",
                 id="NaN fidelity"),
    pytest.param(_set(("fidelity", "1q", "mean"), "0.99"), "characterization.fidelity.1q.mean",
                 id="fidelity as text"),
    pytest.param(_set(("fidelity", "2q"), 0.98), "characterization.fidelity.2q",
                 id="fidelity not an object"),
    pytest.param(_set(("timing", "2q"), -0.0006), "characterization.timing.2q",
                 id="negative time"),
    pytest.param(_set(("timing", "t1"), math.inf), "characterization.timing.t1", id="inf time"),
    pytest.param(_set(("timing", "t2"), math.nan), "characterization.timing.t2", id="NaN time"),
    pytest.param(_set(("timing", "readout"), True), "characterization.timing.readout",
                 id="boolean time"),
    pytest.param(_set(("connectivity", 3), [4, 4]), "characterization.connectivity[3]",
                 id="self-pair"),
    pytest.param(_set(("connectivity", 3), [0, 25]), "characterization.connectivity[3]",
                 id="qubit out of range"),
    pytest.param(_set(("connectivity", 3), [0, 1, 2]), "characterization.connectivity[3]",
                 id="not a pair"),
    pytest.param(_set(("connectivity", 3), [0, -1]), "characterization.connectivity[3][1]",
                 id="negative qubit"),
    pytest.param(_set(("connectivity", 3), [0, 1.0]), "characterization.connectivity[3][1]",
                 id="float qubit"),
    pytest.param(_set(("qubits",), 25.0), "characterization.qubits", id="float qubit count"),
    pytest.param(_set(("qubits",), -1), "characterization.qubits", id="negative qubit count"),
    pytest.param(_delete(("qubits",)), "characterization.qubits", id="no qubit count"),
    pytest.param(_delete(("backend",)), "characterization.backend", id="no backend"),
    pytest.param(_set(("backend",), 7), "characterization.backend", id="backend not text"),
    pytest.param(_set(("date",), 1.7e9), "characterization.date", id="float date"),
    pytest.param(_set(("date",), 10**20), "characterization.date", id="date out of range"),
    pytest.param(_set(("date",), "2024-02-30T00:00:00Z"), "characterization.date",
                 id="no such day"),
    pytest.param(_set(("date",), "yesterday"), "characterization.date", id="date not ISO"),
]


@pytest.mark.parametrize(("mutate", "path"), ARIA_ERRORS)
def test_malformed_characterization_names_the_path(
    aria_v03: dict[str, Any], mutate: Any, path: str
) -> None:
    mutate(aria_v03)
    err = caught(aria_v03)
    assert err.path == path
    assert str(err).startswith(f"{path}: ")
    # the same error whether the payload is a dict or JSON bytes (NaN/inf as JSON extensions)
    assert str(caught(json.dumps(aria_v03, allow_nan=True).encode())) == str(err)


def test_fidelity_above_one_message(aria_v03: dict[str, Any]) -> None:
    aria_v03["fidelity"]["2q"]["mean"] = 1.2
    assert str(caught(aria_v03)).startswith("characterization.fidelity.2q.mean: ")
    assert "1.2" in str(caught(aria_v03))


def test_connectivity_errors_say_what_is_wrong(aria_v03: dict[str, Any]) -> None:
    aria_v03["connectivity"][3] = [4, 4]
    assert "itself" in caught(aria_v03).reason
    aria_v03["connectivity"][3] = [4, 30]
    assert "out of range for 25 qubits" in caught(aria_v03).reason


def test_bad_date_on_a_page_names_its_entry(forte_v04_page: dict[str, Any]) -> None:
    forte_v04_page["characterizations"][1]["date"] = "2024-13-01T00:00:00Z"
    err = caught(forte_v04_page)
    assert err.path == "characterizations[1].date"
    assert str(err).startswith("characterizations[1].date: ")


def test_bad_field_on_a_page_names_its_entry(forte_v04_page: dict[str, Any]) -> None:
    forte_v04_page["characterizations"][1]["fidelity"]["2q"]["median"] = 1.5
    assert caught(forte_v04_page).path == "characterizations[1].fidelity.2q.median"
    forte_v04_page["characterizations"][1]["fidelity"]["2q"]["median"] = 0.99
    forte_v04_page["characterizations"][1]["connectivity"] = [[0, 1], [2, 36]]
    assert caught(forte_v04_page).path == "characterizations[1].connectivity[1]"


@pytest.mark.parametrize("characterizations", [None, []], ids=["null", "empty"])
def test_a_page_without_characterizations_is_an_error(characterizations: Any) -> None:
    err = caught({"characterizations": characterizations, "pages": 0})
    assert err.path == "characterizations"
    assert "no characterization" in err.reason


@pytest.mark.parametrize(("payload", "path"), [
    pytest.param("{not json", "characterization", id="invalid JSON"),
    pytest.param(b"\xff\xfe\x00", "characterization", id="invalid bytes"),
    pytest.param("[1, 2]", "characterization", id="array"),
    pytest.param(42, "characterization", id="number"),
    pytest.param({"characterizations": {"id": "x"}}, "characterizations", id="page not list"),
    pytest.param({"characterizations": [1]}, "characterizations[0]", id="entry not object"),
    pytest.param({"characterizations": [], "pages": -1}, "pages", id="negative pages"),
])
def test_payloads_that_are_not_characterizations(payload: Any, path: str) -> None:
    assert caught(payload).path == path


def test_deeply_nested_json_is_a_calibration_error() -> None:
    err = caught('{"qubits": 1, "backend": "qpu.aria-1", "x": ' + "[" * 100_000)
    assert err.path == "characterization"


def test_a_huge_qubit_count_without_connectivity_fails_fast() -> None:
    # All pairs of 100,000 qubits would be 10^10 gate entries: refuse, don't hang.
    started = time.perf_counter()
    err = caught({"backend": "qpu.aria-1", "qubits": 100_000})
    assert time.perf_counter() - started < 5
    assert err.path == "characterization.connectivity"


def test_a_swap_duration_overflowing_names_the_2q_time(aria_v03: dict[str, Any]) -> None:
    aria_v03["timing"]["2q"] = 1e308  # finite, but three of them are not
    assert from_ionq(aria_v03)["ms"][(0, 1)].duration == 1e308
    assert caught(aria_v03, gateset="qis").path == "characterization.timing.2q"


def test_bad_gateset_and_entangler_names(aria_v03: dict[str, Any]) -> None:
    assert caught(aria_v03, gateset="pulse").path == "gateset"
    assert caught(aria_v03, two_qubit_gate="cz").path == "two_qubit_gate"


# -- families ----------------------------------------------------------------------------------


def test_unknown_backend_asks_for_the_entangler(aria_v03: dict[str, Any]) -> None:
    aria_v03["backend"] = "qpu.cadenza-1"
    with pytest.raises(UnknownBackendError, match="two_qubit_gate") as info:
        from_ionq(aria_v03)
    assert isinstance(info.value, QTargetsError)
    assert "qpu.cadenza-1" in str(info.value)


@pytest.mark.parametrize("gate", ["zz", "ms"])
def test_unknown_backend_works_once_the_entangler_is_named(
    aria_v03: dict[str, Any], gate: str
) -> None:
    aria_v03["backend"] = "qpu.cadenza-1"
    target = from_ionq(aria_v03, two_qubit_gate=gate)  # type: ignore[arg-type]
    assert set(target.operation_names) == {"gpi", "gpi2", gate, "measure"}
    assert {p.error for p in target[gate].values()} == {1 - 0.9872}
    cal = to_calibration(aria_v03, two_qubit_gate=gate)  # type: ignore[arg-type]
    assert cal.processor is None
    assert f"native two-qubit gate {gate}" in (cal.provenance.notes or "")


@pytest.mark.parametrize(("backend", "gate"), [
    ("qpu.aria-2", "ms"), ("qpu.aria-3", "ms"), ("ionq.qpu.forte-1", "zz"),
    ("forte-enterprise-1", "zz"), ("QPU.ARIA-1", "ms"),
])
def test_backend_names_map_to_their_family_entangler(
    aria_v03: dict[str, Any], backend: str, gate: str
) -> None:
    aria_v03["backend"] = backend
    assert gate in from_ionq(aria_v03).operation_names


# -- bundled devices ---------------------------------------------------------------------------


def test_bundled_aria_runs_ms_on_all_pairs_with_published_figures() -> None:
    target = qtargets.load_target("qpu.aria-1")
    assert target.num_qubits == 25
    assert set(target.operation_names) == {"gpi", "gpi2", "ms", "measure"}
    assert qargs(target, "ms") == directed_pairs(25)
    assert len(target["ms"]) == 25 * 24
    assert {(p.error, p.duration) for p in target["ms"].values()} == {(1 - 0.9872, 600e-6)}
    assert {(p.error, p.duration) for p in target["gpi"].values()} == {(1 - 0.9998, 135e-6)}
    assert {(p.error, p.duration) for p in target["measure"].values()} == {
        (1 - 0.9937, 300e-6)
    }


def test_bundled_forte_runs_zz_on_all_pairs_with_published_figures() -> None:
    target = qtargets.load_target("qpu.forte-1")
    assert target.num_qubits == 36
    assert set(target.operation_names) == {"gpi", "gpi2", "zz", "measure"}
    assert qargs(target, "zz") == directed_pairs(36)
    assert len(target["zz"]) == 36 * 35
    assert {(p.error, p.duration) for p in target["zz"].values()} == {(1 - 0.9932, 970e-6)}
    assert {(p.error, p.duration) for p in target["gpi2"].values()} == {(1 - 0.9998, 130e-6)}
    assert {(p.error, p.duration) for p in target["measure"].values()} == {
        (1 - 0.9959, 150e-6)
    }
    assert {(p.t1, p.t2) for p in target.qubit_properties} == {(100.0, 1.0)}


def test_bundled_harmony_and_forte_enterprise() -> None:
    harmony = qtargets.load_target("qpu.harmony")
    assert len(harmony["ms"]) == 11 * 10
    assert {p.error for p in harmony["ms"].values()} == {1 - 0.9002}
    enterprise = qtargets.load_target("qpu.forte-enterprise-1")
    assert len(enterprise["zz"]) == 36 * 35
    assert set(enterprise["zz"].values()) == {None}  # nothing published, nothing made up


def test_bundled_calibrations_match_a_fresh_conversion_of_their_figures() -> None:
    cal = qtargets.load_calibration("qpu.aria-1")
    payload = {
        "backend": "qpu.aria-1", "qubits": 25,
        "fidelity": {"1q": {"mean": 0.9998}, "2q": {"mean": 0.9872}, "spam": {"mean": 0.9937}},
        "timing": {"1q": 135e-6, "2q": 600e-6, "readout": 300e-6},
    }
    assert to_calibration(payload).instructions == cal.instructions
