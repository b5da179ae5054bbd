"""``qtargets.rank``: transpile one circuit for several devices and rank them by ``esp_idle``.

Offline on the bundled calibrations (``live=False``), and live against the loopback server
(tests/apiserver.py) for the queue figures.
"""

from __future__ import annotations

import json
import math
import pickle
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from qiskit import QuantumCircuit
from qiskit.circuit import Gate
from typer.testing import CliRunner

import qtargets
from apiserver import FakeVendorServer, Fault
from qtargets import CircuitFileError, RankError, load_circuit
from qtargets.backends import backend
from qtargets.cli import app
from qtargets.cli.render import probability
from qtargets.ranking import Ranking, _order, rank
from qtargets.store import CalibrationStore
from small_circuits import ghz_into_bits as ghz

from reference import snapshots

runner = CliRunner()

FAST = {"timeout": 1.0, "retries": 1}
SMALL_DEVICES = ["qpu.harmony", "ibm_fez", "qpu.aria-1"]


def ghz_qasm2(n: int) -> str:
    lines = ["OPENQASM 2.0;", 'include "qelib1.inc";', f"qreg q[{n}];", f"creg c[{n}];",
             "h q[0];"]
    lines += [f"cx q[{i}],q[{i + 1}];" for i in range(n - 1)]
    return "\n".join([*lines, "measure q -> c;", ""])


def ghz_qasm3(n: int) -> str:
    lines = ["// a GHZ state", "OPENQASM 3.0;", 'include "stdgates.inc";', f"qubit[{n}] q;",
             f"bit[{n}] c;", "h q[0];"]
    lines += [f"cx q[{i}], q[{i + 1}];" for i in range(n - 1)]
    return "\n".join([*lines, "c = measure q;", ""])


@pytest.fixture
def ghz3_file(tmp_path: Path) -> Path:
    path = tmp_path / "ghz3.qasm"
    path.write_text(ghz_qasm2(3))
    return path


def figures(row: Ranking) -> tuple[object, ...]:
    return (row.esp, row.esp_idle, row.log_esp_idle, row.duration, row.two_qubit_gates,
            row.depth)


# -- ranking -------------------------------------------------------------------------------


def test_devices_are_ranked_by_esp_idle_best_first(ghz3_file: Path) -> None:
    rows = rank(ghz3_file, SMALL_DEVICES, live=False, optimization_level=1)
    assert sorted(r.device for r in rows) == sorted(SMALL_DEVICES)
    esp_idle = [r.esp_idle for r in rows]
    assert all(isinstance(p, float) and 0.0 < p < 1.0 for p in esp_idle)
    assert esp_idle == sorted(esp_idle, reverse=True)  # type: ignore[type-var]
    for row in rows:
        cal = qtargets.load_calibration(row.device)
        assert (row.vendor, row.num_qubits, row.taken_at) == (cal.vendor, cal.num_qubits,
                                                              cal.taken_at)
        assert row.error is None
        assert row.queue is None  # offline: no vendor was asked
        assert row.transpile_seconds is not None
        assert row.transpile_seconds > 0.0


@pytest.mark.parametrize("method", ["qtargets", "default"])
def test_every_row_is_the_score_of_the_same_transpile(ghz3_file: Path, method: str) -> None:
    circuit = load_circuit(ghz3_file)
    rows = rank(circuit, ["ibm_fez", "qpu.aria-1"], live=False, optimization_level=1,
                seed=7, method=method)  # type: ignore[arg-type]
    for row in rows:
        device = backend(row.device, live=False)
        layout = {"layout_method": "qtargets"} if method == "qtargets" else {}
        again = device.pass_manager(1, seed_transpiler=7, **layout).run(circuit)
        expected = qtargets.score(again, device.target)
        assert figures(row) == (expected.esp, expected.esp_idle, expected.log_esp_idle,
                                expected.duration, expected.two_qubit_gates, expected.depth)
        assert row.transpiled == again  # the circuit to run if this device wins


def test_a_qasm3_file_ranks_exactly_like_the_same_circuit_in_qasm2(
        tmp_path: Path, ghz3_file: Path) -> None:
    pytest.importorskip("qiskit_qasm3_import")
    qasm3_file = tmp_path / "ghz3-v3.qasm"
    qasm3_file.write_text(ghz_qasm3(3))
    options = {"live": False, "optimization_level": 1}
    from_qasm3 = rank(qasm3_file, ["ibm_fez", "qpu.aria-1"], **options)  # type: ignore[arg-type]
    from_qasm2 = rank(str(ghz3_file), ["ibm_fez", "qpu.aria-1"], **options)  # type: ignore[arg-type]
    assert [(r.device, figures(r)) for r in from_qasm3] == [
        (r.device, figures(r)) for r in from_qasm2]


def test_a_device_too_small_is_listed_last_with_an_error_not_dropped() -> None:
    rows = rank(ghz(12), ["qpu.harmony", "qpu.aria-1", "ibm_fez"], live=False,
                optimization_level=1)
    assert [r.device for r in rows][-1] == "qpu.harmony"
    harmony = rows[-1]
    assert harmony.error == "needs 12 qubits, device has 11"
    assert figures(harmony) == (None, None, None, None, None, None)
    assert harmony.num_qubits == 11
    assert all(r.error is None for r in rows[:-1])


def test_a_transpile_failure_becomes_an_error_row_on_every_device() -> None:
    circuit = QuantumCircuit(2)
    circuit.append(Gate("mystery", 2, []), [0, 1])  # no definition: nothing to translate to
    rows = rank(circuit, ["ibm_fez", "qpu.aria-1"], live=False, optimization_level=1)
    assert sorted(r.device for r in rows) == ["ibm_fez", "qpu.aria-1"]
    for row in rows:
        assert row.error is not None
        assert row.error.startswith("transpile failed: ")
        assert "mystery" in row.error
        assert row.esp_idle is None


def test_a_calibration_without_error_figures_ranks_after_complete_ones() -> None:
    # qpu.forte-enterprise-1's bundled snapshot has no fidelities: everything scores as perfect
    rows = rank(ghz(3), ["qpu.forte-enterprise-1", "qpu.harmony"], live=False,
                optimization_level=1)
    assert [r.device for r in rows] == ["qpu.harmony", "qpu.forte-enterprise-1"]
    harmony, enterprise = rows
    assert enterprise.esp_idle == 1.0
    assert harmony.esp_idle is not None
    assert harmony.esp_idle < 1.0
    assert enterprise.unknown_errors > 0
    assert harmony.unknown_errors == 0
    assert enterprise.duration == 0.0
    assert json.dumps(enterprise.to_dict())  # no -0.0 or NaN to trip JSON readers


def test_calibrations_can_be_ranked_as_they_are() -> None:
    fez = qtargets.load_calibration("ibm_fez")
    rows = rank(ghz(3), [fez, "qpu.aria-1"], live=False, optimization_level=1)
    assert sorted(r.device for r in rows) == ["ibm_fez", "qpu.aria-1"]


def test_progress_is_reported_before_each_device_and_at_the_end() -> None:
    calls: list[tuple[int, int, str]] = []
    rank(ghz(3), ["ibm_fez", "qpu.aria-1"], live=False, optimization_level=1,
         progress=lambda done, total, device: calls.append((done, total, device)))
    assert [(done, total) for done, total, _ in calls] == [(0, 2), (1, 2), (2, 2)]
    assert {device for _, _, device in calls} == {"ibm_fez", "qpu.aria-1"}


def test_without_devices_every_bundled_and_stored_device_is_ranked(tmp_path: Path) -> None:
    lagos = next(s for s in snapshots() if s.id == "lagos")
    with CalibrationStore(tmp_path / "store.sqlite3") as store:
        store.save(qtargets.ibm.to_calibration(lagos.conf(), lagos.props()))
        rows = rank(ghz(3), live=False, store=store, optimization_level=1)
    assert sorted(r.device for r in rows) == sorted([*qtargets.bundled_backends(), "ibm_lagos"])


def test_arguments_that_cannot_work_are_rank_errors(ghz3_file: Path) -> None:
    with pytest.raises(RankError, match="method"):
        rank(ghz3_file, ["ibm_fez"], method="annealing", live=False)
    with pytest.raises(RankError, match="optimization_level"):
        rank(ghz3_file, ["ibm_fez"], optimization_level=4, live=False)
    looping = QuantumCircuit(1, 1)
    with looping.for_loop(range(2)):
        looping.x(0)
    with pytest.raises(RankError, match="control flow"):
        rank(looping, ["ibm_fez"], live=False)
    with pytest.raises(qtargets.UnknownBackendError):
        rank(ghz3_file, ["ibm_nowhere"], live=False)


# -- circuit files -------------------------------------------------------------------------


def test_qasm2_files_load_the_legacy_qelib1_gates(tmp_path: Path) -> None:
    path = tmp_path / "legacy.qasm"
    path.write_text('OPENQASM 2.0;\ninclude "qelib1.inc";\nqreg q[2];\n'
                    "u3(0.1,0.2,0.3) q[0];\ncu1(pi/4) q[0],q[1];\n")
    assert set(load_circuit(path).count_ops()) == {"u3", "cu1"}


@pytest.mark.parametrize(("text", "line", "fragment"), [
    ('OPENQASM 2.0;\ninclude "qelib1.inc";\nqreg q[2];\nh q[0];\ncx q[0] q[1];\n', 5,
     "argument list"),
    ("OPENQASM 2.0;\nqreg q[2];\nfoo q[0];\n", 3, "foo"),
])
def test_bad_qasm2_is_an_error_naming_the_file_and_line(tmp_path: Path, text: str, line: int,
                                                        fragment: str) -> None:
    path = tmp_path / "bad.qasm"
    path.write_text(text)
    with pytest.raises(CircuitFileError) as caught:
        load_circuit(path)
    error = caught.value
    assert (error.path, error.line) == (str(path), line)
    assert str(error).startswith(f"{path}, line {line}: ")
    assert fragment in str(error)
    assert pickle.loads(pickle.dumps(error)).line == line


@pytest.mark.parametrize(("text", "line", "fragment"), [
    ('OPENQASM 3.0;\ninclude "stdgates.inc";\nqubit[2] q;\nh q[0];\ncx q[0] q[1];\n', 5,
     "syntax error at 'q'"),
    ('OPENQASM 3.0;\ninclude "stdgates.inc";\nqubit[2] q;\nfoo q[0];\n', 4, "'foo'"),
    ("OPENQASM 3.0;\nqubit[2] q;\n$$ q;\n", 3, "$$"),
])
def test_bad_qasm3_is_an_error_naming_the_file_and_line(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], text: str, line: int,
        fragment: str) -> None:
    pytest.importorskip("qiskit_qasm3_import")
    path = tmp_path / "bad3.qasm"
    path.write_text(text)
    with pytest.raises(CircuitFileError) as caught:
        load_circuit(path)
    assert caught.value.line == line
    assert str(caught.value).startswith(f"{path}, line {line}: ")
    assert fragment in str(caught.value)
    assert capsys.readouterr().err == ""  # the parser's own stderr chatter is not shown


def test_files_that_are_not_openqasm_are_named_in_the_error(tmp_path: Path) -> None:
    with pytest.raises(CircuitFileError, match=r"missing\.qasm: no such circuit file"):
        load_circuit(tmp_path / "missing.qasm")
    notes = tmp_path / "notes.txt"
    notes.write_text("h q[0];\n")
    with pytest.raises(CircuitFileError, match=r"notes\.txt: not an OpenQASM file"):
        rank(notes, ["ibm_fez"], live=False)
    future = tmp_path / "future.qasm"
    future.write_text("OPENQASM 4.0;\n")
    with pytest.raises(CircuitFileError, match="OpenQASM 4 is not supported"):
        load_circuit(future)


def test_qasm3_without_its_importer_says_what_to_install(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "ghz3.qasm"
    path.write_text(ghz_qasm3(3))
    monkeypatch.setitem(sys.modules, "qiskit_qasm3_import", None)  # import now fails
    needs = r"OpenQASM 3 needs qiskit-qasm3-import: pip install 'qtargets\[qasm3\]'"
    with pytest.raises(qtargets.MissingDependencyError, match=needs):
        load_circuit(path)


# -- the command ---------------------------------------------------------------------------


def test_rank_command_prints_the_ranking_table(tmp_path: Path) -> None:
    path = tmp_path / "ghz12.qasm"
    path.write_text(ghz_qasm2(12))
    result = runner.invoke(app, ["rank", str(path), "--backends", "qpu.harmony,ibm_fez",
                                 "--backend", "qpu.aria-1", "--level", "1", "--offline"],
                           env={"COLUMNS": "100"})
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert "ghz12.qasm: 3 devices by esp_idle (qtargets layout, level 1, seed 1)" in out
    lines = out.splitlines()
    ranked = [line.split()[1] for line in lines if line.split()[:1] in (["1"], ["2"])]
    assert sorted(ranked) == ["ibm_fez", "qpu.aria-1"]
    assert "2025-02-26 20:16:25" in out  # ibm_fez's calibration, UTC
    assert "qpu.harmony: needs 12 qubits, device has 11" in out
    assert "Queue" not in out  # offline: nothing live to show
    assert max(len(line) for line in lines) <= 100
    assert result.stderr == ""


def test_rank_command_json_rows_parse_and_match_the_python_api(ghz3_file: Path) -> None:
    result = runner.invoke(app, ["rank", str(ghz3_file), "-b", "ibm_fez,qpu.aria-1",
                                 "--level", "1", "--method", "default", "--seed", "3",
                                 "--json", "--offline"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    rows = rank(ghz3_file, ["ibm_fez", "qpu.aria-1"], live=False, optimization_level=1,
                method="default", seed=3)
    assert [d["rank"] for d in data] == [1, 2]
    for got, row in zip(data, rows, strict=True):
        expected = row.to_dict()
        expected["transpile_seconds"] = got["transpile_seconds"]  # timing differs per run
        assert got == {"rank": got["rank"], **expected}


@pytest.mark.parametrize(("content", "fragments"), [
    (None, ("nowhere.qasm", "no such circuit file")),
    ("OPENQASM 2.0;\nqreg q[1];\nh q[0]\n", ("nowhere.qasm, line 3: ", "before definition")),
])
def test_rank_command_errors_are_one_red_line_and_exit_2(
        tmp_path: Path, content: str | None, fragments: tuple[str, ...]) -> None:
    path = tmp_path / "nowhere.qasm"
    if content is not None:
        path.write_text(content)
    result = runner.invoke(app, ["rank", str(path), "-b", "ibm_fez", "--offline"])
    assert result.exit_code == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: ")
    for fragment in fragments:
        assert fragment in lines[0]


# -- live ----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def server() -> Iterator[FakeVendorServer]:
    with FakeVendorServer(ibm_backends=("fez",), ionq_backends=("qpu.aria-1",),
                          ionq_history=1) as running:
        yield running


def test_live_devices_come_with_their_queue(online: FakeVendorServer) -> None:
    rows = rank(ghz(3), optimization_level=1, **FAST)  # type: ignore[arg-type]
    # both vendors configured: the devices they list as taking jobs, not the bundled snapshots
    assert sorted(r.device for r in rows) == ["ibm_fez", "qpu.aria-1"]
    queue = {r.device: r.queue for r in rows}
    assert queue == {"ibm_fez": "0 jobs", "qpu.aria-1": "20 min"}
    fez = next(r for r in rows if r.device == "ibm_fez")
    assert fez.taken_at == online.ibm["ibm_fez"].versions[0].last_update
    assert fez.error is None


def test_named_live_devices_get_their_queue_too(online: FakeVendorServer) -> None:
    rows = rank(ghz(3), ["ibm_fez"], optimization_level=1, **FAST)  # type: ignore[arg-type]
    assert [(r.device, r.queue) for r in rows] == [("ibm_fez", "0 jobs")]


def test_one_vendor_live_the_other_from_bundled_snapshots(
        online: FakeVendorServer, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("IONQ_API_KEY")
    rows = rank(ghz(3), optimization_level=1, **FAST)  # type: ignore[arg-type]
    bundled_ionq = [n for n in qtargets.bundled_backends() if n.startswith("qpu.")]
    assert sorted(r.device for r in rows) == sorted(["ibm_fez", *bundled_ionq])
    assert {r.device for r in rows if r.queue is not None} == {"ibm_fez"}


def test_when_the_device_list_is_down_the_offline_calibrations_are_ranked(
        online: FakeVendorServer) -> None:
    online.inject(r"/v1/backends$|/backends$", Fault.status(503), times=None)
    try:
        with pytest.warns(qtargets.QTargetsWarning, match="cannot list the live devices"):
            rows = rank(ghz(3), optimization_level=0, **FAST)  # type: ignore[arg-type]
    finally:
        online.clear_faults()
    assert sorted(r.device for r in rows) == sorted(qtargets.bundled_backends())
    assert all(r.queue is None for r in rows)


def test_rank_command_shows_the_queue_of_live_devices(online: FakeVendorServer,
                                                      ghz3_file: Path) -> None:
    result = runner.invoke(app, ["rank", str(ghz3_file), "--level", "1"],
                           env={"COLUMNS": "100"})
    assert result.exit_code == 0, result.output
    assert "Queue" in result.stdout
    fez = next(line for line in result.stdout.splitlines() if "ibm_fez" in line)
    assert fez.rstrip().endswith("0 jobs")
    assert max(len(line) for line in result.stdout.splitlines()) <= 100
    online.assert_no_secrets(result.output)


def test_rows_whose_esp_idle_underflows_are_still_ordered_by_its_log() -> None:
    # circuits of thousands of gates: esp_idle below the smallest float is 0.0 for every device
    worse = Ranking(device="a", vendor="ibm", num_qubits=127, esp_idle=0.0,
                    log_esp_idle=-900.0)
    better = Ranking(device="b", vendor="ibm", num_qubits=127, esp_idle=0.0,
                     log_esp_idle=-800.0)
    dead = Ranking(device="c", vendor="ibm", num_qubits=127, esp_idle=0.0,
                   log_esp_idle=-math.inf)  # a gate at error 1
    assert sorted([dead, worse, better], key=_order) == [better, worse, dead]
    assert probability(0.0, -812.3) == "e^-812"
    assert probability(0.5, math.log(0.5)) == "0.5"
