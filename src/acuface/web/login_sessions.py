"""Server-side sign-in sessions: the cookie carries only a random id, signed.

:class:`ServerSessionMiddleware` replaces Starlette's cookie session. The cookie
``acuface_session`` holds a 256-bit random session id signed with
``itsdangerous`` (HttpOnly, SameSite=Lax, Secure unless plain-http development);
everything else (who is signed in, when, from where, the CSRF token, queued
messages) stays in the session store (:mod:`acuface.clinic.signins`: the
database, or Redis), so that ending a session there ends it for every copy of
the cookie and in every server process.

``request.session`` is still a dict: the CSRF machinery and flash messages use
it unchanged. A visitor who has not signed in has no stored session; their CSRF
token is derived from their session id (HMAC with the signing key), so showing
the sign-in page writes nothing. Only a visitor with a message waiting (after
signing out) gets a short-lived stored record.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import time
from dataclasses import dataclass, replace
from typing import Any

import anyio
from itsdangerous import BadSignature, TimestampSigner
from starlette.datastructures import MutableHeaders
from starlette.requests import HTTPConnection
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from acuface.clinic.schemas import UserDTO
from acuface.clinic.signins import LoginSessionRecord, SessionStore, session_key
from acuface.web.security import CSRF_SESSION_KEY

SESSION_COOKIE = "acuface_session"
_STATE = "acuface.login_session"
#: A signed-in session's last-seen time is written at most this often (seconds):
#: one small write a minute per user, not one per request.
TOUCH_S = 60.0
#: Expired sessions are purged from the store at most this often per process.
PURGE_S = 300.0


def _now() -> float:
    """Return the current Unix time (tests replace this to move the clock)."""
    return time.time()


@dataclass
class SessionState:
    """The session of one request, as the middleware and the routes share it."""

    sid: str
    record: LoginSessionRecord | None
    data: dict[str, Any]
    cookie_changed: bool = False

    @property
    def key(self) -> str:
        """Store key of the session id."""
        return session_key(self.sid)

    @property
    def user_id(self) -> int | None:
        """The signed-in user's id, or ``None``."""
        return None if self.record is None else self.record.user_id


@dataclass(frozen=True)
class _SaveStep:
    """What saving a request's session writes: a record to put, a key to drop, a purge."""

    put: LoginSessionRecord | None
    ttl_s: float
    drop: str | None
    purge_before: float | None

    @property
    def writes(self) -> bool:
        """Whether there is anything to write."""
        return self.put is not None or self.drop is not None or self.purge_before is not None


class ServerSessionMiddleware:
    """Load the request's session from the store and save it after the response starts.

    Parameters
    ----------
    app : ASGI app
        The wrapped application.
    store : SessionStore
        Where sessions live.
    secret : str
        Signs the cookie and derives visitors' CSRF tokens.
    idle_s, max_s : float
        A session ends after *idle_s* without a request, and *max_s* after sign-in.
    secure : bool
        Send the cookie over HTTPS only.
    """

    def __init__(
        self,
        app: ASGIApp,
        *,
        store: SessionStore,
        secret: str,
        idle_s: float,
        max_s: float,
        secure: bool,
    ) -> None:
        self.app = app
        self.store = store
        self.secret = secret.encode()
        self.signer = TimestampSigner(secret, salt="acuface.session")
        self.idle_s = idle_s
        self.max_s = max_s
        self.secure = secure
        self._last_purge = 0.0

    # --- the cookie
    def _sid_from(self, scope: Scope) -> str | None:
        for name, value in scope.get("headers", []):
            if name != b"cookie":
                continue
            for part in value.decode("latin-1").split(";"):
                cname, _, cvalue = part.strip().partition("=")
                if cname != SESSION_COOKIE:
                    continue
                try:
                    sid = self.signer.unsign(cvalue, max_age=int(self.max_s)).decode("ascii")
                except (BadSignature, UnicodeDecodeError):
                    continue
                if len(sid) >= 40:
                    return sid
        return None

    def _cookie(self, sid: str) -> str:
        value = self.signer.sign(sid).decode("ascii")
        cookie = (
            f"{SESSION_COOKIE}={value}; Path=/; Max-Age={int(self.max_s)}; HttpOnly; SameSite=lax"
        )
        return cookie + "; Secure" if self.secure else cookie

    def visitor_csrf(self, sid: str) -> str:
        """Return the CSRF token of a visitor's session (HMAC of the id: nothing stored)."""
        digest = hmac.new(self.secret, b"csrf:" + sid.encode(), hashlib.sha256).digest()
        return base64.urlsafe_b64encode(digest).decode().rstrip("=")

    # --- loading and saving
    def _expired(self, record: LoginSessionRecord, now: float) -> bool:
        return now - record.created_at > self.max_s or now - record.last_seen_at > self.idle_s

    def load(self, sid: str | None) -> SessionState:
        """Return the state for a cookie's session id (blocking: store I/O)."""
        record = None
        if sid is not None:
            record = self.store.get(session_key(sid))
            if record is not None and self._expired(record, _now()):
                self.store.delete(record.key)
                record = None
        changed = sid is None
        if sid is None:
            sid = new_sid()
        data = dict(record.data) if record is not None else {}
        if record is None or record.user_id is None:
            data.setdefault(CSRF_SESSION_KEY, self.visitor_csrf(sid))
        return SessionState(sid=sid, record=record, data=data, cookie_changed=changed)

    def plan_save(self, state: SessionState) -> _SaveStep:
        """Decide what :meth:`save` must write (no I/O: the middleware calls it on the loop).

        Most requests write nothing (a signed-in session is touched once a
        :data:`TOUCH_S`), and then need no hop to a worker thread at all.
        """
        now = _now()
        record = state.record
        put: LoginSessionRecord | None = None
        ttl_s = self.idle_s
        drop: str | None = None
        if record is not None and record.user_id is not None:
            if state.data != record.data or now - record.last_seen_at >= TOUCH_S:
                put = replace(record, data=dict(state.data), last_seen_at=now)
        else:
            waiting = {k: v for k, v in state.data.items() if k != CSRF_SESSION_KEY}
            if waiting and (record is None or state.data != record.data):
                put = LoginSessionRecord(
                    key=state.key,
                    user_id=None,
                    username="",
                    epoch=0,
                    created_at=now,
                    last_seen_at=now,
                    ip="",
                    user_agent="",
                    data=dict(state.data),
                )
                ttl_s = min(self.idle_s, 3600)
            elif not waiting and record is not None:
                drop = record.key
        purge = now - self._last_purge > PURGE_S
        if purge:
            self._last_purge = now
        return _SaveStep(
            put=put, ttl_s=ttl_s, drop=drop, purge_before=now - self.idle_s if purge else None
        )

    def save(self, state: SessionState, step: _SaveStep) -> None:
        """Write what :meth:`plan_save` decided (blocking: store I/O)."""
        if step.put is not None:
            self.store.put(step.put, ttl_s=step.ttl_s)
            state.record = step.put
        if step.drop is not None:
            self.store.delete(step.drop)
            state.record = None
        if step.purge_before is not None:
            self.store.purge(seen_before=step.purge_before)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Attach the session to the scope; save it when the response starts."""
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        sid = self._sid_from(scope)
        # Without a cookie there is nothing to read from the store: no thread hop.
        state = self.load(None) if sid is None else await anyio.to_thread.run_sync(self.load, sid)
        scope["session"] = state.data
        scope[_STATE] = state
        scope["acuface.session_middleware"] = self
        if scope["type"] == "websocket":
            await self.app(scope, receive, send)
            return

        async def send_wrapper(message: Message) -> None:
            if message["type"] == "http.response.start":
                step = self.plan_save(state)
                if step.writes:
                    await anyio.to_thread.run_sync(self.save, state, step)
                if state.cookie_changed:
                    MutableHeaders(scope=message).append("Set-Cookie", self._cookie(state.sid))
            await send(message)

        await self.app(scope, receive, send_wrapper)


def new_sid() -> str:
    """Return a new random session id (256 bits, URL-safe)."""
    return secrets.token_urlsafe(32)


def state_of(conn: HTTPConnection) -> SessionState:
    """Return the session state of a request or WebSocket."""
    return conn.scope[_STATE]


def _middleware(conn: HTTPConnection) -> ServerSessionMiddleware:
    return conn.scope["acuface.session_middleware"]


def signed_in_user_id(conn: HTTPConnection) -> int | None:
    """Return the id of the user this request's session is signed in as, or ``None``."""
    return state_of(conn).user_id


def refresh(conn: HTTPConnection) -> None:
    """Re-read the session from the store (a long-lived WebSocket checks it is still on)."""
    mw = _middleware(conn)
    state = state_of(conn)
    record = mw.store.get(state.key)
    if record is not None and mw._expired(record, _now()):
        record = None
    state.record = record


def start(conn: HTTPConnection, user: UserDTO, *, epoch: int, ip: str) -> None:
    """Sign *user* in: a new session id (the old one ends), a new CSRF token.

    Parameters
    ----------
    conn : HTTPConnection
        The sign-in request.
    user : UserDTO
        Who signed in.
    epoch : int
        The user's current ``session_epoch``.
    ip : str
        Client address.
    """
    mw = _middleware(conn)
    state = state_of(conn)
    if state.record is not None:
        mw.store.delete(state.record.key)
    now = _now()
    sid = new_sid()
    data = {CSRF_SESSION_KEY: secrets.token_urlsafe(32)}
    record = LoginSessionRecord(
        key=session_key(sid),
        user_id=user.id,
        username=user.username,
        epoch=epoch,
        created_at=now,
        last_seen_at=now,
        ip=ip[:100],
        user_agent=conn.headers.get("user-agent", "")[:300],
        data=dict(data),
    )
    mw.store.put(record, ttl_s=mw.idle_s)
    state.sid, state.record, state.cookie_changed = sid, record, True
    state.data.clear()
    state.data.update(data)


def end(conn: HTTPConnection) -> None:
    """End this request's session: the store forgets it; the browser gets a new visitor id."""
    mw = _middleware(conn)
    state = state_of(conn)
    mw.store.delete(state.key)
    state.sid, state.record, state.cookie_changed = new_sid(), None, True
    state.data.clear()
    state.data[CSRF_SESSION_KEY] = mw.visitor_csrf(state.sid)


def store_of(conn: HTTPConnection) -> SessionStore:
    """Return the app's session store."""
    return _middleware(conn).store
