"""IBM Cloud IAM: an API key is exchanged for a short-lived bearer token, used until near expiry.

Tokens are cached per process (keyed by IAM URL and a hash of the key, never the key itself),
so every client and every ``qtargets.target`` call in a process shares one token. Concurrent
callers (threads, coroutines, in one event loop or several) wait for a single exchange. A token is
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
from concurrent.futures import Future
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass
from typing import Any

import httpx

from .._exceptions import ApiError, AuthenticationError, NetworkError
from .._http import AsyncHttpClient, HttpClient, HttpConfig, decode_json
from .._secret import HiddenForm, Secret, Secrets

__all__ = ["IAM_GRANT_TYPE", "IAMAuth", "clear_token_cache"]

IAM_GRANT_TYPE = "urn:ibm:params:oauth:grant-type:apikey"
TOKEN_PATH = "identity/token"
MAX_REFRESH_MARGIN = 300.0


@dataclass(frozen=True)
class _Token:
    value: str
    refresh_at: float  # time.time() after which a new token is fetched


class _TokenCache:
    """Process-wide tokens by (IAM URL, key hash), and the exchange in flight for each.

    One exchange serves every caller that needs a token while it runs, whatever thread or
    event loop it is in: the first caller performs it, the others wait for its result (a
    ``concurrent.futures.Future``, which a thread can wait on and an event loop can await).
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._tokens: dict[tuple[str, str], _Token] = {}
        self._exchanges: dict[tuple[str, str], Future[_Token]] = {}

    def get(self, slot: tuple[str, str]) -> _Token | None:
        with self._lock:
            token = self._tokens.get(slot)
        return token if token is not None and time.time() < token.refresh_at else None

    def claim(self, slot: tuple[str, str]) -> tuple[Future[_Token], bool]:
        """The exchange to wait for, and whether this caller must perform it."""
        with self._lock:
            token = self._tokens.get(slot)
            if token is not None and time.time() < token.refresh_at:
                done: Future[_Token] = Future()
                done.set_result(token)
                return done, False
            running = self._exchanges.get(slot)
            if running is not None:
                return running, False
            mine: Future[_Token] = Future()
            self._exchanges[slot] = mine
            return mine, True

    def settle(self, slot: tuple[str, str], exchange: Future[_Token],
               token: _Token | None = None, error: BaseException | None = None) -> None:
        """End the exchange this caller performed: every waiter gets ``token`` or ``error``."""
        with self._lock:
            if token is not None:
                self._tokens[slot] = token
            if self._exchanges.get(slot) is exchange:
                del self._exchanges[slot]
        if exchange.done():  # never, as waiters only shield it; but never raise from here
            return
        if token is not None:
            exchange.set_result(token)
        else:
            exchange.set_exception(error or ApiError("the IBM Cloud IAM exchange ended "
                                                     "without a token"))

    def drop(self, slot: tuple[str, str], value: str) -> None:
        """Forget ``value`` (rejected by the API), unless another caller already replaced it."""
        with self._lock:
            token = self._tokens.get(slot)
            if token is not None and token.value == value:
                del self._tokens[slot]

    def clear(self) -> None:
        with self._lock:
            self._tokens.clear()


_CACHE = _TokenCache()


def _for_waiters(exc: BaseException) -> BaseException:
    """What callers waiting on a failed exchange get: its error, or (if the exchange was
    cancelled, which says nothing about theirs) a NetworkError they can act on."""
    if isinstance(exc, Exception):
        return exc
    return NetworkError("the IBM Cloud IAM token exchange this call waited for was cancelled")


def _retrieved(future: asyncio.Future[_Token]) -> None:
    """Mark ``future``'s error as seen (asyncio logs unseen ones when they are collected)."""
    if not future.cancelled():
        future.exception()


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
        self._key = Secret(api_key)
        del api_key  # only the masked copy stays in a frame
        self._config = config
        self._slot = (config.base_url, hashlib.sha256(self._key.encode()).hexdigest())
        self._transport = transport
        self._async_transport = async_transport
        self._issued: set[str] = set()  # tokens this auth saw, to redact them

    @property
    def secrets(self) -> Secrets:
        return Secrets((self._key, *self._issued))

    def __repr__(self) -> str:
        return f"IAMAuth(iam={self._config.base_url!r}, apikey=***)"

    # -- the exchange -----------------------------------------------------------------------

    def _form(self) -> HiddenForm:
        return HiddenForm(grant_type=IAM_GRANT_TYPE, apikey=self._key)

    def _token_from(self, response: httpx.Response, now: float) -> _Token:
        body = decode_json(response, self.secrets, quote=False)  # tokens: never quoted
        if not isinstance(body, dict):
            body = {}
        value = body.pop("access_token", None)
        refresh_at = _refresh_at(now, body)
        del body  # it may hold a refresh token: no frame keeps it
        if not isinstance(value, str) or not value:
            raise ApiError(f"IBM Cloud IAM at {self._config.base_url} answered without an "
                           f"access_token", status=response.status_code,
                           url=f"{self._config.base_url}/{TOKEN_PATH}")
        token = _Token(Secret(value), refresh_at)
        del value
        self._issued.add(token.value)
        return token

    def _rejected(self, exc: ApiError) -> BaseException:
        """IAM says 400 BXNIM0415E ("API key could not be found") for a wrong key."""
        if exc.status == 400 and "BXNIM0415E" in exc.body:
            return AuthenticationError(
                f"IBM Cloud IAM rejected the API key (BXNIM0415E: not found); check "
                f"QISKIT_IBM_TOKEN / the account in use ({exc.url})",
                status=400, url=exc.url, body=exc.body)
        return exc

    def _exchange(self) -> _Token:
        exchange, mine = _CACHE.claim(self._slot)
        if not mine:
            try:
                return self._seen(exchange.result(timeout=self._config.deadline))
            except FutureTimeout:
                raise NetworkError(f"the IBM Cloud IAM token exchange this call waited for "
                                   f"took longer than {self._config.deadline:g} s") from None
        try:
            now = time.time()
            iam = HttpClient(self._config, secrets=Secrets((self._key,)),
                             transport=self._transport)
            try:
                response = iam.request("POST", TOKEN_PATH, data=self._form(),
                                       idempotent=True)
            except ApiError as exc:
                raise self._rejected(exc) from None
            finally:
                iam.close()
            token = self._token_from(response, now)
        except BaseException as exc:
            _CACHE.settle(self._slot, exchange, error=_for_waiters(exc))
            raise
        _CACHE.settle(self._slot, exchange, token)
        return token

    async def _exchange_async(self) -> _Token:
        exchange, mine = _CACHE.claim(self._slot)
        if not mine:
            # shielded: a waiter that is cancelled (its deadline passed) must not cancel the
            # exchange that other callers, in other threads or loops, wait for
            waiting = asyncio.wrap_future(exchange)
            waiting.add_done_callback(_retrieved)  # its error is this call's, or nobody's
            return self._seen(await asyncio.shield(waiting))
        try:
            now = time.time()
            iam = AsyncHttpClient(self._config, secrets=Secrets((self._key,)),
                                  transport=self._async_transport)
            try:
                response = await iam.request("POST", TOKEN_PATH, data=self._form(),
                                             idempotent=True)
            except ApiError as exc:
                raise self._rejected(exc) from None
            finally:
                await iam.aclose()
            token = self._token_from(response, now)
        except BaseException as exc:
            _CACHE.settle(self._slot, exchange, error=_for_waiters(exc))
            raise
        _CACHE.settle(self._slot, exchange, token)
        return token

    def _seen(self, token: _Token) -> _Token:
        self._issued.add(token.value)
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
