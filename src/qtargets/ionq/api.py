"""IonQ REST API clients (v0.3 and v0.4), :class:`IonQClient` and its async twin
:class:`AsyncIonQClient`: HTTP in, typed models or the exact bytes out. They only talk:
converting and storing is the source layer's job (:mod:`qtargets.ionq.source`).

Both take the same arguments and run the same request logic, so their behaviour cannot drift::

    with IonQClient() as ionq:                      # key from IONQ_API_KEY, API v0.3
        now = ionq.current_characterization("qpu.forte-1")      # a CharacterizationBody
        old = ionq.characterization_at("qpu.forte-1", datetime(2025, 5, 1, tzinfo=timezone.utc))
        cal = qtargets.ionq.to_calibration(now.body)            # the neutral Calibration

    with IonQClient(base_url="https://api.ionq.co/v0.4") as ionq:   # same calls, API v0.4
        if ionq.newest_characterization_id("qpu.forte-1") != last_seen_id:
            ...

The API version is the base URL's last path segment (``.../v0.3`` or ``.../v0.4``), or
``api_version=`` for a URL that does not end in one (a proxy). What differs between versions
stays inside this module:

* v0.3 lists ``characterizations/backends/{backend}`` with ``start``/``end`` in Unix epoch
  milliseconds, and serves the newest characterization at ``.../current``;
* v0.4 lists ``backends/{backend}/characterizations`` with ``start``/``end`` as ISO 8601
  date-times, finds one characterization by backend *and* id, and has no ``current``: the
  newest is the first of the list (``limit=1``).

A characterization comes back as a :class:`CharacterizationBody`: its bytes exactly as the
server sent them (for one taken from a list page, that entry's own bytes), where it came
from, and its id and date. One device's ``/backends`` entry comes back as a
:class:`BackendBody` (v0.4: ``GET /backends/{backend}``, which names the device's native gates
in ``supported_native_gates``; v0.3: its entry of ``GET /backends``).

Errors: see :mod:`qtargets._http` (``AuthenticationError``, ``NotFoundError``,
``RateLimitError``, ``ApiError``, ``NetworkError``). A 200 whose body is not JSON is an
``ApiError`` (the HTTP layer's contract is broken); JSON of the wrong shape is a
:class:`~qtargets.CalibrationError` (the data layer's).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any, Literal, TypeVar, get_args
from urllib.parse import quote, urlencode, urlsplit

import httpx
import msgspec

from .._exceptions import (
    ApiError,
    AuthenticationError,
    CalibrationError,
    ConfigurationError,
    NotFoundError,
)
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
    safe_url,
)
from .._secret import Secret, Secrets, checked_key, hide
from ..model import maybe_timestamp, utc, validate_payload
from .models import (
    Backend,
    Characterization,
    backend_adapter,
    backends_adapter,
    characterization_adapter,
)

__all__ = [
    "DEFAULT_BASE_URL",
    "MAX_PAGE_SIZE",
    "ApiVersion",
    "AsyncIonQClient",
    "BackendBody",
    "CharacterizationBody",
    "IonQClient",
]

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


class CharacterizationBody(JsonBody):
    """One characterization as the API sent it (a list entry: its own bytes; its ``url``, the
    page's request, says which page)."""

    @property
    def id(self) -> str | None:
        """IonQ's id of the characterization (``None`` if it has none)."""
        ident = self.data.get("id")
        return ident if isinstance(ident, str) and ident else None

    @property
    def date(self) -> datetime | None:
        """When it was taken (UTC); ``None`` if the body does not say in a known form."""
        return maybe_timestamp(self.data.get("date"))

    def model(self) -> Characterization:
        """The validated model (a :class:`~qtargets.CalibrationError` if invalid)."""
        return validate_payload(characterization_adapter, self.body, "characterization")


@dataclass(frozen=True)
class BackendBody:
    """One device's ``/backends`` entry as the API sent it, validated."""

    url: str
    """The request it came from."""
    body: bytes = field(repr=False)
    """The entry's JSON exactly as received (from the v0.3 list: that entry's own bytes)."""
    model: Backend = field(repr=False)
    """The validated entry (``supported_native_gates`` and the rest)."""


class _Named(msgspec.Struct):
    """Just enough of a ``/backends`` entry to tell whose it is."""

    backend: Any = None


class _Page(msgspec.Struct):
    """A list page, with each characterization kept as its raw bytes."""

    characterizations: list[msgspec.Raw] | None = None
    pages: Any = None


def _object(result: HttpResult) -> dict[str, Any]:
    body = decode_json(result)
    if not isinstance(body, dict):
        raise ApiError(f"{result.url} answered JSON {type(body).__name__}, expected an object",
                       url=result.url)
    return body


def _api_version(base_url: str, requested: ApiVersion | None, setting: str) -> ApiVersion:
    """The API version ``base_url`` (from ``setting``) speaks: its last path segment, or
    ``requested``."""
    known: tuple[ApiVersion, ...] = get_args(ApiVersion)
    if requested is not None and requested not in known:
        raise ConfigurationError(f"api_version must be one of {', '.join(known)}, got "
                                 f"{requested!r}", setting="api_version")
    segment = urlsplit(base_url).path.rstrip("/").rpartition("/")[2]
    in_url = next((v for v in known if v == segment), None)
    if requested is None:
        if in_url is None:
            raise ConfigurationError(
                f"{setting}: cannot tell the IonQ API version from {base_url!r}: end it in "
                f"/v0.3 or /v0.4 (e.g. {DEFAULT_BASE_URL}), or pass api_version='v0.3' or "
                f"'v0.4'", setting=setting)
        return in_url
    if in_url is not None and in_url != requested:
        raise ConfigurationError(f"api_version={requested!r} contradicts {setting} "
                                 f"({base_url!r})", setting=setting)
    return requested


def _key(given: Secret | None) -> Secret:
    """The IonQ API key: ``given``, else ``$IONQ_API_KEY``; checked (see
    :func:`~qtargets._secret.checked_key`)."""
    if given is not None:
        return checked_key(given, "api_key=", "IonQ")
    key = hide(os.environ.get(API_KEY_ENV))
    if key is None:
        raise AuthenticationError(f"no IonQ API key: pass api_key=... or set the "
                                  f"{API_KEY_ENV} environment variable")
    return checked_key(key, API_KEY_ENV, "IonQ")


def _device(name: str) -> str:
    return name.strip().lower().removeprefix("qpu.")


def _of(backend: str, body: CharacterizationBody) -> CharacterizationBody:
    """``body``, if it is a characterization of ``backend`` (or names no device): a server
    answering with another device's would otherwise be stored and used as this one's."""
    named = body.data.get("backend") or body.data.get("target")
    if isinstance(named, str) and _device(named) != _device(backend):
        raise ApiError(f"{safe_url(body.url)} answered a characterization of {named!r} for "
                       f"backend {backend!r}", url=safe_url(body.url))
    return body


class _IonQBase:
    """What the sync and async clients share: configuration, paths, and every request flow."""

    api_version: ApiVersion
    """``"v0.3"`` or ``"v0.4"``: which IonQ API the base URL speaks."""

    def __init__(self, api_key: str | None = None, base_url: str | None = None, *,
                 api_version: ApiVersion | None = None, timeout: float = 30.0,
                 deadline: float = 45.0, retries: int = 3, backoff_base: float = 0.5,
                 backoff_max: float = 8.0,
                 retry_after_max: float = 30.0,
                 transport: httpx.BaseTransport | httpx.AsyncBaseTransport | None = None
                 ) -> None:
        key = _key(hide(api_key))
        del api_key  # only the masked copy stays in this frame, whatever is raised below
        default = f"{API_ROOT}/{api_version}" if api_version is not None else DEFAULT_BASE_URL
        url, setting = base_url_setting(base_url, "base_url=", BASE_URL_ENV, default)
        self.config = HttpConfig(
            base_url=url, timeout=timeout, deadline=deadline, max_retries=retries,
            backoff_base=backoff_base, backoff_max=backoff_max, retry_after_max=retry_after_max)
        self.api_version = _api_version(self.config.base_url, api_version, setting)
        self._auth = ApiKeyAuth(key, "apiKey")
        self._secrets = Secrets((key,))
        self._connect(transport)

    def _connect(self, transport: Any) -> None:
        """Open the HTTP client (sync or async) with the key."""
        raise NotImplementedError

    def __repr__(self) -> str:
        # safe on a half-built client too: a traceback showing locals reprs it
        config = getattr(self, "config", None)
        url = config.base_url if config is not None else "?"
        return f"{type(self).__name__}(base_url={url!r}, apiKey=***)"

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

    def _page(self, result: HttpResult) -> tuple[list[CharacterizationBody], Any]:
        """A list page's characterizations, each with its own bytes, and its ``pages``."""
        try:
            page = msgspec.json.decode(result.body, type=_Page)
        except msgspec.ValidationError as exc:
            raise CalibrationError("characterizations", "expected an object with a "
                                   f"'characterizations' list ({exc})",
                                   show_value=False) from None
        except msgspec.DecodeError as exc:
            decode_json(result, self._secrets)  # not JSON at all: the HTTP layer's error
            raise CalibrationError("characterizations", f"not strict JSON: {exc}",
                                   show_value=False) from None
        items = [CharacterizationBody(result.url, bytes(raw))
                 for raw in page.characterizations or ()]
        for i, item in enumerate(items):
            if not item.body.lstrip().startswith(b"{"):
                raise CalibrationError(f"characterizations[{i}]", "expected a JSON object",
                                       item.body[:40].decode("utf-8", "replace"))
        return items, page.pages

    @staticmethod
    def _last_page(pages: Any, items: list[CharacterizationBody], limit: int,
                   seen_new: bool) -> bool:
        # ``pages`` is "total" or "remaining" depending on whom you ask; a short or empty page
        # ends the listing under either reading, and so does a page with nothing new.
        return len(items) < limit or not seen_new or pages == 0

    def _pick_at(self, items: list[CharacterizationBody], backend: str, at: datetime,
                 url: str) -> CharacterizationBody:
        when = utc(at)
        eligible = [c for c in items if c.date is not None and c.date <= when]
        if not eligible:
            raise NotFoundError(f"no characterization of {backend} at or before "
                                f"{when.isoformat()} ({url})", status=None, url=url)
        return max(eligible, key=lambda c: c.date or _EPOCH)

    # -- request flows, one per public method ----------------------------------------------
    #
    # Each public method is one flow (qtargets._flow) run by the sync or the async driver, so
    # the two clients share all logic and differ only in how they wait for a response.

    def _send(self, get: Get) -> Flow[HttpResult]:
        """One GET: ``result = yield from self._send(get)``; the result's URL has the query."""
        (result,) = yield [get]
        return HttpResult(self._url(get), result.body, result.validators,
                          result.not_modified, result.headers)

    def _backends_flow(self) -> Flow[list[Backend]]:
        result = yield from self._send(Get("backends"))
        return validate_payload(backends_adapter, decode_json(result, self._secrets),
                                "backends")

    def _backend_flow(self, backend: str) -> Flow[BackendBody]:
        """``backend``'s entry: v0.4 asks for it alone, v0.3 picks it from the list."""
        name = quote(backend, safe="")
        if self._v03:
            result = yield from self._send(Get("backends"))
            try:
                entries = msgspec.json.decode(result.body, type=list[msgspec.Raw])
            except msgspec.ValidationError as exc:
                raise CalibrationError("backends", f"expected a list of backends ({exc})",
                                       show_value=False) from None
            except msgspec.DecodeError as exc:
                decode_json(result, self._secrets)  # not JSON at all: the HTTP layer's error
                raise CalibrationError("backends", f"not strict JSON: {exc}",
                                       show_value=False) from None
            for i, raw in enumerate(entries):
                try:  # only the wanted entry is validated: another device's is not our data
                    named = msgspec.json.decode(raw, type=_Named).backend
                except msgspec.ValidationError:
                    named = None
                if isinstance(named, str) and _device(named) == _device(backend):
                    model = validate_payload(backend_adapter, bytes(raw), f"backends[{i}]")
                    return BackendBody(result.url, bytes(raw), model)
            raise NotFoundError(f"{backend} is not among the backends ({result.url})",
                                status=None, url=result.url)
        result = yield from self._send(Get(f"backends/{name}"))
        _object(result)
        model = validate_payload(backend_adapter, result.body, "backend")
        if _device(model.backend) != _device(backend):
            raise ApiError(f"{safe_url(result.url)} answered the entry of {model.backend!r} "
                           f"for backend {backend!r}", url=safe_url(result.url))
        return BackendBody(result.url, result.body, model)

    def _current_flow(self, backend: str) -> Flow[CharacterizationBody]:
        """The newest characterization of ``backend``."""
        if self._v03:
            get = Get(f"characterizations/backends/{quote(backend, safe='')}/current")
            result = yield from self._send(get)
            _object(result)
            return _of(backend, CharacterizationBody(result.url, result.body))
        get = self._list_get(backend, 1, 1)
        items, _ = self._page((yield from self._send(get)))
        if not items:
            raise NotFoundError(f"no characterization of {backend} ({self._url(get)})",
                                status=None, url=self._url(get, query=False))
        return _of(backend, items[0])

    def _characterization_flow(self, characterization_id: str,
                               backend: str | None) -> Flow[CharacterizationBody]:
        get = self._by_id_get(characterization_id, backend)
        result = yield from self._send(get)
        payload = _object(result)
        # v0.4 answers 404 for another backend's id; make v0.3 mean the same.
        if backend is not None and payload.get("backend", backend) != backend:
            raise NotFoundError(f"characterization {characterization_id} is of "
                                f"{payload.get('backend')}, not {backend} ({result.url})",
                                status=None, url=result.url)
        return CharacterizationBody(result.url, result.body)

    def _characterizations_flow(self, backend: str, start: datetime | None,
                                end: datetime | None, limit: int
                                ) -> Flow[list[CharacterizationBody]]:
        start_ms = None if start is None else _epoch_ms(start)
        end_ms = None if end is None else _epoch_ms(end)
        out: list[CharacterizationBody] = []
        seen: set[str] = set()
        for page in range(1, MAX_PAGES + 1):
            get = self._list_get(backend, limit, page, start_ms=start_ms, end_ms=end_ms)
            items, pages = self._page((yield from self._send(get)))
            new = [_of(backend, c) for c in items if c.id is None or c.id not in seen]
            seen.update(c.id for c in new if c.id is not None)
            out.extend(new)
            if self._last_page(pages, items, limit, bool(new)):
                break
        return out

    def _at_flow(self, backend: str, at: datetime) -> Flow[CharacterizationBody]:
        # ``end`` is exclusive on the server; +1 ms keeps a characterization taken exactly at
        # ``at`` (dates are whole seconds), and the result is checked against ``at`` anyway.
        get = self._list_get(backend, 1, 1, end_ms=_epoch_ms(at) + 1)
        items, _ = self._page((yield from self._send(get)))
        return self._pick_at(items, backend, at, self._url(get))

    def _newest_id_flow(self, backend: str) -> Flow[str | None]:
        if not self._v03:
            entries = yield from self._backends_flow()
            entry = next((e for e in entries if e.backend == backend), None)
            if entry is not None and entry.characterization_id:
                return entry.characterization_id
        items, _ = self._page((yield from self._send(self._list_get(backend, 1, 1))))
        if not items:
            return None
        newest = items[0].id
        if newest is None:
            raise CalibrationError("characterizations[0].id", "expected a non-empty string",
                                   items[0].data.get("id"))
        return newest


class IonQClient(_IonQBase, ApiClient):
    """Synchronous IonQ client (``httpx.Client``); use as a context manager or close().

    ``api_key`` defaults to ``$IONQ_API_KEY``, ``base_url`` to ``$QTARGETS_IONQ_API_URL`` or
    ``https://api.ionq.co/v0.3`` (``.../v0.4`` with ``api_version="v0.4"``). The API version
    is the base URL's last path segment; ``api_version`` names it for a URL that does not end
    in one, and must agree with one that does (else ``ValueError``, before any request).
    ``timeout`` bounds each attempt's connect and reads, ``deadline`` each call as a whole
    (retries and slow bodies included), in seconds; ``retries`` is the number of extra
    attempts on transient failures. ``transport`` is for tests (``httpx.MockTransport``).
    """

    def _connect(self, transport: Any) -> None:  # an httpx transport of this client's kind
        self._http = HttpClient(self.config, self._auth, secrets=self._secrets,
                                transport=transport)

    def _run(self, flow: Flow[_T]) -> _T:
        return run_flow(self._http, flow)

    def backends(self) -> list[Backend]:
        """Every backend the key can see, validated (v0.3 and v0.4 shapes alike)."""
        return self._run(self._backends_flow())

    def backend(self, backend: str) -> BackendBody:
        """``backend``'s ``/backends`` entry, validated (``NotFoundError`` if there is none).

        In v0.4 (``GET /backends/{backend}``) it names the native gates the device runs,
        ``supported_native_gates``, which :func:`~qtargets.ionq.to_calibration` prefers over
        the family table (``backend_entry=``); v0.3 entries have no such field.
        """
        return self._run(self._backend_flow(backend))

    def current_characterization(self, backend: str) -> CharacterizationBody:
        """The newest characterization of ``backend`` (``NotFoundError`` if none)."""
        return self._run(self._current_flow(backend))

    def characterization(self, characterization_id: str,
                         backend: str | None = None) -> CharacterizationBody:
        """One characterization by its id.

        v0.4 needs ``backend`` (``ValueError`` without it, before any request); in v0.3 it is
        optional, and an id of another backend is a ``NotFoundError`` in both versions.
        """
        return self._run(self._characterization_flow(characterization_id, backend))

    def characterizations(self, backend: str, start: datetime | None = None,
                          end: datetime | None = None, limit: int = MAX_PAGE_SIZE
                          ) -> list[CharacterizationBody]:
        """Every characterization of ``backend`` in ``[start, end)``, newest first.

        ``limit`` is the page size (1-10, the API's maximum; anything else is a
        ``ValueError`` before any request); all pages are followed. Naive datetimes are UTC.
        """
        return self._run(self._characterizations_flow(backend, start, end, limit))

    def characterization_at(self, backend: str, at: datetime) -> CharacterizationBody:
        """The characterization in force at ``at``: the newest taken at or before it, never
        a newer one (``NotFoundError`` if there is none); naive ``at`` is UTC."""
        return self._run(self._at_flow(backend, at))

    def newest_characterization_id(self, backend: str) -> str | None:
        """The id of ``backend``'s newest characterization (None if it has none), to tell
        cheaply whether anything changed since a characterization you already hold.

        Costs one request: v0.3 lists one characterization; v0.4 reads ``/backends``, and
        only if that names no ``characterization_id`` for ``backend`` lists one as well (a
        second request).
        """
        return self._run(self._newest_id_flow(backend))


class AsyncIonQClient(_IonQBase, AsyncApiClient):
    """Asynchronous twin of :class:`IonQClient` (``httpx.AsyncClient``), same arguments.

    ``async with AsyncIonQClient() as ionq: now = await ionq.current_characterization(...)``
    """

    def _connect(self, transport: Any) -> None:  # an httpx transport of this client's kind
        self._http = AsyncHttpClient(self.config, self._auth, secrets=self._secrets,
                                     transport=transport)

    async def _run(self, flow: Flow[_T]) -> _T:
        return await run_flow_async(self._http, flow)

    async def backends(self) -> list[Backend]:
        """See :meth:`IonQClient.backends`."""
        return await self._run(self._backends_flow())

    async def backend(self, backend: str) -> BackendBody:
        """See :meth:`IonQClient.backend`."""
        return await self._run(self._backend_flow(backend))

    async def current_characterization(self, backend: str) -> CharacterizationBody:
        """See :meth:`IonQClient.current_characterization`."""
        return await self._run(self._current_flow(backend))

    async def characterization(self, characterization_id: str,
                               backend: str | None = None) -> CharacterizationBody:
        """See :meth:`IonQClient.characterization`."""
        return await self._run(self._characterization_flow(characterization_id, backend))

    async def characterizations(self, backend: str, start: datetime | None = None,
                                end: datetime | None = None, limit: int = MAX_PAGE_SIZE
                                ) -> list[CharacterizationBody]:
        """See :meth:`IonQClient.characterizations`."""
        return await self._run(self._characterizations_flow(backend, start, end, limit))

    async def characterization_at(self, backend: str, at: datetime) -> CharacterizationBody:
        """See :meth:`IonQClient.characterization_at`."""
        return await self._run(self._at_flow(backend, at))

    async def newest_characterization_id(self, backend: str) -> str | None:
        """See :meth:`IonQClient.newest_characterization_id` (one request)."""
        return await self._run(self._newest_id_flow(backend))
