"""IBM Quantum REST API clients, :class:`IBMClient` and its async twin :class:`AsyncIBMClient`:
HTTP in, typed models or the exact bytes out. They only talk: storing and converting is the
source layer's job (:mod:`qtargets.ibm.source`).

Both take the same arguments and share one configuration, so their behaviour cannot drift::

    with IBMClient() as ibm:                      # credentials: see qtargets.ibm.account
        devices = ibm.backends()                  # [BackendDevice(name='ibm_fez', ...), ...]
        conf = ibm.configuration("ibm_fez")       # BackendConfiguration
        props = ibm.properties("ibm_fez", updated_before=datetime(2025, 6, 1))

Authentication: the IBM Cloud API key is exchanged at IAM for a bearer token (cached per
process, refreshed before expiry, see :mod:`qtargets.ibm.auth`); every request carries the
``Service-CRN`` of the instance and an ``IBM-API-Version`` date.

For the exact bodies (what the store keeps), build a request with :meth:`IBMClient.
configuration_get` or :meth:`IBMClient.properties_get` (with validators for a conditional
request) and send it with :meth:`IBMClient.get`, or run a request flow (:mod:`qtargets._flow`)
with :meth:`IBMClient.run`.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any, TypeVar
from urllib.parse import quote

import httpx
from pydantic import TypeAdapter

from .._exceptions import CalibrationError
from .._flow import Flow, Get, run_flow, run_flow_async
from .._http import (
    ApiClient,
    AsyncApiClient,
    AsyncHttpClient,
    HttpClient,
    HttpConfig,
    HttpResult,
    Validators,
    decode_json,
    first_not_json,
)
from .._secret import hide
from ..model import utc, validate_payload
from .account import IBMAccount, resolve_account
from .auth import IAMAuth
from .models import (
    BackendConfiguration,
    BackendDevice,
    BackendProperties,
    BackendStatus,
    backends_adapter,
    configuration_adapter,
    properties_adapter,
    status_adapter,
)

__all__ = ["API_VERSION", "AsyncIBMClient", "IBMClient"]

API_VERSION = "2026-04-15"
"""The ``IBM-API-Version`` date sent with every request (the API's behaviour as of that day)."""

_T = TypeVar("_T")
_M = TypeVar("_M")


def _iso(moment: datetime) -> str:
    """``updated_before`` value: UTC ISO 8601 with a ``Z`` (naive input is UTC)."""
    return utc(moment).isoformat().replace("+00:00", "Z")


class _IBMBase:
    """What the sync and async clients share: their arguments, account, configuration,
    requests and decoding; each opens its own kind of HTTP client (:meth:`_connect`)."""

    def __init__(self, api_key: str | None = None, instance: str | None = None, *,
                 region: str | None = None, api_url: str | None = None,
                 iam_url: str | None = None, account: str | None = None,
                 account_file: str | None = None, timeout: float = 30.0,
                 deadline: float = 45.0, retries: int = 3, backoff_base: float = 0.5,
                 backoff_max: float = 8.0, retry_after_max: float = 30.0,
                 transport: httpx.BaseTransport | httpx.AsyncBaseTransport | None = None
                 ) -> None:
        key = hide(api_key)
        del api_key  # only the masked copy stays in this frame, whatever is raised below
        self.account: IBMAccount = resolve_account(
            key, instance, region=region, api_url=api_url, iam_url=iam_url,
            account=account, account_file=account_file)
        options: dict[str, Any] = {
            "timeout": timeout, "deadline": deadline, "max_retries": retries,
            "backoff_base": backoff_base,
            "backoff_max": backoff_max, "retry_after_max": retry_after_max}
        self.config = HttpConfig(base_url=self.account.api_url, **options)
        self.iam_config = HttpConfig(base_url=self.account.iam_url, **options)
        self._headers = {"Service-CRN": self.account.instance, "IBM-API-Version": API_VERSION}
        self._connect(transport)

    def _connect(self, transport: Any) -> None:
        """Open the HTTP client (sync or async) with IAM authentication."""
        raise NotImplementedError

    def __repr__(self) -> str:
        # safe on a half-built client too: a traceback showing locals reprs it
        account = getattr(self, "account", None)
        url, instance = (account.api_url, account.instance) if account is not None else ("?", "?")
        return f"{type(self).__name__}(api_url={url!r}, instance={instance!r}, apikey=***)"

    # -- requests ----------------------------------------------------------------------------

    @staticmethod
    def _path(backend: str, what: str) -> str:
        return f"v1/backends/{quote(backend, safe='')}/{what}"

    def configuration_get(self, backend: str, calibration_id: str | None = None,
                          validators: Validators | None = None) -> Get:
        """``GET /v1/backends/{backend}/configuration``, conditional with ``validators``."""
        params = {"calibration_id": calibration_id} if calibration_id else None
        return Get(self._path(backend, "configuration"), params, validators)

    def properties_get(self, backend: str, updated_before: datetime | None = None,
                       calibration_id: str | None = None,
                       validators: Validators | None = None) -> Get:
        """``GET /v1/backends/{backend}/properties``: the newest, or the newest updated before
        ``updated_before`` (naive = UTC); conditional with ``validators``."""
        params = {}
        if updated_before is not None:
            params["updated_before"] = _iso(updated_before)
        if calibration_id is not None:
            params["calibration_id"] = calibration_id
        return Get(self._path(backend, "properties"), params or None, validators)

    def url(self, get: Get) -> str:
        """The absolute URL of ``get``, without its query."""
        return f"{self.config.base_url}/{get.path.lstrip('/')}"

    @staticmethod
    def _backends_params(wait_times: bool) -> dict[str, str] | None:
        return {"fields": "wait_time_seconds"} if wait_times else None

    # -- decoding ----------------------------------------------------------------------------

    @staticmethod
    def _model(adapter: TypeAdapter[_M], result: HttpResult, root: str) -> _M:
        """The body validated: an :class:`~qtargets.ApiError` if it is not JSON at all (the
        HTTP contract broken), a :class:`~qtargets.CalibrationError` if it is JSON of the
        wrong shape."""
        try:
            return validate_payload(adapter, result.body, root)
        except CalibrationError:
            broken = first_not_json(result.url, [result.body])
            if broken is not None:
                raise broken from None
            raise

    @staticmethod
    def _json_object(result: HttpResult, what: str) -> dict[str, Any]:
        body = decode_json(result)
        if not isinstance(body, dict):
            raise CalibrationError(what, "expected a JSON object", type(body).__name__)
        return body


class IBMClient(_IBMBase, ApiClient):
    """Synchronous IBM Quantum client (``httpx.Client``); use as a context manager or close().

    Credentials and URLs: see :func:`qtargets.ibm.account.resolve_account` (arguments,
    ``QISKIT_IBM_TOKEN``/``IBM_CLOUD_API_KEY`` + ``QISKIT_IBM_INSTANCE``, or
    ``~/.qiskit/qiskit-ibm.json``; ``QTARGETS_IBM_API_URL``, ``QTARGETS_IBM_IAM_URL``).
    ``timeout`` bounds each attempt's connect and reads, ``deadline`` each call as a whole
    (retries and slow bodies included), in seconds; ``retries`` the extra attempts on
    transient failures. ``transport`` is for tests (``httpx.MockTransport``), used for IAM
    too.
    """

    def _connect(self, transport: Any) -> None:  # an httpx transport of this client's kind
        auth = IAMAuth(self.account.api_key, self.iam_config, transport=transport)
        self._http = HttpClient(self.config, auth, headers=self._headers, transport=transport)

    def get(self, get: Get) -> HttpResult:
        """Send one request: the exact body and its validators (``not_modified`` after a
        304 to a conditional one)."""
        return self._http.get(get.path, get.params, get.validators)

    def run(self, flow: Flow[_T]) -> _T:
        """Drive a request flow (see :mod:`qtargets._flow`), one request at a time."""
        return run_flow(self._http, flow)

    def backends(self, wait_times: bool = False) -> list[BackendDevice]:
        """``GET /v1/backends``: the devices of the instance (with queue wait times if asked)."""
        body = self._http.get_json("v1/backends", self._backends_params(wait_times))
        return validate_payload(backends_adapter, body, "backends").devices

    def configuration(self, backend: str,
                      calibration_id: str | None = None) -> BackendConfiguration:
        """``GET /v1/backends/{backend}/configuration``, validated."""
        result = self.get(self.configuration_get(backend, calibration_id))
        return self._model(configuration_adapter, result, "configuration")

    def properties(self, backend: str, updated_before: datetime | None = None,
                   calibration_id: str | None = None) -> BackendProperties:
        """``GET /v1/backends/{backend}/properties``, validated; ``updated_before`` naive =
        UTC."""
        result = self.get(self.properties_get(backend, updated_before, calibration_id))
        return self._model(properties_adapter, result, "properties")

    def status(self, backend: str) -> BackendStatus:
        """``GET /v1/backends/{backend}/status``, validated."""
        return validate_payload(status_adapter, self._http.get_json(self._path(backend, "status")),
                        "status")

    def defaults(self, backend: str) -> dict[str, Any]:
        """``GET /v1/backends/{backend}/defaults``: pulse defaults, as JSON (no model: nothing
        in a Calibration comes from them)."""
        return self._json_object(self.get(Get(self._path(backend, "defaults"))), "defaults")

    def get_json(self, path: str, params: Mapping[str, Any] | None = None) -> Any:
        """Any other GET of the API, relative to its base URL (``"v1/backends"``)."""
        return self._http.get_json(path, params)


class AsyncIBMClient(_IBMBase, AsyncApiClient):
    """Asynchronous twin of :class:`IBMClient` (``httpx.AsyncClient``), same arguments.

    ``async with AsyncIBMClient() as ibm: conf = await ibm.configuration("ibm_fez")``; the
    requests of one flow batch (:meth:`run`) are sent concurrently.
    """

    def _connect(self, transport: Any) -> None:  # an httpx transport of this client's kind
        auth = IAMAuth(self.account.api_key, self.iam_config, async_transport=transport)
        self._http = AsyncHttpClient(self.config, auth, headers=self._headers,
                                     transport=transport)

    async def get(self, get: Get) -> HttpResult:
        """See :meth:`IBMClient.get`."""
        return await self._http.get(get.path, get.params, get.validators)

    async def run(self, flow: Flow[_T]) -> _T:
        """Drive a request flow, each batch's requests concurrently."""
        return await run_flow_async(self._http, flow)

    async def backends(self, wait_times: bool = False) -> list[BackendDevice]:
        """See :meth:`IBMClient.backends`."""
        body = await self._http.get_json("v1/backends", self._backends_params(wait_times))
        return validate_payload(backends_adapter, body, "backends").devices

    async def configuration(self, backend: str,
                            calibration_id: str | None = None) -> BackendConfiguration:
        """See :meth:`IBMClient.configuration`."""
        result = await self.get(self.configuration_get(backend, calibration_id))
        return self._model(configuration_adapter, result, "configuration")

    async def properties(self, backend: str, updated_before: datetime | None = None,
                         calibration_id: str | None = None) -> BackendProperties:
        """See :meth:`IBMClient.properties`."""
        result = await self.get(self.properties_get(backend, updated_before, calibration_id))
        return self._model(properties_adapter, result, "properties")

    async def status(self, backend: str) -> BackendStatus:
        """See :meth:`IBMClient.status`."""
        return validate_payload(status_adapter,
                        await self._http.get_json(self._path(backend, "status")), "status")

    async def defaults(self, backend: str) -> dict[str, Any]:
        """See :meth:`IBMClient.defaults`."""
        return self._json_object(await self.get(Get(self._path(backend, "defaults"))),
                                 "defaults")

    async def get_json(self, path: str, params: Mapping[str, Any] | None = None) -> Any:
        """See :meth:`IBMClient.get_json`."""
        return await self._http.get_json(path, params)
