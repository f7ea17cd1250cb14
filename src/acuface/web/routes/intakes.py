"""Intake form: concerns, pattern questionnaire, safety screening, tongue and pulse.

Saving stores the intake and asks the planner for a plan. A plan the screening
blocks (``TreatmentBlocked``) keeps the intake and shows why.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import BaseModel, ConfigDict, Field

from acuface.atlas import FACIAL_ZONE_ORDER
from acuface.clinic import services as svc
from acuface.clinic.schemas import IntakeResult
from acuface.errors import InvalidAnswers
from acuface.planner import list_concerns, questionnaire
from acuface.planner.intake import age_answers, parse_intake, priority_from_text
from acuface.vocab import normalise_code, split_codes
from acuface.web.deps import API_ERRORS, ClinicalActor, FormDep, RecordId, SessionDep, api_router
from acuface.web.templating import flash, render

router = APIRouter(include_in_schema=False)

#: Zones offered for "where" screening answers (face and head: what a facial plan needles).
FACE_ZONES = FACIAL_ZONE_ORDER


def _questionnaire() -> Any:
    return questionnaire()


def _concerns() -> list[Any]:
    return list_concerns()


def _age(birth: date | None) -> int | None:
    if birth is None:
        return None
    t = date.today()
    return t.year - birth.year - ((t.month, t.day) < (birth.month, birth.day))


def intake_from_form(form: Any, qn: Any) -> dict[str, Any]:
    """Build the planner ``Intake`` JSON from the form fields.

    Field names: ``concern`` (repeated) with ``priority_<name>``; ``q_<id>`` checkbox
    (yes); ``tongue``/``pulse`` (repeated); ``s_<rule>`` = yes/no for yes/no rules,
    ``s_<rule>_zone`` (repeated) for zone rules, plus ``s_<rule>_days`` for procedures;
    ``age``; ``add_codes``/``remove_codes`` (comma-separated).
    """
    concerns = [
        {"name": str(name), "priority": priority_from_text(form.get(f"priority_{name}"))}
        for name in form.getlist("concern")
    ]
    answers = {q.id: True for q in qn.pattern_questions if form.get(f"q_{q.id}") == "yes"}
    screening: dict[str, Any] = {}
    missing: dict[str, str] = {}  # rule id -> label
    for rule in qn.screening_questions:
        key = f"s_{rule.id}"
        label = rule.label or rule.id
        if rule.kind in ("yes_no", "pregnancy"):
            v = form.get(key)
            if v not in ("yes", "no"):
                missing[rule.id] = label
                continue
            screening[rule.id] = v == "yes"
            week_raw = str(form.get(f"{key}_week") or "").strip()
            if rule.kind == "pregnancy" and v == "yes" and week_raw:
                try:
                    screening[rule.id] = {"week": int(week_raw)}
                except ValueError:
                    raise InvalidAnswers(f"{label}: the week must be a number.") from None
        else:
            zones = [z for z in form.getlist(f"{key}_zone") if z in rule.zones]
            if rule.kind == "zones":
                screening[rule.id] = zones or False
            else:
                days_raw = str(form.get(f"{key}_days") or "").strip()
                if zones:
                    try:
                        days = int(days_raw) if days_raw else None
                    except ValueError:
                        raise InvalidAnswers(f"{label}: days ago must be a number.") from None
                    screening[rule.id] = {"zones": zones, "days_ago": days}
                else:
                    screening[rule.id] = False
    age_raw = str(form.get("age") or "").strip()
    age = None
    if age_raw:
        try:
            age = int(age_raw)
        except ValueError:
            raise InvalidAnswers("Age must be a whole number of years.") from None
    known = {r.id for r in qn.screening_questions}
    by_age = {rid: a for rid, a in age_answers(age).items() if rid in known}
    screening.update(by_age)
    missing = {rid: label for rid, label in missing.items() if rid not in by_age}
    if missing:
        raise InvalidAnswers(
            "Answer every safety-screening question (yes or no) before planning: "
            + ", ".join(missing.values())
            + "."
        )

    def codes(field: str) -> list[str]:
        return [normalise_code(c) for c in split_codes(str(form.get(field) or ""))]

    return {
        "concerns": concerns,
        "answers": answers,
        "screening": screening,
        "tongue": [str(t) for t in form.getlist("tongue")],
        "pulse": [str(p) for p in form.getlist("pulse")],
        "age": age,
        "overrides": {"add": codes("add_codes"), "remove": codes("remove_codes")},
    }


def _form_ctx(session: Any, actor: Any, client_id: RecordId) -> dict[str, Any]:
    client = svc.get_client(session=session, actor=actor, client_id=client_id)
    return {
        "client": client,
        "qn": _questionnaire(),
        "concerns": _concerns(),
        "zones": FACE_ZONES,
        "default_age": _age(client.birth_date),
        "today": date.today(),
    }


@router.get("/clients/{client_id}/intakes/new", name="intake_new")
def intake_new(
    request: Request, session: SessionDep, actor: ClinicalActor, client_id: RecordId
) -> Response:
    """Show the intake form."""
    return render(
        request,
        "intake/form.html",
        {**_form_ctx(session, actor, client_id), "values": None, "error": None},
    )


@router.post("/clients/{client_id}/intakes", name="intake_create")
def intake_create(
    request: Request, form: FormDep, session: SessionDep, actor: ClinicalActor, client_id: RecordId
) -> Response:
    """Save the intake, then let the planner propose a plan."""
    ctx = _form_ctx(session, actor, client_id)
    start_raw = str(form.get("course_start") or "").strip()
    try:
        start = date.fromisoformat(start_raw) if start_raw else None
    except ValueError:
        start = None
    try:
        raw = intake_from_form(form, ctx["qn"])
        if not raw["concerns"]:
            raise InvalidAnswers("Choose at least one concern.")
        result = svc.record_intake(
            session=session,
            actor=actor,
            client_id=client_id,
            intake=parse_intake(raw),
            notes=str(form.get("notes") or "").strip() or None,
            course_start=start,
        )
    except InvalidAnswers as exc:
        return render(
            request,
            "intake/form.html",
            {**ctx, "values": form, "error": exc.message},
            status_code=422,
        )
    if result.plan is None:
        reason = result.blocked.message if result.blocked else "the planner made none"
        flash(request, f"Intake saved, but no plan was made: {reason}", "error")
        return RedirectResponse(f"/intakes/{result.intake.id}", status_code=303)
    flash(
        request,
        f"Intake saved. The planner proposes {result.plan.needle_count or '?'} needles.",
        "success",
    )
    return RedirectResponse(f"/plans/{result.plan.id}", status_code=303)


@router.get("/intakes/{intake_id}", name="intake_page")
def intake_page(
    request: Request, session: SessionDep, actor: ClinicalActor, intake_id: RecordId
) -> Response:
    """Show a stored intake in readable form."""
    intake = svc.get_intake(session=session, actor=actor, intake_id=intake_id)
    qn = _questionnaire()
    client = svc.get_client(session=session, actor=actor, client_id=intake.client_id)
    plans = [
        p
        for p in svc.list_plans(session=session, actor=actor, client_id=client.id)
        if p.intake_id == intake.id
    ]
    return render(
        request,
        "intake/page.html",
        {
            "intake": intake,
            "client": client,
            "plans": plans,
            "qn": qn,
            "rules": {r.id: r for r in qn.screening_questions},
        },
    )


@router.post("/intakes/{intake_id}/plan", name="intake_replan")
def intake_replan(
    request: Request, session: SessionDep, actor: ClinicalActor, intake_id: RecordId
) -> Response:
    """Ask the planner again (e.g. after a blocking condition has passed)."""
    plan = svc.make_plan_for_intake(session=session, actor=actor, intake_id=intake_id)
    flash(request, "A new plan was made from this intake.", "success")
    return RedirectResponse(f"/plans/{plan.id}", status_code=303)


# --- JSON API (same session, roles and CSRF as the pages) ---------------------

api = api_router()


class IntakeIn(BaseModel):
    """An intake: the planner's ``Intake`` fields plus an optional note and date."""

    model_config = ConfigDict(extra="forbid")

    intake: dict[str, Any] = Field(
        description="Planner Intake JSON: concerns, answers, screening, tongue, pulse, age, "
        "overrides (see docs/planner.md)."
    )
    intake_date: date | None = None
    notes: str | None = Field(default=None, max_length=10_000)
    course_start: date | None = Field(default=None, description="Date of the first session.")


@api.post(
    "/clients/{client_id}/intakes",
    response_model=IntakeResult,
    status_code=201,
    responses=API_ERRORS,
)
def create_intake(
    session: SessionDep, actor: ClinicalActor, client_id: RecordId, data: IntakeIn
) -> Any:
    """Store an intake and let the planner propose a plan."""
    return svc.record_intake(
        session=session,
        actor=actor,
        client_id=client_id,
        intake=parse_intake(data.intake, prefix="intake."),
        intake_date=data.intake_date,
        notes=data.notes,
        course_start=data.course_start,
    )
