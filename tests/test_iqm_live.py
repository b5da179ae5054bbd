"""IQM live: qtargets' own REST client against a stand-in IQM Server on 127.0.0.1.

The server answers the four paths qtargets uses, as IQM Server's API v1 does (iqm-client's
IQMServerStorage uses the same), with ``Authorization: Bearer <token>``; it serves the real
Garnet quality metric set of tests/data/iqm (see test_iqm_convert.py for its source), the
architecture of its own loci and a schema-example calibration set, and it can be told to
fail. Its token holds the canary (tests/apiserver.py): it must never show anywhere.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

import qtargets
from apiserver import CANARY
from leaks import leaks
from loopback import serve, stop
from qtargets import (
    ApiError,
    AuthenticationError,
    CalibrationError,
    CalibrationStore,
    NetworkError,
    NotFoundError,
)
from qtargets.cli import app
from qtargets.iqm import IQMClient
from test_iqm_convert import GARNET, architecture_of, calibration_set_of

runner = CliRunner()
TOKEN = f"iqm-{CANARY}-resonance-token-0123456789"


class IQMServer:
    """IQM Server's calibration-set API for one quantum computer, ``garnet``, with faults:
    ``fail[path regex] = [(status, body), ...]`` answers the next matching requests so."""

    def __init__(self) -> None:
        self.metrics = json.loads(GARNET.read_bytes())
        self.architecture = architecture_of(self.metrics)
        self.calibration_set: dict[str, Any] | None = calibration_set_of(self.metrics,
                                                                        self.architecture)
        self.requests: list[str] = []
        self.authorizations: set[str] = set()
        self.fail: dict[str, list[tuple[int, bytes]]] = {}
        self.stall = 0.0  # seconds every answer waits (a server that hangs)
        self._httpd: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        assert self._httpd is not None
        return f"http://127.0.0.1:{self._httpd.server_address[1]}"

    def __enter__(self) -> IQMServer:
        self._httpd = serve(type("Handler", (_Handler,), {"iqm": self}))
        return self

    def __exit__(self, *exc: object) -> None:
        stop(self._httpd)

    def answer(self, path: str, authorization: str | None) -> tuple[int, bytes]:
        self.requests.append(path)
        self.authorizations.add(authorization or "")
        time.sleep(self.stall)
        for pattern, queued in self.fail.items():
            if queued and re.search(pattern, path):
                return queued.pop(0)
        if authorization != f"Bearer {TOKEN}":
            return 401, b'{"message": "invalid token"}'
        ident = self.metrics["describes_id"]
        routes: dict[str, Any] = {
            "/api/v1/quantum-computers": {"quantum_computers": [
                {"id": "01966208-f3ec-73b7-890d-100000000000", "alias": "garnet",
                 "display_name": "Garnet"}]},
            "/api/v1/calibration-sets/garnet/default/metrics": self.metrics,
            f"/api/v1/calibration-sets/garnet/{ident}/dynamic-quantum-architecture":
                self.architecture,
            f"/api/v1/calibration-sets/garnet/{ident}": self.calibration_set,
        }
        found = routes.get(path)
        if found is None:
            return 404, b'{"message": "not found"}'
        return 200, json.dumps(found).encode()


class _Handler(BaseHTTPRequestHandler):
    iqm: IQMServer
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        status, body = self.iqm.answer(self.path.split("?")[0],
                                       self.headers.get("Authorization"))
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


@pytest.fixture
def server() -> Iterator[IQMServer]:
    with IQMServer() as running:
        yield running


@pytest.fixture(autouse=True)
def _no_iqm_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("IQM_TOKEN", "IQM_SERVER_URL"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def online(server: IQMServer, monkeypatch: pytest.MonkeyPatch) -> IQMServer:
    monkeypatch.setenv("IQM_TOKEN", TOKEN)
    monkeypatch.setenv("IQM_SERVER_URL", server.url)
    return server


@pytest.fixture
def store() -> Iterator[CalibrationStore]:
    with CalibrationStore() as opened:
        yield opened


def invoke(*args: str) -> str:
    result = runner.invoke(app, list(args), env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    return result.output


# -- the one-call API --------------------------------------------------------------------------


def test_a_live_calibration_is_the_servers_with_durations(online: IQMServer,
                                                          store: CalibrationStore) -> None:
    cal = qtargets.calibration("iqm_garnet", live=True)
    assert (cal.vendor, cal.backend_name, cal.num_qubits) == ("iqm", "iqm_garnet", 20)
    assert cal.processor == "IQM Crystal 20"
    assert cal.qubits[0].prob_meas0_prep1 == 0.0195
    assert {g.duration for g in cal.instruction("cz").qargs or ()} == {40e-9}
    assert cal.provenance.source == f"{online.url}/api/v1/calibration-sets/garnet/default/metrics"
    assert online.authorizations == {f"Bearer {TOKEN}"}
    snapshot = store.latest("iqm_garnet")
    assert snapshot is not None
    assert snapshot.calibration_id == online.metrics["observation_set_id"]
    assert set(store.raw(snapshot)) == {"metrics", "architecture", "calibration_set"}
    assert store.raw(snapshot)["metrics"] == json.dumps(online.metrics).encode()


def test_unchanged_it_costs_one_request(online: IQMServer, store: CalibrationStore) -> None:
    first = qtargets.calibration("iqm_garnet", live=True)
    before = len(online.requests)
    assert qtargets.calibration("iqm_garnet", live=True) == first
    assert online.requests[before:] == ["/api/v1/calibration-sets/garnet/default/metrics"]


def test_without_the_calibration_set_durations_are_unknown(online: IQMServer) -> None:
    online.fail[r"/garnet/[0-9a-f-]+$"] = [(403, b'{"message": "forbidden"}')]
    cal = qtargets.calibration("iqm_garnet", live=True, store=False)
    assert {g.duration for g in cal.instruction("cz").qargs or ()} == {None}
    assert "durations unknown" in (cal.provenance.notes or "")


def test_the_past_is_the_stores(online: IQMServer, store: CalibrationStore) -> None:
    cal = qtargets.calibration("iqm_garnet", live=True)
    assert cal.taken_at is not None
    assert qtargets.calibration(f"iqm_garnet@{cal.taken_at.isoformat()}", live=True) == cal
    with pytest.raises(NotFoundError, match="serves only the calibration set in use"):
        qtargets.calibration("iqm_garnet@2026-01-01T00:00:00Z", live=True)


# -- faults --------------------------------------------------------------------------------


def test_transient_failures_are_retried(online: IQMServer) -> None:
    online.fail["/metrics$"] = [(503, b"busy"), (502, b"gateway")]
    cal = qtargets.calibration("iqm_garnet", live=True, store=False)
    assert cal.num_qubits == 20
    assert online.requests.count("/api/v1/calibration-sets/garnet/default/metrics") == 3


def test_a_rejected_token_is_an_authentication_error_without_the_token(
        online: IQMServer) -> None:
    online.fail["/metrics$"] = [(401, f'{{"message": "bad token {TOKEN}"}}'.encode())]
    with pytest.raises(AuthenticationError) as caught:
        qtargets.calibration("iqm_garnet", live=True, store=False)
    assert "401" in str(caught.value)
    assert CANARY not in str(caught.value)
    assert not list(leaks(caught.value))


def test_an_unknown_device_is_not_found(online: IQMServer) -> None:
    with pytest.raises(NotFoundError, match="404"):
        qtargets.calibration("iqm_nowhere", live=True, store=False)


def test_a_body_that_is_not_json_is_an_api_error(online: IQMServer) -> None:
    online.fail["/metrics$"] = [(200, b"<html>proxy login</html>")]
    with pytest.raises(ApiError, match="not JSON"):
        qtargets.calibration("iqm_garnet", live=True, store=False)


def test_a_malformed_metric_set_names_its_path(online: IQMServer) -> None:
    online.metrics["observations"][3]["value"] = "n/a"
    with pytest.raises(CalibrationError, match=r"metrics\.observations\[3\]\.value"):
        qtargets.calibration("iqm_garnet", live=True, store=False)


def test_an_unreachable_server_is_a_network_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("IQM_TOKEN", TOKEN)
    monkeypatch.setenv("IQM_SERVER_URL", "http://127.0.0.1:9")  # discard: nobody listens
    with pytest.raises(NetworkError):
        qtargets.calibration("iqm_garnet", live=True, store=False, retries=0)


def test_a_hanging_server_ends_at_the_deadline(online: IQMServer) -> None:
    online.stall = 2.0
    started = time.monotonic()
    with IQMClient(timeout=0.2, deadline=0.6) as client, pytest.raises(
            NetworkError, match=r"deadline|failed after"):
        client.metrics("garnet")
    assert time.monotonic() - started < 1.5


def test_without_a_token_it_says_which_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    assert not qtargets.vendors.vendor_of("iqm_garnet").configured()
    with pytest.raises(AuthenticationError, match="IQM_TOKEN"):
        IQMClient()


def test_the_client_never_shows_its_token(online: IQMServer) -> None:
    with IQMClient() as client:
        assert CANARY not in repr(client)
        assert client.metrics("garnet").id == online.metrics["observation_set_id"]
        assert [qc.alias for qc in client.quantum_computers()] == ["garnet"]


def test_plain_http_to_another_host_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(qtargets.ConfigurationError, match="must use https"):
        IQMClient(TOKEN, "http://resonance.example")


# -- the commands ------------------------------------------------------------------------------


def test_list_fetch_show_and_rank(online: IQMServer, store: CalibrationStore,
                                  tmp_path: Path) -> None:
    listed = invoke("list")
    assert "iqm_garnet" in listed.split("Stored calibrations")[0]
    assert "stored" in invoke("fetch", "iqm_garnet")
    assert "unchanged" in invoke("fetch", "iqm_garnet")
    shown = invoke("show", "iqm_garnet")
    assert "IQM Crystal 20" in shown
    circuit = tmp_path / "bell.qasm"
    circuit.write_text('OPENQASM 2.0;\ninclude "qelib1.inc";\nqreg q[2];\nh q[0];\n'
                       "cx q[0],q[1];\n")
    assert "iqm_garnet" in invoke("rank", str(circuit), "-b", "iqm_garnet", "--level", "1")
    image = tmp_path / "garnet.png"
    invoke("map", "iqm_garnet", "--offline", "--out", str(image), "--dpi", "20")
    assert image.stat().st_size > 0
