"""``acuface report --client ID [--out FILE.pdf|FILE.html]``: a client's progress report.

Runs as the local operator (``Actor.system()``, source ``cli``) like the other
clinic commands; the reads are audited through the clinic services.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer


def register(app: typer.Typer) -> None:
    """Add the ``report`` command to *app*."""

    @app.command("report")
    def report(
        client: Annotated[int, typer.Option("--client", help="Client id (see `acuface clients`).")],
        out: Annotated[
            Path | None,
            typer.Option("--out", help="Output .pdf or .html (default: progress-<id>.pdf here)."),
        ] = None,
    ) -> None:
        """Write a client's progress report (sessions, adverse events, ratings, skin, photos)."""
        from acuface.clinic import db
        from acuface.clinic.schemas import Actor
        from acuface.errors import NotFound
        from acuface.reports.progress import (
            build_progress_report,
            render_progress_html,
            render_progress_pdf,
        )

        target = out if out is not None else Path(f"progress-{client}.pdf")
        suffix = target.suffix.lower()
        if suffix not in (".pdf", ".html", ".htm"):
            typer.echo("error: --out must end in .pdf or .html", err=True)
            raise typer.Exit(code=2)
        engine = db.get_engine()
        db.check_schema_current(engine)
        try:
            with db.session_scope(engine) as session:
                data = build_progress_report(
                    session=session, actor=Actor.system(), client_id=client
                )
        except NotFound:
            typer.echo(f"error: no client with id {client} (see `acuface clients`)", err=True)
            raise typer.Exit(code=2) from None
        if suffix == ".pdf":
            target.write_bytes(render_progress_pdf(data))
        else:
            target.write_text(render_progress_html(data), encoding="utf-8")
        typer.echo(str(target))
