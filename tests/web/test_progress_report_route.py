"""The progress page links a PDF report; clinical roles get it, reception does not."""

from __future__ import annotations

from datetime import date

import pytest

from consenting import give_consents


@pytest.fixture(scope="module")
def client_id(web_env) -> int:  # noqa: ANN001
    """A client with one signed session and a rating, written through the services."""
    from acuface.clinic import db
    from acuface.clinic import services as svc
    from acuface.clinic.schemas import Actor, ClientCreate, NeedleIn, RatingCreate, SessionCreate

    actor = Actor.system(source="test")
    with db.session_scope(web_env["app"].state.engine) as s:
        c = svc.create_client(
            session=s, actor=actor, data=ClientCreate(given_name="Ines", family_name="Okafor")
        )
        give_consents(s, c.id, actor=actor)
        visit = svc.create_session(
            session=s,
            actor=actor,
            client_id=c.id,
            data=SessionCreate(
                session_date=date(2026, 3, 2),
                practitioner_id=web_env["ids"]["pat"],
                needles=[NeedleIn(point_code="ST2", side="left")],
                needles_out=1,
            ),
        )
        pat = Actor(user_id=web_env["ids"]["pat"], username="pat", role="practitioner")
        svc.sign_session(session=s, actor=pat, session_id=visit.id)  # pat's own note
        svc.add_rating(
            session=s,
            actor=actor,
            client_id=c.id,
            data=RatingCreate(scale="satisfaction", value=7, rated_on=date(2026, 3, 2)),
        )
        return c.id


def test_progress_page_links_the_pdf(pat, client_id: int) -> None:  # noqa: ANN001
    page = pat.get(f"/clients/{client_id}/progress")
    assert page.status_code == 200
    assert f'href="/clients/{client_id}/progress/report.pdf"' in page.text


def test_practitioner_gets_a_pdf(pat, client_id: int) -> None:  # noqa: ANN001
    r = pat.get(f"/clients/{client_id}/progress/report.pdf")
    assert r.status_code == 200
    assert r.headers["content-type"] == "application/pdf"
    assert r.headers["content-disposition"].startswith("inline; filename=")
    assert f"progress-{client_id}-" in r.headers["content-disposition"]
    assert r.headers["cache-control"] == "no-store"
    assert r.content.startswith(b"%PDF")


def test_reception_is_refused(rita, client_id: int) -> None:  # noqa: ANN001
    r = rita.get(f"/clients/{client_id}/progress/report.pdf", follow_redirects=False)
    assert r.status_code == 403
    assert not r.content.startswith(b"%PDF")


def test_unknown_client_is_404(pat) -> None:  # noqa: ANN001
    assert pat.get("/clients/999999/progress/report.pdf").status_code == 404


def test_page_and_report_draw_the_same_chart_from_one_summary(web_env, pat, client_id) -> None:  # noqa: ANN001
    import re

    from acuface.clinic import db
    from acuface.clinic.schemas import Actor
    from acuface.reports.progress import build_progress_report, render_progress_html

    page = pat.get(f"/clients/{client_id}/progress").text
    with db.session_scope(web_env["app"].state.engine) as s:
        report = build_progress_report(
            session=s, actor=Actor.system(source="test"), client_id=client_id
        )
    html = render_progress_html(report)
    # One chart function over one summary: the same rating, drawn the same way, in both.
    dot = "Satisfaction 0-10: 7 on 2026-03-02"
    assert dot in page and dot in html
    titles = [g.title for g in report.rating_groups]
    assert titles == ["Ratings 0–10"]
    for title in titles:
        assert re.search(rf'<svg class="chart"[^>]*aria-label="{title}"', page)
        assert re.search(rf'<svg class="chart"[^>]*aria-label="{title}"', html)
