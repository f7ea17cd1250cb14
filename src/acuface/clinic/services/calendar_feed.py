"""A practitioner's private calendar feed (iCalendar, RFC 5545) for a phone's calendar.

The feed URL carries a secret token instead of a sign-in (phone calendars cannot
sign in), so the feed says as little as it can: each event is the client's
initials and the appointment kind ("M. L. · Treatment"), the time and the room;
no names, no contact details, no clinical content. The practitioner regenerates
the token from their page when a phone is lost; the old URL stops working at once.
Every read of a feed is audited under the practitioner's name.
"""

from __future__ import annotations

import secrets
from datetime import UTC, datetime, time, timedelta

from icalendar import Calendar, Event
from sqlalchemy import select
from sqlalchemy.orm import Session

from acuface.clinic import models as m
from acuface.clinic.access import Action, allowed, authorize
from acuface.clinic.schemas import HOLDING_STATUSES, Actor
from acuface.clinic.services._common import audit
from acuface.clinic.services.appointments import initials
from acuface.clinic.services.settings import get_clinic_settings
from acuface.errors import InvalidRecord, NotFound

#: Days of past and future appointments a feed holds (a phone keeps what it saw).
FEED_DAYS_BACK = 30
FEED_DAYS_AHEAD = 180
#: Characters of a token (``secrets.token_urlsafe(32)`` gives 43).
TOKEN_PATTERN = r"^[A-Za-z0-9_-]{32,64}$"


def calendar_feed_token(*, session: Session, actor: Actor, regenerate: bool = False) -> str:
    """Return the actor's feed token, making one on first use or when *regenerate*.

    Raises
    ------
    PermissionDenied
        For roles without a feed (reception).
    """
    authorize(actor, Action.SUBSCRIBE_CALENDAR)
    if actor.user_id is None:
        raise InvalidRecord("Only a signed-in practitioner has a calendar feed.")
    row = session.scalar(select(m.CalendarFeed).where(m.CalendarFeed.user_id == actor.user_id))
    if row is not None and not regenerate:
        return row.token
    token = secrets.token_urlsafe(32)
    if row is None:
        session.add(m.CalendarFeed(user_id=actor.user_id, token=token))
    else:
        row.token, row.created_at = token, m.utcnow()
    session.flush()
    audit(
        session,
        actor,
        "calendar_feed.regenerate" if row is not None else "calendar_feed.create",
        "calendar_feed",
        actor.user_id,
    )
    return token


def calendar_feed(*, session: Session, token: str, source: str) -> bytes:
    """Return the iCalendar text of the practitioner whose feed *token* is.

    Parameters
    ----------
    session : Session
        Database session.
    token : str
        The secret of the feed URL.
    source : str
        Where the request came from (audited).

    Returns
    -------
    bytes
        ``text/calendar`` content: one ``VEVENT`` per appointment that holds its slot,
        from :data:`FEED_DAYS_BACK` days ago to :data:`FEED_DAYS_AHEAD` days ahead.

    Raises
    ------
    NotFound
        An unknown (or regenerated) token, or a user no longer active as a practitioner.
    """
    row = session.scalar(select(m.CalendarFeed).where(m.CalendarFeed.token == token))
    user = session.get(m.User, row.user_id) if row is not None else None
    if (
        row is None
        or user is None
        or not user.is_active
        or not allowed(user.role, Action.SUBSCRIBE_CALENDAR)
        or not secrets.compare_digest(row.token, token)
    ):
        raise NotFound("No such calendar feed; the practitioner may have made a new link.")
    cs = get_clinic_settings(session=session)
    now = datetime.now(UTC)
    lo = datetime.combine(now.date() - timedelta(days=FEED_DAYS_BACK), time(0), tzinfo=UTC)
    hi = datetime.combine(now.date() + timedelta(days=FEED_DAYS_AHEAD), time(0), tzinfo=UTC)
    rows = session.scalars(
        select(m.Appointment)
        .join(m.Client, m.Client.id == m.Appointment.client_id)
        .where(
            m.Appointment.practitioner_id == user.id,
            m.Appointment.start_at >= lo,
            m.Appointment.start_at < hi,
            m.Appointment.status.in_(HOLDING_STATUSES),
            m.Client.deleted_at.is_(None),
        )
        .order_by(m.Appointment.start_at)
    ).unique()
    cal = Calendar()
    cal.add("prodid", "-//Acuface//calendar feed//EN")
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("x-wr-calname", f"{cs.name}: {user.display_name}")
    count = 0
    for a in rows:
        event = Event()
        event.add("uid", f"appointment-{a.id}@acuface")
        event.add("dtstamp", a.updated_at.astimezone(UTC))
        event.add("dtstart", a.start_at.astimezone(UTC))
        event.add("dtend", a.end_at.astimezone(UTC))
        who = initials(a.client.given_name, a.client.family_name)
        event.add("summary", f"{who} · {cs.kind_label(a.kind)}")
        if a.room:
            event.add("location", a.room)
        cal.add_component(event)
        count += 1
    feed_actor = Actor(user_id=user.id, username=user.username, role=user.role, source=source)
    audit(
        session,
        feed_actor,
        "calendar_feed.read",
        "calendar_feed",
        user.id,
        detail={"count": count},
    )
    return bytes(cal.to_ical())
