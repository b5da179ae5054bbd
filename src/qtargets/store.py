"""A local, embedded history of calibrations: every snapshot fetched, queryable by time.

One SQLite file holds, per snapshot, the neutral :class:`~qtargets.Calibration` (its JSON),
the raw payload bodies it was converted from, and when it was taken and fetched. Saving the
same calibration twice stores it once. Several processes may read and write one store at
the same time; a writer killed mid-save leaves no trace of that save.

>>> import tempfile, qtargets
>>> from qtargets.store import CalibrationStore
>>> with CalibrationStore(tempfile.mkdtemp() + "/calibrations.sqlite3") as store:
...     snap = store.save(qtargets.load_calibration("ibm_fez"))
...     store.latest("ibm_fez") == snap
True

Where the file lives: the ``path`` argument, else the ``QTARGETS_STORE`` environment
variable, else ``calibrations.sqlite3`` in the per-user cache directory (see
:func:`default_store_path`).

The store keeps payload *bodies* only. It has no place for request headers, so API tokens
and other credentials are never written to disk by it.
"""

from __future__ import annotations

import dataclasses
import hashlib
import os
import sqlite3
import threading
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from types import TracebackType

import platformdirs

from ._exceptions import StoreError, warn
from .model import Calibration, Provenance

__all__ = [
    "ENV_VAR",
    "STORE_SCHEMA_VERSION",
    "CachedResponse",
    "CalibrationStore",
    "Snapshot",
    "SnapshotData",
    "default_store_path",
]

ENV_VAR = "QTARGETS_STORE"
"""Environment variable naming the store file (the ``path`` argument wins over it)."""

STORE_SCHEMA_VERSION = 2
"""Version of the SQLite schema below; bump it with a migration when the tables change.

1: snapshots and raw_parts. 2: adds http_cache (validators for conditional requests).
"""

BUSY_TIMEOUT_SECONDS = 30.0
"""How long a process waits for another one's write to finish before giving up."""

# Run statement by statement, split on ";": keep semicolons out of the comments.
_SCHEMA = """
CREATE TABLE IF NOT EXISTS schema_version (
    version INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS snapshots (
    id             INTEGER PRIMARY KEY,
    vendor         TEXT NOT NULL,
    backend        TEXT NOT NULL,
    taken_at       TEXT,              -- UTC 'YYYY-MM-DDTHH:MM:SS.ffffffZ', NULL = unknown
    calibration_id TEXT,
    fetched_at     TEXT NOT NULL,     -- UTC, same format
    content_hash   TEXT NOT NULL UNIQUE,
    calibration    TEXT NOT NULL      -- Calibration.to_json()
);
CREATE INDEX IF NOT EXISTS snapshots_by_backend_time
    ON snapshots (backend, taken_at, id);
CREATE TABLE IF NOT EXISTS raw_parts (
    snapshot_id INTEGER NOT NULL REFERENCES snapshots (id) ON DELETE CASCADE,
    name        TEXT NOT NULL,        -- e.g. 'configuration', 'properties'
    body        BLOB NOT NULL,        -- the response body exactly as received
    PRIMARY KEY (snapshot_id, name)
) WITHOUT ROWID;
""" + """
CREATE TABLE IF NOT EXISTS http_cache (
    key           TEXT PRIMARY KEY,   -- what was asked: method, URL, query, and a scope
    etag          TEXT,
    last_modified TEXT,               -- the header value, verbatim
    body          BLOB NOT NULL,      -- the last 200 body for that request
    snapshot_hash TEXT,               -- content hash of the snapshot made from it, if any
    checked_at    TEXT NOT NULL       -- when the server last confirmed the body, UTC
) WITHOUT ROWID;
"""

_COLUMNS = "id, vendor, backend, taken_at, calibration_id, fetched_at, content_hash"


@dataclass(frozen=True, slots=True)
class Snapshot:
    """One stored calibration: what :meth:`CalibrationStore.save` and the queries return.

    The calibration itself is loaded on demand with :meth:`CalibrationStore.load`, so
    listing a long history stays cheap.
    """

    id: int
    vendor: str
    backend: str
    taken_at: datetime | None
    """When the vendor took the calibration, UTC; ``None`` if it didn't say."""
    calibration_id: str | None
    """The vendor's identifier of this calibration, if it has one."""
    fetched_at: datetime
    """When this content was first fetched, UTC."""
    content_hash: str
    """Hex sha256 identifying the calibration's content (see :func:`content_hash`)."""


@dataclass(frozen=True, slots=True)
class SnapshotData:
    """What a snapshot is made of: one item of :meth:`CalibrationStore.save_many` (the
    arguments of :meth:`CalibrationStore.save`), e.g. a calibration read from an archive."""

    calibration: Calibration
    raw: Mapping[str, bytes] = dataclasses.field(default_factory=dict)
    """Part name -> body exactly as received (never headers)."""
    calibration_id: str | None = None
    fetched_at: datetime | None = None
    """When it was first fetched; ``None``: ``provenance.retrieved_at``, else now."""


@dataclass(frozen=True, slots=True)
class CachedResponse:
    """A response body kept so an unchanged resource is not downloaded again.

    ``etag``/``last_modified`` go back to the server as If-None-Match/If-Modified-Since;
    ``snapshot_hash`` names the snapshot built from the body, so a 304 costs a store read.
    Keys name requests, never credentials.
    """

    key: str
    body: bytes
    etag: str | None
    last_modified: str | None
    snapshot_hash: str | None
    checked_at: datetime


def default_store_path() -> Path:
    """``$QTARGETS_STORE`` if set (and not empty), else ``calibrations.sqlite3`` in the
    per-user cache directory (e.g. ``~/.cache/qtargets/`` on Linux)."""
    from_env = os.environ.get(ENV_VAR)
    if from_env:
        return Path(from_env).expanduser()
    return platformdirs.user_cache_path("qtargets") / "calibrations.sqlite3"


def content_hash(calibration: Calibration) -> str:
    """Hex sha256 of the calibration's JSON with its provenance left out.

    Provenance says where and when *we* got the numbers, not what they are: a poller fetching
    an unchanged calibration every few minutes, or one characterization reached through two
    URLs (IonQ's ``/current`` and its listing), must get the same hash. Times are hashed in
    UTC so the same instant written with another offset is the same content. Raw payloads are
    not hashed: two bodies that convert to the same calibration (a reordered JSON object, a
    field qtargets ignores) are the same calibration.
    """
    taken_at = calibration.taken_at
    canonical = dataclasses.replace(
        calibration,
        taken_at=taken_at.astimezone(timezone.utc) if taken_at is not None else None,
        provenance=Provenance(""),
    )
    return hashlib.sha256(canonical.to_json().encode()).hexdigest()


class CalibrationStore:
    """The calibration history in one SQLite file, shared safely between processes.

    ``path`` overrides ``$QTARGETS_STORE``, which overrides the default location (see
    :func:`default_store_path`); missing parent directories are created (owner-only, as is
    the file). Naive datetimes passed to any method are taken as UTC. Use it as a context
    manager, or call :meth:`close`. One store object may be shared by threads (calls are
    serialised).

    ``lazy=True`` (how qtargets opens the default store to read from): a file that does not
    exist yet reads as an empty store and is created by the first save, so reading never
    creates a store. A store the process may not write (a read-only file or directory) is
    read all the same; saving into it is skipped, with one warning. A file that is not a
    qtargets store (another application's SQLite database) is refused and left untouched.
    """

    def __init__(self, path: str | os.PathLike[str] | None = None, *, lazy: bool = False
                 ) -> None:
        self.path = Path(path).expanduser() if path is not None else default_store_path()
        self._lock = threading.Lock()
        self._db: sqlite3.Connection | None = None
        self._closed = False
        self._read_only = False
        self._warned_read_only = False
        if not lazy or self.path.exists():
            self._connect()

    @property
    def read_only(self) -> bool:
        """Whether this process can only read the store (saving is then skipped)."""
        return self._read_only

    def _connect(self) -> None:
        """Open the file: create it (owner-only) if missing, read-only if it may not be
        written, and set it up unless it is read-only."""
        created = False
        if not self.path.exists():
            self._create_file()
            created = True
        writable = _may_write(self.path)
        with self._errors("open"):
            if writable:
                # isolation_level=None: we issue BEGIN IMMEDIATE ourselves, so a write takes
                # the write lock up front (waiting up to the busy timeout) instead of failing
                # when it upgrades a read lock half way through.
                db = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_SECONDS,
                                     isolation_level=None, check_same_thread=False)
            else:
                db = self._connect_read_only()
        try:
            with self._errors("open"):
                if not created:
                    self._refuse_foreign(db)
                if writable:
                    self._setup(db)
                else:
                    self._check_version(_schema_version(db), read_only=True)
        except BaseException:
            db.close()
            raise
        self._db = db
        self._read_only = not writable

    def _create_file(self) -> None:
        """The store's directory and an empty file, readable by the owner only (SQLite gives
        its -wal and -shm files the same permissions as the database file)."""
        try:
            missing = [p for p in [self.path.parent, *self.path.parent.parents]
                       if not p.exists()]
            for directory in reversed(missing):
                directory.mkdir(mode=0o700, exist_ok=True)
            descriptor = os.open(self.path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
            os.close(descriptor)
        except FileExistsError:
            pass  # another process created it meanwhile
        except OSError as exc:
            raise StoreError(f"cannot create calibration store {str(self.path)!r}: "
                             f"{exc.strerror}") from exc

    def _connect_read_only(self) -> sqlite3.Connection:
        uri = f"{self.path.resolve().as_uri()}?mode=ro"
        db = sqlite3.connect(uri, uri=True, timeout=BUSY_TIMEOUT_SECONDS,
                             isolation_level=None, check_same_thread=False)
        try:
            db.execute("SELECT count(*) FROM sqlite_master").fetchone()
        except sqlite3.OperationalError:
            # a WAL database in a directory we cannot write: its -shm cannot be made, so
            # read it as it is on disk (nobody here can change it)
            db.close()
            db = sqlite3.connect(f"{self.path.resolve().as_uri()}?immutable=1", uri=True,
                                 isolation_level=None, check_same_thread=False)
        return db

    def _refuse_foreign(self, db: sqlite3.Connection) -> None:
        """An existing database with tables but not ours is another application's: refuse
        it before anything is written."""
        tables = {str(row[0]) for row in db.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table'")}
        if tables and not {"schema_version", "snapshots"} <= tables:
            shown = ", ".join(sorted(tables)[:5])
            raise StoreError(f"{str(self.path)!r} is not a qtargets calibration store (it "
                             f"holds tables {shown}); it was left untouched. Point "
                             f"{ENV_VAR} or the path elsewhere")

    def _setup(self, db: sqlite3.Connection) -> None:
        # WAL: readers never block the writer nor the writer the readers, and a crash
        # mid-transaction leaves only uncommitted WAL frames, which SQLite discards.
        mode = db.execute("PRAGMA journal_mode=WAL").fetchone()[0]
        if str(mode).lower() != "wal":
            raise sqlite3.DatabaseError(f"cannot switch to WAL journal mode (got {mode!r})")
        # FULL: each commit is fsynced, so a Snapshot that save() returned survives even a
        # power cut. NORMAL would already be safe against killed processes, but writes are
        # rare (one per fetched calibration), so the fsync costs nothing that matters.
        db.execute("PRAGMA synchronous=FULL")
        db.execute("PRAGMA foreign_keys=ON")
        version = _schema_version(db)
        if version is None:
            with _write(db):
                # Statement by statement: executescript() would COMMIT our transaction first.
                for statement in _SCHEMA.split(";"):
                    if statement.strip():
                        db.execute(statement)
                if db.execute("SELECT count(*) FROM schema_version").fetchone()[0] == 0:
                    db.execute("INSERT INTO schema_version (version) VALUES (?)",
                               (STORE_SCHEMA_VERSION,))
            version = _schema_version(db)
        if version == 1:  # 1 -> 2: the http_cache table is new; nothing else changed
            with _write(db):
                if _schema_version(db) == 1:  # another process may have migrated meanwhile
                    for statement in _SCHEMA.split(";"):
                        if statement.strip():
                            db.execute(statement)
                    db.execute("UPDATE schema_version SET version = 2")
            version = _schema_version(db)
        self._check_version(version, read_only=False)

    def _check_version(self, version: int | None, *, read_only: bool) -> None:
        # a version 1 store we may not migrate reads fine: only http_cache is missing
        if version == STORE_SCHEMA_VERSION or (version == 1 and read_only):
            return
        newer = version is not None and version > STORE_SCHEMA_VERSION
        hint = "upgrade qtargets" if newer else "no migration known"
        raise StoreError(
            f"calibration store {str(self.path)!r} has schema version {version}; this "
            f"qtargets reads version {STORE_SCHEMA_VERSION} ({hint})"
        )

    # -- plumbing ----------------------------------------------------------------------------

    @contextmanager
    def _errors(self, action: str) -> Iterator[None]:
        """Turn sqlite3 errors into a StoreError that names the file."""
        try:
            yield
        except sqlite3.Error as exc:
            raise StoreError(
                f"cannot {action} calibration store {str(self.path)!r}: {exc}"
            ) from exc

    @contextmanager
    def _use(self, action: str) -> Iterator[sqlite3.Connection | None]:
        """The open database to read from; ``None`` while a lazy store has no file yet."""
        with self._lock, self._errors(action):
            if self._closed:
                raise StoreError(f"calibration store {str(self.path)!r} is closed")
            yield self._db

    @contextmanager
    def _writing(self, action: str, *, quiet: bool = False
                 ) -> Iterator[sqlite3.Connection | None]:
        """The database to write to, created if it does not exist yet; ``None`` (after one
        warning, unless ``quiet``: the caller says) when this process may only read it."""
        with self._lock, self._errors(action):
            if self._closed:
                raise StoreError(f"calibration store {str(self.path)!r} is closed")
            if self._db is None:
                self._connect()
            if self._read_only:
                if not self._warned_read_only and not quiet:
                    self._warned_read_only = True
                    warn(f"calibration store {str(self.path)!r} is read-only here: what is "
                         f"fetched is used but not saved")
                yield None
            else:
                yield self._db

    def _query(self, sql: str, params: tuple[object, ...] = ()) -> list[Snapshot]:
        with self._use("read") as db:
            if db is None:
                return []
            rows = db.execute(f"SELECT {_COLUMNS} FROM snapshots {sql}", params).fetchall()
        return [_snapshot(row) for row in rows]

    # -- writing -----------------------------------------------------------------------------

    def save(
        self,
        calibration: Calibration,
        *,
        raw: Mapping[str, bytes] | None = None,
        calibration_id: str | None = None,
        fetched_at: datetime | None = None,
    ) -> Snapshot:
        """Store a calibration (and the raw bodies it came from) and return its snapshot.

        ``raw`` maps part names to response bodies exactly as received, e.g.
        ``{"configuration": ..., "properties": ...}`` for IBM: bodies only, never headers.
        ``fetched_at`` defaults to the calibration's ``provenance.retrieved_at``, else now.

        If the same content is already stored (see :func:`content_hash`), nothing is
        written and the existing snapshot is returned, with its original raw parts,
        ``calibration_id`` and ``fetched_at``.
        """
        row, parts = _row(SnapshotData(calibration, raw or {}, calibration_id, fetched_at))
        with self._writing("write to") as db:
            if db is None:  # read-only here: the snapshot it is, or would have been
                found = self._db.execute(  # type: ignore[union-attr]  # opened, read-only
                    f"SELECT {_COLUMNS} FROM snapshots WHERE content_hash = ?", (row[5],)
                ).fetchone()
                return _snapshot(found) if found is not None else _snapshot((0, *row[:-1]))
            with _write(db):
                return _insert(db, row, parts)[0]

    def save_many(self, items: Iterable[SnapshotData]) -> list[tuple[Snapshot, bool]]:
        """Store many calibrations in one transaction: all of them, or (on any error) none.

        Returns, per item and in order, its snapshot and whether it was stored now
        (``False``: the same content was already there, before or earlier in ``items``,
        and nothing was written for it, as with :meth:`save`). Unlike :meth:`save`, a store
        this process may only read is a :class:`StoreError`: nothing is saved.
        """
        rows = [_row(item) for item in items]  # every item checked before the first write
        with self._writing("write to", quiet=True) as db:
            if db is None:
                raise StoreError(f"calibration store {str(self.path)!r} is read-only here: "
                                 "nothing was saved")
            with _write(db):
                return [_insert(db, row, parts) for row, parts in rows]

    # -- reading -----------------------------------------------------------------------------

    def latest(self, backend: str, vendor: str | None = None) -> Snapshot | None:
        """The snapshot of ``backend`` with the newest ``taken_at``; ``None`` if none stored.

        Snapshots whose ``taken_at`` is unknown count as older than any dated one, so one
        of them is returned (the last saved) only when the backend has no dated snapshot.
        """
        where, params = _backend_filter(backend, vendor)
        found = self._query(
            f"{where} ORDER BY taken_at IS NULL, taken_at DESC, id DESC LIMIT 1", params
        )
        return found[0] if found else None

    def at(self, backend: str, when: datetime, vendor: str | None = None) -> Snapshot | None:
        """The calibration in force at ``when``: the newest with ``taken_at <= when``.

        Never a newer one; ``None`` if ``when`` is before the first dated snapshot.
        Snapshots with unknown ``taken_at`` are never returned (they can't be placed in
        time). A naive ``when`` is taken as UTC.
        """
        where, params = _backend_filter(backend, vendor)
        found = self._query(
            f"{where} AND taken_at <= ? ORDER BY taken_at DESC, id DESC LIMIT 1",
            (*params, _to_text(when)),
        )
        return found[0] if found else None

    def history(
        self,
        backend: str,
        since: datetime | None = None,
        until: datetime | None = None,
        vendor: str | None = None,
    ) -> list[Snapshot]:
        """Snapshots of ``backend``, oldest ``taken_at`` first (ties: in order saved).

        ``since`` and ``until`` are inclusive bounds on ``taken_at`` (naive = UTC). Without
        bounds, snapshots of unknown ``taken_at`` come first; with either bound they are
        left out, since they can't be shown to fall inside it.
        """
        where, params = _time_filter(*_backend_filter(backend, vendor), since, until)
        return self._query(f"{where} ORDER BY taken_at IS NOT NULL, taken_at, id", params)

    def snapshots(self, since: datetime | None = None, until: datetime | None = None
                  ) -> list[Snapshot]:
        """Every snapshot of every backend: by vendor and backend, then as :meth:`history`
        orders them (``since``/``until`` likewise: inclusive, undated ones left out)."""
        where, params = _time_filter("WHERE 1", (), since, until)
        return self._query(
            f"{where} ORDER BY vendor, backend, taken_at IS NOT NULL, taken_at, id", params)

    def backends(self) -> list[tuple[str, str]]:
        """Every ``(vendor, backend)`` with at least one snapshot, sorted."""
        with self._use("read") as db:
            rows = [] if db is None else db.execute(
                "SELECT DISTINCT vendor, backend FROM snapshots ORDER BY vendor, backend"
            ).fetchall()
        return [(str(vendor), str(backend)) for vendor, backend in rows]

    def load(self, snapshot: Snapshot) -> Calibration:
        """The calibration of a snapshot, parsed from its stored JSON."""
        with self._use("read") as db:
            row = None if db is None else db.execute(
                "SELECT calibration FROM snapshots WHERE id = ? AND content_hash = ?",
                (snapshot.id, snapshot.content_hash),
            ).fetchone()
        if row is None:
            raise StoreError(f"calibration store {str(self.path)!r} has no snapshot "
                             f"{snapshot.id} with hash {snapshot.content_hash[:12]}...")
        return Calibration.from_json(row[0])

    def raw(self, snapshot: Snapshot) -> dict[str, bytes]:
        """The raw bodies saved with a snapshot, by part name (empty if none were given)."""
        with self._use("read") as db:
            rows = [] if db is None else db.execute(
                "SELECT name, body FROM raw_parts WHERE snapshot_id = ? ORDER BY name",
                (snapshot.id,),
            ).fetchall()
        return {str(name): bytes(body) for name, body in rows}

    def by_calibration_id(self, backend: str, calibration_id: str) -> Snapshot | None:
        """The newest snapshot of ``backend`` saved under the vendor's ``calibration_id``."""
        found = self._query("WHERE backend = ? AND calibration_id = ? ORDER BY id DESC LIMIT 1",
                            (backend, calibration_id))
        return found[0] if found else None

    def by_hash(self, digest: str) -> Snapshot | None:
        """The snapshot with that content hash (see :func:`content_hash`), if stored."""
        found = self._query("WHERE content_hash = ?", (digest,))
        return found[0] if found else None

    # -- HTTP validators ---------------------------------------------------------------------

    def cached_response(self, key: str) -> CachedResponse | None:
        """The body and validators last remembered for request ``key``, if any."""
        with self._use("read") as db:
            if db is None or not _has_table(db, "http_cache"):  # none yet, or version 1
                return None
            row = db.execute(
                "SELECT key, body, etag, last_modified, snapshot_hash, checked_at "
                "FROM http_cache WHERE key = ?", (key,)).fetchone()
        if row is None:
            return None
        key_, body, etag, last_modified, digest, checked_at = row
        return CachedResponse(str(key_), bytes(body), etag, last_modified, digest,
                              _from_text(checked_at))

    def remember_response(self, key: str, body: bytes, *, etag: str | None,
                          last_modified: str | None, snapshot_hash: str | None = None,
                          checked_at: datetime | None = None) -> None:
        """Keep (replace) the body and validators of request ``key``."""
        if not isinstance(body, (bytes, bytearray, memoryview)):
            raise TypeError(f"the body for {key!r} must be bytes, got {type(body).__name__}")
        checked = _to_text(checked_at or datetime.now(timezone.utc))
        with self._writing("write to") as db:
            if db is None:  # read-only here
                return
            with _write(db):
                db.execute(
                    "INSERT OR REPLACE INTO http_cache (key, etag, last_modified, body, "
                    "snapshot_hash, checked_at) VALUES (?, ?, ?, ?, ?, ?)",
                    (key, etag, last_modified, bytes(body), snapshot_hash, checked))

    # -- lifetime ----------------------------------------------------------------------------

    def close(self) -> None:
        """Close the file (idempotent); the store can't be used afterwards."""
        with self._lock:
            self._closed = True
            if self._db is not None:
                self._db.close()
                self._db = None

    def __enter__(self) -> CalibrationStore:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"CalibrationStore({str(self.path)!r})"


# -- helpers ---------------------------------------------------------------------------------


@contextmanager
def _write(db: sqlite3.Connection) -> Iterator[None]:
    """One write transaction: all of it is committed, or none of it."""
    db.execute("BEGIN IMMEDIATE")
    try:
        yield
    except BaseException:
        if db.in_transaction:  # SQLite may already have rolled back (e.g. disk full)
            db.execute("ROLLBACK")
        raise
    db.execute("COMMIT")


def _may_write(path: Path) -> bool:
    """Whether this process may write the store file and its directory (where SQLite keeps
    the -wal and -shm files)."""
    return os.access(path, os.W_OK) and os.access(path.parent, os.W_OK)


def _has_table(db: sqlite3.Connection, name: str) -> bool:
    return db.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?",
                      (name,)).fetchone() is not None


def _schema_version(db: sqlite3.Connection) -> int | None:
    exists = db.execute(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_version'"
    ).fetchone()
    if exists is None:
        return None
    row = db.execute("SELECT max(version) FROM schema_version").fetchone()
    return None if row[0] is None else int(row[0])


def _to_text(when: datetime) -> str:
    """UTC ISO 8601 with fixed width, so text order is time order in SQL."""
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    utc = when.astimezone(timezone.utc).replace(tzinfo=None)
    return utc.isoformat(timespec="microseconds") + "Z"


def _from_text(text: str) -> datetime:
    return datetime.fromisoformat(text.removesuffix("Z")).replace(tzinfo=timezone.utc)


def _snapshot(row: tuple[int, str, str, str | None, str | None, str, str]) -> Snapshot:
    id_, vendor, backend, taken_at, calibration_id, fetched_at, digest = row
    return Snapshot(
        id=id_,
        vendor=vendor,
        backend=backend,
        taken_at=_from_text(taken_at) if taken_at is not None else None,
        calibration_id=calibration_id,
        fetched_at=_from_text(fetched_at),
        content_hash=digest,
    )


def _backend_filter(backend: str, vendor: str | None) -> tuple[str, tuple[object, ...]]:
    if vendor is None:
        return "WHERE backend = ?", (backend,)
    return "WHERE backend = ? AND vendor = ?", (backend, vendor)


_Row = tuple[str, str, str | None, str | None, str, str, str]


def _row(item: SnapshotData) -> tuple[_Row, dict[str, bytes]]:
    """The snapshots row of an item (its last column the calibration JSON) and its raw
    parts, checked."""
    calibration = item.calibration
    parts = _check_raw(item.raw)
    fetched_at = (item.fetched_at or calibration.provenance.retrieved_at
                  or datetime.now(timezone.utc))
    row = (
        calibration.vendor,
        calibration.backend_name,
        _to_text(calibration.taken_at) if calibration.taken_at is not None else None,
        item.calibration_id,
        _to_text(fetched_at),
        content_hash(calibration),
        calibration.to_json(),
    )
    return row, parts


def _insert(db: sqlite3.Connection, row: _Row, parts: Mapping[str, bytes]
            ) -> tuple[Snapshot, bool]:
    """Insert a snapshot and its raw parts (inside the caller's transaction) unless its
    content is stored: the snapshot, and whether it was inserted."""
    existing = db.execute(
        f"SELECT {_COLUMNS} FROM snapshots WHERE content_hash = ?", (row[5],)
    ).fetchone()
    if existing is not None:
        return _snapshot(existing), False
    cursor = db.execute(
        "INSERT INTO snapshots (vendor, backend, taken_at, calibration_id, "
        "fetched_at, content_hash, calibration) VALUES (?, ?, ?, ?, ?, ?, ?)",
        row,
    )
    snapshot_id = cursor.lastrowid
    db.executemany(
        "INSERT INTO raw_parts (snapshot_id, name, body) VALUES (?, ?, ?)",
        [(snapshot_id, name, body) for name, body in parts.items()],
    )
    inserted = db.execute(
        f"SELECT {_COLUMNS} FROM snapshots WHERE id = ?", (snapshot_id,)
    ).fetchone()
    return _snapshot(inserted), True


def _time_filter(where: str, params: tuple[object, ...], since: datetime | None,
                 until: datetime | None) -> tuple[str, tuple[object, ...]]:
    """``where`` narrowed to ``taken_at`` in ``[since, until]`` (either bound optional)."""
    if since is not None:
        where += " AND taken_at >= ?"
        params = (*params, _to_text(since))
    if until is not None:
        where += " AND taken_at <= ?"
        params = (*params, _to_text(until))
    return where, params


def _check_raw(raw: Mapping[str, bytes] | None) -> dict[str, bytes]:
    if raw is None:
        return {}
    parts: dict[str, bytes] = {}
    for name, body in raw.items():
        if not isinstance(name, str):
            raise TypeError(f"raw part names must be str, got {name!r}")
        if not isinstance(body, (bytes, bytearray, memoryview)):
            raise TypeError(f"raw part {name!r} must be the body as bytes, got "
                            f"{type(body).__name__} (encode text before saving)")
        parts[name] = bytes(body)
    return parts
