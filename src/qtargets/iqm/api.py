"""IQM Server REST client (IQM Resonance or an on-premises IQM Server, API v1),
:class:`IQMClient` and its async twin :class:`AsyncIQMClient`: HTTP in, typed models or the
exact bytes out. They only talk: converting and storing is :mod:`qtargets.iqm.source`'s job.

qtargets' own HTTP layer (:mod:`qtargets._http`: deadline, retries with backoff and
``Retry-After``, typed errors, secrets masked) rather than iqm-client: the four GETs below are
all qtargets needs, and iqm-client would bring its own stack (requests, OpenTelemetry, IQM's
station-control and pulse libraries) without a deadline over retries::

    with IQMClient() as iqm:                    # token from IQM_TOKEN, server IQM_SERVER_URL
        metrics = iqm.metrics("garnet")         # an IQMBody: the quality metric set's bytes
        dqa = iqm.architecture("garnet", metrics.describes)
        cal = qtargets.iqm.to_calibration(metrics.body, dqa.body, backend_name="iqm_garnet")

The token is sent as ``Authorization: Bearer <token>``, as iqm-client does with ``IQM_TOKEN``.
Paths (under ``<server>/api/v1``), as iqm-client's ``IQMServerStorage`` uses them:

* ``quantum-computers``: the quantum computers the token can see;
* ``calibration-sets/{qc}/{id}/metrics``: the quality metric set of calibration set ``id``
  (``default``: the one in use);
* ``calibration-sets/{qc}/{id}/dynamic-quantum-architecture``;
* ``calibration-sets/{qc}/{id}``: the calibration set (gate durations).
"""

from __future__ import annotations

import os
from typing import Any, TypeVar
from urllib.parse import quote

import httpx

from .._exceptions import ApiError, AuthenticationError
from .._flow import Flow, Get, run_flow, run_flow_async
from .._http import (
    ApiClient,
    ApiKeyAuth,
    AsyncApiClient,
    AsyncHttpClient,
    HttpClient,
    HttpConfig,
    HttpResult,
    JsonBody,
    base_url_setting,
    decode_json,
)
from .._secret import Secret, Secrets, checked_key, hide
from ..model import validate_payload
from .models import QuantumComputer, quantum_computers_adapter

__all__ = [
    "DEFAULT_SERVER_URL",
    "SERVER_URL_ENV",
    "TOKEN_ENV",
    "AsyncIQMClient",
    "IQMBody",
    "IQMClient",
]

TOKEN_ENV = "IQM_TOKEN"
"""The variable iqm-client reads its token from, so one setting serves both."""
SERVER_URL_ENV = "IQM_SERVER_URL"
"""iqm-client's variable for the server's root URL."""
DEFAULT_SERVER_URL = "https://resonance.meetiqm.com"
API_PATH = "api/v1"
DEFAULT = "default"
"""The calibration set id that means "the one in use now"."""

_T = TypeVar("_T")


class IQMBody(JsonBody):
    """One JSON object as the server sent it."""

    @property
    def id(self) -> str | None:
        """The observation set's id (of a quality metric set or calibration set)."""
        ident = self.data.get("observation_set_id")
        return ident if isinstance(ident, str) and ident else None

    @property
    def describes(self) -> str | None:
        """The id of the calibration set a quality metric set describes."""
        ident = self.data.get("describes_id")
        return ident if isinstance(ident, str) and ident else None


def _object(result: HttpResult, secrets: Secrets) -> IQMBody:
    body = decode_json(result, secrets)
    if not isinstance(body, dict):
        raise ApiError(f"{result.url} answered JSON {type(body).__name__}, expected an object",
                       url=result.url)
    return IQMBody(result.url, result.body)


def _token(given: Secret | None) -> Secret:
    """The IQM token: ``given``, else ``$IQM_TOKEN``; checked (see
    :func:`~qtargets._secret.checked_key`)."""
    if given is not None:
        return checked_key(given, "token=", "IQM")
    token = hide(os.environ.get(TOKEN_ENV))
    if token is None:
        raise AuthenticationError(f"no IQM token: pass token=... or set the {TOKEN_ENV} "
                                  "environment variable (IQM Resonance: your API token)")
    return checked_key(token, TOKEN_ENV, "IQM")


class _IQMBase:
    """What the sync and async clients share: configuration, paths and request flows."""

    def __init__(self, token: str | None = None, server_url: str | None = None, *,
                 timeout: float = 30.0, deadline: float = 45.0, retries: int = 3,
                 backoff_base: float = 0.5, backoff_max: float = 8.0,
                 retry_after_max: float = 30.0,
                 transport: httpx.BaseTransport | httpx.AsyncBaseTransport | None = None
                 ) -> None:
        key = _token(hide(token))
        del token  # only the masked copy stays in this frame, whatever is raised below
        root, _ = base_url_setting(server_url, "server_url=", SERVER_URL_ENV,
                                   DEFAULT_SERVER_URL)
        self.server_url = root
        self.config = HttpConfig(
            base_url=f"{root}/{API_PATH}", timeout=timeout, deadline=deadline,
            max_retries=retries, backoff_base=backoff_base, backoff_max=backoff_max,
            retry_after_max=retry_after_max)
        self._auth = ApiKeyAuth(key, "Bearer")
        self._secrets = Secrets((key,))
        self._connect(transport)

    def _connect(self, transport: Any) -> None:
        raise NotImplementedError

    def __repr__(self) -> str:
        config = getattr(self, "config", None)  # safe on a half-built client too
        url = config.base_url if config is not None else "?"
        return f"{type(self).__name__}(base_url={url!r}, token=***)"

    # -- flows ---------------------------------------------------------------------------------

    @staticmethod
    def _set(quantum_computer: str, calibration_set: str, tail: str = "") -> Get:
        path = f"calibration-sets/{quote(quantum_computer, safe='')}/" \
               f"{quote(calibration_set, safe='')}"
        return Get(path + tail)

    def _one(self, get: Get) -> Flow[IQMBody]:
        (result,) = yield [get]
        return _object(result, self._secrets)

    def _computers_flow(self) -> Flow[list[QuantumComputer]]:
        (result,) = yield [Get("quantum-computers")]
        listing = validate_payload(quantum_computers_adapter,
                                   decode_json(result, self._secrets), "quantum_computers")
        return list(listing.quantum_computers)


class IQMClient(_IQMBase, ApiClient):
    """Synchronous IQM Server client; use as a context manager or close().

    ``token`` defaults to ``$IQM_TOKEN``, ``server_url`` to ``$IQM_SERVER_URL`` or IQM
    Resonance (``https://resonance.meetiqm.com``). ``timeout`` bounds each attempt's connect
    and reads, ``deadline`` each call as a whole, in seconds; ``retries`` is the number of
    extra attempts on transient failures. ``transport`` is for tests.
    """

    def _connect(self, transport: Any) -> None:
        self._http = HttpClient(self.config, self._auth, secrets=self._secrets,
                                transport=transport)

    def _run(self, flow: Flow[_T]) -> _T:
        return run_flow(self._http, flow)

    def quantum_computers(self) -> list[QuantumComputer]:
        """The quantum computers the token can see."""
        return self._run(self._computers_flow())

    def metrics(self, quantum_computer: str, calibration_set: str = DEFAULT) -> IQMBody:
        """The quality metric set of ``calibration_set`` (the one in use by default)."""
        return self._run(self._one(self._set(quantum_computer, calibration_set, "/metrics")))

    def architecture(self, quantum_computer: str, calibration_set: str = DEFAULT) -> IQMBody:
        """The dynamic quantum architecture of ``calibration_set``."""
        return self._run(self._one(self._set(quantum_computer, calibration_set,
                                             "/dynamic-quantum-architecture")))

    def calibration_set(self, quantum_computer: str, calibration_set: str = DEFAULT
                        ) -> IQMBody:
        """The calibration set itself (every setting; large)."""
        return self._run(self._one(self._set(quantum_computer, calibration_set)))


class AsyncIQMClient(_IQMBase, AsyncApiClient):
    """Asynchronous twin of :class:`IQMClient` (``httpx.AsyncClient``), same arguments."""

    def _connect(self, transport: Any) -> None:
        self._http = AsyncHttpClient(self.config, self._auth, secrets=self._secrets,
                                     transport=transport)

    async def _run(self, flow: Flow[_T]) -> _T:
        return await run_flow_async(self._http, flow)

    async def quantum_computers(self) -> list[QuantumComputer]:
        """See :meth:`IQMClient.quantum_computers`."""
        return await self._run(self._computers_flow())

    async def metrics(self, quantum_computer: str, calibration_set: str = DEFAULT) -> IQMBody:
        """See :meth:`IQMClient.metrics`."""
        return await self._run(self._one(self._set(quantum_computer, calibration_set,
                                                   "/metrics")))

    async def architecture(self, quantum_computer: str, calibration_set: str = DEFAULT
                           ) -> IQMBody:
        """See :meth:`IQMClient.architecture`."""
        return await self._run(self._one(self._set(quantum_computer, calibration_set,
                                                   "/dynamic-quantum-architecture")))

    async def calibration_set(self, quantum_computer: str, calibration_set: str = DEFAULT
                              ) -> IQMBody:
        """See :meth:`IQMClient.calibration_set`."""
        return await self._run(self._one(self._set(quantum_computer, calibration_set)))
