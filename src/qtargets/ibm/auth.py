"""IBM Cloud IAM: an API key is exchanged for a short-lived bearer token, used until near expiry.

Tokens are cached per process (keyed by IAM URL and a hash of the key, never the key itself),
so every client and every ``qtargets.target`` call in a process shares one token. Concurrent
callers (threads, or coroutines of one event loop) wait for a single exchange. A token is
refreshed when less than a tenth of its life (at most five minutes) is left, and exchanged
again at once if the API answers 401 to it (revoked early).

Tokens are secrets too: they never leave memory, and are redacted like the key.
"""

from __future__ import annotations

import asyncio
import hashlib
import threading
import time
from collections.abc import AsyncGenerator, Generator
from dataclasses import dataclass
from typing import Any

import httpx

from .._exceptions import ApiError, AuthenticationError
from .._http import AsyncHttpClient, HttpClient, HttpConfig, decode_json

__all__ = ["IAM_GRANT_TYPE", "IAMAuth", "clear_token_cache"]

IAM_GRANT_TYPE = "urn:ibm:params:oauth:grant-type:apikey"
TOKEN_PATH = "identity/token"
MAX_REFRESH_MARGIN = 300.0


@dataclass(frozen=True)
class _Token:
    value: str
    refresh_at: float  # time.time() after which a new token is fetched


class _TokenCache:
    """Process-wide tokens by (IAM URL, key hash), with one lock per entry."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._tokens: dict[tuple[str, str], _Token] = {}
        self._thread_locks: dict[tuple[str, str], threading.Lock] = {}
        self._loop_locks: dict[tuple[int, tuple[str, str]], asyncio.Lock] = {}

    def get(self, slot: tuple[str, str]) -> _Token | None:
        with self._lock:
            token = self._tokens.get(slot)
        return token if token is not None and time.time() < token.refresh_at else None

    def put(self, slot: tuple[str, str], token: _Token) -> None:
        with self._lock:
            self._tokens[slot] = token

    def drop(self, slot: tuple[str, str], value: str) -> None:
        """Forget ``value`` (rejected by the API), unless another caller already replaced it."""
        with self._lock:
            token = self._tokens.get(slot)
            if token is not None and token.value == value:
                del self._tokens[slot]

    def thread_lock(self, slot: tuple[str, str]) -> threading.Lock:
        with self._lock:
            return self._thread_locks.setdefault(slot, threading.Lock())

    def loop_lock(self, slot: tuple[str, str]) -> asyncio.Lock:
        loop_id = id(asyncio.get_running_loop())
        with self._lock:
            # A lock per event loop: asyncio locks can't be shared across loops.
            return self._loop_locks.setdefault((loop_id, slot), asyncio.Lock())

    def clear(self) -> None:
        with self._lock:
            self._tokens.clear()
            self._loop_locks.clear()


_CACHE = _TokenCache()


def clear_token_cache() -> None:
    """Forget every cached IAM token of this process (e.g. after rotating a key)."""
    _CACHE.clear()


def _refresh_at(now: float, body: dict[str, Any]) -> float:
    expires_in = body.get("expires_in")
    expiration = body.get("expiration")
    if isinstance(expires_in, (int, float)) and not isinstance(expires_in, bool):
        life = float(expires_in)
    elif isinstance(expiration, (int, float)) and not isinstance(expiration, bool):
        life = float(expiration) - now
    else:
        life = 3600.0  # IAM's documented lifetime
    return now + life - min(MAX_REFRESH_MARGIN, max(life, 0.0) / 10)


class IAMAuth(httpx.Auth):
    """``httpx`` auth for IBM Quantum: ``Authorization: Bearer <IAM token>``.

    ``config`` describes the IAM endpoint (base URL, timeouts, retries). ``transport`` and
    ``async_transport`` are for tests.
    """

    def __init__(self, api_key: str, config: HttpConfig, *,
                 transport: httpx.BaseTransport | None = None,
                 async_transport: httpx.AsyncBaseTransport | None = None) -> None:
        self._key = api_key
        self._config = config
        self._slot = (config.base_url, hashlib.sha256(api_key.encode()).hexdigest())
        self._transport = transport
        self._async_transport = async_transport
        self._issued: set[str] = set()  # tokens this auth saw, to redact them

    @property
    def secrets(self) -> tuple[str, ...]:
        return (self._key, *self._issued)

    def __repr__(self) -> str:
        return f"IAMAuth(iam={self._config.base_url!r}, apikey=***)"

    # -- the exchange -----------------------------------------------------------------------

    def _form(self) -> dict[str, str]:
        return {"grant_type": IAM_GRANT_TYPE, "apikey": self._key}

    def _token_from(self, response: httpx.Response, now: float) -> _Token:
        body = decode_json(response, self.secrets)
        value = body.get("access_token") if isinstance(body, dict) else None
        if not isinstance(value, str) or not value:
            raise ApiError(f"IBM Cloud IAM at {self._config.base_url} answered without an "
                           f"access_token", status=response.status_code,
                           url=f"{self._config.base_url}/{TOKEN_PATH}")
        self._issued.add(value)
        return _Token(value, _refresh_at(now, body))

    def _rejected(self, exc: ApiError) -> BaseException:
        """IAM says 400 BXNIM0415E ("API key could not be found") for a wrong key."""
        if exc.status == 400 and "BXNIM0415E" in exc.body:
            return AuthenticationError(
                f"IBM Cloud IAM rejected the API key (BXNIM0415E: not found); check "
                f"QISKIT_IBM_TOKEN / the account in use ({exc.url})",
                status=400, url=exc.url, body=exc.body)
        return exc

    def _exchange(self) -> _Token:
        with _CACHE.thread_lock(self._slot):
            cached = _CACHE.get(self._slot)  # someone else may have just exchanged
            if cached is not None:
                self._issued.add(cached.value)
                return cached
            now = time.time()
            iam = HttpClient(self._config, secrets=(self._key,), transport=self._transport)
            try:
                response = iam.request("POST", TOKEN_PATH, data=self._form(), idempotent=True)
            except ApiError as exc:
                raise self._rejected(exc) from None
            finally:
                iam.close()
            token = self._token_from(response, now)
            _CACHE.put(self._slot, token)
            return token

    async def _exchange_async(self) -> _Token:
        async with _CACHE.loop_lock(self._slot):
            cached = _CACHE.get(self._slot)
            if cached is not None:
                self._issued.add(cached.value)
                return cached
            now = time.time()
            iam = AsyncHttpClient(self._config, secrets=(self._key,),
                                  transport=self._async_transport)
            try:
                response = await iam.request("POST", TOKEN_PATH, data=self._form(),
                                             idempotent=True)
            except ApiError as exc:
                raise self._rejected(exc) from None
            finally:
                await iam.aclose()
            token = self._token_from(response, now)
            _CACHE.put(self._slot, token)
            return token

    def _current(self) -> _Token | None:
        token = _CACHE.get(self._slot)
        if token is not None:
            self._issued.add(token.value)
        return token

    # -- httpx hooks ---------------------------------------------------------------------------

    def sync_auth_flow(
            self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        token = self._current() or self._exchange()
        request.headers["Authorization"] = f"Bearer {token.value}"
        response = yield request
        if response.status_code == 401:  # revoked or expired early: one fresh exchange
            _CACHE.drop(self._slot, token.value)
            token = self._exchange()
            request.headers["Authorization"] = f"Bearer {token.value}"
            yield request

    async def async_auth_flow(
            self, request: httpx.Request) -> AsyncGenerator[httpx.Request, httpx.Response]:
        token = self._current() or await self._exchange_async()
        request.headers["Authorization"] = f"Bearer {token.value}"
        response = yield request
        if response.status_code == 401:
            _CACHE.drop(self._slot, token.value)
            token = await self._exchange_async()
            request.headers["Authorization"] = f"Bearer {token.value}"
            yield request
