"""Helpers shared by the services: the audit trail, record look-ups (access: ``access.py``)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any, TypeVar

from sqlalchemy import event, select
from sqlalchemy.orm import Session

from acuface.clinic import auditlog
from acuface.clinic import models as m
from acuface.clinic.access import Action, authorize
from acuface.clinic.schemas import Actor
from acuface.errors import InvalidRecord, NotFound

T = TypeVar("T", bound=m.Base)


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
    """Append one audit entry: in the caller's transaction if it writes, else right after it.

    A write's entry commits with the write. A read's entry is committed (grouped
    with other requests' entries) when the caller's transaction ends, before the
    caller goes on, without the read ever taking the database's write lock; see
    :mod:`acuface.clinic.auditlog`. ``detail`` must not repeat clinical content:
    it names fields or counts.
    """
    if isinstance(detail, dict):
        detail = json.dumps(detail, sort_keys=True, default=str)
    auditlog.record(
        session,
        {
            "user_id": actor.user_id,
            "username": actor.username,
            "role": actor.role,
            "action": action,
            "record_type": record_type,
            "record_id": None if record_id is None else str(record_id),
            "client_id": client_id,
            "source": actor.source,
            "detail": detail,
        },
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
    # Keep the row for the session's life: the services hand out DTOs, so nothing
    # else holds it, and the identity map (weak) would forget it and re-read it
    # for each service a page calls.
    session.info.setdefault(_PINNED, {})[client_id] = client
    return client


_PINNED = "acuface_clients"


def _unpin(session: Session) -> None:
    # Only for the transaction: the next one reads the client afresh.
    session.info.pop(_PINNED, None)


event.listen(Session, "after_commit", _unpin)
event.listen(Session, "after_rollback", _unpin)


def check_belongs(row: Any, client_id: int, label: str) -> None:
    """Refuse linking a record of another client (e.g. a session id of someone else)."""
    if row is not None and row.client_id != client_id:
        raise InvalidRecord(f"{label} {row.id} belongs to another client.")


def author(actor: Actor) -> str:
    """Return the name stored in ``created_by`` columns."""
    return actor.username


def client_record(session: Session, model: type[T], record_id: int, label: str) -> T:
    """Return a record that belongs to a live (not soft-deleted) client.

    Parameters
    ----------
    session : Session
        Database session.
    model : type
        Mapped class with a ``client_id`` column (``m.Intake``, ``m.Photo`` ...).
    record_id : int
        Primary key of the record.
    label : str
        Record name used in the :class:`NotFound` message ("session", "photo" ...).

    Returns
    -------
    T
        The row.

    Raises
    ------
    NotFound
        When the record or its client does not exist or the client is deleted.
    """
    row = get_or_404(session, model, record_id, label)
    live_client(session, row.client_id)  # type: ignore[attr-defined]
    return row


def check_link(
    session: Session, *, model: type[m.Base], record_id: int | None, client_id: int, label: str
) -> None:
    """Refuse an optional link (``session_id``, ``plan_id`` ...) to another client's record.

    Parameters
    ----------
    session : Session
        Database session.
    model : type
        Mapped class of the linked record.
    record_id : int or None
        Id of the linked record; ``None`` means no link and is always accepted.
    client_id : int
        Client the new or changed record belongs to.
    label : str
        Lower-case record name ("session"); capitalised in the :class:`InvalidRecord` message.

    Raises
    ------
    NotFound
        When the linked record does not exist.
    InvalidRecord
        When it belongs to another client.
    """
    if record_id is not None:
        check_belongs(get_or_404(session, model, record_id, label), client_id, label.capitalize())


def add_audited(
    session: Session,
    actor: Actor,
    row: m.Base,
    *,
    record_type: str,
    detail: dict[str, Any] | None = None,
) -> None:
    """Insert a client's new record, flush to get its id, then audit ``<record_type>.create``.

    Parameters
    ----------
    session : Session
        Database session (the caller's transaction).
    actor : Actor
        Who creates the record.
    row : Base
        New mapped object with an ``id`` primary key and its ``client_id`` set.
    record_type : str
        Audit record type ("intake"); the action is ``"<record_type>.create"``.
    detail : dict, optional
        Audit detail (field names or counts, never clinical content).
    """
    session.add(row)
    session.flush()
    audit(
        session,
        actor,
        f"{record_type}.create",
        record_type,
        row.id,  # type: ignore[attr-defined]
        client_id=row.client_id,  # type: ignore[attr-defined]
        detail=detail,
    )


def read_client_record(
    session: Session,
    actor: Actor,
    *,
    model: type[T],
    record_id: int,
    record_type: str,
    action: Action,
) -> T:
    """Check the role, load a record of a live client and audit the read.

    Parameters
    ----------
    session : Session
        Database session.
    actor : Actor
        Who reads; must be allowed *action*.
    model : type
        Mapped class with a ``client_id`` column.
    record_id : int
        Primary key of the record.
    record_type : str
        Record name for the :class:`NotFound` message and the audit entry; the audit
        action is ``"<record_type>.read"``.
    action : Action
        What the actor does (see :mod:`acuface.clinic.access`).

    Returns
    -------
    T
        The row.
    """
    authorize(actor, action)
    row = client_record(session, model, record_id, record_type)
    audit(
        session,
        actor,
        f"{record_type}.read",
        record_type,
        row.id,  # type: ignore[attr-defined]
        client_id=row.client_id,  # type: ignore[attr-defined]
    )
    return row


def list_client_rows(
    session: Session,
    actor: Actor,
    *,
    model: type[T],
    client_id: int,
    order_by: Sequence[Any],
    record_type: str,
    action: Action,
    where: Sequence[Any] = (),
    options: Sequence[Any] = (),
) -> Sequence[T]:
    """Check the role and client, select a client's rows and audit the listing.

    Parameters
    ----------
    session : Session
        Database session.
    actor : Actor
        Who reads; must be allowed *action*.
    model : type
        Mapped class with a ``client_id`` column.
    client_id : int
        Client whose rows are listed; must exist and not be soft-deleted.
    order_by : sequence of column expressions
        Sort order (e.g. ``(m.Photo.captured_at.desc(), m.Photo.id.desc())``).
    record_type : str
        Audit record type; the action is ``"<record_type>.list"`` with the row count.
    action : Action
        What the actor does (see :mod:`acuface.clinic.access`).
    where : sequence of conditions, optional
        Extra filters (e.g. one metric).
    options : sequence of loader options, optional
        E.g. ``lazyload(...)`` of collections the caller aggregates by query instead.

    Returns
    -------
    Sequence
        The rows, in *order_by* order.
    """
    authorize(actor, action)
    live_client(session, client_id)
    column = model.client_id  # type: ignore[attr-defined]
    rows = session.scalars(
        select(model).where(column == client_id, *where).order_by(*order_by).options(*options)
    ).all()
    audit(
        session,
        actor,
        f"{record_type}.list",
        record_type,
        client_id=client_id,
        detail={"count": len(rows)},
    )
    return rows
