"""Every read and write of client data through the services leaves an audit entry."""

from __future__ import annotations

from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from acuface.clinic import services as svc
from acuface.clinic.export import export_csv, export_fhir
from acuface.clinic.schemas import Actor, ClientUpdate


def _last(engine_session: Session) -> tuple[int, Any]:
    row = engine_session.execute(
        sa.text(
            "SELECT id, action, record_type, record_id, client_id, username, source "
            "FROM audit_log ORDER BY id DESC LIMIT 1"
        )
    ).one()
    return row[0], row


def test_every_client_data_call_is_audited(
    session: Session, alice: Actor, full_record: dict[str, int], store: Any
) -> None:
    cid, sid, pid = full_record["client"], full_record["session"], full_record["photo"]
    calls = {
        "client.read": lambda: svc.get_client(session=session, actor=alice, client_id=cid),
        "client.list": lambda: svc.list_clients(session=session, actor=alice),
        "client.update": lambda: svc.update_client(
            session=session, actor=alice, client_id=cid, data=ClientUpdate(notes="n")
        ),
        "intake.list": lambda: svc.list_intakes(session=session, actor=alice, client_id=cid),
        "plan.read": lambda: svc.get_plan(
            session=session, actor=alice, plan_id=full_record["plan"]
        ),
        "plan.list": lambda: svc.list_plans(session=session, actor=alice, client_id=cid),
        "session.read": lambda: svc.get_session(session=session, actor=alice, session_id=sid),
        "session.list": lambda: svc.list_sessions(session=session, actor=alice, client_id=cid),
        "schedule.read": lambda: svc.list_schedule(
            session=session, actor=alice, day=date(2026, 1, 12)
        ),
        "adverse_event.list": lambda: svc.list_adverse_events(
            session=session, actor=alice, client_id=cid
        ),
        "photo.read": lambda: svc.get_photo(session=session, actor=alice, photo_id=pid),
        "photo.read_bytes": lambda: svc.read_photo_bytes(
            session=session, actor=alice, photo_id=pid, store=store
        ),
        "photo.list": lambda: svc.list_photos(session=session, actor=alice, client_id=cid),
        "measurement.list": lambda: svc.list_measurements(
            session=session, actor=alice, client_id=cid
        ),
        "rating.list": lambda: svc.list_ratings(session=session, actor=alice, client_id=cid),
        "consent.list": lambda: svc.list_consents(session=session, actor=alice, client_id=cid),
        "timeline.read": lambda: svc.client_timeline(session=session, actor=alice, client_id=cid),
        "client.export": lambda: export_fhir(session=session, actor=alice, client_id=cid),
    }
    session.flush()
    last_id, _ = _last(session)
    for action, call in calls.items():
        call()
        session.flush()
        new_id, row = _last(session)
        assert new_id > last_id, f"{action}: no audit entry"
        assert row.action == action and row.username == "alice" and row.source == "10.0.0.7"
        if action not in ("client.list", "schedule.read"):
            assert row.client_id == cid, action
        last_id = new_id
    export_csv(session=session, actor=alice, client_id=cid)
    session.flush()
    assert _last(session)[1].action == "client.export"
