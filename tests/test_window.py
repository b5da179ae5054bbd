"""The calibrations in force over a time window (qtargets.drift.in_force, ``qtargets window``):
on the bundled real history of ibm_sherbrooke (2023-01-03 14:44:26, 2024-05-27 18:19:05,
2025-02-26 19:43:10 UTC) and on days downloaded into the store from the loopback IBM server."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone

import pytest
from typer.testing import CliRunner

import qtargets
from apiserver import FakeVendorServer
from qtargets import Calibration, DriftError, UnknownBackendError
from qtargets.bundled import bundled_history
from qtargets.cli import app
from qtargets.diff import diff_calibrations
from qtargets.drift import in_force
from test_cli import USAGE_ERROR, assert_one_line_error

runner = CliRunner()
UTC = timezone.utc


@pytest.fixture(scope="module")
def days() -> list[Calibration]:
    return list(bundled_history("ibm_sherbrooke"))


@pytest.fixture(scope="module")
def server() -> Iterator[FakeVendorServer]:
    # ibm_kyiv (nothing bundled): its snapshot and copies dated 1 and 2 days older
    with FakeVendorServer(ibm_backends=("kyiv",), ibm_history=3, ionq_backends=()) as running:
        yield running


def taken(cal: Calibration) -> datetime:
    assert cal.taken_at is not None
    return cal.taken_at


def test_a_window_with_a_change_holds_the_one_in_force_at_start_and_the_next(
        days: list[Calibration]) -> None:
    window = in_force("ibm_sherbrooke", "2024-01-01", "2025-01-01")
    assert list(window.calibrations) == days[:2]
    assert window.changed
    assert window.start == datetime(2024, 1, 1, tzinfo=UTC)
    (change,) = window.diffs
    assert change == diff_calibrations(days[0], days[1])


def test_a_window_inside_one_calibration_has_no_change(days: list[Calibration]) -> None:
    window = in_force("ibm_sherbrooke", "2024-06-01", datetime(2024, 7, 1, 12))  # naive: UTC
    assert list(window.calibrations) == [days[1]]
    assert not window.changed
    assert window.diffs == ()


def test_window_bounds_are_inclusive(days: list[Calibration]) -> None:
    second = taken(days[1])
    # starting at the very time of a calibration: that one is in force, the older one is not
    assert list(in_force("ibm_sherbrooke", second, second).calibrations) == [days[1]]
    # ending at it: it came into force inside the window
    assert list(in_force("ibm_sherbrooke", "2024-01-01", second).calibrations) == days[:2]
    # a second before it: not yet
    early = second - timedelta(seconds=1)
    assert list(in_force("ibm_sherbrooke", "2024-01-01", early).calibrations) == days[:1]
    # the whole history
    whole = in_force("ibm_sherbrooke", taken(days[0]), "2026-01-01")
    assert list(whole.calibrations) == days
    assert len(whole.diffs) == 2


def test_calibrations_given_directly_work_the_same(days: list[Calibration]) -> None:
    window = in_force(reversed(days), "2024-06-01", "2025-06-01")
    assert list(window.calibrations) == days[1:]
    assert window.backend_name == "ibm_sherbrooke"


def test_a_start_before_the_first_calibration_names_the_earliest() -> None:
    with pytest.raises(UnknownBackendError, match=r"earliest available is the bundled one "
                                                  r"taken 2023-01-03T14:44:26\+00:00"):
        in_force("ibm_sherbrooke", "2022-06-01", "2024-01-01")
    with pytest.raises(UnknownBackendError, match="earliest available was taken 2023-01-03"):
        in_force(bundled_history("ibm_sherbrooke"), "2022-06-01", "2024-01-01")


def test_bad_windows_are_drift_errors(days: list[Calibration]) -> None:
    with pytest.raises(DriftError, match="starts after it ends"):
        in_force("ibm_sherbrooke", "2025-01-01", "2024-01-01")
    with pytest.raises(DriftError, match="needs a start"):
        in_force("ibm_sherbrooke", None, "2024-01-01")
    with pytest.raises(DriftError, match="one device"):
        in_force([days[0], qtargets.load_calibration("ibm_fez")], "2025-03-01", "2025-04-01")
    with pytest.raises(qtargets.QTargetsError, match="ISO 8601"):
        in_force("ibm_sherbrooke", "soon", "2025-01-01")
    with pytest.raises(UnknownBackendError, match="ibm_nowhere"):
        in_force("ibm_nowhere", "2024-01-01", "2025-01-01")


def test_days_downloaded_into_the_store_are_windowed(online: FakeVendorServer) -> None:
    served = sorted(v.last_update for v in online.ibm["ibm_kyiv"].versions)
    qtargets.live.history("ibm_kyiv", served[0])  # over the loopback API, into the store
    window = in_force("ibm_kyiv", served[0] + timedelta(hours=1), served[2])
    assert [c.taken_at for c in window.calibrations] == served
    # the server's copies carry the same numbers: nothing changed but the time
    assert all(d.counts()["worse"] == d.counts()["better"] == 0 for d in window.diffs)
    middle = in_force("ibm_kyiv", served[1], served[1] + timedelta(hours=1))
    assert [c.taken_at for c in middle.calibrations] == [served[1]]


# -- qtargets window ---------------------------------------------------------------------------


def test_window_command_lists_the_calibrations_and_summarises_the_change() -> None:
    result = runner.invoke(app, ["window", "ibm_sherbrooke", "2024-01-01", "2025-01-01"],
                           env={"COLUMNS": "250"})
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert "2 calibrations in force, changed once" in out
    assert "2023-01-03 14:44:26  2024-01-01 00:00:00  2024-05-27 18:19:05" in out
    assert "Calibration diff" in out
    assert "Median T1" in out


def test_window_command_without_a_change_says_so() -> None:
    result = runner.invoke(app, ["window", "ibm_sherbrooke", "2024-06-01", "2024-07-01"])
    assert result.exit_code == 0, result.output
    assert "1 calibration in force, no change" in result.stdout
    assert "Calibration diff" not in result.stdout


def test_window_json_holds_every_change(days: list[Calibration]) -> None:
    result = runner.invoke(app, ["window", "ibm_sherbrooke", "2024-01-01", "2025-01-01",
                                 "--json"])
    data = json.loads(result.stdout)
    assert data["changed"] is True
    assert [c["taken_at"] for c in data["calibrations"]] == [
        taken(c).isoformat() for c in days[:2]]
    assert data["calibrations"][0]["in_force_from"] == "2024-01-01T00:00:00+00:00"
    assert data["diffs"][0]["counts"] == diff_calibrations(days[0], days[1]).counts()


@pytest.mark.parametrize(("args", "fragments"), [
    (["ibm_sherbrooke", "2022-01-01", "2024-01-01"], ["2023-01-03T14:44:26"]),
    (["ibm_sherbrooke", "2025-01-01", "2024-01-01"], ["starts after it ends"]),
    (["ibm_sherbrooke", "soon", "2024-01-01"], ["START", "ISO 8601"]),
    (["ibm_sherbrooke", "2024-01-01"], ["END"]),
    (["ibm_nowhere", "2024-01-01", "2025-01-01"], ["ibm_nowhere"]),
])
def test_window_bad_input_is_one_red_line_and_exit_2(args: list[str],
                                                      fragments: list[str]) -> None:
    result = runner.invoke(app, ["window", *args])
    assert result.exit_code == USAGE_ERROR, result.output
    assert result.stdout == ""
    assert_one_line_error(result.stderr, *fragments)
