"""The suite-wide credential canary (tests/conftest.py) really fails a leaking test.

Each case runs a tiny test suite under the same conftest with pytester and checks that the
leak is reported, where it happened, and that a clean test still passes. The canary is built
at run time ("QTCAN" + "ARY") so that no file of this suite contains it, and the inner runs
use a temporary directory of their own, removed afterwards.
"""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

CONFTEST = Path(__file__).with_name("conftest.py")
MAKE_KEY = "KEY = 'QTCAN' + 'ARY-abc123'"


@pytest.fixture
def suite(pytester: pytest.Pytester) -> Iterator[tuple[pytest.Pytester, str]]:
    replacement = f"Path({str(CONFTEST.parent)!r})"
    pytester.makeconftest(
        "from pathlib import Path\n"
        f"_source = open({str(CONFTEST)!r}).read().replace(\n"
        f"    'Path(__file__).parent', {replacement!r})\n"
        f"exec(compile(_source, {str(CONFTEST)!r}, 'exec'))\n")
    basetemp = tempfile.mkdtemp(prefix="qtargets-canary-")
    yield pytester, basetemp
    shutil.rmtree(basetemp, ignore_errors=True)


@pytest.mark.shows_canary
@pytest.mark.parametrize(("body", "where"), [
    ("import logging; logging.getLogger('qtargets.http').debug('key %s', KEY)",
     "captured log call"),
    ("print('token', KEY)", "Captured stdout call"),
    ("raise RuntimeError(KEY)", "the error report"),
])
def test_a_leak_fails_the_test_and_says_where(suite: tuple[pytest.Pytester, str], body: str,
                                              where: str) -> None:
    pytester, basetemp = suite
    pytester.makepyfile(test_leak=f"{MAKE_KEY}\n\ndef test_leaks():\n    {body}\n"
                                  f"\ndef test_clean():\n    assert True\n")
    result = pytester.runpytest("-p", "no:cacheprovider", f"--basetemp={basetemp}")
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(["*a test credential (marker QTCANARY) leaked into*"])
    assert where.lower() in result.stdout.str().lower()


@pytest.mark.shows_canary
def test_a_leak_into_a_file_fails_the_run(suite: tuple[pytest.Pytester, str]) -> None:
    pytester, basetemp = suite
    pytester.makepyfile(test_file=f"{MAKE_KEY}\n\ndef test_writes(tmp_path):\n"
                                  "    (tmp_path / 'store.sqlite3').write_text('x ' + KEY)\n")
    result = pytester.runpytest("-p", "no:cacheprovider", f"--basetemp={basetemp}")
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.stdout.fnmatch_lines(["*credential leak*", "*store.sqlite3*"])
