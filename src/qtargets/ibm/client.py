"""IBM Quantum REST API clients: :class:`IBMClient` and its async twin :class:`AsyncIBMClient`.

Both take the same arguments and share one configuration and one fetch logic (a flow, see
:mod:`qtargets._flow`), so their behaviour cannot drift::

    with IBMClient() as ibm:                      # credentials: see qtargets.ibm.account
        cal = ibm.calibration("ibm_fez")          # newest configuration + properties
        old = ibm.calibration("ibm_fez", at=datetime(2025, 6, 1, tzinfo=timezone.utc))

Authentication: the IBM Cloud API key is exchanged at IAM for a bearer token (cached per
process, refreshed before expiry, see :mod:`qtargets.ibm.auth`); every request carries the
``Service-CRN`` of the instance and an ``IBM-API-Version`` date.

With a :class:`~qtargets.CalibrationStore`, fetches are conditional: the properties are asked
with ``If-None-Match``/``If-Modified-Since``, and a 304 answer costs that one request plus a
store read. The configuration is revalidated whenever the properties changed, and at least
every :data:`CONFIGURATION_MAX_AGE`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime, timedelta, timezone
from typing import Any
from urllib.parse import quote

import httpx

from .._exceptions import ApiError, CalibrationError
from .._flow import (
    Fetched,
    Flow,
    Get,
    body_of,
    cache_key,
    not_json,
    run_flow,
    run_flow_async,
    validators_of,
)
from .._http import AsyncHttpClient, HttpClient, HttpConfig, Validators
from ..model import Calibration, utc
from ..store import CalibrationStore
from ._wire import validate
from .account import IBMAccount, resolve_account
from .auth import IAMAuth
from .convert import to_calibration
from .models import backends_adapter

__all__ = ["API_VERSION", "CONFIGURATION_MAX_AGE", "AsyncIBMClient", "IBMClient"]

API_VERSION = "2026-04-15"
"""The ``IBM-API-Version`` date sent with every request (the API's behaviour as of that day)."""

CONFIGURATION_MAX_AGE = timedelta(hours=1)
"""How long a stored configuration is trusted without asking the server while the properties
are unchanged. Configurations change far less often than properties (new basis gates, a
coupling map change) and always with a new calibration in practice; an hour bounds the
exception."""


def _iso(moment: datetime) -> str:
    """``updated_before`` value: UTC ISO 8601 with a ``Z`` (naive input is UTC)."""
    return utc(moment).isoformat().replace("+00:00", "Z")


class _IBMBase:
    """What the sync and async clients share: account, configuration, paths and the flow."""

    def __init__(self, api_key: str | None, instance: str | None, *, region: str | None,
                 api_url: str | None, iam_url: str | None, account: str | None,
                 account_file: str | None, timeout: float, retries: int,
                 backoff_base: float, backoff_max: float, retry_after_max: float) -> None:
        self.account: IBMAccount = resolve_account(
            api_key, instance, region=region, api_url=api_url, iam_url=iam_url,
            account=account, account_file=account_file)
        options: dict[str, Any] = {
            "timeout": timeout, "max_retries": retries, "backoff_base": backoff_base,
            "backoff_max": backoff_max, "retry_after_max": retry_after_max}
        self.config = HttpConfig(base_url=self.account.api_url, **options)
        self.iam_config = HttpConfig(base_url=self.account.iam_url, **options)
        self._headers = {"Service-CRN": self.account.instance, "IBM-API-Version": API_VERSION}

    def __repr__(self) -> str:
        return (f"{type(self).__name__}(api_url={self.config.base_url!r}, "
                f"instance={self.account.instance!r}, apikey=***)")

    @staticmethod
    def _path(backend: str, what: str) -> str:
        return f"v1/backends/{quote(backend, safe='')}/{what}"

    @staticmethod
    def _backends_params(wait_times: bool) -> dict[str, str] | None:
        return {"fields": "wait_time_seconds"} if wait_times else None

    @staticmethod
    def _properties_params(updated_before: datetime | None,
                           calibration_id: str | None) -> dict[str, str] | None:
        params = {}
        if updated_before is not None:
            params["updated_before"] = _iso(updated_before)
        if calibration_id is not None:
            params["calibration_id"] = calibration_id
        return params or None

    @staticmethod
    def _devices(body: Any) -> list[dict[str, Any]]:
        validate(backends_adapter, body, "backends")  # shape check, typed error
        return [dict(device) for device in body["devices"]]

    @staticmethod
    def _object(body: Any, what: str) -> dict[str, Any]:
        if not isinstance(body, dict):
            raise CalibrationError(what, "expected a JSON object", type(body).__name__)
        return body

    def _key(self, url: str, params: Mapping[str, Any] | None) -> str:
        return cache_key("ibm", self.account.instance, url, params)

    def _fetch_flow(self, backend: str, at: datetime | None, store: CalibrationStore | None,
                    url_of: Callable[[str], str]) -> Flow[Fetched]:
        """Configuration + properties -> calibration, conditional when a store is given."""
        conf_path, props_path = self._path(backend, "configuration"), self._path(
            backend, "properties")
        props_params = self._properties_params(at, None)
        conf_key, props_key = self._key(url_of(conf_path), None), self._key(
            url_of(props_path), props_params)
        c_conf = store.cached_response(conf_key) if store is not None else None
        c_props = store.cached_response(props_key) if store is not None else None
        known = (store.by_hash(c_props.snapshot_hash)
                 if store is not None and c_props is not None and c_props.snapshot_hash
                 else None)
        now = datetime.now(timezone.utc)
        conf_fresh = c_conf is not None and now - c_conf.checked_at < CONFIGURATION_MAX_AGE

        if store is not None and known is not None and conf_fresh:
            # The cheap path: one conditional request for the properties.
            (props,) = yield [Get(props_path, props_params, validators_of(c_props))]
            if props.not_modified:
                return Fetched(store.load(known), known, not_modified=True)
            (conf,) = yield [Get(conf_path, None, validators_of(c_conf))]
        else:
            conf, props = yield [Get(conf_path, None, validators_of(c_conf)),
                                 Get(props_path, props_params, validators_of(c_props))]
        conf_body, props_body = body_of(conf, c_conf), body_of(props, c_props)
        try:
            calibration = to_calibration(conf_body, props_body, source=props.url,
                                         retrieved_at=now)
        except CalibrationError:
            broken = not_json(props.url, [conf_body, props_body])
            if broken is not None:
                raise broken from None
            raise
        if at is not None and calibration.taken_at is not None and (
                calibration.taken_at > utc(at)):
            raise ApiError(f"GET {props.url} returned the calibration of "
                           f"{calibration.taken_at.isoformat()}, newer than the requested "
                           f"{utc(at).isoformat()}", status=200, url=props.url)
        if store is None:
            return Fetched(calibration, None, not_modified=False)
        snapshot = store.save(calibration, raw={"configuration": conf_body,
                                                "properties": props_body})
        kept = conf.validators
        if conf.not_modified and c_conf is not None:  # a 304 need not repeat the validators
            kept = Validators(kept.etag or c_conf.etag,
                              kept.last_modified or c_conf.last_modified)
        store.remember_response(conf_key, conf_body, etag=kept.etag,
                                last_modified=kept.last_modified, checked_at=now)
        if props.validators:
            store.remember_response(props_key, props_body, etag=props.validators.etag,
                                    last_modified=props.validators.last_modified,
                                    snapshot_hash=snapshot.content_hash, checked_at=now)
        return Fetched(calibration, snapshot, not_modified=False)


class IBMClient(_IBMBase):
    """Synchronous IBM Quantum client (``httpx.Client``); use as a context manager or close().

    Credentials and URLs: see :func:`qtargets.ibm.account.resolve_account` (arguments,
    ``QISKIT_IBM_TOKEN``/``IBM_CLOUD_API_KEY`` + ``QISKIT_IBM_INSTANCE``, or
    ``~/.qiskit/qiskit-ibm.json``; ``QTARGETS_IBM_API_URL``, ``QTARGETS_IBM_IAM_URL``).
    ``timeout`` is per request, in seconds; ``retries`` the extra attempts on transient
    failures. ``transport`` is for tests (``httpx.MockTransport``), used for IAM too.
    """

    def __init__(self, api_key: str | None = None, instance: str | None = None, *,
                 region: str | None = None, api_url: str | None = None,
                 iam_url: str | None = None, account: str | None = None,
                 account_file: str | None = None, timeout: float = 30.0, retries: int = 3,
                 backoff_base: float = 0.5, backoff_max: float = 8.0,
                 retry_after_max: float = 30.0,
                 transport: httpx.BaseTransport | None = None) -> None:
        super().__init__(api_key, instance, region=region, api_url=api_url, iam_url=iam_url,
                         account=account, account_file=account_file, timeout=timeout,
                         retries=retries, backoff_base=backoff_base, backoff_max=backoff_max,
                         retry_after_max=retry_after_max)
        auth = IAMAuth(self.account.api_key, self.iam_config, transport=transport)
        self._http = HttpClient(self.config, auth, headers=self._headers, transport=transport)

    def __enter__(self) -> IBMClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._http.close()

    def backends(self, wait_times: bool = False) -> list[dict[str, Any]]:
        """``GET /v1/backends``: the devices of the instance (with queue wait times if asked)."""
        return self._devices(self._http.get_json("v1/backends",
                                                 self._backends_params(wait_times)))

    def configuration(self, backend: str, calibration_id: str | None = None) -> dict[str, Any]:
        """``GET /v1/backends/{backend}/configuration``, raw."""
        params = {"calibration_id": calibration_id} if calibration_id else None
        return self._object(self._http.get_json(self._path(backend, "configuration"), params),
                            "configuration")

    def properties(self, backend: str, updated_before: datetime | None = None,
                   calibration_id: str | None = None) -> dict[str, Any]:
        """``GET /v1/backends/{backend}/properties``, raw; ``updated_before`` naive = UTC."""
        return self._object(self._http.get_json(
            self._path(backend, "properties"),
            self._properties_params(updated_before, calibration_id)), "properties")

    def status(self, backend: str) -> dict[str, Any]:
        """``GET /v1/backends/{backend}/status``, raw."""
        return self._object(self._http.get_json(self._path(backend, "status")), "status")

    def defaults(self, backend: str) -> dict[str, Any]:
        """``GET /v1/backends/{backend}/defaults``, raw (pulse defaults; not in Calibration)."""
        return self._object(self._http.get_json(self._path(backend, "defaults")), "defaults")

    def fetch(self, backend: str, at: datetime | None = None,
              store: CalibrationStore | None = None) -> Fetched:
        """The calibration of ``backend`` now, or in force at ``at`` (never a newer one),
        saved to ``store`` and fetched conditionally against it when given."""
        return run_flow(self._http, self._fetch_flow(backend, at, store, self._http.url))

    def calibration(self, backend: str, at: datetime | None = None) -> Calibration:
        """The neutral calibration of ``backend`` (see :meth:`fetch`)."""
        return self.fetch(backend, at).calibration

    def get_json(self, path: str, params: Mapping[str, Any] | None = None) -> Any:
        """Any other GET of the API, relative to its base URL (``"v1/backends"``)."""
        return self._http.get_json(path, params)


class AsyncIBMClient(_IBMBase):
    """Asynchronous twin of :class:`IBMClient` (``httpx.AsyncClient``), same arguments.

    ``async with AsyncIBMClient() as ibm: cal = await ibm.calibration("ibm_fez")``; the
    configuration and properties of a fetch are requested concurrently.
    """

    def __init__(self, api_key: str | None = None, instance: str | None = None, *,
                 region: str | None = None, api_url: str | None = None,
                 iam_url: str | None = None, account: str | None = None,
                 account_file: str | None = None, timeout: float = 30.0, retries: int = 3,
                 backoff_base: float = 0.5, backoff_max: float = 8.0,
                 retry_after_max: float = 30.0,
                 transport: httpx.AsyncBaseTransport | None = None) -> None:
        super().__init__(api_key, instance, region=region, api_url=api_url, iam_url=iam_url,
                         account=account, account_file=account_file, timeout=timeout,
                         retries=retries, backoff_base=backoff_base, backoff_max=backoff_max,
                         retry_after_max=retry_after_max)
        auth = IAMAuth(self.account.api_key, self.iam_config, async_transport=transport)
        self._http = AsyncHttpClient(self.config, auth, headers=self._headers,
                                     transport=transport)

    async def __aenter__(self) -> AsyncIBMClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def close(self) -> None:
        await self._http.aclose()

    async def backends(self, wait_times: bool = False) -> list[dict[str, Any]]:
        """See :meth:`IBMClient.backends`."""
        return self._devices(await self._http.get_json("v1/backends",
                                                       self._backends_params(wait_times)))

    async def configuration(self, backend: str,
                            calibration_id: str | None = None) -> dict[str, Any]:
        """See :meth:`IBMClient.configuration`."""
        params = {"calibration_id": calibration_id} if calibration_id else None
        return self._object(await self._http.get_json(self._path(backend, "configuration"),
                                                      params), "configuration")

    async def properties(self, backend: str, updated_before: datetime | None = None,
                         calibration_id: str | None = None) -> dict[str, Any]:
        """See :meth:`IBMClient.properties`."""
        return self._object(await self._http.get_json(
            self._path(backend, "properties"),
            self._properties_params(updated_before, calibration_id)), "properties")

    async def status(self, backend: str) -> dict[str, Any]:
        """See :meth:`IBMClient.status`."""
        return self._object(await self._http.get_json(self._path(backend, "status")),
                            "status")

    async def defaults(self, backend: str) -> dict[str, Any]:
        """See :meth:`IBMClient.defaults`."""
        return self._object(await self._http.get_json(self._path(backend, "defaults")),
                            "defaults")

    async def fetch(self, backend: str, at: datetime | None = None,
                    store: CalibrationStore | None = None) -> Fetched:
        """See :meth:`IBMClient.fetch`."""
        return await run_flow_async(self._http,
                                    self._fetch_flow(backend, at, store, self._http.url))

    async def calibration(self, backend: str, at: datetime | None = None) -> Calibration:
        """See :meth:`IBMClient.calibration`."""
        return (await self.fetch(backend, at)).calibration

    async def get_json(self, path: str, params: Mapping[str, Any] | None = None) -> Any:
        """See :meth:`IBMClient.get_json`."""
        return await self._http.get_json(path, params)
