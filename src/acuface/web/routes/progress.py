"""Progress: ratings and measurements as charts, before/after photos side by side."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import RedirectResponse, Response

from acuface.clinic import services as svc
from acuface.clinic.schemas import RATING_SCALES, MeasurementDTO, RatingCreate, RatingDTO
from acuface.clinic.services.progress import photo_face_box
from acuface.reports.progress import build_progress_report, render_progress_pdf
from acuface.web.deps import API_ERRORS, ClinicalActor, RecordId, SessionDep, api_router
from acuface.web.templating import flash, render

router = APIRouter(include_in_schema=False)


@router.get("/clients/{client_id}/progress", name="progress")
def progress(
    request: Request,
    session: SessionDep,
    actor: ClinicalActor,
    client_id: RecordId,
    before: Annotated[int | None, Query(ge=1, le=2_147_483_647)] = None,
    after: Annotated[int | None, Query(ge=1, le=2_147_483_647)] = None,
    metric: Annotated[str | None, Query(max_length=100)] = None,
    region: Annotated[str | None, Query(max_length=100)] = None,
) -> Response:
    """Charts of ratings and measurements; first and latest frontal photos side by side."""
    summary = svc.progress_summary(session=session, actor=actor, client_id=client_id)
    client = svc.get_client(session=session, actor=actor, client_id=client_id)
    chosen_metric, chosen_region = summary.choose_metric(metric, region)
    pair = summary.photo_pair(before, after)
    return render(
        request,
        "progress.html",
        {
            "s": summary,
            "client": client,
            "metric": chosen_metric,
            "region": chosen_region,
            "pair": pair,
            # Both photos cut to the face, so the comparison is face to face at one size.
            "crops": [photo_face_box(p, margin=0.22) for p in pair] if pair else [None, None],
            "scales": RATING_SCALES,
            "today": date.today(),
        },
    )


@router.get("/clients/{client_id}/progress/report.pdf", name="progress_report_pdf")
def progress_report_pdf(
    request: Request,
    session: SessionDep,
    actor: ClinicalActor,
    client_id: RecordId,
) -> Response:
    """Serve the client's printable progress report as a PDF (clinical roles; reads audited)."""
    report = build_progress_report(
        session=session,
        actor=actor,
        client_id=client_id,
        store=request.app.state.photo_store,
    )
    pdf = render_progress_pdf(report)
    filename = f"progress-{client_id}-{date.today().isoformat()}.pdf"
    return Response(
        pdf,
        media_type="application/pdf",
        # The security middleware adds Cache-Control: no-store (health data).
        headers={"Content-Disposition": f'inline; filename="{filename}"'},
    )


@router.post("/clients/{client_id}/ratings", name="rating_create")
def rating_create(
    request: Request,
    session: SessionDep,
    actor: ClinicalActor,
    client_id: RecordId,
    scale: Annotated[str, Form(max_length=50)],
    value: Annotated[int, Form(ge=0, le=10)],
    rated_on: Annotated[date | None, Form()] = None,
    note: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    """Record one outcome rating."""
    svc.add_rating(
        session=session,
        actor=actor,
        client_id=client_id,
        data=RatingCreate(
            scale=scale, value=value, rated_on=rated_on or date.today(), note=note.strip() or None
        ),
    )
    flash(request, "Rating recorded.", "success")
    return RedirectResponse(f"/clients/{client_id}/progress", status_code=303)


# --- JSON API (same session, roles and CSRF as the pages) ---------------------

api = api_router()


@api.get("/clients/{client_id}/ratings", response_model=list[RatingDTO], responses=API_ERRORS)
def list_ratings(session: SessionDep, actor: ClinicalActor, client_id: RecordId) -> Any:
    """Outcome ratings, oldest first."""
    return svc.list_ratings(session=session, actor=actor, client_id=client_id)


@api.post(
    "/clients/{client_id}/ratings", response_model=RatingDTO, status_code=201, responses=API_ERRORS
)
def add_rating(
    session: SessionDep, actor: ClinicalActor, client_id: RecordId, data: RatingCreate
) -> Any:
    """Record an outcome rating."""
    return svc.add_rating(session=session, actor=actor, client_id=client_id, data=data)


@api.get(
    "/clients/{client_id}/measurements", response_model=list[MeasurementDTO], responses=API_ERRORS
)
def list_measurements(session: SessionDep, actor: ClinicalActor, client_id: RecordId) -> Any:
    """Measurements, oldest first."""
    return svc.list_measurements(session=session, actor=actor, client_id=client_id)
