"""Reading the audit log (admin only; writing happens inside every service)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from acuface.clinic import models as m
from acuface.clinic.access import Action, authorize
from acuface.clinic.schemas import Actor, AuditEntryDTO
from acuface.clinic.services._common import audit


def list_audit(
    *,
    session: Session,
    actor: Actor,
    client_id: int | None = None,
    user_id: int | None = None,
    action: str | None = None,
    limit: int = 200,
) -> list[AuditEntryDTO]:
    """Return audit entries, newest first, optionally for one client, user or action."""
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
