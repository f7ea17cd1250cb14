"""Treatment sessions (charting): draft, sign, amend.

Clinical record practice: once signed, a session note is never changed in
place. Later corrections are amendments, new dated entries by a named author
that sit beside the original. The services refuse edits of signed sessions
(:class:`~acuface.errors.RecordLocked`) and a database trigger refuses them too.

Charting follows the session's plan: a needle at a point the plan left out
(for safety, a limit, the budget or the practitioner's removal) needs an
override with a reason, which is kept with the needle and in the audit log;
a planned point takes the plan's technique unless another is given. A note
with needles is signed only once the needles counted out match the needles
put in (or a missing or stuck needle is recorded as an adverse event).

In this module ``session`` is the database session and ``session_id`` the id of
a treatment session.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import Label, func, select
from sqlalchemy.orm import Session, lazyload

from acuface.atlas import load_atlas
from acuface.atlas.knowledge import load_knowledge
from acuface.clinic import models as m
from acuface.clinic.access import Action, allowed, authorize
from acuface.clinic.paging import Page, PageRequest, paginate
from acuface.clinic.schemas import (
    MAX_NOTE_CHARS,
    Actor,
    AmendmentDTO,
    NeedleDTO,
    NeedleIn,
    ScheduleEntryDTO,
    SessionCreate,
    SessionDTO,
    SessionListItemDTO,
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
from acuface.clinic.services.consents import require_consent
from acuface.errors import InvalidRecord, RecordLocked
from acuface.planner.snapshot import PlanSnapshot, SnapshotPoint, SnapshotTechnique


def canonical_point_code(code: str) -> str:
    """Return the atlas code for *code* (aliases resolved); unknown codes raise."""
    return str(load_atlas().lookup(code.strip()).code)


def _needle_rows(needles: list[NeedleIn]) -> list[m.SessionNeedle]:
    try:
        check_needle_total(needles)
    except ValueError as exc:
        raise InvalidRecord(f"Too many needles: {exc}.") from None
    merged: dict[tuple[str, str], m.SessionNeedle] = {}
    for needle in needles:
        key = (canonical_point_code(needle.point_code), needle.side)
        row = merged.get(key)
        if row is None:
            merged[key] = m.SessionNeedle(
                point_code=key[0],
                side=key[1],
                count=needle.count,
                technique=needle.technique,
                override_reason=needle.override_reason,
            )
            continue
        row.count += needle.count
        row.technique = row.technique or needle.technique
        row.override_reason = row.override_reason or needle.override_reason
    return list(merged.values())


def _plan_snapshot(session: Session, plan_id: int | None) -> PlanSnapshot | None:
    plan = session.get(m.Plan, plan_id) if plan_id is not None else None
    return PlanSnapshot.read(plan.plan) if plan is not None else None


def follow_plan(rows: list[m.SessionNeedle], plan: PlanSnapshot | None) -> list[dict[str, str]]:
    """Check charted needles against the session's plan; return the overrides made.

    A planned point without a technique takes the plan's. A point the plan left
    out needs an ``override_reason``.

    Raises
    ------
    InvalidRecord
        A point the plan excluded, charted without a reason (the message says why
        the plan left it out).
    """
    if plan is None:
        return []
    excluded = {e.code: e.why for e in plan.excluded}
    techniques = {p.code: technique_text(p.technique) for p in plan.points if p.technique}
    overrides: list[dict[str, str]] = []
    for row in rows:
        if row.point_code in techniques and not row.technique:
            row.technique = techniques[row.point_code]
        why = excluded.get(row.point_code)
        if why is None:
            continue
        reason = (row.override_reason or "").strip()
        if not reason:
            raise InvalidRecord(
                f"{row.point_code} was left out of this session's plan ({why}). Needling it "
                "needs an override: give the reason."
            )
        row.override_reason = reason
        overrides.append(
            {"point": row.point_code, "side": row.side, "reason": reason, "plan_excluded": why}
        )
    return overrides


def technique_text(technique: SnapshotTechnique) -> str:
    """Return a plan technique in one line, as recorded with a needle."""
    return technique.describe()[:300]


def _audit_overrides(
    session: Session, actor: Actor, row: m.TreatmentSession, overrides: list[dict[str, str]]
) -> None:
    for override in overrides:
        audit(
            session,
            actor,
            "session.override",
            "session",
            row.id,
            client_id=row.client_id,
            detail=override,
        )


@dataclass(frozen=True)
class ChartGuidance:
    """What the charting page shows from the session's plan (screening and techniques).

    Attributes
    ----------
    banner : list of str
        Screening that applies to this client (rule labels with what they ask), the
        restrictions and the position; first a "Not final" line while critical
        questions are unanswered.
    unanswered : list of str
        Labels of the critical questions the plan could not ask.
    excluded : dict of str to str
        Point code -> why the plan left it out (charting it needs a reason).
    techniques : dict of str to str
        Point code -> the plan's technique for it, in one line.
    planned_needles : int or None
        Needles the plan counts, for the running total.
    """

    banner: list[str]
    unanswered: list[str]
    excluded: dict[str, str]
    techniques: dict[str, str]
    planned_needles: int | None


def chart_guidance(plan: PlanSnapshot | None) -> ChartGuidance:
    """Return the screening banner, exclusions and techniques of a stored plan."""
    if plan is None:
        return ChartGuidance([], [], {}, {}, None)
    labels = {rule.id: rule.label for rule in load_knowledge().screening.rules}
    unanswered = [labels.get(r, r) for r in plan.screening_unanswered]
    positive = [labels.get(r, r) for r in plan.screening_positive]
    banner: list[str] = []
    if unanswered:
        banner.append(
            "Not final: the plan was made without answers to " + ", ".join(unanswered) + "."
        )
    for label in positive:
        said = [c.split(": ", 1)[1] for c in plan.cautions if c.startswith(f"{label}: ")]
        banner.append(f"{label}: {' '.join(said)}" if said else label)
    banner.extend(f"Technique: {r}." for r in plan.restrictions)
    if plan.session is not None and plan.session.position_why:
        asked = ", ".join(labels.get(r, r) for r in plan.session.position_why)
        banner.append(f"Position: {plan.session.position_label} ({asked}).")
    return ChartGuidance(
        banner=banner,
        unanswered=unanswered,
        excluded={e.code: e.why for e in plan.excluded},
        techniques={p.code: technique_text(p.technique) for p in plan.points if p.technique},
        planned_needles=plan.needle_count,
    )


def session_guidance(*, session: Session, actor: Actor, plan_id: int | None) -> ChartGuidance:
    """Return :func:`chart_guidance` for a stored plan (clinical roles only)."""
    authorize(actor, Action.READ_SESSIONS)
    return chart_guidance(_plan_snapshot(session, plan_id))


#: Adverse events that explain a needles-out count short of the count in.
_COUNT_EVENTS = ("forgotten_needle", "stuck_needle")


def check_needle_count(session: Session, row: m.TreatmentSession) -> None:
    """Refuse to sign a note whose needles out do not match the needles in.

    Raises
    ------
    InvalidRecord
        Needles were charted but not counted out, or the counts differ and no
        missing or stuck needle is recorded for the session.
    """
    needles_in = sum(n.count for n in row.needles)
    if needles_in == 0:
        return
    if row.needles_out is None:
        raise InvalidRecord(
            f"Count the needles out before signing: {needles_in} went in; record how many "
            "came out (needles_out)."
        )
    if row.needles_out == needles_in:
        return
    explained = session.scalar(
        select(m.AdverseEvent.id).where(
            m.AdverseEvent.session_id == row.id, m.AdverseEvent.kind.in_(_COUNT_EVENTS)
        )
    )
    if explained is None:
        raise InvalidRecord(
            f"{needles_in} needles went in but {row.needles_out} came out: search the client, "
            "couch and floor; record a forgotten or stuck needle as an adverse event before "
            "signing."
        )


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
        needles_out=row.needles_out,
        aftercare=list(row.aftercare or []),
        inr=row.inr,
        position=row.position,
        status=row.status,
        signed_at=row.signed_at,
        signed_by_id=row.signed_by_id,
        signed_by=row.signed_by_name,
        signed_by_credentials=row.signed_by_credentials,
        signed_for_reason=row.signed_for_reason,
        practitioner_credentials=row.practitioner.credentials,
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
    overrides = follow_plan(row.needles, _plan_snapshot(session, data.plan_id))
    add_audited(session, actor, row, record_type="session")
    _audit_overrides(session, actor, row, overrides)
    return _to_dto(row)


def plan_needles(
    plan: PlanSnapshot, *, keep: Callable[[SnapshotPoint], bool] | None = None
) -> list[NeedleIn]:
    """One needle at every planned point on each of its sides, in the plan's order.

    Parameters
    ----------
    plan : PlanSnapshot
        The stored plan the visit follows.
    keep : callable, optional
        Asked once per point, in order; a point it refuses gets no needle (the demo
        clinic leaves a few out, as a practitioner does).
    """
    return [
        NeedleIn(point_code=point.code, side=side)
        for point in plan.points
        if keep is None or keep(point)
        for side in point.sides
    ]


def chart_signed_session(
    *, session: Session, actor: Actor, client_id: int, data: SessionCreate
) -> SessionDTO:
    """Chart a finished visit and sign it: :func:`create_session`, then :func:`sign_session`.

    For writers of past visits (the demo clinic, the benchmark builder). The web app
    signs in a step of its own, after the practitioner confirms. *data* names the
    needles counted out; the actor is the note's practitioner.
    """
    draft = create_session(session=session, actor=actor, client_id=client_id, data=data)
    return sign_session(session=session, actor=actor, session_id=draft.id)


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


@dataclass(frozen=True)
class SessionCounts:
    """Columns that count, per treatment session, what lists show beside it.

    Both are correlated scalar subqueries on :class:`~acuface.clinic.models.TreatmentSession`:
    select them beside its columns (``select(m.TreatmentSession.id,
    counts.needle_total)``) and the database counts each selected session on the
    ``session_id`` indexes, in the same statement, without loading a needle.
    """

    #: The needles in the session's own needle rows (its charting; an amendment's
    #: corrected needle list is the amendment's record and does not change it); 0 if none.
    needle_total: Label[Any]
    #: How many amendments the session has.
    amendment_count: Label[Any]


def session_counts() -> SessionCounts:
    """Return the needle-total and amendment-count columns of :class:`SessionCounts`.

    The one place these are counted: the sessions list (:func:`page_sessions`),
    the progress rows (:func:`acuface.clinic.services.progress.session_rows`) and the
    timeline (:func:`acuface.clinic.services.timeline.client_timeline`) select them.
    """
    visit = m.TreatmentSession
    needles = (
        select(func.coalesce(func.sum(m.SessionNeedle.count), 0))
        .where(m.SessionNeedle.session_id == visit.id)
        .correlate(visit)
        .scalar_subquery()
    )
    amendments = (
        select(func.count(m.SessionAmendment.id))
        .where(m.SessionAmendment.session_id == visit.id)
        .correlate(visit)
        .scalar_subquery()
    )
    return SessionCounts(
        needle_total=needles.label("needle_total"),
        amendment_count=amendments.label("amendment_count"),
    )


def page_sessions(
    *, session: Session, actor: Actor, client_id: int, page: PageRequest | None = None
) -> Page[SessionListItemDTO]:
    """Return one page of a client's sessions as list rows, newest first.

    Needle totals and amendment counts are counted by the database
    (:func:`session_counts`), so a page never loads its sessions' needles.
    """
    authorize(actor, Action.READ_SESSIONS)
    live_client(session, client_id)
    visit = m.TreatmentSession
    counts = session_counts()
    query = (
        select(visit, counts.needle_total, counts.amendment_count)
        .where(visit.client_id == client_id)
        .options(lazyload(visit.needles), lazyload(visit.amendments))
        .order_by(visit.session_date.desc(), visit.id.desc())
    )

    def item(row: Any) -> SessionListItemDTO:
        s, needle_total, amendment_count = row
        return SessionListItemDTO(
            id=s.id,
            client_id=s.client_id,
            session_date=s.session_date,
            start_time=s.start_time,
            practitioner=s.practitioner.display_name,
            status=s.status,
            needle_total=int(needle_total),
            amendment_count=int(amendment_count),
        )

    result = paginate(session, query, page or PageRequest(), item, scalars=False)
    audit(
        session,
        actor,
        "session.list",
        "session",
        client_id=client_id,
        detail={"count": len(result.items), "page": result.page},
    )
    return result


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
        # The day list shows no needles or amendments: do not load them (a busy
        # day's needles were most of the page's time).
        .options(lazyload(m.TreatmentSession.needles), lazyload(m.TreatmentSession.amendments))
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
    overrides: list[dict[str, str]] = []
    if data.needles is not None:
        needles = _needle_rows(data.needles)
        overrides = follow_plan(needles, _plan_snapshot(session, row.plan_id))
        row.needles = needles
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
    _audit_overrides(session, actor, row, overrides)
    return _to_dto(row)


def set_needles(
    *, session: Session, actor: Actor, session_id: int, needles: list[NeedleIn]
) -> SessionDTO:
    """Replace the needle list of a draft session."""
    return update_session(
        session=session, actor=actor, session_id=session_id, data=SessionUpdate(needles=needles)
    )


def sign_session(
    *, session: Session, actor: Actor, session_id: int, reason: str | None = None
) -> SessionDTO:
    """Sign a session note: from now on it can only be amended.

    By default only the note's practitioner signs it. Anyone else who may sign
    (a colleague, the clinic's admin) gives a *reason*; the note then keeps both
    the practitioner and the signer, and the audit entry says so.

    Parameters
    ----------
    session : Session
        Database session (the caller commits).
    actor : Actor
        Who signs; the signer's full name and credentials are kept with the note.
    session_id : int
        The draft note.
    reason : str, optional
        Required when *actor* is not the note's practitioner.

    Raises
    ------
    ConsentMissing
        The client has no treatment consent on file.
    InvalidRecord
        A colleague's note without a reason; needles not counted out.
    RecordLocked
        Already signed.
    """
    authorize(actor, Action.SIGN_SESSIONS)
    row = _session_row(session, session_id)
    _unsigned(row)
    require_consent(session, row.client_id, "treatment")
    for_colleague = actor.user_id != row.practitioner_id
    why = " ".join((reason or "").split())
    if for_colleague and not why:
        raise InvalidRecord(
            f"This is {row.practitioner.display_name}'s note: only the note's practitioner "
            "signs it. To sign it for them, give the reason (e.g. 'on leave; note reviewed "
            "with them by phone')."
        )
    if len(why) > 2000:
        raise InvalidRecord("The reason has at most 2000 characters.")
    check_needle_count(session, row)
    signer = session.get(m.User, actor.user_id) if actor.user_id is not None else None
    now = m.utcnow()
    row.signed_at = now
    row.signed_by_id = actor.user_id
    row.signed_by_name = signer.display_name if signer is not None else actor.username
    row.signed_by_credentials = signer.credentials if signer is not None else None
    row.signed_for_reason = why if for_colleague else None
    row.status = "signed"
    row.updated_at = now
    session.flush()
    audit(
        session,
        actor,
        "session.sign",
        "session",
        row.id,
        client_id=row.client_id,
        detail={
            "practitioner_id": row.practitioner_id,
            "signer_id": actor.user_id,
            "for_colleague": for_colleague,
            **({"reason": why} if for_colleague else {}),
        },
    )
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
    overrides: list[dict[str, str]] = []
    if needles is not None:
        rows = _needle_rows(needles)
        overrides = follow_plan(rows, _plan_snapshot(session, row.plan_id))
        corrected = [
            {
                "point_code": n.point_code,
                "side": n.side,
                "count": n.count,
                "technique": n.technique,
                "override_reason": n.override_reason,
            }
            for n in rows
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
    _audit_overrides(session, actor, row, overrides)
    return _to_dto(row)
