"""The canonical frame: every face resampled to the same pixels per millimetre.

Texture-type measures (ridges, spots, roughness, sharpness) depend on how many
pixels cover a millimetre of skin.  Before measuring, the face is rotated so
the eyes are level and resampled so that the interpupillary distance is
:data:`CANONICAL_IPD_PX` pixels.  A 500 px and a 2,000 px photo of the same face
then give comparable numbers (as long as the small one still resolves the
detail: see the ``face size`` quality check).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import cv2
import numpy as np
from numpy.typing import NDArray
from skimage.color import rgb2lab

from acuface.vocab import IRIS_CENTRE_LEFT, IRIS_CENTRE_RIGHT, MEAN_IPD_MM, Landmarks

#: Interpupillary distance of the canonical frame in pixels.  100 px makes
#: 0.63 mm per pixel: fine enough for forehead and crow's-feet lines (about
#: 1 mm wide), coarse enough that most phone and studio photos are downsampled
#: (never invented detail) when the face fills a reasonable part of the frame.
CANONICAL_IPD_PX = 100.0
#: Millimetres per canonical pixel.
CANONICAL_MM_PER_PX = MEAN_IPD_MM / CANONICAL_IPD_PX
#: Pixels closer than this (mm) to the photo's edge are not measured.
_EDGE_MM = 3.0
#: Margin around the landmark bounding box, as a fraction of the IPD.
_MARGIN_IPD = 0.25


@dataclass(frozen=True)
class CanonicalFace:
    """A face resampled into the canonical frame.

    Attributes
    ----------
    rgb : (H, W, 3) ndarray of uint8
        The resampled face crop.
    lab : (H, W, 3) ndarray of float64
        CIELAB (D65) of ``rgb``.
    xy_px : (478, 2) ndarray of float64
        Landmarks in canonical pixels.
    matrix : (2, 3) ndarray of float64
        Affine map from original-image pixels to canonical pixels.
    source_scale : float
        Canonical pixels per original pixel (< 1: the photo was downsampled).
    valid : (H, W) ndarray of bool
        Pixels that came from at least 3 mm inside the original image.
    """

    rgb: NDArray[np.uint8]
    lab: NDArray[np.float64]
    xy_px: NDArray[np.float64]
    matrix: NDArray[np.float64]
    source_scale: float
    valid: NDArray[np.bool_]

    @property
    def shape_hw(self) -> tuple[int, int]:
        """(H, W) of the canonical crop."""
        return int(self.rgb.shape[0]), int(self.rgb.shape[1])

    @property
    def mm_per_px(self) -> float:
        """Millimetres per canonical pixel (63 mm IPD assumption)."""
        return CANONICAL_MM_PER_PX

    def to_image(self, image_shape: tuple[int, int], values: Any) -> Any:
        """Warp a canonical-frame map back onto the original image.

        Parameters
        ----------
        image_shape : tuple of int
            (H, W) of the original image.
        values : (h, w) or (h, w, C) ndarray
            A map in the canonical frame.

        Returns
        -------
        (H, W) or (H, W, C) ndarray
            The map in original-image pixels (zero outside the crop).
        """
        h, w = image_shape
        inv = cv2.invertAffineTransform(self.matrix)
        return cv2.warpAffine(
            values, inv, (w, h), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT
        )


def similarity_to_canonical(landmarks: Landmarks) -> tuple[NDArray[np.float64], float]:
    """Return the rotation + scale part of the map into the canonical frame.

    Parameters
    ----------
    landmarks : Landmarks

    Returns
    -------
    matrix : (2, 3) ndarray of float64
        Rotation and scale about the origin (no translation yet).
    scale : float
        Canonical pixels per original pixel.
    """
    xy = landmarks.xy_px
    eye_vec = xy[IRIS_CENTRE_LEFT] - xy[IRIS_CENTRE_RIGHT]  # image left -> right
    angle = float(np.arctan2(eye_vec[1], eye_vec[0]))
    # The 3-D iris distance is nearly pose-independent, unlike its 2-D projection.
    scale = CANONICAL_IPD_PX / max(landmarks.iris_distance_px, 1e-6)
    c, s = np.cos(-angle) * scale, np.sin(-angle) * scale
    return np.array([[c, -s, 0.0], [s, c, 0.0]]), float(scale)


def to_canonical(image_rgb: NDArray[np.uint8], landmarks: Landmarks) -> CanonicalFace:
    """Resample the face into the canonical frame.

    Large photos are first shrunk with area averaging (so fine texture is
    averaged, not aliased) and then rotated with bilinear interpolation.

    Parameters
    ----------
    image_rgb : (H, W, 3) ndarray of uint8
    landmarks : Landmarks
        The face's landmarks in ``image_rgb`` pixels.

    Returns
    -------
    CanonicalFace
    """
    rot, scale = similarity_to_canonical(landmarks)
    xy = landmarks.xy_px
    margin = _MARGIN_IPD * CANONICAL_IPD_PX
    canon_xy = xy @ rot[:, :2].T
    lo = canon_xy.min(axis=0) - margin
    hi = canon_xy.max(axis=0) + margin
    if scale >= 1.0:
        # Upsampling: one bicubic warp straight into the canonical frame.
        matrix = rot.copy()
        matrix[:, 2] = -lo
        width, height = (int(np.ceil(v)) for v in hi - lo)
        out = cv2.warpAffine(
            image_rgb,
            matrix,
            (width, height),
            flags=cv2.INTER_CUBIC,
            borderMode=cv2.BORDER_REPLICATE,
        )
        valid = cv2.warpAffine(
            np.ones(image_rgb.shape[:2], np.uint8),
            matrix,
            (width, height),
            flags=cv2.INTER_NEAREST,
            borderMode=cv2.BORDER_CONSTANT,
        ).astype(bool)
    else:
        # Downsampling: rotate at the photo's own resolution (bicubic, so the
        # interpolation blur stays below the canonical pixel), then shrink with
        # area averaging so fine texture is averaged rather than aliased.
        rot1 = rot / scale
        m1 = rot1.copy()
        m1[:, 2] = -lo / scale
        w1, h1 = (int(np.ceil(v / scale)) for v in hi - lo)
        big = cv2.warpAffine(
            image_rgb, m1, (w1, h1), flags=cv2.INTER_CUBIC, borderMode=cv2.BORDER_REPLICATE
        )
        valid_big = cv2.warpAffine(
            np.ones(image_rgb.shape[:2], np.uint8),
            m1,
            (w1, h1),
            flags=cv2.INTER_NEAREST,
            borderMode=cv2.BORDER_CONSTANT,
        )
        width, height = max(1, int(round(w1 * scale))), max(1, int(round(h1 * scale)))
        out = cv2.resize(big, (width, height), interpolation=cv2.INTER_AREA)
        valid = cv2.resize(valid_big, (width, height), interpolation=cv2.INTER_NEAREST).astype(bool)
        # cv2.resize maps pixel centres: canon = (big + 0.5) * r - 0.5 per axis.
        r = np.array([width / w1, height / h1])
        matrix = m1 * r[:, None]
        matrix[:, 2] += 0.5 * r - 0.5
    # Pixels near the photo's edge see the replicated border through every
    # filter; keep only those at least _EDGE_MM inside the photo.
    r_px = int(round(_EDGE_MM / CANONICAL_MM_PER_PX))
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * r_px + 1, 2 * r_px + 1))
    valid = cv2.erode(valid.astype(np.uint8), kernel, borderType=cv2.BORDER_CONSTANT).astype(bool)
    lab = rgb2lab(out)
    return CanonicalFace(
        rgb=np.asarray(out, dtype=np.uint8),
        lab=np.asarray(lab, dtype=np.float64),
        xy_px=xy @ matrix[:, :2].T + matrix[:, 2],
        matrix=matrix,
        source_scale=scale,
        valid=valid,
    )
