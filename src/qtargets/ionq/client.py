"""IonQ REST API clients (v0.3 and v0.4): :class:`IonQClient` and its async twin
:class:`AsyncIonQClient`.

Both take the same arguments and run the same request logic, so their behaviour cannot drift::

    with IonQClient() as ionq:                      # key from IONQ_API_KEY, API v0.3
        cal = ionq.calibration("qpu.forte-1")       # the current characterization
        old = ionq.calibration("qpu.forte-1", at=datetime(2025, 5, 1, tzinfo=timezone.utc))

    with IonQClient(base_url="https://api.ionq.co/v0.4") as ionq:   # same calls, API v0.4
        if ionq.newest_characterization_id("qpu.forte-1") != last_seen_id:
            cal = ionq.calibration("qpu.forte-1")

The API version is the base URL's last path segment (``.../v0.3`` or ``.../v0.4``), or
``api_version=`` for a URL that does not end in one (a proxy). What differs between versions
stays inside this module:

* v0.3 lists ``characterizations/backends/{backend}`` with ``start``/``end`` in Unix epoch
  milliseconds, and serves the newest characterization at ``.../current``;
* v0.4 lists ``backends/{backend}/characterizations`` with ``start``/``end`` as ISO 8601
  date-times, finds one characterization by backend *and* id, and has no ``current``: the
  newest is the first of the list (``limit=1``).

Errors: see :mod:`qtargets._http` (``AuthenticationError``, ``NotFoundError``,
``RateLimitError``, ``ApiError``, ``NetworkError``). A 200 whose body is not JSON is an
``ApiError`` (the HTTP layer's contract is broken); JSON that is not a valid characterization
is a :class:`~qtargets.CalibrationError` (the data layer's).
"""

from __future__ import annotations

import json
import os
from datetime import datetime, timedelta, timezone
from typing import Any, Literal, TypeVar, get_args
from urllib.parse import quote, urlencode, urlsplit

import httpx

from .._exceptions import CalibrationError
from .._flow import Fetched, Flow, Get, run_flow, run_flow_async
from .._http import (
    ApiError,
    ApiKeyAuth,
    AsyncHttpClient,
    AuthenticationError,
    HttpClient,
    HttpConfig,
    NotFoundError,
    decode_json,
)
from ..model import Calibration, maybe_timestamp, utc
from ..store import CalibrationStore, Snapshot
from .convert import Gateset, to_calibration

__all__ = ["DEFAULT_BASE_URL", "MAX_PAGE_SIZE", "ApiVersion", "AsyncIonQClient", "IonQClient"]

ApiVersion = Literal["v0.3", "v0.4"]
API_ROOT = "https://api.ionq.co"
DEFAULT_BASE_URL = f"{API_ROOT}/v0.3"
API_KEY_ENV = "IONQ_API_KEY"
BASE_URL_ENV = "QTARGETS_IONQ_API_URL"
MAX_PAGE_SIZE = 10  # the list endpoint's maximum ``limit``, in v0.3 and v0.4
# Never follow more pages than this: a server ignoring ``page`` must not loop us forever.
MAX_PAGES = 1000
_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
_T = TypeVar("_T")


def _epoch_ms(moment: datetime) -> int:
    """``moment`` in whole Unix epoch milliseconds (truncated, exact); naive means UTC."""
    return (utc(moment) - _EPOCH) // timedelta(milliseconds=1)


def _iso_ms(epoch_ms: int) -> str:
    """``epoch_ms`` as an ISO 8601 UTC date-time, milliseconds only when there are any."""
    moment = _EPOCH + timedelta(milliseconds=epoch_ms)
    text = moment.strftime("%Y-%m-%dT%H:%M:%S")
    if moment.microsecond:
        text += f".{moment.microsecond // 1000:03d}"
    return text + "Z"


def _characterization_date(payload: Any) -> float | None:
    moment = maybe_timestamp(payload.get("date") if isinstance(payload, dict) else None)
    return moment.timestamp() if moment is not None else None


def _object(body: Any, url: str) -> dict[str, Any]:
    if not isinstance(body, dict):
        raise ApiError(f"{url} answered JSON {type(body).__name__}, expected an object", url=url)
    return body


def _backend_list(body: Any) -> list[dict[str, Any]]:
    return [b for b in body if isinstance(b, dict)] if isinstance(body, list) else []


def _api_version(base_url: str, requested: ApiVersion | None) -> ApiVersion:
    """The API version ``base_url`` speaks: its last path segment, or ``requested``."""
    known: tuple[ApiVersion, ...] = get_args(ApiVersion)
    if requested is not None and requested not in known:
        raise ValueError(f"api_version must be one of {', '.join(known)}, got {requested!r}")
    segment = urlsplit(base_url).path.rstrip("/").rpartition("/")[2]
    in_url = next((v for v in known if v == segment), None)
    if requested is None:
        if in_url is None:
            raise ValueError(
                f"cannot tell the IonQ API version from the base URL {base_url!r}: end it in "
                f"/v0.3 or /v0.4, or pass api_version='v0.3' or 'v0.4'")
        return in_url
    if in_url is not None and in_url != requested:
        raise ValueError(f"api_version={requested!r} contradicts the base URL {base_url!r}")
    return requested


class _IonQBase:
    """What the sync and async clients share: configuration, paths, and every request flow."""

    api_version: ApiVersion
    """``"v0.3"`` or ``"v0.4"``: which IonQ API the base URL speaks."""

    def __init__(self, api_key: str | None, base_url: str | None,
                 api_version: ApiVersion | None,
                 timeout: float, retries: int, backoff_base: float, backoff_max: float,
                 retry_after_max: float) -> None:
        key = api_key if api_key is not None else os.environ.get(API_KEY_ENV)
        if not key:
            raise AuthenticationError(
                f"no IonQ API key: pass api_key=... or set the {API_KEY_ENV} environment "
                f"variable")
        self._api_key = key
        default = f"{API_ROOT}/{api_version}" if api_version is not None else DEFAULT_BASE_URL
        self.config = HttpConfig(
            base_url=base_url or os.environ.get(BASE_URL_ENV) or default,
            timeout=timeout, max_retries=retries, backoff_base=backoff_base,
            backoff_max=backoff_max, retry_after_max=retry_after_max)
        self.api_version = _api_version(self.config.base_url, api_version)
        self._auth = ApiKeyAuth(key, "apiKey")
        self._secrets = (key,)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(base_url={self.config.base_url!r}, apiKey=***)"

    # -- paths and parameters --------------------------------------------------------------

    def _url(self, get: Get, *, query: bool = True) -> str:
        url = f"{self.config.base_url}/{get.path}"
        # ":" may stand in a query (RFC 3986), so v0.4's ISO times stay readable.
        return f"{url}?{urlencode(get.params, safe=':')}" if query and get.params else url

    @property
    def _v03(self) -> bool:
        return self.api_version == "v0.3"

    def _list_get(self, backend: str, limit: int, page: int, *, start_ms: int | None = None,
                  end_ms: int | None = None) -> Get:
        if not 1 <= limit <= MAX_PAGE_SIZE:
            raise ValueError(f"limit must be between 1 and {MAX_PAGE_SIZE} (the IonQ API's "
                             f"page size), got {limit!r}")
        name = quote(backend, safe="")
        path = (f"characterizations/backends/{name}" if self._v03
                else f"backends/{name}/characterizations")
        params: dict[str, int | str] = {"limit": limit, "page": page}
        for key, epoch_ms in (("start", start_ms), ("end", end_ms)):
            if epoch_ms is not None:
                params[key] = epoch_ms if self._v03 else _iso_ms(epoch_ms)
        return Get(path, params)

    def _by_id_get(self, characterization_id: str, backend: str | None) -> Get:
        uuid = quote(characterization_id, safe="")
        if self._v03:
            return Get(f"characterizations/{uuid}")
        if backend is None:
            raise ValueError("IonQ API v0.4 finds a characterization by backend and id: "
                             "pass backend=...")
        return Get(f"backends/{quote(backend, safe='')}/characterizations/{uuid}")

    # -- interpretation --------------------------------------------------------------------

    @staticmethod
    def _page_items(body: Any, path: str) -> list[dict[str, Any]]:
        items = body.get("characterizations") if isinstance(body, dict) else None
        if not isinstance(items, list):
            raise CalibrationError(path, "expected an object with a 'characterizations' list",
                                   type(body).__name__)
        return [item for item in items if isinstance(item, dict)]

    @staticmethod
    def _last_page(body: dict[str, Any], items: list[dict[str, Any]], limit: int,
                   seen_new: bool) -> bool:
        # ``pages`` is "total" or "remaining" depending on whom you ask; a short or empty page
        # ends the listing under either reading, and so does a page with nothing new.
        return len(items) < limit or not seen_new or body.get("pages") == 0

    def _add_page(self, body: Any, limit: int, out: list[dict[str, Any]],
                  seen: set[Any]) -> bool:
        """Append the page's characterizations not seen yet; True when it was the last page."""
        items = self._page_items(body, "characterizations")
        new = [c for c in items if c.get("id") not in seen or c.get("id") is None]
        seen.update(c.get("id") for c in new)
        out.extend(new)
        return self._last_page(body, items, limit, bool(new))

    def _pick_at(self, body: Any, backend: str, at: datetime, url: str) -> dict[str, Any]:
        items = self._page_items(body, "characterizations")
        when = utc(at).timestamp()
        eligible = [c for c in items if (d := _characterization_date(c)) is not None
                    and d <= when]
        if not eligible:
            raise NotFoundError(f"no characterization of {backend} at or before "
                                f"{utc(at).isoformat()} ({url})", status=None, url=url)
        return max(eligible, key=lambda c: _characterization_date(c) or 0.0)

    def _convert(self, payload: Any, gateset: Gateset, source: str) -> Calibration:
        if not isinstance(payload, dict):
            raise CalibrationError("characterization", "expected a JSON object",
                                   type(payload).__name__)
        return to_calibration(payload, gateset=gateset, source=source,
                              retrieved_at=datetime.now(timezone.utc))

    # -- request flows, one per public method ----------------------------------------------
    #
    # Each public method is one flow (qtargets._flow) run by the sync or the async driver, so
    # the two clients share all logic and differ only in how they wait for a response.

    def _json(self, get: Get) -> Flow[Any]:
        """One GET and its body as JSON: ``body = yield from self._json(get)``."""
        (result,) = yield [get]
        return decode_json(result, self._secrets)

    def _backends_flow(self) -> Flow[list[dict[str, Any]]]:
        return _backend_list((yield from self._json(Get("backends"))))

    def _current_flow(self, backend: str) -> Flow[tuple[dict[str, Any], str]]:
        """The newest characterization of ``backend`` and the URL it came from."""
        if self._v03:
            get = Get(f"characterizations/backends/{quote(backend, safe='')}/current")
            return _object((yield from self._json(get)), self._url(get)), self._url(get)
        get = self._list_get(backend, 1, 1)
        items = self._page_items((yield from self._json(get)), "characterizations")
        if not items:
            raise NotFoundError(f"no characterization of {backend} ({self._url(get)})",
                                status=None, url=self._url(get, query=False))
        return items[0], self._url(get)

    def _characterization_flow(self, characterization_id: str,
                               backend: str | None) -> Flow[dict[str, Any]]:
        get = self._by_id_get(characterization_id, backend)
        payload = _object((yield from self._json(get)), self._url(get))
        # v0.4 answers 404 for another backend's id; make v0.3 mean the same.
        if backend is not None and payload.get("backend", backend) != backend:
            raise NotFoundError(f"characterization {characterization_id} is of "
                                f"{payload.get('backend')}, not {backend} ({self._url(get)})",
                                status=None, url=self._url(get))
        return payload

    def _characterizations_flow(self, backend: str, start: datetime | None,
                                end: datetime | None, limit: int
                                ) -> Flow[list[dict[str, Any]]]:
        start_ms = None if start is None else _epoch_ms(start)
        end_ms = None if end is None else _epoch_ms(end)
        out: list[dict[str, Any]] = []
        seen: set[Any] = set()
        for page in range(1, MAX_PAGES + 1):
            get = self._list_get(backend, limit, page, start_ms=start_ms, end_ms=end_ms)
            if self._add_page((yield from self._json(get)), limit, out, seen):
                break
        return out

    def _calibration_flow(self, backend: str, at: datetime | None,
                          gateset: Gateset) -> Flow[Calibration]:
        if at is None:
            payload, source = yield from self._current_flow(backend)
            return self._convert(payload, gateset, source)
        # ``end`` is exclusive on the server; +1 ms keeps a characterization taken exactly at
        # ``at`` (dates are whole seconds), and the result is checked against ``at`` anyway.
        get = self._list_get(backend, 1, 1, end_ms=_epoch_ms(at) + 1)
        source = self._url(get)
        payload = self._pick_at((yield from self._json(get)), backend, at, source)
        return self._convert(payload, gateset, source)

    def _fetch_flow(self, backend: str, at: datetime | None,
                    store: CalibrationStore | None) -> Flow[Fetched]:
        """The native calibration, saved to ``store``; unchanged costs one request.

        IonQ documents no ETags, so the cheap check is the characterization id: when the
        store already holds the one the API calls current (or in force at ``at``), it is
        returned from the store without converting or writing anything.
        """
        if at is None:
            payload, source = yield from self._current_flow(backend)
        else:
            get = self._list_get(backend, 1, 1, end_ms=_epoch_ms(at) + 1)
            source = self._url(get)
            payload = self._pick_at((yield from self._json(get)), backend, at, source)
        ident = payload.get("id")
        ident = ident if isinstance(ident, str) and ident else None
        if store is not None and ident is not None:
            known = store.by_calibration_id(backend, ident)
            if known is not None:
                return Fetched(store.load(known), known, not_modified=True)
        if store is None:
            return Fetched(self._convert(payload, "native", source), None, not_modified=False)
        calibration, snapshot = self.save_characterization(payload, store, source)
        return Fetched(calibration, snapshot, not_modified=False)

    def save_characterization(self, payload: dict[str, Any], store: CalibrationStore,
                              source: str) -> tuple[Calibration, Snapshot]:
        """Convert a raw characterization (native gateset) and save it under its id."""
        calibration = self._convert(payload, "native", source)
        ident = payload.get("id")
        # The body as decoded and re-encoded (key order kept): the HTTP layer hands flows JSON.
        raw = json.dumps(payload, separators=(",", ":")).encode()
        return calibration, store.save(
            calibration, raw={"characterization": raw},
            calibration_id=ident if isinstance(ident, str) and ident else None)

    def _newest_id_flow(self, backend: str) -> Flow[str | None]:
        if not self._v03:
            entries = _backend_list((yield from self._json(Get("backends"))))
            entry = next((e for e in entries if e.get("backend") == backend), {})
            named = entry.get("characterization_id")
            if isinstance(named, str) and named:
                return named
        get = self._list_get(backend, 1, 1)
        items = self._page_items((yield from self._json(get)), "characterizations")
        if not items:
            return None
        newest = items[0].get("id")
        if not isinstance(newest, str) or not newest:
            raise CalibrationError("characterizations[0].id", "expected a non-empty string",
                                   newest)
        return newest


class IonQClient(_IonQBase):
    """Synchronous IonQ client (``httpx.Client``); use as a context manager or close().

    ``api_key`` defaults to ``$IONQ_API_KEY``, ``base_url`` to ``$QTARGETS_IONQ_API_URL`` or
    ``https://api.ionq.co/v0.3`` (``.../v0.4`` with ``api_version="v0.4"``). The API version
    is the base URL's last path segment; ``api_version`` names it for a URL that does not end
    in one, and must agree with one that does (else ``ValueError``, before any request).
    ``timeout`` is per request, in seconds; ``retries`` is the number of extra attempts on
    transient failures. ``transport`` is for tests (``httpx.MockTransport``).
    """

    def __init__(self, api_key: str | None = None, base_url: str | None = None, *,
                 api_version: ApiVersion | None = None, timeout: float = 30.0,
                 retries: int = 3, backoff_base: float = 0.5, backoff_max: float = 8.0,
                 retry_after_max: float = 30.0,
                 transport: httpx.BaseTransport | None = None) -> None:
        super().__init__(api_key, base_url, api_version, timeout, retries, backoff_base,
                         backoff_max, retry_after_max)
        self._http = HttpClient(self.config, self._auth, secrets=(self._api_key,),
                                transport=transport)

    def __enter__(self) -> IonQClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._http.close()

    def _run(self, flow: Flow[_T]) -> _T:
        return run_flow(self._http, flow)

    def backends(self) -> list[dict[str, Any]]:
        """Every backend the key can see, as IonQ describes it (the shape differs by version)."""
        return self._run(self._backends_flow())

    def current_characterization(self, backend: str) -> dict[str, Any]:
        """The newest characterization of ``backend``, raw (``NotFoundError`` if none)."""
        payload, _ = self._run(self._current_flow(backend))
        return payload

    def characterization(self, characterization_id: str,
                         backend: str | None = None) -> dict[str, Any]:
        """One characterization by its id, raw.

        v0.4 needs ``backend`` (``ValueError`` without it, before any request); in v0.3 it is
        optional, and an id of another backend is a ``NotFoundError`` in both versions.
        """
        return self._run(self._characterization_flow(characterization_id, backend))

    def characterizations(self, backend: str, start: datetime | None = None,
                          end: datetime | None = None, limit: int = MAX_PAGE_SIZE
                          ) -> list[dict[str, Any]]:
        """Every characterization of ``backend`` in ``[start, end)``, newest first, raw.

        ``limit`` is the page size (1-10, the API's maximum; anything else is a
        ``ValueError`` before any request); all pages are followed. Naive datetimes are UTC.
        """
        return self._run(self._characterizations_flow(backend, start, end, limit))

    def calibration(self, backend: str, at: datetime | None = None,
                    gateset: Gateset = "native") -> Calibration:
        """The neutral calibration of ``backend``: current, or the newest taken at or before
        ``at`` (never a newer one; naive ``at`` is UTC). ``provenance.source`` is the URL."""
        return self._run(self._calibration_flow(backend, at, gateset))

    def fetch(self, backend: str, at: datetime | None = None,
              store: CalibrationStore | None = None) -> Fetched:
        """The native calibration of ``backend`` now, or in force at ``at`` (never newer),
        saved to ``store``; with a store, an unchanged one costs one request and a read."""
        return self._run(self._fetch_flow(backend, at, store))

    def newest_characterization_id(self, backend: str) -> str | None:
        """The id of ``backend``'s newest characterization (None if it has none), to tell
        cheaply whether anything changed since a characterization you already hold.

        Costs one request: v0.3 lists one characterization; v0.4 reads ``/backends``, and
        only if that names no ``characterization_id`` for ``backend`` lists one as well (a
        second request).
        """
        return self._run(self._newest_id_flow(backend))


class AsyncIonQClient(_IonQBase):
    """Asynchronous twin of :class:`IonQClient` (``httpx.AsyncClient``), same arguments.

    ``async with AsyncIonQClient() as ionq: cal = await ionq.calibration("qpu.aria-1")``
    """

    def __init__(self, api_key: str | None = None, base_url: str | None = None, *,
                 api_version: ApiVersion | None = None, timeout: float = 30.0,
                 retries: int = 3, backoff_base: float = 0.5, backoff_max: float = 8.0,
                 retry_after_max: float = 30.0,
                 transport: httpx.AsyncBaseTransport | None = None) -> None:
        super().__init__(api_key, base_url, api_version, timeout, retries, backoff_base,
                         backoff_max, retry_after_max)
        self._http = AsyncHttpClient(self.config, self._auth, secrets=(self._api_key,),
                                     transport=transport)

    async def __aenter__(self) -> AsyncIonQClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def close(self) -> None:
        await self._http.aclose()

    async def _run(self, flow: Flow[_T]) -> _T:
        return await run_flow_async(self._http, flow)

    async def backends(self) -> list[dict[str, Any]]:
        """See :meth:`IonQClient.backends`."""
        return await self._run(self._backends_flow())

    async def current_characterization(self, backend: str) -> dict[str, Any]:
        """See :meth:`IonQClient.current_characterization`."""
        payload, _ = await self._run(self._current_flow(backend))
        return payload

    async def characterization(self, characterization_id: str,
                               backend: str | None = None) -> dict[str, Any]:
        """See :meth:`IonQClient.characterization`."""
        return await self._run(self._characterization_flow(characterization_id, backend))

    async def characterizations(self, backend: str, start: datetime | None = None,
                                end: datetime | None = None, limit: int = MAX_PAGE_SIZE
                                ) -> list[dict[str, Any]]:
        """See :meth:`IonQClient.characterizations`."""
        return await self._run(self._characterizations_flow(backend, start, end, limit))

    async def calibration(self, backend: str, at: datetime | None = None,
                          gateset: Gateset = "native") -> Calibration:
        """See :meth:`IonQClient.calibration`."""
        return await self._run(self._calibration_flow(backend, at, gateset))

    async def fetch(self, backend: str, at: datetime | None = None,
                    store: CalibrationStore | None = None) -> Fetched:
        """See :meth:`IonQClient.fetch`."""
        return await self._run(self._fetch_flow(backend, at, store))

    async def newest_characterization_id(self, backend: str) -> str | None:
        """See :meth:`IonQClient.newest_characterization_id` (one request)."""
        return await self._run(self._newest_id_flow(backend))
