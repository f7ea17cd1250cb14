"""A read that was answered is in the audit log, even when the server is killed right after.

Reads' audit entries are group-committed after the read (``acuface.clinic.auditlog``)
rather than inside the read's transaction. This test SIGKILLs a real ``acuface
serve`` in the middle of a burst of reads by several users and checks, after a
restart, that every read that got its answer left its entry.

Each reader reads a client nobody else reads, each client once, so one answered
read is one expected entry (client id, user): a lost entry cannot hide behind an
unanswered read's entry.
"""

from __future__ import annotations

import random
import signal
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa

from pgtest import pg_unavailable
from realprocs import Server

from .webhelpers import PASSWORD, csrf_of, make_data_dir

READERS = ("ada", "pat")
THREADS_PER_READER = 3
CLIENTS = 600


def _seed_clients(settings: object) -> list[int]:
    from acuface.clinic import db
    from acuface.clinic import services as svc
    from acuface.clinic.schemas import Actor, ClientCreate

    engine = db.make_engine(settings.sqlalchemy_url)  # type: ignore[attr-defined]
    with db.session_scope(engine) as s:
        ids = [
            svc.create_client(
                session=s,
                actor=Actor.system(),
                data=ClientCreate(given_name=f"Reader{i}", family_name="Durable"),
            ).id
            for i in range(CLIENTS)
        ]
    engine.dispose()
    return ids


def _login(base: str, username: str) -> httpx.Client:
    http = httpx.Client(base_url=base, timeout=30)
    token = csrf_of(http.get("/login").text)
    r = http.post(
        "/login",
        data={"username": username, "password": PASSWORD, "csrf_token": token, "next": "/"},
    )
    assert r.status_code in (200, 303), r.text[:300]
    return http


def _burst(base: str, ids: list[int], kill: Callable[[], None]) -> dict[str, list[int]]:
    """Read clients from several threads until the server dies; the answered ids per user."""
    answered: dict[str, list[int]] = {u: [] for u in READERS}
    lock = threading.Lock()
    slices = [
        ids[i :: len(READERS) * THREADS_PER_READER]
        for i in range(len(READERS) * THREADS_PER_READER)
    ]
    clients = [_login(base, u) for u in READERS for _ in range(THREADS_PER_READER)]

    def read(worker: int) -> None:
        user = READERS[worker // THREADS_PER_READER]
        http = clients[worker]
        for cid in slices[worker]:
            try:
                r = http.get(f"/api/clients/{cid}")
            except httpx.HTTPError:
                return  # the server is gone
            if r.status_code == 200:
                assert r.json()["id"] == cid
                with lock:
                    answered[user].append(cid)

    threads = [threading.Thread(target=read, args=(w,)) for w in range(len(clients))]
    for t in threads:
        t.start()
    pause = threading.Event()

    def total() -> int:
        with lock:
            return sum(len(v) for v in answered.values())

    # Kill once the burst is well under way, at an arbitrary moment.
    deadline = time.monotonic() + 120
    while total() < 120 and time.monotonic() < deadline and any(t.is_alive() for t in threads):
        pause.wait(0.02)
    time.sleep(random.uniform(0.0, 0.2))
    kill()
    for t in threads:
        t.join(timeout=60)
    for c in clients:
        c.close()
    return answered


@pytest.fixture
def pg_database_url() -> Iterator[str]:
    """A fresh PostgreSQL schema for the server (dropped afterwards), as a URL."""
    from pgtest import PG_URL

    schema = f"acuface_audit_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(PG_URL)
    with admin.begin() as conn:
        conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    sep = "&" if "?" in PG_URL else "?"
    try:
        yield f"{PG_URL}{sep}options=-csearch_path%3D{schema}"
    finally:
        with admin.begin() as conn:
            conn.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.mark.parametrize(
    "backend", ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]
)
def test_sigkill_mid_burst_keeps_every_answered_read(
    tmp_path: Path, backend: str, request: pytest.FixtureRequest
) -> None:
    database_url = None
    if backend == "postgresql":
        reason = pg_unavailable()
        if reason:
            pytest.skip(reason)
        database_url = request.getfixturevalue("pg_database_url")
    settings, _ids = make_data_dir(tmp_path / "data", database_url=database_url)
    ids = _seed_clients(settings)
    server = Server(tmp_path / "data", database_url=database_url)
    try:
        answered = _burst(server.url, ids, lambda: server.proc.send_signal(signal.SIGKILL))
        assert server.proc.wait(timeout=30) == -signal.SIGKILL
    finally:
        server.stop()
    assert sum(len(v) for v in answered.values()) >= 120

    # Restarted, the server starts and serves again on the same data.
    again = Server(tmp_path / "data", database_url=database_url)
    try:
        assert httpx.get(f"{again.url}/healthz").status_code == 200
    finally:
        again.stop()

    engine = sa.create_engine(settings.sqlalchemy_url)  # type: ignore[attr-defined]
    with engine.connect() as conn:
        rows = conn.execute(
            sa.text("SELECT username, record_id FROM audit_log WHERE action = 'client.read'")
        ).all()
    engine.dispose()
    logged = {(u, int(r)) for u, r in rows}
    for user, cids in answered.items():
        missing = [c for c in cids if (user, c) not in logged]
        assert not missing, f"{len(missing)} answered reads by {user} are not in the audit log"
    # At most one read per thread was in flight (committed but unanswered) at the kill.
    answered_pairs = {(u, c) for u, cids in answered.items() for c in cids}
    assert len(logged - answered_pairs) <= len(READERS) * THREADS_PER_READER
