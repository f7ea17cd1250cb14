"""Clients: list with search, create, edit, client page with timeline, soft delete."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError

from acuface.clinic import services as svc
from acuface.clinic.access import Action, allowed
from acuface.clinic.consent_texts import CONSENT_KINDS
from acuface.clinic.paging import PageRequest
from acuface.clinic.schemas import (
    ClientCreate,
    ClientDTO,
    ClientSavedDTO,
    ClientSummaryDTO,
    ClientUpdate,
    TimelineEntryDTO,
)
from acuface.web.deps import (
    API_ERRORS,
    ActorDep,
    AdminActor,
    ClinicalActor,
    CurrentUser,
    FormDep,
    PageDep,
    RecordId,
    SessionDep,
    api_router,
)
from acuface.web.routes.calendar import practitioners
from acuface.web.templating import flash, render

router = APIRouter(include_in_schema=False)
#: Timeline entries shown on the client page (the rest: the timeline page).
TIMELINE_ON_PAGE = 25

#: Sessions shown on the client page (the rest on the client's sessions list).
CLIENT_PAGE_SESSIONS = 20
#: Coming visits shown on the client page (the rest on the client's appointments list).
CLIENT_PAGE_APPOINTMENTS = 5

CLIENT_FIELDS = (
    "given_name",
    "family_name",
    "birth_date",
    "sex",
    "email",
    "phone",
    "address",
    "notes",
)


def _form_values(form: Any) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for f in CLIENT_FIELDS:
        v = form.get(f)
        if isinstance(v, str):
            v = v.strip()
            values[f] = v or None
    if values.get("sex") is None:
        values.pop("sex", None)
    return values


def _errors(exc: ValidationError) -> dict[str, str]:
    return {str(e["loc"][0]) if e["loc"] else "form": e["msg"] for e in exc.errors()}


def _invalid_form(
    request: Request, *, values: dict[str, Any], exc: ValidationError, client: Any
) -> Response:
    """Show the client form again with the submitted values and the field errors (422).

    Parameters
    ----------
    request : Request
        The current request.
    values : dict
        The submitted form values, kept so nothing has to be typed again.
    exc : ValidationError
        Why ``ClientCreate`` / ``ClientUpdate`` refused the values.
    client : ClientDTO or None
        The client being edited, or ``None`` for a new client.
    """
    return render(
        request,
        "clients/form.html",
        {"values": values, "errors": _errors(exc), "client": client},
        status_code=422,
    )


@router.get("/clients", name="clients")
def clients(
    request: Request,
    session: SessionDep,
    actor: ActorDep,
    page: PageDep,
    q: Annotated[str, Query(max_length=100)] = "",
    deleted: bool = False,
) -> Response:
    """List clients a page at a time, filtered by name, e-mail or phone (``q``)."""
    result = svc.page_clients(
        session=session,
        actor=actor,
        search=q.strip() or None,
        include_deleted=deleted and allowed(actor, Action.SEE_DELETED_CLIENTS),
        page=page,
    )
    ctx = {"rows": result.items, "page": result, "q": q, "deleted": deleted}
    if request.headers.get("hx-request") == "true":
        return render(request, "clients/_search.html", ctx)
    return render(request, "clients/list.html", ctx)


@router.get("/clients/new", name="client_new")
def client_new(request: Request, user: CurrentUser) -> Response:
    """Empty client form."""
    return render(request, "clients/form.html", {"values": {}, "errors": {}, "client": None})


@router.post("/clients", name="client_create")
def client_create(
    request: Request, form: FormDep, session: SessionDep, actor: ActorDep
) -> Response:
    """Create a client from the form and open their page."""
    values = _form_values(form)
    try:
        data = ClientCreate(**values)
    except ValidationError as exc:
        return _invalid_form(request, values=values, exc=exc, client=None)
    client = svc.create_client(session=session, actor=actor, data=data)
    flash(request, f"Client {client.name} created.", "success")
    _warn_duplicates(request, session=session, actor=actor, client_id=client.id)
    return RedirectResponse(f"/clients/{client.id}", status_code=303)


def _warn_duplicates(request: Request, *, session: Any, actor: Any, client_id: int) -> None:
    """Flash a warning (never a refusal) when another client has the same name and birth date."""
    for warning in svc.duplicate_warnings(session=session, actor=actor, client_id=client_id):
        flash(request, f"{warning.message} The link is on the client page.", "warning")


@router.get("/clients/{client_id}", name="client_page")
def client_page(
    request: Request, session: SessionDep, actor: ActorDep, client_id: RecordId
) -> Response:
    """Client page: details; for clinical roles also the timeline and latest plan."""
    client = svc.get_client(
        session=session,
        actor=actor,
        client_id=client_id,
        include_deleted=allowed(actor, Action.SEE_DELETED_CLIENTS),
    )
    if client.deleted_at is not None:
        # Archived (only admins get here): the restore screen, not the live record.
        return render(request, "clients/archived.html", {"client": client})
    ctx: dict[str, Any] = {"client": client, "clinical": allowed(actor, Action.OPEN_CLINICAL_PAGES)}
    ctx["duplicates"] = svc.likely_duplicates(session=session, actor=actor, client_id=client_id)
    # Booking and the coming visits: every role (reception books; no clinical content).
    cs = svc.get_clinic_settings(session=session)
    ctx["cs"] = cs
    ctx["clinic_today"] = datetime.now(cs.zone).date()
    ctx["appointments"] = svc.page_client_appointments(
        session=session,
        actor=actor,
        client_id=client_id,
        page=PageRequest(size=CLIENT_PAGE_APPOINTMENTS),
    )
    # "Chart a session" opens today's booked visit, if there is one (its one note).
    ctx["visit_today"] = next(
        (a for a in ctx["appointments"].items if a.start.date() == ctx["clinic_today"]), None
    )
    ctx["practitioners"] = practitioners(session, actor)
    if ctx["clinical"]:
        # The latest entries; the whole timeline is paged on its own page.
        ctx["timeline"] = svc.page_timeline(
            session=session,
            actor=actor,
            client_id=client_id,
            page=PageRequest(size=TIMELINE_ON_PAGE),
        )
        ctx["plan"] = svc.latest_plan(session=session, actor=actor, client_id=client_id)
        # The newest sessions, and the newest photo with the count; the full,
        # paged lists are a click away.
        ctx["sessions_page"] = svc.page_sessions(
            session=session,
            actor=actor,
            client_id=client_id,
            page=PageRequest(size=CLIENT_PAGE_SESSIONS),
        )
        ctx["sessions"] = ctx["sessions_page"].items
        ctx["events"] = svc.list_adverse_events(session=session, actor=actor, client_id=client_id)
        photos = svc.page_photos(
            session=session, actor=actor, client_id=client_id, page=PageRequest(size=1)
        )
        ctx["photo"] = photos.items[0] if photos.items else None
        ctx["photo_count"] = photos.total
        consents = svc.list_consents(session=session, actor=actor, client_id=client_id)
        ctx["consent_status"] = {
            kind: next((c for c in consents if c.kind == kind and c.active), None)
            for kind in CONSENT_KINDS
        }
    if client.birth_date:
        today = date.today()
        b = client.birth_date
        ctx["age"] = today.year - b.year - ((today.month, today.day) < (b.month, b.day))
    return render(request, "clients/page.html", ctx)


@router.get("/clients/{client_id}/appointments", name="client_appointments")
def client_appointments(
    request: Request, session: SessionDep, actor: ActorDep, client_id: RecordId, page: PageDep
) -> Response:
    """All of a client's coming visits, soonest first, a page at a time (every role)."""
    client = svc.get_client(session=session, actor=actor, client_id=client_id)
    result = svc.page_client_appointments(
        session=session, actor=actor, client_id=client_id, page=page
    )
    return render(
        request,
        "clients/appointments.html",
        {
            "client": client,
            "page": result,
            "clinical": allowed(actor, Action.CHART_SESSIONS),
            "clinic_today": datetime.now(svc.get_clinic_settings(session=session).zone).date(),
        },
    )


@router.get("/clients/{client_id}/timeline", name="client_timeline")
def client_timeline_page(
    request: Request, session: SessionDep, actor: ClinicalActor, client_id: RecordId, page: PageDep
) -> Response:
    """Show a client's whole timeline, newest first, a page at a time."""
    client = svc.get_client(session=session, actor=actor, client_id=client_id)
    result = svc.page_timeline(session=session, actor=actor, client_id=client_id, page=page)
    return render(request, "clients/timeline.html", {"client": client, "page": result})


@router.get("/clients/{client_id}/sessions", name="client_sessions")
def client_sessions(
    request: Request, session: SessionDep, actor: ClinicalActor, client_id: RecordId, page: PageDep
) -> Response:
    """All of a client's sessions, newest first, a page at a time."""
    client = svc.get_client(session=session, actor=actor, client_id=client_id)
    result = svc.page_sessions(session=session, actor=actor, client_id=client_id, page=page)
    return render(request, "sessions/list.html", {"client": client, "page": result})


@router.get("/clients/{client_id}/edit", name="client_edit")
def client_edit(
    request: Request, session: SessionDep, actor: ActorDep, client_id: RecordId
) -> Response:
    """Client form filled with the current details."""
    client = svc.get_client(session=session, actor=actor, client_id=client_id)
    values = {f: getattr(client, f) for f in CLIENT_FIELDS}
    return render(request, "clients/form.html", {"values": values, "errors": {}, "client": client})


@router.post("/clients/{client_id}/edit", name="client_update")
def client_update(
    request: Request, form: FormDep, session: SessionDep, actor: ActorDep, client_id: RecordId
) -> Response:
    """Save identity and contact changes."""
    client = svc.get_client(session=session, actor=actor, client_id=client_id)
    values = _form_values(form)
    try:
        data = ClientUpdate(**values)
    except ValidationError as exc:
        return _invalid_form(request, values=values, exc=exc, client=client)
    svc.update_client(session=session, actor=actor, client_id=client_id, data=data)
    flash(request, "Client details saved.", "success")
    _warn_duplicates(request, session=session, actor=actor, client_id=client_id)
    return RedirectResponse(f"/clients/{client_id}", status_code=303)


@router.post("/clients/{client_id}/delete", name="client_delete")
def client_delete(
    request: Request,
    session: SessionDep,
    actor: ActorDep,
    client_id: RecordId,
    retention_note: Annotated[str, Form(min_length=3, max_length=2000)],
) -> Response:
    """Soft delete (records are kept for the retention period; admins can undo)."""
    svc.soft_delete_client(
        session=session, actor=actor, client_id=client_id, retention_note=retention_note
    )
    flash(
        request, "Client archived. The records are kept; an administrator can restore them.", "info"
    )
    return RedirectResponse("/clients", status_code=303)


@router.post("/clients/{client_id}/restore", name="client_restore")
def client_restore(
    request: Request, session: SessionDep, actor: AdminActor, client_id: RecordId
) -> Response:
    """Bring an archived client back into daily use (admin)."""
    client = svc.undelete_client(session=session, actor=actor, client_id=client_id)
    flash(request, f"{client.name} restored; the records are back in daily use.", "success")
    return RedirectResponse(f"/clients/{client_id}", status_code=303)


# --- JSON API (same session, roles and CSRF as the pages) ---------------------

api = api_router()


@api.get("/clients", response_model=list[ClientSummaryDTO], responses=API_ERRORS)
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


@api.post("/clients", response_model=ClientSavedDTO, status_code=201, responses=API_ERRORS)
def create_client(session: SessionDep, actor: ActorDep, data: ClientCreate) -> Any:
    """Create a client; ``warnings`` names any likely duplicate (saved anyway, never refused)."""
    client = svc.create_client(session=session, actor=actor, data=data)
    return svc.saved_client(session=session, actor=actor, client=client)


@api.get("/clients/{client_id}", response_model=ClientDTO, responses=API_ERRORS)
def get_client(session: SessionDep, actor: ActorDep, client_id: RecordId) -> Any:
    """One client's identity and contact details."""
    return svc.get_client(session=session, actor=actor, client_id=client_id)


@api.patch("/clients/{client_id}", response_model=ClientSavedDTO, responses=API_ERRORS)
def update_client(
    session: SessionDep, actor: ActorDep, client_id: RecordId, data: ClientUpdate
) -> Any:
    """Change identity or contact details; ``warnings`` names any likely duplicate (not refused)."""
    client = svc.update_client(session=session, actor=actor, client_id=client_id, data=data)
    return svc.saved_client(session=session, actor=actor, client=client)


@api.get(
    "/clients/{client_id}/timeline", response_model=list[TimelineEntryDTO], responses=API_ERRORS
)
def timeline(session: SessionDep, actor: ClinicalActor, client_id: RecordId) -> Any:
    """List the client's timeline, newest first."""
    return svc.client_timeline(session=session, actor=actor, client_id=client_id)
