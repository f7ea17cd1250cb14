"""The web app on PostgreSQL: the same flow as on SQLite, through the real pages and API.

PostgreSQL from ``ACUFACE_TEST_POSTGRES_URL`` or the usual local address (``tests/pgtest.py``);
skipped with the reason when nothing answers.
Each run migrates its own schema (selected with ``search_path``) and drops it after.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

import pytest
from fastapi.testclient import TestClient

from consenting import give_consents
from pgtest import pg_unavailable

from .webhelpers import api_token, csrf_of, login, postgres_app

pytestmark = pytest.mark.postgres


@pytest.fixture(scope="module")
def pg_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[object]:
    reason = pg_unavailable()
    if reason:
        pytest.skip(reason)
    with postgres_app(tmp_path_factory.mktemp("acuface-pg")) as app:
        yield app


def test_practitioner_flow_on_postgresql(pg_app, obama_path) -> None:  # noqa: ANN001
    from acuface.planner import questionnaire

    assert pg_app.state.engine.dialect.name == "postgresql"
    c = login(TestClient(pg_app, base_url="http://127.0.0.1"), "pat")
    tok = csrf_of(c.get("/clients/new").text)
    r = c.post(
        "/clients",
        data={"csrf_token": tok, "given_name": "Pia", "family_name": "Grün", "phone": "0176 1"},
        follow_redirects=False,
    )
    cid = int(r.headers["location"].rsplit("/", 1)[1])
    assert "Pia Grün" in c.get("/clients?q=grün").text
    give_consents(pg_app.state.engine, cid)
    r = c.post(
        f"/clients/{cid}/photos",
        data={"csrf_token": tok, "view": "front"},
        files={"file": ("f.jpg", obama_path.read_bytes(), "image/jpeg")},
        follow_redirects=False,
    )
    assert r.status_code == 303
    screening = {q.id: False for q in questionnaire().screening_questions}
    api = api_token(c)
    res = c.post(
        f"/api/clients/{cid}/intakes",
        headers={"X-CSRF-Token": api},
        json={
            "intake": {"concerns": ["sagging"], "screening": screening, "age": 60},
            "course_start": date.today().isoformat(),
        },
    )
    assert res.status_code == 201, res.text
    plan_id = res.json()["plan"]["id"]
    assert c.get(f"/plans/{plan_id}").text.count('class="pt ') >= 4
    s = c.post(
        f"/api/clients/{cid}/sessions",
        headers={"X-CSRF-Token": api},
        json={
            "session_date": date.today().isoformat(),
            "plan_id": plan_id,
            "needles": [{"point_code": "ST6", "side": "left", "count": 1}],
            "needles_out": 1,
        },
    ).json()
    assert s["needles"][0]["technique"]  # the plan's technique, recorded with the needle
    assert c.post(f"/api/sessions/{s['id']}/sign", headers={"X-CSRF-Token": api}).status_code == 200
    r = c.patch(
        f"/api/sessions/{s['id']}", headers={"X-CSRF-Token": api}, json={"retention_minutes": 30}
    )
    assert r.status_code == 409
    r = c.post(
        f"/api/sessions/{s['id']}/amendments",
        headers={"X-CSRF-Token": api},
        json={"text": "Retention 30 min", "reason": "late entry"},
    )
    assert r.status_code == 201 and r.json()["amendments"][0]["text"] == "Retention 30 min"
    assert "Pia Grün" in c.get("/today").text
