"""Circuits from OpenQASM 2 and 3 files and QPY files, with errors that name the file (and the
line, for OpenQASM).

QPY (qiskit's binary format, :mod:`qiskit.qpy`) keeps what OpenQASM loses: a transpiled
circuit's layout (``circuit.layout``), exact gate classes and parameters. Trust matters as
with pickles of old: qiskit documents QPY as a data format (no code runs when loading), and a
damaged file is a :class:`CircuitFileError`, never a crash.
"""

from __future__ import annotations

import contextlib
import io
import os
import re
from pathlib import Path

from qiskit import qasm2, qasm3, qpy
from qiskit.circuit import QuantumCircuit

from ._exceptions import CircuitFileError, error_message
from ._optional import require

__all__ = ["load_circuit"]


_COMMENTS = re.compile(r"//[^\n]*|/\*.*?\*/", re.S)
_VERSION = re.compile(r"\s*OPENQASM\s+(\d+)(?:\.\d+)?\s*;")
_QASM2_POSITION = re.compile(r"(?:^|:)(\d+),(\d+): ")
_QASM2_FILE = re.compile(r"([^:\n]*):(\d+),(\d+): ")
_INCLUDE = re.compile(r'\binclude\s+"([^"]*)"')
_ANTLR_POSITION = re.compile(r"^L(\d+):C(\d+): ")
_QPY_MAGIC = b"QISKIT"
"""The first bytes of every QPY file (the format's header)."""
_ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")
_MAX_REASON = 300


def load_circuit(path: str | os.PathLike[str]) -> QuantumCircuit:
    """The circuit in an OpenQASM 2 or 3 file, told apart by its ``OPENQASM`` line, or in a
    QPY file (suffix ``.qpy``, or a file starting with QPY's ``QISKIT`` header) holding one
    circuit.

    OpenQASM 2 is read as qiskit's legacy importer did (``qelib1.inc`` gates such as ``u3`` and
    ``cu1`` as qiskit's own, includes looked up next to the file); OpenQASM 3 needs
    ``qiskit-qasm3-import``. Raises :class:`CircuitFileError` naming the file, and the line
    when the parser gives one.
    """
    file = Path(path)
    try:
        data = file.read_bytes()
    except FileNotFoundError:
        raise CircuitFileError(path, "no such circuit file") from None
    except OSError as exc:
        raise CircuitFileError(path, f"cannot read it: {exc.strerror or exc}") from exc
    if file.suffix.lower() == ".qpy" or data.startswith(_QPY_MAGIC):
        return _load_qpy(data, path)
    try:
        text = data.decode("utf-8")
    except UnicodeError as exc:
        raise CircuitFileError(path, f"cannot read it: {exc}") from exc
    found = _VERSION.match(_COMMENTS.sub("", text))
    if found is None:
        raise CircuitFileError(path, "not an OpenQASM file: it must start with 'OPENQASM 2.0;' "
                                     "or 'OPENQASM 3.0;' (or be a QPY file)")
    version = found.group(1)
    if version == "2":
        return _load_qasm2(file, text, path)
    if version == "3":
        return _load_qasm3(text, path)
    raise CircuitFileError(path, f"OpenQASM {version} is not supported (only 2 and 3)")


def _load_qpy(data: bytes, shown: str | os.PathLike[str]) -> QuantumCircuit:
    if not data.startswith(_QPY_MAGIC):
        raise CircuitFileError(shown, "not a QPY file: it does not start with QPY's 'QISKIT' "
                                      "header")
    try:
        programs = qpy.load(io.BytesIO(data))
    except Exception as exc:
        # QpyError, QiskitError (a newer QPY version), and struct/EOF/value errors of a file
        # cut short: each of them says the file is damaged
        raise CircuitFileError(shown, f"damaged QPY file: {_qpy_reason(exc)}") from exc
    if len(programs) != 1:
        raise CircuitFileError(shown, f"holds {len(programs)} circuits; give a QPY file of "
                                      f"one circuit")
    (circuit,) = programs
    if not isinstance(circuit, QuantumCircuit):
        raise CircuitFileError(shown, f"holds a {type(circuit).__name__}, not a circuit")
    return circuit


def _qpy_reason(exc: BaseException) -> str:
    """qiskit's QPY reader's message in one plain line: its Rust parser's multi-line backtrace
    (box rules, ANSI colours, source locations) reduced to what failed where."""
    lines = []
    for raw in _ANSI.sub("", error_message(exc) or type(exc).__name__).splitlines():
        line = re.sub(r"^\s*\d+:\s*", "", raw).strip()
        line = line.removeprefix("Error: ")
        if not line or line.startswith("at ") or "━" in line:
            continue
        lines.append(line.rstrip(":"))
    reason = "; ".join(lines) or type(exc).__name__
    return reason if len(reason) <= _MAX_REASON else reason[:_MAX_REASON - 3] + "..."


def _load_qasm2(file: Path, text: str, shown: str | os.PathLike[str]) -> QuantumCircuit:
    try:
        circuit: QuantumCircuit = qasm2.load(
            file,
            include_path=(file.parent, *qasm2.LEGACY_INCLUDE_PATH),
            custom_instructions=qasm2.LEGACY_CUSTOM_INSTRUCTIONS,
            custom_classical=qasm2.LEGACY_CUSTOM_CLASSICAL,
        )
    except qasm2.QASM2Error as exc:
        message = error_message(exc)
        where = _QASM2_FILE.match(message)
        if where is not None and where.group(1) != file.name:
            # the error is inside an included file: say which include, not what it holds
            # (``include "/etc/passwd";`` must not print the file)
            raise CircuitFileError(
                shown, f"the included file {where.group(1)!r} is not valid OpenQASM 2 (its "
                       f"line {where.group(2)})", line=_include_line(text, where.group(1))
            ) from None
        raise _parse_error(shown, message, _QASM2_POSITION) from exc
    return circuit


def _include_line(text: str, included: str) -> int | None:
    """The line of ``text`` that includes a file called ``included`` (its base name)."""
    for number, line in enumerate(text.splitlines(), 1):
        found = _INCLUDE.search(line)
        if found is not None and Path(found.group(1)).name == included:
            return number
    return None


def _load_qasm3(text: str, shown: str | os.PathLike[str]) -> QuantumCircuit:
    require("qiskit_qasm3_import", "reading OpenQASM 3")
    try:
        # ANTLR prints each syntax error to stderr before the parser raises it: the error
        # raised below says the same, once
        with contextlib.redirect_stderr(io.StringIO()):
            circuit: QuantumCircuit = qasm3.loads(text)
    except Exception as exc:
        # not only QASM3ImporterError: the OpenQASM 3 reference parser raises its own errors,
        # and every one of them is about the file
        line, column, reason = _antlr_position(exc)
        if line is not None:
            raise CircuitFileError(shown, reason, line=line, column=column) from exc
        raise _parse_error(shown, error_message(exc) or type(exc).__name__,
                           _QASM2_POSITION, _ANTLR_POSITION) from exc
    return circuit


def _parse_error(path: str | os.PathLike[str], message: str, *patterns: re.Pattern[str]
                 ) -> CircuitFileError:
    """``message`` without the parser's ``line,column:`` prefix, which becomes fields."""
    for pattern in patterns:
        found = pattern.search(message)
        if found is not None:
            return CircuitFileError(path, message[found.end():].strip(),
                                    line=int(found.group(1)), column=int(found.group(2)))
    return CircuitFileError(path, message)


def _antlr_position(exc: BaseException) -> tuple[int | None, int | None, str]:
    """Where the OpenQASM 3 grammar stopped: a bare ``QASM3ParsingError`` keeps it only in
    the ANTLR exception it was raised from (``offendingToken``)."""
    seen: set[int] = set()
    pending: list[BaseException] = [exc]
    while pending:
        current = pending.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        token = getattr(current, "offendingToken", None)
        if token is not None and isinstance(getattr(token, "line", None), int):
            text = getattr(token, "text", None)
            reason = f"syntax error at {text!r}" if text and text != "<EOF>" else (
                "syntax error: the program ends too early")
            return token.line, getattr(token, "column", None), reason
        pending += [a for a in current.args if isinstance(a, BaseException)]
        pending += [e for e in (current.__cause__, current.__context__) if e is not None]
    return None, None, ""
