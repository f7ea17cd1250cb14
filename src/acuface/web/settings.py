"""Web-only settings layered over :class:`acuface.config.Settings`.

The core settings already refuse the development secret outside ``env="dev"``;
this module adds what only the web app needs (cookie flags, session lifetime,
login rate limits, upload size).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

from acuface.config import Settings, get_settings
from acuface.errors import ConfigError

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


def _env_bool(name: str) -> bool | None:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return None
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ConfigError(f"{name} must be true or false, got {raw!r}.")


@dataclass(frozen=True)
class WebSettings:
    """Settings of the web app.

    Attributes
    ----------
    core : Settings
        Data directory, database URL, secret key, upload limits.
    cookie_secure : bool
        Send the session cookie only over HTTPS. Always on in ``prod``; off by
        default in ``dev`` so that ``http://127.0.0.1`` works
        (``ACUFACE_COOKIE_SECURE``).
    session_idle_s : int
        A session ends after this long without a request.
    session_max_s : int
        A session ends this long after sign-in, active or not.
    login_max_failures : int
        Failed sign-ins allowed per account within ``login_window_s``, from browsers
        that have not signed in as that account before.
    login_max_failures_per_ip : int
        Failed sign-ins allowed per address over all user names from such browsers
        (password spraying; bounds the hashing work one address can cause).
    login_max_failures_per_device : int
        Failed sign-ins allowed per account from a browser it signed in on before
        (such a browser is not held back by the other two limits).
    login_window_s : int
        Length of the throttling window in seconds.
    check_schema : bool
        Refuse to start on an out-of-date database schema.
    live_max_connections : int
        Live camera views served at once (``ACUFACE_LIVE_MAX_CONNECTIONS``); each
        costs one worker process (~200 MB) and up to a third of a core, so the
        default 2 leaves a 2-core server room for everyone else's pages. 0 turns
        the live view off.
    """

    core: Settings = field(default_factory=get_settings)
    cookie_secure: bool = False
    session_idle_s: int = 2 * 3600
    session_max_s: int = 12 * 3600
    login_max_failures: int = 10
    login_max_failures_per_ip: int = 100
    login_max_failures_per_device: int = 10
    login_window_s: int = 15 * 60
    check_schema: bool = True
    live_max_connections: int = 2

    def __post_init__(self) -> None:
        if self.core.env == "prod" and not self.cookie_secure:
            raise ConfigError(
                "ACUFACE_COOKIE_SECURE=false is only allowed in development (ACUFACE_ENV=dev); "
                "serve the app over HTTPS in production."
            )

    @property
    def max_upload_bytes(self) -> int:
        """Largest accepted upload in bytes."""
        return int(self.core.max_upload_mb * 1024 * 1024)

    @classmethod
    def from_env(cls, core: Settings | None = None, **overrides: object) -> WebSettings:
        """Build settings from the environment and *overrides*.

        Reads ``ACUFACE_COOKIE_SECURE`` and ``ACUFACE_LIVE_MAX_CONNECTIONS``.
        """
        core = core or get_settings()
        secure = _env_bool("ACUFACE_COOKIE_SECURE")
        if secure is None:
            secure = core.env == "prod"
        values: dict[str, object] = {"core": core, "cookie_secure": secure}
        live_max = os.environ.get("ACUFACE_LIVE_MAX_CONNECTIONS", "").strip()
        if live_max:
            if not live_max.isdigit():
                raise ConfigError(
                    f"ACUFACE_LIVE_MAX_CONNECTIONS must be a whole number, got {live_max!r}."
                )
            values["live_max_connections"] = int(live_max)
        values.update(overrides)
        return cls(**values)  # type: ignore[arg-type]
