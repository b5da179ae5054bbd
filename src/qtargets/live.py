"""The one-call API: the calibration or Target of any device, live when possible.

>>> import qtargets
>>> target = qtargets.target("ibm_fez")                       # doctest: +SKIP
>>> old = qtargets.target("qpu.forte-1", at="2025-06-01")     # doctest: +SKIP
>>> cals = qtargets.calibrations(["ibm_fez", "qpu.aria-1"])   # doctest: +SKIP

Where the data comes from, for each name:

* ``live=None`` (default): the vendor's API when its credentials are configured (see
  :mod:`qtargets.ibm.account`, ``IONQ_API_KEY``), else offline.
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
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from typing import Any, Literal, TypeVar

from qiskit.transpiler import Target

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
from ._flow import Fetched, gather_all
from .build import build_target
from .bundled import bundled_backends, load_calibration
from .ibm.account import KEY_ENVS, default_account_file
from .ibm.client import AsyncIBMClient, IBMClient
from .ionq.client import API_KEY_ENV, AsyncIonQClient, IonQClient
from .ionq.families import family_of
from .model import Calibration, maybe_timestamp, parse_timestamp, utc
from .store import CalibrationStore, Snapshot

__all__ = [
    "Device",
    "StoreArg",
    "acalibrations",
    "calibration",
    "calibrations",
    "devices",
    "fetch",
    "history",
    "is_outage",
    "store_in_use",
    "target",
    "targets",
    "vendor_of",
]

logger = logging.getLogger("qtargets.live")

Vendor = Literal["ibm", "ionq"]
StoreArg = CalibrationStore | str | os.PathLike[str] | bool | None
"""``None``/``True``: the default store; a path: that file; ``False``: no store at all."""
When = datetime | date | str | None

_T = TypeVar("_T")


def vendor_of(name: str) -> Vendor:
    """Which vendor's API serves backend ``name`` (``ibm_*`` or ``qpu.*``/an IonQ family)."""
    if name.startswith("ibm_"):
        return "ibm"
    if name.startswith("qpu.") or _is_ionq_family(name):
        return "ionq"
    raise UnknownBackendError(f"cannot tell the vendor of backend {name!r}: IBM Quantum names "
                              f"start with 'ibm_', IonQ names with 'qpu.'")


def _is_ionq_family(name: str) -> bool:
    try:
        family_of(name)
    except QTargetsError:
        return False
    return True


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


def _ibm_configured() -> bool:
    return any(os.environ.get(e) for e in KEY_ENVS) or default_account_file().is_file()


def _ionq_configured() -> bool:
    return bool(os.environ.get(API_KEY_ENV))


def configured_vendors() -> list[Vendor]:
    """The vendors whose credentials are set (environment or qiskit account file)."""
    out: list[Vendor] = []
    if _ibm_configured():
        out.append("ibm")
    if _ionq_configured():
        out.append("ionq")
    return out


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


def is_outage(exc: BaseException) -> bool:
    """Failures the store may stand in for: the service, not the request, is the problem."""
    if isinstance(exc, (AuthenticationError, NotFoundError)):
        return False
    if isinstance(exc, ApiError):
        return exc.status is None or exc.status == 200 or exc.status >= 429
    return isinstance(exc, NetworkError)


# -- fetching -----------------------------------------------------------------------------------


class _Clients:
    """Async clients, opened on first use and closed together."""

    def __init__(self, stack: AsyncExitStack, timeout: float, retries: int):
        self._stack = stack
        self._options: dict[str, Any] = {"timeout": timeout, "retries": retries}
        self._clients: dict[Vendor, Any] = {}

    async def get(self, vendor: Vendor) -> Any:
        if vendor not in self._clients:
            if vendor == "ibm":
                client: Any = AsyncIBMClient(**self._options)
            else:
                client = AsyncIonQClient(**self._options)
            self._clients[vendor] = await self._stack.enter_async_context(client)
        return self._clients[vendor]


def _live(vendor: Vendor, live: bool | None) -> bool:
    if live is not None:
        return live
    return _ibm_configured() if vendor == "ibm" else _ionq_configured()


async def _fetch_one(name: str, at: datetime | None, live: bool | None,
                     store: CalibrationStore | None, clients: _Clients) -> Calibration:
    vendor = vendor_of(name)
    if not _live(vendor, live):
        return _offline(name, at, store)
    try:
        client = await clients.get(vendor)
        fetched = await client.fetch(name, at, store)
    except QTargetsError as exc:
        if live or not is_outage(exc):
            raise
        try:
            fallback = _offline(name, at, store)
        except UnknownBackendError:
            raise exc from None
        warn(f"{vendor_label(vendor)} unreachable ({type(exc).__name__}: {exc}); using the "
             f"stored calibration of {name} taken {_taken(fallback)}, {_age(fallback.taken_at)}")
        return fallback
    calibration: Calibration = fetched.calibration
    return calibration


def vendor_label(vendor: Vendor) -> str:
    return {"ibm": "IBM Quantum", "ionq": "IonQ"}[vendor]


def _taken(calibration: Calibration) -> str:
    taken = calibration.taken_at
    return taken.isoformat() if taken is not None else "at an unknown time"


async def acalibrations(names: Iterable[str], at: When = None, *, live: bool | None = None,
                        store: StoreArg = None, timeout: float = 30.0,
                        retries: int = 3) -> dict[str, Calibration]:
    """Async :func:`calibrations`: every name fetched concurrently, in one event loop."""
    unique = list(dict.fromkeys(names))
    for name in unique:
        vendor_of(name)  # fail fast on a name no vendor serves
    when = parse_when(at)
    with store_in_use(store) as opened:
        async with AsyncExitStack() as stack:
            clients = _Clients(stack, timeout, retries)
            results = await gather_all(
                [_fetch_one(name, when, live, opened, clients) for name in unique])
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

    async def main(opened: CalibrationStore | None) -> list[Fetched]:
        async with AsyncExitStack() as stack:
            clients = _Clients(stack, timeout, retries)

            async def one(name: str) -> Fetched:
                client = await clients.get(vendor_of(name))
                fetched: Fetched = await client.fetch(name, when, opened)
                return fetched

            return await gather_all([one(name) for name in unique])

    with store_in_use(store, required=True) as opened:
        return dict(zip(unique, _run(main(opened)), strict=True))


Progress = Callable[[float, int], None]
"""``progress(fraction of the time range covered, calibrations found so far)``."""


def history(name: str, since: When, until: When = None, *, store: StoreArg = None,
            progress: Progress | None = None, timeout: float = 30.0,
            retries: int = 3) -> list[Snapshot]:
    """Download every calibration of ``name`` taken in ``[since, until]`` into the store.

    IBM: walks back with ``updated_before`` one calibration at a time; IonQ: pages through
    the characterization list. Returns the stored snapshots of the range, oldest first.
    """
    start, end = parse_when(since), parse_when(until) or datetime.now(timezone.utc)
    if start is None or start > end:
        raise QTargetsError(f"since must be a time before until, got since={since!r}, "
                            f"until={until!r}")
    span = max((end - start).total_seconds(), 1.0)

    def report(oldest: datetime, count: int) -> None:
        if progress is not None:
            progress(min(1.0, (end - max(oldest, start)).total_seconds() / span), count)

    with store_in_use(store, required=True) as opened:
        if opened is None:
            raise QTargetsError("history needs a store to download into (store=False given)")
        if vendor_of(name) == "ibm":
            with IBMClient(timeout=timeout, retries=retries) as ibm:
                cursor = end
                for count in range(1, MAX_HISTORY_STEPS + 1):
                    try:
                        cal = ibm.fetch(name, cursor, opened).calibration
                    except NotFoundError:
                        break  # nothing older
                    if cal.taken_at is None or cal.taken_at < start:
                        break
                    report(cal.taken_at, count)
                    cursor = cal.taken_at - timedelta(microseconds=1)
        else:
            with IonQClient(timeout=timeout, retries=retries) as ionq:
                found = ionq.characterizations(name, start, end + timedelta(milliseconds=1))
                source = f"{ionq.config.base_url}/characterizations ({name})"
                for count, payload in enumerate(found, 1):
                    _, snapshot = ionq.save_characterization(payload, opened, source)
                    report(snapshot.taken_at or start, count)
        report(start, 0)
        return opened.history(name, start, end)


MAX_HISTORY_STEPS = 100_000
"""Never walk back further than this many calibrations (a server ignoring the bound)."""


@dataclass(frozen=True)
class Device:
    """One row of ``qtargets list``: a device as its vendor's API describes it now."""

    vendor: Vendor
    name: str
    status: str
    num_qubits: int | None
    queue: str
    """Jobs waiting (IBM) or the average queue time (IonQ), as the vendor reports it."""
    last_calibration: datetime | None


def devices(*, store: StoreArg = None, timeout: float = 30.0,
            retries: int = 3) -> list[Device]:
    """The devices of every configured vendor (see :func:`configured_vendors`), fetched
    concurrently; the last calibration is IonQ's own figure, and for IBM the newest stored."""
    vendors = configured_vendors()

    async def main(opened: CalibrationStore | None) -> list[list[Device]]:
        async with AsyncExitStack() as stack:
            clients = _Clients(stack, timeout, retries)

            async def of(vendor: Vendor) -> list[Device]:
                client = await clients.get(vendor)
                rows = await client.backends()
                return [_device(vendor, row, opened) for row in rows]

            return await gather_all([of(vendor) for vendor in vendors])

    with store_in_use(store) as opened:
        return [device for group in _run(main(opened)) for device in group]


def _device(vendor: Vendor, row: dict[str, Any], store: CalibrationStore | None) -> Device:
    if vendor == "ibm":
        name = str(row["name"])
        latest = store.latest(name) if store is not None else None
        status = row.get("status") or {}
        return Device("ibm", name, str(status.get("name", "?")), row.get("qubits"),
                      f"{row.get('queue_length', '?')} jobs",
                      latest.taken_at if latest is not None else None)
    name = str(row.get("backend", "?"))
    when = maybe_timestamp(row.get("last_updated"))
    wait = row.get("average_queue_time")
    queue = f"{wait / 60000:.0f} min" if isinstance(wait, (int, float)) else "?"
    qubits = row.get("qubits")
    return Device("ionq", name, str(row.get("status", "?")),
                  qubits if isinstance(qubits, int) else None, queue, when)
