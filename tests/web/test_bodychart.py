"""The body chart: every body point of the atlas has a place on the drawn figure,
lands on it, and is drawn (issue 10, polish).

The places are data (``atlas/data/body_chart.yaml``), the figure is our own drawing
(``acuface.reports.bodychart``, shared with the printed handout); on a page the chart
is drawn by the same macro as the face maps.
"""

from __future__ import annotations

import re
from itertools import combinations

import pytest

from acuface.atlas import load_atlas
from acuface.atlas.bodychart import BODY_CHART, body_chart_positions
from acuface.errors import AtlasError
from acuface.locator.labels import boxes_overlap
from acuface.reports.bodychart import CHART_H, CHART_W, chart_xy, on_figure
from acuface.web.bodychart import build_bodychart
from acuface.web.templating import templates


def _body_codes() -> list[str]:
    return [p.code for p in load_atlas().points.values() if p.region == "body"]


def test_every_body_point_has_a_chart_position_on_the_figure() -> None:
    positions = body_chart_positions()
    body = _body_codes()
    assert len(body) >= 30
    assert set(positions) == set(body)  # no body point without a place, no stray record
    atlas = load_atlas()
    for code, pos in positions.items():
        assert on_figure(pos.view, pos.x_fig, pos.y_fig), f"{code} lies beside the figure"
        assert pos.source and "who2008" in pos.source, code
        # A midline point sits on the midline; a bilateral one beside it.
        assert (pos.x_fig == 0) == (not atlas.points[code].bilateral), code


def test_on_figure_can_say_no() -> None:
    assert on_figure("front", 0, 150)  # the belly
    assert not on_figure("front", 40, 300)  # between the legs and the hand's reach
    assert not on_figure("back", 85, 120)  # beside the arm


def test_every_body_point_is_drawn_on_both_sides_with_a_name() -> None:
    body = _body_codes()
    chart = build_bodychart(body)
    atlas = load_atlas()
    expected = sum(2 if atlas.points[c].bilateral else 1 for c in body)
    assert len(chart.markers) == expected
    assert chart.unplaced == []
    for m in chart.markers:
        assert 0 <= m.x <= CHART_W and 0 <= m.y <= CHART_H
    macro = templates.env.get_template("_bodychart.html").module.bodychart  # type: ignore[attr-defined]
    html = str(macro(chart, "t"))
    drawn = re.findall(r'<g class="pt [^"]*" data-code="([^"]+)" data-side="([^"]+)"', html)
    assert sorted(drawn) == sorted((m.code, m.side) for m in chart.markers)
    for m in chart.markers:
        assert f'aria-label="{m.name}"' in html and m.name.startswith(m.code)
    # The same declutter as the face maps: no label on another or on a marker.
    for a, b in combinations(chart.labels, 2):
        assert not boxes_overlap(a.box, b.box), (a.text, b.text)
    r = chart.radius
    for lb in chart.labels:
        for j, m in enumerate(chart.markers):
            if j != lb.index:
                assert not boxes_overlap(lb.box, (m.x - r, m.y - r, m.x + r, m.y + r))
    # Every body point is labelled on at least one side.
    assert {chart.markers[lb.index].code for lb in chart.labels} == set(body)


def test_sides_follow_the_view() -> None:
    # Facing the client (front), their left is on the picture's right; from behind, on its left.
    front_left, _ = chart_xy("front", 20, 100, "left")
    front_right, _ = chart_xy("front", 20, 100, "right")
    back_left, _ = chart_xy("back", 20, 100, "left")
    back_right, _ = chart_xy("back", 20, 100, "right")
    assert front_left > front_right and back_left < back_right


def test_a_plan_draws_only_its_sides_and_skips_facial_points() -> None:
    chart = build_bodychart(["ST36", "SP6", "ST2", "CV4"], sides={"ST36": ["left"]})
    assert sorted((m.code, m.side) for m in chart.markers) == [
        ("CV4", "midline"),
        ("SP6", "left"),
        ("SP6", "right"),
        ("ST36", "left"),
    ]


def test_an_unknown_field_or_a_missing_source_is_refused() -> None:
    good = "positions:\n  - code: ST36\n    view: front\n    x_fig: 27\n    y_fig: 367\n"
    good += "    landmark: below the knee on the shin\n"
    with pytest.raises(AtlasError, match="source"):
        BODY_CHART.read_text(good)
    with pytest.raises(AtlasError, match="colour"):
        BODY_CHART.read_text(good + "    source: [who2008]\n    colour: red\n")
    assert BODY_CHART.read_text(good + "    source: [who2008]\n").data.positions[0].code == "ST36"
