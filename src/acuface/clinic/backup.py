"""Backup and restore: the database and the photos in one tar archive.

Layout of the archive (all under ``acuface-backup/``)::

    manifest.json           format, time, schema revision, row counts, sha256 of every member
    database.sqlite3        SQLite only: a consistent copy made with SQLite's online backup API
    tables/<table>.jsonl    every row of every table, one JSON object a line (both databases)
    photos/<sha256>.jpg     every photo the database refers to

SQLite backups use the online backup API on a separate connection, so they are
consistent and safe while the app is running (WAL mode: readers do not block
the writer). PostgreSQL backups read all tables in one REPEATABLE READ
transaction (a consistent snapshot) and store them as JSON lines; that is also
what lets a backup move between SQLite and PostgreSQL.

Restore checks every member's hash first, then refuses a non-empty target unless
``force`` (SQLite only), then writes the database and the photos.
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import logging
import os
import shutil
import sqlite3
import tarfile
import tempfile
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from pathlib import Path
from typing import IO, Any

from sqlalchemy import Connection, Engine, Table, bindparam, delete, func, insert, select, text
from sqlalchemy.exc import OperationalError
from sqlalchemy.types import Date, LargeBinary, Time

import acuface
from acuface import private
from acuface.clinic import db
from acuface.clinic import models as m
from acuface.clinic.photostore import LocalPhotoStore, PhotoStore, get_photo_store, sha256_hex
from acuface.clinic.schemas import Actor
from acuface.clinic.services._common import audit
from acuface.errors import AuditUnavailable, ClinicError

logger = logging.getLogger(__name__)

PREFIX = "acuface-backup"
FORMAT = 1
#: Tables a backup leaves out: sign-in sessions and throttle counters.
EPHEMERAL_TABLES = ("login_sessions", "login_throttle")


class BackupError(ClinicError):
    """A backup could not be written or restored (message says why)."""


@dataclass(frozen=True)
class BackupReport:
    """What a backup or restore contained."""

    tables: int
    rows: int
    photos: int
    bytes: int


def _encode(value: Any) -> Any:
    if isinstance(value, datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value.astimezone(UTC).isoformat()
    if isinstance(value, date | time):
        return value.isoformat()
    if isinstance(value, bytes | memoryview):
        # Binary columns (drawn consent signatures) travel as base64 text.
        return base64.b64encode(bytes(value)).decode("ascii")
    return value


def _decoder(table: Table) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for column in table.columns:
        if isinstance(column.type, m.UTCDateTime):
            out[column.name] = datetime.fromisoformat
        elif isinstance(column.type, Date):
            out[column.name] = date.fromisoformat
        elif isinstance(column.type, Time):
            out[column.name] = time.fromisoformat
        elif isinstance(column.type, LargeBinary):
            out[column.name] = base64.b64decode
    return out


def _tables() -> list[Table]:
    return [m.Base.metadata.tables[name] for name in m.TABLE_ORDER]


def dump_tables(conn: Connection) -> dict[str, list[dict[str, Any]]]:
    """Read every row of every clinic table, ordered by primary key, as JSON-ready dicts."""
    out: dict[str, list[dict[str, Any]]] = {}
    for table in _tables():
        rows = conn.execute(select(table).order_by(*table.primary_key.columns)).mappings()
        out[table.name] = [{k: _encode(v) for k, v in row.items()} for row in rows]
    return out


def _jsonl(rows: list[dict[str, Any]]) -> bytes:
    return "".join(
        json.dumps(r, sort_keys=True, ensure_ascii=False, separators=(",", ":")) + "\n"
        for r in rows
    ).encode("utf-8")


def _add(tar: tarfile.TarFile, name: str, data: bytes, digests: dict[str, str]) -> None:
    info = tarfile.TarInfo(f"{PREFIX}/{name}")
    info.size = len(data)
    info.mtime = int(datetime.now(UTC).timestamp())
    info.mode = 0o600
    tar.addfile(info, io.BytesIO(data))
    digests[name] = sha256_hex(data)


def _sqlite_path(engine: Engine) -> Path | None:
    if engine.dialect.name != "sqlite":
        return None
    database = engine.url.database
    if not database or database == ":memory:":
        raise BackupError("An in-memory SQLite database cannot be backed up.")
    return Path(database)


def backup(
    dest: Path | str, *, engine: Engine | None = None, store: PhotoStore | None = None
) -> BackupReport:
    """Write a backup archive of the database and its photos to *dest*.

    The archive is written to a temporary name and renamed when complete.
    """
    dest = Path(dest)
    engine = engine or db.get_engine()
    store = store or get_photo_store()
    db.check_schema_current(engine)
    revision = db.current_revision(engine)
    sqlite_path = _sqlite_path(engine)
    digests: dict[str, str] = {}
    private.make_dir(dest.parent, tighten_existing=False)
    tmp = dest.with_name(dest.name + ".part")
    tmp.unlink(missing_ok=True)
    with tempfile.TemporaryDirectory(prefix="acuface-backup-") as work:
        if sqlite_path is not None:
            snapshot = Path(work) / "database.sqlite3"
            src = sqlite3.connect(str(sqlite_path), timeout=30)
            dst = sqlite3.connect(str(snapshot))
            try:
                src.backup(dst)  # online backup API: consistent while others write
            finally:
                dst.close()
                src.close()
            snap_engine = db.make_engine(f"sqlite:///{snapshot}")
            try:
                with snap_engine.connect() as conn:
                    tables = dump_tables(conn)
            finally:
                snap_engine.dispose()
            # Leave a self-contained file (no -wal) in the archive, without the
            # sign-in sessions and counters (short-lived, never restored).
            conn2 = sqlite3.connect(str(snapshot))
            conn2.execute("PRAGMA journal_mode=DELETE")
            for table in EPHEMERAL_TABLES:
                conn2.execute(f"DELETE FROM {table}")  # noqa: S608 - fixed table names
            conn2.commit()
            conn2.execute("VACUUM")
            conn2.close()
            db_bytes: bytes | None = snapshot.read_bytes()
        else:
            with engine.connect() as conn:
                conn = conn.execution_options(isolation_level="REPEATABLE READ")
                with conn.begin():
                    tables = dump_tables(conn)
            db_bytes = None
        hashes = sorted({r["sha256"] for r in tables["photos"]})
        total = 0
        # Mode 0600 whatever the umask: a backup holds every health record.
        with (
            os.fdopen(private.open_new(tmp), "wb") as raw,
            tarfile.open(fileobj=raw, mode="w") as tar,
        ):
            if db_bytes is not None:
                _add(tar, "database.sqlite3", db_bytes, digests)
                total += len(db_bytes)
            for name, rows in tables.items():
                data = _jsonl(rows)
                _add(tar, f"tables/{name}.jsonl", data, digests)
                total += len(data)
            for digest in hashes:
                data = store.get(digest)
                if sha256_hex(data) != digest:
                    raise BackupError(f"Photo file {digest} is corrupt (hash mismatch).")
                _add(tar, f"photos/{digest}.jpg", data, digests)
                total += len(data)

            manifest = {
                "format": FORMAT,
                "created_at": datetime.now(UTC).isoformat(),
                "acuface_version": acuface.__version__,
                "schema_revision": revision,
                "dialect": engine.dialect.name,
                "tables": {name: len(rows) for name, rows in tables.items()},
                "photos": hashes,
                "sha256": digests,
            }
            _add(tar, "manifest.json", json.dumps(manifest, indent=2).encode(), {})
        with open(tmp, "rb+") as fh:
            os.fsync(fh.fileno())
    os.replace(tmp, dest)
    report = BackupReport(
        tables=len(tables),
        rows=sum(len(r) for r in tables.values()),
        photos=len(hashes),
        bytes=dest.stat().st_size,
    )
    try:
        _audit(engine, "backup.create", dest, report)
    except (OperationalError, AuditUnavailable):
        # The archive is complete; a writer held the database's lock for longer
        # than the busy timeout. Say so rather than fail a good backup.
        logger.warning("backup %s written but not audited: the database stayed locked", dest)
    return report


class _Archive:
    """A backup archive read member by member (photos can add up to gigabytes)."""

    def __init__(self, path: Path) -> None:
        if not path.is_file():
            raise BackupError(f"{path}: no such backup file.")
        self.path = path
        try:
            self._tar = tarfile.open(path, "r")
            infos = self._tar.getmembers()
        except tarfile.TarError as exc:
            raise BackupError(f"{path}: not a readable backup archive ({exc}).") from None
        self._infos: dict[str, tarfile.TarInfo] = {}
        for info in infos:
            if not info.isfile() or not info.name.startswith(PREFIX + "/"):
                continue
            name = info.name[len(PREFIX) + 1 :]
            if ".." in Path(name).parts or name.startswith("/"):
                raise BackupError(f"{path}: unsafe member name {info.name!r}.")
            self._infos[name] = info
        if "manifest.json" not in self._infos:
            raise BackupError(f"{path}: not an Acuface backup (no manifest).")
        self.manifest: dict[str, Any] = json.loads(self.read("manifest.json"))
        if self.manifest.get("format") != FORMAT:
            raise BackupError(
                f"{path}: backup format {self.manifest.get('format')} is not supported."
            )

    def __contains__(self, name: str) -> bool:
        return name in self._infos

    def _open(self, name: str) -> IO[bytes]:
        info = self._infos.get(name)
        if info is None:
            raise BackupError(f"{self.path}: {name} is missing from the archive.")
        fh = self._tar.extractfile(info)
        assert fh is not None
        return fh

    def read(self, name: str) -> bytes:
        """Return one member's bytes."""
        with self._open(name) as fh:
            return fh.read()

    def copy_to(self, name: str, dest: Path) -> None:
        """Stream one member into *dest* (fsync'ed)."""
        dest.unlink(missing_ok=True)
        with self._open(name) as src, os.fdopen(private.open_new(dest), "wb") as out:
            shutil.copyfileobj(src, out, 1 << 20)
            out.flush()
            os.fsync(out.fileno())

    def verify(self) -> None:
        """Check every member listed in the manifest against its SHA-256, streaming."""
        for name, digest in self.manifest["sha256"].items():
            sha = hashlib.sha256()
            with self._open(name) as fh:
                while chunk := fh.read(1 << 20):
                    sha.update(chunk)
            if sha.hexdigest() != digest:
                raise BackupError(f"{self.path}: {name} is damaged (checksum mismatch).")

    def close(self) -> None:
        """Close the archive."""
        self._tar.close()


def _target_has_data(engine: Engine, store: PhotoStore) -> str | None:
    if any(True for _ in store.iter_hashes()):
        return "the photo folder already holds photos"
    sqlite_path = _sqlite_path(engine)
    if sqlite_path is not None and not sqlite_path.exists():
        return None
    if db.current_revision(engine) is None:
        return None
    with engine.connect() as conn:
        for name in ("users", "clients"):
            table = m.Base.metadata.tables[name]
            if conn.execute(select(func.count()).select_from(table)).scalar():
                return f"the database already has {name}"
    return None


def restore(
    archive: Path | str,
    *,
    engine: Engine | None = None,
    store: PhotoStore | None = None,
    force: bool = False,
) -> BackupReport:
    """Restore a backup into an empty target (SQLite: or over one, with ``force``)."""
    archive = Path(archive)
    reader = _Archive(archive)
    engine = engine or db.get_engine()
    try:
        reader.verify()
        report = _restore(reader, engine, store or get_photo_store(), force)
    except BackupError as exc:
        _audit(engine, "backup.restore_refused", archive, None, reason=exc.message)
        raise
    finally:
        reader.close()
    with db.session_scope(engine) as session:
        # Sessions and counters of the restored copy's time must not come back.
        for model in (m.LoginSession, m.LoginThrottle):
            session.execute(delete(model))
    _audit(engine, "backup.restore", archive, report)
    return report


def _audit(
    engine: Engine,
    action: str,
    path: Path,
    report: BackupReport | None,
    *,
    reason: str | None = None,
) -> None:
    """Audit a backup or restore (or a refused restore) as the local operator.

    A refused restore into a database without the schema cannot be recorded
    there; the command's error message is then the only trace.
    """
    detail: dict[str, Any] = {"file": path.name}
    if report is not None:
        detail.update(rows=report.rows, photos=report.photos, bytes=report.bytes)
    if reason is not None:
        detail["reason"] = reason[:200]
    if db.current_revision(engine) is None:
        return
    with db.session_scope(engine) as session:
        audit(session, Actor.system(), action, "backup", detail=detail)


def _restore(reader: _Archive, engine: Engine, store: PhotoStore, force: bool) -> BackupReport:
    manifest = reader.manifest
    sqlite_path = _sqlite_path(engine)
    busy = _target_has_data(engine, store)
    if busy and not (force and sqlite_path is not None):
        hint = (
            "Use --force to replace it."
            if sqlite_path is not None
            else "Restore into a new, empty PostgreSQL database."
        )
        where = engine.url.render_as_string(hide_password=True)
        raise BackupError(f"Refusing to restore into {where}: {busy}. {hint}")
    if sqlite_path is not None and "database.sqlite3" in reader:
        engine.dispose()
        private.make_dir(sqlite_path.parent)
        tmp = sqlite_path.with_name(sqlite_path.name + ".restore")
        reader.copy_to("database.sqlite3", tmp)
        for suffix in ("-wal", "-shm"):
            Path(str(sqlite_path) + suffix).unlink(missing_ok=True)
        os.replace(tmp, sqlite_path)
        engine.dispose()
        rows = sum(manifest["tables"].values())
    else:
        rows = _load_rows(engine, reader)
    wanted = set(manifest["photos"])
    if force and isinstance(store, LocalPhotoStore):
        for digest in list(store.iter_hashes()):
            if digest not in wanted:
                store.delete(digest)
    for digest in manifest["photos"]:
        if store.put(reader.read(f"photos/{digest}.jpg")) != digest:
            raise BackupError(f"Photo {digest} does not match its hash.")
    return BackupReport(
        tables=len(manifest["tables"]),
        rows=rows,
        photos=len(manifest["photos"]),
        bytes=reader.path.stat().st_size,
    )


def _load_rows(engine: Engine, reader: _Archive) -> int:
    revision = reader.manifest["schema_revision"]
    if db.current_revision(engine) is None:
        db.upgrade(engine, revision)
    elif db.current_revision(engine) != revision:
        raise BackupError(
            f"The target database is at schema {db.current_revision(engine)}, the backup at "
            f"{revision}. Restore into an empty database."
        )
    total = 0
    signed: list[dict[str, Any]] = []
    with engine.begin() as conn:
        for table in _tables():
            decode = _decoder(table)
            lines = reader.read(f"tables/{table.name}.jsonl").decode("utf-8").splitlines()
            rows = []
            for line in lines:
                row = json.loads(line)
                for key, fn in decode.items():
                    if row.get(key) is not None:
                        row[key] = fn(row[key])
                rows.append(row)
            if table.name == "treatment_sessions":
                # Needles of a signed session cannot be inserted (database guard), so
                # sessions go in unsigned and are signed again once their needles are in.
                for row in rows:
                    if row.get("signed_at") is not None:
                        signed.append({"b_id": row["id"], "b_at": row["signed_at"]})
                        row["signed_at"] = None
            for start in range(0, len(rows), 500):
                conn.execute(insert(table), rows[start : start + 500])
            total += len(rows)
        if signed:
            sessions = m.Base.metadata.tables["treatment_sessions"]
            conn.execute(
                sessions.update()
                .where(sessions.c.id == bindparam("b_id"))
                .values(signed_at=bindparam("b_at")),
                signed,
            )
        if engine.dialect.name == "postgresql":
            for table in _tables():
                conn.execute(
                    text(
                        f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), "
                        f"COALESCE((SELECT MAX(id) FROM {table.name}), 0) + 1, false)"
                    )
                )
    # Statistics for the query planner now, not whenever autovacuum gets to it: on
    # a freshly loaded 10,000-client PostgreSQL clinic the client page took 190 ms
    # (sequential scans of the needles) until ANALYZE, 40 ms after.
    with engine.begin() as conn:
        conn.execute(text("ANALYZE"))
    return total
