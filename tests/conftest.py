"""Suite-wide rules: no test sees the developer's credentials or store, and no secret leaks.

Every API key and token the loopback server (tests/apiserver.py) issues contains the marker
``apiserver.CANARY``. Any test whose captured stdout/stderr, error report, or any qtargets /
httpx log record (at every level, DEBUG included) contains it fails, and the session fails if
a file under pytest's temporary directories (stores, caches, exports) contains it.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Generator, Iterator
from pathlib import Path
from typing import Any

import pytest

# tests import their shared helpers (reference.py, apiserver.py) by module name
sys.path.insert(0, str(Path(__file__).parent))

from apiserver import CANARY, FakeVendorServer
from qtargets.ibm.auth import clear_token_cache

CREDENTIAL_ENV = (
    "QISKIT_IBM_TOKEN", "IBM_CLOUD_API_KEY", "QISKIT_IBM_INSTANCE", "QISKIT_IBM_URL",
    "IONQ_API_KEY", "QTARGETS_IBM_API_URL", "QTARGETS_IBM_IAM_URL", "QTARGETS_IONQ_API_URL",
    "IQM_TOKEN", "IQM_SERVER_URL",
    "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE",
    "AWS_DEFAULT_PROFILE", "AWS_SHARED_CREDENTIALS_FILE", "AWS_CONFIG_FILE",
    "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "AWS_CONTAINER_CREDENTIALS_FULL_URI",
    "AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_BRAKET",
    "QTARGETS_BRAKET_ENDPOINT_URL", "QTARGETS_BRAKET_REGIONS",
)
WATCHED_LOGGERS = ("qtargets", "httpx", "httpcore")


@pytest.fixture
def online(server: FakeVendorServer, monkeypatch: pytest.MonkeyPatch) -> FakeVendorServer:
    """Credentials for both vendors in the environment, pointing at the loopback server, with
    no fault left queued by an earlier test. ``server`` is the requesting module's own
    loopback server fixture."""
    server.clear_faults()
    for name, value in server.client_environment().items():
        monkeypatch.setenv(name, value)
    return server


@pytest.fixture
def shown_warnings(monkeypatch: pytest.MonkeyPatch) -> None:
    """Warnings shown, as on a user's command line, instead of raised as errors (this
    suite's setting): for commands, whose warnings are part of their output."""
    monkeypatch.setattr("warnings.filters", [("default", None, Warning, None, 0)])


@pytest.fixture(autouse=True)
def _isolated_environment(monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory
                          ) -> Iterator[None]:
    """No real credentials, account file or calibration store reach a test."""
    for name in CREDENTIAL_ENV:
        monkeypatch.delenv(name, raising=False)
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("QTARGETS_STORE", str(home / "store.sqlite3"))
    clear_token_cache()
    yield
    clear_token_cache()


class _CanaryLogWatch(logging.Handler):
    """Formats every record of the watched loggers and remembers those holding the canary."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.leaks: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        try:
            text = self.format(record)
        except Exception:  # a record that can't be formatted can't leak either
            return
        if CANARY in text:
            self.leaks.append(f"{record.name}: {record.levelname}")


_WATCH = _CanaryLogWatch()


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "shows_canary: the test prints the canary on purpose "
                                       "(it tests the leak watch itself)")
    for name in WATCHED_LOGGERS:
        logger = logging.getLogger(name)
        logger.addHandler(_WATCH)
        logger.setLevel(logging.DEBUG)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]
                              ) -> Generator[None, Any, None]:
    leaks_before = len(_WATCH.leaks)
    outcome = yield
    if item.get_closest_marker("shows_canary") is not None:
        del _WATCH.leaks[leaks_before:]
    report: pytest.TestReport = outcome.get_result()
    if item.get_closest_marker("shows_canary") is not None:  # tests of this very watch
        return
    # each phase's report repeats the earlier phases' output: look at this phase's only
    where = [title for title, content in report.sections
             if title.endswith(report.when) and CANARY in content]
    if CANARY in report.longreprtext:
        where.append("the error report")
    where += [f"a log record ({leak})" for leak in _WATCH.leaks[leaks_before:]]
    del _WATCH.leaks[leaks_before:]
    if where:
        report.outcome = "failed"
        report.longrepr = (f"a test credential (marker {CANARY}) leaked into: "
                           f"{', '.join(where)}")


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    factory = getattr(session.config, "_tmp_path_factory", None)
    if factory is None:
        return
    try:
        base = factory.getbasetemp()
    except Exception:
        return
    marker = CANARY.encode()
    leaked = []
    for path in base.rglob("*"):
        if path.is_file() and not path.is_symlink():
            try:
                if marker in path.read_bytes():
                    leaked.append(str(path.relative_to(base)))
            except OSError:
                continue
    if leaked:
        session.config.stash[_LEAKED_FILES] = leaked
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


_LEAKED_FILES = pytest.StashKey[list[str]]()


def pytest_terminal_summary(terminalreporter: Any, exitstatus: int, config: pytest.Config
                            ) -> None:
    leaked = config.stash.get(_LEAKED_FILES, [])
    if leaked:
        terminalreporter.section("credential leak", red=True)
        terminalreporter.line(f"files under the pytest temp directory contain {CANARY}: "
                              f"{', '.join(leaked[:20])}")
