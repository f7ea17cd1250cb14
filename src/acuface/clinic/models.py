"""SQLAlchemy 2 models of the clinic records (typed ``Mapped[]`` columns).

Only the services in :mod:`acuface.clinic.services` use these classes; everything
outside the clinic package sees the DTOs of :mod:`acuface.clinic.schemas`.

Timestamps are stored in UTC and come back timezone-aware on both SQLite and
PostgreSQL (:class:`UTCDateTime`). Snapshots (plans, face maps, skin reports)
are stored as JSON together with the version of the code that produced them,
so records do not change when the code does.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    Time,
    func,
    literal_column,
    select,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, column_property, mapped_column, relationship
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.types import TypeDecorator

# Stable constraint names so that migrations are the same on SQLite and PostgreSQL.
NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

JsonType = JSON().with_variant(JSONB(), "postgresql")


def utcnow() -> datetime:
    """Return the current time, timezone-aware UTC."""
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """A timestamp stored as UTC and returned timezone-aware.

    SQLite has no time zones; without this, values would come back naive there
    and aware on PostgreSQL.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        """Convert to UTC (naive on SQLite, which has no time zones)."""
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column; use an aware datetime")
        value = value.astimezone(UTC)
        if dialect.name == "sqlite":
            return value.replace(tzinfo=None)
        return value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        """Return an aware UTC datetime."""
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


class Base(DeclarativeBase):
    """Declarative base with stable constraint names."""

    metadata = MetaData(naming_convention=NAMING)


#: Indexes that migrations create on some databases only and the models do not
#: declare (SQLAlchemy cannot state them portably): the PostgreSQL trigram index of
#: the client search (migration 0005, when pg_trgm is available).
DATABASE_ONLY_INDEXES: frozenset[str] = frozenset({"ix_clients_search_trgm"})

#: SQL of :func:`client_search_text`, as the PostgreSQL trigram index (migration 0005)
#: has it; the expression must stay the same for the index to serve the search.
CLIENT_SEARCH_SQL = (
    "lower(given_name || ' ' || family_name || ' ' || coalesce(email, '') || ' ' "
    "|| coalesce(phone, ''))"
)


class User(Base):
    """A person who logs in: admin, practitioner or reception."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(50), unique=True)
    display_name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(20))
    # Printed after the name on signed notes ("Lic. Ac., MSc"); a practitioner's own.
    credentials: Mapped[str | None] = mapped_column(String(200), nullable=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    #: Raised when the password, role or active state changes: sign-in sessions
    #: started under an older value are over (whichever store keeps them).
    session_epoch: Mapped[int] = mapped_column(Integer, default=0, server_default="0")


class Client(Base):
    """A client: identity, contact, notes; soft-deleted with a retention note."""

    __tablename__ = "clients"
    # The client list's order. (On PostgreSQL the search has a trigram index too,
    # see DATABASE_ONLY_INDEXES.)
    __table_args__ = (Index("ix_clients_list_order", "family_name", "given_name", "id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    given_name: Mapped[str] = mapped_column(String(100))
    family_name: Mapped[str] = mapped_column(String(100), index=True)
    birth_date: Mapped[date | None] = mapped_column(Date, nullable=True)
    sex: Mapped[str] = mapped_column(String(10), default="unknown")
    email: Mapped[str | None] = mapped_column(String(200), nullable=True)
    phone: Mapped[str | None] = mapped_column(String(50), nullable=True)
    address: Mapped[str | None] = mapped_column(String(500), nullable=True)
    notes: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    deleted_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    deleted_by: Mapped[str | None] = mapped_column(String(100), nullable=True)
    retention_note: Mapped[str | None] = mapped_column(Text, nullable=True)


def client_search_text() -> ColumnElement[str]:
    """Return a client's name, e-mail and phone as one lower-case text (the search target)."""
    space: ColumnElement[str] = literal_column("' '")
    empty: ColumnElement[str] = literal_column("''")
    return func.lower(
        Client.given_name
        + space
        + Client.family_name
        + space
        + func.coalesce(Client.email, empty)
        + space
        + func.coalesce(Client.phone, empty)
    )


class Intake(Base):
    """An intake: the planner's Intake as JSON, plus free notes."""

    __tablename__ = "intakes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("clients.id"), index=True)
    intake_date: Mapped[date] = mapped_column(Date)
    intake: Mapped[dict[str, Any]] = mapped_column(JsonType)
    notes: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by: Mapped[str] = mapped_column(String(100))


class Plan(Base):
    """A frozen snapshot of a planner Plan with the planner version that made it."""

    __tablename__ = "plans"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("clients.id"), index=True)
    intake_id: Mapped[int | None] = mapped_column(
        ForeignKey("intakes.id"), nullable=True, index=True
    )
    planner_version: Mapped[str] = mapped_column(String(50))
    plan: Mapped[dict[str, Any]] = mapped_column(JsonType)
    needle_count: Mapped[int | None] = mapped_column(Integer, nullable=True)
    note: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by: Mapped[str] = mapped_column(String(100))


class TreatmentSession(Base):
    """One treatment session (a visit) with SOAP notes; locked once signed."""

    __tablename__ = "treatment_sessions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("clients.id"), index=True)
    practitioner_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    plan_id: Mapped[int | None] = mapped_column(ForeignKey("plans.id"), nullable=True, index=True)
    session_date: Mapped[date] = mapped_column(Date, index=True)
    start_time: Mapped[time | None] = mapped_column(Time, nullable=True)
    retention_minutes: Mapped[int | None] = mapped_column(Integer, nullable=True)
    technique: Mapped[str | None] = mapped_column(String(500), nullable=True)
    subjective: Mapped[str | None] = mapped_column(Text, nullable=True)
    objective: Mapped[str | None] = mapped_column(Text, nullable=True)
    assessment: Mapped[str | None] = mapped_column(Text, nullable=True)
    plan_note: Mapped[str | None] = mapped_column(Text, nullable=True)
    # The structured treatment note: the count of needles taken out (checked against
    # the needles put in before signing), aftercare given (ids of practice.yaml), the
    # latest INR for a client on warfarin, and the position treated in.
    needles_out: Mapped[int | None] = mapped_column(Integer, nullable=True)
    aftercare: Mapped[list[str] | None] = mapped_column(JsonType, nullable=True)
    inr: Mapped[float | None] = mapped_column(Float, nullable=True)
    position: Mapped[str | None] = mapped_column(String(20), nullable=True)
    status: Mapped[str] = mapped_column(String(10), default="draft")
    signed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    signed_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id"), nullable=True, index=True
    )
    signed_by_name: Mapped[str | None] = mapped_column(String(100), nullable=True)
    # The signer's credentials as they were when signing, and why someone other
    # than the note's practitioner signed it (both kept: signer and practitioner).
    signed_by_credentials: Mapped[str | None] = mapped_column(String(200), nullable=True)
    signed_for_reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    practitioner: Mapped[User] = relationship(foreign_keys=[practitioner_id], lazy="joined")
    needles: Mapped[list[SessionNeedle]] = relationship(
        back_populates="treatment_session",
        order_by="SessionNeedle.id",
        cascade="all, delete-orphan",
        lazy="selectin",
    )
    amendments: Mapped[list[SessionAmendment]] = relationship(
        back_populates="treatment_session",
        order_by="SessionAmendment.id",
        cascade="all, delete-orphan",
        lazy="selectin",
    )


class SessionNeedle(Base):
    """Needles at one point and side in one session."""

    __tablename__ = "session_needles"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("treatment_sessions.id"), index=True)
    point_code: Mapped[str] = mapped_column(String(20))
    side: Mapped[str] = mapped_column(String(10))
    count: Mapped[int] = mapped_column(Integer, default=1)
    # How the point was needled (the plan's technique unless the practitioner says
    # otherwise), and why a point the plan left out was needled anyway.
    technique: Mapped[str | None] = mapped_column(String(300), nullable=True)
    override_reason: Mapped[str | None] = mapped_column(Text, nullable=True)

    treatment_session: Mapped[TreatmentSession] = relationship(back_populates="needles")


class SessionAmendment(Base):
    """A dated addition to a signed session; the signed original is never changed."""

    __tablename__ = "session_amendments"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("treatment_sessions.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True, index=True)
    author: Mapped[str] = mapped_column(String(100))
    text: Mapped[str] = mapped_column(Text)
    reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    needles: Mapped[list[dict[str, Any]] | None] = mapped_column(JsonType, nullable=True)

    treatment_session: Mapped[TreatmentSession] = relationship(back_populates="amendments")


class AdverseEvent(Base):
    """An adverse event (bruising, bleeding, pain ...) with severity and resolution."""

    __tablename__ = "adverse_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("clients.id"), index=True)
    session_id: Mapped[int | None] = mapped_column(
        ForeignKey("treatment_sessions.id"), nullable=True, index=True
    )
    kind: Mapped[str] = mapped_column(String(20))
    severity: Mapped[str] = mapped_column(String(10))
    point_code: Mapped[str | None] = mapped_column(String(20), nullable=True)
    side: Mapped[str | None] = mapped_column(String(10), nullable=True)
    onset_date: Mapped[date] = mapped_column(Date)
    resolved_date: Mapped[date | None] = mapped_column(Date, nullable=True)
    description: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by: Mapped[str] = mapped_column(String(100))


class Photo(Base):
    """A stored photo's metadata; the bytes live in the photo store under ``sha256``."""

    __tablename__ = "photos"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("clients.id"), index=True)
    session_id: Mapped[int | None] = mapped_column(
        ForeignKey("treatment_sessions.id"), nullable=True, index=True
    )
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    content_type: Mapped[str] = mapped_column(String(50))
    width: Mapped[int] = mapped_column(Integer)
    height: Mapped[int] = mapped_column(Integer)
    byte_size: Mapped[int] = mapped_column(Integer)
    # Two dates: when the camera took it (EXIF, only if plausible; may be None) and
    # when it joined the record. Comparisons use the visit or the added date, never
    # the camera's clock (a camera set to 2012 must not reorder a course).
    captured_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    added_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    view: Mapped[str] = mapped_column(String(20), default="front")
    yaw_deg: Mapped[float | None] = mapped_column(Float, nullable=True)
    pitch_deg: Mapped[float | None] = mapped_column(Float, nullable=True)
    roll_deg: Mapped[float | None] = mapped_column(Float, nullable=True)
    quality_ok: Mapped[bool | None] = mapped_column(Boolean, nullable=True)
    quality_flags: Mapped[list[str]] = mapped_column(JsonType, default=list)
    face_in_frame: Mapped[bool | None] = mapped_column(Boolean, nullable=True)
    face_map: Mapped[dict[str, Any] | None] = mapped_column(JsonType, nullable=True)
    face_map_version: Mapped[str | None] = mapped_column(String(50), nullable=True)
    skin_report: Mapped[dict[str, Any] | None] = mapped_column(JsonType, nullable=True)
    skin_method_version: Mapped[str | None] = mapped_column(String(50), nullable=True)
    note: Mapped[str | None] = mapped_column(Text, nullable=True)
    # Hidden (soft-deleted) photos stay in the record until an admin purges them.
    hidden_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    hidden_by: Mapped[str | None] = mapped_column(String(100), nullable=True)
    hidden_reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by: Mapped[str] = mapped_column(String(100))

    #: Date of the visit the photo belongs to (None when it is linked to none).
    visit_date: Mapped[date | None] = column_property(
        select(TreatmentSession.session_date)
        .where(TreatmentSession.id == session_id)
        .correlate_except(TreatmentSession)
        .scalar_subquery()
    )


class PhotoChoice(Base):
    """The photo a plan or a session is drawn on, chosen by the practitioner.

    Kept beside the plan and the note rather than in them: plans are snapshots and
    signed notes are locked, while the picture they are shown on may change.
    Exactly one of ``plan_id`` and ``session_id`` is set.
    """

    __tablename__ = "photo_choices"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("clients.id"), index=True)
    plan_id: Mapped[int | None] = mapped_column(ForeignKey("plans.id"), nullable=True, unique=True)
    session_id: Mapped[int | None] = mapped_column(
        ForeignKey("treatment_sessions.id"), nullable=True, unique=True
    )
    photo_id: Mapped[int] = mapped_column(ForeignKey("photos.id"), index=True)
    chosen_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    chosen_by: Mapped[str] = mapped_column(String(100))


class Measurement(Base):
    """A measured value (metric, region, value, method version)."""

    __tablename__ = "measurements"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("clients.id"), index=True)
    photo_id: Mapped[int | None] = mapped_column(ForeignKey("photos.id"), nullable=True, index=True)
    session_id: Mapped[int | None] = mapped_column(
        ForeignKey("treatment_sessions.id"), nullable=True, index=True
    )
    metric: Mapped[str] = mapped_column(String(100))
    region: Mapped[str] = mapped_column(String(100))
    value: Mapped[float] = mapped_column(Float)
    unit: Mapped[str | None] = mapped_column(String(30), nullable=True)
    method_version: Mapped[str] = mapped_column(String(50))
    measured_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class OutcomeRating(Base):
    """An outcome rating on a named scale (GAIS, 0-10 scales)."""

    __tablename__ = "outcome_ratings"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("clients.id"), index=True)
    session_id: Mapped[int | None] = mapped_column(
        ForeignKey("treatment_sessions.id"), nullable=True, index=True
    )
    scale: Mapped[str] = mapped_column(String(50))
    value: Mapped[int] = mapped_column(Integer)
    rater: Mapped[str] = mapped_column(String(20))
    rated_on: Mapped[date] = mapped_column(Date)
    note: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by: Mapped[str] = mapped_column(String(100))


class Consent(Base):
    """A consent given or refused, who signed and witnessed it, and when it was withdrawn.

    ``document_version`` is the id of the consent text shown (``consent_texts.yaml``).
    """

    __tablename__ = "consents"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("clients.id"), index=True)
    kind: Mapped[str] = mapped_column(String(30))
    granted: Mapped[bool] = mapped_column(Boolean)
    signed_on: Mapped[date] = mapped_column(Date)
    withdrawn_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    withdrawn_by: Mapped[str | None] = mapped_column(String(100), nullable=True)
    document_version: Mapped[str | None] = mapped_column(String(100), nullable=True)
    # The name the client typed, and the signature drawn on the tablet (PNG bytes).
    signed_by: Mapped[str | None] = mapped_column(String(200), nullable=True)
    signature_png: Mapped[bytes | None] = mapped_column(LargeBinary, nullable=True)
    # No foreign key (as in the audit log): SQLite cannot add one to an existing
    # table without a rebuild that would drop the signed-note triggers; users are
    # deactivated, never deleted, and the witness's name is kept beside the id.
    witness_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    witness_name: Mapped[str | None] = mapped_column(String(200), nullable=True)
    note: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by: Mapped[str] = mapped_column(String(100))


class AuditEntry(Base):
    """Append-only audit log. No foreign keys: entries outlive purged records."""

    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_log_client_at", "client_id", "at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    user_id: Mapped[int | None] = mapped_column(Integer, nullable=True, index=True)
    username: Mapped[str] = mapped_column(String(100))
    role: Mapped[str | None] = mapped_column(String(20), nullable=True)
    action: Mapped[str] = mapped_column(String(50), index=True)
    record_type: Mapped[str] = mapped_column(String(50))
    record_id: Mapped[str | None] = mapped_column(String(50), nullable=True)
    client_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    source: Mapped[str] = mapped_column(String(100))
    detail: Mapped[str | None] = mapped_column(Text, nullable=True)


class LoginSession(Base):
    """A web sign-in session (server side; the cookie holds only its random id, signed).

    Keyed by the SHA-256 of the id, so that reading this table gives no usable
    cookie. ``user_id`` is NULL for a visitor not signed in who has a message
    waiting (after signing out). Not part of backups: sessions are short-lived.
    """

    __tablename__ = "login_sessions"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), nullable=True, index=True
    )
    epoch: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[float] = mapped_column(Float)
    last_seen_at: Mapped[float] = mapped_column(Float, index=True)
    ip: Mapped[str] = mapped_column(String(100))
    user_agent: Mapped[str] = mapped_column(String(300))
    data: Mapped[str] = mapped_column(Text)


class LoginThrottle(Base):
    """A fixed-window counter of failed sign-ins (one key per account, address or device).

    Shared by every server process; ``expires_at`` is Unix time in seconds.
    """

    __tablename__ = "login_throttle"

    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    count: Mapped[int] = mapped_column(Integer)
    expires_at: Mapped[float] = mapped_column(Float)


class ClinicSettings(Base):
    """The clinic's settings: one row (id 1), written by an admin.

    Hours, closed days, kinds and rooms are JSON validated by
    :class:`~acuface.clinic.schemas.ClinicSettingsUpdate` on the way in. The logo is
    a small PNG kept as base64 text so that backups (JSON lines) carry it unchanged.
    """

    __tablename__ = "clinic_settings"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    address: Mapped[str | None] = mapped_column(String(500), nullable=True)
    phone: Mapped[str | None] = mapped_column(String(50), nullable=True)
    email: Mapped[str | None] = mapped_column(String(200), nullable=True)
    timezone: Mapped[str] = mapped_column(String(60), default="UTC")
    opening_hours: Mapped[list[dict[str, Any]]] = mapped_column(JsonType)
    closed_days: Mapped[list[dict[str, Any]]] = mapped_column(JsonType)
    appointment_kinds: Mapped[list[dict[str, Any]]] = mapped_column(JsonType)
    rooms: Mapped[list[str]] = mapped_column(JsonType)
    logo_png_b64: Mapped[str | None] = mapped_column(Text, nullable=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_by: Mapped[str] = mapped_column(String(100))


class Appointment(Base):
    """A booked visit: who, with whom, when, how long, which kind, in which room.

    ``end_at`` is stored (start + duration) so that clash checks and calendar
    ranges are plain indexed comparisons. ``session_id`` links the visit's
    treatment note once it is charted (one note per visit).
    """

    __tablename__ = "appointments"
    __table_args__ = (
        Index("ix_appointments_practitioner_start", "practitioner_id", "start_at"),
        Index("ix_appointments_start_at", "start_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("clients.id"), index=True)
    practitioner_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    room: Mapped[str | None] = mapped_column(String(50), nullable=True)
    start_at: Mapped[datetime] = mapped_column(UTCDateTime)
    end_at: Mapped[datetime] = mapped_column(UTCDateTime)
    duration_min: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(30))
    status: Mapped[str] = mapped_column(String(12), default="booked")
    note: Mapped[str | None] = mapped_column(Text, nullable=True)
    plan_id: Mapped[int | None] = mapped_column(ForeignKey("plans.id"), nullable=True)
    session_id: Mapped[int | None] = mapped_column(
        ForeignKey("treatment_sessions.id"), nullable=True, unique=True
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by: Mapped[str] = mapped_column(String(100))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    client: Mapped[Client] = relationship(lazy="joined")
    practitioner: Mapped[User] = relationship(lazy="joined")


class CalendarFeed(Base):
    """A practitioner's private calendar feed: the secret token of its URL."""

    __tablename__ = "calendar_feeds"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), unique=True)
    token: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


#: Tables in an order that respects foreign keys (parents first); backup/restore uses it.
TABLE_ORDER: tuple[str, ...] = (
    "users",
    "clients",
    "intakes",
    "plans",
    "treatment_sessions",
    "session_needles",
    "session_amendments",
    "adverse_events",
    "photos",
    "photo_choices",
    "measurements",
    "outcome_ratings",
    "consents",
    "clinic_settings",
    "appointments",
    "calendar_feeds",
    "audit_log",
)
