"""The audit log (admin only): paged, filtered by user, client, action and dates; CSV export."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response, StreamingResponse

from acuface.clinic import db
from acuface.clinic import services as svc
from acuface.clinic.schemas import Actor
from acuface.errors import InvalidRecord
from acuface.web.deps import AdminActor, PageDep, SessionDep
from acuface.web.templating import render

router = APIRouter(include_in_schema=False)

#: Actions offered as suggestions in the filter (any other action can be typed).
ACTION_SUGGESTIONS = (
    "login",
    "login_failed",
    "logout",
    "client",
    "client.read",
    "client.export",
    "client.purge",
    "session",
    "session.sign",
    "photo",
    "audit",
    "backup",
)


def _day(text: str | None, label: str) -> date | None:
    if not text or not text.strip():
        return None
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise InvalidRecord(f"{label}: give a date as YYYY-MM-DD (got {text[:20]!r}).") from None


UserQuery = Annotated[str | None, Query(max_length=100)]
ClientQuery = Annotated[int | None, Query(ge=1, le=2_147_483_647)]
ActionQuery = Annotated[str | None, Query(max_length=60)]
DayQuery = Annotated[str | None, Query(max_length=20)]


async def audit_filter(  # no I/O: a coroutine, so no hop to a worker thread
    user: UserQuery = None,
    client_id: ClientQuery = None,
    action: ActionQuery = None,
    since: DayQuery = None,
    until: DayQuery = None,
) -> svc.AuditFilter:
    """Read the filter of the audit page and its CSV export from the query string.

    ``user`` (a username, any case), ``client_id``, ``action`` (a prefix such as
    ``session`` or a full action), ``since`` and ``until`` (inclusive days,
    YYYY-MM-DD). A malformed date or a range that ends before it starts is an
    ``InvalidRecord`` (422 with the reason).
    """
    start, end = _day(since, "From"), _day(until, "To")
    if start and end and start > end:
        raise InvalidRecord("The 'from' date is after the 'to' date.")
    return svc.AuditFilter(
        username=(user or "").strip().lower() or None,
        client_id=client_id,
        action=(action or "").strip() or None,
        since=start,
        until=end,
    )


#: The audit filter of the request (after the admin check: the actor comes first).
AuditFilterDep = Annotated[svc.AuditFilter, Depends(audit_filter)]


@router.get("/admin/audit", name="admin_audit")
def admin_audit(
    request: Request,
    session: SessionDep,
    actor: AdminActor,
    filters: AuditFilterDep,
    page: PageDep,
) -> Response:
    """Audit entries, newest first, a page at a time (who did what to which record, when)."""
    result = svc.page_audit(session=session, actor=actor, filters=filters, page=page)
    users = svc.list_users(session=session, actor=actor, include_inactive=True)
    return render(
        request,
        "admin/audit.html",
        {
            "page": result,
            "entries": result.items,
            "users": users,
            "actions": ACTION_SUGGESTIONS,
            "f": {
                "user": filters.username or "",
                "client_id": filters.client_id,
                "action": filters.action or "",
                "since": filters.since.isoformat() if filters.since else "",
                "until": filters.until.isoformat() if filters.until else "",
            },
            "query": request.url.query,
        },
    )


@router.get("/admin/audit.csv", name="admin_audit_csv")
def admin_audit_csv(
    request: Request,
    session: SessionDep,
    actor: AdminActor,
    filters: AuditFilterDep,
) -> Response:
    """Stream the filtered entries as CSV; the export itself is audited first."""
    svc.record_audit_export(session=session, actor=actor, filters=filters)
    # The request's session commits (with the export's entry) when this returns,
    # before the first byte; the rows are streamed through a session of their own.
    engine = request.app.state.engine
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
    return StreamingResponse(
        _stream(engine, actor, filters),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="acuface-audit-{stamp}.csv"'},
    )


def _stream(engine: object, actor: Actor, filters: svc.AuditFilter) -> Iterator[str]:
    with db.session_scope(engine) as session:  # type: ignore[arg-type]
        yield from svc.audit_csv_lines(session=session, actor=actor, filters=filters)
