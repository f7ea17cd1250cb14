"""Clients: identity and contact, soft delete with a retention note, hard purge."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import Select, delete, event, func, select
from sqlalchemy.orm import Session

from acuface.clinic import models as m
from acuface.clinic.access import Action, authorize
from acuface.clinic.paging import Page, PageRequest, paginate
from acuface.clinic.photostore import get_photo_store
from acuface.clinic.schemas import (
    Actor,
    ClientCreate,
    ClientDTO,
    ClientSavedDTO,
    ClientSummaryDTO,
    ClientUpdate,
    PurgeReport,
    RecordWarning,
)
from acuface.clinic.services._common import audit, live_client
from acuface.errors import InvalidRecord, NotFound

if TYPE_CHECKING:
    from acuface.clinic.photostore import PhotoStore


#: Optional fields that ``update_client`` clears when given an empty string.
_CLEARABLE = ("email", "phone", "address", "notes")


def _summary(client: m.Client) -> ClientSummaryDTO:
    return ClientSummaryDTO(
        id=client.id,
        name=f"{client.given_name} {client.family_name}",
        birth_date=client.birth_date,
        phone=client.phone,
        email=client.email,
        deleted=client.deleted_at is not None,
    )


def create_client(*, session: Session, actor: Actor, data: ClientCreate) -> ClientDTO:
    """Register a new client (any role)."""
    authorize(actor, Action.EDIT_CLIENTS)
    client = m.Client(**data.model_dump())
    session.add(client)
    session.flush()
    audit(session, actor, "client.create", "client", client.id, client_id=client.id)
    return ClientDTO.model_validate(client)


def get_client(
    *, session: Session, actor: Actor, client_id: int, include_deleted: bool = False
) -> ClientDTO:
    """Return one client (soft-deleted ones only with ``include_deleted``, admin)."""
    authorize(actor, Action.SEE_DELETED_CLIENTS if include_deleted else Action.READ_CLIENTS)
    client = live_client(session, client_id, include_deleted=include_deleted)
    audit(session, actor, "client.read", "client", client.id, client_id=client.id)
    return ClientDTO.model_validate(client)


def _client_query(*, search: str | None, include_deleted: bool) -> Select[m.Client]:
    query = select(m.Client).order_by(m.Client.family_name, m.Client.given_name, m.Client.id)
    if not include_deleted:
        query = query.where(m.Client.deleted_at.is_(None))
    if search and search.strip():
        # One expression, trigram-indexed on PostgreSQL; the pattern is a plain
        # value (not built in SQL) so that the planner can use the index.
        term = search.strip().lower()
        for ch in ("\\", "%", "_"):
            term = term.replace(ch, "\\" + ch)
        query = query.where(m.client_search_text().like(f"%{term}%", escape="\\"))
    return query


def page_clients(
    *,
    session: Session,
    actor: Actor,
    search: str | None = None,
    include_deleted: bool = False,
    page: PageRequest | None = None,
) -> Page[ClientSummaryDTO]:
    """One page of clients by family and given name; *search* matches name, e-mail or phone."""
    authorize(actor, Action.SEE_DELETED_CLIENTS if include_deleted else Action.READ_CLIENTS)
    result = paginate(
        session,
        _client_query(search=search, include_deleted=include_deleted),
        page or PageRequest(),
        _summary,
    )
    audit(
        session,
        actor,
        "client.list",
        "client",
        detail={"count": len(result.items), "page": result.page, "search": bool(search)},
    )
    return result


def list_clients(
    *,
    session: Session,
    actor: Actor,
    search: str | None = None,
    include_deleted: bool = False,
    limit: int = 500,
    offset: int = 0,
) -> list[ClientSummaryDTO]:
    """List clients by family and given name (at most 500 from *offset*; the JSON API)."""
    authorize(actor, Action.SEE_DELETED_CLIENTS if include_deleted else Action.READ_CLIENTS)
    query = _client_query(search=search, include_deleted=include_deleted)
    rows = list(session.scalars(query.limit(max(0, min(limit, 500))).offset(max(0, offset))))
    audit(
        session,
        actor,
        "client.list",
        "client",
        detail={"count": len(rows), "search": bool(search)},
    )
    return [_summary(c) for c in rows]


def likely_duplicates(*, session: Session, actor: Actor, client_id: int) -> list[ClientSummaryDTO]:
    """Return other live clients with the same name and birth date (a warning, never a block).

    Names compare without case and surrounding spaces; a client without a birth
    date has no likely duplicates (a shared name alone is common).
    """
    authorize(actor, Action.READ_CLIENTS)
    client = live_client(session, client_id)
    if client.birth_date is None:
        return []
    rows = list(
        session.scalars(
            select(m.Client)
            .where(
                m.Client.id != client.id,
                m.Client.deleted_at.is_(None),
                m.Client.birth_date == client.birth_date,
                func.lower(func.trim(m.Client.given_name)) == client.given_name.strip().lower(),
                func.lower(func.trim(m.Client.family_name)) == client.family_name.strip().lower(),
            )
            .order_by(m.Client.id)
            .limit(20)
        )
    )
    if rows:
        audit(
            session,
            actor,
            "client.duplicates",
            "client",
            client.id,
            client_id=client.id,
            detail={"count": len(rows)},
        )
    return [_summary(c) for c in rows]


def duplicate_warnings(*, session: Session, actor: Actor, client_id: int) -> list[RecordWarning]:
    """Return one warning per likely duplicate of a client (the form's flash and the API's list).

    See :func:`likely_duplicates` for what counts as one; the words are the same on
    the page and in the JSON API's answer to a create or an update (:func:`saved_client`).
    """
    return [
        RecordWarning(
            kind="possible_duplicate",
            message=(
                f"Possible duplicate: client #{d.id} ({d.name}) has the same name and birth "
                "date. Check before recording anything twice."
            ),
            client_id=d.id,
        )
        for d in likely_duplicates(session=session, actor=actor, client_id=client_id)
    ]


def saved_client(*, session: Session, actor: Actor, client: ClientDTO) -> ClientSavedDTO:
    """Return a client just created or updated, with the warnings about it.

    Parameters
    ----------
    client : ClientDTO
        What :func:`create_client` or :func:`update_client` returned.

    Returns
    -------
    ClientSavedDTO
        The client and :func:`duplicate_warnings` as of now: a change of name or birth
        date can make a likely duplicate as much as a new record can.
    """
    warnings = duplicate_warnings(session=session, actor=actor, client_id=client.id)
    return ClientSavedDTO(**client.model_dump(), warnings=warnings)


def update_client(
    *, session: Session, actor: Actor, client_id: int, data: ClientUpdate
) -> ClientDTO:
    """Change identity or contact fields (any role); returns the updated client.

    Fields that are ``None`` or absent stay as they are; an empty string clears
    ``email``, ``phone``, ``address`` or ``notes``.
    """
    authorize(actor, Action.EDIT_CLIENTS)
    client = live_client(session, client_id)
    changes = data.model_dump(exclude_unset=True, exclude_none=True)
    for field in _CLEARABLE:
        if changes.get(field) == "":
            changes[field] = None  # an empty string clears an optional field
    for field, value in changes.items():
        setattr(client, field, value)
    client.updated_at = m.utcnow()
    session.flush()
    audit(
        session,
        actor,
        "client.update",
        "client",
        client.id,
        client_id=client.id,
        detail={"fields": sorted(changes)},
    )
    return ClientDTO.model_validate(client)


def soft_delete_client(
    *, session: Session, actor: Actor, client_id: int, retention_note: str
) -> ClientDTO:
    """Hide a client from daily use, keeping the record for the retention period."""
    authorize(actor, Action.DELETE_CLIENT)
    if not retention_note or not retention_note.strip():
        raise InvalidRecord(
            "Say why and until when the record is kept (retention note), e.g. "
            "'client moved away; keep until 2033 per record-keeping rules'."
        )
    client = live_client(session, client_id)
    client.deleted_at = m.utcnow()
    client.deleted_by = actor.username
    client.retention_note = retention_note.strip()
    client.updated_at = m.utcnow()
    session.flush()
    audit(session, actor, "client.delete", "client", client.id, client_id=client.id)
    return ClientDTO.model_validate(client)


def undelete_client(*, session: Session, actor: Actor, client_id: int) -> ClientDTO:
    """Bring back a soft-deleted client (admin)."""
    authorize(actor, Action.RESTORE_CLIENT)
    client = live_client(session, client_id, include_deleted=True)
    if client.deleted_at is None:
        raise InvalidRecord(f"Client {client_id} is not deleted.")
    client.deleted_at = None
    client.deleted_by = None
    client.updated_at = m.utcnow()
    session.flush()
    audit(session, actor, "client.undelete", "client", client.id, client_id=client.id)
    return ClientDTO.model_validate(client)


def purge_client(
    *, session: Session, actor: Actor, client_id: int, store: PhotoStore | None = None
) -> PurgeReport:
    """Delete a client and everything recorded about them, photo files included (admin).

    Rows are deleted in the caller's transaction; the photo files (those whose
    hash no remaining photo row uses) are removed right after that transaction
    commits, never before. The audit log keeps the fact of the purge, not the
    content.
    """
    authorize(actor, Action.PURGE_CLIENT)

    client = session.get(m.Client, client_id)
    if client is None:
        raise NotFound(f"No client with id {client_id}.")
    store = store or get_photo_store()
    hashes = set(session.scalars(select(m.Photo.sha256).where(m.Photo.client_id == client_id)))
    session_ids = select(m.TreatmentSession.id).where(m.TreatmentSession.client_id == client_id)
    counts: dict[str, int] = {}

    def _delete(label: str, stmt: object) -> None:
        result = session.execute(stmt)  # type: ignore[call-overload]
        counts[label] = int(result.rowcount or 0)

    _delete("appointments", delete(m.Appointment).where(m.Appointment.client_id == client_id))
    _delete("measurements", delete(m.Measurement).where(m.Measurement.client_id == client_id))
    _delete("photo_choices", delete(m.PhotoChoice).where(m.PhotoChoice.client_id == client_id))
    _delete("photos", delete(m.Photo).where(m.Photo.client_id == client_id))
    _delete(
        "outcome_ratings", delete(m.OutcomeRating).where(m.OutcomeRating.client_id == client_id)
    )
    _delete("adverse_events", delete(m.AdverseEvent).where(m.AdverseEvent.client_id == client_id))
    _delete("consents", delete(m.Consent).where(m.Consent.client_id == client_id))
    _delete(
        "session_needles",
        delete(m.SessionNeedle).where(m.SessionNeedle.session_id.in_(session_ids)),
    )
    _delete(
        "session_amendments",
        delete(m.SessionAmendment).where(m.SessionAmendment.session_id.in_(session_ids)),
    )
    _delete(
        "treatment_sessions",
        delete(m.TreatmentSession).where(m.TreatmentSession.client_id == client_id),
    )
    _delete("plans", delete(m.Plan).where(m.Plan.client_id == client_id))
    _delete("intakes", delete(m.Intake).where(m.Intake.client_id == client_id))
    session.expunge(client)
    _delete("clients", delete(m.Client).where(m.Client.id == client_id))
    session.flush()
    still_used = (
        set(session.scalars(select(m.Photo.sha256).where(m.Photo.sha256.in_(hashes))))
        if hashes
        else set()
    )
    doomed = sorted(hashes - still_used)

    def _remove_files(_session: Session) -> None:
        for digest in doomed:
            store.delete(digest)

    # Files go only once the deletion is committed: a failed commit must not
    # leave photo rows whose files are gone.
    event.listen(session, "after_commit", _remove_files, once=True)
    removed = len(doomed)
    audit(
        session,
        actor,
        "client.purge",
        "client",
        client_id,
        client_id=client_id,
        detail={"rows": counts, "photo_files": removed},
    )
    session.flush()
    return PurgeReport(client_id=client_id, rows_deleted=counts, photo_files_deleted=removed)


def count_clients(*, session: Session, include_deleted: bool = True) -> int:
    """Count client rows (``demo-data`` and ``restore`` use it to detect existing data)."""
    query = select(func.count(m.Client.id))
    if not include_deleted:
        query = query.where(m.Client.deleted_at.is_(None))
    return int(session.scalar(query) or 0)
