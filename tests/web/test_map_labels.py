"""Point-map labels never pile up, and every marker keeps its name (issue 10, polish).

Over every shipped portrait (``tests/data/faces``: the three large photos and the 67
small ones), located for real, the face map is built as the pages build it (every
point labelled, as on the atlas and photo pages; the plan's points stressed, as on
the charting page) and drawn with the pages' own macro. The drawn labels' boxes must
not overlap one another or any marker, must stay inside the picture, and every
marker must carry an accessible name whether its label found room or not.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from itertools import combinations
from pathlib import Path

import numpy as np
import pytest

from acuface.locator import locate
from acuface.locator.image import load_image
from acuface.locator.labels import boxes_overlap, place_labels, text_box_size
from acuface.locator.snapshot import FaceMapSnapshot
from acuface.web.facemap import FaceMapView, build_facemap
from acuface.web.templating import templates

FACES = Path(__file__).resolve().parents[1] / "data" / "faces"
#: A plan's worth of points for the "stressed" (charting page) variant.
PLAN_CODES = ["ST2", "ST3", "LI20", "GV24", "EX-HN3", "GB14", "ST4", "CV24", "SI18", "TE23"]


@pytest.fixture(scope="module")
def shipped_maps() -> list[tuple[str, int, int, FaceMapSnapshot]]:
    """Every shipped portrait, located (the cropped test photo is not a portrait)."""
    paths = [FACES / n for n in ("obama.jpg", "biden.jpg", "obama3.jpg")]
    paths += sorted((FACES / "portraits").glob("*.jpg"))
    out = []
    for p in paths:
        rgb = load_image(p)
        out.append((p.name, rgb.shape[1], rgb.shape[0], FaceMapSnapshot.of(locate(rgb))))
    return out


class _Svg(HTMLParser):
    """Collects the drawn markers (with their names) and label texts of a rendered map."""

    def __init__(self) -> None:
        super().__init__()
        self.markers: list[dict[str, str]] = []
        self.titles: list[str] = []
        self.labels = 0
        self._in_title = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "g" and "pt" in a.get("class", "").split():
            self.markers.append(a)
        if tag == "title":
            self._in_title = True
        if tag == "text" and "pt-label" in a.get("class", ""):
            self.labels += 1

    def handle_endtag(self, tag: str) -> None:
        self._in_title = False

    def handle_data(self, data: str) -> None:
        if self._in_title:
            self.titles.append(data)


def _draw(view: FaceMapView) -> _Svg:
    macro = templates.env.get_template("_facemap.html").module.facemap  # type: ignore[attr-defined]
    html = str(macro(view, "/photo.jpg", "t"))
    parsed = _Svg()
    parsed.feed(html)
    return parsed


def _check(name: str, view: FaceMapView) -> None:
    x0, y0, w, h = view.viewbox
    boxes = [lb.box for lb in view.labels]
    for a, b in combinations(view.labels, 2):
        assert not boxes_overlap(a.box, b.box), (name, a.text, b.text)
    r = view.radius
    for lb in view.labels:
        assert x0 <= lb.box[0] and lb.box[2] <= x0 + w, (name, lb.text)
        assert y0 <= lb.box[1] and lb.box[3] <= y0 + h, (name, lb.text)
        for j, m in enumerate(view.markers):
            if j != lb.index:
                dot = (m.x - r, m.y - r, m.x + r, m.y + r)
                assert not boxes_overlap(lb.box, dot), (name, lb.text, "covers", m.code, m.side)
    # Each label names its own marker, once.
    assert len({lb.index for lb in view.labels}) == len(boxes)
    for lb in view.labels:
        assert view.markers[lb.index].code == lb.text
    drawn = _draw(view)
    assert len(drawn.markers) == len(view.markers)
    assert drawn.labels == len(view.labels)
    for m, g, title in zip(view.markers, drawn.markers, drawn.titles, strict=True):
        assert g["aria-label"].startswith(m.code), (name, g)
        assert title == g["aria-label"]
        assert g["role"] == "button" and g["tabindex"] == "0"


def test_no_label_overlaps_on_any_shipped_portrait(
    shipped_maps: list[tuple[str, int, int, FaceMapSnapshot]],
) -> None:
    shares = []
    for name, w, h, snap in shipped_maps:
        every = build_facemap(snap, w, h)
        assert len(every.markers) >= 40, name
        _check(name, every)
        shares.append(len(every.labels) / len(every.markers))
        stressed = build_facemap(snap, w, h, highlight=PLAN_CODES)
        _check(name + " (plan stressed)", stressed)
        wanted = [m for m in stressed.markers if m.code in PLAN_CODES]
        named = {stressed.markers[lb.index].code for lb in stressed.labels}
        # Every plan point is labelled on at least one side (they are what the page is
        # about), and nearly every side is.
        assert named == {m.code for m in wanted}, (name, named)
        assert len(stressed.labels) >= 0.8 * len(wanted), (name, len(stressed.labels))
    # Decluttering drops labels only where they would collide: most points keep theirs.
    assert float(np.median(shares)) >= 0.6, shares


def test_labels_sit_beside_their_marker_or_on_a_leader_line(
    shipped_maps: list[tuple[str, int, int, FaceMapSnapshot]],
) -> None:
    name, w, h, snap = shipped_maps[0]
    view = build_facemap(snap, w, h)
    for lb in view.labels:
        m = view.markers[lb.index]
        nx = min(max(m.x, lb.box[0]), lb.box[2])
        ny = min(max(m.y, lb.box[1]), lb.box[3])
        gap = float(np.hypot(nx - m.x, ny - m.y))
        if lb.leader is None:
            assert gap <= view.radius + view.font_px, (lb.text, gap)
        else:
            # The leader runs from the marker's edge to the label's box.
            assert np.hypot(lb.leader[0] - m.x, lb.leader[1] - m.y) == pytest.approx(view.radius)
            assert (lb.leader[2], lb.leader[3]) == pytest.approx((nx, ny))


def test_a_label_with_no_room_is_left_out_not_piled_on() -> None:
    # Five markers on top of each other: one label fits beside them, the rest would
    # overlap it, so they are not drawn (the markers keep their names).
    anchors = [(50.0, 50.0)] * 5
    texts = ["ST2", "ST3", "ST4", "LI20", "GB14"]
    placed = place_labels(anchors, texts, dot_radius=3, font_px=10, bounds=(0, 0, 100, 100))
    assert 1 <= len(placed) < 5
    for a, b in combinations(placed, 2):
        assert not boxes_overlap(a.box, b.box)


def test_obstacles_are_kept_clear_like_markers() -> None:
    # A second call (the PNG overlay's numbers, another face) places around what a
    # first one drew: the spot beside the marker is taken, so the label moves.
    free = place_labels([(50.0, 50.0)], ["ST2"], dot_radius=3, font_px=10, bounds=(0, 0, 100, 100))
    assert len(free) == 1
    taken = free[0].box
    again = place_labels(
        [(50.0, 50.0)],
        ["ST2"],
        dot_radius=3,
        font_px=10,
        bounds=(0, 0, 100, 100),
        obstacles=[taken],
    )
    assert len(again) == 1 and not boxes_overlap(again[0].box, taken)
    walled = place_labels(
        [(50.0, 50.0)], ["ST2"], dot_radius=3, font_px=10, bounds=(0, 0, 100, 100),
        obstacles=[(0, 0, 100, 46), (0, 54, 100, 100), (0, 0, 46, 100), (54, 0, 100, 100)],
    )  # fmt: skip
    assert walled == []


def test_the_label_box_holds_the_text_in_the_widest_font_of_the_stack() -> None:
    font_path = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf")
    if not font_path.exists():
        pytest.skip(f"{font_path} is missing (Debian's fonts-dejavu-core)")
    from PIL import ImageFont

    font = ImageFont.truetype(str(font_path), 100)
    for code in ["ST2", "EX-HN5", "GV24", "BL2", "LI20", "SI18", "W", "MM-99"]:
        width, height = text_box_size(code, 100)
        left, top, right, bottom = font.getbbox(code)
        assert right - left <= width and bottom - top <= height, code
        assert re.fullmatch(r"[A-Z0-9-]+", code)
