"""Every error qtargets raises on purpose, so callers can catch the family.

Every class is defined here and exported from the top-level package; catching a parent
catches its family. Hierarchy::

    QTargetsError
    ├── CalibrationError (also ValueError)  bad calibration data: names the JSON path and value
    ├── UnknownBackendError (also LookupError)  no device of that name anywhere we can look
    ├── BackendInputError (also TypeError)  given as a device, but none of the accepted forms
    ├── BackendRunError  a calibration's backend was asked to run a circuit
    ├── CircuitFileError (also ValueError)  a circuit file unreadable or unparsable (file, line)
    ├── ScoreError (also ValueError)  a circuit that cannot be scored on that device
    ├── RankError (also ValueError)  a ranking that cannot start (bad argument)
    ├── SweepError (also ValueError)  a sweep that cannot start (unknown method, no circuits)
    ├── DriftError (also ValueError)  calibrations across days that cannot be compared or windowed
    ├── RecompileError (also ValueError)  a recompile check that cannot start (bad argument)
    │   └── NotCompiledError  the circuit is not compiled (laid out) for that calibration
    ├── StoreError  the calibration store cannot be opened, read or written (names the file)
    ├── ArchiveError (also ValueError)  an archive that is damaged, foreign or newer (the member)
    ├── MissingDependencyError (also ImportError)  an optional package is missing: which extra
    ├── UnsupportedFormatError (also ValueError)  an image format matplotlib cannot write
    ├── ConfigurationError (also ValueError)  a setting that cannot work: names the variable
    ├── ApiError  a vendor API answered with an error (status, URL, short body excerpt)
    │   ├── AuthenticationError  missing, wrong or unauthorised credentials (401/403)
    │   ├── NotFoundError  no such backend or calibration (404)
    │   └── RateLimitError  still 429 after every retry
    └── NetworkError  no usable response: connection failed, dropped or timed out

    QTargetsWarning (UserWarning)  data we kept going on, but changed or left out
"""

from __future__ import annotations

import os
import sys
import warnings
from typing import Any

__all__ = [
    "ApiError",
    "ArchiveError",
    "AuthenticationError",
    "BackendInputError",
    "BackendRunError",
    "CalibrationError",
    "CircuitFileError",
    "ConfigurationError",
    "DriftError",
    "MissingDependencyError",
    "NetworkError",
    "NotCompiledError",
    "NotFoundError",
    "QTargetsError",
    "QTargetsWarning",
    "RankError",
    "RateLimitError",
    "RecompileError",
    "ScoreError",
    "StoreError",
    "SweepError",
    "UnknownBackendError",
    "UnsupportedFormatError",
    "error_message",
    "short_repr",
    "warn",
]

_PACKAGE_DIR = os.path.dirname(os.path.abspath(__file__)) + os.sep

_MAX_VALUE_REPR = 80


class QTargetsError(Exception):
    """Root of every error qtargets raises deliberately."""


class CalibrationError(QTargetsError, ValueError):
    """Calibration data is malformed or inconsistent.

    ``path`` is the JSON path of the offending field, e.g. ``properties.qubits[3][1].value``,
    ``value`` the offending value, ``reason`` what was expected.
    """

    def __init__(self, path: str, reason: str, value: Any = None, *, show_value: bool = True):
        self.path = path
        self.reason = reason
        self.value = value
        message = f"{path}: {reason}"
        if show_value:
            message += f", got {short_repr(value)}"
        super().__init__(message)

    def __reduce__(self) -> tuple[Any, ...]:
        return (_rebuild_calibration_error, (self.path, self.reason, self.value, self.args[0]))


def _rebuild_calibration_error(
    path: str, reason: str, value: Any, message: str
) -> CalibrationError:
    error = CalibrationError(path, reason, value)
    error.args = (message,)
    return error


class UnknownBackendError(QTargetsError, LookupError):
    """No device of that name: not bundled, not stored, and no vendor serves it (or it is not
    there)."""


class BackendInputError(QTargetsError, TypeError):
    """Something given as a device is none of the accepted forms (a name, ``NAME@TIME``, a
    calibration file, a Calibration, a Target, a backend), or options that choose among a
    name's calibrations were given with something else."""


class BackendRunError(QTargetsError):
    """A qtargets backend holds a calibration, not a device: it cannot run circuits."""


class CircuitFileError(QTargetsError, ValueError):
    """A circuit file that cannot be read or parsed; ``line`` (1-based) when the parser says.

    ``path`` is the file as given, ``reason`` the parser's own words.
    """

    def __init__(self, path: str | os.PathLike[str], reason: str, *,
                 line: int | None = None, column: int | None = None):
        self.path = str(path)
        self.reason = reason
        self.line = line
        self.column = column
        where = f"{self.path}, line {line}" if line is not None else self.path
        super().__init__(f"{where}: {reason}")

    def __reduce__(self) -> tuple[Any, ...]:
        # pickling (multiprocessing, pytest-xdist) calls __init__ with args: keep the fields
        return (_rebuild_file_error, (self.path, self.reason, self.line, self.column))


def _rebuild_file_error(path: str, reason: str, line: int | None, column: int | None
                        ) -> CircuitFileError:
    return CircuitFileError(path, reason, line=line, column=column)


class ScoreError(QTargetsError, ValueError):
    """The circuit cannot be scored on this target (an operation or qubits it lacks...)."""


class RankError(QTargetsError, ValueError):
    """A ranking cannot start: a bad argument, or a circuit no device could be scored on."""


class SweepError(QTargetsError, ValueError):
    """A sweep was asked for something it cannot run (an unknown method, no circuits...)."""


class RecompileError(QTargetsError, ValueError):
    """A recompile check (:func:`qtargets.recompile.check`) cannot start: a bad argument
    (threshold, method, level), or a circuit that is not compiled for the calibration named."""


class NotCompiledError(RecompileError):
    """The circuit is not compiled for the calibration it is said to be compiled for: not laid
    out on its physical qubits (a virtual circuit), or using operations or qubit pairs that
    calibration lacks."""


class DriftError(QTargetsError, ValueError):
    """Calibrations across days that cannot be compared or windowed (:mod:`qtargets.drift`):
    fewer than two, of different devices, one without a time, two at the same time, or a
    window that ends before it starts."""


class StoreError(QTargetsError):
    """The calibration store file can't be opened, read or written (corrupt, unreadable,
    locked for too long, or written by a newer qtargets). The message names the file."""


class ArchiveError(QTargetsError, ValueError):
    """A calibration archive that cannot be imported (damaged, not a qtargets archive, or
    written by a newer qtargets) or written. ``path`` is the archive file, ``member`` the
    member at fault (``""``: the file as a whole); the message names both."""

    def __init__(self, message: str, *, path: str = "", member: str = ""):
        super().__init__(message)
        self.path = path
        self.member = member

    def __reduce__(self) -> tuple[Any, ...]:
        return (_rebuild_archive_error, (self.args[0], self.path, self.member))


def _rebuild_archive_error(message: str, path: str, member: str) -> ArchiveError:
    return ArchiveError(message, path=path, member=member)


class MissingDependencyError(QTargetsError, ImportError):
    """An optional dependency is not installed; the message says which extra to install."""


class UnsupportedFormatError(QTargetsError, ValueError):
    """matplotlib cannot write an image with that suffix; the message lists those it can."""


class ConfigurationError(QTargetsError, ValueError):
    """A setting (an environment variable, an argument, an account file's field) that cannot
    work, e.g. a base URL that is not one. ``setting`` names it; the message says what is
    wrong and how to fix it, and never shows user info or keys."""

    def __init__(self, message: str, *, setting: str = ""):
        super().__init__(message)
        self.setting = setting


class ApiError(QTargetsError):
    """The API answered, but not with what was asked for.

    ``status`` is the HTTP status, ``url`` the request URL without query or user info,
    ``body`` at most 200 characters of the response body.
    """

    def __init__(self, message: str, *, status: int | None = None, url: str = "",
                 body: str = ""):
        super().__init__(message)
        self.status = status
        self.url = url
        self.body = body


class AuthenticationError(ApiError):
    """The API key is missing, wrong, or not allowed to do this (401/403)."""


class NotFoundError(ApiError):
    """No such backend, characterization or resource (404)."""


class RateLimitError(ApiError):
    """Still rate limited (429) after every retry; ``retry_after`` is the server's wish, s."""

    def __init__(self, message: str, *, status: int | None = None, url: str = "",
                 body: str = "", retry_after: float | None = None):
        super().__init__(message, status=status, url=url, body=body)
        self.retry_after = retry_after


class NetworkError(QTargetsError):
    """No usable response: the connection failed, was dropped, or timed out (after retries)."""

    def __init__(self, message: str, *, url: str = ""):
        super().__init__(message)
        self.url = url


class QTargetsWarning(UserWarning):
    """Input was usable but something in it was changed, ignored or left out."""


def error_message(exc: BaseException) -> str:
    """An exception's message for a sentence: QiskitError's ``str()`` is the repr of its
    message, quotes included, so its ``message`` attribute is used where there is one."""
    message = getattr(exc, "message", None)
    return message if isinstance(message, str) else str(exc)


def short_repr(value: Any) -> str:
    """``repr`` cut to a readable length, so a huge payload never floods a message."""
    text = repr(value)
    if len(text) > _MAX_VALUE_REPR:
        text = text[: _MAX_VALUE_REPR - 3] + "..."
    return text


def warn(message: str) -> None:
    """Emit a QTargetsWarning attributed to the first caller outside qtargets.

    A fixed ``stacklevel`` would point at qtargets internals whenever the call depth differs
    (``from_ibm`` vs ``to_calibration``); users need the line of *their* code.
    """
    level = 2  # stacklevel 2 is the frame that called warn()
    frame = sys._getframe(1)
    while frame is not None and frame.f_code.co_filename.startswith(_PACKAGE_DIR):
        frame = frame.f_back  # type: ignore[assignment]
        level += 1
    warnings.warn(message, QTargetsWarning, stacklevel=level)
