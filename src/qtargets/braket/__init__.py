"""AWS Braket: device documents (``GetDevice``'s ``deviceCapabilities``) of the QPUs Braket
serves (IonQ, IQM, Rigetti...), their models and conversion, the boto3 client (the ``braket``
extra), and the vendor the registry serves ``braket.*`` names with
(:mod:`qtargets.braket.source`). Reading a saved document needs no extra:
``qtargets show device.json``."""

from __future__ import annotations

from .convert import Device, from_braket, parse_device, to_calibration
from .names import arn_of, name_of_arn
from .source import vendor

__all__ = [
    "Device",
    "arn_of",
    "from_braket",
    "name_of_arn",
    "parse_device",
    "to_calibration",
    "vendor",
]
