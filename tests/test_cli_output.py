"""What the commands print, and when they refuse: tables that never hide or distort a number,
at any width and through a pipe; ``--json`` and ``--csv`` with every row; a bad option value
as one red line naming the option, before any work; the exit codes; the device forms every
command takes; stored calibrations listed and exported.

A terminal is simulated with ``TTY_COMPATIBLE=1`` (rich's switch for "this is a terminal");
without it, CliRunner's output is a pipe.
"""

from __future__ import annotations

import csv
import dataclasses
import io
import json
import re
import time
from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest
import typer
from typer.testing import CliRunner

import qtargets
from apiserver import FakeVendorServer
from qtargets.cli import app
from qtargets.model import (
    Calibration,
    GateCalibration,
    InstructionCalibration,
    Provenance,
    QubitCalibration,
)
from qtargets.store import CalibrationStore
from test_summary import small_calibration

runner = CliRunner()

USAGE_ERROR = 2
NOTHING_SCORED = 1
ROOT = Path(__file__).resolve().parent.parent
ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")
NS, US = 1e-9, 1e-6


def terminal(width: int) -> dict[str, str | None]:
    """The environment of a terminal ``width`` columns wide (no colours, to read it)."""
    return {"COLUMNS": str(width), "TTY_COMPATIBLE": "1", "NO_COLOR": "1", "FORCE_COLOR": None}


PIPE: dict[str, str | None] = {"COLUMNS": None, "TTY_COMPATIBLE": None, "FORCE_COLOR": None}
"""A pipe, as a shell gives it: no COLUMNS exported."""


def run(*args: str, env: dict[str, str | None] | None = None, code: int = 0) -> str:
    result = runner.invoke(app, list(args), env=env if env is not None else PIPE)
    assert result.exit_code == code, result.output
    return ANSI.sub("", result.stdout)


def pair(name: str, cz_error: float) -> Calibration:
    """Two qubits joined by cz with the error given: 530 cz on it score ``(1 - e)^530``."""
    qubits = tuple(QubitCalibration(t1=100 * US, t2=80 * US, readout_error=0.01)
                   for _ in range(2))

    def on_each(error: float, duration: float) -> tuple[GateCalibration, ...]:
        return tuple(GateCalibration((q,), error, duration) for q in range(2))

    instructions = (
        InstructionCalibration("cz", "gate", 2, qargs=(
            GateCalibration((0, 1), cz_error, 60 * NS),
            GateCalibration((1, 0), cz_error, 60 * NS))),
        InstructionCalibration("sx", "gate", 1, qargs=on_each(1e-4, 20 * NS)),
        InstructionCalibration("x", "gate", 1, qargs=on_each(1e-4, 20 * NS)),
        InstructionCalibration("rz", "gate", 1, parameters=("theta",),
                               qargs=on_each(0.0, 0.0)),
        InstructionCalibration("measure", "measure", 1, num_clbits=1,
                               qargs=on_each(0.01, 1 * US)),
    )
    return Calibration(vendor="acme", backend_name=name, num_qubits=2, qubits=qubits,
                       instructions=instructions, provenance=Provenance("tests"),
                       taken_at=datetime(2025, 1, 2, tzinfo=timezone.utc))


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """A long circuit, a noisy device with a long name (its esp_idle is 2.85e-160), a device
    whose only gate is uncalibrated (esp 0: its log is -inf), a 3-qubit GHZ."""
    folder = tmp_path_factory.mktemp("cli-output")
    found = {
        "long": folder / "cz530.qasm",
        "noisy": folder / "noisy.json",
        "dead": folder / "dead.json",
        "ghz": folder / "ghz3.qasm",
        "wide": folder / "ghz12.qasm",
    }
    header = 'OPENQASM 2.0;\ninclude "qelib1.inc";\n'
    found["long"].write_text(header + "qreg q[2];\n" + "cz q[0],q[1];\n" * 530)
    found["noisy"].write_text(pair("a_noisy_pair_of_qubits_with_a_long_name", 0.5).to_json())
    found["dead"].write_text(pair("a_pair_whose_only_gate_is_uncalibrated", 1.0).to_json())
    found["ghz"].write_text(header + "qreg q[3];\ncreg c[3];\nh q[0];\ncx q[0],q[1];\n"
                            "cx q[1],q[2];\nmeasure q -> c;\n")
    found["wide"].write_text(header + "qreg q[12];\nh q[0];\n"
                             + "".join(f"cx q[{i}],q[{i + 1}];\n" for i in range(11)))
    return found


@pytest.fixture
def stored(tmp_path: Path) -> Iterator[CalibrationStore]:
    """The test's own default store (QTARGETS_STORE) holding two ibm_fez calibrations (taken
    2025-03-30 and 2025-04-02) and one of a device nothing else knows, acme_lab_chip."""
    fez = qtargets.load_calibration("ibm_fez")
    with CalibrationStore() as store:
        for taken_at in (datetime(2025, 3, 30, tzinfo=timezone.utc),
                         datetime(2025, 4, 2, tzinfo=timezone.utc)):
            store.save(dataclasses.replace(fez, taken_at=taken_at))
        store.save(dataclasses.replace(small_calibration(), backend_name="acme_lab_chip"))
        yield store


# -- tables: no number is ever cut ---------------------------------------------------------------


def lines_of(out: str) -> list[str]:
    return [line.rstrip() for line in out.splitlines()]


def test_numbers_are_never_truncated_at_80_columns_in_rank(files: dict[str, Path]) -> None:
    out = run("rank", str(files["long"]), "-b", f"{files['noisy']},ibm_fez", "--level", "0",
              "--offline", env=terminal(80))
    assert "…" not in out
    assert "2.85e-160" in out  # not 2.85e-1… (which reads as 0.285)
    ranked = [line for line in lines_of(out) if line[:2] in ("1 ", "2 ")]
    assert [line.split()[1] for line in ranked] == [
        "ibm_fez", "a_noisy_pair_of_qubits_with_a_long_name"]  # the # column is filled
    assert max(len(line) for line in lines_of(out)) <= 80


@pytest.mark.parametrize(("args", "width", "figures"), [
    (("show", "ibm_fez"), 80, ("3.82e-3", "2.14e-3", "2.49e-3", "1.06e-1", "1.56 µs", "84 ns",
                               "144.9 µs")),
    (("show", "ibm_fez"), 60, ("3.82e-3", "7.57e-3", "190.9 µs", "22-23")),
    (("diff", "ibm_fez", "ibm_torino", "--top", "3"), 80, (
        "different device", "2025-02-26 20:16:25 UTC", "2025-02-26 20:26:08 UTC", "+203%",
        "7.57e-3", "2.29e-2", "x384")),
    (("list", "--offline"), 60, ("2025-02-26 20:16:25", "qpu.forte-enterprise-1", "156")),
], ids=["show-80", "show-60", "diff-80", "list-60"])
def test_numbers_are_never_truncated_in_a_narrow_terminal(
        args: tuple[str, ...], width: int, figures: tuple[str, ...]) -> None:
    out = run(*args, env=terminal(width))
    assert "…" not in out
    for figure in figures:
        assert figure in out, figure
    assert max(len(line) for line in lines_of(out)) <= width


def test_a_narrow_terminal_hides_less_important_columns_and_says_which(
        files: dict[str, Path]) -> None:
    out = run("rank", str(files["wide"]), "-b", "ibm_fez,qpu.forte-enterprise-1", "--level",
              "0", "--offline", env=terminal(60))
    header = next(line for line in lines_of(out) if line.startswith("#"))
    assert "Device" in header
    assert "Depth" not in header
    assert "(not shown at this width: " in out
    assert "Depth" in out.split("(not shown at this width: ")[1]
    assert "…" not in out


def test_show_no_longer_drops_a_column_silently() -> None:
    wide = run("show", "ibm_fez", env=terminal(200))
    narrow = run("show", "ibm_fez", env=terminal(80))
    assert "Kind" in wide
    assert "control_flow" in wide
    assert "(not shown at this width: " in narrow
    assert "Kind" in narrow.split("(not shown at this width: ")[1]


def test_piped_output_is_plain_and_complete(files: dict[str, Path]) -> None:
    out = run("rank", str(files["long"]), "-b", f"{files['noisy']},qpu.forte-enterprise-1",
              "--level", "0", "--offline", env=PIPE)
    assert "\x1b" not in out
    assert "…" not in out
    header = " ".join(lines_of(out)[2:4])
    for column in ("#", "Device", "Qubits", "idle", "ESP", "Duration", "gates", "Depth",
                   "Calibration (UTC)"):
        assert column in header
    assert "2.85e-160" in out
    # each note is one line, however long
    note = next(line for line in lines_of(out) if line.startswith("* qpu.forte-enterprise-1"))
    assert note.endswith("operations without an error figure, counted as perfect")


@pytest.mark.parametrize(("args", "complete"), [
    (("show", "ibm_fez"), ("control_flow", "No", "cz on 27-28, 31-32, 32-33, 68-69, 80-81, "
                                               "106-107, 139-155",
                           "qiskit-ibm-runtime 0.51.0 snapshot "
                           "fake_provider/backends/fez/conf_fez.json + props_fez.json")),
    (("diff", "ibm_fez", "ibm_torino"), ("Median readout error", "different device")),
    (("list", "--offline"), ("Forte Enterprise", "IBM Quantum: set QISKIT_IBM_TOKEN (or "
                                                 "IBM_CLOUD_API_KEY) and QISKIT_IBM_INSTANCE")),
], ids=["show", "diff", "list"])
def test_piped_tables_are_never_cut_or_wrapped(args: tuple[str, ...],
                                               complete: tuple[str, ...]) -> None:
    out = run(*args, env=PIPE)
    assert "…" not in out
    assert "\x1b" not in out
    for text in complete:
        assert text in out, text


def test_columns_set_for_a_pipe_are_honoured_without_cutting_anything() -> None:
    out = run("diff", "ibm_fez", "ibm_torino", env={**PIPE, "COLUMNS": "70"})
    assert max(len(line) for line in lines_of(out)) <= 70
    assert "…" not in out
    assert "different device" in out


# -- --json and --csv ----------------------------------------------------------------------------


def csv_rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


def test_rank_json_and_csv_hold_the_same_rows(files: dict[str, Path]) -> None:
    args = ("rank", str(files["ghz"]), "-b", "ibm_fez,qpu.aria-1,qpu.harmony", "--level", "0",
            "--offline")
    data = json.loads(run(*args, "--json"))
    rows = csv_rows(run(*args, "--csv"))
    assert [r["device"] for r in rows] == [d["device"] for d in data]
    assert list(rows[0]) == list(data[0])
    assert [r["rank"] for r in rows] == [str(d["rank"]) if d["rank"] else "" for d in data]
    for row, item in zip(rows, data, strict=True):
        assert row["esp_idle"] == ("" if item["esp_idle"] is None else repr(item["esp_idle"]))


def test_json_has_null_for_the_log_of_a_zero_probability(files: dict[str, Path]) -> None:
    data = json.loads(run("rank", str(files["long"]), "-b", str(files["dead"]), "--level",
                          "0", "--offline", "--json"))
    (row,) = data
    assert row["esp_idle"] == 0.0
    assert row["log_esp_idle"] is None  # -inf, which JSON cannot hold


def test_list_json_and_csv_list_every_device_with_its_source(stored: CalibrationStore) -> None:
    data = json.loads(run("list", "--offline", "--json"))
    rows = csv_rows(run("list", "--offline", "--csv"))
    assert [(d["name"], d["source"]) for d in data] == [(r["name"], r["source"]) for r in rows]
    sources = {(d["name"], d["source"]) for d in data}
    assert {(n, "bundled") for n in qtargets.bundled_backends()} <= sources
    assert {("ibm_fez", "stored"), ("acme_lab_chip", "stored")} <= sources
    fez = next(d for d in data if d["source"] == "stored" and d["name"] == "ibm_fez")
    assert fez["stored"] == 2
    assert fez["taken_at"] == "2025-04-02T00:00:00+00:00"


def test_show_csv_holds_every_value_of_the_json() -> None:
    data = json.loads(run("show", "ibm_fez", "--json"))
    rows = csv_rows(run("show", "ibm_fez", "--csv"))
    values = {r["field"]: r["value"] for r in rows}
    assert values["num_qubits"] == "156"
    assert values["instructions.0.name"] == data["instructions"][0]["name"]
    assert values["instructions.0.error.median"] == repr(
        data["instructions"][0]["error"]["median"])
    assert len(rows) > 100


def test_diff_csv_holds_every_change_not_only_the_top() -> None:
    data = json.loads(run("diff", "ibm_fez", "ibm_torino", "--json"))
    rows = csv_rows(run("diff", "ibm_fez", "ibm_torino", "--csv", "--top", "3"))
    assert len(rows) == len(data["changes"]) > 1000
    assert rows[0]["direction"] == data["changes"][0]["direction"]
    assert rows[0]["qubits"] == "-".join(map(str, data["changes"][0]["qubits"]))


# -- bad option values: one red line, exit 2, before any work ------------------------------------


BAD_VALUES = [
    (("diff", "ibm_fez", "ibm_torino", "--tol", "inf"), "--tol"),
    (("diff", "ibm_fez", "ibm_torino", "--tol", "nan"), "--tol"),
    (("diff", "ibm_fez", "ibm_torino", "--tol", "-0.1"), "--tol"),
    (("rank", "{ghz}", "-b", "ibm_fez", "--seed", "-1"), "--seed"),
    (("rank", "{ghz}", "-b", "ibm_fez", "--seed", str(2**64)), "--seed"),
    (("map", "ibm_fez", "--dpi", "100000"), "--dpi"),
    (("map", "ibm_fez", "--dpi", "inf"), "--dpi"),
    (("map", "ibm_fez", "--dpi", "nan"), "--dpi"),
    (("map", "ibm_fez", "--dpi", "5"), "--dpi"),
    (("map", "ibm_fez", "--out", "{tmp}/map.bmp"), "--out"),
    (("map", "ibm_fez", "--out", "{tmp}/map"), "--out"),
    (("map", "ibm_fez", "--out", "{tmp}"), "--out"),
    (("sweep", "{circuits}", "-b", "ibm_fez", "--out", "{tmp}/runs.csv", "--plot",
      "{tmp}/x.bmp"), "--plot"),
    (("sweep", "{circuits}", "-b", "ibm_fez", "--seeds", "1,-2"), "--seeds"),
    (("sweep", "{circuits}", "-b", "ibm_fez", "--seeds", "1,x"), "--seeds"),
    (("sweep", "{circuits}", "-b", "ibm_fez", "--methods", "default,annealing"), "--methods"),
    (("sweep", "{circuits}", "-b", "ibm_fez", "--workers", "0"), "--workers"),
    (("sweep", "{circuits}", "-b", "ibm_fez", "--workers", "1000000"), "--workers"),
    (("sweep", "{circuits}", "-b", "ibm_fez", "--out", "{tmp}"), "--out"),
    (("show", "ibm_fez", "--timeout", "inf"), "--timeout"),
    (("show", "ibm_fez", "--timeout", "nan"), "--timeout"),
    (("show", "ibm_fez", "--timeout", "1e300"), "--timeout"),
    (("list", "--timeout", "0"), "--timeout"),
    (("show", "ibm_fez", "--top", "-1"), "--top"),
    (("history", "ibm_fez", "--since", "yesterday"), "--since"),
    (("history", "ibm_fez", "--since", "2025-01-01", "--until", "soon"), "--until"),
    (("export", "ibm_fez", "--out", "{tmp}"), "--out"),
    (("list", "--json", "--csv"), "--csv"),
    (("rank", "{ghz}", "--json", "--csv"), "--csv"),
    (("rank", "{ghz}", "--method", "annealing"), "--method"),
    (("rank", "{ghz}", "--level", "4"), "--level"),
    (("show",), "DEVICE"),
]


@pytest.mark.parametrize(("args", "option"), BAD_VALUES,
                         ids=[" ".join(args) for args, _ in BAD_VALUES])
def test_bad_option_values_are_one_red_line(args: tuple[str, ...], option: str,
                                            files: dict[str, Path], tmp_path: Path) -> None:
    circuits = tmp_path / "circuits"
    circuits.mkdir()
    (circuits / "ghz3.qasm").write_text(files["ghz"].read_text())
    given = [a.format(ghz=files["ghz"], tmp=tmp_path, circuits=circuits) for a in args]
    started = time.monotonic()
    result = runner.invoke(app, given, env=terminal(80))
    assert result.exit_code == USAGE_ERROR, result.output
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert ANSI.sub("", lines[0]).startswith("error: ")
    assert option in lines[0]
    assert "Traceback" not in result.stderr
    assert time.monotonic() - started < 10  # refused before any work
    assert not (tmp_path / "runs.csv").exists()
    assert [p.name for p in tmp_path.iterdir()] == ["circuits"]


def test_the_plot_format_is_checked_before_the_sweep_runs(files: dict[str, Path],
                                                          tmp_path: Path) -> None:
    (tmp_path / "ghz3.qasm").write_text(files["ghz"].read_text())
    started = time.monotonic()
    result = runner.invoke(app, ["sweep", str(tmp_path), "-b", "ibm_fez", "--methods",
                                 "default", "--level", "0", "--workers", "1", "--out",
                                 str(tmp_path / "runs.csv"), "--plot",
                                 str(tmp_path / "runs.bmp")])
    assert result.exit_code == USAGE_ERROR
    assert "'bmp' is not supported" in result.stderr
    assert not (tmp_path / "runs.csv").exists()  # nothing ran
    assert time.monotonic() - started < 5


# -- exit codes ----------------------------------------------------------------------------------


def test_rank_exits_1_when_no_device_could_be_scored(files: dict[str, Path]) -> None:
    result = runner.invoke(app, ["rank", str(files["wide"]), "-b", "qpu.harmony", "--offline"],
                           env=PIPE)
    assert result.exit_code == NOTHING_SCORED
    assert "qpu.harmony: needs 12 qubits, device has 11" in result.stdout  # the table, still
    assert result.stderr.startswith("error: no device could be scored")
    as_json = runner.invoke(app, ["rank", str(files["wide"]), "-b", "qpu.harmony",
                                  "--offline", "--json"], env=PIPE)
    assert as_json.exit_code == NOTHING_SCORED
    assert json.loads(as_json.stdout)[0]["error"] == "needs 12 qubits, device has 11"


def test_rank_exits_0_when_some_device_was_scored(files: dict[str, Path]) -> None:
    run("rank", str(files["wide"]), "-b", "qpu.harmony,ibm_fez", "--level", "0", "--offline")


# -- device forms: show and rank -b take what map and diff take ------------------------------------


@pytest.mark.parametrize("form", ["name@time of a stored calibration", "file",
                                  "file with a comma in its path", "stored name"])
def test_show_and_rank_take_every_device_form(form: str, stored: CalibrationStore,
                                              files: dict[str, Path], tmp_path: Path) -> None:
    folder = tmp_path / "lab, 2025"
    folder.mkdir()
    with_comma = folder / "torino.json"
    with_comma.write_text(qtargets.load_calibration("ibm_torino").to_json())
    plain = tmp_path / "chip.json"
    plain.write_text(small_calibration().to_json())
    spec, backend = {
        "name@time of a stored calibration": ("ibm_fez@2025-04-01", "ibm_fez"),
        "file": (str(plain), "acme_small"),
        "file with a comma in its path": (str(with_comma), "ibm_torino"),
        "stored name": ("acme_lab_chip", "acme_lab_chip"),
    }[form]
    shown = json.loads(run("show", spec, "--offline", "--json"))
    assert shown["backend_name"] == backend
    if form.startswith("name@time"):
        assert shown["taken_at"] == "2025-03-30T00:00:00+00:00"  # the stored one then
    ranked = json.loads(run("rank", str(files["ghz"]), "-b", spec, "--level", "0",
                            "--offline", "--json"))
    assert [r["device"] for r in ranked] == [backend]
    drawn = tmp_path / "map.png"
    assert run("map", spec, "--offline", "--out", str(drawn), "--dpi", "10").strip() == str(
        drawn)


# -- the store: listed, exported, never created by reading ---------------------------------------


def test_list_offline_includes_stored_calibrations(stored: CalibrationStore) -> None:
    out = run("list", "--offline", env=terminal(120))
    assert "Stored calibrations" in out
    chip = next(line for line in lines_of(out) if line.startswith("acme_lab_chip"))
    assert "Toy r1" in chip
    fez = next(line for line in lines_of(out.split("Stored calibrations")[1])
               if line.startswith("ibm_fez"))
    assert "2025-04-02 00:00:00" in fez
    assert " 2 " in fez  # two stored
    assert "Bundled calibrations" in out


def test_listing_never_creates_the_store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch
                                         ) -> None:
    store = tmp_path / "nowhere" / "store.sqlite3"
    monkeypatch.setenv("QTARGETS_STORE", str(store))
    out = run("list", "--offline")
    assert "Stored calibrations" not in out
    assert not store.exists()
    assert not store.parent.exists()


def test_a_stored_calibration_exports_as_json(stored: CalibrationStore, tmp_path: Path) -> None:
    text = run("export", "ibm_fez@2025-04-01", "--offline")
    exported = Calibration.from_json(text)
    assert exported.taken_at == datetime(2025, 3, 30, tzinfo=timezone.utc)
    path = tmp_path / "out" / "fez.json"
    assert run("export", "ibm_fez@2025-04-01", "--offline", "--out", str(path)).strip() == str(
        path)
    assert qtargets.load_calibration(path) == exported
    again = json.loads(run("show", str(path), "--json"))
    assert again["taken_at"] == "2025-03-30T00:00:00+00:00"


# -- live: history's progress, fetch and history as JSON and CSV ---------------------------------


@pytest.fixture(scope="module")
def server() -> Iterator[FakeVendorServer]:
    with FakeVendorServer(ibm_backends=("fez", "kyiv"), ibm_history=4,
                          ionq_history=3) as running:
        yield running


def test_history_progress_goes_to_stderr(online: FakeVendorServer) -> None:
    since = online.ibm["ibm_kyiv"].versions[-1].last_update.isoformat()
    result = runner.invoke(app, ["history", "ibm_kyiv", "--since", since], env=terminal(120))
    assert result.exit_code == 0, result.output
    assert "downloading ibm_kyiv" not in result.stdout
    assert "downloading ibm_kyiv" in result.stderr
    assert "calibrations stored in the range" in result.stdout


def test_history_shows_no_progress_when_not_on_a_terminal(online: FakeVendorServer) -> None:
    since = online.ibm["ibm_kyiv"].versions[-1].last_update.isoformat()
    result = runner.invoke(app, ["history", "ibm_kyiv", "--since", since], env=PIPE)
    assert result.exit_code == 0, result.output
    assert result.stderr == ""
    assert result.stdout.startswith("ibm_kyiv: 4 calibrations stored in the range")


def test_history_and_fetch_as_json_and_csv(online: FakeVendorServer) -> None:
    since = online.ibm["ibm_kyiv"].versions[-1].last_update.isoformat()
    data = json.loads(run("history", "ibm_kyiv", "--since", since, "--json"))
    rows = csv_rows(run("history", "ibm_kyiv", "--since", since, "--csv"))
    assert len(data) == len(rows) == 4
    assert [r["snapshot"] for r in rows] == [str(d["snapshot"]) for d in data]
    assert {d["backend"] for d in data} == {"ibm_kyiv"}
    fetched = json.loads(run("fetch", "ibm_fez", "qpu.aria-1", "--json"))
    assert [f["name"] for f in fetched] == ["ibm_fez", "qpu.aria-1"]
    again = csv_rows(run("fetch", "ibm_fez", "--csv"))
    assert again[0]["status"] == "unchanged"
    online.assert_no_secrets(json.dumps(fetched))


# -- the documentation names every option --------------------------------------------------------


def test_docs_name_every_command_and_option() -> None:
    docs = (ROOT / "docs" / "cli.md").read_text(encoding="utf-8")
    group: Any = typer.main.get_command(app)
    for name, command in group.commands.items():
        assert f"qtargets {name}" in docs, name
        for param in command.params:
            for opt in param.opts:
                if opt.startswith("-") and opt != "--help":
                    assert f"`{opt}" in docs or f"{opt} " in docs or f"[{opt}" in docs, (
                        name, opt)
    for code in ("exit code 2", "exit code 1", "exit code 0"):
        assert code in docs.lower()
