"""Run an async client's methods from sync test code, so one test body covers both clients."""

from __future__ import annotations

import asyncio
import functools
import inspect
from typing import Any


class Blocking:
    """An async client (with ``async close()`` or ``aclose()``) called like its sync twin, on a
    loop of its own."""

    def __init__(self, client: Any) -> None:
        self.client = client
        self.loop = asyncio.new_event_loop()

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self.client, name)
        if not inspect.iscoroutinefunction(attr):
            return attr

        @functools.wraps(attr)
        def call(*args: Any, **kwargs: Any) -> Any:
            return self.loop.run_until_complete(attr(*args, **kwargs))

        return call

    def close(self) -> None:
        closer = getattr(self.client, "aclose", None) or self.client.close
        self.loop.run_until_complete(closer())
        self.loop.close()
