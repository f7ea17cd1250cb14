"""Signed notes are never edited in place; amendments keep the original visible."""

from __future__ import annotations

from datetime import date

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from acuface.clinic import services as svc
from acuface.clinic.schemas import Actor, NeedleIn, SessionCreate, SessionUpdate
from acuface.errors import InvalidRecord, RecordLocked


def _draft(session: Session, actor: Actor, client_id: int) -> int:
    s = svc.create_session(
        session=session,
        actor=actor,
        client_id=client_id,
        data=SessionCreate(
            session_date=date(2026, 2, 3),
            retention_minutes=20,
            subjective="Jaw tight in the mornings.",
            needles=[
                NeedleIn(point_code="ST6", side="left"),
                NeedleIn(point_code="ST6", side="right"),
            ],
            needles_out=2,
        ),
    )
    session.commit()
    return s.id


@pytest.mark.usefixtures("client_consents")
def test_draft_edit_sign_then_locked(session: Session, pat: Actor, client_id: int) -> None:
    sid = _draft(session, pat, client_id)
    edited = svc.update_session(
        session=session, actor=pat, session_id=sid, data=SessionUpdate(assessment="Better.")
    )
    assert edited.assessment == "Better." and edited.subjective == "Jaw tight in the mornings."
    signed = svc.sign_session(session=session, actor=pat, session_id=sid)
    session.commit()
    assert signed.status == "signed" and signed.signed_by == "Pat Moreau" and signed.signed_at
    with pytest.raises(RecordLocked):
        svc.update_session(
            session=session, actor=pat, session_id=sid, data=SessionUpdate(assessment="x")
        )
    with pytest.raises(RecordLocked):
        svc.set_needles(session=session, actor=pat, session_id=sid, needles=[])
    with pytest.raises(RecordLocked):
        svc.sign_session(session=session, actor=pat, session_id=sid)


@pytest.mark.usefixtures("client_consents")
def test_amendment_keeps_original(session: Session, pat: Actor, client_id: int) -> None:
    sid = _draft(session, pat, client_id)
    with pytest.raises(InvalidRecord):
        svc.amend_session(session=session, actor=pat, session_id=sid, text="too early")
    svc.sign_session(session=session, actor=pat, session_id=sid)
    session.commit()
    amended = svc.amend_session(
        session=session,
        actor=pat,
        session_id=sid,
        text="ST6 on the right was not needled (client flinched).",
        reason="charting error",
        needles=[NeedleIn(point_code="ST6", side="left")],
    )
    session.commit()
    again = svc.get_session(session=session, actor=pat, session_id=sid)
    # The signed original is unchanged...
    assert [(n.point_code, n.side) for n in again.needles] == [("ST6", "left"), ("ST6", "right")]
    assert again.subjective == "Jaw tight in the mornings."
    # ...and the amendment sits beside it, dated and attributed.
    assert len(amended.amendments) == len(again.amendments) == 1
    a = again.amendments[0]
    assert a.author == "pat" and a.reason == "charting error" and a.created_at >= again.signed_at
    assert [(n.point_code, n.side) for n in a.needles or []] == [("ST6", "left")]


@pytest.mark.usefixtures("client_consents")
def test_database_guard_refuses_direct_update(
    session: Session, engine: sa.Engine, pat: Actor, client_id: int
) -> None:
    sid = _draft(session, pat, client_id)
    # Before signing, a direct update works (the guard only protects signed notes).
    with engine.begin() as conn:
        conn.execute(
            sa.text("UPDATE treatment_sessions SET technique='even' WHERE id=:i"), {"i": sid}
        )
    svc.sign_session(session=session, actor=pat, session_id=sid)
    session.commit()
    for statement in (
        "UPDATE treatment_sessions SET subjective='rewritten' WHERE id=:i",
        "UPDATE session_needles SET count=5 WHERE session_id=:i",
        "INSERT INTO session_needles (session_id, point_code, side, count) "
        "VALUES (:i, 'LI20', 'left', 1)",
    ):
        with pytest.raises(sa.exc.DatabaseError, match="locked"):
            with engine.begin() as conn:
                conn.execute(sa.text(statement), {"i": sid})
    with engine.connect() as conn:
        text = conn.execute(
            sa.text("SELECT subjective FROM treatment_sessions WHERE id=:i"), {"i": sid}
        ).scalar()
    assert text == "Jaw tight in the mornings."


def test_audit_log_is_append_only(
    session: Session, engine: sa.Engine, pat: Actor, client_id: int
) -> None:
    with engine.connect() as conn:
        n = conn.execute(sa.text("SELECT COUNT(*) FROM audit_log")).scalar()
    assert n and n > 0
    for statement in ("UPDATE audit_log SET username='mallory'", "DELETE FROM audit_log"):
        with pytest.raises(sa.exc.DatabaseError, match="append-only"):
            with engine.begin() as conn:
                conn.execute(sa.text(statement))
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT COUNT(*) FROM audit_log")).scalar() == n
        assert (
            conn.execute(
                sa.text("SELECT COUNT(*) FROM audit_log WHERE username='mallory'")
            ).scalar()
            == 0
        )


def test_unknown_point_code_rejected(session: Session, pat: Actor, client_id: int) -> None:
    from acuface.errors import UnknownPointCode

    with pytest.raises(UnknownPointCode):
        svc.create_session(
            session=session,
            actor=pat,
            client_id=client_id,
            data=SessionCreate(
                session_date=date(2026, 2, 3), needles=[NeedleIn(point_code="ST99", side="left")]
            ),
        )
