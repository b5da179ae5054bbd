"""AWS Braket's device API, ``GetDevice`` and ``SearchDevices``, through boto3: it only talks.

boto3 (the ``braket`` extra) finds the credentials (its usual chain: ``AWS_ACCESS_KEY_ID`` /
``AWS_SECRET_ACCESS_KEY`` / ``AWS_SESSION_TOKEN``, ``AWS_PROFILE``, ``~/.aws``, SSO, instance
roles) and signs each request (SigV4); qtargets never reads or stores a key itself, except to
mask it from error messages. Each device is asked of its own region's endpoint (the region is
in its ARN); ``QTARGETS_BRAKET_ENDPOINT_URL`` sends every request to one endpoint instead (a
proxy, or a test's loopback server), and ``QTARGETS_BRAKET_REGIONS`` (comma-separated) says
which regions ``qtargets list`` searches.

boto3 is synchronous, so each call runs in a daemon thread of its own, awaited until an
overall deadline: a call is done by then whatever the network does (retries included), and
a thread still waiting on botocore's own per-attempt timeouts never holds up the caller or the
interpreter's exit. Retries are boto3's ``standard`` mode, bounded to ``retries`` more
attempts. Errors are qtargets' own (:class:`~qtargets.AuthenticationError`,
:class:`~qtargets.NotFoundError`, :class:`~qtargets.RateLimitError`,
:class:`~qtargets.ApiError`, :class:`~qtargets.NetworkError`), raised with no botocore error
chained (botocore's errors and frames hold the signed request), messages masked of every
credential. botocore's own DEBUG logging, if you turn it on, logs signed requests (the access
key id and, with temporary credentials, the session token): qtargets leaves it off.

The GetDevice response body is kept exactly as received (:attr:`DeviceBody.body`).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from importlib import metadata
from typing import Any, TypeVar
from urllib.parse import quote

from .._exceptions import (
    ApiError,
    AuthenticationError,
    CalibrationError,
    ConfigurationError,
    MissingDependencyError,
    NetworkError,
    NotFoundError,
    RateLimitError,
)
from .._http import MAX_SECONDS, validate_base_url
from .._secret import Secrets
from ..model import validate_payload
from .models import DeviceSummary, GetDeviceResponse, get_device_adapter, search_devices_adapter
from .names import arn_of, region_of

__all__ = [
    "DEFAULT_REGIONS",
    "ENDPOINT_ENV",
    "REGIONS_ENV",
    "SCHEMAS_VERSION",
    "BraketClient",
    "DeviceBody",
    "configured_regions",
    "require_boto3",
]

ENDPOINT_ENV = "QTARGETS_BRAKET_ENDPOINT_URL"
REGIONS_ENV = "QTARGETS_BRAKET_REGIONS"
DEFAULT_REGIONS = ("us-east-1", "us-west-1", "us-west-2", "eu-west-2", "eu-north-1")
"""The regions Braket's QPUs are in (the Braket SDK searches the same ones)."""

SCHEMAS_VERSION = "1.32.1"
"""The amazon-braket-schemas release whose device documents qtargets' models mirror. GetDevice
leaves parts of a document out for clients that do not say (in the user agent) which
schemas they read, as the Braket SDK does."""

_T = TypeVar("_T")
_AUTH_CODES = frozenset({
    "AccessDeniedException", "UnrecognizedClientException", "InvalidSignatureException",
    "ExpiredTokenException", "InvalidClientTokenId", "SignatureDoesNotMatch",
    "MissingAuthenticationTokenException", "ExpiredToken"})
_BODY_KEY = "qtargetsBody"
_CALL = threading.local()
"""``deadline``: the ``time.monotonic()`` instant the current thread's call must end by."""


class _OutOfTimeError(Exception):
    """Raised before an attempt once its call's deadline has passed: an abandoned call stops
    retrying instead of going on in the background."""


def require_boto3() -> Any:
    """The ``boto3`` module, or :class:`~qtargets.MissingDependencyError` naming the extra."""
    try:
        import boto3  # type: ignore[import-untyped,import-not-found,unused-ignore]  # noqa: PLC0415
    except ImportError:
        raise MissingDependencyError("live AWS Braket calibrations need boto3: "
                                     "pip install 'qtargets[braket]'") from None
    return boto3


def configured_regions() -> tuple[str, ...]:
    """The regions ``QTARGETS_BRAKET_REGIONS`` names, else :data:`DEFAULT_REGIONS`."""
    setting = os.environ.get(REGIONS_ENV, "").strip()
    if not setting:
        return DEFAULT_REGIONS
    regions = tuple(r.strip() for r in setting.split(",") if r.strip())
    for region in regions:
        if not region.replace("-", "").isalnum():
            raise ConfigurationError(f"{REGIONS_ENV}: {region!r} is not an AWS region "
                                     "(e.g. us-east-1)", setting=REGIONS_ENV)
    return regions


@dataclass(frozen=True)
class DeviceBody:
    """A GetDevice response: its body exactly as received, and the same parsed."""

    arn: str
    url: str
    """Where it came from (no credentials in it)."""
    body: bytes = field(repr=False)
    response: GetDeviceResponse = field(repr=False)


class BraketClient:
    """GetDevice and SearchDevices, each call done by ``deadline`` seconds.

    ``timeout`` bounds each attempt's connect and read, ``retries`` the attempts after the
    first (boto3's ``standard`` retry mode: throttling, 5xx and dropped connections).
    """

    def __init__(self, *, timeout: float = 30.0, retries: int = 3,
                 deadline: float | None = None, endpoint_url: str | None = None) -> None:
        deadline = timeout * 1.5 if deadline is None else deadline
        for setting, value in (("timeout", timeout), ("deadline", deadline)):
            if not 0 < value <= MAX_SECONDS:
                raise ConfigurationError(f"{setting} must be a positive number of seconds, at "
                                         f"most {MAX_SECONDS:g}, got {value!r}",
                                         setting=setting)
        if retries < 0:
            raise ConfigurationError(f"retries must be >= 0, got {retries!r}",
                                     setting="retries")
        if endpoint_url is None and os.environ.get(ENDPOINT_ENV, "").strip():
            endpoint_url = validate_base_url(os.environ[ENDPOINT_ENV].strip(), ENDPOINT_ENV)
        elif endpoint_url is not None:
            endpoint_url = validate_base_url(endpoint_url, "endpoint_url")
        self.timeout = timeout
        self.retries = retries
        self.deadline = deadline
        self.endpoint_url = endpoint_url
        self._lock = threading.Lock()
        self._session: Any = None
        self._clients: dict[str, Any] = {}
        self._closed = False

    def __repr__(self) -> str:
        return (f"<BraketClient endpoint={self.endpoint_url or 'AWS'} timeout={self.timeout:g} "
                f"retries={self.retries}>")

    # -- calls -------------------------------------------------------------------------------------

    async def get_device(self, name: str) -> DeviceBody:
        """The GetDevice response of Braket backend ``name`` (``braket.REGION.PROVIDER.DEV``)."""
        arn = arn_of(name)
        region = region_of(name)
        url = self._url(region, f"/device/{quote(arn, safe='')}")

        def call() -> DeviceBody:
            parsed = self._client(region).get_device(deviceArn=arn)
            body = parsed.get(_BODY_KEY)
            if not isinstance(body, bytes):  # the hook below always sets it
                raise ApiError(f"GET {url}: no response body", url=url)
            response = validate_payload(get_device_adapter, _decoded(body, f"GET {url}", url),
                                        "")
            return DeviceBody(arn, url, body, response)

        return await self._run(call, f"GET {url}", url)

    async def search_devices(self, region: str) -> list[DeviceSummary]:
        """Every device SearchDevices lists in ``region`` (all pages)."""
        url = self._url(region, "/devices")

        def call() -> list[DeviceSummary]:
            found: list[DeviceSummary] = []
            token: str | None = None
            for _ in range(1000):  # a server that never stops paging must not loop forever
                kwargs: dict[str, Any] = {"filters": []}
                if token:
                    kwargs["nextToken"] = token
                parsed = self._client(region).search_devices(**kwargs)
                page = validate_payload(search_devices_adapter,
                                        _decoded(parsed.get(_BODY_KEY), f"POST {url}", url), "")
                found.extend(page.devices)
                token = page.nextToken
                if not token:
                    return found
            raise ApiError(f"POST {url}: more than 1000 pages of devices", url=url)

        return await self._run(call, f"POST {url}", url)

    async def aclose(self) -> None:
        with self._lock:
            self._closed = True
            clients, self._clients = list(self._clients.values()), {}
        for client in clients:
            close = getattr(client, "close", None)
            if close is not None:
                close()

    # -- plumbing ----------------------------------------------------------------------------------

    def _url(self, region: str, path: str) -> str:
        base = self.endpoint_url or f"https://braket.{region}.amazonaws.com"
        return base + path

    def _client(self, region: str) -> Any:
        """The boto3 client of ``region`` (created once; boto3 clients are thread-safe, its
        sessions are not: hence the lock)."""
        with self._lock:
            if self._closed:
                raise NetworkError("the Braket client is closed")
            client = self._clients.get(region)
            if client is None:
                boto3 = require_boto3()
                from botocore.config import (  # type: ignore[import-untyped,import-not-found,unused-ignore]  # noqa: PLC0415
                    Config,
                )

                if self._session is None:
                    self._session = boto3.session.Session()
                client = self._session.client(
                    "braket", region_name=region, endpoint_url=self.endpoint_url,
                    config=Config(connect_timeout=self.timeout, read_timeout=self.timeout,
                                  retries={"mode": "standard",
                                           "total_max_attempts": self.retries + 1},
                                  user_agent_extra=f"qtargets/{_version()} "
                                                   f"BraketSchemas/{SCHEMAS_VERSION}"))
                for operation in ("GetDevice", "SearchDevices"):
                    client.meta.events.register(f"before-parse.braket.{operation}", _keep_body)
                client.meta.events.register("before-send.braket", _check_deadline)
                self._clients[region] = client
            return client

    def _secrets(self) -> Secrets:
        """The credentials in use, to mask from messages (empty if none resolve)."""
        session = self._session
        if session is None:
            return Secrets()
        try:
            credentials = session.get_credentials()
            frozen = credentials.get_frozen_credentials() if credentials is not None else None
        except Exception:  # a broken credential source: nothing to mask, the call said why
            return Secrets()
        if frozen is None:
            return Secrets()
        return Secrets(v for v in (frozen.access_key, frozen.secret_key, frozen.token) if v)

    async def _run(self, call: Callable[[], _T], what: str, url: str) -> _T:
        """``call()`` in a daemon thread, its result or qtargets error, by the deadline."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[_T] = loop.create_future()
        ends = time.monotonic() + self.deadline

        def settle(value: Any, failed: bool) -> None:
            if not future.done():
                if failed:
                    future.set_exception(value)
                else:
                    future.set_result(value)

        def work() -> None:
            _CALL.deadline = ends
            try:
                value: Any = call()
                failed = False
            except Exception as exc:  # every failure becomes ours, unchained
                value, failed = self._error(exc, what, url), True
            with contextlib.suppress(RuntimeError):  # the loop closed: nobody waits any more
                loop.call_soon_threadsafe(settle, value, failed)

        threading.Thread(target=work, name="qtargets-braket", daemon=True).start()
        try:
            return await asyncio.wait_for(future, self.deadline)
        except asyncio.TimeoutError:
            raise NetworkError(f"{what} gave up at its {self.deadline:g} s deadline",
                               url=url) from None

    def _error(self, exc: Exception, what: str, url: str) -> Exception:
        """The qtargets error for a failed call (the botocore error itself is dropped: it
        and its traceback hold the signed request)."""
        if isinstance(exc, (ApiError, NetworkError, ConfigurationError, MissingDependencyError,
                            CalibrationError)):
            return exc
        if isinstance(exc, _OutOfTimeError):
            return NetworkError(f"{what} gave up at its {self.deadline:g} s deadline", url=url)
        kind = type(exc).__name__
        if kind in ("NoCredentialsError", "PartialCredentialsError", "CredentialRetrievalError",
                    "NoAuthTokenError", "UnauthorizedSSOTokenError", "SSOTokenLoadError",
                    "ProfileNotFound"):
            # no credentials to mask (and asking for them again would walk boto3's chain,
            # instance metadata included, a second time)
            return AuthenticationError(
                f"{what}: no usable AWS credentials ({kind}: {str(exc)[:200]}); configure "
                "boto3's chain, e.g. AWS_PROFILE or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY",
                url=url)
        secrets = self._secrets()
        response = getattr(exc, "response", None)
        if isinstance(response, dict) and "Error" in response:  # botocore ClientError
            error = response.get("Error") or {}
            code = str(error.get("Code", "?"))
            message = secrets.redact(str(error.get("Message", "")))[:200]
            status = (response.get("ResponseMetadata") or {}).get("HTTPStatusCode")
            text = f"{what}: {status} {code}: {message}"
            if code in _AUTH_CODES or status in (401, 403):
                return AuthenticationError(
                    f"{text} (AWS credentials: boto3's chain, e.g. AWS_PROFILE or "
                    "AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY)", status=status, url=url,
                    body=message)
            if status == 404 or code == "ResourceNotFoundException":
                return NotFoundError(text, status=status, url=url, body=message)
            if status == 429 or code in ("ThrottlingException", "TooManyRequestsException"):
                return RateLimitError(f"{text} (still, after {self.retries} retries)",
                                      status=status, url=url, body=message)
            return ApiError(text, status=status, url=url, body=message)
        if kind == "ResponseParserError":
            return ApiError(f"{what}: a response that is not the API's JSON ({kind})",
                            status=200, url=url)
        return NetworkError(f"{what} failed (at most {self.retries + 1} attempts): {kind}: "
                            f"{secrets.redact(str(exc))[:200]}", url=url)


def _keep_body(response_dict: dict[str, Any], customized_response_dict: dict[str, Any],
               **_: Any) -> None:
    """botocore hook: the response body, as received, beside the parsed response."""
    body = response_dict.get("body")
    if isinstance(body, (bytes, bytearray)):
        customized_response_dict[_BODY_KEY] = bytes(body)


def _decoded(body: object, what: str, url: str) -> Any:
    """A response body as JSON: anything else is the API's contract broken (an ApiError,
    like every vendor's), not a calibration to fix."""
    if isinstance(body, (bytes, bytearray)):
        try:
            return json.loads(body)
        except (ValueError, RecursionError):
            pass
    raise ApiError(f"{what}: a response that is not the API's JSON", status=200, url=url)


def _check_deadline(**_: Any) -> None:
    """botocore hook before each attempt: none starts past its call's deadline."""
    ends = getattr(_CALL, "deadline", None)
    if ends is not None and time.monotonic() >= ends:
        raise _OutOfTimeError


def _version() -> str:
    try:
        return metadata.version("qtargets")
    except metadata.PackageNotFoundError:
        return "0"
