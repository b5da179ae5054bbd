"""Vendor-neutral HTTP plumbing for the REST clients: configuration, retries, typed errors.

The errors (``ApiError`` and its subclasses, ``NetworkError``) live with the rest of the
hierarchy in :mod:`qtargets._exceptions`.

Retries are a small loop rather than a dependency: at most ``max_retries`` more attempts, with
exponential backoff and jitter, on transport errors and on 429/502/503/504 (429 honours
``Retry-After``, capped by ``retry_after_max``). Only idempotent methods are retried after the
request may have reached the server; any method is retried when the connection never opened.

Secrets: the API key lives only in :class:`ApiKeyAuth` (private attribute, masked ``repr``);
errors and log records carry the method, the URL without query or user info, the status and
at most 200 characters of the body, never request headers.
"""

from __future__ import annotations

import asyncio
import email.utils
import ipaddress
import logging
import random
import time
from collections.abc import Generator, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone
from importlib import metadata
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import httpx

from ._exceptions import (
    ApiError,
    AuthenticationError,
    NetworkError,
    NotFoundError,
    RateLimitError,
)

__all__ = [
    "ApiError",
    "ApiKeyAuth",
    "AsyncHttpClient",
    "AuthenticationError",
    "HttpClient",
    "HttpConfig",
    "NetworkError",
    "NotFoundError",
    "RateLimitError",
    "safe_url",
    "validate_base_url",
]

logger = logging.getLogger("qtargets.http")

MAX_BODY_EXCERPT = 200
RETRY_STATUSES = frozenset({429, 502, 503, 504})
IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})
_LOOPBACK_NAMES = frozenset({"localhost", "localhost.localdomain"})


def _default_user_agent() -> str:
    try:
        version = metadata.version("qtargets")
    except metadata.PackageNotFoundError:  # running from a source tree
        version = "0"
    return f"qtargets/{version} httpx/{httpx.__version__}"


# -- configuration -----------------------------------------------------------------------------


def _is_loopback(host: str) -> bool:
    if host.lower() in _LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def validate_base_url(url: str) -> str:
    """``url`` without a trailing slash, if it is https, or http to a loopback host.

    Plain http elsewhere would send the API key in clear text, so it is a ``ValueError``.

    >>> validate_base_url("http://127.0.0.1:8080/v0.3/")
    'http://127.0.0.1:8080/v0.3'
    """
    parts = urlsplit(url)
    host = parts.hostname or ""
    if parts.scheme not in ("http", "https") or not host:
        raise ValueError(f"base URL must be an absolute http(s) URL, got {safe_url(url)!r}")
    if parts.username is not None or parts.password is not None or parts.query:
        raise ValueError("base URL must not carry user info or a query string")
    if parts.scheme == "http" and not _is_loopback(host):
        raise ValueError(
            f"base URL must use https (plain http is only allowed to loopback hosts), "
            f"got {safe_url(url)!r}")
    return url.rstrip("/")


def safe_url(url: str | httpx.URL) -> str:
    """``url`` without user info, query or fragment, where secrets could hide."""
    parts = urlsplit(str(url))
    netloc = parts.hostname or ""
    if ":" in netloc:  # IPv6 literal
        netloc = f"[{netloc}]"
    if parts.port is not None:
        netloc += f":{parts.port}"
    return urlunsplit((parts.scheme, netloc, parts.path, "", ""))


@dataclass(frozen=True)
class HttpConfig:
    """How a REST client talks to its API. Times are in seconds.

    ``max_retries`` is the number of attempts after the first; the delay before retry ``k``
    (0-based) is ``min(backoff_max, backoff_base * 2**k)`` scaled by a random factor in
    [0.5, 1], or the server's ``Retry-After`` capped at ``retry_after_max``.
    """

    base_url: str
    timeout: float = 30.0
    max_retries: int = 3
    backoff_base: float = 0.5
    backoff_max: float = 8.0
    retry_after_max: float = 30.0
    user_agent: str = field(default_factory=_default_user_agent)

    def __post_init__(self) -> None:
        object.__setattr__(self, "base_url", validate_base_url(self.base_url))
        if self.timeout <= 0:
            raise ValueError(f"timeout must be positive, got {self.timeout!r}")
        if self.max_retries < 0:
            raise ValueError(f"max_retries must be >= 0, got {self.max_retries!r}")
        if min(self.backoff_base, self.backoff_max, self.retry_after_max) < 0:
            raise ValueError("backoff_base, backoff_max and retry_after_max must be >= 0")

    def backoff(self, retry: int, response: httpx.Response | None = None) -> float:
        """Seconds to wait before retry number ``retry`` (0-based)."""
        retry_after = _retry_after(response) if response is not None else None
        if retry_after is not None:
            return min(retry_after, self.retry_after_max)
        delay = min(self.backoff_max, self.backoff_base * 2.0 ** retry)
        return delay * random.uniform(0.5, 1.0)  # jitter: clients do not retry in lockstep


def _retry_after(response: httpx.Response) -> float | None:
    """``Retry-After`` in seconds (delta-seconds or an HTTP date), if present and sane."""
    value = response.headers.get("Retry-After")
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        moment = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return max(0.0, (moment - datetime.now(timezone.utc)).total_seconds())


class ApiKeyAuth(httpx.Auth):
    """Sets ``Authorization: <scheme> <key>`` on each request; the key never shows in a repr."""

    def __init__(self, key: str, scheme: str):
        self._key = key
        self._scheme = scheme

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        request.headers["Authorization"] = f"{self._scheme} {self._key}"
        yield request

    def __repr__(self) -> str:
        return f"ApiKeyAuth({self._scheme}=***)"


# -- the retrying request loop, shared by sync and async clients -------------------------------


def _redact(text: str, secrets: Iterable[str]) -> str:
    for secret in secrets:
        if secret:
            text = text.replace(secret, "***")
    return text


def _excerpt(response: httpx.Response, secrets: Iterable[str]) -> str:
    text = " ".join(response.content[: MAX_BODY_EXCERPT * 4].decode("utf-8", "replace").split())
    text = _redact(text, secrets)
    return text if len(text) <= MAX_BODY_EXCERPT else text[: MAX_BODY_EXCERPT - 3] + "..."


def error_for(response: httpx.Response, secrets: Iterable[str] = ()) -> ApiError:
    """The typed error for an unsuccessful ``response`` (status >= 400)."""
    status = response.status_code
    url = safe_url(response.request.url)
    body = _excerpt(response, secrets)
    message = f"{status} {response.reason_phrase} from {response.request.method} {url}"
    if body:
        message += f": {body}"
    if status in (401, 403):
        return AuthenticationError(message, status=status, url=url, body=body)
    if status == 404:
        return NotFoundError(message, status=status, url=url, body=body)
    if status == 429:
        return RateLimitError(message, status=status, url=url, body=body,
                              retry_after=_retry_after(response))
    return ApiError(message, status=status, url=url, body=body)


def decode_json(response: httpx.Response, secrets: Iterable[str] = ()) -> Any:
    """The JSON body of a successful response; an undecodable body is an :class:`ApiError`."""
    try:
        return response.json()
    except ValueError:
        url = safe_url(response.request.url)
        body = _excerpt(response, secrets)
        raise ApiError(f"{response.request.method} {url} answered {response.status_code} "
                       f"with a body that is not JSON: {body}",
                       status=response.status_code, url=url, body=body) from None


class _RetryLoop:
    """Decides, attempt by attempt, whether to return, raise, or wait and try again."""

    def __init__(self, config: HttpConfig, method: str, url: str, secrets: tuple[str, ...]):
        self.config = config
        self.method = method.upper()
        self.url = url
        self.secrets = secrets
        self.retry = 0

    def after_error(self, exc: httpx.RequestError) -> float:
        """The delay before the next attempt, or raise :class:`NetworkError`."""
        never_sent = isinstance(exc, (httpx.ConnectError, httpx.ConnectTimeout))
        retryable = isinstance(exc, httpx.TransportError) and (
            never_sent or self.method in IDEMPOTENT_METHODS)
        if retryable and self.retry < self.config.max_retries:
            return self._next(None, type(exc).__name__)
        attempts = self.retry + 1
        detail = _redact(str(exc), self.secrets) or "no detail"
        raise NetworkError(f"{self.method} {self.url} failed after {attempts} attempt(s): "
                           f"{type(exc).__name__}: {detail}", url=self.url) from exc

    def after_response(self, response: httpx.Response) -> float | None:
        """``None`` if ``response`` is final and successful; a delay to retry; else raise."""
        status = response.status_code
        if status < 400:
            return None
        retryable = status in RETRY_STATUSES and (
            status == 429 or self.method in IDEMPOTENT_METHODS)
        if retryable and self.retry < self.config.max_retries:
            return self._next(response, str(status))
        raise error_for(response, self.secrets)

    def _next(self, response: httpx.Response | None, why: str) -> float:
        delay = self.config.backoff(self.retry, response)
        self.retry += 1
        logger.debug("%s %s: %s, retry %d/%d in %.2fs", self.method, self.url, why,
                     self.retry, self.config.max_retries, delay)
        return delay


class _BaseHttpClient:
    """Configuration, authentication and repr shared by :class:`HttpClient` and the async one."""

    def __init__(self, config: HttpConfig, auth: ApiKeyAuth, secrets: Iterable[str]):
        self.config = config
        self._auth = auth
        self._secrets = tuple(s for s in secrets if s)

    def _client_options(self) -> dict[str, Any]:
        return {
            "base_url": self.config.base_url + "/",
            "timeout": httpx.Timeout(self.config.timeout),
            "headers": {"User-Agent": self.config.user_agent, "Accept": "application/json"},
            "auth": self._auth,
            # A redirect elsewhere is a misconfiguration to report, not to follow with a key.
            "follow_redirects": False,
        }

    def _loop(self, method: str, path: str) -> _RetryLoop:
        return _RetryLoop(self.config, method, self.url(path), self._secrets)

    def url(self, path: str) -> str:
        """The absolute URL of ``path`` (relative to the base URL), without query."""
        return f"{self.config.base_url}/{path.lstrip('/')}"

    def __repr__(self) -> str:
        return f"{type(self).__name__}(base_url={self.config.base_url!r}, apiKey=***)"


class HttpClient(_BaseHttpClient):
    """A retrying JSON client over ``httpx.Client``. Paths are relative to the base URL."""

    def __init__(self, config: HttpConfig, auth: ApiKeyAuth, *, secrets: Iterable[str] = (),
                 transport: httpx.BaseTransport | None = None):
        super().__init__(config, auth, secrets)
        self._http = httpx.Client(transport=transport, **self._client_options())

    def get_json(self, path: str, params: Mapping[str, Any] | None = None) -> Any:
        return decode_json(self.request("GET", path, params=params), self._secrets)

    def request(self, method: str, path: str, *,
                params: Mapping[str, Any] | None = None) -> httpx.Response:
        loop = self._loop(method, path)
        while True:
            try:
                response = self._http.request(method, path.lstrip("/"), params=params)
            except httpx.RequestError as exc:
                delay = loop.after_error(exc)
            else:
                retry_delay = loop.after_response(response)
                if retry_delay is None:
                    return response
                delay = retry_delay
            time.sleep(delay)

    def close(self) -> None:
        self._http.close()


class AsyncHttpClient(_BaseHttpClient):
    """The ``httpx.AsyncClient`` twin of :class:`HttpClient`, with the same retry loop."""

    def __init__(self, config: HttpConfig, auth: ApiKeyAuth, *, secrets: Iterable[str] = (),
                 transport: httpx.AsyncBaseTransport | None = None):
        super().__init__(config, auth, secrets)
        self._http = httpx.AsyncClient(transport=transport, **self._client_options())

    async def get_json(self, path: str, params: Mapping[str, Any] | None = None) -> Any:
        return decode_json(await self.request("GET", path, params=params), self._secrets)

    async def request(self, method: str, path: str, *,
                      params: Mapping[str, Any] | None = None) -> httpx.Response:
        loop = self._loop(method, path)
        while True:
            try:
                response = await self._http.request(method, path.lstrip("/"), params=params)
            except httpx.RequestError as exc:
                delay = loop.after_error(exc)
            else:
                retry_delay = loop.after_response(response)
                if retry_delay is None:
                    return response
                delay = retry_delay
            await asyncio.sleep(delay)

    async def aclose(self) -> None:
        await self._http.aclose()
