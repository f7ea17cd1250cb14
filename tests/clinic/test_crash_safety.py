"""A writer SIGKILLed mid-way leaves no corrupt or half-written committed record."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import sqlalchemy as sa

from acuface.clinic.photostore import LocalPhotoStore, sha256_hex

WRITER = Path(__file__).with_name("crash_writer.py")


def test_sigkill_mid_write_leaves_consistent_records(
    engine: sa.Engine, tmp_path: Path, portrait_paths: list[Path], backend: str
) -> None:
    store_dir = tmp_path / "data" / "photos"
    if backend == "sqlite":
        search_path = "-"
    else:
        with engine.connect() as conn:
            search_path = conn.execute(sa.text("SHOW search_path")).scalar()
    url = engine.url.render_as_string(hide_password=False)
    engine.dispose()  # the child must be the only writer
    proc = subprocess.Popen(
        [
            sys.executable,
            str(WRITER),
            url,
            str(search_path),
            str(store_dir),
            *map(str, portrait_paths[:5]),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "ACUFACE_DATA_DIR": str(tmp_path / "data")},
    )
    committed = 0
    assert proc.stdout is not None
    deadline = time.monotonic() + 120
    while committed < 6 and time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line:
            break
        committed = int(line.split()[1])
    # Kill at an arbitrary moment inside the next iterations.
    time.sleep(random.uniform(0.0, 0.15))
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    # Commits the child reported after we stopped reading (before it died).
    for line in proc.stdout.read().splitlines():
        if line.startswith("committed "):
            committed = int(line.split()[1])
    assert committed >= 6, proc.stderr.read() if proc.stderr else ""
    assert proc.returncode == -signal.SIGKILL

    if backend == "sqlite":
        with engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA integrity_check").scalar() == "ok"
            assert conn.exec_driver_sql("PRAGMA foreign_key_check").fetchall() == []
    store = LocalPhotoStore(store_dir)
    with engine.connect() as conn:
        photos = conn.execute(sa.text("SELECT id, sha256, byte_size, session_id FROM photos")).all()
        sessions = conn.execute(
            sa.text(
                "SELECT s.id, s.signed_at, COUNT(n.id), COALESCE(SUM(n.count), 0) "
                "FROM treatment_sessions s LEFT JOIN session_needles n ON n.session_id = s.id "
                "GROUP BY s.id, s.signed_at"
            )
        ).all()
    # Every commit the child reported is there (and at most one more that had not printed yet).
    assert committed <= len(sessions) <= committed + 1
    # Never a half-written committed session: each is signed with all its needles and its photo.
    assert all(
        signed is not None and rows == 3 and total == 4 for _, signed, rows, total in sessions
    )
    assert sorted(p.session_id for p in photos) == sorted(s[0] for s in sessions)
    # Every committed photo row has its file, with the right content.
    for _pid, digest, size, _sid in photos:
        data = store.get(digest)
        assert len(data) == size and sha256_hex(data) == digest
    # Interrupted writes leave at most temp files, which are never taken for photos.
    hashes = set(store.iter_hashes())
    assert {p.sha256 for p in photos} <= hashes
    assert all(sha256_hex(store.get(h)) == h for h in hashes)
    leftovers = list((store_dir / ".tmp").glob("*")) if (store_dir / ".tmp").exists() else []
    # Each iteration writes unique bytes, so a temp file's hash must not show up as a photo.
    assert not {f.name.split(".")[0] for f in leftovers} & hashes
    # At most the one photo of the killed iteration is on disk without its row.
    assert len(hashes - {p.sha256 for p in photos}) <= 1
    # The store check agrees, and cleaning removes the leftovers but no photo of a row.
    from acuface.clinic import db
    from acuface.clinic import services as svc
    from acuface.clinic.schemas import Actor

    with db.session_scope(engine) as session:
        check = svc.check_photo_store(session=session, actor=Actor.system(), store=store)
        assert check.missing == [] and check.corrupt == [] and len(check.orphans) <= 1
        cleaned = svc.check_photo_store(
            session=session, actor=Actor.system(), store=store, clean=True, grace_s=0
        )
    assert cleaned.removed == len(check.orphans) + check.temp_files
    assert set(store.iter_hashes()) == {p.sha256 for p in photos}
    assert store.temp_files() == []
