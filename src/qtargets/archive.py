"""Calibration archives: stored calibrations, with the raw vendor bodies they came from, in
one file to share, and back into another store, verified and deduplicated.

>>> import tempfile, qtargets
>>> from qtargets.archive import export_archive, import_archive
>>> from qtargets.store import CalibrationStore
>>> folder = tempfile.mkdtemp()
>>> with CalibrationStore(folder + "/mine.sqlite3") as mine:
...     _ = mine.save(qtargets.load_calibration("ibm_fez"), raw={"properties": b"{}"})
...     written = export_archive(folder + "/fez.zip", store=mine)
>>> with CalibrationStore(folder + "/theirs.sqlite3") as theirs:
...     [stored for _, stored in import_archive(folder + "/fez.zip", store=theirs).results]
[True]

An archive is a zip file (standard library only, deflate) holding ``manifest.json`` and, per
calibration, ``calibrations/NNNN-DEVICE-TIME/calibration.json`` (``Calibration.to_json()``)
and its raw bodies under ``.../raw/``. The manifest says the format (``qtargets-archive``)
and its version, the qtargets that wrote it and when, and per calibration its vendor,
device, ``taken_at``, the vendor's calibration id, when it was first fetched, its content
hash (:func:`qtargets.store.content_hash`) and each member's name, size and sha256.

Reading never extracts anything: members are read into memory, looked up through the
manifest, and their names must be plain (letters, digits, ``.``, ``-``, ``_``; no ``..``),
so a device named ``../../x`` names no place on disk. Every declared size is checked against
a cap before anything is decompressed (a zip bomb is refused, not inflated), then every
member's sha256, the manifest's schema and version, and every calibration, re-validated and
re-hashed; only then is anything saved, in one transaction. A damaged, foreign or newer
archive is an :class:`~qtargets.ArchiveError` naming the member, and the store is unchanged.

Credential-free: a calibration's raw bodies are API response bodies, but before one goes into
an archive it is searched for the credentials configured in the environment (any variable
whose name says key, token, secret, password or credential) and for authentication fields
(``Authorization``, ``apikey``, ``access_token``...); a body holding either is left out, with
a warning. A calibration or manifest holding a credential refuses the export.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import secrets as _random
import struct
import zipfile
import zlib
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import IO, Any

from ._exceptions import ArchiveError, CalibrationError, UnknownBackendError, warn
from ._secret import MIN_KEY_LENGTH, Secret
from ._version import __version__
from .model import Calibration
from .store import CalibrationStore, Snapshot, SnapshotData, content_hash

__all__ = [
    "FORMAT",
    "FORMAT_VERSION",
    "MAX_MEMBER_BYTES",
    "MAX_TOTAL_BYTES",
    "Archive",
    "ArchiveEntry",
    "ExportSummary",
    "ImportSummary",
    "export_archive",
    "import_archive",
    "is_archive",
    "read_archive",
]

FORMAT = "qtargets-archive"
"""The manifest's ``format``: what tells a qtargets archive from any other zip file."""
FORMAT_VERSION = 1
"""The manifest layout written; an archive of a higher version is refused (upgrade)."""
MANIFEST = "manifest.json"
MAX_MEMBER_BYTES = 256 * 2**20
"""Largest member read (uncompressed): a 156-qubit IBM properties body is ~1.5 MB."""
MAX_TOTAL_BYTES = 2 * 2**30
"""Largest archive content read (uncompressed, all members): an import holds it in memory."""
MAX_MEMBERS = 200_000
_MAX_MANIFEST_BYTES = 64 * 2**20

StoreArg = CalibrationStore | str | os.PathLike[str] | None
"""A store, or the path of one (``None``: the default store)."""

_ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06")  # a member first; an empty archive
_SAFE_MEMBER = re.compile(r"[A-Za-z0-9_-][A-Za-z0-9._-]*(?:/[A-Za-z0-9_-][A-Za-z0-9._-]*)*")
_ZIP_ERRORS = (zipfile.BadZipFile, zlib.error, EOFError, OSError, NotImplementedError,
               RuntimeError, ValueError, struct.error)
_HEX64 = re.compile(r"[0-9a-f]{64}")

# -- credentials -----------------------------------------------------------------------------

_CREDENTIAL_VARIABLE = re.compile(r"KEY|TOKEN|SECRET|PASSWORD|PASSWD|CREDENTIAL", re.I)
# JSON field names of authentication material, lower case without separators
_AUTH_FIELDS = frozenset({
    "authorization", "proxyauthorization", "apikey", "xapikey", "apitoken", "accesstoken",
    "refreshtoken", "idtoken", "token", "authtoken", "bearertoken", "sessiontoken",
    "securitytoken", "secretaccesskey", "awssecretaccesskey", "clientsecret", "password",
    "passwd", "secret", "cookie", "setcookie", "privatekey",
})
# the same in a body that is not JSON (a header block, a form, key = value lines)
_AUTH_TEXT = re.compile(
    rb"(?im)(?:^|[\s&?;,])(authorization|proxy-authorization|x-api-key|api[-_]?key|"
    rb"access[-_]?token|refresh[-_]?token|cookie|password)\s*[:=]\s*\S"
    rb"|\b(bearer)\s+[A-Za-z0-9._~+/=-]{16,}")


def _configured_credentials(extra: Iterable[str]) -> list[tuple[str, Secret]]:
    """(where it is set, value) of every credential to keep out of an archive: environment
    variables named like one (values too short to be a key are not), and ``extra``."""
    found = [(f"${name}", Secret(value.strip())) for name, value in sorted(os.environ.items())
             if _CREDENTIAL_VARIABLE.search(name) and len(value.strip()) >= MIN_KEY_LENGTH]
    found += [("a credential given", Secret(value)) for value in extra if value]
    return found


def _credential_in(data: bytes, credentials: Sequence[tuple[str, Secret]]) -> str | None:
    """Where the credential ``data`` holds is set, if it holds one (never the value)."""
    return next((where for where, value in credentials if value.encode() in data), None)


def _auth_field(body: bytes) -> str | None:
    """The name of an authentication field ``body`` holds, if any."""
    try:
        document = json.loads(body)
    except (ValueError, RecursionError):
        match = _AUTH_TEXT.search(body)
        return None if match is None else (match[1] or match[2]).decode("ascii")
    todo: list[Any] = [document]
    while todo:
        node = todo.pop()
        if isinstance(node, dict):
            for key, value in node.items():
                if (re.sub(r"[^a-z]", "", key.lower()) in _AUTH_FIELDS
                        and isinstance(value, str) and value.strip()):
                    return str(key)[:40]
                todo.append(value)
        elif isinstance(node, list):
            todo.extend(node)
    return None


# -- what the functions return ---------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ArchiveEntry:
    """One calibration as an archive's manifest lists it."""

    vendor: str
    backend: str
    taken_at: datetime | None
    content_hash: str
    calibration_id: str | None
    fetched_at: datetime | None
    raw_parts: tuple[str, ...]
    """Names of the raw bodies archived with it."""


@dataclass(frozen=True, slots=True)
class ExportSummary:
    """What :func:`export_archive` wrote."""

    path: Path
    entries: tuple[ArchiveEntry, ...]
    left_out: tuple[str, ...]
    """Raw bodies left out (each also a warning): ``"DEVICE TIME part NAME: why"``."""
    size: int
    """Bytes written."""


@dataclass(frozen=True, slots=True)
class Archive:
    """An archive read and verified by :func:`read_archive`, everything in memory."""

    path: Path
    format_version: int
    qtargets_version: str
    """The qtargets that wrote it."""
    created_at: datetime
    entries: tuple[ArchiveEntry, ...]
    calibrations: tuple[SnapshotData, ...]
    """In the manifest's order: what :meth:`CalibrationStore.save_many` takes."""


@dataclass(frozen=True, slots=True)
class ImportSummary:
    """What :func:`import_archive` did: per calibration, its snapshot in the store and
    whether it was stored now (``False``: already there)."""

    path: Path
    results: tuple[tuple[Snapshot, bool], ...]

    @property
    def stored(self) -> list[Snapshot]:
        """The calibrations stored by this import."""
        return [snapshot for snapshot, new in self.results if new]

    @property
    def already_stored(self) -> list[Snapshot]:
        """The calibrations the store held already (nothing written for them)."""
        return [snapshot for snapshot, new in self.results if not new]


# -- export ----------------------------------------------------------------------------------


@contextmanager
def _opened(store: StoreArg, *, lazy: bool) -> Iterator[CalibrationStore]:
    if isinstance(store, CalibrationStore):
        yield store
        return
    with CalibrationStore(store, lazy=lazy) as opened:
        yield opened


def _selected(store: CalibrationStore, backends: Iterable[str] | None,
              since: datetime | None, until: datetime | None) -> list[Snapshot]:
    if backends is None:
        return store.snapshots(since, until)
    chosen: list[Snapshot] = []
    for name in dict.fromkeys(backends):
        found = store.history(name, since, until)
        if not found:
            within = "" if since is None and until is None else " in that time range"
            raise UnknownBackendError(
                f"no stored calibration of {name!r}{within} in {str(store.path)!r} (qtargets "
                f"fetch or history stores them; `qtargets list --offline` shows what is)")
        chosen += found
    return chosen


def _member_stem(index: int, calibration: Calibration) -> str:
    """A directory name made from data: plain characters only, unique by its index."""
    taken = calibration.taken_at
    when = "undated" if taken is None else (
        taken.astimezone(timezone.utc).strftime("%Y%m%dT%H%M%SZ"))
    return f"calibrations/{index:04d}-{_plain(calibration.backend_name)}-{when}"


def _plain(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "_", text).strip("._-")[:60] or "x"


def _time(when: datetime | None) -> str | None:
    return None if when is None else when.astimezone(timezone.utc).isoformat()


def _label(snapshot: Snapshot) -> str:
    taken = _time(snapshot.taken_at) or "time unknown"
    return f"{snapshot.backend} {taken}"


class _ZipWriter:
    """A zip written to a temporary owner-only file beside ``path``, moved onto it only when
    complete (:meth:`commit`): a failed export leaves no partial archive."""

    def __init__(self, path: Path, created: datetime) -> None:
        self.path = path
        self._temporary = path.with_name(f".{path.name}.{_random.token_hex(6)}.tmp")
        t = max(created, datetime(1980, 1, 1, tzinfo=timezone.utc)).timetuple()
        self._stamp = (t.tm_year, t.tm_mon, t.tm_mday, t.tm_hour, t.tm_min, t.tm_sec)
        path.parent.mkdir(parents=True, exist_ok=True)
        descriptor = os.open(self._temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        self._file: IO[bytes] = os.fdopen(descriptor, "wb")
        self._zip = zipfile.ZipFile(self._file, "w", compression=zipfile.ZIP_DEFLATED)

    def add(self, name: str, data: bytes) -> dict[str, Any]:
        """Write a member; its manifest record."""
        info = zipfile.ZipInfo(name, date_time=self._stamp)
        info.compress_type = zipfile.ZIP_DEFLATED
        info.external_attr = 0o600 << 16
        self._zip.writestr(info, data)
        return {"member": name, "size": len(data), "sha256": hashlib.sha256(data).hexdigest()}

    def commit(self) -> int:
        self._zip.close()
        self._file.flush()
        os.fsync(self._file.fileno())
        self._file.close()
        os.chmod(self._temporary, 0o600)  # whatever the umask
        os.replace(self._temporary, self.path)
        return self.path.stat().st_size

    def discard(self) -> None:
        self._zip.close()
        self._file.close()
        self._temporary.unlink(missing_ok=True)


def export_archive(
    path: str | os.PathLike[str],
    *,
    store: StoreArg = None,
    backends: Iterable[str] | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    credentials: Iterable[str] = (),
) -> ExportSummary:
    """Write stored calibrations, with their raw bodies, to the archive file ``path``
    (replaced if it exists; readable by its owner only; missing directories are created).

    ``backends``: the devices to export (each must have a stored calibration in the range),
    default every stored one; ``since``/``until`` (inclusive, naive = UTC) bound their
    ``taken_at`` (an undated calibration is then left out), as
    :meth:`CalibrationStore.history` does. ``credentials``: more values to keep out, besides
    those configured in the environment. A raw body holding a credential or an
    authentication field is left out with a warning; a calibration holding a credential is an
    :class:`~qtargets.ArchiveError`, and nothing is written.
    """
    target = Path(path).expanduser()
    created = datetime.now(timezone.utc)
    keys = _configured_credentials(credentials)
    entries: list[ArchiveEntry] = []
    records: list[dict[str, Any]] = []
    left_out: list[str] = []
    shown = str(target)
    with _opened(store, lazy=True) as opened:
        chosen = _selected(opened, backends, since, until)
        try:
            writer = _ZipWriter(target, created)
        except OSError as exc:
            raise ArchiveError(f"cannot write archive {shown!r}: {exc.strerror or exc}",
                               path=shown) from None
        try:
            for index, snapshot in enumerate(chosen, start=1):
                calibration = opened.load(snapshot)
                stem = _member_stem(index, calibration)
                text = calibration.to_json().encode()
                where = _credential_in(text, keys)
                if where is not None:
                    raise ArchiveError(
                        f"{_label(snapshot)}: the calibration holds the credential in "
                        f"{where}; nothing was exported", path=shown,
                        member=f"{stem}/calibration.json")
                record: dict[str, Any] = {
                    "vendor": snapshot.vendor, "device": snapshot.backend,
                    "taken_at": _time(snapshot.taken_at),
                    "calibration_id": snapshot.calibration_id,
                    "fetched_at": _time(snapshot.fetched_at),
                    "content_hash": snapshot.content_hash,
                    "calibration": writer.add(f"{stem}/calibration.json", text),
                    "raw": [],
                }
                for part, (name, body) in enumerate(sorted(opened.raw(snapshot).items()),
                                                    start=1):
                    why = _credential_in(body, keys)
                    reason = (f"it holds the credential in {why}" if why is not None else
                              None if (field := _auth_field(body)) is None else
                              f"it holds an authentication field ({field!r})")
                    if reason is not None:
                        left_out.append(f"{_label(snapshot)} part {name!r}: {reason}")
                        warn(f"{_label(snapshot)}: raw part {name!r} left out of the archive: "
                             f"{reason}")
                        continue
                    added = writer.add(f"{stem}/raw/{part:02d}-{_plain(name)}", body)
                    record["raw"].append({"name": name, **added})
                records.append(record)
                entries.append(ArchiveEntry(
                    snapshot.vendor, snapshot.backend, snapshot.taken_at,
                    snapshot.content_hash, snapshot.calibration_id, snapshot.fetched_at,
                    tuple(r["name"] for r in record["raw"])))
            manifest = json.dumps({
                "format": FORMAT, "format_version": FORMAT_VERSION,
                "qtargets_version": __version__, "created_at": _time(created),
                "calibrations": records,
            }, indent=1, ensure_ascii=False).encode()
            where = _credential_in(manifest, keys)
            if where is not None:  # a calibration id or part name holding one
                raise ArchiveError(f"the manifest would hold the credential in {where}; "
                                   "nothing was exported", path=shown, member=MANIFEST)
            writer.add(MANIFEST, manifest)
            size = writer.commit()
        except OSError as exc:
            writer.discard()
            raise ArchiveError(f"cannot write archive {shown!r}: {exc.strerror or exc}",
                               path=shown) from None
        except BaseException:
            writer.discard()
            raise
    return ExportSummary(target, tuple(entries), tuple(left_out), size)


# -- import ----------------------------------------------------------------------------------


def is_archive(data: bytes) -> bool:
    """Whether ``data`` (a file's first bytes will do) starts like a zip file: what a
    calibration archive is, told by content, not by the file's name."""
    return data[:4] in _ZIP_MAGIC


class _Reader:
    """Checks an open zip file against its manifest; every failure an ArchiveError naming
    the archive and the member."""

    def __init__(self, archive: zipfile.ZipFile, shown: str) -> None:
        self.zip = archive
        self.shown = shown
        self.infos: dict[str, zipfile.ZipInfo] = {}

    def fail(self, problem: str, member: str = "") -> ArchiveError:
        where = f"{self.shown!r}, member {member!r}" if member else repr(self.shown)
        return ArchiveError(f"archive {where}: {problem}", path=self.shown, member=member)

    def check_members(self) -> None:
        """Names unique, sizes within the caps: before anything is decompressed."""
        infos = self.zip.infolist()
        if len(infos) > MAX_MEMBERS:
            raise self.fail(f"{len(infos)} members, more than the {MAX_MEMBERS} allowed")
        total = 0
        for info in infos:
            if info.filename in self.infos:
                raise self.fail("the archive holds two members of this name", info.filename)
            self.infos[info.filename] = info
            if info.file_size > MAX_MEMBER_BYTES:
                raise self.fail(f"declares {info.file_size} bytes uncompressed, more than the "
                                f"{MAX_MEMBER_BYTES} allowed (refused unread)", info.filename)
            total += info.file_size
        if total > MAX_TOTAL_BYTES:
            raise self.fail(f"declares {total} bytes uncompressed in all, more than the "
                            f"{MAX_TOTAL_BYTES} allowed (refused unread)")
        if MANIFEST not in self.infos:
            raise self.fail(f"not a qtargets archive: it has no {MANIFEST}")

    def read(self, name: str, limit: int | None = None) -> bytes:
        limit = MAX_MEMBER_BYTES if limit is None else limit
        info = self.infos.get(name)
        if info is None:
            raise self.fail("listed in the manifest but missing from the archive", name)
        if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            raise self.fail(f"compression method {info.compress_type} (qtargets writes "
                            "deflate)", name)
        if info.file_size > limit:
            raise self.fail(f"declares {info.file_size} bytes, more than the {limit} "
                            "allowed (refused unread)", name)
        try:
            with self.zip.open(info) as member:
                data = member.read(limit + 1)
        except _ZIP_ERRORS as exc:
            raise self.fail(f"damaged ({exc})", name) from None
        if len(data) != info.file_size:
            raise self.fail(f"damaged: {len(data)} bytes, {info.file_size} declared", name)
        return data

    def manifest(self) -> dict[str, Any]:
        try:
            document = json.loads(self.read(MANIFEST, _MAX_MANIFEST_BYTES))
        except (ValueError, RecursionError) as exc:
            raise self.fail(f"not JSON ({exc})", MANIFEST) from None
        if not isinstance(document, dict) or document.get("format") != FORMAT:
            found = document.get("format") if isinstance(document, dict) else None
            raise self.fail(f"not a qtargets archive: the manifest's format is {found!r}, "
                            f"not {FORMAT!r}", MANIFEST)
        version = document.get("format_version")
        if type(version) is not int or version < 1:
            raise self.fail(f"format_version: expected a positive integer, got {version!r}",
                            MANIFEST)
        if version > FORMAT_VERSION:
            raise self.fail(
                f"written by a newer qtargets ({document.get('qtargets_version')!r}, format "
                f"version {version}); this qtargets ({__version__}) reads version "
                f"{FORMAT_VERSION}: upgrade qtargets", MANIFEST)
        return document


def _field(reader: _Reader, record: Mapping[str, Any], where: str, name: str,
           kind: type | tuple[type, ...], *, optional: bool = False) -> Any:
    """A manifest field of the expected type, else an ArchiveError naming its path."""
    value = record.get(name)
    if (value is None and optional) or (isinstance(value, kind) and type(value) is not bool):
        return value
    expected = kind.__name__ if isinstance(kind, type) else " or ".join(
        k.__name__ for k in kind)
    raise reader.fail(f"{where}.{name}: expected {expected}"
                      f"{' or null' if optional else ''}, got {value!r:.80}", MANIFEST)


def _when(reader: _Reader, record: Mapping[str, Any], where: str, name: str,
          *, optional: bool = True) -> datetime | None:
    text = _field(reader, record, where, name, str, optional=optional)
    if text is None:
        return None
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        raise reader.fail(f"{where}.{name}: not an ISO 8601 time, got {text!r:.80}",
                          MANIFEST) from None
    if parsed.tzinfo is None:
        raise reader.fail(f"{where}.{name}: a time without its UTC offset, {text!r:.80}",
                          MANIFEST)
    return parsed.astimezone(timezone.utc)


def _member(reader: _Reader, record: Any, where: str, listed: set[str]) -> bytes:
    """A member the manifest lists (``record``: its member, size, sha256), read and checked."""
    if not isinstance(record, dict):
        raise reader.fail(f"{where}: expected an object, got {record!r:.80}", MANIFEST)
    name = _field(reader, record, where, "member", str)
    size = _field(reader, record, where, "size", int)
    digest = _field(reader, record, where, "sha256", str)
    if len(name) > 255 or not _SAFE_MEMBER.fullmatch(name) or name == MANIFEST:
        raise reader.fail(f"{where}.member: not a plain member name (letters, digits, . - _ "
                          f"and /, no part starting with a dot), got {name!r:.80}", MANIFEST)
    if name in listed:
        raise reader.fail(f"{where}.member: listed twice", name)
    listed.add(name)
    if not _HEX64.fullmatch(digest):
        raise reader.fail(f"{where}.sha256: expected 64 lowercase hex digits", MANIFEST)
    if name in reader.infos and reader.infos[name].file_size != size:
        raise reader.fail(f"{reader.infos[name].file_size} bytes, the manifest says {size}",
                          name)
    data = reader.read(name)
    if hashlib.sha256(data).hexdigest() != digest:
        raise reader.fail("its sha256 is not the manifest's: damaged or altered", name)
    return data


def _entries(reader: _Reader, document: Mapping[str, Any]
             ) -> Iterator[tuple[ArchiveEntry, SnapshotData]]:
    records = _field(reader, document, "manifest", "calibrations", list)
    listed = {MANIFEST}
    for index, record in enumerate(records):
        where = f"calibrations[{index}]"
        if not isinstance(record, dict):
            raise reader.fail(f"{where}: expected an object, got {record!r:.80}", MANIFEST)
        vendor = _field(reader, record, where, "vendor", str)
        device = _field(reader, record, where, "device", str)
        taken_at = _when(reader, record, where, "taken_at")
        calibration_id = _field(reader, record, where, "calibration_id", str, optional=True)
        fetched_at = _when(reader, record, where, "fetched_at")
        digest = _field(reader, record, where, "content_hash", str)
        text = _member(reader, record.get("calibration"), f"{where}.calibration", listed)
        member = record["calibration"]["member"]
        try:
            calibration = Calibration.from_json(text)
        except CalibrationError as exc:
            raise reader.fail(f"not a valid calibration: {exc}", member) from None
        if content_hash(calibration) != digest:
            raise reader.fail("its content hash is not the manifest's", member)
        if (calibration.vendor, calibration.backend_name, calibration.taken_at) != (
                vendor, device, taken_at):
            raise reader.fail(f"{where}: vendor, device and taken_at are not those of its "
                              f"calibration ({member})", MANIFEST)
        raw: dict[str, bytes] = {}
        for number, part in enumerate(_field(reader, record, where, "raw", list)):
            part_where = f"{where}.raw[{number}]"
            body = _member(reader, part, part_where, listed)
            name = _field(reader, part, part_where, "name", str)
            if name in raw:
                raise reader.fail(f"{part_where}.name: {name!r:.80} twice", MANIFEST)
            raw[name] = body
        yield (ArchiveEntry(vendor, device, taken_at, digest, calibration_id, fetched_at,
                            tuple(raw)),
               SnapshotData(calibration, raw, calibration_id, fetched_at))
    unlisted = sorted(set(reader.infos) - listed)
    if unlisted:
        raise reader.fail("not in the manifest (an archive holds only what it lists)",
                          unlisted[0])


def read_archive(path: str | os.PathLike[str]) -> Archive:
    """Read and verify an archive, in memory: every member's size and sha256, the
    manifest's schema and version, and every calibration (re-validated, re-hashed). Any
    problem is an :class:`~qtargets.ArchiveError` naming the member."""
    source = Path(path).expanduser()
    shown = str(path)
    try:
        file = source.open("rb")
    except OSError as exc:
        raise ArchiveError(f"cannot read archive {shown!r}: {exc.strerror or exc}",
                           path=shown) from None
    with file:
        try:
            head = file.read(4)
            file.seek(0)
        except OSError as exc:
            raise ArchiveError(f"cannot read archive {shown!r}: {exc.strerror or exc}",
                               path=shown) from None
        if not is_archive(head):
            raise ArchiveError(f"{shown!r} is not a qtargets archive (not a zip file)",
                               path=shown)
        try:
            opened = zipfile.ZipFile(file)
        except _ZIP_ERRORS as exc:
            raise ArchiveError(f"archive {shown!r} is damaged (truncated?): {exc}",
                               path=shown) from None
        with opened:
            reader = _Reader(opened, shown)
            reader.check_members()
            document = reader.manifest()
            created = _when(reader, document, "manifest", "created_at", optional=False)
            written_by = _field(reader, document, "manifest", "qtargets_version", str)
            found = list(_entries(reader, document))
    assert created is not None
    return Archive(source, document["format_version"], written_by, created,
                   tuple(entry for entry, _ in found), tuple(data for _, data in found))


def import_archive(path: str | os.PathLike[str], *, store: StoreArg = None) -> ImportSummary:
    """Import an archive into ``store`` (default: the default store): verified whole first
    (:func:`read_archive`), then saved in one transaction, each calibration with its raw
    bodies, calibration id and first-fetched time; calibrations the store already holds are
    left as they are. Any error leaves the store unchanged."""
    archive = read_archive(path)
    with _opened(store, lazy=False) as opened:
        results = opened.save_many(archive.calibrations)
    return ImportSummary(archive.path, tuple(results))
