"""Keys and tokens, held so that nothing that shows a value shows them.

A traceback that shows local variables (pytest ``--showlocals``, Sentry, IPython's verbose
mode) prints the ``repr`` of every local of every frame it passes through, so a key must not
sit in a frame as a plain ``str``. :class:`Secret` is a ``str`` (it goes into headers and forms
unchanged) whose ``repr`` is ``'***'``; :class:`Secrets` and :class:`HiddenForm` are the
tuple and the dict that hold them. :func:`hide` is the first thing a function taking a key
does, and the raw name is deleted.

Keys are checked when they are read (:func:`checked_key`): an empty, blank or very short
value is not a key, and masking such a value would mangle every message it occurs in.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from ._exceptions import AuthenticationError

__all__ = ["MIN_KEY_LENGTH", "HiddenForm", "Secret", "Secrets", "checked_key", "hide"]

MIN_KEY_LENGTH = 16
"""Shorter than any key IBM Cloud (44 characters) or IonQ (32) issues."""
_MASK = "***"
# a secret is masked with the whole token around it: no prefix or suffix of a key is left
_TOKEN_AROUND = r"[^\s\"'<>,;()\[\]{{}}]*{}[^\s\"'<>,;()\[\]{{}}]*"


class Secret(str):
    """A key or token: a ``str`` in every way but its ``repr``."""

    __slots__ = ()

    def __repr__(self) -> str:
        return repr(_MASK)


def hide(value: str | None) -> Secret | None:
    """``value`` as a :class:`Secret` (``None`` stays ``None``)."""
    return None if value is None else Secret(value)


class Secrets(tuple[str, ...]):
    """The strings to mask from what a client reports: a tuple that never shows them."""

    def __new__(cls, values: Iterable[str] = ()) -> Secrets:
        return super().__new__(cls, tuple(Secret(v) for v in values if v))

    def __repr__(self) -> str:
        return f"<{len(self)} secret(s)>"

    def __add__(self, other: tuple[str, ...]) -> Secrets:  # type: ignore[override]
        return Secrets((*self, *other))

    def redact(self, text: str) -> str:
        """``text`` with every token that contains a secret replaced by ``***``."""
        if not self:
            return text
        pattern = "|".join(re.escape(s) for s in sorted(self, key=len, reverse=True))
        return re.sub(_TOKEN_AROUND.format(f"(?:{pattern})"), _MASK, text)


class HiddenForm(dict[str, str]):
    """A form body (e.g. an IAM key exchange) whose ``repr`` shows field names only."""

    def __repr__(self) -> str:
        return "{" + ", ".join(f"{name!r}: {_MASK!r}" for name in self) + "}"


def checked_key(key: Secret | None, setting: str, vendor: str) -> Secret:
    """``key`` without surrounding blanks, or an :class:`~qtargets.AuthenticationError`
    naming ``setting`` (where it came from) when it is missing or cannot be a key."""
    if key is None or not key.strip():
        what = "not set" if key is None else "empty" if not key else "blank"
        raise AuthenticationError(f"the {vendor} API key ({setting}) is {what}")
    stripped = Secret(key.strip())
    odd = next((i for i, c in enumerate(stripped) if not "!" <= c <= "~"), None)
    if odd is not None:
        # it could not go into a header (and httpx's error would log the header)
        raise AuthenticationError(
            f"the {vendor} API key ({setting}) has a space or a character that is not "
            f"printable ASCII at position {odd + 1}; copy the key again")
    if len(stripped) < MIN_KEY_LENGTH:
        raise AuthenticationError(
            f"the {vendor} API key ({setting}) is {len(stripped)} characters long, which is "
            f"not an API key (they have at least {MIN_KEY_LENGTH}); copy the whole key")
    return stripped
