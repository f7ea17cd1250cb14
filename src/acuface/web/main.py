"""The FastAPI application factory.

``create_app()`` wires settings, the database engine, the server-side sessions,
security headers, the app-wide sign-in and CSRF dependencies, the page routes and
the JSON API (OpenAPI at ``/api/openapi.json``, signed-in users only).
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any
from urllib.parse import quote

import anyio
from fastapi import Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from pydantic import ValidationError
from sqlalchemy.exc import SQLAlchemyError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.middleware.trustedhost import TrustedHostMiddleware
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

import acuface
from acuface.clinic import db
from acuface.clinic import services as svc
from acuface.clinic.analysis import AnalysisLimits, AnalysisPool
from acuface.clinic.photostore import get_photo_store
from acuface.clinic.schemas import Actor, UserDTO
from acuface.clinic.signins import session_store, throttle_storage
from acuface.config import Settings
from acuface.errors import AcufaceError, WorkerPoolBusy
from acuface.web.deps import auth_gate, client_ip, csrf_protect, error_status, is_api
from acuface.web.live import LiveHub
from acuface.web.login_sessions import ServerSessionMiddleware
from acuface.web.routes import ROUTERS
from acuface.web.security import (
    BodySizeLimitMiddleware,
    KnownDevices,
    LoginRequired,
    LoginThrottle,
    SecurityHeadersMiddleware,
    TooManyAttempts,
    safe_next,
)
from acuface.web.settings import WebSettings
from acuface.web.templating import render
from acuface.workers import WorkerLimits

STATIC_DIR = Path(__file__).parent / "static"
logger = logging.getLogger(__name__)


def _error_response(
    request: Request, status: int, title: str, message: str, payload: dict[str, Any]
) -> Response:
    if is_api(request) or "text/html" not in request.headers.get("accept", "text/html"):
        return JSONResponse(payload, status_code=status)
    # An error that says where to fix it (ConsentMissing: the consent form) links there.
    link = payload.get("link")
    return render(
        request,
        "error.html",
        {"title": title, "message": message, "link": link if isinstance(link, str) else None},
        status_code=status,
    )


def _audit_refusal(request: Request, status: int, reason: str) -> None:
    """Audit a 403 or 404 answer in a short transaction of its own (runs in a thread)."""
    user = getattr(request.state, "user", None)
    ip = client_ip(request)
    actor = Actor.from_user(user, ip) if isinstance(user, UserDTO) else None
    try:
        with db.session_scope(request.app.state.engine) as session:
            svc.record_refusal(
                session=session,
                actor=actor,
                source=ip,
                status=status,
                method=request.method,
                path=request.url.path,
                reason=reason,
            )
    except SQLAlchemyError:
        # The answer still goes out; the failure is in the server log.
        logger.exception("could not audit a refused request to %s", request.url.path)


async def _audit_if_refused(request: Request, status: int, reason: str, *, any_path: bool) -> None:
    """Audit 403s, and 404s of services (or of any client path when *any_path* is false)."""
    if status not in (403, 404):
        return
    if status == 404 and not any_path and svc.client_of_path(request.url.path) is None:
        return  # a mistyped page or a missing static file is not a probe of a record
    await anyio.to_thread.run_sync(_audit_refusal, request, status, reason)


def _install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(LoginRequired)
    async def _login_required(request: Request, exc: LoginRequired) -> Response:
        if is_api(request):
            return JSONResponse(exc.to_dict(), status_code=401)
        target = request.url.path
        if request.url.query:
            target += "?" + request.url.query
        if request.method != "GET":
            target = "/today"
        return RedirectResponse(f"/login?next={quote(safe_next(target))}", status_code=303)

    @app.exception_handler(TooManyAttempts)
    async def _too_many(request: Request, exc: TooManyAttempts) -> Response:
        resp = _error_response(request, 429, "Too many attempts", exc.message, exc.to_dict())
        resp.headers["Retry-After"] = str(exc.retry_after_s)
        return resp

    @app.exception_handler(WorkerPoolBusy)
    async def _busy(request: Request, exc: WorkerPoolBusy) -> Response:
        resp = _error_response(request, 503, "Busy", exc.message, exc.to_dict())
        resp.headers["Retry-After"] = str(exc.retry_after_s)
        return resp

    @app.exception_handler(AcufaceError)
    async def _acuface_error(request: Request, exc: AcufaceError) -> Response:
        status = error_status(exc)
        await _audit_if_refused(request, status, type(exc).__name__, any_path=True)
        titles = {
            403: "Not allowed",
            404: "Not found",
            409: "Conflict",
            413: "Too large",
            415: "Unsupported file",
            422: "Cannot do that",
            503: "Unavailable",
        }
        return _error_response(
            request, status, titles.get(status, "Something is wrong"), exc.message, exc.to_dict()
        )

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> Response:
        errors = exc.errors()
        parts = []
        for e in errors[:5]:
            loc = ".".join(str(x) for x in e.get("loc", ()) if x not in ("body", "query", "path"))
            parts.append(f"{loc or 'input'}: {e.get('msg', 'invalid')}")
        message = "Some fields are invalid — " + "; ".join(parts)
        payload = {
            "type": "ValidationError",
            "message": message,
            "detail": [{"loc": list(e.get("loc", ())), "msg": e.get("msg")} for e in errors[:20]],
        }
        return _error_response(request, 422, "Invalid input", message, payload)

    @app.exception_handler(ValidationError)
    async def _pydantic(request: Request, exc: ValidationError) -> Response:
        # Input models built inside a route or service (not by FastAPI) end up here.
        errs = exc.errors()
        err: dict[str, Any] = dict(errs[0]) if errs else {}
        where = ".".join(str(x) for x in err.get("loc", ()))
        message = f"Invalid input: {where + ': ' if where else ''}{err.get('msg', 'invalid')}"
        return _error_response(
            request, 422, "Invalid input", message, {"type": "ValidationError", "message": message}
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> Response:
        message = str(exc.detail) if exc.detail else "Request failed."
        await _audit_if_refused(request, exc.status_code, "HTTPException", any_path=False)
        resp = _error_response(
            request,
            exc.status_code,
            "Not found" if exc.status_code == 404 else "Request failed",
            message,
            {"type": "HTTPError", "message": message},
        )
        for k, v in (exc.headers or {}).items():
            resp.headers[k] = v
        return resp


@asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    # Start the analysis workers while the server starts, so that the first upload
    # does not wait for a Face Mesh; stop them with the server.
    app.state.analysis_pool.pool.warm_up()
    try:
        yield
    finally:
        app.state.analysis_pool.close()


def create_app(settings: Settings | WebSettings | None = None) -> FastAPI:
    """Build the Acuface web application.

    Parameters
    ----------
    settings : Settings or WebSettings, optional
        Core or web settings; default from the environment. ``WebSettings.check_schema``
        (on by default) makes start-up fail with ``SchemaOutOfDate`` on an old schema.

    Returns
    -------
    FastAPI
        The app; ``app.state`` holds ``web_settings``, ``engine``, ``photo_store``,
        ``session_store``, ``login_throttle``, ``known_devices`` and ``live_hub``
        (live camera views).
    """
    if isinstance(settings, WebSettings):
        ws = settings
    else:
        ws = WebSettings.from_env(core=settings)
    engine = db.make_engine(ws.core.sqlalchemy_url)
    if ws.check_schema:
        db.check_schema_current(engine)

    app = FastAPI(
        title="Acuface",
        version=getattr(acuface, "__version__", "0.1.0"),
        description=(
            "JSON API of Acuface, decision support for facial acupuncture (for licensed "
            "practitioners; it does not diagnose). Sign in through `POST /login` (form) to "
            "get the session cookie; unsafe methods need the `X-CSRF-Token` header with the "
            "token from `GET /api/me`."
        ),
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
        dependencies=[Depends(auth_gate), Depends(csrf_protect)],
        lifespan=_lifespan,
    )

    app.state.web_settings = ws
    app.state.engine = engine
    app.state.photo_store = get_photo_store(ws.core.photo_dir)

    app.state.live_hub = LiveHub(ws.live_max_connections)
    app.state.analysis_pool = AnalysisPool(
        size=ws.core.analysis_worker_count,
        limits=AnalysisLimits(
            max_pixels=ws.core.max_image_pixels,
            max_bytes=ws.max_upload_bytes,
            workers=WorkerLimits(
                start_timeout_s=180.0,
                call_timeout_s=ws.core.analysis_timeout_s,
                memory_mb=ws.core.analysis_memory_mb,
            ),
        ),
    )
    secret = ws.core.signing_key()
    app.state.known_devices = KnownDevices(secret)
    # Counters shared by every server process (database, or Redis when configured).
    app.state.login_throttle = LoginThrottle(
        throttle_storage(engine, ws.core.redis_url),
        pepper=app.state.known_devices.pepper,
        per_account=ws.login_max_failures,
        per_address=ws.login_max_failures_per_ip,
        per_device=ws.login_max_failures_per_device,
        window_s=ws.login_window_s,
    )
    # Sessions live in the database (or Redis): every server process sees the
    # same ones, and ending one ends it for every copy of its cookie.
    app.state.session_store = session_store(engine, ws.core.redis_url)
    app.add_middleware(
        ServerSessionMiddleware,
        store=app.state.session_store,
        secret=secret,
        idle_s=ws.session_idle_s,
        max_s=ws.session_max_s,
        secure=ws.cookie_secure,
    )
    # Uploads may be max_upload_bytes; the rest of a multipart body is small.
    app.add_middleware(BodySizeLimitMiddleware, max_bytes=ws.max_upload_bytes + 256 * 1024)
    app.add_middleware(SecurityHeadersMiddleware, hsts=ws.cookie_secure)
    # Answer only to our own host names: a page on another site that points its
    # DNS name at 127.0.0.1 (DNS rebinding) gets 400, never the clinic's data.
    app.add_middleware(TrustedHostMiddleware, allowed_hosts=ws.core.allowed_host_list)
    if ws.core.trusted_proxy_list:
        # The client address (login throttling, audit) from X-Forwarded-For, but
        # only when the peer is one of the configured proxies.
        app.add_middleware(ProxyHeadersMiddleware, trusted_hosts=ws.core.trusted_proxy_list)
    app.mount("/static", StaticFiles(directory=str(STATIC_DIR)), name="static")
    _install_error_handlers(app)

    for router in ROUTERS:
        app.include_router(router)
    return app
