"""Atlas browser: search points by code, name or concern; a face map and a body chart.

The face map uses NASA's public-domain astronaut portrait that ships with
scikit-image (``skimage.data.astronaut()``), so no client photo is ever shown here.
"""

from __future__ import annotations

import threading
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel

from acuface.atlas import ALL_REGIONS, load_atlas
from acuface.locator.snapshot import FaceMapSnapshot
from acuface.planner import list_concerns
from acuface.web.bodychart import build_bodychart
from acuface.web.deps import API_ERRORS, ClinicalActor, ClinicalUser, api_router
from acuface.web.facemap import build_facemap, crop_jpeg, point_info
from acuface.web.templating import render

router = APIRouter(include_in_schema=False)
_lock = threading.Lock()


def reference_face(request: Request) -> tuple[bytes, int, int, FaceMapSnapshot | None]:
    """JPEG bytes, size and face map of the reference portrait (computed once per app).

    The face map comes from the analysis workers (the one implementation in
    ``clinic.analysis``), so the web process never loads a Face Mesh of its own.
    """
    state = request.app.state
    with _lock:
        cached: tuple[bytes, int, int, FaceMapSnapshot | None] | None = getattr(
            state, "atlas_reference", None
        )
        if cached is None:
            cached = state.analysis_pool.reference_face()
            state.atlas_reference = cached
        return cached


def _concerns() -> list[Any]:
    return list(list_concerns())


@router.get("/atlas", name="atlas")
def atlas_page(
    request: Request, user: ClinicalUser, q: str = "", concern: str = "", region: str = ""
) -> Response:
    """Search the atlas; show matching points on the reference face and the body chart."""
    atlas = load_atlas()
    concerns = _concerns()
    points = list(atlas.points.values())
    why: dict[str, list[str]] = {}
    selected = None
    if concern:
        selected = next((c for c in concerns if c.name == concern), None)
        if selected is not None:
            order = [cp.code for cp in selected.points]
            why = {cp.code: [cp.why] for cp in selected.points}
            by_code = {p.code: p for p in points}
            points = [by_code[c] for c in order if c in by_code]
    points = atlas.search(q, region=region if region in ALL_REGIONS else None, points=points)
    _, w, h, face_map = reference_face(request)
    facial = [p.code for p in points if p.region != "body"]
    fm = build_facemap(face_map, w, h, codes=facial, reasons=why) if face_map else None
    body = [p.code for p in points if p.region == "body"]
    bc = build_bodychart(body, reasons=why) if body else None
    return render(
        request,
        "atlas/index.html",
        {
            "bc": bc,
            "points": points,
            "q": q,
            "concern": concern,
            "region": region,
            "concerns": concerns,
            "selected": selected,
            "fm": fm,
            "why": why,
            "total": len(atlas.points),
        },
    )


@router.get("/atlas/reference.jpg", name="atlas_reference")
def atlas_reference(
    request: Request, user: ClinicalUser, crop: Annotated[str | None, Query(max_length=60)] = None
) -> Response:
    """Serve the reference portrait the atlas face map is drawn on."""
    jpeg, w, h, _ = reference_face(request)
    jpeg = crop_jpeg(jpeg, crop, w, h)
    return Response(
        jpeg, media_type="image/jpeg", headers={"Cache-Control": "private, max-age=3600"}
    )


@router.get("/atlas/points/{code}", name="atlas_point")
def atlas_point(request: Request, user: ClinicalUser, code: str) -> Response:
    """One point in full, with its sources."""
    atlas = load_atlas()
    point = atlas.lookup(code)
    _, w, h, face_map = reference_face(request)
    fm = build_facemap(face_map, w, h, codes=[point.code]) if face_map else None
    bc = build_bodychart([point.code]) if point.region == "body" else None
    sources = [atlas.sources[s] for s in point.source if s in atlas.sources]
    concerns = [c for c in _concerns() if point.code in [cp.code for cp in c.points]]
    return render(
        request,
        "atlas/point.html",
        {
            "p": point,
            "info": point_info(point.code),
            "fm": fm,
            "bc": bc,
            "sources": sources,
            "concerns": concerns,
        },
    )


# --- JSON API (same session, roles and CSRF as the pages) ---------------------

api = api_router()


def _atlas_point(p: Any) -> AtlasPoint:
    return AtlasPoint(
        code=p.code,
        pinyin=p.pinyin,
        hanzi=p.hanzi,
        english=p.english,
        region=p.region,
        bilateral=p.bilateral,
        zones=list(p.zones),
        location=p.location,
        depth_cun=tuple(p.standard.depth_cun),
        angle=p.standard.angle,
        cautions=list(p.cautions),
        tags=list(p.tags),
        source=list(p.source),
    )


class AtlasPoint(BaseModel):
    """An atlas point, flattened for the API."""

    code: str
    pinyin: str
    hanzi: str
    english: str
    region: str
    bilateral: bool
    zones: list[str]
    location: str
    depth_cun: tuple[float, float]
    angle: str
    cautions: list[str]
    tags: list[str]
    source: list[str]


@api.get("/atlas/points", response_model=list[AtlasPoint], responses=API_ERRORS)
def atlas_points(
    actor: ClinicalActor,
    q: Annotated[str | None, Query(max_length=100)] = None,
    region: Annotated[str | None, Query(pattern="^(face|head|neck|body)$")] = None,
) -> Any:
    """Atlas points, filtered by code/name/alias/zone substring and region."""
    return [_atlas_point(p) for p in load_atlas().search(q or "", region=region)]


@api.get("/atlas/points/{code}", response_model=AtlasPoint, responses=API_ERRORS)
def api_atlas_point(actor: ClinicalActor, code: Annotated[str, Path(max_length=30)]) -> Any:
    """One atlas point by code or alias (404 with suggestions when unknown)."""
    return _atlas_point(load_atlas().lookup(code))
