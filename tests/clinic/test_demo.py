"""The demo clinic: planner plans, weeks of signed sessions, a day list for today."""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa

from acuface.clinic import db
from acuface.clinic import services as svc
from acuface.clinic.demo import DEMO_PASSWORD, load_demo
from acuface.clinic.photostore import LocalPhotoStore
from acuface.clinic.schemas import Actor


def test_demo_clinic(engine: sa.Engine, store: LocalPhotoStore) -> None:
    today = date(2026, 3, 2)
    report = load_demo(engine, store=store, n_clients=8, analyse=False, today=today)
    # 8 baseline photos + one follow-up photo (the before/after pair of client 0)
    assert not report.skipped and report.clients == 8 and report.photos == 9
    again = load_demo(engine, store=store, n_clients=8, analyse=False, today=today)
    assert again.skipped  # idempotent
    with db.session_scope(engine) as s:
        hana = svc.authenticate(session=s, username="hana", password=DEMO_PASSWORD, ip="127.0.0.1")
        assert hana is not None and hana.role == "practitioner"
        actor = Actor.from_user(hana, "127.0.0.1")
        day = svc.list_schedule(session=s, actor=actor, day=today)
        assert len(day) == 4 and all(e.status == "draft" for e in day)
        clients = svc.list_clients(session=s, actor=actor)
        assert len(clients) == 8 and len({c.name for c in clients}) == 8
        all_sessions = [
            x for c in clients for x in svc.list_sessions(session=s, actor=actor, client_id=c.id)
        ]
        past = [x for x in all_sessions if x.session_date < today]
        assert past and all(x.status == "signed" and x.needle_total > 0 for x in past)
        plans = [svc.latest_plan(session=s, actor=actor, client_id=c.id) for c in clients]
        assert all(p is not None and p.planner_version for p in plans)
        # Needles come from the plan's points.
        for x in past:
            plan = next(p for p in plans if p is not None and p.id == x.plan_id)
            planned = {pt.code for pt in plan.plan.points}
            assert {n.point_code for n in x.needles} <= planned
    with engine.connect() as conn:
        weeks = conn.execute(
            sa.text("SELECT COUNT(DISTINCT session_date) FROM treatment_sessions")
        ).scalar()
    assert weeks >= 3


def test_demo_clients_fit_their_photos(engine: sa.Engine, store: LocalPhotoStore) -> None:
    import re

    from acuface.clinic.demo import default_photos_dir, load_appearance

    today = date(2026, 3, 2)
    load_demo(engine, store=store, n_clients=8, analyse=False, today=today)
    faces = default_photos_dir().parent
    looks = {path.name: look for path, look in load_appearance(faces).items()}
    assert len(looks) >= 67
    with db.session_scope(engine) as s:
        actor = Actor.system()
        checked = sexes = 0
        for c in svc.list_clients(session=s, actor=actor):
            client = svc.get_client(session=s, actor=actor, client_id=c.id)
            assert client.birth_date is not None
            born = client.birth_date
            age = today.year - born.year - ((today.month, today.day) < (born.month, born.day))
            for photo in svc.list_photos(session=s, actor=actor, client_id=c.id):
                found = re.search(r"portrait (\S+)\)", photo.note or "")
                if found is None:
                    continue  # the follow-up photo of the before/after pair
                look = looks[found.group(1)]
                assert client.sex == look.sex, (client.name, found.group(1))
                assert look.age[0] <= age <= look.age[1], (client.name, age, look.age)
                checked += 1
                sexes += client.sex == "female"
    # Every client checked; the women's portraits come first, so most clients are women.
    assert checked == 8 and sexes >= 6
