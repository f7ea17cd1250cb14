"""The body chart: body points on a front/back figure drawn by Acuface itself.

The figure is a simple silhouette (no copied image): the client in the anatomical
position, made of rounded segments (neck, arms, legs), a torso outline and the
head. Its measures are figure units (470 tall; see :mod:`acuface.atlas.bodychart`),
the places of the points are data (``atlas/data/body_chart.yaml``). The chart is a
:class:`~acuface.web.facemap.PointMapView`, so it is drawn by the same macro and
script as the face maps: the same labels that never overlap, the same 32 px tap
targets and chooser.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

import numpy as np

from acuface.atlas import load_atlas
from acuface.atlas.bodychart import BodyView, body_chart_positions
from acuface.web.facemap import Marker, PointMapView, marker_name, point_info

#: Room above the figures for the view captions, and below them for the labels of
#: the toes (figure units).
CAPTION = 24.0
FOOT = 34.0
#: Left edge of each view in the chart's units; the midline is at edge + MIDLINE.
VIEW_LEFT: dict[str, float] = {"front": 0.0, "back": 210.0}
MIDLINE = 100.0
CHART_W = 410.0
CHART_H = CAPTION + 470.0 + FOOT

# --- the figure: the client's left half, mirrored for the right ------------------
#: (x0, y0, x1, y1, width): a segment drawn with round ends (x from the midline).
_LIMBS: tuple[tuple[float, float, float, float, float], ...] = (
    (0, 50, 0, 76, 22),  # neck
    (50, 90, 64, 168, 17),  # upper arm
    (64, 168, 74, 234, 13),  # forearm
    (74, 234, 80, 274, 15),  # hand (palm forward in front, back of the hand behind)
    (77, 238, 86, 256, 6),  # thumb, on the outer (radial) side
    (22, 236, 22, 330, 32),  # thigh
    (22, 330, 22, 350, 24),  # knee
    (22, 350, 22, 395, 22),  # upper leg (calf)
    (22, 395, 22, 438, 15),  # lower leg
)
#: Only in one view: the foot seen from the front (toes), the heel from behind.
_VIEW_LIMBS: dict[str, tuple[tuple[float, float, float, float, float], ...]] = {
    "front": ((22, 438, 26, 462, 22),),
    "back": ((22, 436, 22, 460, 17),),
}
#: The torso's outline, the client's left half from the neck down to the crotch.
_TORSO_HALF: tuple[tuple[float, float], ...] = (
    (0, 68), (12, 70), (30, 76), (44, 82), (48, 94), (44, 112), (38, 140),
    (34, 170), (38, 200), (42, 226), (40, 246), (6, 254), (0, 254),
)  # fmt: skip
#: The head: centre (x, y) and radii.
_HEAD = (0.0, 30.0, 21.0, 28.0)


@dataclass(frozen=True)
class Shape:
    """One piece of the drawn figure, in chart units."""

    kind: str  # "limb", "polygon", "ellipse"
    x1: float = 0.0
    y1: float = 0.0
    x2: float = 0.0
    y2: float = 0.0
    width: float = 0.0
    points: str = ""  # SVG polygon points, for "polygon"


@dataclass(kw_only=True)
class BodyChartView(PointMapView):
    """Everything ``_bodychart.html`` needs: the figure, captions, and the point layers.

    Attributes
    ----------
    shapes : list of Shape
        The figure's pieces (both views), drawn twice: edge, then fill.
    views : list of (name, x of the caption, left label, right label)
        Captions of the views: which side of the picture is the client's left.
    unplaced : list of str
        Wanted body points with no chart position (none in the shipped data; a plan
        made with another atlas may have some).
    """

    shapes: list[Shape] = field(default_factory=list)
    views: list[tuple[str, float, str, str]] = field(default_factory=list)
    unplaced: list[str] = field(default_factory=list)


def chart_xy(view: BodyView | str, x_fig: float, y_fig: float, side: str) -> tuple[float, float]:
    """Return the chart position of a figure point on the client's *side*.

    The front view shows the client's left on the picture's right (as when facing
    them); the back view shows it on the picture's left.
    """
    toward_left = 1.0 if view == "front" else -1.0
    sign = -toward_left if side == "right" else toward_left
    return VIEW_LEFT[view] + MIDLINE + sign * x_fig, CAPTION + y_fig


def _figure_shapes() -> list[Shape]:
    shapes: list[Shape] = []
    for view in ("front", "back"):
        mid = VIEW_LEFT[view] + MIDLINE
        half = [(x, y + CAPTION) for x, y in _TORSO_HALF]
        outline = [(mid + x, y) for x, y in half] + [(mid - x, y) for x, y in reversed(half)]
        shapes.append(Shape("polygon", points=" ".join(f"{x:g},{y:g}" for x, y in outline)))
        for x0, y0, x1, y1, w in _LIMBS + _VIEW_LIMBS[view]:
            for sign in (1.0, -1.0) if x0 or x1 else (1.0,):
                shapes.append(
                    Shape("limb", mid + sign * x0, y0 + CAPTION, mid + sign * x1, y1 + CAPTION, w)
                )
        hx, hy, rx, ry = _HEAD
        shapes.append(Shape("ellipse", mid + hx, hy + CAPTION, rx, ry))
    return shapes


def on_figure(view: BodyView | str, x_fig: float, y_fig: float) -> bool:
    """Whether a figure point lies on the drawn silhouette of *view* (not beside it).

    Parameters
    ----------
    view : {"front", "back"}
    x_fig, y_fig : float
        Distance from the midline and down from the head top, figure units.
    """
    x, y = abs(x_fig), y_fig
    for x0, y0, x1, y1, w in _LIMBS + _VIEW_LIMBS[view]:
        a, b, p = np.array([x0, y0]), np.array([x1, y1]), np.array([x, y])
        t = float(np.clip(np.dot(p - a, b - a) / max(float(np.dot(b - a, b - a)), 1e-9), 0, 1))
        if float(np.hypot(*(p - (a + t * (b - a))))) <= w / 2:
            return True
    hx, hy, rx, ry = _HEAD
    if ((x - hx) / rx) ** 2 + ((y - hy) / ry) ** 2 <= 1:
        return True
    # Torso: inside the closed outline (ray casting over the mirrored half).
    poly = list(_TORSO_HALF) + [(-px, py) for px, py in reversed(_TORSO_HALF)]
    inside = False
    for (xa, ya), (xb, yb) in zip(poly, poly[1:] + poly[:1], strict=True):
        if (ya > y) != (yb > y) and x < xa + (y - ya) * (xb - xa) / (yb - ya):
            inside = not inside
    return inside


def build_bodychart(
    codes: Iterable[str],
    *,
    reasons: Mapping[str, Iterable[str]] | None = None,
    sides: Mapping[str, Iterable[str]] | None = None,
    techniques: Mapping[str, str] | None = None,
) -> BodyChartView:
    """Build the body chart of some body points.

    Parameters
    ----------
    codes : iterable of str
        Body point codes to draw (others, e.g. facial points, are ignored).
    reasons : mapping, optional
        Code -> why the planner chose it (shown on hover).
    sides : mapping, optional
        Code -> sides the plan needles; default both sides of a bilateral point.
    techniques : mapping, optional
        Code -> how the plan needles it (shown on hover).
    """
    chart = BodyChartView(viewbox=(0.0, 0.0, CHART_W, CHART_H))
    chart.size_for(CHART_W)
    chart.shapes = _figure_shapes()
    chart.views = [
        ("Front", VIEW_LEFT["front"] + MIDLINE, "client's right", "client's left"),
        ("Back", VIEW_LEFT["back"] + MIDLINE, "client's left", "client's right"),
    ]
    atlas = load_atlas()
    positions = body_chart_positions()
    reason_map = {k.upper(): list(v) for k, v in (reasons or {}).items()}
    side_map = {k.upper(): set(v) for k, v in (sides or {}).items()}
    technique_map = {k.upper(): v for k, v in (techniques or {}).items()}
    for raw in codes:
        code = raw.upper()
        point = atlas.get(code)
        if point is not None and point.region != "body":
            continue
        pos = positions.get(code)
        if pos is None:
            chart.unplaced.append(code)
            continue
        if code in chart.info:
            continue
        info = point_info(code, reason_map.get(code, ()))
        if code in technique_map:
            info["technique"] = technique_map[code]
        chart.info[code] = info
        all_sides = ["left", "right"] if point is None or point.bilateral else ["midline"]
        chosen = [s for s in all_sides if not side_map.get(code) or s in side_map[code]]
        for side in chosen or all_sides:
            x, y = chart_xy(pos.view, pos.x_fig, pos.y_fig, side)
            chart.markers.append(
                Marker(
                    code=code,
                    side=side,
                    x=x,
                    y=y,
                    visible=True,
                    kind="caution" if info["cautions"] else "plan",
                    label=code,
                    name=marker_name(code, side, info),
                )
            )
    chart.place_labels(top=CAPTION)
    return chart
