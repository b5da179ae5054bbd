"""A vendor costs one subpackage: Acme Quantum (tests/acme.py: its models, loopback API,
conversion and source, nothing of it in qtargets) is registered, and every command and the
one-call API serve its devices: live against its server, then offline from the store."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

import acme
import qtargets
from acme import KEY_ENV, NEWEST, URL_ENV, AcmeServer
from qtargets import CalibrationStore, vendors
from qtargets.cli import app

ROOT = Path(__file__).resolve().parents[1]
runner = CliRunner()


@pytest.fixture(scope="module")
def server() -> Iterator[AcmeServer]:
    with AcmeServer(history=3) as running:
        yield running


@pytest.fixture
def acme_vendor() -> Iterator[acme.AcmeVendor]:
    with acme.registered() as registered:
        yield registered


@pytest.fixture
def online(server: AcmeServer, acme_vendor: acme.AcmeVendor,
           monkeypatch: pytest.MonkeyPatch) -> AcmeServer:
    monkeypatch.setenv(KEY_ENV, server.key)
    monkeypatch.setenv(URL_ENV, server.url)
    return server


@pytest.fixture
def store() -> Iterator[CalibrationStore]:
    with CalibrationStore() as opened:  # the default one, QTARGETS_STORE: the test's own
        yield opened


def invoke(*args: str) -> str:
    result = runner.invoke(app, list(args), env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    return result.output


def circuit_file(tmp_path: Path) -> Path:
    path = tmp_path / "bell.qasm"
    path.write_text('OPENQASM 2.0;\ninclude "qelib1.inc";\nqreg q[2];\nh q[0];\n'
                    "cx q[0],q[1];\n")
    return path


def test_qtargets_names_no_such_vendor() -> None:
    # the proof that no non-vendor module was changed for it: qtargets has never heard of it
    for path in (ROOT / "src").rglob("*.py"):
        assert "acme" not in path.read_text(encoding="utf-8").lower(), path


def test_registered_it_serves_its_names(acme_vendor: acme.AcmeVendor) -> None:
    assert vendors.vendor_of("acme_duo") is acme_vendor
    assert acme_vendor in vendors.vendors()
    with pytest.raises(qtargets.UnknownBackendError, match="Acme Quantum names start with"):
        qtargets.calibration("nobody_knows")


# -- live, through the one-call API -------------------------------------------------------------


def test_target_calibrations_and_backend_are_live(online: AcmeServer,
                                                  store: CalibrationStore) -> None:
    target = qtargets.target("acme_duo")
    assert target.num_qubits == 2
    assert {"sx", "x", "rz", "cz", "measure"} <= set(target.operation_names)
    found = qtargets.calibrations(["acme_quad", "ibm_fez"])  # ibm: offline, not configured
    assert found["acme_quad"].taken_at == NEWEST
    assert found["acme_quad"].vendor == "acme"
    assert found["ibm_fez"] == qtargets.load_calibration("ibm_fez")
    older = qtargets.backend(f"acme_duo@{(NEWEST - timedelta(hours=1)).isoformat()}")
    assert older.calibration is not None
    assert older.calibration.taken_at == NEWEST - timedelta(days=1)
    assert store.latest("acme_duo") is not None  # every live fetch is stored


def test_unchanged_it_costs_one_request_and_a_store_read(online: AcmeServer,
                                                         store: CalibrationStore) -> None:
    first = qtargets.calibration("acme_quad")
    before = len(online.requests)
    assert qtargets.calibration("acme_quad") == first
    assert len(online.requests) - before == 1


# -- live, through every command -----------------------------------------------------------------


def test_list_shows_its_live_devices(online: AcmeServer) -> None:
    out = invoke("list")
    assert "Devices (live)" in out
    assert "acme_duo" in out
    assert "acme_quad" in out


def test_fetch_history_show_diff_map_and_rank(online: AcmeServer, tmp_path: Path,
                                              store: CalibrationStore) -> None:
    assert "stored" in invoke("fetch", "acme_duo")
    assert "unchanged" in invoke("fetch", "acme_duo")
    since = (NEWEST - timedelta(days=5)).date().isoformat()
    assert "3 calibrations stored in the range" in invoke("history", "acme_duo", "--since",
                                                          since)
    shown = invoke("show", "acme_duo")
    assert "Acme Ring" in shown
    assert "cz" in shown
    yesterday = (NEWEST - timedelta(days=1)).isoformat()
    diff = invoke("diff", f"acme_duo@{yesterday}", "acme_duo")
    assert "Calibration diff" in diff
    assert "Better" in diff  # Acme's numbers improve day by day
    image = tmp_path / "acme.png"
    assert invoke("map", "acme_quad", "--out", str(image), "--dpi", "20").strip() == str(image)
    ranked = invoke("rank", str(circuit_file(tmp_path)), "-b", "acme_duo,ibm_fez",
                    "--level", "0")
    assert "acme_duo" in ranked
    assert "3 jobs" in ranked  # the live queue, from its listing


def test_rank_of_every_device_includes_its_live_ones(online: AcmeServer,
                                                     tmp_path: Path) -> None:
    rows = qtargets.rank(circuit_file(tmp_path), optimization_level=0)
    devices = {row.device: row for row in rows}
    assert {"acme_duo", "acme_quad", "ibm_fez", "qpu.aria-1"} <= set(devices)
    assert devices["acme_duo"].vendor == "acme"
    assert devices["acme_duo"].queue == "3 jobs"


# -- offline, from the store ---------------------------------------------------------------------


def test_offline_its_stored_calibrations_serve_everything(
        online: AcmeServer, tmp_path: Path, store: CalibrationStore,
        monkeypatch: pytest.MonkeyPatch) -> None:
    live = qtargets.calibration("acme_duo")
    monkeypatch.delenv(KEY_ENV)  # no credentials: not configured, so offline by default
    before = len(online.requests)
    assert qtargets.calibration("acme_duo") == live
    assert qtargets.target("acme_duo", live=False).num_qubits == 2
    assert qtargets.backend("acme_duo").calibration == live
    assert "Acme Ring" in invoke("show", "acme_duo", "--offline")
    image = tmp_path / "offline.png"
    invoke("map", "acme_duo", "--offline", "--out", str(image), "--dpi", "20")
    assert "Calibration diff" in invoke("diff", "acme_duo", "ibm_fez", "--offline")
    assert "acme_duo" in invoke("rank", str(circuit_file(tmp_path)), "--offline",
                                "--level", "0")
    listed = invoke("list")
    assert "acme" not in listed.split("Stored calibrations")[0]  # nothing live
    assert "acme_duo" in listed.split("Stored calibrations")[1]
    assert len(online.requests) == before  # not one request


def test_without_it_registered_its_stored_calibrations_still_resolve(
        online: AcmeServer, store: CalibrationStore, acme_vendor: acme.AcmeVendor) -> None:
    live = qtargets.calibration("acme_quad")
    vendors.unregister("acme")
    try:
        assert qtargets.calibration("acme_quad") == live  # a stored name, served by no vendor
    finally:
        vendors.register(acme_vendor)


def test_its_own_file_format_is_a_calibration_file_everywhere(acme_vendor: acme.AcmeVendor,
                                                             tmp_path: Path) -> None:
    path = tmp_path / "duo.acme"
    path.write_text(json.dumps(acme.calibration_payload("acme_duo", 0)))
    assert [f.name for f in vendors.file_formats()][-1] == "Acme calibration file"
    calibration = qtargets.load_calibration(path)
    assert (calibration.vendor, calibration.backend_name) == ("acme", "acme_duo")
    assert calibration.provenance.source == "file duo.acme"
    assert qtargets.calibration(str(path)) == calibration
    assert "Acme Ring" in invoke("show", str(path))
    ranked = invoke("rank", str(circuit_file(tmp_path)), "-b", str(path), "--level", "0",
                    "--offline")
    assert "acme_duo" in ranked


def test_a_malformed_file_of_its_format_names_the_path(acme_vendor: acme.AcmeVendor,
                                                       tmp_path: Path) -> None:
    payload = acme.calibration_payload("acme_duo", 0)
    payload["qubits"][1]["t1_us"] = "long"
    path = tmp_path / "bad.acme"
    path.write_text(json.dumps(payload))
    with pytest.raises(qtargets.CalibrationError,
                       match=r"qubits\[1\]\.t1_us: expected a number, got .long."):
        qtargets.load_calibration(path)
    result = runner.invoke(app, ["show", str(path)], env={"COLUMNS": "200"})
    assert result.exit_code == 2
    assert "t1_us" in result.output
    assert result.output.count("\n") == 1
