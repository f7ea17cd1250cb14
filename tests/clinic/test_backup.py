"""Backup/restore round trip: every record and photo, byte for byte, into an empty data dir."""

from __future__ import annotations

import sqlite3
import tarfile
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from acuface.clinic import db
from acuface.clinic import services as svc
from acuface.clinic.backup import BackupError, backup, dump_tables, restore
from acuface.clinic.photostore import LocalPhotoStore
from acuface.clinic.schemas import Actor, ClientCreate
from consenting import give_consents


def _snapshot(engine: sa.Engine, store: LocalPhotoStore) -> tuple[dict, dict[str, bytes]]:
    with engine.connect() as conn:
        tables = dump_tables(conn)
    photos = {h: store.get(h) for h in store.iter_hashes()}
    return tables, photos


def test_round_trip_into_empty_dir(
    engine: sa.Engine,
    empty_engine: sa.Engine,
    store: LocalPhotoStore,
    full_record: dict[str, int],
    tmp_path: Path,
) -> None:
    archive = tmp_path / "clinic-backup.tar"
    before = _snapshot(engine, store)
    report = backup(archive, engine=engine, store=store)
    assert report.photos == 2 and report.rows > 20
    assert len(before[0]["treatment_sessions"]) == 1 and len(before[1]) == 2
    # The backup itself is on record in the clinic it copied.
    made = _snapshot(engine, store)[0]["audit_log"][-1]
    assert made["action"] == "backup.create" and made["username"].startswith("system:")
    assert '"file": "clinic-backup.tar"' in made["detail"]

    target_store = LocalPhotoStore(tmp_path / "restored" / "photos")
    restore(archive, engine=empty_engine, store=target_store)
    after = _snapshot(empty_engine, target_store)
    # Every row of every table, every column; the restore is audited on top.
    restored_audit = after[0].pop("audit_log")
    assert restored_audit[:-1] == before[0].pop("audit_log")
    assert restored_audit[-1]["action"] == "backup.restore"
    assert after[0] == before[0]
    assert after[1] == before[1]  # every photo, byte for byte
    db.check_schema_current(empty_engine)
    if empty_engine.dialect.name == "postgresql":
        # Loaded row by row: the planner has statistics at once (-1: never analysed).
        with empty_engine.connect() as conn:
            tuples = conn.execute(
                sa.text("SELECT reltuples FROM pg_class WHERE oid = 'session_needles'::regclass")
            ).scalar_one()
        assert tuples >= 0
    # The restored database still guards signed notes and keeps working.
    pat = Actor(user_id=2, username="pat", role="practitioner", source="test")
    with db.session_scope(empty_engine) as s:
        got = svc.get_session(session=s, actor=pat, session_id=full_record["session"])
        assert got.status == "signed" and len(got.needles) == 3
        svc.create_client(
            session=s, actor=pat, data=ClientCreate(given_name="New", family_name="One")
        )


def test_restore_refuses_non_empty_target(
    engine: sa.Engine, store: LocalPhotoStore, full_record: dict[str, int], tmp_path: Path
) -> None:
    archive = tmp_path / "b.tar"
    backup(archive, engine=engine, store=store)
    with pytest.raises(BackupError, match="Refusing"):
        restore(archive, engine=engine, store=store)
    with engine.connect() as conn:
        last = conn.execute(
            sa.text("SELECT action, detail FROM audit_log ORDER BY id DESC LIMIT 1")
        ).one()
    assert last.action == "backup.restore_refused" and "Refusing" in last.detail


def test_damaged_archive_is_refused(
    engine: sa.Engine,
    store: LocalPhotoStore,
    full_record: dict[str, int],
    tmp_path: Path,
    empty_engine: sa.Engine,
) -> None:
    archive = tmp_path / "b.tar"
    backup(archive, engine=engine, store=store)
    with tarfile.open(archive) as tar:
        member = next(m for m in tar.getmembers() if "/photos/" in m.name)
    data = bytearray(archive.read_bytes())
    # Flip bits inside a photo's bytes: its checksum no longer matches the manifest.
    start = member.offset_data + member.size // 2
    data[start : start + 8] = bytes(b ^ 0xFF for b in data[start : start + 8])
    archive.write_bytes(bytes(data))
    with pytest.raises(BackupError, match="damaged"):
        restore(archive, engine=empty_engine, store=LocalPhotoStore(tmp_path / "r" / "photos"))


def test_backup_while_a_writer_holds_a_transaction(
    engine: sa.Engine,
    session: Session,
    pat: Actor,
    store: LocalPhotoStore,
    full_record: dict[str, int],
    tmp_path: Path,
    backend: str,
) -> None:
    # The app is "running": a write transaction is open and not yet committed.
    svc.create_client(
        session=session, actor=pat, data=ClientCreate(given_name="Un", family_name="Committed")
    )
    session.flush()
    archive = tmp_path / "live.tar"
    backup(archive, engine=engine, store=store)
    session.rollback()
    restored = tmp_path / "live-restore"
    target = db.make_engine(f"sqlite:///{restored / 'acuface.sqlite3'}")
    try:
        restore(archive, engine=target, store=LocalPhotoStore(restored / "photos"))
        with target.connect() as conn:
            names = conn.execute(sa.text("SELECT family_name FROM clients")).scalars().all()
    finally:
        target.dispose()
    assert names == ["Lindqvist"]  # committed data only
    if backend == "sqlite":
        with sqlite3.connect(restored / "acuface.sqlite3") as con:
            assert con.execute("PRAGMA integrity_check").fetchone() == ("ok",)


def test_force_restore_replaces_sqlite_but_not_postgres(
    engine: sa.Engine,
    session: Session,
    pat: Actor,
    store: LocalPhotoStore,
    full_record: dict[str, int],
    tmp_path: Path,
    backend: str,
    portrait_paths: list[Path],
) -> None:
    archive = tmp_path / "b.tar"
    before = _snapshot(engine, store)
    backup(archive, engine=engine, store=store)
    # Later changes: a new client with a new photo.
    c = svc.create_client(
        session=session, actor=pat, data=ClientCreate(given_name="La", family_name="Ter")
    )
    give_consents(session, c.id, actor=pat)
    svc.add_photo(
        session=session,
        actor=pat,
        client_id=c.id,
        data=portrait_paths[5].read_bytes(),
        analyse=False,
        store=store,
    )
    session.commit()
    session.close()
    if backend != "sqlite":
        with pytest.raises(BackupError, match="new, empty PostgreSQL"):
            restore(archive, engine=engine, store=store, force=True)
        return
    restore(archive, engine=engine, store=store, force=True)
    after = _snapshot(engine, store)
    assert after[0]["audit_log"][-1]["action"] == "backup.restore"
    assert after[0].pop("audit_log")[:-1] == before[0].pop("audit_log")
    assert after == before
