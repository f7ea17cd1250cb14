"""One photo in, one :class:`~acuface.skin.report.SkinReport` out."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from acuface.errors import UnsupportedImage
from acuface.skin.canonical import CanonicalFace, to_canonical
from acuface.skin.metrics import (
    SpotResult,
    dark_circles,
    dark_spots,
    region_colour_and_lines,
    relative_lightness,
    ridge_map,
    sagging_geometry,
)
from acuface.skin.quality import quality_from_canonical
from acuface.skin.regions import RegionMasks, region_masks
from acuface.skin.report import METHOD_VERSION, SkinReport, SpotsReport
from acuface.vocab import Landmarks


@dataclass(frozen=True)
class Analysis:
    """A report plus the intermediate maps, for overlays.

    Attributes
    ----------
    report : SkinReport
    landmarks : Landmarks
        Landmarks in the original image.
    canonical : CanonicalFace
    masks : RegionMasks
        Region masks in the canonical frame.
    ridges : (h, w) ndarray of float64
        Ridge (wrinkle) response in the canonical frame.
    spots : SpotResult
    """

    report: SkinReport
    landmarks: Landmarks
    canonical: CanonicalFace
    masks: RegionMasks
    ridges: NDArray[np.float64]
    spots: SpotResult


def analyse_full(
    image_rgb: NDArray[np.uint8], landmarks: Landmarks, *, label: str = "photo"
) -> Analysis:
    """Measure a photo and keep the intermediate maps.

    Parameters
    ----------
    image_rgb : (H, W, 3) ndarray of uint8
    landmarks : Landmarks
        Landmarks of the face to measure, from the locator
        (:func:`acuface.locator.landmarks.detect_one`); skin analysis never runs
        the face detector itself.
    label : str, keyword-only
        Name used in error messages.

    Returns
    -------
    Analysis

    Raises
    ------
    UnsupportedImage
        Not an (H, W, 3) uint8 array.
    """
    if image_rgb.ndim != 3 or image_rgb.shape[2] != 3 or image_rgb.dtype != np.uint8:
        raise UnsupportedImage(
            f"{label}: expected an (H, W, 3) uint8 RGB image, got "
            f"{image_rgb.shape} {image_rgb.dtype}"
        )
    lm = landmarks
    canon = to_canonical(image_rgb, lm)
    rm = region_masks(canon.xy_px, canon.shape_hw, mm_per_px=canon.mm_per_px)
    quality = quality_from_canonical(canon, rm, lm)
    lum = relative_lightness(canon.lab, rm.face & canon.valid)
    ridges = ridge_map(lum, canon.mm_per_px)
    regions = region_colour_and_lines(canon, rm, lum, ridges)
    spots = dark_spots(canon, rm, lum)
    h, w = image_rgb.shape[:2]
    report = SkinReport(
        method_version=METHOD_VERSION,
        image_wh=(w, h),
        mm_per_px=lm.mm_per_px,
        canonical_mm_per_px=canon.mm_per_px,
        quality=quality,
        regions=regions,
        dark_circles=dark_circles(regions),
        spots=SpotsReport(count=spots.count, area_mm2=spots.area_mm2, per_region=spots.per_region),
        sagging=sagging_geometry(lm, regions),
    )
    return Analysis(
        report=report, landmarks=lm, canonical=canon, masks=rm, ridges=ridges, spots=spots
    )


def analyse(image_rgb: NDArray[np.uint8], landmarks: Landmarks) -> SkinReport:
    """Measure capture quality and skin metrics on one photo.

    Parameters
    ----------
    image_rgb : (H, W, 3) ndarray of uint8
        RGB photo (see :func:`acuface.locator.image.load_image`).
    landmarks : Landmarks
        Landmarks of the face to measure (see :func:`analyse_full`).

    Returns
    -------
    SkinReport
        Raw scores per region, dark circles, spots, sagging geometry and the
        quality report.  A photo that fails the quality gate is still measured;
        ``report.quality.ok`` says whether the numbers should be trusted.
    """
    return analyse_full(image_rgb, landmarks).report
