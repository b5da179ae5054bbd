"""IQM as a calibration source: fetching, storing and converting, on top of the REST client
(:mod:`qtargets.iqm.api`), behind the vendor contract (:mod:`qtargets.vendors`).

Device names: ``iqm_<alias>``, where ``<alias>`` is the quantum computer's alias on the IQM
Server (``iqm_garnet``, ``iqm_emerald``, ``iqm_sirius``): the ``iqm_`` prefix is IQM's alone
among qtargets' vendors. Credentials: ``IQM_TOKEN`` (and ``IQM_SERVER_URL`` for a server other
than IQM Resonance), the variables iqm-client reads.

A fetch asks for the quality metric set of the calibration set in use; metric sets have ids,
so an unchanged device costs that one request and a store read. A new one brings the dynamic
quantum architecture and the calibration set (for gate durations; a token not allowed to read
it gets a calibration without durations) of the same calibration set, concurrently. All
bodies are stored as received. IQM's API names no earlier calibration sets by time: a
calibration "at" a past moment is the current one if it was already in use then, else the
store's.

A quality metric set saved to a file (as the API returns it) is a calibration file
everywhere (:data:`FILE_FORMAT`).
"""

from __future__ import annotations

import os
import re
from datetime import datetime, timezone

from .._exceptions import AuthenticationError, CalibrationError, NotFoundError
from .._flow import gather_all
from .._http import first_not_json
from ..model import Calibration, utc
from ..store import CalibrationStore
from ..vendors import Fetched, FileFormat, ListedDevice, Progress, Source, Vendor
from .api import SERVER_URL_ENV, TOKEN_ENV, AsyncIQMClient, IQMBody
from .convert import backend_name_of, parse_observation_set, to_calibration

__all__ = ["FILE_FORMAT", "PREFIX", "IQMSource", "IQMVendor", "alias_of", "recognises",
           "vendor"]

PREFIX = "iqm_"


def alias_of(name: str) -> str:
    """The IQM Server alias of device ``name``: ``iqm_garnet`` -> ``garnet``."""
    return name.removeprefix(PREFIX)


def convert(name: str, metrics: IQMBody, architecture: IQMBody,
            calibration_set: IQMBody | None) -> Calibration:
    """The calibration of the three bodies; a body that is not JSON at all is the HTTP
    layer's error (a proxy's page), not the data's."""
    parts = [metrics, architecture] + ([calibration_set] if calibration_set else [])
    try:
        return to_calibration(metrics.body, architecture.body,
                              calibration_set.body if calibration_set else None,
                              backend_name=name, source=metrics.url,
                              retrieved_at=datetime.now(timezone.utc))
    except CalibrationError:
        for part in parts:
            broken = first_not_json(part.url, [part.body])
            if broken is not None:
                raise broken from None
        raise


class IQMSource(Source):
    """An open IQM Server connection: see :class:`qtargets.vendors.Source`."""

    def __init__(self, client: AsyncIQMClient) -> None:
        self.client = client

    async def _optional_calibration_set(self, qc: str, ident: str) -> IQMBody | None:
        try:
            return await self.client.calibration_set(qc, ident)
        except (AuthenticationError, NotFoundError):
            return None  # not every token may read it: the calibration says "no durations"

    async def fetch(self, name: str, at: datetime | None,
                    store: CalibrationStore | None) -> Fetched:
        qc = alias_of(name)
        metrics = await self.client.metrics(qc)
        known = (store.by_calibration_id(name, metrics.id)
                 if store is not None and metrics.id is not None else None)
        if store is not None and known is not None:
            if at is None or (known.taken_at is not None and known.taken_at <= utc(at)):
                return Fetched(store.load(known), known, not_modified=True)
            return self._earlier(name, at, store, known.taken_at)
        ident = metrics.describes or "default"
        architecture, calibration_set = await gather_all([
            self.client.architecture(qc, ident), self._optional_calibration_set(qc, ident)])
        assert architecture is not None  # the first of the pair never is
        calibration = convert(name, metrics, architecture, calibration_set)
        snapshot = None
        if store is not None:
            raw = {"metrics": metrics.body, "architecture": architecture.body}
            if calibration_set is not None:
                raw["calibration_set"] = calibration_set.body
            snapshot = store.save(calibration, raw=raw, calibration_id=metrics.id)
        if at is not None and calibration.taken_at is not None and calibration.taken_at > utc(
                at):
            return self._earlier(name, at, store, calibration.taken_at)
        return Fetched(calibration, snapshot, not_modified=False)

    @staticmethod
    def _earlier(name: str, at: datetime, store: CalibrationStore | None,
                 current: datetime | None) -> Fetched:
        """The stored calibration in force at ``at``: IQM serves only the current one."""
        snapshot = store.at(name, at) if store is not None else None
        if store is not None and snapshot is not None:
            return Fetched(store.load(snapshot), snapshot, not_modified=True)
        taken = current.isoformat() if current is not None else "an unknown time"
        raise NotFoundError(f"IQM's API serves only the calibration set in use ({name}: "
                            f"metrics of {taken}), and none of {name} at or before "
                            f"{utc(at).isoformat()} is stored", status=None)

    async def devices(self, store: CalibrationStore | None) -> list[ListedDevice]:
        """The quantum computers the token can see; the last calibration is the newest
        stored one (the listing does not say)."""
        rows = []
        for qc in await self.client.quantum_computers():
            name = PREFIX + qc.alias
            latest = store.latest(name) if store is not None else None
            rows.append(ListedDevice(
                vendor="iqm", name=name, status="listed", num_qubits=None, queue="?",
                last_calibration=latest.taken_at if latest is not None else None,
                taking_jobs=True))
        return rows

    async def history(self, name: str, start: datetime, end: datetime,
                      store: CalibrationStore, progress: Progress) -> None:
        """Stores the current calibration if taken in ``[start, end]`` (IQM's API lists no
        earlier calibration sets by time)."""
        fetched = await self.fetch(name, None, store)
        taken = fetched.calibration.taken_at
        if taken is not None and utc(start) <= taken <= utc(end):
            progress(taken, 1)

    async def aclose(self) -> None:
        await self.client.close()


# -- files ------------------------------------------------------------------------------------

_QUALITY_METRIC_SET = re.compile(rb'"observation_set_type"\s*:\s*"quality-metric-set"')


def recognises(name: str, data: bytes) -> bool:
    """Whether ``data`` is an IQM quality metric set as the API returns it: a JSON object
    saying ``"observation_set_type": "quality-metric-set"``, and neither a qtargets
    Calibration (``schema_version``) nor an AWS Braket document (``braketSchemaHeader``).
    Never raises."""
    if data.lstrip()[:1] != b"{" or _QUALITY_METRIC_SET.search(data) is None:
        return False
    return b'"schema_version"' not in data and b'"braketSchemaHeader"' not in data


def read(name: str, data: bytes, device: str | None = None) -> Calibration:
    """A saved quality metric set, named ``device`` or else ``iqm_<chip label>`` (the set
    names no quantum computer); its provenance the file."""
    metrics = parse_observation_set(data)
    return to_calibration(metrics, backend_name=device or backend_name_of(metrics),
                          source=f"file {name}")


FILE_FORMAT = FileFormat("IQM quality metric set (JSON)", recognises, read)


class IQMVendor(Vendor):
    """IQM: devices ``iqm_<alias>``; the token from ``IQM_TOKEN``."""

    name = "iqm"
    label = "IQM"
    naming = "names start with 'iqm_'"
    credentials = f"set {TOKEN_ENV} (and {SERVER_URL_ENV} for a server other than IQM " \
                  "Resonance)"

    def owns(self, backend: str) -> bool:
        return backend.startswith(PREFIX) and len(backend) > len(PREFIX)

    def configured(self) -> bool:
        return bool(os.environ.get(TOKEN_ENV, "").strip())

    def open(self, *, timeout: float, retries: int) -> IQMSource:
        return IQMSource(AsyncIQMClient(timeout=timeout, retries=retries))

    def file_formats(self) -> tuple[FileFormat, ...]:
        return (FILE_FORMAT,)


vendor = IQMVendor()
"""The instance the ``qtargets.vendors`` entry point names."""
