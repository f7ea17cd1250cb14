"""Draw each point's construction on a shipped portrait, for docs/points.md.

Run: ``.venv/bin/python scripts/points_figures.py`` (writes
``docs/images/points/<CODE>.jpg``, one per point, client's left side, and the
two overlays at the top of docs/points.md). Each
picture is a crop of ``tests/data/faces/obama.jpg`` (public domain) around the
point: the Face Mesh landmarks its construction uses (cyan, numbered,
including those of the points and helpers it is built from) and the point
itself (red ring; hollow dashes when the pose hides it).
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from acuface.atlas.geometry import (
    Compose,
    Expr,
    GeometryFile,
    LandmarkMean,
    Lerp,
    Offset,
    Ref,
    load_geometry,
)
from acuface.locator import locate, render_overlay
from acuface.locator.image import load_image

ROOT = Path(__file__).resolve().parents[1]
PHOTO = ROOT / "tests" / "data" / "faces" / "obama.jpg"
OUT = ROOT / "docs" / "images" / "points"
SIZE = 240
FONT = "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf"


def landmarks_of(expr: Expr, geometry: GeometryFile, seen: set[str] | None = None) -> set[int]:
    """Every landmark index a construction depends on (through its references too)."""
    seen = set() if seen is None else seen
    if isinstance(expr, LandmarkMean):
        return set(expr.mean)
    if isinstance(expr, Ref):
        if expr.ref in seen:
            return set()
        seen.add(expr.ref)
        rec = geometry.by_code.get(expr.ref)
        at = rec.at if rec is not None else geometry.helpers_by_name[expr.ref].at
        return landmarks_of(at, geometry, seen)
    if isinstance(expr, Lerp):
        return landmarks_of(expr.lerp[0], geometry, seen) | landmarks_of(
            expr.lerp[1], geometry, seen
        )
    if isinstance(expr, Compose):
        out = landmarks_of(expr.x, geometry, seen) | landmarks_of(expr.y, geometry, seen)
        return out | (set() if expr.z is None else landmarks_of(expr.z, geometry, seen))
    if isinstance(expr, Offset):
        return landmarks_of(expr.base, geometry, seen)
    return set()


def main() -> int:
    """Draw the figures of docs/points.md; return the exit status."""
    geometry = load_geometry()
    rgb = load_image(PHOTO)
    face = locate(rgb).primary
    xy = face.landmarks.xy_px
    OUT.mkdir(parents=True, exist_ok=True)
    big = ImageFont.truetype(FONT, 15)
    small = ImageFont.truetype(FONT, 10)
    h, w = rgb.shape[:2]
    for spec in geometry.points:
        side = "midline" if spec.side == "midline" else "left"
        point = face.point(spec.code, side)
        idx = sorted(landmarks_of(spec.at, geometry))
        pts = np.vstack([xy[idx], [point.xy_px]]) if idx else np.array([point.xy_px])
        # A square around the point and its landmarks, at least a third of the face wide.
        lo, hi = pts.min(axis=0), pts.max(axis=0)
        half = max((hi - lo).max() / 2 + 12, face.landmarks.face_width_px / 6)
        cx, cy = (lo + hi) / 2
        x0, y0 = int(max(0, cx - half)), int(max(0, cy - half))
        x1, y1 = int(min(w, cx + half)), int(min(h, cy + half))
        k = SIZE / max(x1 - x0, y1 - y0)
        tile = Image.fromarray(rgb[y0:y1, x0:x1]).resize(
            (round((x1 - x0) * k), round((y1 - y0) * k)), Image.Resampling.LANCZOS
        )
        draw = ImageDraw.Draw(tile)
        for i in idx:
            px, py = (xy[i, 0] - x0) * k, (xy[i, 1] - y0) * k
            draw.ellipse((px - 2.5, py - 2.5, px + 2.5, py + 2.5), fill=(0, 230, 255))
            draw.text(
                (px + 3, py - 6),
                str(i),
                font=small,
                fill=(0, 230, 255),
                stroke_width=1,
                stroke_fill=(0, 0, 0),
            )
        px, py = (point.xy_px[0] - x0) * k, (point.xy_px[1] - y0) * k
        draw.ellipse((px - 6, py - 6, px + 6, py + 6), outline=(255, 40, 40), width=3)
        label = spec.code if point.visible else f"{spec.code} (hidden)"
        draw.text(
            (px + 8, py + 2),
            label,
            font=big,
            fill=(255, 60, 60),
            stroke_width=2,
            stroke_fill=(0, 0, 0),
        )
        tile.save(OUT / f"{spec.code}.jpg", quality=85, optimize=True)
    example = load_image(ROOT / "examples" / "portrait.jpg")
    Image.fromarray(render_overlay(example, locate(example), crop_to_faces=True)).save(
        OUT.parent / "overlay_example_portrait.png", optimize=True
    )
    small = load_image(ROOT / "tests" / "data" / "faces" / "portraits" / "B001232.jpg")
    chosen = ["ST2", "LI20", "EX-HN8", "GV26", "EX-HN7", "GB3", "ST7", "SI19"]
    Image.fromarray(render_overlay(small, locate(small), codes=chosen)).save(
        OUT.parent / "overlay_225px_selected.png", optimize=True
    )
    print(f"wrote {len(geometry.points)} pictures to {OUT} and the two overlays")
    return 0


if __name__ == "__main__":
    sys.exit(main())
