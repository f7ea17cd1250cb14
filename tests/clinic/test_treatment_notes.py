"""Structured treatment notes: charting follows the plan, overrides, needle count, aftercare.

Worked example of the safety review (finding 6): a point the planner excluded for
safety could be needled with one click and no warning. Now the service asks for a
reason, keeps it with the needle and writes it to the audit log.
"""

from __future__ import annotations

import json
from datetime import date

import pytest
import sqlalchemy as sa
from pydantic import ValidationError
from sqlalchemy.orm import Session

from acuface.clinic import models as m
from acuface.clinic import services as svc
from acuface.clinic.schemas import (
    ADVERSE_KINDS,
    Actor,
    AdverseEventCreate,
    NeedleIn,
    SessionCreate,
    SessionUpdate,
)
from acuface.errors import InvalidRecord
from acuface.planner import Intake, make_plan


def _plan_id(session: Session, actor: Actor, client_id: int) -> int:
    # Wrinkles on blood thinners: GV26, BL2 ... are left out for bleeding risk.
    plan = make_plan(Intake(concerns=["wrinkles"], screening={"anticoagulants": True}))
    assert "GV26" in {e.code for e in plan.excluded}
    stored = svc.save_plan(session=session, actor=actor, client_id=client_id, plan=plan)
    session.commit()
    return stored.id


def test_charting_an_excluded_point_needs_a_reason_that_is_kept_and_audited(
    session: Session, pat: Actor, client_id: int
) -> None:
    plan_id = _plan_id(session, pat, client_id)
    with pytest.raises(InvalidRecord, match=r"GV26 was left out of this session's plan"):
        svc.create_session(
            session=session,
            actor=pat,
            client_id=client_id,
            data=SessionCreate(
                session_date=date(2026, 3, 2),
                plan_id=plan_id,
                needles=[NeedleIn(point_code="GV26", side="midline")],
            ),
        )
    session.rollback()
    s = svc.create_session(
        session=session,
        actor=pat,
        client_id=client_id,
        data=SessionCreate(
            session_date=date(2026, 3, 2),
            plan_id=plan_id,
            needles=[
                NeedleIn(point_code="GB14", side="left"),
                NeedleIn(
                    point_code="GV26",
                    side="midline",
                    override_reason="INR 2.1 today; client asked for upper-lip lines",
                ),
            ],
        ),
    )
    session.commit()
    by_code = {n.point_code: n for n in s.needles}
    assert by_code["GV26"].override_reason.startswith("INR 2.1 today")
    assert [n.point_code for n in s.overrides] == ["GV26"]
    # A planned point takes the plan's technique (gentle on blood thinners).
    assert by_code["GB14"].technique.startswith("cosmetic: transverse")
    logged = session.execute(
        sa.select(m.AuditEntry).where(m.AuditEntry.action == "session.override")
    ).scalars()
    details = [json.loads(row.detail) for row in logged]
    assert details == [
        {
            "point": "GV26",
            "side": "midline",
            "reason": "INR 2.1 today; client asked for upper-lip lines",
            "plan_excluded": next(
                e.why
                for e in make_plan(
                    Intake(concerns=["wrinkles"], screening={"anticoagulants": True})
                ).excluded
                if e.code == "GV26"
            ),
        }
    ]


@pytest.mark.usefixtures("client_consents")
def test_needles_out_must_match_needles_in_before_signing(
    session: Session, pat: Actor, client_id: int
) -> None:
    s = svc.create_session(
        session=session,
        actor=pat,
        client_id=client_id,
        data=SessionCreate(
            session_date=date(2026, 3, 3),
            needles=[
                NeedleIn(point_code="ST6", side="left"),
                NeedleIn(point_code="ST6", side="right"),
            ],
        ),
    )
    session.commit()
    with pytest.raises(InvalidRecord, match="Count the needles out before signing: 2 went in"):
        svc.sign_session(session=session, actor=pat, session_id=s.id)
    svc.update_session(
        session=session, actor=pat, session_id=s.id, data=SessionUpdate(needles_out=1)
    )
    with pytest.raises(InvalidRecord, match="2 needles went in but 1 came out"):
        svc.sign_session(session=session, actor=pat, session_id=s.id)
    # Found later and recorded: then the note may be signed with the short count.
    svc.record_adverse_event(
        session=session,
        actor=pat,
        client_id=client_id,
        data=AdverseEventCreate(
            kind="forgotten_needle",
            session_id=s.id,
            onset_date=date(2026, 3, 3),
            description="Found in the hair behind the left ear after the client sat up.",
        ),
    )
    signed = svc.sign_session(session=session, actor=pat, session_id=s.id)
    assert signed.status == "signed" and signed.needles_out == 1 and signed.needle_total == 2


def test_structured_note_fields_are_validated_against_the_data(
    session: Session, pat: Actor, client_id: int
) -> None:
    s = svc.create_session(
        session=session,
        actor=pat,
        client_id=client_id,
        data=SessionCreate(
            session_date=date(2026, 3, 4),
            needles=[NeedleIn(point_code="ST36", side="left")],
            needles_out=1,
            aftercare=["bruise_care", "medicines_unchanged"],
            inr=2.4,
            position="side_lying",
        ),
    )
    assert s.aftercare == ["bruise_care", "medicines_unchanged"]
    assert s.inr == 2.4 and s.position == "side_lying"
    with pytest.raises(ValidationError, match="unknown aftercare"):
        SessionCreate(session_date=date(2026, 3, 4), aftercare=["hug"])
    with pytest.raises(ValidationError, match="unknown position"):
        SessionCreate(session_date=date(2026, 3, 4), position="standing")


def test_the_wider_adverse_event_list_comes_from_the_data() -> None:
    for kind in (
        "haematoma",
        "infection",
        "nerve_irritation",
        "stuck_needle",
        "forgotten_needle",
        "fainting",
        "orbital_bleeding",
    ):
        assert kind in ADVERSE_KINDS
        AdverseEventCreate(kind=kind, onset_date=date(2026, 3, 1))
    with pytest.raises(ValidationError, match="unknown adverse event kind"):
        AdverseEventCreate(kind="dragon_bite", onset_date=date(2026, 3, 1))
