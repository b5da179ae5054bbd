"""The ``qtargets`` command line: ``list``, ``show`` and how it reports user errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

import qtargets
from qtargets.cli import app
from qtargets.summary import summarize
from test_summary import bare_calibration, small_calibration

runner = CliRunner()

USAGE_ERROR = 2


def assert_one_line_error(stderr: str, *fragments: str) -> None:
    lines = stderr.strip().splitlines()
    assert len(lines) == 1, stderr
    assert lines[0].startswith("error: ")
    assert "Traceback" not in stderr
    for fragment in fragments:
        assert fragment in lines[0]


@pytest.fixture
def saved_calibration(tmp_path: Path) -> Path:
    path = tmp_path / "small.json"
    path.write_text(small_calibration().to_json())
    return path


# -- version and help ----------------------------------------------------------------------


def test_version_prints_the_package_version() -> None:
    result = runner.invoke(app, ["--version"])
    assert result.exit_code == 0
    assert result.stdout.strip() == f"qtargets {qtargets.__version__}"


def test_no_command_shows_help() -> None:
    result = runner.invoke(app, [])
    assert "show" in result.output
    assert "list" in result.output


# -- list ----------------------------------------------------------------------------------


def test_list_shows_every_bundled_backend() -> None:
    result = runner.invoke(app, ["list"])
    assert result.exit_code == 0, result.output
    for name in qtargets.bundled_backends():
        assert name in result.stdout
    assert "Heron r2" in result.stdout
    assert "2025-02-26 20:16:25" in result.stdout  # ibm_fez taken_at, UTC


# -- show ----------------------------------------------------------------------------------


def test_show_bundled_backend_prints_every_section() -> None:
    result = runner.invoke(app, ["show", "ibm_fez"], env={"COLUMNS": "100"})
    assert result.exit_code == 0, result.output
    out = result.stdout
    for text in ("ibm_fez", "Heron r2", "156 (156 operational)", "2025-02-26 20:16:25 UTC",
                 "Operations", "Readout error", "Faulty elements", "Best 5 qubits",
                 "Best 5 edges", "84 ns", "1.56 µs"):
        assert text in out
    assert result.stderr == ""


def test_show_fits_a_100_column_terminal() -> None:
    result = runner.invoke(app, ["show", "ibm_fez"], env={"COLUMNS": "100"})
    assert max(len(line) for line in result.stdout.splitlines()) <= 100
    assert "…" not in result.stdout  # no number was truncated to fit


def test_show_lists_uncalibrated_pairs_once_each() -> None:
    result = runner.invoke(app, ["show", "ibm_fez"], env={"COLUMNS": "100"})
    assert "cz on 27-28, 31-32, 32-33, 68-69, 80-81, 106-107, 139-155" in result.stdout


def test_show_json_is_machine_readable() -> None:
    result = runner.invoke(app, ["show", "ibm_fez", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["num_qubits"] == 156
    assert data["backend_name"] == "ibm_fez"
    assert "cz" in [i["name"] for i in data["instructions"]]
    assert "\x1b[" not in result.stdout


def test_show_json_matches_the_summary() -> None:
    result = runner.invoke(app, ["show", "ibm_fez", "--json", "--top", "2"])
    expected = summarize(qtargets.load_calibration("ibm_fez"), top=2).to_dict()
    assert json.loads(result.stdout) == expected
    assert len(expected["best_qubits"]) == 2


def test_show_reads_a_saved_calibration_file(saved_calibration: Path) -> None:
    result = runner.invoke(app, ["show", str(saved_calibration), "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == summarize(small_calibration()).to_dict()


def test_show_reads_a_saved_file_without_json_suffix(tmp_path: Path) -> None:
    path = tmp_path / "calibration.txt"
    path.write_text(small_calibration().to_json())
    result = runner.invoke(app, ["show", str(path), "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["backend_name"] == "acme_small"


def test_show_marks_faulty_and_uncalibrated_elements(saved_calibration: Path) -> None:
    result = runner.invoke(app, ["show", str(saved_calibration)], env={"COLUMNS": "100"})
    assert result.exit_code == 0, result.output
    assert "4 (3 operational, 1 faulty)" in result.stdout
    assert "cz on 2-1" in result.stdout  # the non-operational gate
    assert "cz on 1-2" in result.stdout  # the uncalibrated one
    assert "5 (-2)" in result.stdout  # cz: 5 qargs, 2 excluded


def test_show_calibration_without_numbers_says_n_a(tmp_path: Path) -> None:
    path = tmp_path / "bare.json"
    path.write_text(bare_calibration().to_json())
    result = runner.invoke(app, ["show", str(path)], env={"COLUMNS": "100"})
    assert result.exit_code == 0, result.output
    assert "n/a" in result.stdout
    assert "none ranked" in result.stdout


def test_negative_top_is_a_usage_error() -> None:
    result = runner.invoke(app, ["show", "ibm_fez", "--top", "-1"])
    assert result.exit_code == USAGE_ERROR


# -- user errors ---------------------------------------------------------------------------


def test_unknown_backend_exits_2_with_one_red_line() -> None:
    result = runner.invoke(app, ["show", "ibm_nowhere"])
    assert result.exit_code == USAGE_ERROR
    assert result.stdout == ""
    assert_one_line_error(result.stderr, "'ibm_nowhere'", "ibm_fez")


def test_missing_file_exits_2_naming_the_file(tmp_path: Path) -> None:
    path = tmp_path / "absent.json"
    result = runner.invoke(app, ["show", str(path)])
    assert result.exit_code == USAGE_ERROR
    assert_one_line_error(result.stderr, "not found", str(path))


def test_malformed_json_file_exits_2_naming_the_file(tmp_path: Path) -> None:
    path = tmp_path / "broken.json"
    path.write_text('{"vendor": "ibm", ')
    result = runner.invoke(app, ["show", str(path)])
    assert result.exit_code == USAGE_ERROR
    assert result.stdout == ""
    assert_one_line_error(result.stderr, str(path), "invalid JSON")


def test_json_that_is_not_a_calibration_exits_2_naming_the_field(tmp_path: Path) -> None:
    path = tmp_path / "other.json"
    path.write_text('{"vendor": "ibm"}')
    result = runner.invoke(app, ["show", str(path)])
    assert result.exit_code == USAGE_ERROR
    assert_one_line_error(result.stderr, str(path), "calibration.backend_name",
                          "required field is missing")


def test_error_stays_on_one_line_in_a_narrow_terminal() -> None:
    result = runner.invoke(app, ["show", "ibm_nowhere"], env={"COLUMNS": "40"})
    assert_one_line_error(result.stderr, "bundled")
