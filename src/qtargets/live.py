"""The one-call API: the calibration or Target of any device, live when possible.

>>> import qtargets
>>> target = qtargets.target("ibm_fez")                       # doctest: +SKIP
>>> old = qtargets.target("qpu.forte-1", at="2025-06-01")     # doctest: +SKIP
>>> cals = qtargets.calibrations(["ibm_fez", "qpu.aria-1"])   # doctest: +SKIP

Where the data comes from, for each name:

* ``live=None`` (default): the vendor's API when its credentials are configured (see
  :mod:`qtargets.vendors`), else offline.
* ``live=True``: the API, or an error (missing credentials, network, anything).
* ``live=False``: offline: the newest of the local store and the bundled snapshots.

Every live fetch is saved to the store and made conditionally against it, so an unchanged
calibration costs one small request plus a store read. When the API can't be reached (or
answers 5xx/429 after retries, or garbage), the store (then the bundled snapshot) is used with
a :class:`~qtargets.QTargetsWarning` naming the snapshot's age. ``at`` is never exceeded: the
result is the calibration in force at that instant (naive datetimes and bare dates are UTC;
``"2025-06-01"`` means midnight UTC at the start of that day).
"""

from __future__ import annotations

import asyncio
import logging
import os
import threading
from collections.abc import Awaitable, Callable, Iterable, Iterator
from contextlib import AsyncExitStack, contextmanager
from datetime import date, datetime, timezone
from typing import Any, TypeVar

from qiskit.transpiler import Target

from . import vendors
from ._exceptions import (
    ApiError,
    AuthenticationError,
    NetworkError,
    NotFoundError,
    QTargetsError,
    StoreError,
    UnknownBackendError,
    warn,
)
from ._flow import gather_all
from .build import build_target
from .bundled import bundled_backends, load_calibration
from .model import Calibration, parse_timestamp, utc
from .store import CalibrationStore, Snapshot
from .vendors import Fetched, ListedDevice, Source, Vendor

__all__ = [
    "StoreArg",
    "acalibrations",
    "calibration",
    "calibrations",
    "configured_vendors",
    "devices",
    "fetch",
    "history",
    "is_outage",
    "parse_when",
    "store_in_use",
    "target",
    "targets",
    "vendor_of",
]

logger = logging.getLogger("qtargets.live")

StoreArg = CalibrationStore | str | os.PathLike[str] | bool | None
"""``None``/``True``: the default store; a path: that file; ``False``: no store at all."""
When = datetime | date | str | None

_T = TypeVar("_T")


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
    """How to configure each vendor, for messages: "set X or set Y"."""
    return " or ".join(v.credentials for v in vendors.vendors()) or "register a vendor"


# -- the store ----------------------------------------------------------------------------------


def open_store(store: StoreArg) -> CalibrationStore | None:
    """The store ``store`` names (see :data:`StoreArg`); ``None`` if it is ``False``."""
    if store is False:
        return None
    if isinstance(store, CalibrationStore):
        return store
    return CalibrationStore(None if store is None or store is True else store)


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
    found: list[Calibration] = []
    if store is not None:
        try:
            snap = store.at(name, at) if at is not None else store.latest(name)
            if snap is not None:
                found.append(store.load(snap))
        except StoreError as exc:
            logger.warning("calibration store unusable, ignoring it: %s", exc)
    if name in bundled_backends():
        bundled = load_calibration(name)
        if at is None or (bundled.taken_at is not None and bundled.taken_at <= at):
            found.append(bundled)
    if not found:
        when = f" at or before {at.isoformat()}" if at is not None else ""
        raise UnknownBackendError(
            f"no calibration of {name!r}{when} offline: none stored, none bundled (bundled: "
            f"{', '.join(bundled_backends())}); configure credentials to fetch it live")
    epoch = datetime.min.replace(tzinfo=timezone.utc)
    return max(found, key=lambda c: c.taken_at or epoch)


def _offline_or_unknown(name: str, store: CalibrationStore | None) -> None:
    """Raise for a name no vendor serves, unless the store or the bundled data has it."""
    try:
        _offline(name, None, store)
    except UnknownBackendError:
        looks = "; ".join(f"{v.label} {v.naming}" for v in vendors.vendors())
        raise UnknownBackendError(
            f"cannot tell the vendor of backend {name!r}, and none is stored or bundled "
            f"({looks}; bundled: {', '.join(bundled_backends())})") from None


def is_outage(exc: BaseException) -> bool:
    """Failures the store may stand in for: the service, not the request, is the problem."""
    if isinstance(exc, (AuthenticationError, NotFoundError)):
        return False
    if isinstance(exc, ApiError):
        return exc.status is None or exc.status == 200 or exc.status >= 429
    return isinstance(exc, NetworkError)


# -- fetching -----------------------------------------------------------------------------------


class _Sources:
    """The vendors' sources of one batch, opened on first use and closed together."""

    def __init__(self, stack: AsyncExitStack, timeout: float, retries: int):
        self._stack = stack
        self._timeout = timeout
        self._retries = retries
        self._open: dict[str, Source] = {}

    async def of(self, vendor: Vendor) -> Source:
        if vendor.name not in self._open:
            source = vendor.open(timeout=self._timeout, retries=self._retries)
            self._open[vendor.name] = await self._stack.enter_async_context(source)
        return self._open[vendor.name]


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
        fetched = await (await sources.of(vendor)).fetch(name, at, store)
    except QTargetsError as exc:
        if live or not is_outage(exc):
            raise
        try:
            fallback = _offline(name, at, store)
        except UnknownBackendError:
            raise exc from None
        warn(f"{vendor.label} unreachable ({type(exc).__name__}: {exc}); using the "
             f"stored calibration of {name} taken {_taken(fallback)}, {_age(fallback.taken_at)}")
        return fallback
    return fetched.calibration


def _taken(calibration: Calibration) -> str:
    taken = calibration.taken_at
    return taken.isoformat() if taken is not None else "at an unknown time"


async def acalibrations(names: Iterable[str], at: When = None, *, live: bool | None = None,
                        store: StoreArg = None, timeout: float = 30.0,
                        retries: int = 3) -> dict[str, Calibration]:
    """Async :func:`calibrations`: every name fetched concurrently, in one event loop."""
    unique = list(dict.fromkeys(names))
    when = parse_when(at)
    with store_in_use(store) as opened:
        for name in unique:  # fail fast on a name nothing serves, before any request
            if vendors.owner_of(name) is None and live is not False:
                _offline_or_unknown(name, opened)
        async with AsyncExitStack() as stack:
            sources = _Sources(stack, timeout, retries)
            results = await gather_all(
                [_fetch_one(name, when, live, opened, sources) for name in unique])
    return dict(zip(unique, results, strict=True))


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


def _run(awaitable: Awaitable[_T]) -> _T:
    """Run ``awaitable`` to completion from sync code, even inside a running event loop
    (Jupyter): then in a worker thread with its own loop."""
    async def main() -> _T:
        return await awaitable

    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(main())
    box: dict[str, Any] = {}

    def work() -> None:
        try:
            box["value"] = asyncio.run(main())
        except BaseException as exc:  # re-raised in the caller's thread
            box["error"] = exc

    thread = threading.Thread(target=work, name="qtargets-fetch")
    thread.start()
    thread.join()
    if "error" in box:
        raise box["error"]
    value: _T = box["value"]
    return value


def calibrations(names: Iterable[str], at: When = None, *, live: bool | None = None,
                 store: StoreArg = None, timeout: float = 30.0,
                 retries: int = 3) -> dict[str, Calibration]:
    """The calibrations of several devices, fetched concurrently, by name.

    Same rules as :func:`calibration` for each name; the first error that no fallback
    covers is raised.
    """
    return _run(acalibrations(names, at, live=live, store=store, timeout=timeout,
                              retries=retries))


def calibration(name: str, at: When = None, *, live: bool | None = None,
                store: StoreArg = None, timeout: float = 30.0, retries: int = 3) -> Calibration:
    """The neutral calibration of ``name``: newest, or in force at ``at`` (module docs)."""
    return calibrations([name], at, live=live, store=store, timeout=timeout,
                        retries=retries)[name]


def target(name: str, at: When = None, *, live: bool | None = None, store: StoreArg = None,
           timeout: float = 30.0, retries: int = 3, include_control_flow: bool = True,
           include_fractional_gates: bool = True, filter_faulty: bool = True,
           add_delay: bool = True) -> Target:
    """The qiskit ``Target`` of ``name``: newest calibration, or the one in force at ``at``.

    Live when the vendor's credentials are configured, else from the store or the bundled
    snapshots; see the module documentation for ``live`` and ``store``. The flags are those
    of :func:`qtargets.build_target`.
    """
    return build_target(calibration(name, at, live=live, store=store, timeout=timeout,
                                    retries=retries),
                        include_control_flow=include_control_flow,
                        include_fractional_gates=include_fractional_gates,
                        filter_faulty=filter_faulty, add_delay=add_delay)


def targets(names: Iterable[str], at: When = None, *, live: bool | None = None,
            store: StoreArg = None, timeout: float = 30.0, retries: int = 3,
            include_control_flow: bool = True, include_fractional_gates: bool = True,
            filter_faulty: bool = True, add_delay: bool = True) -> dict[str, Target]:
    """:func:`target` for several devices, fetched concurrently."""
    found = calibrations(names, at, live=live, store=store, timeout=timeout, retries=retries)
    return {name: build_target(cal, include_control_flow=include_control_flow,
                               include_fractional_gates=include_fractional_gates,
                               filter_faulty=filter_faulty, add_delay=add_delay)
            for name, cal in found.items()}


# -- for the command line: fetch into the store, download history, list devices ---------------


def fetch(names: Iterable[str], at: When = None, *, store: StoreArg = None,
          timeout: float = 30.0, retries: int = 3) -> dict[str, Fetched]:
    """Fetch live (no fallback) and save into the store; what each fetch found."""
    unique = list(dict.fromkeys(names))
    when = parse_when(at)

    owners = {name: vendors.vendor_of(name) for name in unique}

    async def main(opened: CalibrationStore | None) -> list[Fetched]:
        async with AsyncExitStack() as stack:
            sources = _Sources(stack, timeout, retries)

            async def one(name: str) -> Fetched:
                return await (await sources.of(owners[name])).fetch(name, when, opened)

            return await gather_all([one(name) for name in unique])

    with store_in_use(store, required=True) as opened:
        return dict(zip(unique, _run(main(opened)), strict=True))


Progress = Callable[[float, int], None]
"""``progress(fraction of the time range covered, calibrations found so far)``."""


def history(name: str, since: When, until: When = None, *, store: StoreArg = None,
            progress: Progress | None = None, timeout: float = 30.0,
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
        async with vendor.open(timeout=timeout, retries=retries) as source:
            await source.history(name, start, end, opened, report)

    with store_in_use(store, required=True) as opened:
        if opened is None:
            raise QTargetsError("history needs a store to download into (store=False given)")
        _run(main(opened))
        report(start, 0)
        return opened.history(name, start, end)


def devices(*, store: StoreArg = None, timeout: float = 30.0,
            retries: int = 3) -> list[ListedDevice]:
    """The devices of every configured vendor (see :func:`configured_vendors`), listed
    concurrently."""
    configured = configured_vendors()

    async def main(opened: CalibrationStore | None) -> list[list[ListedDevice]]:
        async with AsyncExitStack() as stack:
            sources = _Sources(stack, timeout, retries)

            async def of(vendor: Vendor) -> list[ListedDevice]:
                return await (await sources.of(vendor)).devices(opened)

            return await gather_all([of(vendor) for vendor in configured])

    with store_in_use(store) as opened:
        return [device for group in _run(main(opened)) for device in group]
