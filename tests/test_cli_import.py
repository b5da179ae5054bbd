"""``qtargets import``: calibration files (IBM CSVs, qtargets JSON) into the store, once each,
then found by history, NAME@TIME and every command; and the commands on a CSV file itself."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

import qtargets
from qtargets.cli import app

runner = CliRunner()

DATA = Path(__file__).parent / "data" / "ibm_csv"
FEZ = DATA / "ibm_fez_calibrations_2026-01-30T12_25_55Z.csv"
SHERBROOKE = DATA / "ibm_sherbrooke_calibrations_2024-09-12T05_28_56Z.csv"
PERTH = DATA / "ibm_perth_calibrations.csv"
USAGE_ERROR = 2


def one_error_line(stderr: str, *fragments: str) -> None:
    lines = stderr.strip().splitlines()
    assert len(lines) == 1, stderr
    assert lines[0].startswith("error: "), stderr
    for fragment in fragments:
        assert fragment in lines[0], lines[0]


def test_import_stores_each_file_once_with_its_bytes() -> None:
    result = runner.invoke(app, ["import", str(FEZ), str(SHERBROOKE)])
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == [
        f"{FEZ}: ibm_fez 2026-01-30T12:25:55+00:00 stored",
        f"{SHERBROOKE}: ibm_sherbrooke 2024-09-12T05:28:56+00:00 stored",
    ]
    again = runner.invoke(app, ["import", str(FEZ)])
    assert again.stdout.strip().endswith("ibm_fez 2026-01-30T12:25:55+00:00 already stored")
    with qtargets.CalibrationStore() as store:
        (snapshot,) = [s for s in store.history("ibm_fez")]
        assert store.raw(snapshot) == {f"file {FEZ.name}": FEZ.read_bytes()}
        assert store.load(snapshot) == qtargets.load_calibration(FEZ)


def test_imported_calibration_is_found_by_time_and_history() -> None:
    assert runner.invoke(app, ["import", str(FEZ)]).exit_code == 0
    shown = runner.invoke(app, ["show", "ibm_fez@2026-01-30T13:00:00", "--offline", "--json"])
    assert shown.exit_code == 0, shown.output
    summary = json.loads(shown.stdout)
    assert FEZ.name in json.dumps(summary)
    # before the download time, the bundled (older) one is in force
    older = runner.invoke(app, ["show", "ibm_fez@2026-01-30T12:00:00", "--offline", "--json"])
    assert FEZ.name not in older.stdout
    listed = runner.invoke(app, ["list", "--offline", "--json"])
    assert "2026-01-30T12:25:55" in listed.stdout
    with qtargets.CalibrationStore() as store:
        assert [s.taken_at.isoformat() for s in store.history("ibm_fez") if s.taken_at] == [
            "2026-01-30T12:25:55+00:00"]


def test_import_json_flag_reports_every_file() -> None:
    result = runner.invoke(app, ["import", str(SHERBROOKE), "--json"])
    assert result.exit_code == 0, result.output
    (row,) = json.loads(result.stdout)
    assert row["device"] == "ibm_sherbrooke"
    assert row["stored"] is True
    assert row["taken_at"] == "2024-09-12T05:28:56+00:00"


def test_import_a_qtargets_json_file(tmp_path: Path) -> None:
    saved = tmp_path / "torino.json"
    saved.write_text(qtargets.load_calibration("ibm_torino").to_json())
    result = runner.invoke(app, ["import", str(saved)])
    assert result.exit_code == 0, result.output
    assert "ibm_torino 2025-02-26T20:26:08+00:00 stored" in result.stdout


@pytest.mark.usefixtures("shown_warnings")
def test_device_option_for_a_renamed_csv(tmp_path: Path) -> None:
    renamed = tmp_path / "fez-export.csv"
    renamed.write_bytes(FEZ.read_bytes())
    missing = runner.invoke(app, ["import", str(renamed)])
    assert missing.exit_code == USAGE_ERROR
    one_error_line(missing.stderr, "fez-export.csv", "does not say which device")
    result = runner.invoke(app, ["import", str(renamed), "--device", "ibm_fez"])
    assert result.exit_code == 0, result.output
    assert "ibm_fez time unknown stored" in result.stdout
    assert "taken_at is unknown" in result.stderr


def test_a_file_naming_another_device_than_device_is_refused(tmp_path: Path) -> None:
    saved = tmp_path / "fez.json"
    saved.write_text(qtargets.load_calibration("ibm_fez").to_json())
    result = runner.invoke(app, ["import", str(saved), "--device", "ibm_torino"])
    assert result.exit_code == USAGE_ERROR
    one_error_line(result.stderr, "fez.json: a calibration of 'ibm_fez', not of 'ibm_torino'")
    assert runner.invoke(app, ["import", str(saved), "--device", "ibm_fez"]).exit_code == 0


def test_one_bad_file_stores_nothing(tmp_path: Path) -> None:
    bad = tmp_path / SHERBROOKE.name
    bad.write_text(SHERBROOKE.read_text(encoding="utf-8").replace('"true"\n', '"maybe"\n', 1),
                   encoding="utf-8")
    result = runner.invoke(app, ["import", str(FEZ), str(bad)])
    assert result.exit_code == USAGE_ERROR
    one_error_line(result.stderr, SHERBROOKE.name, "row 2 (qubit 0)", "'Operational'",
                   "'maybe'")
    with qtargets.CalibrationStore(lazy=True) as store:
        assert store.backends() == []


def test_a_broken_json_file_is_named(tmp_path: Path) -> None:
    broken = tmp_path / "broken.json"
    broken.write_text('{"vendor": "ibm", ')
    result = runner.invoke(app, ["import", str(broken)])
    assert result.exit_code == USAGE_ERROR
    one_error_line(result.stderr, str(broken), "calibration")


@pytest.mark.usefixtures("shown_warnings")
def test_a_read_only_store_imports_nothing_and_says_so(monkeypatch: pytest.MonkeyPatch) -> None:
    qtargets.CalibrationStore().close()  # an existing, empty store...
    monkeypatch.setattr("qtargets.store._may_write", lambda path: False)  # ...not writable
    result = runner.invoke(app, ["import", str(FEZ)])
    assert result.exit_code == USAGE_ERROR
    assert "read-only here: nothing was imported" in result.stderr


def test_missing_file_and_unknown_device_are_one_red_line() -> None:
    result = runner.invoke(app, ["import", "nowhere.csv"])
    assert result.exit_code == USAGE_ERROR
    one_error_line(result.stderr, "'nowhere.csv': no such file")
    unknown = runner.invoke(app, ["import", str(PERTH)])
    assert unknown.exit_code == USAGE_ERROR
    one_error_line(unknown.stderr, "no configuration of 'ibm_perth'", "qtargets fetch ibm_perth")


# -- every command on a CSV file --------------------------------------------------------------


def test_show_a_csv_file() -> None:
    result = runner.invoke(app, ["show", str(FEZ), "--offline"])
    assert result.exit_code == 0, result.output
    assert "IBM Quantum calibration CSV" in result.stdout
    assert "2026-01-30 12:25:55" in result.stdout


def test_map_a_csv_file(tmp_path: Path) -> None:
    out = tmp_path / "fez.png"
    result = runner.invoke(app, ["map", str(FEZ), "--out", str(out), "--dpi", "20"])
    assert result.exit_code == 0, result.output
    assert out.stat().st_size > 0


def test_rank_and_diff_with_csv_files(tmp_path: Path) -> None:
    circuit = tmp_path / "bell.qasm"
    circuit.write_text('OPENQASM 2.0;\ninclude "qelib1.inc";\nqreg q[2];\ncreg c[2];\n'
                       "h q[0];\ncx q[0],q[1];\nmeasure q -> c;\n")
    ranked = runner.invoke(app, ["rank", str(circuit), "-b", str(FEZ), "-b", str(SHERBROOKE),
                                 "--offline", "--json"])
    assert ranked.exit_code == 0, ranked.output
    assert {row["device"] for row in json.loads(ranked.stdout)} == {"ibm_fez",
                                                                    "ibm_sherbrooke"}
    diffed = runner.invoke(app, ["diff", "ibm_fez", str(FEZ), "--offline", "--json"])
    assert diffed.exit_code == 0, diffed.output
