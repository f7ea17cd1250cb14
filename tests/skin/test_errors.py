"""Error paths: no face, wrong array, extreme pose still measured but flagged."""

from __future__ import annotations

import json

import numpy as np
import pytest
from PIL import Image

from acuface.cli.skin import _compare
from acuface.errors import NoFaceFound, UnsupportedImage
from acuface.locator.image import load_image
from acuface.locator.landmarks import detect_one
from acuface.skin import analyse


def test_plain_image_has_no_face():
    # Skin analysis measures the landmarks the locator finds; no face, no landmarks.
    rng = np.random.default_rng(1)
    plain = np.full((480, 640, 3), 128, np.uint8) + rng.integers(0, 8, (480, 640, 3), np.uint8)
    with pytest.raises(NoFaceFound, match="no face"):
        analyse(plain, detect_one(plain))


def test_wrong_array_is_refused(obama_landmarks):
    with pytest.raises(UnsupportedImage):
        analyse(np.zeros((100, 100), np.uint8), obama_landmarks)
    with pytest.raises(UnsupportedImage):
        analyse(np.zeros((100, 100, 3), np.float32), obama_landmarks)


def test_compare_names_the_photo_without_a_face(faces_dir, tmp_path, capsys):
    # The command that compares two photos detects both faces and names the one
    # that has none.
    blank = tmp_path / "blank.png"
    Image.fromarray(np.full((300, 300, 3), 90, np.uint8)).save(blank)
    assert _compare(faces_dir / "obama.jpg", blank, True, None) == 1
    error = json.loads(capsys.readouterr().out)["error"]
    assert error["type"] == NoFaceFound.__name__
    assert "after photo" in error["message"]


def test_turned_head_is_measured_but_flagged(faces_dir):
    turned = load_image(faces_dir / "obama3.jpg")
    report = analyse(turned, detect_one(turned))
    assert not report.quality.ok
    assert {"yaw", "pitch"} <= set(report.quality.failed)
    assert report.regions["forehead"]["wrinkle_index"] > 0


def test_face_cut_by_the_photo_edge_is_flagged_and_cut_regions_skipped(faces_dir):
    partial = load_image(faces_dir / "obama_partial_face.jpg")
    report = analyse(partial, detect_one(partial))
    assert "framing" in report.quality.failed
    assert any("outside the photo" in s for s in report.quality.issues)
    # The client's right cheek is cut off by the image's left edge: not measured.
    assert "right_cheek" not in report.regions
    assert report.dark_circles["right_delta_L"] is None
    assert "left_cheek" in report.regions and report.dark_circles["left_delta_L"] > 5
    entry = report.to_json("partial.jpg")
    assert entry["dark_circles"]["right_delta_L"] is None
