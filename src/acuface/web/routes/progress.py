"""Progress: ratings and measurements as charts, before/after photos side by side."""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import RedirectResponse, Response

from acuface.clinic import services as svc
from acuface.clinic.schemas import RATING_SCALES, MeasurementDTO, PhotoDTO, RatingCreate, RatingDTO
from acuface.locator.snapshot import PointSnapshot
from acuface.reports.progress import build_progress_report, render_progress_pdf
from acuface.skin.repeatability import noise_verdict
from acuface.web.charts import Series, line_chart
from acuface.web.deps import API_ERRORS, ClinicalActor, RecordId, SessionDep, api_router
from acuface.web.facemap import face_crop
from acuface.web.templating import flash, render

router = APIRouter(include_in_schema=False)

#: Shown first when present: the skin metrics practitioners ask about most.
PREFERRED_METRICS = ("wrinkle_index", "line_density_mm_per_cm2", "redness_a", "L_mean")


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
    client = svc.get_client(session=session, actor=actor, client_id=client_id)
    ratings = svc.list_ratings(session=session, actor=actor, client_id=client_id)
    by_scale: dict[str, list[tuple[date, float]]] = defaultdict(list)
    for r in ratings:
        by_scale[r.scale].append((r.rated_on, float(r.value)))
    charts = [
        chart
        for chart in (
            _rating_chart(
                by_scale,
                max_value=10,
                y_min=0,
                title="Ratings 0–10",
                svg_title="Ratings 0 to 10",
                note="Jaw pain: lower is better; elasticity and satisfaction: higher is better.",
            ),
            _rating_chart(
                by_scale,
                max_value=5,
                y_min=1,
                title="GAIS",
                svg_title="GAIS",
                note="1 very much improved … 4 no change, 5 worse: lower is better.",
            ),
        )
        if chart is not None
    ]
    measurements = svc.list_measurements(session=session, actor=actor, client_id=client_id)
    ctx = _measurement_context(measurements, metric, region)
    photos = [
        p
        for p in svc.list_photos(session=session, actor=actor, client_id=client_id)
        if p.view == "front"
    ]
    photos_old_first = sorted(photos, key=lambda p: (p.captured_at or p.created_at, p.id))
    pair = None
    crops: list[tuple[int, int, int, int] | None] = [None, None]
    if len(photos_old_first) >= 2:
        by_id = {p.id: p for p in photos_old_first}
        b = by_id.get(before or -1, photos_old_first[0])
        a = by_id.get(after or -1, photos_old_first[-1])
        pair = (b, a)
        # Both photos cut to the face, so the comparison is face to face at one size.
        crops = [face_crop(_points(p), p.width, p.height) for p in pair]
    return render(
        request,
        "progress.html",
        {
            **ctx,
            "client": client,
            "charts": charts,
            "pair": pair,
            "crops": crops,
            "photos": photos_old_first,
            "scales": RATING_SCALES,
            "today": date.today(),
            "n_ratings": len(ratings),
            "n_measurements": len(measurements),
        },
    )


def _rating_chart(
    by_scale: dict[str, list[tuple[date, float]]],
    *,
    max_value: int,
    y_min: int,
    title: str,
    svg_title: str,
    note: str,
) -> dict[str, Any] | None:
    """Chart every rated scale whose range ends at *max_value* on one shared axis.

    Parameters
    ----------
    by_scale : dict
        Scale code -> ``[(rated_on, value), ...]`` oldest first.
    max_value : int
        Upper end of the scales to include (10 for 0-10 scales, 5 for GAIS);
        also the top of the y axis.
    y_min : int
        Bottom of the y axis.
    title, svg_title : str
        Heading on the page and the chart's accessible title.
    note : str
        How to read the chart (which direction is better).

    Returns
    -------
    dict or None
        ``{"title", "svg", "note"}``, or ``None`` when no such scale was rated.
    """
    series = [
        Series(RATING_SCALES[s].label, by_scale[s])
        for s in RATING_SCALES
        if RATING_SCALES[s].max_value == max_value and by_scale.get(s)
    ]
    if not series:
        return None
    return {
        "title": title,
        "svg": line_chart(series, y_min=y_min, y_max=max_value, title=svg_title),
        "note": note,
    }


def _points(photo: PhotoDTO) -> list[PointSnapshot]:
    primary = photo.face_map.primary if photo.face_map is not None else None
    return list(primary.points) if primary is not None else []


def _measurement_context(
    measurements: list[Any], metric: str | None, region: str | None
) -> dict[str, Any]:
    """Chart one metric in one region; tabulate first -> latest for every region."""
    by_metric: dict[str, dict[str, list[tuple[date, float]]]] = defaultdict(
        lambda: defaultdict(list)
    )
    for m in measurements:
        by_metric[m.metric][m.region].append((m.measured_at.date(), m.value))
    metrics = sorted(by_metric)
    chosen = (
        metric
        if metric in by_metric
        else next((m for m in PREFERRED_METRICS if m in by_metric), metrics[0] if metrics else None)
    )
    out: dict[str, Any] = {
        "metrics": metrics,
        "metric": chosen,
        "regions": [],
        "region": None,
        "mchart": None,
        "mtable": [],
    }
    if chosen is None:
        return out
    per_region = by_metric[chosen]
    regions = sorted(per_region)
    chosen_region = region if region in per_region else regions[0]
    label = f"{chosen.replace('_', ' ')} · {chosen_region.replace('_', ' ')}"
    out.update(
        regions=regions,
        region=chosen_region,
        mchart=line_chart([Series(label, per_region[chosen_region])], title=label),
    )

    for reg in regions:
        pts = sorted(per_region[reg])
        change = pts[-1][1] - pts[0][1]
        rc, real = noise_verdict(f"{reg}.{chosen}", change, n=len(pts))
        out["mtable"].append(
            {
                "region": reg,
                "first": pts[0],
                "latest": pts[-1],
                "n": len(pts),
                "change": change,
                "noise": rc,
                "real": real,
            }
        )
    return out


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
