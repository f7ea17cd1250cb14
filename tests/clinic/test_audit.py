"""Every read and write of client data through the services leaves an audit entry."""

from __future__ import annotations

import sqlite3
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from acuface.clinic import auditlog
from acuface.clinic import services as svc
from acuface.clinic.export import export_csv, export_fhir
from acuface.clinic.schemas import Actor, ClientUpdate
from acuface.errors import AuditUnavailable


def _last(engine_session: Session) -> tuple[int, Any]:
    row = engine_session.execute(
        sa.text(
            "SELECT id, action, record_type, record_id, client_id, username, source "
            "FROM audit_log ORDER BY id DESC LIMIT 1"
        )
    ).one()
    return row[0], row


def test_every_client_data_call_is_audited(
    session: Session, pat: Actor, full_record: dict[str, int], store: Any
) -> None:
    cid, sid, pid = full_record["client"], full_record["session"], full_record["photo"]
    calls = {
        "client.read": lambda: svc.get_client(session=session, actor=pat, client_id=cid),
        "client.list": lambda: svc.list_clients(session=session, actor=pat),
        "client.update": lambda: svc.update_client(
            session=session, actor=pat, client_id=cid, data=ClientUpdate(notes="n")
        ),
        "intake.list": lambda: svc.list_intakes(session=session, actor=pat, client_id=cid),
        "plan.read": lambda: svc.get_plan(session=session, actor=pat, plan_id=full_record["plan"]),
        "plan.list": lambda: svc.list_plans(session=session, actor=pat, client_id=cid),
        "session.read": lambda: svc.get_session(session=session, actor=pat, session_id=sid),
        "session.list": lambda: svc.list_sessions(session=session, actor=pat, client_id=cid),
        "schedule.read": lambda: svc.list_schedule(
            session=session, actor=pat, day=date(2026, 1, 12)
        ),
        "adverse_event.list": lambda: svc.list_adverse_events(
            session=session, actor=pat, client_id=cid
        ),
        "photo.read": lambda: svc.get_photo(session=session, actor=pat, photo_id=pid),
        "photo.read_bytes": lambda: svc.read_photo_bytes(
            session=session, actor=pat, photo_id=pid, store=store
        ),
        "photo.list": lambda: svc.list_photos(session=session, actor=pat, client_id=cid),
        "measurement.list": lambda: svc.list_measurements(
            session=session, actor=pat, client_id=cid
        ),
        "rating.list": lambda: svc.list_ratings(session=session, actor=pat, client_id=cid),
        "consent.list": lambda: svc.list_consents(session=session, actor=pat, client_id=cid),
        "timeline.read": lambda: svc.client_timeline(session=session, actor=pat, client_id=cid),
        "client.export": lambda: export_fhir(session=session, actor=pat, client_id=cid),
    }
    session.commit()
    last_id, _ = _last(session)
    for action, call in calls.items():
        call()
        session.commit()  # a read's entry is written when its transaction ends
        new_id, row = _last(session)
        assert new_id > last_id, f"{action}: no audit entry"
        assert row.action == action and row.username == "pat" and row.source == "10.0.0.7"
        if action not in ("client.list", "schedule.read"):
            assert row.client_id == cid, action
        last_id = new_id
    export_csv(session=session, actor=pat, client_id=cid)
    session.commit()
    assert _last(session)[1].action == "client.export"


def _audit_actions(engine: sa.Engine) -> list[str]:
    with engine.connect() as conn:
        return list(conn.execute(sa.text("SELECT action FROM audit_log ORDER BY id")).scalars())


def test_reads_leave_the_write_lock_free_until_their_entries_are_committed(
    engine: sa.Engine, session: Session, pat: Actor, client_id: int, backend: str
) -> None:
    if backend != "sqlite":
        pytest.skip("SQLite's single write lock")
    before = _audit_actions(engine)
    svc.get_client(session=session, actor=pat, client_id=client_id)
    svc.client_timeline(session=session, actor=pat, client_id=client_id)
    svc.list_sessions(session=session, actor=pat, client_id=client_id)
    # While the reading session is still open, another writer gets the lock at once.
    other = sqlite3.connect(engine.url.database, timeout=0)
    try:
        other.execute("BEGIN IMMEDIATE")
        other.execute("ROLLBACK")
    finally:
        other.close()
    assert _audit_actions(engine) == before
    session.commit()
    assert _audit_actions(engine)[len(before) :] == ["client.read", "timeline.read", "session.list"]


def test_a_write_and_its_entry_commit_or_roll_back_together(
    engine: sa.Engine, session: Session, pat: Actor, client_id: int
) -> None:
    before = _audit_actions(engine)
    svc.get_client(session=session, actor=pat, client_id=client_id)
    svc.update_client(session=session, actor=pat, client_id=client_id, data=ClientUpdate(notes="x"))
    session.rollback()
    assert _audit_actions(engine) == before
    svc.get_client(session=session, actor=pat, client_id=client_id)
    svc.update_client(session=session, actor=pat, client_id=client_id, data=ClientUpdate(notes="y"))
    session.commit()
    # The read's entry joined the write's transaction.
    assert _audit_actions(engine)[len(before) :] == ["client.read", "client.update"]


def test_a_read_whose_entry_cannot_be_written_fails(
    session: Session, pat: Actor, client_id: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(_engine: object, batch: list[Any]) -> None:
        for ticket in batch:
            ticket.error = RuntimeError("disk full")

    monkeypatch.setattr(auditlog, "_commit", broken)
    svc.get_client(session=session, actor=pat, client_id=client_id)
    with pytest.raises(AuditUnavailable):
        session.commit()


def test_group_commit_writes_every_entry_of_concurrent_readers(
    engine: sa.Engine, users: dict[str, Actor], client_id: int
) -> None:
    from acuface.clinic import db

    pat = users["pat"]
    before = len(_audit_actions(engine))

    def reader(_: int) -> None:
        for _ in range(10):
            with db.session_scope(engine) as s:
                svc.get_client(session=s, actor=pat, client_id=client_id)

    with ThreadPoolExecutor(8) as pool:
        list(pool.map(reader, range(8)))
    assert len(_audit_actions(engine)) - before == 80
