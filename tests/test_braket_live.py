"""Live AWS Braket, against a loopback stand-in of Braket's REST-JSON API on 127.0.0.1 that
boto3 is pointed at (``QTARGETS_BRAKET_ENDPOINT_URL``): GetDevice and SearchDevices as
botocore's service model for ``braket`` 2019-09-01 states them, SigV4 credential scopes
checked, faults on demand. The documents it serves are the real ones of tests/data/braket/.

No credential may show: the AWS keys of these tests hold the canary marker, which conftest
fails a test for if it reaches output, logs, an error report or a file.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import pytest
from typer.testing import CliRunner

import qtargets
from apiserver import CANARY
from leaks import leaks
from loopback import serve, stop
from qtargets import (
    ApiError,
    AuthenticationError,
    CalibrationStore,
    MissingDependencyError,
    NetworkError,
    NotFoundError,
)
from qtargets._flow import run_sync
from qtargets.braket.api import BraketClient
from qtargets.braket.source import vendor
from qtargets.cli import app

pytest.importorskip("boto3")

DATA = Path(__file__).parent / "data" / "braket"
runner = CliRunner()

IONQ_ARN = "arn:aws:braket:us-east-1::device/qpu/ionq/Forte-Enterprise-1"
IQM_ARN = "arn:aws:braket:eu-north-1::device/qpu/iqm/Garnet"
RIGETTI_ARN = "arn:aws:braket:us-west-1::device/qpu/rigetti/Cepheus-1-108Q"
IONQ = "braket.us-east-1.ionq.Forte-Enterprise-1"
IQM = "braket.eu-north-1.iqm.Garnet"
ACCESS_KEY = f"AKIA{CANARY}0000EXAMPLE"
SECRET_KEY = f"secret/{CANARY}/wJalrXUtnFEMIK7MDENGbPxRfiCY"
SESSION_TOKEN = f"token-{CANARY}-FwoGZXIvYXdzEBYaDH"


def _document(name: str) -> str:
    data = json.loads((DATA / name).read_text(encoding="utf-8"))
    return data if isinstance(data, str) else json.dumps(data)


@dataclass
class Device:
    arn: str
    name: str
    provider: str
    kind: str
    status: str
    document: str | None = None


DEVICES = [
    Device(IONQ_ARN, "Forte Enterprise 1", "IonQ", "QPU", "ONLINE",
           _document("ionq_forte_enterprise_device_capabilities.json")),
    Device(IQM_ARN, "Garnet", "IQM", "QPU", "ONLINE",
           _document("iqm_garnet_device_capabilities.json")),
    Device(RIGETTI_ARN, "Cepheus-1-108Q", "Rigetti", "QPU", "OFFLINE",
           _document("rigetti_device_capabilities.json")),
    Device("arn:aws:braket:::device/quantum-simulator/amazon/sv1", "SV1",
           "Amazon Braket", "SIMULATOR", "ONLINE"),
    Device("arn:aws:braket:us-east-1::device/qpu/ionq/Harmony", "Harmony", "IonQ", "QPU",
           "RETIRED"),
]


@dataclass
class Seen:
    method: str
    path: str
    region: str | None


@dataclass
class BraketServer:
    """Braket's device API on 127.0.0.1. ``faults`` is a queue of (path regex, status, error
    code) answered instead of the real thing; ``hang`` delays every answer (seconds)."""

    requests: list[Seen] = field(default_factory=list)
    faults: list[tuple[str, int, str, str]] = field(default_factory=list)
    hang: float = 0.0
    page_size: int = 2
    _httpd: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        assert self._httpd is not None
        return f"http://127.0.0.1:{self._httpd.server_address[1]}"

    def __enter__(self) -> BraketServer:
        self._httpd = serve(type("Handler", (_Handler,), {"braket": self}))
        return self

    def __exit__(self, *exc: object) -> None:
        stop(self._httpd)

    def answer(self, method: str, path: str, authorization: str, body: bytes
               ) -> tuple[int, dict[str, Any], str | None]:
        scope = re.search(r"Credential=([^/]+)/\d{8}/([^/]+)/braket/aws4_request",
                          authorization)
        region = scope.group(2) if scope else None
        self.requests.append(Seen(method, path, region))
        for k, (pattern, status, code, message) in enumerate(self.faults):
            if re.search(pattern, path):
                del self.faults[k]
                return status, {"message": message}, code
        if scope is None or scope.group(1) != ACCESS_KEY:
            return 403, {"message": "The security token included in the request is "
                                    "invalid."}, "UnrecognizedClientException"
        if method == "GET" and path.startswith("/device/"):
            arn = unquote(path.removeprefix("/device/"))
            device = next((d for d in DEVICES if d.arn == arn and d.document), None)
            if device is None or arn.split(":")[3] != region:
                return 404, {"message": f"Braket device '{arn}' not found"}, \
                    "ResourceNotFoundException"
            return 200, {"deviceArn": device.arn, "deviceName": device.name,
                         "providerName": device.provider, "deviceType": device.kind,
                         "deviceStatus": device.status,
                         "deviceCapabilities": device.document,
                         "deviceQueueInfo": [
                             {"queue": "QUANTUM_TASKS_QUEUE", "queueSize": "17",
                              "queuePriority": "Normal"},
                             {"queue": "QUANTUM_TASKS_QUEUE", "queueSize": "2",
                              "queuePriority": "Priority"},
                             {"queue": "JOBS_QUEUE", "queueSize": "0"}]}, None
        if method == "POST" and path == "/devices":
            request = json.loads(body or b"{}")
            start = int(request.get("nextToken") or 0)
            here = [d for d in DEVICES if d.arn.split(":")[3] in ("", region)]
            page = here[start:start + self.page_size]
            reply: dict[str, Any] = {"devices": [
                {"deviceArn": d.arn, "deviceName": d.name, "providerName": d.provider,
                 "deviceType": d.kind, "deviceStatus": d.status} for d in page]}
            if start + self.page_size < len(here):
                reply["nextToken"] = str(start + self.page_size)
            return 200, reply, None
        return 404, {"message": "no such operation"}, "ResourceNotFoundException"


class _Handler(BaseHTTPRequestHandler):
    braket: BraketServer
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def _serve(self, method: str) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        status, payload, code = self.braket.answer(
            method, self.path.split("?")[0], self.headers.get("Authorization", ""), body)
        if self.braket.hang:
            time.sleep(self.braket.hang)
        data = b"<html>busy</html>" if code == "MALFORMED" else json.dumps(payload).encode()
        if code == "MALFORMED":
            code = None
        try:
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            if code is not None:
                self.send_header("x-amzn-ErrorType", code)
            self.end_headers()
            self.wfile.write(data)
        except OSError:  # the client gave up (deadline tests)
            pass

    def do_GET(self) -> None:
        self._serve("GET")

    def do_POST(self) -> None:
        self._serve("POST")


@pytest.fixture(scope="module")
def server() -> Iterator[BraketServer]:
    with BraketServer() as running:
        yield running


@pytest.fixture
def aws(server: BraketServer, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> BraketServer:
    """Credentials for boto3 (holding the canary), every request sent to the loopback."""
    server.faults.clear()
    server.requests.clear()
    server.hang = 0.0
    for name in ("AWS_PROFILE", "AWS_DEFAULT_REGION", "AWS_REGION", "AWS_ROLE_ARN",
                 "AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
                 "AWS_CONTAINER_CREDENTIALS_FULL_URI", "AWS_CA_BUNDLE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", ACCESS_KEY)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", SECRET_KEY)
    monkeypatch.setenv("AWS_SESSION_TOKEN", SESSION_TOKEN)
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")  # never ask a real network
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-credentials"))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-config"))
    monkeypatch.setenv("QTARGETS_BRAKET_ENDPOINT_URL", server.url)
    monkeypatch.setenv("QTARGETS_BRAKET_REGIONS", "us-east-1,eu-north-1,us-west-1")
    return server


@pytest.fixture
def store() -> Iterator[CalibrationStore]:
    with CalibrationStore() as opened:  # the default one, QTARGETS_STORE: the test's own
        yield opened


def invoke(*args: str) -> str:
    result = runner.invoke(app, list(args), env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    return result.output


# -- fetching -------------------------------------------------------------------------------------


def test_a_live_calibration_is_the_document_braket_serves_stored_as_received(
        aws: BraketServer, store: CalibrationStore) -> None:
    assert vendor.configured()
    cal = qtargets.calibration(IONQ, live=True)
    offline = qtargets.braket.to_calibration(
        (DATA / "ionq_forte_enterprise_device_capabilities.json").read_bytes(), name=IONQ)
    assert (cal.qubits, cal.instructions, cal.taken_at) == (
        offline.qubits, offline.instructions, offline.taken_at)
    assert cal.provenance.source == f"AWS Braket GetDevice {IONQ_ARN}"
    assert cal.processor == "IonQ Forte Enterprise 1"
    assert [(r.method, r.region) for r in aws.requests] == [("GET", "us-east-1")]
    snapshot = store.latest(IONQ)
    assert snapshot is not None
    body = store.raw(snapshot)["device"]
    assert json.loads(body)["deviceCapabilities"] == DEVICES[0].document  # bytes as received


def test_each_device_is_asked_of_its_own_region(aws: BraketServer) -> None:
    cal = qtargets.calibration(IQM, live=True)
    assert cal.num_qubits == 21
    assert aws.requests[-1].region == "eu-north-1"


def test_fetch_stores_once_then_finds_the_document_unchanged(
        aws: BraketServer, store: CalibrationStore) -> None:
    assert "stored" in invoke("fetch", IONQ)
    assert "unchanged" in invoke("fetch", IONQ)
    assert len(store.history(IONQ)) == 1


def test_list_shows_the_qpus_of_every_region_with_their_queue(aws: BraketServer) -> None:
    out = invoke("list")
    assert IONQ in out
    assert IQM in out
    assert "braket.us-west-1.rigetti.Cepheus-1-108Q" in out
    assert "17 tasks" in out  # the normal-priority task queue
    assert "sv1" not in out.lower()  # a simulator has no calibration
    assert "braket.us-east-1.ionq.Harmony" not in out  # retired
    rows = {d.name: d for d in qtargets.live.devices() if d.vendor == "braket"}
    assert rows[IQM].num_qubits == 21
    assert rows[IQM].taking_jobs
    assert not rows["braket.us-west-1.rigetti.Cepheus-1-108Q"].taking_jobs  # OFFLINE
    assert rows[IONQ].last_calibration == datetime(2026, 5, 3, tzinfo=timezone.utc)
    searches = [r for r in aws.requests if r.method == "POST" and r.region == "us-east-1"]
    assert len(searches) == 4  # two listings, each of two pages (nextToken followed)


def test_a_time_before_the_current_document_is_answered_from_the_store(
        aws: BraketServer, store: CalibrationStore) -> None:
    before = datetime(2026, 5, 1, tzinfo=timezone.utc)
    with pytest.raises(NotFoundError, match="publishes only a device's current properties"):
        qtargets.calibration(IONQ, at=before, live=True)
    current = qtargets.calibration(IONQ, live=True)
    later = current.taken_at + timedelta(days=1)  # type: ignore[operator]
    assert qtargets.calibration(IONQ, at=later, live=True) == current


def test_history_stores_the_current_document_when_it_falls_in_the_range(
        aws: BraketServer, store: CalibrationStore) -> None:
    out = invoke("history", IONQ, "--since", "2026-05-01", "--until", "2026-05-04")
    assert "1 calibration" in out
    assert len(store.history(IONQ)) == 1


# -- failures -------------------------------------------------------------------------------------


def _client(timeout: float = 5.0, retries: int = 2, deadline: float | None = None
            ) -> BraketClient:
    return BraketClient(timeout=timeout, retries=retries, deadline=deadline)


def _get(client: BraketClient, name: str) -> Any:
    async def call() -> Any:
        try:
            return await client.get_device(name)
        finally:
            await client.aclose()
    return run_sync(call())


def test_transient_failures_are_retried_a_bounded_number_of_times(aws: BraketServer) -> None:
    aws.faults += [("/device/", 503, "InternalServiceException", "busy")] * 2
    assert _get(_client(retries=2), IONQ).response.deviceName == "Forte Enterprise 1"
    assert len(aws.requests) == 3
    aws.requests.clear()
    aws.faults += [("/device/", 500, "InternalServiceException", "down")] * 5
    with pytest.raises(ApiError, match="500 InternalServiceException") as raised:
        _get(_client(retries=1), IONQ)
    assert raised.value.status == 500
    assert len(aws.requests) == 2  # the first attempt and one retry, no more


def test_an_unanswered_call_gives_up_at_its_deadline(aws: BraketServer) -> None:
    aws.hang = 3.0
    started = time.monotonic()
    with pytest.raises(NetworkError, match="deadline"):
        _get(_client(timeout=0.5, retries=5, deadline=1.0), IONQ)
    assert time.monotonic() - started < 2.0
    time.sleep(1.0)  # the abandoned call's attempt times out, and it starts no other
    assert len(aws.requests) <= 3


def test_an_endpoint_that_refuses_connections_is_a_network_error(
        aws: BraketServer, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("QTARGETS_BRAKET_ENDPOINT_URL", "http://127.0.0.1:9")  # discard: closed
    with pytest.raises(NetworkError, match="EndpointConnectionError"):
        _get(_client(retries=0), IONQ)


def test_an_unknown_device_is_not_found(aws: BraketServer) -> None:
    with pytest.raises(NotFoundError, match="ResourceNotFoundException"):
        qtargets.calibration("braket.us-east-1.ionq.Nowhere-1", live=True)


def test_rejected_credentials_never_show_in_errors_or_reprs(aws: BraketServer,
                                                           store: CalibrationStore) -> None:
    aws.faults.append(("/device/", 403, "UnrecognizedClientException",
                       f"The security token {SESSION_TOKEN} (key {ACCESS_KEY}) is invalid."))
    with pytest.raises(AuthenticationError) as raised:
        qtargets.calibration(IONQ, live=True)
    assert "UnrecognizedClientException" in str(raised.value)
    assert leaks(raised.value) == []
    client = _client()
    _get(client, IONQ)  # a client that has used the credentials
    for shown in (repr(client), repr(vendor), str(vars(client))):
        assert CANARY not in shown


def test_a_failed_command_shows_no_credential(aws: BraketServer) -> None:
    aws.faults.append(("/device/", 403, "AccessDeniedException",
                       f"User with key {ACCESS_KEY} and token {SESSION_TOKEN} may not"))
    result = runner.invoke(app, ["fetch", IONQ], env={"COLUMNS": "200"})
    assert result.exit_code != 0
    assert "AccessDeniedException" in result.output
    assert CANARY not in result.output
    assert "***" in result.output  # the echoed key, masked


def test_a_body_that_is_not_the_apis_json_is_an_api_error(aws: BraketServer) -> None:
    aws.faults.append(("/device/", 200, "MALFORMED", ""))
    with pytest.raises(ApiError, match="not the API's JSON"):
        _get(_client(retries=0), IONQ)


def test_wrong_credentials_are_an_authentication_error(aws: BraketServer,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIAWRONGWRONGWRONG1")
    with pytest.raises(AuthenticationError, match="AWS credentials"):
        qtargets.calibration(IONQ, live=True)


def test_no_credentials_fail_before_any_request(aws: BraketServer,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
        monkeypatch.delenv(name)
    assert not vendor.configured()
    with pytest.raises(AuthenticationError, match="no usable AWS credentials"):
        qtargets.calibration(IONQ, live=True)
    assert aws.requests == []
    assert qtargets.calibration("ibm_fez").vendor == "ibm"  # others stay offline and fine


def test_without_boto3_live_use_says_which_extra_to_install(
        aws: BraketServer, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(__import__("sys").modules, "boto3", None)
    with pytest.raises(MissingDependencyError, match=r"qtargets\[braket\]"):
        vendor.open(timeout=5.0, retries=0)


def test_an_endpoint_setting_that_would_send_keys_in_clear_text_is_refused(
        aws: BraketServer, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("QTARGETS_BRAKET_ENDPOINT_URL", "http://braket.example.com")
    with pytest.raises(qtargets.ConfigurationError, match="QTARGETS_BRAKET_ENDPOINT_URL"):
        _client()
