"""The ``qtargets`` command line: list, show, fetch, history, export, diff, map, rank, sweep.

:mod:`~qtargets.cli.commands` holds the commands (thin: arguments in, library calls, out to
the renderer), :mod:`~qtargets.cli.render` everything they print. This package is the only
part of qtargets that imports rich, typer or click.
"""

from __future__ import annotations

from . import check as check  # check (recompile advice)
from . import commands as commands  # registers the commands on the app
from . import days as days  # drift, window
from ._app import app, main

__all__ = ["app", "main"]
