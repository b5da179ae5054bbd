"""Where IBM Quantum credentials come from: arguments, environment, or the qiskit account file.

Precedence, first found wins, field by field from the same source as the key:

1. arguments (``api_key=``, ``instance=``, ``region=``);
2. environment: ``QISKIT_IBM_TOKEN`` (or ``IBM_CLOUD_API_KEY``) and ``QISKIT_IBM_INSTANCE``;
3. ``~/.qiskit/qiskit-ibm.json``, the file ``QiskitRuntimeService.save_account`` writes: the
   account named by ``account=``, else the one marked default, else
   ``default-ibm-quantum-platform``, ``default-ibm-cloud`` or ``default``.

URLs: ``api_url`` argument, else ``$QTARGETS_IBM_API_URL``, else the region's URL; the region is
the argument, else the account file's, else the CRN's location (``eu-de`` or global).
``iam_url`` likewise with ``$QTARGETS_IBM_IAM_URL``, default ``https://iam.cloud.ibm.com``
(with or without the token path ``/identity/token``, as IBM's SDKs take it). A URL that
cannot work is a :class:`~qtargets.ConfigurationError` naming the setting it came from.

The key is checked where it is read (an empty, blank or short value is not a key) and held
as a :class:`~qtargets._secret.Secret`, so no traceback shows it.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from .._exceptions import AuthenticationError, ConfigurationError
from .._http import base_url_setting
from .._secret import Secret, checked_key, hide
from .auth import TOKEN_PATH

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
_RETIRED_CHANNELS = ("ibm_quantum",)


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
    raise ConfigurationError(f"unknown IBM Quantum region {region!r} (from {source}); "
                             f"expected 'global' (alias 'us-east') or 'eu-de'", setting=source)


def _from_file(path: Path, name: str | None) -> tuple[str, dict[str, Any]] | None:
    """The account ``name`` (else the default one) of the account file, and its name."""
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
    except ValueError as exc:
        where = (f" (line {exc.lineno}, column {exc.colno})"
                 if isinstance(exc, json.JSONDecodeError) else "")
        raise AuthenticationError(
            f"IBM account file {str(path)!r} is not valid JSON{where}: truncated or edited by "
            f"hand? Fix it, or save the account again with qiskit-ibm-runtime's "
            f"QiskitRuntimeService.save_account(..., overwrite=True)") from None
    del text  # it holds the keys: no frame keeps it across a raise
    if not isinstance(accounts, dict) or not all(isinstance(a, dict)
                                                 for a in accounts.values()):
        raise AuthenticationError(f"IBM account file {str(path)!r} must map account names "
                                  f"to objects")
    if name is not None:
        if name not in accounts:
            raise AuthenticationError(f"IBM account file {str(path)!r} has no account "
                                      f"{name!r} (it has: {', '.join(sorted(accounts))})")
        return name, _hidden(accounts[name])
    for saved_name, saved in accounts.items():
        if saved.get("is_default_account"):
            return saved_name, _hidden(saved)
    for default in _DEFAULT_NAMES:
        if default in accounts:
            return default, _hidden(accounts[default])
    return None


def _hidden(saved: dict[str, Any]) -> dict[str, Any]:
    """An account of the file, its token masked in every repr."""
    token = saved.get("token")
    return {**saved, "token": Secret(token)} if isinstance(token, str) else dict(saved)


def _credentials(given: Secret | None, instance: str | None, account: str | None,
                 account_file: str | os.PathLike[str] | None
                 ) -> tuple[Secret, str | None, str | None, str]:
    """The key (checked), the instance, the account file's region and where they came from."""
    if given is not None:
        return checked_key(given, "api_key=", "IBM Cloud"), instance, None, "arguments"
    env = next((e for e in KEY_ENVS if os.environ.get(e, "").strip()), None)
    if env is not None:
        key = checked_key(hide(os.environ[env]), env, "IBM Cloud")
        return key, instance or os.environ.get(INSTANCE_ENV), None, f"environment ({env})"
    path = (Path(account_file) if account_file is not None else default_account_file())
    found = _from_file(path.expanduser(), account)
    if found is None or not found[1].get("token"):
        raise AuthenticationError(
            "no IBM Quantum credentials: pass api_key=... and instance=..., set "
            "QISKIT_IBM_TOKEN (or IBM_CLOUD_API_KEY) and QISKIT_IBM_INSTANCE, or save an "
            f"account with qiskit-ibm-runtime ({str(path)!r})")
    name, saved = found
    source = f"account {name!r} of the account file {str(path)!r}"
    channel = saved.get("channel")
    if channel in _RETIRED_CHANNELS:
        raise AuthenticationError(
            f"the {source} is for channel {channel!r}, IBM Quantum Platform Classic, which "
            f"IBM retired in 2025 (its tokens do not work with IBM Cloud); save an IBM Cloud "
            f"account: QiskitRuntimeService.save_account(channel='ibm_quantum_platform', "
            f"token=<IBM Cloud API key>, instance=<CRN>), or set QISKIT_IBM_TOKEN and "
            f"{INSTANCE_ENV}")
    key = checked_key(hide(str(saved["token"])), f"'token' of the {source}", "IBM Cloud")
    region = saved.get("region")
    crn = instance or saved.get("instance")
    return key, crn if isinstance(crn, str) else None, (
        region if isinstance(region, str) else None), source


def _iam_url(iam_url: str | None) -> str:
    """The IAM base URL: with or without ``/identity/token``, as IBM's own SDKs accept it."""
    url, _ = base_url_setting(iam_url, "iam_url=", IAM_URL_ENV, DEFAULT_IAM_URL)
    return url.removesuffix(f"/{TOKEN_PATH}")


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
    """The IBM account to use, or :class:`~qtargets.AuthenticationError` saying what is missing
    (:class:`~qtargets.ConfigurationError` for a URL or region that cannot work).

    Nothing is sent anywhere: this only reads arguments, environment and the account file.
    """
    given = hide(api_key)
    del api_key  # only masked copies stay in a frame, whatever is raised below
    key, crn, file_region, source = _credentials(given, instance, account, account_file)
    if not crn:
        raise AuthenticationError(
            f"no IBM Quantum instance for the key from {source}: pass instance=... or set "
            f"{INSTANCE_ENV} to the service instance CRN (crn:v1:bluemix:public:"
            f"quantum-computing:...)")
    if not crn.startswith("crn:"):
        raise AuthenticationError(
            f"IBM Quantum instance {crn!r} (from {source}) is not a CRN; the REST API needs "
            f"the service instance CRN (crn:v1:bluemix:public:quantum-computing:...), shown "
            f"on the instance's page in IBM Cloud")
    if region is not None:
        chosen = _check_region(region, "the region argument")
    elif file_region is not None:
        chosen = _check_region(file_region, source)
    else:
        chosen = _region_of(crn)
    api, _ = base_url_setting(api_url, "api_url=", API_URL_ENV, API_URLS[chosen])
    return IBMAccount(api_key=key, instance=crn, region=chosen, api_url=api,
                      iam_url=_iam_url(iam_url), source=source)
