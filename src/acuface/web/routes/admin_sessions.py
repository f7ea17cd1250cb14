"""Administration (admin only): who is signed in, and ending their sessions."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Request
from fastapi.responses import RedirectResponse, Response

from acuface.clinic import services as svc
from acuface.web import login_sessions
from acuface.web.deps import AdminActor, RecordId, SessionDep
from acuface.web.templating import flash, render

router = APIRouter(include_in_schema=False)

#: A session's store key: the hex SHA-256 of its id.
SessionKey = Annotated[str, Path(pattern=r"^[0-9a-f]{64}$")]


@router.get("/admin/sessions", name="admin_sessions")
def admin_sessions(request: Request, session: SessionDep, actor: AdminActor) -> Response:
    """Every signed-in session: user, started, last seen, address, browser."""
    store = login_sessions.store_of(request)
    rows = svc.list_login_sessions(session=session, actor=actor, records=store.signed_in())
    return render(
        request,
        "admin/sessions.html",
        {"sessions": rows, "current_key": login_sessions.state_of(request).key},
    )


@router.post("/admin/sessions/{key}/end", name="admin_session_end")
def admin_session_end(
    request: Request, session: SessionDep, actor: AdminActor, key: SessionKey
) -> Response:
    """End one session (its cookie stops working at once, in every server process)."""
    store = login_sessions.store_of(request)
    record = store.get(key)
    found = store.delete(key)
    svc.record_session_ended(
        session=session,
        actor=actor,
        user_id=record.user_id if record else None,
        key=key,
        found=found,
    )
    who = record.username if record is not None and record.username else "that user"
    flash(request, f"Ended a session of {who}." if found else "That session had already ended.")
    return RedirectResponse("/admin/sessions", status_code=303)


@router.post("/admin/users/{user_id}/sessions/end", name="admin_user_sessions_end")
def admin_user_sessions_end(
    request: Request, session: SessionDep, actor: AdminActor, user_id: RecordId
) -> Response:
    """End every session of one user."""
    user = svc.end_user_sessions(session=session, actor=actor, user_id=user_id)
    session.commit()  # the epoch first: it ends the sessions even if the store call fails
    count = login_sessions.store_of(request).delete_user(user_id)
    flash(request, f"Ended {count} session{'s' if count != 1 else ''} of {user.username}.")
    return RedirectResponse("/admin/sessions", status_code=303)
