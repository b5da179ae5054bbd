"""Calibrations by name: live from the vendor's API when possible, else the store or the
bundled snapshots. The engine under :mod:`qtargets.devices` (which resolves every other way
of naming a device), and the live-only operations: :func:`fetch`, :func:`history`,
:func:`devices`.

Where the data comes from, for each name:

* ``live=None`` (default): the vendor's API when its credentials are configured (see
  :mod:`qtargets.vendors`), else offline.
* ``live=True``: the API, or an error (missing credentials, network, anything).
* ``live=False``: offline: the newest of the local store and the bundled data (the bundled
  snapshot; with ``at``, the bundled history too: :func:`qtargets.bundled.bundled_history`),
  the stored one on a tie.

Every live fetch is saved to the store and made conditionally against it, so an unchanged
calibration costs one small request plus a store read. When the API can't be reached (or
answers 5xx/429 after retries, or garbage), the store (then the bundled snapshot) is used with
a :class:`~qtargets.QTargetsWarning` naming the snapshot's age. Credentials that are set but
cannot work (a blank or short key, a retired account, an instance that is not a CRN, a bad
URL setting, a key the API rejects) are warned about once per vendor and call, and its names
fall back the same way; with ``live=True`` they are the error, naming the setting to fix.
``at`` is never exceeded: the
result is the calibration in force at that instant (naive datetimes and bare dates are UTC;
``"2025-06-01"`` means midnight UTC at the start of that day). A name no vendor serves is
still found in the store or the bundled data.

``timeout`` is the deadline of the whole call, in seconds (default :data:`DEFAULT_TIMEOUT`):
however the API misbehaves (no answer, a body trickling in, retries), every name is done by
then, with its calibration, its fallback and a warning, or a
:class:`~qtargets.NetworkError` that says the deadline passed.
"""

from __future__ import annotations

import asyncio
import logging
import os
import time
from collections.abc import Awaitable, Callable, Iterable, Iterator, Sequence
from contextlib import AsyncExitStack, contextmanager
from dataclasses import dataclass
from datetime import date, datetime, timezone
from typing import TypeVar

from . import vendors
from ._exceptions import (
    ApiError,
    AuthenticationError,
    BackendInputError,
    ConfigurationError,
    NetworkError,
    NotFoundError,
    QTargetsError,
    StoreError,
    UnknownBackendError,
    warn,
)
from ._flow import gather_all, run_sync
from ._http import MAX_SECONDS
from .bundled import (
    bundled_backends,
    bundled_history,
    history_backends,
    load_calibration,
)
from .model import Calibration, parse_timestamp, utc
from .store import CalibrationStore, Snapshot
from .vendors import Fetched, ListedDevice, Source, Vendor

__all__ = [
    "MAX_SECONDS",
    "HistoryEntry",
    "StoreArg",
    "When",
    "by_name",
    "configured_vendors",
    "credentials_hint",
    "devices",
    "fetch",
    "history",
    "is_outage",
    "is_refused",
    "offline_calibrations",
    "offline_history",
    "open_store",
    "parse_when",
    "split_time",
    "store_in_use",
    "vendor_of",
]

logger = logging.getLogger("qtargets.live")

_T = TypeVar("_T")

DEFAULT_TIMEOUT = 30.0
"""Seconds a live call may take in all, retries included (the ``timeout`` argument, and the
commands' ``--timeout``)."""

StoreArg = CalibrationStore | str | os.PathLike[str] | bool | None
"""``None``/``True``: the default store; a path: that file; ``False``: no store at all."""
When = datetime | date | str | None


def vendor_of(name: str) -> Vendor:
    """The vendor whose API serves backend ``name`` (see :mod:`qtargets.vendors`)."""
    return vendors.vendor_of(name)


def parse_when(at: When) -> datetime | None:
    """``at`` as an aware UTC datetime: datetimes (naive = UTC), dates, ISO 8601 text."""
    if at is None:
        return None
    if isinstance(at, datetime):
        return utc(at)
    if isinstance(at, date):
        return datetime(at.year, at.month, at.day, tzinfo=timezone.utc)
    if isinstance(at, str):
        try:
            return parse_timestamp(at.strip())
        except (ValueError, OverflowError):
            raise QTargetsError(f"at={at!r} is not an ISO 8601 date or date-time "
                                f"(e.g. '2025-06-01' or '2025-06-01T12:00:00Z')") from None
    raise QTargetsError(f"at must be a datetime, a date or ISO 8601 text, got "
                        f"{type(at).__name__}")


# -- credentials: is a vendor live? -----------------------------------------------------------


def configured_vendors() -> list[Vendor]:
    """The vendors whose credentials are set (environment, account files)."""
    return vendors.configured()


def credentials_hint() -> str:
    """How to configure each vendor, for messages: ``"IBM Quantum: set ...; IonQ: set ..."``."""
    return "; ".join(f"{v.label}: {v.credentials}" for v in vendors.vendors()) or (
        "no vendor is registered")


# -- the store ----------------------------------------------------------------------------------


def open_store(store: StoreArg) -> CalibrationStore | None:
    """The store ``store`` names (see :data:`StoreArg`); ``None`` if it is ``False``."""
    if store is False:
        return None
    if isinstance(store, CalibrationStore):
        return store
    # lazy: reading never creates a store; the first save does
    return CalibrationStore(None if store is None or store is True else store, lazy=True)


def _age(taken_at: datetime | None) -> str:
    if taken_at is None:
        return "of unknown age"
    seconds = (datetime.now(timezone.utc) - taken_at).total_seconds()
    if seconds < 3600:
        return f"{max(seconds, 0) / 60:.0f} minutes old"
    if seconds < 2 * 86400:
        return f"{seconds / 3600:.1f} hours old"
    return f"{seconds / 86400:.0f} days old"


def _offline(name: str, at: datetime | None, store: CalibrationStore | None) -> Calibration:
    """The newest calibration of ``name`` at ``at`` among the store and the bundled data."""
    return _offline_from(name, at, store)[0]


def _offline_from(name: str, at: datetime | None, store: CalibrationStore | None
                  ) -> tuple[Calibration, str]:
    """:func:`_offline`, and where it came from: ``"stored"`` or ``"bundled"``.

    The newest of the store's and the package's (the bundled snapshot and the bundled
    history, :func:`qtargets.bundled.bundled_history`) taken at or before ``at``; on a tie
    the stored one (it may hold what the vendor changed since the package was built).
    """
    found: list[tuple[Calibration, str]] = []
    earliest: list[tuple[datetime, str]] = []  # the first of each, for the error's message
    stored_note = "none stored"
    if store is not None:
        try:
            snap = store.at(name, at) if at is not None else store.latest(name)
            if snap is not None:
                found.append((store.load(snap), "stored"))
            elif at is not None:
                dated = [s.taken_at for s in store.history(name) if s.taken_at is not None]
                if dated:
                    earliest.append((dated[0], "stored"))
                    stored_note = "the stored ones were taken later"
        except StoreError as exc:
            logger.warning("calibration store unusable, ignoring it: %s", exc)
    known = sorted({*bundled_backends(), *history_backends()})
    bundled_note = f"none bundled (bundled: {', '.join(known)})"
    if at is None and name in bundled_backends():
        found.append((load_calibration(name), "bundled"))
    else:
        days = bundled_history(name)
        on_time = [(cal.taken_at, cal) for cal in days if cal.taken_at is not None]
        before = [cal for taken, cal in on_time if at is None or taken <= at]
        if before:
            found.append((before[-1], "bundled"))
        elif on_time:
            earliest.append((on_time[0][0], "bundled"))  # oldest first
            bundled_note = "the bundled ones were taken later"
        elif days:
            bundled_note = "the bundled one has no date, so it cannot be placed in time"
    if not found:
        when = f" at or before {at.isoformat()}" if at is not None else ""
        first = ""
        if earliest:
            moment, where = min(earliest)
            first = f" (the earliest available is the {where} one taken {moment.isoformat()})"
        raise UnknownBackendError(
            f"no calibration of {name!r}{when} offline: {stored_note}, {bundled_note}{first}; "
            f"configure credentials to fetch it live")
    epoch = datetime.min.replace(tzinfo=timezone.utc)
    return max(found, key=lambda pair: pair[0].taken_at or epoch)


def _offline_or_unknown(name: str, store: CalibrationStore | None) -> None:
    """Raise for a name no vendor serves, unless the store or the bundled data has it."""
    try:
        _offline(name, None, store)
    except UnknownBackendError:
        looks = "; ".join(f"{v.label} {v.naming}" for v in vendors.vendors())
        raise UnknownBackendError(
            f"cannot tell the vendor of backend {name!r}, and none is stored or bundled "
            f"({looks}; bundled: {', '.join(bundled_backends())})") from None


def is_refused(exc: BaseException) -> bool:
    """Credentials that are set but cannot work (a setting, or the API rejecting them): a
    name that need not be live falls back to the store (its vendor warned about once)."""
    return isinstance(exc, (AuthenticationError, ConfigurationError))


def is_outage(exc: BaseException) -> bool:
    """Failures the store may stand in for: the service, not the request, is the problem."""
    if isinstance(exc, (AuthenticationError, NotFoundError)):
        return False
    if isinstance(exc, ApiError):
        return exc.status is None or exc.status == 200 or exc.status >= 429
    return isinstance(exc, NetworkError)


# -- fetching -----------------------------------------------------------------------------------


class _Sources:
    """The vendors' sources of one batch, opened on first use and closed together, and the
    batch's deadline: ``timeout`` seconds from its start for everything in it."""

    def __init__(self, stack: AsyncExitStack, timeout: float, retries: int):
        if not 0 < timeout <= MAX_SECONDS:
            raise ConfigurationError(f"timeout must be a positive number of seconds, at most "
                                     f"{MAX_SECONDS:g}, got {timeout!r}", setting="timeout")
        self._stack = stack
        self._timeout = timeout
        self._retries = retries
        self._ends = time.monotonic() + timeout
        self._open: dict[str, Source] = {}
        self._refused: set[str] = set()

    def first_refusal(self, vendor: Vendor) -> bool:
        """Whether this is the first time in this batch the vendor's credentials failed."""
        first = vendor.name not in self._refused
        self._refused.add(vendor.name)
        return first

    async def of(self, vendor: Vendor) -> Source:
        if vendor.name not in self._open:
            source = vendor.open(timeout=self._timeout, retries=self._retries)
            self._open[vendor.name] = await self._stack.enter_async_context(source)
        return self._open[vendor.name]

    async def within(self, work: Awaitable[_T], what: str) -> _T:
        """``work``, or a :class:`~qtargets.NetworkError` once the batch's deadline passes."""
        try:
            return await asyncio.wait_for(work, max(0.0, self._ends - time.monotonic()))
        except asyncio.TimeoutError:
            raise NetworkError(f"{what}: no complete answer within the {self._timeout:g} s "
                               f"deadline (timeout=, or --timeout)") from None


def _is_live(vendor: Vendor | None, live: bool | None) -> bool:
    if live is not None:
        return live
    return vendor is not None and vendor.configured()


async def _fetch_one(name: str, at: datetime | None, live: bool | None,
                     store: CalibrationStore | None, sources: _Sources) -> Calibration:
    vendor = vendors.owner_of(name)
    if not _is_live(vendor, live):
        return _offline(name, at, store)
    if vendor is None:
        vendor = vendors.vendor_of(name)  # raises, saying how names look
    try:
        source = await sources.of(vendor)
        fetched = await sources.within(source.fetch(name, at, store),
                                       f"{vendor.label} ({name})")
    except QTargetsError as exc:
        refused = is_refused(exc)
        if live or not (refused or is_outage(exc)):
            raise
        try:
            fallback, where = _offline_from(name, at, store)
        except UnknownBackendError:
            raise exc from None
        if not refused:
            warn(f"{vendor.label} unreachable ({type(exc).__name__}: {exc}); using the "
                 f"{where} calibration of {name} taken {_taken(fallback)}, "
                 f"{_age(fallback.taken_at)}")
        elif sources.first_refusal(vendor):
            warn(f"{vendor.label} credentials unusable ({type(exc).__name__}: {exc}); using "
                 f"stored or bundled calibrations of its devices ({name}: the {where} one "
                 f"taken {_taken(fallback)}, {_age(fallback.taken_at)})")
        return fallback
    return fetched.calibration


def _taken(calibration: Calibration) -> str:
    taken = calibration.taken_at
    return taken.isoformat() if taken is not None else "at an unknown time"


async def by_name(requests: Sequence[tuple[str, datetime | None]], *,
                  live: bool | None = None, store: CalibrationStore | None = None,
                  timeout: float = DEFAULT_TIMEOUT, retries: int = 3) -> list[Calibration]:
    """The calibration of each ``(name, at)``, all fetched concurrently in this event loop;
    the first error no fallback covers is raised, and the other fetches are cancelled."""
    for name, _ in requests:  # fail fast on a name nothing serves, before any request
        if vendors.owner_of(name) is None and live is not False:
            _offline_or_unknown(name, store)
    async with AsyncExitStack() as stack:
        sources = _Sources(stack, timeout, retries)
        return await gather_all([_fetch_one(name, at, live, store, sources)
                                 for name, at in requests])


def split_time(spec: str) -> tuple[str, datetime | None]:
    """``"ibm_fez@2025-06-01"`` -> ``("ibm_fez", 2025-06-01T00:00Z)``; a plain name has no
    time. The time is ISO 8601, UTC unless it says otherwise."""
    name, at, when = spec.partition("@")
    if not at:
        return spec, None
    if not name:
        raise BackendInputError(f"{spec!r}: no device name before '@' (write NAME@TIME, e.g. "
                                f"ibm_fez@2025-06-01)")
    moment = parse_when(when)
    assert moment is not None
    return name, moment


@contextmanager
def store_in_use(store: StoreArg, *, required: bool = False
                  ) -> Iterator[CalibrationStore | None]:
    """The store ``store`` names, closed afterwards unless the caller passed it open.

    An unusable default store is a warning (live fetching works without one) unless
    ``required``; a store the caller named must work.
    """
    try:
        opened = open_store(store)
    except StoreError as exc:
        if required or store not in (None, True):
            raise
        warn(f"calibration store unusable, continuing without it: {exc}")
        opened = None
    try:
        yield opened
    finally:
        if opened is not None and not isinstance(store, CalibrationStore):
            opened.close()


def fetch(names: Iterable[str], at: When = None, *, store: StoreArg = None,
          timeout: float = DEFAULT_TIMEOUT, retries: int = 3) -> dict[str, Fetched]:
    """Fetch live (no fallback) into the store; what each fetch found, by name as given.

    Each of ``names`` is a backend name, or ``NAME@TIME`` for the calibration in force then
    (``at`` is the time for the others).
    """
    unique = list(dict.fromkeys(names))
    when = parse_when(at)
    requests = {spec: split_time(spec) for spec in unique}
    if when is not None and any(t is not None for _, t in requests.values()):
        raise BackendInputError("give the time once: NAME@TIME or at=, not both")
    owners = {spec: vendors.vendor_of(name) for spec, (name, _) in requests.items()}

    async def main(opened: CalibrationStore | None) -> list[Fetched]:
        async with AsyncExitStack() as stack:
            sources = _Sources(stack, timeout, retries)

            async def one(spec: str) -> Fetched:
                name, moment = requests[spec]
                source = await sources.of(owners[spec])
                return await sources.within(source.fetch(name, moment or when, opened),
                                            f"{owners[spec].label} ({name})")

            return await gather_all([one(spec) for spec in unique])

    with store_in_use(store, required=True) as opened:
        return dict(zip(unique, run_sync(main(opened)), strict=True))


HISTORY_TIMEOUT = 300.0
"""A history download walks many calibrations: its deadline, in all, is longer."""

Progress = Callable[[float, int], None]
"""``progress(fraction of the time range covered, calibrations found so far)``."""


def history(name: str, since: When, until: When = None, *, store: StoreArg = None,
            progress: Progress | None = None, timeout: float = HISTORY_TIMEOUT,
            retries: int = 3) -> list[Snapshot]:
    """Download every calibration of ``name`` taken in ``[since, until]`` into the store.

    How is the vendor's business (IBM walks back with ``updated_before``, IonQ pages through
    its characterization list). Returns the stored snapshots of the range, oldest first.
    """
    start, end = parse_when(since), parse_when(until) or datetime.now(timezone.utc)
    if start is None or start > end:
        raise QTargetsError(f"since must be a time before until, got since={since!r}, "
                            f"until={until!r}")
    span = max((end - start).total_seconds(), 1.0)
    vendor = vendors.vendor_of(name)

    def report(oldest: datetime, count: int) -> None:
        if progress is not None:
            progress(min(1.0, (end - max(oldest, start)).total_seconds() / span), count)

    async def main(opened: CalibrationStore) -> None:
        async with AsyncExitStack() as stack:
            sources = _Sources(stack, timeout, retries)
            source = await sources.of(vendor)
            await sources.within(source.history(name, start, end, opened, report),
                                 f"{vendor.label} ({name} history)")

    with store_in_use(store, required=True) as opened:
        if opened is None:
            raise QTargetsError("history needs a store to download into (store=False given)")
        run_sync(main(opened))
        report(start, 0)
        return opened.history(name, start, end)


@dataclass(frozen=True, slots=True)
class HistoryEntry:
    """One calibration available offline: in the local store, or bundled with the package."""

    backend: str
    taken_at: datetime | None
    where: str
    """``"stored"`` or ``"bundled"``."""
    source: str
    """The bundled one's provenance (release and files); for a stored one, its snapshot."""
    snapshot: Snapshot | None = None
    """The stored snapshot; ``None`` for a bundled calibration."""


def offline_history(name: str, since: When = None, until: When = None, *,
                    store: StoreArg = None) -> list[HistoryEntry]:
    """The calibrations of ``name`` taken in ``[since, until]`` (bounds inclusive, either
    optional) that need no network: the store's and the bundled ones
    (:func:`qtargets.bundled.bundled_history`), oldest first, stored first on a tie (as the
    resolver prefers it). A name with none at all is an
    :class:`~qtargets.UnknownBackendError`; a range with none is an empty list.

    >>> [e.taken_at.year for e in offline_history("ibm_sherbrooke", store=False)]
    [2023, 2024, 2025]
    """
    start, end = parse_when(since), parse_when(until)
    if start is not None and end is not None and start > end:
        raise QTargetsError(f"since must not be after until, got since={since!r}, "
                            f"until={until!r}")
    entries: list[HistoryEntry] = []
    anything = False
    with store_in_use(store) as opened:
        if opened is not None:
            try:
                anything = bool(opened.latest(name))
                entries += [HistoryEntry(s.backend, s.taken_at, "stored",
                                         f"store snapshot {s.id}", s)
                            for s in opened.history(name, start, end)]
            except StoreError as exc:
                warn(f"calibration store unusable, listing the bundled calibrations only: "
                     f"{exc}")
    bundled = bundled_history(name)
    for cal in bundled:
        taken = cal.taken_at
        if ((start is None or (taken is not None and taken >= start))
                and (end is None or (taken is not None and taken <= end))):
            entries.append(HistoryEntry(cal.backend_name, taken, "bundled",
                                        cal.provenance.source))
    if not anything and not bundled:
        known = sorted({*bundled_backends(), *history_backends()})
        raise UnknownBackendError(f"no stored or bundled calibration of {name!r} (bundled: "
                                  f"{', '.join(known)}); configure credentials and run "
                                  f"qtargets history {name} --since DATE to download some")
    epoch = datetime.min.replace(tzinfo=timezone.utc)
    return sorted(entries, key=lambda e: (e.taken_at or epoch, e.where != "stored"))


def offline_calibrations(name: str, since: When = None, until: When = None, *,
                         last: int | None = None, store: StoreArg = None) -> list[Calibration]:
    """The calibrations themselves of :func:`offline_history` (store and bundled, no
    network), oldest first, one per calibration time (the stored one on a tie); ``last``
    keeps only the newest ``last``. The one path for everything that works across calibration
    days (drift, robust layouts, sweeps over days, windows).

    >>> [c.taken_at.date().isoformat()
    ...  for c in offline_calibrations("ibm_sherbrooke", last=2, store=False)]
    ['2024-05-27', '2025-02-26']
    """
    if last is not None and (isinstance(last, bool) or not isinstance(last, int) or last < 1):
        raise QTargetsError(f"last must be a whole number >= 1, got {last!r}")
    with store_in_use(store) as opened:
        entries = offline_history(name, since, until, store=opened if opened is not None
                                  else False)
        by_time: dict[datetime | None, Calibration] = {}
        bundled = {c.taken_at: c for c in bundled_history(name)}
        for entry in entries:
            if entry.taken_at in by_time and entry.taken_at is not None:
                continue  # stored first on a tie: the bundled copy of the same time is skipped
            if entry.snapshot is not None and opened is not None:
                by_time[entry.taken_at] = opened.load(entry.snapshot)
            elif entry.where == "bundled":
                by_time[entry.taken_at] = bundled[entry.taken_at]
    calibrations = list(by_time.values())
    return calibrations[-last:] if last is not None else calibrations


def devices(*, store: StoreArg = None, timeout: float = DEFAULT_TIMEOUT, retries: int = 3,
            unreached: list[tuple[Vendor, QTargetsError]] | None = None) -> list[ListedDevice]:
    """The devices of every configured vendor (see :func:`configured_vendors`), listed
    concurrently within ``timeout``.

    A vendor that cannot be listed (no network, the deadline, wrong credentials) raises its
    error; with ``unreached`` (a list), it is appended there as ``(vendor, error)`` instead and
    the others are listed all the same: what ``qtargets list`` and ranking do.
    """
    configured = configured_vendors()

    async def main(opened: CalibrationStore | None) -> list[list[ListedDevice]]:
        async with AsyncExitStack() as stack:
            sources = _Sources(stack, timeout, retries)

            async def of(vendor: Vendor) -> list[ListedDevice]:
                try:
                    source = await sources.of(vendor)
                    return await sources.within(source.devices(opened),
                                                f"{vendor.label} devices")
                except QTargetsError as exc:
                    if unreached is None:
                        raise
                    unreached.append((vendor, exc))
                    return []

            return await gather_all([of(vendor) for vendor in configured])

    with store_in_use(store) as opened:
        return [device for group in run_sync(main(opened)) for device in group]
