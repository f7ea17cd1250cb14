"""The database, data folder, photos and backups are the service user's only (0600/0700).

Before, they were created with the process umask: 0644 files and 0755 folders,
readable by every account on the machine. The tests run under umask 022 (the
usual default) so that only the code's own modes can make them private.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from acuface.clinic import db
from acuface.clinic.backup import backup, restore
from acuface.clinic.photostore import LocalPhotoStore


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def permissive_umask() -> Iterator[None]:
    old = os.umask(0o022)
    try:
        yield
    finally:
        os.umask(old)


def test_new_sqlite_database_and_its_folder_are_private(tmp_path, permissive_umask) -> None:  # noqa: ANN001
    data = tmp_path / "data"
    engine = db.make_engine(f"sqlite:///{data / 'acuface.sqlite3'}")
    db.upgrade(engine)
    with engine.begin() as conn:  # a write, so the -wal and -shm files exist
        conn.execute(
            sa.text(
                "insert into users (username, display_name, role, password_hash, "
                "is_active, created_at) values ('x', 'x', 'admin', 'h', 1, '2026-01-01')"
            )
        )
        assert (data / "acuface.sqlite3-wal").exists()
        for name in ("acuface.sqlite3", "acuface.sqlite3-wal", "acuface.sqlite3-shm"):
            assert _mode(data / name) == 0o600, name
    engine.dispose()
    assert _mode(data) == 0o700


def test_an_existing_world_readable_database_is_tightened(tmp_path, permissive_umask) -> None:  # noqa: ANN001
    data = tmp_path / "data"
    data.mkdir(mode=0o755)
    path = data / "acuface.sqlite3"
    path.touch(mode=0o644)
    os.chmod(path, 0o644)
    db.make_engine(f"sqlite:///{path}").dispose()
    assert _mode(path) == 0o600
    assert _mode(data) == 0o700


def test_photos_and_their_folders_are_private(tmp_path, permissive_umask, portrait_paths) -> None:  # noqa: ANN001
    store = LocalPhotoStore(tmp_path / "data" / "photos")
    digest = store.put(portrait_paths[0].read_bytes())
    path = store.path_for(digest)
    assert _mode(path) == 0o600
    for folder in (path.parent, store.root, store.tmp_dir):
        assert _mode(folder) == 0o700, folder


def test_backups_and_restored_databases_are_private(
    engine,
    store,
    full_record,
    tmp_path,
    permissive_umask,  # noqa: ANN001
) -> None:
    archive = tmp_path / "backups" / "clinic.tar"
    backup(archive, engine=engine, store=store)
    assert _mode(archive) == 0o600
    assert _mode(archive.parent) == 0o700  # created by the backup
    if engine.dialect.name != "sqlite":
        return
    restored = tmp_path / "restored"
    target = db.make_engine(f"sqlite:///{restored / 'acuface.sqlite3'}")
    restore(archive, engine=target, store=LocalPhotoStore(restored / "photos"))
    target.dispose()
    assert _mode(restored / "acuface.sqlite3") == 0o600
    photo_files = [p for p in (restored / "photos").rglob("*.jpg")]
    assert photo_files and all(_mode(p) == 0o600 for p in photo_files)


def test_a_backup_into_a_chosen_existing_folder_leaves_the_folder_alone(
    engine,
    store,
    tmp_path,
    permissive_umask,
    users,  # noqa: ANN001
) -> None:
    shared = tmp_path / "usb"
    shared.mkdir()
    os.chmod(shared, 0o755)
    backup(shared / "b.tar", engine=engine, store=store)
    assert _mode(shared) == 0o755
    assert _mode(shared / "b.tar") == 0o600
