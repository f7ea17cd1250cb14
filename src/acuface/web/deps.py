"""FastAPI dependencies: database session, current user, roles, CSRF.

Every route is protected by default: ``create_app`` installs :func:`auth_gate`
and :func:`csrf_protect` as app-wide dependencies. A route opts out of the sign-in
requirement only with the :func:`public` decorator (login page, health check),
and the route inventory test lists those routes by name.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator
from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, Depends, Path, Query, Request
from sqlalchemy.orm import Session
from starlette.datastructures import FormData
from starlette.requests import HTTPConnection

from acuface.clinic import db
from acuface.clinic import services as svc
from acuface.clinic.access import Action, allowed, roles_for
from acuface.clinic.paging import DEFAULT_PAGE_SIZE, PageRequest
from acuface.clinic.schemas import Actor, UserDTO
from acuface.errors import AcufaceError, PermissionDenied
from acuface.web import login_sessions
from acuface.web.security import (
    CSRF_FORM_FIELD,
    CSRF_HEADER,
    UNSAFE_METHODS,
    LoginRequired,
    check_csrf,
)

F = TypeVar("F", bound=Callable[..., Any])


def public(endpoint: F) -> F:
    """Mark a route endpoint as reachable without signing in."""
    endpoint._acuface_public = True  # type: ignore[attr-defined]
    return endpoint


def is_public(endpoint: object) -> bool:
    """Whether *endpoint* was marked with :func:`public`."""
    return bool(getattr(endpoint, "_acuface_public", False))


def client_ip(request: HTTPConnection) -> str:
    """Return the client address.

    The peer address, or the one a trusted proxy names in ``X-Forwarded-For``
    (``ACUFACE_TRUSTED_PROXIES``; the app rewrites the peer address only then).
    """
    return request.client.host if request.client else "unknown"


def get_db(request: Request) -> Iterator[Session]:
    """Yield one database session per request: commit on success, roll back on error."""
    engine = request.app.state.engine
    with db.session_scope(engine) as session:
        yield session


# scope="function": commit before the response is sent, so a redirect after a
# POST never races the commit and a failed commit is an error, not a lost write.
SessionDep = Annotated[Session, Depends(get_db, scope="function")]


async def read_form(request: Request) -> FormData:
    """Return the request's parsed form (read on the event loop, once per request)."""
    return await request.form()


async def read_body(request: Request) -> bytes:
    """Return the request's raw body (read on the event loop)."""
    return await request.body()


# Routes that use the database are plain ``def`` (FastAPI runs them in a worker
# thread) and get the form or body through these: a coroutine endpoint would run
# its database calls on the event loop, where waiting for SQLite's write lock
# freezes every request -- including the one holding the lock, whose commit also
# needs the loop (a 10 s stall, then "database is locked"). tests/web/
# test_route_inventory.py refuses a coroutine endpoint with a database session.
FormDep = Annotated[FormData, Depends(read_form)]
BodyDep = Annotated[bytes, Depends(read_body)]


def _load_user(request: HTTPConnection, session: Session) -> UserDTO:
    """Return the signed-in, active user of *request* or raise :class:`LoginRequired`.

    The session middleware has already refused expired sessions; here the user
    must still exist, be active, and have the session epoch the session began
    with (a password reset, role change or deactivation since then ends it).
    """
    cached = getattr(request.state, "user", None)
    if isinstance(cached, UserDTO):
        return cached
    if request.scope["type"] == "websocket":
        login_sessions.refresh(request)  # a long-lived view re-checks the store
    record = login_sessions.state_of(request).record
    if record is None or record.user_id is None:
        raise LoginRequired("Please sign in.")
    user = svc.load_session_user(session=session, user_id=record.user_id, epoch=record.epoch)
    if user is None:  # removed, deactivated, or its password or role changed
        if request.scope["type"] == "http":
            login_sessions.end(request)
        raise LoginRequired("Your session has ended. Please sign in again.")
    request.state.user = user
    return user


def load_user(conn: HTTPConnection, session: Session) -> UserDTO:
    """Return the signed-in, active user of a request or WebSocket, or raise LoginRequired.

    WebSocket routes cannot use the app-wide HTTP dependencies; they call this with
    their own database session (same cookie, same timeouts, same deactivation rule).
    """
    return _load_user(conn, session)


def auth_gate(request: Request, session: SessionDep) -> None:
    """App-wide dependency: every non-public route needs a signed-in, active user."""
    route = request.scope.get("route")
    if is_public(getattr(route, "endpoint", None)):
        return
    _load_user(request, session)


async def csrf_protect(request: Request) -> None:
    """App-wide dependency: unsafe methods need the session's CSRF token.

    JSON and other API calls send it in the ``X-CSRF-Token`` header (``GET /api/me``
    returns it); HTML forms in the ``csrf_token`` field.
    """
    if request.method not in UNSAFE_METHODS:
        return
    supplied = request.headers.get(CSRF_HEADER)
    if not supplied:
        ctype = request.headers.get("content-type", "")
        if ctype.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
            form = await request.form()
            value = form.get(CSRF_FORM_FIELD)
            supplied = value if isinstance(value, str) else None
    check_csrf(request.session, supplied)


# The dependencies below do no I/O, so they are coroutines: FastAPI runs a plain
# ``def`` dependency in a worker thread, and under load each hop to a thread
# waits for the GIL behind the threads already running (up to the 5 ms switch
# interval each): a page paid ten such hops before this, now about five.


async def get_current_user(request: Request) -> UserDTO:
    """Return the signed-in user, loaded by the app-wide :func:`auth_gate`.

    ``auth_gate`` runs before every non-public route's own dependencies, so the
    user is always there; a public route that asked for one has none to get.
    """
    user = getattr(request.state, "user", None)
    if not isinstance(user, UserDTO):
        raise LoginRequired("Please sign in.")
    return user


CurrentUser = Annotated[UserDTO, Depends(get_current_user)]


async def get_actor(request: Request, user: CurrentUser) -> Actor:
    """Return the :class:`Actor` for service calls: the user, from the client's address."""
    return Actor.from_user(user, client_ip(request))


ActorDep = Annotated[Actor, Depends(get_actor)]


def require(action: Action) -> Callable[[UserDTO], Awaitable[UserDTO]]:
    """Build a dependency that admits only users allowed *action* by the access policy.

    The services enforce the same :data:`~acuface.clinic.access.POLICY`; checking
    here too gives a clean 403 before any work.
    """

    async def checker(user: CurrentUser) -> UserDTO:
        if not allowed(user, action):
            raise PermissionDenied(
                f"Your role ({user.role}) may not {action.value}; it needs "
                f"{' or '.join(sorted(roles_for(action)))}."
            )
        return user

    return checker


AdminUser = Annotated[UserDTO, Depends(require(Action.OPEN_ADMIN_PAGES))]
ClinicalUser = Annotated[UserDTO, Depends(require(Action.OPEN_CLINICAL_PAGES))]


async def clinical_actor(request: Request, user: ClinicalUser) -> Actor:
    """Actor of a clinical route (admin or practitioner only)."""
    return Actor.from_user(user, client_ip(request))


async def admin_actor(request: Request, user: AdminUser) -> Actor:
    """Actor of an admin route."""
    return Actor.from_user(user, client_ip(request))


ClinicalActor = Annotated[Actor, Depends(clinical_actor)]
AdminActor = Annotated[Actor, Depends(admin_actor)]


def is_api(request: Request) -> bool:
    """Whether the request is for the JSON API (errors as JSON, 401 instead of redirect)."""
    return request.url.path.startswith("/api/")


def error_status(exc: AcufaceError) -> int:
    """HTTP status for an Acuface error."""
    return int(getattr(exc, "http_status", 400))


#: A record id in a path: positive and within a 32-bit signed integer, so that an
#: absurd id is a clean 422 rather than a database overflow.
RecordId = Annotated[int, Path(ge=1, le=2_147_483_647)]


async def page_query(
    page: Annotated[int, Query(ge=1, le=1_000_000)] = 1,
    size: Annotated[int, Query(ge=1, le=1_000_000)] = DEFAULT_PAGE_SIZE,
) -> PageRequest:
    """Return the page asked for in the query string (``?page=&size=``), size capped."""
    return PageRequest.of(page, size)


#: The page of a paged list (clients, audit, photos, sessions).
PageDep = Annotated[PageRequest, Depends(page_query)]


#: Error answers every JSON endpoint documents (each is ``{"type", "message"}``).
API_ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"description": "Not signed in"},
    403: {"description": "Role not allowed, or CSRF token missing"},
    404: {"description": "No such record"},
    422: {"description": "Invalid input"},
}


def api_router() -> APIRouter:
    """Return a router for a resource's JSON endpoints (under ``/api``, in the OpenAPI)."""
    return APIRouter(prefix="/api", tags=["api"])
