"""Real calibrations shipped inside the package, usable with no network and no credentials,
and calibration files: a Calibration's JSON, or any vendor file format the registry knows
(:class:`qtargets.vendors.FileFormat`).

Each file in ``qtargets/data/`` is a :class:`~qtargets.Calibration` in its JSON form, with
provenance saying where the numbers came from (see ``scripts/make_bundled.py``).

``qtargets/data/history/<backend>/<taken_at>.json.gz`` hold older real calibrations of some of
those devices (and a few others): the snapshots past qiskit-ibm-runtime releases shipped, one
file per calibration day, gzip'd Calibration JSON (``scripts/make_history.py``; each says its
release and files in its provenance). :func:`bundled_history` lists them; the device resolver
time-travels onto them offline (``qtargets.calibration("ibm_sherbrooke", at="2024-06-01")``).
"""

from __future__ import annotations

import gzip
from datetime import datetime, timezone
from functools import cache
from importlib import resources
from pathlib import Path

from qiskit.transpiler import Target

from . import vendors
from ._exceptions import CalibrationError, QTargetsError, UnknownBackendError
from .build import build_target
from .model import Calibration

__all__ = ["bundled_backends", "bundled_history", "history_backends", "load_calibration",
           "load_target", "read_calibration_file"]

_DATA = "data"
_HISTORY = "history"
_EPOCH = datetime.min.replace(tzinfo=timezone.utc)


@cache
def bundled_backends() -> tuple[str, ...]:
    """Names of the bundled calibrations, sorted (the package's data does not change while
    it runs, so it is listed once)."""
    files = resources.files(__package__).joinpath(_DATA).iterdir()
    return tuple(sorted(f.name[: -len(".json")] for f in files if f.name.endswith(".json")))


@cache
def _load_bundled(name: str) -> Calibration:
    resource = resources.files(__package__).joinpath(_DATA).joinpath(f"{name}.json")
    if not resource.is_file():
        known = ", ".join(bundled_backends())
        raise UnknownBackendError(
            f"no bundled calibration named {name!r} (bundled: {known}); "
            "pass a path to a calibration JSON file instead"
        )
    return Calibration.from_json(resource.read_bytes())


@cache
def history_backends() -> tuple[str, ...]:
    """Names of the devices with a bundled history (older calibration days), sorted."""
    root = resources.files(__package__).joinpath(_DATA).joinpath(_HISTORY)
    if not root.is_dir():
        return ()
    return tuple(sorted(d.name for d in root.iterdir()
                        if d.is_dir() and any(f.name.endswith(".json.gz") for f in d.iterdir())))


@cache
def bundled_history(name: str) -> tuple[Calibration, ...]:
    """Every calibration of ``name`` the package holds, oldest first: its bundled history
    and its bundled snapshot (:func:`load_calibration`), one per calibration time (the
    bundled snapshot stands for a history day of the same time); ``()`` when none is bundled.

    >>> import qtargets.bundled
    >>> [c.taken_at.date().isoformat() for c in qtargets.bundled.bundled_history("ibm_torino")]
    ['2024-02-28', '2025-02-26']
    """
    by_time: dict[datetime | None, Calibration] = {}
    if name in history_backends():
        folder = resources.files(__package__).joinpath(_DATA).joinpath(_HISTORY).joinpath(name)
        for day in sorted(folder.iterdir(), key=lambda f: f.name):
            if day.name.endswith(".json.gz"):
                try:
                    cal = Calibration.from_json(gzip.decompress(day.read_bytes()))
                except (OSError, EOFError) as exc:  # a damaged installation
                    raise CalibrationError(f"{_HISTORY}/{name}/{day.name}",
                                           f"not a readable gzip file ({exc})",
                                           show_value=False) from None
                by_time[cal.taken_at] = cal
    if name in bundled_backends():
        bundled = _load_bundled(name)
        by_time[bundled.taken_at] = bundled
    return tuple(sorted(by_time.values(), key=lambda c: c.taken_at or _EPOCH))


def load_calibration(name_or_path: str | Path) -> Calibration:
    """A bundled calibration by backend name (``"ibm_fez"``), or one read from a file: a
    calibration saved with :meth:`~qtargets.Calibration.to_json`, or a vendor's own format
    (:func:`qtargets.vendors.file_formats`: e.g. an AWS Braket device document).

    A bundled name wins over a file of the same name in the working directory.

    >>> import qtargets
    >>> qtargets.load_calibration("ibm_fez").num_qubits
    156
    """
    text = str(name_or_path)
    if not isinstance(name_or_path, Path) and text in bundled_backends():
        return _load_bundled(text)
    path = Path(name_or_path)
    if not path.is_file():
        if isinstance(name_or_path, Path) or text.endswith(".json") or "/" in text:
            raise UnknownBackendError(f"calibration file not found: {text!r}")
        return _load_bundled(text)  # raises, listing the bundled names
    return read_calibration_file(path)[1]


def read_calibration_file(path: str | Path, device: str | None = None
                          ) -> tuple[bytes, Calibration]:
    """The file's bytes and the calibration it holds: a vendor file format the registry
    knows (:func:`qtargets.vendors.file_format_of`), else a Calibration JSON. ``device``:
    the backend name the user says it is of, for files that do not say (e.g. an IBM CSV not
    named as IBM names them); a file of another device is refused."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise QTargetsError(f"cannot read calibration file {str(path)!r}: "
                            f"{exc.strerror or exc}") from None
    file_format = vendors.file_format_of(path.name, data)
    calibration = (file_format.read(path.name, data, device) if file_format is not None
                   else Calibration.from_json(data))
    if device is not None and calibration.backend_name != device:
        raise CalibrationError(path.name, f"a calibration of {calibration.backend_name!r}, "
                               f"not of {device!r}", show_value=False)
    return data, calibration


def load_target(
    name_or_path: str | Path,
    *,
    include_control_flow: bool = True,
    include_fractional_gates: bool = True,
    filter_faulty: bool = True,
    add_delay: bool = True,
) -> Target:
    """The qiskit ``Target`` of a bundled (or saved) calibration; see :func:`load_calibration`.

    >>> import qtargets
    >>> "cz" in qtargets.load_target("ibm_fez").operation_names
    True
    """
    return build_target(
        load_calibration(name_or_path),
        include_control_flow=include_control_flow,
        include_fractional_gates=include_fractional_gates,
        filter_faulty=filter_faulty,
        add_delay=add_delay,
    )
