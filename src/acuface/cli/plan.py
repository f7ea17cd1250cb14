"""CLI commands ``acuface plan`` and ``acuface concerns``.

Thin wrappers: every rule lives in :mod:`acuface.planner`. Heavy modules are
imported inside the commands so that ``acuface --help`` stays fast. Acufaces
errors are printed in red and exit with code 2.
"""

from __future__ import annotations

import json
import re
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

if TYPE_CHECKING:
    from acuface.planner import Intake, Plan, PlanOptions

_BUDGET_RE = re.compile(r"^\s*(\d+)\s*-\s*(\d+)\s*$")


def _fail(message: str) -> typer.Exit:
    """Print *message* in red on stderr and return the exit to raise (code 2)."""
    from rich.console import Console

    Console(stderr=True).print(f"[bold red]error:[/] {message}", highlight=False)
    return typer.Exit(code=2)


def parse_budget(text: str) -> tuple[int, int]:
    """Parse ``MIN-MAX`` (e.g. ``30-50``) into a (min, max) pair.

    Raises
    ------
    PlanningError
        Not of the form MIN-MAX, or MIN greater than MAX.
    """
    from acuface.errors import PlanningError

    match = _BUDGET_RE.match(text)
    if match is None:
        raise PlanningError(f"--budget {text!r}: expected MIN-MAX, e.g. 30-50")
    low, high = int(match[1]), int(match[2])
    if high < 1:
        raise PlanningError(f"--budget {text}: the maximum must be at least 1")
    if low > high:
        raise PlanningError(
            f"--budget {text}: contradictory, the minimum {low} is greater than the maximum {high}"
        )
    return low, high


def _concern_requests(names: list[str], start_priority: int = 1) -> list[dict[str, Any]]:
    """``--concern NAME[:PRIORITY]``; without a priority the order gives it (1, 2, ...)."""
    from acuface.errors import InvalidAnswers

    out: list[dict[str, Any]] = []
    for index, raw in enumerate(names):
        name, _, priority = raw.partition(":")
        if priority and not priority.strip().isdigit():
            raise InvalidAnswers(f"--concern {raw!r}: the priority after ':' must be a number")
        value = int(priority) if priority else min(start_priority + index, 9)
        if not 1 <= value <= 9:
            raise InvalidAnswers(f"--concern {raw!r}: priority must be 1 (highest) to 9")
        out.append({"name": name.strip(), "priority": value})
    return out


def build_intake(
    concerns: list[str],
    answers: Path | None,
    *,
    pregnant: bool,
    anticoagulants: bool,
    pregnancy_week: int | None = None,
) -> Intake:
    """Merge ``--concern``, the answers file and the screening flags into one intake.

    Raises
    ------
    InvalidAnswers
        Malformed answers file (line and field named).
    PlanningError
        A flag contradicts the answers file.
    UnknownConcern
        An unknown concern name.
    """
    from acuface.errors import PlanningError
    from acuface.planner import Intake, load_answers, resolve_concern
    from acuface.planner.intake import screening_line

    base = load_answers(answers) if answers is not None else Intake()
    data = base.model_dump()
    requests = _concern_requests(concerns, start_priority=1)
    data["concerns"] = [*requests, *data["concerns"]]
    for request in data["concerns"]:
        resolve_concern(request["name"])  # fail early with "did you mean"
    for flag, rule_id, given in (
        ("--pregnant", "pregnancy", pregnant),
        ("--anticoagulants", "anticoagulants", anticoagulants),
    ):
        if not given:
            continue
        if data["screening"].get(rule_id) is False:
            line = screening_line(answers, rule_id) if answers else None
            where = f" line {line}" if line else ""
            raise PlanningError(
                f"contradictory options: {flag} was given but {answers}{where} says "
                f"{rule_id}: no; correct one of them"
            )
        data["screening"][rule_id] = True
    if pregnancy_week is not None:
        data["screening"]["pregnancy"] = {"week": pregnancy_week}
    return Intake.model_validate(data)


def _print_plan(plan: Plan) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console()
    table = Table(
        title=f"Plan: {plan.needle_count} needles (budget {plan.budget[0]}-{plan.budget[1]})"
    )
    table.add_column("Code", no_wrap=True)
    table.add_column("Sides", no_wrap=True)
    table.add_column("Region", no_wrap=True)
    table.add_column("Technique")
    table.add_column("Reasons")
    for point in plan.points:
        technique = point.technique.describe() if point.technique else "-"
        table.add_row(
            point.code, "+".join(point.sides), point.region, technique, "\n".join(point.reasons)
        )
    if plan.screening_unanswered:
        console.print(
            "[bold red]Not final:[/] unanswered critical screening questions: "
            + ", ".join(plan.screening_unanswered)
            + " (answer them under `screening:` in --answers; unanswered is not no)",
            highlight=False,
        )
    console.print(table)
    if plan.excluded:
        console.print("[bold]Excluded[/]")
        for item in plan.excluded:
            console.print(f"  {item.code}: {item.why}", highlight=False)
    if plan.cautions:
        console.print("[bold]Cautions[/]")
        for caution in plan.cautions:
            console.print(f"  - {caution}", highlight=False)
    if plan.patterns:
        console.print("[bold]Patterns[/] (score = matched sign weight / total)")
        for pattern in plan.patterns:
            flag = " (active)" if pattern.active else ""
            console.print(
                f"  {pattern.name}: {pattern.score:.2f}{flag} <- {', '.join(pattern.evidence)}",
                highlight=False,
            )
    if plan.session is not None:
        session = plan.session
        low, high = session.retention_minutes
        console.print(f"[bold]Session[/] {session.position_label}", highlight=False)
        for number, step in enumerate(session.insertion, start=1):
            console.print(f"  {number}. {step.name}: {', '.join(step.codes)}", highlight=False)
        console.print(
            f"  Retain {low}-{high} minutes; remove in reverse ({session.removal_why})",
            highlight=False,
        )
        console.print(
            f"  {session.needles_in} needles in, {session.needles_in} out: {session.count_check}",
            highlight=False,
        )
    console.print(f"[bold]Course[/] {plan.course.summary}", highlight=False)
    console.print(
        "  "
        + ", ".join(
            f"{s.n}: {s.date.isoformat() if s.date else '?'}" for s in plan.course.sessions
        ),
        highlight=False,
    )
    console.print("[bold]Expected outcomes[/]")
    for outcome in plan.outcomes:
        console.print(f"  {outcome.label} [{outcome.evidence}]: {outcome.text}", highlight=False)
    console.print(f"[dim]{plan.disclaimer}[/]", highlight=False)


def _overlay(plan: Plan, photo: Path, out: Path) -> Path | None:
    """Draw the plan's facial points on *photo*; return the written PNG path.

    Returns None (nothing to draw) when the plan has no facial points.
    """
    from PIL import Image

    from acuface.locator import locate, render_overlay
    from acuface.locator.image import load_image

    codes = plan.facial_codes
    if not codes:
        return None
    rgb = load_image(photo)
    face_map = locate(rgb, codes=codes, symmetric=True)  # one photo: precision over speed
    drawn = render_overlay(rgb, face_map, codes=codes)
    out.mkdir(parents=True, exist_ok=True)
    target = out / f"{photo.stem}_plan.png"
    Image.fromarray(drawn).save(target)
    return target


def plan_command(
    concern: Annotated[
        list[str] | None,
        typer.Option(
            "--concern",
            "-c",
            help="A concern (repeat for more; first = priority 1). NAME:PRIORITY sets it.",
        ),
    ] = None,
    answers: Annotated[
        Path | None,
        typer.Option(help="Intake answers YAML (answers, screening, tongue, pulse, age...)."),
    ] = None,
    pregnant: Annotated[bool, typer.Option("--pregnant", help="Client is pregnant.")] = False,
    pregnancy_week: Annotated[
        int | None,
        typer.Option(
            "--pregnancy-week", min=1, max=42, help="Week of pregnancy (implies --pregnant)."
        ),
    ] = None,
    anticoagulants: Annotated[
        bool, typer.Option("--anticoagulants", help="Client takes blood thinners.")
    ] = False,
    start: Annotated[
        str | None, typer.Option(help="First session date YYYY-MM-DD (default: today).")
    ] = None,
    budget: Annotated[
        str | None, typer.Option(help="Needle budget MIN-MAX (default 30-50).")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the plan as JSON.")] = False,
    photo: Annotated[
        Path | None, typer.Option(help="Client photo to draw the facial points on.")
    ] = None,
    out: Annotated[Path | None, typer.Option(help="Folder for the overlay (with --photo).")] = None,
    handout: Annotated[
        Path | None, typer.Option(help="Write a client handout (.html or .pdf).")
    ] = None,
    client_name: Annotated[
        str | None, typer.Option(help="Client name printed on the handout.")
    ] = None,
) -> None:
    """Make a treatment plan from concerns, intake answers and screening."""
    from pydantic import ValidationError

    from acuface.errors import AcufaceError
    from acuface.planner import PlanOptions, make_plan
    from acuface.planner.snapshot import PlanSnapshot

    if (photo is None) != (out is None):
        raise _fail("--photo and --out go together: give both or neither")
    if handout is not None and handout.suffix.lower() not in (".html", ".htm", ".pdf"):
        raise _fail(f"--handout {handout}: use a .html or .pdf file name")
    try:
        intake = build_intake(
            concern or [],
            answers,
            pregnant=pregnant or pregnancy_week is not None,
            anticoagulants=anticoagulants,
            pregnancy_week=pregnancy_week,
        )
        kwargs: dict[str, Any] = {}
        if budget is not None:
            kwargs["budget"] = parse_budget(budget)
        try:
            kwargs["start"] = date.fromisoformat(start) if start else date.today()
        except ValueError:
            raise _fail(f"--start {start!r}: expected a date YYYY-MM-DD") from None
        options: PlanOptions = PlanOptions(**kwargs)
        plan = make_plan(intake, options)
        overlay_path = _overlay(plan, photo, out) if photo is not None and out else None
        if handout is not None:
            _write_handout(plan, handout, client_name)
    except AcufaceError as exc:
        raise _fail(exc.message) from None
    except ValidationError as exc:
        first = exc.errors()[0]
        raise _fail(f"invalid option: {first['msg']}") from None
    if as_json:
        # The document the clinic stores for this plan, schema version included.
        document = PlanSnapshot.of(plan).to_json()
        typer.echo(json.dumps(document, indent=2, ensure_ascii=False))
    else:
        _print_plan(plan)
    if overlay_path is not None:
        typer.echo(f"overlay written to {overlay_path}", err=True)
    elif photo is not None:
        typer.echo("the plan has no facial points: no overlay drawn", err=True)
    if handout is not None:
        typer.echo(f"handout written to {handout}", err=True)


def _write_handout(plan: Plan, path: Path, client_name: str | None) -> None:
    from acuface.reports.handout import render_handout_html, render_handout_pdf

    path.parent.mkdir(parents=True, exist_ok=True)
    if path.suffix.lower() == ".pdf":
        path.write_bytes(render_handout_pdf(plan, client_name=client_name))
    else:
        path.write_text(render_handout_html(plan, client_name=client_name), encoding="utf-8")


def concerns_command(
    as_json: Annotated[bool, typer.Option("--json", help="Print as JSON.")] = False,
) -> None:
    """List the concerns the planner knows (names to use with --concern)."""
    from acuface.planner import list_concerns

    concerns = list_concerns()
    if as_json:
        typer.echo(
            json.dumps(
                [
                    {
                        "name": c.name,
                        "label": c.label,
                        "aliases": list(c.aliases),
                        "zones": list(c.zones),
                        "evidence_level": c.evidence_level,
                    }
                    for c in concerns
                ],
                indent=2,
            )
        )
        return
    for c in concerns:
        typer.echo(f"{c.name:20s} {c.label}")


def register(app: typer.Typer) -> None:
    """Add ``plan`` and ``concerns`` to *app*."""
    app.command("plan")(plan_command)
    app.command("concerns")(concerns_command)
