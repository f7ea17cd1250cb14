"""Plan page and printable client handout.

The plan's points on the client's own photo, body points, exclusions, course dates.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import ValidationError

from acuface.clinic import services as svc
from acuface.errors import PlanningError
from acuface.planner import Plan
from acuface.reports.handout import render_handout_html, render_handout_pdf
from acuface.web.deps import ClinicalActor, RecordId, SessionDep
from acuface.web.facemap import build_facemap, point_info
from acuface.web.templating import render

router = APIRouter(include_in_schema=False)

#: The handout comes from the reports package with its own inline print styles;
#: it runs no script, so only styles are relaxed for that one response.
HANDOUT_CSP = (
    "default-src 'none'; style-src 'unsafe-inline' 'self'; img-src 'self' data:; "
    "font-src 'self' data:; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
)


def best_photo(photos: list[Any]) -> Any | None:
    """Latest frontal photo with a located face, else the latest with a face."""
    located = [p for p in photos if p.face_map and (p.face_map.get("faces") or [])]
    front = [p for p in located if p.view == "front"]
    return (front or located or [None])[0]


@router.get("/plans/{plan_id}", name="plan_page")
def plan_page(
    request: Request, session: SessionDep, actor: ClinicalActor, plan_id: RecordId
) -> Response:
    """Show the plan on the client's photo, with details per point on hover or tap."""
    plan = svc.get_plan(session=session, actor=actor, plan_id=plan_id)
    client = svc.get_client(session=session, actor=actor, client_id=plan.client_id)
    photo = best_photo(svc.list_photos(session=session, actor=actor, client_id=client.id))
    p = plan.plan
    points = p.get("points") or []
    face_points = [pt for pt in points if pt.get("region") != "body"]
    body_points = [pt for pt in points if pt.get("region") == "body"]
    fm = None
    if photo is not None:
        fm = build_facemap(
            photo.face_map,
            photo.width,
            photo.height,
            codes=[pt["code"] for pt in face_points],
            reasons={pt["code"]: pt.get("reasons", []) for pt in points},
            sides={pt["code"]: pt.get("sides", []) for pt in points},
        )
    body_info = [{**point_info(pt["code"], pt.get("reasons", [])), **pt} for pt in body_points]
    face_info = [{**point_info(pt["code"], pt.get("reasons", [])), **pt} for pt in face_points]
    placed = {m.code for m in fm.markers} if fm else set()
    return render(
        request,
        "plans/page.html",
        {
            "plan": plan,
            "p": p,
            "client": client,
            "photo": photo,
            "fm": fm,
            "body_points": body_info,
            "face_points": face_info,
            "unplaced": [pt["code"] for pt in face_points if pt["code"] not in placed],
        },
    )


@router.get("/plans/{plan_id}/handout", name="plan_handout")
def plan_handout(
    request: Request, session: SessionDep, actor: ClinicalActor, plan_id: RecordId
) -> Response:
    """Printable client handout (what to expect, aftercare) for this plan."""
    plan = svc.get_plan(session=session, actor=actor, plan_id=plan_id)
    client = svc.get_client(session=session, actor=actor, client_id=plan.client_id)
    html = _reports_handout(plan.plan, client.name)
    if html is not None:
        return HTMLResponse(html, headers={"Content-Security-Policy": HANDOUT_CSP})
    points = [{**point_info(pt["code"]), **pt} for pt in plan.plan.get("points") or []]
    return render(
        request,
        "plans/handout.html",
        {"plan": plan, "p": plan.plan, "client": client, "points": points},
    )


def plan_from_snapshot(plan_json: dict[str, Any]) -> Any | None:
    """Rebuild a planner ``Plan`` from its stored ``to_json()`` snapshot, if it fits.

    The snapshot writes ``budget`` as ``{"min", "max"}`` and leaves out the course's
    sources; everything else maps one to one. An old snapshot that no longer fits
    the current model gives ``None`` (the page then uses its own handout).
    """
    data = dict(plan_json)
    budget = data.get("budget")
    if isinstance(budget, dict):
        data["budget"] = (budget.get("min"), budget.get("max"))
    course = data.get("course")
    if isinstance(course, dict):
        data["course"] = {"source": [], **course}
    try:
        return Plan.model_validate(data)
    except ValidationError:
        return None


def _reports_handout(plan_json: dict[str, Any], client_name: str) -> str | None:
    """Return the reports package's handout HTML for this plan, or ``None``."""
    plan = plan_from_snapshot(plan_json)
    if plan is None:
        return None
    return str(render_handout_html(plan, client_name=client_name))


@router.get("/plans/{plan_id}/handout.pdf", name="plan_handout_pdf")
def plan_handout_pdf(session: SessionDep, actor: ClinicalActor, plan_id: RecordId) -> Response:
    """Download the client handout as a PDF (WeasyPrint, no network)."""
    stored = svc.get_plan(session=session, actor=actor, plan_id=plan_id)
    client = svc.get_client(session=session, actor=actor, client_id=stored.client_id)
    plan = plan_from_snapshot(stored.plan)
    if plan is None:
        raise PlanningError(
            "This plan was made by an older planner version; print the handout page instead."
        )
    pdf = render_handout_pdf(plan, client_name=client.name)
    return Response(
        pdf,
        media_type="application/pdf",
        headers={"Content-Disposition": f'attachment; filename="handout-plan-{plan_id}.pdf"'},
    )
