"""sweep(days=...): the calibration days of each device name, looked up in the store and the
bundled real history (no fetching by the caller), each record carrying its day."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import date, datetime, timezone
from pathlib import Path

import pytest
from typer.testing import CliRunner

import qtargets
from qtargets import SweepError
from qtargets.bundled import bundled_history
from qtargets.cli import app
from qtargets.ibm import to_calibration
from qtargets.store import CalibrationStore
from qtargets.sweeps import SweepRecords, parse_days, sweep
from small_circuits import ghz

from reference import snapshots

# the bundled real calibration days (IBM's props last_update_date, UTC)
SHERBROOKE = [datetime(2023, 1, 3, 14, 44, 26, tzinfo=timezone.utc),
              datetime(2024, 5, 27, 18, 19, 5, tzinfo=timezone.utc),
              datetime(2025, 2, 26, 19, 43, 10, tzinfo=timezone.utc)]
FEZ = [datetime(2025, 1, 23, 16, 35, 51, tzinfo=timezone.utc),
       datetime(2025, 2, 26, 20, 16, 25, tzinfo=timezone.utc)]


@pytest.fixture
def one_thread() -> Iterator[ThreadPoolExecutor]:
    with ThreadPoolExecutor(1) as pool:  # quick: these tests are about which days, not speed
        yield pool


def run(targets: object, days: object, executor: ThreadPoolExecutor, **options: object
        ) -> SweepRecords:
    return sweep([ghz(3)], targets, methods=["default"], days=days,  # type: ignore[arg-type]
                 optimization_level=0, executor=executor, **options)  # type: ignore[arg-type]


def test_a_number_of_days_is_the_newest_calibrations_of_each_device_oldest_first(
        one_thread: ThreadPoolExecutor) -> None:
    records = run(["ibm_sherbrooke", "ibm_fez"], 2, one_thread)
    assert [(r.device, r.taken_at) for r in records] == [
        ("ibm_sherbrooke", SHERBROOKE[1]), ("ibm_sherbrooke", SHERBROOKE[2]),
        ("ibm_fez", FEZ[0]), ("ibm_fez", FEZ[1])]
    assert [r.day for r in records] == [t.date() for t in (*SHERBROOKE[1:], *FEZ)]
    assert not records.failed
    # each day is scored on its own calibration: two real days give different figures
    assert records[0].esp != records[1].esp


def test_asking_for_more_days_than_there_are_sweeps_those_there_are_and_says_so(
        one_thread: ThreadPoolExecutor) -> None:
    with pytest.warns(qtargets.QTargetsWarning, match=r"days=5: ibm_fez has 2 calibration "
                                                      r"day\(s\) available offline"):
        records = run("ibm_fez", 5, one_thread)
    assert [r.taken_at for r in records] == FEZ


def test_a_range_is_every_calibration_taken_in_it(one_thread: ThreadPoolExecutor) -> None:
    records = run(["ibm_sherbrooke"], ("2024-01-01", None), one_thread)
    assert [r.taken_at for r in records] == SHERBROOKE[1:]
    records = run(["ibm_sherbrooke"], (None, date(2024, 12, 31)), one_thread)
    assert [r.taken_at for r in records] == SHERBROOKE[:2]
    with pytest.raises(SweepError, match=r"ibm_fez has no calibration taken between "
                                         r"2023-01-01T00:00:00Z and 2023-12-31T00:00:00Z "
                                         r"available offline \(2, from 2025-01-23"):
        run(["ibm_sherbrooke", "ibm_fez"], ("2023-01-01", "2023-12-31"), one_thread)


def test_dates_pick_the_calibration_in_force_then_and_the_day_is_the_date_asked_for(
        one_thread: ThreadPoolExecutor) -> None:
    records = run(["ibm_sherbrooke"], ["2025-01-01", "2024-06-01", "2025-03-01"], one_thread)
    # sorted, each with the calibration in force on it: 2024-06-01 and 2025-01-01 both had
    # the 2024-05-27 one
    assert [(r.day, r.taken_at) for r in records] == [
        (date(2024, 6, 1), SHERBROOKE[1]), (date(2025, 1, 1), SHERBROOKE[1]),
        (date(2025, 3, 1), SHERBROOKE[2])]
    first, second, _ = records
    assert first.same_result(second) is False  # they differ in the day they stand for...
    assert (first.esp, first.depth) == (second.esp, second.depth)  # ...not in the figures


def test_a_date_before_a_device_had_any_calibration_is_left_out_for_it_with_a_warning(
        one_thread: ThreadPoolExecutor) -> None:
    with pytest.warns(qtargets.QTargetsWarning, match=r"ibm_fez had no calibration yet on "
                                                      r"2024-06-01T00:00:00Z"):
        records = run(["ibm_sherbrooke", "ibm_fez"], ["2024-06-01", "2025-02-01"], one_thread)
    assert [(r.device, r.day) for r in records] == [
        ("ibm_sherbrooke", date(2024, 6, 1)), ("ibm_sherbrooke", date(2025, 2, 1)),
        ("ibm_fez", date(2025, 2, 1))]
    assert records[-1].taken_at == FEZ[0]
    with pytest.raises(SweepError, match="ibm_fez has no calibration in force on any"):
        run(["ibm_fez"], ["2024-06-01"], one_thread)


def test_days_come_from_the_store_too(one_thread: ThreadPoolExecutor) -> None:
    lagos = next(s for s in snapshots() if s.id == "lagos")  # a real IBM snapshot, not bundled
    calibration = to_calibration(lagos.conf(), lagos.props())
    with CalibrationStore() as store:  # the test's own default store (tests/conftest.py)
        store.save(calibration)
    with pytest.warns(qtargets.QTargetsWarning, match="ibm_lagos has 1 calibration day"):
        (record,) = run(["ibm_lagos"], 3, one_thread)
    assert record.taken_at == calibration.taken_at
    assert record.day == date(2024, 5, 27)
    assert record.error is None


def test_days_take_device_names_only(one_thread: ThreadPoolExecutor, tmp_path: Path) -> None:
    fez = qtargets.load_calibration("ibm_fez")
    saved = tmp_path / "fez.json"
    saved.write_text(fez.to_json(), encoding="utf-8")
    for given, what in ((fez, "a Calibration"), (qtargets.target("ibm_fez"), "a Target"),
                        (str(saved), f"the file '{saved}'"),
                        (qtargets.backend("ibm_fez"), "a QTargetsBackend")):
        with pytest.raises(SweepError, match=f"days: picks the calibration days of device "
                                             f"names, and {what} is one calibration already"):
            run([given], 1, one_thread)
    with pytest.raises(SweepError, match=r"'ibm_fez@2025-02-01' names its own time; with "
                                         r"days= give the device name alone \('ibm_fez'\)"):
        run(["ibm_fez@2025-02-01"], 1, one_thread)
    with pytest.raises(qtargets.UnknownBackendError, match="no stored or bundled calibration"):
        run(["ibm_nowhere"], 1, one_thread)


@pytest.mark.parametrize(("days", "message"), [
    (0, "must be 1 or more, got 0"),
    (True, "expected a whole number"),
    (("2025-01-01",), r"a range is \(since, until\), got 1 values"),
    (("2025-03-01", "2025-01-01"), "since must not be after until"),
    ([], "at least one date"),
    (["yesterday"], "'yesterday' is not a date"),
    ("2025-01-01", r"one text; give \['2025-01-01'\]"),
    (2.5, "got float"),
])
def test_a_bad_days_value_is_a_sweep_error_before_any_work(days: object, message: str) -> None:
    with pytest.raises(SweepError, match=message):
        sweep([ghz(3)], ["ibm_fez"], days=days)  # type: ignore[arg-type]


def test_days_as_text_as_the_command_line_takes_them() -> None:
    assert parse_days("3") == 3
    assert parse_days("2024-01-01..2025-03-01") == ("2024-01-01", "2025-03-01")
    assert parse_days("2024-01-01..") == ("2024-01-01", None)
    assert parse_days("2024-06-01, 2025-02-01") == ["2024-06-01", "2025-02-01"]
    assert parse_days("2025-02-01") == ["2025-02-01"]
    with pytest.raises(SweepError, match="'soon' is not a date"):
        parse_days("soon..")


def test_the_day_is_a_column_of_the_csv_and_the_frame(one_thread: ThreadPoolExecutor,
                                                      tmp_path: Path) -> None:
    records = run(["ibm_sherbrooke"], 2, one_thread)
    path = records.to_csv(tmp_path / "days.csv")
    with path.open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert [(row["day"], row["taken_at"]) for row in rows] == [
        ("2024-05-27", "2024-05-27T18:19:05+00:00"), ("2025-02-26", "2025-02-26T19:43:10+00:00")]
    pytest.importorskip("pandas")
    frame = records.to_pandas()
    assert list(frame.groupby("day").esp.count()) == [1, 1]


def test_without_days_the_day_is_the_calibration_date() -> None:
    with ThreadPoolExecutor(1) as pool:
        (record,) = sweep([ghz(3)], [bundled_history("ibm_torino")[0]], methods=["default"],
                          optimization_level=0, executor=pool)
    assert record.day == date(2024, 2, 28)


def test_the_sweep_command_takes_days(tmp_path: Path) -> None:
    circuits = tmp_path / "circuits"
    circuits.mkdir()
    (circuits / "ghz3.qasm").write_text(
        'OPENQASM 2.0;\ninclude "qelib1.inc";\nqreg q[3];\ncreg c[3];\nh q[0];\n'
        "cx q[0], q[1];\ncx q[1], q[2];\nmeasure q -> c;\n", encoding="utf-8")
    out = tmp_path / "days.csv"
    result = CliRunner().invoke(app, [
        "sweep", str(circuits), "-b", "ibm_sherbrooke", "--methods", "default", "--level", "0",
        "--workers", "1", "--days", "2023-06-01..", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "2 runs (0 failed) -> " in result.output
    assert [r.day for r in SweepRecords.read(out)] == [date(2024, 5, 27), date(2025, 2, 26)]

    bad = CliRunner().invoke(app, ["sweep", str(circuits), "-b", "ibm_fez.json", "--days", "1"])
    assert bad.exit_code == 2
    assert "days: picks the calibration days of device names" in bad.output
    bad = CliRunner().invoke(app, ["sweep", str(circuits), "-b", "ibm_fez", "--days", "x..y"])
    assert bad.exit_code == 2
    assert "days: 'x' is not a date" in bad.output
