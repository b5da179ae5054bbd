"""Nothing hangs: every live call ends by its deadline, however the server misbehaves.

A loopback server that never answers, that trickles its body a few bytes at a time, or that
resets every connection stands in for both vendors. ``fetch``, ``rank``, ``list``,
``target()`` and ``calibrations()`` each return (with the stored or bundled calibration and a
warning, where that is allowed) or fail, within the deadline plus a small margin.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

import qtargets
from apiserver import FakeVendorServer, Fault
from qtargets import NetworkError, QTargetsWarning
from qtargets._http import HttpConfig
from qtargets.cli import app
from qtargets.ionq.api import IonQClient

DEADLINE = 1.5
MARGIN = 1.5
"""Seconds a call may overrun its deadline: cancelling, closing sockets, warning."""

FAULTS: dict[str, Callable[[], Fault]] = {
    "never answers": lambda: Fault.latency(60.0),
    "trickles": lambda: Fault.slow_body(0.5, chunk_size=16),
    "resets": Fault.drop,
}
EVERYTHING = r"/(ibm/api|ionq|iam)/"

runner = CliRunner()


@pytest.fixture(scope="module")
def server() -> Iterator[FakeVendorServer]:
    with FakeVendorServer(ibm_backends=("fez",), ionq_history=2) as running:
        yield running


@pytest.fixture(params=list(FAULTS))
def broken(request: pytest.FixtureRequest, online: FakeVendorServer) -> Iterator[str]:
    """Credentials for the loopback server, which now fails every request one way."""
    online.inject(EVERYTHING, FAULTS[request.param](), times=None)
    yield str(request.param)
    online.clear_faults()


def timed(work: Callable[[], Any]) -> tuple[Any, float]:
    started = time.monotonic()
    result = work()
    return result, time.monotonic() - started


# -- the one-call API ------------------------------------------------------------------------


def test_target_falls_back_to_the_bundled_calibration_by_its_deadline(broken: str) -> None:
    with pytest.warns(QTargetsWarning, match="unreachable.*using the bundled calibration"):
        target, seconds = timed(lambda: qtargets.target("qpu.aria-1", timeout=DEADLINE))
    assert target.num_qubits == 25
    assert seconds < DEADLINE + MARGIN


def test_calibrations_of_several_vendors_share_one_deadline(broken: str) -> None:
    with pytest.warns(QTargetsWarning):
        found, seconds = timed(lambda: qtargets.calibrations(
            ["qpu.aria-1", "ibm_fez", "qpu.forte-1"], timeout=DEADLINE))
    assert set(found) == {"qpu.aria-1", "ibm_fez", "qpu.forte-1"}
    assert seconds < DEADLINE + MARGIN


@pytest.mark.parametrize("name", ["qpu.aria-1", "ibm_fez"])
def test_live_true_fails_by_its_deadline(broken: str, name: str) -> None:
    started = time.monotonic()
    with pytest.raises(NetworkError):
        qtargets.calibration(name, live=True, timeout=DEADLINE)
    assert time.monotonic() - started < DEADLINE + MARGIN


# -- the commands ----------------------------------------------------------------------------------


def invoke(*args: str) -> tuple[Any, float]:
    return timed(lambda: runner.invoke(app, list(args), env={"COLUMNS": "200"}))


def test_fetch_fails_in_one_line_by_its_deadline(broken: str) -> None:
    result, seconds = invoke("fetch", "qpu.aria-1", "--timeout", str(DEADLINE))
    assert result.exit_code == 2
    assert seconds < DEADLINE + MARGIN
    assert result.output.strip().startswith("error:")


@pytest.mark.usefixtures("shown_warnings")
def test_rank_ranks_the_bundled_calibrations_by_its_deadline(broken: str,
                                                             tmp_path: Path) -> None:
    circuit = tmp_path / "bell.qasm"
    circuit.write_text('OPENQASM 2.0;\ninclude "qelib1.inc";\nqreg q[2];\nh q[0];\n'
                       "cx q[0],q[1];\n")
    result, seconds = invoke("rank", str(circuit), "-b", "qpu.aria-1,ibm_fez", "--level", "0",
                             "--timeout", str(DEADLINE))
    assert result.exit_code == 0, result.output
    assert "warning: " in result.stderr  # the command names what it fell back to
    assert "qpu.aria-1" in result.output
    assert seconds < DEADLINE + MARGIN + 3  # + transpiling two circuits


def test_rank_of_every_device_lists_by_its_deadline_then_ranks_what_it_has(
        broken: str, tmp_path: Path) -> None:
    circuit = tmp_path / "bell.qasm"
    circuit.write_text('OPENQASM 2.0;\ninclude "qelib1.inc";\nqreg q[2];\nh q[0];\n'
                       "cx q[0],q[1];\n")
    with pytest.warns(QTargetsWarning, match="cannot list the live devices"):
        rows, seconds = timed(lambda: qtargets.rank(circuit, optimization_level=0,
                                                    timeout=DEADLINE))
    assert {"ibm_fez", "qpu.aria-1"} <= {row.device for row in rows}
    assert seconds < DEADLINE + MARGIN + 15  # + transpiling for the nine bundled devices


def test_list_shows_what_it_has_and_what_it_could_not_reach(broken: str) -> None:
    result, seconds = invoke("list", "--timeout", str(DEADLINE))
    assert result.exit_code == 0, result.output
    assert seconds < DEADLINE + MARGIN
    assert "Bundled calibrations" in result.output
    assert "IBM Quantum: devices not listed" in result.output
    assert "IonQ: devices not listed" in result.output


# -- the REST clients -----------------------------------------------------------------------------


def test_a_rest_client_call_ends_by_its_deadline(broken: str, online: FakeVendorServer) -> None:
    with IonQClient(online.ionq_api_key, online.ionq_v03_url, timeout=1.0, deadline=DEADLINE,
                    retries=5, backoff_base=0.05) as ionq:
        started = time.monotonic()
        with pytest.raises(NetworkError):
            ionq.current_characterization("qpu.aria-1")
        assert time.monotonic() - started < DEADLINE + MARGIN


@pytest.mark.parametrize("value", [0.0, -1.0, float("inf"), float("nan")])
def test_a_deadline_must_be_a_positive_number_of_seconds(value: float) -> None:
    with pytest.raises(ValueError, match="deadline"):
        HttpConfig("https://api.example/v0.3", deadline=value)
    with pytest.raises(qtargets.QTargetsError, match="timeout"):
        qtargets.calibrations(["qpu.aria-1"], timeout=value, live=True)
    result = runner.invoke(app, ["fetch", "qpu.aria-1", "--timeout", str(value)])
    assert result.exit_code == 2
