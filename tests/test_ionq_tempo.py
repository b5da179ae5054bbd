"""IonQ Tempo, and the native gates IonQ's v0.4 ``/backends`` entry names.

What is published, and where (nothing here is invented):

* Tempo: backends ``qpu.tempo-1``/``qpu.tempo-2``, native gates gpi, gpi2 and zz, and a
  restricted connectivity ("a genuine *subset* of pairs (e.g. Tempo's multi-parcel layout)")
  read from the characterization's ``connectivity``: IonQ's own Qiskit provider,
  qiskit-community/qiskit-ionq (PRs #247 and #263, README "Tempo backends"). IonQ publishes no
  per-device Tempo characterization and no Tempo spec-sheet figures (qubits, fidelities,
  timings) that we could find.
* So :data:`TEMPO` is a **schema example**: the example characterization of IonQ's v0.4 API
  reference (docs.ionq.com/api-reference/v0.4/backends/get-a-characterization; its OpenAPI
  examples: id, date, 25 qubits, connectivity ``[[0, 1], [0, 2], [10, 9]]``, SPAM median
  0.9962 with a null stderr, T1 10 s, T2 1 s; its placeholder gate and readout times, "123",
  are left out) under Tempo's backend name. Its connectivity is restricted, as Tempo's is.
* :data:`TEMPO_ENTRY` is a v0.4 ``GET /backends/{backend}`` entry: the fields and example
  values of IonQ's OpenAPI-generated SDK (ionq/ionq-core-python, ionq_core/models/backend.py),
  with ``supported_native_gates`` as qiskit-ionq's catalog lists them for ``qpu.tempo-1``.
"""

from __future__ import annotations

import copy
import json
import warnings
from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from qiskit import QuantumCircuit, transpile
from typer.testing import CliRunner

import qtargets
from apiserver import FakeVendorServer
from blocking import Blocking
from qtargets import CalibrationError, QTargetsWarning, UnknownBackendError
from qtargets.cli import app
from qtargets.ionq import FAMILIES, IonQClient, family_of, from_ionq, to_calibration
from qtargets.ionq.api import AsyncIonQClient
from qtargets.ionq.models import Backend
from qtargets.ionq.source import IonQSource, file_format
from qtargets.store import CalibrationStore

TEMPO_NAME = "qpu.tempo-1"
TEMPO_PAIRS = {(0, 1), (1, 0), (0, 2), (2, 0), (9, 10), (10, 9)}
TEMPO: dict[str, Any] = {
    "id": "3c90c3cc-0d44-4b50-8888-8dd25736052a",
    "date": "2025-06-16T00:00:00Z",
    "backend": TEMPO_NAME,
    "qubits": 25,
    "connectivity": [[0, 1], [0, 2], [10, 9]],
    "fidelity": {"spam": {"median": 0.9962, "stderr": None}},
    "timing": {"t1": 10, "t2": 1},
}
TEMPO_ENTRY: dict[str, Any] = {
    "backend": TEMPO_NAME,
    "status": "available",
    "qubits": 25,
    "average_queue_time": 1181215,
    "last_updated": "2025-06-16T00:00:00Z",
    "characterization_id": TEMPO["id"],
    "supported_native_gates": ["gpi", "gpi2", "zz"],
    "supported_gates": ["x", "y", "z", "h", "s", "si", "t", "ti", "v", "vi", "rx", "ry", "rz",
                        "cnot", "swap", "xx", "yy", "zz", "not"],
    "supported_error_mitigations": ["debiasing"],
}
FAST: dict[str, Any] = {"timeout": 2.0, "retries": 1, "backoff_base": 0.01, "backoff_max": 0.05}

runner = CliRunner()


@pytest.fixture
def tempo() -> dict[str, Any]:
    return copy.deepcopy(TEMPO)


@pytest.fixture
def entry() -> dict[str, Any]:
    return copy.deepcopy(TEMPO_ENTRY)


def one_warning(record: list[warnings.WarningMessage]) -> str:
    ours = [str(w.message) for w in record if issubclass(w.category, QTargetsWarning)]
    assert len(ours) == 1, ours
    return ours[0]


# -- the family ---------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["qpu.tempo-1", "qpu.tempo-2", "tempo-1", "ionq.qpu.tempo-1"])
def test_tempo_backends_are_the_zz_family_with_restricted_connectivity(name: str) -> None:
    family = family_of(name)
    assert family.name == "Tempo"
    assert family.two_qubit_gate == "zz"
    assert family.native_gates == ("gpi", "gpi2", "zz")
    assert family.connectivity == "restricted"
    assert family.qubits is None  # IonQ publishes no qubit count for Tempo


def test_only_tempo_is_restricted_and_every_other_family_keeps_its_figures() -> None:
    table = {f.name: (f.two_qubit_gate, f.qubits, f.connectivity) for f in FAMILIES}
    assert table == {
        "Forte Enterprise": ("zz", 36, "all-to-all"), "Forte": ("zz", 36, "all-to-all"),
        "Tempo": ("zz", None, "restricted"), "Aria": ("ms", 25, "all-to-all"),
        "Harmony": ("ms", 11, "all-to-all"),
    }


# -- converting a Tempo characterization --------------------------------------------------------


def test_tempo_runs_zz_on_exactly_the_listed_pairs(tempo: dict[str, Any]) -> None:
    target = from_ionq(tempo)
    assert set(target.operation_names) == {"gpi", "gpi2", "zz", "measure"}
    assert set(target["zz"]) == TEMPO_PAIRS
    coupling = target.build_coupling_map()
    assert coupling is not None
    assert set(coupling.get_edges()) == TEMPO_PAIRS
    assert len(target["gpi2"]) == 25  # unpaired qubits are still qubits


def test_tempo_figures_are_the_characterizations(tempo: dict[str, Any]) -> None:
    cal = to_calibration(tempo)
    assert (cal.backend_name, cal.processor, cal.num_qubits) == (TEMPO_NAME, "Tempo", 25)
    assert cal.taken_at == datetime(2025, 6, 16, tzinfo=timezone.utc)
    assert [q.readout_error for q in cal.qubits] == pytest.approx([1 - 0.9962] * 25)
    assert {(q.t1, q.t2) for q in cal.qubits} == {(10, 1)}
    zz = next(i for i in cal.instructions if i.name == "zz")
    assert {g.error for g in zz.qargs} == {None}  # no 2q fidelity given, none made up
    assert "native two-qubit gate zz" in (cal.provenance.notes or "")


def test_tempo_qis_gates_are_restricted_to_the_pairs_too(tempo: dict[str, Any]) -> None:
    target = from_ionq(tempo, gateset="qis")
    for name in ("cx", "rzz", "swap"):
        assert set(target[name]) == TEMPO_PAIRS


@pytest.mark.parametrize("stages", ["qiskit", "ionq-native"])
def test_circuits_compiled_for_tempo_entangle_only_its_pairs(
        tempo: dict[str, Any], stages: str) -> None:
    triangle = QuantumCircuit(3)  # needs a swap on Tempo's star 0-1, 0-2
    triangle.h(0)
    triangle.cx(0, 1)
    triangle.cx(1, 2)
    triangle.cx(0, 2)
    native = ({} if stages == "qiskit" else dict.fromkeys(
        ("init_method", "translation_method", "optimization_method"), "ionq-native"))
    out = transpile(triangle, target=from_ionq(tempo), optimization_level=3,
                    seed_transpiler=1, **native)
    used = {tuple(out.find_bit(q).index for q in i.qubits)
            for i in out.data if i.operation.num_qubits == 2}
    assert used
    assert used <= TEMPO_PAIRS
    assert set(out.count_ops()) <= {"gpi", "gpi2", "zz"}


def test_tempo_without_connectivity_is_an_error_not_all_to_all(
        tempo: dict[str, Any]) -> None:
    del tempo["connectivity"]
    with pytest.raises(CalibrationError) as caught:
        to_calibration(tempo)
    assert caught.value.path == "characterization.connectivity"
    assert "Tempo" in str(caught.value)


def test_tempo_with_more_qubits_raises_no_family_size_warning(tempo: dict[str, Any]) -> None:
    tempo["qubits"] = 100  # the table has no count for Tempo to compare against
    assert to_calibration(tempo).num_qubits == 100


# -- the CLI on a Tempo characterization file ------------------------------------------------


@pytest.fixture
def tempo_file(tmp_path: Path) -> Path:
    path = tmp_path / "tempo-1.json"
    path.write_text(json.dumps(TEMPO))
    return path


def test_a_saved_characterization_is_a_calibration_file(tempo_file: Path) -> None:
    data = tempo_file.read_bytes()
    assert file_format.recognises(tempo_file.name, data)
    assert not file_format.recognises("x.json", to_calibration(TEMPO).to_json().encode())
    assert not file_format.recognises("x.json", b"[1, 2]")
    assert not file_format.recognises("x.json", b"{not json")
    page = json.dumps({"characterizations": [TEMPO], "pages": 1}).encode()
    assert file_format.recognises("page.json", page)
    cal = qtargets.load_calibration(tempo_file)
    assert cal.processor == "Tempo"
    assert cal.provenance.source == f"IonQ characterization file {tempo_file.name}"


def test_show_reports_tempo_with_its_zz_pairs(tempo_file: Path) -> None:
    result = runner.invoke(app, ["show", str(tempo_file), "--offline", "--json"])
    assert result.exit_code == 0, result.output
    shown = json.loads(result.stdout)
    operations = {op["name"]: op for op in shown["instructions"]}
    assert set(operations) == {"gpi", "gpi2", "zz", "measure"}
    assert operations["zz"]["num_qargs"] == len(TEMPO_PAIRS)
    assert operations["zz"]["num_missing_error"] == len(TEMPO_PAIRS)
    assert (shown["backend_name"], shown["processor"]) == (TEMPO_NAME, "Tempo")


def test_map_draws_tempo(tempo_file: Path, tmp_path: Path) -> None:
    out = tmp_path / "tempo.png"
    result = runner.invoke(app, ["map", str(tempo_file), "--offline", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert out.read_bytes().startswith(b"\x89PNG")


def test_rank_scores_tempo_and_routes_over_its_pairs(tempo_file: Path, tmp_path: Path) -> None:
    circuit = tmp_path / "ghz.qasm"
    circuit.write_text('OPENQASM 2.0;\ninclude "qelib1.inc";\nqreg q[3];\ncreg c[3];\n'
                       "h q[0];\ncx q[0],q[1];\ncx q[0],q[2];\nmeasure q -> c;\n")
    result = runner.invoke(app, ["rank", str(circuit), "-b", str(tempo_file), "--offline",
                                 "--json"])
    assert result.exit_code == 0, result.output
    (row,) = json.loads(result.stdout)
    assert row["device"] == TEMPO_NAME
    assert row["error"] is None
    assert row["two_qubit_gates"] == 2  # qubit 0 meets 1 and 2 directly: no swap needed


# -- the API's native gates against the family table --------------------------------------------


def test_the_apis_native_gates_agreeing_with_the_table_raise_no_warning(
        tempo: dict[str, Any], entry: dict[str, Any]) -> None:
    cal = to_calibration(tempo, backend_entry=entry)  # QTargetsWarning is an error here
    assert [i.name for i in cal.instructions] == ["gpi", "gpi2", "zz", "measure"]
    assert "native gates from IonQ's /backends entry: gpi, gpi2, zz" in (
        cal.provenance.notes or "")


def test_the_apis_native_gates_win_over_the_table_with_one_warning(
        tempo: dict[str, Any], entry: dict[str, Any]) -> None:
    entry["supported_native_gates"] = ["gpi", "gpi2", "ms"]  # IonQ's SDK's example list
    with pytest.warns(QTargetsWarning) as record:
        target = from_ionq(tempo, backend_entry=entry)
    message = one_warning(record)
    assert TEMPO_NAME in message
    assert "{gpi, gpi2, ms}" in message
    assert "{gpi, gpi2, zz}" in message
    assert "ms" in target.operation_names
    assert "zz" not in target.operation_names
    assert set(target["ms"]) == TEMPO_PAIRS


def test_errors_come_before_the_disagreement_warning(tempo: dict[str, Any],
                                                     entry: dict[str, Any]) -> None:
    entry["supported_native_gates"] = ["gpi", "gpi2", "ms"]
    tempo["connectivity"].append([0, 99])
    with pytest.raises(CalibrationError) as caught:  # a QTargetsWarning would be raised here
        to_calibration(tempo, backend_entry=entry)
    assert caught.value.path == "characterization.connectivity[3]"


def test_the_api_can_teach_an_unknown_backend_its_gates(tempo: dict[str, Any],
                                                        entry: dict[str, Any]) -> None:
    tempo["backend"] = entry["backend"] = "qpu.cadenza-1"
    with pytest.raises(UnknownBackendError):
        to_calibration(tempo)
    cal = to_calibration(tempo, backend_entry=entry)
    assert [i.name for i in cal.instructions] == ["gpi", "gpi2", "zz", "measure"]
    assert cal.processor is None


def test_a_gate_qtargets_does_not_model_is_left_out_with_a_warning(
        tempo: dict[str, Any], entry: dict[str, Any]) -> None:
    entry["supported_native_gates"] = ["gpi", "gpi2", "zz", "nop"]  # nop: IonQ's NativeGate enum
    with pytest.warns(QTargetsWarning, match="'nop'.*left out") as record:
        cal = to_calibration(tempo, backend_entry=entry)
    one_warning(record)
    assert [i.name for i in cal.instructions] == ["gpi", "gpi2", "zz", "measure"]


def test_both_entanglers_listed_keep_the_familys_one(tempo: dict[str, Any],
                                                    entry: dict[str, Any]) -> None:
    entry["supported_native_gates"] = ["gpi", "gpi2", "ms", "zz"]
    with pytest.warns(QTargetsWarning, match="both ms and zz") as record:
        cal = to_calibration(tempo, backend_entry=entry)
    one_warning(record)
    assert [i.name for i in cal.instructions] == ["gpi", "gpi2", "zz", "measure"]
    tempo["backend"] = entry["backend"] = "qpu.cadenza-1"
    with pytest.raises(CalibrationError, match="two_qubit_gate") as caught:
        to_calibration(tempo, backend_entry=entry)
    assert caught.value.path == "backend.supported_native_gates"


def test_a_named_entangler_overrides_the_api_with_a_warning(
        tempo: dict[str, Any], entry: dict[str, Any]) -> None:
    with pytest.warns(QTargetsWarning, match="two_qubit_gate='ms'"):
        cal = to_calibration(tempo, two_qubit_gate="ms", backend_entry=entry)
    assert [i.name for i in cal.instructions] == ["gpi", "gpi2", "ms", "measure"]


def test_an_entry_without_native_gates_leaves_the_table_in_charge(
        tempo: dict[str, Any], entry: dict[str, Any]) -> None:
    del entry["supported_native_gates"]
    assert to_calibration(tempo, backend_entry=entry).instructions == \
        to_calibration(tempo).instructions


@pytest.mark.parametrize(("gates", "path"), [
    ("gpi,gpi2,zz", "backend.supported_native_gates"),
    ({"gpi": True}, "backend.supported_native_gates"),
    (["gpi", 2, "zz"], "backend.supported_native_gates[1]"),
    (["gpi", ""], "backend.supported_native_gates[1]"),
    ([None], "backend.supported_native_gates[0]"),
])
def test_a_malformed_native_gate_list_names_its_path(
        tempo: dict[str, Any], entry: dict[str, Any], gates: Any, path: str) -> None:
    entry["supported_native_gates"] = gates
    with pytest.raises(CalibrationError) as caught:
        to_calibration(tempo, backend_entry=entry)
    assert caught.value.path == path


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats()
    | st.sampled_from(["gpi", "gpi2", "ms", "zz", "GPI2", "nop", "cnot", ""]) | st.text(max_size=4),
    lambda inner: st.lists(inner, max_size=5) | st.dictionaries(st.text(max_size=3), inner,
                                                                 max_size=3),
    max_leaves=10)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(gates=JSON, field=st.sampled_from(["supported_native_gates", "supported_gates",
                                          "supported_error_mitigations", "backend"]))
def test_any_new_field_value_converts_or_names_its_path(gates: Any, field: str) -> None:
    """Whatever the API puts in an entry's field: a Calibration whose native gates are among
    IonQ's four, or a CalibrationError whose path is that field (or in it)."""
    entry = copy.deepcopy(TEMPO_ENTRY)
    entry[field] = gates
    outcome: qtargets.Calibration | CalibrationError
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            outcome = to_calibration(TEMPO, backend_entry=entry)
        except CalibrationError as err:
            outcome = err
    if isinstance(outcome, CalibrationError):
        assert outcome.path.startswith(f"backend.{field}"), outcome
        return
    assert {i.name for i in outcome.instructions} <= {"gpi", "gpi2", "ms", "zz", "measure"}
    assert sum(i.name in ("ms", "zz") for i in outcome.instructions) <= 1


@pytest.mark.parametrize("field", ["supported_gates", "supported_error_mitigations"])
def test_the_other_new_lists_are_checked_too(
        tempo: dict[str, Any], entry: dict[str, Any], field: str) -> None:
    entry[field] = [3]
    with pytest.raises(CalibrationError) as caught:
        to_calibration(tempo, backend_entry=json.dumps(entry))
    assert caught.value.path == f"backend.{field}[0]"


def test_an_entry_of_another_device_is_refused(tempo: dict[str, Any],
                                               entry: dict[str, Any]) -> None:
    entry["backend"] = "qpu.forte-1"
    with pytest.raises(CalibrationError) as caught:
        to_calibration(tempo, backend_entry=entry)
    assert caught.value.path == "backend.backend"


def test_the_entry_is_modelled(entry: dict[str, Any]) -> None:
    model = Backend.model_validate(entry)
    assert model.supported_native_gates == ["gpi", "gpi2", "zz"]
    assert model.supported_gates is not None
    assert "cnot" in model.supported_gates
    assert model.supported_error_mitigations == ["debiasing"]
    assert to_calibration(TEMPO, backend_entry=model).instructions == \
        to_calibration(TEMPO, backend_entry=entry).instructions


# -- v0.3 unchanged --------------------------------------------------------------------------


def test_v03_payloads_convert_as_before(tempo: dict[str, Any]) -> None:
    """A v0.3 entry names no gates, so an Aria v0.3 characterization converts exactly as it
    does without one; the v0.3 /backends shape still validates."""
    aria = {"id": "a", "date": 1_717_243_200, "backend": "qpu.aria-1", "qubits": 25,
            "fidelity": {"2q": {"mean": 0.9872}}, "timing": {"2q": 0.0006}}
    v03_entry = {"backend": "qpu.aria-1", "status": "available", "qubits": 25,
                 "average_queue_time": 1181215, "last_updated": 1_717_243_200,
                 "characterization_url": "/characterizations/backends/qpu.aria-1/current"}
    plain = to_calibration(aria)
    assert to_calibration(aria, backend_entry=v03_entry) == plain
    assert [i.name for i in plain.instructions] == ["gpi", "gpi2", "ms", "measure"]
    assert "/backends" not in (plain.provenance.notes or "")


# -- live, over the loopback server -----------------------------------------------------------


@pytest.fixture(scope="module")
def server() -> Iterator[FakeVendorServer]:
    with FakeVendorServer(ibm_backends=(), ionq_backends=("qpu.aria-1",),
                          ionq_history=2) as running:
        stored = dict(TEMPO)
        stored["date"] = int(datetime(2025, 6, 16, tzinfo=timezone.utc).timestamp())
        running.ionq[TEMPO_NAME] = [stored]  # the server keeps v0.3 shapes, serves v0.4 ones
        yield running


@pytest.fixture(autouse=True)
def _fresh_fields(server: FakeVendorServer) -> Iterator[None]:
    yield
    server.ionq_backend_fields.clear()


def paths_since(server: FakeVendorServer, before: int) -> list[str]:
    return [r.path for r in server.requests[before:]]


def test_v04_source_converts_tempo_with_its_backend_entry_and_stores_both(
        server: FakeVendorServer, tmp_path: Path) -> None:
    source = Blocking(IonQSource(AsyncIonQClient(server.ionq_api_key, server.ionq_v04_url,
                                                 **FAST)))
    try:
        with CalibrationStore(tmp_path / "s.sqlite3") as store:
            before = len(server.requests)
            fetched = source.fetch(TEMPO_NAME, None, store)
            assert f"/ionq/v0.4/backends/{TEMPO_NAME}" in paths_since(server, before)
            target = qtargets.build_target(fetched.calibration)
            assert set(target["zz"]) == TEMPO_PAIRS
            assert "from IonQ's /backends entry: gpi, gpi2, zz" in (
                fetched.calibration.provenance.notes or "")
            assert fetched.snapshot is not None
            raw = store.raw(fetched.snapshot)
            with IonQClient(server.ionq_api_key, server.ionq_v04_url, **FAST) as direct:
                assert raw["backend"] == direct.backend(TEMPO_NAME).body
            assert source.fetch(TEMPO_NAME, None, store).not_modified
    finally:
        source.close()


def test_v04_source_warns_when_the_api_and_the_table_disagree(
        server: FakeVendorServer) -> None:
    server.ionq_backend_fields[TEMPO_NAME] = {"supported_native_gates": ["gpi", "gpi2", "ms"]}
    source = Blocking(IonQSource(AsyncIonQClient(server.ionq_api_key, server.ionq_v04_url,
                                                 **FAST)))
    try:
        with pytest.warns(QTargetsWarning) as record:
            fetched = source.fetch(TEMPO_NAME, None, None)
    finally:
        source.close()
    assert "{gpi, gpi2, ms}" in one_warning(record)
    assert "ms" in qtargets.build_target(fetched.calibration).operation_names


def test_v04_source_names_the_path_of_a_malformed_entry(server: FakeVendorServer) -> None:
    server.ionq_backend_fields[TEMPO_NAME] = {"supported_native_gates": ["gpi", 7]}
    source = Blocking(IonQSource(AsyncIonQClient(server.ionq_api_key, server.ionq_v04_url,
                                                 **FAST)))
    try:
        with pytest.raises(CalibrationError) as caught:
            source.fetch(TEMPO_NAME, None, None)
    finally:
        source.close()
    assert caught.value.path == "backend.supported_native_gates[1]"


def test_past_characterizations_and_v03_never_ask_for_the_entry(
        server: FakeVendorServer) -> None:
    at = datetime(2025, 7, 1, tzinfo=timezone.utc)
    for url in (server.ionq_v04_url, server.ionq_v03_url):
        source = Blocking(IonQSource(AsyncIonQClient(server.ionq_api_key, url, **FAST)))
        try:
            before = len(server.requests)
            old = source.fetch(TEMPO_NAME, at, None).calibration
            if url == server.ionq_v03_url:
                now = source.fetch(TEMPO_NAME, None, None).calibration
                assert "/backends" not in (now.provenance.notes or "")
            asked = paths_since(server, before)
        finally:
            source.close()
        entries = {"/ionq/v0.3/backends", "/ionq/v0.4/backends",
                   f"/ionq/v0.4/backends/{TEMPO_NAME}"}
        assert asked
        assert not entries & set(asked), asked
        assert "/backends entry" not in (old.provenance.notes or "")


@pytest.mark.parametrize("version", ["v0.3", "v0.4"])
def test_the_client_returns_a_devices_entry_as_received(
        server: FakeVendorServer, version: str) -> None:
    url = server.ionq_v03_url if version == "v0.3" else server.ionq_v04_url
    with IonQClient(server.ionq_api_key, url, **FAST) as client:
        before = len(server.requests)
        found = client.backend(TEMPO_NAME)
        asked = paths_since(server, before)
    assert found.model.backend == TEMPO_NAME
    assert json.loads(found.body)["backend"] == TEMPO_NAME
    if version == "v0.4":
        assert asked == [f"/ionq/v0.4/backends/{TEMPO_NAME}"]
        assert found.model.supported_native_gates == ["gpi", "gpi2", "zz"]
    else:
        assert asked == ["/ionq/v0.3/backends"]
        assert found.model.supported_native_gates is None  # v0.3 names no gates
