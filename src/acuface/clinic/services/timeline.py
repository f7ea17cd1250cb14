"""A client's timeline: every clinical record in one list, newest first."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from acuface.clinic import models as m
from acuface.clinic.access import Action, authorize
from acuface.clinic.paging import Page, PageRequest
from acuface.clinic.schemas import RATING_SCALES, TIMELINE_KINDS, Actor, TimelineEntryDTO
from acuface.clinic.services._common import audit, live_client
from acuface.clinic.services.sessions import session_counts
from acuface.planner.snapshot import IntakeSnapshot
from acuface.vocab import humanize


def _scale_label(scale: str) -> str:
    """Return a rating scale's name as people read it (its key in words if unknown)."""
    known = RATING_SCALES.get(scale)
    return known.label if known is not None else humanize(scale)


def client_timeline(*, session: Session, actor: Actor, client_id: int) -> list[TimelineEntryDTO]:
    """Return intakes, plans, sessions, amendments, photos, events, ratings, consents."""
    authorize(actor, Action.READ_TIMELINE)
    live_client(session, client_id)
    items: list[TimelineEntryDTO] = []

    def rows(model: type[m.Base]) -> list[m.Base]:
        column = model.client_id  # type: ignore[attr-defined]
        return list(session.scalars(select(model).where(column == client_id)))

    for i in rows(m.Intake):
        assert isinstance(i, m.Intake)
        intake = IntakeSnapshot.read(i.intake)
        items.append(
            TimelineEntryDTO(
                kind="intake",
                record_id=i.id,
                at=i.intake_date,
                title="Intake",
                detail=", ".join(humanize(c.name) for c in intake.concerns)
                if intake.concerns
                else None,
            )
        )
    for p in rows(m.Plan):
        assert isinstance(p, m.Plan)
        items.append(
            TimelineEntryDTO(
                kind="plan",
                record_id=p.id,
                at=p.created_at.date(),
                title=f"Plan ({p.needle_count} needles)" if p.needle_count else "Plan",
                detail=f"planner {p.planner_version}",
            )
        )
    # Only the columns the entry shows: not the notes and JSON of every visit, and
    # the needle total counted by the database, not by loading every needle of every
    # session (a client with 200 sessions has thousands).
    visits = session.execute(
        select(
            m.TreatmentSession.id,
            m.TreatmentSession.session_date,
            m.TreatmentSession.status,
            m.User.display_name,
            session_counts().needle_total,
        )
        .join(m.User, m.User.id == m.TreatmentSession.practitioner_id)
        .where(m.TreatmentSession.client_id == client_id)
    )
    for v_id, v_date, v_status, v_practitioner, v_needles in visits:
        total = int(v_needles)
        items.append(
            TimelineEntryDTO(
                kind="session",
                record_id=v_id,
                at=v_date,
                title=f"Session, {total} needles ({v_status})",
                detail=v_practitioner,
            )
        )
    amendments = session.execute(
        select(
            m.SessionAmendment.id,
            m.SessionAmendment.session_id,
            m.SessionAmendment.created_at,
            m.SessionAmendment.author,
        )
        .join(m.TreatmentSession, m.TreatmentSession.id == m.SessionAmendment.session_id)
        .where(m.TreatmentSession.client_id == client_id)
    )
    for a_id, a_session, a_at, a_author in amendments:
        items.append(
            TimelineEntryDTO(
                kind="amendment",
                record_id=a_id,
                at=a_at.date(),
                title=f"Amendment to session {a_session}",
                detail=a_author,
            )
        )
    for ph in rows(m.Photo):
        assert isinstance(ph, m.Photo)
        if ph.hidden_at is not None:
            continue
        items.append(
            TimelineEntryDTO(
                kind="photo",
                record_id=ph.id,
                at=ph.visit_date or ph.added_at.date(),
                title=f"Photo ({humanize(ph.view).lower()})",
            )
        )
    for e in rows(m.AdverseEvent):
        assert isinstance(e, m.AdverseEvent)
        where = f" at {e.point_code} {e.side or ''}".rstrip() if e.point_code else ""
        items.append(
            TimelineEntryDTO(
                kind="adverse_event",
                record_id=e.id,
                at=e.onset_date,
                title=f"{humanize(e.kind)} ({e.severity}){where}",
                detail=f"resolved {e.resolved_date}" if e.resolved_date else "unresolved",
            )
        )
    for r in rows(m.OutcomeRating):
        assert isinstance(r, m.OutcomeRating)
        items.append(
            TimelineEntryDTO(
                kind="rating",
                record_id=r.id,
                at=r.rated_on,
                title=f"{_scale_label(r.scale)} = {r.value}",
            )
        )
    for c in rows(m.Consent):
        assert isinstance(c, m.Consent)
        items.append(
            TimelineEntryDTO(
                kind="consent",
                record_id=c.id,
                at=c.signed_on,
                title=(
                    f"Consent: {humanize(c.kind).lower()} ({'granted' if c.granted else 'refused'})"
                ),
                detail=f"withdrawn {c.withdrawn_on}" if c.withdrawn_on else None,
            )
        )
    order = {kind: i for i, kind in enumerate(TIMELINE_KINDS)}
    items.sort(key=lambda t: (t.at, order[t.kind], t.record_id), reverse=True)
    audit(
        session,
        actor,
        "timeline.read",
        "client",
        client_id,
        client_id=client_id,
        detail={"count": len(items)},
    )
    return items


def page_timeline(
    *, session: Session, actor: Actor, client_id: int, page: PageRequest | None = None
) -> Page[TimelineEntryDTO]:
    """Return one page of :func:`client_timeline`, newest first (audited the same way).

    The entries of all kinds are merged and sorted in Python, so the whole list is
    built (cheaply: columns only) and the page sliced from it; what a page saves is
    rendering hundreds of entries for a client with years of visits.
    """
    request = page or PageRequest()
    items = client_timeline(session=session, actor=actor, client_id=client_id)
    return Page(
        items=items[request.offset : request.offset + request.size],
        page=request.page,
        size=request.size,
        total=len(items),
    )
