"""Same face, different pixels: scale (0.5x / 2x), in-plane rotation, mirror image."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from acuface.locator.landmarks import detect_one
from acuface.skin import analyse

REGIONS = ("forehead", "glabella", "right_cheek", "left_cheek", "chin")


@pytest.fixture(scope="module", params=["half", "double", "rotated"])
def variant(request, obama_rgb):
    if request.param == "half":
        return cv2.resize(obama_rgb, None, fx=0.5, fy=0.5, interpolation=cv2.INTER_AREA)
    if request.param == "double":
        return cv2.resize(obama_rgb, None, fx=2.0, fy=2.0, interpolation=cv2.INTER_CUBIC)
    h, w = obama_rgb.shape[:2]
    m = cv2.getRotationMatrix2D((w / 2, h / 2), 5.0, 1.0)
    return cv2.warpAffine(
        obama_rgb, m, (w, h), flags=cv2.INTER_CUBIC, borderMode=cv2.BORDER_REFLECT
    )


def test_metrics_do_not_depend_on_resolution_or_roll(variant, obama_analysis):
    base, other = obama_analysis.report, analyse(variant, detect_one(variant))
    for name in REGIONS:
        a, b = base.regions[name], other.regions[name]
        assert b["wrinkle_index"] == pytest.approx(a["wrinkle_index"], rel=0.12), name
        assert b["L_mean"] == pytest.approx(a["L_mean"], abs=1.0), name
        assert b["redness_a"] == pytest.approx(a["redness_a"], abs=0.8), name
    for side in ("left", "right"):
        cheek_a, cheek_b = base.regions[f"{side}_cheek"], other.regions[f"{side}_cheek"]
        assert cheek_b["texture_roughness"] == pytest.approx(cheek_a["texture_roughness"], rel=0.1)
        key = f"{side}_delta_L"
        assert other.dark_circles[key] == pytest.approx(base.dark_circles[key], abs=1.0)
    for key, value in base.sagging.items():
        tol = 1.0 if key.startswith("nasolabial") else 0.03
        assert other.sagging[key] == pytest.approx(value, abs=tol), key


def test_mirror_image_swaps_the_anatomical_sides(obama_rgb, obama_analysis):
    base = obama_analysis.report
    flipped = np.ascontiguousarray(obama_rgb[:, ::-1])
    mirrored = analyse(flipped, detect_one(flipped))
    for region in ("cheek", "under_eye"):
        left, right = base.regions[f"left_{region}"], base.regions[f"right_{region}"]
        # The sides differ by more than the tolerance, so a swap would be caught.
        assert abs(left["L_mean"] - right["L_mean"]) > 2.5
        assert mirrored.regions[f"right_{region}"]["L_mean"] == pytest.approx(
            left["L_mean"], abs=1.0
        )
        assert mirrored.regions[f"left_{region}"]["L_mean"] == pytest.approx(
            right["L_mean"], abs=1.0
        )
    # Obama's left under-eye is clearly darker than his right (about 15 vs 9.6 ΔL*).
    assert base.dark_circles["left_delta_L"] > base.dark_circles["right_delta_L"] + 3
    assert mirrored.dark_circles["right_delta_L"] > mirrored.dark_circles["left_delta_L"] + 3
