"""CLI: ``acuface skin PHOTO...`` and ``acuface skin compare BEFORE AFTER``.

Both forms live in one command: when the first argument is the word
``compare`` the next two are the before and after photos (to analyse a file
that is literally called ``compare``, write ``./compare``).  Options are shared.
Heavy modules are imported inside the command so ``acuface --help`` stays fast.

Exit codes: 0 success, 1 a photo could not be analysed, 2 usage errors.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

if TYPE_CHECKING:
    from acuface.skin.report import SkinReport

HELP = """Measure skin (capture quality, wrinkles, dark circles, redness, spots, texture,
sagging geometry) per face region.

\b
  acuface skin PHOTO|FOLDER... [--json] [--out DIR] [--workers N]
  acuface skin compare BEFORE AFTER [--json] [--out DIR]

Raw scores for practitioners' follow-up, not a diagnosis. See docs/skin.md.
"""


def _write_png(path: Path, rgb: Any) -> None:
    from PIL import Image

    Image.fromarray(rgb).save(path)


def _summary_lines(image: str, report: SkinReport) -> list[str]:
    q = report.quality
    lines = [
        f"{image}: quality {'OK' if q.ok else 'NOT OK'} "
        f"(yaw {q.yaw:+.0f}°, pitch {q.pitch:+.0f}°, roll {q.roll:+.0f}°, "
        f"sharpness {q.sharpness:.1f}, skin L* {q.exposure:.0f})"
    ]
    lines += [f"  - {issue}" for issue in q.issues]
    shown = (
        ("wrinkle_index", "wrinkle {:.3f}"),
        ("line_density_mm_per_cm2", "lines {:.1f} mm/cm²"),
        ("redness_a", "a* {:.1f}"),
        ("L_mean", "L* {:.1f}"),
        ("texture_roughness", "texture {:.2f}"),
    )
    for name, scores in report.regions.items():
        parts = [fmt.format(scores[key]) for key, fmt in shown if key in scores]
        lines.append(f"  {name:18s} " + "  ".join(parts))
    dc = report.dark_circles
    fmt = lambda v: "n/a" if v is None else f"{v:.1f}"  # noqa: E731
    lines.append(
        f"  dark circles ΔL*: left {fmt(dc['left_delta_L'])}, right {fmt(dc['right_delta_L'])}"
    )
    lines.append(f"  dark spots: {report.spots.count} ({report.spots.area_mm2:.1f} mm²)")
    return lines


def _analyse_one(task: tuple[str, str | None, str, bool]) -> tuple[dict[str, Any], list[str]]:
    """Analyse one photo (in a worker process); never raises.

    Returns the photo's JSON entry and, when asked, its human-readable summary.
    """
    from acuface.errors import AcufaceError
    from acuface.locator.image import load_image
    from acuface.locator.landmarks import detect_one
    from acuface.skin.analysis import analyse_full
    from acuface.skin.render import render_metrics, render_regions

    photo, out, stem, want_lines = task
    try:
        rgb = load_image(photo, name=photo)
        analysis = analyse_full(rgb, detect_one(rgb, label=photo), label=photo)
        entry = analysis.report.to_json(photo)
        if out is not None:
            folder = Path(out)
            _write_png(folder / f"{stem}.skin-regions.png", render_regions(rgb, analysis.landmarks))
            _write_png(folder / f"{stem}.skin-metrics.png", render_metrics(analysis))
        lines = _summary_lines(photo, analysis.report) if want_lines else []
        return entry, lines
    except AcufaceError as exc:
        return {"image": photo, "error": exc.to_dict()}, []
    except Exception as exc:  # noqa: BLE001 - one bad photo must never end the batch
        message = f"{photo}: analysis failed unexpectedly ({type(exc).__name__}: {exc})."
        return {"image": photo, "error": {"type": "AnalysisFailed", "message": message}}, []


def _analyse_many(photos: list[Path], as_json: bool, out: Path | None, workers: int | None) -> None:
    from rich.console import Console

    from acuface.cli.batch import finish, photo_list, progress_bar
    from acuface.locator.batch import init_detector, map_in_workers, output_stems

    err = Console(stderr=True)
    files = photo_list(photos, err)
    tasks = [
        (str(p), None if out is None else str(out), stem, not as_json)
        for p, stem in zip(files, output_stems(files), strict=True)
    ]

    def lost(i: int, exc: Exception) -> tuple[dict[str, Any], list[str]]:
        message = f"{tasks[i][0]}: the worker failed ({type(exc).__name__})."
        return {"image": tasks[i][0], "error": {"type": "WorkerFailed", "message": message}}, []

    with progress_bar(err, len(tasks), "Analysing skin") as advance:
        # Each worker builds its own Face Mesh once and keeps it.
        done = map_in_workers(
            _analyse_one,
            tasks,
            workers=workers,
            initializer=init_detector,
            on_result=advance,
            on_lost=lost,
        )
    results = [entry for entry, _ in done]
    failed = sum(1 for r in results if r.get("error"))
    if as_json:
        sys.stdout.write(json.dumps({"results": results}, ensure_ascii=False, indent=2) + "\n")
    else:
        for entry, lines in done:
            for line in lines:
                typer.echo(line)
            if entry.get("error"):
                err.print(f"[red]✗[/] {entry['error']['message']}", highlight=False)
    finish(err, failed, len(results))


def _compare(before: Path, after: Path, as_json: bool, out: Path | None) -> int:
    from rich.console import Console

    from acuface.errors import AcufaceError
    from acuface.locator.image import load_image
    from acuface.locator.landmarks import detect_one
    from acuface.skin.compare import compare_full
    from acuface.skin.render import comparison_views, render_metrics, render_regions

    err = Console(stderr=True)
    try:
        b_rgb = load_image(before, name=str(before))
        a_rgb = load_image(after, name=str(after))
        result = compare_full(
            b_rgb,
            a_rgb,
            before_landmarks=detect_one(b_rgb, label="before photo"),
            after_landmarks=detect_one(a_rgb, label="after photo"),
        )
    except AcufaceError as exc:
        if as_json:
            payload_err = {"before": str(before), "after": str(after), "error": exc.to_dict()}
            sys.stdout.write(json.dumps(payload_err, ensure_ascii=False, indent=2) + "\n")
        else:
            err.print(f"[bold red]error:[/] {exc.message}", highlight=False)
        return 1
    comp = result.comparison
    if out is not None:
        side, blend = comparison_views(b_rgb, a_rgb, result.matrix, result.before.landmarks)
        _write_png(out / "compare-side-by-side.png", side)
        _write_png(out / "compare-blend.png", blend)
        _write_png(out / "before.skin-regions.png", render_regions(b_rgb, result.before.landmarks))
        _write_png(out / "after.skin-regions.png", render_regions(a_rgb, result.after.landmarks))
        _write_png(out / "before.skin-metrics.png", render_metrics(result.before))
        _write_png(out / "after.skin-metrics.png", render_metrics(result.after))
    if as_json:
        payload: dict[str, Any] = comp.to_json(str(before), str(after))
        payload["error"] = None
        sys.stdout.write(json.dumps(payload, ensure_ascii=False, indent=2) + "\n")
        return 0
    typer.echo(f"{before} -> {after}: {'comparable' if comp.comparable else 'NOT comparable'}")
    for issue in comp.issues:
        typer.echo(f"  - {issue}")
    typer.echo("  changes beyond measured repeatability (after - before):")
    shown = 0
    for group, metrics in comp.deltas.items():
        for metric, d in metrics.items():
            if d.exceeds_repeatability:
                shown += 1
                typer.echo(
                    f"    {group}.{metric}: {d.before:.3f} -> {d.after:.3f} "
                    f"(Δ {d.delta:+.3f}, noise limit ±{d.repeatability_coefficient:.3f})"
                )
    if not shown:
        typer.echo("    none")
    return 0


def skin_command(
    photos: Annotated[
        list[Path],
        typer.Argument(
            help="Photos or folders of photos to analyse, or: compare BEFORE AFTER",
            show_default=False,
        ),
    ],
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON on stdout.")] = False,
    out: Annotated[
        Path | None,
        typer.Option("--out", help="Folder for region/metric overlays (and compare views)."),
    ] = None,
    workers: Annotated[
        int | None,
        typer.Option("--workers", min=1, help="Worker processes (default: all cores)."),
    ] = None,
) -> None:
    """Measure skin per face region, or compare a before and an after photo."""
    if out is not None:
        out.mkdir(parents=True, exist_ok=True)
    if str(photos[0]) == "compare":
        if len(photos) != 3:
            raise typer.BadParameter(
                f"compare needs exactly two photos (BEFORE AFTER), got {len(photos) - 1}",
                param_hint="PHOTOS",
            )
        raise typer.Exit(code=_compare(photos[1], photos[2], as_json, out))
    _analyse_many(photos, as_json, out, workers)


def register(app: typer.Typer) -> None:
    """Add ``acuface skin`` (and its ``compare`` form) to *app*."""
    app.command("skin", help=HELP)(skin_command)
