"""Optional dependencies: one table of which extra installs what, one way to ask for them.

qtargets' core needs none of these; a feature that does calls :func:`require`, which imports
the module or raises :class:`~qtargets.MissingDependencyError` naming the feature, the
package and the ``pip install 'qtargets[extra]'`` that brings it (the extras are declared in
``pyproject.toml``).
"""

from __future__ import annotations

import importlib
from types import ModuleType

from ._exceptions import MissingDependencyError

__all__ = ["EXTRAS", "require"]

EXTRAS: dict[str, tuple[str, str]] = {
    "matplotlib": ("matplotlib", "plot"),
    "pandas": ("pandas", "sweep"),
    "dask.distributed": ("dask[distributed]", "dask"),
    "qiskit_aer": ("qiskit-aer", "aer"),
    "qiskit_qasm3_import": ("qiskit-qasm3-import", "qasm3"),
    "pytket": ("pytket", "tket"),
}
"""Importable module -> (the package pip installs, the qtargets extra that depends on it)."""


def require(module: str, purpose: str) -> ModuleType:
    """``module``, imported; or :class:`~qtargets.MissingDependencyError` saying that
    ``purpose`` (``"drawing error maps"``) needs it and how to install it."""
    package, extra = EXTRAS[module]
    try:
        return importlib.import_module(module)
    except ImportError:
        raise MissingDependencyError(
            f"{purpose} needs {package}: pip install 'qtargets[{extra}]'") from None
