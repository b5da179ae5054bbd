"""What comes from outside stays in its place: a device's name never decides where a file is
written, never drives the terminal, and a warning is one readable line."""

from __future__ import annotations

import dataclasses
import sqlite3
from pathlib import Path

import pytest
from typer.testing import CliRunner

import qtargets
from qtargets.cli import app

runner = CliRunner()


def saved_as(tmp_path: Path, **changes: str) -> Path:
    cal = dataclasses.replace(qtargets.load_calibration("ibm_fez"), **changes)
    path = tmp_path / "cal.json"
    path.write_text(cal.to_json(), encoding="utf-8")
    return path


@pytest.mark.parametrize(("name", "written"), [
    ("../../escape/owned", "escape_owned-error-map.png"),
    ("/tmp/qtargets-abs/owned", "tmp_qtargets-abs_owned-error-map.png"),
    ("..", "device-error-map.png"),
    ("ibm_fez\x1b[2J", "ibm_fez_2J-error-map.png"),
    ("chip$^{x}$", "chip_x-error-map.png"),  # mathtext in the title, had it been read as such
])
def test_the_default_map_file_is_a_plain_name_in_the_working_directory(
        name: str, written: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    work = tmp_path / "work" / "here"
    work.mkdir(parents=True)
    monkeypatch.chdir(work)
    path = saved_as(tmp_path, backend_name=name)
    result = runner.invoke(app, ["map", str(path), "--dpi", "20"])
    assert result.exit_code == 0, result.output
    assert result.output.strip() == written
    assert sorted(p.name for p in work.iterdir()) == [written]
    assert not (tmp_path / "escape").exists()
    assert not Path("/tmp/qtargets-abs").exists()


def test_names_from_data_never_reach_the_terminal_raw(tmp_path: Path) -> None:
    path = saved_as(tmp_path, backend_name="evil\x1b[2Jname", processor="[red]Pwned[/red]",
                    backend_version="1.0\r\x07")
    result = runner.invoke(app, ["show", str(path)], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    assert "\x1b" not in result.output
    assert "\x07" not in result.output
    assert "\r" not in result.output
    assert "evil\\x1b[2Jname" in result.output  # shown, escaped
    assert "[red]Pwned[/red]" in result.output  # shown as written, not as markup


def test_an_error_quoting_data_is_one_clean_line(tmp_path: Path) -> None:
    path = tmp_path / "cal.json"
    path.write_text('{"vendor": "\\u001b[31mx"}', encoding="utf-8")
    result = runner.invoke(app, ["show", str(path)])
    assert result.exit_code == 2
    assert "\x1b" not in result.output
    assert len(result.output.strip().splitlines()) == 1


@pytest.mark.usefixtures("shown_warnings")
def test_a_warning_is_one_readable_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    foreign = tmp_path / "app.sqlite3"
    with sqlite3.connect(foreign) as db:
        db.execute("CREATE TABLE users (name TEXT)")
    db.close()
    monkeypatch.setenv("QTARGETS_STORE", str(foreign))
    result = runner.invoke(app, ["show", "ibm_fez"])
    assert result.exit_code == 0, result.output
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, lines
    assert lines[0].startswith("warning: calibration store unusable")
    assert "QTargetsWarning" not in result.stderr
    assert ".py:" not in result.stderr


def test_a_circuit_including_a_foreign_file_names_the_include_not_its_content(
        tmp_path: Path) -> None:
    secret = tmp_path / "secrets.txt"
    secret.write_text("root:x:0:0:hunter2\n", encoding="utf-8")
    circuit = tmp_path / "bell.qasm"
    circuit.write_text(f'OPENQASM 2.0;\ninclude "qelib1.inc";\ninclude "{secret}";\nqreg q[2];\n',
                       encoding="utf-8")
    with pytest.raises(qtargets.CircuitFileError) as caught:
        qtargets.load_circuit(circuit)
    message = str(caught.value)
    assert "hunter2" not in message
    assert "x:0:0" not in message
    assert "line 3" in message
    assert "'secrets.txt'" in message
    result = runner.invoke(app, ["rank", str(circuit), "-b", "ibm_fez", "--offline"])
    assert result.exit_code == 2
    assert "hunter2" not in result.output
