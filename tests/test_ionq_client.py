"""The IonQ REST clients, end to end over real sockets against the fake vendor server.

What a client does (current, by id, history, time travel, newest id, 401, 404) is specified
once and run on IonQ API v0.3 and v0.4, through the sync client and the async one; what the
source layer makes of the bodies (:func:`qtargets.ionq.source.convert`) with it. How the
HTTP layer under both versions copes with faults, and the secrets rules, are run on v0.3.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
import time
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Protocol

import httpx
import pytest

import qtargets
from apiserver import IONQ_NEWEST, FakeVendorServer, Fault, _ionq_v04
from blocking import Blocking
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
from qtargets.ionq.api import AsyncIonQClient, CharacterizationBody, IonQClient
from qtargets.ionq.source import IonQSource, convert
from qtargets.store import CalibrationStore

ARIA = "qpu.aria-1"
FORTE = "qpu.forte-1"
HARMONY = "qpu.harmony"
CURRENT = r"/v0.3/characterizations/backends/qpu.aria-1/current$"
LIST = r"/v0.3/characterizations/backends/qpu.aria-1$"
FAST: dict[str, Any] = {"timeout": 2.0, "retries": 3, "backoff_base": 0.01, "backoff_max": 0.05,
        "retry_after_max": 0.3}
VERSIONS = ("v0.3", "v0.4")
CLIENT_CLASSES = (IonQClient, AsyncIonQClient)


class Client(Protocol):
    """What :class:`IonQClient` offers, and :class:`Blocking` makes of the async client."""

    api_version: str

    def backends(self) -> list[Any]: ...
    def current_characterization(self, backend: str) -> CharacterizationBody: ...
    def characterization(self, characterization_id: str,
                         backend: str | None = None) -> CharacterizationBody: ...
    def characterizations(self, backend: str, start: datetime | None = None,
                          end: datetime | None = None, limit: int = 10
                          ) -> list[CharacterizationBody]: ...
    def characterization_at(self, backend: str, at: datetime) -> CharacterizationBody: ...
    def newest_characterization_id(self, backend: str) -> str | None: ...
    def close(self) -> None: ...


Connect = Callable[..., Client]


@pytest.fixture(scope="module")
def server() -> Iterator[FakeVendorServer]:
    with FakeVendorServer(ibm_backends=(), ionq_history=25) as running:
        yield running


@pytest.fixture(autouse=True)
def _no_leftover_faults(server: FakeVendorServer) -> Iterator[None]:
    yield
    server.clear_faults()
    server.default_latency = 0.0


@pytest.fixture(params=["sync", "async"])
def connect(request: pytest.FixtureRequest) -> Iterator[Connect]:
    """Open a client (sync or async, per the parameter) with fast retries; closed after."""
    opened: list[Client] = []

    def open_client(api_key: str, base_url: str, **options: Any) -> Client:
        options = FAST | options
        client: Client = (IonQClient(api_key, base_url, **options) if request.param == "sync"
                          else Blocking(AsyncIonQClient(api_key, base_url, **options)))
        opened.append(client)
        return client

    yield open_client
    for client in opened:
        client.close()


@pytest.fixture(params=VERSIONS)
def version(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def ionq_server(*backends: str, **options: Any) -> FakeVendorServer:
    """A server of its own (for tests that change its data), IonQ only: quick to start."""
    return FakeVendorServer(ibm_backends=(), ionq_backends=backends, **options)


def url_of(server: FakeVendorServer, version: str) -> str:
    return server.ionq_v03_url if version == "v0.3" else server.ionq_v04_url


@pytest.fixture
def ionq(server: FakeVendorServer, version: str, connect: Connect) -> Client:
    """A client of the module's server, on every API version, sync and async."""
    return connect(server.ionq_api_key, url_of(server, version))


@pytest.fixture
def client(server: FakeVendorServer) -> Iterator[IonQClient]:
    """The sync v0.3 client, for what the HTTP layer does under every version."""
    with IonQClient(server.ionq_api_key, server.ionq_v03_url, **FAST) as ionq:
        yield ionq


def list_pattern(version: str, backend: str = ARIA) -> str:
    """The path regex of ``backend``'s characterization list in ``version``."""
    name = re.escape(backend)
    if version == "v0.3":
        return rf"/v0\.3/characterizations/backends/{name}$"
    return rf"/v0\.4/backends/{name}/characterizations$"


def served(version: str, characterization: dict[str, Any]) -> dict[str, Any]:
    """``characterization`` as the server sends it in ``version`` (v0.4: ISO ``date``)."""
    return characterization if version == "v0.3" else _ionq_v04(characterization)


def calibration(ionq: Client, backend: str, at: datetime | None = None
                ) -> qtargets.Calibration:
    """What the source layer makes of the characterization in force (now, or at ``at``)."""
    return convert(ionq.current_characterization(backend) if at is None
                   else ionq.characterization_at(backend, at))


def count(server: FakeVendorServer, pattern: str) -> int:
    return len(server.requests_to(pattern))


def epoch(moment: datetime) -> int:
    return int(moment.timestamp())


def taken(characterization: dict[str, Any]) -> datetime:
    return datetime.fromtimestamp(characterization["date"], timezone.utc)


# -- what a client does, on v0.3 and v0.4, sync and async -------------------------------------


def test_current_characterization_is_the_newest(
        server: FakeVendorServer, version: str, ionq: Client) -> None:
    assert ionq.api_version == version
    assert ionq.current_characterization(ARIA).data == served(version, server.ionq[ARIA][0])


def test_characterization_is_found_by_id_and_backend(
        server: FakeVendorServer, version: str, ionq: Client) -> None:
    older = server.ionq[ARIA][3]
    assert ionq.characterization(older["id"], backend=ARIA).data == served(version, older)


def test_characterization_of_another_backend_is_not_found(
        server: FakeVendorServer, ionq: Client) -> None:
    with pytest.raises(NotFoundError):
        ionq.characterization(server.ionq[FORTE][0]["id"], backend=ARIA)


def test_unknown_characterization_id_is_not_found(ionq: Client) -> None:
    with pytest.raises(NotFoundError) as caught:
        ionq.characterization("no-such-id", backend=ARIA)
    assert caught.value.status == 404


def test_requests_carry_the_api_key_header(server: FakeVendorServer, ionq: Client) -> None:
    before = len(server.requests)
    ionq.current_characterization(ARIA)
    sent = server.requests[before:]
    assert sent
    for request in sent:
        assert request.headers["Authorization"] == f"apiKey {server.ionq_api_key}"
        assert request.headers["User-Agent"].startswith("qtargets/")


def test_history_follows_every_page_newest_first(
        server: FakeVendorServer, version: str, ionq: Client) -> None:
    before = count(server, list_pattern(version))
    history = ionq.characterizations(ARIA, limit=4)
    # all 25, in the server's (newest first) order
    assert [c.data for c in history] == [served(version, c) for c in server.ionq[ARIA]]
    assert count(server, list_pattern(version)) - before == 7  # ceil(25 / 4) pages, no more


def test_history_window_is_start_inclusive_end_exclusive(
        server: FakeVendorServer, ionq: Client) -> None:
    start, end = IONQ_NEWEST - timedelta(days=5), IONQ_NEWEST - timedelta(days=2)
    window = ionq.characterizations(ARIA, start=start, end=end)
    assert [c.id for c in window] == [server.ionq[ARIA][age]["id"] for age in (3, 4, 5)]


@pytest.mark.parametrize("limit", [0, 11])
def test_page_size_outside_1_to_10_is_a_value_error_before_any_request(
        server: FakeVendorServer, ionq: Client, limit: int) -> None:
    before = len(server.requests)
    with pytest.raises(ValueError, match="limit must be between 1 and 10"):
        ionq.characterizations(ARIA, limit=limit)
    assert len(server.requests) == before


def test_backends_lists_every_ionq_backend(server: FakeVendorServer, ionq: Client) -> None:
    assert [b.backend for b in ionq.backends()] == list(server.ionq)


def test_calibration_is_the_current_characterization_with_provenance(
        server: FakeVendorServer, version: str, ionq: Client) -> None:
    before = datetime.now(timezone.utc)
    cal = calibration(ionq, ARIA)
    assert isinstance(cal, qtargets.Calibration)
    assert cal.backend_name == ARIA
    assert cal.num_qubits == 25
    assert cal.taken_at == IONQ_NEWEST
    expected = {  # the URL the characterization was read from
        "v0.3": f"{server.ionq_v03_url}/characterizations/backends/{ARIA}/current",
        "v0.4": f"{server.ionq_v04_url}/backends/{ARIA}/characterizations?limit=1&page=1",
    }[version]
    assert cal.provenance.source == expected
    assert cal.provenance.retrieved_at is not None
    assert before <= cal.provenance.retrieved_at <= datetime.now(timezone.utc)
    qis = qtargets.ionq.to_calibration(ionq.current_characterization(ARIA).body, gateset="qis")
    assert {i.name for i in qis.instructions} >= {"cx"}


def test_time_travel_is_the_newest_taken_at_or_before_and_never_newer(
        server: FakeVendorServer, ionq: Client) -> None:
    dates = [taken(c) for c in server.ionq[ARIA]]
    instants = [
        IONQ_NEWEST + timedelta(days=1),  # in the future: the current one
        IONQ_NEWEST,
        IONQ_NEWEST - timedelta(days=2, hours=5),  # between two
        IONQ_NEWEST - timedelta(days=4),  # exactly at one
        IONQ_NEWEST - timedelta(days=4, microseconds=1),  # just before it: the previous one
        IONQ_NEWEST - timedelta(days=4) + timedelta(microseconds=999),  # within its millisecond
        IONQ_NEWEST - timedelta(days=4, seconds=1),
        dates[-1],  # the oldest
    ]
    for at in instants:
        expected = max(d for d in dates if d <= at)
        taken_at = calibration(ionq, ARIA, at=at).taken_at
        assert taken_at is not None
        assert taken_at <= at, at
        assert taken_at == expected, at


def test_time_travel_takes_naive_datetimes_as_utc(ionq: Client) -> None:
    naive = (IONQ_NEWEST - timedelta(days=1)).replace(tzinfo=None)
    assert calibration(ionq, ARIA, at=naive).taken_at == IONQ_NEWEST - timedelta(days=1)


def test_time_travel_asks_for_one_characterization_before_end(
        server: FakeVendorServer, version: str, ionq: Client) -> None:
    at = IONQ_NEWEST - timedelta(days=1)
    cal = calibration(ionq, ARIA, at=at)
    query = server.requests_to(list_pattern(version))[-1].query
    assert query["limit"] == ["1"]
    # 1 ms past ``at``: ``end`` is exclusive, and a characterization taken at ``at`` counts.
    end = {"v0.3": str(epoch(at) * 1000 + 1), "v0.4": "2025-05-31T12:00:00.001Z"}[version]
    assert query["end"] == [end]
    assert cal.provenance.source.endswith(f"?limit=1&page=1&end={end}")


def test_time_travel_before_the_first_characterization_is_not_found(ionq: Client) -> None:
    with pytest.raises(NotFoundError, match="at or before"):
        calibration(ionq, ARIA, at=datetime(2020, 1, 1, tzinfo=timezone.utc))


def test_time_travel_never_returns_newer_even_if_the_server_ignores_end(
        version: str, connect: Connect) -> None:
    at = IONQ_NEWEST - timedelta(days=1)
    newer = {"id": "newer", "backend": ARIA, "date": epoch(IONQ_NEWEST), "qubits": 2,
             "fidelity": {"spam": {"mean": 0.99}}}

    def ignore_end(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json={"characterizations": [newer], "pages": 1})

    ionq = connect("fake-key-0123456789", f"https://api.example/{version}",
                   transport=httpx.MockTransport(ignore_end))
    with pytest.raises(NotFoundError, match="at or before"):
        calibration(ionq, ARIA, at=at)


def test_newest_characterization_id_is_the_current_ones_in_one_request(
        server: FakeVendorServer, ionq: Client) -> None:
    before = len(server.requests)
    assert ionq.newest_characterization_id(ARIA) == server.ionq[ARIA][0]["id"]
    assert len(server.requests) - before == 1


def test_newest_characterization_id_changes_when_a_new_characterization_arrives(
        version: str, connect: Connect) -> None:
    with ionq_server(ARIA, ionq_history=3) as fresh:
        ionq = connect(fresh.ionq_api_key, url_of(fresh, version))
        seen = ionq.newest_characterization_id(ARIA)
        assert ionq.newest_characterization_id(ARIA) == seen  # unchanged: nothing to fetch
        arrived = dict(fresh.ionq[ARIA][0], id="arrived",
                       date=epoch(IONQ_NEWEST + timedelta(hours=6)))
        fresh.ionq[ARIA].insert(0, arrived)
        assert ionq.newest_characterization_id(ARIA) == "arrived"
        assert ionq.current_characterization(ARIA).id == "arrived"
        assert calibration(ionq, ARIA).taken_at == IONQ_NEWEST + timedelta(hours=6)


def test_a_backend_without_characterizations_has_no_newest_and_no_current(
        version: str, connect: Connect) -> None:
    with ionq_server(ARIA, HARMONY, ionq_history=3) as fresh:
        fresh.ionq[HARMONY].clear()
        ionq = connect(fresh.ionq_api_key, url_of(fresh, version))
        assert ionq.newest_characterization_id(HARMONY) is None
        assert ionq.characterizations(HARMONY) == []
        with pytest.raises(NotFoundError):
            ionq.current_characterization(HARMONY)
        with pytest.raises(NotFoundError):
            calibration(ionq, HARMONY)


def test_each_characterization_keeps_the_exact_bytes_the_server_sent(
        server: FakeVendorServer, version: str, ionq: Client) -> None:
    first_page = ionq.characterizations(ARIA, limit=10)[:10]
    sent = httpx.get(first_page[0].url, headers=server.ionq_headers()).content
    for found in first_page:  # each entry's own bytes, cut from the page as received
        assert found.body in sent
        assert json.loads(found.body) == found.data
    current = ionq.current_characterization(ARIA)
    sent = httpx.get(current.url, headers=server.ionq_headers()).content
    assert current.body in sent
    if version == "v0.3":  # a whole response: byte for byte
        assert current.body == sent


def test_the_source_stores_the_bytes_as_received_not_re_encoded(
        server: FakeVendorServer, version: str, tmp_path: Path) -> None:
    source = Blocking(IonQSource(AsyncIonQClient(server.ionq_api_key, url_of(server, version),
                                                 **FAST)))
    try:
        with CalibrationStore(tmp_path / "s.sqlite3") as store:
            fetched = source.fetch(ARIA, None, store)
            assert fetched.snapshot is not None
            raw = store.raw(fetched.snapshot)["characterization"]
            direct = IonQClient(server.ionq_api_key, url_of(server, version), **FAST)
            with direct:
                assert raw == direct.current_characterization(ARIA).body
            assert source.fetch(ARIA, None, store).not_modified  # known by its id
    finally:
        source.close()


@pytest.mark.parametrize(("pages", "requests"), [("total", 3), ("remaining", 2)])
def test_paging_ends_whether_pages_counts_all_or_the_remaining_ones(
        version: str, connect: Connect, pages: Any, requests: int) -> None:
    with ionq_server(ARIA, ionq_history=6, ionq_pages=pages) as fresh:
        ionq = connect(fresh.ionq_api_key, url_of(fresh, version))
        history = ionq.characterizations(ARIA, limit=3)
        assert [c.id for c in history] == [c["id"] for c in fresh.ionq[ARIA]]
        # "total" never says 0, so only the empty third page ends it
        assert count(fresh, list_pattern(version)) == requests


CALLS: dict[str, Callable[[Client, str], Any]] = {
    "backends": lambda c, b: c.backends(),
    "current_characterization": lambda c, b: c.current_characterization(b),
    "characterization": lambda c, b: c.characterization("some-id", backend=b),
    "characterizations": lambda c, b: c.characterizations(b),
    "characterization_at": lambda c, b: c.characterization_at(b, IONQ_NEWEST),
    "newest_characterization_id": lambda c, b: c.newest_characterization_id(b),
}


@pytest.mark.parametrize("call", CALLS.values(), ids=CALLS.keys())
def test_wrong_key_is_an_authentication_error(
        server: FakeVendorServer, version: str, connect: Connect,
        call: Callable[[Client, str], Any]) -> None:
    ionq = connect("not-the-key-0123456789", url_of(server, version))
    with pytest.raises(AuthenticationError) as caught:
        call(ionq, ARIA)
    assert caught.value.status == 401
    assert "Invalid key provided" in str(caught.value)
    assert "not-the-key-0123456789" not in str(caught.value)


# By id, v0.3 names no backend in the path: see test_characterization_of_another_backend...
BACKEND_PATH_CALLS = {k: v for k, v in CALLS.items() if k not in ("backends", "characterization")}


@pytest.mark.parametrize("call", BACKEND_PATH_CALLS.values(), ids=BACKEND_PATH_CALLS.keys())
def test_unknown_backend_is_not_found(
        ionq: Client, call: Callable[[Client, str], Any]) -> None:
    with pytest.raises(NotFoundError) as caught:
        call(ionq, "qpu.nowhere")
    assert caught.value.status == 404
    assert "qpu.nowhere" in caught.value.url


def test_transient_faults_are_retried_on_either_version(
        server: FakeVendorServer, version: str, ionq: Client) -> None:
    pattern = CURRENT if version == "v0.3" else list_pattern(version)
    server.inject(pattern, Fault.status(503), times=2)
    server.inject(pattern, Fault.drop())
    assert ionq.current_characterization(ARIA).id == server.ionq[ARIA][0]["id"]


# -- choosing the API version ------------------------------------------------------------------


def refuse(request: httpx.Request) -> httpx.Response:
    raise AssertionError("no request may be sent")


def close(client: IonQClient | AsyncIonQClient) -> None:
    if isinstance(client, AsyncIonQClient):
        asyncio.run(client.close())
    else:
        client.close()


@pytest.mark.parametrize("cls", CLIENT_CLASSES)
@pytest.mark.parametrize(("url", "version"), [
    ("https://api.ionq.co/v0.3", "v0.3"), ("https://api.ionq.co/v0.4", "v0.4"),
    ("https://api.ionq.co/v0.4/", "v0.4"), ("http://127.0.0.1:8000/ionq/v0.3", "v0.3")])
def test_api_version_is_the_base_urls_last_segment(
        cls: type[IonQClient | AsyncIonQClient], url: str, version: str) -> None:
    ionq = cls("fake-key-0123456789", url)
    assert ionq.api_version == version
    close(ionq)


@pytest.mark.parametrize("cls", CLIENT_CLASSES)
def test_api_version_alone_picks_ionqs_url_for_it(
        cls: type[IonQClient | AsyncIonQClient], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("QTARGETS_IONQ_API_URL", raising=False)
    ionq = cls("fake-key-0123456789", api_version="v0.4")
    assert ionq.config.base_url == "https://api.ionq.co/v0.4"
    assert ionq.api_version == "v0.4"
    close(ionq)


@pytest.mark.parametrize("cls", CLIENT_CLASSES)
@pytest.mark.parametrize("url", ["https://proxy.example/ionq", "https://api.ionq.co",
                                 "https://api.ionq.co/v0.5", "http://127.0.0.1:9"])
def test_a_url_naming_no_version_without_api_version_is_a_value_error_naming_it(
        cls: type[IonQClient], url: str) -> None:
    with pytest.raises(ValueError, match=re.escape(repr(url))):
        cls("fake-key-0123456789", url, transport=httpx.MockTransport(refuse))


def test_a_url_naming_no_version_from_the_environment_is_a_value_error_naming_it(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("QTARGETS_IONQ_API_URL", "https://proxy.example/ionq")
    with pytest.raises(ValueError, match=re.escape("'https://proxy.example/ionq'")):
        IonQClient("fake-key-0123456789", transport=httpx.MockTransport(refuse))


@pytest.mark.parametrize("cls", CLIENT_CLASSES)
def test_api_version_contradicting_the_url_is_a_value_error(
        cls: type[IonQClient]) -> None:
    with pytest.raises(ValueError, match="contradicts"):
        cls("fake-key-0123456789", "https://api.ionq.co/v0.3", api_version="v0.4",
            transport=httpx.MockTransport(refuse))


def test_an_unknown_api_version_is_a_value_error() -> None:
    with pytest.raises(ValueError, match=r"api_version must be one of v0\.3, v0\.4"):
        IonQClient("fake-key-0123456789", "https://proxy.example/ionq", api_version="v0.5",  # type: ignore[arg-type]
                   transport=httpx.MockTransport(refuse))


@pytest.mark.parametrize(("version", "path"), [
    ("v0.3", "/ionq/characterizations/backends/qpu.aria-1"),
    ("v0.4", "/ionq/backends/qpu.aria-1/characterizations")])
def test_api_version_serves_a_url_that_names_none(version: Any, path: str) -> None:
    seen: list[httpx.URL] = []

    def record(request: httpx.Request) -> httpx.Response:
        seen.append(request.url)
        return httpx.Response(200, json={"characterizations": [], "pages": 0})

    with IonQClient("fake-key-0123456789", "https://proxy.example/ionq", api_version=version,
                    transport=httpx.MockTransport(record)) as ionq:
        assert ionq.characterizations(ARIA) == []
    assert [u.path for u in seen] == [path]


# -- configuration -----------------------------------------------------------------------------


def test_key_and_url_come_from_the_environment(
        server: FakeVendorServer, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("IONQ_API_KEY", server.ionq_api_key)
    monkeypatch.setenv("QTARGETS_IONQ_API_URL", server.ionq_v03_url)
    with IonQClient() as ionq:
        assert ionq.config.base_url == server.ionq_v03_url
        assert ionq.current_characterization(ARIA).data["backend"] == ARIA


def test_default_url_is_ionq_v03(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("QTARGETS_IONQ_API_URL", raising=False)
    with IonQClient("some-key-0123456789") as ionq:
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
        IonQClient("fake-key-0123456789", url, transport=httpx.MockTransport(refuse))


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


# -- what the HTTP layer does, under either version ------------------------------------------------


def test_429_is_retried_after_retry_after_capped(
        server: FakeVendorServer, client: IonQClient) -> None:
    server.inject(CURRENT, Fault.status(429, retry_after="30"))
    before = count(server, CURRENT)
    started = time.monotonic()
    assert client.current_characterization(ARIA).data["backend"] == ARIA
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
    assert client.current_characterization(ARIA).data["backend"] == ARIA
    assert count(server, CURRENT) - before == 3


@pytest.mark.parametrize("fault", [Fault.drop(), Fault.truncate(), Fault.status(502),
                                   Fault.status(504)], ids=lambda f: f"{f.kind}{f.code}")
def test_transient_fault_then_success(
        server: FakeVendorServer, client: IonQClient, fault: Fault) -> None:
    server.inject(CURRENT, fault)
    assert client.current_characterization(ARIA).data == server.ionq[ARIA][0]


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
    with IonQClient("fake-key-0123456789", "http://127.0.0.1:9/v0.3", retries=1, backoff_base=0.01,
                    timeout=1.0) as ionq, pytest.raises(NetworkError, match="ConnectError"):
        ionq.backends()


def test_malformed_json_is_an_api_error(server: FakeVendorServer, client: IonQClient) -> None:
    # The HTTP contract (a JSON body) is broken: ApiError, not a calibration problem.
    server.inject(CURRENT, Fault.malformed())
    with pytest.raises(ApiError, match="not JSON") as caught:
        calibration(client, ARIA)
    assert caught.value.status == 200


def test_json_that_is_not_a_characterization_is_a_calibration_error() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json={"id": "x", "backend": ARIA, "qubits": "many"})

    with IonQClient("fake-key-0123456789", "https://api.example/v0.3",
                    transport=httpx.MockTransport(handler)) as ionq, \
            pytest.raises(qtargets.CalibrationError, match="qubits"):
        calibration(ionq, ARIA)


def test_retry_after_http_date_is_understood() -> None:
    calls: list[float] = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(time.monotonic())
        if len(calls) == 1:
            return httpx.Response(429, headers={"Retry-After": "Wed, 21 Oct 2015 07:28:00 GMT"})
        return httpx.Response(200, json=[])

    with IonQClient("fake-key-0123456789", "https://api.example/v0.3", retry_after_max=0.3,
                    transport=httpx.MockTransport(handler)) as ionq:
        assert ionq.backends() == []
    assert len(calls) == 2
    assert calls[1] - calls[0] < 0.3  # a date in the past means "now"


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

    with IonQClient("canary-key-0123456789", "https://api.example/v0.3",
                    transport=httpx.MockTransport(handler)) as ionq, \
            pytest.raises(ApiError) as caught:
        ionq.backends()
    assert "canary-key-0123456789" not in str(caught.value)
    assert "apiKey ***" in str(caught.value)
    assert repr(ApiKeyAuth("canary-key-0123456789", "apiKey")) == "ApiKeyAuth(apiKey=***)"


@pytest.mark.parametrize("version", ["v0.3", "v0.4"])
def test_a_characterization_of_another_device_is_refused(version: str) -> None:
    # the API answering Forte's characterization for Aria: stored as Aria's, it would be used
    body = {"id": "c1", "backend": "qpu.forte-1", "date": 1700000000, "qubits": 36}

    def handler(request: httpx.Request) -> httpx.Response:
        if version == "v0.3":
            return httpx.Response(200, json=body)
        return httpx.Response(200, json={"characterizations": [body], "pages": 1})

    with IonQClient("fake-key-0123456789", f"https://api.example/{version}",
                    transport=httpx.MockTransport(handler)) as ionq, \
            pytest.raises(ApiError, match=r"characterization of 'qpu\.forte-1' for backend "
                                          r"'qpu\.aria-1'"):
        ionq.current_characterization(ARIA)
