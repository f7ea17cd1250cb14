"""Signing notes: the practitioner signs; a colleague signs only with a reason; both are kept.

pat is the note's practitioner, lian a second practitioner, ada the admin.
"""

from __future__ import annotations

import json
from datetime import date, time

import pytest
from sqlalchemy.orm import Session

from acuface.clinic import services as svc
from acuface.clinic.schemas import Actor, NeedleIn, SessionCreate
from acuface.errors import InvalidRecord, PermissionDenied

pytestmark = pytest.mark.usefixtures("client_consents")


def _note(session: Session, pat: Actor, client_id: int) -> int:
    s = svc.create_session(
        session=session,
        actor=pat,
        client_id=client_id,
        data=SessionCreate(
            session_date=date(2026, 11, 30),
            start_time=time(9, 15),
            needles=[NeedleIn(point_code="ST6", side="left")],
            needles_out=1,
        ),
    )
    session.commit()
    return s.id


def test_the_practitioner_signs_with_full_name_and_credentials(
    session: Session, pat: Actor, ada: Actor, client_id: int
) -> None:
    svc.set_user_profile(session=session, actor=ada, user_id=pat.user_id, credentials="Lic. Ac.")
    with pytest.raises(PermissionDenied):
        svc.set_user_profile(session=session, actor=pat, user_id=pat.user_id, credentials="Dr.")
    signed = svc.sign_session(session=session, actor=pat, session_id=_note(session, pat, client_id))
    assert signed.signed_by == "Pat Moreau" and signed.signed_by_credentials == "Lic. Ac."
    assert signed.signer_line == "Pat Moreau, Lic. Ac." and not signed.signed_for_colleague
    assert signed.signed_for_reason is None and signed.start_time == time(9, 15)
    # Credentials changed later do not change a signed note.
    svc.set_user_profile(session=session, actor=ada, user_id=pat.user_id, credentials="MSc")
    again = svc.get_session(session=session, actor=pat, session_id=signed.id)
    assert again.signed_by_credentials == "Lic. Ac."


def test_a_colleague_signs_only_with_a_reason_and_both_are_recorded(
    session: Session, pat: Actor, lian: Actor, client_id: int
) -> None:
    sid = _note(session, pat, client_id)
    with pytest.raises(InvalidRecord, match="Pat Moreau's note.*give the reason"):
        svc.sign_session(session=session, actor=lian, session_id=sid)
    with pytest.raises(InvalidRecord, match="give the reason"):
        svc.sign_session(session=session, actor=lian, session_id=sid, reason="   ")
    assert svc.get_session(session=session, actor=pat, session_id=sid).status == "draft"
    signed = svc.sign_session(
        session=session, actor=lian, session_id=sid, reason="Pat on leave; reviewed by phone"
    )
    session.commit()
    assert signed.practitioner_id == pat.user_id and signed.signed_by_id == lian.user_id
    assert signed.signed_by == "Lian Chen" and signed.signed_for_colleague
    assert signed.signed_for_reason == "Pat on leave; reviewed by phone"
    entry = next(
        e
        for e in svc.list_audit(session=session, actor=Actor.system(), action="session.sign")
        if e.record_id == str(sid)
    )
    detail = json.loads(entry.detail or "{}")
    assert entry.username == "lian" and detail["for_colleague"] is True
    assert detail["practitioner_id"] == pat.user_id and detail["signer_id"] == lian.user_id
    assert detail["reason"] == "Pat on leave; reviewed by phone"


def test_a_finished_visit_is_charted_and_signed_in_one_call(
    session: Session, pat: Actor, client_id: int
) -> None:
    """What the demo clinic and the benchmark builder write for a past visit."""
    signed = svc.chart_signed_session(
        session=session,
        actor=pat,
        client_id=client_id,
        data=SessionCreate(
            session_date=date(2026, 11, 2),
            start_time=time(10, 0),
            needles=[
                NeedleIn(point_code="ST6", side="left"),
                NeedleIn(point_code="ST6", side="right"),
            ],
            needles_out=2,
        ),
    )
    session.commit()
    assert signed.status == "signed" and signed.signed_by == "Pat Moreau"
    assert [(n.point_code, n.side) for n in signed.needles] == [("ST6", "left"), ("ST6", "right")]
    actions = [
        e.action
        for e in svc.list_audit(session=session, actor=Actor.system(), client_id=client_id)
        if e.record_id == str(signed.id)
    ]
    assert "session.create" in actions and "session.sign" in actions
    # Like sign_session, it refuses a note whose needles were not all counted out.
    with pytest.raises(InvalidRecord):
        svc.chart_signed_session(
            session=session,
            actor=pat,
            client_id=client_id,
            data=SessionCreate(
                session_date=date(2026, 11, 9),
                needles=[NeedleIn(point_code="ST6", side="left")],
                needles_out=0,
            ),
        )
