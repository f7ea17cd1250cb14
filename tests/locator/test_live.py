"""Live frames: the photo locator's points, frame by frame, on a tracking Face Mesh.

The clip is the shipped Obama portrait sliding sideways in a 640 x 480 frame
(``tests/liveclip.py``), encoded as JPEG like the browser's frames.

How tracking mode differs: Face Mesh in tracking mode runs its face detector only
until it has a face; every later frame's landmark model runs on a crop derived from
the previous frame's landmarks instead of the detector's box. Landmarks (and so
points) then differ from a photo run on the same frame by the crop's influence:
about 1-2 px median on this 230 px face, a few px on the off-mesh scalp and ear
points, whose offsets of several B-cun magnify small differences of pose.
"""

from __future__ import annotations

import io
from typing import Any

import numpy as np
import pytest
from PIL import Image

from acuface.errors import ImageTooLarge, NotAnImage
from acuface.locator import locate
from acuface.locator.live import LiveTracker, decode_frame
from acuface.locator.smoothing import OneEuroParams


def _locate_xy(jpeg: bytes) -> np.ndarray:
    return np.array([p.xy_px for p in locate(jpeg).primary.points])


def _dist(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return np.linalg.norm(np.asarray(a, dtype=np.float64) - b, axis=1)


@pytest.fixture(scope="module")
def reference(moving_face_jpegs: list[bytes]) -> list[np.ndarray]:
    """locate() on every 6th frame of the clip."""
    return [_locate_xy(j) for j in moving_face_jpegs[::6]]


def test_a_live_frame_places_the_same_points_as_locate_within_1px(
    moving_face_jpegs: list[bytes], reference: list[np.ndarray]
) -> None:
    # Detector on every frame and no smoothing: the live pipeline (frame decoding,
    # landmarks, face_result, float32 output) against locate() on the same JPEG.
    tracker = LiveTracker(tracking=False, smoothing=None)
    try:
        for jpeg, ref in zip(moving_face_jpegs[::6], reference, strict=True):
            frame = tracker.process(jpeg, 0.0)
            assert frame.status == "ok"
            assert frame.xy_px.shape == ref.shape
            assert _dist(frame.xy_px, ref).max() <= 1.0
    finally:
        tracker.close()


def test_the_first_frame_of_a_tracked_stream_equals_locate(
    moving_face_jpegs: list[bytes], reference: list[np.ndarray]
) -> None:
    # The default live tracker (tracking + smoothing): its first frame is a
    # detector frame and the filter passes the first sample through unchanged.
    tracker = LiveTracker()
    try:
        frame = tracker.process(moving_face_jpegs[0], 0.0)
        assert _dist(frame.xy_px, reference[0]).max() <= 1.0
        assert (tracker.codes, tracker.sides) == _layout()
    finally:
        tracker.close()


def _layout() -> tuple[tuple[str, ...], tuple[str, ...]]:
    from acuface.atlas.geometry import load_geometry
    from acuface.locator.geometry import compile_geometry

    compiled = compile_geometry(load_geometry())
    return compiled.codes, compiled.sides


def test_tracking_mode_stays_close_to_locate_and_follows_the_face(
    moving_face: tuple[list[np.ndarray], list[tuple[float, float]]],
    moving_face_jpegs: list[bytes],
    reference: list[np.ndarray],
) -> None:
    tracker = LiveTracker(smoothing=None)
    try:
        frames = [tracker.process(j, i / 30) for i, j in enumerate(moving_face_jpegs)]
    finally:
        tracker.close()
    assert all(f.status == "ok" for f in frames)
    medians = [
        float(np.median(_dist(f.xy_px, ref))) for f, ref in zip(frames[::6], reference, strict=True)
    ]
    # Tracking crops differ from detector crops (see the module docstring).
    assert np.median(medians) <= 3.0
    assert max(medians) <= 5.0
    # The points follow the face: the nose tip moves with the clip's offset.
    row = tracker.codes.index("GV25")
    nose_x = np.array([f.xy_px[row, 0] for f in frames])
    dx = np.array([o[0] for o in moving_face[1]])
    slope, _ = np.polyfit(dx, nose_x, 1)
    assert 0.95 < slope < 1.05
    assert np.abs(nose_x - np.polyval(np.polyfit(dx, nose_x, 1), dx)).max() < 4.0


def test_sides_are_the_clients_own(moving_face_jpegs: list[bytes]) -> None:
    tracker = LiveTracker()
    try:
        frame = tracker.process(moving_face_jpegs[0], 0.0)
    finally:
        tracker.close()
    rows = {(c, s): i for i, (c, s) in enumerate(zip(tracker.codes, tracker.sides, strict=True))}
    for code in ("ST2", "LI20", "GB14", "TE23"):
        # A camera sees the client's left on the image's right.
        assert frame.xy_px[rows[code, "left"], 0] > frame.xy_px[rows[code, "right"], 0]


def test_smoothing_steadies_a_still_face_and_reports_it_steady(
    moving_face_jpegs: list[bytes],
) -> None:
    still = [moving_face_jpegs[0]] * 30
    raw_t, smooth_t = LiveTracker(smoothing=None), LiveTracker(smoothing=OneEuroParams())
    try:
        raw = [raw_t.process(j, i / 30) for i, j in enumerate(still)]
        smooth = [smooth_t.process(j, i / 30) for i, j in enumerate(still)]
    finally:
        raw_t.close()
        smooth_t.close()

    def jitter(frames: list[Any]) -> float:
        steps = [_dist(a.xy_px, b.xy_px) for a, b in zip(frames[5:-1], frames[6:], strict=True)]
        return float(np.mean([np.median(d) for d in steps]))

    assert jitter(smooth) < jitter(raw) / 2
    assert all(f.steady for f in smooth[10:])


def test_a_moving_face_is_not_steady(moving_face_jpegs: list[bytes]) -> None:
    tracker = LiveTracker()
    try:
        frames = [tracker.process(j, i / 30) for i, j in enumerate(moving_face_jpegs)]
    finally:
        tracker.close()
    moving = [f for f in frames[10:] if not f.steady]
    assert len(moving) > 0.6 * len(frames[10:])
    assert np.median([f.speed_mm_s for f in frames[10:]]) > 30


def test_no_face_then_a_face_again(moving_face_jpegs: list[bytes]) -> None:
    blank = io.BytesIO()
    Image.new("RGB", (640, 480), (40, 40, 40)).save(blank, format="JPEG")
    tracker = LiveTracker()
    try:
        assert tracker.process(moving_face_jpegs[0], 0.0).status == "ok"
        empty = tracker.process(blank.getvalue(), 0.033)
        assert empty.status == "no_face" and empty.xy_px.shape == (0, 2)
        assert tracker.process(moving_face_jpegs[1], 0.066).status == "ok"
    finally:
        tracker.close()


def test_a_face_too_small_says_come_closer(moving_face: tuple[list[np.ndarray], list]) -> None:
    # About 76 px of face: found by the detector, under the 80 px the points need.
    small = Image.fromarray(moving_face[0][0]).resize((215, 161))
    canvas = Image.new("RGB", (640, 480), (40, 40, 40))
    canvas.paste(small, (220, 160))
    buf = io.BytesIO()
    canvas.save(buf, format="JPEG", quality=90)
    tracker = LiveTracker()
    try:
        frame = tracker.process(buf.getvalue(), 0.0)
    finally:
        tracker.close()
    assert frame.status == "too_small"
    assert "come closer" in frame.warnings[0]


def test_frame_decoding_gives_the_photo_decoders_pixels(moving_face_jpegs: list[bytes]) -> None:
    from acuface.locator.image import load_image

    jpeg = moving_face_jpegs[3]
    np.testing.assert_array_equal(decode_frame(jpeg), load_image(jpeg))
    png = io.BytesIO()
    Image.open(io.BytesIO(jpeg)).save(png, format="PNG")
    np.testing.assert_array_equal(decode_frame(png.getvalue()), load_image(jpeg))


def test_bad_frames_are_clear_errors() -> None:
    with pytest.raises(NotAnImage):
        decode_frame(b"%PDF-1.4 not a camera frame")
    bomb = io.BytesIO()
    Image.new("L", (4000, 4000)).save(bomb, format="PNG")  # 16 MP of nothing, 20 KB
    with pytest.raises(ImageTooLarge):
        decode_frame(bomb.getvalue())
