"""Measurements, outcome ratings and consents."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from acuface.clinic import models as m
from acuface.clinic.schemas import (
    RATING_SCALES,
    Actor,
    ConsentCreate,
    ConsentDTO,
    MeasurementCreate,
    MeasurementDTO,
    RatingCreate,
    RatingDTO,
)
from acuface.clinic.services._common import (
    audit,
    author,
    check_belongs,
    get_or_404,
    live_client,
    require_clinical,
)
from acuface.errors import InvalidRecord


def _check_session_link(session: Session, session_id: int | None, client_id: int) -> None:
    if session_id is not None:
        check_belongs(
            get_or_404(session, m.TreatmentSession, session_id, "session"), client_id, "Session"
        )


def add_measurement(
    *, session: Session, actor: Actor, client_id: int, data: MeasurementCreate
) -> MeasurementDTO:
    """Store a measured value with the version of the method that produced it."""
    require_clinical(actor, "record measurements")
    live_client(session, client_id)
    _check_session_link(session, data.session_id, client_id)
    if data.photo_id is not None:
        check_belongs(get_or_404(session, m.Photo, data.photo_id, "photo"), client_id, "Photo")
    if data.value != data.value or data.value in (float("inf"), float("-inf")):
        raise InvalidRecord("A measurement must be a finite number.")
    fields = data.model_dump()
    fields["measured_at"] = data.measured_at or m.utcnow()
    row = m.Measurement(client_id=client_id, **fields)
    session.add(row)
    session.flush()
    audit(session, actor, "measurement.create", "measurement", row.id, client_id=client_id)
    return MeasurementDTO.model_validate(row)


def list_measurements(
    *, session: Session, actor: Actor, client_id: int, metric: str | None = None
) -> list[MeasurementDTO]:
    """Return a client's measurements, oldest first (for progress charts)."""
    require_clinical(actor, "read measurements")
    live_client(session, client_id)
    query = select(m.Measurement).where(m.Measurement.client_id == client_id)
    if metric is not None:
        query = query.where(m.Measurement.metric == metric)
    rows = session.scalars(query.order_by(m.Measurement.measured_at, m.Measurement.id)).all()
    audit(
        session,
        actor,
        "measurement.list",
        "measurement",
        client_id=client_id,
        detail={"count": len(rows)},
    )
    return [MeasurementDTO.model_validate(r) for r in rows]


def add_rating(*, session: Session, actor: Actor, client_id: int, data: RatingCreate) -> RatingDTO:
    """Store an outcome rating; the scale decides the allowed range and the rater."""
    require_clinical(actor, "record outcome ratings")
    live_client(session, client_id)
    scale = RATING_SCALES.get(data.scale)
    if scale is None:
        raise InvalidRecord(
            f"Unknown rating scale {data.scale!r}; use one of {', '.join(RATING_SCALES)}."
        )
    if not scale.min_value <= data.value <= scale.max_value:
        raise InvalidRecord(
            f"{scale.label}: {data.value} is outside {scale.min_value}-{scale.max_value}."
        )
    _check_session_link(session, data.session_id, client_id)
    row = m.OutcomeRating(
        client_id=client_id, rater=scale.rater, created_by=author(actor), **data.model_dump()
    )
    session.add(row)
    session.flush()
    audit(session, actor, "rating.create", "rating", row.id, client_id=client_id)
    return RatingDTO.model_validate(row)


def list_ratings(
    *, session: Session, actor: Actor, client_id: int, scale: str | None = None
) -> list[RatingDTO]:
    """Return a client's ratings, oldest first."""
    require_clinical(actor, "read outcome ratings")
    live_client(session, client_id)
    query = select(m.OutcomeRating).where(m.OutcomeRating.client_id == client_id)
    if scale is not None:
        query = query.where(m.OutcomeRating.scale == scale)
    rows = session.scalars(query.order_by(m.OutcomeRating.rated_on, m.OutcomeRating.id)).all()
    audit(session, actor, "rating.list", "rating", client_id=client_id, detail={"count": len(rows)})
    return [RatingDTO.model_validate(r) for r in rows]


def record_consent(
    *, session: Session, actor: Actor, client_id: int, data: ConsentCreate
) -> ConsentDTO:
    """Record a consent given (or refused)."""
    require_clinical(actor, "record consents")
    live_client(session, client_id)
    row = m.Consent(client_id=client_id, created_by=author(actor), **data.model_dump())
    session.add(row)
    session.flush()
    audit(
        session,
        actor,
        "consent.create",
        "consent",
        row.id,
        client_id=client_id,
        detail={"kind": data.kind, "granted": data.granted},
    )
    return ConsentDTO.model_validate(row)


def withdraw_consent(
    *, session: Session, actor: Actor, consent_id: int, withdrawn_on: date
) -> ConsentDTO:
    """Record that a consent was withdrawn (the original stays on record)."""
    require_clinical(actor, "update consents")
    row = get_or_404(session, m.Consent, consent_id, "consent")
    live_client(session, row.client_id)
    if row.withdrawn_on is not None:
        raise InvalidRecord(f"Consent {consent_id} was already withdrawn on {row.withdrawn_on}.")
    if withdrawn_on < row.signed_on:
        raise InvalidRecord("A consent cannot be withdrawn before it was given.")
    row.withdrawn_on = withdrawn_on
    session.flush()
    audit(session, actor, "consent.update", "consent", row.id, client_id=row.client_id)
    return ConsentDTO.model_validate(row)


def list_consents(*, session: Session, actor: Actor, client_id: int) -> list[ConsentDTO]:
    """Return a client's consents, newest first."""
    require_clinical(actor, "read consents")
    live_client(session, client_id)
    rows = session.scalars(
        select(m.Consent)
        .where(m.Consent.client_id == client_id)
        .order_by(m.Consent.signed_on.desc(), m.Consent.id.desc())
    ).all()
    audit(
        session, actor, "consent.list", "consent", client_id=client_id, detail={"count": len(rows)}
    )
    return [ConsentDTO.model_validate(r) for r in rows]
