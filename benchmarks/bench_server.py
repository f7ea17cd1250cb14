"""Load benchmarks of a real ``acuface serve`` on loopback (issue 14's targets).

Scenarios (``--scenario``):

* ``paced``: ``--browsers`` (20) signed-in users browsing with 0.5-2 s pauses
  between clicks while ``--uploaders`` (2) others upload photos back to back.
  Target: 0 errors, page p95 < 300 ms.
* ``fifty``: ``--users`` (50) paced users browsing for ``--seconds`` (60). Same targets.
* ``saturation``: ``--users`` (50) users with no pauses: throughput and p95.
* ``bigclinic``: on a clinic built by ``scripts/build_clinic.py`` (``--data-dir``,
  with ``--database-url`` for PostgreSQL): every page type's p95 from one user
  (``--samples`` each), then ``--users`` (20) concurrent paced users' p95.
  Targets: every page p95 < 150 ms, 20 users p95 < 300 ms.

``--databases sqlite,postgresql`` runs the scenario on each (PostgreSQL in a fresh
schema of ``--postgres-url``; ``bigclinic`` takes ``--database-url`` instead).
Except for ``bigclinic`` the clinic is built first with ``scripts/build_clinic.py``
(``--clients`` 300, ten visits each). The load generator is one asyncio process
with an HTTP client per user, on the same machine as the server: on two cores it
takes CPU from the server, so read the numbers as a floor, and compare runs on the
same machine. Errors are answers >= 500 and failed connections. Prints a Markdown
table per run. Not a test: no assertions.

Examples::

    .venv/bin/python benchmarks/bench_server.py --scenario paced --seconds 60
    .venv/bin/python benchmarks/bench_server.py --scenario fifty --databases sqlite,postgresql \\
        --postgres-url postgresql+psycopg://postgres@127.0.0.1:5432/acuface_bench
"""

from __future__ import annotations

import argparse
import asyncio
import random
import re
import subprocess
import sys
import tempfile
import time
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import sqlalchemy as sa

ROOT = Path(__file__).resolve().parents[1]
# The server process is started by the helper the tests use (tests/realprocs.py).
sys.path.insert(0, str(ROOT / "tests"))
from realprocs import Server  # noqa: E402 - importable once tests/ is on the path

PORTRAITS = sorted((ROOT / "tests" / "data" / "faces" / "portraits").glob("*.jpg"))
PASSWORD = "benchmark password 1"


# --- what users do -------------------------------------------------------------


@dataclass
class Clinic:
    """Ids to click on, read from the database."""

    clients: list[int]
    sessions: list[int]
    plans: list[int]
    names: list[str]
    busy_day: str
    practitioners: list[str]


def read_clinic(url: str) -> Clinic:
    """Pick the records users will open (a sample of each kind)."""
    engine = sa.create_engine(url)
    with engine.connect() as conn:
        q = lambda sql: [r[0] for r in conn.execute(sa.text(sql))]  # noqa: E731
        clients = q("SELECT id FROM clients WHERE deleted_at IS NULL ORDER BY id")
        sessions = q("SELECT id FROM treatment_sessions ORDER BY id")
        plans = q("SELECT id FROM plans ORDER BY id")
        names = q("SELECT DISTINCT family_name FROM clients")
        busy = conn.execute(
            sa.text(
                "SELECT session_date FROM treatment_sessions GROUP BY session_date "
                "ORDER BY COUNT(*) DESC LIMIT 1"
            )
        ).scalar()
        practs = q("SELECT username FROM users WHERE role = 'practitioner' ORDER BY id")
    engine.dispose()
    rng = random.Random(7)
    return Clinic(
        clients=rng.sample(clients, min(2000, len(clients))),
        sessions=rng.sample(sessions, min(2000, len(sessions))),
        plans=rng.sample(plans, min(500, len(plans))) or [0],
        names=names,
        busy_day=str(busy),
        practitioners=practs,
    )


def pages(clinic: Clinic, rng: random.Random) -> list[tuple[str, str]]:
    """One of each page type, as (label, path)."""
    cid = rng.choice(clinic.clients)
    n_pages = max(1, len(clinic.clients) // 50)
    return [
        ("today", "/today"),
        ("busy past day", f"/today?day={clinic.busy_day}"),
        ("clients list", f"/clients?page={rng.randint(1, n_pages)}"),
        ("client search", f"/clients?q={rng.choice(clinic.names)[:4].lower()}"),
        ("client page", f"/clients/{cid}"),
        ("client sessions", f"/clients/{cid}/sessions"),
        ("session note", f"/sessions/{rng.choice(clinic.sessions)}"),
        ("plan", f"/plans/{rng.choice(clinic.plans)}"),
        ("photos", f"/clients/{cid}/photos"),
        ("progress", f"/clients/{cid}/progress"),
        ("api clients", f"/api/clients?q={rng.choice(clinic.names)[:3].lower()}"),
    ]


@dataclass
class Results:
    """Latencies (s) per label, and errors."""

    times: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    errors: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    statuses: dict[int, int] = field(default_factory=lambda: defaultdict(int))


async def login(base: str, username: str) -> httpx.AsyncClient:
    """A client signed in through the login form."""
    http = httpx.AsyncClient(base_url=base, timeout=60)
    page = await http.get("/login")
    token = re.search(r'name="csrf-token" content="([^"]+)"', page.text)
    assert token, "no CSRF token on the login page"
    r = await http.post(
        "/login",
        data={
            "username": username,
            "password": PASSWORD,
            "csrf_token": token.group(1),
            "next": "/today",
        },
    )
    if r.status_code not in (200, 303):
        raise SystemExit(f"sign-in as {username} failed: {r.status_code} {r.text[:200]}")
    return http


async def browse(
    http: httpx.AsyncClient,
    clinic: Clinic,
    res: Results,
    until: float,
    pause: tuple[float, float] | None,
    seed: int,
) -> None:
    """Click through pages until *until*, pausing between clicks (None: no pauses)."""
    rng = random.Random(seed)
    while time.monotonic() < until:
        _label, path = rng.choice(pages(clinic, rng))
        await _timed(http.get(path), "page", res)
        if pause:
            await asyncio.sleep(rng.uniform(*pause))


async def upload(
    http: httpx.AsyncClient, clinic: Clinic, res: Results, until: float, seed: int
) -> None:
    """Upload photos back to back until *until*."""
    rng = random.Random(seed)
    token = (await http.get("/api/me")).json()["csrf_token"]
    while time.monotonic() < until:
        photo = rng.choice(PORTRAITS)
        await _timed(
            http.post(
                f"/api/clients/{rng.choice(clinic.clients)}/photos",
                headers={"X-CSRF-Token": token},
                files={"file": (photo.name, photo.read_bytes(), "image/jpeg")},
            ),
            "upload",
            res,
        )


async def _timed(request: object, label: str, res: Results) -> None:
    t = time.perf_counter()
    try:
        r = await request  # type: ignore[misc]
        res.statuses[r.status_code] += 1
        if r.status_code >= 500:
            res.errors[label] += 1
    except httpx.HTTPError:
        res.errors[label] += 1
        res.statuses[-1] += 1
    res.times[label].append(time.perf_counter() - t)


def pct(values: list[float], q: float) -> float:
    """The *q* quantile (0-1) in milliseconds."""
    if not values:
        return float("nan")
    values = sorted(values)
    return 1000 * values[min(len(values) - 1, int(round(q * (len(values) - 1))))]


async def run_load(
    base: str,
    clinic: Clinic,
    *,
    browsers: int,
    uploaders: int,
    seconds: float,
    pause: tuple[float, float] | None,
) -> tuple[Results, float]:
    """Sign everyone in, then run browsers and uploaders for *seconds*."""
    res = Results()
    users = clinic.practitioners or ["bench-pract-1"]
    clients = [await login(base, users[i % len(users)]) for i in range(browsers + uploaders)]
    await warm_up(clients[0], clinic)
    start = time.monotonic()
    until = start + seconds
    tasks = [browse(clients[i], clinic, res, until, pause, i) for i in range(browsers)]
    tasks += [upload(clients[browsers + i], clinic, res, until, 1000 + i) for i in range(uploaders)]
    await asyncio.gather(*tasks)
    took = time.monotonic() - start
    for c in clients:
        await c.aclose()
    return res, took


async def warm_up(http: httpx.AsyncClient, clinic: Clinic) -> None:
    """Open each page type once and upload one photo, untimed (first-use loading)."""
    for _label, path in pages(clinic, random.Random(1)):
        await http.get(path)
    token = (await http.get("/api/me")).json()["csrf_token"]
    await http.post(
        f"/api/clients/{clinic.clients[0]}/photos",
        headers={"X-CSRF-Token": token},
        files={"file": (PORTRAITS[0].name, PORTRAITS[0].read_bytes(), "image/jpeg")},
    )


def table(title: str, res: Results, took: float) -> str:
    """Markdown table of one run."""
    lines = [
        f"\n**{title}**\n",
        "| requests | errors | req/s | p50 (ms) | p95 (ms) | p99 (ms) |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for label in ("page", "upload"):
        t = res.times.get(label, [])
        if not t:
            continue
        lines.append(
            f"| {label}s: {len(t)} | {res.errors.get(label, 0)} | {len(t) / took:.1f} | "
            f"{pct(t, 0.5):.0f} | {pct(t, 0.95):.0f} | {pct(t, 0.99):.0f} |"
        )
    lines.append(
        f"\nAnswers by status: {dict(sorted(res.statuses.items()))} (-1: failed connection)"
    )
    return "\n".join(lines)


async def every_page(base: str, clinic: Clinic, samples: int) -> str:
    """Each page type *samples* times from one signed-in user: p50/p95 per page."""
    http = await login(base, clinic.practitioners[0])
    await warm_up(http, clinic)
    rng = random.Random(3)
    res = Results()
    for _ in range(samples):
        for label, path in pages(clinic, rng):
            await _timed(http.get(path), label, res)
    await http.aclose()
    lines = [
        "| page | n | errors | p50 (ms) | p95 (ms) | max (ms) |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for label, t in res.times.items():
        lines.append(
            f"| {label} | {len(t)} | {res.errors.get(label, 0)} | {pct(t, 0.5):.0f} "
            f"| {pct(t, 0.95):.0f} | {1000 * max(t):.0f} |"
        )
    return "\n".join(lines)


# --- set-up ----------------------------------------------------------------------


def build_small(data_dir: Path, database_url: str | None, clients: int) -> None:
    """Build the benchmark clinic (scripts/build_clinic.py): ten visits a client, one with 200."""
    cmd = [
        sys.executable,
        str(ROOT / "scripts" / "build_clinic.py"),
        "--data-dir",
        str(data_dir),
        "--clients",
        str(clients),
        "--sessions",
        str(clients * 10 + 200),
        "--heavy-clients",
        "1",
        "--busy-day-sessions",
        str(min(60, clients)),
    ]
    if database_url:
        cmd += ["--database-url", database_url]
    subprocess.run(cmd, check=True)


def main(argv: list[str] | None = None) -> int:  # noqa: D103 - see the module docstring
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument(
        "--scenario", choices=("paced", "fifty", "saturation", "bigclinic"), required=True
    )
    ap.add_argument("--databases", default="sqlite", help="comma-separated: sqlite, postgresql")
    ap.add_argument("--postgres-url", default=None, help="PostgreSQL database for a fresh schema")
    ap.add_argument("--data-dir", type=Path, default=None, help="bigclinic: the built clinic")
    ap.add_argument("--database-url", default=None, help="bigclinic on PostgreSQL: its URL")
    ap.add_argument("--clients", type=int, default=300, help="size of the clinic built first")
    ap.add_argument("--seconds", type=float, default=60.0)
    ap.add_argument("--browsers", type=int, default=20)
    ap.add_argument("--uploaders", type=int, default=2)
    ap.add_argument("--users", type=int, default=None)
    ap.add_argument("--samples", type=int, default=30)
    ap.add_argument("--workers", type=int, default=1, help="server processes (serve --workers)")
    args = ap.parse_args(argv)

    for database in args.databases.split(","):
        database = database.strip()
        tmp = Path(tempfile.mkdtemp(prefix="acuface-bench-"))
        url: str | None = None
        schema = None
        if args.scenario == "bigclinic":
            if not args.data_dir:
                raise SystemExit("bigclinic needs --data-dir (and --database-url for PostgreSQL)")
            data_dir = args.data_dir
            url = args.database_url if database == "postgresql" else None
        else:
            data_dir = tmp / "data"
            if database == "postgresql":
                if not args.postgres_url:
                    raise SystemExit("--postgres-url is needed for PostgreSQL")
                schema = f"bench_{uuid.uuid4().hex[:10]}"
                admin = sa.create_engine(args.postgres_url)
                with admin.begin() as conn:
                    conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
                admin.dispose()
                sep = "&" if "?" in args.postgres_url else "?"
                url = f"{args.postgres_url}{sep}options=-csearch_path%3D{schema}"
            build_small(data_dir, url, args.clients)
        db_url = url or f"sqlite:///{data_dir / 'acuface.sqlite3'}"
        clinic = read_clinic(db_url)
        server = Server(data_dir, database_url=url, workers=args.workers, analysis_workers=None)
        try:
            title = (
                f"{args.scenario} on {database} ({len(clinic.clients)} clients sampled, "
                f"{args.workers} server process(es))"
            )
            if args.scenario == "paced":
                res, took = asyncio.run(
                    run_load(
                        server.url,
                        clinic,
                        browsers=args.browsers,
                        uploaders=args.uploaders,
                        seconds=args.seconds,
                        pause=(0.5, 2.0),
                    )
                )
                print(
                    table(
                        f"{title}: {args.browsers} paced users browsing, "
                        f"{args.uploaders} uploading, {took:.0f} s",
                        res,
                        took,
                    )
                )
            elif args.scenario in ("fifty", "saturation"):
                users = args.users or 50
                pause = (0.5, 2.0) if args.scenario == "fifty" else None
                res, took = asyncio.run(
                    run_load(
                        server.url,
                        clinic,
                        browsers=users,
                        uploaders=0,
                        seconds=args.seconds,
                        pause=pause,
                    )
                )
                kind = "paced" if pause else "unpaced (saturation)"
                print(table(f"{title}: {users} {kind} users, {took:.0f} s", res, took))
            else:
                print(f"\n**{title}: every page, one user, {args.samples} samples each**\n")
                print(asyncio.run(every_page(server.url, clinic, args.samples)))
                users = args.users or 20
                res, took = asyncio.run(
                    run_load(
                        server.url,
                        clinic,
                        browsers=users,
                        uploaders=0,
                        seconds=args.seconds,
                        pause=(0.5, 2.0),
                    )
                )
                print(table(f"{title}: {users} concurrent paced users, {took:.0f} s", res, took))
        finally:
            server.stop()
            if schema and args.postgres_url:
                admin = sa.create_engine(args.postgres_url)
                with admin.begin() as conn:
                    conn.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
                admin.dispose()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
