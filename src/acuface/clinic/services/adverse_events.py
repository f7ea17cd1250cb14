"""Adverse events: bruising, bleeding, pain, swelling, itching, fainting, other."""

from __future__ import annotations

from datetime import date

from sqlalchemy.orm import Session

from acuface.clinic import models as m
from acuface.clinic.access import Action, authorize
from acuface.clinic.schemas import Actor, AdverseEventCreate, AdverseEventDTO
from acuface.clinic.services._common import (
    add_audited,
    audit,
    author,
    check_link,
    client_record,
    list_client_rows,
    live_client,
)
from acuface.clinic.services.sessions import canonical_point_code
from acuface.errors import InvalidRecord


def record_adverse_event(
    *, session: Session, actor: Actor, client_id: int, data: AdverseEventCreate
) -> AdverseEventDTO:
    """Record an adverse event (allowed on signed sessions too: it is a new record)."""
    authorize(actor, Action.WRITE_ADVERSE_EVENTS)
    live_client(session, client_id)
    check_link(
        session,
        model=m.TreatmentSession,
        record_id=data.session_id,
        client_id=client_id,
        label="session",
    )
    if data.resolved_date is not None and data.resolved_date < data.onset_date:
        raise InvalidRecord("The resolved date is before the onset date.")
    fields = data.model_dump()
    if data.point_code:
        fields["point_code"] = canonical_point_code(data.point_code)
    row = m.AdverseEvent(client_id=client_id, created_by=author(actor), **fields)
    add_audited(
        session,
        actor,
        row,
        record_type="adverse_event",
        detail={"kind": data.kind, "severity": data.severity},
    )
    return AdverseEventDTO.model_validate(row)


def resolve_adverse_event(
    *, session: Session, actor: Actor, event_id: int, resolved_date: date
) -> AdverseEventDTO:
    """Record when an adverse event resolved."""
    authorize(actor, Action.WRITE_ADVERSE_EVENTS)
    row = client_record(session, m.AdverseEvent, event_id, "adverse event")
    if resolved_date < row.onset_date:
        raise InvalidRecord("The resolved date is before the onset date.")
    row.resolved_date = resolved_date
    session.flush()
    audit(
        session,
        actor,
        "adverse_event.update",
        "adverse_event",
        row.id,
        client_id=row.client_id,
        detail={"fields": ["resolved_date"]},
    )
    return AdverseEventDTO.model_validate(row)


def list_adverse_events(*, session: Session, actor: Actor, client_id: int) -> list[AdverseEventDTO]:
    """Return a client's adverse events, newest first."""
    rows = list_client_rows(
        session,
        actor,
        model=m.AdverseEvent,
        client_id=client_id,
        order_by=(m.AdverseEvent.onset_date.desc(), m.AdverseEvent.id.desc()),
        record_type="adverse_event",
        action=Action.READ_ADVERSE_EVENTS,
    )
    return [AdverseEventDTO.model_validate(r) for r in rows]
