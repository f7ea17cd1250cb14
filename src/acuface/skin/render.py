"""Overlays: region outlines, metric maps, before/after views.

All functions are pure: they return new RGB arrays and never write files (the
CLI does that).
"""

from __future__ import annotations

import colorsys
from typing import TYPE_CHECKING

import cv2
import numpy as np
from numpy.typing import NDArray

from acuface.skin.metrics import LINE_THRESHOLD
from acuface.skin.regions import region_masks, region_measures
from acuface.vocab import Landmarks

if TYPE_CHECKING:
    from acuface.skin.analysis import Analysis


def _palette(n: int) -> list[tuple[int, int, int]]:
    out = []
    for i in range(n):
        r, g, b = colorsys.hsv_to_rgb((i * 0.61803) % 1.0, 0.85, 1.0)
        out.append((int(r * 255), int(g * 255), int(b * 255)))
    return out


def _font_scale(image_shape: tuple[int, ...]) -> tuple[float, int]:
    side = max(image_shape[:2])
    return max(0.35, side / 2200.0), max(1, int(round(side / 1100)))


def render_regions(
    image_rgb: NDArray[np.uint8], landmarks: Landmarks, *, labels: bool = True
) -> NDArray[np.uint8]:
    """Draw every region, tinted and outlined, on the photo.

    Parameters
    ----------
    image_rgb : (H, W, 3) ndarray of uint8
    landmarks : Landmarks
        The face's landmarks in ``image_rgb`` pixels.
    labels : bool, keyword-only
        Write region names at their centroids.

    Returns
    -------
    (H, W, 3) ndarray of uint8
    """
    h, w = image_rgb.shape[:2]
    rm = region_masks(landmarks.xy_px, (h, w), mm_per_px=landmarks.mm_per_px)
    out = image_rgb.astype(np.float32)
    colours = _palette(len(rm.masks))
    for (_name, mask), colour in zip(rm.masks.items(), colours, strict=True):
        out[mask] = 0.6 * out[mask] + 0.4 * np.array(colour, dtype=np.float32)
    out8 = np.clip(out, 0, 255).astype(np.uint8)
    _, th = _font_scale(out8.shape)
    for poly, colour in zip(rm.polygons.values(), colours, strict=True):
        pts = np.round(poly).astype(np.int32).reshape(-1, 1, 2)
        cv2.polylines(out8, [pts], True, colour, th, cv2.LINE_AA)
    if labels:
        # Sized to the face, not the photo: the labels must fit inside the regions.
        fs = max(0.3, landmarks.iris_distance_px / 300.0)
        th = max(1, int(round(landmarks.iris_distance_px / 150.0)))
        for name, mask in rm.masks.items():
            if not mask.any():
                continue
            # The point deepest inside the mask: a U-shaped band's centroid is
            # outside it (the jawline's would sit on the chin).
            depth = cv2.distanceTransform(mask.astype(np.uint8), cv2.DIST_L2, 3)
            cy, cx = np.unravel_index(int(np.argmax(depth)), depth.shape)
            text = short_name(name)
            (tw, tht), _ = cv2.getTextSize(text, cv2.FONT_HERSHEY_SIMPLEX, fs, th)
            org = (int(cx - tw / 2), int(cy + tht / 2))
            cv2.putText(out8, text, org, cv2.FONT_HERSHEY_SIMPLEX, fs, (0, 0, 0), th + 2)
            cv2.putText(out8, text, org, cv2.FONT_HERSHEY_SIMPLEX, fs, (255, 255, 255), th)
    return out8


def short_name(region: str) -> str:
    """Short label for a region (``left_crows_feet`` -> ``L crow``; client's sides)."""
    side, _, rest = region.partition("_")
    if side not in ("left", "right"):
        side, rest = "", region
    words = {
        "crows_feet": "crow",
        "under_eye": "eye",
        "nasolabial": "NL",
        "marionette": "mar",
        "forehead": "forehead",
        "glabella": "glab",
        "perioral": "perioral",
    }
    base = words.get(rest, rest)
    return f"{side[0].upper()} {base}" if side else base


def _label(img: NDArray[np.uint8], text: str, org: tuple[int, int]) -> None:
    fs, th = _font_scale(img.shape)
    fs, th = max(fs, 0.5), max(th, 1)
    cv2.putText(img, text, org, cv2.FONT_HERSHEY_SIMPLEX, fs, (0, 0, 0), th + 2, cv2.LINE_AA)
    cv2.putText(img, text, org, cv2.FONT_HERSHEY_SIMPLEX, fs, (255, 255, 255), th, cv2.LINE_AA)


def render_metrics(analysis: Analysis, *, zoom: int = 3) -> NDArray[np.uint8]:
    """Metric maps on the canonical face: wrinkle response, dark spots, region outlines.

    Ridge (wrinkle) response above the line threshold is drawn in yellow to
    red by strength; accepted dark spots are outlined in cyan; region outlines
    in white.  Drawn on the canonical crop (fixed millimetres per pixel), zoomed.

    Parameters
    ----------
    analysis : Analysis
        Output of :func:`acuface.skin.analysis.analyse_full`.
    zoom : int, keyword-only
        Nearest-neighbour-free (bicubic) enlargement factor of the crop.

    Returns
    -------
    (zoom * h, zoom * w, 3) ndarray of uint8
    """
    canon = analysis.canonical
    measured = [n for n, m in region_measures().items() if "lines" in m]
    ridges = analysis.ridges * analysis.masks.union(measured)
    base = canon.rgb.astype(np.float32) * 0.75
    strength = np.clip((ridges - LINE_THRESHOLD) / (3 * LINE_THRESHOLD), 0, 1)
    on = ridges > LINE_THRESHOLD
    heat = np.stack(
        [np.full_like(strength, 255), 255 * (1 - strength), np.zeros_like(strength)], -1
    )
    alpha = (0.35 + 0.65 * strength)[..., None] * on[..., None]
    base = base * (1 - alpha) + heat * alpha
    out = np.clip(base, 0, 255).astype(np.uint8)
    out = np.asarray(
        cv2.resize(out, None, fx=zoom, fy=zoom, interpolation=cv2.INTER_CUBIC), dtype=np.uint8
    )
    for poly in analysis.masks.polygons.values():
        pts = np.round((poly + 0.5) * zoom - 0.5).astype(np.int32).reshape(-1, 1, 2)
        cv2.polylines(out, [pts], True, (255, 255, 255), 1, cv2.LINE_AA)
    spots = analysis.spots.mask.astype(np.uint8)
    if spots.any():
        big = cv2.resize(spots, None, fx=zoom, fy=zoom, interpolation=cv2.INTER_NEAREST)
        contours, _ = cv2.findContours(big, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
        for c in contours:
            (cx, cy), r = cv2.minEnclosingCircle(c)
            cv2.circle(out, (int(cx), int(cy)), int(r + 3 * zoom), (0, 255, 255), 2, cv2.LINE_AA)
    rep = analysis.report
    _label(out, f"lines (wrinkle filter) | spots: {rep.spots.count}", (8, 24))
    _label(out, f"{rep.method_version}, {canon.mm_per_px:.2f} mm/px", (8, out.shape[0] - 10))
    return out


def comparison_views(
    before_rgb: NDArray[np.uint8],
    after_rgb: NDArray[np.uint8],
    matrix: NDArray[np.float64],
    before_landmarks: Landmarks,
) -> tuple[NDArray[np.uint8], NDArray[np.uint8]]:
    """Side-by-side and blended views of the after photo aligned onto the before photo.

    Parameters
    ----------
    before_rgb, after_rgb : (H, W, 3) ndarray of uint8
    matrix : (2, 3) ndarray of float64
        Similarity transform from after-photo pixels to before-photo pixels.
    before_landmarks : Landmarks
        Used to crop both views to the face.

    Returns
    -------
    side_by_side : (h, 2 * w, 3) ndarray of uint8
    blend : (h, w, 3) ndarray of uint8
        50/50 mix: anything that moved shows as a double contour.
    """
    h, w = before_rgb.shape[:2]
    warped = cv2.warpAffine(
        after_rgb, matrix, (w, h), flags=cv2.INTER_CUBIC, borderMode=cv2.BORDER_CONSTANT
    )
    x0, y0, x1, y1 = before_landmarks.bbox_px
    pad = 0.15 * max(x1 - x0, y1 - y0)
    xa, ya = max(0, int(x0 - pad)), max(0, int(y0 - pad))
    xb, yb = min(w, int(x1 + pad)), min(h, int(y1 + pad))
    b = before_rgb[ya:yb, xa:xb].copy()
    a = np.asarray(warped, dtype=np.uint8)[ya:yb, xa:xb].copy()
    blend = ((b.astype(np.uint16) + a.astype(np.uint16)) // 2).astype(np.uint8)
    _label(b, "before", (8, 28))
    _label(a, "after (aligned)", (8, 28))
    _label(blend, "blend 50/50", (8, 28))
    gap = np.full((b.shape[0], 6, 3), 255, np.uint8)
    return np.hstack([b, gap, a]), blend
