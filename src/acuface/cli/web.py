"""CLI command ``acuface serve``: run the web app on an existing data directory."""

from __future__ import annotations

import ipaddress

import typer

from acuface.config import Settings
from acuface.errors import ConfigError


def check_bind_address(core: Settings, host: str) -> None:
    """Refuse to listen beyond this machine unless the allowed host names are set.

    Parameters
    ----------
    core : Settings
        Settings (``allowed_hosts``).
    host : str
        Address to listen on.

    Raises
    ------
    ConfigError
        When *host* is not a loopback address and ``ACUFACE_ALLOWED_HOSTS`` is unset:
        the app would then answer only to ``localhost`` anyway, and setting the names
        is the moment to decide who reaches it.
    """
    if host == "localhost":
        return
    try:
        loopback = ipaddress.ip_address(host).is_loopback
    except ValueError:
        loopback = False
    if not loopback and not core.allowed_hosts_set:
        raise ConfigError(
            f"Listening on {host} makes the app reachable from other machines; set "
            "ACUFACE_ALLOWED_HOSTS to the host names clients use (e.g. "
            "ACUFACE_ALLOWED_HOSTS=clinic.example.org) and put an HTTPS proxy in front, "
            "or keep --host 127.0.0.1."
        )


def register(app: typer.Typer) -> None:
    """Add ``serve`` to *app*."""

    @app.command()
    def serve(
        host: str = typer.Option(
            "127.0.0.1",
            help="Address to listen on (keep 127.0.0.1 unless a TLS proxy fronts the app).",
        ),
        port: int = typer.Option(8000, min=1, max=65535, help="TCP port."),
        workers: int = typer.Option(
            1,
            min=1,
            max=64,
            help="Server processes; they share sessions and sign-in throttling through the "
            "database (or Redis with ACUFACE_REDIS_URL).",
        ),
    ) -> None:
        """Start the web app (run `acuface db upgrade` first; refuses an old schema)."""
        import uvicorn
        from rich.console import Console

        from acuface.clinic.signins import check_redis
        from acuface.web.main import create_app
        from acuface.web.settings import WebSettings

        settings = WebSettings.from_env()  # raises ConfigError on an unsafe set-up
        check_bind_address(settings.core, host)
        if settings.core.redis_url:
            check_redis(settings.core.redis_url)
        # Generate the development key now, before several workers race to do it.
        settings.core.signing_key()
        app = create_app(settings)  # raises SchemaOutOfDate: `acuface db upgrade`
        if settings.core.env == "prod":
            refuse_published_passwords(app)
        console = Console(stderr=True)
        console.print(
            f"Acuface is running at [bold]http://{host}:{port}/[/]  "
            f"({workers} process{'es' if workers > 1 else ''}; data: {settings.core.data_dir}; "
            "Ctrl+C stops it)"
        )
        hint = _demo_hint(app) if settings.core.env == "dev" else None
        if hint:
            console.print(hint)
        if not settings.cookie_secure:
            console.print(
                "[yellow]Session cookies are sent without the Secure flag (development over "
                "plain http). Set ACUFACE_ENV=prod behind HTTPS for real use.[/]"
            )
        common = {
            "host": host,
            "port": port,
            "log_level": "warning",
            # The app itself reads X-Forwarded-For, and only from ACUFACE_TRUSTED_PROXIES.
            "proxy_headers": False,
            "server_header": False,
            # Live camera frames are at most 2 MB (acuface.locator.live); refuse
            # larger WebSocket messages before buffering them (uvicorn's default: 16 MB).
            "ws_max_size": 4 * 1024 * 1024,
        }
        if workers == 1:
            uvicorn.run(app, **common)  # type: ignore[arg-type]
            return
        app.state.engine.dispose()
        # Each worker process builds its own app from the same environment.
        uvicorn.run(
            "acuface.web.main:create_app",
            factory=True,
            workers=workers,
            **common,  # type: ignore[arg-type]
        )


def refuse_published_passwords(app: object) -> None:
    """Refuse to serve production while an active account has the published demo password.

    Raises
    ------
    ConfigError
        Naming the accounts and how to fix them.
    """
    from acuface.clinic import db
    from acuface.clinic import services as svc

    with db.session_scope(app.state.engine) as session:  # type: ignore[attr-defined]
        names = svc.accounts_with_published_password(session=session)
    if names:
        raise ConfigError(
            f"The account(s) {', '.join(names)} still have the published demo password; "
            "production (ACUFACE_ENV=prod) refuses to start. Set new passwords "
            "(`acuface users set-password NAME`) or deactivate them "
            "(`acuface users deactivate NAME`) first."
        )


def _demo_hint(app: object) -> str | None:
    """Say how to sign in to the demo clinic, when its accounts exist (development only)."""
    try:
        from acuface.clinic import db
        from acuface.clinic import services as svc
        from acuface.clinic.demo import DEMO_PASSWORD, DEMO_USERS
        from acuface.clinic.schemas import Actor

        with db.session_scope(app.state.engine) as session:  # type: ignore[attr-defined]
            names = [
                f"{u} ({role})"
                for u, role, _ in DEMO_USERS
                if (
                    user := svc.get_user_by_username(
                        session=session, actor=Actor.system(), username=u
                    )
                )
                is not None
                and user.is_active
            ]
    except Exception:  # noqa: BLE001 - a hint only; never stop the server for it
        return None
    if not names:
        return None
    return (
        f"Demo clinic: sign in as {', '.join(names)} with the demo password "
        f"[bold]{DEMO_PASSWORD}[/] (unless it was changed)."
    )
