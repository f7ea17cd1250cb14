"""Known-answer checks: edit a real face's pixels inside its own region masks.

The regions come from the photo's real landmarks; the edits (drawn lines, a
darkened under-eye, a redder cheek, dark dots) have known size, so the metrics
must move in the known direction by about the known amount.
"""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from acuface.skin.analysis import analyse_full
from acuface.skin.regions import region_masks


@pytest.fixture(scope="module")
def masks(obama_rgb, obama_landmarks):
    h, w = obama_rgb.shape[:2]
    return region_masks(obama_landmarks.xy_px, (h, w), mm_per_px=obama_landmarks.mm_per_px)


def _with_lines(rgb, region, n_lines, *, darken=0.78, width_px=2):
    ys, xs = np.nonzero(region)
    y0, y1, x0, x1 = ys.min(), ys.max(), xs.min(), xs.max()
    canvas = np.zeros(region.shape, np.uint8)
    for k in range(n_lines):
        y = int(round(y0 + (k + 1) * (y1 - y0) / (n_lines + 1)))
        cv2.line(canvas, (int(x0), y), (int(x1), y), 1, width_px)
    hit = canvas.astype(bool) & region
    out = rgb.copy()
    out[hit] = (out[hit] * darken).astype(np.uint8)
    return out


def test_more_drawn_lines_raise_the_wrinkle_scores(obama_rgb, obama_landmarks, masks):
    index, density = [], []
    for n in (0, 2, 4, 8):
        img = _with_lines(obama_rgb, masks.masks["forehead"], n)
        region = analyse_full(img, landmarks=obama_landmarks).report.regions["forehead"]
        index.append(region["wrinkle_index"])
        density.append(region["line_density_mm_per_cm2"])
    assert all(b > a for a, b in zip(index, index[1:], strict=False)), index
    assert all(b > a for a, b in zip(density, density[1:], strict=False)), density
    assert index[-1] > 2 * index[0]


def test_lines_on_the_forehead_leave_the_cheeks_alone(obama_rgb, obama_landmarks, masks):
    base = analyse_full(obama_rgb, landmarks=obama_landmarks).report.regions
    img = _with_lines(obama_rgb, masks.masks["forehead"], 6)
    after = analyse_full(img, landmarks=obama_landmarks).report.regions
    # Only indirectly, through the face-median lightness used as the contrast unit.
    assert after["right_cheek"]["wrinkle_index"] == pytest.approx(
        base["right_cheek"]["wrinkle_index"], rel=0.05
    )
    assert after["forehead"]["wrinkle_index"] > 2 * base["forehead"]["wrinkle_index"]


def test_darkened_under_eye_raises_delta_L_by_the_known_amount(
    obama_rgb, obama_landmarks, obama_analysis, masks, edit_lab
):
    img = edit_lab(obama_rgb, masks.masks["left_under_eye"], dL=-6.0)
    dc = analyse_full(img, landmarks=obama_landmarks).report.dark_circles
    base = obama_analysis.report.dark_circles
    assert dc["left_delta_L"] - base["left_delta_L"] == pytest.approx(6.0, abs=0.8)
    assert dc["right_delta_L"] == pytest.approx(base["right_delta_L"], abs=0.05)
    assert dc["left_darkness_pct"] > base["left_darkness_pct"] + 4


def test_red_patch_raises_a_star_and_erythema(
    obama_rgb, obama_landmarks, obama_analysis, masks, edit_lab
):
    img = edit_lab(obama_rgb, masks.masks["right_cheek"], da=10.0)
    regions = analyse_full(img, landmarks=obama_landmarks).report.regions
    base = obama_analysis.report.regions
    gain = regions["right_cheek"]["redness_a"] - base["right_cheek"]["redness_a"]
    assert gain == pytest.approx(10.0, abs=1.5)
    assert (
        regions["right_cheek"]["erythema_fraction"] > base["right_cheek"]["erythema_fraction"] + 0.5
    )
    assert regions["left_cheek"]["redness_a"] == pytest.approx(
        base["left_cheek"]["redness_a"], abs=0.1
    )


def test_dark_dots_are_counted_with_their_area(obama_rgb, obama_landmarks, obama_analysis, masks):
    mm = obama_landmarks.mm_per_px
    radius_px = 1.5 / mm  # 3 mm wide dots: 7.1 mm^2 each
    region = masks.masks["forehead"]
    ys, xs = np.nonzero(region)
    cy = int(np.median(ys))
    img = obama_rgb.copy()
    canvas = np.zeros(region.shape, np.uint8)
    for fx in (0.3, 0.5, 0.7):
        cx = int(xs.min() + fx * (xs.max() - xs.min()))
        cv2.circle(canvas, (cx, cy), int(round(radius_px)), 1, -1)
    hit = canvas.astype(bool)
    img[hit] = (img[hit] * 0.7).astype(np.uint8)
    spots = analyse_full(img, landmarks=obama_landmarks).report.spots
    base = obama_analysis.report.spots
    assert spots.per_region["forehead"] - base.per_region["forehead"] == 3
    added = spots.area_mm2 - base.area_mm2
    assert added == pytest.approx(3 * np.pi * 1.5**2, rel=0.5)


def test_fine_noise_raises_cheek_texture(obama_rgb, obama_landmarks, obama_analysis, masks):
    rng = np.random.default_rng(0)
    img = obama_rgb.astype(np.float64)
    region = masks.masks["left_cheek"]
    # Noise at ~1 mm grain: upsampled from a coarser grid so it survives resampling.
    h, w = region.shape
    grain = cv2.resize(rng.normal(0, 12, (h // 2, w // 2)), (w, h), interpolation=cv2.INTER_CUBIC)
    img[region] += grain[region][:, None]
    img = np.clip(img, 0, 255).astype(np.uint8)
    regions = analyse_full(img, landmarks=obama_landmarks).report.regions
    base = obama_analysis.report.regions
    assert (
        regions["left_cheek"]["texture_roughness"] > 1.5 * base["left_cheek"]["texture_roughness"]
    )
    assert regions["right_cheek"]["texture_roughness"] == pytest.approx(
        base["right_cheek"]["texture_roughness"], rel=0.02
    )
