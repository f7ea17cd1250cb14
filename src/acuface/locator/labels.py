"""Label placement for point maps: every drawn label in free space, never on another.

One greedy placement serves every point map Acuface draws (the web's face maps on
photos, the body chart on the page and in the printed handout, and each frame of
the live camera view, placed in its worker, and the command line's PNG overlays in
:mod:`acuface.locator.render`; it lives here, below ``reports`` and
``web``, so that all use this one). Each marker's code is tried beside the marker
in eight directions, then further out on rings with a leader line, and the first
spot that touches no other label, no leader line, no marker and stays inside the
picture wins. A label that finds no room is left out of the drawing; on a page the
marker keeps its accessible name (``aria-label`` and ``<title>``) and its details
on hover, focus or tap, so a crowded map loses clutter, not information (a PNG
overlay, having no hover, numbers the marker or names it in its legend instead).

Sizes are in the map's own units (the SVG ``viewBox``): image pixels for a photo.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

#: Advance widths (em) of DejaVu Sans Bold, the widest face in the page's font stack
#: on Linux (measured with Pillow from DejaVuSans-Bold.ttf). Estimating with the
#: widest face keeps a label's box around its text in every browser font.
_ADVANCE_EM: dict[str, float] = {
    **dict.fromkeys("0123456789", 0.696),
    "A": 0.774, "B": 0.762, "C": 0.734, "D": 0.83, "E": 0.683, "F": 0.683, "G": 0.821,
    "H": 0.837, "I": 0.372, "J": 0.372, "K": 0.775, "L": 0.637, "M": 0.995, "N": 0.837,
    "O": 0.85, "P": 0.733, "Q": 0.85, "R": 0.77, "S": 0.72, "T": 0.682, "U": 0.812,
    "V": 0.774, "W": 1.103, "X": 0.771, "Y": 0.724, "Z": 0.725, "-": 0.415, " ": 0.348,
}  # fmt: skip
#: Wider than any character above, for anything else.
_DEFAULT_EM = 1.1
#: Ascent and descent of the same face (em): the height a browser gives a text box.
_ASCENT_EM, _DESCENT_EM = 0.929, 0.236
#: Room around the text for its halo (the dark outline that keeps it readable).
_PAD_EM = 0.15
#: How far out the rings with leader lines go, in label heights.
_RING_STEP = 1.3
_RINGS = 4

Box = tuple[float, float, float, float]


@dataclass(frozen=True)
class PlacedLabel:
    """Where one marker's label is drawn.

    Attributes
    ----------
    index : int
        The marker it names (index into the anchors given to :func:`place_labels`).
    text : str
        The label text (a point code).
    box : (x0, y0, x1, y1) of float
        The space the label takes, halo included, in map units.
    text_xy : (x, y) of float
        Start of the text's baseline.
    leader : (x0, y0, x1, y1) of float or None
        A line from the marker's edge to the label, when the label sits away from it.
    """

    index: int
    text: str
    box: Box
    text_xy: tuple[float, float]
    leader: Box | None


def text_box_size(text: str, font_px: float) -> tuple[float, float]:
    """Return the (width, height) a bold label of *text* takes, halo included."""
    advance = sum(_ADVANCE_EM.get(c, _DEFAULT_EM) for c in text.upper())
    return (advance + 2 * _PAD_EM) * font_px, (_ASCENT_EM + _DESCENT_EM + 2 * _PAD_EM) * font_px


def boxes_overlap(a: Box, b: Box) -> bool:
    """Whether two boxes ``(x0, y0, x1, y1)`` share any area (touching edges do not)."""
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def _near(boxes: np.ndarray, area: Box) -> list[Box]:
    """Return the rows of *boxes* (N, 4) that touch *area*, as tuples (few: plain loops)."""
    if not len(boxes):
        return []
    keep = (
        (boxes[:, 0] <= area[2])
        & (area[0] <= boxes[:, 2])
        & (boxes[:, 1] <= area[3])
        & (area[1] <= boxes[:, 3])
    )
    return [(b[0], b[1], b[2], b[3]) for b in boxes[keep].tolist()]


def _touches(a: Box, b: Box) -> bool:
    """Whether two boxes share any point, edges included."""
    return a[0] <= b[2] and b[0] <= a[2] and a[1] <= b[3] and b[1] <= a[3]


def _seg_box(seg: Box) -> Box:
    """Return the bounding box of a segment ``(x0, y0, x1, y1)``."""
    return min(seg[0], seg[2]), min(seg[1], seg[3]), max(seg[0], seg[2]), max(seg[1], seg[3])


def _segment_hits_box(seg: Box, box: Box) -> bool:
    """Whether segment ``(x0, y0, x1, y1)`` passes through the box (Liang-Barsky clip)."""
    x0, y0, x1, y1 = seg
    dx, dy = x1 - x0, y1 - y0
    t0, t1 = 0.0, 1.0
    for p, q in ((-dx, x0 - box[0]), (dx, box[2] - x0), (-dy, y0 - box[1]), (dy, box[3] - y0)):
        if p == 0:
            if q < 0:
                return False
            continue
        t = q / p
        if p < 0:
            t0 = max(t0, t)
        else:
            t1 = min(t1, t)
        if t0 > t1:
            return False
    return True


def _segments_cross(a: Box, b: Box) -> bool:
    def orient(px: float, py: float, qx: float, qy: float, rx: float, ry: float) -> float:
        return (qx - px) * (ry - py) - (qy - py) * (rx - px)

    d1 = orient(b[0], b[1], b[2], b[3], a[0], a[1])
    d2 = orient(b[0], b[1], b[2], b[3], a[2], a[3])
    d3 = orient(a[0], a[1], a[2], a[3], b[0], b[1])
    d4 = orient(a[0], a[1], a[2], a[3], b[2], b[3])
    return d1 * d2 < 0 and d3 * d4 < 0


def _candidates(
    x: float, y: float, w: float, h: float, r: float, gap: float, outward: float
) -> list[tuple[Box, Box | None]]:
    """Label boxes around a marker, nearest first; beyond the first ring with a leader."""
    # Outward first (away from the map's middle), so labels fan out instead of
    # piling up on the midline.
    east_first = outward >= 0
    e, wst = (1.0, 0.0), (-1.0, 0.0)
    order = [e, wst] if east_first else [wst, e]
    d = 0.7071
    east_diag, west_diag = [(d, -d), (d, d)], [(-d, -d), (-d, d)]
    order += east_diag + west_diag if east_first else west_diag + east_diag
    order += [(0.0, -1.0), (0.0, 1.0)]
    out: list[tuple[Box, Box | None]] = []
    for ring in range(_RINGS):
        reach = r + gap + ring * _RING_STEP * h
        for ux, uy in order:
            # The box's nearest edge (or corner, diagonally) sits at `reach` from the marker.
            cx, cy = x + ux * reach, y + uy * reach
            x0 = cx if ux > 0.1 else cx - w if ux < -0.1 else cx - w / 2
            y0 = cy if uy > 0.1 else cy - h if uy < -0.1 else cy - h / 2
            box = (x0, y0, x0 + w, y0 + h)
            leader = None
            if ring:
                # From the marker's edge to the nearest point of the label's box.
                nx, ny = min(max(x, box[0]), box[2]), min(max(y, box[1]), box[3])
                length = max(float(np.hypot(nx - x, ny - y)), 1e-9)
                leader = (x + (nx - x) * r / length, y + (ny - y) * r / length, nx, ny)
            out.append((box, leader))
    return out


def place_labels(
    anchors_xy: np.ndarray | Sequence[tuple[float, float]],
    texts: Sequence[str],
    *,
    dot_radius: float,
    font_px: float,
    bounds: Box,
    obstacles: Sequence[Box] = (),
) -> list[PlacedLabel]:
    """Place the labels of a point map so that none overlaps another or any marker.

    Parameters
    ----------
    anchors_xy : (N, 2) array_like of float
        Marker centres in map units.
    texts : sequence of str, length N
        Each marker's label; an empty string means the marker has none.
    dot_radius : float
        Marker radius in map units (every marker is an obstacle, labelled or not).
    font_px : float
        Label font size in map units.
    bounds : (x0, y0, x1, y1) of float
        The visible part of the map: every label lies wholly inside it.
    obstacles : sequence of (x0, y0, x1, y1) of float, optional
        More room no label or leader may touch (labels already drawn, markers of
        another face): a second call can place around what a first one drew.

    Returns
    -------
    list of PlacedLabel
        One per label that found room, in placement order. Markers are tried from
        the most crowded outwards, and a code that already has a label (the other
        side of a bilateral point) only after every code has had its chance.
    """
    xy = np.asarray(anchors_xy, dtype=np.float64).reshape(-1, 2)
    if len(texts) != len(xy):
        raise ValueError(f"{len(texts)} texts for {len(xy)} anchors")
    wanted = [i for i, t in enumerate(texts) if t]
    if not wanted:
        return []
    pad = dot_radius * 0.25
    dots = np.column_stack(
        [xy[:, 0] - dot_radius - pad, xy[:, 1] - dot_radius - pad]
        + [xy[:, 0] + dot_radius + pad, xy[:, 1] + dot_radius + pad]
    )
    if len(obstacles):
        # Obstacles are tested exactly as markers are; they follow the N markers,
        # so a marker's own row (skipped for its own label) keeps its index.
        dots = np.vstack([dots, np.asarray(obstacles, dtype=np.float64).reshape(-1, 4)])
    # Crowding: how many markers lie within a few label heights.
    reach = 4.0 * font_px
    dist = np.hypot(*(xy[:, None, :] - xy[None, :, :]).transpose(2, 0, 1))
    crowd = (dist < reach).sum(axis=1)
    middle_x = float(xy[:, 0].mean())
    ordered = sorted(wanted, key=lambda i: (-int(crowd[i]), float(xy[i, 1]), float(xy[i, 0])))
    first: list[int] = []
    later: list[int] = []
    seen: set[str] = set()
    for i in ordered:
        (later if texts[i] in seen else first).append(i)
        seen.add(texts[i])
    placed: list[PlacedLabel] = []
    label_boxes: list[Box] = []
    leaders: list[Box] = []
    gap = 0.3 * font_px
    keep_dot = np.ones(len(dots), dtype=bool)
    for i in first + later:
        x, y = float(xy[i, 0]), float(xy[i, 1])
        w, h = text_box_size(texts[i], font_px)
        # Only what lies within the farthest candidate's reach can touch a candidate
        # or its leader: the tests below run over those few, not the whole map (the
        # live view places every frame's labels). Same placements as testing all.
        reach = dot_radius + gap + (_RINGS - 1) * _RING_STEP * h + 1.0
        area = (x - reach - w, y - reach - h, x + reach + w, y + reach + h)
        keep_dot[i] = False
        other_dots = _near(dots[keep_dot], area)
        keep_dot[i] = True
        near_labels = [b for b in label_boxes if _touches(b, area)]
        near_leaders = [seg for seg in leaders if _touches(_seg_box(seg), area)]
        for box, leader in _candidates(x, y, w, h, dot_radius, gap, x - middle_x):
            if box[0] < bounds[0] or box[1] < bounds[1] or box[2] > bounds[2] or box[3] > bounds[3]:
                continue
            if any(boxes_overlap(box, b) for b in near_labels) or any(
                boxes_overlap(box, b) for b in other_dots
            ):
                continue
            if any(_segment_hits_box(seg, box) for seg in near_leaders):
                continue
            if leader is not None and (
                any(_segment_hits_box(leader, b) for b in near_labels)
                or any(_segment_hits_box(leader, b) for b in other_dots)
                or any(_segments_cross(leader, seg) for seg in near_leaders)
            ):
                continue
            text_xy = (box[0] + _PAD_EM * font_px, box[1] + (_PAD_EM + _ASCENT_EM) * font_px)
            placed.append(PlacedLabel(i, texts[i], box, text_xy, leader))
            label_boxes.append(box)
            if leader is not None:
                leaders.append(leader)
            break
    return placed
