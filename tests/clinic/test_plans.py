"""Intake -> planner -> frozen plan snapshot with the planner version."""

from __future__ import annotations

from sqlalchemy.orm import Session

from acuface.clinic import services as svc
from acuface.clinic.schemas import Actor, IntakeCreate
from acuface.planner.snapshot import PlanSnapshot


def test_plan_from_stored_intake(session: Session, pat: Actor, client_id: int) -> None:
    from acuface.planner import PLANNER_VERSION, Intake, make_plan

    intake = Intake(concerns=["wrinkles", "tmj"], age=52)
    stored = svc.create_intake(
        session=session,
        actor=pat,
        client_id=client_id,
        data=IntakeCreate(intake=intake.model_dump(mode="json")),
    )
    plan = svc.make_plan_for_intake(session=session, actor=pat, intake_id=stored.id)
    session.commit()
    assert plan.planner_version == PLANNER_VERSION and plan.intake_id == stored.id
    # The snapshot is exactly what the planner returns for the same intake (it is deterministic).
    expected = PlanSnapshot.of(make_plan(intake))
    assert plan.plan == expected
    assert plan.needle_count == expected.needle_count > 0
    latest = svc.latest_plan(session=session, actor=pat, client_id=client_id)
    assert latest is not None and latest.id == plan.id
