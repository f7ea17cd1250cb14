"""Soft delete with a retention note; admin-only hard purge that removes photos too."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from acuface.clinic import services as svc
from acuface.clinic.photostore import LocalPhotoStore
from acuface.clinic.schemas import Actor, ClientCreate
from acuface.errors import InvalidRecord, NotFound, PermissionDenied
from consenting import give_consents


def test_soft_delete_hides_but_keeps(
    session: Session, pat: Actor, ada: Actor, rita: Actor, full_record: dict[str, int]
) -> None:
    cid = full_record["client"]
    with pytest.raises(PermissionDenied):
        svc.soft_delete_client(session=session, actor=rita, client_id=cid, retention_note="x")
    with pytest.raises(InvalidRecord):
        svc.soft_delete_client(session=session, actor=pat, client_id=cid, retention_note=" ")
    deleted = svc.soft_delete_client(
        session=session, actor=pat, client_id=cid, retention_note="Moved abroad; keep 8 years."
    )
    assert (
        deleted.deleted_at is not None and deleted.retention_note == "Moved abroad; keep 8 years."
    )
    assert svc.list_clients(session=session, actor=pat) == []
    with pytest.raises(NotFound):
        svc.list_sessions(session=session, actor=pat, client_id=cid)
    kept = svc.get_client(session=session, actor=ada, client_id=cid, include_deleted=True)
    assert kept.family_name == "Lindqvist"
    assert [c.id for c in svc.list_clients(session=session, actor=ada, include_deleted=True)] == [
        cid
    ]
    svc.undelete_client(session=session, actor=ada, client_id=cid)
    assert len(svc.list_sessions(session=session, actor=pat, client_id=cid)) == 1


def test_purge_removes_rows_and_photo_files(
    session: Session,
    engine: sa.Engine,
    pat: Actor,
    ada: Actor,
    store: LocalPhotoStore,
    full_record: dict[str, int],
    portrait_paths: list[Path],
) -> None:
    cid = full_record["client"]
    other = svc.create_client(
        session=session, actor=pat, data=ClientCreate(given_name="O", family_name="Ther")
    )
    give_consents(session, other.id, actor=pat)
    # The other client shares one photo file (same bytes): it must survive the purge.
    shared = svc.add_photo(
        session=session,
        actor=pat,
        client_id=other.id,
        data=portrait_paths[0].read_bytes(),
        analyse=False,
        store=store,
    )
    session.commit()
    assert len(list(store.iter_hashes())) == 2
    with pytest.raises(PermissionDenied):
        svc.purge_client(session=session, actor=pat, client_id=cid, store=store)
    report = svc.purge_client(session=session, actor=ada, client_id=cid, store=store)
    assert report.rows_deleted["clients"] == 1 and report.rows_deleted["session_needles"] == 3
    assert report.photo_files_deleted == 1
    # Files go only when the deletion commits.
    assert len(list(store.iter_hashes())) == 2
    session.commit()
    assert list(store.iter_hashes()) == [shared.sha256]
    with engine.connect() as conn:
        for table in ("clients", "treatment_sessions", "photos", "measurements", "outcome_ratings"):
            n = conn.execute(
                sa.text(
                    f"SELECT COUNT(*) FROM {table} WHERE "
                    + ("id" if table == "clients" else "client_id")
                    + "=:c"
                ),
                {"c": cid},
            ).scalar()
            assert n == 0, table
    # The audit trail keeps the fact of the purge.
    actions = [e.action for e in svc.list_audit(session=session, actor=ada, client_id=cid)]
    assert "client.purge" in actions and "client.create" in actions


def test_reception_schedule_has_no_notes(
    session: Session, rita: Actor, full_record: dict[str, int]
) -> None:
    day = svc.list_schedule(session=session, actor=rita, day=date(2026, 1, 12))
    assert [(e.client_name, e.status, e.practitioner) for e in day] == [
        ("Mara Lindqvist", "signed", "Pat Moreau")
    ]
    assert not hasattr(day[0], "subjective")
    assert svc.list_schedule(session=session, actor=rita, day=date(2026, 1, 13)) == []


def test_timeline_newest_first(session: Session, pat: Actor, full_record: dict[str, int]) -> None:
    items = svc.client_timeline(session=session, actor=pat, client_id=full_record["client"])
    kinds = {i.kind for i in items}
    assert {
        "consent",
        "intake",
        "plan",
        "session",
        "amendment",
        "photo",
        "adverse_event",
        "rating",
    } <= kinds
    assert [i.at for i in items] == sorted((i.at for i in items), reverse=True)
    # Within a day, newest first in the order things happen (consent, intake, plan ...).
    from acuface.clinic.schemas import TIMELINE_KINDS

    for day in {i.at for i in items}:
        ranks = [TIMELINE_KINDS.index(i.kind) for i in items if i.at == day]
        assert ranks == sorted(ranks, reverse=True), (day, ranks)


def test_links_to_other_clients_are_refused(
    session: Session, pat: Actor, full_record: dict[str, int]
) -> None:
    from acuface.clinic.schemas import RatingCreate

    other = svc.create_client(
        session=session, actor=pat, data=ClientCreate(given_name="A", family_name="B")
    )
    with pytest.raises(InvalidRecord, match="another client"):
        svc.add_rating(
            session=session,
            actor=pat,
            client_id=other.id,
            data=RatingCreate(
                scale="satisfaction",
                value=5,
                rated_on=date(2026, 1, 1),
                session_id=full_record["session"],
            ),
        )
    with pytest.raises(InvalidRecord, match="outside"):
        svc.add_rating(
            session=session,
            actor=pat,
            client_id=other.id,
            data=RatingCreate(scale="gais_client", value=7, rated_on=date(2026, 1, 1)),
        )
