"""Printable client handout for a plan: HTML (Jinja2) and PDF (WeasyPrint).

The handout explains, in plain words, what facial acupuncture is, what this
plan does and why, what to expect (sensation, bruising, course), aftercare and
how it compares with botulinum toxin and surgery. Every factual claim cites a
source from ``atlas/data/sources.yaml``; nothing is promised. The CSS is
inlined so the HTML is self-contained, and the PDF uses system fonts only
(no network).
"""

from __future__ import annotations

import re
from functools import lru_cache
from importlib import resources
from typing import Any

from acuface.atlas import load_atlas
from acuface.atlas.knowledge import load_knowledge
from acuface.planner import Plan
from acuface.planner.snapshot import PlanSnapshot
from acuface.reports.bodychart import body_chart_svg
from acuface.reports.identity import ClinicHeader
from acuface.reports.pdf import html_to_pdf
from acuface.reports.templating import environment

#: Sources the fixed text of the template cites (besides those of the outcomes).
_TEMPLATE_SOURCES = ("yun2013", "jung2021", "baumler2021", "camargo2021")
_ZONE_WORDS = {
    "crows_feet": "outer corners of the eyes",
    "nasolabial": "nose-to-mouth fold",
    "periorbital": "around the eyes",
    "perioral": "around the mouth",
    "marionette": "below the mouth corners",
    "glabella": "between the brows",
    "upper_limb": "arm or hand",
    "lower_limb": "leg or foot",
}


@lru_cache(maxsize=1)
def _css() -> str:
    return (
        resources.files("acuface.reports")
        .joinpath("templates", "handout.css")
        .read_text(encoding="utf-8")
    )


def _where(zones: list[str], sides: list[str]) -> str:
    places = ", ".join(_ZONE_WORDS.get(zone, zone.replace("_", " ")) for zone in zones)
    side = "both sides" if sides == ["left", "right"] else "centre line"
    if sides in (["left"], ["right"]):
        side = f"{sides[0]} side"
    return f"{places} ({side})"


def _why(plan: PlanSnapshot, code: str) -> str:
    point = next(p for p in plan.points if p.code == code)
    concern_labels = {c.name: c.label for c in plan.concerns}
    pattern_names = {p.id: p.name for p in plan.patterns}
    parts: list[str] = []
    for why in point.why:
        if why.kind == "concern":
            parts.append(f"{concern_labels.get(why.id, why.id)}: {why.text}")
        elif why.kind == "pattern":
            parts.append(f"General balance ({pattern_names.get(why.id, why.id)}): {why.text}")
        elif why.kind == "support":
            parts.append("Adds to the treatment of the same areas of your face.")
        elif why.text:
            parts.append(f"Chosen by your practitioner ({why.text}).")
        else:
            parts.append("Chosen by your practitioner.")
    return " ".join(parts)


def _how(point: Any) -> str:
    """Say how a point is needled, in words for the client."""
    technique = point.technique
    if technique is None:
        return ""
    depth = "very shallow" if technique.depth_cun[1] <= 0.3 else "shallow"
    if technique.angle in ("transverse", "intradermal"):
        depth += ", almost flat along the skin"
    stay = "left in while you rest" if technique.retain else "put in and taken out straight away"
    return f"A {technique.needle} needle, {depth}; {stay}."


def _adjustments(plan: PlanSnapshot) -> list[str]:
    rules = load_knowledge().rules_by_id
    out: list[str] = []
    labels = [rules[r].label.lower() for r in plan.screening_positive if r in rules]
    screened = [e for e in plan.excluded if e.why.startswith("screening")]
    if labels:
        out.append(f"Your plan was adapted for: {', '.join(labels)}.")
    if screened:
        codes = ", ".join(e.code for e in screened)
        out.append(f"{len(screened)} point(s) were left out for your safety ({codes}).")
    if plan.budget.max < 50:
        out.append(f"Fewer needles than usual: at most {plan.budget.max} this time.")
    if plan.session is not None and plan.session.position_why:
        out.append(f"You will be treated {plan.session.position_label}.")
    out.extend(f"Technique: {text}." for text in plan.restrictions)
    out.extend(f"Consent: {text.split(': ', 1)[-1]}" for text in plan.consents)
    return out


def _sources(plan: PlanSnapshot) -> list[dict[str, str]]:
    atlas = load_atlas()
    wanted: list[str] = list(_TEMPLATE_SOURCES)
    for outcome in plan.outcomes:
        wanted.extend(outcome.source)
    wanted.extend(plan.course.source)
    out: list[dict[str, str]] = []
    for source_id in dict.fromkeys(wanted):
        source = atlas.sources.get(source_id)
        if source is not None:
            out.append({"id": source.id, "citation": re.sub(r"\s+", " ", source.citation)})
    return out


def handout_context(
    plan: Plan | PlanSnapshot,
    *,
    client_name: str | None = None,
    clinic: ClinicHeader | None = None,
) -> dict[str, Any]:
    """Build the template context for *plan* (exposed for tests and other reports)."""
    plan = PlanSnapshot.of(plan)
    atlas = load_atlas()
    rows: dict[str, list[dict[str, str]]] = {"face": [], "body": []}
    for point in plan.points:
        record = atlas.points[point.code]
        rows[point.region].append(
            {
                "code": point.code,
                "name": " ".join(x for x in (record.pinyin, record.hanzi) if x)
                + f" ({record.english})",
                "where": _where(list(record.zones), list(point.sides)),
                "why": _why(plan, point.code),
                "how": _how(point),
            }
        )
    sessions = [
        {"n": s.n, "date": s.date.strftime("%a %d %b %Y"), "phase": s.phase}
        for s in plan.course.sessions
        if s.date is not None
    ]
    body = [p for p in plan.points if p.region == "body"]
    session = plan.session
    retention = session.retention_minutes if session else (20, 30)
    return {
        "css": _css(),
        "plan": plan,
        "position_label": session.position_label if session else "lying down",
        "retention": retention,
        "not_final": bool(plan.screening_unanswered),
        "client_name": client_name,
        "clinic": clinic,
        "first_date": sessions[0]["date"] if sessions else None,
        "concern_labels": [c.label for c in plan.concerns],
        "not_addressed": [c.label for c in plan.concerns if not c.addressed],
        "face_points": rows["face"],
        "body_points": rows["body"],
        # The same chart as the plan page's, drawn static (empty without body points).
        "body_chart": body_chart_svg(
            [p.code for p in body],
            sides={p.code: p.sides for p in body},
            title="This plan's body points on a front and back body chart",
        ),
        "adjustments": _adjustments(plan),
        "sessions": sessions,
        "sources": _sources(plan),
    }


def render_handout_html(
    plan: Plan | PlanSnapshot,
    *,
    client_name: str | None = None,
    clinic: ClinicHeader | None = None,
) -> str:
    """Render the client handout as one self-contained HTML page.

    Parameters
    ----------
    plan : Plan or PlanSnapshot
        The plan to explain (a stored snapshot or one just made).
    client_name : str, optional
        Printed at the top; escaped.
    clinic : ClinicHeader, optional
        The clinic's name, address, phone and logo, printed at the top.

    Returns
    -------
    str
        HTML with inline CSS, printable on A4.
    """
    template = environment().get_template("handout.html")
    return template.render(**handout_context(plan, client_name=client_name, clinic=clinic))


def render_handout_pdf(
    plan: Plan | PlanSnapshot,
    *,
    client_name: str | None = None,
    clinic: ClinicHeader | None = None,
) -> bytes:
    """Render the client handout as PDF bytes with WeasyPrint (offline, system fonts).

    Parameters
    ----------
    plan : Plan or PlanSnapshot
        The plan to explain (a stored snapshot or one just made).
    client_name : str, optional
        Printed at the top.
    clinic : ClinicHeader, optional
        The clinic's name, address, phone and logo, printed at the top.

    Returns
    -------
    bytes
        A PDF document (starts with ``%PDF``).
    """
    return html_to_pdf(render_handout_html(plan, client_name=client_name, clinic=clinic))
