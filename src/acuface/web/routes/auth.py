"""Sign in and sign out."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response
from pydantic import BaseModel, Field

from acuface.clinic import services as svc
from acuface.clinic.access import Action, allowed
from acuface.clinic.schemas import UserDTO
from acuface.web import login_sessions
from acuface.web.deps import (
    API_ERRORS,
    ActorDep,
    CurrentUser,
    SessionDep,
    api_router,
    client_ip,
    public,
)
from acuface.web.security import TooManyAttempts, csrf_token, safe_next
from acuface.web.templating import flash, render

router = APIRouter(include_in_schema=False)


@router.get("/login", name="login_form")
@public
def login_form(request: Request, next: str = "/today") -> Response:  # noqa: A002
    """Show the sign-in form (or go straight on when already signed in)."""
    if login_sessions.signed_in_user_id(request) is not None:
        return RedirectResponse(safe_next(next), status_code=303)
    return render(request, "auth/login.html", {"next": safe_next(next), "user": None})


@router.post("/login", name="login")
@public
def login(
    request: Request,
    session: SessionDep,
    username: Annotated[str, Form(max_length=100)],
    password: Annotated[str, Form(max_length=1000)],
    next: Annotated[str, Form()] = "/today",  # noqa: A002
) -> Response:
    """Check the password (argon2, via the clinic services) under the sign-in throttle."""
    throttle = request.app.state.login_throttle
    devices = request.app.state.known_devices
    ip = client_ip(request)
    device_cookie = request.cookies.get(devices.COOKIE)
    device = devices.trusted(device_cookie, username)
    ctx = {"next": safe_next(next), "username": username, "user": None}
    try:
        throttle.check(ip=ip, username=username, device=device)
    except TooManyAttempts as exc:
        resp = render(request, "auth/login.html", {**ctx, "error": exc.message}, status_code=429)
        resp.headers["Retry-After"] = str(exc.retry_after_s)
        return resp
    user = svc.authenticate(
        session=session,
        username=username.strip(),
        password=password,
        ip=ip,
        name_pepper=devices.pepper,
    )
    if user is None:
        # The failure is on record first (and SQLite's write lock is free for the
        # counters, which may live in this same database).
        session.commit()
        throttle.record_failure(ip=ip, username=username, device=device)
        return render(
            request,
            "auth/login.html",
            {**ctx, "error": "User name or password is wrong, or the account is inactive."},
            status_code=401,
        )
    epoch = svc.session_epoch(session=session, user_id=user.id)
    # The sign-in is on record before the session exists (and SQLite's write lock
    # is free for the session store, which may be this same database).
    session.commit()
    # A fresh session on sign-in (new id, new CSRF token): nothing from before carries over.
    login_sessions.start(request, user, epoch=epoch, ip=ip)
    dest = safe_next(next)
    if not allowed(user, Action.OPEN_CLINICAL_PAGES) and dest.startswith(("/atlas", "/admin")):
        dest = "/today"
    done = RedirectResponse(dest, status_code=303)
    # This browser is now known for this account: guessing from elsewhere (or
    # from the same address) does not hold its next sign-in back.
    done.set_cookie(
        devices.COOKIE,
        devices.remember(device_cookie, user.username),
        max_age=devices.max_age_s,
        httponly=True,
        samesite="strict",
        secure=request.app.state.web_settings.cookie_secure,
    )
    return done


@router.post("/logout", name="logout")
def logout(request: Request) -> Response:
    """End the session: the store forgets it, so no copy of the cookie works any more."""
    login_sessions.end(request)
    flash(request, "You have signed out.", "info")
    return RedirectResponse("/login", status_code=303)


@router.get("/", name="home")
def home() -> Response:
    """Send the start page to Today."""
    return RedirectResponse("/today", status_code=303)


@router.get("/healthz", name="healthz")
@public
def healthz() -> dict[str, str]:
    """Liveness check for scripts (no data)."""
    return {"status": "ok"}


# --- JSON API (same session, roles and CSRF as the pages) ---------------------

api = api_router()


class Me(BaseModel):
    """The signed-in user and the CSRF token for unsafe calls."""

    user: UserDTO
    csrf_token: str
    calendar_url: str | None = Field(
        default=None,
        description="The practitioner's private iCalendar feed (secret URL; regenerate on /me).",
    )


@api.get("/openapi.json", include_in_schema=False)
def openapi(request: Request) -> JSONResponse:
    """Return the OpenAPI document of this API (signed-in users only)."""
    return JSONResponse(request.app.openapi())


@api.get("/me", response_model=Me, responses=API_ERRORS)
def me(request: Request, session: SessionDep, user: CurrentUser, actor: ActorDep) -> Me:
    """Who is signed in, the CSRF token for POST/PUT/PATCH/DELETE, a practitioner's feed URL."""
    url = None
    if allowed(user, Action.SUBSCRIBE_CALENDAR):
        token = svc.calendar_feed_token(session=session, actor=actor)
        url = str(request.url_for("calendar_feed", token=token))
    return Me(user=user, csrf_token=csrf_token(request.session), calendar_url=url)
