"""``qtargets.target`` / ``calibration`` / ``calibrations``: live when credentials exist, the store
or the bundled snapshots otherwise, and the store again (with a warning) when the network fails.

Credentials reach the library the way a user sets them: environment variables pointing the
clients at the loopback server.
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Iterator
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import pytest

import qtargets
from apiserver import IONQ_NEWEST, FakeVendorServer, Fault
from qtargets import (
    ApiError,
    AuthenticationError,
    CalibrationStore,
    NetworkError,
    NotFoundError,
    QTargetsError,
    QTargetsWarning,
    UnknownBackendError,
)
from qtargets.live import parse_when, vendor_of

UTC = timezone.utc
FAST = {"timeout": 1.0, "retries": 1}
PROPS = r"/v1/backends/ibm_fez/properties$"


@pytest.fixture(scope="module")
def server() -> Iterator[FakeVendorServer]:
    with FakeVendorServer(ibm_backends=("fez", "torino", "kyiv"), ibm_history=3,
                          ionq_history=12) as running:
        yield running


@pytest.fixture
def store(tmp_path: Path) -> Iterator[CalibrationStore]:
    with CalibrationStore(tmp_path / "store.sqlite3") as opened:
        yield opened


# -- which vendor, which time -----------------------------------------------------------------


def test_vendor_is_told_by_the_name() -> None:
    assert vendor_of("ibm_fez").name == "ibm"
    assert vendor_of("qpu.aria-1").name == "ionq"
    with pytest.raises(UnknownBackendError, match="cannot tell the vendor"):
        vendor_of("fez")


def test_at_accepts_datetimes_dates_and_iso_text_all_utc() -> None:
    midnight = datetime(2025, 6, 1, tzinfo=UTC)
    assert parse_when("2025-06-01") == midnight
    assert parse_when(date(2025, 6, 1)) == midnight
    assert parse_when(datetime(2025, 6, 1)) == midnight
    assert parse_when("2025-06-01T02:00:00+02:00") == midnight
    assert parse_when("2025-06-01T00:00:00Z") == midnight
    with pytest.raises(QTargetsError, match="not an ISO 8601"):
        parse_when("June 1st")


# -- offline ------------------------------------------------------------------------------------


def test_without_credentials_the_bundled_snapshot_is_used(store: CalibrationStore) -> None:
    assert qtargets.calibration("ibm_fez", store=store) == qtargets.load_calibration("ibm_fez")
    target = qtargets.target("ibm_fez", store=store)
    assert target.num_qubits == 156


def test_offline_a_newer_stored_calibration_wins_over_the_bundled_one(
        store: CalibrationStore) -> None:
    bundled = qtargets.load_calibration("ibm_fez")
    assert bundled.taken_at is not None
    newer = dataclasses.replace(bundled, taken_at=bundled.taken_at + timedelta(days=30))
    store.save(newer)
    assert qtargets.calibration("ibm_fez", live=False, store=store) == newer
    assert qtargets.calibration("ibm_fez", bundled.taken_at, live=False, store=store) == bundled


def test_offline_never_returns_a_calibration_newer_than_at(store: CalibrationStore) -> None:
    bundled = qtargets.bundled.bundled_history("ibm_fez")[0]  # the oldest bundled day
    assert bundled.taken_at is not None
    with pytest.raises(UnknownBackendError, match="at or before"):
        qtargets.calibration("ibm_fez", bundled.taken_at - timedelta(seconds=1), store=store)


def test_offline_unknown_backend_says_how_to_get_it(store: CalibrationStore) -> None:
    with pytest.raises(UnknownBackendError, match="configure credentials"):
        qtargets.calibration("ibm_kyiv", store=store)


def test_live_true_without_credentials_is_an_authentication_error(
        store: CalibrationStore) -> None:
    with pytest.raises(AuthenticationError, match="QISKIT_IBM_TOKEN"):
        qtargets.calibration("ibm_fez", live=True, store=store)
    with pytest.raises(AuthenticationError, match="IONQ_API_KEY"):
        qtargets.calibration("qpu.aria-1", live=True, store=store)


# -- live ---------------------------------------------------------------------------------------


def test_with_credentials_the_newest_calibration_is_fetched_and_stored(
        online: FakeVendorServer, store: CalibrationStore) -> None:
    cal = qtargets.calibration("ibm_fez", store=store)
    assert cal.taken_at == online.ibm["ibm_fez"].versions[0].last_update
    assert cal.provenance.source.startswith(online.ibm_url)
    snapshot = store.latest("ibm_fez")
    assert snapshot is not None
    assert store.load(snapshot) == cal


def test_a_second_call_costs_one_conditional_request(
        online: FakeVendorServer, store: CalibrationStore) -> None:
    first = qtargets.target("ibm_torino", store=store)
    before = len(online.requests)
    second = qtargets.target("ibm_torino", store=store)
    paths = [r.path for r in online.requests[before:]]
    assert paths == ["/ibm/api/v1/backends/ibm_torino/properties"]
    assert second.num_qubits == first.num_qubits
    assert {q: (p.error, p.duration) for q, p in second["cz"].items()} == {
        q: (p.error, p.duration) for q, p in first["cz"].items()}


def test_ionq_is_live_too_and_unchanged_costs_one_request(
        online: FakeVendorServer, store: CalibrationStore) -> None:
    cal = qtargets.calibration("qpu.aria-1", store=store)
    assert cal.taken_at == IONQ_NEWEST
    before = len(online.requests)
    assert qtargets.calibration("qpu.aria-1", store=store) == cal
    assert len(online.requests) - before == 1


def test_time_travel_is_live_and_never_newer(online: FakeVendorServer,
                                             store: CalibrationStore) -> None:
    older = online.ibm["ibm_fez"].versions[1].last_update
    cal = qtargets.calibration("ibm_fez", older + timedelta(minutes=1), store=store)
    assert cal.taken_at == older
    ionq = qtargets.calibration("qpu.forte-1", "2025-05-30T13:00:00Z", store=store)
    assert ionq.taken_at == IONQ_NEWEST - timedelta(days=2)


def test_many_devices_are_fetched_concurrently_by_name(online: FakeVendorServer,
                                                       store: CalibrationStore) -> None:
    names = ["ibm_fez", "ibm_torino", "ibm_kyiv", "qpu.aria-1", "qpu.forte-1"]
    found = qtargets.calibrations([*names, "ibm_fez"], store=store)
    assert list(found) == names
    assert {n: c.backend_name for n, c in found.items()} == {n: n for n in names}
    targets = qtargets.targets(["ibm_kyiv", "qpu.aria-1"], store=store)
    assert targets["qpu.aria-1"].num_qubits == 25


def test_it_works_from_inside_a_running_event_loop(online: FakeVendorServer,
                                                   store: CalibrationStore) -> None:
    async def notebook_cell() -> qtargets.Calibration:
        return qtargets.calibration("ibm_fez", store=store)

    assert asyncio.run(notebook_cell()).backend_name == "ibm_fez"


# -- when the network fails -------------------------------------------------------------------


def test_an_outage_falls_back_to_the_store_with_a_warning_naming_its_age(
        online: FakeVendorServer, store: CalibrationStore) -> None:
    stored = qtargets.calibration("ibm_kyiv", store=store, **FAST)
    online.inject(r"/ibm_kyiv/", Fault.status(503), times=None)
    with pytest.warns(QTargetsWarning, match=r"IBM Quantum unreachable .*503.* days old"):
        assert qtargets.calibration("ibm_kyiv", store=store, **FAST) == stored


def test_a_dead_server_falls_back_to_the_bundled_snapshot(
        monkeypatch: pytest.MonkeyPatch, store: CalibrationStore) -> None:
    monkeypatch.setenv("QISKIT_IBM_TOKEN", "QTCANARY-dead-key")
    monkeypatch.setenv("QISKIT_IBM_INSTANCE", "crn:v1:bluemix:public:quantum-computing:x:a/b::")
    monkeypatch.setenv("QTARGETS_IBM_API_URL", "http://127.0.0.1:9/api")
    monkeypatch.setenv("QTARGETS_IBM_IAM_URL", "http://127.0.0.1:9")
    with pytest.warns(QTargetsWarning, match="ConnectError") as caught:
        cal = qtargets.calibration("ibm_fez", store=store, **FAST)
    assert cal == qtargets.load_calibration("ibm_fez")
    assert "QTCANARY" not in str(caught[0].message)
    with pytest.raises(NetworkError):
        qtargets.calibration("ibm_fez", live=True, store=store, **FAST)
    with pytest.raises(NetworkError):  # nothing stored, nothing bundled: the error itself
        qtargets.calibration("ibm_kyiv", store=store, **FAST)


def test_malformed_bodies_and_refused_keys_fall_back_but_unknown_names_do_not(
        online: FakeVendorServer, store: CalibrationStore,
        monkeypatch: pytest.MonkeyPatch) -> None:
    qtargets.calibration("ibm_fez", store=store, **FAST)
    online.inject(PROPS, Fault.malformed())
    with pytest.warns(QTargetsWarning, match="not JSON"):
        qtargets.calibration("ibm_fez", store=store, **FAST)
    with pytest.raises(NotFoundError):
        qtargets.calibration("ibm_nowhere", store=store, **FAST)
    monkeypatch.setenv("QISKIT_IBM_TOKEN", "QTCANARY-wrong-0123456789")
    with pytest.warns(QTargetsWarning, match="IBM Quantum credentials unusable .*BXNIM0415E"):
        assert qtargets.calibration("ibm_fez", store=store, **FAST).vendor == "ibm"
    with pytest.raises(AuthenticationError):
        qtargets.calibration("ibm_fez", store=store, live=True, **FAST)


def test_a_hanging_server_gives_up_in_bounded_time(online: FakeVendorServer,
                                                   store: CalibrationStore) -> None:
    online.inject(PROPS, Fault.latency(5.0), times=None)
    started = datetime.now(UTC)
    with pytest.warns(QTargetsWarning, match=r"within the 0.3 s deadline.*using the bundled"):
        qtargets.calibration("ibm_fez", store=store, timeout=0.3, retries=1)
    assert datetime.now(UTC) - started < timedelta(seconds=3)
    online.clear_faults()


def test_an_api_error_without_fallback_is_raised(online: FakeVendorServer,
                                                 store: CalibrationStore) -> None:
    online.inject(r"/ibm_kyiv/", Fault.status(503), times=None)
    with pytest.raises(ApiError) as caught:
        qtargets.calibration("ibm_kyiv", store=store, **FAST)
    assert caught.value.status == 503
    online.clear_faults()
