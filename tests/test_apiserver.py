"""The fake IBM/IAM/IonQ server: what future clients can rely on it to do, over real sockets."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from apiserver import IAM_GRANT_TYPE, FakeVendorServer, Fault, assert_no_secret

# The snapshot's own last_update_date; the server adds copies dated 1 and 2 days older.
FEZ_NEWEST = "2025-02-26T15:16:25-05:00"


@pytest.fixture(scope="module")
def server() -> Iterator[FakeVendorServer]:
    with FakeVendorServer(ibm_history=3, ionq_history=25) as running:
        yield running


@pytest.fixture(autouse=True)
def _no_leftover_faults(request: pytest.FixtureRequest) -> Iterator[None]:
    yield
    if "server" in request.fixturenames:
        server: FakeVendorServer = request.getfixturevalue("server")
        server.clear_faults()
        server.default_latency = 0.0


def token_for(server: FakeVendorServer) -> str:
    response = httpx.post(f"{server.iam_url}/identity/token",
                          data={"grant_type": IAM_GRANT_TYPE, "apikey": server.ibm_api_key})
    response.raise_for_status()
    return str(response.json()["access_token"])


@pytest.fixture
def ibm(server: FakeVendorServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.ibm_url, headers=server.ibm_headers(token_for(server)),
                      timeout=5.0) as client:
        yield client


@pytest.fixture
def ionq(server: FakeVendorServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.ionq_url, headers=server.ionq_headers(),
                      timeout=5.0) as client:
        yield client


# -- IAM ---------------------------------------------------------------------------------------


def test_iam_exchanges_the_api_key_for_an_hour_long_bearer_token(
        server: FakeVendorServer) -> None:
    before = int(time.time())
    response = httpx.post(f"{server.iam_url}/identity/token",
                          data={"grant_type": IAM_GRANT_TYPE, "apikey": server.ibm_api_key})
    assert response.status_code == 200
    body = response.json()
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == 3600
    assert before + 3600 <= body["expiration"] <= int(time.time()) + 3600
    assert body["access_token"] in server.secrets


def test_iam_rejects_an_unknown_key_with_bxnim0415e(server: FakeVendorServer) -> None:
    response = httpx.post(f"{server.iam_url}/identity/token",
                          data={"grant_type": IAM_GRANT_TYPE, "apikey": "not-the-key"})
    assert response.status_code == 400
    assert response.json()["errorCode"] == "BXNIM0415E"
    assert response.json()["errorMessage"] == "Provided API key could not be found."


def test_iam_rejects_a_wrong_grant_type(server: FakeVendorServer) -> None:
    response = httpx.post(f"{server.iam_url}/identity/token",
                          data={"grant_type": "password", "apikey": server.ibm_api_key})
    assert response.status_code == 400


# -- IBM Quantum -------------------------------------------------------------------------------


def test_ibm_lists_the_chosen_snapshot_backends(ibm: httpx.Client) -> None:
    devices = ibm.get("/v1/backends").json()["devices"]
    assert [d["name"] for d in devices] == ["ibm_fez", "ibm_torino", "ibm_kyiv"]
    assert devices[0]["qubits"] == 156
    assert all(d["status"]["name"] == "online" for d in devices)


def test_ibm_serves_configuration_properties_status_and_defaults(ibm: httpx.Client) -> None:
    headers = {"IBM-API-Version": "2025-05-01"}
    conf = ibm.get("/v1/backends/ibm_fez/configuration", headers=headers).json()
    assert conf["backend_name"] == "ibm_fez"
    assert conf["n_qubits"] == 156
    props = ibm.get("/v1/backends/ibm_fez/properties", headers=headers).json()
    assert props["last_update_date"] == FEZ_NEWEST
    assert len(props["qubits"]) == 156
    status = ibm.get("/v1/backends/ibm_fez/status").json()
    assert status["length_queue"] == 0
    defaults = ibm.get("/v1/backends/ibm_fez/defaults").json()
    assert len(defaults["qubit_freq_est"]) == 156


def test_ibm_unknown_backend_is_404(ibm: httpx.Client) -> None:
    response = ibm.get("/v1/backends/ibm_nowhere/properties")
    assert response.status_code == 404
    assert "errors" in response.json()


@pytest.mark.parametrize(("drop", "replace"), [
    pytest.param("Authorization", None, id="no token"),
    pytest.param("Authorization", "Bearer forged", id="forged token"),
    pytest.param("Authorization", "apiKey forged", id="wrong scheme"),
    pytest.param("Service-CRN", None, id="no service CRN"),
    pytest.param("Service-CRN", "crn:v1:someone-else", id="wrong service CRN"),
])
def test_ibm_rejects_bad_credentials_with_401_json(
        server: FakeVendorServer, drop: str, replace: str | None) -> None:
    headers = server.ibm_headers(token_for(server))
    del headers[drop]
    if replace is not None:
        headers[drop] = replace
    response = httpx.get(f"{server.ibm_url}/v1/backends/ibm_fez/configuration", headers=headers)
    assert response.status_code == 401
    assert response.json()["errors"][0]["message"].startswith("Unauthorized")


def test_ibm_rejects_an_expired_token(server: FakeVendorServer) -> None:
    token = server.issue_token(ttl=-1)
    response = httpx.get(f"{server.ibm_url}/v1/backends", headers=server.ibm_headers(token))
    assert response.status_code == 401


def test_properties_time_travel_returns_the_newest_version_not_after_updated_before(
        ibm: httpx.Client) -> None:
    def as_of(when: str) -> httpx.Response:
        return ibm.get("/v1/backends/ibm_fez/properties", params={"updated_before": when})

    assert as_of("2030-01-01T00:00:00Z").json()["last_update_date"] == FEZ_NEWEST
    assert as_of(FEZ_NEWEST).json()["last_update_date"] == FEZ_NEWEST  # inclusive
    assert as_of("2025-02-26T00:00:00Z").json()["last_update_date"] == \
        "2025-02-25T15:16:25-05:00"
    oldest = as_of("2025-02-24T20:16:25Z")
    assert oldest.json()["last_update_date"] == "2025-02-24T15:16:25-05:00"
    assert oldest.json()["qubits"][0][0]["date"] == "2025-02-24T06:56:41-05:00"
    assert as_of("2025-01-01T00:00:00Z").status_code == 404
    assert as_of("last tuesday").status_code == 400


def test_properties_by_calibration_id(ibm: httpx.Client) -> None:
    old = ibm.get("/v1/backends/ibm_fez/properties",
                  params={"updated_before": "2025-02-25T23:00:00Z"})
    calibration_id = old.headers["X-Calibration-Id"]
    again = ibm.get("/v1/backends/ibm_fez/properties", params={"calibration_id": calibration_id})
    assert again.json()["last_update_date"] == old.json()["last_update_date"]
    missing = ibm.get("/v1/backends/ibm_fez/properties", params={"calibration_id": "nope"})
    assert missing.status_code == 404


def test_etag_and_last_modified_revalidate_to_304(ibm: httpx.Client) -> None:
    first = ibm.get("/v1/backends/ibm_torino/properties")
    etag, last_modified = first.headers["ETag"], first.headers["Last-Modified"]
    assert last_modified == "Wed, 26 Feb 2025 20:26:08 GMT"
    by_etag = ibm.get("/v1/backends/ibm_torino/properties", headers={"If-None-Match": etag})
    assert by_etag.status_code == 304
    assert by_etag.content == b""
    assert by_etag.headers["ETag"] == etag
    by_date = ibm.get("/v1/backends/ibm_torino/properties",
                      headers={"If-Modified-Since": last_modified})
    assert by_date.status_code == 304
    stale = ibm.get("/v1/backends/ibm_torino/properties", headers={"If-None-Match": '"other"'})
    assert stale.status_code == 200
    assert stale.headers["ETag"] == etag
    conf = ibm.get("/v1/backends/ibm_torino/configuration")
    assert ibm.get("/v1/backends/ibm_torino/configuration",
                   headers={"If-None-Match": conf.headers["ETag"]}).status_code == 304


# -- IonQ --------------------------------------------------------------------------------------


def test_ionq_requires_an_api_key(server: FakeVendorServer) -> None:
    url = f"{server.ionq_v03_url}/characterizations/backends/qpu.aria-1/current"
    assert httpx.get(url).status_code == 401
    assert httpx.get(url, headers={"Authorization": "apiKey wrong"}).status_code == 401
    bearer = {"Authorization": f"Bearer {server.ionq_api_key}"}
    assert httpx.get(url, headers=bearer).status_code == 401


def test_ionq_v03_pages_newest_first_ten_at_most(ionq: httpx.Client) -> None:
    url = "/v0.3/characterizations/backends/qpu.aria-1"
    first = ionq.get(url).json()
    assert first["pages"] == 3
    assert len(first["characterizations"]) == 10
    dates = [c["date"] for c in first["characterizations"]]
    assert dates == sorted(dates, reverse=True)
    pages = [ionq.get(url, params={"page": p, "limit": 10}).json()["characterizations"]
             for p in (1, 2, 3, 4)]
    assert [len(p) for p in pages] == [10, 10, 5, 0]
    ids = [c["id"] for page in pages for c in page]
    assert len(set(ids)) == 25
    assert ionq.get(url, params={"limit": 4}).json()["pages"] == 7


@pytest.mark.parametrize("params", [
    {"limit": 11}, {"limit": 0}, {"limit": "ten"}, {"page": 0}, {"start": "yesterday"},
])
def test_ionq_v03_rejects_bad_query_with_400(ionq: httpx.Client, params: dict[str, Any]) -> None:
    response = ionq.get("/v0.3/characterizations/backends/qpu.aria-1", params=params)
    assert response.status_code == 400
    assert response.json()["statusCode"] == 400


def test_ionq_v03_start_and_end_are_epoch_milliseconds(ionq: httpx.Client) -> None:
    current = ionq.get("/v0.3/characterizations/backends/qpu.aria-1/current").json()
    day_ms = 86_400_000
    newest_ms = current["date"] * 1000
    window = ionq.get("/v0.3/characterizations/backends/qpu.aria-1",
                      params={"start": newest_ms - 2 * day_ms, "end": newest_ms}).json()
    assert [c["date"] * 1000 for c in window["characterizations"]] == \
        [newest_ms - day_ms, newest_ms - 2 * day_ms]


def test_ionq_v03_current_is_the_newest_and_by_id_finds_it(ionq: httpx.Client) -> None:
    current = ionq.get("/v0.3/characterizations/backends/qpu.forte-1/current").json()
    listed = ionq.get("/v0.3/characterizations/backends/qpu.forte-1",
                      params={"limit": 1}).json()["characterizations"][0]
    assert current == listed
    assert isinstance(current["date"], int)
    assert set(current["fidelity"]) == {"spam", "1q", "2q"}
    assert current["timing"]["2q"] == pytest.approx(0.00097)
    assert ionq.get(f"/v0.3/characterizations/{current['id']}").json() == current
    assert ionq.get("/v0.3/characterizations/no-such-id").status_code == 404
    assert ionq.get("/v0.3/characterizations/backends/qpu.nowhere/current").status_code == 404


def test_ionq_v03_and_v04_backends(ionq: httpx.Client) -> None:
    v03 = ionq.get("/v0.3/backends").json()
    v04 = ionq.get("/v0.4/backends").json()
    assert [b["backend"] for b in v03] == [b["backend"] for b in v04] == [
        "qpu.aria-1", "qpu.forte-1", "qpu.forte-enterprise-1"]
    assert isinstance(v03[0]["last_updated"], int)
    assert isinstance(v04[0]["last_updated"], str)


def test_ionq_v04_characterizations_have_iso_dates_and_the_same_ids(ionq: httpx.Client) -> None:
    v03 = ionq.get("/v0.3/characterizations/backends/qpu.aria-1").json()["characterizations"]
    page = ionq.get("/v0.4/backends/qpu.aria-1/characterizations").json()
    v04 = page["characterizations"]
    assert page["pages"] == 3
    assert [c["id"] for c in v04] == [c["id"] for c in v03]
    assert v04[0]["date"] == "2025-06-01T12:00:00Z"
    one = ionq.get(f"/v0.4/backends/qpu.aria-1/characterizations/{v04[0]['id']}")
    assert one.json() == v04[0]
    assert "ETag" in one.headers
    recent = ionq.get("/v0.4/backends/qpu.aria-1/characterizations",
                      params={"start": "2025-05-30"}).json()["characterizations"]
    assert len(recent) == 3
    wrong_backend = f"/v0.4/backends/qpu.forte-1/characterizations/{v04[0]['id']}"
    assert ionq.get(wrong_backend).status_code == 404
    assert ionq.get("/v0.4/backends/qpu.aria-1/characterizations",
                    params={"limit": 50}).status_code == 400


def test_ionq_characterization_revalidates_to_304(ionq: httpx.Client) -> None:
    url = "/v0.3/characterizations/backends/qpu.aria-1/current"
    first = ionq.get(url)
    assert ionq.get(url, headers={"If-None-Match": first.headers["ETag"]}).status_code == 304
    assert ionq.get(url, headers={"If-Modified-Since": first.headers["Last-Modified"]}
                    ).status_code == 304
    assert ionq.get(url, headers={"If-Modified-Since": "Mon, 01 Jan 2024 00:00:00 GMT"}
                    ).status_code == 200


# -- faults ------------------------------------------------------------------------------------

CURRENT = "/v0.3/characterizations/backends/qpu.aria-1/current"


def test_status_fault_429_carries_retry_after_then_expires(
        server: FakeVendorServer, ionq: httpx.Client) -> None:
    server.inject(r"/current$", Fault.status(429, retry_after="3"))
    limited = ionq.get(CURRENT)
    assert limited.status_code == 429
    assert limited.headers["Retry-After"] == "3"
    assert ionq.get(CURRENT).status_code == 200


def test_faults_apply_in_injection_order_and_count_down(
        server: FakeVendorServer, ionq: httpx.Client) -> None:
    server.inject(r"/current$", Fault.status(503), times=2)
    server.inject(r"/current$", Fault.status(502))
    server.inject(r"/backends$", Fault.status(504))
    assert [ionq.get(CURRENT).status_code for _ in range(4)] == [503, 503, 502, 200]
    assert server.pending_faults() == [(r"/backends$", Fault.status(504), 1)]
    faulted = [r.fault for r in server.requests_to(r"/current$")[-4:]]
    assert faulted == [Fault.status(503), Fault.status(503), Fault.status(502), None]


def test_latency_fault_trips_a_client_read_timeout(
        server: FakeVendorServer, ionq: httpx.Client) -> None:
    server.inject(r"/current$", Fault.latency(1.0))
    with pytest.raises(httpx.ReadTimeout):
        ionq.get(CURRENT, timeout=httpx.Timeout(5.0, read=0.2))
    server.inject(r"/current$", Fault.latency(0.2))
    started = time.monotonic()
    assert ionq.get(CURRENT).status_code == 200
    assert time.monotonic() - started >= 0.2


def test_default_latency_delays_every_request(
        server: FakeVendorServer, ionq: httpx.Client) -> None:
    server.default_latency = 0.05
    started = time.monotonic()
    for _ in range(3):
        ionq.get(CURRENT)
    assert time.monotonic() - started >= 0.15


def test_drop_fault_is_a_disconnect_without_response(
        server: FakeVendorServer, ionq: httpx.Client) -> None:
    server.inject(r"/current$", Fault.drop())
    with pytest.raises((httpx.RemoteProtocolError, httpx.ReadError)):
        ionq.get(CURRENT)
    assert ionq.get(CURRENT).status_code == 200


def test_truncate_fault_cuts_the_body_short_of_content_length(
        server: FakeVendorServer, ibm: httpx.Client) -> None:
    server.inject(r"/properties$", Fault.truncate(0.3))
    with pytest.raises((httpx.RemoteProtocolError, httpx.ReadError)):
        ibm.get("/v1/backends/ibm_kyiv/properties")
    assert ibm.get("/v1/backends/ibm_kyiv/properties").status_code == 200


def test_malformed_fault_is_a_200_that_is_not_json(
        server: FakeVendorServer, ionq: httpx.Client) -> None:
    server.inject(r"/current$", Fault.malformed())
    response = ionq.get(CURRENT)
    assert response.status_code == 200
    with pytest.raises(json.JSONDecodeError):
        response.json()


def test_slow_body_fault_trickles_past_a_read_timeout(
        server: FakeVendorServer, ionq: httpx.Client) -> None:
    server.inject(r"/current$", Fault.slow_body(0.3, chunk_size=64))
    with pytest.raises(httpx.ReadTimeout):
        ionq.get(CURRENT, timeout=httpx.Timeout(5.0, read=0.1))
    server.inject(r"/current$", Fault.slow_body(0.01, chunk_size=512))
    assert ionq.get(CURRENT).json()["backend"] == "qpu.aria-1"  # slow but whole


# -- request log, secrets, lifecycle -----------------------------------------------------------


def test_request_log_records_headers_and_the_canary_helper_catches_leaks(
        server: FakeVendorServer, ionq: httpx.Client) -> None:
    ionq.get(CURRENT, params={"x": "1"})
    last = server.requests_to(r"/current$")[-1]
    assert last.method == "GET"
    assert last.query == {"x": ["1"]}
    assert last.headers["Authorization"] == f"apiKey {server.ionq_api_key}"
    server.assert_no_secrets("GET /v0.3/characterizations ... 200 (Authorization: apiKey ***)")
    with pytest.raises(AssertionError, match="secret #1") as caught:
        server.assert_no_secrets(f"oops {server.ionq_api_key}")
    assert server.ionq_api_key not in str(caught.value)
    assert_no_secret("nothing here", ["canary"])


def test_server_listens_on_loopback_only(server: FakeVendorServer) -> None:
    assert server.base_url.startswith("http://127.0.0.1:")


def test_shutdown_is_prompt_with_a_slow_request_in_flight() -> None:
    outcome: list[BaseException | int] = []
    with FakeVendorServer(ibm_backends=("fez",), ionq_history=3) as server:
        server.inject(r"/current$", Fault.latency(30.0))

        def slow_client() -> None:
            try:
                outcome.append(httpx.get(f"{server.ionq_v03_url}{CURRENT.removeprefix('/v0.3')}",
                                         headers=server.ionq_headers(), timeout=20.0).status_code)
            except httpx.HTTPError as error:
                outcome.append(error)

        thread = threading.Thread(target=slow_client, daemon=True)
        thread.start()
        deadline = time.monotonic() + 5
        while not server.requests and time.monotonic() < deadline:
            time.sleep(0.01)
        started = time.monotonic()
    assert time.monotonic() - started < 2.0
    thread.join(5)
    assert not thread.is_alive()
    assert len(outcome) == 1
    assert isinstance(outcome[0], httpx.HTTPError)  # cut off, not served 30 s later
