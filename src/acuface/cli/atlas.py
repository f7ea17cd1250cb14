"""CLI commands over the acupoint atlas: ``points``, ``point`` and ``atlas schema|check``.

Thin wrappers: all rules live in :mod:`acuface.atlas`. The atlas is imported
inside each command so that ``acuface --help`` stays fast.
"""

from __future__ import annotations

import json
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

if TYPE_CHECKING:
    from acuface.atlas import Point
    from acuface.atlas.datafiles import DataFile

#: Where the atlas's own committed schemas live (other parts keep theirs in their package).
DEFAULT_SCHEMA_DIR = Path(__file__).resolve().parent.parent / "atlas" / "schema"


class RegionChoice(StrEnum):
    """Values of ``acuface points --region``."""

    face = "face"
    head = "head"
    neck = "neck"
    body = "body"
    facial = "facial"  # face + head + neck: every point the locator places


atlas_app = typer.Typer(
    name="atlas",
    help="Maintain the atlas data: export JSON Schemas, validate YAML files.",
    no_args_is_help=True,
)


#: Table columns of ``acuface points``: header, whether it may wrap.
_COLUMNS: tuple[tuple[str, bool], ...] = (
    ("Code", False),
    ("Name", True),
    ("English", True),
    ("Region", True),
    ("Side", False),
    ("Depth cun", False),
    ("Angle", False),
    ("Tags", True),
)


_ANGLE_SHORT = {
    "perpendicular": "perp.",
    "oblique": "obl.",
    "transverse": "transv.",
    "intradermal": "intraderm.",
}


def _point_row(point: Point) -> list[str]:
    low, high = point.standard.depth_cun
    return [
        point.code,
        f"{point.pinyin} {point.hanzi}",
        point.english,
        f"{point.region}: {', '.join(point.zones)}",
        "L+R" if point.bilateral else "mid",
        f"{low:g}-{high:g}",
        _ANGLE_SHORT[point.standard.angle],
        ", ".join(point.tags),
    ]


def _error(message: str) -> typer.Exit:
    """Print *message* in red on stderr and return the exit to raise (code 2)."""
    from rich.console import Console

    Console(stderr=True).print(f"[bold red]error:[/] {message}", highlight=False)
    return typer.Exit(code=2)


def points_command(
    region: Annotated[
        RegionChoice | None,
        typer.Option(
            "--region",
            case_sensitive=False,
            help="Only points of this region ('facial' = face, head and neck).",
        ),
    ] = None,
    zone: Annotated[
        str | None, typer.Option("--zone", help="Only points serving this zone, e.g. periorbital.")
    ] = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print a JSON list of full records instead.")
    ] = False,
) -> None:
    """List the atlas's acupoints (a table, or full records with --json)."""
    from rich.console import Console
    from rich.table import Table

    from acuface.atlas import FACIAL_REGIONS, load_atlas
    from acuface.errors import AtlasError

    atlas = load_atlas()
    try:
        points = atlas.by_zone(zone) if zone else list(atlas)
    except AtlasError as exc:
        raise _error(exc.message) from exc
    if region is RegionChoice.facial:
        points = [p for p in points if p.region in FACIAL_REGIONS]
    elif region is not None:
        points = [p for p in points if p.region == region.value]

    if as_json:
        typer.echo(
            json.dumps([p.model_dump(mode="json") for p in points], ensure_ascii=False, indent=2)
        )
        return

    table = Table(
        title=f"Acuface atlas: {len(points)} points",
        caption="Decision support for licensed practitioners; `acuface point CODE` for details.",
    )
    for header, wraps in _COLUMNS:
        table.add_column(header, no_wrap=not wraps, overflow="fold")
    for point in points:
        table.add_row(*_point_row(point))
    Console().print(table)


def point_command(
    code: Annotated[str, typer.Argument(help="Point code, alias or pinyin: ST2, GV29, Yintang.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print the record as JSON.")] = False,
) -> None:
    """Show one acupoint record in full."""
    from rich.console import Console
    from rich.markup import escape
    from rich.panel import Panel
    from rich.table import Table

    from acuface.atlas import load_atlas
    from acuface.errors import UnknownPointCode

    atlas = load_atlas()
    try:
        point = atlas.lookup(code)
    except UnknownPointCode as exc:
        raise _error(exc.message) from exc

    if as_json:
        typer.echo(json.dumps(point.model_dump(mode="json"), ensure_ascii=False, indent=2))
        return

    needle_text = "\n".join(
        f"{technique.use}: {technique.describe()}"
        + (f"\n  {technique.note}" if technique.note else "")
        for technique in point.techniques
    )
    sources = "\n".join(
        escape(f"[{sid}] {atlas.sources[sid].citation}")
        for sid in point.source
        if sid in atlas.sources
    )

    grid = Table.grid(padding=(0, 2))
    grid.add_column(style="bold cyan", no_wrap=True)
    grid.add_column(overflow="fold")
    rows: list[tuple[str, str]] = [
        ("Name", f"{point.pinyin} {point.hanzi} ({point.english})"),
        ("Aliases", ", ".join(point.aliases) or "-"),
        ("Channel", point.channel),
        ("Region", f"{point.region}; zones: {', '.join(point.zones)}"),
        ("Side", "bilateral (left and right)" if point.bilateral else "midline (single)"),
        ("Location", point.location),
        ("Reference", point.location_reference),
        ("Technique", needle_text),
        ("Cautions", "\n".join(f"- {c}" for c in point.cautions) or "-"),
        ("Tags", ", ".join(point.tags) or "-"),
        ("Sources", sources),
    ]
    for label, value in rows:
        grid.add_row(label, value if label == "Sources" else escape(value))
    Console().print(Panel(grid, title=f"[bold]{point.code}[/]", expand=False), highlight=False)


def _registered_files() -> list[DataFile[Any]]:
    """Every data file: the atlas's own and those other parts register (skin, clinic)."""
    import acuface.clinic.consent_texts  # noqa: F401 - registers the consent texts
    import acuface.skin  # noqa: F401 - registers the skin data files
    from acuface.atlas import datafiles

    return datafiles.registered()


@atlas_app.command("schema")
def schema_command(
    out: Annotated[
        Path | None,
        typer.Option(
            "--out",
            file_okay=False,
            help="Folder to write every schema into (default: each package's schema/ folder).",
        ),
    ] = None,
    check: Annotated[
        bool,
        typer.Option("--check", help="Only compare with the files in the folder; exit 1 if stale."),
    ] = False,
) -> None:
    """Write the JSON Schemas of every data file (points, knowledge, geometry, skin)."""
    stale: list[str] = []
    for datafile in _registered_files():
        path = (out / datafile.schema_name) if out is not None else datafile.schema_path
        text = datafile.schema_text()
        if check:
            current = path.read_text(encoding="utf-8") if path.exists() else None
            if current != text:
                stale.append(str(path))
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        typer.echo(f"wrote {path}")
    if check:
        if stale:
            typer.echo(f"out of date: {', '.join(stale)}; run `acuface atlas schema`", err=True)
            raise typer.Exit(code=1)
        typer.echo("schemas are up to date")


@atlas_app.command("check")
def check_command(
    points: Annotated[
        Path | None,
        typer.Option("--points", help="points.yaml or a folder of point files to validate."),
    ] = None,
    sources: Annotated[
        Path | None, typer.Option("--sources", help="sources.yaml to validate against.")
    ] = None,
) -> None:
    """Validate the atlas YAML files (default: the packaged ones) and every data file."""
    from acuface.atlas.knowledge import load_knowledge
    from acuface.atlas.loader import POINTS_PATH, SOURCES_PATH, load_atlas_from
    from acuface.errors import AtlasError

    try:
        atlas = load_atlas_from(points or POINTS_PATH, sources or SOURCES_PATH)
        lines = []
        if points is None and sources is None:
            for datafile in _registered_files():
                loaded = datafile.loaded()
                state = "absent (optional)" if loaded is None else "ok"
                lines.append(f"  {datafile.filename:18s} {state}: {datafile.description}")
            load_knowledge()  # cross-file references (point codes, patterns, signs)
    except AtlasError as exc:
        raise _error(exc.message) from exc
    typer.echo(
        f"ok: {len(atlas)} points ({len(atlas.facial_points())} facial/head, "
        f"{len(atlas.body_points())} body), {len(atlas.sources)} sources"
    )
    for line in lines:
        typer.echo(line)


def register(app: typer.Typer) -> None:
    """Add ``points``, ``point`` and the ``atlas`` group to *app*."""
    app.command("points")(points_command)
    app.command("point")(point_command)
    app.add_typer(atlas_app, name="atlas")
