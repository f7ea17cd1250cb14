"""Database engine, sessions and schema version checks.

SQLite (the embedded default) gets, on every connection: foreign keys on, WAL
journal (readers do not block the writer, and the online backup works while the
app runs), a busy timeout instead of immediate "database is locked" errors, and
``synchronous=FULL`` because these are health records and a commit must survive
a power cut. PostgreSQL is used as configured by ``DATABASE_URL``.

Transactions stay short: a read takes no write lock at all (its audit entry is
group-committed after it, :mod:`acuface.clinic.auditlog`), and the Python driver
begins a write transaction only at the first INSERT, UPDATE or DELETE.

Migrations are Alembic scripts packaged in :mod:`acuface.clinic.migrations`,
configured here in code so that ``acuface db upgrade`` works from an installed
package without an ``alembic.ini``.
"""

from __future__ import annotations

import json
import threading
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from acuface import private
from acuface.clinic import auditlog
from acuface.config import get_settings
from acuface.errors import AcufaceError, InvalidRecord, SchemaOutOfDate

_MIGRATIONS = Path(__file__).with_name("migrations")
_engines: dict[str, Engine] = {}
_makers: weakref.WeakKeyDictionary[Engine, sessionmaker[Session]] = weakref.WeakKeyDictionary()
_lock = threading.Lock()


def _sqlite_on_connect(dbapi_conn: Any, _record: Any) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA busy_timeout=10000")
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=FULL")
    cur.close()


_NUL_MESSAGE = (
    "A text contains a NUL character (\\x00), which cannot be stored; remove it and try again."
)


def _has_nul(value: Any) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_has_nul(k) or _has_nul(v) for k, v in value.items())
    if isinstance(value, list | tuple):
        return any(_has_nul(v) for v in value)
    return False


def _json_dumps(value: Any) -> str:
    # PostgreSQL's JSONB refuses \u0000 and SQLite would keep it: refuse it on both.
    if _has_nul(value):
        raise InvalidRecord(_NUL_MESSAGE)
    return json.dumps(value)


def _refuse_nul(
    _conn: Any, _cursor: Any, _statement: str, params: Any, _context: Any, _executemany: bool
) -> None:
    # PostgreSQL cannot hold NUL in text (the driver raises, which was a 500) and
    # SQLite silently stores it: the same clean 422 on every database, for writes
    # and for look-ups (a user name typed with a NUL) alike.
    if _params_have_nul(params):
        raise InvalidRecord(_NUL_MESSAGE)


def _params_have_nul(params: Any) -> bool:
    # One row (tuple or dict) or, for executemany, a list of rows.
    if isinstance(params, str):
        return "\x00" in params
    if isinstance(params, dict):
        return any(_params_have_nul(v) for v in params.values())
    if isinstance(params, list | tuple):
        return any(_params_have_nul(v) for v in params)
    return False


def _unwrap_acuface_error(context: Any) -> None:
    # An Acuface error raised while binding parameters (e.g. by the JSON serializer)
    # comes back wrapped in SQLAlchemy's StatementError; raise it as itself.
    if isinstance(context.original_exception, AcufaceError):
        raise context.original_exception


def _install_guards(engine: Engine) -> None:
    event.listen(engine, "before_cursor_execute", _refuse_nul)
    event.listen(engine, "handle_error", _unwrap_acuface_error)
    auditlog.instrument_engine(engine)


def make_engine(url: str | None = None, **kwargs: Any) -> Engine:
    """Create an engine for *url* (default: the configured database).

    Parameters
    ----------
    url : str, optional
        SQLAlchemy URL; defaults to ``get_settings().sqlalchemy_url``.
    **kwargs
        Passed to :func:`sqlalchemy.create_engine` (e.g. ``connect_args``).

    Returns
    -------
    Engine
        For SQLite, the database folder is created and every connection is
        configured (foreign keys, WAL, busy timeout, synchronous=FULL).
    """
    if url is None:
        url = get_settings().sqlalchemy_url
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            # Created here with mode 0600 (SQLite would use the umask); its -wal and
            # -shm files take the same mode.
            private.touch_file(Path(parsed.database))
        kwargs.setdefault("json_serializer", _json_dumps)
        if parsed.database and parsed.database != ":memory:":
            # One connection per request thread (the server runs up to 40 sync
            # routes at once), kept open: SQLite connections are cheap to hold, but
            # each new one pays its PRAGMAs and re-reads the schema, and a pool of 10
            # with overflow closed and reopened one for most requests under load.
            kwargs.setdefault("pool_size", 40)
            kwargs.setdefault("max_overflow", 10)
        engine = create_engine(url, **kwargs)
        event.listen(engine, "connect", _sqlite_on_connect)
        _install_guards(engine)
        return engine
    kwargs.setdefault("pool_pre_ping", True)
    # Enough for the request threads of one server process; each of N processes
    # (serve --workers N) has its own pool, within PostgreSQL's max_connections.
    # Most of them stay open: an overflow connection is closed when returned, and
    # opening one starts a PostgreSQL backend process (milliseconds each).
    kwargs.setdefault("pool_size", 20)
    kwargs.setdefault("max_overflow", 10)
    kwargs.setdefault("json_serializer", _json_dumps)
    engine = create_engine(url, **kwargs)
    _install_guards(engine)
    return engine


def get_engine(url: str | None = None) -> Engine:
    """Return the process-wide engine for *url* (default: the configured database)."""
    if url is None:
        url = get_settings().sqlalchemy_url
    with _lock:
        engine = _engines.get(url)
        if engine is None:
            engine = _engines[url] = make_engine(url)
        return engine


def get_sessionmaker(engine: Engine | None = None) -> sessionmaker[Session]:
    """Return a session factory bound to *engine* (objects stay usable after commit).

    Its sessions hold the audit entries of reads until their transaction ends and
    group-commit them then (:mod:`acuface.clinic.auditlog`): a read never takes
    the write lock.
    """
    engine = engine or get_engine()
    with _lock:
        maker = _makers.get(engine)
        if maker is None:
            maker = _makers[engine] = sessionmaker(
                bind=engine, expire_on_commit=False, class_=auditlog.AuditedSession
            )
        return maker


@contextmanager
def session_scope(engine: Engine | None = None) -> Iterator[Session]:
    """Yield a session that commits on success and rolls back on any error."""
    session = get_sessionmaker(engine)()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


def alembic_config(engine: Engine | None = None) -> Any:
    """Return an Alembic ``Config`` for the packaged migrations (no ini file)."""
    cfg = Config()
    cfg.set_main_option("script_location", str(_MIGRATIONS))
    if engine is not None:
        cfg.attributes["engine"] = engine
    return cfg


def head_revision() -> str:
    """Return the newest migration revision the code expects."""
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None
    return head


def current_revision(engine: Engine | None = None) -> str | None:
    """Return the database's migration revision, or ``None`` for an empty database."""
    engine = engine or get_engine()
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def upgrade(engine: Engine | None = None, revision: str = "head") -> None:
    """Apply migrations up to *revision* (default: the newest)."""
    command.upgrade(alembic_config(engine or get_engine()), revision)


def check_schema_current(engine: Engine | None = None) -> None:
    """Refuse to work on a database whose schema does not match the code.

    Raises
    ------
    SchemaOutOfDate
        With the database's and the code's revisions and the command to run.
    """
    engine = engine or get_engine()
    head = head_revision()
    current = current_revision(engine)
    if current == head:
        return
    where = engine.url.render_as_string(hide_password=True)
    if current is None:
        raise SchemaOutOfDate(
            f"The database at {where} has no Acuface tables yet. Run `acuface db upgrade` "
            "to create them."
        )
    raise SchemaOutOfDate(
        f"The database at {where} is at schema revision {current} but this version of "
        f"Acuface needs {head}. Back it up (`acuface backup FILE`), then run "
        "`acuface db upgrade`."
    )
