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
    practice = svc.practice_day(session=session, actor=actor, day=day, viewer_id=user.id)
    return render(
        request,
        "today.html",
        {
            "day": day,
            "appointments": practice.appointments,
            "booked_count": practice.booked_count,
            "entries": practice.walk_ins,
            "mine_count": practice.mine_count,
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
