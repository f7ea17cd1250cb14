"""Lists page everywhere (clients, audit, photos, sessions): no page renders thousands of rows.

Also: a client page costs the same number of statements with 5 sessions as with 60
(no per-session loading), and the day list does not load needles.
"""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, date, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import event

from acuface.clinic import db
from acuface.clinic import models as m
from acuface.clinic.paging import MAX_PAGE_SIZE

ROWS = re.compile(r'<a href="/clients/(\d+)">')


@pytest.fixture(scope="module")
def seeded(web_env: dict[str, object]) -> dict[str, int]:
    """130 clients "Pager NNN"; one with 60 sessions (3 needles each), one with 5; photos."""
    app = web_env["app"]
    ids = web_env["ids"]
    with db.session_scope(app.state.engine) as s:  # type: ignore[attr-defined]
        clients = [
            m.Client(given_name=f"Pat{i:03d}", family_name=f"Pager{i:03d}") for i in range(130)
        ]
        s.add_all(clients)
        s.flush()
        busy, light = clients[0], clients[1]
        for owner, n in ((busy, 60), (light, 5)):
            for i in range(n):
                visit = m.TreatmentSession(
                    client_id=owner.id,
                    practitioner_id=ids["pat"],  # type: ignore[index]
                    session_date=date(2025, 1, 1) + timedelta(days=i),
                    status="draft",
                )
                visit.needles = [
                    m.SessionNeedle(point_code=c, side="left", count=1)
                    for c in ("ST2", "LI20", "ST3")
                ]
                s.add(visit)
        for i in range(30):
            s.add(
                m.Photo(
                    client_id=busy.id,
                    sha256=f"{i:064x}",
                    content_type="image/jpeg",
                    width=10,
                    height=10,
                    byte_size=100,
                    created_by="pat",
                    captured_at=datetime(2025, 1, 1, tzinfo=UTC) + timedelta(days=i),
                    quality_flags=[],
                )
            )
        return {"busy": busy.id, "light": light.id}


def _count_statements(app, client: TestClient, path: str) -> tuple[int, list[str]]:  # noqa: ANN001
    seen: list[str] = []

    def count(_c, _cu, statement, *_a) -> None:  # noqa: ANN001
        seen.append(statement)

    event.listen(app.state.engine, "before_cursor_execute", count)
    try:
        r = client.get(path)
    finally:
        event.remove(app.state.engine, "before_cursor_execute", count)
    assert r.status_code == 200, r.text[:300]
    return len(seen), seen


def test_client_list_pages_through_every_client_once(pat: TestClient, seeded) -> None:  # noqa: ANN001
    seen: list[str] = []
    page = 1
    while True:
        html = pat.get(f"/clients?q=pager&page={page}").text
        rows = ROWS.findall(html)
        assert len(rows) <= 50
        seen += rows
        if 'rel="next"' not in html:
            break
        page += 1
    assert page == 3 and len(seen) == 130 and len(set(seen)) == 130
    assert "101–130 of 130" in html
    # The page size is capped, whatever is asked.
    html = pat.get("/clients?q=pager&size=100000").text
    assert len(ROWS.findall(html)) == min(130, MAX_PAGE_SIZE)


def test_live_search_answers_rows_and_its_pager(pat: TestClient, seeded) -> None:  # noqa: ANN001
    r = pat.get("/clients?q=pager12", headers={"hx-request": "true"})
    assert len(ROWS.findall(r.text)) == 10  # Pager120..129
    assert 'id="client-pager" hx-swap-oob="true"' in r.text and "1–10 of 10" in r.text


def test_client_page_shows_the_newest_sessions_and_links_to_all(pat: TestClient, seeded) -> None:  # noqa: ANN001
    html = pat.get(f"/clients/{seeded['busy']}").text
    assert f'href="/clients/{seeded["busy"]}/sessions">All 60 sessions' in html
    assert "30 photos" in html
    listing = pat.get(f"/clients/{seeded['busy']}/sessions?page=2").text
    assert listing.count('href="/sessions/') == 10 and "51–60 of 60" in listing
    assert "01 Jan 2025" in listing  # the oldest, on the last page


def test_client_page_shows_the_latest_timeline_and_pages_the_rest(pat: TestClient, seeded) -> None:  # noqa: ANN001
    """60 sessions and 30 photos: the client page shows 25 entries, the timeline page all."""
    from acuface.web.routes.clients import TIMELINE_ON_PAGE

    busy = seeded["busy"]
    html = pat.get(f"/clients/{busy}").text
    timeline = html[html.index('<ul class="timeline">') :]
    timeline = timeline[: timeline.index("</ul>")]
    assert timeline.count("<li ") == TIMELINE_ON_PAGE == 25
    assert (
        f'href="/clients/{busy}/timeline" data-testid="whole-timeline">Whole timeline (90' in html
    )
    seen = 0
    for number in (1, 2):
        page = pat.get(f"/clients/{busy}/timeline?page={number}&size=50").text
        seen += page.count('<li class="ev-')
    assert seen == 90
    assert "51–90 of 90" in page
    assert "01 Jan 2025" in page  # the oldest session, on the last page


def test_client_page_statements_do_not_grow_with_sessions(
    app,
    pat: TestClient,
    seeded,  # noqa: ANN001
) -> None:
    busy, _ = _count_statements(app, pat, f"/clients/{seeded['busy']}")
    light, statements = _count_statements(app, pat, f"/clients/{seeded['light']}")
    assert busy == light
    # The client row is read once per page, not once per service.
    assert sum(1 for s in statements if s.lstrip().startswith("SELECT clients.")) == 1


def test_the_day_list_does_not_load_needles(app, pat: TestClient, seeded) -> None:  # noqa: ANN001
    _, statements = _count_statements(app, pat, "/today?day=2025-01-03")
    assert not [s for s in statements if "FROM session_needles" in s]


def test_photo_list_pages(pat: TestClient, seeded) -> None:  # noqa: ANN001
    html = pat.get(f"/clients/{seeded['busy']}/photos").text
    assert html.count('<a href="/photos/') == 24 and "1–24 of 30" in html
    html = pat.get(f"/clients/{seeded['busy']}/photos?page=2").text
    assert html.count('<a href="/photos/') == 6


# --- the audit page ------------------------------------------------------------


def test_audit_page_filters_by_user_client_action_and_dates(
    ada: TestClient,
    pat: TestClient,
    seeded,  # noqa: ANN001
) -> None:
    pat.get(f"/clients/{seeded['light']}")
    html = ada.get(f"/admin/audit?user=pat&client_id={seeded['light']}&action=client").text
    rows = re.findall(r"<tr><td>.*?</tr>", html)
    assert rows and all("pat" in r and "client." in r for r in rows)
    assert all(f'href="/clients/{seeded["light"]}"' in r for r in rows)
    # Nothing in a past date range; everything of today in today's.
    today = datetime.now(UTC).date()
    assert "No entries match" in ada.get("/admin/audit?until=2000-01-01").text
    assert "client.read" in ada.get(f"/admin/audit?since={today}&until={today}").text
    assert ada.get("/admin/audit?since=2026-02-30").status_code == 422
    assert ada.get("/admin/audit?since=2026-02-02&until=2026-02-01").status_code == 422


def test_audit_page_pages(ada: TestClient, pat: TestClient, seeded) -> None:  # noqa: ANN001
    for _ in range(60):
        pat.get(f"/api/clients/{seeded['light']}")
    html = ada.get("/admin/audit?action=client.read&user=pat").text
    assert html.count("<tr><td>") == 50 and 'rel="next"' in html
    second = ada.get("/admin/audit?action=client.read&user=pat&page=2").text
    assert 'rel="prev"' in second and "action=client.read" in second  # filters kept


def test_audit_csv_is_streamed_filtered_audited_and_admin_only(
    ada: TestClient,
    pat: TestClient,
    rita: TestClient,
    seeded,  # noqa: ANN001
) -> None:
    pat.get(f"/clients/{seeded['busy']}")
    r = ada.get(f"/admin/audit.csv?client_id={seeded['busy']}&user=pat")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    assert "attachment" in r.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(r.text)))
    assert rows and {row["client_id"] for row in rows} == {str(seeded["busy"])}
    assert {row["username"] for row in rows} == {"pat"}
    assert "client.read" in {row["action"] for row in rows}
    # The export is on record, with its filters.
    html = ada.get("/admin/audit?action=audit.export").text
    exports = [r for r in re.findall(r"<tr><td>.*?</tr>", html) if "audit.export" in r]
    assert exports and "client_id" in exports[0] and "ada" in exports[0]
    assert pat.get("/admin/audit.csv").status_code == 403
    assert rita.get("/admin/audit.csv").status_code == 403


def test_audit_csv_neutralises_formulas(app, ada: TestClient) -> None:  # noqa: ANN001
    anon = TestClient(app, base_url="http://127.0.0.1")
    from .webhelpers import csrf_of

    token = csrf_of(anon.get("/login").text)
    anon.post("/login", data={"username": "=cmd()", "password": "x" * 12, "csrf_token": token})
    text = ada.get("/admin/audit.csv?action=login_failed").text
    assert "\n=" not in text and ",=" not in text
