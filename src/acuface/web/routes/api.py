"""JSON API beside the pages (OpenAPI at ``/api/openapi.json``).

Same session cookie and roles as the pages; unsafe methods need the
``X-CSRF-Token`` header (token from ``GET /api/me``). Errors are
``{"type": ..., "message": ...}`` with the status of the Acuface error.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Path, Query, Request, UploadFile
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from acuface.atlas import load_atlas
from acuface.clinic import services as svc
from acuface.clinic.schemas import (
    AdverseEventCreate,
    AdverseEventDTO,
    ClientCreate,
    ClientDTO,
    ClientSummaryDTO,
    ClientUpdate,
    IntakeResult,
    MeasurementDTO,
    NeedleIn,
    PhotoCheckDTO,
    PhotoDTO,
    PhotoView,
    PlanDTO,
    RatingCreate,
    RatingDTO,
    ScheduleEntryDTO,
    SessionCreate,
    SessionDTO,
    SessionUpdate,
    TimelineEntryDTO,
    UserDTO,
)
from acuface.locator import locate
from acuface.locator.image import load_image
from acuface.planner.intake import parse_intake
from acuface.web.deps import ActorDep, ClinicalActor, CurrentUser, RecordId, SessionDep
from acuface.web.routes.photos import read_upload
from acuface.web.security import csrf_token

router = APIRouter(prefix="/api", tags=["api"])

ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"description": "Not signed in"},
    403: {"description": "Role not allowed, or CSRF token missing"},
    404: {"description": "No such record"},
    422: {"description": "Invalid input"},
}


class Me(BaseModel):
    """The signed-in user and the CSRF token for unsafe calls."""

    user: UserDTO
    csrf_token: str


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


class AmendIn(BaseModel):
    """An amendment to a signed session note."""

    model_config = ConfigDict(extra="forbid")

    text: str = Field(min_length=3, max_length=20_000)
    reason: str | None = Field(default=None, max_length=2000)
    needles: list[NeedleIn] | None = None


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


@router.get("/openapi.json", include_in_schema=False)
def openapi(request: Request) -> JSONResponse:
    """Return the OpenAPI document of this API (signed-in users only)."""
    return JSONResponse(request.app.openapi())


@router.get("/me", response_model=Me, responses=ERRORS)
def me(request: Request, user: CurrentUser) -> Me:
    """Who is signed in, and the CSRF token for POST/PUT/PATCH/DELETE."""
    return Me(user=user, csrf_token=csrf_token(request.session))


# --- schedule and clients (every role) --------------------------------------------


@router.get("/schedule", response_model=list[ScheduleEntryDTO], responses=ERRORS)
def schedule(session: SessionDep, actor: ActorDep, day: date | None = None) -> Any:
    """Sessions of a day (default today), without clinical content."""
    return svc.list_schedule(session=session, actor=actor, day=day or date.today())


@router.get("/clients", response_model=list[ClientSummaryDTO], responses=ERRORS)
def list_clients(
    session: SessionDep,
    actor: ActorDep,
    q: Annotated[str | None, Query(max_length=100)] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> Any:
    """Clients, filtered by a name/e-mail/phone substring."""
    search = (q or "").replace("\x00", "").strip() or None
    return svc.list_clients(session=session, actor=actor, search=search, limit=limit, offset=offset)


@router.post("/clients", response_model=ClientDTO, status_code=201, responses=ERRORS)
def create_client(session: SessionDep, actor: ActorDep, data: ClientCreate) -> Any:
    """Create a client."""
    return svc.create_client(session=session, actor=actor, data=data)


@router.get("/clients/{client_id}", response_model=ClientDTO, responses=ERRORS)
def get_client(session: SessionDep, actor: ActorDep, client_id: RecordId) -> Any:
    """One client's identity and contact details."""
    return svc.get_client(session=session, actor=actor, client_id=client_id)


@router.patch("/clients/{client_id}", response_model=ClientDTO, responses=ERRORS)
def update_client(
    session: SessionDep, actor: ActorDep, client_id: RecordId, data: ClientUpdate
) -> Any:
    """Change identity or contact details."""
    return svc.update_client(session=session, actor=actor, client_id=client_id, data=data)


# --- clinical records (admin, practitioner) ---------------------------------------


@router.get(
    "/clients/{client_id}/timeline", response_model=list[TimelineEntryDTO], responses=ERRORS
)
def timeline(session: SessionDep, actor: ClinicalActor, client_id: RecordId) -> Any:
    """List the client's timeline, newest first."""
    return svc.client_timeline(session=session, actor=actor, client_id=client_id)


@router.post(
    "/clients/{client_id}/intakes", response_model=IntakeResult, status_code=201, responses=ERRORS
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


@router.get("/clients/{client_id}/plans", response_model=list[PlanDTO], responses=ERRORS)
def list_plans(session: SessionDep, actor: ClinicalActor, client_id: RecordId) -> Any:
    """List the client's plans, newest first."""
    return svc.list_plans(session=session, actor=actor, client_id=client_id)


@router.get("/plans/{plan_id}", response_model=PlanDTO, responses=ERRORS)
def get_plan(session: SessionDep, actor: ClinicalActor, plan_id: RecordId) -> Any:
    """One plan snapshot."""
    return svc.get_plan(session=session, actor=actor, plan_id=plan_id)


@router.get("/clients/{client_id}/sessions", response_model=list[SessionDTO], responses=ERRORS)
def list_sessions(session: SessionDep, actor: ClinicalActor, client_id: RecordId) -> Any:
    """List the client's treatment sessions, newest first."""
    return svc.list_sessions(session=session, actor=actor, client_id=client_id)


@router.post(
    "/clients/{client_id}/sessions", response_model=SessionDTO, status_code=201, responses=ERRORS
)
def create_session(
    session: SessionDep, actor: ClinicalActor, client_id: RecordId, data: SessionCreate
) -> Any:
    """Start a draft session note."""
    return svc.create_session(session=session, actor=actor, client_id=client_id, data=data)


@router.get("/sessions/{session_id}", response_model=SessionDTO, responses=ERRORS)
def get_session(session: SessionDep, actor: ClinicalActor, session_id: RecordId) -> Any:
    """One session with needles and amendments."""
    return svc.get_session(session=session, actor=actor, session_id=session_id)


@router.patch(
    "/sessions/{session_id}",
    response_model=SessionDTO,
    responses={**ERRORS, 409: {"description": "Signed: amend instead"}},
)
def update_session(
    session: SessionDep, actor: ClinicalActor, session_id: RecordId, data: SessionUpdate
) -> Any:
    """Change a draft session."""
    return svc.update_session(session=session, actor=actor, session_id=session_id, data=data)


@router.post(
    "/sessions/{session_id}/sign",
    response_model=SessionDTO,
    responses={**ERRORS, 409: {"description": "Already signed"}},
)
def sign_session(session: SessionDep, actor: ClinicalActor, session_id: RecordId) -> Any:
    """Sign a draft session note."""
    return svc.sign_session(session=session, actor=actor, session_id=session_id)


@router.post(
    "/sessions/{session_id}/amendments",
    response_model=SessionDTO,
    status_code=201,
    responses=ERRORS,
)
def amend_session(
    session: SessionDep, actor: ClinicalActor, session_id: RecordId, data: AmendIn
) -> Any:
    """Add a dated amendment to a signed note."""
    return svc.amend_session(
        session=session,
        actor=actor,
        session_id=session_id,
        text=data.text,
        reason=data.reason,
        needles=data.needles,
    )


@router.get(
    "/clients/{client_id}/adverse-events", response_model=list[AdverseEventDTO], responses=ERRORS
)
def list_events(session: SessionDep, actor: ClinicalActor, client_id: RecordId) -> Any:
    """List the client's adverse events."""
    return svc.list_adverse_events(session=session, actor=actor, client_id=client_id)


@router.post(
    "/clients/{client_id}/adverse-events",
    response_model=AdverseEventDTO,
    status_code=201,
    responses=ERRORS,
)
def record_event(
    session: SessionDep, actor: ClinicalActor, client_id: RecordId, data: AdverseEventCreate
) -> Any:
    """Record an adverse event."""
    return svc.record_adverse_event(session=session, actor=actor, client_id=client_id, data=data)


@router.get("/clients/{client_id}/ratings", response_model=list[RatingDTO], responses=ERRORS)
def list_ratings(session: SessionDep, actor: ClinicalActor, client_id: RecordId) -> Any:
    """Outcome ratings, oldest first."""
    return svc.list_ratings(session=session, actor=actor, client_id=client_id)


@router.post(
    "/clients/{client_id}/ratings", response_model=RatingDTO, status_code=201, responses=ERRORS
)
def add_rating(
    session: SessionDep, actor: ClinicalActor, client_id: RecordId, data: RatingCreate
) -> Any:
    """Record an outcome rating."""
    return svc.add_rating(session=session, actor=actor, client_id=client_id, data=data)


@router.get(
    "/clients/{client_id}/measurements", response_model=list[MeasurementDTO], responses=ERRORS
)
def list_measurements(session: SessionDep, actor: ClinicalActor, client_id: RecordId) -> Any:
    """Measurements, oldest first."""
    return svc.list_measurements(session=session, actor=actor, client_id=client_id)


# --- photos ----------------------------------------------------------------------


@router.get("/clients/{client_id}/photos", response_model=list[PhotoDTO], responses=ERRORS)
def list_photos(session: SessionDep, actor: ClinicalActor, client_id: RecordId) -> Any:
    """Photo metadata (with the stored face maps), newest first."""
    return svc.list_photos(session=session, actor=actor, client_id=client_id)


@router.post(
    "/clients/{client_id}/photos",
    response_model=PhotoDTO,
    status_code=201,
    responses={**ERRORS, 413: {"description": "Too large"}, 415: {"description": "Not an image"}},
)
async def upload_photo(
    request: Request,
    session: SessionDep,
    actor: ClinicalActor,
    client_id: RecordId,
    file: Annotated[UploadFile, File()],
    view: Annotated[PhotoView, Form()] = "front",
    note: Annotated[str | None, Form(max_length=2000)] = None,
) -> Any:
    """Store a photo (type checked by content, size and pixel limits, EXIF stripped)."""
    data = await read_upload(request, file)
    return svc.add_photo(
        session=session,
        actor=actor,
        client_id=client_id,
        data=data,
        view=view,
        note=note,
        store=request.app.state.photo_store,
    )


@router.post(
    "/photos/check",
    response_model=PhotoCheckDTO,
    responses={**ERRORS, 413: {"description": "Too large"}, 415: {"description": "Not an image"}},
)
async def check_photo(
    request: Request, actor: ClinicalActor, file: Annotated[UploadFile, File()]
) -> Any:
    """Check a photo before saving it: face found, pose, quality warnings. Stores nothing."""
    data = await read_upload(request, file)
    return svc.check_photo(data)


@router.post(
    "/photos/locate",
    responses={**ERRORS, 413: {"description": "Too large"}, 415: {"description": "Not an image"}},
)
async def locate_photo(
    request: Request, actor: ClinicalActor, file: Annotated[UploadFile, File()]
) -> dict[str, Any]:
    """Locate every facial point on a photo (a preview: stores nothing).

    Returns ``FaceMap.to_json()`` plus ``image_wh`` and ``warnings``.
    """
    settings = request.app.state.web_settings
    data = await read_upload(request, file)
    rgb = load_image(
        data,
        max_pixels=settings.core.max_image_pixels,
        max_bytes=settings.max_upload_bytes,
        name=file.filename or "upload",
    )
    face_map = locate(rgb)
    out = face_map.to_json()
    out["image_wh"] = [int(rgb.shape[1]), int(rgb.shape[0])]
    out.setdefault("warnings", list(face_map.warnings))
    return out


# --- atlas -----------------------------------------------------------------------


@router.get("/atlas/points", response_model=list[AtlasPoint], responses=ERRORS)
def atlas_points(
    actor: ClinicalActor,
    q: Annotated[str | None, Query(max_length=100)] = None,
    region: Annotated[str | None, Query(pattern="^(face|head|neck|body)$")] = None,
) -> Any:
    """Atlas points, filtered by code/name/alias/zone substring and region."""
    return [_atlas_point(p) for p in load_atlas().search(q or "", region=region)]


@router.get("/atlas/points/{code}", response_model=AtlasPoint, responses=ERRORS)
def atlas_point(actor: ClinicalActor, code: Annotated[str, Path(max_length=30)]) -> Any:
    """One atlas point by code or alias (404 with suggestions when unknown)."""
    return _atlas_point(load_atlas().lookup(code))
