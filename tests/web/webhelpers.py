"""Helpers shared by the web tests (named users, sign-in, CSRF tokens)."""

from __future__ import annotations

import re
from pathlib import Path

from fastapi.testclient import TestClient

PASSWORD = "correct horse battery"
USERS = {"alice": "admin", "pat": "practitioner", "rita": "reception"}


def make_data_dir(root: Path, database_url: str | None = None) -> tuple[object, dict[str, int]]:
    """Migrate a fresh database (SQLite under *root* by default) and create alice, pat, rita."""
    from acuface.clinic import db
    from acuface.clinic import services as svc
    from acuface.clinic.schemas import Actor
    from acuface.config import Settings

    settings = Settings(data_dir=root, env="dev", database_url=database_url)
    engine = db.make_engine(settings.sqlalchemy_url)
    db.upgrade(engine)
    ids = {}
    with db.session_scope(engine) as s:
        for name, role in USERS.items():
            u = svc.create_user(
                session=s,
                actor=Actor.system(),
                username=name,
                password=PASSWORD,
                role=role,
                display_name=name.title(),
            )
            ids[name] = u.id
    engine.dispose()
    return settings, ids


def csrf_of(html: str) -> str:
    m = re.search(r'name="csrf-token" content="([^"]+)"', html)
    assert m, "page has no CSRF meta tag"
    return m.group(1)


def login(client: TestClient, username: str, password: str = PASSWORD) -> TestClient:
    """Sign *client* in through the real login form (CSRF included)."""
    page = client.get("/login")
    token = csrf_of(page.text)
    r = client.post(
        "/login",
        data={"username": username, "password": password, "csrf_token": token, "next": "/today"},
        follow_redirects=False,
    )
    assert r.status_code == 303, r.text[:500]
    return client


def api_token(client: TestClient) -> str:
    return client.get("/api/me").json()["csrf_token"]
