"""No way a failure can be looked at shows a key or a token.

Each case makes a live call fail (the loopback server drops, errors, rejects, never answers;
a setting is wrong) and scans everything the error lets anyone see: message and repr, the
traceback with every frame's local variables, and every object reachable from it and from
the exceptions chained to it (tests/leaks.py). The CLI's output for the same failures is
scanned too. Every key and token of the server holds the canary marker.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

import qtargets
from apiserver import CANARY, FakeVendorServer, Fault
from leaks import leaks, raised
from qtargets.cli import app
from qtargets.ibm.api import AsyncIBMClient, IBMClient
from qtargets.ionq.api import AsyncIonQClient, IonQClient

FAST: dict[str, Any] = {"timeout": 1.0, "deadline": 3.0, "retries": 1, "backoff_base": 0.01,
                        "backoff_max": 0.02, "retry_after_max": 0.05}
EVERY = r"."
IAM = r"/identity/token$"
IBM_API = r"/v1/backends"
IONQ_API = r"/v0\.3/"


@pytest.fixture(scope="module")
def server() -> Iterator[FakeVendorServer]:
    with FakeVendorServer() as running:
        yield running


@pytest.fixture(autouse=True)
def _clean(server: FakeVendorServer) -> Iterator[None]:
    server.clear_faults()
    yield
    server.clear_faults()


Call = Callable[[], object]


class Hidden:
    """A key held by the test itself: the scans must find the library's locals, not ours."""

    def __init__(self, value: str) -> None:
        self.value = value

    def __repr__(self) -> str:
        return "Hidden()"


def key_of(server: FakeVendorServer, vendor: str, key: Hidden | None) -> str:
    if key is not None:
        return key.value
    return server.ionq_api_key if vendor == "ionq" else server.ibm_api_key


def ionq_sync(server: FakeVendorServer, key: Hidden | None = None) -> Call:
    def call() -> object:
        with IonQClient(key_of(server, "ionq", key), server.ionq_v03_url, **FAST) as ionq:
            return ionq.current_characterization("qpu.aria-1")
    return call


def ionq_async(server: FakeVendorServer, key: Hidden | None = None) -> Call:
    async def work() -> object:
        async with AsyncIonQClient(key_of(server, "ionq", key), server.ionq_v03_url,
                                   **FAST) as ionq:
            return await ionq.current_characterization("qpu.aria-1")
    return lambda: asyncio.run(work())


def ibm_sync(server: FakeVendorServer, key: Hidden | None = None) -> Call:
    def call() -> object:
        with IBMClient(key_of(server, "ibm", key), server.service_crn, api_url=server.ibm_url,
                       iam_url=server.iam_url, **FAST) as ibm:
            return ibm.configuration("ibm_fez")
    return call


def ibm_async(server: FakeVendorServer, key: Hidden | None = None) -> Call:
    async def work() -> object:
        async with AsyncIBMClient(key_of(server, "ibm", key), server.service_crn,
                                  api_url=server.ibm_url, iam_url=server.iam_url,
                                  **FAST) as ibm:
            return await ibm.configuration("ibm_fez")
    return lambda: asyncio.run(work())


CLIENTS = {"ionq sync": (ionq_sync, IONQ_API), "ionq async": (ionq_async, IONQ_API),
           "ibm sync": (ibm_sync, IBM_API), "ibm async": (ibm_async, IBM_API),
           "iam sync": (ibm_sync, IAM), "iam async": (ibm_async, IAM)}
FAULTS = {"dropped": Fault.drop(), "server error": Fault.status(500),
          "truncated": Fault.truncate(), "malformed": Fault.malformed(),
          "never answers": Fault.latency(30)}


@pytest.mark.parametrize("fault", FAULTS)
@pytest.mark.parametrize("client", CLIENTS)
def test_a_failed_call_shows_no_secret_anywhere(server: FakeVendorServer, client: str,
                                                fault: str) -> None:
    make, path = CLIENTS[client]
    server.inject(path, FAULTS[fault], times=None)
    error = raised(make(server))
    assert isinstance(error, qtargets.QTargetsError), repr(error)
    assert leaks(error) == []


@pytest.mark.parametrize("client", ["ionq sync", "ionq async", "ibm sync", "ibm async"])
def test_a_rejected_key_shows_no_secret_anywhere(server: FakeVendorServer, client: str) -> None:
    make = CLIENTS[client][0]
    error = raised(make(server, Hidden(CANARY + "-rejected-0123456789abcdef")))
    assert isinstance(error, qtargets.AuthenticationError), repr(error)
    assert leaks(error) == []


# -- through the library's and the command line's front doors ---------------------------------

TOP_FAULTS = {"dropped": Fault.drop(), "server error": Fault.status(500),
              "malformed": Fault.malformed()}
NAMES = {"ionq": ("qpu.aria-1", IONQ_API), "ibm": ("ibm_fez", IBM_API), "iam": ("ibm_fez", IAM)}
runner = CliRunner()


@pytest.mark.parametrize("fault", TOP_FAULTS)
@pytest.mark.parametrize("where", NAMES)
def test_a_failed_live_calibration_shows_no_secret(online: FakeVendorServer, where: str,
                                                   fault: str) -> None:
    name, path = NAMES[where]
    online.inject(path, TOP_FAULTS[fault], times=None)
    error = raised(lambda: qtargets.calibration(name, live=True, timeout=5, retries=1))
    assert isinstance(error, qtargets.QTargetsError), repr(error)
    assert leaks(error) == []
    result = runner.invoke(app, ["fetch", name, "--timeout", "5"])
    assert result.exit_code == 2
    assert CANARY not in result.output
    assert len(result.output.strip().splitlines()) == 1


@pytest.mark.parametrize(("variable", "value"), [
    ("QTARGETS_IONQ_API_URL", "notaurl"),
    ("QTARGETS_IONQ_API_URL", "https://api.ionq.co"),  # no API version
    ("QTARGETS_IONQ_API_URL", "https://user:hunter2@api.ionq.co/v0.3"),
    ("QTARGETS_IBM_IAM_URL", "http://10.1.2.3/identity/token"),  # private, plain http
    ("QTARGETS_IBM_API_URL", "ftp://quantum.cloud.ibm.com/api"),
    ("QISKIT_IBM_INSTANCE", "my-instance"),  # not a CRN
])
def test_a_wrong_setting_is_named_and_shows_no_secret(online: FakeVendorServer,
                                                     monkeypatch: pytest.MonkeyPatch,
                                                     variable: str, value: str) -> None:
    monkeypatch.setenv(variable, value)
    name = "qpu.aria-1" if "IONQ" in variable else "ibm_fez"
    error = raised(lambda: qtargets.calibration(name, live=True))
    assert isinstance(error, (qtargets.ConfigurationError, qtargets.AuthenticationError))
    assert variable in str(error) or "instance" in str(error)
    assert "hunter2" not in str(error)
    assert leaks(error) == []
    result = runner.invoke(app, ["fetch", name])
    assert result.exit_code == 2
    assert CANARY not in result.output
    assert "hunter2" not in result.output
    assert result.output.startswith("error:")


def _commands(tmp: Path) -> dict[str, list[str]]:
    circuit = tmp / "bell.qasm"
    circuit.write_text('OPENQASM 2.0;\ninclude "qelib1.inc";\nqreg q[2];\nh q[0];\n'
                       "cx q[0],q[1];\n")
    (tmp / "circuits").mkdir(exist_ok=True)
    (tmp / "circuits" / "bell.qasm").write_text(circuit.read_text())
    return {
        "list": ["list"],
        "show": ["show", "ibm_fez"],
        "fetch": ["fetch", "ibm_fez", "qpu.aria-1"],
        "history": ["history", "qpu.aria-1", "--since", "2025-05-01"],
        "export": ["export", "qpu.aria-1"],
        "diff": ["diff", "ibm_fez", "ibm_torino"],
        "map": ["map", "qpu.aria-1", "--dpi", "20", "--out", str(tmp / "map.png")],
        "rank": ["rank", str(circuit), "-b", "ibm_fez,qpu.aria-1", "--level", "0"],
        "sweep": ["sweep", str(tmp / "circuits"), "-b", "qpu.aria-1", "--methods", "default",
                  "--workers", "1", "--out", str(tmp / "sweep.csv")],
    }


@pytest.mark.usefixtures("shown_warnings")
@pytest.mark.parametrize("state", ["answering", "failing"])
@pytest.mark.parametrize("command", ["list", "show", "fetch", "history", "export", "diff", "map",
                                     "rank", "sweep"])
def test_no_command_shows_a_secret(online: FakeVendorServer, tmp_path: Path, command: str,
                                   state: str) -> None:
    if state == "failing":
        online.inject(EVERY, Fault.status(500), times=None)
    result = runner.invoke(app, [*_commands(tmp_path)[command], "--timeout", "5"]
                           if command not in ("sweep", "export", "show", "diff", "map")
                           else _commands(tmp_path)[command])
    assert result.exit_code in (0, 1, 2), result.output
    assert CANARY not in result.output
    assert CANARY not in (result.stderr or "")
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        assert leaks(result.exception) == []
    for written in tmp_path.rglob("*"):
        if written.is_file():
            assert CANARY.encode() not in written.read_bytes(), written.name
