"""What the IonQ clients send on API v0.4, where it differs from v0.3, over real sockets.

The behaviour both versions share (and the async client) is specified in test_ionq_client.py;
the sync and async clients run the same request flows, so the wire format is checked once.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from typing import Any

import httpx
import pytest

from apiserver import IONQ_NEWEST, FakeVendorServer
from qtargets._http import NotFoundError
from qtargets.ionq.api import AsyncIonQClient, IonQClient

ARIA = "qpu.aria-1"
FAST: dict[str, Any] = {"timeout": 2.0, "retries": 1, "backoff_base": 0.01, "backoff_max": 0.05}
V04_ROUTES = (r"/ionq/v0\.4/backends", r"/ionq/v0\.4/backends/[^/]+/characterizations",
              r"/ionq/v0\.4/backends/[^/]+/characterizations/[^/]+")


@pytest.fixture(scope="module")
def server() -> Iterator[FakeVendorServer]:
    with FakeVendorServer(ibm_backends=(), ionq_history=12) as running:
        yield running


@pytest.fixture
def ionq(server: FakeVendorServer) -> Iterator[IonQClient]:
    with IonQClient(server.ionq_api_key, server.ionq_v04_url, **FAST) as client:
        yield client


def sent_since(server: FakeVendorServer, before: int) -> list[tuple[str, dict[str, list[str]]]]:
    return [(r.path, r.query) for r in server.requests[before:]]


def test_every_method_uses_only_v04_routes_and_never_a_current_endpoint(
        server: FakeVendorServer, ionq: IonQClient) -> None:
    before = len(server.requests)
    ionq.backends()
    ionq.current_characterization(ARIA)
    ionq.characterization(server.ionq[ARIA][1]["id"], backend=ARIA)
    ionq.characterizations(ARIA, start=IONQ_NEWEST - timedelta(days=3))
    ionq.characterization_at(ARIA, IONQ_NEWEST - timedelta(days=2))
    ionq.newest_characterization_id(ARIA)
    paths = [path for path, _ in sent_since(server, before)]
    assert len(paths) == 6
    for path in paths:
        assert any(re.fullmatch(route, path) for route in V04_ROUTES), path


def test_by_id_is_looked_up_under_its_backend(
        server: FakeVendorServer, ionq: IonQClient) -> None:
    wanted = server.ionq[ARIA][2]
    before = len(server.requests)
    assert ionq.characterization(wanted["id"], backend=ARIA).id == wanted["id"]
    assert sent_since(server, before) == [
        (f"/ionq/v0.4/backends/{ARIA}/characterizations/{wanted['id']}", {})]


def test_by_id_without_a_backend_is_a_value_error_before_any_request(
        server: FakeVendorServer, ionq: IonQClient) -> None:
    some_id = server.ionq[ARIA][0]["id"]
    before = len(server.requests)
    with pytest.raises(ValueError, match="backend"):
        ionq.characterization(some_id)

    async def run() -> None:
        async with AsyncIonQClient(server.ionq_api_key, server.ionq_v04_url, **FAST) as aio:
            with pytest.raises(ValueError, match="backend"):
                await aio.characterization(some_id)

    asyncio.run(run())
    assert len(server.requests) == before


def test_v03_finds_by_id_without_a_backend(server: FakeVendorServer) -> None:
    wanted = server.ionq[ARIA][2]
    with IonQClient(server.ionq_api_key, server.ionq_v03_url, **FAST) as v03:
        assert v03.characterization(wanted["id"]).data == wanted


def test_the_current_characterization_is_the_first_of_a_one_item_list(
        server: FakeVendorServer, ionq: IonQClient) -> None:
    before = len(server.requests)
    assert ionq.current_characterization(ARIA).id == server.ionq[ARIA][0]["id"]
    assert sent_since(server, before) == [
        (f"/ionq/v0.4/backends/{ARIA}/characterizations", {"limit": ["1"], "page": ["1"]})]


def test_history_window_is_sent_as_iso_8601_utc(
        server: FakeVendorServer, ionq: IonQClient) -> None:
    plus_two = timezone(timedelta(hours=2))
    start = datetime(2025, 5, 27, 14, 0, tzinfo=plus_two)  # 12:00 UTC
    end = datetime(2025, 5, 30, 12, 0, 0, 250_000)  # naive: UTC
    before = len(server.requests)
    window = ionq.characterizations(ARIA, start=start, end=end)
    assert [c.data["date"] for c in window] == ["2025-05-30T12:00:00Z", "2025-05-29T12:00:00Z",
                                           "2025-05-28T12:00:00Z", "2025-05-27T12:00:00Z"]
    (_, query), = sent_since(server, before)
    assert query["start"] == ["2025-05-27T12:00:00Z"]
    assert query["end"] == ["2025-05-30T12:00:00.250Z"]


def test_newest_id_comes_from_backends_in_one_request(
        server: FakeVendorServer, ionq: IonQClient) -> None:
    before = len(server.requests)
    assert ionq.newest_characterization_id(ARIA) == server.ionq[ARIA][0]["id"]
    assert sent_since(server, before) == [("/ionq/v0.4/backends", {})]


def test_newest_id_falls_back_to_the_list_when_backends_names_none() -> None:
    asked: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        asked.append(f"{request.url.path}?{request.url.query.decode()}")
        if request.url.path.endswith("/backends"):
            return httpx.Response(200, json=[{"backend": ARIA, "status": "available"}])
        return httpx.Response(200, json={"characterizations": [{"id": "from-the-list"}],
                                         "pages": 1})

    with IonQClient("fake-key-0123456789", "https://api.example/v0.4",
                    transport=httpx.MockTransport(handler)) as ionq:
        assert ionq.newest_characterization_id(ARIA) == "from-the-list"
    assert asked == ["/v0.4/backends?",
                     f"/v0.4/backends/{ARIA}/characterizations?limit=1&page=1"]


def test_newest_id_of_a_backend_missing_from_backends_is_not_found(
        ionq: IonQClient) -> None:
    with pytest.raises(NotFoundError) as caught:
        ionq.newest_characterization_id("qpu.nowhere")
    assert caught.value.status == 404
