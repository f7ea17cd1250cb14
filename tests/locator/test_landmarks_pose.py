"""Landmarks and head pose on real photos (MediaPipe Face Mesh 0.10.21).

Reference values follow mediapipe's own face_mesh_test.py idea: facts that must
hold on a committed portrait, within a tolerance.
"""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from acuface.errors import NoFaceFound
from acuface.locator.image import load_image
from acuface.locator.landmarks import detect_faces, detect_one, face_template, kabsch
from acuface.vocab import IRIS_CENTRE_LEFT, IRIS_CENTRE_RIGHT, N_LANDMARKS, mirror_index


@pytest.fixture(scope="module")
def astronaut() -> np.ndarray:
    from skimage import data

    return data.astronaut()


def test_astronaut_reference_landmarks(astronaut: np.ndarray) -> None:
    # Nose tip and iris centres measured once on scikit-image's astronaut photo with
    # mediapipe 0.10.21; a different model would move them by more than 3 px.
    face = detect_one(astronaut)
    assert face.xyz_px.shape == (N_LANDMARKS, 3)
    np.testing.assert_allclose(face.xy_px[1], (223, 130), atol=3)
    np.testing.assert_allclose(face.xy_px[IRIS_CENTRE_RIGHT, 0], 203.5, atol=3)
    np.testing.assert_allclose(face.xy_px[IRIS_CENTRE_LEFT, 0], 246.6, atol=3)


def test_client_right_eye_is_on_image_left(obama_rgb: np.ndarray) -> None:
    face = detect_one(obama_rgb)
    assert face.xy_px[IRIS_CENTRE_RIGHT, 0] < face.xy_px[IRIS_CENTRE_LEFT, 0]


def test_frontal_portrait_pose_is_small(obama_rgb: np.ndarray) -> None:
    pose = detect_one(obama_rgb).pose
    assert abs(pose.yaw_deg) < 8 and abs(pose.roll_deg) < 5 and abs(pose.pitch_deg) < 12


def test_flip_negates_yaw_and_roll(faces_dir) -> None:
    img = load_image(faces_dir / "biden.jpg")  # head visibly turned toward his left
    pose = detect_one(img).pose
    flipped = detect_one(np.ascontiguousarray(img[:, ::-1])).pose
    assert pose.yaw_deg > 5, "Biden's portrait turns toward his own left (nose to image right)"
    assert flipped.yaw_deg == pytest.approx(-pose.yaw_deg, abs=3)
    assert flipped.roll_deg == pytest.approx(-pose.roll_deg, abs=3)
    assert flipped.pitch_deg == pytest.approx(pose.pitch_deg, abs=3)


@pytest.mark.parametrize("angle", [-15, 15])
def test_in_plane_rotation_shows_as_roll(obama_rgb: np.ndarray, angle: float) -> None:
    h, w = obama_rgb.shape[:2]
    base = detect_one(obama_rgb).pose.roll_deg
    # cv2: positive angle rotates the image counter-clockwise, which lifts the
    # image-right side (the client's left): a tilt toward the client's right.
    m = cv2.getRotationMatrix2D((w / 2, h / 2), angle, 1.0)
    rotated = cv2.warpAffine(obama_rgb, m, (w, h), borderMode=cv2.BORDER_REPLICATE)
    roll = detect_one(rotated).pose.roll_deg
    assert roll - base == pytest.approx(-angle, abs=2.5)


def test_mm_scale_from_iris_distance(obama_rgb: np.ndarray) -> None:
    face = detect_one(obama_rgb)
    half = cv2.resize(obama_rgb, None, fx=0.5, fy=0.5, interpolation=cv2.INTER_AREA)
    face_half = detect_one(half)
    assert face.mm_per_px * face.iris_distance_px == pytest.approx(63.0)
    assert face_half.mm_per_px == pytest.approx(2 * face.mm_per_px, rel=0.05)


def test_no_face_in_a_plain_image() -> None:
    blank = np.full((300, 300, 3), 180, dtype=np.uint8)
    assert detect_faces(blank) == []
    with pytest.raises(NoFaceFound, match="no face found"):
        detect_one(blank, label="wall.jpg")


def test_two_faces_reported_largest_first(portrait_paths) -> None:
    a = load_image(portrait_paths[0])
    b = cv2.resize(load_image(portrait_paths[1]), None, fx=1.4, fy=1.4)
    canvas = np.full((b.shape[0], a.shape[1] + b.shape[1] + 20, 3), 255, dtype=np.uint8)
    canvas[: a.shape[0], : a.shape[1]] = a
    canvas[:, a.shape[1] + 20 :] = b
    faces = detect_faces(canvas)
    assert len(faces) == 2
    assert faces[0].face_width_px > faces[1].face_width_px
    assert faces[0].xy_px[1, 0] > a.shape[1]  # the larger face is the right-hand one


def test_template_is_symmetric_and_mirror_map_is_an_involution() -> None:
    t = face_template()
    m = mirror_index()
    assert np.array_equal(m[m], np.arange(N_LANDMARKS))
    np.testing.assert_allclose(t[m] * [-1, 1, 1], t, atol=1e-9)
    assert m[IRIS_CENTRE_RIGHT] == IRIS_CENTRE_LEFT
    assert m[1] == 1  # nose tip on the midline


def test_kabsch_recovers_a_known_similarity() -> None:
    rng = np.random.default_rng(0)
    src = rng.normal(size=(50, 3))
    theta = np.radians(20)
    r = np.array([[np.cos(theta), 0, np.sin(theta)], [0, 1, 0], [-np.sin(theta), 0, np.cos(theta)]])
    dst = 3.0 * src @ r.T + np.array([1.0, 2.0, 3.0])
    rot, scale, t = kabsch(src, dst)
    np.testing.assert_allclose(rot, r, atol=1e-9)
    assert scale == pytest.approx(3.0)
    np.testing.assert_allclose(t, [1, 2, 3], atol=1e-9)


def test_fast_landmark_decoding_matches_the_protobuf_fields(obama_rgb: np.ndarray) -> None:
    from acuface.locator.landmarks import _landmark_array, get_detector

    face = get_detector().raw(obama_rgb).multi_face_landmarks[0]
    slow = np.array([(p.x, p.y, p.z) for p in face.landmark])
    fast = _landmark_array(face, (1.0, 1.0, 1.0))
    assert fast.shape == (N_LANDMARKS, 3)
    np.testing.assert_array_equal(fast, slow)
    h, w = obama_rgb.shape[:2]
    np.testing.assert_array_equal(_landmark_array(face, (w, h, w)), slow * [w, h, w])
