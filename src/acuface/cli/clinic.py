"""CLI commands of the clinic records.

``acuface db upgrade|current``, ``acuface users create|list``, ``acuface clients``,
``acuface export``, ``acuface backup``, ``acuface restore``, ``acuface demo-data``
and ``acuface purge``. Commands run as the local operator (``Actor.system()``,
source ``cli``): whoever can run them can read the data folder anyway. Every
rule lives in :mod:`acuface.clinic`; heavy imports happen inside the commands.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:
    from rich.console import Console
    from sqlalchemy import Engine
    from sqlalchemy.orm import Session

    from acuface.clinic.schemas import Actor, UserDTO

db_app = typer.Typer(help="Database schema: create or upgrade it, show its version.")
users_app = typer.Typer(help="User accounts (admin, practitioner, reception).")


def _stderr() -> Console:
    from rich.console import Console

    return Console(stderr=True)


def _err(message: str) -> None:
    _stderr().print(message, highlight=False)


def _engine(check: bool = True) -> Engine:
    from acuface.clinic import db

    engine = db.get_engine()
    if check:
        db.check_schema_current(engine)
    return engine


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Create the database or bring its schema up to date (back up first)."""
    from acuface.clinic import db

    engine = _engine(check=False)
    before = db.current_revision(engine)
    db.upgrade(engine)
    after = db.current_revision(engine)
    where = engine.url.render_as_string(hide_password=True)
    if before == after:
        typer.echo(f"{where}: schema already at {after}")
    else:
        typer.echo(f"{where}: schema {before or '(empty)'} -> {after}")


@db_app.command("current")
def db_current() -> None:
    """Print the database's schema revision and the one this code needs."""
    from acuface.clinic import db

    engine = _engine(check=False)
    current = db.current_revision(engine)
    head = db.head_revision()
    state = "up to date" if current == head else "OUT OF DATE: run `acuface db upgrade`"
    typer.echo(f"database: {current or '(empty)'}  code: {head}  ({state})")
    if current != head:
        raise typer.Exit(code=1)


def _read_password() -> str:
    if sys.stdin.isatty():
        return str(typer.prompt("Password", hide_input=True, confirmation_prompt=True))
    line = sys.stdin.readline()
    return line.rstrip("\r\n")


@users_app.command("create")
def users_create(
    name: Annotated[str, typer.Argument(help="Login name (3-50 of a-z 0-9 . _ -).")],
    role: Annotated[str, typer.Option("--role", help="admin, practitioner or reception.")],
    display_name: Annotated[
        str | None, typer.Option("--display-name", help="Name shown in the app.")
    ] = None,
) -> None:
    """Create a user. The password is read from a hidden prompt, or one line of stdin."""
    from acuface.clinic import db
    from acuface.clinic import services as svc
    from acuface.clinic.schemas import ROLES, Actor

    if role not in ROLES:
        _err(f"[bold red]error:[/] --role must be one of {', '.join(ROLES)}")
        raise typer.Exit(code=2)
    password = _read_password()
    with db.session_scope(_engine()) as session:
        user = svc.create_user(
            session=session,
            actor=Actor.system(),
            username=name,
            password=password,
            role=role,
            display_name=display_name,
        )
    typer.echo(f"created user {user.username} (id {user.id}, {user.role})")


@users_app.command("list")
def users_list(
    as_json: Annotated[bool, typer.Option("--json", help="JSON on stdout.")] = False,
) -> None:
    """List users."""
    from acuface.clinic import db
    from acuface.clinic import services as svc
    from acuface.clinic.schemas import Actor

    with db.session_scope(_engine()) as session:
        users = svc.list_users(session=session, actor=Actor.system())
    if as_json:
        typer.echo(json.dumps([u.model_dump(mode="json") for u in users], indent=2))
        return
    for u in users:
        state = "" if u.is_active else "  (inactive)"
        typer.echo(f"{u.id:>4}  {u.username:<20} {u.role:<13} {u.display_name}{state}")


def _named_user(session: Session, system: Actor, name: str) -> UserDTO:
    """Return the user with login *name*; ``NotFound`` says there is none."""
    from acuface.clinic import services as svc
    from acuface.errors import NotFound

    user = svc.get_user_by_username(session=session, actor=system, username=name)
    if user is None:
        raise NotFound(f"No user named {name!r}.")
    return user


@users_app.command("set-password")
def users_set_password(
    name: Annotated[str, typer.Argument(help="Login name.")],
) -> None:
    """Set a user's password (hidden prompt, or one line of stdin); ends their sessions."""
    from acuface.clinic import db
    from acuface.clinic import services as svc
    from acuface.clinic.schemas import Actor

    password = _read_password()
    system = Actor.system()
    with db.session_scope(_engine()) as session:
        user = _named_user(session, system, name)
        svc.set_password(session=session, actor=system, user_id=user.id, new_password=password)
    typer.echo(f"password of {user.username} changed")


@users_app.command("deactivate")
def users_deactivate(
    name: Annotated[str, typer.Argument(help="Login name.")],
) -> None:
    """Deactivate a user (they cannot sign in; their sessions end)."""
    from acuface.clinic import db
    from acuface.clinic import services as svc
    from acuface.clinic.schemas import Actor

    system = Actor.system()
    with db.session_scope(_engine()) as session:
        user = _named_user(session, system, name)
        svc.set_user_active(session=session, actor=system, user_id=user.id, active=False)
    typer.echo(f"{user.username} deactivated")


def clients_cmd(
    as_json: Annotated[bool, typer.Option("--json", help="JSON on stdout.")] = False,
    search: Annotated[
        str | None, typer.Option("--search", help="Match name, e-mail or phone.")
    ] = None,
    include_deleted: Annotated[
        bool, typer.Option("--all", help="Include soft-deleted clients.")
    ] = False,
) -> None:
    """List clients (with --json: [{"id": ..., "name": ...}, ...])."""
    from acuface.clinic import db
    from acuface.clinic import services as svc
    from acuface.clinic.schemas import Actor

    with db.session_scope(_engine()) as session:
        rows = svc.list_clients(
            session=session, actor=Actor.system(), search=search, include_deleted=include_deleted
        )
    if as_json:
        typer.echo(
            json.dumps(
                [
                    {
                        "id": r.id,
                        "name": r.name,
                        "birth_date": r.birth_date.isoformat() if r.birth_date else None,
                        "deleted": r.deleted,
                    }
                    for r in rows
                ],
                indent=2,
                ensure_ascii=False,
            )
        )
        return
    for r in rows:
        born = r.birth_date.isoformat() if r.birth_date else "-"
        typer.echo(f"{r.id:>5}  {r.name:<35} {born}{'  (deleted)' if r.deleted else ''}")


def export_cmd(
    client: Annotated[int, typer.Option("--client", help="Client id.")],
    fmt: Annotated[str, typer.Option("--format", help="fhir (R4B Bundle JSON) or csv.")] = "fhir",
    out: Annotated[Path | None, typer.Option("--out", help="Write here instead of stdout.")] = None,
    photos: Annotated[
        bool, typer.Option("--photos", help="FHIR: embed photo bytes in Media resources.")
    ] = False,
) -> None:
    """Export one client's record as a FHIR R4B Bundle or as CSV."""
    from acuface.clinic import db
    from acuface.clinic.export import export_csv, export_fhir
    from acuface.clinic.schemas import Actor

    if fmt not in ("fhir", "csv"):
        _err("[bold red]error:[/] --format must be fhir or csv")
        raise typer.Exit(code=2)
    with db.session_scope(_engine()) as session:
        if fmt == "fhir":
            bundle = export_fhir(
                session=session, actor=Actor.system(), client_id=client, include_photo_data=photos
            )
            text = json.dumps(bundle, indent=2, ensure_ascii=False) + "\n"
        else:
            text = export_csv(session=session, actor=Actor.system(), client_id=client)
    if out is None:
        sys.stdout.write(text)
    else:
        out.write_text(text, encoding="utf-8")
        _err(f"wrote {out}")


def backup_cmd(
    file: Annotated[Path, typer.Argument(help="Archive to write (.tar).")],
) -> None:
    """Back up database and photos into one archive (safe while the app runs)."""
    from acuface.clinic.backup import backup

    report = backup(file)
    typer.echo(
        f"backup {file}: {report.rows} rows in {report.tables} tables, {report.photos} photos, "
        f"{report.bytes / 1e6:.1f} MB"
    )


def restore_cmd(
    file: Annotated[Path, typer.Argument(help="Archive written by `acuface backup`.")],
    force: Annotated[
        bool, typer.Option("--force", help="Overwrite an existing, non-empty data directory.")
    ] = False,
) -> None:
    """Restore a backup into an empty data directory (or over one with --force)."""
    from acuface.clinic.backup import restore

    report = restore(file, force=force)
    typer.echo(f"restored {report.rows} rows and {report.photos} photos from {file}")


def demo_cmd(
    no_analyse: Annotated[
        bool, typer.Option("--no-analyse", help="Skip face/skin analysis of the photos (faster).")
    ] = False,
) -> None:
    """Load the demo clinic (development only; does nothing if clients exist)."""
    from acuface.clinic import db
    from acuface.clinic.demo import DEMO_PASSWORD, load_demo

    engine = _engine(check=False)
    if db.current_revision(engine) is None:
        db.upgrade(engine)
    db.check_schema_current(engine)
    from rich.progress import Progress

    with Progress(console=_stderr(), transient=True) as bar:
        task = bar.add_task("demo clinic", total=None)
        report = load_demo(
            engine,
            analyse=not no_analyse,
            progress=lambda done, total: bar.update(task, completed=done, total=total),
        )
    if report.skipped:
        typer.echo(f"demo data not loaded: {report.reason}")
        return
    typer.echo(
        f"demo clinic loaded: {report.users} users, {report.clients} clients, "
        f"{report.sessions} sessions, {report.photos} photos"
    )
    typer.echo(
        f"log in as admin / practitioner 'hana' / reception 'rosa' with the demo password: "
        f"{DEMO_PASSWORD}   (development only: change or deactivate these accounts)"
    )


def purge_cmd(
    client: Annotated[int, typer.Option("--client", help="Client id.")],
    yes: Annotated[bool, typer.Option("--yes", help="Do not ask for confirmation.")] = False,
) -> None:
    """Delete a client and all their records and photos for good (admin)."""
    from acuface.clinic import db
    from acuface.clinic import services as svc
    from acuface.clinic.schemas import Actor

    engine = _engine()
    actor = Actor.system()
    with db.session_scope(engine) as session:
        c = svc.get_client(session=session, actor=actor, client_id=client, include_deleted=True)
    if not yes:
        typer.confirm(
            f"Permanently delete client {c.id} ({c.name}) with every record and photo?",
            abort=True,
        )
    with db.session_scope(engine) as session:
        report = svc.purge_client(session=session, actor=actor, client_id=client)
    rows = sum(report.rows_deleted.values())
    typer.echo(f"purged client {client}: {rows} rows, {report.photo_files_deleted} photo files")


def check_photos_cmd(
    clean: Annotated[
        bool,
        typer.Option("--clean", help="Remove orphan and temp files older than an hour."),
    ] = False,
) -> None:
    """Compare photo rows with photo files (missing, corrupt, orphan, temp files)."""
    from acuface.clinic import db
    from acuface.clinic import services as svc
    from acuface.clinic.schemas import Actor

    with db.session_scope(_engine()) as session:
        report = svc.check_photo_store(session=session, actor=Actor.system(), clean=clean)
    typer.echo(
        f"{report.photo_rows} photo rows, {report.files} files: {len(report.missing)} missing, "
        f"{len(report.corrupt)} corrupt, {len(report.orphans)} orphan files, "
        f"{report.temp_files} temp files; removed {report.removed}"
    )
    for digest in report.missing + report.corrupt:
        _err(f"[bold red]damaged:[/] {digest} (restore it from a backup)")
    if report.missing or report.corrupt:
        raise typer.Exit(code=1)


def register(app: typer.Typer) -> None:
    """Add this module's commands to *app*."""
    app.add_typer(db_app, name="db")
    app.add_typer(users_app, name="users")
    app.command("clients")(clients_cmd)
    app.command("export")(export_cmd)
    app.command("backup")(backup_cmd)
    app.command("restore")(restore_cmd)
    app.command("demo-data")(demo_cmd)
    app.command("purge")(purge_cmd)
    app.command("check-photos")(check_photos_cmd)
