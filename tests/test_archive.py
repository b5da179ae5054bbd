"""Calibration archives: stored calibrations and their raw bodies exported to one file and
imported into another store, equal, once each, verified before anything is written, and free
of credentials; a damaged, foreign or newer archive changes nothing."""

from __future__ import annotations

import dataclasses
import hashlib
import io
import json
import os
import re
import sqlite3
import stat
import struct
import warnings
import zipfile
from collections.abc import Callable, Iterator
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

import qtargets
from apiserver import CANARY, FakeVendorServer
from qtargets import ArchiveError, QTargetsWarning, UnknownBackendError
from qtargets.archive import (
    FORMAT,
    FORMAT_VERSION,
    export_archive,
    import_archive,
    read_archive,
)
from qtargets.bundled import bundled_history
from qtargets.cli import app
from qtargets.store import CalibrationStore, Snapshot, SnapshotData

from reference import snapshots

UTC = timezone.utc
USAGE_ERROR = 2
runner = CliRunner()


@pytest.fixture(scope="module")
def server() -> Iterator[FakeVendorServer]:
    with FakeVendorServer(ibm_backends=("fez",), ibm_history=2, ionq_history=2) as running:
        yield running


def _fill(store: CalibrationStore) -> None:
    """Real calibrations: the bundled history days of ibm_sherbrooke, a bundled IonQ one
    (undated), and IBM's real manila bodies with the calibration made from them."""
    for day in bundled_history("ibm_sherbrooke"):
        store.save(day, calibration_id=f"sherbrooke {day.taken_at}")
    store.save(qtargets.load_calibration("qpu.aria-1"))
    manila = next(s for s in snapshots() if s.id == "manila")
    raw = {"configuration": manila.conf_path.read_bytes(),
           "properties": manila.props_path.read_bytes()}
    store.save(qtargets.ibm.to_calibration(raw["configuration"], raw["properties"]), raw=raw)


@pytest.fixture
def source(tmp_path: Path) -> Iterator[CalibrationStore]:
    with CalibrationStore(tmp_path / "source.sqlite3") as opened:
        _fill(opened)
        yield opened


@pytest.fixture
def archive(source: CalibrationStore, tmp_path: Path) -> Path:
    path = tmp_path / "calibrations.zip"
    export_archive(path, store=source)
    return path


def contents(store: CalibrationStore) -> list[tuple[Snapshot, str, dict[str, bytes]]]:
    """Everything a store holds: each snapshot, its calibration JSON and raw bodies."""
    return [(s, store.load(s).to_json(), store.raw(s)) for s in store.snapshots()]


def same_content(a: CalibrationStore, b: CalibrationStore) -> None:
    """Equal calibrations with equal raw bodies, ids and fetch times (not equal row ids)."""
    def view(store: CalibrationStore) -> dict[str, Any]:
        return {s.content_hash: (store.load(s), store.raw(s), s.calibration_id, s.fetched_at,
                                 s.vendor, s.backend, s.taken_at) for s in store.snapshots()}
    assert view(a) == view(b)


def members(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as opened:
        return {name: opened.read(name) for name in opened.namelist()}


def write_zip(path: Path, content: dict[str, bytes]) -> None:
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as opened:
        for name, data in content.items():
            opened.writestr(name, data)


def manifest_of(content: dict[str, bytes]) -> dict[str, Any]:
    document: dict[str, Any] = json.loads(content["manifest.json"])
    return document


def with_manifest(content: dict[str, bytes], document: dict[str, Any]) -> dict[str, bytes]:
    return {**content, "manifest.json": json.dumps(document).encode()}


def rehashed(content: dict[str, bytes], member: str, data: bytes) -> dict[str, bytes]:
    """``member`` replaced by ``data``, the manifest's size and sha256 updated to match."""
    document = manifest_of(content)
    for entry in document["calibrations"]:
        for record in (entry["calibration"], *entry["raw"]):
            if record["member"] == member:
                record.update(size=len(data), sha256=hashlib.sha256(data).hexdigest())
    return with_manifest({**content, member: data}, document)


def first_calibration_member(content: dict[str, bytes]) -> str:
    return str(manifest_of(content)["calibrations"][0]["calibration"]["member"])


def first_raw_member(content: dict[str, bytes]) -> str:
    return next(record["member"] for entry in manifest_of(content)["calibrations"]
                for record in entry["raw"])


# -- round trip ------------------------------------------------------------------------------


def test_round_trip_gives_equal_calibrations_with_their_raw_bodies(
        source: CalibrationStore, archive: Path, tmp_path: Path) -> None:
    with CalibrationStore(tmp_path / "theirs.sqlite3") as theirs:
        summary = import_archive(archive, store=theirs)
        assert len(summary.stored) == 5
        assert summary.already_stored == []
        same_content(source, theirs)
        manila = next(s for s in theirs.snapshots() if s.backend == "ibmq_manila")
        assert set(theirs.raw(manila)) == {"configuration", "properties"}
        assert [theirs.load(s) for s in theirs.history("ibm_sherbrooke")] == list(
            bundled_history("ibm_sherbrooke"))
        (aria,) = theirs.history("qpu.aria-1")
        assert theirs.load(aria) == qtargets.load_calibration("qpu.aria-1")
        assert aria.taken_at is None


def test_live_fetched_calibrations_and_their_bodies_round_trip(
        online: FakeVendorServer, tmp_path: Path) -> None:
    with CalibrationStore(tmp_path / "live.sqlite3") as live_store:
        fez = qtargets.calibration("ibm_fez", store=live_store)
        aria = qtargets.calibration("qpu.aria-1", store=live_store)
        export_archive(tmp_path / "live.zip", store=live_store)
        with CalibrationStore(tmp_path / "theirs.sqlite3") as theirs:
            import_archive(tmp_path / "live.zip", store=theirs)
            same_content(live_store, theirs)
            for cal in (fez, aria):
                snapshot = theirs.latest(cal.backend_name)
                assert snapshot is not None
                assert theirs.load(snapshot) == cal
                assert theirs.raw(snapshot)  # the bodies the server sent
                assert theirs.raw(snapshot) == live_store.raw(
                    live_store.latest(cal.backend_name))  # type: ignore[arg-type]


def test_importing_twice_stores_nothing_new(archive: Path, tmp_path: Path) -> None:
    with CalibrationStore(tmp_path / "theirs.sqlite3") as theirs:
        import_archive(archive, store=theirs)
        before = contents(theirs)
        again = import_archive(archive, store=theirs)
        assert again.stored == []
        assert len(again.already_stored) == 5
        assert contents(theirs) == before


def test_a_store_holding_some_gets_only_the_rest_and_keeps_its_own(
        source: CalibrationStore, archive: Path, tmp_path: Path) -> None:
    oldest = bundled_history("ibm_sherbrooke")[0]
    with CalibrationStore(tmp_path / "theirs.sqlite3") as theirs:
        own = theirs.save(oldest, raw={"properties": b"their own body"}, calibration_id="own")
        summary = import_archive(archive, store=theirs)
        assert summary.already_stored == [own]
        assert len(summary.stored) == 4
        assert theirs.raw(own) == {"properties": b"their own body"}
        assert theirs.by_hash(own.content_hash) == own
        assert len(theirs.snapshots()) == 5


def test_export_chooses_devices_and_a_time_range(source: CalibrationStore,
                                                tmp_path: Path) -> None:
    summary = export_archive(tmp_path / "a.zip", store=source, backends=["ibm_sherbrooke"],
                             since=datetime(2024, 1, 1), until=datetime(2025, 12, 31))
    assert [e.taken_at.year for e in summary.entries if e.taken_at] == [2024, 2025]
    assert {e.backend for e in summary.entries} == {"ibm_sherbrooke"}
    everything = export_archive(tmp_path / "b.zip", store=source)
    assert [e.backend for e in everything.entries] == [
        "ibm_sherbrooke", "ibm_sherbrooke", "ibm_sherbrooke", "ibmq_manila", "qpu.aria-1"]
    with pytest.raises(UnknownBackendError, match="no stored calibration of 'ibm_nowhere'"):
        export_archive(tmp_path / "c.zip", store=source, backends=["ibm_nowhere"])
    with pytest.raises(UnknownBackendError, match="in that time range"):
        export_archive(tmp_path / "c.zip", store=source, backends=["ibm_sherbrooke"],
                       since=datetime(2030, 1, 1))
    assert not (tmp_path / "c.zip").exists()


def test_the_manifest_says_what_and_whose_every_member_is(archive: Path) -> None:
    content = members(archive)
    document = manifest_of(content)
    assert (document["format"], document["format_version"]) == (FORMAT, FORMAT_VERSION)
    assert document["qtargets_version"] == qtargets.__version__
    assert datetime.fromisoformat(document["created_at"]).tzinfo is not None
    listed = {"manifest.json"}
    for entry in document["calibrations"]:
        for record in (entry["calibration"], *entry["raw"]):
            data = content[record["member"]]
            assert record["sha256"] == hashlib.sha256(data).hexdigest()
            assert record["size"] == len(data)
            listed.add(record["member"])
        cal = qtargets.Calibration.from_json(content[entry["calibration"]["member"]])
        assert entry["content_hash"] == qtargets.store.content_hash(cal)
        assert (entry["vendor"], entry["device"]) == (cal.vendor, cal.backend_name)
    assert listed == set(content)
    read = read_archive(archive)
    assert [e.backend for e in read.entries] == [e["device"] for e in document["calibrations"]]


def test_the_archive_is_owner_only_and_no_temporary_file_is_left(
        source: CalibrationStore, tmp_path: Path) -> None:
    old_mask = os.umask(0o022)
    try:
        path = tmp_path / "out" / "deeper" / "archive.zip"
        summary = export_archive(path, store=source)
    finally:
        os.umask(old_mask)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert summary.size == path.stat().st_size
    assert [p.name for p in path.parent.iterdir()] == ["archive.zip"]
    path.chmod(0o644)
    export_archive(path, store=source)  # replaced: owner-only again
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_a_device_name_like_a_path_names_no_place_on_disk(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    evil = dataclasses.replace(qtargets.load_calibration("qpu.aria-1"),
                               backend_name="../../x")
    work = tmp_path / "a" / "b"
    work.mkdir(parents=True)
    monkeypatch.chdir(work)
    with CalibrationStore(tmp_path / "mine.sqlite3") as mine:
        mine.save(evil, raw={"../../../etc/passwd": b"{}"})
        export_archive(work / "evil.zip", store=mine)
    names = list(members(work / "evil.zip"))
    assert all(".." not in name and not name.startswith("/") for name in names), names
    before = sorted(p for p in tmp_path.rglob("*") if "theirs" not in p.name)
    with CalibrationStore(tmp_path / "theirs.sqlite3") as theirs:
        import_archive(work / "evil.zip", store=theirs)
        (snapshot,) = theirs.snapshots()
        assert theirs.load(snapshot) == evil
        assert theirs.raw(snapshot) == {"../../../etc/passwd": b"{}"}  # a name, not a path
    assert sorted(p for p in tmp_path.rglob("*") if "theirs" not in p.name) == before


# -- damaged, foreign, newer: a clear error, and the store unchanged -------------------------


def _store_state(path: Path) -> tuple[bytes, list[Any]]:
    with CalibrationStore(path) as store:
        held = contents(store)
    return path.read_bytes(), held


def _cut(fraction: float) -> Callable[[bytes], bytes]:
    return lambda data: data[: int(len(data) * fraction)]


def _local_data_offset(data: bytes, info: zipfile.ZipInfo) -> int:
    name_length, extra_length = struct.unpack("<HH", data[info.header_offset + 26:
                                                          info.header_offset + 30])
    return info.header_offset + 30 + name_length + extra_length


def _flip_in(pick: Callable[[dict[str, bytes]], str]) -> Callable[[bytes], bytes]:
    """A byte flipped in the middle of a member's compressed data."""
    def damage(data: bytes) -> bytes:
        with zipfile.ZipFile(io.BytesIO(data)) as opened:
            info = opened.getinfo(pick(members_of(data)))
        where = _local_data_offset(data, info) + info.compress_size // 2
        return data[:where] + bytes([data[where] ^ 0x5A]) + data[where + 1:]
    return damage


def _manifest_name(_: dict[str, bytes]) -> str:
    return "manifest.json"


def members_of(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as opened:
        return {name: opened.read(name) for name in opened.namelist()}


def _rezip(change: Callable[[dict[str, bytes]], dict[str, bytes]]
           ) -> Callable[[bytes], bytes]:
    def damage(data: bytes) -> bytes:
        buffer = io.BytesIO()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # zipfile warns of a duplicate name
            with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as opened:
                for name, content in change(members_of(data)).items():
                    for one in name.split("\0"):  # "a\0a": the same name twice
                        opened.writestr(one, content)
        return buffer.getvalue()
    return damage


def _declared_size(size: int) -> Callable[[bytes], bytes]:
    """Every central directory entry declares ``size`` bytes uncompressed (a zip bomb's
    header: nothing is inflated to find out)."""
    def damage(data: bytes) -> bytes:
        out = bytearray(data)
        for match in re.finditer(rb"PK\x01\x02", data):
            out[match.start() + 24: match.start() + 28] = struct.pack("<I", size)
        return bytes(out)
    return damage


def _without(pick: Callable[[dict[str, bytes]], str]) -> Callable[[bytes], bytes]:
    return _rezip(lambda c: {k: v for k, v in c.items() if k != pick(c)})


def _altered(content: dict[str, bytes]) -> dict[str, bytes]:
    member = first_raw_member(content)
    altered = content[member].replace(b"1", b"2", 1)
    assert altered != content[member]
    return {**content, member: altered}  # the zip's CRC redone: only the sha256 tells


def _newer(content: dict[str, bytes]) -> dict[str, bytes]:
    document = manifest_of(content)
    document["format_version"] = FORMAT_VERSION + 1
    document["qtargets_version"] = "99.0"
    return with_manifest(content, document)


def _other_calibration(content: dict[str, bytes]) -> dict[str, bytes]:
    member = first_calibration_member(content)
    document = json.loads(content[member])
    document["qubits"][0]["t1"] = 1.0  # valid, but not the calibration the manifest names
    return rehashed(content, member, json.dumps(document).encode())


def _invalid_calibration(content: dict[str, bytes]) -> dict[str, bytes]:
    member = first_calibration_member(content)
    document = json.loads(content[member])
    document["num_qubits"] = -3
    return rehashed(content, member, json.dumps(document).encode())


def _unsafe_name(content: dict[str, bytes]) -> dict[str, bytes]:
    member = first_raw_member(content)
    document = manifest_of(content)
    for entry in document["calibrations"]:
        for record in entry["raw"]:
            if record["member"] == member:
                record["member"] = "../../escaped"
    moved = {("../../escaped" if k == member else k): v for k, v in content.items()}
    return with_manifest(moved, document)


def _bad_manifest(key: str, value: Any) -> Callable[[dict[str, bytes]], dict[str, bytes]]:
    def change(content: dict[str, bytes]) -> dict[str, bytes]:
        document = manifest_of(content)
        document["calibrations"][0][key] = value
        return with_manifest(content, document)
    return change


DAMAGE: dict[str, tuple[Callable[[bytes], bytes], str, str]] = {
    # case: (damage, a fragment of the error, the member it names: "" the archive itself)
    "truncated to half": (_cut(0.5), "damaged", ""),
    "truncated by one byte": (_cut(1 - 1e-9), "damaged", ""),
    "cut to its first bytes": (lambda d: d[:10], "damaged", ""),
    "empty file": (lambda d: b"", "not a zip file", ""),
    "flipped byte in a calibration": (_flip_in(first_calibration_member), "damaged",
                                      "calibration.json"),
    "flipped byte in a raw body": (_flip_in(first_raw_member), "damaged", "/raw/"),
    "flipped byte in the manifest": (_flip_in(_manifest_name), "damaged", "manifest.json"),
    "raw body altered, zip rewritten": (_rezip(_altered), "sha256", "/raw/"),
    "missing raw body": (_without(first_raw_member), "missing from the archive", "/raw/"),
    "missing calibration": (_without(first_calibration_member), "missing",
                            "calibration.json"),
    "missing manifest": (_without(_manifest_name), "not a qtargets archive", ""),
    "newer format": (_rezip(_newer), "newer qtargets", "manifest.json"),
    "another calibration under the same hash": (_rezip(_other_calibration), "content hash",
                                                "calibration.json"),
    "invalid calibration": (_rezip(_invalid_calibration), "not a valid calibration",
                            "calibration.json"),
    "member named ../../": (_rezip(_unsafe_name), "not a plain member name", "manifest.json"),
    "member not in the manifest": (_rezip(lambda c: {**c, "extra.txt": b"hi"}),
                                   "not in the manifest", "extra.txt"),
    "member twice": (_rezip(lambda c: {**{k: v for k, v in c.items()
                                          if k != first_raw_member(c)},
                                       f"{first_raw_member(c)}\0{first_raw_member(c)}":
                                       c[first_raw_member(c)]}),
                     "two members of this name", "/raw/"),
    "manifest schema: device a number": (_rezip(_bad_manifest("device", 7)),
                                         "calibrations[0].device: expected str",
                                         "manifest.json"),
    "manifest schema: taken_at not a time": (_rezip(_bad_manifest("taken_at", "noon")),
                                             "not an ISO 8601 time", "manifest.json"),
    "zip bomb: huge declared sizes": (_declared_size(0xFFFF_FFF0), "refused unread", ""),
}


@pytest.mark.parametrize("case", list(DAMAGE))
def test_a_damaged_archive_is_an_error_naming_it_and_changes_nothing(
        case: str, archive: Path, tmp_path: Path) -> None:
    damage, fragment, member = DAMAGE[case]
    broken = tmp_path / "broken.zip"
    broken.write_bytes(damage(archive.read_bytes()))
    theirs = tmp_path / "theirs.sqlite3"
    with CalibrationStore(theirs) as store:
        store.save(bundled_history("ibm_sherbrooke")[0], raw={"properties": b"{}"})
    before = _store_state(theirs)

    with pytest.raises(ArchiveError) as raised:
        import_archive(broken, store=theirs)

    assert fragment in str(raised.value)
    assert str(broken) in str(raised.value)
    assert member in raised.value.member
    if member:
        assert repr(raised.value.member) in str(raised.value)
    assert _store_state(theirs) == before


@pytest.mark.parametrize(("content", "fragment"), [
    (b"just some text, no archive\n", "not a zip file"),
    (qtargets.load_calibration("qpu.aria-1").to_json().encode(), "not a zip file"),
    ("zip", "it has no manifest.json"),
    ("other manifest", "the manifest's format is 'something-else'"),
])
def test_a_foreign_file_is_not_taken_for_an_archive(content: bytes | str, fragment: str,
                                                    tmp_path: Path) -> None:
    path = tmp_path / "foreign.zip"
    if content == "zip":
        write_zip(path, {"hello.txt": b"hello"})
    elif content == "other manifest":
        write_zip(path, {"manifest.json": b'{"format": "something-else"}'})
    else:
        assert isinstance(content, bytes)
        path.write_bytes(content)
    with pytest.raises(ArchiveError, match=re.escape(fragment)):
        import_archive(path, store=tmp_path / "theirs.sqlite3")
    assert not (tmp_path / "theirs.sqlite3").exists()  # not even created


def test_a_zip_bomb_is_refused_before_it_is_inflated(tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("qtargets.archive.MAX_MEMBER_BYTES", 1 << 20)
    bomb = tmp_path / "bomb.zip"
    write_zip(bomb, {"manifest.json": b"{}", "zeros": bytes(8 << 20)})  # 8 MiB, 8 KiB zipped
    assert bomb.stat().st_size < 100_000
    with pytest.raises(ArchiveError, match=r"'zeros'.*declares 8388608 bytes.*refused unread"):
        read_archive(bomb)


def test_an_archive_is_read_in_memory_not_extracted(archive: Path, tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    before = sorted(tmp_path.rglob("*"))
    read_archive(archive)
    assert sorted(tmp_path.rglob("*")) == before


# -- credential-free -------------------------------------------------------------------------


def test_a_raw_body_holding_a_credential_or_auth_field_is_left_out_with_a_warning(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    key = CANARY + "-archive-" + "k" * 24
    monkeypatch.setenv("IONQ_API_KEY", key)
    aria = qtargets.load_calibration("qpu.aria-1")
    clean = b'{"qubits": 25}'
    source = tmp_path / "leaky.sqlite3"
    try:
        with CalibrationStore(source) as leaky:
            leaky.save(aria, raw={
                "characterization": clean,
                "echoed request": b'{"debug": {"request": "GET", "key": "' + key.encode()
                                  + b'"}}',
                "headers": json.dumps({"Authorization": "Bearer abcdefghijklmnopqrstuvwx"}
                                      ).encode(),
                "form": b"grant_type=x&apikey=abcdefghijklmnop",
            })
            with pytest.warns(QTargetsWarning) as shown:
                summary = export_archive(tmp_path / "clean.zip", store=leaky)
    finally:
        for leftover in tmp_path.glob("leaky.sqlite3*"):
            leftover.unlink()  # the canary may not stay on disk
    messages = [str(w.message) for w in shown]
    assert len(messages) == 3
    assert any("'echoed request'" in m and "$IONQ_API_KEY" in m for m in messages)
    assert any("'headers'" in m and "'Authorization'" in m for m in messages)
    assert any("'form'" in m and "apikey" in m for m in messages)
    assert all(key not in m for m in messages)
    data = (tmp_path / "clean.zip").read_bytes()
    assert CANARY.encode() not in data
    assert b"abcdefghijklmnop" not in b"".join(members(tmp_path / "clean.zip").values())
    assert summary.entries[0].raw_parts == ("characterization",)
    assert len(summary.left_out) == 3
    with CalibrationStore(tmp_path / "theirs.sqlite3") as theirs:
        imported = import_archive(tmp_path / "clean.zip", store=theirs)
        assert theirs.raw(imported.stored[0]) == {"characterization": clean}


def test_a_calibration_holding_a_credential_is_not_exported(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    key = CANARY + "-archive-" + "s" * 24
    monkeypatch.setenv("QISKIT_IBM_TOKEN", key)
    aria = qtargets.load_calibration("qpu.aria-1")
    leaky = aria.with_provenance(dataclasses.replace(
        aria.provenance, source=f"https://example.invalid/v0.3?token={key}"))
    source = tmp_path / "leaky.sqlite3"
    try:
        with CalibrationStore(source) as store:
            store.save(leaky)
            with pytest.raises(ArchiveError, match=re.escape("$QISKIT_IBM_TOKEN")) as raised:
                export_archive(tmp_path / "leak.zip", store=store)
    finally:
        for leftover in tmp_path.glob("leaky.sqlite3*"):
            leftover.unlink()
    assert key not in str(raised.value)
    assert list(tmp_path.iterdir()) == []  # no archive, no temporary file


def test_real_bodies_hold_no_auth_field_and_are_kept(source: CalibrationStore,
                                                    tmp_path: Path) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        summary = export_archive(tmp_path / "a.zip", store=source)
    assert summary.left_out == ()
    (manila,) = [e for e in summary.entries if e.backend == "ibmq_manila"]
    assert manila.raw_parts == ("configuration", "properties")


# -- the command line ------------------------------------------------------------------------


def test_cli_export_then_import_into_another_store(tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    with CalibrationStore() as mine:  # the default store (QTARGETS_STORE, per test)
        _fill(mine)
    out = tmp_path / "days.zip"
    exported = runner.invoke(app, ["export", "--archive", str(out), "ibm_sherbrooke",
                                   "--since", "2024-01-01"])
    assert exported.exit_code == 0, exported.output
    assert exported.stdout.splitlines() == [
        "ibm_sherbrooke 2024-05-27T18:19:05+00:00",
        "ibm_sherbrooke 2025-02-26T19:43:10+00:00",
        f"2 calibrations -> {out}",
    ]
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    everything = tmp_path / "all.zip"
    assert runner.invoke(app, ["export", "--archive", str(everything)]).exit_code == 0

    monkeypatch.setenv("QTARGETS_STORE", str(tmp_path / "theirs.sqlite3"))
    imported = runner.invoke(app, ["import", str(out)])
    assert imported.exit_code == 0, imported.output
    assert imported.stdout.splitlines() == [
        f"{out}: ibm_sherbrooke 2024-05-27T18:19:05+00:00 stored",
        f"{out}: ibm_sherbrooke 2025-02-26T19:43:10+00:00 stored",
    ]
    rows = json.loads(runner.invoke(app, ["import", str(everything), "--json"]).stdout)
    assert [(r["device"], r["stored"]) for r in rows] == [
        ("ibm_sherbrooke", True),  # 2023: not in days.zip
        ("ibm_sherbrooke", False), ("ibm_sherbrooke", False), ("ibmq_manila", True),
        ("qpu.aria-1", True)]
    with CalibrationStore() as theirs:
        manila = theirs.latest("ibmq_manila")
        assert manila is not None
        assert set(theirs.raw(manila)) == {"configuration", "properties"}


def test_cli_import_tells_an_archive_by_its_content_not_its_name(
        source: CalibrationStore, tmp_path: Path) -> None:
    named_oddly = tmp_path / "calibrations.dat"
    export_archive(named_oddly, store=source, backends=["qpu.aria-1"])
    result = runner.invoke(app, ["import", str(named_oddly)])
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == f"{named_oddly}: qpu.aria-1 time unknown stored"


def test_cli_a_damaged_archive_is_one_red_line_and_imports_nothing(
        archive: Path, tmp_path: Path) -> None:
    broken = tmp_path / "broken.zip"
    broken.write_bytes(_rezip(_altered)(archive.read_bytes()))
    good = tmp_path / "aria.json"
    good.write_text(qtargets.load_calibration("qpu.aria-1").to_json())
    result = runner.invoke(app, ["import", str(good), str(broken)])
    assert result.exit_code == USAGE_ERROR
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: archive ")
    assert "sha256" in lines[0]
    with CalibrationStore(lazy=True) as store:
        assert store.backends() == []


@pytest.mark.parametrize(("args", "fragment"), [
    (["export", "--archive", "{tmp}/a.zip", "ibm_fez@2025-01-01"], "--since and --until"),
    (["export", "--archive", "{tmp}/a.zip", "--out", "{tmp}/b.json"], "not both"),
    (["export", "ibm_fez", "--since", "2025-01-01"], "of an --archive"),
    (["export", "ibm_fez", "ibm_torino"], "give one DEVICE"),
    (["export"], "give one DEVICE"),
    (["export", "--archive", "{tmp}/a.zip", "ibm_nowhere"], "no stored calibration"),
    (["export", "--archive", "{tmp}/a.zip"], "nothing to export"),
    (["export", "--archive", "{tmp}", "ibm_fez"], "is a directory"),
])
def test_cli_export_usage_errors_are_one_red_line(args: list[str], fragment: str,
                                                  tmp_path: Path) -> None:
    result = runner.invoke(app, [a.format(tmp=tmp_path) for a in args])
    assert result.exit_code == USAGE_ERROR, result.output
    assert fragment in result.stderr
    assert not (tmp_path / "a.zip").exists()


def test_cli_export_of_one_calibration_as_json_still_works(tmp_path: Path) -> None:
    result = runner.invoke(app, ["export", "qpu.aria-1", "--offline"])
    assert result.exit_code == 0, result.output
    assert qtargets.Calibration.from_json(result.stdout) == qtargets.load_calibration(
        "qpu.aria-1")


def test_the_example_in_docs_archives_md_runs(capsys: pytest.CaptureFixture[str]) -> None:
    docs = (Path(__file__).resolve().parent.parent / "docs" / "archives.md").read_text("utf-8")
    example = re.search(r"```python\n(.*?)```", docs, re.S)
    assert example is not None
    exec(compile(example.group(1), "docs/archives.md", "exec"), {})
    assert capsys.readouterr().out.splitlines() == ["['2024-05-27', '2025-02-26']", "1 1"]


# -- the store's side: many in one transaction, every snapshot -------------------------------


def test_save_many_saves_all_in_one_transaction_or_nothing(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    days = bundled_history("ibm_sherbrooke")
    with CalibrationStore(tmp_path / "s.sqlite3") as store:
        with pytest.raises(TypeError, match="must be the body as bytes"):
            store.save_many([SnapshotData(days[0]),
                             SnapshotData(days[1], {"properties": "text"})])  # type: ignore[dict-item]
        calls = {"n": 0}
        insert = qtargets.store._insert

        def failing(*args: Any) -> Any:
            calls["n"] += 1
            if calls["n"] == 3:
                raise sqlite3.OperationalError("disk I/O error")
            return insert(*args)

        monkeypatch.setattr("qtargets.store._insert", failing)
        with pytest.raises(qtargets.StoreError, match="disk I/O error"):
            store.save_many(SnapshotData(day) for day in days)
        monkeypatch.undo()
        assert store.snapshots() == []  # the two inserted before the failure rolled back

        saved = store.save_many([SnapshotData(days[0], {"p": b"1"}, "id-0"),
                                 SnapshotData(days[1]), SnapshotData(days[0], {"p": b"2"})])
        assert [new for _, new in saved] == [True, True, False]
        assert saved[2][0] == saved[0][0]  # the same content earlier in the batch
        assert store.raw(saved[0][0]) == {"p": b"1"}
        assert saved[0][0].calibration_id == "id-0"


def test_save_many_into_a_read_only_store_is_an_error_not_a_warning(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "s.sqlite3"
    CalibrationStore(path).close()
    monkeypatch.setattr("qtargets.store._may_write", lambda _: False)
    with CalibrationStore(path) as store, warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(qtargets.StoreError, match="read-only here: nothing was saved"):
            store.save_many([SnapshotData(bundled_history("ibm_torino")[0])])
        assert store.snapshots() == []


def test_snapshots_lists_every_backend_within_bounds(source: CalibrationStore) -> None:
    every = source.snapshots()
    assert [(s.backend, s.taken_at.year if s.taken_at else None) for s in every] == [
        ("ibm_sherbrooke", 2023), ("ibm_sherbrooke", 2024), ("ibm_sherbrooke", 2025),
        ("ibmq_manila", 2024), ("qpu.aria-1", None)]
    bounded = source.snapshots(since=datetime(2024, 1, 1, tzinfo=UTC),
                               until=datetime(2024, 12, 31, tzinfo=UTC))
    assert [(s.backend, s.taken_at.year if s.taken_at else None) for s in bounded] == [
        ("ibm_sherbrooke", 2024), ("ibmq_manila", 2024)]
