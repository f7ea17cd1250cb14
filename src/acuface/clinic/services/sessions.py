"""Treatment sessions (charting): draft, sign, amend.

Clinical record practice: once signed, a session note is never changed in
place. Later corrections are amendments, new dated entries by a named author
that sit beside the original. The services refuse edits of signed sessions
(:class:`~acuface.errors.RecordLocked`) and a database trigger refuses them too.

In this module ``session`` is the database session and ``session_id`` the id of
a treatment session.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from acuface.atlas import load_atlas
from acuface.clinic import models as m
from acuface.clinic.access import Action, allowed, authorize
from acuface.clinic.schemas import (
    MAX_NOTE_CHARS,
    Actor,
    AmendmentDTO,
    NeedleDTO,
    NeedleIn,
    ScheduleEntryDTO,
    SessionCreate,
    SessionDTO,
    SessionUpdate,
    check_needle_total,
)
from acuface.clinic.services._common import (
    add_audited,
    audit,
    author,
    check_link,
    client_record,
    list_client_rows,
    live_client,
    read_client_record,
)
from acuface.errors import InvalidRecord, RecordLocked


def canonical_point_code(code: str) -> str:
    """Return the atlas code for *code* (aliases resolved); unknown codes raise."""
    return str(load_atlas().lookup(code.strip()).code)


def _needle_rows(needles: list[NeedleIn]) -> list[m.SessionNeedle]:
    try:
        check_needle_total(needles)
    except ValueError as exc:
        raise InvalidRecord(f"Too many needles: {exc}.") from None
    merged: dict[tuple[str, str], int] = {}
    for needle in needles:
        key = (canonical_point_code(needle.point_code), needle.side)
        merged[key] = merged.get(key, 0) + needle.count
    return [m.SessionNeedle(point_code=c, side=s, count=n) for (c, s), n in merged.items()]


def _to_dto(row: m.TreatmentSession) -> SessionDTO:
    return SessionDTO(
        id=row.id,
        client_id=row.client_id,
        session_date=row.session_date,
        start_time=row.start_time,
        practitioner_id=row.practitioner_id,
        practitioner=row.practitioner.display_name,
        plan_id=row.plan_id,
        retention_minutes=row.retention_minutes,
        technique=row.technique,
        needles=[NeedleDTO.model_validate(n) for n in row.needles],
        subjective=row.subjective,
        objective=row.objective,
        assessment=row.assessment,
        plan_note=row.plan_note,
        status=row.status,
        signed_at=row.signed_at,
        signed_by_id=row.signed_by_id,
        signed_by=row.signed_by_name,
        created_at=row.created_at,
        updated_at=row.updated_at,
        amendments=[
            AmendmentDTO(
                id=a.id,
                session_id=a.session_id,
                created_at=a.created_at,
                author_id=a.author_id,
                author=a.author,
                text=a.text,
                reason=a.reason,
                needles=[NeedleDTO.model_validate(n) for n in a.needles]
                if a.needles is not None
                else None,
            )
            for a in row.amendments
        ],
    )


def _practitioner(session: Session, user_id: int) -> m.User:
    user = session.get(m.User, user_id)
    if user is None or not allowed(user.role, Action.TREAT_CLIENTS) or not user.is_active:
        raise InvalidRecord(f"User {user_id} is not an active practitioner.")
    return user


def _session_row(session: Session, session_id: int) -> m.TreatmentSession:
    return client_record(session, m.TreatmentSession, session_id, "session")


def _unsigned(row: m.TreatmentSession) -> None:
    if row.signed_at is not None:
        raise RecordLocked(
            f"Session {row.id} was signed on {row.signed_at:%Y-%m-%d %H:%M} UTC by "
            f"{row.signed_by_name}; it cannot be edited. Add an amendment instead."
        )


def create_session(
    *, session: Session, actor: Actor, client_id: int, data: SessionCreate
) -> SessionDTO:
    """Open a draft session (needles and notes may be filled in now or later)."""
    authorize(actor, Action.CHART_SESSIONS)
    live_client(session, client_id)
    practitioner_id = data.practitioner_id or actor.user_id
    if practitioner_id is None:
        raise InvalidRecord("Name the practitioner (practitioner_id) of the session.")
    _practitioner(session, practitioner_id)
    check_link(session, model=m.Plan, record_id=data.plan_id, client_id=client_id, label="plan")
    fields = data.model_dump(exclude={"needles", "practitioner_id"})
    row = m.TreatmentSession(client_id=client_id, practitioner_id=practitioner_id, **fields)
    row.needles = _needle_rows(data.needles)
    add_audited(session, actor, row, record_type="session")
    return _to_dto(row)


def get_session(*, session: Session, actor: Actor, session_id: int) -> SessionDTO:
    """Return one session with needles and amendments."""
    row = read_client_record(
        session,
        actor,
        model=m.TreatmentSession,
        record_id=session_id,
        record_type="session",
        action=Action.READ_SESSIONS,
    )
    return _to_dto(row)


def list_sessions(*, session: Session, actor: Actor, client_id: int) -> list[SessionDTO]:
    """Return a client's sessions, newest first."""
    rows = list_client_rows(
        session,
        actor,
        model=m.TreatmentSession,
        client_id=client_id,
        order_by=(m.TreatmentSession.session_date.desc(), m.TreatmentSession.id.desc()),
        record_type="session",
        action=Action.READ_SESSIONS,
    )
    return [_to_dto(r) for r in rows]


def list_schedule(
    *, session: Session, actor: Actor, day: date, practitioner_id: int | None = None
) -> list[ScheduleEntryDTO]:
    """Return the sessions of *day* without clinical content (any role)."""
    authorize(actor, Action.READ_SCHEDULE)
    query = (
        select(m.TreatmentSession, m.Client)
        .join(m.Client, m.Client.id == m.TreatmentSession.client_id)
        .where(m.TreatmentSession.session_date == day, m.Client.deleted_at.is_(None))
        .order_by(m.TreatmentSession.start_time, m.TreatmentSession.id)
    )
    if practitioner_id is not None:
        query = query.where(m.TreatmentSession.practitioner_id == practitioner_id)
    entries = [
        ScheduleEntryDTO(
            session_id=s.id,
            client_id=c.id,
            client_name=f"{c.given_name} {c.family_name}",
            session_date=s.session_date,
            start_time=s.start_time,
            practitioner_id=s.practitioner_id,
            practitioner=s.practitioner.display_name,
            status=s.status,
        )
        for s, c in session.execute(query).all()
    ]
    audit(
        session,
        actor,
        "schedule.read",
        "session",
        detail={"day": day.isoformat(), "count": len(entries)},
    )
    return entries


def update_session(
    *, session: Session, actor: Actor, session_id: int, data: SessionUpdate
) -> SessionDTO:
    """Change a draft session; raises :class:`RecordLocked` once signed."""
    authorize(actor, Action.CHART_SESSIONS)
    row = _session_row(session, session_id)
    _unsigned(row)
    changes = data.model_dump(exclude_unset=True, exclude_none=True, exclude={"needles"})
    if "practitioner_id" in changes:
        _practitioner(session, changes["practitioner_id"])
    check_link(
        session,
        model=m.Plan,
        record_id=changes.get("plan_id"),
        client_id=row.client_id,
        label="plan",
    )
    for field, value in changes.items():
        setattr(row, field, value)
    if data.needles is not None:
        row.needles = _needle_rows(data.needles)
        changes["needles"] = len(data.needles)
    row.updated_at = m.utcnow()
    session.flush()
    audit(
        session,
        actor,
        "session.update",
        "session",
        row.id,
        client_id=row.client_id,
        detail={"fields": sorted(changes)},
    )
    return _to_dto(row)


def set_needles(
    *, session: Session, actor: Actor, session_id: int, needles: list[NeedleIn]
) -> SessionDTO:
    """Replace the needle list of a draft session."""
    return update_session(
        session=session, actor=actor, session_id=session_id, data=SessionUpdate(needles=needles)
    )


def sign_session(*, session: Session, actor: Actor, session_id: int) -> SessionDTO:
    """Sign a session note: from now on it can only be amended."""
    authorize(actor, Action.SIGN_SESSIONS)
    row = _session_row(session, session_id)
    _unsigned(row)
    now = m.utcnow()
    row.signed_at = now
    row.signed_by_id = actor.user_id
    row.signed_by_name = actor.username
    row.status = "signed"
    row.updated_at = now
    session.flush()
    audit(session, actor, "session.sign", "session", row.id, client_id=row.client_id)
    return _to_dto(row)


def amend_session(
    *,
    session: Session,
    actor: Actor,
    session_id: int,
    text: str,
    reason: str | None = None,
    needles: list[NeedleIn] | None = None,
) -> SessionDTO:
    """Add a dated amendment to a signed session; the signed original stays as it was."""
    authorize(actor, Action.AMEND_SESSIONS)
    row = _session_row(session, session_id)
    if row.signed_at is None:
        raise InvalidRecord(f"Session {row.id} is not signed yet; edit it instead of amending.")
    if not text or not text.strip():
        raise InvalidRecord("An amendment needs a text saying what is added or corrected.")
    if len(text) > MAX_NOTE_CHARS or len(reason or "") > MAX_NOTE_CHARS:
        raise InvalidRecord(
            f"An amendment's text and reason have at most {MAX_NOTE_CHARS} characters."
        )
    corrected = None
    if needles is not None:
        corrected = [
            {"point_code": n.point_code, "side": n.side, "count": n.count}
            for n in _needle_rows(needles)
        ]
    amendment = m.SessionAmendment(
        session_id=row.id,
        author_id=actor.user_id,
        author=author(actor),
        text=text.strip(),
        reason=reason,
        needles=corrected,
    )
    session.add(amendment)
    session.flush()
    session.refresh(row, attribute_names=["amendments"])
    audit(
        session,
        actor,
        "session.amend",
        "session",
        row.id,
        client_id=row.client_id,
        detail={"amendment_id": amendment.id},
    )
    return _to_dto(row)
