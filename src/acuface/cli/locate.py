"""``acuface locate PHOTO... [--out DIR] [--json] [--points ..] [--workers N] [--symmetric]``.

Also ``--standard who2008|gbt12346`` (where standards place a point differently).

Contract (other tools call exactly this):

* ``--json`` prints one JSON document to stdout:
  ``{"results": [{"image", "faces": [{"pose", "mm_per_px", "points": [...]}], "error"}]}``;
  nothing else is ever written to stdout in that mode.
* ``--out DIR`` writes ``<stem>.png`` (overlay of the head region) and ``<stem>.json``
  per photo.
* Folders expand to the photos inside. Batches show a progress bar on stderr and
  run over ``--workers`` processes (default: all cores).
* Exit code 0 when every photo succeeded, 1 when any failed, 2 on usage errors
  (including an unknown code in ``--points``).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console


def _fmt_result(res: dict[str, Any]) -> str:
    if res["error"]:
        return f"[red]✗[/] {res['image']}: {res['error']['message']}"
    faces = res["faces"]
    face = faces[0]
    pose = face["pose"]
    shown = sum(p["visible"] for p in face["points"])
    extra = f" ({len(faces)} faces)" if len(faces) > 1 else ""
    text = (
        f"[green]✓[/] {res['image']}{extra}: {shown}/{len(face['points'])} points visible, "
        f"yaw {pose['yaw']:+.0f}° pitch {pose['pitch']:+.0f}° roll {pose['roll']:+.0f}°, "
        f"{face['mm_per_px']:.3f} mm/px"
    )
    for w in [*res["warnings"], *face["warnings"]]:
        text += f"\n  [yellow]![/] {w}"
    return text


def locate_command(
    photos: Annotated[
        list[Path],
        typer.Argument(help="Photos or folders of photos.", show_default=False, metavar="PHOTO"),
    ],
    out: Annotated[
        Path | None,
        typer.Option("--out", help="Write <stem>.png overlays and <stem>.json files here."),
    ] = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print one JSON document to stdout.")
    ] = False,
    points: Annotated[
        str | None,
        typer.Option("--points", help="Only these point codes, comma-separated (ST2,LI20)."),
    ] = None,
    workers: Annotated[
        int | None,
        typer.Option("--workers", min=1, help="Worker processes (default: all cores)."),
    ] = None,
    symmetric: Annotated[
        bool,
        typer.Option(
            "--symmetric",
            help="Also run the landmark model on the mirrored photo and average: "
            "flip-consistent points at twice the model time.",
        ),
    ] = False,
    standard: Annotated[
        str | None,
        typer.Option(
            "--standard",
            help="Where standards place a point differently (GV26): who2008 (default) or "
            "gbt12346 (Chinese national standard). Default: $ACUFACE_LOCATION_STANDARD.",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Find the face in each photo and place the facial acupoints on it."""
    from acuface.atlas.geometry import load_geometry
    from acuface.cli.batch import finish, photo_list, progress_bar
    from acuface.config import get_settings
    from acuface.errors import UnknownPointCode, UnknownStandard
    from acuface.locator.batch import run_batch_json
    from acuface.locator.facemap import resolve_codes
    from acuface.locator.geometry import compile_geometry
    from acuface.vocab import split_codes

    err = Console(stderr=True)
    standard = standard or get_settings().location_standard
    try:
        compile_geometry(load_geometry(), standard)
    except UnknownStandard as exc:
        err.print(f"[bold red]usage error:[/] --standard: {exc.message}")
        raise typer.Exit(2) from None
    codes: list[str] | None = None
    if points is not None:
        try:
            codes = resolve_codes(split_codes(points))
        except UnknownPointCode as exc:
            err.print(f"[bold red]usage error:[/] --points: {exc.message}")
            raise typer.Exit(2) from None
        if not codes:
            err.print("[bold red]usage error:[/] --points: no point codes given.")
            raise typer.Exit(2)
    files = photo_list(photos, err)
    with progress_bar(err, len(files), "Locating points") as advance:
        items = run_batch_json(
            files,
            codes=codes,
            out_dir=out,
            workers=workers if len(files) > 1 else 1,
            on_result=advance,
            symmetric=symmetric,
            standard=standard,
        )

    if as_json:
        # Each worker already serialised its result; the document is their join.
        doc = '{"results":[' + ",".join(item.json_text for item in items) + "]}"
        if sys.stdout.isatty():
            doc = json.dumps(json.loads(doc), indent=2)
        sys.stdout.write(doc + "\n")
        sys.stdout.flush()
    else:
        console = Console()
        for item in items:
            console.print(_fmt_result(json.loads(item.json_text)), highlight=False, soft_wrap=True)
        if out is not None:
            console.print(f"Overlays and JSON written to [bold]{out}[/]", highlight=False)
    finish(err, sum(item.failed for item in items), len(items))


def register(app: typer.Typer) -> None:
    """Add ``acuface locate`` to *app*."""
    app.command(
        "locate",
        help=(
            "Place facial acupoints on photos. Sides are the client's own left/right. "
            "Exit code 0 all ok, 1 any photo failed, 2 usage error."
        ),
    )(locate_command)
