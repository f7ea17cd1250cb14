"""Error paths: no face, wrong array, extreme pose still measured but flagged."""

from __future__ import annotations

import numpy as np
import pytest

from acuface.errors import NoFaceFound, UnsupportedImage
from acuface.locator.image import load_image
from acuface.skin import analyse, compare


def test_plain_image_has_no_face():
    rng = np.random.default_rng(1)
    plain = np.full((480, 640, 3), 128, np.uint8) + rng.integers(0, 8, (480, 640, 3), np.uint8)
    with pytest.raises(NoFaceFound, match="no face"):
        analyse(plain)


def test_wrong_array_is_refused():
    with pytest.raises(UnsupportedImage):
        analyse(np.zeros((100, 100), np.uint8))
    with pytest.raises(UnsupportedImage):
        analyse(np.zeros((100, 100, 3), np.float32))


def test_compare_names_the_photo_without_a_face(obama_rgb):
    with pytest.raises(NoFaceFound, match="after photo"):
        compare(obama_rgb, np.full((300, 300, 3), 90, np.uint8))


def test_turned_head_is_measured_but_flagged(faces_dir):
    report = analyse(load_image(faces_dir / "obama3.jpg"))
    assert not report.quality.ok
    assert {"yaw", "pitch"} <= set(report.quality.failed)
    assert report.regions["forehead"]["wrinkle_index"] > 0


def test_face_cut_by_the_photo_edge_is_flagged_and_cut_regions_skipped(faces_dir):
    report = analyse(load_image(faces_dir / "obama_partial_face.jpg"))
    assert "framing" in report.quality.failed
    assert any("outside the photo" in s for s in report.quality.issues)
    # The client's right cheek is cut off by the image's left edge: not measured.
    assert "right_cheek" not in report.regions
    assert report.dark_circles["right_delta_L"] is None
    assert "left_cheek" in report.regions and report.dark_circles["left_delta_L"] > 5
    entry = report.to_json("partial.jpg")
    assert entry["dark_circles"]["right_delta_L"] is None
