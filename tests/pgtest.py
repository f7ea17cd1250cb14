"""Where the PostgreSQL tests find their server (one place for every test folder).

``ACUFACE_TEST_POSTGRES_URL`` when set; otherwise PostgreSQL's usual local address
(``postgres`` user, its ``postgres`` database, which every server has), so that
``make test`` on a fresh machine with a local server tests both databases. When
nothing answers, the PostgreSQL tests skip and say why.
"""

from __future__ import annotations

import os
from functools import lru_cache

import sqlalchemy as sa

DEFAULT_PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
PG_URL: str = os.environ.get("ACUFACE_TEST_POSTGRES_URL") or DEFAULT_PG_URL
_FROM = "ACUFACE_TEST_POSTGRES_URL" if os.environ.get("ACUFACE_TEST_POSTGRES_URL") else "default"


@lru_cache(maxsize=1)
def pg_unavailable() -> str | None:
    """Return why PostgreSQL tests cannot run, or None."""
    try:
        engine = sa.create_engine(PG_URL, connect_args={"connect_timeout": 3})
        with engine.connect() as conn:
            conn.execute(sa.text("select 1"))
        engine.dispose()
    except Exception as exc:  # noqa: BLE001
        return (
            f"PostgreSQL at {PG_URL} ({_FROM} address) is unreachable: {type(exc).__name__}: "
            f"{str(exc)[:120]}. Set ACUFACE_TEST_POSTGRES_URL to a reachable server."
        )
    return None
