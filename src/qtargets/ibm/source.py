"""IBM Quantum as a calibration source: fetching, storing and converting, on top of the REST
client (:mod:`qtargets.ibm.api`), behind the vendor contract (:mod:`qtargets.vendors`).

With a :class:`~qtargets.CalibrationStore`, fetches are conditional: the properties are asked
with ``If-None-Match``/``If-Modified-Since``, and a 304 answer costs that one request plus a
store read. The configuration is revalidated whenever the properties changed, and at least
every :data:`CONFIGURATION_MAX_AGE`. The store keeps both bodies exactly as received.
"""

from __future__ import annotations

import os
from dataclasses import replace
from datetime import datetime, timedelta, timezone

from .._exceptions import ApiError, CalibrationError, NotFoundError
from .._flow import Flow
from .._http import Validators, first_not_json
from .._revalidate import body_of, cache_key, validators_of
from ..model import utc
from ..store import CalibrationStore
from ..vendors import Fetched, FileFormat, ListedDevice, Progress, Source, Vendor
from .account import KEY_ENVS, default_account_file
from .api import AsyncIBMClient, IBMClient
from .convert import to_calibration
from .csvfile import FILE_FORMAT
from .models import BackendDevice

__all__ = ["CONFIGURATION_MAX_AGE", "MAX_HISTORY_STEPS", "IBMSource", "IBMVendor", "vendor"]

CONFIGURATION_MAX_AGE = timedelta(hours=1)
"""How long a stored configuration is trusted without asking the server while the properties
are unchanged. Configurations change far less often than properties (new basis gates, a
coupling map change) and always with a new calibration in practice; an hour bounds the
exception."""

MAX_HISTORY_STEPS = 100_000
"""Never walk back further than this many calibrations (a server ignoring the bound)."""

_TAKING_JOBS = frozenset({"online"})


def fetch_flow(client: IBMClient | AsyncIBMClient, backend: str, at: datetime | None,
               store: CalibrationStore | None) -> Flow[Fetched]:
    """Configuration + properties -> calibration, conditional when a store is given: a
    request flow for either client's :meth:`~qtargets.ibm.api.IBMClient.run`."""
    conf_get = client.configuration_get(backend)
    props_get = client.properties_get(backend, at)
    conf_key = cache_key("ibm", client.account.instance, client.url(conf_get), None)
    props_key = cache_key("ibm", client.account.instance, client.url(props_get),
                          props_get.params)
    c_conf = store.cached_response(conf_key) if store is not None else None
    c_props = store.cached_response(props_key) if store is not None else None
    known = (store.by_hash(c_props.snapshot_hash)
             if store is not None and c_props is not None and c_props.snapshot_hash else None)
    now = datetime.now(timezone.utc)
    conf_fresh = c_conf is not None and now - c_conf.checked_at < CONFIGURATION_MAX_AGE
    conf_get = replace(conf_get, validators=validators_of(c_conf))
    props_get = replace(props_get, validators=validators_of(c_props))

    if store is not None and known is not None and conf_fresh:
        # The cheap path: one conditional request for the properties.
        (props,) = yield [props_get]
        if props.not_modified:
            return Fetched(store.load(known), known, not_modified=True)
        (conf,) = yield [conf_get]
    else:
        conf, props = yield [conf_get, props_get]
    conf_body, props_body = body_of(conf, c_conf), body_of(props, c_props)
    try:
        calibration = to_calibration(conf_body, props_body, source=props.url,
                                     retrieved_at=now)
    except CalibrationError:
        broken = first_not_json(props.url, [conf_body, props_body])
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
        kept = Validators(kept.etag or c_conf.etag, kept.last_modified or c_conf.last_modified)
    store.remember_response(conf_key, conf_body, etag=kept.etag,
                            last_modified=kept.last_modified, checked_at=now)
    if props.validators:
        store.remember_response(props_key, props_body, etag=props.validators.etag,
                                last_modified=props.validators.last_modified,
                                snapshot_hash=snapshot.content_hash, checked_at=now)
    return Fetched(calibration, snapshot, not_modified=False)


class IBMSource(Source):
    """An open IBM Quantum connection: see :class:`qtargets.vendors.Source`."""

    def __init__(self, client: AsyncIBMClient) -> None:
        self.client = client

    async def fetch(self, name: str, at: datetime | None,
                    store: CalibrationStore | None) -> Fetched:
        return await self.client.run(fetch_flow(self.client, name, at, store))

    async def devices(self, store: CalibrationStore | None) -> list[ListedDevice]:
        """The instance's devices; the last calibration is the newest stored one (IBM's
        listing does not say)."""
        return [_listed(row, store) for row in await self.client.backends()]

    async def history(self, name: str, start: datetime, end: datetime,
                      store: CalibrationStore, progress: Progress) -> None:
        """Walks back from ``end`` with ``updated_before``, one calibration at a time."""
        cursor = end
        for count in range(1, MAX_HISTORY_STEPS + 1):
            try:
                cal = (await self.fetch(name, cursor, store)).calibration
            except NotFoundError:
                return  # nothing older
            if cal.taken_at is None or cal.taken_at < start:
                return
            progress(cal.taken_at, count)
            cursor = cal.taken_at - timedelta(microseconds=1)

    async def aclose(self) -> None:
        await self.client.close()


def _listed(row: BackendDevice, store: CalibrationStore | None) -> ListedDevice:
    latest = store.latest(row.name) if store is not None else None
    status = row.status.name
    return ListedDevice(vendor="ibm", name=row.name, status=status, num_qubits=row.qubits,
                        queue=f"{row.queue_length} jobs",
                        last_calibration=latest.taken_at if latest is not None else None,
                        taking_jobs=status.lower() in _TAKING_JOBS)


class IBMVendor(Vendor):
    """IBM Quantum: backends ``ibm_*``; credentials as :mod:`qtargets.ibm.account` reads
    them."""

    name = "ibm"
    label = "IBM Quantum"
    naming = "names start with 'ibm_'"
    credentials = ("set QISKIT_IBM_TOKEN (or IBM_CLOUD_API_KEY) and QISKIT_IBM_INSTANCE, or "
                   "save an account with qiskit-ibm-runtime")

    def owns(self, backend: str) -> bool:
        return backend.startswith("ibm_")

    def configured(self) -> bool:
        return (any(os.environ.get(e, "").strip() for e in KEY_ENVS)
                or default_account_file().is_file())

    def open(self, *, timeout: float, retries: int) -> IBMSource:
        return IBMSource(AsyncIBMClient(timeout=timeout, retries=retries))

    def file_formats(self) -> tuple[FileFormat, ...]:
        """The calibration CSV files of the IBM Quantum Platform's device pages
        (:mod:`qtargets.ibm.csvfile`)."""
        return (FILE_FORMAT,)


vendor = IBMVendor()
"""The instance the ``qtargets.vendors`` entry point names."""
