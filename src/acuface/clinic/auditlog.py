"""Where audit entries are written: with the change for writes, group-committed for reads.

A write keeps its audit entry in its own transaction: the change and the record of
who made it commit together or not at all.

A read has nothing to commit but its audit entry. Writing that entry inside the
request's transaction (as Acuface once did) took SQLite's single write lock at the
entry's INSERT and held it until the request's commit, after rendering the page:
every page view queued behind every other. Instead, a read's entries wait in the
session until its transaction ends, and are then written by one *group commit*:
whichever request finds no commit in progress writes every entry waiting at that
moment in one short transaction, and the others wait for it; entries that arrive
meanwhile go in the next one. The request returns only once its entries are
committed, so a read that was answered is always in the log, even if the server is
killed right after (``tests/web/test_audit_durability.py`` kills it mid-burst).
When the audit write fails, the read fails too (503): no answer without its entry.

Why not an append-only local file, fsynced before the answer and replayed into the
database at start-up? It costs the same fsync per answer, and it adds a second
store of health-record metadata with its own permissions, backups, replay and
de-duplication after a crash between the copy and the truncation, and one file per
server process to find again. Why not one short separate transaction per read? That
is an fsync and a write-lock acquisition per page view; grouping many entries in
one commit is what makes it scale.

Whether a session wrote anything is decided conservatively: any ORM change, and any
statement other than a read (``SELECT`` ...) sent on its connection, make it a
write, and its entries then go into its own transaction.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterable
from typing import Any

from sqlalchemy import Connection, Engine, event, insert
from sqlalchemy.orm import Session

from acuface.clinic import models as m
from acuface.errors import AuditUnavailable

#: ``Session.info`` keys: entries waiting for the transaction's end, entries of a read.
_PENDING = "acuface_audit_pending"
_READ_ENTRIES = "acuface_audit_reads"
_IN_COMMIT = "acuface_audit_in_commit"
#: ``Connection.info`` key: a statement other than a read was sent in this transaction.
_WROTE = "acuface_wrote"

#: Statements that never change the database (the first word, upper case).
_READ_VERBS = frozenset(
    {"SELECT", "PRAGMA", "SHOW", "SET", "SAVEPOINT", "RELEASE", "ROLLBACK", "BEGIN", "EXPLAIN"}
)

#: How long a request waits for its entries' commit before it fails with a 503.
WAIT_S = 30.0
#: Entries per group commit (a bound on one transaction's length).
MAX_BATCH = 2000


def record(session: Session, values: dict[str, Any]) -> None:
    """Queue one audit entry (the columns of :class:`~acuface.clinic.models.AuditEntry`).

    In an :class:`AuditedSession` the entry waits until the session's transaction
    ends: it joins the transaction when the session wrote anything, or is
    group-committed after a read. Any other session gets it added at once (the
    entry then commits with the caller's transaction).
    """
    values.setdefault("at", m.utcnow())
    if not isinstance(session, AuditedSession):
        session.add(m.AuditEntry(**values))
        return
    session.info.setdefault(_PENDING, []).append(values)


class AuditedSession(Session):
    """A session that group-commits the audit entries of its reads after its commit.

    ``commit()`` returns once the transaction and those entries are committed; it
    raises :class:`~acuface.errors.AuditUnavailable` when the entries could not
    be written (the session is then clean and usable, as after any commit).
    """

    def commit(self) -> None:
        """Commit the transaction, then the audit entries of its reads."""
        self.info[_IN_COMMIT] = True
        try:
            super().commit()
        finally:
            self.info.pop(_IN_COMMIT, None)
        reads: list[dict[str, Any]] = self.info.pop(_READ_ENTRIES, [])
        if reads:
            bind = self.get_bind()
            group_commit(bind if isinstance(bind, Engine) else bind.engine, reads)


def instrument_engine(engine: Engine) -> None:
    """Note on each connection whether its transaction sent anything but reads."""
    event.listen(engine, "begin", _on_begin)
    event.listen(engine, "before_cursor_execute", _on_execute)


def _on_begin(conn: Connection) -> None:
    conn.info.pop(_WROTE, None)


def _on_execute(
    conn: Connection, _cursor: Any, statement: str, _params: Any, _context: Any, _many: bool
) -> None:
    if conn.info.get(_WROTE):
        return
    verb = statement.lstrip().split(None, 1)[0].upper() if statement.strip() else "SELECT"
    if verb not in _READ_VERBS:
        conn.info[_WROTE] = True


def _take_pending(session: Session) -> list[dict[str, Any]]:
    pending: list[dict[str, Any]] = session.info.pop(_PENDING, [])
    return pending


def _join_transaction(session: Session) -> None:
    for values in _take_pending(session):
        session.add(m.AuditEntry(**values))


def _before_flush(session: Session, _context: Any, _instances: Any) -> None:
    # Something is being written: the entries go with it (and are visible after
    # the flush, as the caller expects of a write).
    if session.new or session.dirty or session.deleted:
        _join_transaction(session)


def _session_wrote(session: Session) -> bool:
    if session.new or session.dirty or session.deleted:
        return True
    if not session.in_transaction():
        return False
    return bool(session.connection().info.get(_WROTE))


def _before_commit(session: Session) -> None:
    if session.info.get(_PENDING) and _session_wrote(session):
        _join_transaction(session)


def _after_commit(session: Session) -> None:
    # Written by AuditedSession.commit once the transaction is closed: an error
    # raised here would leave the session half-committed.
    pending = _take_pending(session)
    if not pending:
        return
    if session.info.get(_IN_COMMIT):
        session.info.setdefault(_READ_ENTRIES, []).extend(pending)
        return
    # Committed some other way (``with session.begin():``): write them now.
    bind = session.get_bind()
    group_commit(bind if isinstance(bind, Engine) else bind.engine, pending)


def _after_rollback(session: Session) -> None:
    # Like the entry of a failed write, the entries of a failed request go: it
    # answered nothing but an error.
    session.info.pop(_PENDING, None)
    session.info.pop(_READ_ENTRIES, None)


event.listen(AuditedSession, "before_flush", _before_flush)
event.listen(AuditedSession, "before_commit", _before_commit)
event.listen(AuditedSession, "after_commit", _after_commit)
event.listen(AuditedSession, "after_rollback", _after_rollback)


class _Ticket:
    __slots__ = ("done", "error", "rows")

    def __init__(self, rows: list[dict[str, Any]]) -> None:
        self.rows = rows
        self.done = False
        self.error: BaseException | None = None


class _GroupCommit:
    """The entries waiting for one engine, and whether a request is committing them."""

    def __init__(self) -> None:
        self.cond = threading.Condition()
        self.waiting: list[_Ticket] = []
        self.leader = False


_groups: dict[tuple[int, int], _GroupCommit] = {}
_groups_lock = threading.Lock()


def _group_for(engine: Engine) -> _GroupCommit:
    key = (id(engine.pool), os.getpid())
    with _groups_lock:
        group = _groups.get(key)
        if group is None:
            if len(_groups) > 256:  # engines of finished tests; nothing worth keeping
                _groups.clear()
            group = _groups[key] = _GroupCommit()
        return group


def group_commit(engine: Engine, rows: Iterable[dict[str, Any]]) -> None:
    """Commit *rows* to the audit log, together with whatever else is waiting.

    The caller either commits one batch itself (when no other caller is doing so)
    or waits for the batch that holds its rows; a caller commits at most one batch,
    then hands over, so nobody commits for everyone else for long.

    Raises
    ------
    AuditUnavailable
        When the commit failed or did not happen within :data:`WAIT_S`.
    """
    ticket = _Ticket(list(rows))
    group = _group_for(engine)
    deadline = time.monotonic() + WAIT_S
    with group.cond:
        group.waiting.append(ticket)
        while not ticket.done:
            if not group.leader:
                group.leader = True
                batch = _take_batch(group)
                group.cond.release()
                try:
                    _commit(engine, batch)
                except BaseException as exc:  # interrupted: nobody was written
                    for t in batch:
                        t.error = t.error or exc
                    raise
                finally:
                    group.cond.acquire()
                    for t in batch:
                        t.done = True
                    group.leader = False
                    group.cond.notify_all()
                continue
            left = deadline - time.monotonic()
            if left <= 0:
                group.waiting = [t for t in group.waiting if t is not ticket]
                raise AuditUnavailable(
                    "The audit log could not be written in time, so this page is not "
                    "shown; try again in a moment."
                )
            group.cond.wait(left)
    if ticket.error is not None:
        raise AuditUnavailable(
            "The audit log could not be written, so this page is not shown; try again."
        ) from ticket.error


def _take_batch(group: _GroupCommit) -> list[_Ticket]:
    batch: list[_Ticket] = []
    count = 0
    while group.waiting and count < MAX_BATCH:
        ticket = group.waiting.pop(0)
        batch.append(ticket)
        count += len(ticket.rows)
    return batch


def _commit(engine: Engine, batch: list[_Ticket]) -> None:
    try:
        with engine.begin() as conn:
            conn.execute(insert(m.AuditEntry), [row for t in batch for row in t.rows])
    except Exception as exc:  # noqa: BLE001 - every waiter of the batch must hear of it
        for t in batch:
            t.error = exc
