"""Real calibrations shipped inside the package, usable with no network and no credentials,
and calibration files: a Calibration's JSON, or any vendor file format the registry knows
(:class:`qtargets.vendors.FileFormat`).

Each file in ``qtargets/data/`` is a :class:`~qtargets.Calibration` in its JSON form, with
provenance saying where the numbers came from (see ``scripts/make_bundled.py``).
"""

from __future__ import annotations

from functools import cache
from importlib import resources
from pathlib import Path

from qiskit.transpiler import Target

from . import vendors
from ._exceptions import CalibrationError, QTargetsError, UnknownBackendError
from .build import build_target
from .model import Calibration

__all__ = ["bundled_backends", "load_calibration", "load_target", "read_calibration_file"]

_DATA = "data"


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
