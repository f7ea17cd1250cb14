"""CLI command ``acuface serve``: run the web app on an existing data directory."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    """Add ``serve`` to *app*."""

    @app.command()
    def serve(
        host: str = typer.Option(
            "127.0.0.1",
            help="Address to listen on (keep 127.0.0.1 unless a TLS proxy fronts the app).",
        ),
        port: int = typer.Option(8000, min=1, max=65535, help="TCP port."),
    ) -> None:
        """Start the web app (run `acuface db upgrade` first; refuses an old schema)."""
        import uvicorn
        from rich.console import Console

        from acuface.web.main import create_app
        from acuface.web.settings import WebSettings

        settings = WebSettings.from_env()  # raises ConfigError on an unsafe set-up
        app = create_app(settings)  # raises SchemaOutOfDate: `acuface db upgrade`
        console = Console(stderr=True)
        console.print(
            f"Acuface is running at [bold]http://{host}:{port}/[/]  "
            f"(data: {settings.core.data_dir}; Ctrl+C stops it)"
        )
        hint = _demo_hint(app) if settings.core.env == "dev" else None
        if hint:
            console.print(hint)
        if not settings.cookie_secure:
            console.print(
                "[yellow]Session cookies are sent without the Secure flag (development over "
                "plain http). Set ACUFACE_ENV=prod behind HTTPS for real use.[/]"
            )
        uvicorn.run(
            app, host=host, port=port, log_level="warning", proxy_headers=False, server_header=False
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
