"""Is a neck point covered? Skin tests on the photo for points flagged ``skin_check``.

Neck points (CV23, ST9, SI17) lie off the face mesh; in ordinary portraits
they fall on a shirt collar, a scarf, a beard, or behind the chin when the head
is lowered. Two tests, both pure functions of the landmarks and the pixels:

* **behind the face**: the point projects inside the face outline (Face Mesh's
  face oval), so the chin or jaw is in front of it;
* **not skin**: the median colour of a small patch under the point differs from
  the face's own skin colour (the median over patches on both cheeks) in hue or
  saturation the way fabric and hair do. Shading is allowed for: the neck
  under the chin is darker than the cheeks, so lightness may drop a lot while
  hue and saturation must stay close.

In a greyscale photo the colour test cannot tell skin from a white collar; it
then keeps the geometric visibility (the low base confidence of these points
still says "estimated").
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np
from numpy.typing import NDArray

#: Largest hue difference (degrees, CIE LCh) still counted as the same skin.
MAX_HUE_DEG = 25.0
#: Chroma of the patch relative to the face's skin: fabric is greyer, or gaudier.
CHROMA_RATIO = (0.45, 2.0)
#: Lightness relative to the face's skin (shadow under the chin allowed).
MIN_LIGHTNESS_RATIO = 0.3
#: Below this chroma the face's colour says nothing (greyscale or very pale photos).
MIN_REFERENCE_CHROMA = 5.0

# D65 sRGB -> XYZ.
_RGB_TO_XYZ = np.array(
    [
        [0.4124564, 0.3575761, 0.1804375],
        [0.2126729, 0.7151522, 0.0721750],
        [0.0193339, 0.1191920, 0.9503041],
    ]
)
_WHITE = np.array([0.95047, 1.0, 1.08883])


def srgb_to_lab(rgb: NDArray[np.uint8] | NDArray[np.float64]) -> NDArray[np.float64]:
    """CIE L*a*b* (D65) of sRGB colours.

    Parameters
    ----------
    rgb : (..., 3) ndarray of uint8 (0-255) or float (0-1)

    Returns
    -------
    (..., 3) ndarray of float64
        L* in 0-100, a*, b*.
    """
    c = np.asarray(rgb, dtype=np.float64)
    if np.asarray(rgb).dtype == np.uint8:
        c = c / 255.0
    lin = np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)
    xyz = lin @ _RGB_TO_XYZ.T / _WHITE
    f = np.where(xyz > (6 / 29) ** 3, np.cbrt(xyz), xyz / (3 * (6 / 29) ** 2) + 4 / 29)
    return np.stack(
        [116 * f[..., 1] - 16, 500 * (f[..., 0] - f[..., 1]), 200 * (f[..., 1] - f[..., 2])],
        axis=-1,
    )


def patch_lab(
    image_rgb: NDArray[np.uint8], xy_px: NDArray[np.float64], radius_px: float
) -> NDArray[np.float64]:
    """Median L*a*b* of a square patch around each point (NaN outside the image).

    Parameters
    ----------
    image_rgb : (H, W, 3) ndarray of uint8
    xy_px : (N, 2) ndarray of float64
    radius_px : float
        Half the patch side (at most 12 px are sampled each way: a median
        needs no more).

    Returns
    -------
    (N, 3) ndarray of float64
    """
    h, w = image_rgb.shape[:2]
    r = max(1, int(round(radius_px)))
    step = max(1, r // 12)
    dy, dx = _patch_offsets(r, step)
    xy = np.asarray(xy_px, dtype=np.float64).reshape(-1, 2)
    corner = np.floor(xy).astype(np.intp)
    # Whole patches inside the image (the usual case): one gather, no masks.
    # The median does not depend on the order of a patch's pixels.
    if ((corner >= r) & (corner < (w - dx[-1], h - dy[-1]))).all():
        pixels = image_rgb[corner[:, 1:] + dy, corner[:, :1] + dx]
        return srgb_to_lab(_median_uint8(pixels) / 255.0)
    offsets = np.arange(-r, r + 1, step)
    cx, cy = corner[:, 0], corner[:, 1]
    xs = cx[:, None, None] + offsets[None, None, :]
    ys = cy[:, None, None] + offsets[None, :, None]
    inside = (xs >= 0) & (xs < w) & (ys >= 0) & (ys < h)
    # One gather for all patches; pixels outside the image are left out of the
    # median (a patch entirely outside is NaN).
    pixels = image_rgb[np.clip(ys, 0, h - 1), np.clip(xs, 0, w - 1)]
    pixels = pixels.reshape(len(xy), -1, 3)
    mask = np.broadcast_to(inside, (len(xy), len(offsets), len(offsets))).reshape(len(xy), -1)
    rgb = np.full((len(xy), 3), np.nan)
    full = mask.all(axis=1)
    if full.any():
        rgb[full] = _median_uint8(pixels[full])
    for k in np.flatnonzero(~full & mask.any(axis=1)):  # patches cut by the frame: rare
        rgb[k] = np.median(pixels[k][mask[k]].astype(np.float64), axis=0)
    return srgb_to_lab(rgb / 255.0)


@lru_cache(maxsize=16)
def _patch_offsets(r: int, step: int) -> tuple[NDArray[np.intp], NDArray[np.intp]]:
    """Row and column offsets of a patch's sampled pixels, flattened (y slowest)."""
    offsets = np.arange(-r, r + 1, step, dtype=np.intp)
    dy, dx = np.meshgrid(offsets, offsets, indexing="ij")
    return dy.ravel(), dx.ravel()


def median_rows(values: NDArray[np.float64]) -> NDArray[np.float64]:
    """``np.median(values, axis=0)`` of a few finite rows, without its general machinery.

    Parameters
    ----------
    values : (N, C) ndarray of float64
        N >= 1 rows, no NaN.

    Returns
    -------
    (C,) ndarray of float64
        The middle value per column, or the mean of the two middle values.
    """
    ordered = np.sort(values, axis=0)
    half = len(ordered) // 2
    if len(ordered) % 2:
        return ordered[half]
    return np.asarray((ordered[half - 1] + ordered[half]) / 2.0, dtype=np.float64)


def _median_uint8(pixels: NDArray[np.uint8]) -> NDArray[np.float64]:
    """Median over axis 1 of (N, P, C) uint8 values, exactly as ``np.median`` gives it.

    Partitioning the bytes themselves is several times cheaper than
    ``np.median`` on their float copy (which also checks for NaN that bytes
    cannot hold); the middle value, or the mean of the two middle values for
    an even count, is the same number.
    """
    n = pixels.shape[1]
    half = n // 2
    if n % 2:
        return np.partition(pixels, half, axis=1)[:, half].astype(np.float64)
    part = np.partition(pixels, (half - 1, half), axis=1)
    return (part[:, half - 1].astype(np.float64) + part[:, half]) / 2.0


def looks_like_skin(
    patch: NDArray[np.float64], reference: NDArray[np.float64]
) -> NDArray[np.bool_] | None:
    """Which patches have the colour of the reference skin (None: cannot tell).

    Parameters
    ----------
    patch : (N, 3) ndarray of float64
        L*a*b* of the patches under the points.
    reference : (3,) ndarray of float64
        L*a*b* of the face's skin.

    Returns
    -------
    (N,) ndarray of bool, or None
        None when the reference has too little colour (greyscale photo).
    """
    ref_c = float(np.hypot(reference[1], reference[2]))
    if not np.isfinite(ref_c) or ref_c < MIN_REFERENCE_CHROMA:
        return None
    c = np.hypot(patch[:, 1], patch[:, 2])
    dh = np.degrees(
        np.abs(
            np.angle(
                np.exp(
                    1j
                    * (
                        np.arctan2(patch[:, 2], patch[:, 1])
                        - np.arctan2(reference[2], reference[1])
                    )
                )
            )
        )
    )
    ratio = c / ref_c
    with np.errstate(invalid="ignore"):
        ok = (
            (dh <= MAX_HUE_DEG)
            & (ratio >= CHROMA_RATIO[0])
            & (ratio <= CHROMA_RATIO[1])
            & (patch[:, 0] >= MIN_LIGHTNESS_RATIO * reference[0])
        )
    return np.asarray(ok & np.isfinite(patch).all(axis=1), dtype=bool)


def inside_polygon(xy: NDArray[np.float64], polygon: NDArray[np.float64]) -> NDArray[np.bool_]:
    """Even-odd rule: which points lie inside a closed polygon.

    Parameters
    ----------
    xy : (N, 2) ndarray of float64
    polygon : (M, 2) ndarray of float64
        Vertices in order (closed implicitly).

    Returns
    -------
    (N,) ndarray of bool
    """
    x, y = xy[:, 0][:, None], xy[:, 1][:, None]
    ax, ay = polygon[:, 0][None, :], polygon[:, 1][None, :]
    # Each edge's far end: the next vertex, the last edge closing on the first.
    following = np.concatenate((polygon[1:], polygon[:1]))
    bx, by = following[:, 0][None, :], following[:, 1][None, :]
    crosses = (ay > y) != (by > y)
    with np.errstate(divide="ignore", invalid="ignore"):
        x_at = ax + (y - ay) * (bx - ax) / (by - ay)
    return np.asarray(((crosses & (x < x_at)).sum(axis=1) % 2) == 1, dtype=bool)
