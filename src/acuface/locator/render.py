"""Overlay pictures: acupoints drawn on the client's photo.

Points are coloured by channel and labelled by code; a legend strip is added
on the right. Marker and text sizes follow the face (its iris distance) and the
canvas, so the same call reads well on a 225 px thumbnail and on a 2,000 px
photo. Small photos are upscaled first (``min_side``) so that labels stay
legible. Points hidden by the head turn are drawn as hollow rings without a
label; points outside the image are omitted.

Labels are placed by the one placer of every point map
(:func:`acuface.locator.labels.place_labels`): no label covers another label, a
leader line or a marker, and a label set away from its marker has a leader line.
Where a code finds no room, the marker gets a number named in the legend's key,
and where even that does not fit, the legend lists the point: every drawn point is
labelled or named (hidden points too).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from functools import lru_cache

import numpy as np
from numpy.typing import NDArray
from PIL import Image, ImageDraw, ImageFont

from acuface.atlas.geometry import load_geometry
from acuface.locator.facemap import FaceMap, FaceResult, PlacedPoint, resolve_codes
from acuface.locator.labels import PlacedLabel, place_labels

#: RGB colour and name per channel (colour-blind-aware, bright on skin tones).
CHANNELS: dict[str, tuple[tuple[int, int, int], str]] = {
    "ST": ((255, 140, 0), "Stomach"),
    "LI": ((255, 230, 0), "Large Intestine"),
    "SI": ((230, 40, 60), "Small Intestine"),
    "BL": ((30, 144, 255), "Bladder"),
    "GB": ((50, 205, 50), "Gallbladder"),
    "TE": ((0, 230, 230), "Triple Energizer"),
    "GV": ((190, 90, 255), "Governor Vessel"),
    "CV": ((255, 105, 200), "Conception Vessel"),
    "EX": ((245, 245, 245), "Extra points"),
}
_FALLBACK = ((200, 200, 200), "Other")
_FONT_PATHS = (
    "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf",
    "DejaVuSans-Bold.ttf",
)


@lru_cache(maxsize=32)
def _font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    for path in _FONT_PATHS:
        try:
            return ImageFont.truetype(path, size)
        except OSError:
            continue
    return ImageFont.load_default(size=size)


def channel_of(code: str) -> str:
    """Channel prefix of a point code (``EX-HN5`` -> ``EX``, ``ST2`` -> ``ST``)."""
    return code.split("-")[0].rstrip("0123456789")


@dataclass(frozen=True)
class OverlayMarker:
    """One drawn marker of an overlay.

    Attributes
    ----------
    point : PlacedPoint
        The point (its ``xy_px`` in the drawn photo's pixels, before scaling).
    xy : (x, y) of float
        Marker centre on the canvas.
    radius : float
        Marker radius on the canvas.
    font_px : float
        Label size of its face on the canvas.
    """

    point: PlacedPoint
    xy: tuple[float, float]
    radius: float
    font_px: float


@dataclass(frozen=True)
class OverlayLayout:
    """Where an overlay draws its markers and labels, before any pixel is drawn.

    Every label is placed by the one placer of every point map
    (:func:`acuface.locator.labels.place_labels`), so no label covers another label,
    a leader line or any marker. A visible point whose code finds no room gets a
    number (placed the same way) that the legend's key names; a point that finds
    room for neither is named in the legend's list, as are the hidden points (drawn
    as rings without a label). So every drawn point is labelled or listed.

    Attributes
    ----------
    size : (w, h) of int
        Canvas size (the photo, cropped and upscaled), without the legend strip.
    scale : float
        Upscale factor ``k >= 1`` from the (cropped) photo to the canvas.
    crop : (x0, y0, x1, y1) of int
        The part of the photo drawn, in the photo's pixels.
    markers : tuple of OverlayMarker
        Every drawn marker (points outside the photo are not drawn).
    labels : tuple of (int, PlacedLabel)
        Marker index and its placed label: a code, or a key number (see ``keyed``).
    keyed : tuple of (int, int)
        Key number and marker index, for markers labelled by number.
    unlabelled : tuple of int
        Visible markers with neither code nor number on the photo (listed in the legend).
    """

    size: tuple[int, int]
    scale: float
    crop: tuple[int, int, int, int]
    markers: tuple[OverlayMarker, ...]
    labels: tuple[tuple[int, PlacedLabel], ...]
    keyed: tuple[tuple[int, int], ...]
    unlabelled: tuple[int, ...]

    @property
    def hidden(self) -> tuple[int, ...]:
        """Markers of points the pose hides (rings, named in the legend)."""
        return tuple(i for i, m in enumerate(self.markers) if not m.point.visible)


def layout_overlay(
    image_wh: tuple[int, int],
    face_map_or_face: FaceMap | FaceResult,
    *,
    codes: Iterable[str] | None = None,
    labels: bool = True,
    min_side: int = 720,
    min_face_px: int = 420,
    crop_to_faces: bool = False,
) -> OverlayLayout:
    """Lay out an overlay's markers and labels (see :func:`render_overlay`).

    Parameters
    ----------
    image_wh : (int, int)
        Width and height of the photo the points were located on.
    face_map_or_face : FaceMap or FaceResult
        All faces of a map are laid out; a FaceResult lays out one face.
    codes, labels, min_side, min_face_px, crop_to_faces
        As for :func:`render_overlay`.

    Returns
    -------
    OverlayLayout
        Markers, placed labels, the key of numbered markers and the unlabelled rest.
    """
    faces = face_map_or_face.faces if isinstance(face_map_or_face, FaceMap) else [face_map_or_face]
    wanted = None if codes is None else set(resolve_codes(codes))
    w, h = image_wh
    ox, oy = 0, 0
    if crop_to_faces and faces:
        ox, oy, x1, y1 = _head_region(faces, w, h)
        w, h = x1 - ox, y1 - oy
    k = 1.0
    if min_side:
        # Labels need room: upscale until the shorter side reaches min_side and
        # the largest face spans min_face_px (dense points, legible text).
        widest = max((f.landmarks.face_width_px for f in faces), default=0.0)
        k = max(1.0, min_side / min(h, w), min_face_px / max(widest, 1.0))
    cw, ch = (round(w * k), round(h * k)) if k > 1.0 else (w, h)
    markers: list[OverlayMarker] = []
    spans: list[tuple[int, int]] = []  # each face's markers: [start, stop)
    for face in faces:
        iris = face.landmarks.iris_distance_px * k
        # Sizes follow the face, with a floor tied to the canvas so a small
        # face in a large photo still reads when the whole photo is shown.
        radius = max(2.5, iris * 0.03, min(cw, ch) * 0.003)
        font_px = float(int(max(10.0, iris * 0.085, min(cw, ch) * 0.009)))
        start = len(markers)
        for p in face.points:
            if wanted is not None and p.code not in wanted:
                continue
            q = replace(p, xy_px=(p.xy_px[0] - ox, p.xy_px[1] - oy))
            if 0 <= q.xy_px[0] < w and 0 <= q.xy_px[1] < h:
                markers.append(OverlayMarker(q, (q.xy_px[0] * k, q.xy_px[1] * k), radius, font_px))
        spans.append((start, len(markers)))
    placed: list[tuple[int, PlacedLabel]] = []
    keyed: list[tuple[int, int]] = []
    unlabelled: list[int] = []
    if labels:
        bounds = (0.0, 0.0, float(cw), float(ch))
        taken: list[tuple[float, float, float, float]] = []  # labels and leaders drawn so far
        for start, stop in spans:
            if start == stop:
                continue
            own = markers[start:stop]
            others = [_marker_box(m) for m in markers[:start] + markers[stop:]]
            xy = [m.xy for m in own]
            # Codes first; then numbers (short: they fit where a code did not) for
            # the visible markers left without one.
            texts = [label_text(m.point) if m.point.visible else "" for m in own]
            size = {"dot_radius": own[0].radius, "font_px": own[0].font_px}
            for lb in place_labels(xy, texts, bounds=bounds, obstacles=others + taken, **size):
                placed.append((start + lb.index, lb))
                taken.extend(_label_room(lb))
            done = {i for i, _ in placed}
            missing = [i for i in range(start, stop) if markers[i].point.visible and i not in done]
            if not missing:
                continue
            numbers = {i: len(keyed) + n + 1 for n, i in enumerate(missing)}
            texts = [str(numbers[i]) if i in numbers else "" for i in range(start, stop)]
            got: set[int] = set()
            for lb in place_labels(xy, texts, bounds=bounds, obstacles=others + taken, **size):
                placed.append((start + lb.index, lb))
                taken.extend(_label_room(lb))
                got.add(start + lb.index)
            for i in missing:
                if i in got:
                    keyed.append((numbers[i], i))
                else:
                    unlabelled.append(i)
        placed, keyed = _renumber(placed, keyed)
    return OverlayLayout(
        size=(cw, ch),
        scale=k,
        crop=(ox, oy, ox + w, oy + h),
        markers=tuple(markers),
        labels=tuple(placed),
        keyed=tuple(keyed),
        unlabelled=tuple(unlabelled),
    )


def _marker_box(m: OverlayMarker) -> tuple[float, float, float, float]:
    x, y = m.xy
    return x - m.radius, y - m.radius, x + m.radius, y + m.radius


def _label_room(lb: PlacedLabel) -> list[tuple[float, float, float, float]]:
    """Return the room a placed label keeps from later placements: its box, its leader's box."""
    if lb.leader is None:
        return [lb.box]
    x0, y0, x1, y1 = lb.leader
    return [lb.box, (min(x0, x1), min(y0, y1), max(x0, x1), max(y0, y1))]


def _renumber(
    placed: list[tuple[int, PlacedLabel]], keyed: list[tuple[int, int]]
) -> tuple[list[tuple[int, PlacedLabel]], list[tuple[int, int]]]:
    """Renumber the keyed markers 1..n in key order (a number without room leaves no gap).

    Only shortens numbers ("12" -> "9"), so every box still holds its text.
    """
    new = {old: n for n, (old, _) in enumerate(sorted(keyed), start=1)}
    keyed_markers = {i for _, i in keyed}
    out = [
        (i, replace(lb, text=str(new[int(lb.text)])) if i in keyed_markers else lb)
        for i, lb in placed
    ]
    return out, [(new[old], i) for old, i in sorted(keyed)]


def render_overlay(
    image_rgb: NDArray[np.uint8],
    face_map_or_face: FaceMap | FaceResult,
    *,
    codes: Iterable[str] | None = None,
    labels: bool = True,
    min_side: int = 720,
    min_face_px: int = 420,
    legend: bool = True,
    crop_to_faces: bool = False,
) -> NDArray[np.uint8]:
    """Draw the points of one face (or every face of a map) on a photo.

    Labels are placed by :func:`layout_overlay` (the shared placer): none covers
    another label or a marker. With the legend on, a point whose code found no room
    is numbered on the photo and named in the legend's key, or listed there when even
    a number does not fit; hidden points (rings) are listed too.

    Parameters
    ----------
    image_rgb : (H, W, 3) ndarray of uint8
        The photo the points were located on.
    face_map_or_face : FaceMap or FaceResult
        All faces of a map are drawn; a FaceResult draws one face.
    codes : iterable of str, optional, keyword-only
        Only these points (codes or aliases).
    labels : bool, keyword-only
        Write each visible point's code next to it.
    min_side : int, keyword-only
        Upscale the canvas so its shorter side is at least this many pixels
        (0 keeps the photo's size and ignores ``min_face_px``).
    min_face_px : int, keyword-only
        Also upscale until the largest face is this wide, so that ~90 labels
        fit around it.
    legend : bool, keyword-only
        Add a legend strip on the right (channels, the key of numbered points
        and the points without a label on the photo).
    crop_to_faces : bool, keyword-only
        Draw only the head region(s) (face boxes widened for scalp, ear and
        neck points): readable when the face is small in a large photo.

    Returns
    -------
    (H', W', 3) ndarray of uint8
        The overlay, upscaled by ``k >= 1`` (see ``min_side``); the legend
        strip widens it (and lengthens it when its lists need more room).
    """
    if image_rgb.ndim != 3 or image_rgb.shape[2] != 3 or image_rgb.dtype != np.uint8:
        raise ValueError(f"expected (H, W, 3) uint8, got {image_rgb.shape} {image_rgb.dtype}")
    layout = layout_overlay(
        (image_rgb.shape[1], image_rgb.shape[0]),
        face_map_or_face,
        codes=codes,
        labels=labels,
        min_side=min_side,
        min_face_px=min_face_px,
        crop_to_faces=crop_to_faces,
    )
    x0, y0, x1, y1 = layout.crop
    canvas = Image.fromarray(np.ascontiguousarray(image_rgb[y0:y1, x0:x1]))
    if layout.scale > 1.0:
        canvas = canvas.resize(layout.size, Image.Resampling.LANCZOS)
    draw = ImageDraw.Draw(canvas)
    # Markers first, then leaders and labels (placed clear of every marker).
    for m in layout.markers:
        colour = CHANNELS.get(channel_of(m.point.code), _FALLBACK)[0]
        box = _marker_box(m)
        if m.point.visible:
            draw.ellipse(box, fill=colour, outline=(0, 0, 0), width=max(1, int(m.radius / 3)))
        else:
            draw.ellipse(box, outline=colour, width=max(1, int(m.radius / 2.5)))
    for i, lb in layout.labels:
        m = layout.markers[i]
        colour = CHANNELS.get(channel_of(m.point.code), _FALLBACK)[0]
        # The placer keeps 0.15 em of halo room around the text: the outline fits in it.
        stroke = max(1, min(2, int(0.15 * m.font_px)))
        if lb.leader is not None:
            draw.line(lb.leader, fill=(0, 0, 0), width=3)  # dark edge: reads on skin
            draw.line(lb.leader, fill=colour, width=1)
        draw.text(
            lb.text_xy,
            lb.text,
            font=_font(int(m.font_px)),
            anchor="ls",  # text_xy is the start of the baseline
            fill=colour,
            stroke_width=stroke,
            stroke_fill=(0, 0, 0),
        )
    if legend:
        canvas = _with_legend(canvas, layout)
    return np.asarray(canvas.convert("RGB"), dtype=np.uint8)


def _head_region(faces: list[FaceResult], w: int, h: int) -> tuple[int, int, int, int]:
    """Union of the faces' boxes, widened for scalp (up), ears (sides) and neck (down)."""
    boxes = np.array([f.landmarks.bbox_px for f in faces])
    fw = float((boxes[:, 2] - boxes[:, 0]).max())
    fh = float((boxes[:, 3] - boxes[:, 1]).max())
    x0 = int(max(0.0, boxes[:, 0].min() - 0.5 * fw))
    x1 = int(min(float(w), boxes[:, 2].max() + 0.5 * fw))
    y0 = int(max(0.0, boxes[:, 1].min() - 0.6 * fh))
    y1 = int(min(float(h), boxes[:, 3].max() + 0.6 * fh))
    return x0, y0, max(x1, x0 + 1), max(y1, y0 + 1)


def label_text(p: PlacedPoint) -> str:
    """Return a point's label: its code, plus its standard where standards differ."""
    if p.convention is None:
        return p.code
    conv = load_geometry().conventions_by_id.get(p.convention)
    return f"{p.code} {conv.short if conv else p.convention}"


_SIDE = {"left": " L", "right": " R", "midline": ""}


def _point_name(p: PlacedPoint) -> str:
    """Return a point's name in the legend: its label and side (``ST2 R``)."""
    return label_text(p) + _SIDE.get(p.side, "")


def _wrap(
    names: list[str], font: ImageFont.FreeTypeFont | ImageFont.ImageFont, width: float
) -> list[str]:
    """Join *names* with commas into lines no wider than *width*."""
    lines: list[str] = []
    for name in names:
        if lines and font.getlength(f"{lines[-1]}, {name}") <= width:
            lines[-1] = f"{lines[-1]}, {name}"
        else:
            lines.append(name)
    return lines


def _with_legend(canvas: Image.Image, layout: OverlayLayout) -> Image.Image:
    cw, ch = canvas.size
    font_px = int(max(11, min(cw, ch) * 0.022))
    font = _font(font_px)
    small = _font(max(10, int(font_px * 0.8)))
    used = {channel_of(m.point.code) for m in layout.markers}
    channels = sorted(used, key=lambda c: list(CHANNELS).index(c) if c in CHANNELS else 99)
    conventions = sorted({m.point.convention for m in layout.markers if m.point.convention})
    hidden = [_point_name(layout.markers[i].point) for i in layout.hidden]
    line_h = int(font_px * 1.6)
    width = int(font_px * 12.5)
    text_w = width - font_px * 1.2
    # Lay the strip out first: its lists may need more height than the photo has.
    ops: list[tuple[str, float, str, tuple[int, int, int] | None]] = []
    y = float(font_px * 0.8)

    def line(
        kind: str, text: str, colour: tuple[int, int, int] | None = None, step: float = 1.0
    ) -> None:
        nonlocal y
        ops.append((kind, y, text, colour))
        y += line_h * step

    line("title", "Channels")
    for code in channels:
        colour, name = CHANNELS.get(code, _FALLBACK)
        line("dot", f"{code}  {name}", colour)
    y += line_h // 2
    if hidden:
        line("ring", "hidden (pose, collar)")
    shorts = [c.short for i in conventions if (c := load_geometry().conventions_by_id.get(i))]
    if shorts:
        # GV26 (and LI19, level with it) differ between standards: say which one.
        for note in ("Where standards", f"differ: {', '.join(shorts)} site"):
            line("note", note, step=0.8)
        y += line_h // 2
    for note in ("Sides: the client's", "own left/right", "(client's left =", "image right)"):
        line("grey", note, step=0.8)
    if layout.keyed:
        # Codes that found no room beside their marker: numbered on the photo.
        y += line_h // 2
        line("title", "Numbered points")
        for number, i in layout.keyed:
            p = layout.markers[i].point
            line(
                "dot", f"{number}  {_point_name(p)}", CHANNELS.get(channel_of(p.code), _FALLBACK)[0]
            )
    for title, names in (
        ("No room for a label:", [_point_name(layout.markers[i].point) for i in layout.unlabelled]),
        ("Hidden (rings):", hidden),
    ):
        if names:
            # A practitioner must never lose a point silently: name what the photo does not.
            y += line_h // 2
            line("note", title, step=0.8)
            for text in _wrap(names, small, text_w):
                line("note", text, step=0.8)
    height = max(ch, int(y + font_px))
    strip = Image.new("RGB", (width, height), (24, 24, 28))
    d = ImageDraw.Draw(strip)
    r = font_px * 0.35
    for kind, ty, text, ink in ops:
        if kind == "title":
            d.text((font_px * 0.6, ty), text, font=font, fill=(255, 255, 255))
            continue
        if kind in ("dot", "ring"):
            cx, cy = font_px * 0.9, ty + font_px * 0.55
            if kind == "dot":
                d.ellipse((cx - r, cy - r, cx + r, cy + r), fill=ink, outline=(0, 0, 0))
            else:
                d.ellipse((cx - r, cy - r, cx + r, cy + r), outline=(235, 235, 235), width=2)
            d.text((font_px * 1.6, ty), text, font=small, fill=(235, 235, 235))
            continue
        grey = (170, 170, 170) if kind == "grey" else (235, 235, 235)
        d.text((font_px * 0.6, ty), text, font=small, fill=grey)
    out = Image.new("RGB", (cw + width, height), (24, 24, 28))
    out.paste(canvas, (0, 0))
    out.paste(strip, (cw, 0))
    return out
