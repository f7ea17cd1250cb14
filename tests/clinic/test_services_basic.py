from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy.orm import Session

from acuface.clinic import services as svc
from acuface.clinic.schemas import (
    Actor,
    AdverseEventCreate,
    ClientCreate,
    ClientUpdate,
    NeedleIn,
    SessionCreate,
)
from acuface.errors import NotFound, PermissionDenied


def test_client_crud_and_audit(session: Session, pat: Actor, ada: Actor) -> None:
    c = svc.create_client(
        session=session,
        actor=pat,
        data=ClientCreate(given_name="Ines", family_name="Okafor", birth_date=date(1980, 5, 2)),
    )
    got = svc.get_client(session=session, actor=pat, client_id=c.id)
    assert got.name == "Ines Okafor" and got.birth_date == date(1980, 5, 2)
    up = svc.update_client(
        session=session, actor=pat, client_id=c.id, data=ClientUpdate(phone="+44 20 7946 0000")
    )
    assert up.phone == "+44 20 7946 0000" and up.family_name == "Okafor"
    rows = svc.list_clients(session=session, actor=pat, search="okaf")
    assert [r.id for r in rows] == [c.id]
    session.commit()
    log = svc.list_audit(session=session, actor=ada, client_id=c.id)
    actions = [e.action for e in reversed(log)]
    assert actions == ["client.create", "client.read", "client.update"]
    assert all(e.username == "pat" and e.source == "10.0.0.7" for e in log)


def test_session_with_needles_and_event(session: Session, pat: Actor, client_id: int) -> None:
    s = svc.create_session(
        session=session,
        actor=pat,
        client_id=client_id,
        data=SessionCreate(
            session_date=date(2026, 1, 5),
            retention_minutes=25,
            needles=[
                NeedleIn(point_code="st2", side="left"),
                NeedleIn(point_code="ST2", side="left"),
            ],
        ),
    )
    assert [(n.point_code, n.side, n.count) for n in s.needles] == [("ST2", "left", 2)]
    ev = svc.record_adverse_event(
        session=session,
        actor=pat,
        client_id=client_id,
        data=AdverseEventCreate(
            kind="bruising",
            session_id=s.id,
            onset_date=date(2026, 1, 5),
            point_code="ST2",
            side="left",
        ),
    )
    assert ev.kind == "bruising" and ev.resolved_date is None
    session.commit()


def test_reception_cannot_read_notes(session: Session, rita: Actor, client_id: int) -> None:
    # Reception sees contact details...
    assert svc.get_client(session=session, actor=rita, client_id=client_id).email
    # ...but not clinical content.
    with pytest.raises(PermissionDenied):
        svc.list_sessions(session=session, actor=rita, client_id=client_id)


def test_missing_client(session: Session, pat: Actor) -> None:
    with pytest.raises(NotFound):
        svc.get_client(session=session, actor=pat, client_id=999)
