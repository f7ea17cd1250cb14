"""Helpers shared by the services: roles, the audit trail, record look-ups."""

from __future__ import annotations

import json
from typing import Any, TypeVar

from sqlalchemy.orm import Session

from acuface.clinic import models as m
from acuface.clinic.schemas import Actor
from acuface.errors import InvalidRecord, NotFound, PermissionDenied

#: Roles that may read and write clinical content (notes, plans, photos ...).
CLINICAL_ROLES = frozenset({"admin", "practitioner"})

T = TypeVar("T", bound=m.Base)


def require_role(actor: Actor, *roles: str, doing: str) -> None:
    """Raise :class:`PermissionDenied` unless *actor* has one of *roles*."""
    if actor.role not in roles:
        raise PermissionDenied(
            f"{actor.username} ({actor.role}) may not {doing}; this needs the role "
            f"{' or '.join(roles)}."
        )


def require_clinical(actor: Actor, doing: str) -> None:
    """Raise :class:`PermissionDenied` unless *actor* may see clinical content."""
    require_role(actor, *sorted(CLINICAL_ROLES), doing=doing)


def audit(
    session: Session,
    actor: Actor,
    action: str,
    record_type: str,
    record_id: int | str | None = None,
    *,
    client_id: int | None = None,
    detail: dict[str, Any] | str | None = None,
) -> None:
    """Append one audit entry in the caller's transaction.

    ``detail`` must not repeat clinical content: it names fields or counts.
    """
    if isinstance(detail, dict):
        detail = json.dumps(detail, sort_keys=True, default=str)
    session.add(
        m.AuditEntry(
            user_id=actor.user_id,
            username=actor.username,
            role=actor.role,
            action=action,
            record_type=record_type,
            record_id=None if record_id is None else str(record_id),
            client_id=client_id,
            source=actor.source,
            detail=detail,
        )
    )


def get_or_404(session: Session, model: type[T], record_id: int, label: str) -> T:
    """Return the row or raise :class:`NotFound` naming the record."""
    row = session.get(model, record_id)
    if row is None:
        raise NotFound(f"No {label} with id {record_id}.")
    return row


def live_client(session: Session, client_id: int, *, include_deleted: bool = False) -> m.Client:
    """Return a client that exists and (unless asked) is not soft-deleted."""
    client = session.get(m.Client, client_id)
    if client is None or (client.deleted_at is not None and not include_deleted):
        raise NotFound(f"No client with id {client_id}.")
    return client


def check_belongs(row: Any, client_id: int, label: str) -> None:
    """Refuse linking a record of another client (e.g. a session id of someone else)."""
    if row is not None and row.client_id != client_id:
        raise InvalidRecord(f"{label} {row.id} belongs to another client.")


def author(actor: Actor) -> str:
    """Return the name stored in ``created_by`` columns."""
    return actor.username
