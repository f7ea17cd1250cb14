"""Build a big clinic through the clinic services, for load benchmarks and re-measuring.

Run::

    .venv/bin/python scripts/build_clinic.py --data-dir /tmp/acuface-big [--clients 10000]
        [--sessions 100000] [--database-url postgresql+psycopg://...]

Everything goes through :mod:`acuface.clinic.services` as the app would write it
(clients, consents, intakes, plans, signed treatment notes with their needles,
ratings, every write audited), in transactions of ``--batch`` clients. Realistic:
invented names, birth dates, phones and e-mails; one to three concerns per client
from the atlas, an intake with every critical screening question answered and the
planner's plan for it (``services.record_intake``, as the intake form stores them);
weekly courses starting at random over ``--years`` of history (about 100 visits
a day on 100,000 sessions over three years), charted from that plan
(``services.plan_needles``: every planned point, on each of its sides, about 28
needle rows a session) and signed with the count out
(``services.chart_signed_session``, as the demo clinic writes its past visits);
a few clients with 200 visits; and one busy past day (``--busy-day-sessions``
more visits on the same date, 30 days ago). Plans are computed once per distinct
intake (concerns, age band), a memo handed to ``record_intake`` as its planner: the
planner is deterministic, so this is the plan each client would get, without running
it 10,000 times.

Users (password ``benchmark password 1``): ``bench-admin`` (admin),
``bench-pract-1`` .. ``bench-pract-N`` (practitioners), ``bench-reception``.

Prints progress (clients, sessions and needles so far, rate, time left) and, at
the end, what was built and how long it took.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import time
from datetime import date, timedelta
from pathlib import Path

PASSWORD = "benchmark password 1"
GIVEN_F = (
    "Amara Beatriz Chiara Dana Elena Fatima Greta Hana Ines Julia Keiko Lena Maya Nadia Olga "
    "Priya Rosa Sofia Talia Uma Vera Yara Zoe"
).split()
GIVEN_M = (
    "Aaron Bruno Carlos David Emil Farid Gustav Hugo Ivan Jonas Kenji Liam Marco Nikos Omar "
    "Pablo Rafael Stefan Tomas Victor Yusuf"
).split()
FAMILY = (
    "Garcia Lindqvist Okafor Nakamura Rossi Schmidt Novak Haddad Kowalski Andersen Moreau Silva "
    "Costa Murphy Kim Nguyen Petrov Yilmaz Fischer Dubois Jansen Horvat Popescu Ali Chen Tanaka "
    "Rahman Mensah Oliveira Bianchi Weber Larsen Berg Svoboda Ivanova Mendes Kaya Singh Ortiz"
).split()
SLOTS = [f"{h:02d}:{m:02d}" for h in range(9, 18) for m in (0, 30)]


def main(argv: list[str] | None = None) -> int:  # noqa: D103 - the module docstring says it
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data-dir", type=Path, required=True, help="ACUFACE_DATA_DIR of the clinic")
    ap.add_argument(
        "--database-url", default=None, help="PostgreSQL URL (default: SQLite in the data dir)"
    )
    ap.add_argument("--clients", type=int, default=10_000)
    ap.add_argument("--sessions", type=int, default=100_000, help="visits in total")
    ap.add_argument("--practitioners", type=int, default=6)
    ap.add_argument("--heavy-clients", type=int, default=5, help="clients with 200 visits each")
    ap.add_argument("--busy-day-sessions", type=int, default=120)
    ap.add_argument(
        "--years", type=int, default=3, help="years of history the courses are spread over"
    )
    ap.add_argument("--batch", type=int, default=50, help="clients per transaction")
    ap.add_argument("--seed", type=int, default=20261201)
    args = ap.parse_args(argv)

    os.environ["ACUFACE_DATA_DIR"] = str(args.data_dir)
    if args.database_url:
        os.environ["DATABASE_URL"] = args.database_url
    from acuface.atlas.knowledge import load_knowledge
    from acuface.clinic import db
    from acuface.clinic import services as svc
    from acuface.clinic.schemas import (
        Actor,
        ClientCreate,
        ConsentCreate,
        RatingCreate,
        SessionCreate,
    )
    from acuface.config import get_settings
    from acuface.errors import PlanningError
    from acuface.planner import (
        Intake,
        Plan,
        PlanOptions,
        critical_rules,
        list_concerns,
        make_plan,
    )

    t0 = time.monotonic()
    settings = get_settings()
    engine = db.make_engine(settings.sqlalchemy_url)
    db.upgrade(engine)
    with db.session_scope(engine) as s:
        if svc.count_clients(session=s) > 0:
            print(
                f"{settings.sqlalchemy_url} already has clients; use an empty data dir.",
                file=sys.stderr,
            )
            return 2
    rng = random.Random(args.seed)
    system = Actor.system(source="build_clinic")
    with db.session_scope(engine) as s:

        def user(name: str, role: str, display: str) -> Actor:
            u = svc.create_user(
                session=s,
                actor=system,
                username=name,
                password=PASSWORD,
                role=role,
                display_name=display,
            )
            return Actor.from_user(u, "127.0.0.1")

        user("bench-admin", "admin", "Bench Admin")
        reception = user("bench-reception", "reception", "Bench Reception")
        practs = [
            user(f"bench-pract-{i + 1}", "practitioner", f"Dr {FAMILY[i]}")
            for i in range(args.practitioners)
        ]
    knowledge = load_knowledge()
    concerns = [c.name for c in list_concerns()]
    today = date.today()
    busy_day = today - timedelta(days=30)

    # Visits per client: the total spread over clients, a few heavy ones with 200.
    heavy = min(args.heavy_clients, args.clients)
    rest = max(0, args.sessions - 200 * heavy)
    light = args.clients - heavy
    visits = [200] * heavy + [0] * light
    if light:
        base, extra = divmod(rest, light)
        for i in range(light):
            visits[heavy + i] = base + (1 if i < extra else 0)
        # Some spread (keeping the total): move a visit between random pairs.
        for _ in range(light):
            a, b = heavy + rng.randrange(light), heavy + rng.randrange(light)
            if visits[a] > 1:
                visits[a] -= 1
                visits[b] += 1
    busy_left = args.busy_day_sessions

    plan_cache: dict[tuple[tuple[str, ...], int], Plan | PlanningError] = {}

    def plan_for(intake: Intake, options: PlanOptions) -> Plan:
        """Plan once per distinct intake (concerns, age band), refusals included."""
        key = (tuple(intake.concerns), (intake.age or 0) // 10)
        if key not in plan_cache:
            try:
                plan_cache[key] = make_plan(intake, options)
            except PlanningError as exc:
                plan_cache[key] = exc
        found = plan_cache[key]
        if isinstance(found, PlanningError):
            raise found
        return found

    n_sessions = n_needles = n_clients = 0
    last_print = 0.0
    order = list(range(args.clients))
    for batch_start in range(0, args.clients, args.batch):
        with db.session_scope(engine) as s:
            for index in order[batch_start : batch_start + args.batch]:
                female = rng.random() < 0.8
                given = rng.choice(GIVEN_F if female else GIVEN_M)
                family = rng.choice(FAMILY)
                age = rng.randint(28, 72)
                birth = date(today.year - age, rng.randint(1, 12), rng.randint(1, 28))
                pract = practs[index % len(practs)]
                client = svc.create_client(
                    session=s,
                    actor=reception,
                    data=ClientCreate(
                        given_name=given,
                        family_name=family,
                        birth_date=birth,
                        sex="female" if female else "male",
                        email=f"{given.lower()}.{family.lower()}{index}@example.org",
                        phone=f"+44 7700 {index // 1000:03d} {index % 1000:03d}",
                    ),
                )
                n_visits = visits[index]
                # Courses start at random over the clinic's history, so a day holds
                # about as many visits as a real clinic's (every course ending in the
                # same fortnight put ~1,500 visits on each of its days). The last visit
                # is at least two weeks before today.
                weeks_back = n_visits + 1 + rng.randrange(max(1, 52 * args.years - n_visits))
                first_visit = today - timedelta(weeks=weeks_back, days=rng.randrange(7))
                for kind in ("treatment", "photography"):
                    svc.record_consent(
                        session=s,
                        actor=pract,
                        client_id=client.id,
                        data=ConsentCreate(
                            kind=kind, signed_by=f"{given} {family}", signed_on=first_visit
                        ),
                    )
                chosen = sorted(rng.sample(concerns, k=rng.randint(1, 3)))
                answers = {r.id: False for r in critical_rules(chosen, knowledge)}
                intake_model = Intake(concerns=chosen, age=age, screening=answers)
                plan = svc.record_intake(
                    session=s,
                    actor=pract,
                    client_id=client.id,
                    intake=intake_model,
                    intake_date=first_visit,
                    course_start=first_visit,
                    planner=plan_for,
                ).plan
                needles = svc.plan_needles(plan.plan) if plan else []
                for visit in range(n_visits):
                    day = first_visit + timedelta(weeks=visit)
                    if busy_left > 0 and visit == n_visits // 2 and index >= heavy:
                        day, busy_left = busy_day, busy_left - 1
                    ts = svc.chart_signed_session(
                        session=s,
                        actor=pract,
                        client_id=client.id,
                        data=SessionCreate(
                            session_date=day,
                            start_time=rng.choice(SLOTS),
                            plan_id=plan.id if plan else None,
                            retention_minutes=rng.choice((20, 25, 30)),
                            needles=needles,
                            needles_out=sum(n.count for n in needles),
                            subjective="Feels the skin is firmer; slept well.",
                            objective="Skin intact; no contraindication found today.",
                            assessment="Tolerated well.",
                            plan_note="Continue weekly course.",
                        ),
                    )
                    n_sessions += 1
                    n_needles += len(needles)
                    if visit % 4 == 3:
                        svc.add_rating(
                            session=s,
                            actor=pract,
                            client_id=client.id,
                            data=RatingCreate(
                                scale="satisfaction",
                                value=min(10, 5 + visit // 4),
                                rated_on=day,
                                session_id=ts.id,
                            ),
                        )
                n_clients += 1
        now = time.monotonic()
        if now - last_print > 2 or n_clients == args.clients:
            last_print = now
            done = n_sessions / max(1, args.sessions)
            rate = n_sessions / max(1e-9, now - t0)
            left = (args.sessions - n_sessions) / rate if rate else 0
            print(
                f"clients {n_clients:>6}/{args.clients}  sessions {n_sessions:>7}/{args.sessions} "
                f"({done:5.1%})  needles {n_needles:>9}  {rate:6.0f} sessions/s  "
                f"~{left / 60:5.1f} min left",
                flush=True,
            )
    engine.dispose()
    took = time.monotonic() - t0
    print(
        f"\nBuilt {n_clients} clients, {n_sessions} signed sessions, {n_needles} needle rows "
        f"({len(plan_cache)} distinct plans) in {took / 60:.1f} min into {settings.sqlalchemy_url}."
        f"\nBusy day: {busy_day} ({args.busy_day_sessions - busy_left} sessions). "
        f"Users: bench-admin, bench-pract-1..{args.practitioners}, bench-reception; "
        f"password {PASSWORD!r}."
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
