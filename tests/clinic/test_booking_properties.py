"""Property test of the booking rules over random opening hours and appointments.

A booking is accepted if and only if it lies entirely within one opening interval
of an open day and overlaps no holding appointment (booked, arrived, completed) of
its practitioner. The expectation is computed here from the raw numbers, not with
the helpers the service uses, so a slip in either shows up as a counterexample.

rita (reception) books for pat; lian's appointments never clash with pat's.
SQLite only: the rule is the same on PostgreSQL (test_appointments.py runs both),
and each example rolls its settings and appointments back.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from sqlalchemy.orm import Session

from acuface.clinic import models as m
from acuface.clinic import services as svc
from acuface.clinic.schemas import (
    APPOINTMENT_STATUSES,
    HOLDING_STATUSES,
    Actor,
    AppointmentCreate,
    ClinicSettingsDTO,
    ClinicSettingsUpdate,
    ClosedDay,
    day_hours,
)
from acuface.errors import AppointmentClash, ClinicClosed

MONDAY = date(2026, 12, 7)
DAY_MIN = 24 * 60


def _at(minute: int) -> datetime:
    return datetime.combine(MONDAY, time(0), tzinfo=UTC) + timedelta(minutes=minute)


@dataclass(frozen=True)
class Existing:
    """An appointment already in the book (any status; maybe not pat's)."""

    pat: bool
    start_min: int
    duration_min: int
    status: str


#: Monday's intervals: an even number of distinct minutes, sorted and paired, so
#: they never overlap or touch (0 to 3 intervals; none is a day the clinic is shut).
intervals_strategy = st.integers(0, 3).flatmap(
    lambda k: st.lists(
        st.integers(0, DAY_MIN // 5 - 1).map(lambda n: n * 5),
        min_size=2 * k,
        max_size=2 * k,
        unique=True,
    )
)
existing_strategy = st.lists(
    st.builds(
        Existing,
        pat=st.booleans(),
        start_min=st.integers(0, DAY_MIN // 5 - 1).map(lambda n: n * 5),
        duration_min=st.integers(1, 48).map(lambda n: n * 5),
        status=st.sampled_from(APPOINTMENT_STATUSES),
    ),
    max_size=4,
)


@st.composite
def start_strategy(draw: st.DrawFn, edges: list[int]) -> int:
    """A start anywhere in the day, or at an interval's edge (so that many are accepted)."""
    anywhere = st.integers(0, DAY_MIN // 5 - 1).map(lambda n: n * 5)
    if edges and draw(st.booleans()):
        return draw(st.sampled_from(sorted(edges)[::2]))
    return draw(anywhere)


@pytest.fixture
def backend() -> str:
    """SQLite only (see the module docstring)."""
    return "sqlite"


@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    hours_and_start=intervals_strategy.flatmap(
        lambda edges: st.tuples(st.just(edges), start_strategy(edges))
    ),
    holiday=st.booleans(),
    existing=existing_strategy,
    duration_min=st.integers(1, 48).map(lambda n: n * 5),
)
def test_a_booking_is_accepted_iff_inside_one_interval_and_free(
    session: Session,
    ada: Actor,
    rita: Actor,
    pat: Actor,
    lian: Actor,
    client_id: int,
    hours_and_start: tuple[list[int], int],
    holiday: bool,
    existing: list[Existing],
    duration_min: int,
) -> None:
    edges, start_min = hours_and_start
    minutes = sorted(edges)
    pairs = list(zip(minutes[::2], minutes[1::2], strict=True))
    base = ClinicSettingsDTO().model_dump(exclude={"has_logo", "updated_at", "updated_by"})
    hours = list(ClinicSettingsDTO().opening_hours)
    hours[MONDAY.weekday()] = day_hours(*((_at(a).time(), _at(b).time()) for a, b in pairs))
    closed = [ClosedDay(day=MONDAY, reason="inventory")] if holiday else []
    svc.update_clinic_settings(
        session=session,
        actor=ada,
        data=ClinicSettingsUpdate(**{**base, "opening_hours": hours, "closed_days": closed}),
    )
    for e in existing:  # written as rows: what is already booked need not obey today's rules
        session.add(
            m.Appointment(
                client_id=client_id,
                practitioner_id=pat.user_id if e.pat else lian.user_id,
                start_at=_at(e.start_min),
                end_at=_at(e.start_min + e.duration_min),
                duration_min=e.duration_min,
                kind="treatment",
                status=e.status,
                created_by="test",
            )
        )
    session.flush()
    end_min = start_min + duration_min
    inside = not holiday and any(a <= start_min and end_min <= b for a, b in pairs)
    free = not any(
        e.pat
        and e.status in HOLDING_STATUSES
        and e.start_min < end_min
        and start_min < e.start_min + e.duration_min
        for e in existing
    )
    try:
        booked = svc.book_appointment(
            session=session,
            actor=rita,
            data=AppointmentCreate(
                client_id=client_id,
                practitioner_id=pat.user_id,  # type: ignore[arg-type]
                start=_at(start_min),
                kind="treatment",
                duration_min=duration_min,
            ),
        )
    except ClinicClosed:
        assert not inside, (pairs, start_min, end_min)
    except AppointmentClash:
        assert inside and not free, (existing, start_min, end_min)
    else:
        assert inside and free, (pairs, existing, start_min, end_min)
        assert booked.start == _at(start_min) and booked.end == _at(end_min)
        event("accepted")
    finally:
        session.rollback()
