"""The live commands (list, fetch, history, diff), against the loopback server, as a user runs
them: credentials in the environment, the store where QTARGETS_STORE says."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

import qtargets
from apiserver import IONQ_NEWEST, FakeVendorServer
from qtargets.cli import app
from qtargets.store import CalibrationStore

runner = CliRunner()


@pytest.fixture(scope="module")
def server() -> Iterator[FakeVendorServer]:
    with FakeVendorServer(ibm_backends=("fez", "kyiv"), ibm_history=4,
                          ionq_history=15) as running:
        yield running


def invoke(*args: str) -> str:
    result = runner.invoke(app, list(args))
    assert result.exit_code == 0, result.output
    return result.output


def test_list_shows_live_devices_of_every_configured_vendor(online: FakeVendorServer) -> None:
    out = invoke("list")
    for name in ("ibm_fez", "ibm_kyiv", "qpu.aria-1", "qpu.forte-1"):
        assert name in out
    assert "Devices (live)" in out
    assert "Bundled calibrations" in out


def test_list_without_credentials_says_how_to_go_live() -> None:
    out = invoke("list")
    assert "Devices (live)" not in out
    assert "QISKIT_IBM_TOKEN" in out


def test_fetch_stores_then_reports_unchanged(online: FakeVendorServer) -> None:
    first = invoke("fetch", "ibm_fez", "qpu.aria-1")
    assert first.count("stored") == 2
    second = invoke("fetch", "ibm_fez", "qpu.aria-1")
    assert second.count("unchanged") == 2
    with CalibrationStore() as store:
        assert {b for _, b in store.backends()} >= {"ibm_fez", "qpu.aria-1"}


def test_history_downloads_a_range_of_ibm_calibrations(online: FakeVendorServer) -> None:
    versions = online.ibm["ibm_kyiv"].versions
    since = versions[2].last_update
    out = invoke("history", "ibm_kyiv", "--since", since.isoformat())
    assert "3 calibrations stored" in out
    with CalibrationStore() as store:
        assert [s.taken_at for s in store.history("ibm_kyiv", since)] == [
            v.last_update for v in reversed(versions[:3])]


def test_history_downloads_a_range_of_ionq_characterizations(online: FakeVendorServer) -> None:
    since = (IONQ_NEWEST - timedelta(days=11)).isoformat()
    out = invoke("history", "qpu.forte-1", "--since", since)
    assert "12 calibrations stored" in out
    with CalibrationStore() as store:
        ids = [s.calibration_id for s in store.history("qpu.forte-1")]
    assert ids == [c["id"] for c in reversed(online.ionq["qpu.forte-1"][:12])]


def test_diff_compares_a_past_calibration_with_the_newest(online: FakeVendorServer) -> None:
    older = online.ibm["ibm_fez"].versions[1].last_update
    out = invoke("diff", f"ibm_fez@{older.isoformat()}", "ibm_fez")
    assert "Calibration diff" in out
    data = json.loads(invoke("diff", f"ibm_fez@{older.isoformat()}", "ibm_fez", "--json"))
    assert data["old"]["backend_name"] == data["new"]["backend_name"] == "ibm_fez"


def test_diff_works_offline_on_bundled_names_and_files(tmp_path: Path) -> None:
    path = tmp_path / "fez.json"
    path.write_text(qtargets.load_calibration("ibm_fez").to_json())
    data = json.loads(invoke("diff", "ibm_torino", str(path), "--json"))
    assert (data["old"]["backend_name"], data["new"]["backend_name"]) == ("ibm_torino",
                                                                          "ibm_fez")
    assert "Calibration diff" in invoke("diff", "ibm_torino", "ibm_fez", "--top", "3")


def test_errors_are_one_line_and_exit_2(online: FakeVendorServer) -> None:
    result = runner.invoke(app, ["fetch", "ibm_nowhere"])
    assert result.exit_code == 2
    assert "404" in result.output
    result = runner.invoke(app, ["history", "ibm_fez", "--since", "yesterday"])
    assert result.exit_code == 2
    assert "ISO 8601" in result.output
    online.assert_no_secrets(result.output)


def test_fetch_without_credentials_is_a_clear_error() -> None:
    result = runner.invoke(app, ["fetch", "ibm_fez"])
    assert result.exit_code == 2
    assert "QISKIT_IBM_TOKEN" in result.output
    assert qtargets.bundled_backends()
