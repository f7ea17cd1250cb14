"""Where sign-in state lives: web sessions and failed-sign-in counters.

Several server processes (``acuface serve --workers N``) must agree on who is
signed in and how many guesses an account has had, so neither lives in process
memory. The database keeps both by default (tables ``login_sessions`` and
``login_throttle``); with ``ACUFACE_REDIS_URL`` set, Redis keeps them instead.

A session is known by the SHA-256 of its random id (:func:`session_key`): the id
itself is only in the user's cookie, so a copy of the table or of Redis gives no
usable cookie. Whether a signed-in session is still valid also depends on the
user's ``session_epoch`` (raised by password reset, role change, deactivation),
which the web layer compares on every request; ending sessions in the store as
well keeps the administrator's list true.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from typing import Any, Protocol

import redis
from limits.storage import MemoryStorage, RedisStorage, Storage
from sqlalchemy import case, delete, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError

from acuface.clinic import db
from acuface.clinic import models as m
from acuface.errors import ConfigError

#: Prefix of every Redis key Acuface writes (sessions and throttle counters).
REDIS_PREFIX = "acuface"


def session_key(sid: str) -> str:
    """Return the store key of a session id (hex SHA-256; the id is never stored)."""
    return hashlib.sha256(sid.encode("ascii")).hexdigest()


@dataclass(frozen=True)
class LoginSessionRecord:
    """One session as the stores keep it.

    Attributes
    ----------
    key : str
        :func:`session_key` of the session id.
    user_id : int or None
        Signed-in user; ``None`` for a visitor with a message waiting.
    username : str
        The user's name when signing in ("" for a visitor).
    epoch : int
        The user's ``session_epoch`` when signing in.
    created_at, last_seen_at : float
        Unix time in seconds.
    ip : str
        Client address at sign-in.
    user_agent : str
        The browser's ``User-Agent`` at sign-in (at most 300 characters).
    data : dict
        Session values (CSRF token, queued messages).
    """

    key: str
    user_id: int | None
    username: str
    epoch: int
    created_at: float
    last_seen_at: float
    ip: str
    user_agent: str
    data: dict[str, Any] = field(default_factory=dict)


class SessionStore(Protocol):
    """What the web app needs from a session store."""

    def get(self, key: str) -> LoginSessionRecord | None:
        """Return the session with *key*, or ``None``."""
        ...

    def put(self, record: LoginSessionRecord, *, ttl_s: float) -> None:
        """Create or replace a session; it may be forgotten after *ttl_s* seconds."""
        ...

    def delete(self, key: str) -> bool:
        """End one session; whether it existed."""
        ...

    def delete_user(self, user_id: int) -> int:
        """End every session of a user; how many there were."""
        ...

    def signed_in(self) -> list[LoginSessionRecord]:
        """Return the signed-in sessions (visitors' excluded), newest activity first."""
        ...

    def purge(self, *, seen_before: float) -> int:
        """Forget sessions last seen before *seen_before* (Unix time)."""
        ...


def _record_of(row: m.LoginSession, username: str) -> LoginSessionRecord:
    return LoginSessionRecord(
        key=row.key,
        user_id=row.user_id,
        username=username,
        epoch=row.epoch,
        created_at=row.created_at,
        last_seen_at=row.last_seen_at,
        ip=row.ip,
        user_agent=row.user_agent,
        data=json.loads(row.data),
    )


class DatabaseSessionStore:
    """Sessions in the ``login_sessions`` table (default; shared by all processes).

    Each call is its own short transaction, separate from the request's.
    """

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def get(self, key: str) -> LoginSessionRecord | None:  # noqa: D102
        with db.session_scope(self.engine) as s:
            row = s.execute(
                select(m.LoginSession, m.User.username)
                .outerjoin(m.User, m.User.id == m.LoginSession.user_id)
                .where(m.LoginSession.key == key)
            ).first()
            return None if row is None else _record_of(row[0], row[1] or "")

    def put(self, record: LoginSessionRecord, *, ttl_s: float) -> None:  # noqa: D102
        values = asdict(record)
        values.pop("username")
        values["data"] = json.dumps(record.data, separators=(",", ":"))
        with db.session_scope(self.engine) as s:
            s.merge(m.LoginSession(**values))

    def delete(self, key: str) -> bool:  # noqa: D102
        with db.session_scope(self.engine) as s:
            return bool(s.execute(delete(m.LoginSession).where(m.LoginSession.key == key)).rowcount)  # type: ignore[attr-defined]

    def delete_user(self, user_id: int) -> int:  # noqa: D102
        with db.session_scope(self.engine) as s:
            result = s.execute(delete(m.LoginSession).where(m.LoginSession.user_id == user_id))
            return int(result.rowcount)  # type: ignore[attr-defined]

    def signed_in(self) -> list[LoginSessionRecord]:  # noqa: D102
        with db.session_scope(self.engine) as s:
            rows = s.execute(
                select(m.LoginSession, m.User.username)
                .join(m.User, m.User.id == m.LoginSession.user_id)
                .order_by(m.LoginSession.last_seen_at.desc())
            ).all()
            return [_record_of(r[0], r[1]) for r in rows]

    def purge(self, *, seen_before: float) -> int:  # noqa: D102
        with db.session_scope(self.engine) as s:
            result = s.execute(
                delete(m.LoginSession).where(m.LoginSession.last_seen_at < seen_before)
            )
            return int(result.rowcount)  # type: ignore[attr-defined]


class RedisSessionStore:
    """Sessions in Redis (``ACUFACE_REDIS_URL``): one JSON value per session with a TTL.

    A set per user and one set of all signed-in sessions let an administrator
    list and end them; members whose value has expired are dropped when seen.
    """

    def __init__(self, client: redis.Redis, prefix: str = REDIS_PREFIX) -> None:
        self.r = client
        self.prefix = prefix

    def _k(self, key: str) -> str:
        return f"{self.prefix}:session:{key}"

    def _user_set(self, user_id: int) -> str:
        return f"{self.prefix}:user-sessions:{user_id}"

    @property
    def _all(self) -> str:
        return f"{self.prefix}:signed-in"

    @staticmethod
    def _decode(raw: bytes | str | None) -> LoginSessionRecord | None:
        if raw is None:
            return None
        return LoginSessionRecord(**json.loads(raw))

    def get(self, key: str) -> LoginSessionRecord | None:  # noqa: D102
        return self._decode(self.r.get(self._k(key)))

    def put(self, record: LoginSessionRecord, *, ttl_s: float) -> None:  # noqa: D102
        pipe = self.r.pipeline()
        pipe.set(self._k(record.key), json.dumps(asdict(record)), ex=max(1, int(ttl_s + 0.999)))
        if record.user_id is not None:
            pipe.sadd(self._user_set(record.user_id), record.key)
            pipe.sadd(self._all, record.key)
        pipe.execute()

    def delete(self, key: str) -> bool:  # noqa: D102
        record = self.get(key)
        pipe = self.r.pipeline()
        pipe.delete(self._k(key))
        pipe.srem(self._all, key)
        if record is not None and record.user_id is not None:
            pipe.srem(self._user_set(record.user_id), key)
        return bool(pipe.execute()[0])

    def delete_user(self, user_id: int) -> int:  # noqa: D102
        keys = [
            k.decode() if isinstance(k, bytes) else k
            for k in self.r.smembers(self._user_set(user_id))
        ]
        if not keys:
            return 0
        pipe = self.r.pipeline()
        pipe.delete(*(self._k(k) for k in keys))
        pipe.srem(self._all, *keys)
        pipe.delete(self._user_set(user_id))
        return int(pipe.execute()[0])

    def signed_in(self) -> list[LoginSessionRecord]:  # noqa: D102
        keys = [k.decode() if isinstance(k, bytes) else k for k in self.r.smembers(self._all)]
        if not keys:
            return []
        values = self.r.mget([self._k(k) for k in keys])
        records, gone = [], []
        for key, raw in zip(keys, values, strict=True):
            rec = self._decode(raw)
            if rec is None:
                gone.append(key)
            else:
                records.append(rec)
        if gone:
            self.r.srem(self._all, *gone)
        return sorted(records, key=lambda r: r.last_seen_at, reverse=True)

    def purge(self, *, seen_before: float) -> int:  # noqa: D102
        # Redis forgets expired sessions itself; drop the index entries of those
        # it forgot and the ones idle for too long.
        before = len(self.r.smembers(self._all))
        stale = [r.key for r in self.signed_in() if r.last_seen_at < seen_before]
        for key in stale:
            self.delete(key)
        return before - len(self.r.smembers(self._all))


class DatabaseThrottleStorage(Storage):
    """Storage for the ``limits`` fixed-window strategy in the ``login_throttle`` table.

    ``limits`` ships memory, Redis, Memcached and MongoDB storages; this one lets
    every server process share the counters through the clinic's own database.
    Counting is one ``INSERT ... ON CONFLICT DO UPDATE`` (SQLite and PostgreSQL),
    so concurrent processes never lose a failure.
    """

    STORAGE_SCHEME = ["acuface-db"]

    def __init__(self, engine: Engine) -> None:
        super().__init__()
        self.engine = engine

    @property
    def base_exceptions(self) -> type[Exception]:  # noqa: D102
        return SQLAlchemyError

    def _insert(self) -> Any:
        if self.engine.dialect.name == "postgresql":
            return pg_insert(m.LoginThrottle)
        return sqlite_insert(m.LoginThrottle)

    def incr(self, key: str, expiry: int, amount: int = 1) -> int:  # noqa: D102
        now = time.time()
        table = m.LoginThrottle.__table__
        stmt = self._insert().values(key=key, count=amount, expires_at=now + expiry)
        excluded = stmt.excluded
        expired = table.c.expires_at <= now
        stmt = stmt.on_conflict_do_update(
            index_elements=[table.c.key],
            set_={
                "count": case((expired, excluded.count), else_=table.c.count + amount),
                "expires_at": case((expired, excluded.expires_at), else_=table.c.expires_at),
            },
        ).returning(table.c.count)
        with self.engine.begin() as conn:
            return int(conn.execute(stmt).scalar_one())

    def _row(self, key: str) -> tuple[int, float] | None:
        with self.engine.connect() as conn:
            row = conn.execute(
                select(m.LoginThrottle.count, m.LoginThrottle.expires_at).where(
                    m.LoginThrottle.key == key
                )
            ).first()
        if row is None or row[1] <= time.time():
            return None
        return int(row[0]), float(row[1])

    def get(self, key: str) -> int:  # noqa: D102
        row = self._row(key)
        return 0 if row is None else row[0]

    def get_expiry(self, key: str) -> float:  # noqa: D102
        row = self._row(key)
        return time.time() if row is None else row[1]

    def check(self) -> bool:  # noqa: D102
        try:
            with self.engine.connect() as conn:
                conn.execute(select(1))
        except SQLAlchemyError:
            return False
        return True

    def reset(self) -> int | None:  # noqa: D102
        with self.engine.begin() as conn:
            return int(conn.execute(delete(m.LoginThrottle)).rowcount)

    def clear(self, key: str) -> None:  # noqa: D102
        with self.engine.begin() as conn:
            conn.execute(delete(m.LoginThrottle).where(m.LoginThrottle.key == key))

    def purge(self) -> int:
        """Delete counters whose window has passed."""
        with self.engine.begin() as conn:
            return int(
                conn.execute(
                    delete(m.LoginThrottle).where(m.LoginThrottle.expires_at <= time.time())
                ).rowcount
            )


def check_redis(redis_url: str) -> None:
    """Raise :class:`~acuface.errors.ConfigError` unless Redis answers at *redis_url*.

    ``acuface serve`` calls this at start: a server whose session store is down
    would otherwise start and fail every request.
    """
    try:
        redis.Redis.from_url(redis_url, socket_connect_timeout=3).ping()
    except (redis.RedisError, ValueError) as exc:
        raise ConfigError(
            f"ACUFACE_REDIS_URL is set, but Redis does not answer there ({exc}). Start "
            "Redis, correct the URL, or unset it to keep sessions in the database."
        ) from exc


def session_store(engine: Engine, redis_url: str | None) -> SessionStore:
    """Return the session store: Redis when *redis_url* is given, else the database."""
    if redis_url:
        return RedisSessionStore(redis.Redis.from_url(redis_url))
    return DatabaseSessionStore(engine)


def throttle_storage(engine: Engine, redis_url: str | None, *, memory: bool = False) -> Storage:
    """Return the ``limits`` storage for sign-in counters.

    Redis (``limits``' own Redis storage) when *redis_url* is given, else the
    database; *memory* (one process only) is for unit tests of the policy.
    """
    if memory:
        return MemoryStorage()
    if redis_url:
        return RedisStorage(redis_url, key_prefix=f"{REDIS_PREFIX}:throttle")
    return DatabaseThrottleStorage(engine)


def end_user_sessions(store: SessionStore, user_ids: Iterable[int]) -> int:
    """End every session of the given users in *store*; how many ended."""
    return sum(store.delete_user(uid) for uid in user_ids)


__all__ = [
    "DatabaseSessionStore",
    "DatabaseThrottleStorage",
    "check_redis",
    "LoginSessionRecord",
    "RedisSessionStore",
    "SessionStore",
    "end_user_sessions",
    "session_key",
    "session_store",
    "throttle_storage",
]
