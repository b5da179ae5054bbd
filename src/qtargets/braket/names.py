"""Backend names of Braket devices: one name per device ARN, and back.

A Braket QPU is named by its ARN, ``arn:aws:braket:us-east-1::device/qpu/ionq/Forte-1``,
which holds ``:`` and ``/`` (a path, to the resolver and to file systems). qtargets names it
``braket.us-east-1.ionq.Forte-1``: the ``braket.`` prefix no other vendor uses (IonQ's are
``qpu.*``, IBM's ``ibm_*``), then the region, provider and device of the ARN, unchanged
(ARNs are case-sensitive). The name is a safe file name, and it holds everything the ARN
does, so each maps to the other::

    >>> name_of_arn("arn:aws:braket:us-east-1::device/qpu/ionq/Forte-1")
    'braket.us-east-1.ionq.Forte-1'
    >>> arn_of("braket.eu-north-1.iqm.Garnet")
    'arn:aws:braket:eu-north-1::device/qpu/iqm/Garnet'
"""

from __future__ import annotations

import re

from .._exceptions import UnknownBackendError

__all__ = ["PREFIX", "arn_of", "is_name", "name_of_arn", "region_of"]

PREFIX = "braket."

_REGION = r"[a-z]{2}(?:-[a-z]+)+-\d+"
_PART = r"[A-Za-z0-9_-]+"
_NAME = re.compile(rf"braket\.(?P<region>{_REGION})\.(?P<provider>{_PART})\.(?P<device>{_PART})")
_ARN = re.compile(rf"arn:aws:braket:(?P<region>{_REGION}):\d*:device/qpu/(?P<provider>{_PART})/"
                  rf"(?P<device>{_PART})")


def is_name(name: str) -> bool:
    """Whether ``name`` is a Braket backend name (``braket.REGION.PROVIDER.DEVICE``)."""
    return _NAME.fullmatch(name) is not None


def name_of_arn(arn: str) -> str:
    """The backend name of a QPU's ARN; :class:`~qtargets.UnknownBackendError` for an ARN
    that is not a Braket QPU's (a simulator, another service)."""
    found = _ARN.fullmatch(arn.strip())
    if found is None:
        raise UnknownBackendError(
            f"{arn!r} is not the ARN of an AWS Braket QPU "
            "(arn:aws:braket:REGION::device/qpu/PROVIDER/DEVICE)")
    return f"{PREFIX}{found['region']}.{found['provider']}.{found['device']}"


def arn_of(name: str) -> str:
    """The ARN of Braket backend ``name``; :class:`~qtargets.UnknownBackendError` if it is
    not one."""
    found = _NAME.fullmatch(name)
    if found is None:
        raise UnknownBackendError(
            f"{name!r} is not an AWS Braket backend name (braket.REGION.PROVIDER.DEVICE, "
            "e.g. braket.us-east-1.ionq.Forte-1)")
    return f"arn:aws:braket:{found['region']}::device/qpu/{found['provider']}/{found['device']}"


def region_of(name: str) -> str:
    """The AWS region of Braket backend ``name`` (whose endpoint serves it)."""
    return arn_of(name).split(":")[3]
