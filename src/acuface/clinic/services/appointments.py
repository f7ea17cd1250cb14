"""Appointments: book, move, cancel, mark arrival or no-show; a plan's course in one step.

Rules every booking and move follows (the clinic settings decide them):

- inside the opening hours of that weekday and not on a closed day
  (:class:`~acuface.errors.ClinicClosed`);
- never two holding appointments (booked, arrived, completed) of one practitioner,
  or in one room, at the same time (:class:`~acuface.errors.AppointmentClash`, which
  names and carries the appointment in the way).

The check and the write are one step under a clinic-wide booking lock (a
transaction-scoped advisory lock on PostgreSQL; SQLite's single writer lock,
taken before the check), so two receptionists booking the same slot at once get
one appointment and one clear refusal, never two appointments.

Times: the database keeps UTC; a start without a time zone is a wall-clock time
in the clinic's zone, and appointments come back in that zone.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from sqlalchemy import or_, select, text, update
from sqlalchemy.orm import Session

from acuface.atlas.knowledge import load_knowledge
from acuface.clinic import models as m
from acuface.clinic.access import Action, allowed, authorize
from acuface.clinic.paging import Page, PageRequest, paginate
from acuface.clinic.schemas import (
    HOLDING_STATUSES,
    MAX_RANGE_DAYS,
    Actor,
    AppointmentCreate,
    AppointmentDTO,
    AppointmentStatus,
    AppointmentUpdate,
    ClinicSettingsDTO,
    CourseSlot,
    PracticeDayDTO,
    SessionCreate,
    SessionDTO,
)
from acuface.clinic.services._common import audit, author, check_link, get_or_404, live_client
from acuface.clinic.services.sessions import create_session, get_session, list_schedule
from acuface.clinic.services.settings import get_clinic_settings
from acuface.errors import AppointmentClash, BookingRefused, ClinicClosed, InvalidRecord
from acuface.planner.models import PlanOptions
from acuface.planner.snapshot import PlanSnapshot
from acuface.planner.steps import schedule

#: Key of the PostgreSQL advisory lock that serialises bookings ("ACUF").
_BOOKING_LOCK_KEY = 0x41435546

#: Status changes a user may make (to -> from which statuses).
_TRANSITIONS: dict[str, frozenset[str]] = {
    "booked": frozenset({"arrived", "cancelled", "no_show"}),
    "arrived": frozenset({"booked"}),
    "completed": frozenset({"booked", "arrived"}),
    "cancelled": frozenset({"booked", "arrived"}),
    "no_show": frozenset({"booked"}),
}


def initials(given: str, family: str) -> str:
    """Return a client's initials ("M. L."), as the practitioners' phone calendars show them."""
    return " ".join(f"{part.strip()[0].upper()}." for part in (given, family) if part.strip())


def _to_dto(row: m.Appointment, cs: ClinicSettingsDTO) -> AppointmentDTO:
    zone = cs.zone
    return AppointmentDTO(
        id=row.id,
        client_id=row.client_id,
        client_name=f"{row.client.given_name} {row.client.family_name}",
        client_initials=initials(row.client.given_name, row.client.family_name),
        practitioner_id=row.practitioner_id,
        practitioner=row.practitioner.display_name,
        room=row.room,
        start=row.start_at.astimezone(zone),
        end=row.end_at.astimezone(zone),
        duration_min=row.duration_min,
        kind=row.kind,
        kind_label=cs.kind_label(row.kind),
        status=row.status,
        note=row.note,
        session_id=row.session_id,
        plan_id=row.plan_id,
        created_at=row.created_at,
        created_by=row.created_by,
        updated_at=row.updated_at,
    )


def local_start(start: datetime, cs: ClinicSettingsDTO) -> datetime:
    """Return *start* as an aware time in the clinic's zone (naive = clinic wall clock)."""
    if start.tzinfo is None:
        return start.replace(tzinfo=cs.zone)
    return start.astimezone(cs.zone)


def _practitioner(session: Session, user_id: int) -> m.User:
    user = session.get(m.User, user_id)
    if user is None or not user.is_active or not allowed(user.role, Action.TREAT_CLIENTS):
        raise InvalidRecord(f"User {user_id} is not an active practitioner.")
    return user


def _lock_bookings(session: Session, practitioner_id: int) -> None:
    """Take the clinic-wide booking lock until the transaction ends.

    PostgreSQL: an advisory lock (waits for another booking to commit; the check that
    follows then sees it). SQLite: a no-op write takes the database's one writer
    lock now, before the check, rather than at the insert after it.
    """
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _BOOKING_LOCK_KEY})
    else:
        session.execute(update(m.User).where(m.User.id == practitioner_id).values(id=m.User.id))


def check_opening(start: datetime, end: datetime, cs: ClinicSettingsDTO) -> None:
    """Refuse a visit on a closed day, or one not entirely inside one opening interval.

    A visit that runs into the lunch gap (or starts before opening, or ends after
    closing) is refused with the stretch in which the clinic is closed.

    Raises
    ------
    ClinicClosed
        Naming the day, the closed stretch and the day's hours.
    """
    day = start.date()
    reason = cs.closed_reason(day)
    if reason is not None:
        why = f" ({reason})" if reason and not reason.startswith("closed on") else ""
        what = reason if reason.startswith("closed on") else f"closed on {day:%a %d %b %Y}"
        raise ClinicClosed(f"The clinic is {what}{why}; choose another day.")
    hours = cs.hours_on(day)
    if end.date() == day and hours.interval_holding(start.time(), end.time()) is not None:
        return
    visit = f"{start:%a %d %b} {start:%H:%M}-{end:%H:%M}"
    last = time.max if end.date() != day else end.time()
    for shut_from, shut_to in hours.gaps():
        if start.time() < shut_to and shut_from < last:
            raise ClinicClosed(
                f"{visit}: the clinic is closed {shut_from:%H:%M}-{shut_to:%H:%M} "
                f"(open {hours.label} on {start:%A}s); choose another time."
            )
    raise ClinicClosed(
        f"{visit} is outside the opening hours ({hours.label} on {start:%A}s); choose another time."
    )


def check_free(
    session: Session,
    cs: ClinicSettingsDTO,
    *,
    start: datetime,
    end: datetime,
    practitioner: m.User,
    room: str | None,
    ignore_id: int | None = None,
) -> None:
    """Refuse a slot in which the practitioner, or the room, already has a holding visit.

    The one clash check: booking, moving and proposing a course all call it.
    Holding visits are booked, arrived or completed (a cancelled visit or a no-show
    frees its slot); two visits clash when each starts before the other ends.

    Parameters
    ----------
    start, end : datetime
        The slot (aware).
    practitioner : User
        Who would see the client.
    room : str or None
        The room, if one is booked.
    ignore_id : int or None
        The appointment being moved (it does not clash with itself).

    Raises
    ------
    AppointmentClash
        Naming the appointment in the way; it is carried in ``clash``.
    """
    who = m.Appointment.practitioner_id == practitioner.id
    query = select(m.Appointment).where(
        m.Appointment.start_at < end,
        m.Appointment.end_at > start,
        m.Appointment.status.in_(HOLDING_STATUSES),
        or_(who, m.Appointment.room == room) if room else who,
    )
    if ignore_id is not None:
        query = query.where(m.Appointment.id != ignore_id)
    other = session.scalars(query.order_by(m.Appointment.start_at).limit(1)).first()
    if other is None:
        return
    dto = _to_dto(other, cs)
    where = (
        f"{practitioner.display_name} is"
        if other.practitioner_id == practitioner.id
        else f"{room} is"
    )
    raise AppointmentClash(
        f"{where} already booked {dto.start:%a %d %b %H:%M}-{dto.end:%H:%M}: {dto.kind_label} "
        f"with {dto.client_name} ({dto.practitioner}{', ' + dto.room if dto.room else ''}). "
        "Choose another time, practitioner or room.",
        clash=dto.model_dump(mode="json"),
    )


def _check_room(room: str | None, cs: ClinicSettingsDTO) -> str | None:
    room = (room or "").strip() or None
    if room is not None and room not in cs.rooms:
        rooms = ", ".join(cs.rooms) or "none are set up"
        raise InvalidRecord(f"There is no room {room!r} (rooms: {rooms}).")
    return room


def _duration(kind: str, duration_min: int | None, cs: ClinicSettingsDTO) -> int:
    found = cs.kind(kind)
    if found is None:
        kinds = ", ".join(k.id for k in cs.appointment_kinds)
        raise InvalidRecord(f"Unknown appointment kind {kind!r}; use one of {kinds}.")
    return duration_min or found.duration_min


def _place(
    session: Session,
    cs: ClinicSettingsDTO,
    *,
    start: datetime,
    duration_min: int,
    practitioner: m.User,
    room: str | None,
    ignore_id: int | None = None,
) -> tuple[datetime, datetime]:
    """Check a slot (hours, closed days, clashes) under the booking lock; return UTC start/end."""
    local = local_start(start, cs)
    end = local + timedelta(minutes=duration_min)
    check_opening(local, end, cs)
    _lock_bookings(session, practitioner.id)
    check_free(
        session,
        cs,
        start=local,
        end=end,
        practitioner=practitioner,
        room=room,
        ignore_id=ignore_id,
    )
    return local, end


def book_appointment(*, session: Session, actor: Actor, data: AppointmentCreate) -> AppointmentDTO:
    """Book a visit (any role); refused when closed, outside hours or clashing.

    Raises
    ------
    ClinicClosed, AppointmentClash
        409: the message says what is in the way; a clash carries the appointment.
    InvalidRecord
        Unknown kind or room, or the user is not an active practitioner.
    """
    authorize(actor, Action.BOOK_APPOINTMENTS)
    cs = get_clinic_settings(session=session)
    live_client(session, data.client_id)
    check_link(
        session, model=m.Plan, record_id=data.plan_id, client_id=data.client_id, label="plan"
    )
    practitioner = _practitioner(session, data.practitioner_id)
    duration = _duration(data.kind, data.duration_min, cs)
    room = _check_room(data.room, cs)
    start, end = _place(
        session, cs, start=data.start, duration_min=duration, practitioner=practitioner, room=room
    )
    row = m.Appointment(
        client_id=data.client_id,
        practitioner_id=practitioner.id,
        room=room,
        start_at=start,
        end_at=end,
        duration_min=duration,
        kind=data.kind,
        status="booked",
        note=data.note,
        plan_id=data.plan_id,
        created_by=author(actor),
    )
    session.add(row)
    session.flush()
    audit(
        session,
        actor,
        "appointment.create",
        "appointment",
        row.id,
        client_id=row.client_id,
        detail={"start": start.isoformat(), "kind": row.kind, "practitioner": practitioner.id},
    )
    return _to_dto(row, cs)


def _row(session: Session, appointment_id: int) -> m.Appointment:
    row = get_or_404(session, m.Appointment, appointment_id, "appointment")
    live_client(session, row.client_id)
    return row


def get_appointment(*, session: Session, actor: Actor, appointment_id: int) -> AppointmentDTO:
    """Return one appointment (any role; no clinical content)."""
    authorize(actor, Action.READ_SCHEDULE)
    row = _row(session, appointment_id)
    audit(session, actor, "appointment.read", "appointment", row.id, client_id=row.client_id)
    return _to_dto(row, get_clinic_settings(session=session))


def update_appointment(
    *, session: Session, actor: Actor, appointment_id: int, data: AppointmentUpdate
) -> AppointmentDTO:
    """Move an appointment, change its kind, room or note, or set its status.

    Marking arrival or a no-show needs :attr:`Action.MARK_ATTENDANCE`; everything
    else :attr:`Action.BOOK_APPOINTMENTS`. A move, and bringing a cancelled visit
    back, is checked like a new booking.

    Raises
    ------
    ClinicClosed, AppointmentClash
        The new slot is not free (409).
    BookingRefused
        A status change that makes no sense (a no-show of a visit already completed).
    """
    changes = data.model_dump(exclude_unset=True)
    attendance = set(changes) <= {"status"} and changes.get("status") in ("arrived", "no_show")
    authorize(actor, Action.MARK_ATTENDANCE if attendance else Action.BOOK_APPOINTMENTS)
    cs = get_clinic_settings(session=session)
    row = _row(session, appointment_id)
    before = {"start": row.start_at.isoformat(), "status": row.status}
    status: AppointmentStatus | None = changes.get("status")
    if status is not None and status != row.status:
        if row.status not in _TRANSITIONS[status]:
            raise BookingRefused(
                f"Appointment {row.id} is {row.status.replace('_', ' ')}; it cannot become "
                f"{status.replace('_', ' ')}."
            )
    moves = {"start", "duration_min", "practitioner_id", "room", "kind"} & set(changes)
    practitioner = (
        _practitioner(session, changes["practitioner_id"])
        if changes.get("practitioner_id")
        else row.practitioner
    )
    new_status = status or row.status
    if moves and row.status not in ("booked", "arrived") and new_status != "booked":
        raise BookingRefused(
            f"Appointment {row.id} is {row.status.replace('_', ' ')}; book a new one instead."
        )
    if moves or (new_status == "booked" and row.status in ("cancelled", "no_show")):
        kind = changes.get("kind") or row.kind
        duration = changes.get("duration_min") or (
            _duration(kind, None, cs) if "kind" in changes else row.duration_min
        )
        _duration(kind, duration, cs)
        room = _check_room(changes["room"], cs) if "room" in changes else row.room
        start, end = _place(
            session,
            cs,
            start=changes.get("start") or row.start_at,
            duration_min=duration,
            practitioner=practitioner,
            room=room,
            ignore_id=row.id,
        )
        row.start_at, row.end_at, row.duration_min = start, end, duration
        row.kind, row.room, row.practitioner_id = kind, room, practitioner.id
        row.practitioner = practitioner
    if "note" in changes:
        row.note = (changes["note"] or "").strip() or None
    row.status = new_status
    row.updated_at = m.utcnow()
    session.flush()
    action = {
        "cancelled": "appointment.cancel",
        "arrived": "appointment.arrive",
        "no_show": "appointment.no_show",
        "completed": "appointment.complete",
    }.get(new_status if status and status != before["status"] else "", "appointment.update")
    if moves and action == "appointment.update":
        action = "appointment.move"
    audit(
        session,
        actor,
        action,
        "appointment",
        row.id,
        client_id=row.client_id,
        detail={
            "fields": sorted(changes),
            "from": before,
            "to": {"start": row.start_at.isoformat(), "status": row.status},
        },
    )
    return _to_dto(row, cs)


def set_appointment_status(
    *, session: Session, actor: Actor, appointment_id: int, status: AppointmentStatus
) -> AppointmentDTO:
    """Cancel, mark arrival, no-show or completion (see :func:`update_appointment`)."""
    return update_appointment(
        session=session,
        actor=actor,
        appointment_id=appointment_id,
        data=AppointmentUpdate(status=status),
    )


def _range(start: date, end: date) -> tuple[date, date]:
    if end < start:
        raise InvalidRecord(f"The range ends ({end}) before it starts ({start}).")
    if (end - start).days > MAX_RANGE_DAYS:
        raise InvalidRecord(
            f"Ask for at most {MAX_RANGE_DAYS} days at a time ({start} to {end} is "
            f"{(end - start).days})."
        )
    return start, end


def list_appointments(
    *,
    session: Session,
    actor: Actor,
    start: date,
    end: date,
    practitioner_id: int | None = None,
    client_id: int | None = None,
    include_cancelled: bool = True,
) -> list[AppointmentDTO]:
    """Return the appointments from *start* to *end* (both included; clinic dates), by time.

    At most :data:`~acuface.clinic.schemas.MAX_RANGE_DAYS` days, so a page never
    loads thousands of rows. Any role (no clinical content).
    """
    authorize(actor, Action.READ_SCHEDULE)
    start, end = _range(start, end)
    cs = get_clinic_settings(session=session)
    lo = datetime.combine(start, time(0), tzinfo=cs.zone)
    hi = datetime.combine(end + timedelta(days=1), time(0), tzinfo=cs.zone)
    query = (
        select(m.Appointment)
        .join(m.Client, m.Client.id == m.Appointment.client_id)
        .where(m.Appointment.start_at >= lo, m.Appointment.start_at < hi)
        .where(m.Client.deleted_at.is_(None))
        .order_by(m.Appointment.start_at, m.Appointment.id)
    )
    if practitioner_id is not None:
        query = query.where(m.Appointment.practitioner_id == practitioner_id)
    if client_id is not None:
        query = query.where(m.Appointment.client_id == client_id)
    if not include_cancelled:
        query = query.where(m.Appointment.status.in_(HOLDING_STATUSES + ("no_show",)))
    rows = session.scalars(query).unique().all()
    audit(
        session,
        actor,
        "appointment.list",
        "appointment",
        client_id=client_id,
        detail={"start": start.isoformat(), "end": end.isoformat(), "count": len(rows)},
    )
    return [_to_dto(r, cs) for r in rows]


def practice_day(
    *, session: Session, actor: Actor, day: date, viewer_id: int | None = None
) -> PracticeDayDTO:
    """Return the Today page's day: its bookings, and notes charted without one (any role).

    A booked visit whose note exists is listed once, as the booking ("Open note");
    a note with no booking (a walk-in) is listed after the bookings. *viewer_id*
    is whose visits ``mine_count`` counts.
    """
    appointments = list_appointments(session=session, actor=actor, start=day, end=day)
    linked = {a.session_id for a in appointments if a.session_id is not None}
    walk_ins = sorted(
        (
            e
            for e in list_schedule(session=session, actor=actor, day=day)
            if e.session_id not in linked
        ),
        key=lambda e: (e.start_time is None, e.start_time or time(0), e.client_name),
    )
    holding = [a for a in appointments if a.status in HOLDING_STATUSES]
    return PracticeDayDTO(
        day=day,
        appointments=appointments,
        walk_ins=walk_ins,
        booked_count=len(holding) + len(walk_ins),
        mine_count=sum(a.practitioner_id == viewer_id for a in holding)
        + sum(e.practitioner_id == viewer_id for e in walk_ins),
    )


def page_client_appointments(
    *,
    session: Session,
    actor: Actor,
    client_id: int,
    page: PageRequest | None = None,
    since: datetime | None = None,
) -> Page[AppointmentDTO]:
    """Return one page of a client's coming visits, soonest first (any role).

    Coming: holding (booked, arrived, completed) and starting from *since*, by
    default the start of today in the clinic's zone, so today's visit stays listed
    (with its note) after it began.
    """
    authorize(actor, Action.READ_SCHEDULE)
    live_client(session, client_id)
    cs = get_clinic_settings(session=session)
    if since is None:
        since = datetime.combine(datetime.now(cs.zone).date(), time(0), tzinfo=cs.zone)
    query = (
        select(m.Appointment)
        .where(
            m.Appointment.client_id == client_id,
            m.Appointment.start_at >= since,
            m.Appointment.status.in_(HOLDING_STATUSES),
        )
        .order_by(m.Appointment.start_at, m.Appointment.id)
    )
    result = paginate(session, query, page or PageRequest(), lambda row: _to_dto(row, cs))
    audit(
        session,
        actor,
        "appointment.list",
        "appointment",
        client_id=client_id,
        detail={"since": since.isoformat(), "count": len(result.items), "page": result.page},
    )
    return result


def chart_appointment(*, session: Session, actor: Actor, appointment_id: int) -> SessionDTO:
    """Open the treatment note of a visit: the linked one, or a new draft linked to it.

    Clicking "Chart a session" twice opens the same note: the appointment row is
    locked while the note is made, and the link is unique.
    """
    authorize(actor, Action.CHART_SESSIONS)
    row = _row(session, appointment_id)
    session.execute(update(m.Appointment).where(m.Appointment.id == row.id).values(id=row.id))
    session.refresh(row)
    if row.session_id is not None:
        return get_session(session=session, actor=actor, session_id=row.session_id)
    if row.status in ("cancelled", "no_show"):
        raise BookingRefused(
            f"Appointment {row.id} is {row.status.replace('_', ' ')}; there is no visit to chart."
        )
    cs = get_clinic_settings(session=session)
    local = row.start_at.astimezone(cs.zone)
    plan_id = row.plan_id or session.scalar(
        select(m.Plan.id)
        .where(m.Plan.client_id == row.client_id)
        .order_by(m.Plan.created_at.desc(), m.Plan.id.desc())
        .limit(1)
    )
    note = create_session(
        session=session,
        actor=actor,
        client_id=row.client_id,
        data=SessionCreate(
            session_date=local.date(),
            start_time=local.time().replace(tzinfo=None),
            practitioner_id=row.practitioner_id,
            plan_id=plan_id,
        ),
    )
    row.session_id = note.id
    if row.status == "booked":
        row.status = "arrived"
    row.updated_at = m.utcnow()
    session.flush()
    audit(
        session,
        actor,
        "appointment.chart",
        "appointment",
        row.id,
        client_id=row.client_id,
        detail={"session": note.id},
    )
    return note


# --- a plan's course as appointments -------------------------------------------------


@dataclass(frozen=True)
class _Proposal:
    n: int
    phase: str
    day: date


def _course_days(plan: PlanSnapshot, first: date) -> list[_Proposal]:
    """Return the course's session days counted from *first* (the plan's spacing).

    A plan made with a course start keeps its own spacing (the days between its
    dates); one made without uses the planner's default schedule for the same
    numbers of initial and maintenance sessions.
    """
    sessions = plan.course.sessions
    if sessions and all(s.date is not None for s in sessions):
        origin = sessions[0].date
        assert origin is not None
        return [
            _Proposal(s.n, s.phase, first + (s.date - origin))  # type: ignore[operator]
            for s in sessions
        ]
    initial = sum(1 for s in sessions if s.phase == "initial") or 1
    maintenance = sum(1 for s in sessions if s.phase == "maintenance")
    course = schedule(
        PlanOptions(start=first, initial_sessions=initial, maintenance_sessions=maintenance),
        load_knowledge(),
    )
    return [_Proposal(s.n, s.phase, s.date or first) for s in course.sessions]


def _next_open_day(day: date, cs: ClinicSettingsDTO) -> date:
    for _ in range(366):
        if cs.closed_reason(day) is None:
            return day
        day += timedelta(days=1)
    raise InvalidRecord("The clinic has no open day in the next year; check the settings.")


def propose_course(
    *,
    session: Session,
    actor: Actor,
    plan_id: int,
    practitioner_id: int,
    first_start: datetime,
    kind: str,
    room: str | None = None,
    starts: Sequence[datetime] | None = None,
) -> list[CourseSlot]:
    """Propose the plan's course as appointments and say which cannot be booked and why.

    Each session falls on the course's day counted from *first_start* (same time of
    day); a closed day moves it to the next open day. *starts*, when given, replaces
    the proposed times (the user resolved clashes). Nothing is written.
    """
    authorize(actor, Action.BOOK_APPOINTMENTS)
    cs = get_clinic_settings(session=session)
    plan_row = get_or_404(session, m.Plan, plan_id, "plan")
    live_client(session, plan_row.client_id)
    practitioner = _practitioner(session, practitioner_id)
    duration = _duration(kind, None, cs)
    room = _check_room(room, cs)
    first = local_start(first_start, cs)
    proposals = _course_days(PlanSnapshot.read(plan_row.plan), first.date())
    slots: list[CourseSlot] = []
    taken: list[tuple[datetime, datetime]] = []
    for i, p in enumerate(proposals):
        moved_from = None
        if starts is not None and i < len(starts):
            start = local_start(starts[i], cs)
        else:
            day = _next_open_day(p.day, cs)
            moved_from = p.day if day != p.day else None
            start = datetime.combine(day, first.timetz())
        end = start + timedelta(minutes=duration)
        refused, clash_id = None, None
        try:
            check_opening(start, end, cs)
            check_free(session, cs, start=start, end=end, practitioner=practitioner, room=room)
            if any(s < end and start < e for s, e in taken):
                refused = "overlaps another session of this course"
        except AppointmentClash as exc:
            refused, clash_id = exc.message, int(exc.clash["id"])
        except ClinicClosed as exc:
            refused = exc.message
        taken.append((start, end))
        slots.append(
            CourseSlot(
                n=p.n,
                phase=p.phase,
                start=start,
                duration_min=duration,
                moved_from=moved_from,
                refused=refused,
                clash_id=clash_id,
            )
        )
    return slots


def book_course(
    *,
    session: Session,
    actor: Actor,
    plan_id: int,
    practitioner_id: int,
    starts: Sequence[datetime],
    kind: str,
    room: str | None = None,
) -> list[AppointmentDTO]:
    """Book every session of a course at *starts*, or none of them.

    Raises
    ------
    BookingRefused
        When any session cannot be booked; the message lists each one and why, and
        nothing is booked (the caller's transaction is rolled back by the error).
    """
    authorize(actor, Action.BOOK_APPOINTMENTS)
    if not starts:
        raise InvalidRecord("The course has no sessions to book.")
    plan_row = get_or_404(session, m.Plan, plan_id, "plan")
    refused: list[str] = []
    booked: list[AppointmentDTO] = []
    for n, start in enumerate(starts, start=1):
        try:
            # A refused session raises before it writes anything; the booked ones
            # are flushed, so a later session of the course clashing with an
            # earlier one is caught too. Any refusal discards them all (below).
            booked.append(
                book_appointment(
                    session=session,
                    actor=actor,
                    data=AppointmentCreate(
                        client_id=plan_row.client_id,
                        practitioner_id=practitioner_id,
                        start=start,
                        kind=kind,
                        room=room,
                        plan_id=plan_id,
                    ),
                )
            )
        except BookingRefused as exc:
            refused.append(f"session {n}: {exc.message}")
    if refused:
        raise BookingRefused("Nothing was booked; resolve these first: " + " ".join(refused))
    audit(
        session,
        actor,
        "appointment.book_course",
        "plan",
        plan_id,
        client_id=plan_row.client_id,
        detail={"count": len(booked)},
    )
    return booked
