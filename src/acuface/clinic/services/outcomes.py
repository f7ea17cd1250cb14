"""Measurements and outcome ratings (consents: :mod:`acuface.clinic.services.consents`)."""

from __future__ import annotations

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from acuface.clinic import models as m
from acuface.clinic.access import Action, authorize
from acuface.clinic.schemas import (
    RATING_SCALES,
    Actor,
    MeasurementCreate,
    MeasurementDTO,
    RatingCreate,
    RatingDTO,
)
from acuface.clinic.services._common import (
    add_audited,
    author,
    check_link,
    list_client_rows,
    live_client,
)
from acuface.errors import InvalidRecord


def _check_session_link(session: Session, session_id: int | None, client_id: int) -> None:
    check_link(
        session,
        model=m.TreatmentSession,
        record_id=session_id,
        client_id=client_id,
        label="session",
    )


def add_measurement(
    *, session: Session, actor: Actor, client_id: int, data: MeasurementCreate
) -> MeasurementDTO:
    """Store a measured value with the version of the method that produced it."""
    authorize(actor, Action.WRITE_MEASUREMENTS)
    live_client(session, client_id)
    _check_session_link(session, data.session_id, client_id)
    check_link(session, model=m.Photo, record_id=data.photo_id, client_id=client_id, label="photo")
    if data.value != data.value or data.value in (float("inf"), float("-inf")):
        raise InvalidRecord("A measurement must be a finite number.")
    fields = data.model_dump()
    fields["measured_at"] = data.measured_at or m.utcnow()
    row = m.Measurement(client_id=client_id, **fields)
    add_audited(session, actor, row, record_type="measurement")
    return MeasurementDTO.model_validate(row)


def list_measurements(
    *, session: Session, actor: Actor, client_id: int, metric: str | None = None
) -> list[MeasurementDTO]:
    """Return a client's measurements, oldest first (for progress charts).

    Measurements of a hidden photo are left out: a photo is hidden because it
    failed, and its numbers should not move the charts.
    """
    hidden = select(m.Photo.id).where(m.Photo.hidden_at.is_not(None))
    where = [or_(m.Measurement.photo_id.is_(None), m.Measurement.photo_id.not_in(hidden))]
    if metric is not None:
        where.append(m.Measurement.metric == metric)
    rows = list_client_rows(
        session,
        actor,
        model=m.Measurement,
        client_id=client_id,
        order_by=(m.Measurement.measured_at, m.Measurement.id),
        record_type="measurement",
        action=Action.READ_MEASUREMENTS,
        where=where,
    )
    return [MeasurementDTO.model_validate(r) for r in rows]


def add_rating(*, session: Session, actor: Actor, client_id: int, data: RatingCreate) -> RatingDTO:
    """Store an outcome rating; the scale decides the allowed range and the rater."""
    authorize(actor, Action.WRITE_RATINGS)
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
    add_audited(session, actor, row, record_type="rating")
    return RatingDTO.model_validate(row)


def list_ratings(
    *, session: Session, actor: Actor, client_id: int, scale: str | None = None
) -> list[RatingDTO]:
    """Return a client's ratings, oldest first."""
    rows = list_client_rows(
        session,
        actor,
        model=m.OutcomeRating,
        client_id=client_id,
        order_by=(m.OutcomeRating.rated_on, m.OutcomeRating.id),
        record_type="rating",
        action=Action.READ_RATINGS,
        where=() if scale is None else (m.OutcomeRating.scale == scale,),
    )
    return [RatingDTO.model_validate(r) for r in rows]
