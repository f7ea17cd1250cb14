"""Region masks from real landmarks: names, sides, placement, overlap, data validation."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
import yaml
from pydantic import ValidationError

from acuface.skin.regions import RegionFile, load_region_file, region_masks, region_names

EXPECTED = {
    "forehead", "glabella", "right_crows_feet", "left_crows_feet", "right_under_eye",
    "left_under_eye", "right_cheek", "left_cheek", "right_nasolabial", "left_nasolabial",
    "perioral", "right_marionette", "left_marionette", "chin", "jawline",
}  # fmt: skip


def test_every_required_region_is_defined_with_a_source():
    assert set(region_names()) == EXPECTED
    data = load_region_file()
    assert data.source
    assert all(r.source for r in data.regions + data.features)


def test_metric_families_follow_the_data(obama_analysis):
    regions = obama_analysis.report.regions
    assert "wrinkle_index" not in regions["jawline"]  # colour only: its edge is the outline
    assert "L_mean" in regions["jawline"]
    assert {"texture_roughness", "wrinkle_index"} <= set(regions["left_cheek"])
    assert "texture_roughness" not in regions["forehead"]


def test_bad_landmark_index_is_rejected():
    raw = load_region_file().model_dump()
    raw["regions"][0]["polygon"][0] = 999
    with pytest.raises(ValidationError, match="out of range"):
        RegionFile.model_validate(raw)
    raw = yaml.safe_load(yaml.safe_dump(load_region_file().model_dump()))
    raw["regions"][0]["colour"] = "red"
    with pytest.raises(ValidationError):
        RegionFile.model_validate(raw)


def test_masks_lie_inside_the_face_and_are_non_empty(obama_rgb, obama_landmarks):
    h, w = obama_rgb.shape[:2]
    rm = region_masks(obama_landmarks.xy_px, (h, w), mm_per_px=obama_landmarks.mm_per_px)
    hull = cv2.convexHull(obama_landmarks.xy_px[:468].astype(np.float32)).astype(np.int32)
    face = np.zeros((h, w), np.uint8)
    cv2.fillPoly(face, [hull], 1)
    # 2 px (~1 mm) of slack: the hull is rasterised on whole pixels, the masks sub-pixel.
    face = cv2.dilate(face, np.ones((5, 5), np.uint8))
    for name, mask in rm.masks.items():
        area_mm2 = mask.sum() * obama_landmarks.mm_per_px**2
        assert area_mm2 > 40, name  # every region is a real patch of skin
        inside = (mask & face.astype(bool)).sum() / mask.sum()
        assert inside > 0.99, name
        assert not (mask & rm.features).any(), name  # eyes/brows/lips cut out


def test_raw_polygons_barely_overlap(obama_rgb, obama_landmarks):
    h, w = obama_rgb.shape[:2]
    rm = region_masks(
        obama_landmarks.xy_px, (h, w), mm_per_px=obama_landmarks.mm_per_px, exclusive=False
    )
    names = list(rm.masks)
    for i, a in enumerate(names):
        for b in names[i + 1 :]:
            inter = (rm.masks[a] & rm.masks[b]).sum()
            smaller = min(rm.masks[a].sum(), rm.masks[b].sum())
            assert inter / smaller < 0.06, (a, b, inter / smaller)


def test_sides_are_anatomical_and_symmetric(obama_rgb, obama_landmarks):
    h, w = obama_rgb.shape[:2]
    rm = region_masks(obama_landmarks.xy_px, (h, w), mm_per_px=obama_landmarks.mm_per_px)
    nose_x = obama_landmarks.xy_px[1, 0]
    for base in ("crows_feet", "under_eye", "cheek", "nasolabial", "marionette"):
        left, right = rm.masks[f"left_{base}"], rm.masks[f"right_{base}"]
        # The client's left is on the image's right in a frontal photo.
        assert np.nonzero(left)[1].mean() > nose_x > np.nonzero(right)[1].mean(), base
        ratio = left.sum() / right.sum()
        assert 0.6 < ratio < 1.6, (base, ratio)
