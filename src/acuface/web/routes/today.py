"""Today: the day's sessions (every role; no clinical content)."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from acuface.clinic import services as svc
from acuface.clinic.access import Action, allowed
from acuface.clinic.schemas import ScheduleEntryDTO
from acuface.web.deps import API_ERRORS, ActorDep, CurrentUser, SessionDep, api_router
from acuface.web.templating import render

router = APIRouter(include_in_schema=False)


@router.get("/today", name="today")
def today(
    request: Request,
    session: SessionDep,
    actor: ActorDep,
    user: CurrentUser,
    day: date | None = None,
) -> Response:
    """List the day's appointments (default today), and notes opened without one.

    The day is the calendar's: each appointment offers "Chart a session", which
    opens that visit's note (made on the first click). A note charted without a
    booking (a walk-in) is listed too.
    """
    day = day or date.today()
    appointments = svc.list_appointments(session=session, actor=actor, start=day, end=day)
    linked = {a.session_id for a in appointments if a.session_id is not None}
    entries = [
        e
        for e in svc.list_schedule(session=session, actor=actor, day=day)
        if e.session_id not in linked
    ]
    entries = sorted(
        entries, key=lambda e: (e.start_time is None, e.start_time or 0, e.client_name)
    )
    holding = [a for a in appointments if a.status not in ("cancelled", "no_show")]
    mine = sum(1 for a in holding if a.practitioner_id == user.id) + sum(
        1 for e in entries if e.practitioner_id == user.id
    )
    return render(
        request,
        "today.html",
        {
            "day": day,
            "appointments": appointments,
            "booked_count": len(holding) + len(entries),
            "entries": entries,
            "mine_count": mine,
            "prev_day": day - timedelta(days=1),
            "next_day": day + timedelta(days=1),
            "is_today": day == date.today(),
            "clinical": allowed(user, Action.OPEN_CLINICAL_PAGES),
        },
    )


# --- JSON API (same session, roles and CSRF as the pages) ---------------------

api = api_router()


@api.get("/schedule", response_model=list[ScheduleEntryDTO], responses=API_ERRORS)
def schedule(session: SessionDep, actor: ActorDep, day: date | None = None) -> Any:
    """Sessions of a day (default today), without clinical content."""
    return svc.list_schedule(session=session, actor=actor, day=day or date.today())
