"""IonQ REST API (v0.3) clients: :class:`IonQClient` and its async twin :class:`AsyncIonQClient`.

Both take the same arguments and share one configuration, so their behaviour cannot drift::

    with IonQClient() as ionq:                      # key from IONQ_API_KEY
        cal = ionq.calibration("qpu.forte-1")       # the current characterization
        old = ionq.calibration("qpu.forte-1", at=datetime(2025, 5, 1, tzinfo=timezone.utc))

Errors: see :mod:`qtargets._http` (``AuthenticationError``, ``NotFoundError``,
``RateLimitError``, ``ApiError``, ``NetworkError``). A 200 whose body is not JSON is an
``ApiError`` (the HTTP layer's contract is broken); JSON that is not a valid characterization
is a :class:`~qtargets.CalibrationError` (the data layer's).
"""

from __future__ import annotations

import os
from datetime import datetime, timezone
from typing import Any
from urllib.parse import quote, urlencode

import httpx

from .._exceptions import CalibrationError
from .._http import (
    ApiError,
    ApiKeyAuth,
    AsyncHttpClient,
    AuthenticationError,
    HttpClient,
    HttpConfig,
    NotFoundError,
)
from ..calibration import Calibration, utc
from .convert import Gateset, to_calibration

__all__ = ["DEFAULT_BASE_URL", "MAX_PAGE_SIZE", "AsyncIonQClient", "IonQClient"]

DEFAULT_BASE_URL = "https://api.ionq.co/v0.3"
API_KEY_ENV = "IONQ_API_KEY"
BASE_URL_ENV = "QTARGETS_IONQ_API_URL"
MAX_PAGE_SIZE = 10  # the v0.3 list endpoint's maximum ``limit``
# Never follow more pages than this: a server ignoring ``page`` must not loop us forever.
MAX_PAGES = 1000


def _epoch_ms(moment: datetime) -> int:
    """v0.3 ``start``/``end`` are Unix epoch milliseconds; naive datetimes are UTC."""
    return int(utc(moment).timestamp() * 1000)


def _characterization_date(payload: Any) -> float | None:
    date = payload.get("date") if isinstance(payload, dict) else None
    if isinstance(date, (int, float)) and not isinstance(date, bool):
        return float(date)
    if isinstance(date, str):
        try:
            return utc(datetime.fromisoformat(date.replace("Z", "+00:00"))).timestamp()
        except ValueError:
            return None
    return None


def _object(body: Any, url: str) -> dict[str, Any]:
    if not isinstance(body, dict):
        raise ApiError(f"{url} answered JSON {type(body).__name__}, expected an object", url=url)
    return body


class _IonQBase:
    """What the sync and async clients share: configuration, paths, and interpretation."""

    def __init__(self, api_key: str | None, base_url: str | None, timeout: float,
                 retries: int, backoff_base: float, backoff_max: float,
                 retry_after_max: float) -> None:
        key = api_key if api_key is not None else os.environ.get(API_KEY_ENV)
        if not key:
            raise AuthenticationError(
                f"no IonQ API key: pass api_key=... or set the {API_KEY_ENV} environment "
                f"variable")
        self._api_key = key
        self.config = HttpConfig(
            base_url=base_url or os.environ.get(BASE_URL_ENV) or DEFAULT_BASE_URL,
            timeout=timeout, max_retries=retries, backoff_base=backoff_base,
            backoff_max=backoff_max, retry_after_max=retry_after_max)
        self._auth = ApiKeyAuth(key, "apiKey")

    def __repr__(self) -> str:
        return f"{type(self).__name__}(base_url={self.config.base_url!r}, apiKey=***)"

    @staticmethod
    def _current_path(backend: str) -> str:
        return f"characterizations/backends/{quote(backend, safe='')}/current"

    @staticmethod
    def _by_id_path(characterization_id: str) -> str:
        return f"characterizations/{quote(characterization_id, safe='')}"

    @staticmethod
    def _list_path(backend: str) -> str:
        return f"characterizations/backends/{quote(backend, safe='')}"

    @staticmethod
    def _list_params(start: datetime | None, end: datetime | None, limit: int,
                     page: int) -> dict[str, int]:
        if not 1 <= limit <= MAX_PAGE_SIZE:
            raise ValueError(f"limit must be between 1 and {MAX_PAGE_SIZE} (the IonQ API's "
                             f"page size), got {limit!r}")
        params = {"limit": limit, "page": page}
        if start is not None:
            params["start"] = _epoch_ms(start)
        if end is not None:
            params["end"] = _epoch_ms(end)
        return params

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

    @staticmethod
    def _backend_list(body: Any) -> list[dict[str, Any]]:
        return [b for b in body if isinstance(b, dict)] if isinstance(body, list) else []

    def _time_travel(self, backend: str, at: datetime) -> tuple[str, dict[str, int]]:
        # ``end`` is exclusive on the server; +1 ms keeps a characterization taken exactly at
        # ``at`` (dates are whole seconds), and the result is checked against ``at`` anyway.
        params = self._list_params(None, None, 1, 1)
        params["end"] = _epoch_ms(at) + 1
        return self._list_path(backend), params

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


class IonQClient(_IonQBase):
    """Synchronous IonQ v0.3 client (``httpx.Client``); use as a context manager or close().

    ``api_key`` defaults to ``$IONQ_API_KEY``, ``base_url`` to ``$QTARGETS_IONQ_API_URL`` or
    ``https://api.ionq.co/v0.3``. ``timeout`` is per request, in seconds; ``retries`` is the
    number of extra attempts on transient failures. ``transport`` is for tests
    (``httpx.MockTransport``).
    """

    def __init__(self, api_key: str | None = None, base_url: str | None = None, *,
                 timeout: float = 30.0, retries: int = 3, backoff_base: float = 0.5,
                 backoff_max: float = 8.0, retry_after_max: float = 30.0,
                 transport: httpx.BaseTransport | None = None) -> None:
        super().__init__(api_key, base_url, timeout, retries, backoff_base, backoff_max,
                         retry_after_max)
        self._http = HttpClient(self.config, self._auth, secrets=(self._api_key,),
                                transport=transport)

    def __enter__(self) -> IonQClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._http.close()

    def backends(self) -> list[dict[str, Any]]:
        """Every backend the key can see, as IonQ describes it."""
        return self._backend_list(self._http.get_json("backends"))

    def current_characterization(self, backend: str) -> dict[str, Any]:
        """The newest characterization of ``backend``, raw."""
        path = self._current_path(backend)
        return _object(self._http.get_json(path), self._http.url(path))

    def characterization(self, characterization_id: str) -> dict[str, Any]:
        """One characterization by its id, raw."""
        path = self._by_id_path(characterization_id)
        return _object(self._http.get_json(path), self._http.url(path))

    def characterizations(self, backend: str, start: datetime | None = None,
                          end: datetime | None = None, limit: int = MAX_PAGE_SIZE
                          ) -> list[dict[str, Any]]:
        """Every characterization of ``backend`` in ``[start, end)``, newest first, raw.

        ``limit`` is the page size (1-10, the API's maximum; anything else is a
        ``ValueError`` before any request); all pages are followed. Naive datetimes are UTC.
        """
        out: list[dict[str, Any]] = []
        seen: set[Any] = set()
        path = self._list_path(backend)
        for page in range(1, MAX_PAGES + 1):
            body = self._http.get_json(path, self._list_params(start, end, limit, page))
            if self._add_page(body, limit, out, seen):
                break
        return out

    def calibration(self, backend: str, at: datetime | None = None,
                    gateset: Gateset = "native") -> Calibration:
        """The neutral calibration of ``backend``: current, or the newest taken at or before
        ``at`` (never a newer one; naive ``at`` is UTC). ``provenance.source`` is the URL."""
        if at is None:
            path = self._current_path(backend)
            return self._convert(self._http.get_json(path), gateset, self._http.url(path))
        path, params = self._time_travel(backend, at)
        url = f"{self._http.url(path)}?{urlencode(params)}"
        payload = self._pick_at(self._http.get_json(path, params), backend, at, url)
        return self._convert(payload, gateset, url)


class AsyncIonQClient(_IonQBase):
    """Asynchronous twin of :class:`IonQClient` (``httpx.AsyncClient``), same arguments.

    ``async with AsyncIonQClient() as ionq: cal = await ionq.calibration("qpu.aria-1")``
    """

    def __init__(self, api_key: str | None = None, base_url: str | None = None, *,
                 timeout: float = 30.0, retries: int = 3, backoff_base: float = 0.5,
                 backoff_max: float = 8.0, retry_after_max: float = 30.0,
                 transport: httpx.AsyncBaseTransport | None = None) -> None:
        super().__init__(api_key, base_url, timeout, retries, backoff_base, backoff_max,
                         retry_after_max)
        self._http = AsyncHttpClient(self.config, self._auth, secrets=(self._api_key,),
                                     transport=transport)

    async def __aenter__(self) -> AsyncIonQClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def close(self) -> None:
        await self._http.aclose()

    async def backends(self) -> list[dict[str, Any]]:
        """See :meth:`IonQClient.backends`."""
        return self._backend_list(await self._http.get_json("backends"))

    async def current_characterization(self, backend: str) -> dict[str, Any]:
        """See :meth:`IonQClient.current_characterization`."""
        path = self._current_path(backend)
        return _object(await self._http.get_json(path), self._http.url(path))

    async def characterization(self, characterization_id: str) -> dict[str, Any]:
        """See :meth:`IonQClient.characterization`."""
        path = self._by_id_path(characterization_id)
        return _object(await self._http.get_json(path), self._http.url(path))

    async def characterizations(self, backend: str, start: datetime | None = None,
                                end: datetime | None = None, limit: int = MAX_PAGE_SIZE
                                ) -> list[dict[str, Any]]:
        """See :meth:`IonQClient.characterizations`."""
        out: list[dict[str, Any]] = []
        seen: set[Any] = set()
        path = self._list_path(backend)
        for page in range(1, MAX_PAGES + 1):
            body = await self._http.get_json(path, self._list_params(start, end, limit, page))
            if self._add_page(body, limit, out, seen):
                break
        return out

    async def calibration(self, backend: str, at: datetime | None = None,
                          gateset: Gateset = "native") -> Calibration:
        """See :meth:`IonQClient.calibration`."""
        if at is None:
            path = self._current_path(backend)
            return self._convert(await self._http.get_json(path), gateset,
                                 self._http.url(path))
        path, params = self._time_travel(backend, at)
        url = f"{self._http.url(path)}?{urlencode(params)}"
        payload = self._pick_at(await self._http.get_json(path, params), backend, at, url)
        return self._convert(payload, gateset, url)
