"""Clinic settings: defaults until saved, admin-only changes, audited, typed on the way out.

Who may do what: ``ada`` (admin) changes the settings; ``pat`` (practitioner) and ``rita``
(reception) read them (the calendar needs them) but may not change them.
"""

from __future__ import annotations

import io
from datetime import date, time

import pytest
from PIL import Image
from sqlalchemy import select
from sqlalchemy.orm import Session

from acuface.clinic import models as m
from acuface.clinic import services as svc
from acuface.clinic.schemas import (
    Actor,
    AppointmentKind,
    ClinicSettingsDTO,
    ClinicSettingsUpdate,
    ClosedDay,
    DayHours,
    OpenInterval,
    day_hours,
)
from acuface.errors import InvalidRecord, PermissionDenied


def _update(**changes: object) -> ClinicSettingsUpdate:
    base = ClinicSettingsDTO().model_dump(exclude={"has_logo", "updated_at", "updated_by"})
    return ClinicSettingsUpdate(**{**base, **changes})


def test_defaults_until_an_admin_saves(session: Session, pat: Actor) -> None:
    cs = svc.get_clinic_settings(session=session)
    assert [k.duration_min for k in cs.appointment_kinds] == [90, 60, 30]
    assert cs.kind("first_visit").label == "First visit"  # type: ignore[union-attr]
    assert cs.closed_reason(date(2026, 12, 6)) == "closed on Sundays"  # a Sunday
    assert cs.closed_reason(date(2026, 12, 7)) is None  # a Monday
    assert cs.hours_on(date(2026, 12, 5)) == day_hours((time(9), time(13)))
    assert cs.hours_on(date(2026, 12, 5)).label == "09:00-13:00"
    assert not cs.has_logo and cs.updated_by is None


def test_admin_saves_and_every_change_is_audited(
    session: Session, ada: Actor, pat: Actor, rita: Actor
) -> None:
    data = _update(
        name="Lotus Clinic",
        address="Gartenstr. 4, Berlin",
        phone="+49 30 1234567",
        timezone="Europe/Berlin",
        closed_days=[ClosedDay(day=date(2026, 12, 24), reason="Christmas Eve")],
        appointment_kinds=[
            AppointmentKind(id="first_visit", label="First visit", duration_min=75),
            AppointmentKind(id="treatment", label="Treatment", duration_min=45),
        ],
        rooms=["Room 1", "Room 2"],
    )
    for who in (pat, rita):
        with pytest.raises(PermissionDenied, match="change the clinic settings"):
            svc.update_clinic_settings(session=session, actor=who, data=data)
    saved = svc.update_clinic_settings(session=session, actor=ada, data=data)
    session.commit()
    again = svc.get_clinic_settings(session=session)
    assert again == saved
    assert again.name == "Lotus Clinic" and again.zone.key == "Europe/Berlin"
    assert again.closed_reason(date(2026, 12, 24)) == "Christmas Eve"
    assert [k.duration_min for k in again.appointment_kinds] == [75, 45]
    assert again.rooms == ["Room 1", "Room 2"] and again.updated_by == "ada"
    entry = session.scalars(
        select(m.AuditEntry).where(m.AuditEntry.action == "settings.update")
    ).one()
    assert "closed_days" in (entry.detail or "") and "name" in (entry.detail or "")
    assert "rooms" in (entry.detail or "") and "opening_hours" not in (entry.detail or "")


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"timezone": "Mars/Olympus"}, "unknown time zone"),
        ({"opening_hours": [DayHours()] * 6}, "at least 7"),
        (
            {"appointment_kinds": [{"id": "x", "label": "X", "duration_min": 2}]},
            "greater than or equal to 5",
        ),
        ({"rooms": ["A", "A"]}, "room names must be unique"),
    ],
)
def test_invalid_settings_are_refused(changes: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        _update(**changes)


def test_hours_must_close_after_they_open_and_intervals_stay_apart() -> None:
    with pytest.raises(ValueError, match="not after 09:00"):
        OpenInterval(opens=time(9), closes=time(8))
    with pytest.raises(ValueError, match="overlap or touch"):
        day_hours((time(9), time(13)), (time(12, 30), time(18)))
    with pytest.raises(ValueError, match="overlap or touch"):
        day_hours((time(9), time(13)), (time(13), time(18)))  # touching: one interval
    lunch = day_hours((time(13, 30), time(18)), (time(9), time(12, 30)))
    assert lunch.label == "09:00-12:30, 13:30-18:00"  # kept in order
    assert lunch.gaps() == [(time(12, 30), time(13, 30))]
    assert lunch.opens == time(9) and lunch.closes == time(18)
    assert lunch.interval_holding(time(12), time(12, 30)) == lunch.intervals[0]
    assert lunch.interval_holding(time(12), time(13, 45)) is None


def test_lunch_break_is_stored_and_read_back(session: Session, ada: Actor) -> None:
    week = [day_hours((time(9), time(12, 30)), (time(13, 30), time(18)))] * 5
    data = _update(opening_hours=[*week, day_hours((time(9), time(13))), DayHours()])
    svc.update_clinic_settings(session=session, actor=ada, data=data)
    session.commit()
    row = session.get(m.ClinicSettings, 1)
    assert row is not None and row.opening_hours[0] == {
        "intervals": [
            {"opens": "09:00:00", "closes": "12:30:00"},
            {"opens": "13:30:00", "closes": "18:00:00"},
        ]
    }
    again = svc.get_clinic_settings(session=session)
    assert again.hours_on(date(2026, 12, 7)).gaps() == [(time(12, 30), time(13, 30))]


def test_logo_is_kept_as_a_small_png(session: Session, ada: Actor, pat: Actor) -> None:
    buf = io.BytesIO()
    Image.new("RGB", (1600, 400), (10, 120, 110)).save(buf, format="JPEG")
    with pytest.raises(PermissionDenied):
        svc.set_clinic_logo(session=session, actor=pat, data=buf.getvalue())
    with pytest.raises(InvalidRecord, match="not an image"):
        svc.set_clinic_logo(session=session, actor=ada, data=b"%PDF-1.4 not a logo")
    assert svc.get_clinic_logo(session=session) is None
    svc.set_clinic_logo(session=session, actor=ada, data=buf.getvalue())
    logo = svc.get_clinic_logo(session=session)
    assert logo is not None and svc.get_clinic_settings(session=session).has_logo
    with Image.open(io.BytesIO(logo.data)) as img:
        assert img.format == "PNG" and img.size == (600, 150)
    assert logo.data_uri.startswith("data:image/png;base64,iVBOR")
    svc.set_clinic_logo(session=session, actor=ada, data=None)
    assert svc.get_clinic_logo(session=session) is None
