"""A device, however it is given: the one resolver behind every function and command that
takes one.

>>> import qtargets
>>> target = qtargets.target("ibm_fez")                       # doctest: +SKIP
>>> old = qtargets.target("qpu.forte-1@2025-06-01")           # doctest: +SKIP
>>> cals = qtargets.calibrations(["ibm_fez", "fez.json"])     # doctest: +SKIP

Every entry point (:func:`calibration`, :func:`target`, :func:`qtargets.backend`,
:func:`qtargets.rank`, :func:`qtargets.sweep`, and the commands ``show``, ``map``, ``diff``,
``rank``, ``sweep``) accepts the same forms (a table of them: docs/devices.md):

* **a name** (``"ibm_fez"``): the newest calibration: live when the vendor's credentials are
  configured, else the newest of the store and the bundled snapshots
  (:mod:`qtargets.live`); a name no vendor serves is looked up in the store and the bundled
  data;
* **NAME@TIME** (``"ibm_fez@2025-06-01"``): the calibration in force then, never a newer one
  (ISO 8601, UTC unless it says otherwise); offline, the newest taken at or before then among
  the store and the bundled history (:func:`qtargets.bundled.bundled_history`);
* **a calibration file** (``"fez.json"``, a ``Path``): a Calibration saved with ``to_json``
  (a bundled name wins over a file of that name in the working directory);
* **a Calibration**: itself;
* **a qiskit Target**: itself (it has no calibration: no faults, no provenance, so what needs
  one, such as ``show`` or ``diff``, says so);
* **a backend** (``qtargets.backend(...)``, any ``BackendV2``): its calibration (a qtargets
  backend), else its Target.

``at``, ``live`` and ``store`` choose among the calibrations of a name; given with a single
device of another form they are an error (:class:`~qtargets.BackendInputError`) rather than
silently ignored. ``qtargets fetch`` takes names and ``NAME@TIME`` only (it downloads).
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol, TypeAlias

from qiskit.transpiler import Target

from ._exceptions import BackendInputError
from ._flow import run_sync
from .build import build_target
from .bundled import bundled_backends, load_calibration
from .live import (
    DEFAULT_TIMEOUT,
    StoreArg,
    When,
    by_name,
    parse_when,
    split_time,
    store_in_use,
)
from .model import Calibration

__all__ = [
    "Device",
    "DeviceSpec",
    "HasTarget",
    "acalibrations",
    "aresolve_all",
    "as_list",
    "calibration",
    "calibrations",
    "resolve",
    "resolve_all",
    "target",
    "targets",
]

class HasTarget(Protocol):
    """A backend: anything with a ``target`` (a qtargets backend also has a
    ``calibration``)."""

    @property
    def target(self) -> Target: ...


DeviceSpec: TypeAlias = "str | os.PathLike[str] | Calibration | Target | HasTarget"
"""A name, ``NAME@TIME``, a calibration file, a Calibration, a Target or a backend."""


@dataclass(frozen=True)
class Device:
    """A device resolved from any accepted form: what it is called, and its calibration or,
    for a bare Target, the Target itself."""

    name: str
    calibration: Calibration | None
    given_target: Target | None = None
    """The Target given (a Target or a backend without a calibration); else ``None``."""

    def __post_init__(self) -> None:
        if self.calibration is None and self.given_target is None:
            raise BackendInputError(f"device {self.name!r}: needs a calibration or a Target")

    @property
    def vendor(self) -> str | None:
        return self.calibration.vendor if self.calibration is not None else None

    @property
    def taken_at(self) -> datetime | None:
        return self.calibration.taken_at if self.calibration is not None else None

    @property
    def num_qubits(self) -> int:
        if self.calibration is not None:
            return self.calibration.num_qubits
        assert self.given_target is not None
        return int(self.given_target.num_qubits or 0)

    def target(self, **build_flags: Any) -> Target:
        """The given Target, or :func:`qtargets.build_target` of the calibration with
        ``build_flags`` (which a given Target cannot honour: an error)."""
        if self.given_target is not None:
            if build_flags:
                raise BackendInputError(f"{self.name}: a given Target is used as it is; "
                                        f"{', '.join(sorted(build_flags))} cannot apply")
            return self.given_target
        assert self.calibration is not None
        return build_target(self.calibration, **build_flags)

    def require_calibration(self, purpose: str) -> Calibration:
        """The calibration, or a :class:`~qtargets.BackendInputError` saying that
        ``purpose`` needs one and a bare Target has none."""
        if self.calibration is None:
            raise BackendInputError(
                f"{purpose} needs a calibration, and {self.name!r} is a bare qiskit Target "
                "(no faults, no provenance): give a name, NAME@TIME, a calibration file or a "
                "Calibration")
        return self.calibration


# -- the forms ---------------------------------------------------------------------------------


def _file(spec: str | os.PathLike[str]) -> Path | None:
    """The calibration file ``spec`` names, or ``None`` when it is a name. A missing file is
    an error when the text can only be a path (a ``.json`` suffix or a directory part)."""
    if isinstance(spec, os.PathLike):
        return Path(spec)
    if spec in bundled_backends():
        return None
    path = Path(spec)
    if path.is_file() or spec.endswith(".json") or "/" in spec or os.sep in spec:
        return path
    return None


def _local(spec: object) -> Device | None:
    """``spec`` resolved without looking anything up by name; ``None`` for a name."""
    if isinstance(spec, Calibration):
        return Device(spec.backend_name, spec)
    if isinstance(spec, Target):
        return Device(spec.description or "target", None, spec)
    if isinstance(spec, (str, os.PathLike)):
        path = _file(spec)
        if path is None:
            return None
        cal = load_calibration(path)
        return Device(cal.backend_name, cal)
    held = getattr(spec, "calibration", None)
    if isinstance(held, Calibration):
        return Device(held.backend_name, held)
    target = getattr(spec, "target", None)
    if isinstance(target, Target):
        return Device(str(getattr(spec, "name", None) or target.description or "target"),
                      None, target)
    kind = type(spec)
    named = kind.__qualname__ if kind.__module__ == "builtins" else (
        f"{kind.__module__}.{kind.__qualname__}")
    raise BackendInputError(
        f"expected a device: a name, NAME@TIME, a calibration file, a qtargets.Calibration, a "
        f"qiskit Target or a backend, got {named}")


def as_list(specs: Iterable[DeviceSpec] | DeviceSpec) -> list[DeviceSpec]:
    """``specs`` as a list of devices: one device (a string is one name, not its letters; a
    Calibration, Target or backend is one device) or an iterable of them."""
    if isinstance(specs, (str, os.PathLike, Calibration, Target)) or not isinstance(
            specs, Iterable):
        return [specs]
    return list(specs)


def _request(spec: str, at: datetime | None) -> tuple[str, datetime | None]:
    name, when = split_time(spec)
    if when is not None and at is not None:
        raise BackendInputError(f"{spec!r} names its time; do not give at= too")
    return name, when if when is not None else at


# -- resolving -----------------------------------------------------------------------------------


async def aresolve_all(specs: Iterable[DeviceSpec] | DeviceSpec, at: When = None, *,
                       live: bool | None = None, store: StoreArg = None,
                       timeout: float = DEFAULT_TIMEOUT, retries: int = 3) -> list[Device]:
    """Async :func:`resolve_all`."""
    items = as_list(specs)
    when = parse_when(at)
    devices: list[Device | None] = [_local(spec) for spec in items]
    named = [(i, _request(str(spec), when)) for i, spec in enumerate(items)
             if devices[i] is None]
    if named:
        with store_in_use(store) as opened:
            found = await by_name([request for _, request in named], live=live, store=opened,
                                  timeout=timeout, retries=retries)
        for (i, _), cal in zip(named, found, strict=True):
            devices[i] = Device(cal.backend_name, cal)
    return [d for d in devices if d is not None]


def resolve_all(specs: Iterable[DeviceSpec] | DeviceSpec, at: When = None, *,
                live: bool | None = None,
                store: StoreArg = None, timeout: float = DEFAULT_TIMEOUT,
                retries: int = 3) -> list[Device]:
    """Every one of ``specs`` (any form, see the module docs) as a :class:`Device`, in
    order; the names among them fetched concurrently with ``at``, ``live`` and ``store``."""
    return run_sync(aresolve_all(specs, at, live=live, store=store, timeout=timeout,
                                 retries=retries))


def resolve(spec: DeviceSpec, at: When = None, *, live: bool | None = None,
            store: StoreArg = None, timeout: float = DEFAULT_TIMEOUT,
            retries: int = 3) -> Device:
    """One device, any form (see the module docs). ``at``, ``live`` and ``store`` apply to
    a name only: given with another form they are a :class:`~qtargets.BackendInputError`."""
    local = _local(spec)
    if local is not None:
        if at is not None or live is not None or store is not None:
            raise BackendInputError(
                "at, live and store choose among the calibrations of a device name; they "
                f"cannot apply to {_what(spec)}")
        return local
    (device,) = resolve_all([spec], at, live=live, store=store, timeout=timeout,
                            retries=retries)
    return device


def _what(spec: object) -> str:
    if isinstance(spec, (str, os.PathLike)):
        return f"the calibration file {os.fspath(spec)!r}"
    return f"a {type(spec).__name__}"


# -- the one-call API ----------------------------------------------------------------------------


def _key(spec: DeviceSpec, device: Device) -> str:
    return os.fspath(spec) if isinstance(spec, (str, os.PathLike)) else device.name


async def acalibrations(specs: Iterable[DeviceSpec] | DeviceSpec, at: When = None, *,
                        live: bool | None = None, store: StoreArg = None,
                        timeout: float = DEFAULT_TIMEOUT,
                        retries: int = 3) -> dict[str, Calibration]:
    """Async :func:`calibrations`: every name fetched concurrently, in this event loop."""
    unique = list({_dedupe_key(s): s for s in as_list(specs)}.values())
    devices = await aresolve_all(unique, at, live=live, store=store, timeout=timeout,
                                 retries=retries)
    return {_key(spec, device): device.require_calibration("a calibration")
            for spec, device in zip(unique, devices, strict=True)}


def _dedupe_key(spec: DeviceSpec) -> Any:
    return os.fspath(spec) if isinstance(spec, (str, os.PathLike)) else id(spec)


def calibrations(specs: Iterable[DeviceSpec] | DeviceSpec, at: When = None, *,
                 live: bool | None = None, store: StoreArg = None, timeout: float = DEFAULT_TIMEOUT,
                 retries: int = 3) -> dict[str, Calibration]:
    """The calibrations of several devices (or one: a string is one name), the names among
    them fetched concurrently.

    Keys are the strings as given (names, ``NAME@TIME``, files), or the backend name of a
    Calibration or backend given. The first error that no fallback covers is raised.
    """
    return run_sync(acalibrations(specs, at, live=live, store=store, timeout=timeout,
                                  retries=retries))


def calibration(spec: DeviceSpec, at: When = None, *, live: bool | None = None,
                store: StoreArg = None, timeout: float = DEFAULT_TIMEOUT,
                retries: int = 3) -> Calibration:
    """The neutral calibration of a device: newest, or in force at ``at`` (module docs)."""
    return resolve(spec, at, live=live, store=store, timeout=timeout,
                   retries=retries).require_calibration("a calibration")


def target(spec: DeviceSpec, at: When = None, *, live: bool | None = None,
           store: StoreArg = None, timeout: float = DEFAULT_TIMEOUT, retries: int = 3,
           include_control_flow: bool = True, include_fractional_gates: bool = True,
           filter_faulty: bool = True, add_delay: bool = True) -> Target:
    """The qiskit ``Target`` of a device: newest calibration, or the one in force at ``at``.

    Live when the vendor's credentials are configured, else from the store or the bundled
    snapshots; see :mod:`qtargets.live` for ``live`` and ``store``. The flags are those of
    :func:`qtargets.build_target` (a given Target is returned as it is).
    """
    device = resolve(spec, at, live=live, store=store, timeout=timeout, retries=retries)
    return device.target(**_flags(include_control_flow, include_fractional_gates,
                                  filter_faulty, add_delay))


def targets(specs: Iterable[DeviceSpec] | DeviceSpec, at: When = None, *,
            live: bool | None = None,
            store: StoreArg = None, timeout: float = DEFAULT_TIMEOUT, retries: int = 3,
            include_control_flow: bool = True, include_fractional_gates: bool = True,
            filter_faulty: bool = True, add_delay: bool = True) -> dict[str, Target]:
    """:func:`target` for several devices, fetched concurrently (keys as
    :func:`calibrations`)."""
    unique: Sequence[DeviceSpec] = list({_dedupe_key(s): s for s in as_list(specs)}.values())
    devices = resolve_all(unique, at, live=live, store=store, timeout=timeout,
                          retries=retries)
    flags = _flags(include_control_flow, include_fractional_gates, filter_faulty, add_delay)
    return {_key(spec, device): device.target(**flags)
            for spec, device in zip(unique, devices, strict=True)}


def _flags(include_control_flow: bool, include_fractional_gates: bool, filter_faulty: bool,
           add_delay: bool) -> dict[str, bool]:
    """The build flags that differ from the defaults (a given Target can take only those)."""
    flags = {"include_control_flow": include_control_flow,
             "include_fractional_gates": include_fractional_gates,
             "filter_faulty": filter_faulty, "add_delay": add_delay}
    return {name: value for name, value in flags.items() if value is not True}
