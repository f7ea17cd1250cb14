"""Neck points on collars: hidden where the photo shows no skin or the chin is in front."""

from __future__ import annotations

import numpy as np
import pytest

from acuface.locator import locate
from acuface.locator.cover import (
    inside_polygon,
    looks_like_skin,
    median_rows,
    patch_lab,
    srgb_to_lab,
)
from acuface.locator.facemap import face_result
from acuface.locator.landmarks import fit_pose
from acuface.vocab import Landmarks

NECK = ("CV23", "ST9")


def test_lab_matches_scikit_image() -> None:
    """Reference values from skimage.color.rgb2lab (D65), the outside implementation."""
    assert srgb_to_lab(np.array([1.0, 0.0, 0.0])) == pytest.approx(
        [53.2406, 80.0923, 67.2028], abs=0.01
    )
    assert srgb_to_lab(np.array([0.8, 0.6, 0.5])) == pytest.approx(
        [67.4026, 15.6916, 20.8364], abs=0.01
    )
    assert srgb_to_lab(np.array([255, 255, 255], dtype=np.uint8))[0] == pytest.approx(
        100.0, abs=0.01
    )


def _patch_median_by_hand(rgb: np.ndarray, x: float, y: float, r: int) -> np.ndarray:
    """The median colour of the square patch, pixel by pixel (the definition)."""
    h, w = rgb.shape[:2]
    cx, cy = int(np.floor(x)), int(np.floor(y))
    pixels = [
        rgb[j, i]
        for j in range(cy - r, cy + r + 1)
        for i in range(cx - r, cx + r + 1)
        if 0 <= i < w and 0 <= j < h
    ]
    if not pixels:
        return np.full(3, np.nan)
    return srgb_to_lab(np.median(np.array(pixels, dtype=np.float64), axis=0) / 255.0)


def test_patch_colour_is_the_median_of_the_patch_inside_at_the_edge_and_outside(
    obama_rgb: np.ndarray,
) -> None:
    h, w = obama_rgb.shape[:2]
    # Patches well inside (one gather), cut by each edge, and wholly outside.
    xy = np.array(
        [
            [300.4, 200.7],
            [w / 2, h / 2],
            [1.5, 100.0],
            [w - 1.2, 50.0],
            [40.0, h - 0.5],
            [-9.0, 5.0],
        ]
    )
    got = patch_lab(obama_rgb, xy, 3.0)
    expected = np.array([_patch_median_by_hand(obama_rgb, x, y, 3) for x, y in xy])
    # (One colour at a time and a batch of them convert with a different BLAS
    # call: equal to rounding.)
    np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-12)
    assert np.isnan(got[-1]).all()
    inside = patch_lab(obama_rgb, xy[:2], 3.0)  # only whole patches: the one-gather path
    np.testing.assert_allclose(inside, expected[:2], rtol=1e-12, atol=1e-12)


def test_median_rows_is_numpys_median() -> None:
    rng = np.random.default_rng(7)
    for n in range(1, 8):
        values = rng.normal(50.0, 20.0, size=(n, 3))
        np.testing.assert_array_equal(median_rows(values), np.median(values, axis=0))


def test_inside_polygon_even_odd() -> None:
    square = np.array([[0.0, 0.0], [10.0, 0.0], [10.0, 10.0], [0.0, 10.0]])
    pts = np.array([[5.0, 5.0], [15.0, 5.0], [-1.0, 5.0], [5.0, 11.0]])
    assert inside_polygon(pts, square).tolist() == [True, False, False, False]


def test_skin_test_tells_skin_from_collars_and_gives_up_on_grey() -> None:
    skin = srgb_to_lab(np.array([0.78, 0.58, 0.48]))
    patches = np.stack(
        [
            srgb_to_lab(np.array([0.45, 0.32, 0.26])),  # the same skin in the chin's shadow
            srgb_to_lab(np.array([0.95, 0.95, 0.96])),  # white shirt collar
            srgb_to_lab(np.array([0.12, 0.13, 0.18])),  # dark suit
            srgb_to_lab(np.array([0.20, 0.25, 0.60])),  # blue tie
        ]
    )
    assert looks_like_skin(patches, skin).tolist() == [True, False, False, False]
    grey = srgb_to_lab(np.array([0.6, 0.6, 0.6]))
    assert looks_like_skin(patches, grey) is None  # a greyscale photo cannot tell


def _neck(fm_or_face) -> dict[tuple[str, str], object]:
    face = getattr(fm_or_face, "primary", fm_or_face)
    return {(p.code, p.side): p for p in face.points if p.code in NECK}


def test_obama_neck_skin_shows_cv23_but_st9_is_on_the_collar(obama_rgb, obama_map) -> None:
    by = _neck(obama_map)
    assert by[("CV23", "midline")].visible  # skin between chin and collar
    assert not by[("ST9", "left")].visible and not by[("ST9", "right")].visible  # shirt collar
    # Not visible halves the confidence; these points were never trusted much.
    assert all(p.confidence <= 0.15 for p in by.values() if not p.visible)


def test_a_painted_collar_hides_the_neck_points_and_skin_reveals_them(obama_rgb, obama_map) -> None:
    face = obama_map.primary
    lm = face.landmarks
    chin_y = int(lm.xy_px[152, 1]) + 3
    collar = obama_rgb.copy()
    collar[chin_y:] = (240, 240, 245)  # white collar up to just under the chin
    by = _neck(face_result(lm, image_rgb=collar))
    assert not any(p.visible for p in by.values())
    # Paint the same region with the client's own cheek colour: the neck shows.
    cheek = obama_rgb[
        int(lm.xy_px[425, 1]) - 3 : int(lm.xy_px[425, 1]) + 3,
        int(lm.xy_px[425, 0]) - 3 : int(lm.xy_px[425, 0]) + 3,
    ].reshape(-1, 3)
    bare = obama_rgb.copy()
    bare[chin_y:] = np.median(cheek, axis=0).astype(np.uint8)
    by = _neck(face_result(lm, image_rgb=bare))
    assert all(p.visible for p in by.values())


def test_greyscale_photo_keeps_geometric_visibility(obama_rgb, obama_map) -> None:
    grey = np.repeat(obama_rgb.mean(axis=2, keepdims=True), 3, axis=2).astype(np.uint8)
    by = _neck(face_result(obama_map.primary.landmarks, image_rgb=grey))
    assert all(p.visible for p in by.values())  # colour cannot decide; low confidence stays


def test_without_the_photo_only_geometry_decides(obama_map) -> None:
    by = _neck(face_result(obama_map.primary.landmarks))
    assert all(p.visible for p in by.values())


def test_chin_in_front_of_the_neck_hides_cv23(obama_map) -> None:
    """Head lowered 30 deg: the chin covers the front of the neck in the photo."""
    lm = obama_map.primary.landmarks
    c = lm.xyz_px.mean(axis=0)
    a = np.radians(30.0)  # chin down (y down, z away from the camera)
    rot = np.array([[1, 0, 0], [0, np.cos(a), -np.sin(a)], [0, np.sin(a), np.cos(a)]])
    xyz = (lm.xyz_px - c) @ rot.T + c
    pose, rotation, scale = fit_pose(xyz)
    lowered = Landmarks(xyz_px=xyz, image_wh=lm.image_wh, pose=pose, rotation=rotation, scale=scale)
    assert pose.pitch_deg < -20
    by = _neck(face_result(lowered))
    assert not by[("CV23", "midline")].visible


def test_shipped_portraits_mostly_show_collars_at_st9(shipped_faces) -> None:
    """Suit-and-tie portraits: ST9 falls on a collar in most of them; CV23 on skin in most."""
    st9 = [fm.primary.point("ST9", "left").visible for _, _, fm in shipped_faces]
    cv23 = [fm.primary.point("CV23", "midline").visible for _, _, fm in shipped_faces]
    assert sum(st9) < 0.5 * len(st9)
    assert sum(cv23) > 0.5 * len(cv23)


def test_locate_checks_the_photo(obama_rgb) -> None:
    collar = obama_rgb.copy()
    fm = locate(obama_rgb)
    chin_y = int(fm.primary.landmarks.xy_px[152, 1]) + 3
    collar[chin_y:] = (20, 20, 30)  # a dark scarf
    by = _neck(locate(collar))
    assert not by[("CV23", "midline")].visible


@pytest.mark.parametrize("side", [3, 4, 11, 26])  # odd and even patch pixel counts
def test_patch_median_is_numpys_median(side: int) -> None:
    # The patch sampler takes the median of the bytes themselves; the number must be
    # exactly np.median's on their float copy (the skin test compares colours with it).
    from acuface.locator.cover import _median_uint8

    rng = np.random.default_rng(side)
    pixels = rng.integers(0, 256, size=(5, side * side, 3), dtype=np.uint8)
    expected = np.median(pixels.astype(np.float64), axis=1)
    assert np.array_equal(_median_uint8(pixels), expected)
