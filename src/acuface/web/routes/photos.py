"""Photos: drag-and-drop upload and camera capture with a pose check first; photo pages."""

from __future__ import annotations

from typing import Annotated, Any, get_args

from fastapi import APIRouter, File, Form, Query, Request, UploadFile
from fastapi.responses import RedirectResponse, Response
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.orm import Session

from acuface.clinic import services as svc
from acuface.clinic.access import Action, allowed
from acuface.clinic.paging import PageRequest
from acuface.clinic.schemas import Actor, PhotoCheckDTO, PhotoChoiceDTO, PhotoDTO, PhotoView
from acuface.errors import AcufaceError, ImageTooLarge, InvalidAnswers
from acuface.web.deps import API_ERRORS, ClinicalActor, RecordId, SessionDep, api_router
from acuface.web.facemap import build_facemap, crop_jpeg
from acuface.web.templating import flash, render

router = APIRouter(include_in_schema=False)
VIEWS: tuple[str, ...] = get_args(PhotoView)


def read_upload(request: Request, upload: UploadFile) -> bytes:
    """Read an uploaded file, refusing more than the configured size.

    Reads at most one byte past the limit, so a huge upload is never held in memory.
    """
    limit = request.app.state.web_settings.max_upload_bytes
    data = upload.file.read(limit + 1)
    if len(data) > limit:
        raise ImageTooLarge(
            f"The file is larger than the {limit // (1024 * 1024)} MB upload limit. "
            "Export the photo at a smaller size (2000-3000 px wide is plenty)."
        )
    if not data:
        raise AcufaceError("The uploaded file is empty.")
    return data


def store_upload(
    request: Request,
    *,
    session: Session,
    actor: Actor,
    client_id: int,
    data: bytes,
    view: PhotoView,
    note: str | None,
) -> PhotoDTO:
    """Store an upload, decoded and analysed in the server's analysis workers.

    The access check runs first (nothing is analysed for a refused upload); the
    decoding, the locator and the skin analysis run in a worker process of
    ``app.state.analysis_pool``, never on the event loop, so one heavy or hostile
    photo neither freezes other users' pages nor takes the server down. Called from
    a route's worker thread: the database work stays off the event loop too.
    """
    svc.check_photo_target(session=session, actor=actor, client_id=client_id)
    # End this request's transaction before the seconds of analysis: whatever the
    # request wrote so far (a session's last-seen time, audit entries) must not keep
    # SQLite's single write lock while other users' pages wait for it.
    session.commit()
    prepared, analysis = request.app.state.analysis_pool.prepare(data)
    return svc.add_prepared_photo(
        session=session,
        actor=actor,
        client_id=client_id,
        prepared=prepared,
        analysis=analysis,
        view=view,
        note=note,
        store=request.app.state.photo_store,
    )


def _photos_index(
    request: Request,
    *,
    session: Any,
    actor: Any,
    client: Any,
    error: str | None = None,
    error_link: str | None = None,
    status_code: int = 200,
) -> Response:
    """Render the client's photo list with the upload form (and an upload error, if any).

    Parameters
    ----------
    request : Request
        The current request.
    session, actor
        Database session and acting user (the photo listing is audited).
    client : ClientDTO
        The client whose photos are shown.
    error : str, optional
        Message of a failed upload, shown above the form.
    error_link : str, optional
        Where to fix it (the consent form when photography consent is missing).
    status_code : int
        HTTP status of the page (the error's status after a failed upload).
    """
    page = PageRequest.of(*_page_numbers(request))
    result = svc.page_photos(session=session, actor=actor, client_id=client.id, page=page)
    # Hidden photos are listed only for those who may purge them.
    hidden = (
        [
            p
            for p in svc.list_photos(
                session=session, actor=actor, client_id=client.id, include_hidden=True
            )
            if p.hidden
        ]
        if allowed(actor, Action.PURGE_PHOTOS)
        else []
    )
    context: dict[str, Any] = {
        "client": client,
        "photos": result.items,
        "page": result,
        "hidden_photos": hidden,
        "views": VIEWS,
        "photo_consent": svc.has_consent(session, client.id, "photography"),
    }
    if error is not None:
        context["error"] = error
        context["error_link"] = error_link
    return render(request, "photos/index.html", context, status_code=status_code)


def _page_numbers(request: Request) -> tuple[int, int]:
    # The upload form posts to the list's URL, so the page comes from the query.
    def number(name: str, default: int) -> int:
        text = request.query_params.get(name, "")
        return int(text) if text.isdigit() and len(text) < 8 else default

    return number("page", 1), number("size", PHOTOS_PER_PAGE)


#: Photos per page of a client's photo list.
PHOTOS_PER_PAGE = 24


@router.get("/clients/{client_id}/photos", name="photos")
def photos_page(
    request: Request, session: SessionDep, actor: ClinicalActor, client_id: RecordId
) -> Response:
    """Show the client's photos and the upload / camera form."""
    client = svc.get_client(session=session, actor=actor, client_id=client_id)
    return _photos_index(request, session=session, actor=actor, client=client)


@router.post("/clients/{client_id}/photos", name="photo_upload")
def photo_upload(
    request: Request,
    session: SessionDep,
    actor: ClinicalActor,
    client_id: RecordId,
    file: Annotated[UploadFile, File()],
    view: Annotated[str, Form()] = "front",
    note: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    """Store a photo (the clinic photo store strips EXIF/GPS) and open it."""
    client = svc.get_client(session=session, actor=actor, client_id=client_id)
    try:
        data = read_upload(request, file)
        photo = store_upload(
            request,
            session=session,
            actor=actor,
            client_id=client_id,
            data=data,
            view=view if view in VIEWS else "other",  # type: ignore[arg-type]
            note=note.strip() or None,
        )
    except AcufaceError as exc:
        return _photos_index(
            request,
            session=session,
            actor=actor,
            client=client,
            error=exc.message,
            error_link=getattr(exc, "link", None),
            status_code=exc.http_status,
        )
    msg = "Photo saved."
    if photo.quality_flags:
        msg += " Quality notes: " + "; ".join(photo.quality_flags)
    flash(request, msg, "success" if photo.quality_ok else "warning")
    return RedirectResponse(f"/photos/{photo.id}", status_code=303)


@router.get("/photos/{photo_id}", name="photo_page")
def photo_page(
    request: Request, session: SessionDep, actor: ClinicalActor, photo_id: RecordId
) -> Response:
    """Show a photo with every located point (hover for details) and its pose and quality."""
    photo = svc.get_photo(session=session, actor=actor, photo_id=photo_id)
    client = svc.get_client(session=session, actor=actor, client_id=photo.client_id)
    fm = build_facemap(photo.face_map, photo.width, photo.height, with_labels=True)
    return render(request, "photos/page.html", {"photo": photo, "client": client, "fm": fm})


@router.post("/photos/{photo_id}/hide", name="photo_hide")
def photo_hide(
    request: Request,
    session: SessionDep,
    actor: ClinicalActor,
    photo_id: RecordId,
    reason: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    """Hide a failed photo (kept on file, audited; an admin can purge it)."""
    photo = svc.hide_photo(session=session, actor=actor, photo_id=photo_id, reason=reason)
    flash(request, "Photo hidden. It is no longer listed or used for plans and progress.")
    return RedirectResponse(f"/clients/{photo.client_id}/photos", status_code=303)


@router.post("/photos/{photo_id}/purge", name="photo_purge")
def photo_purge(
    request: Request, session: SessionDep, actor: ClinicalActor, photo_id: RecordId
) -> Response:
    """Delete a hidden photo for good (admin)."""
    photo = svc.get_photo(session=session, actor=actor, photo_id=photo_id)
    svc.purge_photo(
        session=session, actor=actor, photo_id=photo_id, store=request.app.state.photo_store
    )
    flash(request, "Hidden photo purged.", "success")
    return RedirectResponse(f"/clients/{photo.client_id}/photos", status_code=303)


def _picked(value: str) -> int | None:
    """Read the picker's value: a photo id, or ``None`` for "the default photo"."""
    value = value.strip()
    if not value:
        return None
    if not value.isdigit() or len(value) > 10:
        raise InvalidAnswers("Pick a photo from the list.")
    return int(value)


@router.post("/plans/{plan_id}/photo", name="plan_photo")
def plan_photo(
    request: Request,
    session: SessionDep,
    actor: ClinicalActor,
    plan_id: RecordId,
    photo_id: Annotated[str, Form(max_length=12)] = "",
) -> Response:
    """Store which photo the plan is shown on (empty: back to the default)."""
    svc.choose_photo(session=session, actor=actor, photo_id=_picked(photo_id), plan_id=plan_id)
    flash(request, "Photo for this plan saved.", "success")
    return RedirectResponse(f"/plans/{plan_id}", status_code=303)


@router.post("/sessions/{session_id}/photo", name="session_photo")
def session_photo(
    request: Request,
    session: SessionDep,
    actor: ClinicalActor,
    session_id: RecordId,
    photo_id: Annotated[str, Form(max_length=12)] = "",
) -> Response:
    """Store which photo the session note is shown on (empty: back to the default)."""
    svc.choose_photo(
        session=session, actor=actor, photo_id=_picked(photo_id), session_id=session_id
    )
    flash(request, "Photo for this session saved.", "success")
    return RedirectResponse(f"/sessions/{session_id}", status_code=303)


@router.get("/photos/{photo_id}/image", name="photo_image")
def photo_image(
    request: Request,
    session: SessionDep,
    actor: ClinicalActor,
    photo_id: RecordId,
    crop: Annotated[str | None, Query(max_length=60)] = None,
) -> Response:
    """Serve the stored JPEG (EXIF stripped). Never cached by the browser: health data."""
    data = svc.read_photo_bytes(
        session=session, actor=actor, photo_id=photo_id, store=request.app.state.photo_store
    )
    if crop:
        photo = svc.get_photo(session=session, actor=actor, photo_id=photo_id)
        data = crop_jpeg(data, crop, photo.width, photo.height)
    return Response(data, media_type="image/jpeg")


# --- JSON API (same session, roles and CSRF as the pages) ---------------------

api = api_router()
#: Uploads can also be too large or not an image at all.
UPLOAD_ERRORS = {
    **API_ERRORS,
    413: {"description": "Too large"},
    415: {"description": "Not an image"},
}


@api.get("/clients/{client_id}/photos", response_model=list[PhotoDTO], responses=API_ERRORS)
def list_photos(session: SessionDep, actor: ClinicalActor, client_id: RecordId) -> Any:
    """Photo metadata (with the stored face maps), newest first."""
    return svc.list_photos(session=session, actor=actor, client_id=client_id)


@api.post(
    "/clients/{client_id}/photos",
    response_model=PhotoDTO,
    status_code=201,
    responses={
        **API_ERRORS,
        413: {"description": "Too large"},
        415: {"description": "Not an image"},
    },
)
def upload_photo(
    request: Request,
    session: SessionDep,
    actor: ClinicalActor,
    client_id: RecordId,
    file: Annotated[UploadFile, File()],
    view: Annotated[PhotoView, Form()] = "front",
    note: Annotated[str | None, Form(max_length=2000)] = None,
) -> Any:
    """Store a photo (type checked by content, size and pixel limits, EXIF stripped)."""
    data = read_upload(request, file)
    return store_upload(
        request,
        session=session,
        actor=actor,
        client_id=client_id,
        data=data,
        view=view,
        note=note,
    )


class HideIn(BaseModel):
    """Why a photo is hidden."""

    model_config = ConfigDict(extra="forbid")

    reason: str = Field(min_length=1, max_length=2000)


class PhotoChoiceIn(BaseModel):
    """The photo to show a plan or a session on (``null``: the default photo)."""

    model_config = ConfigDict(extra="forbid")

    photo_id: int | None = Field(default=None, ge=1, le=2_147_483_647)


@api.post("/photos/{photo_id}/hide", response_model=PhotoDTO, responses=API_ERRORS)
def hide_photo(session: SessionDep, actor: ClinicalActor, photo_id: RecordId, body: HideIn) -> Any:
    """Hide a photo (soft delete, audited)."""
    return svc.hide_photo(session=session, actor=actor, photo_id=photo_id, reason=body.reason)


@api.delete("/photos/{photo_id}", status_code=204, responses=API_ERRORS)
def purge_photo(
    request: Request, session: SessionDep, actor: ClinicalActor, photo_id: RecordId
) -> Response:
    """Delete a hidden photo for good (admin)."""
    svc.purge_photo(
        session=session, actor=actor, photo_id=photo_id, store=request.app.state.photo_store
    )
    return Response(status_code=204)


@api.get("/plans/{plan_id}/photo", response_model=PhotoChoiceDTO, responses=API_ERRORS)
def get_plan_photo(session: SessionDep, actor: ClinicalActor, plan_id: RecordId) -> Any:
    """Return the photo the plan is shown on, whether it was picked, and why."""
    plan = svc.get_plan(session=session, actor=actor, plan_id=plan_id)
    return svc.photo_for(session=session, actor=actor, client_id=plan.client_id, plan_id=plan_id)


@api.put("/plans/{plan_id}/photo", response_model=PhotoChoiceDTO, responses=API_ERRORS)
def put_plan_photo(
    session: SessionDep, actor: ClinicalActor, plan_id: RecordId, body: PhotoChoiceIn
) -> Any:
    """Pick the photo the plan is shown on."""
    return svc.choose_photo(session=session, actor=actor, photo_id=body.photo_id, plan_id=plan_id)


@api.put("/sessions/{session_id}/photo", response_model=PhotoChoiceDTO, responses=API_ERRORS)
def put_session_photo(
    session: SessionDep, actor: ClinicalActor, session_id: RecordId, body: PhotoChoiceIn
) -> Any:
    """Pick the photo the session note is shown on."""
    return svc.choose_photo(
        session=session, actor=actor, photo_id=body.photo_id, session_id=session_id
    )


@api.post(
    "/photos/check",
    response_model=PhotoCheckDTO,
    responses={
        **API_ERRORS,
        413: {"description": "Too large"},
        415: {"description": "Not an image"},
    },
)
def check_photo(request: Request, actor: ClinicalActor, file: Annotated[UploadFile, File()]) -> Any:
    """Check a photo before saving it: face found, pose, quality warnings. Stores nothing."""
    data = read_upload(request, file)
    return request.app.state.analysis_pool.check(data)


@api.post(
    "/photos/locate",
    responses={
        **API_ERRORS,
        413: {"description": "Too large"},
        415: {"description": "Not an image"},
    },
)
def locate_photo(
    request: Request, actor: ClinicalActor, file: Annotated[UploadFile, File()]
) -> dict[str, Any]:
    """Locate every facial point on a photo (a preview: stores nothing).

    Returns ``FaceMap.to_json()`` plus ``image_wh`` and ``warnings``.
    """
    data = read_upload(request, file)
    result: dict[str, Any] = request.app.state.analysis_pool.locate(
        data, name=file.filename or "upload"
    )
    return result
