"""The documentation site builds with MkDocs in strict mode: no broken link, no bad docstring.

Skipped where MkDocs is not installed (it comes with the ``docs`` extra).
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def test_docs_site_builds_without_a_warning(tmp_path: Path) -> None:
    pytest.importorskip("mkdocs")
    pytest.importorskip("mkdocstrings_handlers.python")
    done = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--config-file",
         str(ROOT / "mkdocs.yml"), "--site-dir", str(tmp_path / "site")],
        cwd=ROOT, capture_output=True, text=True, timeout=600, check=False,
    )
    # mkdocs logs to stderr; strict mode turns every warning into a failed build
    assert done.returncode == 0, done.stderr
    assert "WARNING" not in done.stderr, done.stderr
    site = tmp_path / "site"
    assert (site / "index.html").is_file()
    api = (site / "api" / "scoring" / "index.html").read_text(encoding="utf-8")
    assert 'id="qtargets.scoring.score"' in api  # the API pages come from the docstrings
