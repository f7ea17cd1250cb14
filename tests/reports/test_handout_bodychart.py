"""The printed handout shows a plan's body points on the body chart (issue 10, leftovers).

The chart is the web's own (``acuface.reports.bodychart``: one figure, one layout of
the points, one label placer), drawn static for print: one marker per needled side,
each code placed by :func:`acuface.locator.labels.place_labels`, so no label lies
on another label or on a marker.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from datetime import date
from itertools import combinations
from pathlib import Path

import pytest

from acuface.locator.labels import boxes_overlap, place_labels
from acuface.planner import Intake, PlanOptions, make_plan
from acuface.planner.snapshot import PlanSnapshot
from acuface.reports.bodychart import (
    CAPTION,
    CHART_H,
    CHART_W,
    PRINT_DOT,
    PRINT_FONT,
    body_chart_svg,
    figure_svg,
    layout_body_points,
)
from acuface.reports.handout import render_handout_html, render_handout_pdf
from acuface.web.bodychart import build_bodychart
from acuface.web.templating import templates

_DOT = re.compile(
    r'<circle class="pt-dot" data-code="([^"]+)" data-side="([^"]+)" cx="([\d.]+)" cy="([\d.]+)"'
)
_TEXT = re.compile(r'<text x="([\d.]+)" y="([\d.]+)">([^<]+)</text>')


@pytest.fixture(scope="module")
def body_plan() -> PlanSnapshot:
    # Eczema and stress bring eight bilateral body points (legs, forearms, the elbow).
    plan = make_plan(
        Intake(concerns=["eczema", "stress", "wrinkles"]), PlanOptions(start=date(2026, 12, 3))
    )
    return PlanSnapshot.of(plan)


def _chart(html: str) -> str:
    m = re.search(r'<figure class="body-chart">(.*?)</figure>', html, flags=re.S)
    assert m, "the handout has no body chart"
    return m.group(1)


def test_the_handout_draws_each_needled_side_of_each_body_point(body_plan) -> None:  # noqa: ANN001
    body = [p for p in body_plan.points if p.region == "body"]
    assert len(body) >= 5
    svg = _chart(render_handout_html(body_plan))
    drawn = sorted((code, side) for code, side, _, _ in _DOT.findall(svg))
    assert drawn == sorted((p.code, s) for p in body for s in p.sides)
    # The figure is the web chart's own drawing, not a copy of it.
    assert str(figure_svg()) in svg
    page = str(
        templates.env.get_template("_bodychart.html").module.bodychart(  # type: ignore[attr-defined]
            build_bodychart([p.code for p in body]), "t"
        )
    )
    assert str(figure_svg()) in page
    # Every code is written beside one of its markers at least, and facial points never.
    labels = [text for _, _, text in _TEXT.findall(svg)]
    assert set(labels) == {p.code for p in body}


def test_the_printed_labels_are_the_placer_s_and_overlap_nothing(body_plan) -> None:  # noqa: ANN001
    body = [p for p in body_plan.points if p.region == "body"]
    svg = _chart(render_handout_html(body_plan))
    layout = layout_body_points([p.code for p in body], sides={p.code: p.sides for p in body})
    placed = place_labels(
        [(p.x, p.y) for p in layout.points],
        [p.code for p in layout.points],
        dot_radius=PRINT_DOT,
        font_px=PRINT_FONT,
        bounds=(0.0, CAPTION, CHART_W, CHART_H),
    )
    expected = [(f"{lb.text_xy[0]:.2f}", f"{lb.text_xy[1]:.2f}", lb.text) for lb in placed]
    assert _TEXT.findall(svg) == expected
    for a, b in combinations(placed, 2):
        assert not boxes_overlap(a.box, b.box), (a.text, b.text)
    r = PRINT_DOT
    dots = [(float(x), float(y)) for _, _, x, y in _DOT.findall(svg)]
    for lb in placed:
        assert CAPTION <= lb.box[1] and lb.box[3] <= CHART_H  # below the captions, on the chart
        for j, (x, y) in enumerate(dots):
            if j != lb.index:
                assert not boxes_overlap(lb.box, (x - r, y - r, x + r, y + r)), lb.text


def test_a_plan_without_body_points_prints_no_chart() -> None:
    plan = make_plan(Intake(concerns=["wrinkles"]), PlanOptions(start=date(2026, 12, 3)))
    assert all(p.region != "body" for p in plan.points)
    html = render_handout_html(plan)
    assert 'class="body-chart"' not in html and "<svg" not in html
    assert str(body_chart_svg(["ST2", "GB14"])) == ""  # facial codes draw nothing


def test_only_the_sides_the_plan_needles_are_drawn() -> None:
    svg = str(body_chart_svg(["ST36", "CV4"], sides={"ST36": ["left"]}))
    assert sorted((c, s) for c, s, _, _ in _DOT.findall(svg)) == [
        ("CV4", "midline"),
        ("ST36", "left"),
    ]


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="pdftotext (poppler-utils) absent")
def test_the_pdf_carries_the_chart_on_one_page(body_plan, tmp_path: Path) -> None:  # noqa: ANN001
    pdf = tmp_path / "handout.pdf"
    pdf.write_bytes(render_handout_pdf(body_plan, client_name="Mara Lindqvist"))
    pages = subprocess.run(
        ["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout.split("\f")
    [page] = [p for p in pages if "Where the body points are" in p]
    # The chart's captions and labels are real text on the same page (never split).
    words = set(page.split())
    assert {"Front", "Back", "ST36", "SP6", "PC6", "LI11"} <= words
