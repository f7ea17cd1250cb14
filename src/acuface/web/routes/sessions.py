"""Session charting: needles clicked on the face map, notes, adverse events.

Sign the note; later changes are amendments (the signed original stays visible).
"""

from __future__ import annotations

from datetime import date, time
from typing import Annotated, Any, TypeVar, get_args

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from starlette.datastructures import FormData

from acuface.atlas import load_atlas
from acuface.atlas.knowledge import load_knowledge
from acuface.clinic import services as svc
from acuface.clinic.schemas import (
    ADVERSE_KINDS,
    AdverseEventCreate,
    AdverseEventDTO,
    NeedleIn,
    SessionCreate,
    SessionDTO,
    SessionUpdate,
    Severity,
)
from acuface.errors import InvalidAnswers
from acuface.vocab import normalise_code
from acuface.web.deps import (
    API_ERRORS,
    BodyDep,
    ClinicalActor,
    FormDep,
    RecordId,
    SessionDep,
    api_router,
)
from acuface.web.facemap import build_facemap
from acuface.web.templating import flash, render

router = APIRouter(include_in_schema=False)
SEVERITIES = get_args(Severity)
TEXT_FIELDS = ("technique", "subjective", "objective", "assessment", "plan_note")
SessionFormT = TypeVar("SessionFormT", SessionCreate, SessionUpdate)


def _opt_int(value: Any) -> int | None:
    if value is None or str(value).strip() == "":
        return None
    try:
        return int(str(value).strip())
    except ValueError:
        raise InvalidAnswers(f"{value!r} is not a whole number.") from None


def _opt_date(value: Any, default: date | None = None) -> date | None:
    if not isinstance(value, str) or not value.strip():
        return default
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        raise InvalidAnswers(f"{value!r} is not a date (YYYY-MM-DD).") from None


def _opt_time(value: Any) -> time | None:
    if not isinstance(value, str) or not value.strip():
        return None
    try:
        return time.fromisoformat(value.strip())
    except ValueError:
        raise InvalidAnswers(f"{value!r} is not a time (HH:MM).") from None


def parse_needles(form: Any) -> list[NeedleIn]:
    """Read the repeated ``needle_code``/``needle_side``/``needle_count`` fields.

    Each row may carry a ``needle_reason`` (why a point the plan left out is
    needled anyway); the service decides whether one is needed.
    """
    codes = form.getlist("needle_code")
    sides = form.getlist("needle_side")
    counts = form.getlist("needle_count")
    reasons = form.getlist("needle_reason") or [""] * len(codes)
    if not (len(codes) == len(sides) == len(counts) == len(reasons)):
        raise InvalidAnswers("The needle rows are incomplete; reload the page and try again.")
    merged: dict[tuple[str, str], tuple[int, str]] = {}
    for code, side, count, reason in zip(codes, sides, counts, reasons, strict=True):
        if not str(code).strip():
            continue
        n = _opt_int(count) or 0
        if n <= 0:
            continue
        key = (normalise_code(str(code)), str(side))
        before, why = merged.get(key, (0, ""))
        merged[key] = (before + n, why or str(reason).strip())
    try:
        return [
            NeedleIn(point_code=c, side=s, count=n, override_reason=why or None)
            for (c, s), (n, why) in merged.items()
        ]
    except ValidationError as exc:
        raise InvalidAnswers(f"A needle row is invalid: {exc.errors()[0]['msg']}") from None


def _opt_float(value: Any) -> float | None:
    if value is None or str(value).strip() == "":
        return None
    try:
        return float(str(value).strip().replace(",", "."))
    except ValueError:
        raise InvalidAnswers(f"{value!r} is not a number.") from None


def _session_fields(form: Any) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for f in TEXT_FIELDS:
        v = form.get(f)
        values[f] = (v.strip() or None) if isinstance(v, str) else None
    values["retention_minutes"] = _opt_int(form.get("retention_minutes"))
    values["start_time"] = _opt_time(form.get("start_time"))
    values["session_date"] = _opt_date(form.get("session_date"), date.today())
    values["plan_id"] = _opt_int(form.get("plan_id"))
    values["needles_out"] = _opt_int(form.get("needles_out"))
    values["inr"] = _opt_float(form.get("inr"))
    values["position"] = str(form.get("position") or "").strip() or None
    values["aftercare"] = [str(a) for a in form.getlist("aftercare")] or None
    return values


def _read_session_form(form: FormData, model: type[SessionFormT]) -> tuple[SessionFormT, Any]:
    """Read the charting form (notes, date, time, needles) into *model*.

    Parameters
    ----------
    form : FormData
        The POST request's charting form.
    model : type
        ``SessionCreate`` for a new note or ``SessionUpdate`` for a draft.

    Returns
    -------
    tuple
        The validated model and the raw form (for ``sign_now``).

    Raises
    ------
    InvalidAnswers
        When a field does not validate.
    """
    values = _session_fields(form)
    values["needles"] = parse_needles(form)
    try:
        return model(**values), form
    except ValidationError as exc:
        raise InvalidAnswers(f"The session form is invalid: {exc.errors()[0]['msg']}") from None


def _after_save(request: Request, *, form: Any, session_id: int, draft_message: str) -> Response:
    """Redirect after saving a note: to the signing confirmation when "sign" was asked.

    Signing always goes through the confirmation page (``GET /sessions/{id}/sign``),
    which also asks for a reason when the signer is not the note's practitioner.

    Parameters
    ----------
    request : Request
        The request (for the flash message).
    form : FormData
        The submitted charting form.
    session_id : int
        The treatment session just saved.
    draft_message : str
        Flash message when the note stays a draft.
    """
    if form.get("sign_now") == "1":
        flash(request, "Draft saved. Check the note and confirm to sign it.", "info")
        return RedirectResponse(f"/sessions/{session_id}/sign", status_code=303)
    flash(request, draft_message, "success")
    return RedirectResponse(f"/sessions/{session_id}", status_code=303)


def _chart_context(
    session: Any,
    actor: Any,
    client_id: RecordId,
    s: SessionDTO | None,
    proposed_photo_id: int | None = None,
) -> dict[str, Any]:
    """Photo face map (all points, plan's stressed), plan, body points for the form.

    *proposed_photo_id* is the photo picked for a new note before it is saved.
    """
    client = svc.get_client(session=session, actor=actor, client_id=client_id)
    plans = svc.list_plans(session=session, actor=actor, client_id=client_id)
    plan = None
    if s is not None and s.plan_id is not None:
        plan = next((p for p in plans if p.id == s.plan_id), None)
    plan = plan or (plans[0] if plans else None)
    plan_codes = [pt.code for pt in plan.plan.points] if plan else []
    # The photo picked for this note, else the default (see services.photo_for).
    choice = svc.photo_for(
        session=session,
        actor=actor,
        client_id=client_id,
        session_id=s.id if s else None,
        proposed_photo_id=proposed_photo_id if s is None else None,
    )
    photo = choice.photo
    needled = [(n.point_code, n.side) for n in (s.needles if s else [])]
    guidance = svc.session_guidance(
        session=session, actor=actor, plan_id=plan.id if plan is not None else None
    )
    fm = (
        build_facemap(
            photo.face_map,
            photo.width,
            photo.height,
            highlight=plan_codes,
            needled=needled,
            techniques=guidance.techniques,
        )
        if photo
        else None
    )
    atlas = load_atlas()
    knowledge = load_knowledge()
    return {
        "client": client,
        "plan": plan,
        "plans": plans,
        "photo": photo,
        "choice": choice,
        "fm": fm,
        "all_points": list(atlas.points.values()),
        "plan_codes": plan_codes,
        "guidance": guidance,
        "aftercare_items": knowledge.practice.aftercare,
        "aftercare_text": {a.id: a.text for a in knowledge.practice.aftercare},
        "positions": list(knowledge.positions_by_id.values()),
        "adverse_kinds": ADVERSE_KINDS,
        "adverse_labels": {e.id: e.label for e in knowledge.adverse_events.events},
        "severities": SEVERITIES,
        "today": date.today(),
        "treatment_consent": svc.has_consent(session, client_id, "treatment"),
    }


@router.get("/clients/{client_id}/sessions/new", name="session_new")
def session_new(
    request: Request,
    session: SessionDep,
    actor: ClinicalActor,
    client_id: RecordId,
    photo_id: Annotated[str, Query(max_length=12)] = "",
) -> Response:
    """Empty charting form, on the default photo or the one picked (``?photo_id=``).

    The photo is picked before the note exists, since the needles are charted by
    clicking that photo; saving the note stores the pick with it.
    """
    ctx = _chart_context(session, actor, client_id, None, _opt_int(photo_id))
    return render(request, "sessions/chart.html", {**ctx, "s": None})


@router.post("/clients/{client_id}/sessions", name="session_create")
def session_create(
    request: Request, form: FormDep, session: SessionDep, actor: ClinicalActor, client_id: RecordId
) -> Response:
    """Save a new draft session note (with the photo picked for it, if one was)."""
    data, form = _read_session_form(form, SessionCreate)
    s = svc.create_session(session=session, actor=actor, client_id=client_id, data=data)
    picked = _opt_int(form.get("photo_id"))
    if picked is not None:
        svc.choose_photo(session=session, actor=actor, photo_id=picked, session_id=s.id)
    return _after_save(
        request,
        form=form,
        session_id=s.id,
        draft_message="Draft session saved. Sign it when the note is complete.",
    )


@router.get("/sessions/{session_id}", name="session_page")
def session_page(
    request: Request, session: SessionDep, actor: ClinicalActor, session_id: RecordId
) -> Response:
    """Show a session: a draft opens for editing, a signed note with its amendments."""
    s = svc.get_session(session=session, actor=actor, session_id=session_id)
    ctx = _chart_context(session, actor, s.client_id, s)
    events = [
        e
        for e in svc.list_adverse_events(session=session, actor=actor, client_id=s.client_id)
        if e.session_id == s.id
    ]
    return render(request, "sessions/chart.html", {**ctx, "s": s, "events": events})


@router.post("/sessions/{session_id}", name="session_update")
def session_update(
    request: Request, form: FormDep, session: SessionDep, actor: ClinicalActor, session_id: RecordId
) -> Response:
    """Save changes to a draft (a signed note answers 409: amend it instead)."""
    update, form = _read_session_form(form, SessionUpdate)
    s = svc.update_session(session=session, actor=actor, session_id=session_id, data=update)
    return _after_save(request, form=form, session_id=s.id, draft_message="Draft saved.")


@router.get("/sessions/{session_id}/sign", name="session_sign_confirm")
def session_sign_confirm(
    request: Request, session: SessionDep, actor: ClinicalActor, session_id: RecordId
) -> Response:
    """Ask to confirm signing (and, for a colleague's note, the reason)."""
    s = svc.get_session(session=session, actor=actor, session_id=session_id)
    if s.status == "signed":
        return RedirectResponse(f"/sessions/{session_id}", status_code=303)
    client = svc.get_client(session=session, actor=actor, client_id=s.client_id)
    return render(
        request,
        "sessions/sign.html",
        {
            "s": s,
            "client": client,
            "for_colleague": actor.user_id != s.practitioner_id,
            "treatment_consent": svc.has_consent(session, s.client_id, "treatment"),
        },
    )


@router.post("/sessions/{session_id}/sign", name="session_sign")
def session_sign(
    request: Request,
    session: SessionDep,
    actor: ClinicalActor,
    session_id: RecordId,
    confirm: Annotated[str, Form(max_length=10)] = "",
    reason: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    """Sign the note once confirmed; from now on changes are amendments."""
    if confirm != "yes":  # not from the confirmation page: ask there first
        return RedirectResponse(f"/sessions/{session_id}/sign", status_code=303)
    s = svc.sign_session(
        session=session, actor=actor, session_id=session_id, reason=reason.strip() or None
    )
    who = f" for {s.practitioner}" if s.signed_for_colleague else ""
    flash(request, f"Session note signed{who}.", "success")
    return RedirectResponse(f"/sessions/{session_id}", status_code=303)


@router.get("/sessions/{session_id}/print", name="session_print")
def session_print(
    request: Request, session: SessionDep, actor: ClinicalActor, session_id: RecordId
) -> Response:
    """Show a clean one-page print view of a treatment note (no form controls)."""
    s = svc.get_session(session=session, actor=actor, session_id=session_id)
    client = svc.get_client(session=session, actor=actor, client_id=s.client_id)
    knowledge = load_knowledge()
    return render(
        request,
        "sessions/print.html",
        {
            "s": s,
            "client": client,
            "clinic": svc.get_clinic_settings(session=session),
            "aftercare_text": {a.id: a.text for a in knowledge.practice.aftercare},
            "positions": {p.id: p.label for p in knowledge.positions_by_id.values()},
        },
    )


@router.post("/sessions/{session_id}/amend", name="session_amend")
def session_amend(
    request: Request,
    form: FormDep,
    session: SessionDep,
    actor: ClinicalActor,
    session_id: RecordId,
    text: Annotated[str, Form(min_length=3, max_length=20_000)],
    reason: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    """Add a dated amendment to a signed note."""
    needles = parse_needles(form) if form.get("amend_needles") == "1" else None
    svc.amend_session(
        session=session,
        actor=actor,
        session_id=session_id,
        text=text.strip(),
        reason=reason.strip() or None,
        needles=needles,
    )
    flash(request, "Amendment added; the signed original stays as it was.", "success")
    return RedirectResponse(f"/sessions/{session_id}", status_code=303)


@router.post("/clients/{client_id}/adverse-events", name="adverse_event_create")
def adverse_event_create(
    request: Request, form: FormDep, session: SessionDep, actor: ClinicalActor, client_id: RecordId
) -> Response:
    """Record an adverse event (e.g. a bruise at a needle site)."""
    point = str(form.get("point") or "").strip()
    code, side = (point.split(":", 1) + [""])[:2] if point else ("", "")
    sid = _opt_int(form.get("session_id"))
    onset = _opt_date(form.get("onset_date"), date.today())
    try:
        data = AdverseEventCreate(
            kind=str(form.get("kind") or ""),
            severity=str(form.get("severity") or "mild"),
            session_id=sid,
            point_code=code or None,
            side=side or None,
            onset_date=onset,
            description=str(form.get("description") or "").strip() or None,
        )
    except (ValidationError, ValueError) as exc:
        raise InvalidAnswers(f"The adverse event form is incomplete or invalid: {exc}") from None
    event = svc.record_adverse_event(session=session, actor=actor, client_id=client_id, data=data)
    flash(request, f"Recorded: {event.kind} ({event.severity}).", "success")
    back = f"/sessions/{sid}" if sid else f"/clients/{client_id}"
    return RedirectResponse(back, status_code=303)


@router.post("/adverse-events/{event_id}/resolve", name="adverse_event_resolve")
def adverse_event_resolve(
    request: Request, form: FormDep, session: SessionDep, actor: ClinicalActor, event_id: RecordId
) -> Response:
    """Mark an adverse event resolved today (or on the given date)."""
    when = _opt_date(form.get("resolved_date")) or date.today()
    event = svc.resolve_adverse_event(
        session=session, actor=actor, event_id=event_id, resolved_date=when
    )
    flash(request, "Adverse event marked resolved.", "success")
    return RedirectResponse(f"/clients/{event.client_id}", status_code=303)


# --- JSON API (same session, roles and CSRF as the pages) ---------------------

api = api_router()


class SignIn(BaseModel):
    """Signing a note: a reason is needed when the signer is not its practitioner."""

    model_config = ConfigDict(extra="forbid")

    reason: str | None = Field(default=None, max_length=2000)


class AmendIn(BaseModel):
    """An amendment to a signed session note."""

    model_config = ConfigDict(extra="forbid")

    text: str = Field(min_length=3, max_length=20_000)
    reason: str | None = Field(default=None, max_length=2000)
    needles: list[NeedleIn] | None = None


@api.get("/clients/{client_id}/sessions", response_model=list[SessionDTO], responses=API_ERRORS)
def list_sessions(session: SessionDep, actor: ClinicalActor, client_id: RecordId) -> Any:
    """List the client's treatment sessions, newest first."""
    return svc.list_sessions(session=session, actor=actor, client_id=client_id)


@api.post(
    "/clients/{client_id}/sessions",
    response_model=SessionDTO,
    status_code=201,
    responses=API_ERRORS,
)
def create_session(
    session: SessionDep, actor: ClinicalActor, client_id: RecordId, data: SessionCreate
) -> Any:
    """Start a draft session note."""
    return svc.create_session(session=session, actor=actor, client_id=client_id, data=data)


@api.get("/sessions/{session_id}", response_model=SessionDTO, responses=API_ERRORS)
def get_session(session: SessionDep, actor: ClinicalActor, session_id: RecordId) -> Any:
    """One session with needles and amendments."""
    return svc.get_session(session=session, actor=actor, session_id=session_id)


@api.patch(
    "/sessions/{session_id}",
    response_model=SessionDTO,
    responses={**API_ERRORS, 409: {"description": "Signed: amend instead"}},
)
def update_session(
    session: SessionDep, actor: ClinicalActor, session_id: RecordId, data: SessionUpdate
) -> Any:
    """Change a draft session."""
    return svc.update_session(session=session, actor=actor, session_id=session_id, data=data)


@api.post(
    "/sessions/{session_id}/sign",
    response_model=SessionDTO,
    responses={**API_ERRORS, 409: {"description": "Already signed, or no treatment consent"}},
)
def sign_session(
    raw: BodyDep, session: SessionDep, actor: ClinicalActor, session_id: RecordId
) -> Any:
    """Sign a draft session note; a colleague's note needs the body ``{"reason": ...}``.

    The body is optional (the note's own practitioner sends none), so it is read
    here rather than declared: an optional JSON body is not something every API
    client handles.
    """
    try:
        data = SignIn.model_validate_json(raw) if raw.strip() else SignIn()
    except ValidationError as exc:
        raise InvalidAnswers(f"Invalid body: {exc.errors()[0]['msg']}") from None
    return svc.sign_session(session=session, actor=actor, session_id=session_id, reason=data.reason)


@api.post(
    "/sessions/{session_id}/amendments",
    response_model=SessionDTO,
    status_code=201,
    responses=API_ERRORS,
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


@api.get(
    "/clients/{client_id}/adverse-events",
    response_model=list[AdverseEventDTO],
    responses=API_ERRORS,
)
def list_events(session: SessionDep, actor: ClinicalActor, client_id: RecordId) -> Any:
    """List the client's adverse events."""
    return svc.list_adverse_events(session=session, actor=actor, client_id=client_id)


@api.post(
    "/clients/{client_id}/adverse-events",
    response_model=AdverseEventDTO,
    status_code=201,
    responses=API_ERRORS,
)
def record_event(
    session: SessionDep, actor: ClinicalActor, client_id: RecordId, data: AdverseEventCreate
) -> Any:
    """Record an adverse event."""
    return svc.record_adverse_event(session=session, actor=actor, client_id=client_id, data=data)
