"""AWS Braket as a calibration source: the vendor the registry serves ``braket.*`` names with
(:mod:`qtargets.braket.names`), on top of the boto3 client (:mod:`qtargets.braket.api`),
and the file format of saved device documents.

Braket keeps no history: ``GetDevice`` returns the device's current document. A fetch saves
it in the store with the GetDevice response body exactly as received (raw part ``device``),
under an id that is the digest of the document, so an unchanged document is found in the
store. A fetch ``at`` an earlier time is answered from the store (what earlier fetches kept),
and ``history`` stores the current document when it was taken in the range.
"""

from __future__ import annotations

import asyncio
import hashlib
import importlib.util
import json
import os
import re
from datetime import datetime, timezone
from pathlib import Path

from .._exceptions import AuthenticationError, NotFoundError, QTargetsError, warn
from .._flow import gather_all
from ..model import Calibration
from ..store import CalibrationStore
from ..vendors import Fetched, FileFormat, ListedDevice, Progress, Source, Vendor
from .api import BraketClient, DeviceBody, configured_regions, require_boto3
from .convert import Device, parse_device, to_calibration
from .models import DeviceSummary
from .names import is_name, name_of_arn

__all__ = ["FILE_FORMAT", "BraketSource", "BraketVendor", "read_file", "vendor"]

_CREDENTIAL_ENV = ("AWS_ACCESS_KEY_ID", "AWS_PROFILE", "AWS_WEB_IDENTITY_TOKEN_FILE",
                   "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
                   "AWS_CONTAINER_CREDENTIALS_FULL_URI")


def document_id(device: Device) -> str:
    """The id a document is stored under: a digest of the document as received (Braket
    gives documents no id of their own)."""
    response = device.response
    text = (response.deviceCapabilities if response is not None
            and isinstance(response.deviceCapabilities, str)
            else json.dumps(device.raw, sort_keys=True))
    return "sha256:" + hashlib.sha256(text.encode()).hexdigest()[:32]


def convert(found: DeviceBody, name: str) -> tuple[Device, Calibration]:
    device = parse_device(found.body)
    return device, to_calibration(device, name=name, source=f"AWS Braket GetDevice {found.arn}",
                                  retrieved_at=datetime.now(timezone.utc))


class BraketSource(Source):
    """An open Braket connection: see :class:`qtargets.vendors.Source`."""

    def __init__(self, client: BraketClient) -> None:
        self.client = client

    async def fetch(self, name: str, at: datetime | None,
                    store: CalibrationStore | None) -> Fetched:
        found = await self.client.get_device(name)
        device, calibration = convert(found, name)
        taken = calibration.taken_at
        if at is not None and (taken is None or taken > at):
            earlier = store.at(name, at) if store is not None else None
            if earlier is not None:
                return Fetched(store.load(earlier), earlier, not_modified=True)  # type: ignore[union-attr]
            when = taken.isoformat() if taken is not None else "at an unknown time"
            raise NotFoundError(f"{name}: AWS Braket publishes only a device's current "
                                f"properties (taken {when}), and none from before "
                                f"{at.isoformat()} is stored", url=found.url)
        if store is None:
            return Fetched(calibration, None, not_modified=False)
        ident = document_id(device)
        known = store.by_calibration_id(name, ident)
        if known is not None:
            return Fetched(store.load(known), known, not_modified=True)
        snapshot = store.save(calibration, raw={"device": found.body}, calibration_id=ident)
        return Fetched(calibration, snapshot, not_modified=False)

    async def devices(self, store: CalibrationStore | None) -> list[ListedDevice]:
        """Every QPU the credentials see in the configured regions (retired ones left out),
        each with its current document's qubit count, queue and date."""
        pages = await gather_all([self.client.search_devices(region)
                                  for region in configured_regions()])
        qpus: dict[str, DeviceSummary] = {}
        for page in pages:
            for summary in page:
                if summary.deviceType == "QPU" and summary.deviceStatus != "RETIRED":
                    try:
                        qpus.setdefault(name_of_arn(summary.deviceArn), summary)
                    except LookupError:
                        continue  # not a QPU ARN qtargets can name
        return list(await asyncio.gather(*(self._listed(name, summary, store)
                                           for name, summary in sorted(qpus.items()))))

    async def _listed(self, name: str, summary: DeviceSummary,
                      store: CalibrationStore | None) -> ListedDevice:
        qubits: int | None = None
        queue = "?"
        taken: datetime | None = None
        try:
            found = await self.client.get_device(name)
            _, calibration = convert(found, name)
            qubits = calibration.num_qubits
            taken = calibration.taken_at
            queue = next((f"{q.queueSize} tasks" for q in found.response.deviceQueueInfo
                          if q.queue == "QUANTUM_TASKS_QUEUE"
                          and (q.queuePriority or "Normal") == "Normal"), "?")
        except QTargetsError as exc:
            if isinstance(exc, AuthenticationError):
                raise
            warn(f"AWS Braket {name}: its document could not be read ({type(exc).__name__}: "
                 f"{exc}); listed without it")
        if taken is None and store is not None:
            newest = store.latest(name, vendor="braket")
            taken = newest.taken_at if newest is not None else None
        status = summary.deviceStatus.lower()
        return ListedDevice(vendor="braket", name=name, status=status, num_qubits=qubits,
                            queue=queue, last_calibration=taken,
                            taking_jobs=summary.deviceStatus == "ONLINE")

    async def history(self, name: str, start: datetime, end: datetime,
                      store: CalibrationStore, progress: Progress) -> None:
        """Braket keeps no history: the current document, stored if taken in the range."""
        found = await self.client.get_device(name)
        device, calibration = convert(found, name)
        taken = calibration.taken_at
        if taken is None or not start <= taken <= end:
            return
        ident = document_id(device)
        snapshot = store.by_calibration_id(name, ident) or store.save(
            calibration, raw={"device": found.body}, calibration_id=ident)
        progress(snapshot.taken_at or start, 1)

    async def aclose(self) -> None:
        await self.client.aclose()


# -- files ----------------------------------------------------------------------------------------


def _recognises(name: str, data: bytes) -> bool:
    """A GetDevice response or a device document, as JSON or as a JSON string of one: never
    a qtargets Calibration JSON (which has ``schema_version``)."""
    return (b"braketSchemaHeader" in data or b"deviceCapabilities" in data) and (
        b'"schema_version"' not in data)


def read_file(name: str, data: bytes, named: str | None = None) -> Calibration:
    """A saved GetDevice response (named by its ``deviceArn``) or a bare device document
    (named ``named`` if given, else after the file: ``braket.file.<stem>``, or the stem
    itself if it is a Braket backend name such as ``braket.us-east-1.ionq.Forte-1``)."""
    device = parse_device(data)
    backend = None
    if device.response is None and named is not None:
        backend = named
    elif device.response is None:
        stem = Path(name).stem
        backend = stem if is_name(stem) else "braket.file." + re.sub(r"[^A-Za-z0-9_-]", "-",
                                                                     stem)
    return to_calibration(device, name=backend, source=f"file {name}")


FILE_FORMAT = FileFormat("AWS Braket device document (GetDevice response)", _recognises,
                         read_file)


# -- the vendor ---------------------------------------------------------------------------------


class BraketVendor(Vendor):
    """AWS Braket: backends ``braket.REGION.PROVIDER.DEVICE``; credentials from boto3's
    chain (the ``braket`` extra installs boto3)."""

    name = "braket"
    label = "AWS Braket"
    naming = ("names look like 'braket.us-east-1.ionq.Forte-1' (the region, provider and "
              "device of the ARN)")
    credentials = ("pip install 'qtargets[braket]' and give boto3 AWS credentials "
                   "(AWS_PROFILE, AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY or ~/.aws)")

    def owns(self, backend: str) -> bool:
        return is_name(backend)

    def configured(self) -> bool:
        """boto3 installed and AWS credentials set somewhere boto3 looks, without asking the
        network (an instance role counts once ``AWS_PROFILE`` or a config file says so)."""
        if importlib.util.find_spec("boto3") is None:
            return False
        if any(os.environ.get(name, "").strip() for name in _CREDENTIAL_ENV):
            return True
        files = (os.environ.get("AWS_SHARED_CREDENTIALS_FILE", "~/.aws/credentials"),
                 os.environ.get("AWS_CONFIG_FILE", "~/.aws/config"))
        return any(Path(f).expanduser().is_file() for f in files)

    def open(self, *, timeout: float, retries: int) -> BraketSource:
        require_boto3()
        return BraketSource(BraketClient(timeout=timeout, retries=retries, deadline=timeout))

    def file_formats(self) -> tuple[FileFormat, ...]:
        return (FILE_FORMAT,)


vendor = BraketVendor()
"""The instance the ``qtargets.vendors`` entry point names."""
