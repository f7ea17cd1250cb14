"""Overlay rendering: legible at 225 px and on large photos, channel colours, code filter."""

from __future__ import annotations

import numpy as np
import pytest

from acuface.locator import render_overlay
from acuface.locator.render import CHANNELS


def _count_colour(img: np.ndarray, rgb: tuple[int, int, int], tol: int = 8) -> int:
    return int((np.abs(img.astype(int) - np.array(rgb)).max(axis=2) <= tol).sum())


def test_small_portrait_is_upscaled_with_a_legend(portrait_maps) -> None:
    rgb, fm = portrait_maps[0]
    out = render_overlay(rgb, fm)
    h, w = rgb.shape[:2]
    assert out.dtype == np.uint8 and out.ndim == 3
    assert out.shape[0] >= 720  # a 225x275 thumbnail is upscaled
    assert out.shape[1] > out.shape[0] * w / h  # plus the legend strip
    assert _count_colour(out, CHANNELS["ST"][0]) > 50
    assert _count_colour(out, CHANNELS["GV"][0]) > 50


def test_codes_filter_draws_only_those_channels(obama_rgb, obama_map) -> None:
    out = render_overlay(obama_rgb, obama_map, codes=["GV26"], legend=False, min_side=0)
    assert out.shape == obama_rgb.shape
    assert _count_colour(out, CHANNELS["GV"][0]) > 20
    assert _count_colour(out, CHANNELS["BL"][0], tol=4) < _count_colour(
        render_overlay(obama_rgb, obama_map, legend=False, min_side=0), CHANNELS["BL"][0], tol=4
    )


def test_markers_scale_with_the_face(obama_rgb, obama_map) -> None:
    import cv2

    from acuface.locator import locate

    big = cv2.resize(obama_rgb, None, fx=2.0, fy=2.0, interpolation=cv2.INTER_CUBIC)
    small_out = render_overlay(obama_rgb, obama_map, codes=["GV26"], legend=False, min_side=0)
    big_out = render_overlay(big, locate(big), codes=["GV26"], legend=False, min_side=0)
    gv = CHANNELS["GV"][0]
    ratio = _count_colour(big_out, gv) / _count_colour(small_out, gv)
    assert ratio == pytest.approx(4.0, rel=0.35)  # area grows with the square of the scale


def test_bad_image_array_is_refused(obama_map) -> None:
    with pytest.raises(ValueError):
        render_overlay(np.zeros((10, 10), dtype=np.uint8), obama_map)


def test_crop_to_faces_keeps_points_on_the_face(obama_rgb, obama_map) -> None:
    full = render_overlay(obama_rgb, obama_map, legend=False, min_side=0)
    crop = render_overlay(obama_rgb, obama_map, legend=False, min_side=0, crop_to_faces=True)
    assert crop.shape[0] < full.shape[0] and crop.shape[1] < full.shape[1]
    # Every channel colour drawn on the full photo is drawn on the crop too.
    for code in ("ST", "GV", "BL", "GB"):
        colour = CHANNELS[code][0]
        assert _count_colour(crop, colour) > 0.8 * _count_colour(full, colour), code
