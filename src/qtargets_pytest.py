"""pytest fixtures of the bundled calibrations: real devices for your own tests, offline.

Installing qtargets registers this plugin (entry point ``pytest11``, name ``qtargets``), so
these fixtures exist in every test suite; ``-p no:qtargets`` switches it off.

``qtargets_backend``
    A factory: ``qtargets_backend("ibm_fez")`` is a :class:`~qtargets.backends.QTargetsBackend`
    of the bundled calibration (or of a calibration JSON file, given a path). Keyword arguments
    go to :func:`qtargets.build_target` (``include_fractional_gates=False``...).
``bundled_backend``
    One backend per bundled calibration: a test using it runs once for each, with the name as
    test id (``test_x[ibm_fez]``). To pick some::

        @pytest.mark.parametrize("bundled_backend", ["ibm_fez", "qpu.aria-1"], indirect=True)
        def test_routes_everywhere(bundled_backend): ...

Never live, never the network, never the user's calibration store: the same numbers on every
machine. Each call builds a fresh backend (a few milliseconds; the parsed calibration is
cached), so a test may change its Target without touching another test's.

pytest loads this plugin in every run of anyone who installed qtargets, whatever they test.
So it is a top-level module, not ``qtargets.pytest_plugin``: importing anything inside the
``qtargets`` package runs its ``__init__``, which imports qiskit (~1.2 s). Here nothing from
qiskit or qtargets is imported until a fixture is used.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from qtargets.backends import QTargetsBackend

__all__ = ["BackendFactory", "bundled_backend", "qtargets_backend"]

BackendFactory = Callable[..., "QTargetsBackend"]
"""``(name_or_path, **build_target_flags) -> QTargetsBackend``."""

_BUNDLED = "bundled_backend"


def _make_backend(name_or_path: str | Path, **build_flags: Any) -> QTargetsBackend:
    from qtargets.backends import backend  # noqa: PLC0415  # lazily: see the module docstring
    from qtargets.bundled import load_calibration  # noqa: PLC0415

    return backend(load_calibration(name_or_path), **build_flags)


@pytest.fixture
def qtargets_backend() -> BackendFactory:
    """Factory of offline backends: ``qtargets_backend("ibm_fez")`` (a bundled name or a path)."""
    return _make_backend


@pytest.fixture
def bundled_backend(request: pytest.FixtureRequest) -> QTargetsBackend:
    """The backend of one bundled calibration; tests using it run once per bundled name."""
    name = getattr(request, "param", None)
    if not isinstance(name, str):
        raise pytest.UsageError(
            f"{_BUNDLED} is parametrized by bundled calibration names, got {name!r}"
        )
    return _make_backend(name)


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Run each test using ``bundled_backend`` once per bundled calibration, unless the test
    parametrizes it itself."""
    if _BUNDLED not in metafunc.fixturenames:
        return
    for marker in metafunc.definition.iter_markers("parametrize"):
        argnames = marker.args[0] if marker.args else marker.kwargs.get("argnames", ())
        if isinstance(argnames, str):
            argnames = [n.strip() for n in argnames.split(",")]
        if _BUNDLED in argnames:
            return
    from qtargets.bundled import bundled_backends  # noqa: PLC0415

    names = bundled_backends()
    metafunc.parametrize(_BUNDLED, names, indirect=True, ids=names)
