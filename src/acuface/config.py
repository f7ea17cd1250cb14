"""Settings, read once from the environment (prefix ``ACUFACE_``).

The embedded defaults need no set-up: SQLite and a photo folder under the data
directory. ``DATABASE_URL`` switches to PostgreSQL.
"""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import AliasChoices, Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from acuface.errors import ConfigError

#: The development secret; refused outside ``env="dev"``.
DEV_SECRET = "dev-insecure-secret-change-me"


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
        ``prod`` refuses the development secret.
    secret_key : str
        Signs session cookies and CSRF tokens (``ACUFACE_SECRET_KEY``).
    """

    model_config = SettingsConfigDict(env_prefix="ACUFACE_", extra="ignore")

    data_dir: Path = Field(default_factory=default_data_dir)
    database_url: str | None = Field(
        default=None, validation_alias=AliasChoices("DATABASE_URL", "ACUFACE_DATABASE_URL")
    )
    env: Literal["dev", "prod"] = "dev"
    secret_key: str = DEV_SECRET
    max_upload_mb: float = 25.0
    max_image_pixels: int = 50_000_000

    @model_validator(mode="after")
    def _refuse_placeholder_secret(self) -> Settings:
        if self.env != "dev" and (self.secret_key == DEV_SECRET or len(self.secret_key) < 32):
            raise ConfigError(
                "ACUFACE_SECRET_KEY must be set to a random value of at least 32 characters "
                "outside development (ACUFACE_ENV=prod)."
            )
        return self

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


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """Return the process-wide settings, built once."""
    return Settings()
