"""The web app on PostgreSQL: the same flow as on SQLite, through the real pages and API.

Needs ACUFACE_TEST_POSTGRES_URL (``.ci/run`` sets it); skipped with the reason otherwise.
Each run migrates its own schema (selected with ``search_path``) and drops it after.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from datetime import date

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from .webhelpers import api_token, csrf_of, login, make_data_dir

pytestmark = pytest.mark.postgres
PG_URL = os.environ.get("ACUFACE_TEST_POSTGRES_URL")


@pytest.fixture(scope="module")
def pg_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[object]:
    if not PG_URL:
        pytest.skip(
            "ACUFACE_TEST_POSTGRES_URL is not set "
            "(e.g. postgresql+psycopg://postgres@127.0.0.1:5432/test)"
        )
    admin = sa.create_engine(PG_URL, connect_args={"connect_timeout": 3})
    try:
        with admin.connect() as conn:
            conn.execute(sa.text("select 1"))
    except Exception as exc:  # noqa: BLE001
        admin.dispose()
        pytest.skip(f"PostgreSQL at {PG_URL} is unreachable: {type(exc).__name__}")
    schema = f"acuface_web_{uuid.uuid4().hex[:12]}"
    with admin.begin() as conn:
        conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    sep = "&" if "?" in PG_URL else "?"
    url = f"{PG_URL}{sep}options=-csearch_path%3D{schema}"
    try:
        from acuface.web.main import create_app
        from acuface.web.settings import WebSettings

        settings, _ = make_data_dir(tmp_path_factory.mktemp("acuface-pg"), database_url=url)
        app = create_app(WebSettings(core=settings))  # type: ignore[arg-type]
        yield app
        app.state.engine.dispose()
    finally:
        with admin.begin() as conn:
            conn.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


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
        },
    ).json()
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
