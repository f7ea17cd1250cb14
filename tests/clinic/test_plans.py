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


def test_record_intake_takes_the_callers_planner(
    session: Session, pat: Actor, client_id: int
) -> None:
    """The demo and the benchmark builder plan through record_intake, one memo of it."""
    from datetime import date

    from acuface.errors import TreatmentBlocked
    from acuface.planner import Intake, PlanOptions, make_plan

    asked: list[tuple[Intake, PlanOptions]] = []

    def memo(intake: Intake, options: PlanOptions):  # noqa: ANN202
        asked.append((intake, options))
        return make_plan(intake, options)

    intake = Intake(concerns=["wrinkles"], age=47)
    result = svc.record_intake(
        session=session,
        actor=pat,
        client_id=client_id,
        intake=intake,
        intake_date=date(2026, 11, 2),
        course_start=date(2026, 11, 9),
        planner=memo,
    )
    session.commit()
    # Asked once, with the intake as stored and the course start.
    assert [([c.name for c in i.concerns], i.age, o.start) for i, o in asked] == [
        (["wrinkles"], 47, date(2026, 11, 9))
    ]
    assert result.plan is not None and result.blocked is None
    assert result.plan.intake_id == result.intake.id
    assert result.intake.intake_date == date(2026, 11, 2)
    assert result.plan.plan == PlanSnapshot.of(
        make_plan(intake, PlanOptions(start=date(2026, 11, 9)))
    )

    def refuses(intake: Intake, options: PlanOptions):  # noqa: ANN202
        raise TreatmentBlocked("Blocked for this test.")

    blocked = svc.record_intake(
        session=session, actor=pat, client_id=client_id, intake=intake, planner=refuses
    )
    session.commit()
    # A refusal keeps the intake, makes no plan and says why.
    assert blocked.plan is None and blocked.blocked is not None
    assert blocked.blocked.message == "Blocked for this test."
    assert [i.id for i in svc.list_intakes(session=session, actor=pat, client_id=client_id)] == [
        blocked.intake.id,
        result.intake.id,
    ]
    assert len(svc.list_plans(session=session, actor=pat, client_id=client_id)) == 1


def test_plan_needles_one_needle_per_planned_point_and_side() -> None:
    from acuface.planner import Intake, make_plan

    plan = PlanSnapshot.of(make_plan(Intake(concerns=["wrinkles", "eye_bags"], age=52)))
    needles = svc.plan_needles(plan)
    assert [(n.point_code, n.side, n.count) for n in needles] == [
        (p.code, side, 1) for p in plan.points for side in p.sides
    ]
    assert len(needles) == plan.needle_count
    # keep is asked once per point, in order; the points it refuses get no needle.
    seen: list[str] = []
    first = plan.points[0].code

    def keep(point) -> bool:  # noqa: ANN001
        seen.append(point.code)
        return point.code != first

    kept = svc.plan_needles(plan, keep=keep)
    assert seen == [p.code for p in plan.points]
    assert first not in {n.point_code for n in kept}
    assert len(kept) == len(needles) - len(plan.points[0].sides)
