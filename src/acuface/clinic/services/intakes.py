"""Intakes and plan snapshots."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from acuface.clinic import models as m
from acuface.clinic.access import Action, authorize
from acuface.clinic.schemas import (
    Actor,
    ErrorDTO,
    IntakeCreate,
    IntakeDTO,
    IntakeResult,
    PlanDTO,
)
from acuface.clinic.services._common import (
    add_audited,
    audit,
    author,
    check_link,
    client_record,
    list_client_rows,
    live_client,
    read_client_record,
)
from acuface.errors import PlanningError
from acuface.planner import PLANNER_VERSION, Intake, Plan, PlanOptions, check_intake, make_plan
from acuface.planner.snapshot import IntakeSnapshot, PlanSnapshot

#: What turns an intake into a plan: :func:`acuface.planner.make_plan`, or a caller's
#: memo of it (the benchmark builder plans each distinct intake once).
Planner = Callable[[Intake, PlanOptions], Plan]


def create_intake(
    *, session: Session, actor: Actor, client_id: int, data: IntakeCreate
) -> IntakeDTO:
    """Store an intake (the planner ``Intake`` as JSON plus notes)."""
    authorize(actor, Action.WRITE_INTAKES)
    live_client(session, client_id)
    row = m.Intake(
        client_id=client_id,
        intake_date=data.intake_date or date.today(),
        intake=data.intake.to_json(),
        notes=data.notes,
        created_by=author(actor),
    )
    add_audited(session, actor, row, record_type="intake")
    return IntakeDTO.model_validate(row)


def get_intake(*, session: Session, actor: Actor, intake_id: int) -> IntakeDTO:
    """Return one intake."""
    row = read_client_record(
        session,
        actor,
        model=m.Intake,
        record_id=intake_id,
        record_type="intake",
        action=Action.READ_INTAKES,
    )
    return IntakeDTO.model_validate(row)


def list_intakes(*, session: Session, actor: Actor, client_id: int) -> list[IntakeDTO]:
    """Return a client's intakes, newest first."""
    rows = list_client_rows(
        session,
        actor,
        model=m.Intake,
        client_id=client_id,
        order_by=(m.Intake.intake_date.desc(), m.Intake.id.desc()),
        record_type="intake",
        action=Action.READ_INTAKES,
    )
    return [IntakeDTO.model_validate(r) for r in rows]


def save_plan(
    *,
    session: Session,
    actor: Actor,
    client_id: int,
    plan: Plan | PlanSnapshot,
    intake_id: int | None = None,
    planner_version: str | None = None,
    note: str | None = None,
) -> PlanDTO:
    """Store the frozen snapshot of a planner ``Plan`` with the planner version."""
    authorize(actor, Action.SAVE_PLANS)
    live_client(session, client_id)
    check_link(session, model=m.Intake, record_id=intake_id, client_id=client_id, label="intake")
    snapshot = PlanSnapshot.of(plan)
    if planner_version is None:
        planner_version = PLANNER_VERSION
    row = m.Plan(
        client_id=client_id,
        intake_id=intake_id,
        planner_version=planner_version,
        plan=snapshot.to_json(),
        needle_count=snapshot.needle_count,
        note=note,
        created_by=author(actor),
    )
    add_audited(session, actor, row, record_type="plan")
    return PlanDTO.model_validate(row)


def make_plan_for_intake(
    *,
    session: Session,
    actor: Actor,
    intake_id: int,
    options: PlanOptions | None = None,
    planner: Planner = make_plan,
) -> PlanDTO:
    """Run the planner on a stored intake and save the plan.

    Planner errors (``TreatmentBlocked``, ``PlanningError``, ``UnknownConcern`` ...)
    propagate unchanged and nothing is saved. *planner* is
    :func:`~acuface.planner.make_plan` unless the caller memoises it (it must give
    the same plan for the same intake).
    """
    authorize(actor, Action.MAKE_PLANS)
    row = client_record(session, m.Intake, intake_id, "intake")
    intake = IntakeSnapshot.read(row.intake).to_intake()
    plan = planner(intake, options if options is not None else PlanOptions())
    return save_plan(
        session=session, actor=actor, client_id=row.client_id, plan=plan, intake_id=row.id
    )


def record_intake(
    *,
    session: Session,
    actor: Actor,
    client_id: int,
    intake: Intake,
    intake_date: date | None = None,
    notes: str | None = None,
    course_start: date | None = None,
    planner: Planner = make_plan,
) -> IntakeResult:
    """Check and store an intake, then let the planner propose a plan (one workflow).

    The web's intake form and API, the demo clinic and the benchmark builder all
    record intakes through here.

    An invalid intake (``InvalidAnswers``, ``UnknownConcern``) stores nothing. A plan
    the planner refuses (``TreatmentBlocked``, ``PlanningError``) keeps the intake and
    says why in ``blocked``. *planner*: see :func:`make_plan_for_intake`.
    """
    check_intake(intake)
    stored = create_intake(
        session=session,
        actor=actor,
        client_id=client_id,
        data=IntakeCreate(intake=IntakeSnapshot.of(intake), intake_date=intake_date, notes=notes),
    )
    try:
        plan = make_plan_for_intake(
            session=session,
            actor=actor,
            intake_id=stored.id,
            options=PlanOptions(start=course_start),
            planner=planner,
        )
    except PlanningError as exc:
        return IntakeResult(intake=stored, plan=None, blocked=ErrorDTO(**exc.to_dict()))
    return IntakeResult(intake=stored, plan=plan)


def get_plan(*, session: Session, actor: Actor, plan_id: int) -> PlanDTO:
    """Return one plan snapshot."""
    row = read_client_record(
        session,
        actor,
        model=m.Plan,
        record_id=plan_id,
        record_type="plan",
        action=Action.READ_PLANS,
    )
    return PlanDTO.model_validate(row)


def list_plans(*, session: Session, actor: Actor, client_id: int) -> list[PlanDTO]:
    """Return a client's plans, newest first."""
    rows = list_client_rows(
        session,
        actor,
        model=m.Plan,
        client_id=client_id,
        order_by=(m.Plan.id.desc(),),
        record_type="plan",
        action=Action.READ_PLANS,
    )
    return [PlanDTO.model_validate(r) for r in rows]


def latest_plan(*, session: Session, actor: Actor, client_id: int) -> PlanDTO | None:
    """Return the client's newest plan, or ``None``."""
    authorize(actor, Action.READ_PLANS)
    live_client(session, client_id)
    row = session.scalars(
        select(m.Plan).where(m.Plan.client_id == client_id).order_by(m.Plan.id.desc()).limit(1)
    ).first()
    if row is None:
        return None
    audit(session, actor, "plan.read", "plan", row.id, client_id=client_id)
    return PlanDTO.model_validate(row)
