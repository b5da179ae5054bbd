"""Vendors: the contract every calibration source fulfils, and the registry that finds them.

Neutral code (:mod:`qtargets.live`, :mod:`qtargets.devices`, :mod:`qtargets.backends`,
:mod:`qtargets.ranking`, the CLI) never names a vendor: it asks this registry which vendor
serves a backend name, whether that vendor's credentials are configured, and for an open
:class:`Source` to fetch calibrations, history and device listings from. A vendor is one
subpackage (``qtargets.ibm``, ``qtargets.ionq``) holding its REST layer (``api``: HTTP in,
typed models or the exact bytes out), its models and conversion to the neutral
:class:`~qtargets.Calibration`, and a ``source`` module implementing :class:`Vendor`.

Vendors are found through the ``qtargets.vendors`` entry-point group (qtargets declares its
own there; another package can add one the same way), and :func:`register` adds one at run
time::

    from qtargets import vendors
    vendors.register(MyVendor())        # a Vendor: its names, credentials, source
    qtargets.target("my_device_1")      # now live, stored, listed, ranked like any other
"""

from __future__ import annotations

import threading
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from importlib import metadata
from types import TracebackType
from typing import TYPE_CHECKING

from ._exceptions import UnknownBackendError, warn
from .model import Calibration

if TYPE_CHECKING:
    from qiskit.transpiler import Target

    from .store import CalibrationStore, Snapshot

__all__ = [
    "ENTRY_POINT_GROUP",
    "Fetched",
    "FileFormat",
    "ListedDevice",
    "Progress",
    "Source",
    "StagePlugins",
    "Vendor",
    "configured",
    "file_format_of",
    "file_formats",
    "owner_of",
    "register",
    "stage_plugins",
    "unregister",
    "vendor_of",
    "vendors",
]

ENTRY_POINT_GROUP = "qtargets.vendors"
"""Entry points in this group name a :class:`Vendor` instance (``"pkg.module:vendor"``)."""


# -- what sources return --------------------------------------------------------------------------


@dataclass(frozen=True)
class Fetched:
    """A calibration fetched (or found unchanged) and, with a store, its snapshot there."""

    calibration: Calibration
    snapshot: Snapshot | None
    not_modified: bool
    """True when the vendor confirmed the stored calibration is current (nothing downloaded)."""


@dataclass(frozen=True)
class ListedDevice:
    """One device as its vendor's API lists it now: a row of ``qtargets list``."""

    vendor: str
    name: str
    status: str
    """The vendor's own word for it (``online``, ``available``, ``paused``...)."""
    num_qubits: int | None
    queue: str
    """Jobs waiting, or the average wait, as the vendor reports it."""
    last_calibration: datetime | None
    """The vendor's figure, else the newest stored calibration's; ``None`` if unknown."""
    taking_jobs: bool
    """Whether the device accepts jobs now (what ranking asks of a live device)."""


@dataclass(frozen=True)
class StagePlugins:
    """qiskit transpiler stage plugins a vendor wants for Targets of its native gates
    (``None``: qiskit's default stage)."""

    translation: str | None = None
    """The only stage a ``BackendV2`` can choose for ``transpile(backend=...)``."""
    init: str | None = None
    optimization: str | None = None


@dataclass(frozen=True)
class FileFormat:
    """A vendor's own file format that qtargets reads into a :class:`~qtargets.Calibration`
    (an AWS Braket device document, an IBM calibration CSV...): every command and function
    that takes a calibration file takes these too (:func:`qtargets.load_calibration`)."""

    name: str
    """For people: ``"IBM Quantum calibration CSV"``."""
    recognises: Callable[[str, bytes], bool]
    """``recognises(file name, content)``: whether the file is in this format. Cheap and
    never raises; it must not claim a qtargets Calibration JSON (which has
    ``schema_version``)."""
    read: Callable[[str, bytes, str | None], Calibration]
    """``read(file name, content, device)``: the calibration, or a
    :class:`~qtargets.CalibrationError` naming the path of what is wrong. ``device`` is the
    backend name the user says the file is of (``qtargets import --device``), ``None`` when
    not said: a format whose files may not name their device uses it; where the file names
    another, :func:`qtargets.bundled.read_calibration_file` refuses it."""


Progress = Callable[[datetime, int], None]
"""``progress(oldest time covered so far, calibrations found so far)``, during a history
download."""


# -- the contract -----------------------------------------------------------------------------


class Source(ABC):
    """An open connection to one vendor's API, used for one batch of work and then closed.

    Asynchronous: :mod:`qtargets.live` runs many fetches of many vendors concurrently in one
    event loop. Use as ``async with vendor.open(...) as source``.
    """

    @abstractmethod
    async def fetch(self, name: str, at: datetime | None,
                    store: CalibrationStore | None) -> Fetched:
        """The calibration of backend ``name`` now, or the one in force at ``at`` (never a
        newer one). With a store: saved there, with the bodies exactly as received, and
        fetched conditionally against it where the API allows."""

    @abstractmethod
    async def devices(self, store: CalibrationStore | None) -> list[ListedDevice]:
        """Every device the credentials can see, as the API lists it now."""

    @abstractmethod
    async def history(self, name: str, start: datetime, end: datetime,
                      store: CalibrationStore, progress: Progress) -> None:
        """Save every calibration of ``name`` taken in ``[start, end]`` into ``store``,
        calling ``progress`` as they arrive."""

    @abstractmethod
    async def aclose(self) -> None:
        """Close the connection (idempotent)."""

    async def __aenter__(self) -> Source:
        return self

    async def __aexit__(self, exc_type: type[BaseException] | None,
                        exc: BaseException | None, traceback: TracebackType | None) -> None:
        await self.aclose()


class Vendor(ABC):
    """A calibration source: the one object a vendor subpackage registers."""

    name: str
    """The ``Calibration.vendor`` of its calibrations, e.g. ``"ibm"``."""
    label: str
    """For people: ``"IBM Quantum"``."""
    naming: str
    """How its backend names look, for messages: ``"names start with 'ibm_'"``."""
    credentials: str
    """How to configure it, for messages: ``"set QISKIT_IBM_TOKEN and ..."``."""

    @abstractmethod
    def owns(self, backend: str) -> bool:
        """Whether backend name ``backend`` is one of this vendor's."""

    @abstractmethod
    def configured(self) -> bool:
        """Whether credentials are set (environment, account files): then names go live by
        default. Reads settings only, never the network."""

    @abstractmethod
    def open(self, *, timeout: float, retries: int) -> Source:
        """A :class:`Source` using the configured credentials: raises
        :class:`~qtargets.AuthenticationError` (before any request) when there are none.
        ``timeout`` is per request, seconds; ``retries`` the extra attempts on transient
        failures."""

    def file_formats(self) -> tuple[FileFormat, ...]:
        """The vendor's file formats qtargets reads offline (none by default)."""
        return ()

    def stage_plugins(self, target: Target) -> StagePlugins | None:
        """The transpiler stages this vendor wants for ``target`` (a Target of its native
        gates), or ``None`` where qiskit's defaults are right (the default)."""
        return None

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name!r} ({self.label})>"


# -- the registry ---------------------------------------------------------------------------------


class _Registry:
    """The vendors of this process: entry points (loaded once, on first use), then those
    registered at run time. Thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._vendors: dict[str, Vendor] = {}
        self._loaded = False

    def _load_entry_points(self) -> None:
        found: dict[str, Vendor] = {}
        for entry in sorted(metadata.entry_points(group=ENTRY_POINT_GROUP),
                            key=lambda e: e.name):
            try:
                vendor = entry.load()
            except Exception as exc:  # a broken plugin must not take the others down
                warn(f"vendor plugin {entry.name!r} ({entry.value}) could not be loaded and "
                     f"is left out: {type(exc).__name__}: {exc}")
                continue
            if not isinstance(vendor, Vendor):
                warn(f"vendor plugin {entry.name!r} ({entry.value}) is a "
                     f"{type(vendor).__name__}, not a qtargets.vendors.Vendor; left out")
                continue
            found[vendor.name] = vendor
        self._vendors = {**found, **self._vendors}

    def all(self) -> tuple[Vendor, ...]:
        with self._lock:
            if not self._loaded:
                self._loaded = True
                self._load_entry_points()
            return tuple(self._vendors.values())

    def add(self, vendor: Vendor) -> None:
        self.all()  # entry points first, so a registered vendor can replace one of them
        with self._lock:
            self._vendors[vendor.name] = vendor

    def remove(self, name: str) -> Vendor | None:
        self.all()
        with self._lock:
            return self._vendors.pop(name, None)


_REGISTRY = _Registry()


def vendors() -> tuple[Vendor, ...]:
    """Every registered vendor, entry points first (in name order), then :func:`register`'s."""
    return _REGISTRY.all()


def register(vendor: Vendor) -> Vendor:
    """Add ``vendor`` (replacing any of the same name) and return it."""
    if not isinstance(vendor, Vendor):
        raise TypeError(f"register takes a qtargets.vendors.Vendor, got "
                        f"{type(vendor).__name__}")
    _REGISTRY.add(vendor)
    return vendor


def unregister(name: str) -> Vendor | None:
    """Remove the vendor called ``name``; the vendor removed, or ``None``."""
    return _REGISTRY.remove(name)


def owner_of(backend: str) -> Vendor | None:
    """The vendor serving backend name ``backend``; ``None`` if none claims it."""
    return next((v for v in vendors() if v.owns(backend)), None)


def vendor_of(backend: str) -> Vendor:
    """The vendor serving ``backend``, or :class:`~qtargets.UnknownBackendError` listing how
    each vendor's names look."""
    vendor = owner_of(backend)
    if vendor is None:
        known = "; ".join(f"{v.label} {v.naming}" for v in vendors()) or "no vendor registered"
        raise UnknownBackendError(f"cannot tell the vendor of backend {backend!r}: {known}")
    return vendor


def configured() -> list[Vendor]:
    """The vendors whose credentials are set."""
    return [v for v in vendors() if v.configured()]


def file_formats() -> tuple[FileFormat, ...]:
    """Every registered vendor's file formats."""
    return tuple(f for v in vendors() for f in v.file_formats())


def file_format_of(name: str, data: bytes) -> FileFormat | None:
    """The vendor file format of file ``name`` with content ``data``; ``None`` when no vendor
    recognises it (then it should be a qtargets Calibration JSON)."""
    return next((f for f in file_formats() if f.recognises(name, data)), None)


def stage_plugins(target: Target) -> StagePlugins | None:
    """The stages the first vendor claiming ``target`` wants for it; ``None``: qiskit's."""
    for vendor in vendors():
        stages = vendor.stage_plugins(target)
        if stages is not None:
            return stages
    return None
