"""A demo clinic for development and screenshots: users, ~30 clients, weeks of sessions.

Everything is generated deterministically (fixed seed) from invented name
combinations; contact details use reserved ranges (``example.org`` addresses,
UK drama numbers +44 7700 900xxx), so nothing points at a real person. Dates
are relative to *today* so that the "Today" list is never empty. Photos are the
public-domain portraits in the repository's ``tests/data/faces/portraits/``
(see the ``LICENSE.md`` there); the demo fails with a clear message when that
folder is absent (e.g. an installed package without the repository).

The demo password is printed by ``acuface demo-data``: development only.
"""

from __future__ import annotations

import io
import multiprocessing
import os
import random
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any, Literal

import yaml
from PIL import Image, ImageDraw
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import Engine

from acuface.atlas.knowledge import load_knowledge
from acuface.clinic import db
from acuface.clinic import services as svc
from acuface.clinic.photostore import PhotoStore, PreparedPhoto, get_photo_store, prepare_photo
from acuface.clinic.schemas import (
    Actor,
    AdverseEventCreate,
    AppointmentCreate,
    ClientCreate,
    ClinicSettingsUpdate,
    ConsentCreate,
    PhotoAnalysis,
    RatingCreate,
    SessionCreate,
)
from acuface.clinic.services.photos import add_prepared_photo, analyse_rgb
from acuface.config import get_settings
from acuface.errors import BookingRefused, ClinicError, ConfigError
from acuface.planner import Intake, critical_rules, list_concerns

#: The demo accounts' password (development only; printed by ``acuface demo-data``).
#: Listed in ``services.users.PUBLISHED_PASSWORDS``, which production refuses.
DEMO_PASSWORD = "acuface-demo-2026"
SEED = 20260101

DEMO_USERS = (
    ("admin", "admin", "Ada Admin"),
    ("hana", "practitioner", "Hana Kobayashi, L.Ac."),
    ("lian", "practitioner", "Lian Chen, L.Ac."),
    ("marco", "practitioner", "Marco Ferri, L.Ac."),
    ("rosa", "reception", "Rosa Delgado"),
)

#: The demo clinic's identity (a reserved phone number and an example.org address).
DEMO_CLINIC = ClinicSettingsUpdate(
    name="Lotus Facial Acupuncture (demo)",
    address="12 Example Street\nSpringfield",
    phone="+44 7700 900000",
    email="reception@example.org",
    rooms=["Room 1", "Room 2"],
)

_GIVEN = (
    "Amelia Beatriz Clara Dalia Elin Farah Greta Hedda Ines Jana Kalinda Lotte Maren Noor "
    "Odile Paloma Quinn Rosalind Saskia Thea Una Vera Wilma Ximena Yara Zofia Anouk Brigid "
    "Calla Delphine Esme Fenna Gisela Hanne Ilse Judith Kerstin Liesel Mirela Nadia Oona"
).split()
_GIVEN_M = "Aurelio Bram Cyril Dario Emil Florian Gideon Henrik Ivo Jonas Kasimir Lorenz".split()
_FAMILY = (
    "Abernathy Bellweather Castellano Dunmore Eskildsen Fairclough Galbraith Hollingworth "
    "Ivarsson Jablonski Kettering Lindqvist Marchetti Nightingale Oakhurst Pemberton Quimby "
    "Ravensworth Sandoval Thistlewood Underhill Valdivia Whitcombe Yarborough Zelenko "
    "Ashdown Brightwater Corcoran Delacroix Ellingham Fitzwilliam Greenhalgh"
).split()

_TECHNIQUES = (
    "0.16 x 15 mm needles, shallow transverse insertion on the face, even method",
    "0.18 x 13 mm needles, oblique insertion, gentle even method",
    "0.16 x 13 mm intradermal-style shallow needling, no manipulation near the eyes",
)
_SUBJECTIVE = (
    "Feels the skin is brighter; sleeping better this week.",
    "Jaw tension lower in the mornings; some stress at work.",
    "No change noticed yet; happy to continue.",
    "Puffiness under the eyes less in the mornings.",
    "Slight tenderness at last session's needle sites for a day.",
)


@dataclass(frozen=True)
class DemoReport:
    """What the demo loader did."""

    skipped: bool
    reason: str | None = None
    users: int = 0
    clients: int = 0
    sessions: int = 0
    photos: int = 0


class Appearance(BaseModel):
    """How the person in one demo photo looks: apparent sex and age range (years)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    sex: Literal["female", "male"]
    age: tuple[int, int]


class AppearanceFile(BaseModel):
    """``tests/data/faces/appearance.yaml``: photo path (from that folder) -> appearance."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    source: str = Field(min_length=3)
    photos: dict[str, Appearance]


def load_appearance(faces_dir: Path) -> dict[Path, Appearance]:
    """Return the appearance of each photo under *faces_dir* (empty without the file).

    The demo gives each invented client the sex and an age that fit their photo.
    """
    path = faces_dir / "appearance.yaml"
    if not path.is_file():
        return {}
    data = AppearanceFile.model_validate(yaml.safe_load(path.read_text(encoding="utf-8")))
    return {(faces_dir / name).resolve(): look for name, look in data.photos.items()}


def default_photos_dir() -> Path:
    """Return the repository's portrait folder (``tests/data/faces/portraits``)."""
    return Path(__file__).resolve().parents[3] / "tests" / "data" / "faces" / "portraits"


#: Used for a demo photo without an appearance entry (a photos folder of one's own).
_UNKNOWN_LOOK = Appearance(sex="female", age=(30, 65))


def _look(appearance: dict[Path, Appearance], path: Path) -> Appearance:
    return appearance.get(path.resolve(), _UNKNOWN_LOOK)


def _demo_screening(
    rng: random.Random, *, female: bool, age: int, concerns: list[str]
) -> dict[str, Any]:
    """Screening answers of an invented client: every critical question answered.

    Most answers are "no"; a few clients are on blood thinners, needle-shy, or (women
    of child-bearing age) pregnant, so the demo shows what screening does.
    """
    answers: dict[str, Any] = {
        rule.id: False for rule in critical_rules(concerns, load_knowledge())
    }
    if age >= 55 and rng.random() < 0.2:
        answers["anticoagulants"] = True
    if rng.random() < 0.1:
        answers["needle_phobia_fainting"] = True
    if female and 25 <= age <= 42 and rng.random() < 0.15:
        answers["pregnancy"] = {"week": rng.randint(10, 32)}
    return answers


def demo_signature(name: str) -> bytes:
    """Return an invented signature for *name*: a PNG of a pen-like scribble.

    Demo clients sign their consents too, so the consent page of the demo clinic
    shows what a real one looks like.
    """
    rng = random.Random(f"{SEED}-signature-{name}")
    img = Image.new("RGBA", (600, 180), (255, 255, 255, 0))
    pen = ImageDraw.Draw(img)
    x, y = 30.0, 110.0
    points = [(x, y)]
    for _ in range(max(6, len(name) * 2)):
        x += rng.uniform(12, 30)
        y = min(160.0, max(30.0, y + rng.uniform(-45, 45)))
        points.append((x, y))
    pen.line(points, fill=(20, 30, 90, 255), width=4, joint="curve")
    out = io.BytesIO()
    img.save(out, format="PNG")
    return out.getvalue()


def _prepare(path: str, analyse: bool) -> tuple[PreparedPhoto, PhotoAnalysis | None]:
    """Worker: check, re-encode and (optionally) analyse one portrait."""
    prepared = prepare_photo(Path(path).read_bytes())
    analysis = analyse_rgb(prepared.pixels) if analyse else None
    return prepared.without_pixels(), analysis


def _prepare_all(
    paths: list[Path], analyse: bool
) -> Iterator[tuple[PreparedPhoto, PhotoAnalysis | None]]:
    """Prepare the photos in order; analysis runs in worker processes (one per core, max 2)."""
    if not analyse or len(paths) < 4:
        for path in paths:
            yield _prepare(str(path), analyse)
        return

    workers = max(1, min(2, os.cpu_count() or 1))
    # "spawn": the face model's threads and the database engine must not be forked.
    with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn")) as pool:
        yield from pool.map(_prepare, [str(p) for p in paths], [analyse] * len(paths))


#: Demo bookings for the rest of the week: (hour, minute, kind) per practitioner and day.
_WEEK_SLOTS = ((10, 0, "treatment"), (14, 30, "follow_up"))


def _book_this_week(
    engine: Engine, reception: Actor, practitioners: list[Actor], today: date, n_clients: int
) -> None:
    """Book a few appointments on the coming days of this week (reception books them).

    Closed days and times outside the clinic's hours are skipped, as the calendar would
    refuse them.
    """
    if n_clients == 0:
        return
    with db.session_scope(engine) as session:
        clients = svc.list_clients(session=session, actor=reception, limit=n_clients)
        turn = 0
        for offset in range(1, 7):
            day = today + timedelta(days=offset)
            for pract in practitioners:
                for hour, minute, kind in _WEEK_SLOTS:
                    client = clients[turn % len(clients)]
                    turn += 1
                    try:
                        svc.book_appointment(
                            session=session,
                            actor=reception,
                            data=AppointmentCreate(
                                client_id=client.id,
                                practitioner_id=pract.user_id,
                                start=datetime.combine(day, time(hour, minute)),
                                kind=kind,
                            ),
                        )
                    except BookingRefused:
                        continue


def load_demo(
    engine: Engine | None = None,
    *,
    store: PhotoStore | None = None,
    photos_dir: Path | None = None,
    n_clients: int = 30,
    analyse: bool = True,
    today: date | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> DemoReport:
    """Fill an empty, migrated database with the demo clinic.

    Idempotent: when any client exists it does nothing and says so.

    Parameters
    ----------
    engine : Engine, optional
        Target database (default: the configured one).
    store : PhotoStore, optional
        Photo store (default: the configured data directory's).
    photos_dir : Path, optional
        Portraits to use (default :func:`default_photos_dir`).
    n_clients : int
        Number of clients.
    analyse : bool
        Run the locator and skin analysis on the photos (about 1 s each).
    today : date, optional
        Anchor of the generated dates (default: today).
    progress : callable, optional
        Called as ``progress(done, total)`` after each client.
    """
    if get_settings().env == "prod":
        # Its accounts share a password printed in this repository.
        raise ConfigError(
            "The demo clinic is for development only (ACUFACE_ENV=prod refuses it): its "
            "accounts share a published password."
        )
    engine = engine or db.get_engine()
    db.check_schema_current(engine)
    with db.session_scope(engine) as session:
        if svc.count_clients(session=session) > 0:
            return DemoReport(skipped=True, reason="the database already has clients")
    photos_dir = photos_dir or default_photos_dir()
    portraits = sorted(photos_dir.glob("*.jpg")) if photos_dir.is_dir() else []
    if not portraits:
        raise ClinicError(
            f"No demo photos in {photos_dir}: the demo clinic uses the repository's "
            "tests/data/faces/portraits/. Run it from a source checkout."
        )
    store = store or get_photo_store()
    today = today or date.today()
    rng = random.Random(SEED)
    system = Actor.system(source="demo-data")
    concerns = [c.name for c in list_concerns()]

    actors: dict[str, Actor] = {}
    with db.session_scope(engine) as session:
        for username, role, display in DEMO_USERS:
            user = svc.get_user_by_username(session=session, actor=system, username=username)
            if user is None:
                user = svc.create_user(
                    session=session,
                    actor=system,
                    username=username,
                    password=DEMO_PASSWORD,
                    role=role,  # type: ignore[arg-type]
                    display_name=display,
                )
            actors[username] = Actor.from_user(user, source="demo-data")
        svc.update_clinic_settings(session=session, actor=system, data=DEMO_CLINIC)
    practitioners = [actors["hana"], actors["lian"], actors["marco"]]

    n_sessions = n_photos = 0
    appearance = load_appearance(photos_dir.parent)
    # Women first: most clients of facial acupuncture are women, and the portraits
    # (members of the US Congress) are mostly men.
    portraits.sort(key=lambda p: (_look(appearance, p).sex != "female", p.name))
    paths = [portraits[i % len(portraits)] for i in range(n_clients)]
    # One client gets a real before/after pair: two different public-domain photos of
    # the same person (tests/data/faces/obama.jpg and obama3.jpg), when present.
    pair = [photos_dir.parent / "obama.jpg", photos_dir.parent / "obama3.jpg"]
    has_pair = n_clients > 0 and all(p.is_file() for p in pair)
    if has_pair:
        paths = [pair[0], *paths[1:], pair[1]]
    photos = _prepare_all(paths, analyse)
    after_photo: tuple[int, date, int | None, Actor] | None = None
    used_names: set[tuple[str, str]] = set()
    today_slots = [time(9, 0), time(10, 30), time(13, 0), time(15, 30)]
    families = list(_FAMILY)
    rng.shuffle(families)
    for index in range(n_clients):
        look = _look(appearance, paths[index])
        rng.random()  # the draw that used to choose the sex: the rest stays as it was
        female = look.sex == "female"
        family = families[index % len(families)]
        while True:
            given = rng.choice(_GIVEN if female else _GIVEN_M)
            if (given, family) not in used_names:
                used_names.add((given, family))
                break
        # An age within the photo's apparent range, a birthday anywhere in the year.
        age = rng.randint(*look.age)
        birth = today - timedelta(days=round(365.25 * age) + rng.randrange(0, 360))
        pract = practitioners[index % len(practitioners)]
        n_visits = rng.randint(2, 6)
        first_visit = today - timedelta(weeks=n_visits, days=rng.randrange(0, 6))
        chosen = rng.sample(concerns, k=rng.randint(1, 3))
        with db.session_scope(engine) as session:
            client = svc.create_client(
                session=session,
                actor=actors["rosa"],
                data=ClientCreate(
                    given_name=given,
                    family_name=family,
                    birth_date=birth,
                    sex="female" if female else "male",
                    email=f"{given.lower()}.{family.lower()}@example.org",
                    phone=f"+44 7700 900{index:03d}",
                    notes="Demo client (invented).",
                ),
            )
            # Before anything else: signing notes and adding photos need these.
            for kind in ("treatment", "photography", "research"):
                svc.record_consent(
                    session=session,
                    actor=pract,
                    client_id=client.id,
                    data=ConsentCreate(
                        kind=kind,
                        signed_by=f"{given} {family}",
                        signed_on=first_visit,
                        signature_png=demo_signature(f"{given} {family}"),
                    ),
                )
            intake_model = Intake(
                concerns=chosen,
                age=age,
                # Its own generator: the rest of the demo stays as it was.
                screening=_demo_screening(
                    random.Random(f"{SEED}-screening-{index}"),
                    female=female,
                    age=age,
                    concerns=list(chosen),
                ),
            )
            plan = svc.record_intake(
                session=session,
                actor=pract,
                client_id=client.id,
                intake=intake_model,
                intake_date=first_visit,
                course_start=first_visit,
            ).plan
            first_session_id = last_session_id = None
            last_day = first_visit
            for visit in range(n_visits):
                day = first_visit + timedelta(weeks=visit)
                if day >= today:
                    break
                # A practitioner rarely places every planned needle on every visit.
                needles = (
                    svc.plan_needles(plan.plan, keep=lambda _: rng.random() >= 0.1) if plan else []
                )
                ts = svc.chart_signed_session(
                    session=session,
                    actor=pract,
                    client_id=client.id,
                    data=SessionCreate(
                        session_date=day,
                        start_time=rng.choice(today_slots),
                        plan_id=plan.id if plan else None,
                        retention_minutes=rng.choice((20, 25, 30)),
                        technique=rng.choice(_TECHNIQUES),
                        needles=needles,
                        # Every needle counted out again at the end of the session.
                        needles_out=sum(n.count for n in needles),
                        aftercare=["no_makeup_today", "bruise_care", "medicines_unchanged"],
                        subjective=rng.choice(_SUBJECTIVE),
                        objective="Skin intact; no contraindication found today.",
                        assessment="Tolerated well." if visit else "First session.",
                        plan_note="Continue weekly course.",
                    ),
                )
                first_session_id = first_session_id or ts.id
                last_session_id, last_day = ts.id, day
                n_sessions += 1
                if needles and rng.random() < 0.15:
                    site = rng.choice(needles)
                    svc.record_adverse_event(
                        session=session,
                        actor=pract,
                        client_id=client.id,
                        data=AdverseEventCreate(
                            kind="bruising",
                            severity="mild",
                            session_id=ts.id,
                            point_code=site.point_code,
                            side=site.side,
                            onset_date=day,
                            resolved_date=min(day + timedelta(days=rng.randint(3, 7)), today),
                            description="Small bruise at the needle site; cold compress advised.",
                        ),
                    )
                if "tmj" in chosen:
                    svc.add_rating(
                        session=session,
                        actor=pract,
                        client_id=client.id,
                        data=RatingCreate(
                            scale="tmj_pain",
                            value=max(0, 7 - visit - rng.randint(0, 1)),
                            rated_on=day,
                            session_id=ts.id,
                        ),
                    )
                svc.add_rating(
                    session=session,
                    actor=pract,
                    client_id=client.id,
                    data=RatingCreate(
                        scale="elasticity_self",
                        value=min(10, 4 + visit // 2 + rng.randint(0, 1)),
                        rated_on=day,
                        session_id=ts.id,
                    ),
                )
            if n_visits >= 4:
                svc.add_rating(
                    session=session,
                    actor=pract,
                    client_id=client.id,
                    data=RatingCreate(
                        scale="gais_practitioner", value=rng.choice((2, 3, 3, 4)), rated_on=today
                    ),
                )
            if index < len(today_slots):
                svc.create_session(
                    session=session,
                    actor=pract,
                    client_id=client.id,
                    data=SessionCreate(
                        session_date=today,
                        start_time=today_slots[index],
                        plan_id=plan.id if plan else None,
                    ),
                )
                n_sessions += 1
            prepared, analysis = next(photos)
            add_prepared_photo(
                session=session,
                actor=pract,
                client_id=client.id,
                prepared=prepared,
                analysis=analysis,
                view="front",
                added_at=datetime.combine(first_visit, time(9, 0), tzinfo=UTC),
                session_id=first_session_id,
                note=f"Baseline photo (demo: public-domain portrait {paths[index].name}).",
                store=store,
            )
            n_photos += 1
            if index == 0 and has_pair and last_session_id != first_session_id:
                after_photo = (client.id, last_day, last_session_id, pract)
        if progress is not None:
            progress(index + 1, n_clients)
    if has_pair:
        prepared, analysis = next(photos)  # always consumed, so the worker pool finishes
        if after_photo is not None:
            client_id, day, session_id, pract = after_photo
            with db.session_scope(engine) as session:
                add_prepared_photo(
                    session=session,
                    actor=pract,
                    client_id=client_id,
                    prepared=prepared,
                    analysis=analysis,
                    view="front",
                    added_at=datetime.combine(day, time(9, 0), tzinfo=UTC),
                    session_id=session_id,
                    note="Follow-up photo (demo: a different public-domain photo of the same "
                    "person; differences are not a treatment effect).",
                    store=store,
                )
            n_photos += 1
    _book_this_week(engine, actors["rosa"], practitioners, today, n_clients)
    return DemoReport(
        skipped=False,
        users=len(DEMO_USERS),
        clients=n_clients,
        sessions=n_sessions,
        photos=n_photos,
    )
