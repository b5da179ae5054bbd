"""Where IBM Quantum credentials come from: arguments, environment, or the qiskit account file.

Precedence, first found wins, field by field from the same source as the key:

1. arguments (``api_key=``, ``instance=``, ``region=``);
2. environment: ``QISKIT_IBM_TOKEN`` (or ``IBM_CLOUD_API_KEY``) and ``QISKIT_IBM_INSTANCE``;
3. ``~/.qiskit/qiskit-ibm.json``, the file ``QiskitRuntimeService.save_account`` writes: the
   account named by ``account=``, else the one marked default, else
   ``default-ibm-quantum-platform``, ``default-ibm-cloud`` or ``default``.

URLs: ``api_url`` argument, else ``$QTARGETS_IBM_API_URL``, else the region's URL; the region is
the argument, else the account file's, else the CRN's location (``eu-de`` or global).
``iam_url`` likewise with ``$QTARGETS_IBM_IAM_URL``, default ``https://iam.cloud.ibm.com``.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from .._exceptions import AuthenticationError, QTargetsError

__all__ = [
    "API_URLS",
    "DEFAULT_IAM_URL",
    "IBMAccount",
    "Region",
    "default_account_file",
    "resolve_account",
]

Region = Literal["global", "eu-de"]
API_URLS: dict[str, str] = {
    "global": "https://quantum.cloud.ibm.com/api",
    "eu-de": "https://eu-de.quantum.cloud.ibm.com/api",
}
DEFAULT_IAM_URL = "https://iam.cloud.ibm.com"
API_URL_ENV = "QTARGETS_IBM_API_URL"
IAM_URL_ENV = "QTARGETS_IBM_IAM_URL"
KEY_ENVS = ("QISKIT_IBM_TOKEN", "IBM_CLOUD_API_KEY")
INSTANCE_ENV = "QISKIT_IBM_INSTANCE"
_DEFAULT_NAMES = ("default-ibm-quantum-platform", "default-ibm-cloud", "default")


@dataclass(frozen=True)
class IBMAccount:
    """Resolved credentials and endpoints; the key is hidden from ``repr`` and ``str``."""

    api_key: str = field(repr=False)
    instance: str
    """The service instance CRN, sent as the ``Service-CRN`` header."""
    region: Region
    api_url: str
    iam_url: str
    source: str = field(compare=False)
    """Where the key came from, for messages: 'arguments', 'environment (...)' or a file."""

    def __str__(self) -> str:
        return f"IBM account ({self.source}, instance {self.instance}, region {self.region})"


def default_account_file() -> Path:
    return Path.home() / ".qiskit" / "qiskit-ibm.json"


def _region_of(crn: str) -> Region:
    # crn:v1:bluemix:public:quantum-computing:<location>:a/<account>:<instance>::
    parts = crn.split(":")
    return "eu-de" if len(parts) > 5 and parts[5] == "eu-de" else "global"


def _check_region(region: str, source: str) -> Region:
    if region in ("global", "us-east"):
        return "global"
    if region == "eu-de":
        return "eu-de"
    raise QTargetsError(f"unknown IBM Quantum region {region!r} (from {source}); "
                        f"expected 'global' (alias 'us-east') or 'eu-de'")


def _from_file(path: Path, name: str | None) -> dict[str, Any] | None:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        if name is not None:
            raise AuthenticationError(f"no IBM account file {str(path)!r} to read account "
                                      f"{name!r} from") from None
        return None
    except OSError as exc:
        raise AuthenticationError(f"cannot read IBM account file {str(path)!r}: "
                                  f"{exc.strerror}") from None
    try:
        accounts = json.loads(text)
    except ValueError:
        raise AuthenticationError(f"IBM account file {str(path)!r} is not valid JSON") from None
    if not isinstance(accounts, dict) or not all(isinstance(a, dict)
                                                 for a in accounts.values()):
        raise AuthenticationError(f"IBM account file {str(path)!r} must map account names "
                                  f"to objects")
    if name is not None:
        if name not in accounts:
            raise AuthenticationError(f"IBM account file {str(path)!r} has no account "
                                      f"{name!r} (it has: {', '.join(sorted(accounts))})")
        chosen: dict[str, Any] = accounts[name]
        return chosen
    for account in accounts.values():
        if account.get("is_default_account"):
            return dict(account)
    for default in _DEFAULT_NAMES:
        if default in accounts:
            return dict(accounts[default])
    return None


def resolve_account(
    api_key: str | None = None,
    instance: str | None = None,
    *,
    region: str | None = None,
    api_url: str | None = None,
    iam_url: str | None = None,
    account: str | None = None,
    account_file: str | os.PathLike[str] | None = None,
) -> IBMAccount:
    """The IBM account to use, or :class:`~qtargets.AuthenticationError` saying what is missing.

    Nothing is sent anywhere: this only reads arguments, environment and the account file.
    """
    file_region: str | None = None
    if api_key is not None:
        key, crn, source = api_key, instance, "arguments"
    elif env_key := next((os.environ[e] for e in KEY_ENVS if os.environ.get(e)), None):
        env_name = next(e for e in KEY_ENVS if os.environ.get(e))
        key, crn, source = env_key, instance or os.environ.get(INSTANCE_ENV), (
            f"environment ({env_name})")
    else:
        path = Path(account_file) if account_file is not None else default_account_file()
        saved = _from_file(path.expanduser(), account)
        if saved is None or not saved.get("token"):
            raise AuthenticationError(
                "no IBM Quantum credentials: pass api_key=... and instance=..., set "
                "QISKIT_IBM_TOKEN (or IBM_CLOUD_API_KEY) and QISKIT_IBM_INSTANCE, or save an "
                f"account with qiskit-ibm-runtime ({str(path)!r})")
        key, crn = str(saved["token"]), instance or saved.get("instance")
        file_region = saved.get("region") if isinstance(saved.get("region"), str) else None
        source = f"account file {str(path)!r}"
    if not key.strip():
        raise AuthenticationError(f"the IBM Cloud API key from {source} is empty")
    if not crn or not isinstance(crn, str):
        raise AuthenticationError(
            f"no IBM Quantum instance for the key from {source}: pass instance=... or set "
            f"{INSTANCE_ENV} to the service instance CRN (crn:v1:bluemix:public:"
            f"quantum-computing:...)")
    if not crn.startswith("crn:"):
        raise AuthenticationError(
            f"IBM Quantum instance {crn!r} (from {source}) is not a CRN; the REST API needs "
            f"the service instance CRN, shown on the instance's page in IBM Cloud")
    if region is not None:
        chosen = _check_region(region, "the region argument")
    elif file_region is not None:
        chosen = _check_region(file_region, source)
    else:
        chosen = _region_of(crn)
    return IBMAccount(
        api_key=key,
        instance=crn,
        region=chosen,
        api_url=api_url or os.environ.get(API_URL_ENV) or API_URLS[chosen],
        iam_url=iam_url or os.environ.get(IAM_URL_ENV) or DEFAULT_IAM_URL,
        source=source,
    )
