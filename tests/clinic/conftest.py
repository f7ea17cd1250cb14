"""Clinic fixtures: every test runs on SQLite and on PostgreSQL.

PostgreSQL comes from ``ACUFACE_TEST_POSTGRES_URL`` or, unset, the usual local
address (``tests/pgtest.py``); each test gets its own freshly migrated schema
(dropped afterwards). When the server does not answer, the PostgreSQL cases skip
with the reason.

Named users: ``tests/people.py`` (ada admin, pat and lian practitioners, rita
reception); the fixtures of the same names are their actors. ``admin`` and ``alice``
are the old names of ``ada`` and ``pat``, kept for branches written before the cast
was shared.
"""

from __future__ import annotations

import shutil
import uuid
from collections.abc import Iterator
from datetime import UTC
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from acuface.clinic import db
from acuface.clinic import services as svc
from acuface.clinic.photostore import LocalPhotoStore
from acuface.clinic.schemas import Actor, ClientCreate
from clinicdata import build_clinic
from people import PASSWORD
from pgtest import PG_URL, pg_unavailable


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated empty SQLite database, copied for each test (faster than migrating)."""
    path = tmp_path_factory.mktemp("template") / "acuface.sqlite3"
    engine = db.make_engine(f"sqlite:///{path}")
    db.upgrade(engine)
    with engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    engine.dispose()
    return path


@pytest.fixture(autouse=True)
def _isolated_settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    from acuface.config import get_settings

    monkeypatch.setenv("ACUFACE_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.delenv("ACUFACE_DATABASE_URL", raising=False)
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()
    # Engines the CLI cached for this test's data dir or schema.
    for cached in list(db._engines.values()):
        cached.dispose()
    db._engines.clear()


def _pg_engine(schema: str) -> sa.Engine:
    assert PG_URL
    return db.make_engine(PG_URL, connect_args={"options": f"-csearch_path={schema}"})


@pytest.fixture
def pg_schema() -> Iterator[tuple[str, str]]:
    """A unique empty PostgreSQL schema: yields (url, schema); dropped afterwards."""
    reason = pg_unavailable()
    if reason:
        pytest.skip(reason)
    assert PG_URL
    schema = f"acuface_test_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(PG_URL)
    with admin.begin() as conn:
        conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    try:
        yield PG_URL, schema
    finally:
        with admin.begin() as conn:
            conn.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def engine(backend: str, tmp_path: Path, sqlite_template: Path, request: pytest.FixtureRequest):
    """A migrated, empty database of the parametrised backend."""
    if backend == "sqlite":
        path = tmp_path / "data" / "acuface.sqlite3"
        path.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(sqlite_template, path)
        eng = db.make_engine(f"sqlite:///{path}")
        yield eng
        eng.dispose()
        return
    _url, schema = request.getfixturevalue("pg_schema")
    eng = _pg_engine(schema)
    db.upgrade(eng)
    yield eng
    eng.dispose()


@pytest.fixture
def session(engine: sa.Engine) -> Iterator[Session]:
    s = db.get_sessionmaker(engine)()
    try:
        yield s
    finally:
        s.rollback()
        s.close()


@pytest.fixture
def store(tmp_path: Path) -> LocalPhotoStore:
    return LocalPhotoStore(tmp_path / "data" / "photos")


@pytest.fixture
def system() -> Actor:
    return Actor.system(source="test")


@pytest.fixture
def users(engine: sa.Engine, session: Session) -> dict[str, Actor]:
    """Actors for the named users (``tests/people.py``) by username, created in the database.

    The clinic every test folder builds (``tests/clinicdata.py``), on this test's
    already migrated database; *session* is requested first so that it sees them.
    """
    return build_clinic(engine, migrate=False, source="10.0.0.7").people


@pytest.fixture
def ada(users: dict[str, Actor]) -> Actor:
    """The admin."""
    return users["ada"]


@pytest.fixture
def pat(users: dict[str, Actor]) -> Actor:
    """The practitioner who keeps the test client's records."""
    return users["pat"]


@pytest.fixture
def lian(users: dict[str, Actor]) -> Actor:
    """A second practitioner."""
    return users["lian"]


@pytest.fixture
def rita(users: dict[str, Actor]) -> Actor:
    """Reception."""
    return users["rita"]


@pytest.fixture
def admin(ada: Actor) -> Actor:
    """Old name of :func:`ada`."""
    return ada


@pytest.fixture
def alice(pat: Actor) -> Actor:
    """Old name of :func:`pat` (in these tests alice was the practitioner)."""
    return pat


@pytest.fixture
def client_id(session: Session, pat: Actor) -> int:
    c = svc.create_client(
        session=session,
        actor=pat,
        data=ClientCreate(given_name="Mara", family_name="Lindqvist", email="mara@example.org"),
    )
    session.commit()
    return c.id


@pytest.fixture
def client_consents(session: Session, pat: Actor, client_id: int) -> None:
    """Give the named client the consents that signing notes and adding photos need.

    Tests that sign notes or add photos (but test something else) use it with
    ``@pytest.mark.usefixtures("client_consents")`` (see ``tests/consenting.py``).
    """
    from consenting import give_consents

    give_consents(session, client_id, actor=pat)
    session.commit()


@pytest.fixture(autouse=True, scope="module")
def _fast_password_hashing() -> Iterator[None]:
    """Cheap argon2 parameters in tests: hashing cost is not what these tests check.

    Module scope: restored after each clinic test module, so other parts' tests
    (e.g. the web app's) run with the real parameters.
    """
    from argon2 import PasswordHasher

    from acuface.clinic.services import users as users_mod

    original = users_mod._hasher
    users_mod._hasher = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    users_mod._dummy_hash.cache_clear()
    yield
    users_mod._hasher = original
    users_mod._dummy_hash.cache_clear()


@pytest.fixture
def full_record(
    session: Session,
    pat: Actor,
    client_id: int,
    store: LocalPhotoStore,
    portrait_paths: list[Path],
) -> dict[str, int]:
    """One client with a record of every kind (signed session, amendment, bruise, photos ...)."""
    from datetime import date, datetime, time

    from acuface.clinic.schemas import (
        AdverseEventCreate,
        IntakeCreate,
        MeasurementCreate,
        NeedleIn,
        RatingCreate,
        SessionCreate,
    )
    from acuface.planner import Intake, make_plan
    from consenting import give_consents

    give_consents(session, client_id, actor=pat)
    intake = svc.create_intake(
        session=session,
        actor=pat,
        client_id=client_id,
        data=IntakeCreate(
            intake_date=date(2026, 1, 5),
            intake={"concerns": [{"name": "jaw_tension", "priority": 1}], "age": 46},
            notes="Clenches at night.",
        ),
    )
    plan = svc.save_plan(
        session=session,
        actor=pat,
        client_id=client_id,
        intake_id=intake.id,
        plan=make_plan(Intake(concerns=["jaw_tension"], age=46)),
        planner_version="test-1",
    )
    s = svc.create_session(
        session=session,
        actor=pat,
        client_id=client_id,
        data=SessionCreate(
            session_date=date(2026, 1, 12),
            start_time=time(9, 30),
            plan_id=plan.id,
            retention_minutes=25,
            technique="0.16 x 15 mm, even method",
            subjective="Jaw ache 6/10",
            objective="Tender masseter L>R",
            assessment="Improving",
            plan_note="Weekly x 6",
            needles=[
                NeedleIn(point_code="ST6", side="left"),
                NeedleIn(point_code="ST6", side="right"),
                NeedleIn(point_code="EX-HN3", side="midline"),
            ],
            needles_out=3,
        ),
    )
    svc.sign_session(session=session, actor=pat, session_id=s.id)
    svc.amend_session(session=session, actor=pat, session_id=s.id, text="Client phoned: ache 3/10.")
    ev = svc.record_adverse_event(
        session=session,
        actor=pat,
        client_id=client_id,
        data=AdverseEventCreate(
            kind="bruising",
            severity="mild",
            session_id=s.id,
            point_code="ST6",
            side="left",
            onset_date=date(2026, 1, 12),
        ),
    )
    svc.resolve_adverse_event(
        session=session, actor=pat, event_id=ev.id, resolved_date=date(2026, 1, 16)
    )
    photos = [
        svc.add_photo(
            session=session,
            actor=pat,
            client_id=client_id,
            data=p.read_bytes(),
            session_id=s.id,
            analyse=False,
            store=store,
            captured_at=datetime(2026, 1, 12, 9, 0, tzinfo=UTC),
        )
        for p in portrait_paths[:2]
    ]
    svc.add_measurement(
        session=session,
        actor=pat,
        client_id=client_id,
        data=MeasurementCreate(
            metric="wrinkle_index",
            region="forehead",
            value=0.42,
            method_version="skin-1.0",
            photo_id=photos[0].id,
            session_id=s.id,
        ),
    )
    svc.add_rating(
        session=session,
        actor=pat,
        client_id=client_id,
        data=RatingCreate(scale="tmj_pain", value=6, rated_on=date(2026, 1, 12), session_id=s.id),
    )
    svc.add_rating(
        session=session,
        actor=pat,
        client_id=client_id,
        data=RatingCreate(scale="gais_practitioner", value=3, rated_on=date(2026, 1, 12)),
    )
    session.commit()
    return {
        "client": client_id,
        "session": s.id,
        "plan": plan.id,
        "event": ev.id,
        "photo": photos[0].id,
    }


@pytest.fixture
def empty_engine(backend: str, tmp_path: Path) -> Iterator[sa.Engine]:
    """A second, empty (unmigrated) database of the same backend, e.g. a restore target."""
    if backend == "sqlite":
        eng = db.make_engine(f"sqlite:///{tmp_path / 'restored' / 'acuface.sqlite3'}")
        yield eng
        eng.dispose()
        return
    reason = pg_unavailable()
    if reason:
        pytest.skip(reason)
    assert PG_URL
    schema = f"acuface_test_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(PG_URL)
    with admin.begin() as conn:
        conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    eng = _pg_engine(schema)
    try:
        yield eng
    finally:
        eng.dispose()
        with admin.begin() as conn:
            conn.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture
def password() -> str:
    """The named users' password."""
    return PASSWORD
