"""The one paging helper, the client search on its index, and the page services."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from acuface.clinic import models as m
from acuface.clinic import services as svc
from acuface.clinic.paging import MAX_PAGE_SIZE, PageRequest
from acuface.clinic.schemas import Actor


@pytest.fixture
def many_clients(session: Session) -> list[int]:
    rows = [
        m.Client(
            given_name=f"Given{i:03d}",
            family_name=["Okafor", "Lindqvist", "Garcia_Ruiz"][i % 3],
            email=f"c{i}@example.org",
            phone=f"+44 20 7946 {i:04d}",
        )
        for i in range(75)
    ]
    session.add_all(rows)
    session.commit()
    return [r.id for r in rows]


def test_page_request_clamps_untrusted_numbers() -> None:
    assert PageRequest.of(-5, 0) == PageRequest(page=1, size=50)
    assert PageRequest.of(3, 10**9).size == MAX_PAGE_SIZE
    assert PageRequest.of(None, None) == PageRequest()
    assert PageRequest(page=3, size=20).offset == 40


def test_pages_cover_the_list_once_in_order(
    session: Session, alice: Actor, many_clients: list[int]
) -> None:
    seen: list[int] = []
    for n in range(1, 5):
        page = svc.page_clients(session=session, actor=alice, page=PageRequest(page=n, size=20))
        assert page.total == 75 and page.pages == 4
        seen += [c.id for c in page.items]
    assert sorted(seen) == sorted(many_clients) and len(seen) == 75
    assert (
        page.has_previous
        and not page.has_next
        and (page.first_index, page.last_index)
        == (
            61,
            75,
        )
    )
    names = [c.name.split()[1] for c in svc.page_clients(session=session, actor=alice).items]
    assert names == sorted(names)
    past = svc.page_clients(session=session, actor=alice, page=PageRequest(page=9, size=20))
    assert past.items == [] and past.total == 75


def test_search_matches_name_email_phone_and_escapes_wildcards(
    session: Session, alice: Actor, many_clients: list[int]
) -> None:
    def total(term: str) -> int:
        return svc.page_clients(session=session, actor=alice, search=term).total

    assert total("lindq") == 25
    assert total("given001 okafor") == 0 and total("given001 lindqvist") == 1
    assert total("C7") == 6  # c7@, c70@..c74@
    assert total("7946 0042") == 1
    assert total("garcia_r") == 25 and total("o_a") == 0  # "_" is itself, not a wildcard
    assert total("%") == 0


def test_postgresql_search_uses_the_trigram_index(
    engine: sa.Engine, backend: str, session: Session, many_clients: list[int]
) -> None:
    if backend != "postgresql":
        pytest.skip("pg_trgm is PostgreSQL's")
    with engine.connect() as conn:
        if (
            conn.execute(sa.text("SELECT 1 FROM pg_extension WHERE extname='pg_trgm'")).first()
            is None
        ):
            pytest.skip("pg_trgm is not installed on this server")
        conn.execute(sa.text("SET enable_seqscan = off"))
        query = sa.select(m.Client.id).where(m.client_search_text().like("%lindq%"))
        plan = "\n".join(
            conn.execute(
                sa.text(
                    "EXPLAIN " + str(query.compile(engine, compile_kwargs={"literal_binds": True}))
                )
            ).scalars()
        )
    assert "ix_clients_search_trgm" in plan


def test_page_services_audit_their_page(
    engine: sa.Engine, session: Session, alice: Actor, many_clients: list[int]
) -> None:
    cid = many_clients[0]
    svc.page_sessions(session=session, actor=alice, client_id=cid)
    svc.page_photos(session=session, actor=alice, client_id=cid)
    session.commit()
    with engine.connect() as conn:
        actions = conn.execute(
            sa.text("SELECT action, detail FROM audit_log ORDER BY id DESC LIMIT 2")
        ).all()
    assert [a for a, _ in actions] == ["photo.list", "session.list"]
    assert all('"page": 1' in d for _, d in actions)
