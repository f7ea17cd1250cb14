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


def _check_layout(layout) -> None:
    """No label on another label or on any marker; every drawn point labelled or listed."""
    from acuface.locator.labels import boxes_overlap
    from acuface.locator.render import label_text

    boxes = [lb.box for _, lb in layout.labels]
    for n, a in enumerate(boxes):
        assert not any(boxes_overlap(a, b) for b in boxes[n + 1 :]), layout.labels[n]
    for m in layout.markers:
        x, y, r = *m.xy, m.radius
        dot = (x - r, y - r, x + r, y + r)
        assert not any(boxes_overlap(dot, b) for b in boxes), m.point.code
    by_marker = {i: lb.text for i, lb in layout.labels}
    keyed = {i: n for n, i in layout.keyed}
    assert sorted(keyed.values()) == list(range(1, len(keyed) + 1))  # numbers 1..n, no gap
    for i, m in enumerate(layout.markers):
        if not m.point.visible:
            assert i in layout.hidden and i not in by_marker  # a ring, named in the legend
        elif i in keyed:
            assert by_marker[i] == str(keyed[i])  # its number on the photo, code in the key
        elif i in layout.unlabelled:
            assert i not in by_marker  # named in the legend's list
        else:
            assert by_marker[i] == label_text(m.point)


def test_overlay_labels_never_overlap_and_no_point_is_lost(
    obama_rgb, obama_map, portrait_maps
) -> None:
    from acuface.locator.render import layout_overlay

    for rgb, fm in [(obama_rgb, obama_map), *portrait_maps]:
        for crop in (False, True):
            wh = (rgb.shape[1], rgb.shape[0])
            layout = layout_overlay(wh, fm, crop_to_faces=crop)
            assert len(layout.markers) > 60
            _check_layout(layout)
            # Most visible points carry their code or number on the photo itself.
            assert len(layout.labels) >= 0.8 * (len(layout.markers) - len(layout.hidden))


def test_crowded_overlay_numbers_or_lists_what_finds_no_room(portrait_maps) -> None:
    from acuface.locator.render import layout_overlay

    rgb, fm = portrait_maps[0]
    # A 225 px thumbnail without upscaling: far too small for ~70 codes.
    layout = layout_overlay((rgb.shape[1], rgb.shape[0]), fm, min_side=0)
    _check_layout(layout)
    assert layout.keyed and layout.unlabelled
    out = render_overlay(rgb, fm, min_side=0)
    # The legend lists every unlabelled point: it grows below the photo when needed.
    assert out.shape[0] >= rgb.shape[0]
    assert out.shape[1] > rgb.shape[1]


def test_overlay_draws_leader_lines_where_the_placer_uses_them(obama_rgb, obama_map) -> None:
    from acuface.locator.render import layout_overlay

    layout = layout_overlay((obama_rgb.shape[1], obama_rgb.shape[0]), obama_map)
    leaders = [lb.leader for _, lb in layout.labels if lb.leader is not None]
    assert leaders
    out = render_overlay(obama_rgb, obama_map, legend=False)
    x0, y0, x1, y1 = leaders[0]
    mx, my = round((x0 + x1) / 2), round((y0 + y1) / 2)
    # The leader's dark edge is drawn across the photo at its middle.
    assert out[my - 1 : my + 2, mx - 1 : mx + 2].min() < 40
