"""The calendar: day and week views, booking, moving, attendance; its JSON API.

Every role books and moves (reception runs the calendar); only clinical roles
chart the visit. Pages ask for one day or one week, never an open range.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import RedirectResponse, Response

from acuface.clinic import services as svc
from acuface.clinic.access import Action, allowed
from acuface.clinic.schemas import (
    APPOINTMENT_STATUSES,
    AppointmentCreate,
    AppointmentDTO,
    AppointmentUpdate,
    UserDTO,
)
from acuface.clinic.services.calendar_feed import TOKEN_PATTERN
from acuface.errors import BookingRefused, InvalidAnswers
from acuface.web.calendar_grid import build_grid
from acuface.web.deps import (
    API_ERRORS,
    ActorDep,
    CurrentUser,
    FormDep,
    RecordId,
    SessionDep,
    api_router,
    client_ip,
    public,
)
from acuface.web.templating import flash, render

router = APIRouter(include_in_schema=False)

#: Clients offered when booking from an empty slot (the search narrows them).
CLIENT_CHOICES = 20


def practitioners(session: Any, actor: Any) -> list[UserDTO]:
    """Active users who treat clients, in name order (the calendar's columns)."""
    return sorted(
        (
            u
            for u in svc.list_users(session=session, actor=actor, include_inactive=False)
            if allowed(u, Action.TREAT_CLIENTS)
        ),
        key=lambda u: u.display_name,
    )


def _parse_start(value: str) -> datetime:
    try:
        return datetime.fromisoformat(value.strip())
    except ValueError:
        raise InvalidAnswers(f"{value!r} is not a date and time (YYYY-MM-DDTHH:MM).") from None


def _form_start(form: Any) -> datetime:
    day, at = str(form.get("day") or "").strip(), str(form.get("time") or "").strip()
    if not day or not at:
        raise InvalidAnswers("Give the day and the time of the appointment.")
    return _parse_start(f"{day}T{at}")


def local_path(value: Any, default: str) -> str:
    """Return *value* when it is a path on this site (``/clients/3``), else *default*.

    Where a form goes back to after it is saved; never another site (``//evil``).
    """
    text = str(value or "").strip()
    return text if text.startswith("/") and not text.startswith("//") else default


def _opt_int(value: Any) -> int | None:
    text = str(value or "").strip()
    if not text:
        return None
    try:
        return int(text)
    except ValueError:
        raise InvalidAnswers(f"{text!r} is not a whole number.") from None


@router.get("/calendar", name="calendar")
def calendar(
    request: Request,
    session: SessionDep,
    actor: ActorDep,
    user: CurrentUser,
    day: date | None = None,
    view: Annotated[str, Query(pattern="^(day|week)$")] = "day",
    practitioner: Annotated[str, Query(max_length=12)] = "",
) -> Response:
    """Show one day or one week; one practitioner or all side by side."""
    cs = svc.get_clinic_settings(session=session)
    day = day or datetime.now(cs.zone).date()
    everyone = practitioners(session, actor)
    if not practitioner:
        practitioner = str(user.id) if any(p.id == user.id for p in everyone) else "all"
    shown = (
        everyone if practitioner == "all" else [p for p in everyone if str(p.id) == practitioner]
    )
    first = day - timedelta(days=day.weekday()) if view == "week" else day
    days = [first + timedelta(days=i) for i in range(7 if view == "week" else 1)]
    appointments = svc.list_appointments(
        session=session,
        actor=actor,
        start=days[0],
        end=days[-1],
        practitioner_id=shown[0].id if len(shown) == 1 else None,
    )
    step = timedelta(days=7 if view == "week" else 1)
    return render(
        request,
        "calendar/index.html",
        {
            "grid": build_grid(days=days, practitioners=shown, appointments=appointments, cs=cs),
            "cs": cs,
            "view": view,
            "day": day,
            "prev_day": day - step,
            "next_day": day + step,
            "today": datetime.now(cs.zone).date(),
            "practitioner": practitioner,
            "everyone": everyone,
            "count": sum(1 for a in appointments if a.status in ("booked", "arrived", "completed")),
        },
    )


@router.get("/calendar/new", name="calendar_new")
def calendar_new(
    request: Request,
    session: SessionDep,
    actor: ActorDep,
    start: Annotated[str, Query(max_length=40)] = "",
    practitioner_id: Annotated[int | None, Query(ge=1, le=2_147_483_647)] = None,
    client_id: Annotated[int | None, Query(ge=1, le=2_147_483_647)] = None,
    q: Annotated[str, Query(max_length=100)] = "",
) -> Response:
    """Show the booking form, prefilled from the slot that was clicked."""
    cs = svc.get_clinic_settings(session=session)
    when = (
        _parse_start(start)
        if start
        else datetime.now(cs.zone).replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)
    )
    chosen = (
        svc.get_client(session=session, actor=actor, client_id=client_id) if client_id else None
    )
    matches = (
        svc.list_clients(session=session, actor=actor, search=q.strip(), limit=CLIENT_CHOICES)
        if q.strip() or chosen is None
        else []
    )
    return render(
        request,
        "calendar/new.html",
        {
            "cs": cs,
            "when": when,
            "practitioner_id": practitioner_id,
            "everyone": practitioners(session, actor),
            "chosen": chosen,
            "matches": matches,
            "q": q,
            "start": start,
        },
    )


@router.post("/calendar/appointments", name="calendar_book")
def calendar_book(
    request: Request, form: FormDep, session: SessionDep, actor: ActorDep
) -> Response:
    """Book from the form; a refusal (closed, clash) shows the form again with the reason.

    The calendar's booking form and the client page's "Book" form both post here;
    ``back`` (the client page) is where a booking made there returns.
    """
    back = local_path(form.get("back"), "")
    client_id = _opt_int(form.get("client_id"))
    practitioner_id = _opt_int(form.get("practitioner_id"))
    if client_id is None or practitioner_id is None:
        raise InvalidAnswers("Choose the client and the practitioner.")
    data = AppointmentCreate(
        client_id=client_id,
        practitioner_id=practitioner_id,
        start=_form_start(form),
        kind=str(form.get("kind") or "treatment"),
        duration_min=_opt_int(form.get("duration_min")),
        room=str(form.get("room") or "") or None,
        note=str(form.get("note") or "").strip() or None,
    )
    try:
        a = svc.book_appointment(session=session, actor=actor, data=data)
    except BookingRefused as exc:
        cs = svc.get_clinic_settings(session=session)
        return render(
            request,
            "calendar/new.html",
            {
                "cs": cs,
                "when": data.start,
                "practitioner_id": practitioner_id,
                "everyone": practitioners(session, actor),
                "chosen": svc.get_client(session=session, actor=actor, client_id=client_id),
                "matches": [],
                "q": "",
                "start": data.start.isoformat(),
                "kind": data.kind,
                "duration_min": data.duration_min,
                "room": data.room,
                "note": data.note,
                "back": back,
                "error": exc.message,
            },
            status_code=409,
        )
    flash(
        request,
        f"Booked: {a.kind_label} with {a.client_name}, {a.start:%a %d %b %H:%M}, {a.practitioner}.",
        "success",
    )
    if back:
        return RedirectResponse(back, status_code=303)
    return RedirectResponse(
        f"/calendar?day={a.start.date().isoformat()}&practitioner={a.practitioner_id}",
        status_code=303,
    )


@router.get("/appointments/{appointment_id}", name="appointment_page")
def appointment_page(
    request: Request, session: SessionDep, actor: ActorDep, appointment_id: RecordId
) -> Response:
    """Show one appointment: move it, change it, mark arrival, cancel, chart."""
    a = svc.get_appointment(session=session, actor=actor, appointment_id=appointment_id)
    return render(
        request,
        "calendar/appointment.html",
        {
            "a": a,
            "cs": svc.get_clinic_settings(session=session),
            "everyone": practitioners(session, actor),
            "clinical": allowed(actor, Action.CHART_SESSIONS),
        },
    )


@router.post("/appointments/{appointment_id}", name="appointment_update")
def appointment_update(
    request: Request, form: FormDep, session: SessionDep, actor: ActorDep, appointment_id: RecordId
) -> Response:
    """Save the edit form (a move is checked like a new booking)."""
    data = AppointmentUpdate(
        start=_form_start(form),
        duration_min=_opt_int(form.get("duration_min")),
        practitioner_id=_opt_int(form.get("practitioner_id")),
        room=str(form.get("room") or ""),
        kind=str(form.get("kind") or "") or None,
        note=str(form.get("note") or ""),
    )
    a = svc.update_appointment(
        session=session, actor=actor, appointment_id=appointment_id, data=data
    )
    flash(request, f"Moved to {a.start:%a %d %b %H:%M} with {a.practitioner}.", "success")
    return RedirectResponse(
        f"/calendar?day={a.start.date().isoformat()}&practitioner={a.practitioner_id}",
        status_code=303,
    )


@router.post("/appointments/{appointment_id}/status", name="appointment_status")
def appointment_status(
    request: Request, form: FormDep, session: SessionDep, actor: ActorDep, appointment_id: RecordId
) -> Response:
    """Cancel, mark arrival, no-show or completion (buttons on the calendar and the page)."""
    status = str(form.get("status") or "")
    if status not in APPOINTMENT_STATUSES:
        raise InvalidAnswers(f"Unknown status {status!r}.")
    a = svc.set_appointment_status(
        session=session,
        actor=actor,
        appointment_id=appointment_id,
        status=status,
    )
    flash(request, f"{a.client_name}, {a.start:%H:%M}: {a.status.replace('_', ' ')}.", "success")
    return RedirectResponse(local_path(form.get("back"), "/calendar"), status_code=303)


@router.post("/appointments/{appointment_id}/chart", name="appointment_chart")
def appointment_chart(session: SessionDep, actor: ActorDep, appointment_id: RecordId) -> Response:
    """Open the visit's treatment note (made on the first click, the same one after)."""
    note = svc.chart_appointment(session=session, actor=actor, appointment_id=appointment_id)
    return RedirectResponse(f"/sessions/{note.id}", status_code=303)


def _course_context(
    session: Any,
    actor: Any,
    plan_id: int,
    *,
    practitioner_id: int | None,
    first: datetime | None,
    kind: str,
    room: str | None,
    starts: list[datetime] | None = None,
) -> dict[str, Any]:
    cs = svc.get_clinic_settings(session=session)
    slots = (
        svc.propose_course(
            session=session,
            actor=actor,
            plan_id=plan_id,
            practitioner_id=practitioner_id,
            first_start=first,
            kind=kind,
            room=room,
            starts=starts,
        )
        if practitioner_id is not None and first is not None
        else []
    )
    return {
        "cs": cs,
        "plan_id": plan_id,
        "everyone": practitioners(session, actor),
        "practitioner_id": practitioner_id,
        "first": first,
        "kind": kind,
        "room": room,
        "slots": slots,
    }


@router.get("/plans/{plan_id}/book-course", name="course_form")
def course_form(
    request: Request,
    session: SessionDep,
    actor: ActorDep,
    user: CurrentUser,
    plan_id: RecordId,
    practitioner_id: Annotated[int | None, Query(ge=1, le=2_147_483_647)] = None,
    day: date | None = None,
    at: Annotated[str, Query(max_length=5)] = "",
    kind: Annotated[str, Query(max_length=30)] = "treatment",
    room: Annotated[str, Query(max_length=50)] = "",
) -> Response:
    """Propose the plan's course as appointments (each session's day and any clash)."""
    first = _parse_start(f"{day.isoformat()}T{at}") if day and at else None
    if practitioner_id is None and allowed(user, Action.TREAT_CLIENTS):
        practitioner_id = user.id
    ctx = _course_context(
        session,
        actor,
        plan_id,
        practitioner_id=practitioner_id,
        first=first,
        kind=kind,
        room=room or None,
    )
    return render(request, "calendar/course.html", ctx)


@router.post("/plans/{plan_id}/book-course", name="course_book")
def course_book(
    request: Request, form: FormDep, session: SessionDep, actor: ActorDep, plan_id: RecordId
) -> Response:
    """Check the edited times again, or book the whole course (all or nothing)."""
    days, times = form.getlist("start_day"), form.getlist("start_time")
    if not days or len(days) != len(times):
        raise InvalidAnswers("The course's times are incomplete; reload the page.")
    starts = [_parse_start(f"{d}T{t}") for d, t in zip(days, times, strict=True)]
    practitioner_id = _opt_int(form.get("practitioner_id"))
    kind = str(form.get("kind") or "treatment")
    room = str(form.get("room") or "") or None
    if practitioner_id is None:
        raise InvalidAnswers("Choose the practitioner.")
    ctx = _course_context(
        session,
        actor,
        plan_id,
        practitioner_id=practitioner_id,
        first=starts[0],
        kind=kind,
        room=room,
        starts=starts,
    )
    if form.get("intent") != "book":
        return render(request, "calendar/course.html", ctx)
    try:
        booked = svc.book_course(
            session=session,
            actor=actor,
            plan_id=plan_id,
            practitioner_id=practitioner_id,
            starts=starts,
            kind=kind,
            room=room,
        )
    except BookingRefused as exc:
        session.rollback()
        return render(
            request, "calendar/course.html", {**ctx, "error": exc.message}, status_code=409
        )
    flash(
        request,
        f"Course booked: {len(booked)} appointments from {booked[0].start:%a %d %b %H:%M}.",
        "success",
    )
    return RedirectResponse(
        f"/calendar?view=week&day={booked[0].start.date().isoformat()}"
        f"&practitioner={practitioner_id}",
        status_code=303,
    )


@router.get("/calendar/feed/{token}.ics", name="calendar_feed")
@public
def calendar_feed(
    request: Request,
    session: SessionDep,
    token: Annotated[str, Path(pattern=TOKEN_PATTERN)],
) -> Response:
    """Serve a practitioner's private iCalendar feed (the token is the key; audited)."""
    body = svc.calendar_feed(session=session, token=token, source=client_ip(request))
    return Response(
        body,
        media_type="text/calendar; charset=utf-8",
        headers={"Cache-Control": "private, no-store", "X-Robots-Tag": "noindex"},
    )


@router.get("/me", name="me_page")
def me_page(request: Request, session: SessionDep, actor: ActorDep, user: CurrentUser) -> Response:
    """Show the signed-in user's page: their calendar feed URL (practitioners)."""
    url = None
    if allowed(user, Action.SUBSCRIBE_CALENDAR):
        token = svc.calendar_feed_token(session=session, actor=actor)
        url = str(request.url_for("calendar_feed", token=token))
    return render(request, "me.html", {"calendar_url": url})


@router.post("/me/calendar-feed", name="me_calendar_feed")
def me_calendar_feed(request: Request, session: SessionDep, actor: ActorDep) -> Response:
    """Make a new feed URL; the old one stops working (a lost phone, a shared link)."""
    svc.calendar_feed_token(session=session, actor=actor, regenerate=True)
    flash(request, "New calendar link made; the old one no longer works.", "success")
    return RedirectResponse("/me", status_code=303)


# --- JSON API (same session, roles and CSRF as the pages) ---------------------

api = api_router()

_CLASH: dict[int | str, dict[str, Any]] = {
    409: {
        "description": "Refused: closed, outside the opening hours, or a clash (the clashing "
        "appointment is in `clash`)"
    }
}


@api.post(
    "/appointments",
    response_model=AppointmentDTO,
    status_code=201,
    responses={**API_ERRORS, **_CLASH},
)
def book(session: SessionDep, actor: ActorDep, data: AppointmentCreate) -> Any:
    """Book an appointment (``duration_min`` defaults to the kind's length)."""
    return svc.book_appointment(session=session, actor=actor, data=data)


@api.get("/appointments", response_model=list[AppointmentDTO], responses=API_ERRORS)
def list_range(
    session: SessionDep,
    actor: ActorDep,
    start: date,
    end: date,
    practitioner_id: Annotated[int | None, Query(ge=1, le=2_147_483_647)] = None,
    client_id: Annotated[int | None, Query(ge=1, le=2_147_483_647)] = None,
) -> Any:
    """List appointments from *start* to *end* (dates, both included; at most 62 days)."""
    return svc.list_appointments(
        session=session,
        actor=actor,
        start=start,
        end=end,
        practitioner_id=practitioner_id,
        client_id=client_id,
    )


@api.get("/appointments/{appointment_id}", response_model=AppointmentDTO, responses=API_ERRORS)
def get_one(session: SessionDep, actor: ActorDep, appointment_id: RecordId) -> Any:
    """Return one appointment."""
    return svc.get_appointment(session=session, actor=actor, appointment_id=appointment_id)


@api.patch(
    "/appointments/{appointment_id}",
    response_model=AppointmentDTO,
    responses={**API_ERRORS, **_CLASH},
)
def patch(
    session: SessionDep, actor: ActorDep, appointment_id: RecordId, data: AppointmentUpdate
) -> Any:
    """Move an appointment (start, length, practitioner, room) or set its status."""
    return svc.update_appointment(
        session=session, actor=actor, appointment_id=appointment_id, data=data
    )
