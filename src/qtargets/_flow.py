"""Request flows written once, run by a sync or an async HTTP client.

A flow is a generator that yields batches of GETs and receives their results, in order. The
sync driver sends a batch one request after another; the async driver sends it concurrently.
Writing each request sequence (paging, conditional requests) as a flow keeps the sync and
async REST clients from drifting apart: there is only one copy of it. A vendor's source layer
writes its fetches as flows too, and runs them on its REST client.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Awaitable, Coroutine, Generator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from ._http import AsyncHttpClient, HttpClient, HttpResult, Validators

__all__ = ["Flow", "Get", "gather_all", "run_flow", "run_flow_async", "run_sync"]

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


def run_sync(awaitable: Awaitable[_T]) -> _T:
    """Run ``awaitable`` to completion from sync code, even inside a running event loop
    (Jupyter): then in a worker thread with its own loop."""
    async def main() -> _T:
        return await awaitable

    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(main())
    box: dict[str, Any] = {}

    def work() -> None:
        try:
            box["value"] = asyncio.run(main())
        except BaseException as exc:  # re-raised in the caller's thread
            box["error"] = exc

    thread = threading.Thread(target=work, name="qtargets-fetch")
    thread.start()
    thread.join()
    if "error" in box:
        raise box["error"]
    value: _T = box["value"]
    return value


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
