"""Vendor-neutral HTTP plumbing for the REST clients: configuration, retries, typed errors.

The errors (``ApiError`` and its subclasses, ``NetworkError``) live with the rest of the
hierarchy in :mod:`qtargets._exceptions`.

Retries use tenacity (sync and asyncio alike): at most ``max_retries`` more attempts, with
exponential backoff and jitter, on transport errors and on 429/502/503/504 (429 honours
``Retry-After``, capped by ``retry_after_max``). Only idempotent methods are retried after the
request may have reached the server; any method is retried when the connection never opened.

Conditional requests: :meth:`HttpClient.get` takes the validators (ETag, Last-Modified) of a
body the caller already has and returns ``not_modified`` when the server answers 304.

Secrets: the API key lives only in :class:`ApiKeyAuth` (private attribute, masked ``repr``);
errors and log records carry the method, the URL without query or user info, the status and
at most 200 characters of the body (every token holding a key or token masked), never
request headers. Every secret a frame holds is a :class:`~qtargets._secret.Secret` or in a
:class:`~qtargets._secret.Secrets` (masked ``repr``: tracebacks that show locals show
``'***'``), and a failed request raises its error outside the ``except`` block that caught
httpx's, so the error chains nothing (httpx's error keeps the request and its headers).
"""

from __future__ import annotations

import asyncio
import email.utils
import functools
import ipaddress
import json
import logging
import math
import os
import random
import ssl
import time
from collections.abc import Generator, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone
from functools import cached_property
from importlib import metadata
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import certifi
import httpx
import tenacity
from tenacity.stop import stop_base
from typing_extensions import Self

from ._exceptions import (
    ApiError,
    AuthenticationError,
    ConfigurationError,
    NetworkError,
    NotFoundError,
    RateLimitError,
)
from ._secret import Secret, Secrets

__all__ = [
    "MAX_SECONDS",
    "ApiClient",
    "ApiError",
    "ApiKeyAuth",
    "AsyncApiClient",
    "AsyncHttpClient",
    "AuthenticationError",
    "HttpClient",
    "HttpConfig",
    "HttpResult",
    "JsonBody",
    "NetworkError",
    "NotFoundError",
    "RateLimitError",
    "Validators",
    "base_url_setting",
    "decode_json",
    "first_not_json",
    "safe_url",
    "validate_base_url",
]


@dataclass(frozen=True)
class JsonBody:
    """One JSON object as a server sent it: the bytes kept exactly as received (what the
    store saves), parsed on first use. The client that made it checked it is an object."""

    url: str
    """The request it came from (with its query)."""
    body: bytes = field(repr=False)

    @cached_property
    def data(self) -> dict[str, Any]:
        """The body as JSON."""
        data: dict[str, Any] = json.loads(self.body)
        return data

logger = logging.getLogger("qtargets.http")

MAX_BODY_EXCERPT = 200
RETRY_STATUSES = frozenset({429, 502, 503, 504})
IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})
_LOOPBACK_NAMES = frozenset({"localhost", "localhost.localdomain"})


@functools.cache
def _ssl_context() -> ssl.SSLContext:
    """One verifying TLS context per process: building one reads the CA bundle (~30 ms),
    which every client creation would otherwise pay again."""
    return ssl.create_default_context(cafile=certifi.where())


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


def validate_base_url(url: str, setting: str = "base_url") -> str:
    """``url`` without a trailing slash, if it is https, or http to a loopback host; else a
    :class:`~qtargets.ConfigurationError` naming ``setting`` (where the URL came from).

    Plain http elsewhere would send the API key in clear text; user info in a URL is a
    password in a setting, and is never echoed.

    >>> validate_base_url("http://127.0.0.1:8080/v0.3/")
    'http://127.0.0.1:8080/v0.3'
    """
    def bad(reason: str) -> ConfigurationError:
        return ConfigurationError(f"{setting}: not a usable base URL: {reason}",
                                  setting=setting)

    try:
        parts = urlsplit(url.strip())
        host = parts.hostname or ""
        parts.port  # noqa: B018 -- raises ValueError for a port that is not a number
    except ValueError:
        raise bad("not a URL at all (e.g. https://host/path)") from None
    if parts.username is not None or parts.password is not None:
        raise bad("it carries user info (user:password@); credentials go in their own "
                  "settings")
    if parts.scheme not in ("http", "https") or not host:
        raise bad(f"{safe_url(url)!r} is not an absolute http(s) URL (e.g. https://host/path)")
    if parts.query or parts.fragment:
        raise bad(f"{safe_url(url)!r} carries a query or fragment")
    if parts.scheme == "http" and not _is_loopback(host):
        raise bad(f"{safe_url(url)!r} must use https (plain http would send the key in clear "
                  f"text; it is allowed to loopback hosts only)")
    return url.strip().rstrip("/")


def base_url_setting(argument: str | None, argument_name: str, env: str, default: str
                     ) -> tuple[str, str]:
    """The base URL to use and the setting it came from: the argument, else ``$env`` (when
    not blank), else ``default``; validated by :func:`validate_base_url`."""
    if argument is not None:
        value, setting = argument, argument_name
    elif os.environ.get(env, "").strip():
        value, setting = os.environ[env], env
    else:
        value, setting = default, "the default URL"
    return validate_base_url(value, setting), setting


def safe_url(url: str | httpx.URL) -> str:
    """``url`` without user info, query or fragment, where secrets could hide."""
    parts = urlsplit(str(url))
    netloc = parts.hostname or ""
    if ":" in netloc:  # IPv6 literal
        netloc = f"[{netloc}]"
    if parts.port is not None:
        netloc += f":{parts.port}"
    return urlunsplit((parts.scheme, netloc, parts.path, "", ""))


MAX_SECONDS = 86_400.0
"""The longest timeout or deadline anything takes: a day (far longer ones overflow the
operating system's timers, with a traceback)."""


@dataclass(frozen=True)
class HttpConfig:
    """How a REST client talks to its API. Times are in seconds.

    ``timeout`` bounds each attempt's connect and each read; ``deadline`` bounds a whole
    request: every attempt, the waits between them and a body that trickles in. No request
    outlives it, however the server misbehaves (one that accepts and never answers, one that
    sends a byte at a time): it is then a :class:`~qtargets.NetworkError`.
    ``max_retries`` is the number of attempts after the first; the delay before retry ``k``
    (0-based) is ``min(backoff_max, backoff_base * 2**k)`` scaled by a random factor in
    [0.5, 1], or the server's ``Retry-After`` capped at ``retry_after_max``.
    """

    base_url: str
    timeout: float = 30.0
    deadline: float = 45.0
    max_retries: int = 3
    backoff_base: float = 0.5
    backoff_max: float = 8.0
    retry_after_max: float = 30.0
    user_agent: str = field(default_factory=_default_user_agent)

    def __post_init__(self) -> None:
        object.__setattr__(self, "base_url", validate_base_url(self.base_url))
        for name in ("timeout", "deadline"):
            if not 0 < getattr(self, name) <= MAX_SECONDS:
                raise ConfigurationError(f"{name} must be a positive number of seconds, at "
                                         f"most {MAX_SECONDS:g}, got {getattr(self, name)!r}",
                                         setting=name)
        if self.max_retries < 0:
            raise ConfigurationError(f"max_retries (retries=) must be >= 0, got "
                                     f"{self.max_retries!r}",
                                     setting="retries")
        for name in ("backoff_base", "backoff_max", "retry_after_max"):
            if not 0 <= getattr(self, name) < math.inf:
                raise ConfigurationError(f"{name} must be a finite number of seconds >= 0, "
                                         f"got {getattr(self, name)!r}", setting=name)

    def backoff(self, retry: int, response: httpx.Response | None = None) -> float:
        """Seconds to wait before retry number ``retry`` (0-based)."""
        retry_after = _retry_after(response) if response is not None else None
        if retry_after is not None:
            return min(retry_after, self.retry_after_max)
        delay = min(self.backoff_max, self.backoff_base * 2.0 ** retry)
        return delay * random.uniform(0.5, 1.0)  # jitter: clients do not retry in lockstep


class _Deadline:
    """The instant a request must be done by (``time.monotonic`` seconds)."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.at = time.monotonic() + seconds

    def remaining(self) -> float:
        return self.at - time.monotonic()

    def attempt_timeout(self, config: HttpConfig) -> httpx.Timeout:
        """The timeouts of the next attempt: the configured one, no later than the deadline."""
        remaining = self.remaining()
        if remaining <= 0:
            raise _DeadlineError(self.seconds)
        return httpx.Timeout(min(config.timeout, remaining))


class _DeadlineError(Exception):
    """Raised inside an attempt when the request's deadline has passed (never retried)."""

    def __init__(self, seconds: float):
        super().__init__(seconds)
        self.seconds = seconds


class _OutOfTime(stop_base):
    """tenacity stops retrying once the deadline has passed."""

    def __init__(self, deadline: _Deadline) -> None:
        self.deadline = deadline

    def __call__(self, retry_state: tenacity.RetryCallState) -> bool:
        return self.deadline.remaining() <= 0


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
        self._key = Secret(key)
        self._scheme = scheme

    @property
    def secrets(self) -> Secrets:
        """What must be redacted from anything this auth's client reports."""
        return Secrets((self._key,))

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        request.headers["Authorization"] = f"{self._scheme} {self._key}"
        yield request

    def __repr__(self) -> str:
        return f"ApiKeyAuth({self._scheme}=***)"


# -- responses, validators and typed errors -----------------------------------------------------


@dataclass(frozen=True)
class Validators:
    """What a server said identifies a body: sent back as If-None-Match / If-Modified-Since."""

    etag: str | None = None
    last_modified: str | None = None

    @classmethod
    def of(cls, response: httpx.Response) -> Validators:
        return cls(response.headers.get("ETag"), response.headers.get("Last-Modified"))

    def __bool__(self) -> bool:
        return self.etag is not None or self.last_modified is not None

    def headers(self) -> dict[str, str]:
        out = {}
        if self.etag is not None:
            out["If-None-Match"] = self.etag
        if self.last_modified is not None:
            out["If-Modified-Since"] = self.last_modified
        return out


@dataclass(frozen=True)
class HttpResult:
    """A successful GET: the body (empty when ``not_modified``) and its validators."""

    url: str
    body: bytes
    validators: Validators
    not_modified: bool = False
    headers: Mapping[str, str] = field(default_factory=dict)


_NONE = Secrets()


def _excerpt(response: httpx.Response, secrets: Secrets) -> str:
    text = " ".join(response.content[: MAX_BODY_EXCERPT * 4].decode("utf-8", "replace").split())
    text = secrets.redact(text)
    return text if len(text) <= MAX_BODY_EXCERPT else text[: MAX_BODY_EXCERPT - 3] + "..."


def error_for(response: httpx.Response, secrets: Secrets = _NONE) -> ApiError:
    """The typed error for an unsuccessful ``response`` (status >= 400, or a redirect)."""
    status = response.status_code
    url = safe_url(response.request.url)
    body = _excerpt(response, secrets)
    message = f"{status} {response.reason_phrase} from {response.request.method} {url}"
    if 300 <= status < 400:
        location = safe_url(response.headers.get("Location", "")) or "nowhere"
        return ApiError(f"{message}: redirected to {location}, which is not followed (a "
                        f"redirect would carry the credentials elsewhere; fix the base URL)",
                        status=status, url=url, body=body)
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


def decode_json(response: httpx.Response | HttpResult, secrets: Secrets = _NONE, *,
                quote: bool = True) -> Any:
    """The JSON body of a successful response; an undecodable body is an :class:`ApiError`
    quoting its start, unless not ``quote`` (a body made of secrets, e.g. a token)."""
    if isinstance(response, HttpResult):
        content, url, status, method = response.body, response.url, 200, "GET"
    else:
        content, url = response.content, safe_url(response.request.url)
        status, method = response.status_code, response.request.method
    try:
        return json.loads(content)
    except ValueError:
        pass
    # raised outside the handler: the decoder's error keeps the whole body (it may hold
    # secrets), and would be chained as the context
    if not quote:
        size = len(content)
        del content, response
        raise ApiError(f"{method} {url} answered {status} with a body that is not JSON "
                       f"({size} bytes, not shown: it may hold secrets)", status=status, url=url)
    text = " ".join(content[: MAX_BODY_EXCERPT * 4].decode("utf-8", "replace").split())
    body = secrets.redact(text)[:MAX_BODY_EXCERPT]
    raise ApiError(f"{method} {url} answered {status} with a body that is not JSON: {body}",
                   status=status, url=url, body=body)


def first_not_json(url: str, bodies: Iterable[bytes]) -> ApiError | None:
    """An :class:`ApiError` if one of ``bodies`` is not JSON at all (the HTTP contract broken,
    e.g. a proxy's HTML page), else ``None``: then a conversion error is the data's fault.

    For after a conversion failed, so valid bodies are never parsed twice.
    """
    for body in bodies:
        try:
            decode_json(HttpResult(url, body, Validators()))
        except ApiError as exc:
            return exc
    return None


# -- retries (tenacity), shared by the sync and async clients -----------------------------------


class _RetryableResponseError(Exception):
    """Raised inside an attempt for a 429/502/503/504 that may be retried."""

    def __init__(self, response: httpx.Response):
        super().__init__(response.status_code)
        self.response = response


def _retry_policy(config: HttpConfig, method: str, url: str, idempotent: bool | None,
                  deadline: _Deadline) -> dict[str, Any]:
    """tenacity arguments: what is retried, how often, and how long to wait in between (never
    past the deadline)."""
    method = method.upper()
    safe = method in IDEMPOTENT_METHODS if idempotent is None else idempotent

    def retryable(exc: BaseException) -> bool:
        if isinstance(exc, _RetryableResponseError):
            return exc.response.status_code == 429 or safe
        if isinstance(exc, (httpx.ConnectError, httpx.ConnectTimeout)):
            return True  # the request never reached the server
        return isinstance(exc, httpx.TransportError) and safe

    def wait(state: tenacity.RetryCallState) -> float:
        exc = state.outcome.exception() if state.outcome is not None else None
        response = exc.response if isinstance(exc, _RetryableResponseError) else None
        return max(0.0, min(config.backoff(state.attempt_number - 1, response),
                            deadline.remaining()))


    def log(state: tenacity.RetryCallState) -> None:
        exc = state.outcome.exception() if state.outcome is not None else None
        why = str(exc.response.status_code) if isinstance(exc, _RetryableResponseError) else (
            type(exc).__name__)
        delay = state.next_action.sleep if state.next_action is not None else 0.0
        logger.debug("%s %s: %s, retry %d/%d in %.2fs", method, url, why,
                     state.attempt_number, config.max_retries, delay)

    return {
        "stop": tenacity.stop_after_attempt(config.max_retries + 1) | _OutOfTime(deadline),
        "wait": wait,
        "retry": tenacity.retry_if_exception(retryable),
        "before_sleep": log,
        "reraise": True,
    }


def _read_before(response: httpx.Response, deadline: _Deadline) -> None:
    """Read a streamed body, giving up once the deadline has passed: each read is bounded by
    the attempt's timeout, but a server trickling a byte at a time would pass every one."""
    body = bytearray()
    for chunk in response.iter_bytes():
        body += chunk
        if deadline.remaining() <= 0:
            raise _DeadlineError(deadline.seconds)
    response._content = bytes(body)  # what Response.read() keeps; .content reads it


def _check(response: httpx.Response, secrets: Secrets) -> httpx.Response:
    """``response`` if final and usable (2xx, 304); raise to retry or to fail."""
    status = response.status_code
    if status < 300 or status == 304:
        return response
    if status in RETRY_STATUSES:
        raise _RetryableResponseError(response)
    raise error_for(response, secrets)


def _final_error(exc: BaseException, method: str, url: str, attempts: int,
                 secrets: Secrets) -> BaseException:
    """What the caller sees once retrying gave up on ``exc``."""
    if isinstance(exc, _RetryableResponseError):
        return error_for(exc.response, secrets)
    if isinstance(exc, _DeadlineError):
        return NetworkError(f"{method.upper()} {url} gave up at its {exc.seconds:g} s deadline "
                            f"after {attempts} attempt(s)", url=url)
    if isinstance(exc, httpx.RequestError):
        detail = secrets.redact(str(exc)) or "no detail"
        return NetworkError(f"{method.upper()} {url} failed after {attempts} attempt(s): "
                            f"{type(exc).__name__}: {detail}", url=url)
    return exc


# -- the clients --------------------------------------------------------------------------------


class _BaseHttpClient:
    """Configuration, authentication and repr shared by :class:`HttpClient` and the async one.

    ``auth`` may expose ``secrets`` (strings to redact from errors and logs, e.g. a key and
    the tokens it was exchanged for); ``headers`` are sent with every request.
    """

    def __init__(self, config: HttpConfig, auth: httpx.Auth | None, secrets: Iterable[str],
                 headers: Mapping[str, str] | None):
        self.config = config
        self._auth = auth
        self._fixed_secrets = Secrets(secrets)
        self._headers = dict(headers or {})

    @property
    def _secrets(self) -> Secrets:
        extra: Iterable[str] = getattr(self._auth, "secrets", ())
        return self._fixed_secrets + Secrets(extra)

    def _client_options(self) -> dict[str, Any]:
        headers = {"User-Agent": self.config.user_agent, "Accept": "application/json"}
        headers.update(self._headers)
        return {
            "base_url": self.config.base_url + "/",
            "timeout": httpx.Timeout(self.config.timeout),
            "headers": headers,
            "auth": self._auth,
            "verify": _ssl_context(),
            # A redirect elsewhere is a misconfiguration to report, not to follow with a key.
            "follow_redirects": False,
        }

    def _attempts(self, method: str, path: str, idempotent: bool | None
                  ) -> tuple[str, _Deadline, dict[str, Any]]:
        url = self.url(path)
        deadline = _Deadline(self.config.deadline)
        return url, deadline, _retry_policy(self.config, method, url, idempotent, deadline)

    def _result(self, response: httpx.Response) -> HttpResult:
        return HttpResult(safe_url(response.request.url), response.content,
                          Validators.of(response), response.status_code == 304,
                          response.headers)

    def url(self, path: str) -> str:
        """The absolute URL of ``path`` (relative to the base URL), without query."""
        return f"{self.config.base_url}/{path.lstrip('/')}"

    def __repr__(self) -> str:
        return f"{type(self).__name__}(base_url={self.config.base_url!r}, auth=***)"


Params = Mapping[str, Any] | None


class HttpClient(_BaseHttpClient):
    """A retrying JSON client over ``httpx.Client``. Paths are relative to the base URL."""

    def __init__(self, config: HttpConfig, auth: httpx.Auth | None = None, *,
                 secrets: Iterable[str] = (), headers: Mapping[str, str] | None = None,
                 transport: httpx.BaseTransport | None = None):
        super().__init__(config, auth, secrets, headers)
        self._http = httpx.Client(transport=transport, **self._client_options())

    def get_json(self, path: str, params: Params = None) -> Any:
        return decode_json(self.request("GET", path, params=params), self._secrets)

    def get(self, path: str, params: Params = None,
            validators: Validators | None = None) -> HttpResult:
        """GET ``path``; with ``validators``, a 304 comes back as ``not_modified``."""
        headers = validators.headers() if validators else None
        return self._result(self.request("GET", path, params=params, headers=headers))

    def request(self, method: str, path: str, *, params: Params = None,
                headers: Mapping[str, str] | None = None,
                data: Mapping[str, str] | None = None,
                idempotent: bool | None = None) -> httpx.Response:
        """Send, retrying transient failures; ``idempotent`` overrides the method's default
        (e.g. a token exchange by POST is safe to repeat)."""
        url, deadline, policy = self._attempts(method, path, idempotent)
        retrying = tenacity.Retrying(sleep=time.sleep, **policy)
        failure: BaseException = AssertionError("unreachable: tenacity returns or raises")
        try:
            for attempt in retrying:
                with attempt:
                    request = self._http.build_request(
                        method, path.lstrip("/"), params=params, headers=headers, data=data,
                        timeout=deadline.attempt_timeout(self.config))
                    response = self._http.send(request, stream=True)
                    try:
                        _read_before(response, deadline)
                    finally:
                        response.close()
                    return _check(response, self._secrets)
        except (httpx.RequestError, _RetryableResponseError, _DeadlineError) as exc:
            attempts = retrying.statistics.get("attempt_number", 1)
            failure = _final_error(exc, method, url, attempts, self._secrets)
        # raised here, outside the handler, so that it chains nothing: httpx's error keeps
        # the request, whose headers hold the key
        raise failure

    def close(self) -> None:
        self._http.close()


class ApiClient:
    """What a vendor's synchronous REST client gets for free: ``with`` and :meth:`close`
    for the :class:`HttpClient` it holds as ``_http``."""

    _http: HttpClient

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._http.close()


class AsyncApiClient:
    """The async twin of :class:`ApiClient`: ``async with`` and :meth:`close`."""

    _http: AsyncHttpClient

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def close(self) -> None:
        await self._http.aclose()


class AsyncHttpClient(_BaseHttpClient):
    """The ``httpx.AsyncClient`` twin of :class:`HttpClient`, with the same retry policy."""

    def __init__(self, config: HttpConfig, auth: httpx.Auth | None = None, *,
                 secrets: Iterable[str] = (), headers: Mapping[str, str] | None = None,
                 transport: httpx.AsyncBaseTransport | None = None):
        super().__init__(config, auth, secrets, headers)
        self._http = httpx.AsyncClient(transport=transport, **self._client_options())

    async def get_json(self, path: str, params: Params = None) -> Any:
        return decode_json(await self.request("GET", path, params=params), self._secrets)

    async def get(self, path: str, params: Params = None,
                  validators: Validators | None = None) -> HttpResult:
        """See :meth:`HttpClient.get`."""
        headers = validators.headers() if validators else None
        return self._result(await self.request("GET", path, params=params, headers=headers))

    async def request(self, method: str, path: str, *, params: Params = None,
                      headers: Mapping[str, str] | None = None,
                      data: Mapping[str, str] | None = None,
                      idempotent: bool | None = None) -> httpx.Response:
        """See :meth:`HttpClient.request`."""
        url, deadline, policy = self._attempts(method, path, idempotent)
        retrying = tenacity.AsyncRetrying(sleep=asyncio.sleep, **policy)
        failure: BaseException = AssertionError("unreachable: tenacity returns or raises")
        try:
            async for attempt in retrying:
                with attempt:
                    timeout = deadline.attempt_timeout(self.config)
                    try:
                        # the whole attempt, a trickling body included, ends by the deadline
                        response = await asyncio.wait_for(self._http.request(
                            method, path.lstrip("/"), params=params, headers=headers,
                            data=data, timeout=timeout), deadline.remaining())
                    except asyncio.TimeoutError:
                        raise _DeadlineError(deadline.seconds) from None
                    return _check(response, self._secrets)
        except (httpx.RequestError, _RetryableResponseError, _DeadlineError) as exc:
            attempts = retrying.statistics.get("attempt_number", 1)
            failure = _final_error(exc, method, url, attempts, self._secrets)
        # raised here, outside the handler, so that it chains nothing: httpx's error keeps
        # the request, whose headers hold the key
        raise failure

    async def aclose(self) -> None:
        await self._http.aclose()
