"""Appointments: booking rules (hours, closed days, clashes), statuses, audit, charting.

Who may do what: ``rita`` (reception) and ``alice`` (practitioner) book, move,
cancel and mark arrival; only clinical roles chart the visit's note.
The clinic defaults apply (UTC; Monday to Friday 09:00-18:00, Saturday to 13:00).
"""

from __future__ import annotations

import threading
from datetime import UTC, date, datetime, time, timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from acuface.clinic import db
from acuface.clinic import models as m
from acuface.clinic import services as svc
from acuface.clinic.schemas import (
    Actor,
    AppointmentCreate,
    AppointmentUpdate,
    ClinicSettingsDTO,
    ClinicSettingsUpdate,
    ClosedDay,
    SessionCreate,
    day_hours,
)
from acuface.errors import (
    AppointmentClash,
    BookingRefused,
    ClinicClosed,
    InvalidRecord,
    PermissionDenied,
)

MONDAY = date(2026, 12, 7)


def at(day: date, hh: int, mm: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hh, mm, tzinfo=UTC)


def _book(
    session: Session,
    actor: Actor,
    client_id: int,
    practitioner: Actor,
    start: datetime,
    kind: str = "treatment",
    **kw: object,
):  # noqa: ANN202
    return svc.book_appointment(
        session=session,
        actor=actor,
        data=AppointmentCreate(
            client_id=client_id,
            practitioner_id=practitioner.user_id,  # type: ignore[arg-type]
            start=start,
            kind=kind,
            **kw,  # type: ignore[arg-type]
        ),
    )


def test_reception_books_with_the_kinds_default_length(
    session: Session, rita: Actor, alice: Actor, client_id: int
) -> None:
    a = _book(session, rita, client_id, alice, at(MONDAY, 10), kind="first_visit")
    assert a.duration_min == 90 and a.end == at(MONDAY, 11, 30)
    assert a.kind_label == "First visit" and a.status == "booked"
    assert a.client_name == "Mara Lindqvist" and a.client_initials == "M. L."
    session.commit()
    entry = session.scalars(
        select(m.AuditEntry).where(m.AuditEntry.action == "appointment.create")
    ).one()
    assert entry.username == "rita" and entry.client_id == client_id
    # A naive start is the clinic's wall clock.
    b = _book(session, rita, client_id, alice, datetime(2026, 12, 7, 14, 0), kind="follow_up")
    assert b.start == at(MONDAY, 14) and b.duration_min == 30


def test_double_booking_a_practitioner_names_the_clash(
    session: Session, rita: Actor, alice: Actor, admin: Actor, client_id: int
) -> None:
    first = _book(session, rita, client_id, alice, at(MONDAY, 10))
    with pytest.raises(
        AppointmentClash,
        match=r"Pat Moreau is already booked Mon 07 Dec 10:00-11:00: "
        r"Treatment with Mara Lindqvist",
    ) as info:
        _book(session, rita, client_id, alice, at(MONDAY, 10, 30), kind="follow_up")
    assert info.value.http_status == 409 and info.value.clash["id"] == first.id
    # Back to back is fine; another practitioner (admin treats too) at the same time is fine.
    _book(session, rita, client_id, alice, at(MONDAY, 11))
    _book(session, rita, client_id, admin, at(MONDAY, 10))
    # A cancelled visit frees its slot.
    svc.set_appointment_status(
        session=session, actor=rita, appointment_id=first.id, status="cancelled"
    )
    _book(session, rita, client_id, alice, at(MONDAY, 10, 15), kind="follow_up")


def test_rooms_clash_across_practitioners(
    session: Session, admin: Actor, rita: Actor, alice: Actor, client_id: int
) -> None:
    cs = ClinicSettingsDTO().model_dump(exclude={"has_logo", "updated_at", "updated_by"})
    svc.update_clinic_settings(
        session=session, actor=admin, data=ClinicSettingsUpdate(**{**cs, "rooms": ["Room 1"]})
    )
    _book(session, rita, client_id, alice, at(MONDAY, 9), room="Room 1")
    with pytest.raises(AppointmentClash, match="Room 1 is already booked"):
        _book(session, rita, client_id, admin, at(MONDAY, 9, 30), room="Room 1")
    with pytest.raises(InvalidRecord, match="no room 'Room 9'"):
        _book(session, rita, client_id, admin, at(MONDAY, 12), room="Room 9")


def test_opening_hours_and_closed_days(
    session: Session, admin: Actor, rita: Actor, alice: Actor, client_id: int
) -> None:
    with pytest.raises(
        ClinicClosed, match=r"17:30-18:30 is outside the opening hours \(09:00-18:00"
    ):
        _book(session, rita, client_id, alice, at(MONDAY, 17, 30))
    with pytest.raises(ClinicClosed, match="closed on Sundays"):
        _book(session, rita, client_id, alice, at(MONDAY - timedelta(days=1), 10))
    with pytest.raises(ClinicClosed, match="outside the opening hours"):
        _book(session, rita, client_id, alice, at(MONDAY, 8, 30), kind="follow_up")
    cs = ClinicSettingsDTO().model_dump(exclude={"has_logo", "updated_at", "updated_by"})
    svc.update_clinic_settings(
        session=session,
        actor=admin,
        data=ClinicSettingsUpdate(
            **{**cs, "closed_days": [ClosedDay(day=MONDAY, reason="staff training")]}
        ),
    )
    with pytest.raises(ClinicClosed, match=r"closed on Mon 07 Dec 2026 \(staff training\)"):
        _book(session, rita, client_id, alice, at(MONDAY, 10))


def test_a_lunch_break_is_closed_time(
    session: Session, admin: Actor, rita: Actor, alice: Actor, client_id: int
) -> None:
    cs = ClinicSettingsDTO().model_dump(exclude={"has_logo", "updated_at", "updated_by"})
    lunch = day_hours((time(9), time(12, 30)), (time(13, 30), time(18)))
    hours = [lunch] * 5 + cs["opening_hours"][5:]
    svc.update_clinic_settings(
        session=session, actor=admin, data=ClinicSettingsUpdate(**{**cs, "opening_hours": hours})
    )
    with pytest.raises(
        ClinicClosed,
        match=r"Mon 07 Dec 12:00-13:00: the clinic is closed 12:30-13:30 "
        r"\(open 09:00-12:30, 13:30-18:00 on Mondays\)",
    ):
        _book(session, rita, client_id, alice, at(MONDAY, 12))
    with pytest.raises(ClinicClosed, match="closed 12:30-13:30"):
        _book(session, rita, client_id, alice, at(MONDAY, 12, 45), kind="follow_up")
    # Up to the break, and from its end, books as usual.
    morning = _book(session, rita, client_id, alice, at(MONDAY, 11, 30))
    _book(session, rita, client_id, alice, at(MONDAY, 13, 30))
    # Moving into the break is refused the same way.
    with pytest.raises(ClinicClosed, match="closed 12:30-13:30"):
        svc.update_appointment(
            session=session,
            actor=rita,
            appointment_id=morning.id,
            data=AppointmentUpdate(start=at(MONDAY, 12)),
        )
    with pytest.raises(ClinicClosed, match=r"outside the opening hours \(09:00-12:30, 13:30"):
        _book(session, rita, client_id, alice, at(MONDAY, 17, 30))


def test_move_status_and_audit(session: Session, rita: Actor, alice: Actor, client_id: int) -> None:
    a = _book(session, rita, client_id, alice, at(MONDAY, 10))
    b = _book(session, rita, client_id, alice, at(MONDAY, 12))
    with pytest.raises(AppointmentClash, match="12:00-13:00"):
        svc.update_appointment(
            session=session,
            actor=rita,
            appointment_id=a.id,
            data=AppointmentUpdate(start=at(MONDAY, 11, 30)),
        )
    moved = svc.update_appointment(
        session=session,
        actor=rita,
        appointment_id=a.id,
        data=AppointmentUpdate(start=at(MONDAY, 13)),
    )
    assert moved.start == at(MONDAY, 13) and moved.end == at(MONDAY, 14)
    arrived = svc.set_appointment_status(
        session=session, actor=rita, appointment_id=b.id, status="arrived"
    )
    assert arrived.status == "arrived"
    with pytest.raises(BookingRefused, match="arrived; it cannot become no show"):
        svc.set_appointment_status(
            session=session, actor=rita, appointment_id=b.id, status="no_show"
        )
    svc.set_appointment_status(session=session, actor=rita, appointment_id=a.id, status="no_show")
    session.commit()
    actions = session.scalars(
        select(m.AuditEntry.action)
        .where(m.AuditEntry.record_type == "appointment")
        .order_by(m.AuditEntry.id)
    ).all()
    assert actions == [
        "appointment.create",
        "appointment.create",
        "appointment.move",
        "appointment.arrive",
        "appointment.no_show",
    ]
    week = svc.list_appointments(session=session, actor=rita, start=MONDAY, end=MONDAY)
    assert [x.id for x in week] == [b.id, a.id]
    with pytest.raises(InvalidRecord, match="at most 62 days"):
        svc.list_appointments(
            session=session, actor=rita, start=MONDAY, end=MONDAY + timedelta(days=90)
        )


def test_chart_a_visit_twice_opens_one_note(
    session: Session, rita: Actor, alice: Actor, client_id: int
) -> None:
    a = _book(session, rita, client_id, alice, at(MONDAY, 10))
    with pytest.raises(PermissionDenied):
        svc.chart_appointment(session=session, actor=rita, appointment_id=a.id)
    note = svc.chart_appointment(session=session, actor=alice, appointment_id=a.id)
    again = svc.chart_appointment(session=session, actor=alice, appointment_id=a.id)
    assert note.id == again.id and note.session_date == MONDAY
    assert note.start_time is not None and note.start_time.hour == 10
    assert session.scalar(select(func.count()).select_from(m.TreatmentSession)) == 1
    linked = svc.get_appointment(session=session, actor=rita, appointment_id=a.id)
    assert linked.session_id == note.id and linked.status == "arrived"


def test_a_course_is_proposed_around_closed_days_and_booked_whole(
    session: Session, admin: Actor, rita: Actor, alice: Actor, client_id: int
) -> None:
    from acuface.planner import Intake, PlanOptions, make_plan

    plan = svc.save_plan(
        session=session,
        actor=alice,
        client_id=client_id,
        intake_id=None,
        plan=make_plan(
            Intake(concerns=["wrinkles"], age=50),
            options=PlanOptions(
                start=MONDAY, initial_sessions=4, initial_weeks=4, maintenance_sessions=0
            ),
        ),
        planner_version="test",
    )
    cs = ClinicSettingsDTO().model_dump(exclude={"has_logo", "updated_at", "updated_by"})
    course_days = [s.date for s in plan.plan.course.sessions]
    assert len(course_days) == 4
    svc.update_clinic_settings(
        session=session,
        actor=admin,
        data=ClinicSettingsUpdate(**{**cs, "closed_days": [ClosedDay(day=course_days[1])]}),
    )
    other = _book(
        session, rita, client_id, alice, datetime.combine(course_days[2], at(MONDAY, 10).timetz())
    )
    session.commit()
    slots = svc.propose_course(
        session=session,
        actor=rita,
        plan_id=plan.id,
        practitioner_id=alice.user_id,  # type: ignore[arg-type]
        first_start=at(MONDAY, 10),
        kind="treatment",
    )
    assert [s.n for s in slots] == [1, 2, 3, 4]
    assert slots[1].moved_from == course_days[1] and slots[1].start.date() > course_days[1]
    refused = slots[2].refused or ""
    assert slots[2].clash_id == other.id and "is already booked" in refused
    assert "Treatment with" in refused  # the same words as a refused booking
    assert [s.refused is None for s in slots] == [True, True, False, True]
    starts = [s.start for s in slots]
    with pytest.raises(BookingRefused, match="Nothing was booked; resolve these first: session 3"):
        svc.book_course(
            session=session,
            actor=rita,
            plan_id=plan.id,
            practitioner_id=alice.user_id,  # type: ignore[arg-type]
            starts=starts,
            kind="treatment",
        )
    session.rollback()
    assert session.scalar(select(func.count()).select_from(m.Appointment)) == 1
    starts[2] = starts[2].replace(hour=14)
    booked = svc.book_course(
        session=session,
        actor=rita,
        plan_id=plan.id,
        practitioner_id=alice.user_id,  # type: ignore[arg-type]
        starts=starts,
        kind="treatment",
    )
    assert [b.start for b in booked] == starts and all(b.plan_id == plan.id for b in booked)


def test_concurrent_bookings_never_double_book(
    engine: sa.Engine, users: dict[str, Actor], client_id: int
) -> None:
    """Two receptionists book the same slot at once: one appointment, one clear refusal."""
    rita, alice = users["rita"], users["pat"]
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def book() -> None:
        with db.session_scope(engine) as s:
            barrier.wait()
            try:
                _book(s, rita, client_id, alice, at(MONDAY, 10))
                outcomes.append("booked")
            except AppointmentClash:
                outcomes.append("clash")

    for _ in range(3):
        outcomes.clear()
        threads = [threading.Thread(target=book) for _ in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        with db.session_scope(engine) as s:
            held = s.scalar(
                select(func.count())
                .select_from(m.Appointment)
                .where(m.Appointment.status == "booked")
            )
            s.execute(sa.update(m.Appointment).values(status="cancelled"))
        assert held == 1, outcomes
        assert sorted(outcomes) == ["booked", "clash"]


def test_the_practice_day_lists_each_visit_once_and_counts_what_holds(
    session: Session, rita: Actor, alice: Actor, lian: Actor, client_id: int
) -> None:
    """Today's page: bookings by time, a booked note once, walk-ins after, counts."""
    charted = _book(session, rita, client_id, alice, at(MONDAY, 10))
    cancelled = _book(session, rita, client_id, alice, at(MONDAY, 11))
    svc.set_appointment_status(
        session=session, actor=rita, appointment_id=cancelled.id, status="cancelled"
    )
    other = _book(session, rita, client_id, lian, at(MONDAY, 9))
    note = svc.chart_appointment(session=session, actor=alice, appointment_id=charted.id)
    late = svc.create_session(
        session=session,
        actor=lian,
        client_id=client_id,
        data=SessionCreate(session_date=MONDAY, start_time=time(16, 0)),
    )
    early = svc.create_session(
        session=session,
        actor=alice,
        client_id=client_id,
        data=SessionCreate(session_date=MONDAY, start_time=time(8, 30)),
    )
    untimed = svc.create_session(
        session=session, actor=alice, client_id=client_id, data=SessionCreate(session_date=MONDAY)
    )
    session.commit()

    day = svc.practice_day(session=session, actor=rita, day=MONDAY, viewer_id=alice.user_id)
    assert [a.id for a in day.appointments] == [other.id, charted.id, cancelled.id]
    # The booked visit's note is listed as the booking, not again as a walk-in.
    assert note.id not in {e.session_id for e in day.walk_ins}
    assert [e.session_id for e in day.walk_ins] == [early.id, late.id, untimed.id]
    # Holding: two bookings (the cancelled one frees its slot) and three walk-ins.
    assert day.booked_count == 5
    assert day.mine_count == 3  # alice: her charted booking, the early and untimed notes
    lian_day = svc.practice_day(session=session, actor=rita, day=MONDAY, viewer_id=lian.user_id)
    assert lian_day.mine_count == 2
    empty = svc.practice_day(session=session, actor=rita, day=MONDAY + timedelta(days=1))
    assert (empty.appointments, empty.walk_ins, empty.booked_count) == ([], [], 0)
