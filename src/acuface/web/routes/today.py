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
    """List the sessions of *day* (default today), earliest first."""
    day = day or date.today()
    entries = svc.list_schedule(session=session, actor=actor, day=day)
    entries = sorted(
        entries, key=lambda e: (e.start_time is None, e.start_time or 0, e.client_name)
    )
    mine = [e for e in entries if e.practitioner_id == user.id]
    return render(
        request,
        "today.html",
        {
            "day": day,
            "entries": entries,
            "mine_count": len(mine),
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
