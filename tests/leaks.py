"""Everything an exception lets a user (or a crash reporter) see, for the canary scans.

A raised error is seen through its message and repr, its traceback formatted with every
frame's local variables (pytest ``--showlocals``, Sentry, IPython's verbose mode), and every
object reachable from it or the exceptions chained to it (``__cause__``, ``__context__``, a
kept ``request``...). :func:`leaks` walks all of that for the canary marker.
"""

from __future__ import annotations

import traceback
import types
from collections.abc import Callable, Iterator
from typing import Any

from apiserver import CANARY

# objects a walk does not enter: code, not data (frames are seen through their locals' reprs)
_OPAQUE = (types.ModuleType, type, types.FunctionType, types.BuiltinFunctionType,
           types.MethodType, types.CodeType, types.FrameType, types.TracebackType)
_MAX_OBJECTS = 20_000


def chain(exc: BaseException) -> Iterator[BaseException]:
    """``exc`` and every exception chained to it, each once."""
    seen: set[int] = set()
    todo = [exc]
    while todo:
        current = todo.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        yield current
        todo.extend(e for e in (current.__cause__, current.__context__) if e is not None)
        grouped = getattr(current, "exceptions", None)  # an exception group (3.11+)
        if isinstance(grouped, tuple):
            todo.extend(e for e in grouped if isinstance(e, BaseException))


def _children(obj: Any) -> Iterator[Any]:
    if isinstance(obj, dict):
        yield from obj.keys()
        yield from obj.values()
    elif isinstance(obj, (list, tuple, set, frozenset)):
        yield from obj
    if isinstance(obj, BaseException):
        yield from obj.args
        yield obj.__cause__
        yield obj.__context__
    attributes = getattr(obj, "__dict__", None)
    if isinstance(attributes, dict):
        yield attributes
    for cls in type(obj).__mro__:
        for slot in getattr(cls, "__slots__", ()):
            if isinstance(slot, str) and hasattr(obj, slot):
                yield getattr(obj, slot)


def reachable(exc: BaseException) -> Iterator[str]:
    """Where the canary is reachable from ``exc`` as data (attributes, args, chained errors)."""
    seen: set[int] = set()
    todo: list[tuple[Any, str]] = [(exc, type(exc).__name__)]
    while todo and len(seen) < _MAX_OBJECTS:
        obj, path = todo.pop()
        if obj is None or id(obj) in seen or isinstance(obj, _OPAQUE):
            continue
        seen.add(id(obj))
        if isinstance(obj, (str, bytes, bytearray)):
            marker = CANARY if isinstance(obj, str) else CANARY.encode()
            if marker in obj:
                yield path
            continue
        for index, child in enumerate(_children(obj)):
            todo.append((child, f"{path}/{type(child).__name__}#{index}"))


def leaks(exc: BaseException) -> list[str]:
    """Every way ``exc`` shows the canary: empty when it shows none."""
    found = []
    for error in chain(exc):
        for what, text in (("str", str(error)), ("repr", repr(error))):
            if CANARY in text:
                found.append(f"{type(error).__name__} {what}")
    shown = "".join(traceback.TracebackException.from_exception(
        exc, capture_locals=True).format())
    for line in shown.splitlines():
        if CANARY in line:
            # name the local, never show its value
            found.append("traceback local " + line.split("=", 1)[0].strip())
    found.extend(f"reachable {path}" for path in reachable(exc))
    return found


def raised(call: Callable[[], object]) -> BaseException:
    """The exception ``call()`` raises, caught in a frame that holds no secret."""
    try:
        call()
    except BaseException as exc:  # everything: the scan decides what is wrong
        return exc
    raise AssertionError("expected an exception")
