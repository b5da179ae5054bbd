"""Drift across calibration days (qtargets.drift, ``qtargets drift``), on the bundled real
history (ibm_sherbrooke: 2023-01-03, 2024-05-27, 2025-02-26) and on days downloaded into the
store from the loopback IBM server. Every number is checked against a computation written
here, straight from the calibrations."""

from __future__ import annotations

import csv
import dataclasses
import doctest
import io
import itertools
import json
import re
import statistics
import subprocess
import sys
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

import qtargets
import qtargets.drift
from apiserver import FakeVendorServer
from qtargets import Calibration, DriftError, UnknownBackendError
from qtargets.bundled import bundled_history
from qtargets.cli import app
from qtargets.diff import diff_calibrations
from qtargets.drift import device_drift, drift, plot_drift
from qtargets.model import UNCALIBRATED_ERROR
from qtargets.store import CalibrationStore
from test_cli import USAGE_ERROR, assert_one_line_error

runner = CliRunner()
ROOT = Path(__file__).resolve().parents[1]

SHERBROOKE_DAYS = ["2023-01-03", "2024-05-27", "2025-02-26"]


@pytest.fixture(scope="module")
def days() -> list[Calibration]:
    return bundled_history("ibm_sherbrooke")


@pytest.fixture(scope="module")
def server() -> Iterator[FakeVendorServer]:
    # ibm_sherbrooke's newest snapshot, and a copy dated one day older
    with FakeVendorServer(ibm_backends=("sherbrooke",), ibm_history=2,
                          ionq_backends=()) as running:
        yield running


def ecr_errors(cal: Calibration) -> dict[tuple[int, ...], float | None]:
    return {g.qubits: g.error for g in cal.instruction("ecr").qargs or ()}


# -- the numbers, by hand ----------------------------------------------------------------------


def test_drift_covers_every_calibration_day_oldest_first(days: list[Calibration]) -> None:
    report = drift(reversed(days))  # any order in, oldest first out
    assert [t.date().isoformat() for t in report.taken_at] == SHERBROOKE_DAYS
    assert report.backend_name == "ibm_sherbrooke"
    assert len([e for e in report.elements if e.kind == "qubit"]) == 127 * 3  # T1, T2, readout
    assert {e.quantity for e in report.elements if e.kind == "edge"} == {"error", "duration"}


def test_every_qubits_t1_median_spread_and_worst_change_match_a_hand_computation(
        days: list[Calibration]) -> None:
    report = drift(days)
    for q in range(127):
        t1 = [cal.qubits[q].t1 for cal in days]
        assert None not in t1
        values = [float(v) for v in t1 if v is not None]
        element = report.series("t1", (q,))
        assert element.values == tuple(values)
        assert element.median == sorted(values)[1]
        assert (element.low, element.high) == (min(values), max(values))
        assert element.swing == pytest.approx(max(values) / min(values))
        # T1 gets worse by shrinking: the largest old/new over consecutive shrinking days
        drops = [(values[i] / values[i + 1], i + 1) for i in range(2)
                 if values[i + 1] < values[i]]
        if not drops:
            assert element.worst_change is None
            continue
        factor, at = max(drops)
        assert element.worst_change is not None
        assert element.worst_change.severity == pytest.approx(factor)
        assert (element.worst_change.old, element.worst_change.new) == (values[at - 1],
                                                                         values[at])
        assert element.worst_at == days[at].taken_at
        assert element.worst_before == days[at - 1].taken_at


def test_an_edges_error_leaves_out_the_days_it_could_not_be_calibrated(
        days: list[Calibration]) -> None:
    report = drift(days)
    for pair, old in ecr_errors(days[0]).items():
        errors = [ecr_errors(cal).get(pair) for cal in days]
        usable = [e for e in errors if e is not None and e != UNCALIBRATED_ERROR]
        element = report.series("error", pair, "ecr")
        assert element.values == tuple(e if e != UNCALIBRATED_ERROR else None for e in errors)
        assert element.median == (statistics.median(usable) if usable else None)
        assert element.faulty_days == errors.count(UNCALIBRATED_ERROR)
        assert old is not None
    assert report.series("error", (56, 57), "ecr").values[1:] == (None, None)


def test_per_day_medians_are_those_qtargets_diff_prints(days: list[Calibration]) -> None:
    report = drift(days)
    for i in range(2):
        compared = diff_calibrations(days[i], days[i + 1])
        for day, side in ((report.days[i], compared.old), (report.days[i + 1], compared.new)):
            assert day.t1 is not None
            assert day.t1.median == side.t1_median
            assert day.t2 is not None
            assert day.t2.median == side.t2_median
            assert day.readout_error is not None
            assert day.readout_error.median == side.readout_error_median
            assert day.two_qubit_error is not None
            assert day.two_qubit_error.median == side.two_qubit_error_median
            assert day.num_faulty_qubits == side.num_faulty_qubits


def test_per_day_quartiles_of_t1_by_hand(days: list[Calibration]) -> None:
    for cal, day in zip(days, drift(days).days, strict=True):
        t1 = sorted(q.t1 for q in cal.qubits if q.t1 is not None)
        n = len(t1)  # 127: the quartiles fall on values, (n - 1) / 4 = 31.5 between two
        assert day.t1 is not None
        assert day.t1.count == n
        assert day.t1.q1 == pytest.approx((t1[31] + t1[32]) / 2)
        assert day.t1.q3 == pytest.approx((t1[94] + t1[95]) / 2)
        assert day.num_faulty_edges == sum(e == UNCALIBRATED_ERROR
                                           for e in ecr_errors(cal).values())


# -- faulty and recovered ------------------------------------------------------------------------


def test_sherbrookes_uncalibrated_pairs_become_faulty_and_recover(
        days: list[Calibration]) -> None:
    report = drift(days)
    broken = [{pair for pair, e in ecr_errors(cal).items() if e == UNCALIBRATED_ERROR}
              for cal in days]
    # a switch counts between two days that both have the pair (IBM turns some ECR pairs
    # round between days: ecr 84-83 in 2024 is ecr 83-84, uncalibrated, in 2025)
    both = [set(ecr_errors(days[i - 1])) & set(ecr_errors(days[i])) for i in (0, 1, 2)]
    expected = {("faulty", pair, i) for i in (1, 2)
                for pair in (broken[i] - broken[i - 1]) & both[i]}
    expected |= {("recovered", pair, i) for i in (1, 2)
                 for pair in (broken[i - 1] - broken[i]) & both[i]}
    found = {(f.became, f.qubits, report.taken_at.index(f.at)) for f in report.faults}
    assert found == expected
    # the real cases: 63-64 broke in 2024 and was back in 2025; 56-57 broke and stayed so
    assert ("faulty", (63, 64), 1) in found
    assert ("recovered", (63, 64), 2) in found
    assert ("faulty", (56, 57), 1) in found
    assert not any(f.qubits == (56, 57) and f.became == "recovered" for f in report.faults)
    assert {f.reason for f in report.faults} == {"uncalibrated"}


@pytest.mark.parametrize("name", ["ibm_brisbane", "ibm_fez", "ibm_marrakesh", "ibm_sherbrooke",
                                  "ibm_torino"])
def test_every_bundled_history_switches_as_counted_by_hand(name: str) -> None:
    history = bundled_history(name)
    report = device_drift(name)
    assert list(report.taken_at) == [c.taken_at for c in history]

    def broken(cal: Calibration) -> dict[tuple[str, tuple[int, ...]], bool]:
        return {(inst.name, g.qubits): not g.operational or g.error == UNCALIBRATED_ERROR
                for inst in cal.instructions if inst.kind == "gate"
                for g in inst.qargs or ()}

    switches = {"faulty": 0, "recovered": 0}
    for old, new in itertools.pairwise(history):
        a, b = broken(old), broken(new)
        for entry in a.keys() & b.keys():
            if a[entry] != b[entry]:
                switches["faulty" if b[entry] else "recovered"] += 1
    assert len(report.became_faulty) == switches["faulty"]
    assert len(report.recovered) == switches["recovered"]
    assert report.days[-1].num_faulty_edges == sum(
        v for (gate, qubits), v in broken(history[-1]).items() if len(qubits) == 2)


def test_a_pair_faulty_on_every_day_never_switches() -> None:
    # ibm_marrakesh could not calibrate cz 129-130 on 2025-01-22 nor on 2025-02-26
    report = device_drift("ibm_marrakesh")
    element = report.series("error", (129, 130), "cz")
    assert element.faulty_days == 2
    assert element.values == (None, None)
    assert element.swing is None
    assert not [f for f in report.faults if f.qubits == (129, 130)]


def test_a_qubit_marked_non_operational_is_faulty_then_recovered(
        days: list[Calibration]) -> None:
    # derived from the real 2025 day: qubit 5 marked faulty in a copy six hours later, and
    # the real numbers again six hours after that
    real = days[-1]
    broken = dataclasses.replace(
        real, taken_at=real.taken_at + timedelta(hours=6),  # type: ignore[operator]
        qubits=tuple(dataclasses.replace(q, operational=i != 5)
                     for i, q in enumerate(real.qubits)))
    again = dataclasses.replace(real, taken_at=real.taken_at + timedelta(hours=12))  # type: ignore[operator]
    report = drift([real, broken, again])
    events = [(f.label, f.became, f.reason) for f in report.faults]
    assert events == [("qubit 5", "faulty", "non-operational"),
                      ("qubit 5", "recovered", "non-operational")]
    assert report.series("t1", (5,)).values[1] is None  # a faulty qubit's numbers don't count
    assert report.days[1].num_faulty_qubits == 1


# -- errors ------------------------------------------------------------------------------------


def test_calibrations_of_different_devices_are_a_drift_error(days: list[Calibration]) -> None:
    with pytest.raises(DriftError, match="one device") as caught:
        drift([days[0], qtargets.load_calibration("ibm_fez")])
    assert "ibm_sherbrooke" in str(caught.value)
    assert "ibm_fez" in str(caught.value)
    assert isinstance(caught.value, qtargets.QTargetsError)


def test_fewer_than_two_calibrations_is_a_drift_error(days: list[Calibration]) -> None:
    with pytest.raises(DriftError, match="at least 2 calibrations"):
        drift(days[:1])
    with pytest.raises(DriftError, match="several calibrations"):
        drift(days[0])  # type: ignore[arg-type]
    with pytest.raises(DriftError, match=r"1 available offline.*qtargets history ibm_boston"):
        device_drift("ibm_boston")
    with pytest.raises(DriftError, match="1 available offline from 2024-01-01"):
        device_drift("ibm_sherbrooke", since="2024-01-01", until="2024-12-31")
    with pytest.raises(UnknownBackendError, match="ibm_nowhere"):
        device_drift("ibm_nowhere")


def test_a_calibration_without_a_time_or_twice_the_same_time_is_a_drift_error(
        days: list[Calibration]) -> None:
    with pytest.raises(DriftError, match="no taken_at"):
        drift([days[0], dataclasses.replace(days[1], taken_at=None)])
    with pytest.raises(DriftError, match="same time"):
        drift([days[0], days[0]])
    with pytest.raises(DriftError, match=r"calibrations\[1\]: expected a qtargets.Calibration"):
        drift([days[0], "ibm_fez"])  # type: ignore[list-item]


# -- the store: days downloaded live (loopback) are included -----------------------------------


def test_days_downloaded_into_the_store_are_included(online: FakeVendorServer,
                                                     days: list[Calibration]) -> None:
    served = online.ibm["ibm_sherbrooke"].versions
    qtargets.live.history("ibm_sherbrooke", served[-1].last_update)  # over the loopback API
    with CalibrationStore() as store:
        stored = [s.taken_at for s in store.history("ibm_sherbrooke")]
    assert len(stored) == 2
    report = device_drift("ibm_sherbrooke")
    assert list(report.taken_at) == sorted({*stored, *(c.taken_at for c in days)})
    assert len(report.taken_at) == 4  # 2023, 2024, and the two served, one a day older
    older_copy = report.taken_at.index(min(stored))
    assert report.days[older_copy].t1 == report.days[-1].t1  # the same numbers, a day apart
    assert report.series("t1", (0,)).values[-2:] == (days[-1].qubits[0].t1,) * 2
    assert len(device_drift("ibm_sherbrooke", since="2025-01-01").taken_at) == 2


# -- the picture -------------------------------------------------------------------------------


def test_plot_drift_writes_the_image_asked_for(days: list[Calibration], tmp_path: Path) -> None:
    pytest.importorskip("matplotlib")
    from matplotlib.image import imread  # noqa: PLC0415  (matplotlib is optional)

    path = tmp_path / "drift.png"
    figure = plot_drift(drift(days), path, figsize=(9, 6), dpi=50)
    assert imread(path).shape[:2] == (300, 450)
    labels = [ax.get_ylabel() for ax in figure.axes]
    assert labels == ["T1 (µs)", "T2 (µs)", "readout error", "1-qubit gate error",
                      "2-qubit gate error", "faulty elements"]
    median_t1 = figure.axes[0].get_lines()[0].get_ydata()
    assert list(median_t1) == pytest.approx([d.t1.median * 1e6 for d in drift(days).days
                                             if d.t1 is not None])


def test_plot_drift_refuses_a_format_before_drawing(days: list[Calibration],
                                                    tmp_path: Path) -> None:
    pytest.importorskip("matplotlib")
    with pytest.raises(qtargets.UnsupportedFormatError, match="'xyz'"):
        plot_drift(drift(days), tmp_path / "drift.xyz")
    assert not (tmp_path / "drift.xyz").exists()


# -- qtargets drift --------------------------------------------------------------------------------


def test_drift_command_prints_medians_movers_and_faults(days: list[Calibration]) -> None:
    result = runner.invoke(app, ["drift", "ibm_sherbrooke", "--top", "5"],
                           env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    out = result.stdout
    first = out.splitlines()[0]
    assert first.startswith("ibm_sherbrooke, 3 calibrations 2023-01-03 to 2025-02-26: median T1")
    assert "12 elements became faulty, 4 recovered" in out
    assert "Moved most (" in out
    assert "first 5 shown" in out
    assert "Became faulty or recovered (12 faulty, 4 recovered)" in out
    assert "ecr 63-64" in out
    assert "recovered" in out
    # the biggest mover: qubit 67's T2, 1.6 µs in 2023 to 319.4 µs in 2025
    movers = out.split("Moved most")[1].split("─\n")[1].splitlines()
    assert movers[0].split()[:3] == ["qubit", "67", "T2"]
    # IBM's sx and x errors are one figure: one row
    assert movers[1].split()[:3] == ["sx/x", "10", "error"]


def test_a_pair_switching_both_ways_round_is_one_row() -> None:
    result = runner.invoke(app, ["drift", "ibm_fez"], env={"COLUMNS": "200"})
    faults = result.stdout.split("Became faulty or recovered (12 faulty, 0 recovered)")[1]
    assert "cz 27-28 (both ways)" in faults
    assert "cz 28-27" not in faults


def test_drift_json_and_csv_hold_every_element(days: list[Calibration]) -> None:
    as_json = runner.invoke(app, ["drift", "ibm_sherbrooke", "--json"])
    assert as_json.exit_code == 0, as_json.output
    data = json.loads(as_json.stdout)
    report = drift(days)
    assert data == json.loads(json.dumps(report.to_dict()))
    assert len(data["elements"]) == len(report.elements)
    as_csv = runner.invoke(app, ["drift", "ibm_sherbrooke", "--csv"])
    rows = list(csv.DictReader(io.StringIO(as_csv.stdout)))
    assert len(rows) == len(report.elements)
    row = next(r for r in rows if r["item"] == "ecr 63-64" and r["quantity"] == "error")
    assert row["faults"].startswith("faulty 2024-05-27")
    assert "recovered 2025-02-26" in row["faults"]


def test_drift_command_draws_the_plot_asked_for(tmp_path: Path) -> None:
    pytest.importorskip("matplotlib")
    path = tmp_path / "plots" / "sherbrooke.png"
    result = runner.invoke(app, ["drift", "ibm_sherbrooke", "--plot", str(path)])
    assert result.exit_code == 0, result.output
    assert path.read_bytes().startswith(b"\x89PNG")
    assert f"Plot: {path}" in " ".join(result.stdout.split())


@pytest.mark.parametrize(("args", "fragments"), [
    (["ibm_boston"], ["two or more calibrations", "ibm_boston"]),
    (["ibm_nowhere"], ["ibm_nowhere"]),
    (["ibm_sherbrooke", "--since", "yesterday"], ["--since", "ISO 8601"]),
    (["ibm_sherbrooke", "--json", "--csv"], ["--json"]),
    (["ibm_sherbrooke", "--top", "-1"], ["--top"]),
    (["ibm_sherbrooke", "--since", "2026-01-01"], ["0 available offline"]),
])
def test_drift_bad_input_is_one_red_line_and_exit_2(args: list[str],
                                                     fragments: list[str]) -> None:
    result = runner.invoke(app, ["drift", *args])
    assert result.exit_code == USAGE_ERROR, result.output
    assert result.stdout == ""
    assert_one_line_error(result.stderr, *fragments)


def test_drift_refuses_an_image_format_before_any_work(tmp_path: Path) -> None:
    pytest.importorskip("matplotlib")
    result = runner.invoke(app, ["drift", "ibm_sherbrooke", "--plot", str(tmp_path / "a.xyz")])
    assert result.exit_code == USAGE_ERROR
    assert_one_line_error(result.stderr, "--plot", "xyz")


# -- the documentation -------------------------------------------------------------------------


def test_the_module_examples_run() -> None:
    assert doctest.testmod(qtargets.drift).failed == 0


def test_the_python_on_docs_drift_md_prints_what_it_shows(tmp_path: Path) -> None:
    text = (ROOT / "docs" / "drift.md").read_text(encoding="utf-8")
    code = "\n".join(re.findall(r"^```python\n(.*?)^```", text, re.M | re.S))
    (tmp_path / "page.py").write_text(code, encoding="utf-8")
    done = subprocess.run([sys.executable, "page.py"], cwd=tmp_path, capture_output=True,
                          text=True, timeout=300, check=False)  # the test's own store
    assert done.returncode == 0, done.stderr
    printed = [line.strip() for line in done.stdout.splitlines()]
    # what a print line says it prints (the comment after it), and runs of comments after a
    # print loop: each is a line the page printed
    shown = re.findall(r"^\s*print\(.*\)\s+# (.*)$", code, re.M)
    shown += re.findall(r"^# ((?:qubit|sx|x|\[\().*)$", code, re.M)
    assert len(shown) >= 10
    for line in shown:
        assert line.strip() in printed, f"docs/drift.md shows {line!r}; printed:\n{done.stdout}"
