"""Reading the audit log (admin only; writing happens inside every service).

Entries are read a page at a time (:func:`page_audit`) or streamed as CSV
(:func:`audit_csv`), filtered by user, client, action and date range; both
reads are themselves audited.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from acuface.clinic import models as m
from acuface.clinic.access import Action, authorize
from acuface.clinic.paging import Page, PageRequest, paginate
from acuface.clinic.schemas import Actor, AuditEntryDTO
from acuface.clinic.services._common import audit

#: Columns of the CSV export, in order (the fields of :class:`AuditEntryDTO`).
CSV_COLUMNS: tuple[str, ...] = (
    "id",
    "at",
    "user_id",
    "username",
    "role",
    "action",
    "record_type",
    "record_id",
    "client_id",
    "source",
    "detail",
)
#: Rows fetched from the database at a time while streaming the CSV.
_CSV_CHUNK = 1000


class AuditFilter(BaseModel):
    """Which entries to show: each field narrows the list; dates are inclusive (UTC days)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    user_id: int | None = Field(default=None, ge=1, le=2_147_483_647)
    username: str | None = Field(default=None, max_length=100)
    client_id: int | None = Field(default=None, ge=1, le=2_147_483_647)
    action: str | None = Field(default=None, max_length=60)
    since: date | None = None
    until: date | None = None

    def detail(self) -> dict[str, str]:
        """Return the filter as audit detail (ids, action names, dates; no content)."""
        return {k: str(v) for k, v in self.model_dump(exclude_none=True).items()}


def _query(filters: AuditFilter) -> Select[m.AuditEntry]:
    query = select(m.AuditEntry).order_by(m.AuditEntry.id.desc())
    if filters.client_id is not None:
        query = query.where(m.AuditEntry.client_id == filters.client_id)
    if filters.user_id is not None:
        query = query.where(m.AuditEntry.user_id == filters.user_id)
    if filters.username:
        query = query.where(m.AuditEntry.username == filters.username.strip())
    if filters.action:
        action = filters.action.strip()
        # "session" matches session.read, session.sign ...; "session.sign" only itself.
        if "." in action or "_" in action:
            query = query.where(m.AuditEntry.action == action)
        else:
            query = query.where(
                (m.AuditEntry.action == action) | m.AuditEntry.action.startswith(f"{action}.")
            )
    if filters.since is not None:
        query = query.where(m.AuditEntry.at >= datetime.combine(filters.since, time(), UTC))
    if filters.until is not None:
        end = datetime.combine(filters.until + timedelta(days=1), time(), UTC)
        query = query.where(m.AuditEntry.at < end)
    return query


def page_audit(
    *,
    session: Session,
    actor: Actor,
    filters: AuditFilter | None = None,
    page: PageRequest | None = None,
) -> Page[AuditEntryDTO]:
    """Return one page of audit entries, newest first, narrowed by *filters*."""
    authorize(actor, Action.READ_AUDIT)
    filters = filters or AuditFilter()
    result = paginate(session, _query(filters), page or PageRequest(), AuditEntryDTO.model_validate)
    audit(
        session,
        actor,
        "audit.read",
        "audit_log",
        client_id=filters.client_id,
        detail={**filters.detail(), "page": result.page},
    )
    return result


def list_audit(
    *,
    session: Session,
    actor: Actor,
    client_id: int | None = None,
    user_id: int | None = None,
    action: str | None = None,
    limit: int = 200,
) -> list[AuditEntryDTO]:
    """Return the newest audit entries (at most 10,000), optionally for a client, user or action."""
    authorize(actor, Action.READ_AUDIT)
    query = select(m.AuditEntry).order_by(m.AuditEntry.id.desc())
    if client_id is not None:
        query = query.where(m.AuditEntry.client_id == client_id)
    if user_id is not None:
        query = query.where(m.AuditEntry.user_id == user_id)
    if action is not None:
        query = query.where(m.AuditEntry.action == action)
    rows = session.scalars(query.limit(max(1, min(limit, 10_000)))).all()
    entries = [AuditEntryDTO.model_validate(r) for r in rows]
    audit(session, actor, "audit.read", "audit_log", client_id=client_id)
    return entries


def record_audit_export(
    *, session: Session, actor: Actor, filters: AuditFilter | None = None
) -> None:
    """Check the role and audit a CSV export (``audit.export``) in the caller's transaction.

    Call it, and commit, before streaming :func:`audit_csv_lines`: the export is
    then on record before any of it leaves.
    """
    authorize(actor, Action.READ_AUDIT)
    filters = filters or AuditFilter()
    audit(
        session,
        actor,
        "audit.export",
        "audit_log",
        client_id=filters.client_id,
        detail=filters.detail(),
    )


def audit_csv_lines(
    *, session: Session, actor: Actor, filters: AuditFilter | None = None
) -> Iterator[str]:
    """Yield the filtered entries as CSV text (header first), newest first.

    Rows are read in chunks by id, so memory stays flat however long the log is;
    consume the iterator while *session* is open. Not audited itself: see
    :func:`record_audit_export`.
    """
    authorize(actor, Action.READ_AUDIT)
    return _csv_lines(session, _query(filters or AuditFilter()))


def _csv_lines(session: Session, query: Select[m.AuditEntry]) -> Iterator[str]:
    buffer = io.StringIO()
    writer = csv.writer(buffer)

    def flush() -> str:
        text = buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
        return text

    writer.writerow(CSV_COLUMNS)
    yield flush()
    last_id: int | None = None
    while True:
        chunk = query if last_id is None else query.where(m.AuditEntry.id < last_id)
        rows = session.scalars(chunk.limit(_CSV_CHUNK)).all()
        if not rows:
            return
        for r in rows:
            writer.writerow(
                [
                    r.id,
                    r.at.isoformat(),
                    r.user_id if r.user_id is not None else "",
                    _cell(r.username),
                    r.role or "",
                    r.action,
                    r.record_type,
                    r.record_id or "",
                    r.client_id if r.client_id is not None else "",
                    _cell(r.source),
                    _cell(r.detail or ""),
                ]
            )
        last_id = rows[-1].id
        session.expunge_all()
        yield flush()


def _cell(text: str) -> str:
    # A cell that a spreadsheet would run as a formula (a user name typed at the
    # login form is attacker-chosen) starts with a quote instead.
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text
