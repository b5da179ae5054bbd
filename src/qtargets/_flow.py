"""Request flows written once, run by a sync or an async HTTP client.

A flow is a generator that yields batches of GETs and receives their results, in order. The
sync driver sends a batch one request after another; the async driver sends it concurrently.
Writing the fetch logic (conditional requests, store lookups, conversions) as a flow keeps the
sync and async clients from drifting apart: there is only one copy of it.
"""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Coroutine, Generator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar
from urllib.parse import urlencode

from ._exceptions import ApiError
from ._http import AsyncHttpClient, HttpClient, HttpResult, Validators, decode_json
from .model import Calibration
from .store import CachedResponse, Snapshot

__all__ = ["Fetched", "Flow", "Get", "cache_key", "not_json", "run_flow", "run_flow_async"]

_T = TypeVar("_T")


@dataclass(frozen=True)
class Get:
    """One GET of a flow: a path relative to the client's base URL."""

    path: str
    params: Mapping[str, Any] | None = None
    validators: Validators | None = None


Flow = Generator[Sequence[Get], Sequence[HttpResult], _T]


def run_flow(http: HttpClient, flow: Flow[_T]) -> _T:
    """Drive ``flow`` with a sync client, one request at a time."""
    try:
        batch = next(flow)
        while True:
            batch = flow.send([http.get(g.path, g.params, g.validators) for g in batch])
    except StopIteration as done:
        return done.value  # type: ignore[no-any-return]
    finally:
        flow.close()


async def run_flow_async(http: AsyncHttpClient, flow: Flow[_T]) -> _T:
    """Drive ``flow`` with an async client, each batch's requests concurrently."""
    try:
        batch = next(flow)
        while True:
            batch = flow.send(await gather_all(
                [http.get(g.path, g.params, g.validators) for g in batch]))
    except StopIteration as done:
        return done.value  # type: ignore[no-any-return]
    finally:
        flow.close()


async def gather_all(coroutines: Sequence[Coroutine[Any, Any, _T]]) -> list[_T]:
    """All of ``coroutines`` concurrently; when one fails, the others are cancelled, not
    leaked (``asyncio.gather`` alone would leave them running)."""
    tasks = [asyncio.ensure_future(c) for c in coroutines]
    try:
        return list(await asyncio.gather(*tasks))
    except BaseException:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        raise


# -- what a calibration fetch returns, and how bodies are remembered ------------------------------


@dataclass(frozen=True)
class Fetched:
    """A calibration fetched (or found unchanged) and, with a store, its snapshot there."""

    calibration: Calibration
    snapshot: Snapshot | None
    not_modified: bool
    """True when the server confirmed the stored calibration is current (nothing downloaded)."""


def cache_key(vendor: str, scope: str, url: str, params: Mapping[str, Any] | None) -> str:
    """The store key of a request: vendor, a hash of whose view it is, URL and sorted query.

    ``scope`` (an instance CRN, an API key) is hashed, so no credential is ever written.
    """
    query = urlencode(sorted((k, str(v)) for k, v in (params or {}).items()))
    digest = hashlib.sha256(scope.encode()).hexdigest()[:16]
    return f"{vendor} {digest} GET {url}" + (f"?{query}" if query else "")


def validators_of(cached: CachedResponse | None) -> Validators | None:
    if cached is None:
        return None
    validators = Validators(cached.etag, cached.last_modified)
    return validators or None


def body_of(result: HttpResult, cached: CachedResponse | None) -> bytes:
    """The current body: the downloaded one, or the remembered one after a 304."""
    if not result.not_modified:
        return result.body
    if cached is None:  # we sent no validators, so a 304 is the server's mistake
        raise ApiError(f"GET {result.url} answered 304 Not Modified to an unconditional "
                       f"request", status=304, url=result.url)
    return cached.body


def not_json(url: str, bodies: Sequence[bytes]) -> ApiError | None:
    """An :class:`ApiError` if one of ``bodies`` is not JSON at all (the HTTP contract broken,
    e.g. a proxy's HTML page), else ``None``: then a conversion error is the data's fault.

    Called only after a conversion failed, so valid bodies are never parsed twice.
    """
    for body in bodies:
        try:
            decode_json(HttpResult(url, body, Validators()))
        except ApiError as exc:
            return exc
    return None
