"""Capture-quality gate on real photos and degraded copies."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from acuface.locator.image import load_image
from acuface.locator.landmarks import detect_one
from acuface.skin import check_quality


def test_good_studio_portrait_passes(obama_analysis):
    q = obama_analysis.report.quality
    assert q.ok, q.issues
    assert abs(q.yaw) < 5 and abs(q.roll) < 5
    assert q.face_ipd_px == pytest.approx(107, abs=3)


def test_blur_is_flagged(obama_rgb):
    blurred = cv2.GaussianBlur(obama_rgb, (0, 0), 3.0)
    q = check_quality(blurred, detect_one(blurred))
    assert "sharpness" in q.failed
    assert any("blurred" in s for s in q.issues)


def test_dark_photo_is_flagged_with_advice(obama_rgb, obama_landmarks):
    dark = (obama_rgb.astype(np.float64) * 0.25).astype(np.uint8)
    q = check_quality(dark, obama_landmarks)
    assert "exposure" in q.failed
    assert any("add light from the front" in s for s in q.issues)


def test_colour_cast_is_flagged(obama_rgb, obama_landmarks, edit_lab):
    blue = edit_lab(obama_rgb, np.ones(obama_rgb.shape[:2], bool), db=-25.0)
    q = check_quality(blue, obama_landmarks)
    assert "colour_cast" in q.failed
    assert "colour_cast" not in check_quality(obama_rgb, obama_landmarks).failed


def test_yaw_advice_uses_the_clients_sides(faces_dir):
    biden = load_image(faces_dir / "biden.jpg")
    q = check_quality(biden, detect_one(biden))
    assert q.yaw > 8 and "yaw" in q.failed  # turned toward the client's own left
    assert any("toward the client's left" in s and "to their right" in s for s in q.issues)
    flipped = np.ascontiguousarray(biden[:, ::-1])
    qf = check_quality(flipped, detect_one(flipped))
    assert qf.yaw < -8
    assert any("toward the client's right" in s and "to their left" in s for s in qf.issues)


def test_small_face_is_flagged(portrait_paths):
    rgb = load_image(portrait_paths[0])
    q = check_quality(rgb, detect_one(rgb))
    assert "face_size" in q.failed and not q.ok
