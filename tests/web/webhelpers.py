"""Helpers shared by the web tests (named users, sign-in, CSRF tokens)."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import sqlalchemy as sa
from fastapi.testclient import TestClient

from people import PASSWORD, PEOPLE
from realprocs import free_port

#: Username -> role of the named users (``tests/people.py``).
USERS = {p.username: p.role for p in PEOPLE}


def make_data_dir(root: Path, database_url: str | None = None) -> tuple[object, dict[str, int]]:
    """Migrate a fresh database (SQLite under *root* by default) with the named users.

    Returns the settings and the user ids by username (``tests/people.py``).
    """
    from acuface.clinic import db
    from acuface.config import Settings
    from clinicdata import build_clinic

    settings = Settings(data_dir=root, env="dev", database_url=database_url)
    engine = db.make_engine(settings.sqlalchemy_url)
    ids = build_clinic(engine, source="cli").ids
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


@contextmanager
def postgres_app(root: Path, **web_overrides: object) -> Iterator[object]:
    """The app on a fresh PostgreSQL schema with the named users (dropped afterwards).

    The caller skips first when :func:`pgtest.pg_unavailable` gives a reason.
    """
    from acuface.web.main import create_app
    from acuface.web.settings import WebSettings
    from pgtest import PG_URL

    admin = sa.create_engine(PG_URL, connect_args={"connect_timeout": 3})
    schema = f"acuface_web_{uuid.uuid4().hex[:12]}"
    with admin.begin() as conn:
        conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    sep = "&" if "?" in PG_URL else "?"
    url = f"{PG_URL}{sep}options=-csearch_path%3D{schema}"
    try:
        settings, ids = make_data_dir(root, database_url=url)
        app = create_app(WebSettings(core=settings, **web_overrides))  # type: ignore[arg-type]
        app.state.test_user_ids = ids
        yield app
        app.state.engine.dispose()
    finally:
        with admin.begin() as conn:
            conn.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def seed_client_with_plan(settings: object, *, given: str = "Maria") -> tuple[int, int]:
    """Create a client with an intake and its plan (as the system operator).

    Returns
    -------
    (client_id, plan_id)
    """
    from acuface.clinic import db
    from acuface.clinic import services as svc
    from acuface.clinic.schemas import Actor, ClientCreate, IntakeCreate
    from acuface.planner import Intake

    engine = db.make_engine(settings.sqlalchemy_url)  # type: ignore[attr-defined]
    try:
        with db.session_scope(engine) as s:
            actor = Actor.system()
            client = svc.create_client(
                session=s, actor=actor, data=ClientCreate(given_name=given, family_name="Garcia")
            )
            intake = svc.create_intake(
                session=s,
                actor=actor,
                client_id=client.id,
                data=IntakeCreate(
                    intake=Intake(concerns=["wrinkles", "eye_bags"], age=52).model_dump(mode="json")
                ),
            )
            plan = svc.make_plan_for_intake(session=s, actor=actor, intake_id=intake.id)
            return client.id, plan.id
    finally:
        engine.dispose()


def set_opening_hours(engine: sa.Engine, *days: tuple[tuple[int, int], ...]) -> None:
    """Save the clinic's opening hours as the admin would, with no closed days.

    Each of *days* (Monday first; fewer than seven repeat the last) is a tuple of
    ``(opens_hour, closes_hour)`` intervals, e.g. ``((9, 12), (13, 18))`` for a lunch
    break. Without *days* the clinic opens 07:00-21:00 every day, so a test that
    books "today" does not depend on the weekday it runs.
    """
    from datetime import time

    from acuface.clinic import db
    from acuface.clinic import services as svc
    from acuface.clinic.schemas import Actor, ClinicSettingsUpdate, day_hours

    days = days or (((7, 21),),)
    week = [days[min(i, len(days) - 1)] for i in range(7)]
    with db.session_scope(engine) as s:
        current = svc.get_clinic_settings(session=s).model_dump(
            exclude={"has_logo", "updated_at", "updated_by"}
        )
        hours = [day_hours(*((time(a), time(b)) for a, b in d)) for d in week]
        svc.update_clinic_settings(
            session=s,
            actor=Actor.system(),
            data=ClinicSettingsUpdate(**{**current, "opening_hours": hours, "closed_days": []}),
        )


@contextmanager
def serve_in_thread(app: object) -> Iterator[str]:
    """Serve *app* with uvicorn (WebSockets included) on a free port, in a thread.

    Yields the base URL; the server stops when the block ends.
    """
    import threading
    import time

    import uvicorn

    port = free_port()
    srv = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning")  # type: ignore[arg-type]
    )
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not srv.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        srv.should_exit = True
        thread.join(timeout=10)
