"""Who may see what.

ada (admin): everything, including user management.
pat (practitioner): clients and all clinical records; not user management.
rita (reception): the schedule and client contact details; never clinical records,
photos, plans, the atlas or user management.
"""

from __future__ import annotations

from datetime import date

import pytest

from .webhelpers import api_token, csrf_of, login


@pytest.fixture(scope="module")
def records(web_env):  # noqa: ANN001, ANN201
    """One client with an intake, a plan and a signed session charted by pat today."""
    from fastapi.testclient import TestClient

    from acuface.planner import questionnaire

    c = login(TestClient(web_env["app"], base_url="http://127.0.0.1"), "pat")
    tok = api_token(c)
    client = c.post(
        "/api/clients",
        headers={"X-CSRF-Token": tok},
        json={
            "given_name": "Ines",
            "family_name": "Okafor",
            "phone": "020 7946 0123",
            "notes": "prefers mornings",
        },
    ).json()
    screening = {q.id: False for q in questionnaire().screening_questions}
    screening["under_18"] = False
    res = c.post(
        f"/api/clients/{client['id']}/intakes",
        headers={"X-CSRF-Token": tok},
        json={"intake": {"concerns": ["wrinkles"], "screening": screening, "age": 52}},
    )
    assert res.status_code == 201, res.text
    plan = res.json()["plan"]
    s = c.post(
        f"/api/clients/{client['id']}/sessions",
        headers={"X-CSRF-Token": tok},
        json={
            "session_date": date.today().isoformat(),
            "start_time": "09:30",
            "plan_id": plan["id"],
            "subjective": "SECRET-CLINICAL-NOTE",
            "needles": [{"point_code": "ST2", "side": "left", "count": 1}],
        },
    ).json()
    return {"client": client, "plan": plan, "session": s}


def clinical_urls(rec) -> list[str]:  # noqa: ANN001
    cid, pid, sid = rec["client"]["id"], rec["plan"]["id"], rec["session"]["id"]
    return [
        f"/clients/{cid}/intakes/new",
        f"/plans/{pid}",
        f"/plans/{pid}/handout",
        f"/sessions/{sid}",
        f"/clients/{cid}/sessions/new",
        f"/clients/{cid}/photos",
        f"/clients/{cid}/progress",
        "/atlas",
        "/atlas/points/ST2",
        f"/api/clients/{cid}/timeline",
        f"/api/clients/{cid}/sessions",
        f"/api/plans/{pid}",
        f"/api/sessions/{sid}",
        "/api/atlas/points",
    ]


def test_reception_sees_schedule_and_contact_details(rita, records) -> None:  # noqa: ANN001
    cid = records["client"]["id"]
    today = rita.get("/today")
    assert today.status_code == 200
    assert "Ines Okafor" in today.text and "09:30" in today.text
    assert f'href="/sessions/{records["session"]["id"]}"' not in today.text  # no chart link
    page = rita.get(f"/clients/{cid}")
    assert page.status_code == 200
    assert "+44 20 7946 0123" in page.text  # stored normalised
    assert "SECRET-CLINICAL-NOTE" not in page.text
    assert "Timeline" not in page.text and "New intake" not in page.text
    assert rita.get("/api/schedule").status_code == 200
    assert rita.get(f"/api/clients/{cid}").json()["phone"] == "+44 20 7946 0123"


def test_reception_is_refused_every_clinical_page(rita, records) -> None:  # noqa: ANN001
    for url in clinical_urls(records):
        r = rita.get(url)
        assert r.status_code == 403, f"reception got {r.status_code} for {url}"
        assert "SECRET-CLINICAL-NOTE" not in r.text
    tok = csrf_of(rita.get("/today").text)
    r = rita.post(
        f"/clients/{records['client']['id']}/ratings",
        data={"csrf_token": tok, "scale": "satisfaction", "value": "5"},
    )
    assert r.status_code == 403


def test_practitioner_sees_clinical_records_not_user_admin(pat, records) -> None:  # noqa: ANN001
    for url in clinical_urls(records):
        assert pat.get(url).status_code == 200, url
    assert "SECRET-CLINICAL-NOTE" in pat.get(f"/sessions/{records['session']['id']}").text
    assert pat.get("/admin/users").status_code == 403
    assert 'href="/admin/users"' not in pat.get("/today").text


def test_only_the_admin_reads_the_audit_log(ada, pat, rita, records) -> None:  # noqa: ANN001
    cid = records["client"]["id"]
    pat.get(f"/sessions/{records['session']['id']}")  # a read that must be audited
    page = ada.get(f"/admin/audit?client_id={cid}")
    assert page.status_code == 200
    assert "session.read" in page.text and "pat" in page.text
    assert "login" in ada.get("/admin/audit?action=login").text
    assert pat.get("/admin/audit").status_code == 403
    assert rita.get("/admin/audit").status_code == 403


def test_admin_manages_users_and_a_deactivated_user_is_signed_out(ada, app) -> None:  # noqa: ANN001
    from fastapi.testclient import TestClient

    page = ada.get("/admin/users")
    assert page.status_code == 200 and "rita" in page.text
    tok = csrf_of(page.text)
    r = ada.post(
        "/admin/users",
        data={
            "csrf_token": tok,
            "username": "sam",
            "password": "long enough pw",
            "role": "reception",
        },
        follow_redirects=False,
    )
    assert r.status_code == 303
    sam = login(TestClient(app, base_url="http://127.0.0.1"), "sam", "long enough pw")
    assert sam.get("/today").status_code == 200
    from acuface.clinic import db
    from acuface.clinic import services as svc
    from acuface.clinic.schemas import Actor

    with db.session_scope(app.state.engine) as s:
        sam_id = svc.get_user_by_username(session=s, actor=Actor.system(), username="sam").id
    r = ada.post(
        f"/admin/users/{sam_id}/active",
        data={"csrf_token": tok, "active": "false"},
        follow_redirects=False,
    )
    assert r.status_code == 303
    # sam's cookie is still validly signed, but the account is inactive now.
    r = sam.get("/today", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].startswith("/login")
