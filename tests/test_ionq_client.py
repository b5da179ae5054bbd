"""The IonQ REST clients, end to end over real sockets against the fake vendor server."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from typing import Any

import httpx
import pytest

import qtargets
from apiserver import IONQ_NEWEST, FakeVendorServer, Fault
from qtargets._http import (
    ApiError,
    ApiKeyAuth,
    AuthenticationError,
    HttpConfig,
    NetworkError,
    NotFoundError,
    RateLimitError,
    validate_base_url,
)
from qtargets.ionq.client import AsyncIonQClient, IonQClient

ARIA = "qpu.aria-1"
CURRENT = r"/v0.3/characterizations/backends/qpu.aria-1/current$"
LIST = r"/v0.3/characterizations/backends/qpu.aria-1$"
FAST: dict[str, Any] = {"timeout": 2.0, "retries": 3, "backoff_base": 0.01, "backoff_max": 0.05,
        "retry_after_max": 0.3}


@pytest.fixture(scope="module")
def server() -> Iterator[FakeVendorServer]:
    with FakeVendorServer(ionq_history=25) as running:
        yield running


@pytest.fixture(autouse=True)
def _no_leftover_faults(server: FakeVendorServer) -> Iterator[None]:
    yield
    server.clear_faults()
    server.default_latency = 0.0


@pytest.fixture
def client(server: FakeVendorServer) -> Iterator[IonQClient]:
    with IonQClient(server.ionq_api_key, server.ionq_v03_url, **FAST) as ionq:
        yield ionq


def count(server: FakeVendorServer, pattern: str) -> int:
    return len(server.requests_to(pattern))


def epoch(moment: datetime) -> int:
    return int(moment.timestamp())


# -- the happy paths ---------------------------------------------------------------------------


def test_current_and_by_id_return_the_servers_characterization(
        server: FakeVendorServer, client: IonQClient) -> None:
    newest = server.ionq[ARIA][0]
    assert client.current_characterization(ARIA) == newest
    older = server.ionq[ARIA][3]
    assert client.characterization(older["id"]) == older


def test_requests_carry_the_api_key_header(server: FakeVendorServer, client: IonQClient) -> None:
    client.current_characterization(ARIA)
    headers = server.requests_to(CURRENT)[-1].headers
    assert headers["Authorization"] == f"apiKey {server.ionq_api_key}"
    assert headers["User-Agent"].startswith("qtargets/")


def test_history_follows_every_page_newest_first(
        server: FakeVendorServer, client: IonQClient) -> None:
    before = count(server, LIST)
    history = client.characterizations(ARIA, limit=4)
    assert history == server.ionq[ARIA]  # all 25, in the server's (newest first) order
    assert count(server, LIST) - before == 7  # ceil(25 / 4) pages, no more


def test_history_window_is_start_inclusive_end_exclusive(client: IonQClient) -> None:
    start, end = IONQ_NEWEST - timedelta(days=5), IONQ_NEWEST - timedelta(days=2)
    window = client.characterizations(ARIA, start=start, end=end)
    assert [c["date"] for c in window] == [epoch(IONQ_NEWEST - timedelta(days=d))
                                           for d in (3, 4, 5)]


@pytest.mark.parametrize("limit", [0, 11])
def test_page_size_outside_1_to_10_is_a_value_error_before_any_request(
        server: FakeVendorServer, client: IonQClient, limit: int) -> None:
    before = len(server.requests)
    with pytest.raises(ValueError, match="limit must be between 1 and 10"):
        client.characterizations(ARIA, limit=limit)
    assert len(server.requests) == before


def test_backends_lists_every_ionq_backend(server: FakeVendorServer, client: IonQClient) -> None:
    assert [b["backend"] for b in client.backends()] == list(server.ionq)


def test_calibration_is_the_current_characterization_with_provenance(
        server: FakeVendorServer, client: IonQClient) -> None:
    before = datetime.now(timezone.utc)
    cal = client.calibration(ARIA)
    assert isinstance(cal, qtargets.Calibration)
    assert cal.backend_name == ARIA
    assert cal.num_qubits == 25
    assert cal.taken_at == IONQ_NEWEST
    expected = f"{server.ionq_v03_url}/characterizations/backends/{ARIA}/current"
    assert cal.provenance.source == expected
    assert cal.provenance.retrieved_at is not None
    assert before <= cal.provenance.retrieved_at <= datetime.now(timezone.utc)
    assert {i.name for i in client.calibration(ARIA, gateset="qis").instructions} >= {"cx"}


def test_time_travel_is_never_newer_than_asked(client: IonQClient) -> None:
    between = IONQ_NEWEST - timedelta(days=2, hours=5)
    assert client.calibration(ARIA, at=between).taken_at == IONQ_NEWEST - timedelta(days=3)
    exactly = IONQ_NEWEST - timedelta(days=4)
    assert client.calibration(ARIA, at=exactly).taken_at == exactly
    # One second before a characterization is still the previous one.
    assert client.calibration(ARIA, at=exactly - timedelta(seconds=1)).taken_at == (
        IONQ_NEWEST - timedelta(days=5))


def test_time_travel_takes_naive_datetimes_as_utc(client: IonQClient) -> None:
    naive = (IONQ_NEWEST - timedelta(days=1)).replace(tzinfo=None)
    assert client.calibration(ARIA, at=naive).taken_at == IONQ_NEWEST - timedelta(days=1)


def test_time_travel_sends_end_in_epoch_ms_and_limit_1(
        server: FakeVendorServer, client: IonQClient) -> None:
    at = IONQ_NEWEST - timedelta(days=1)
    cal = client.calibration(ARIA, at=at)
    query = server.requests_to(LIST)[-1].query
    assert query["limit"] == ["1"]
    assert query["end"] == [str(epoch(at) * 1000 + 1)]
    assert cal.provenance.source.endswith(f"?limit=1&page=1&end={epoch(at) * 1000 + 1}")


def test_time_travel_before_the_first_characterization_is_not_found(
        client: IonQClient) -> None:
    with pytest.raises(NotFoundError, match="at or before"):
        client.calibration(ARIA, at=datetime(2020, 1, 1, tzinfo=timezone.utc))


# -- configuration -----------------------------------------------------------------------------


def test_key_and_url_come_from_the_environment(
        server: FakeVendorServer, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("IONQ_API_KEY", server.ionq_api_key)
    monkeypatch.setenv("QTARGETS_IONQ_API_URL", server.ionq_v03_url)
    with IonQClient() as ionq:
        assert ionq.config.base_url == server.ionq_v03_url
        assert ionq.current_characterization(ARIA)["backend"] == ARIA


def test_default_url_is_ionq_v03(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("QTARGETS_IONQ_API_URL", raising=False)
    with IonQClient("some-key") as ionq:
        assert ionq.config.base_url == "https://api.ionq.co/v0.3"


def test_missing_key_is_an_authentication_error_without_network(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("IONQ_API_KEY", raising=False)
    with pytest.raises(AuthenticationError, match="IONQ_API_KEY"):
        IonQClient(base_url="http://127.0.0.1:9")
    with pytest.raises(AuthenticationError, match="IONQ_API_KEY"):
        AsyncIonQClient(base_url="http://127.0.0.1:9")


@pytest.mark.parametrize("url", ["http://api.ionq.co/v0.3", "http://10.0.0.1/v0.3",
                                 "ftp://api.ionq.co", "api.ionq.co/v0.3",
                                 "https://user:pw@api.ionq.co"])
def test_insecure_or_odd_base_url_is_a_value_error_without_network(url: str) -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise AssertionError("no request may be sent")

    with pytest.raises(ValueError, match="base URL"):
        IonQClient("key", url, transport=httpx.MockTransport(refuse))


@pytest.mark.parametrize("url", ["https://api.ionq.co/v0.3/", "http://localhost:8000",
                                 "http://127.0.0.5/x", "http://[::1]:81"])
def test_https_or_plain_http_to_loopback_is_allowed(url: str) -> None:
    assert validate_base_url(url) == url.rstrip("/")


def test_config_is_frozen_and_checked() -> None:
    config = HttpConfig("https://example.com")
    with pytest.raises(AttributeError):
        config.timeout = 1.0  # type: ignore[misc]
    with pytest.raises(ValueError, match="max_retries"):
        HttpConfig("https://example.com", max_retries=-1)
    for retry in range(10):
        assert 0 < config.backoff(retry) <= config.backoff_max


# -- errors ------------------------------------------------------------------------------------


def test_wrong_key_is_an_authentication_error(server: FakeVendorServer) -> None:
    with IonQClient("not-the-key", server.ionq_v03_url, **FAST) as ionq, \
            pytest.raises(AuthenticationError) as caught:
        ionq.current_characterization(ARIA)
    assert caught.value.status == 401
    assert "Invalid key provided" in str(caught.value)
    assert "not-the-key" not in str(caught.value)


def test_unknown_backend_and_id_are_not_found(client: IonQClient) -> None:
    with pytest.raises(NotFoundError) as caught:
        client.current_characterization("qpu.nowhere")
    assert caught.value.status == 404
    assert caught.value.url.endswith("/characterizations/backends/qpu.nowhere/current")
    with pytest.raises(NotFoundError):
        client.characterization("no-such-id")


def test_429_is_retried_after_retry_after_capped(
        server: FakeVendorServer, client: IonQClient) -> None:
    server.inject(CURRENT, Fault.status(429, retry_after="30"))
    before = count(server, CURRENT)
    started = time.monotonic()
    assert client.current_characterization(ARIA)["backend"] == ARIA
    elapsed = time.monotonic() - started
    assert count(server, CURRENT) - before == 2
    assert 0.3 <= elapsed < 2.0  # waited the cap (retry_after_max=0.3), not 30 s


def test_persistent_429_is_a_rate_limit_error(
        server: FakeVendorServer, client: IonQClient) -> None:
    server.inject(CURRENT, Fault.status(429, retry_after="0"), times=None)
    with pytest.raises(RateLimitError) as caught:
        client.current_characterization(ARIA)
    assert caught.value.status == 429
    assert caught.value.retry_after == 0.0


def test_503_twice_then_success(server: FakeVendorServer, client: IonQClient) -> None:
    server.inject(CURRENT, Fault.status(503), times=2)
    before = count(server, CURRENT)
    assert client.current_characterization(ARIA)["backend"] == ARIA
    assert count(server, CURRENT) - before == 3


@pytest.mark.parametrize("fault", [Fault.drop(), Fault.truncate(), Fault.status(502),
                                   Fault.status(504)], ids=lambda f: f"{f.kind}{f.code}")
def test_transient_fault_then_success(
        server: FakeVendorServer, client: IonQClient, fault: Fault) -> None:
    server.inject(CURRENT, fault)
    assert client.current_characterization(ARIA) == server.ionq[ARIA][0]


def test_persistent_503_is_an_api_error_after_bounded_retries(
        server: FakeVendorServer, client: IonQClient) -> None:
    server.inject(CURRENT, Fault.status(503), times=None)
    before = count(server, CURRENT)
    started = time.monotonic()
    with pytest.raises(ApiError) as caught:
        client.current_characterization(ARIA)
    assert time.monotonic() - started < 2.0
    assert count(server, CURRENT) - before == 4  # 1 + retries=3
    assert caught.value.status == 503
    assert type(caught.value) is ApiError
    assert len(caught.value.body) <= 200


def test_500_is_not_retried(server: FakeVendorServer, client: IonQClient) -> None:
    server.inject(CURRENT, Fault.status(500), times=None)
    before = count(server, CURRENT)
    with pytest.raises(ApiError, match="500"):
        client.current_characterization(ARIA)
    assert count(server, CURRENT) - before == 1


def test_latency_beyond_the_timeout_is_a_network_error_in_bounded_time(
        server: FakeVendorServer) -> None:
    server.inject(CURRENT, Fault.latency(3.0), times=None)
    started = time.monotonic()
    with IonQClient(server.ionq_api_key, server.ionq_v03_url, timeout=0.2, retries=1,
                    backoff_base=0.01) as ionq, pytest.raises(NetworkError) as caught:
        ionq.current_characterization(ARIA)
    assert time.monotonic() - started < 1.5  # 2 attempts x 0.2 s, plus slack
    assert "after 2 attempt(s)" in str(caught.value)
    assert "ReadTimeout" in str(caught.value)


def test_unreachable_server_is_a_network_error() -> None:
    with IonQClient("key", "http://127.0.0.1:9", retries=1, backoff_base=0.01,
                    timeout=1.0) as ionq, pytest.raises(NetworkError, match="ConnectError"):
        ionq.backends()


def test_malformed_json_is_an_api_error(server: FakeVendorServer, client: IonQClient) -> None:
    # The HTTP contract (a JSON body) is broken: ApiError, not a calibration problem.
    server.inject(CURRENT, Fault.malformed())
    with pytest.raises(ApiError, match="not JSON") as caught:
        client.calibration(ARIA)
    assert caught.value.status == 200


def test_json_that_is_not_a_characterization_is_a_calibration_error() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json={"id": "x", "backend": ARIA, "qubits": "many"})

    with IonQClient("key", "https://api.example/v0.3",
                    transport=httpx.MockTransport(handler)) as ionq, \
            pytest.raises(qtargets.CalibrationError, match="qubits"):
        ionq.calibration(ARIA)


def test_retry_after_http_date_is_understood() -> None:
    calls: list[float] = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(time.monotonic())
        if len(calls) == 1:
            return httpx.Response(429, headers={"Retry-After": "Wed, 21 Oct 2015 07:28:00 GMT"})
        return httpx.Response(200, json=[])

    with IonQClient("key", "https://api.example/v0.3", retry_after_max=0.3,
                    transport=httpx.MockTransport(handler)) as ionq:
        assert ionq.backends() == []
    assert len(calls) == 2
    assert calls[1] - calls[0] < 0.3  # a date in the past means "now"


# -- async -------------------------------------------------------------------------------------


def test_async_client_does_the_same_core_calls(server: FakeVendorServer) -> None:
    async def run() -> dict[str, Any]:
        async with AsyncIonQClient(server.ionq_api_key, server.ionq_v03_url, **FAST) as ionq:
            server.inject(CURRENT, Fault.status(503), times=2)
            current = await ionq.current_characterization(ARIA)
            older = await ionq.characterization(server.ionq[ARIA][2]["id"])
            history = await ionq.characterizations(ARIA, limit=10)
            backends = await ionq.backends()
            now = await ionq.calibration(ARIA)
            then = await ionq.calibration(ARIA, at=IONQ_NEWEST - timedelta(hours=30))
            server.inject(CURRENT, Fault.drop())
            again = await ionq.current_characterization(ARIA)
            return {"current": current, "older": older, "history": history,
                    "backends": backends, "now": now, "then": then, "again": again}

    out = asyncio.run(run())
    assert out["current"] == out["again"] == server.ionq[ARIA][0]
    assert out["older"] == server.ionq[ARIA][2]
    assert out["history"] == server.ionq[ARIA]
    assert len(out["backends"]) == len(server.ionq)
    assert out["now"].taken_at == IONQ_NEWEST
    assert out["then"].taken_at == IONQ_NEWEST - timedelta(days=2)


def test_async_errors_match_the_sync_ones(server: FakeVendorServer) -> None:
    async def run() -> None:
        async with AsyncIonQClient("wrong", server.ionq_v03_url, **FAST) as ionq:
            with pytest.raises(AuthenticationError):
                await ionq.backends()
        async with AsyncIonQClient(server.ionq_api_key, server.ionq_v03_url, **FAST) as ionq:
            with pytest.raises(NotFoundError):
                await ionq.current_characterization("qpu.nowhere")
            server.inject(CURRENT, Fault.status(503), times=None)
            with pytest.raises(ApiError, match="503"):
                await ionq.current_characterization(ARIA)
            with pytest.raises(ValueError, match="limit"):
                await ionq.characterizations(ARIA, limit=11)

    asyncio.run(run())


# -- secrets -----------------------------------------------------------------------------------


def test_the_api_key_never_leaks_into_reprs_errors_or_logs(
        server: FakeVendorServer, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    key = server.ionq_api_key
    texts: list[str] = []
    with IonQClient(key, server.ionq_v03_url, **FAST) as ionq:
        texts += [repr(ionq), str(ionq), repr(ionq.config), repr(ionq._auth)]
        assert "apiKey=***" in repr(ionq)
        server.inject(CURRENT, Fault.status(429, retry_after="0"))
        server.inject(CURRENT, Fault.drop())
        server.inject(CURRENT, Fault.status(503), times=None)
        with pytest.raises(ApiError) as api_error:
            ionq.current_characterization(ARIA)
        texts += [str(api_error.value), repr(api_error.value), repr(api_error.value.args)]
        server.clear_faults()
        server.inject(CURRENT, Fault.latency(1.0), times=None)
    with IonQClient(key, server.ionq_v03_url, timeout=0.1, retries=1,
                    backoff_base=0.01) as slow, pytest.raises(NetworkError) as network_error:
        slow.current_characterization(ARIA)
    texts += [str(network_error.value), repr(network_error.value)]

    async def run() -> str:
        async with AsyncIonQClient(key, server.ionq_v03_url, **FAST) as ionq:
            return repr(ionq)

    texts.append(asyncio.run(run()))
    texts += [record.getMessage() for record in caplog.records]
    texts.append(caplog.text)
    assert any("retry" in record.getMessage() for record in caplog.records)
    for text in texts:
        server.assert_no_secrets(text)


def test_a_key_echoed_in_an_error_body_is_redacted() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(400, text=f"bad header: {request.headers['Authorization']}")

    with IonQClient("canary-key-123", "https://api.example/v0.3",
                    transport=httpx.MockTransport(handler)) as ionq, \
            pytest.raises(ApiError) as caught:
        ionq.backends()
    assert "canary-key-123" not in str(caught.value)
    assert "apiKey ***" in str(caught.value)
    assert repr(ApiKeyAuth("canary-key-123", "apiKey")) == "ApiKeyAuth(apiKey=***)"
