"""Plan page and printable client handout.

The plan's points on the client's own photo, body points on the body chart,
exclusions, course dates.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from acuface.clinic import services as svc
from acuface.clinic.schemas import PlanDTO
from acuface.planner.snapshot import SnapshotPoint
from acuface.reports.handout import render_handout_html, render_handout_pdf
from acuface.reports.identity import clinic_header
from acuface.web.bodychart import build_bodychart
from acuface.web.deps import API_ERRORS, ClinicalActor, RecordId, SessionDep, api_router
from acuface.web.facemap import build_facemap, point_info
from acuface.web.templating import render

router = APIRouter(include_in_schema=False)

#: The handout comes from the reports package with its own inline print styles;
#: it runs no script, so only styles are relaxed for that one response.
HANDOUT_CSP = (
    "default-src 'none'; style-src 'unsafe-inline' 'self'; img-src 'self' data:; "
    "font-src 'self' data:; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
)


@router.get("/plans/{plan_id}", name="plan_page")
def plan_page(
    request: Request, session: SessionDep, actor: ClinicalActor, plan_id: RecordId
) -> Response:
    """Show the plan on the client's photo, with details per point on hover or tap."""
    plan = svc.get_plan(session=session, actor=actor, plan_id=plan_id)
    client = svc.get_client(session=session, actor=actor, client_id=plan.client_id)
    choice = svc.photo_for(session=session, actor=actor, client_id=client.id, plan_id=plan.id)
    photo = choice.photo
    p = plan.plan
    # The same screening summary and techniques as the charting page shows.
    guidance = svc.chart_guidance(p)
    face_points = [pt for pt in p.points if pt.region != "body"]
    body_points = [pt for pt in p.points if pt.region == "body"]
    fm = None
    if photo is not None:
        fm = build_facemap(
            photo.face_map,
            photo.width,
            photo.height,
            codes=[pt.code for pt in face_points],
            reasons={pt.code: pt.reasons for pt in p.points},
            sides={pt.code: pt.sides for pt in p.points},
            techniques=guidance.techniques,
        )

    bc = (
        build_bodychart(
            [pt.code for pt in body_points],
            reasons={pt.code: pt.reasons for pt in body_points},
            sides={pt.code: pt.sides for pt in body_points},
            techniques=guidance.techniques,
        )
        if body_points
        else None
    )

    def info(pt: SnapshotPoint) -> dict[str, Any]:
        technique = {"technique_text": guidance.techniques.get(pt.code, "")}
        return {**point_info(pt.code, pt.reasons), **pt.model_dump(), **technique}

    placed = {m.code for m in fm.markers} if fm else set()
    return render(
        request,
        "plans/page.html",
        {
            "plan": plan,
            "p": p,
            "unanswered": guidance.unanswered,
            "client": client,
            "photo": photo,
            "choice": choice,
            "fm": fm,
            "bc": bc,
            "body_points": [info(pt) for pt in body_points],
            "face_points": [info(pt) for pt in face_points],
            "unplaced": [pt.code for pt in face_points if pt.code not in placed],
            "outside": fm.outside if fm else [],
        },
    )


@router.get("/plans/{plan_id}/handout", name="plan_handout")
def plan_handout(session: SessionDep, actor: ClinicalActor, plan_id: RecordId) -> Response:
    """Printable client handout (what to expect, aftercare) for this plan."""
    plan = svc.get_plan(session=session, actor=actor, plan_id=plan_id)
    client = svc.get_client(session=session, actor=actor, client_id=plan.client_id)
    html = render_handout_html(plan.plan, client_name=client.name, clinic=clinic_header(session))
    return HTMLResponse(html, headers={"Content-Security-Policy": HANDOUT_CSP})


@router.get("/plans/{plan_id}/handout.pdf", name="plan_handout_pdf")
def plan_handout_pdf(session: SessionDep, actor: ClinicalActor, plan_id: RecordId) -> Response:
    """Download the client handout as a PDF (WeasyPrint, no network)."""
    stored = svc.get_plan(session=session, actor=actor, plan_id=plan_id)
    client = svc.get_client(session=session, actor=actor, client_id=stored.client_id)
    pdf = render_handout_pdf(stored.plan, client_name=client.name, clinic=clinic_header(session))
    return Response(
        pdf,
        media_type="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="handout-plan-{plan_id}.pdf"'},
    )


# --- JSON API (same session, roles and CSRF as the pages) ---------------------

api = api_router()


@api.get("/clients/{client_id}/plans", response_model=list[PlanDTO], responses=API_ERRORS)
def list_plans(session: SessionDep, actor: ClinicalActor, client_id: RecordId) -> Any:
    """List the client's plans, newest first."""
    return svc.list_plans(session=session, actor=actor, client_id=client_id)


@api.get("/plans/{plan_id}", response_model=PlanDTO, responses=API_ERRORS)
def get_plan(session: SessionDep, actor: ClinicalActor, plan_id: RecordId) -> Any:
    """One plan snapshot."""
    return svc.get_plan(session=session, actor=actor, plan_id=plan_id)
