"""Security machinery: CSRF tokens, login rate limiting, security headers.

The session itself is Starlette's ``SessionMiddleware``: a cookie signed with
``itsdangerous`` (HttpOnly, SameSite=Lax, Secure unless disabled for plain-http
development). The cookie holds only the user id, sign-in time, last-seen time and
the CSRF token; the user and role are re-read from the clinic services on every
request so that deactivating a user ends their sessions at once.
"""

from __future__ import annotations

import hmac
import re
import secrets
import threading
import time
from collections import deque
from collections.abc import Callable, Mapping, MutableMapping
from typing import Any

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from acuface.errors import AcufaceError

CSRF_SESSION_KEY = "csrf"
CSRF_HEADER = "x-csrf-token"
CSRF_FORM_FIELD = "csrf_token"
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})

#: A local path: one leading slash, then only URL-safe characters (no whitespace or
#: control characters, which browsers strip, turning "/\t/evil" into "//evil").
_LOCAL_PATH = re.compile(r"^/(?![/\\])[A-Za-z0-9\-._~/?=&%+]*$")


def safe_next(path: str) -> str:
    """Return a local path to go to after sign-in (never another site)."""
    if not _LOCAL_PATH.match(path) or path.startswith("/login"):
        return "/today"
    return path


class CsrfError(AcufaceError):
    """A state-changing request without a valid CSRF token."""

    http_status = 403


class LoginRequired(AcufaceError):
    """The request needs a signed-in user."""

    http_status = 401


class TooManyAttempts(AcufaceError):
    """Sign-in temporarily blocked after repeated failures."""

    http_status = 429

    def __init__(self, message: str, retry_after_s: int) -> None:
        super().__init__(message)
        self.retry_after_s = retry_after_s


def csrf_token(session: MutableMapping[str, Any]) -> str:
    """Return the session's CSRF token, creating one on first use.

    Parameters
    ----------
    session : mutable mapping
        The request's session (``request.session``).

    Returns
    -------
    str
        A 43-character URL-safe random token (256 bits).
    """
    token = session.get(CSRF_SESSION_KEY)
    if not isinstance(token, str) or len(token) < 32:
        token = secrets.token_urlsafe(32)
        session[CSRF_SESSION_KEY] = token
    return token


def check_csrf(session: MutableMapping[str, Any], supplied: str | None) -> None:
    """Raise :class:`CsrfError` unless *supplied* equals the session's token.

    The comparison is constant-time; a session without a token never matches.
    """
    expected = session.get(CSRF_SESSION_KEY)
    if not isinstance(expected, str) or not supplied:
        raise CsrfError(
            "The form's security token is missing or expired. Reload the page and try again."
        )
    if not hmac.compare_digest(expected.encode(), supplied.encode()):
        raise CsrfError("The form's security token does not match. Reload the page and try again.")


class LoginRateLimiter:
    """In-memory sign-in failure counter per (address, user name) and per address.

    Sliding window: after ``max_failures`` failures for one user name from one
    address within ``window_s`` seconds, further attempts for that pair are refused
    until the oldest failure leaves the window. A wider per-address limit stops
    one address from trying many user names. A successful sign-in clears the
    pair's failures. State lives in this process only (one server process serves
    a clinic); a restart forgets it.

    Parameters
    ----------
    max_failures : int
        Failures allowed per (address, user name) per window.
    max_failures_per_ip : int
        Failures allowed per address per window, over all user names.
    window_s : float
        Window length in seconds.
    clock : callable, optional
        Returns the current time in seconds; tests pass a fake clock.
    """

    def __init__(
        self,
        *,
        max_failures: int = 5,
        max_failures_per_ip: int = 30,
        window_s: float = 900.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.max_failures = max_failures
        self.max_failures_per_ip = max_failures_per_ip
        self.window_s = window_s
        self.clock = clock
        self._pair: dict[tuple[str, str], deque[float]] = {}
        self._ip: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def _prune(self, q: deque[float], now: float) -> None:
        while q and now - q[0] >= self.window_s:
            q.popleft()

    def check(self, ip: str, username: str) -> None:
        """Raise :class:`TooManyAttempts` if this address/user may not try now."""
        now = self.clock()
        key = (ip, username.strip().lower())
        with self._lock:
            for q, limit in (
                (self._pair.get(key), self.max_failures),
                (self._ip.get(ip), self.max_failures_per_ip),
            ):
                if q is None:
                    continue
                self._prune(q, now)
                if len(q) >= limit:
                    wait_s = max(1, int(self.window_s - (now - q[0]) + 0.999))
                    minutes = max(1, round(wait_s / 60))
                    raise TooManyAttempts(
                        f"Too many failed sign-in attempts. Sign-in is paused for about "
                        f"{minutes} minute{'s' if minutes != 1 else ''}; "
                        "ask an administrator if you have forgotten your password.",
                        retry_after_s=wait_s,
                    )

    def record_failure(self, ip: str, username: str) -> None:
        """Count one failed sign-in."""
        now = self.clock()
        key = (ip, username.strip().lower())
        with self._lock:
            self._pair.setdefault(key, deque()).append(now)
            self._ip.setdefault(ip, deque()).append(now)

    def reset(self, ip: str, username: str) -> None:
        """Forget the failures of this address/user pair (after a successful sign-in)."""
        with self._lock:
            self._pair.pop((ip, username.strip().lower()), None)


#: Content Security Policy: everything from our own origin, no inline script or
#: style, images also from data:/blob: (camera capture previews).
CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data: blob:",
        "media-src 'self' blob:",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)

SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Permissions-Policy": "camera=(self), microphone=(), geolocation=()",
    "Cross-Origin-Opener-Policy": "same-origin",
}


def same_origin(headers: Mapping[str, str], *, secure: bool) -> bool:
    """Whether a WebSocket handshake comes from one of this app's own pages.

    Browsers send the session cookie with a WebSocket handshake from any page on
    the same site and do not apply CSRF tokens to it; the ``Origin`` header, which
    pages cannot forge, is the check instead (cross-site WebSocket hijacking). The
    origin's host must be the ``Host`` the request was sent to; the scheme must be
    https when cookies are secure (behind the TLS proxy the app itself sees plain
    ws://, so the scheme is not compared with the request's).

    Parameters
    ----------
    headers : mapping
        The handshake's headers (lower-case names).
    secure : bool, keyword-only
        Cookies are secure (HTTPS only).
    """
    origin = headers.get("origin", "")
    host = headers.get("host", "")
    if not origin or not host:
        return False
    scheme, sep, netloc = origin.partition("://")
    allowed = ("https",) if secure else ("http", "https")
    return bool(sep) and scheme in allowed and netloc.lower() == host.lower()


class SecurityHeadersMiddleware:
    """Add security headers to every response; ``no-store`` on everything but static files.

    Pages and API answers carry health data, so browsers and proxies must not
    cache them. ``/docs`` (Swagger UI) loads its script from a CDN and would break
    under the CSP, so the app serves its own OpenAPI JSON only (see ``main``).
    """

    def __init__(self, app: ASGIApp, *, hsts: bool = False) -> None:
        self.app = app
        self.hsts = hsts

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Run the app, adding the headers to the response start."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        is_static = str(scope.get("path", "")).startswith("/static/")

        async def send_wrapper(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in SECURITY_HEADERS.items():
                    headers.setdefault(name, value)
                if self.hsts:
                    headers.setdefault("Strict-Transport-Security", "max-age=31536000")
                if not is_static:
                    headers["Cache-Control"] = "no-store"
            await send(message)

        await self.app(scope, receive, send_wrapper)


class BodySizeLimitMiddleware:
    """Refuse request bodies larger than the limit with 413, before any parsing.

    FastAPI parses form and multipart bodies before route dependencies run, so
    without this an anonymous client could make the server spool a huge upload
    before being told to sign in. Checks ``Content-Length`` first and also counts
    streamed (chunked) bodies. Only multipart bodies (photo uploads) may be as
    large as *max_bytes*; JSON and form posts are text typed by people and get
    *max_text_bytes*.
    """

    def __init__(self, app: ASGIApp, *, max_bytes: int, max_text_bytes: int = 1 << 20) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.max_text_bytes = max_text_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Pass the request on, cutting it off once the body exceeds the limit."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.max_text_bytes
        for name, value in scope.get("headers", []):
            if name == b"content-type" and value.lower().startswith(b"multipart/form-data"):
                limit = self.max_bytes
        for name, value in scope.get("headers", []):
            if name == b"content-length":
                try:
                    too_big = int(value) > limit
                except ValueError:
                    too_big = True
                if too_big:
                    await self._reject(send)
                    return
        seen = 0

        async def limited_receive() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    raise _BodyTooLarge
            return message

        try:
            await self.app(scope, limited_receive, send)
        except _BodyTooLarge:
            await self._reject(send)

    async def _reject(self, send: Send) -> None:
        body = (
            b'{"type": "ImageTooLarge", "message": "The request is larger than the upload limit."}'
        )
        await send(
            {
                "type": "http.response.start",
                "status": 413,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(body)).encode()),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})


class _BodyTooLarge(Exception):
    """Raised inside the app when a streamed body passes the limit."""
