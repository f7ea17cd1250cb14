"""Overlay pictures: acupoints drawn on the client's photo.

Points are coloured by channel and labelled by code; a legend strip is added
on the right. Marker and text sizes follow the face (its iris distance) and the
canvas, so the same call reads well on a 225 px thumbnail and on a 2,000 px
photo. Small photos are upscaled first (``min_side``) so that labels stay
legible. Points hidden by the head turn are drawn as hollow rings without a
label; points outside the image are omitted.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from functools import lru_cache

import numpy as np
from numpy.typing import NDArray
from PIL import Image, ImageDraw, ImageFont

from acuface.atlas.geometry import load_geometry
from acuface.locator.facemap import FaceMap, FaceResult, PlacedPoint, resolve_codes

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
        Add a legend strip on the right.
    crop_to_faces : bool, keyword-only
        Draw only the head region(s) (face boxes widened for scalp, ear and
        neck points): readable when the face is small in a large photo.

    Returns
    -------
    (H', W', 3) ndarray of uint8
        The overlay, upscaled by ``k >= 1`` (see ``min_side``); the legend
        strip widens it.
    """
    if image_rgb.ndim != 3 or image_rgb.shape[2] != 3 or image_rgb.dtype != np.uint8:
        raise ValueError(f"expected (H, W, 3) uint8, got {image_rgb.shape} {image_rgb.dtype}")
    faces = face_map_or_face.faces if isinstance(face_map_or_face, FaceMap) else [face_map_or_face]
    wanted = None if codes is None else set(resolve_codes(codes))
    ox, oy = 0, 0
    if crop_to_faces and faces:
        ox, oy, x1, y1 = _head_region(faces, image_rgb.shape[1], image_rgb.shape[0])
        image_rgb = np.ascontiguousarray(image_rgb[oy:y1, ox:x1])
    h, w = image_rgb.shape[:2]
    k = 1.0
    if min_side:
        # Labels need room: upscale until the shorter side reaches min_side and
        # the largest face spans min_face_px (dense points, legible text).
        widest = max((f.landmarks.face_width_px for f in faces), default=0.0)
        k = max(1.0, min_side / min(h, w), min_face_px / max(widest, 1.0))
    canvas = Image.fromarray(image_rgb)
    if k > 1.0:
        canvas = canvas.resize((round(w * k), round(h * k)), Image.Resampling.LANCZOS)
    cw, ch = canvas.size
    draw = ImageDraw.Draw(canvas)
    used: set[str] = set()
    conventions: set[str] = set()
    boxes: list[tuple[float, float, float, float]] = []
    any_hidden = False
    for face in faces:
        iris = face.landmarks.iris_distance_px * k
        # Sizes follow the face, with a floor tied to the canvas so a small
        # face in a large photo still reads when the whole photo is shown.
        radius = max(2.5, iris * 0.03, min(cw, ch) * 0.003)
        font_px = int(max(10.0, iris * 0.085, min(cw, ch) * 0.009))
        font = _font(font_px)
        pts = [p for p in face.points if wanted is None or p.code in wanted]
        pts = [replace(p, xy_px=(p.xy_px[0] - ox, p.xy_px[1] - oy)) for p in pts]
        pts = [p for p in pts if 0 <= p.xy_px[0] < w and 0 <= p.xy_px[1] < h]
        # Markers first (so every label can avoid every marker), then labels.
        for p in pts:
            colour = CHANNELS.get(channel_of(p.code), _FALLBACK)[0]
            x, y = p.xy_px[0] * k, p.xy_px[1] * k
            bbox = (x - radius, y - radius, x + radius, y + radius)
            if p.visible:
                draw.ellipse(bbox, fill=colour, outline=(0, 0, 0), width=max(1, int(radius / 3)))
            else:
                any_hidden = True
                draw.ellipse(bbox, outline=colour, width=max(1, int(radius / 2.5)))
            boxes.append(bbox)
            used.add(channel_of(p.code))
            if p.convention is not None:
                conventions.add(p.convention)
        if labels:
            for p in sorted(pts, key=lambda q: -q.confidence):
                if p.visible:
                    _label(draw, p, k, radius, font, boxes, (cw, ch))
    if legend:
        canvas = _with_legend(
            canvas, sorted(used, key=list(CHANNELS).index), any_hidden, sorted(conventions)
        )
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


def _overlap(a: tuple[float, float, float, float], b: tuple[float, float, float, float]) -> float:
    dx = min(a[2], b[2]) - max(a[0], b[0])
    dy = min(a[3], b[3]) - max(a[1], b[1])
    return dx * dy if dx > 0 and dy > 0 else 0.0


def _label(
    draw: ImageDraw.ImageDraw,
    p: PlacedPoint,
    k: float,
    radius: float,
    font: ImageFont.FreeTypeFont | ImageFont.ImageFont,
    boxes: list[tuple[float, float, float, float]],
    size: tuple[int, int],
) -> None:
    """Write the code beside its marker where it overlaps the least."""
    x, y = p.xy_px[0] * k, p.xy_px[1] * k
    text = label_text(p)
    left, top, right, bottom = draw.textbbox((0, 0), text, font=font, stroke_width=2)
    tw, th = right - left, bottom - top
    gap = radius + 2
    # Away from the midline first: labels then fan outward instead of piling
    # up on the nose.
    outward = 1.0 if p.side == "left" else -1.0 if p.side == "right" else 1.0
    candidates = [
        (outward * gap if outward > 0 else -gap - tw, -th / 2),
        (0.0 - tw / 2, -gap - th),
        (0.0 - tw / 2, gap),
        (-gap - tw if outward > 0 else gap, -th / 2),
        (outward * gap if outward > 0 else -gap - tw, -gap - th),
        (outward * gap if outward > 0 else -gap - tw, gap),
    ]
    best, best_cost = None, float("inf")
    for dx, dy in candidates:
        box = (x + dx, y + dy, x + dx + tw, y + dy + th)
        cost = sum(_overlap(box, b) for b in boxes)
        if box[0] < 0 or box[1] < 0 or box[2] > size[0] or box[3] > size[1]:
            cost += tw * th * 4
        if cost < best_cost:
            best, best_cost = box, cost
        if cost == 0:
            break
    assert best is not None
    # Keep the label on the canvas even when every candidate spilled over.
    sx = min(max(best[0], 0.0), size[0] - tw) - best[0]
    sy = min(max(best[1], 0.0), size[1] - th) - best[1]
    best = (best[0] + sx, best[1] + sy, best[2] + sx, best[3] + sy)
    colour = CHANNELS.get(channel_of(p.code), _FALLBACK)[0]
    draw.text(
        (best[0] - left, best[1] - top),
        text,
        font=font,
        fill=colour,
        stroke_width=2,
        stroke_fill=(0, 0, 0),
    )
    boxes.append(best)


def label_text(p: PlacedPoint) -> str:
    """Return a point's label: its code, plus its standard where standards differ."""
    if p.convention is None:
        return p.code
    conv = load_geometry().conventions_by_id.get(p.convention)
    return f"{p.code} {conv.short if conv else p.convention}"


def _with_legend(
    canvas: Image.Image, channels: list[str], any_hidden: bool, conventions: list[str]
) -> Image.Image:
    cw, ch = canvas.size
    font_px = int(max(11, min(cw, ch) * 0.022))
    font = _font(font_px)
    small = _font(max(10, int(font_px * 0.8)))
    lines = [(c, *CHANNELS.get(c, _FALLBACK)) for c in channels]
    line_h = int(font_px * 1.6)
    width = int(font_px * 12.5)
    strip = Image.new("RGB", (width, ch), (24, 24, 28))
    d = ImageDraw.Draw(strip)
    y = int(font_px * 0.8)
    d.text((font_px * 0.6, y), "Channels", font=font, fill=(255, 255, 255))
    y += line_h
    r = font_px * 0.35
    for code, colour, name in lines:
        cx, cy = font_px * 0.9, y + font_px * 0.55
        d.ellipse((cx - r, cy - r, cx + r, cy + r), fill=colour, outline=(0, 0, 0))
        d.text((font_px * 1.6, y), f"{code}  {name}", font=small, fill=(235, 235, 235))
        y += line_h
    y += line_h // 2
    if any_hidden:
        cx, cy = font_px * 0.9, y + font_px * 0.55
        d.ellipse((cx - r, cy - r, cx + r, cy + r), outline=(235, 235, 235), width=2)
        d.text((font_px * 1.6, y), "hidden (pose, collar)", font=small, fill=(235, 235, 235))
        y += line_h
    shorts = [c.short for i in conventions if (c := load_geometry().conventions_by_id.get(i))]
    if shorts:
        # GV26 (and LI19, level with it) differ between standards: say which one.
        for note in ("Where standards", f"differ: {', '.join(shorts)} site"):
            d.text((font_px * 0.6, y), note, font=small, fill=(235, 235, 235))
            y += int(line_h * 0.8)
        y += line_h // 2
    for note in ("Sides: the client's", "own left/right", "(client's left =", "image right)"):
        d.text((font_px * 0.6, y), note, font=small, fill=(170, 170, 170))
        y += int(line_h * 0.8)
    out = Image.new("RGB", (cw + width, ch))
    out.paste(canvas, (0, 0))
    out.paste(strip, (cw, 0))
    return out
