"""Security machinery: CSRF tokens, sign-in throttling, security headers.

Sessions themselves are server-side (:mod:`acuface.web.login_sessions`); the
CSRF token lives in the session, so it changes at every sign-in.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import time
from collections.abc import Mapping, MutableMapping
from typing import Any

from itsdangerous import BadSignature, URLSafeTimedSerializer
from limits import RateLimitItem, RateLimitItemPerSecond
from limits.storage import Storage
from limits.strategies import FixedWindowRateLimiter
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


def name_digest(pepper: bytes, username: str) -> str:
    """Return a keyed hash of a typed user name (32 hex characters).

    Counters and the audit trail keep unknown names only in this form: people
    sometimes type their password into the name field.
    """
    name = username.strip().lower()
    return hmac.new(pepper, b"name:" + name.encode(), hashlib.sha256).hexdigest()[:32]


class KnownDevices:
    """The known-device cookie: which accounts have signed in from this browser.

    After a successful sign-in the browser gets ``acuface_device``, signed with
    the app's key, holding a random device id and keyed hashes of the accounts
    that signed in on it. A sign-in attempt for one of those accounts from that
    browser is counted against the device only, never against the account or the
    address, so an attacker guessing (or spraying names) from the clinic's own
    address cannot lock the staff out of their usual browsers. (OWASP's "device
    cookies" defence against online guessing.)
    """

    COOKIE = "acuface_device"
    MAX_NAMES = 10

    def __init__(self, secret: str, *, max_age_s: int = 180 * 24 * 3600) -> None:
        self.serializer = URLSafeTimedSerializer(secret, salt="acuface.device")
        self.pepper = hmac.new(secret.encode(), b"acuface.names", hashlib.sha256).digest()
        self.max_age_s = max_age_s

    def _load(self, value: str | None) -> dict[str, Any] | None:
        if not value:
            return None
        try:
            data = self.serializer.loads(value, max_age=self.max_age_s)
        except BadSignature:
            return None
        if not isinstance(data, dict) or not isinstance(data.get("d"), str):
            return None
        names = data.get("u")
        return (
            {"d": data["d"], "u": [n for n in names if isinstance(n, str)]}
            if isinstance(names, list)
            else None
        )

    def trusted(self, value: str | None, username: str) -> str | None:
        """Return the device id when this browser has signed in as *username* before."""
        data = self._load(value)
        if data is None or name_digest(self.pepper, username) not in data["u"]:
            return None
        return str(data["d"])

    def remember(self, value: str | None, username: str) -> str:
        """Return the cookie value after *username* signed in on this browser."""
        data = self._load(value) or {"d": secrets.token_urlsafe(16), "u": []}
        digest = name_digest(self.pepper, username)
        names = [n for n in data["u"] if n != digest] + [digest]
        return self.serializer.dumps({"d": data["d"], "u": names[-self.MAX_NAMES :]})


#: How often (seconds) one process deletes the sign-in counters that expired.
PURGE_EVERY_S = 300.0


class LoginThrottle:
    """Sign-in guessing limits that slow brute force but cannot lock the clinic out.

    Fixed windows of ``window_s`` seconds (the ``limits`` library's strategy, on
    storage every server process shares: the database or Redis):

    - per **account**: ``per_account`` failures, from browsers that have not
      signed in as that account before (brute force of one account is slow);
    - per **address**: ``per_address`` failures over all names from such
      browsers (spraying; also bounds the password-hashing work one address
      can cause);
    - per **known device** and account: ``per_device`` failures.

    A browser that signed in as the account before (see :class:`KnownDevices`)
    is only subject to its own device limit: the practitioner at the reception
    PC still signs in while someone behind the same proxy guesses. A throttled
    attempt is refused before its password is checked, so it can neither succeed
    nor reveal anything.

    Parameters
    ----------
    storage : limits storage
        Where the counters live (:func:`acuface.clinic.signins.throttle_storage`).
    pepper : bytes
        Key of the user-name hashes in counter keys.
    per_account, per_address, per_device : int
        Failures allowed per window.
    window_s : int
        Window length in seconds.
    """

    def __init__(
        self,
        storage: Storage,
        *,
        pepper: bytes,
        per_account: int = 10,
        per_address: int = 100,
        per_device: int = 10,
        window_s: int = 900,
    ) -> None:
        self.storage = storage
        self.limiter = FixedWindowRateLimiter(storage)
        self.pepper = pepper
        self.account = RateLimitItemPerSecond(per_account, window_s)
        self.address = RateLimitItemPerSecond(per_address, window_s)
        self.device = RateLimitItemPerSecond(per_device, window_s)
        self._last_purge = 0.0

    def _buckets(
        self, ip: str, username: str, device: str | None
    ) -> list[tuple[RateLimitItem, tuple[str, ...]]]:
        name = name_digest(self.pepper, username)
        if device is not None:
            return [(self.device, ("login-device", device, name))]
        return [
            (self.account, ("login-account", name)),
            (self.address, ("login-address", ip)),
        ]

    def check(self, *, ip: str, username: str, device: str | None) -> None:
        """Raise :class:`TooManyAttempts` if this attempt may not be tried now.

        Parameters
        ----------
        ip : str
            Client address.
        username : str
            The name typed.
        device : str or None
            The known-device id when this browser signed in as *username* before.
        """
        for item, ids in self._buckets(ip, username, device):
            if not self.limiter.test(item, *ids):
                reset_at = self.limiter.get_window_stats(item, *ids).reset_time
                wait_s = max(1, int(reset_at - time.time() + 0.999))
                minutes = max(1, round(wait_s / 60))
                raise TooManyAttempts(
                    f"Too many failed sign-in attempts. Sign-in is paused for about "
                    f"{minutes} minute{'s' if minutes != 1 else ''} (except on browsers "
                    "this account has signed in on before); ask an administrator if you "
                    "have forgotten your password.",
                    retry_after_s=wait_s,
                )

    def record_failure(self, *, ip: str, username: str, device: str | None) -> None:
        """Count one failed sign-in in every bucket the attempt belongs to."""
        for item, ids in self._buckets(ip, username, device):
            self.limiter.hit(item, *ids)
        # Random names leave one counter each; drop the ones whose window has
        # passed now and then (Redis and memory storages expire keys themselves).
        purge = getattr(self.storage, "purge", None)
        if purge is not None and time.time() - self._last_purge > PURGE_EVERY_S:
            self._last_purge = time.time()
            purge()

    def clear(self) -> None:
        """Forget every counter (tests; an administrator's reset)."""
        self.storage.reset()


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
