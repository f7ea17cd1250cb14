"""Administration (admin only): users (create, role, deactivate, reset password)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from acuface.clinic import services as svc
from acuface.clinic.schemas import ROLES, Role
from acuface.web import login_sessions
from acuface.web.deps import AdminActor, RecordId, SessionDep
from acuface.web.templating import flash, render

router = APIRouter(include_in_schema=False)


def _forget_sessions(request: Request, session: Session, user_id: int) -> None:
    """Delete the user's sessions from the store after a change that ended them.

    The service already raised the user's session epoch, which ends them in
    every process; committing it first also frees SQLite's write lock for the
    store. Deleting keeps the administrator's session list true.
    """
    session.commit()
    login_sessions.store_of(request).delete_user(user_id)


@router.get("/admin/users", name="admin_users")
def admin_users(request: Request, session: SessionDep, actor: AdminActor) -> Response:
    """Every user with their role and state."""
    users = svc.list_users(session=session, actor=actor, include_inactive=True)
    return render(request, "admin/users.html", {"users": users, "roles": ROLES})


@router.post("/admin/users", name="admin_user_create")
def admin_user_create(
    request: Request,
    session: SessionDep,
    actor: AdminActor,
    username: Annotated[str, Form(min_length=3, max_length=50)],
    password: Annotated[str, Form(min_length=8, max_length=1000)],
    role: Annotated[Role, Form()],
    display_name: Annotated[str, Form(max_length=200)] = "",
    credentials: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    """Create a user (the password is hashed with argon2 by the clinic services)."""
    user = svc.create_user(
        session=session,
        actor=actor,
        username=username.strip().lower(),
        password=password,
        role=role,
        display_name=display_name.strip() or None,
        credentials=credentials,
    )
    flash(request, f"User {user.username} ({user.role}) created.", "success")
    return RedirectResponse("/admin/users", status_code=303)


@router.post("/admin/users/{user_id}/active", name="admin_user_active")
def admin_user_active(
    request: Request,
    session: SessionDep,
    actor: AdminActor,
    user_id: RecordId,
    active: Annotated[bool, Form()],
) -> Response:
    """Activate or deactivate a user (deactivation ends their sessions)."""
    user = svc.set_user_active(session=session, actor=actor, user_id=user_id, active=active)
    _forget_sessions(request, session, user_id)
    flash(
        request, f"{user.username} is now {'active' if user.is_active else 'inactive'}.", "success"
    )
    return RedirectResponse("/admin/users", status_code=303)


@router.post("/admin/users/{user_id}/profile", name="admin_user_profile")
def admin_user_profile(
    request: Request,
    session: SessionDep,
    actor: AdminActor,
    user_id: RecordId,
    display_name: Annotated[str, Form(min_length=1, max_length=200)],
    credentials: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    """Set a user's full name and credentials (printed on the notes they sign)."""
    user = svc.set_user_profile(
        session=session,
        actor=actor,
        user_id=user_id,
        display_name=display_name,
        credentials=credentials,
    )
    flash(request, f"{user.username}: signs as {user.signature_name}.", "success")
    return RedirectResponse("/admin/users", status_code=303)


@router.post("/admin/users/{user_id}/role", name="admin_user_role")
def admin_user_role(
    request: Request,
    session: SessionDep,
    actor: AdminActor,
    user_id: RecordId,
    role: Annotated[Role, Form()],
) -> Response:
    """Change a user's role (their sessions end: they sign in again under the new role)."""
    user = svc.set_user_role(session=session, actor=actor, user_id=user_id, role=role)
    _forget_sessions(request, session, user_id)
    flash(request, f"{user.username} is now {user.role}.", "success")
    return RedirectResponse("/admin/users", status_code=303)


@router.post("/admin/users/{user_id}/password", name="admin_user_password")
def admin_user_password(
    request: Request,
    session: SessionDep,
    actor: AdminActor,
    user_id: RecordId,
    new_password: Annotated[str, Form(min_length=8, max_length=1000)],
) -> Response:
    """Reset a user's password (their sessions end)."""
    svc.set_password(session=session, actor=actor, user_id=user_id, new_password=new_password)
    _forget_sessions(request, session, user_id)
    flash(request, "Password reset. Tell the user through a safe channel.", "success")
    return RedirectResponse("/admin/users", status_code=303)
