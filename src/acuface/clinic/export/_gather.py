"""Load everything recorded about one client (shared by the FHIR and CSV exports)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from acuface.clinic import models as m
from acuface.clinic.access import Action, authorize
from acuface.clinic.schemas import Actor
from acuface.clinic.services._common import audit, live_client


@dataclass
class ClientRecord:
    """All rows of one client."""

    client: m.Client
    intakes: list[m.Intake]
    plans: list[m.Plan]
    sessions: list[m.TreatmentSession]
    events: list[m.AdverseEvent]
    photos: list[m.Photo]
    measurements: list[m.Measurement]
    ratings: list[m.OutcomeRating]
    consents: list[m.Consent]


def gather(session: Session, actor: Actor, client_id: int, fmt: str) -> ClientRecord:
    """Return the client's rows in a stable order and audit the export."""
    authorize(actor, Action.EXPORT_RECORDS)
    client = live_client(session, client_id, include_deleted=True)

    def rows(model: type[m.Base], *order: object) -> list:
        column = model.client_id  # type: ignore[attr-defined]
        query = select(model).where(column == client_id).order_by(*order)  # type: ignore[arg-type]
        return list(session.scalars(query))

    record = ClientRecord(
        client=client,
        intakes=rows(m.Intake, m.Intake.id),
        plans=rows(m.Plan, m.Plan.id),
        sessions=rows(m.TreatmentSession, m.TreatmentSession.session_date, m.TreatmentSession.id),
        events=rows(m.AdverseEvent, m.AdverseEvent.id),
        photos=rows(m.Photo, m.Photo.id),
        measurements=rows(m.Measurement, m.Measurement.id),
        ratings=rows(m.OutcomeRating, m.OutcomeRating.id),
        consents=rows(m.Consent, m.Consent.id),
    )
    audit(
        session,
        actor,
        "client.export",
        "client",
        client_id,
        client_id=client_id,
        detail={"format": fmt},
    )
    return record
