"""Conditional requests against the calibration store: what a source remembers of a response
(its body and validators) and how it asks the server whether that is still current.

For vendor source layers: a REST client only talks; the source decides which validators to
send, keeps the body and validators in the store, and reads the body back after a 304.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlencode

from ._exceptions import ApiError
from ._http import HttpResult, Validators
from .store import CachedResponse

__all__ = ["body_of", "cache_key", "validators_of"]


def cache_key(vendor: str, scope: str, url: str, params: Mapping[str, Any] | None) -> str:
    """The store key of a request: vendor, a hash of whose view it is, URL and sorted query.

    ``scope`` (an instance CRN, an API key) is hashed, so no credential is ever written.
    """
    query = urlencode(sorted((k, str(v)) for k, v in (params or {}).items()))
    digest = hashlib.sha256(scope.encode()).hexdigest()[:16]
    return f"{vendor} {digest} GET {url}" + (f"?{query}" if query else "")


def validators_of(cached: CachedResponse | None) -> Validators | None:
    """The validators to send for a remembered response (``None``: ask unconditionally)."""
    if cached is None:
        return None
    validators = Validators(cached.etag, cached.last_modified)
    return validators or None


def body_of(result: HttpResult, cached: CachedResponse | None) -> bytes:
    """The current body: the downloaded one, or the remembered one after a 304."""
    if not result.not_modified:
        return result.body
    if cached is None:  # we sent no validators, so a 304 is the server's mistake
        raise ApiError(f"GET {result.url} answered 304 Not Modified to an unconditional "
                       f"request", status=304, url=result.url)
    return cached.body
