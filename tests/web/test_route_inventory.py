"""Every route is either on the explicit public list or refuses anonymous requests.

A new route cannot be forgotten: it is protected by default (app-wide sign-in
dependency), and marking it public means adding it to PUBLIC below.
"""

from __future__ import annotations

import re

import pytest
from fastapi.routing import APIRoute, iter_route_contexts
from starlette.routing import Mount, WebSocketRoute
from starlette.websockets import WebSocketDisconnect

from acuface.web.deps import SessionDep, is_public

#: (method, path) pairs reachable without signing in. Keep this list short.
#: The calendar feed is reached by its secret token instead (phone calendars cannot sign in).
PUBLIC = {
    ("GET", "/login"),
    ("POST", "/login"),
    ("GET", "/healthz"),
    ("GET", "/calendar/feed/{token}.ics"),
}
#: Mounts served without a session: static assets only (CSS, JS, vendored htmx).
PUBLIC_MOUNTS = {"/static"}
#: WebSocket routes. FastAPI's app-wide HTTP dependencies do not run for them, so
#: each makes the sign-in, role and same-origin checks itself before accepting.
WEBSOCKETS = {"/live/ws"}


def _concrete(path: str) -> str:
    """Fill path parameters with plausible values (records need not exist)."""
    path = re.sub(r"\{code\}", "ST2", path)
    return re.sub(r"\{[a-z_]+\}", "1", path)


def _routes(app):  # noqa: ANN001, ANN202
    """Yield (method, route context) for every API route, through included routers."""
    for rc in iter_route_contexts(app.routes):
        if isinstance(rc.original_route, APIRoute):
            for method in sorted(rc.methods or ()):
                yield method, rc


def test_public_marks_match_the_explicit_list(app) -> None:  # noqa: ANN001
    marked = {(m, r.path) for m, r in _routes(app) if is_public(r.endpoint)}
    assert marked == PUBLIC


def test_every_other_route_refuses_anonymous_requests(app, anon) -> None:  # noqa: ANN001
    checked = 0
    for method, route in _routes(app):
        if (method, route.path) in PUBLIC:
            continue
        url = _concrete(route.path)
        r = anon.request(method, url, follow_redirects=False)
        if url.startswith("/api/"):
            assert r.status_code == 401, f"{method} {url} answered {r.status_code} anonymously"
            assert r.json()["type"] == "LoginRequired"
        else:
            assert r.status_code == 303, f"{method} {url} answered {r.status_code} anonymously"
            assert r.headers["location"].startswith("/login"), (method, url)
        checked += 1
    # Guard against the loop silently checking nothing (e.g. routes renamed away).
    assert checked >= 40


def test_only_static_mounts_and_no_stray_routes(app, anon) -> None:  # noqa: ANN001
    contexts = list(iter_route_contexts(app.routes))
    mounts = {rc.path for rc in contexts if isinstance(rc.original_route, Mount)}
    assert mounts == PUBLIC_MOUNTS
    sockets = {rc.path for rc in contexts if isinstance(rc.original_route, WebSocketRoute)}
    assert sockets == WEBSOCKETS
    others = [
        rc.path
        for rc in contexts
        if not isinstance(rc.original_route, APIRoute | Mount | WebSocketRoute)
    ]
    # FastAPI's own /docs, /redoc and /openapi.json are switched off; the schema is
    # served by a protected API route instead.
    assert others == []
    assert anon.get("/static/css/app.css").status_code == 200
    assert anon.get("/static/vendor/htmx/htmx.min.js").status_code == 200


def test_public_routes_answer_anonymously(anon) -> None:  # noqa: ANN001
    assert anon.get("/healthz").json() == {"status": "ok"}
    page = anon.get("/login")
    assert page.status_code == 200
    assert 'name="csrf_token"' in page.text


def test_redirect_keeps_the_target_but_never_leaves_the_site(anon) -> None:  # noqa: ANN001
    r = anon.get("/clients?q=ann", follow_redirects=False)
    assert r.headers["location"] == "/login?next=/clients%3Fq%3Dann"
    for evil in ("//evil.example/x", "/%09/evil.example", "/%5Cevil.example", "https://e.x"):
        page = anon.get(f"/login?next={evil}")
        assert 'name="next" value="/today"' in page.text, evil


def test_a_route_added_without_thought_is_protected(web_env) -> None:  # noqa: ANN001
    from fastapi.testclient import TestClient

    from acuface.web.main import create_app
    from acuface.web.settings import WebSettings

    fresh = create_app(WebSettings(core=web_env["settings"]))  # type: ignore[arg-type]
    fresh.add_api_route("/api/new-thing", lambda: {"secret": 1}, methods=["GET"])
    fresh.add_api_route("/new-page", lambda: {"secret": 1}, methods=["GET"])
    anon = TestClient(fresh, base_url="http://127.0.0.1")
    assert anon.get("/api/new-thing").status_code == 401
    assert anon.get("/new-page", follow_redirects=False).status_code == 303
    fresh.state.engine.dispose()


def test_every_websocket_refuses_anonymous_handshakes(anon) -> None:  # noqa: ANN001
    for path in WEBSOCKETS:
        with pytest.raises(WebSocketDisconnect) as info:
            with anon.websocket_connect(
                f"ws://127.0.0.1{path}", headers={"origin": "http://127.0.0.1"}
            ) as ws:
                ws.receive_json()
        assert info.value.code == 1008, path


def test_no_coroutine_route_uses_the_database(app) -> None:  # noqa: ANN001
    """A route that gets a database session is a plain ``def`` (run in a worker thread).

    A coroutine endpoint runs its database calls on the event loop: when one waits
    for SQLite's write lock, every request freezes -- also the one holding the lock,
    whose commit needs the loop -- and both fail after the busy timeout (measured:
    page p95 10 s with two users uploading photos). Read forms with ``FormDep``.
    """
    import inspect
    import typing

    from sqlalchemy.orm import Session

    offenders = []
    for method, rc in _routes(app):
        endpoint = rc.original_route.endpoint
        if not inspect.iscoroutinefunction(endpoint):
            continue
        hints = typing.get_type_hints(endpoint, include_extras=True)
        for name, hint in hints.items():
            base = typing.get_args(hint)[0] if typing.get_origin(hint) is typing.Annotated else hint
            if base is Session:
                offenders.append(f"{method} {rc.original_route.path} ({endpoint.__name__}: {name})")
    assert offenders == [], "async routes with a database session: " + ", ".join(offenders)


async def _async_route_with_db(session: SessionDep) -> None:  # pragma: no cover - never called
    return None


def test_the_check_sees_a_coroutine_route_with_a_session(web_env) -> None:  # noqa: ANN001
    """The check above finds the mistake it is there for (a route added the old way)."""
    from acuface.web.main import create_app
    from acuface.web.settings import WebSettings

    fresh = create_app(WebSettings(core=web_env["settings"]))  # type: ignore[arg-type]
    fresh.add_api_route("/async-with-db", _async_route_with_db, methods=["POST"])
    try:
        with pytest.raises(AssertionError, match="async-with-db"):
            test_no_coroutine_route_uses_the_database(fresh)
    finally:
        fresh.state.engine.dispose()
