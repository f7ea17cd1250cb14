"""Capture-quality gate: decide whether a photo is fit for skin measurement.

Each check has a stated limit (:class:`QualityLimits`) and, when it fails, a
sentence the person holding the camera can act on.  The limits and how they
were chosen are in ``docs/skin.md``.
"""

from __future__ import annotations

from typing import Any

import cv2
import numpy as np
from numpy.typing import NDArray
from pydantic import BaseModel, ConfigDict

from acuface.skin.canonical import CanonicalFace, to_canonical
from acuface.skin.metrics import relative_lightness
from acuface.skin.regions import RegionMasks, feature_polygons, region_masks
from acuface.skin.report import QualityReport
from acuface.vocab import IRIS_CENTRE_LEFT, IRIS_CENTRE_RIGHT, Landmarks


class QualityLimits(BaseModel):
    """Limits of the capture-quality checks (defaults documented in docs/skin.md)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    #: Largest |yaw|, |pitch|, |roll| in degrees for a "frontal" photo.
    max_yaw_deg: float = 8.0
    max_pitch_deg: float = 10.0
    max_roll_deg: float = 10.0
    #: Smallest interpupillary distance in image pixels: below the canonical
    #: 100 px the photo is upsampled and fine lines are not resolved.
    min_ipd_px: float = 80.0
    #: Largest share of the measured face outside (or within 3 mm of) the photo's edge.
    max_outside_fraction: float = 0.02
    #: Smallest variance of the Laplacian (canonical frame, relative lightness).
    min_sharpness: float = 8.0
    #: Range of mean facial-skin L*.
    min_skin_L: float = 25.0
    max_skin_L: float = 85.0
    #: Largest fraction of skin pixels blown out / crushed.
    max_highlight_clip: float = 0.02
    max_shadow_clip: float = 0.02
    #: Largest |L*(left cheek) - L*(right cheek)|.
    max_lighting_asymmetry_L: float = 10.0
    #: Largest |a*| and range of b* of the whites of the eyes.  Healthy sclera
    #: reads slightly yellow (b* about +4 to +17 on the vendored photos), so the
    #: b* range is not symmetric.
    max_sclera_a: float = 12.0
    min_sclera_b: float = -10.0
    max_sclera_b: float = 20.0


DEFAULT_LIMITS = QualityLimits()


def _sclera_ab(
    canon: CanonicalFace, features_xy: dict[str, NDArray[np.float64]]
) -> tuple[float | None, float | None]:
    """Median a*, b* of the brightest eye-white pixels (None if too few)."""
    h, w = canon.rgb.shape[:2]
    mask: Any = np.zeros((h, w), np.uint8)
    for name in ("right_eye", "left_eye"):
        pts = np.round(features_xy[name]).astype(np.int32).reshape(-1, 1, 2)
        cv2.fillPoly(mask, [pts], (1,))
    mask = cv2.erode(mask, np.ones((3, 3), np.uint8)).astype(bool)
    xy = canon.xy_px
    # Each iris centre is followed by the four points of its ring.
    irises = (
        (IRIS_CENTRE_RIGHT, range(IRIS_CENTRE_RIGHT + 1, IRIS_CENTRE_RIGHT + 5)),
        (IRIS_CENTRE_LEFT, range(IRIS_CENTRE_LEFT + 1, IRIS_CENTRE_LEFT + 5)),
    )
    for centre, ring in irises:
        radius = float(np.mean([np.linalg.norm(xy[i] - xy[centre]) for i in ring]))
        yy, xx = np.ogrid[:h, :w]
        cx, cy = xy[centre]
        mask &= (xx - cx) ** 2 + (yy - cy) ** 2 > (1.15 * radius) ** 2
    lab = canon.lab
    if mask.sum() < 12:
        return None, None
    light = lab[..., 0][mask]
    bright = mask & (lab[..., 0] >= np.percentile(light, 60))
    if bright.sum() < 6:
        return None, None
    return float(np.median(lab[..., 1][bright])), float(np.median(lab[..., 2][bright]))


def quality_from_canonical(
    canon: CanonicalFace,
    rm: RegionMasks,
    landmarks: Landmarks,
    *,
    limits: QualityLimits = DEFAULT_LIMITS,
) -> QualityReport:
    """Run every quality check on an already-resampled face.

    Parameters
    ----------
    canon : CanonicalFace
    rm : RegionMasks
        Region masks in the canonical frame.
    landmarks : Landmarks
        Landmarks in the original image (pose, face size).
    limits : QualityLimits, keyword-only

    Returns
    -------
    QualityReport
    """
    pose = landmarks.pose
    issues: list[str] = []
    failed: list[str] = []

    def fail(check: str, advice: str) -> None:
        failed.append(check)
        issues.append(advice)

    yaw, pitch, roll = pose.yaw_deg, pose.pitch_deg, pose.roll_deg
    if abs(yaw) > limits.max_yaw_deg:
        toward, back = ("left", "right") if yaw > 0 else ("right", "left")
        fail(
            "yaw",
            f"head turned {abs(yaw):.0f}° toward the client's {toward}: ask them to turn "
            f"{abs(yaw):.0f}° to their {back} and look straight into the camera "
            f"(limit ±{limits.max_yaw_deg:.0f}°)",
        )
    if abs(pitch) > limits.max_pitch_deg:
        if pitch > 0:
            advice = f"chin raised {pitch:.0f}°: lower the chin by {pitch:.0f}°"
        else:
            advice = f"chin lowered {-pitch:.0f}°: raise the chin by {-pitch:.0f}°"
        fail("pitch", f"{advice}, camera at eye level (limit ±{limits.max_pitch_deg:.0f}°)")
    if abs(roll) > limits.max_roll_deg:
        toward, back = ("left", "right") if roll > 0 else ("right", "left")
        fail(
            "roll",
            f"head tilted {abs(roll):.0f}° toward the client's {toward} shoulder: level the "
            f"head (tilt {abs(roll):.0f}° toward the {back} shoulder)",
        )
    ipd = landmarks.iris_distance_px
    if ipd < limits.min_ipd_px:
        fail(
            "face_size",
            f"face too small ({ipd:.0f} px between the pupils, need at least "
            f"{limits.min_ipd_px:.0f}): move the camera closer or use a higher resolution; "
            "fine lines and texture cannot be measured reliably",
        )

    face = rm.face
    outside = float((face & ~canon.valid).sum() / max(int(face.sum()), 1))
    if outside > limits.max_outside_fraction:
        fail(
            "framing",
            f"{100 * outside:.0f}% of the measured face is outside the photo (or at its "
            "edge): frame the whole face with some space around it; regions cut off are "
            "not measured",
        )
    skin = face & canon.valid
    skin_eroded = cv2.erode(skin.astype(np.uint8), np.ones((5, 5), np.uint8)).astype(bool)
    lum = relative_lightness(canon.lab, skin)
    lap = cv2.Laplacian(lum, cv2.CV_64F, ksize=1)
    sharpness = float(lap[skin_eroded].var()) if skin_eroded.any() else 0.0
    if sharpness < limits.min_sharpness:
        fail(
            "sharpness",
            f"photo is blurred (sharpness {sharpness:.1f}, need at least "
            f"{limits.min_sharpness:.0f}): focus on the eyes, hold the camera steady and add "
            "light so the shutter is faster",
        )
    lightness = canon.lab[..., 0]
    skin_l = float(lightness[skin].mean()) if skin.any() else 0.0
    if skin_l < limits.min_skin_L:
        fail(
            "exposure",
            f"too dark (skin L* {skin_l:.0f}, need at least {limits.min_skin_L:.0f}): "
            "add light from the front or increase exposure",
        )
    elif skin_l > limits.max_skin_L:
        fail(
            "exposure",
            f"too bright (skin L* {skin_l:.0f}, at most {limits.max_skin_L:.0f}): "
            "reduce the light or the exposure",
        )
    rgb = canon.rgb
    hi_clip = float((rgb[skin].max(axis=1) >= 250).mean()) if skin.any() else 0.0
    lo_clip = float((lightness[skin] < 8.0).mean()) if skin.any() else 0.0
    if hi_clip > limits.max_highlight_clip:
        fail(
            "highlights",
            f"{100 * hi_clip:.0f}% of the skin is blown out: use soft, diffuse light instead "
            "of direct flash and blot shiny skin",
        )
    if lo_clip > limits.max_shadow_clip:
        fail(
            "shadows",
            f"{100 * lo_clip:.0f}% of the skin is in black shadow: add fill light from the front",
        )
    asym = 0.0
    left, right = rm.masks.get("left_cheek"), rm.masks.get("right_cheek")
    if left is not None and right is not None and left.any() and right.any():
        asym = float(lightness[left].mean() - lightness[right].mean())
    if abs(asym) > limits.max_lighting_asymmetry_L:
        darker = "right" if asym > 0 else "left"
        fail(
            "lighting",
            f"uneven light: the client's {darker} cheek is {abs(asym):.0f} L* darker than the "
            f"other: light the face evenly from the front (or add light on the {darker} side)",
        )
    sa, sb = _sclera_ab(canon, feature_polygons(canon.xy_px))
    if sa is not None and sb is not None:
        if abs(sa) > limits.max_sclera_a or not limits.min_sclera_b <= sb <= limits.max_sclera_b:
            fail(
                "colour_cast",
                f"colour cast (whites of the eyes a* {sa:.0f}, b* {sb:.0f}): set the white "
                "balance to daylight or auto and avoid mixed light sources",
            )
    return QualityReport(
        ok=not failed,
        issues=issues,
        yaw=yaw,
        pitch=pitch,
        roll=roll,
        sharpness=sharpness,
        exposure=skin_l,
        face_ipd_px=ipd,
        highlight_clip_fraction=hi_clip,
        shadow_clip_fraction=lo_clip,
        lighting_asymmetry_L=asym,
        sclera_a=sa,
        sclera_b=sb,
        failed=failed,
    )


def check_quality(
    image_rgb: NDArray[np.uint8],
    landmarks: Landmarks,
    *,
    limits: QualityLimits = DEFAULT_LIMITS,
) -> QualityReport:
    """Check whether a photo is fit for skin measurement.

    Parameters
    ----------
    image_rgb : (H, W, 3) ndarray of uint8
    landmarks : Landmarks
        The face's landmarks in ``image_rgb`` pixels.
    limits : QualityLimits, keyword-only

    Returns
    -------
    QualityReport
    """
    canon = to_canonical(image_rgb, landmarks)
    rm = region_masks(canon.xy_px, canon.shape_hw, mm_per_px=canon.mm_per_px)
    return quality_from_canonical(canon, rm, landmarks, limits=limits)
