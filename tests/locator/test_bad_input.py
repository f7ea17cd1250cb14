"""Every bad-input path gives a specific error a practitioner can act on."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from acuface.errors import (
    CorruptImage,
    ImageTooLarge,
    ImageTooSmall,
    MultipleFaces,
    NoFaceFound,
    NotAnImage,
    UnknownPointCode,
    UnsupportedImage,
)
from acuface.locator import locate


def test_text_file_is_not_an_image(tmp_path: Path) -> None:
    p = tmp_path / "notes.jpg"
    p.write_text("client notes, not a photo")
    with pytest.raises(NotAnImage, match="text file"):
        locate(p)


def test_truncated_jpeg_is_corrupt(tmp_path: Path, obama_path: Path) -> None:
    p = tmp_path / "cut.jpg"
    p.write_bytes(obama_path.read_bytes()[:3000])
    with pytest.raises(CorruptImage, match="damaged or truncated"):
        locate(p)


def test_gif_is_refused(tmp_path: Path) -> None:
    from PIL import Image

    p = tmp_path / "anim.gif"
    Image.new("RGB", (200, 200)).save(p)
    with pytest.raises((NotAnImage, UnsupportedImage)):
        locate(p)


def test_decompression_bomb_is_refused(tmp_path: Path) -> None:
    from PIL import Image

    p = tmp_path / "bomb.png"
    Image.new("L", (12000, 12000)).save(p, optimize=True)  # 144 MP, a few hundred kB
    with pytest.raises(ImageTooLarge, match="MP limit|too many pixels|pixels than"):
        locate(p)


def test_tiny_face_is_too_small(obama_rgb: np.ndarray) -> None:
    small = cv2.resize(obama_rgb, None, fx=0.25, fy=0.25, interpolation=cv2.INTER_AREA)
    with pytest.raises(ImageTooSmall, match="px across"):
        locate(small)


def test_tiny_image_is_too_small() -> None:
    with pytest.raises(ImageTooSmall):
        locate(np.zeros((40, 40, 3), dtype=np.uint8))


def test_photo_without_a_face(obama_rgb: np.ndarray) -> None:
    # The suit and background below the face: a real photo region with no face.
    with pytest.raises(NoFaceFound, match="no face found"):
        locate(np.ascontiguousarray(obama_rgb[-300:, :]))


def test_wrong_array_dtype_is_unsupported() -> None:
    with pytest.raises(UnsupportedImage):
        locate(np.zeros((300, 300, 3), dtype=np.float32))


def test_unknown_point_code_suggests_close_matches(obama_rgb: np.ndarray) -> None:
    with pytest.raises(UnknownPointCode, match="ST99.*Did you mean"):
        locate(obama_rgb, codes=["ST99"])
    with pytest.raises(UnknownPointCode, match="not a facial/head point"):
        locate(obama_rgb, codes=["LI4"])  # a body point: the atlas knows it, the locator not


@pytest.fixture(scope="module")
def two_faces(faces_dir: Path) -> np.ndarray:
    """Two real portraits pasted side by side, the right one larger."""
    from acuface.locator.image import load_image

    a = load_image(faces_dir / "obama.jpg")
    b = load_image(faces_dir / "biden.jpg")
    a = cv2.resize(a, (455, 568), interpolation=cv2.INTER_AREA)
    b = cv2.resize(b, (int(b.shape[1] * 800 / b.shape[0]), 800), interpolation=cv2.INTER_AREA)
    canvas = np.full((800, a.shape[1] + b.shape[1], 3), 255, dtype=np.uint8)
    canvas[:568, : a.shape[1]] = a
    canvas[:, a.shape[1] :] = b
    return canvas


def test_two_faces_are_both_reported_largest_first(two_faces: np.ndarray) -> None:
    fm = locate(two_faces)
    assert len(fm.faces) == 2
    widths = [f.landmarks.face_width_px for f in fm.faces]
    assert widths[0] > widths[1]
    # One face on each pasted photo (the seam is at x = 455).
    centres = sorted((f.landmarks.bbox_px[0] + f.landmarks.bbox_px[2]) / 2 for f in fm.faces)
    assert centres[0] < 455 < centres[1]
    assert any("2 faces found" in w for w in fm.warnings)
    assert len(fm.to_json()["faces"]) == 2


def test_two_faces_refused_when_one_is_required(two_faces: np.ndarray) -> None:
    with pytest.raises(MultipleFaces, match="2 faces"):
        locate(two_faces, require_single=True)


def test_partial_face_marks_points_outside_the_image(faces_dir: Path) -> None:
    fm = locate(faces_dir / "obama_partial_face.jpg")
    w, h = fm.image_wh
    outside = [p for p in fm.primary.points if not (0 <= p.xy_px[0] < w and 0 <= p.xy_px[1] < h)]
    assert outside, "the cut-off face should put some points outside the image"
    assert not any(p.visible for p in outside)
