"""Turn a stored :class:`FaceMapSnapshot` plus atlas facts into what the face-map template draws.

The template puts an ``<svg>`` with ``viewBox="0 0 W H"`` (the photo's pixel size)
over the ``<img>``, so markers sit at the locator's pixel coordinates at any
display size, without inline styles (the CSP forbids them).

Every point map of the app (face maps on photos, the body chart) is a
:class:`PointMapView` drawn by one template macro (``_pointmap.html``) and driven by
one script (``static/js/app.js``): the same markers, the same label placement
(:func:`acuface.locator.labels.place_labels`), the same tap targets and chooser.
"""

from __future__ import annotations

import io
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from PIL import Image

from acuface.atlas import load_atlas
from acuface.errors import InvalidAnswers
from acuface.locator.labels import PlacedLabel, place_labels
from acuface.locator.snapshot import FaceMapSnapshot, face_box
from acuface.vocab import humanize

#: The width a page shows a map at, in CSS px (``.facemap-wrap > .pointmap`` in
#: app.css): marker, label and tap-target sizes are chosen for it. Narrower screens
#: scale the drawing down; the script then widens the tap targets back (app.js).
DISPLAY_CSS_PX = 520.0
#: Label text size at that width (readable on a tablet at arm's length).
LABEL_CSS_PX = 11.0
#: Marker radius at that width.
DOT_CSS_PX = 5.0
#: Diameter of every marker's tap target: at least this many CSS px at any display
#: size (WCAG 2.5.8 asks 24; a fingertip on a tablet needs more).
HIT_CSS_PX = 32.0


@dataclass(frozen=True)
class Marker:
    """One point on one side, in map units (image pixels for a photo)."""

    code: str
    side: str
    x: float
    y: float
    visible: bool
    kind: str  # "plan", "caution", "other", "needled"
    label: str
    #: The marker's accessible name (``aria-label`` and ``<title>``), drawn label or not.
    name: str = ""


@dataclass(kw_only=True)
class PointMapView:
    """The drawing of a point map that ``_pointmap.html`` and app.js share.

    Attributes
    ----------
    viewbox : (x0, y0, w, h) of float
        The visible part of the map in map units (the SVG ``viewBox``).
    markers : list of Marker
        Points to draw.
    labels : list of PlacedLabel
        The labels that found room (:func:`acuface.locator.labels.place_labels`); the
        other markers are named by ``aria-label``/``<title>`` and on hover or tap.
    info : dict
        Point code -> details shown on hover/tap (name, location, depth, cautions, reasons).
    radius, font_px, hit_radius : float
        Marker radius, label size and tap-target radius in map units, for a map shown
        :data:`DISPLAY_CSS_PX` wide (the script keeps the tap target at least
        :data:`HIT_CSS_PX` across at any other width).
    """

    viewbox: tuple[float, float, float, float] = (0.0, 0.0, 1.0, 1.0)
    markers: list[Marker] = field(default_factory=list)
    labels: list[PlacedLabel] = field(default_factory=list)
    info: dict[str, dict[str, Any]] = field(default_factory=dict)
    radius: float = 6.0
    font_px: float = 9.0
    hit_radius: float = 16.0

    def size_for(self, box_w: float) -> None:
        """Set marker, label and tap-target sizes for a map *box_w* units wide."""
        units_per_css_px = box_w / DISPLAY_CSS_PX
        self.radius = DOT_CSS_PX * units_per_css_px
        self.font_px = LABEL_CSS_PX * units_per_css_px
        self.hit_radius = (HIT_CSS_PX / 2 + 0.5) * units_per_css_px

    def place_labels(self, *, top: float | None = None) -> None:
        """Lay out the markers' labels (the one declutter every map uses).

        Labels stay inside the view box, below *top* when given (room kept for captions).
        """
        x0, y0, w, h = self.viewbox
        self.labels = place_labels(
            [(m.x, m.y) for m in self.markers],
            [m.label for m in self.markers],
            dot_radius=self.radius,
            font_px=self.font_px,
            bounds=(x0, max(y0, top if top is not None else y0), x0 + w, y0 + h),
        )


def marker_name(code: str, side: str, info: Mapping[str, Any], *, visible: bool = True) -> str:
    """Return a marker's accessible name: code, side and the point's name."""
    name = f"{code} {side}" if side and side != "midline" else code
    if info.get("name"):
        name += f", {info['name']}"
    if not visible:
        name += " (hidden in this view)"
    return name


@dataclass(kw_only=True)
class FaceMapView(PointMapView):
    """Everything ``_facemap.html`` needs.

    Attributes
    ----------
    width, height : int
        Photo size in pixels.
    outside : list of str
        ``"CODE side"`` of wanted points that fall outside the photo: never drawn
        (a marker clamped to the edge would show a place that is not the point).
    crop : (x0, y0, w, h) of int or None
        The face region in image pixels: the page shows only this part of the photo
        (served cropped) with the SVG ``viewBox`` set to the same box, so markers keep
        the locator's full-image coordinates.
    """

    width: int
    height: int
    crop: tuple[int, int, int, int] | None = None
    outside: list[str] = field(default_factory=list)


def crop_jpeg(data: bytes, crop: str | None, width: int, height: int) -> bytes:
    """Return *data* (a JPEG) cut to ``crop`` = ``"x0,y0,w,h"``; the whole image if ``None``.

    The box is validated against the image size (it comes from a URL), so a bad
    value is a clean :class:`~acuface.errors.InvalidAnswers`, never a server error.
    """
    if not crop:
        return data
    try:
        x0, y0, w, h = (int(v) for v in crop.split(","))
    except ValueError:
        raise InvalidAnswers("crop must be four whole numbers: x0,y0,width,height") from None
    if x0 < 0 or y0 < 0 or w < 16 or h < 16 or x0 + w > width or y0 + h > height:
        raise InvalidAnswers("crop lies outside the photo")
    with Image.open(io.BytesIO(data)) as img:
        out = io.BytesIO()
        img.convert("RGB").crop((x0, y0, x0 + w, y0 + h)).save(out, format="JPEG", quality=90)
    return out.getvalue()


def point_info(code: str, reasons: Iterable[str] = ()) -> dict[str, Any]:
    """Return the hover/tap details of atlas point *code* (name, location, depth, cautions).

    Unknown codes (e.g. a plan made with an older atlas) still get an entry, so a
    stored record always displays.
    """
    point = load_atlas().get(code)
    if point is None:
        return {
            "code": code,
            "name": "(not in the current atlas)",
            "location": "",
            "depth": "",
            "cautions": [],
            "reasons": [humanize(r) for r in reasons],
        }
    n = point.standard
    depth = f"{n.depth_cun[0]:g}–{n.depth_cun[1]:g} cun, {n.angle}"
    if n.direction:
        depth += f", {n.direction}"
    return {
        "code": point.code,
        "name": f"{point.pinyin} ({point.english})",
        "location": point.location,
        "depth": depth,
        "needling_notes": n.note or "",
        "cautions": list(point.cautions),
        "reasons": [humanize(r) for r in reasons],
    }


def build_facemap(
    face_map: FaceMapSnapshot | None,
    width: int,
    height: int,
    *,
    codes: Iterable[str] | None = None,
    reasons: Mapping[str, Iterable[str]] | None = None,
    sides: Mapping[str, Iterable[str]] | None = None,
    needled: Iterable[tuple[str, str]] = (),
    highlight: Iterable[str] | None = None,
    with_labels: bool = True,
    techniques: Mapping[str, str] | None = None,
) -> FaceMapView:
    """Build the face-map view of one photo.

    Parameters
    ----------
    face_map : FaceMapSnapshot or None
        The stored face map; only the primary (first) face is drawn.
    width, height : int
        Photo size in pixels.
    codes : iterable of str, optional
        Draw only these point codes (e.g. the plan's facial points); default all.
    reasons : mapping, optional
        Code -> why the planner chose it (shown on hover).
    sides : mapping, optional
        Code -> sides the plan needles; other sides of a bilateral point are skipped.
    needled : iterable of (code, side)
        Points already needled in this session (drawn red).
    highlight : iterable of str, optional
        Codes drawn as plan points with labels; the others are drawn small and
        unlabelled (charting shows every point but stresses the plan's).
    with_labels : bool
        Draw the code next to each marker.
    techniques : mapping, optional
        Code -> how the plan needles it (shown on hover above the atlas's standard
        depth, which is not what a cosmetic plan uses).
    """
    view = FaceMapView(width=int(width), height=int(height))
    view.viewbox = (0.0, 0.0, float(view.width), float(view.height))
    primary = face_map.primary if face_map is not None else None
    if primary is None:
        view.size_for(view.width)
        return view
    # The page shows the face region only; a box of most of the photo gains nothing.
    view.crop = face_box(primary.points, view.width, view.height, margin=0.22, max_share=0.8)
    if view.crop is not None:
        view.viewbox = tuple(float(v) for v in view.crop)  # type: ignore[assignment]
    view.size_for(view.viewbox[2])
    wanted = {c.upper() for c in codes} if codes is not None else None
    reason_map = {k.upper(): list(v) for k, v in (reasons or {}).items()}
    side_map = {k.upper(): set(v) for k, v in (sides or {}).items()}
    needled_set = {(c.upper(), s) for c, s in needled}
    hi = {c.upper() for c in highlight} if highlight is not None else None
    technique_map = {k.upper(): v for k, v in (techniques or {}).items()}
    for p in primary.points:
        code = p.code.upper()
        side = p.side
        if wanted is not None and code not in wanted:
            continue
        if code in side_map and side_map[code] and side not in side_map[code]:
            continue
        if not (0.0 <= p.x < view.width and 0.0 <= p.y < view.height):
            view.outside.append(f"{code} {side}")
            continue
        if code not in view.info:
            view.info[code] = point_info(code, reason_map.get(code, ()))
            if code in technique_map:
                view.info[code]["technique"] = technique_map[code]
        kind = "plan"
        if view.info[code]["cautions"]:
            kind = "caution"
        if hi is not None and code not in hi:
            kind = "other"
        if (code, side) in needled_set:
            kind = "needled"
        view.markers.append(
            Marker(
                code=code,
                side=side,
                x=p.x,
                y=p.y,
                visible=p.visible,
                kind=kind,
                label=code if with_labels and (hi is None or code in hi) else "",
                name=marker_name(code, side, view.info[code], visible=p.visible),
            )
        )
    view.place_labels()
    return view
