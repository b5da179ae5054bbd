"""IonQ as a calibration source: fetching, storing and converting, on top of the REST client
(:mod:`qtargets.ionq.api`), behind the vendor contract (:mod:`qtargets.vendors`).

Characterizations have ids, so the store is asked by id: the newest characterization of an
unchanged device costs one request and a store read. Each is stored with its bytes exactly as
received. Calibrations are of the native gateset (``gpi``, ``gpi2``, ``ms``/``zz``); for the
QIS gates convert a body yourself: ``qtargets.ionq.to_calibration(body, gateset="qis")``.

On API v0.4 a new current characterization is converted with the device's ``GET
/backends/{backend}`` entry (one more request), whose ``supported_native_gates`` win over the
family table; it is stored beside the characterization. That entry says what the device runs
now, so characterizations of the past (``at=``, ``history``) use the family table.

A characterization saved to a file (IonQ's JSON, as the API sends it) is a calibration file
too: ``qtargets show characterization.json`` (:func:`file_format`).
"""

from __future__ import annotations

import json
import os
from datetime import datetime, timedelta, timezone

from qiskit.transpiler import Target
from qiskit.transpiler.exceptions import TranspilerError

from .._exceptions import NotFoundError, warn
from ..model import Calibration, maybe_timestamp
from ..store import CalibrationStore, Snapshot
from ..vendors import (
    Fetched,
    FileFormat,
    ListedDevice,
    Progress,
    Source,
    StagePlugins,
    Vendor,
)
from .api import API_KEY_ENV, AsyncIonQClient, BackendBody, CharacterizationBody
from .convert import to_calibration
from .families import family_of
from .models import Backend
from .plugin import PLUGIN_NAME, entangler_of

__all__ = ["IonQSource", "IonQVendor", "file_format", "save", "vendor"]

_TAKING_JOBS = frozenset({"available"})


def convert(found: CharacterizationBody, entry: BackendBody | None = None) -> Calibration:
    """The native calibration of a characterization, its provenance the URL it came from;
    with the device's ``/backends`` entry, whose native gates win over the family table."""
    return to_calibration(found.body, source=found.url, retrieved_at=datetime.now(timezone.utc),
                          backend_entry=entry.model if entry is not None else None)


def save(found: CharacterizationBody, store: CalibrationStore,
         entry: BackendBody | None = None) -> tuple[Calibration, Snapshot]:
    """Convert a characterization and save it, with its bytes (and the entry's), under its
    id."""
    calibration = convert(found, entry)
    raw = {"characterization": found.body}
    if entry is not None:
        raw["backend"] = entry.body
    return calibration, store.save(calibration, raw=raw, calibration_id=found.id)


class IonQSource(Source):
    """An open IonQ connection: see :class:`qtargets.vendors.Source`."""

    def __init__(self, client: AsyncIonQClient) -> None:
        self.client = client

    async def fetch(self, name: str, at: datetime | None,
                    store: CalibrationStore | None) -> Fetched:
        found = (await self.client.current_characterization(name) if at is None
                 else await self.client.characterization_at(name, at))
        if store is None:
            return Fetched(convert(found, await self._entry(name, at)), None,
                           not_modified=False)
        if found.id is not None:
            known = store.by_calibration_id(name, found.id)
            if known is not None:
                return Fetched(store.load(known), known, not_modified=True)
        calibration, snapshot = save(found, store, await self._entry(name, at))
        return Fetched(calibration, snapshot, not_modified=False)

    async def _entry(self, name: str, at: datetime | None) -> BackendBody | None:
        """The device's v0.4 ``/backends`` entry, for a current characterization only: it
        says what the device runs now (v0.3 entries name no gates, so are not asked for)."""
        if at is not None or self.client.api_version != "v0.4":
            return None
        try:
            return await self.client.backend(name)
        except NotFoundError as exc:
            warn(f"{name}: IonQ has no /backends entry for it ({exc}); its native gates are "
                 "the family table's")
            return None

    async def devices(self, store: CalibrationStore | None) -> list[ListedDevice]:
        """Every QPU the key can see; the last calibration is IonQ's own figure."""
        return [_listed(row) for row in await self.client.backends()]

    async def history(self, name: str, start: datetime, end: datetime,
                      store: CalibrationStore, progress: Progress) -> None:
        """Pages through the characterization list of ``[start, end]``; ids already stored
        are not saved again."""
        found = await self.client.characterizations(name, start, end + timedelta(milliseconds=1))
        for count, characterization in enumerate(found, 1):
            # one already stored (a fetch found it, by another URL) is not saved again
            known = (store.by_calibration_id(name, characterization.id)
                     if characterization.id is not None else None)
            snapshot = known if known is not None else save(characterization, store)[1]
            progress(snapshot.taken_at or start, count)

    async def aclose(self) -> None:
        await self.client.close()


def _listed(row: Backend) -> ListedDevice:
    wait = row.average_queue_time
    status = row.status or "?"
    return ListedDevice(vendor="ionq", name=row.backend, status=status,
                        num_qubits=row.qubits,
                        queue=f"{wait / 60000:.0f} min" if wait is not None else "?",
                        last_calibration=maybe_timestamp(row.last_updated),
                        taking_jobs=status.lower() in _TAKING_JOBS)


class IonQVendor(Vendor):
    """IonQ: backends ``qpu.*`` (and bare family names such as ``aria-1``); the key from
    ``IONQ_API_KEY``."""

    name = "ionq"
    label = "IonQ"
    naming = "names start with 'qpu.'"
    credentials = f"set {API_KEY_ENV}"

    def owns(self, backend: str) -> bool:
        if backend.startswith("qpu."):
            return True
        try:
            family_of(backend)
        except LookupError:
            return False
        return True

    def configured(self) -> bool:
        return bool(os.environ.get(API_KEY_ENV, "").strip())

    def open(self, *, timeout: float, retries: int) -> IonQSource:
        return IonQSource(AsyncIonQClient(timeout=timeout, retries=retries))

    def file_formats(self) -> tuple[FileFormat, ...]:
        """IonQ characterization JSON files (see :func:`file_format`)."""
        return (file_format,)

    def stage_plugins(self, target: Target) -> StagePlugins | None:
        """``ionq-native`` translation, init and optimization for a Target of IonQ's native
        gates: qiskit's own translation reaches them gate by gate (27 single-qubit pulses for
        a 3-qubit GHZ state, against 4)."""
        try:
            entangler_of(target)
        except TranspilerError:
            return None
        return StagePlugins(translation=PLUGIN_NAME, init=PLUGIN_NAME,
                            optimization=PLUGIN_NAME)


def _recognises(name: str, data: bytes) -> bool:
    """A characterization (or a list page of them) as IonQ's API sends it: a JSON object
    with a device (``backend``, or v0.1's ``target``) and ``qubits``, or with
    ``characterizations``; never a qtargets Calibration (``schema_version``)."""
    if b"schema_version" in data or not data.lstrip().startswith(b"{"):
        return False
    try:
        doc = json.loads(data)
    except (ValueError, RecursionError):
        return False
    if not isinstance(doc, dict):
        return False
    if isinstance(doc.get("characterizations"), list):
        return True
    device = doc.get("backend", doc.get("target"))
    return isinstance(device, str) and device.startswith("qpu.") and "qubits" in doc


def _read(name: str, data: bytes, device: str | None) -> Calibration:
    """The characterization's own device (it names it: ``device`` is checked by the
    caller)."""
    return to_calibration(data, source=f"IonQ characterization file {name}")


file_format = FileFormat(name="IonQ characterization JSON", recognises=_recognises,
                         read=_read)
"""An IonQ characterization saved as the API sent it (``GET .../characterizations/...``, v0.1,
v0.3 or v0.4 shape; a list page's newest entry), read into its native calibration."""

vendor = IonQVendor()
"""The instance the ``qtargets.vendors`` entry point names."""
