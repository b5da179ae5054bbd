"""The calibration history store: what it keeps, how it answers "when", and that concurrent
writers (even one killed mid-write) never leave a broken or half-written snapshot."""

from __future__ import annotations

import dataclasses
import hashlib
import multiprocessing
import os
import random
import re
import signal
import sqlite3
import time
import warnings
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import platformdirs
import pytest
from qiskit import QuantumCircuit

import qtargets
from qtargets import (
    Calibration,
    GateCalibration,
    InstructionCalibration,
    Provenance,
    QubitCalibration,
    StoreError,
)
from qtargets.store import (
    CalibrationStore,
    Snapshot,
    content_hash,
    default_store_path,
)

from reference import snapshots

UTC = timezone.utc
T0 = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)


@pytest.fixture
def store(tmp_path: Path) -> Any:
    with CalibrationStore(tmp_path / "calibrations.sqlite3") as opened:
        yield opened


def _fez_at(taken_at: datetime | None) -> Calibration:
    return dataclasses.replace(qtargets.load_calibration("ibm_fez"), taken_at=taken_at)


# -- round trip ------------------------------------------------------------------------------


def test_real_ibm_and_ionq_calibrations_load_back_equal(store: CalibrationStore) -> None:
    fez = qtargets.load_calibration("ibm_fez")
    aria = qtargets.load_calibration("qpu.aria-1")
    fez_snap = store.save(fez, calibration_id="fez-2025-02-26")
    aria_snap = store.save(aria)

    assert store.load(fez_snap) == fez
    assert store.load(aria_snap) == aria
    assert (fez_snap.vendor, fez_snap.backend, fez_snap.taken_at) == ("ibm", "ibm_fez",
                                                                      fez.taken_at)
    assert fez_snap.calibration_id == "fez-2025-02-26"
    assert aria_snap.taken_at is None  # IonQ publishes no measurement date: allowed
    assert fez_snap.content_hash == content_hash(fez)
    assert store.backends() == [("ibm", "ibm_fez"), ("ionq", "qpu.aria-1")]


def test_snapshot_is_immutable(store: CalibrationStore) -> None:
    snap = store.save(_fez_at(T0))
    with pytest.raises(dataclasses.FrozenInstanceError):
        snap.backend = "other"  # type: ignore[misc]


def test_snapshots_survive_closing_and_reopening_the_file(tmp_path: Path) -> None:
    path = tmp_path / "calibrations.sqlite3"
    with CalibrationStore(path) as first:
        saved = first.save(_fez_at(T0), raw={"properties": b"{}"})
    with CalibrationStore(path) as second:
        assert second.latest("ibm_fez") == saved
        assert second.raw(saved) == {"properties": b"{}"}


def test_real_ibm_raw_bodies_round_trip_byte_for_byte(store: CalibrationStore) -> None:
    manila = next(s for s in snapshots() if s.id == "manila")
    raw = {"configuration": manila.conf_path.read_bytes(),
           "properties": manila.props_path.read_bytes()}
    cal = qtargets.ibm.to_calibration(raw["configuration"], raw["properties"])

    snap = store.save(cal, raw=raw)

    assert store.raw(snap) == raw
    assert store.load(snap) == cal


def test_a_snapshot_saved_without_raw_bodies_has_none(store: CalibrationStore) -> None:
    assert store.raw(store.save(_fez_at(T0))) == {}


def test_raw_bodies_must_be_bytes(store: CalibrationStore) -> None:
    with pytest.raises(TypeError, match="'properties' must be the body as bytes"):
        store.save(_fez_at(T0), raw={"properties": "{}"})  # type: ignore[dict-item]
    assert store.history("ibm_fez") == []


# -- deduplication ---------------------------------------------------------------------------


def test_saving_the_same_content_twice_stores_it_once(store: CalibrationStore) -> None:
    cal = _fez_at(T0)
    first = store.save(cal, raw={"properties": b"first"}, fetched_at=T0 + timedelta(hours=1))
    again = store.save(cal, raw={"properties": b"second"}, fetched_at=T0 + timedelta(hours=2))

    assert again == first  # the existing snapshot, with its original fetch time
    assert store.history("ibm_fez") == [first]
    assert store.raw(first) == {"properties": b"first"}


def test_refetching_an_unchanged_calibration_is_not_new_content(store: CalibrationStore) -> None:
    cal = _fez_at(T0)
    fetched_later = cal.with_provenance(
        dataclasses.replace(cal.provenance, retrieved_at=T0 + timedelta(days=1)))
    same_instant_other_offset = _fez_at(T0.astimezone(timezone(timedelta(hours=2))))

    first = store.save(cal)
    assert store.save(fetched_later) == first
    assert store.save(same_instant_other_offset) == first


def test_one_calibration_reached_by_two_urls_is_stored_once(store: CalibrationStore) -> None:
    # IonQ's /current and its listing serve the same characterization under two URLs
    cal = qtargets.load_calibration("qpu.aria-1")
    current = cal.with_provenance(Provenance("https://api.ionq.co/v0.3/.../current"))
    listed = cal.with_provenance(Provenance("https://api.ionq.co/v0.3/...?limit=10&page=1"))
    assert store.save(current) == store.save(listed)
    assert len(store.history("qpu.aria-1")) == 1


def test_a_changed_number_is_new_content(store: CalibrationStore) -> None:
    cal = _fez_at(T0)
    changed = dataclasses.replace(
        cal, qubits=(dataclasses.replace(cal.qubits[0], t1=1e-4), *cal.qubits[1:]))
    assert store.save(cal) != store.save(changed)
    assert len(store.history("ibm_fez")) == 2


# -- time queries ----------------------------------------------------------------------------


def test_history_is_oldest_first_whatever_the_save_order(store: CalibrationStore) -> None:
    times = [T0 + timedelta(hours=h) for h in (5, 1, 3)]
    for t in times:
        store.save(_fez_at(t))
    assert [s.taken_at for s in store.history("ibm_fez")] == sorted(times)


def test_history_bounds_are_inclusive(store: CalibrationStore) -> None:
    for h in range(5):
        store.save(_fez_at(T0 + timedelta(hours=h)))
    window = store.history("ibm_fez", since=T0 + timedelta(hours=1),
                           until=T0 + timedelta(hours=3))
    assert [s.taken_at for s in window] == [T0 + timedelta(hours=h) for h in (1, 2, 3)]
    assert store.history("ibm_fez", since=T0 + timedelta(hours=5)) == []


def test_undated_snapshots_come_first_and_are_outside_any_time_window(
    store: CalibrationStore,
) -> None:
    dated = store.save(_fez_at(T0))
    undated = store.save(_fez_at(None))
    assert store.history("ibm_fez") == [undated, dated]
    assert store.history("ibm_fez", until=T0) == [dated]


def test_latest_is_the_newest_taken_not_the_last_saved(store: CalibrationStore) -> None:
    newest = store.save(_fez_at(T0 + timedelta(days=1)))
    store.save(_fez_at(T0))
    store.save(_fez_at(None))
    assert store.latest("ibm_fez") == newest


def test_latest_of_a_backend_with_only_undated_snapshots_is_the_last_saved(
    store: CalibrationStore,
) -> None:
    aria = qtargets.load_calibration("qpu.aria-1")
    store.save(aria)
    second = store.save(dataclasses.replace(aria, backend_version="2"))
    assert store.latest("qpu.aria-1") == second


def test_latest_of_an_unknown_backend_is_none(store: CalibrationStore) -> None:
    store.save(_fez_at(T0))
    assert store.latest("ibm_nowhere") is None
    assert store.latest("ibm_fez", vendor="ionq") is None
    assert store.latest("ibm_fez", vendor="ibm") is not None


def test_at_returns_the_calibration_in_force_never_a_newer_one(store: CalibrationStore) -> None:
    first = store.save(_fez_at(T0))
    second = store.save(_fez_at(T0 + timedelta(hours=2)))
    one_microsecond = timedelta(microseconds=1)

    assert store.at("ibm_fez", T0) == first  # exactly at taken_at: that one
    assert store.at("ibm_fez", T0 + timedelta(hours=2) - one_microsecond) == first
    assert store.at("ibm_fez", T0 + timedelta(hours=2)) == second
    assert store.at("ibm_fez", T0 + timedelta(days=365)) == second
    assert store.at("ibm_fez", T0 - one_microsecond) is None  # before the first


def test_at_takes_a_naive_datetime_as_utc(store: CalibrationStore) -> None:
    snap = store.save(_fez_at(T0))
    naive = T0.replace(tzinfo=None)
    assert store.at("ibm_fez", naive) == snap
    assert store.at("ibm_fez", naive - timedelta(seconds=1)) is None


def test_at_compares_instants_across_offsets(store: CalibrationStore) -> None:
    snap = store.save(_fez_at(T0))
    an_hour_earlier_in_utc = T0.astimezone(timezone(timedelta(hours=-1)))
    assert store.at("ibm_fez", an_hour_earlier_in_utc) == snap
    assert store.at("ibm_fez", T0.replace(tzinfo=timezone(timedelta(hours=1)))) is None


def test_at_ignores_undated_snapshots(store: CalibrationStore) -> None:
    store.save(qtargets.load_calibration("qpu.aria-1"))
    assert store.at("qpu.aria-1", T0) is None


def test_fetched_at_defaults_to_the_provenance_retrieval_time_else_now(
    store: CalibrationStore,
) -> None:
    cal = _fez_at(T0)
    retrieved = cal.with_provenance(dataclasses.replace(cal.provenance, retrieved_at=T0))
    assert store.save(retrieved).fetched_at == T0

    before = datetime.now(UTC)
    fetched_now = store.save(_fez_at(T0 + timedelta(hours=1))).fetched_at
    assert before <= fetched_now <= datetime.now(UTC)

    naive = store.save(_fez_at(T0 + timedelta(hours=2)), fetched_at=T0.replace(tzinfo=None))
    assert naive.fetched_at == T0


# -- where the store lives -------------------------------------------------------------------


def test_default_path_is_in_the_user_cache_directory(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("QTARGETS_STORE", raising=False)
    expected = platformdirs.user_cache_path("qtargets") / "calibrations.sqlite3"
    assert default_store_path() == expected


def test_environment_variable_moves_the_store_and_parents_are_created(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    path = tmp_path / "deep" / "er" / "history.sqlite3"
    monkeypatch.setenv("QTARGETS_STORE", str(path))
    with CalibrationStore() as store:
        store.save(_fez_at(T0))
        assert store.path == path
    assert path.is_file()


def test_argument_wins_over_environment_variable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("QTARGETS_STORE", str(tmp_path / "from_env.sqlite3"))
    with CalibrationStore(tmp_path / "from_arg.sqlite3") as store:
        assert store.path == tmp_path / "from_arg.sqlite3"
    assert not (tmp_path / "from_env.sqlite3").exists()


def test_store_uses_write_ahead_logging(store: CalibrationStore) -> None:
    with sqlite3.connect(store.path) as db:
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


# -- errors ----------------------------------------------------------------------------------


def test_a_file_that_is_not_a_store_raises_store_error_naming_it(tmp_path: Path) -> None:
    path = tmp_path / "calibrations.sqlite3"
    path.write_bytes(b"this is not a database\n" * 200)
    with pytest.raises(StoreError, match=re.escape(str(path))) as caught:
        CalibrationStore(path)
    assert isinstance(caught.value, qtargets.QTargetsError)


def test_a_store_with_a_damaged_header_raises_store_error(tmp_path: Path) -> None:
    path = tmp_path / "calibrations.sqlite3"
    with CalibrationStore(path) as store:
        store.save(_fez_at(T0))
    with path.open("r+b") as f:
        f.write(b"\xff" * 100)  # the 100-byte SQLite header
    with pytest.raises(StoreError, match=re.escape(str(path))):
        CalibrationStore(path).latest("ibm_fez")


def test_a_store_written_by_a_newer_qtargets_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "calibrations.sqlite3"
    CalibrationStore(path).close()
    with sqlite3.connect(path) as db:
        db.execute("UPDATE schema_version SET version = 99")
    with pytest.raises(StoreError, match="schema version 99"):
        CalibrationStore(path)


def test_a_closed_store_refuses_to_work(tmp_path: Path) -> None:
    with CalibrationStore(tmp_path / "calibrations.sqlite3") as store:
        snap = store.save(_fez_at(T0))
    store.close()  # closing twice is harmless
    with pytest.raises(StoreError, match="closed"):
        store.load(snap)


def test_loading_a_snapshot_of_another_store_raises_store_error(tmp_path: Path) -> None:
    with CalibrationStore(tmp_path / "a.sqlite3") as a, \
            CalibrationStore(tmp_path / "b.sqlite3") as b:
        snap = a.save(_fez_at(T0))
        with pytest.raises(StoreError, match="no snapshot"):
            b.load(snap)


# -- HTTP validators -------------------------------------------------------------------------


def test_a_remembered_response_reads_back_with_its_validators(store: CalibrationStore) -> None:
    snap = store.save(_fez_at(T0))
    assert store.cached_response("GET https://x/properties") is None
    store.remember_response("GET https://x/properties", b'{"a": 1}', etag='"v1"',
                            last_modified="Sat, 01 Mar 2025 12:00:00 GMT",
                            snapshot_hash=snap.content_hash, checked_at=T0)
    cached = store.cached_response("GET https://x/properties")
    assert cached is not None
    assert (cached.body, cached.etag, cached.last_modified, cached.checked_at) == (
        b'{"a": 1}', '"v1"', "Sat, 01 Mar 2025 12:00:00 GMT", T0)
    assert store.by_hash(cached.snapshot_hash or "") == snap


def test_remembering_again_replaces_the_body_and_validators(store: CalibrationStore) -> None:
    store.remember_response("k", b"old", etag='"1"', last_modified=None)
    store.remember_response("k", b"new", etag=None, last_modified="Sun, 02 Mar 2025 00:00:00 GMT")
    cached = store.cached_response("k")
    assert cached is not None
    assert (cached.body, cached.etag, cached.snapshot_hash) == (b"new", None, None)
    assert store.by_hash("0" * 64) is None


def test_a_version_1_store_is_migrated_and_keeps_its_snapshots(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite3"
    with CalibrationStore(path) as store:
        snap = store.save(_fez_at(T0))
    with sqlite3.connect(path) as db:  # what qtargets 0.1 wrote: no http_cache table
        db.execute("DROP TABLE http_cache")
        db.execute("UPDATE schema_version SET version = 1")
    db.close()
    with CalibrationStore(path) as store:
        assert store.latest("ibm_fez") == snap
        store.remember_response("k", b"body", etag='"e"', last_modified=None)
        assert store.cached_response("k") is not None
    with sqlite3.connect(path) as db:
        assert db.execute("SELECT version FROM schema_version").fetchall() == [(2,)]
    db.close()


def test_the_example_in_docs_store_md_runs() -> None:
    docs = (Path(__file__).resolve().parent.parent / "docs" / "store.md").read_text("utf-8")
    example = re.search(r"```python\n(.*?)```", docs, re.S)
    assert example is not None
    exec(compile(example.group(1), "docs/store.md", "exec"), {})


# -- concurrency -----------------------------------------------------------------------------

WRITERS = 4
SNAPSHOTS_PER_WRITER = 100
VICTIM = WRITERS  # the writer index of the process that gets killed
VICTIM_PAYLOAD_BYTES = 1 << 20  # large, so the kill most likely lands inside a transaction


def _small_calibration(writer: int, i: int) -> Calibration:
    """A 5-qubit calibration whose every number follows from (writer, i)."""
    seed = writer * 1000 + i
    qubits = tuple(QubitCalibration(t1=1e-4 + seed * 1e-9 + q * 1e-6, t2=5e-5 + q * 1e-7,
                                    readout_error=0.01 + q * 1e-3) for q in range(5))
    sx = tuple(GateCalibration((q,), 1e-4 + seed * 1e-10, 3.2e-8) for q in range(5))
    cz = tuple(GateCalibration((q, q + 1), 3e-3 + seed * 1e-9, 6.8e-8) for q in range(4))
    return Calibration(
        vendor="ibm",
        backend_name="ibm_victim" if writer == VICTIM else "ibm_shared",
        num_qubits=5,
        qubits=qubits,
        instructions=(
            InstructionCalibration("sx", "gate", 1, qargs=sx),
            InstructionCalibration("cz", "gate", 2, qargs=cz),
            InstructionCalibration("measure", "measure", 1, num_clbits=1,
                                   qargs=tuple(GateCalibration((q,)) for q in range(5))),
        ),
        provenance=Provenance(source=f"writer {writer} #{i}"),
        taken_at=T0 + timedelta(minutes=seed),
    )


def _raw_body(writer: int, i: int) -> bytes:
    block = hashlib.sha256(f"{writer}/{i}".encode()).digest()
    if writer == VICTIM:
        return block * (VICTIM_PAYLOAD_BYTES // len(block))
    return block


def _writer_process(path: str, writer: int, start: Any, first_commit: Any) -> None:
    """Runs in a spawned process: write this writer's snapshots (the victim: forever)."""
    with CalibrationStore(path) as store:
        start.wait(timeout=60)  # all writers begin together
        i = 0
        while writer == VICTIM or i < SNAPSHOTS_PER_WRITER:
            store.save(_small_calibration(writer, i), raw={"body": _raw_body(writer, i)})
            first_commit.set()
            i += 1


def test_concurrent_writers_and_a_killed_one_leave_only_intact_snapshots(
    tmp_path: Path,
) -> None:
    path = str(tmp_path / "calibrations.sqlite3")
    CalibrationStore(path).close()
    ctx = multiprocessing.get_context("spawn")
    start = ctx.Barrier(WRITERS + 1)
    # Kept referenced here: Process.start() drops its args, and a collected Event's
    # semaphore would vanish before the spawned child opens it.
    committed = [ctx.Event() for _ in range(WRITERS + 1)]
    processes = [ctx.Process(target=_writer_process, args=(path, w, start, committed[w]),
                             daemon=True) for w in range(WRITERS)]
    victim = ctx.Process(target=_writer_process, args=(path, VICTIM, start, committed[VICTIM]),
                         daemon=True)
    try:
        for process in (*processes, victim):
            process.start()
        assert committed[VICTIM].wait(timeout=60), "the victim never committed a snapshot"
        time.sleep(random.uniform(0.05, 0.5))
        assert victim.pid is not None
        os.kill(victim.pid, signal.SIGKILL)
        victim.join(timeout=10)
        for process in processes:
            process.join(timeout=60)
    finally:
        for process in (*processes, victim):
            if process.is_alive():
                process.kill()
    assert victim.exitcode == -signal.SIGKILL
    assert [p.exitcode for p in processes] == [0] * WRITERS

    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        rows = db.execute("SELECT count(*) FROM snapshots").fetchone()[0]
        parts = db.execute("SELECT count(*) FROM raw_parts").fetchone()[0]

    with CalibrationStore(path) as store:
        shared = store.history("ibm_shared")
        killed = store.history("ibm_victim")
        found: dict[tuple[int, int], Snapshot] = {}
        for snap in (*shared, *killed):
            cal = store.load(snap)
            writer, i = (int(n) for n in cal.provenance.source[7:].split(" #"))
            assert cal == _small_calibration(writer, i)
            assert snap.content_hash == content_hash(cal)
            assert store.raw(snap) == {"body": _raw_body(writer, i)}
            found[writer, i] = snap
        assert store.backends() == [("ibm", "ibm_shared"), ("ibm", "ibm_victim")]

    every_regular_one = {(w, i) for w in range(WRITERS) for i in range(SNAPSHOTS_PER_WRITER)}
    assert {key for key in found if key[0] != VICTIM} == every_regular_one
    committed_by_victim = len(killed)
    assert committed_by_victim >= 1
    assert {i for w, i in found if w == VICTIM} == set(range(committed_by_victim))
    assert rows == parts == WRITERS * SNAPSHOTS_PER_WRITER + committed_by_victim
    assert [s.taken_at for s in shared] == sorted(s.taken_at for s in shared)  # type: ignore[type-var]


# -- whose file, who may read it, who may write it ---------------------------------------------


def test_a_new_store_its_directory_and_journal_files_are_the_owners_alone(
        tmp_path: Path) -> None:
    path = tmp_path / "fresh" / "dir" / "calibrations.sqlite3"
    with CalibrationStore(path) as store:
        store.save(_fez_at(T0))
        made = [path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")]
        for file in made:
            assert file.stat().st_mode & 0o777 == 0o600, file
        for directory in (path.parent, path.parent.parent):
            assert directory.stat().st_mode & 0o777 == 0o700, directory


def test_reading_never_creates_a_store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch
                                       ) -> None:
    path = tmp_path / "not" / "yet.sqlite3"
    monkeypatch.setenv("QTARGETS_STORE", str(path))
    assert qtargets.calibration("ibm_fez", live=False) == qtargets.load_calibration("ibm_fez")
    circuit = QuantumCircuit(2)
    circuit.cx(0, 1)
    qtargets.rank(circuit, live=False, optimization_level=0)
    with CalibrationStore(path, lazy=True) as lazy:
        assert lazy.latest("ibm_fez") is None
        assert lazy.backends() == []
    assert not path.exists()
    assert not path.parent.exists()
    with CalibrationStore(path, lazy=True) as lazy:
        lazy.save(_fez_at(T0))  # the first save creates it
    assert path.is_file()


def test_another_applications_database_is_refused_and_left_untouched(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "app.sqlite3"
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE users (name TEXT)")
        db.execute("INSERT INTO users VALUES ('ada')")
    db.close()
    before = path.read_bytes()
    with pytest.raises(StoreError, match="not a qtargets calibration store"):
        CalibrationStore(path)
    monkeypatch.setenv("QTARGETS_STORE", str(path))
    with pytest.warns(qtargets.QTargetsWarning, match="not a qtargets calibration store"):
        assert qtargets.calibration("ibm_fez", live=False).backend_name == "ibm_fez"
    assert path.read_bytes() == before
    assert not path.with_name("app.sqlite3-wal").exists()


@pytest.fixture
def read_only(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A store holding ibm_fez a month after the bundled snapshot, then made read-only: file
    0444 in a 0555 directory (and, for a process running as root, which permissions do not
    stop, said to be so)."""
    directory = tmp_path / "shared"
    path = directory / "calibrations.sqlite3"
    bundled = qtargets.load_calibration("ibm_fez")
    assert bundled.taken_at is not None
    with CalibrationStore(path) as store:
        store.save(dataclasses.replace(bundled, taken_at=bundled.taken_at + timedelta(days=30)))
    path.chmod(0o444)
    directory.chmod(0o555)
    monkeypatch.setattr("qtargets.store._may_write", lambda _: False)
    monkeypatch.setenv("QTARGETS_STORE", str(path))
    yield path
    directory.chmod(0o755)
    path.chmod(0o644)


def test_a_read_only_store_is_read(read_only: Path) -> None:
    bundled = qtargets.load_calibration("ibm_fez")
    assert bundled.taken_at is not None
    stored = qtargets.calibration("ibm_fez", live=False)
    assert stored.taken_at == bundled.taken_at + timedelta(days=30)  # not the bundled one
    with CalibrationStore(read_only) as store:
        assert store.read_only
        assert [s.taken_at for s in store.history("ibm_fez")] == [stored.taken_at]


def test_saving_into_a_read_only_store_is_skipped_with_one_warning(read_only: Path) -> None:
    before = read_only.read_bytes()
    with CalibrationStore(read_only) as store, warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        snapshot = store.save(_fez_at(T0))
        store.save(_fez_at(T0 + timedelta(days=1)))
        store.remember_response("k", b"{}", etag='"x"', last_modified=None)
        assert [str(w.message) for w in caught] == [
            f"calibration store {str(read_only)!r} is read-only here: what is fetched is used "
            "but not saved"]
        assert snapshot.id == 0  # not stored
        assert store.latest("ibm_fez") is not None
    assert read_only.read_bytes() == before
