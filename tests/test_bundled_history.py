"""The bundled calibration history: real IBM calibrations of the same devices on different
days (the snapshots past qiskit-ibm-runtime releases shipped), each naming its release and
files; listed by ``qtargets history --offline``, time-travelled onto by ``at=`` and
``NAME@TIME`` with no credentials and no network; rebuilt byte for byte by
scripts/make_history.py."""

from __future__ import annotations

import gzip
import importlib.util
import json
import re
import sys
import zipfile
from collections.abc import Iterator
from datetime import datetime, timezone
from importlib import resources
from importlib.metadata import version
from pathlib import Path
from types import ModuleType

import pytest
import qiskit_ibm_runtime.fake_provider.backends as snapshots
from typer.testing import CliRunner

import qtargets
from apiserver import FakeVendorServer
from qtargets.bundled import bundled_history, history_backends
from qtargets.cli import app
from qtargets.live import offline_calibrations, offline_history
from qtargets.store import CalibrationStore, default_store_path

ROOT = Path(__file__).resolve().parents[1]
HISTORY = resources.files("qtargets").joinpath("data").joinpath("history")
SOURCE = re.compile(r"^qiskit-ibm-runtime (\d+\.\d+\.\d+) (?:wheel: qiskit_ibm_runtime/|snapshot )"
                    r"fake_provider/backends/(\w+)/conf_\2\.json \+ props_\2\.json$")
runner = CliRunner()

# the calibration days, as IBM dated them (props last_update_date, in UTC)
SHERBROOKE = ["2023-01-03T14:44:26+00:00", "2024-05-27T18:19:05+00:00",
              "2025-02-26T19:43:10+00:00"]


@pytest.fixture(scope="module")
def server() -> Iterator[FakeVendorServer]:
    with FakeVendorServer(ibm_backends=("fez",), ibm_history=2, ionq_history=2) as running:
        yield running


def days(name: str) -> list[str]:
    return [c.taken_at.isoformat() for c in bundled_history(name) if c.taken_at is not None]


def invoke(*args: str) -> str:
    result = runner.invoke(app, list(args))
    assert result.exit_code == 0, result.output
    return result.output


# -- the data ---------------------------------------------------------------------------------


def test_bundled_history_holds_several_real_days_of_the_bundled_ibm_devices() -> None:
    assert days("ibm_sherbrooke") == SHERBROOKE
    assert days("ibm_torino") == ["2024-02-28T13:48:51+00:00", "2025-02-26T20:26:08+00:00"]
    assert days("ibm_fez") == ["2025-01-23T16:35:51+00:00", "2025-02-26T20:16:25+00:00"]
    assert {"ibm_fez", "ibm_torino", "ibm_sherbrooke"} <= set(history_backends())
    for name in history_backends():
        assert len(bundled_history(name)) >= 2, name


def test_every_bundled_day_names_its_package_release_and_files() -> None:
    for name in history_backends():
        for cal in bundled_history(name):
            match = SOURCE.match(cal.provenance.source)
            assert match, cal.provenance.source
            assert f"ibm_{match[2]}" == cal.backend_name == name
            assert cal.vendor == "ibm"


def test_the_newest_bundled_day_is_the_bundled_snapshot() -> None:
    for name in ("ibm_fez", "ibm_torino", "ibm_sherbrooke"):
        assert bundled_history(name)[-1] == qtargets.load_calibration(name)


def test_the_history_costs_the_package_little() -> None:
    files = [f for d in HISTORY.iterdir() if d.is_dir() for f in d.iterdir()]
    assert all(f.name.endswith(".json.gz") for f in files)
    assert sum(len(f.read_bytes()) for f in files) < 400_000  # 227 KiB when written


def test_a_device_with_nothing_bundled_has_no_bundled_history() -> None:
    assert bundled_history("ibm_nowhere") == ()
    assert len(bundled_history("qpu.aria-1")) == 1  # its one bundled snapshot


# -- time travel --------------------------------------------------------------------------------


def test_at_picks_the_calibration_in_force_then_among_the_bundled_days() -> None:
    def taken(at: str) -> str:
        cal = qtargets.calibration("ibm_sherbrooke", at=at)
        assert cal.taken_at is not None
        return cal.taken_at.isoformat()

    assert taken("2024-06-01") == SHERBROOKE[1]          # between days: the earlier
    assert taken("2023-06-01") == SHERBROOKE[0]
    assert taken(SHERBROOKE[1]) == SHERBROOKE[1]         # taken exactly then: in force
    assert taken("2024-05-27T18:19:04Z") == SHERBROOKE[0]  # a second before: not yet
    assert taken("2026-01-01") == SHERBROOKE[2]
    assert "0.37.0" in qtargets.calibration("ibm_sherbrooke", at="2024-06-01").provenance.source


def test_before_the_first_day_the_error_names_the_earliest_available() -> None:
    with pytest.raises(qtargets.UnknownBackendError, match=re.escape(
            "earliest available is the bundled one taken 2023-01-03T14:44:26+00:00")):
        qtargets.calibration("ibm_sherbrooke", at="2022-12-31")


def test_a_device_bundled_only_as_history_resolves_offline() -> None:
    assert "ibm_brisbane" not in qtargets.bundled_backends()
    assert qtargets.calibration("ibm_brisbane") == bundled_history("ibm_brisbane")[-1]
    assert qtargets.calibration("ibm_brisbane@2024-06-01") == bundled_history("ibm_brisbane")[0]


def test_a_stored_calibration_newer_than_the_bundled_day_wins() -> None:
    with CalibrationStore() as store:
        store.save(bundled_history("ibm_sherbrooke")[0])  # a real calibration, stored
    cal = qtargets.calibration("ibm_sherbrooke", at="2023-06-01")
    assert cal.provenance.source == bundled_history("ibm_sherbrooke")[0].provenance.source
    # a store that holds only the 2023 day still lets 2024 come from the bundled history
    assert qtargets.calibration("ibm_sherbrooke", at="2024-06-01").taken_at == datetime(
        2024, 5, 27, 18, 19, 5, tzinfo=timezone.utc)


def test_show_time_travels_onto_the_bundled_history_without_credentials() -> None:
    out = invoke("show", "ibm_sherbrooke@2024-06-01")
    assert "2024-05-27 18:19:05" in out
    assert "0.37.0" in out


def test_diff_of_two_bundled_days_works_offline() -> None:
    data = json.loads(invoke("diff", "ibm_sherbrooke@2023-06-01", "ibm_sherbrooke@2025-03-01",
                             "--json"))
    assert (data["old"]["taken_at"], data["new"]["taken_at"]) == (SHERBROOKE[0], SHERBROOKE[2])
    assert data["same_device"]
    assert data["changes"]  # two real days, over two years apart


def test_offline_calibrations_gives_one_calibration_per_day_the_stored_one_first() -> None:
    with CalibrationStore() as store:
        store.save(bundled_history("ibm_sherbrooke")[0])
    found = offline_calibrations("ibm_sherbrooke")
    assert [c.taken_at.isoformat() for c in found if c.taken_at] == SHERBROOKE
    assert found[0] == bundled_history("ibm_sherbrooke")[0]  # loaded from the store
    assert [c.taken_at for c in offline_calibrations("ibm_sherbrooke", last=1)] == [
        found[-1].taken_at]
    assert offline_calibrations("ibm_sherbrooke", since="2025-03-01") == []


@pytest.mark.parametrize("last", [0, -1, 1.5, True, "2"])
def test_offline_calibrations_refuses_a_count_that_is_not_one_or_more(last: object) -> None:
    with pytest.raises(qtargets.QTargetsError, match="last must be"):
        offline_calibrations("ibm_sherbrooke", last=last)  # type: ignore[arg-type]


# -- qtargets history, offline -------------------------------------------------------------------


def test_history_offline_lists_the_bundled_days_and_the_stored_ones() -> None:
    with CalibrationStore() as store:
        store.save(bundled_history("ibm_sherbrooke")[0])
    rows = json.loads(invoke("history", "ibm_sherbrooke", "--offline", "--json"))
    assert [(r["taken_at"], r["where"]) for r in rows] == [
        (SHERBROOKE[0], "stored"), (SHERBROOKE[0], "bundled"),
        (SHERBROOKE[1], "bundled"), (SHERBROOKE[2], "bundled")]
    assert rows[0]["snapshot"] is not None
    assert "qiskit-ibm-runtime 0.37.0" in rows[2]["source"]


def test_history_offline_keeps_to_the_range() -> None:
    rows = json.loads(invoke("history", "ibm_sherbrooke", "--offline", "--since", "2024-01-01",
                             "--until", "2025-01-01", "--json"))
    assert [r["taken_at"] for r in rows] == [SHERBROOKE[1]]
    assert [e.where for e in offline_history("ibm_fez", since="2025-02-01")] == ["bundled"]


def test_history_without_credentials_lists_offline_and_says_how_to_download() -> None:
    out = invoke("history", "ibm_sherbrooke")
    assert "3 calibrations offline (0 stored, 3 bundled)" in out
    assert "QISKIT_IBM_TOKEN" in out
    assert not default_store_path().exists()  # listing creates no store


def test_history_offline_makes_no_request_even_with_credentials(
        online: FakeVendorServer) -> None:
    before = len(online.requests)
    out = invoke("history", "ibm_fez", "--offline", "--csv")
    assert out.count("bundled") == 2
    january = qtargets.calibration("ibm_fez", at="2025-02-01", live=False)
    assert january.taken_at == bundled_history("ibm_fez")[0].taken_at
    assert len(online.requests) == before


def test_history_of_a_device_nothing_holds_is_a_clear_error() -> None:
    result = runner.invoke(app, ["history", "ibm_nowhere", "--offline"])
    assert result.exit_code == 2
    assert "no stored or bundled calibration of 'ibm_nowhere'" in result.output
    assert "ibm_sherbrooke" in result.output


def test_downloading_a_history_still_needs_since(online: FakeVendorServer) -> None:
    result = runner.invoke(app, ["history", "ibm_fez"])
    assert result.exit_code == 2
    assert "--since" in result.output


# -- the script ----------------------------------------------------------------------------------


def make_history() -> ModuleType:
    spec = importlib.util.spec_from_file_location("make_history",
                                                  ROOT / "scripts" / "make_history.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclass looks its module up
    spec.loader.exec_module(module)
    return module


def fake_wheel(directory: Path, release: str, device: str) -> None:
    """A wheel of ``release`` holding the installed qiskit-ibm-runtime's snapshot of
    ``device`` (real files; only the version in the name is chosen)."""
    root = Path(snapshots.__file__).parent / device
    inside = f"qiskit_ibm_runtime/fake_provider/backends/{device}"
    with zipfile.ZipFile(directory / f"qiskit_ibm_runtime-{release}-py3-none-any.whl",
                         "w") as wheel:
        for kind in ("conf", "props"):
            wheel.write(root / f"{kind}_{device}.json", f"{inside}/{kind}_{device}.json")


def build(script: ModuleType, wheels: Path, out: Path, *releases: str) -> dict[str, bytes]:
    args = ["--wheels", str(wheels), "--out", str(out), "--device", "torino"]
    script.main([*args, *(a for r in releases for a in ("--release", r))])
    return {str(p.relative_to(out)): p.read_bytes() for p in sorted(out.rglob("*.gz"))}


def test_the_script_is_reproducible_and_keeps_one_copy_of_a_snapshot(tmp_path: Path) -> None:
    script = make_history()
    wheels = tmp_path / "wheels"
    wheels.mkdir()
    for release in ("0.50.0", "0.51.0"):  # the same snapshot shipped twice
        fake_wheel(wheels, release, "torino")
    first = build(script, wheels, tmp_path / "a", "0.50.0", "0.51.0")
    second = build(script, wheels, tmp_path / "b", "0.51.0", "0.50.0")
    assert first == second
    (name,) = first
    cal = bundled_history("ibm_torino")[-1]
    assert name == f"ibm_torino/{cal.taken_at:%Y-%m-%dT%H%M%SZ}.json.gz"
    built = qtargets.Calibration.from_json(gzip.decompress(first[name]))
    assert built.provenance.source.startswith("qiskit-ibm-runtime 0.51.0 wheel: ")
    assert "0.50.0, 0.51.0" in (built.provenance.notes or "")
    assert built.with_provenance(cal.provenance) == cal


@pytest.mark.skipif(version("qiskit-ibm-runtime") != "0.51.0",
                    reason="the bundled newest days come from qiskit-ibm-runtime 0.51.0")
def test_the_script_rebuilds_the_bundled_file_byte_for_byte(tmp_path: Path) -> None:
    wheels = tmp_path / "wheels"
    wheels.mkdir()
    fake_wheel(wheels, "0.51.0", "torino")
    (name, data), = build(make_history(), wheels, tmp_path / "out", "0.51.0").items()
    assert data == HISTORY.joinpath(name).read_bytes()


def test_list_shows_every_bundled_device_with_its_days() -> None:
    result = CliRunner().invoke(app, ["list", "--offline", "--json"])
    assert result.exit_code == 0, result.output
    bundled = {row["name"]: row for row in json.loads(result.stdout)
               if row["source"] == "bundled"}
    assert bundled["ibm_sherbrooke"]["bundled_days"] == 3
    assert bundled["ibm_brisbane"]["bundled_days"] == 2  # history only: no snapshot of its own
    assert bundled["ibm_brisbane"]["taken_at"].startswith("2025-02-26")
    assert bundled["qpu.aria-1"]["bundled_days"] == 1
