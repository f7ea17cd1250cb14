"""Skin metrics on the canonical frame: raw scores with stated formulas.

Every function here is pure and works on a :class:`~acuface.skin.canonical.CanonicalFace`
(fixed millimetres per pixel) and its :class:`~acuface.skin.regions.RegionMasks`.
Formulas, units and references are in ``docs/skin.md``; the short version is in
each docstring.

Lightness-based texture measures use *relative lightness*
``lum = 100 * (L* + 16) / median_face(L* + 16)`` (per cent of the face's own
median).  Since ``L* + 16`` is proportional to the cube root of luminance, a
uniform exposure change multiplies it by a constant and cancels here, so ridge
and spot contrasts do not move with overall brightness.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import Annotated

import numpy as np
from numpy.typing import NDArray
from pydantic import BaseModel, ConfigDict, Field
from scipy import ndimage as ndi
from skimage.filters import sato
from skimage.measure import label, regionprops
from skimage.morphology import skeletonize

from acuface.atlas.datafiles import DataFile, SourceIds, register
from acuface.skin.canonical import CanonicalFace
from acuface.skin.regions import RegionMasks, region_measures
from acuface.vocab import IRIS_CENTRE_LEFT, IRIS_CENTRE_RIGHT, N_LANDMARKS, Landmarks, mirror_index

#: Ridge-filter scales (Gaussian sigma) in millimetres: fine lines to folds.
WRINKLE_SIGMAS_MM = (1.0, 1.5, 2.2)
#: Ridge response (per cent of median lightness) above which a pixel is on a line.
LINE_THRESHOLD = 2.0
#: Band of the texture measure: difference of Gaussians with these sigmas (mm).
#: The lower edge drops pixel-level noise (JPEG, interpolation); the upper edge
#: drops shading and folds.
TEXTURE_SIGMAS_MM = (0.7, 2.0)
#: Erythema: a* more than this above the face's median a*.
ERYTHEMA_DELTA_A = 5.0
#: Spot background: median over a square this wide (mm).
SPOT_BACKGROUND_MM = 8.0
#: Spot: at least this much darker than the background (per cent of median lightness).
SPOT_CONTRAST = 8.0
#: Light smoothing (Gaussian sigma, mm) before thresholding: pixel noise must not
#: decide whether a spot crosses the threshold.
SPOT_SMOOTH_MM = 0.5
#: Spot size limits (mm^2): smaller is pores/noise, larger is shadow or hair.
SPOT_AREA_MM2 = (0.8, 25.0)
#: Spots longer than this many times their width are lines, not spots.
SPOT_MAX_ELONGATION = 3.0
#: Regions searched for spots (folds, lips and beard areas give shadows, not spots).
SPOT_REGIONS = (
    "forehead",
    "glabella",
    "right_crows_feet",
    "left_crows_feet",
    "right_cheek",
    "left_cheek",
    "chin",
)
#: Fewest pixels for a region to be measured (about 12 mm^2 in the canonical frame).
MIN_REGION_PX = 30
#: Smallest share of a region that must lie inside the photo for it to be measured:
#: a half-visible cheek would give a biased, not just noisier, number.
MIN_REGION_COVERAGE = 0.8


def relative_lightness(lab: NDArray[np.float64], face: NDArray[np.bool_]) -> NDArray[np.float64]:
    """Lightness as per cent of the face's median, exposure-invariant.

    Parameters
    ----------
    lab : (H, W, 3) ndarray of float64
        CIELAB image.
    face : (H, W) ndarray of bool
        Skin pixels used for the median.

    Returns
    -------
    (H, W) ndarray of float64
        ``100 * (L* + 16) / median(L* + 16 over face)``.
    """
    cube = lab[..., 0] + 16.0
    ref = float(np.median(cube[face])) if face.any() else float(np.median(cube))
    return 100.0 * cube / max(ref, 1e-6)


def ridge_map(lum: NDArray[np.float64], mm_per_px: float) -> NDArray[np.float64]:
    """Multi-scale Hessian valley response (Sato filter, dark lines).

    Parameters
    ----------
    lum : (H, W) ndarray of float64
        Relative lightness (per cent).
    mm_per_px : float

    Returns
    -------
    (H, W) ndarray of float64
        Sato et al. (1998) line-filter response for dark ridges (valleys), in
        per cent of median lightness, maximum over the scales of
        :data:`WRINKLE_SIGMAS_MM`.
    """
    sigmas = [s / mm_per_px for s in WRINKLE_SIGMAS_MM]
    return np.asarray(sato(lum, sigmas=sigmas, black_ridges=True, mode="reflect"), np.float64)


def ita_deg(lightness: float, b_star: float) -> float:
    """Individual typology angle ``arctan((L* - 50) / b*)`` in degrees.

    Uses ``atan2`` so that b* <= 0 (not skin-like) still gives a finite angle.
    """
    return float(np.degrees(np.arctan2(lightness - 50.0, b_star)))


def region_colour_and_lines(
    canon: CanonicalFace,
    rm: RegionMasks,
    lum: NDArray[np.float64],
    ridges: NDArray[np.float64],
) -> dict[str, dict[str, float]]:
    """Per-region wrinkle, colour and texture scores.

    Parameters
    ----------
    canon : CanonicalFace
    rm : RegionMasks
        Masks in the canonical frame.
    lum : (H, W) ndarray of float64
        Relative lightness.
    ridges : (H, W) ndarray of float64
        Output of :func:`ridge_map`.

    Returns
    -------
    dict of str to dict of str to float
        Per region, by the region's ``measures`` in ``regions.yaml``: lines:
        ``wrinkle_index`` (mean ridge response, %), ``line_density_mm_per_cm2``
        (skeleton length of thresholded ridges per area), ``line_depth`` (mean
        ridge response on line pixels, %); colour: ``L_mean``, ``redness_a``
        (mean a*), ``b_mean``, ``ita_deg``, ``erythema_fraction``; texture
        (cheeks): ``texture_roughness`` (%).
        Regions with fewer than :data:`MIN_REGION_PX` pixels, or less than
        :data:`MIN_REGION_COVERAGE` of their area inside the photo, are omitted.
    """
    mm = canon.mm_per_px
    lab = canon.lab
    face = rm.face
    a_ref = float(np.median(lab[..., 1][face])) if face.any() else 0.0
    lines = ridges > LINE_THRESHOLD
    skeleton = skeletonize(lines)
    s_lo, s_hi = (v / mm for v in TEXTURE_SIGMAS_MM)
    band = ndi.gaussian_filter(lum, s_lo) - ndi.gaussian_filter(lum, s_hi)
    measures = region_measures()
    out: dict[str, dict[str, float]] = {}
    for name, full in rm.masks.items():
        mask = full & canon.valid
        n = int(mask.sum())
        if n < MIN_REGION_PX or n < MIN_REGION_COVERAGE * int(full.sum()):
            continue
        area_cm2 = n * mm * mm / 100.0
        on_line = lines & mask
        lightness = float(lab[..., 0][mask].mean())
        b_mean = float(lab[..., 2][mask].mean())
        which = measures.get(name, frozenset())
        scores: dict[str, float] = {}
        if "lines" in which:
            scores["wrinkle_index"] = float(ridges[mask].mean())
            scores["line_density_mm_per_cm2"] = float((skeleton & mask).sum() * mm / area_cm2)
            scores["line_depth"] = float(ridges[on_line].mean()) if on_line.any() else 0.0
        if "colour" in which:
            scores["L_mean"] = lightness
            scores["redness_a"] = float(lab[..., 1][mask].mean())
            scores["b_mean"] = b_mean
            scores["ita_deg"] = ita_deg(lightness, b_mean)
            scores["erythema_fraction"] = float(
                (lab[..., 1][mask] > a_ref + ERYTHEMA_DELTA_A).mean()
            )
        if "texture" in which:
            scores["texture_roughness"] = float(band[mask].std())
        out[name] = scores
    return out


def dark_circles(regions: dict[str, dict[str, float]]) -> dict[str, float | None]:
    """Under-eye darkness: ΔL* = L*(cheek) - L*(under-eye) per side, and ITA° of each.

    Parameters
    ----------
    regions : dict
        Output of :func:`region_colour_and_lines`.

    Returns
    -------
    dict of str to float or None
        ``left_delta_L``, ``right_delta_L`` (positive: under-eye darker than
        the cheek, in L* units); ``left_darkness_pct``, ``right_darkness_pct``
        (``100 * (1 - (L*eye + 16) / (L*cheek + 16))``: the same contrast made
        independent of overall exposure, per cent); ``left_ita_under_eye``,
        ``left_ita_cheek``, ``right_ita_under_eye``, ``right_ita_cheek``
        (degrees).  None when a region could not be measured.
    """
    out: dict[str, float | None] = {}
    for side in ("left", "right"):
        eye = regions.get(f"{side}_under_eye")
        cheek = regions.get(f"{side}_cheek")
        out[f"{side}_delta_L"] = cheek["L_mean"] - eye["L_mean"] if eye and cheek else None
        out[f"{side}_darkness_pct"] = (
            100.0 * (1.0 - (eye["L_mean"] + 16.0) / (cheek["L_mean"] + 16.0))
            if eye and cheek
            else None
        )
        out[f"{side}_ita_under_eye"] = eye["ita_deg"] if eye else None
        out[f"{side}_ita_cheek"] = cheek["ita_deg"] if cheek else None
    return out


@dataclass(frozen=True)
class SpotResult:
    """Dark spots found in the canonical frame.

    Attributes
    ----------
    mask : (H, W) ndarray of bool
        Pixels of accepted spots.
    count : int
    area_mm2 : float
        Total area of accepted spots.
    per_region : dict of str to int
        Spot count per searched region (by the spot's centroid).
    """

    mask: NDArray[np.bool_]
    count: int
    area_mm2: float
    per_region: dict[str, int]


def dark_spots(canon: CanonicalFace, rm: RegionMasks, lum: NDArray[np.float64]) -> SpotResult:
    """Local dark blobs against the surrounding skin.

    A pixel is a spot candidate when it is at least :data:`SPOT_CONTRAST` per
    cent darker than the median of an :data:`SPOT_BACKGROUND_MM`-wide window
    around it; connected candidates whose area at half their peak contrast is
    in :data:`SPOT_AREA_MM2` and whose elongation is at most
    :data:`SPOT_MAX_ELONGATION` are counted.

    Parameters
    ----------
    canon : CanonicalFace
    rm : RegionMasks
    lum : (H, W) ndarray of float64

    Returns
    -------
    SpotResult
    """
    mm = canon.mm_per_px
    searched = {n: rm.masks[n] & canon.valid for n in SPOT_REGIONS if n in rm.masks}
    area = np.zeros(lum.shape, dtype=bool)
    for m in searched.values():
        area |= m
    size = int(round(SPOT_BACKGROUND_MM / mm)) | 1
    background = ndi.median_filter(lum, size=size, mode="reflect")
    contrast = background - ndi.gaussian_filter(lum, SPOT_SMOOTH_MM / mm)
    candidates = (contrast > SPOT_CONTRAST) & area
    labels = label(candidates, connectivity=2)
    keep = np.zeros(lum.shape, dtype=bool)
    per_region = dict.fromkeys(searched, 0)
    lo, hi = SPOT_AREA_MM2
    total_px = 0
    for prop in regionprops(labels, intensity_image=contrast):
        # Area at half the spot's peak contrast (full width at half maximum):
        # resampling blur widens a spot's foot but not its half-maximum outline.
        sl = prop.slice
        blob = prop.image & (contrast[sl] >= 0.5 * prop.intensity_max)
        n_px = int(blob.sum())
        a_mm2 = n_px * mm * mm
        if not lo <= a_mm2 <= hi:
            continue
        minor = max(prop.axis_minor_length, 1.0)
        if prop.axis_major_length / minor > SPOT_MAX_ELONGATION:
            continue
        keep[sl] |= blob
        total_px += n_px
        cy, cx = (int(round(v)) for v in prop.centroid)
        for n, m in searched.items():
            if m[min(cy, m.shape[0] - 1), min(cx, m.shape[1] - 1)]:
                per_region[n] += 1
                break
    return SpotResult(
        mask=keep,
        count=int(sum(per_region.values()) if per_region else 0),
        area_mm2=float(total_px * mm * mm),
        per_region=per_region,
    )


class SaggingLandmark(BaseModel):
    """One named landmark (or mean of landmarks) of the sagging geometry."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(pattern=r"^[a-z_]+$")
    bilateral: bool = Field(description="True: written for the client's left side, mirrored.")
    indices: list[Annotated[int, Field(ge=0, lt=N_LANDMARKS)]] = Field(
        min_length=1, description="Face Mesh indices (0-477), averaged."
    )
    note: str = Field(min_length=3)
    source: SourceIds


class SaggingFile(BaseModel):
    """The whole ``skin/data/sagging.yaml``."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    schema_version: int
    note: str = Field(min_length=3)
    source: SourceIds
    landmarks: list[SaggingLandmark] = Field(min_length=1)

    @cached_property
    def by_name(self) -> dict[str, SaggingLandmark]:
        """Landmarks keyed by name."""
        return {lm.name: lm for lm in self.landmarks}


#: ``skin/data/sagging.yaml``, registered with the atlas's data-file registry.
SAGGING: DataFile[SaggingFile] = register(
    DataFile(
        name="skin_sagging",
        model=SaggingFile,
        package="acuface.skin",
        filename="sagging.yaml",
        description="landmarks of the lower-face sagging geometry",
    )
)


def _sagging_point(t: NDArray[np.float64], name: str, side: str) -> NDArray[np.float64]:
    """Mean position of a named sagging landmark on *side* (``left``/``right``/``midline``)."""
    spec = SAGGING.load().by_name[name]
    idx = list(spec.indices)
    if spec.bilateral and side == "right":
        mirror = mirror_index()
        idx = [int(mirror[i]) for i in idx]
    return np.asarray(t[idx].mean(axis=0), dtype=np.float64)


def sagging_geometry(
    landmarks: Landmarks, regions: dict[str, dict[str, float]]
) -> dict[str, float | None]:
    """Landmark-based lower-face geometry, normalised by the iris distance.

    Coordinates are in the face's own frame (head rotation removed with the
    template fit), divided by the 3-D iris distance, so the numbers do not
    depend on image size or moderate pose.

    Parameters
    ----------
    landmarks : Landmarks
    regions : dict
        Output of :func:`region_colour_and_lines` (for the fold shading).

    Returns
    -------
    dict of str to float or None
        ``mouth_corner_below_eyes_left/right``: vertical distance of the mouth
        corner below the iris line (IPD units); ``mouth_corner_tilt``: mean
        height of the corners below the lip midline (IPD units, positive =
        corners turned down); ``jaw_width_ratio``: width at the jaw angles over
        width at the cheekbones; ``lower_face_height``: chin below the iris
        line (IPD units); ``nasolabial_shadow_left/right``: L*(cheek) -
        L*(nasolabial), a shading proxy of fold depth (L* units).
    """
    t = landmarks.to_template_frame()
    ipd = max(landmarks.iris_distance_px, 1e-6)
    eye_y = 0.5 * (t[IRIS_CENTRE_LEFT, 1] + t[IRIS_CENTRE_RIGHT, 1])
    lip_mid_y = _sagging_point(t, "lip_midline", "midline")[1]
    right_corner = _sagging_point(t, "mouth_corner", "right")
    left_corner = _sagging_point(t, "mouth_corner", "left")
    jaw_angles = [_sagging_point(t, "jaw_angle", side)[:2] for side in ("right", "left")]
    cheekbones = [_sagging_point(t, "cheekbone_contour", side)[:2] for side in ("right", "left")]
    out: dict[str, float | None] = {
        "mouth_corner_below_eyes_left": float((left_corner[1] - eye_y) / ipd),
        "mouth_corner_below_eyes_right": float((right_corner[1] - eye_y) / ipd),
        "mouth_corner_tilt": float((0.5 * (left_corner[1] + right_corner[1]) - lip_mid_y) / ipd),
        "jaw_width_ratio": float(
            np.linalg.norm(jaw_angles[0] - jaw_angles[1])
            / np.linalg.norm(cheekbones[0] - cheekbones[1])
        ),
        "lower_face_height": float((_sagging_point(t, "chin", "midline")[1] - eye_y) / ipd),
    }
    for side in ("left", "right"):
        fold = regions.get(f"{side}_nasolabial")
        cheek = regions.get(f"{side}_cheek")
        out[f"nasolabial_shadow_{side}"] = (
            cheek["L_mean"] - fold["L_mean"] if fold and cheek else None
        )
    return out
