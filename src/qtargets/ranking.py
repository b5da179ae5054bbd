"""Which device should run this circuit? Transpile it for each one and rank them by ``esp_idle``.

>>> import qtargets
>>> from qiskit import QuantumCircuit
>>> ghz = QuantumCircuit(3, 3)
>>> _ = ghz.h(0), ghz.cx(0, 1), ghz.cx(1, 2), ghz.measure(range(3), range(3))
>>> rows = rank(ghz, ["ibm_fez", "qpu.aria-1"], live=False, optimization_level=1)
>>> [r.device for r in rows]
['ibm_fez', 'qpu.aria-1']
>>> rows[0].esp_idle >= rows[1].esp_idle
True

Devices are given in any form :mod:`qtargets.devices` accepts (names, ``NAME@TIME``,
calibration files, Calibrations, Targets, backends). Each gets the same treatment: its
calibration (a name: live when the vendor's credentials are configured, else stored or
bundled; see :mod:`qtargets.live`), its backend's preset pass
manager (:meth:`qtargets.QTargetsBackend.pass_manager`, so IonQ devices get their native
stages), the same seed, and :func:`qtargets.score` of the result. A device the circuit does not
fit, or that fails to transpile, stays in the list with its ``error`` and is ranked last: a
device silently missing from a ranking reads as a device nobody checked.

A calibration without an error figure for some operation the circuit uses scores that
operation as perfect (qpu.forte-enterprise-1's bundled snapshot has no figures at all), so its
``esp_idle`` flatters it; such rows (``unknown_errors > 0``) are ranked after every row whose
figures are complete.
"""

from __future__ import annotations

import logging
import math
import os
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from typing import Any

from qiskit.circuit import QuantumCircuit
from qiskit.exceptions import QiskitError

from . import vendors
from ._exceptions import QTargetsError, RankError, ScoreError, StoreError, error_message, warn
from .backends import Figures, QTargetsBackend
from .bundled import bundled_backends
from .circuits import load_circuit
from .devices import Device, DeviceSpec, as_list, resolve_all
from .live import (
    DEFAULT_TIMEOUT,
    StoreArg,
    configured_vendors,
    credentials_hint,
    devices,
    store_in_use,
)
from .methods import METHODS
from .store import CalibrationStore
from .vendors import ListedDevice, Vendor

__all__ = [
    "Progress",
    "Ranking",
    "rank",
]

logger = logging.getLogger("qtargets.ranking")


Progress = Callable[[int, int, str], None]
"""``progress(done, total, device)``: before each device's transpile (``done`` devices
finished so far), and once more when all are done (``done == total``, the last device)."""


@dataclass(frozen=True, kw_only=True)
class Ranking(Figures):
    """One device's result for the circuit; a row of :func:`rank`'s list.

    The figures (:class:`qtargets.backends.Figures`) are those a sweep record has too, under
    the same names. Rows with ``unknown_errors`` rank after every complete one.
    """

    vendor: str
    num_qubits: int
    """The device's qubits (not the circuit's)."""
    queue: str | None = None
    """Jobs waiting or the average wait, as the vendor reports it now; only for devices the
    vendor listed live. A device not taking jobs shows its status too."""
    transpiled: QuantumCircuit | None = field(default=None, repr=False, compare=False)
    """The transpiled circuit that was scored: the one to run if this device wins."""

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: SI units (seconds), ISO 8601 time, ``None`` for what is unknown."""
        return {
            "device": self.device,
            "vendor": self.vendor,
            "num_qubits": self.num_qubits,
            "esp_idle": self.esp_idle,
            "log_esp_idle": self.log_esp_idle,
            "esp": self.esp,
            "duration": self.duration,
            "two_qubit_gates": self.two_qubit_gates,
            "depth": self.depth,
            "transpile_seconds": self.transpile_seconds,
            "taken_at": self.taken_at.isoformat() if self.taken_at is not None else None,
            "queue": self.queue,
            "unknown_errors": self.unknown_errors,
            "error": self.error,
        }


def rank(
    circuit: QuantumCircuit | str | os.PathLike[str],
    devices: Iterable[DeviceSpec] | DeviceSpec | None = None,
    *,
    method: str = "qtargets",
    optimization_level: int = 3,
    seed: int | None = 1,
    live: bool | None = None,
    store: StoreArg = None,
    progress: Progress | None = None,
    timeout: float = DEFAULT_TIMEOUT,
    retries: int = 3,
) -> list[Ranking]:
    """Rank ``devices`` for ``circuit`` by ``esp_idle``, best first (module docs).

    ``circuit``: a QuantumCircuit, or the path of an OpenQASM 2 or 3 file
    (:func:`load_circuit`). ``devices``: one device or several, in any form
    (:mod:`qtargets.devices`); ``None`` means every device available: the live ones taking
    jobs of each vendor with credentials (``live`` not ``False``), plus the bundled and stored
    calibrations of the other vendors (``live=True``: the live ones only). The names are
    fetched concurrently, with ``live``, ``store``, ``timeout`` and ``retries``; transpiling is
    sequential, in this thread (qiskit parallelises inside its passes already). Two devices of
    the same name are ranked once (the first given).
    """
    if method not in METHODS:
        raise RankError(f"method must be one of {', '.join(METHODS)} (qtargets.methods), got "
                        f"{method!r}")
    if optimization_level not in range(4):
        raise RankError(f"optimization_level must be 0, 1, 2 or 3, got {optimization_level!r}")
    qc = circuit if isinstance(circuit, QuantumCircuit) else load_circuit(circuit)
    if qc.has_control_flow_op():
        raise RankError("a circuit with control flow cannot be ranked: its path, and so its "
                        "score, is only known at run time")

    with store_in_use(store) as opened:
        usable: StoreArg = opened if opened is not None else False
        asked, offline, queues = _candidates(devices, live, opened, timeout, retries)
        resolved = resolve_all(asked, live=live, store=usable, timeout=timeout,
                               retries=retries) if asked else []
        resolved += resolve_all(offline, live=False, store=usable) if offline else []
    by_name: dict[str, Device] = {}
    for device in resolved:
        by_name.setdefault(device.name, device)  # the first given of a name
    chosen = list(by_name.values())

    options: dict[str, Any] = {"seed_transpiler": seed, **METHODS[method].options}
    rows = []
    for done, device in enumerate(chosen):
        if progress is not None:
            progress(done, len(chosen), device.name)
        rows.append(_rank_one(qc, device, optimization_level, options, queues.get(device.name)))
    if progress is not None and chosen:
        progress(len(chosen), len(chosen), chosen[-1].name)
    return sorted(rows, key=_order)


def _order(row: Ranking) -> tuple[bool, bool, float, str]:
    """Complete figures by esp_idle (its log, which large circuits do not underflow), then
    rows scoring unknown errors as 0, then errors."""
    log = row.log_esp_idle if row.log_esp_idle is not None else -math.inf
    return row.error is not None, row.unknown_errors > 0, -log, row.device


def _rank_one(qc: QuantumCircuit, device: Device, level: int, options: dict[str, Any],
              queue: str | None) -> Ranking:
    row = Ranking(device=device.name, vendor=device.vendor or "unknown",
                  num_qubits=device.num_qubits, taken_at=device.taken_at, queue=queue)
    if qc.num_qubits > device.num_qubits:
        return replace(row, error=f"needs {qc.num_qubits} qubits, device has "
                                  f"{device.num_qubits}")
    start = time.perf_counter()
    try:
        done = QTargetsBackend(device.target(), calibration=device.calibration,
                               name=device.name).transpile_and_score(qc, level, **options)
    except ScoreError as exc:
        return replace(row, transpile_seconds=time.perf_counter() - start,
                       error=f"cannot score: {exc}")
    except (QiskitError, QTargetsError) as exc:
        return replace(row, transpile_seconds=time.perf_counter() - start,
                       error=f"transpile failed: {error_message(exc)}")
    return replace(row.with_result(done), transpiled=done.circuit)


# -- which devices -------------------------------------------------------------------------------


def _candidates(
    requested: Iterable[DeviceSpec] | DeviceSpec | None,
    live: bool | None,
    store: CalibrationStore | None,
    timeout: float,
    retries: int,
) -> tuple[list[DeviceSpec], list[DeviceSpec], dict[str, str]]:
    """(devices to resolve with ``live``, names to resolve offline, queue by name)."""
    usable: StoreArg = store if store is not None else False

    def listing(unreached: list[tuple[Vendor, QTargetsError]] | None = None
                ) -> list[ListedDevice]:
        return devices(store=usable, timeout=timeout, retries=retries, unreached=unreached)

    if requested is not None:
        items = as_list(requested)
        wanted = {vendors.owner_of(s.partition("@")[0]) for s in items if isinstance(s, str)}
        queues: dict[str, str] = {}
        if live is not False and wanted.intersection(configured_vendors()):
            try:
                queues = {d.name: _queue(d) for d in listing()}
            except QTargetsError as exc:  # the fetch that follows reports what matters
                logger.debug("no queue figures: %s", exc)
        return items, [], queues

    live_vendors = configured_vendors() if live is not False else []
    if live is True and not live_vendors:
        raise RankError("live=True ranks the live devices of the vendors with credentials, and "
                        f"none are configured ({credentials_hint()})")
    listed: list[ListedDevice] = []
    if live_vendors:
        unreached: list[tuple[Vendor, QTargetsError]] = []
        listed = listing(unreached)
        for vendor, error in unreached:
            if live is True:
                raise error
            warn(f"cannot list the live devices of {vendor.label} ({type(error).__name__}: "
                 f"{error}); ranking its stored and bundled calibrations instead")
            live_vendors.remove(vendor)
    # a vendor with credentials is asked which devices take jobs today: its bundled and stored
    # snapshots may be of devices since retired
    taking_jobs = [d for d in listed if d.taking_jobs]
    asked: list[DeviceSpec] = list(dict.fromkeys(d.name for d in taking_jobs))
    offline: list[DeviceSpec] = []
    if live is not True:
        known = [*bundled_backends(), *_stored_names(store)]
        offline = [n for n in dict.fromkeys(known)
                   if vendors.owner_of(n) not in live_vendors and n not in asked]
    return asked, offline, {d.name: d.queue for d in taking_jobs}


def _queue(device: ListedDevice) -> str:
    if device.taking_jobs:
        return device.queue
    return f"{device.queue} ({device.status})"


def _stored_names(store: CalibrationStore | None) -> list[str]:
    if store is None:
        return []
    try:
        return [name for _, name in store.backends()]
    except StoreError as exc:  # as qtargets.live does: the store is a cache, not a must
        logger.warning("calibration store unusable, ignoring it: %s", exc)
        return []
