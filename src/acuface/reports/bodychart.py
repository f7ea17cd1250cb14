"""The body chart: body points on a front/back figure drawn by Acuface itself.

The figure is a simple silhouette (no copied image): the client in the anatomical
position, made of rounded segments (neck, arms, legs), a torso outline and the
head. Its measures are figure units (470 tall; see :mod:`acuface.atlas.bodychart`),
the places of the points are data (``atlas/data/body_chart.yaml``).

This is the one drawing of the chart: the web's interactive chart
(:mod:`acuface.web.bodychart`, with tap targets and details) and the printed
handout's (:func:`body_chart_svg`) both take the figure (:func:`figure_svg`), the
markers' places (:func:`layout_body_points`) and the label placement
(:func:`acuface.locator.labels.place_labels`) from here. It lives in ``reports``
because the web may import reports and reports may not import the web.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from html import escape

import numpy as np
from markupsafe import Markup

from acuface.atlas import load_atlas
from acuface.atlas.bodychart import BodyView, body_chart_positions
from acuface.locator.labels import place_labels

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
#: The captions: view name, and which side of the picture is the client's left.
VIEWS: tuple[tuple[str, float, str, str], ...] = (
    ("Front", VIEW_LEFT["front"] + MIDLINE, "client's right", "client's left"),
    ("Back", VIEW_LEFT["back"] + MIDLINE, "client's left", "client's right"),
)
#: Colours as SVG presentation attributes, so that a PDF (no stylesheet) draws them;
#: the page's stylesheet (``.bodychart`` in app.css) overrides them by class.
_EDGE, _FILL, _INK, _MUTED = "#94a3b8", "#eef2f6", "#0f172a", "#64748b"
_DOT, _LEADER = "#14b8a6", "#475569"
_FONT = "DejaVu Sans, sans-serif"


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


@dataclass(frozen=True)
class ChartPoint:
    """One body point on one side, placed on the chart (chart units)."""

    code: str
    side: str  # "left", "right", "midline"
    x: float
    y: float


@dataclass(frozen=True)
class BodyChartLayout:
    """Where the wanted body points go on the chart.

    Attributes
    ----------
    points : list of ChartPoint
        One per needled side, in the order of the codes given.
    unplaced : list of str
        Wanted body points with no chart position (none in the shipped data; a plan
        made with another atlas may have some).
    """

    points: list[ChartPoint] = field(default_factory=list)
    unplaced: list[str] = field(default_factory=list)


def chart_xy(view: BodyView | str, x_fig: float, y_fig: float, side: str) -> tuple[float, float]:
    """Return the chart position of a figure point on the client's *side*.

    The front view shows the client's left on the picture's right (as when facing
    them); the back view shows it on the picture's left.
    """
    toward_left = 1.0 if view == "front" else -1.0
    sign = -toward_left if side == "right" else toward_left
    return VIEW_LEFT[view] + MIDLINE + sign * x_fig, CAPTION + y_fig


def figure_shapes() -> list[Shape]:
    """Return the pieces of both views of the figure, in chart units."""
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


def figure_svg() -> Markup:
    """Return the figure and its captions as one SVG ``<g class="bc-figure">``.

    Drawn twice, edge then fill, so that touching pieces merge into one outline.
    Classes (``bc-edge``, ``bc-fill``, ``bc-caption``, ``bc-side``) let a page
    restyle it; the presentation attributes draw it where no stylesheet applies.
    """
    shapes = figure_shapes()
    out = ['<g class="bc-figure" aria-hidden="true">']
    for cls, colour, extra in (("bc-edge", _EDGE, 2.5), ("bc-fill", _FILL, 0.0)):
        out.append(f'<g class="{cls}" fill="{colour}" stroke="{colour}" stroke-linecap="round">')
        for s in shapes:
            if s.kind == "limb":
                out.append(
                    f'<line x1="{s.x1:g}" y1="{s.y1:g}" x2="{s.x2:g}" y2="{s.y2:g}" '
                    f'stroke-width="{s.width + extra:g}"/>'
                )
            elif s.kind == "polygon":
                out.append(f'<polygon points="{s.points}" stroke-width="{extra:g}"/>')
            else:
                out.append(
                    f'<ellipse cx="{s.x1:g}" cy="{s.y1:g}" rx="{s.x2:g}" ry="{s.y2:g}" '
                    f'stroke-width="{extra:g}"/>'
                )
        out.append("</g>")
    for name, x, left, right in VIEWS:
        out.append(
            f'<text class="bc-caption" x="{x:g}" y="14" text-anchor="middle" font-size="13" '
            f'font-weight="700" fill="{_INK}" font-family="{_FONT}">{escape(name)}</text>'
            f'<text class="bc-side" x="{x - 88:g}" y="14" font-size="9" fill="{_MUTED}" '
            f'font-family="{_FONT}">{escape(left)}</text>'
            f'<text class="bc-side" x="{x + 88:g}" y="14" text-anchor="end" font-size="9" '
            f'fill="{_MUTED}" font-family="{_FONT}">{escape(right)}</text>'
        )
    out.append("</g>")
    return Markup("".join(out))


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


def layout_body_points(
    codes: Iterable[str], *, sides: Mapping[str, Iterable[str]] | None = None
) -> BodyChartLayout:
    """Place some body points on the chart, on the sides a plan needles.

    Parameters
    ----------
    codes : iterable of str
        Point codes; facial and head points are skipped, a code given twice is drawn once.
    sides : mapping, optional
        Code -> sides the plan needles; default both sides of a bilateral point.

    Returns
    -------
    BodyChartLayout
    """
    atlas = load_atlas()
    positions = body_chart_positions()
    side_map = {k.upper(): set(v) for k, v in (sides or {}).items()}
    layout = BodyChartLayout()
    seen: set[str] = set()
    for raw in codes:
        code = raw.upper()
        point = atlas.get(code)
        if point is not None and point.region != "body":
            continue
        pos = positions.get(code)
        if pos is None:
            layout.unplaced.append(code)
            continue
        if code in seen:
            continue
        seen.add(code)
        all_sides = ["left", "right"] if point is None or point.bilateral else ["midline"]
        chosen = [s for s in all_sides if not side_map.get(code) or s in side_map[code]]
        for side in chosen or all_sides:
            x, y = chart_xy(pos.view, pos.x_fig, pos.y_fig, side)
            layout.points.append(ChartPoint(code, side, x, y))
    return layout


#: Sizes of the printed chart in chart units (it prints about 110 mm wide, so 1 unit
#: is about 0.27 mm): labels of about 8 pt, markers 2.4 mm across.
PRINT_FONT = 10.5
PRINT_DOT = 4.5


def body_chart_svg(
    codes: Iterable[str],
    *,
    sides: Mapping[str, Iterable[str]] | None = None,
    title: str = "Body points on a front and back body chart",
) -> Markup:
    """Draw body points on the chart as a static, self-contained ``<svg>`` (for print).

    Parameters
    ----------
    codes : iterable of str
        Point codes to draw (facial points are skipped).
    sides : mapping, optional
        Code -> sides the plan needles.
    title : str
        The picture's accessible title.

    Returns
    -------
    Markup
        An ``<svg>`` with the figure, one marker per needled side and the codes
        placed so that no label overlaps another label or a marker; empty when
        none of *codes* is a body point on the chart.
    """
    layout = layout_body_points(codes, sides=sides)
    if not layout.points:
        return Markup("")
    labels = place_labels(
        [(p.x, p.y) for p in layout.points],
        [p.code for p in layout.points],
        dot_radius=PRINT_DOT,
        font_px=PRINT_FONT,
        bounds=(0.0, CAPTION, CHART_W, CHART_H),  # below the captions
    )
    out = [
        f'<svg class="bodychart" xmlns="http://www.w3.org/2000/svg" '
        f'viewBox="0 0 {CHART_W:g} {CHART_H:g}" role="img" aria-label="{escape(title)}">'
        f"<title>{escape(title)}</title>",
        figure_svg(),
        f'<g class="pt-leaders" stroke="{_LEADER}" stroke-width="0.8">',
    ]
    out.extend(
        f'<line x1="{lb.leader[0]:.1f}" y1="{lb.leader[1]:.1f}" '
        f'x2="{lb.leader[2]:.1f}" y2="{lb.leader[3]:.1f}"/>'
        for lb in labels
        if lb.leader is not None
    )
    out.append("</g>")
    for p in layout.points:
        out.append(
            f'<circle class="pt-dot" data-code="{escape(p.code)}" data-side="{p.side}" '
            f'cx="{p.x:.1f}" cy="{p.y:.1f}" r="{PRINT_DOT:g}" fill="{_DOT}" '
            f'stroke="#ffffff" stroke-width="1"/>'
        )
    out.append(
        # A white card under each code (its box: the room the placer kept free) keeps
        # it readable where it crosses the outline. The page's text halo cannot be
        # used here: WeasyPrint ignores paint-order and drew the halo over the text.
        '<g class="pt-cards" fill="#ffffff" fill-opacity="0.85">'
    )
    out.extend(
        f'<rect x="{lb.box[0]:.2f}" y="{lb.box[1]:.2f}" width="{lb.box[2] - lb.box[0]:.2f}" '
        f'height="{lb.box[3] - lb.box[1]:.2f}" rx="1.5"/>'
        for lb in labels
    )
    out.append(
        f'</g><g class="pt-labels" font-size="{PRINT_FONT:g}" font-weight="700" '
        f'font-family="{_FONT}" fill="{_INK}">'
    )
    out.extend(
        f'<text x="{lb.text_xy[0]:.2f}" y="{lb.text_xy[1]:.2f}">{escape(lb.text)}</text>'
        for lb in labels
    )
    out.append("</g></svg>")
    return Markup("".join(out))
