"""Settings, read once from the environment (prefix ``ACUFACE_``).

The embedded defaults need no set-up: SQLite and a photo folder under the data
directory. ``DATABASE_URL`` switches to PostgreSQL.
"""

from __future__ import annotations

import os
import secrets
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import AliasChoices, Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from acuface import private
from acuface.errors import ConfigError

#: Secrets that have been published (in this repository's history): never accepted.
KNOWN_SECRETS = frozenset({"dev-insecure-secret-change-me"})
#: Name of the generated signing key in the data directory (development only).
SECRET_FILE = "secret_key"
#: Host names the app answers to unless ``ACUFACE_ALLOWED_HOSTS`` says otherwise.
DEFAULT_ALLOWED_HOSTS = ("localhost", "127.0.0.1")
MIN_SECRET_LEN = 32


def default_data_dir() -> Path:
    """Return the per-user data folder (XDG data home), e.g. ``~/.local/share/acuface``."""
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "acuface"


class Settings(BaseSettings):
    """Acuface settings.

    Attributes
    ----------
    data_dir : Path
        Folder for the SQLite database and the photo store (``ACUFACE_DATA_DIR``).
    database_url : str or None
        SQLAlchemy URL (``DATABASE_URL``); ``None`` means SQLite in ``data_dir``.
    env : {"dev", "prod"}
        ``prod`` requires an explicit secret key and refuses demo data.
    secret_key : str or None
        Signs session cookies (``ACUFACE_SECRET_KEY``). Required in ``prod``; in
        ``dev`` a random key is generated once into ``data_dir/secret_key`` (mode
        0600), see :meth:`signing_key`. Published secrets are refused everywhere.
    allowed_hosts : str or None
        Comma-separated host names the web app answers to (``ACUFACE_ALLOWED_HOSTS``);
        unset means ``localhost,127.0.0.1``. Other ``Host`` headers get 400, which
        stops DNS rebinding from a web page.
    redis_url : str or None
        ``ACUFACE_REDIS_URL``: keep web sessions and sign-in throttling in Redis
        instead of the database.
    trusted_proxies : str or None
        ``ACUFACE_TRUSTED_PROXIES``: comma-separated addresses of reverse proxies
        whose ``X-Forwarded-For`` names the client; unset means the peer address.
    location_standard : str or None
        Where standards place a point differently (GV26), which one the
        locator draws (``ACUFACE_LOCATION_STANDARD``: ``who2008``, the
        default, or ``gbt12346``); see docs/points.md.
    analysis_workers : int or None
        Photo-analysis worker processes per server process (``ACUFACE_ANALYSIS_WORKERS``);
        unset: one per CPU core, at most two.
    analysis_timeout_s : float
        Longest the analysis of one upload may take before its worker is stopped.
    analysis_memory_mb : int
        Address-space limit of each analysis worker in MiB.
    phone_region : str
        Two-letter region (``GB``, ``DE``) for client phone numbers typed without
        ``+`` and a country code; numbers are stored in international format.
    """

    model_config = SettingsConfigDict(env_prefix="ACUFACE_", extra="ignore")

    data_dir: Path = Field(default_factory=default_data_dir)
    database_url: str | None = Field(
        default=None, validation_alias=AliasChoices("DATABASE_URL", "ACUFACE_DATABASE_URL")
    )
    env: Literal["dev", "prod"] = "dev"
    secret_key: str | None = None
    allowed_hosts: str | None = None
    redis_url: str | None = None
    trusted_proxies: str | None = None
    max_upload_mb: float = 25.0
    max_image_pixels: int = 50_000_000
    location_standard: str | None = None
    analysis_workers: int | None = Field(default=None, ge=1, le=64)
    analysis_timeout_s: float = Field(default=60.0, gt=0)
    analysis_memory_mb: int = Field(default=3072, ge=256)
    phone_region: str = Field(
        default="GB",
        pattern=r"^[A-Z]{2}$",
        description="Region of phone numbers typed without a +country code (ISO 3166).",
    )

    @model_validator(mode="after")
    def _refuse_unsafe_secret(self) -> Settings:
        if self.secret_key is not None:
            _check_secret(self.secret_key, "ACUFACE_SECRET_KEY")
        elif self.env != "dev":
            raise ConfigError(
                "ACUFACE_SECRET_KEY must be set to a random value of at least 32 characters "
                "outside development (ACUFACE_ENV=prod), e.g. from "
                "`python -c 'import secrets; print(secrets.token_urlsafe(48))'`."
            )
        return self

    def signing_key(self) -> str:
        """Return the key that signs cookies.

        ``ACUFACE_SECRET_KEY`` when set; otherwise (development only) the key in
        ``data_dir/secret_key``, generated on first use with 384 random bits and
        written with mode 0600. Concurrent first runs agree on one key: the file is
        created exclusively and a loser reads the winner's.

        Returns
        -------
        str
            The key.
        """
        if self.secret_key is not None:
            return self.secret_key
        path = self.data_dir / SECRET_FILE
        private.make_dir(self.data_dir)
        if not path.exists():
            try:
                fd = private.open_new(path)
            except FileExistsError:
                pass
            else:
                with os.fdopen(fd, "w", encoding="ascii") as fh:
                    fh.write(secrets.token_urlsafe(48) + "\n")
                    fh.flush()
                    os.fsync(fh.fileno())
        private.tighten(path, private.FILE_MODE)
        key = path.read_text(encoding="ascii").strip()
        _check_secret(key, str(path))
        return key

    @property
    def allowed_host_list(self) -> list[str]:
        """Host names the web app answers to (``ACUFACE_ALLOWED_HOSTS`` or the defaults)."""
        if self.allowed_hosts is None or not self.allowed_hosts.strip():
            return list(DEFAULT_ALLOWED_HOSTS)
        return [h.strip().lower() for h in self.allowed_hosts.split(",") if h.strip()]

    @property
    def allowed_hosts_set(self) -> bool:
        """Whether ``ACUFACE_ALLOWED_HOSTS`` was given explicitly."""
        return bool(self.allowed_hosts and self.allowed_hosts.strip())

    @property
    def trusted_proxy_list(self) -> list[str]:
        """Addresses of trusted reverse proxies (empty: proxy headers are ignored)."""
        if not self.trusted_proxies:
            return []
        return [p.strip() for p in self.trusted_proxies.split(",") if p.strip()]

    @property
    def analysis_worker_count(self) -> int:
        """Analysis worker processes per server process."""
        if self.analysis_workers is not None:
            return self.analysis_workers
        return max(1, min(2, os.cpu_count() or 1))

    @property
    def sqlalchemy_url(self) -> str:
        """The database URL in effect: ``DATABASE_URL`` or SQLite in the data directory."""
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'acuface.sqlite3').as_posix()}"

    @property
    def photo_dir(self) -> Path:
        """Folder of the content-addressed photo store."""
        return self.data_dir / "photos"


def _check_secret(key: str, where: str) -> None:
    if key in KNOWN_SECRETS:
        raise ConfigError(
            f"{where} holds a secret published in the Acuface repository; anyone could forge "
            "sessions with it. Set ACUFACE_SECRET_KEY to a random value of at least 32 "
            "characters (or unset it in development to have one generated)."
        )
    if len(key) < MIN_SECRET_LEN:
        raise ConfigError(
            f"{where} must be a random value of at least {MIN_SECRET_LEN} characters."
        )


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """Return the process-wide settings, built once."""
    return Settings()
