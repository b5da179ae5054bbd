"""Named compilation methods: what ranking, sweeps and their commands mean by ``"qtargets"``,
``"default"`` and the rest. The one registry of them.

Each name stands for the keyword arguments it adds to qiskit's preset pass manager (on top of
the optimization level and seed the caller chooses):

>>> from qtargets.methods import METHODS
>>> METHODS["qtargets"].options
{'layout_method': 'qtargets'}
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

__all__ = ["METHODS", "Method"]


@dataclass(frozen=True)
class Method:
    """A named way to compile: preset pass-manager options, and what they mean."""

    options: Mapping[str, Any] = field(default_factory=dict)
    """Keyword arguments for ``generate_preset_pass_manager`` (and so
    :meth:`qtargets.QTargetsBackend.pass_manager`)."""
    description: str = ""


METHODS: Mapping[str, Method] = MappingProxyType({
    "qtargets": Method({"layout_method": "qtargets"},
                       "qtargets' noise-aware layout (layout_method='qtargets')"),
    "qtargets-dd": Method({"layout_method": "qtargets-dd"},
                          "the noise-aware layout for circuits run with dynamical decoupling: "
                          "idling costs nothing (layout_method='qtargets-dd')"),
    "qtargets-routing": Method({"routing_method": "qtargets"},
                               "qiskit's default layout, qtargets' error-aware routing "
                               "(routing_method='qtargets')"),
    "qtargets-routing-dd": Method({"routing_method": "qtargets-dd"},
                                  "the error-aware routing with idling free, for dynamical "
                                  "decoupling (routing_method='qtargets-dd')"),
    "default": Method({}, "qiskit's preset pass manager as it is"),
    "sabre": Method({"layout_method": "sabre"}, "qiskit's SabreLayout, named"),
    "dense": Method({"layout_method": "dense"}, "qiskit's DenseLayout"),
    "trivial": Method({"layout_method": "trivial"}, "virtual qubit i on physical qubit i"),
})
"""Every named method. Naming any ``layout_method`` (even ``"sabre"``) switches off qiskit's
VF2PostLayout, so ``"sabre"`` is not the same as ``"default"``."""
