"""Points on a live camera stream: the photo locator's geometry, frame by frame.

A :class:`LiveTracker` belongs to one video stream. Per frame it decodes the image
(:func:`decode_frame`: the same pixels as ``locate()``'s decoder, faster), finds the
landmarks with a **tracking** Face Mesh (:class:`FaceMeshDetector` with
``tracking=True``), smooths them over time with a One Euro filter
(:mod:`~acuface.locator.smoothing`), and places the points with
:func:`~acuface.locator.facemap.face_result`, the very function that ``locate()``
calls on a photo's landmarks: one definition of every point (``geometry.yaml``),
one evaluation.

So a live frame's points differ from ``locate()`` on the same frame only where the
landmarks differ: not at all on the first frame of a stream (a detector frame),
and by the tracking crop (about 1-2 px median) and the smoothing lag on later
frames. ``smoothing=None`` and ``tracking=False`` reproduce ``locate()`` exactly.
"""

from __future__ import annotations

import io
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

import cv2
import numpy as np
from numpy.typing import NDArray
from PIL import Image

from acuface.atlas.geometry import GeometryFile, load_geometry
from acuface.locator.facemap import MIN_FACE_PX, FaceResult, face_result
from acuface.locator.geometry import compile_geometry
from acuface.locator.image import load_image
from acuface.locator.landmarks import FaceMeshDetector, fit_pose
from acuface.locator.smoothing import OneEuroFilter, OneEuroParams
from acuface.vocab import Landmarks, Pose

#: The face counts as steady below this speed (median landmark speed, mm/s on the
#: 63 mm interpupillary scale). A still, seated client shows 1-3 mm/s of residual
#: tracking motion after smoothing; a slow turn of the head 20-50 mm/s.
STEADY_MM_S = 6.0
#: Largest live frame accepted (pixels): 1920 x 1080 with room to spare.
MAX_FRAME_PIXELS = 2_500_000
#: Largest live frame accepted (bytes of JPEG/PNG).
MAX_FRAME_BYTES = 2 * 1024 * 1024

LiveStatus = Literal["ok", "no_face", "too_small"]


@dataclass(frozen=True)
class LiveFrame:
    """The result of one frame.

    Attributes
    ----------
    status : {"ok", "no_face", "too_small"}
    image_wh : tuple of int
        (width, height) of the frame.
    xy_px : (P, 2) ndarray of float32
        Every (code, side) row of :attr:`LiveTracker.codes` in frame pixels, from
        the smoothed landmarks; (0, 2) unless ``status == "ok"``.
    visible : (P,) ndarray of bool
        As :attr:`PlacedPoint.visible`.
    raw_xy_px : (P, 2) ndarray of float32 or None
        The same from the unsmoothed landmarks (only with ``with_raw=True``).
    pose : Pose or None
        Head pose of the smoothed landmarks.
    speed_mm_s : float
        Median landmark speed (face plane), for the steadiness indicator.
    steady : bool
        ``speed_mm_s < STEADY_MM_S``.
    mm_per_px : float
    warnings : tuple of str
        The locator's warnings (head turn, B-cun clamped) and the pose check's.
    timings_ms : dict of str to float
        ``decode``, ``landmarks``, ``points`` (milliseconds, this frame).
    face : FaceResult or None
        The full result on the smoothed landmarks (for callers in-process).
    """

    status: LiveStatus
    image_wh: tuple[int, int]
    xy_px: NDArray[np.float32]
    visible: NDArray[np.bool_]
    raw_xy_px: NDArray[np.float32] | None = None
    pose: Pose | None = None
    speed_mm_s: float = 0.0
    steady: bool = False
    mm_per_px: float = 0.0
    warnings: tuple[str, ...] = ()
    timings_ms: dict[str, float] = field(default_factory=dict)
    face: FaceResult | None = field(default=None, repr=False)


def decode_frame(data: bytes) -> NDArray[np.uint8]:
    """Decode one camera frame (JPEG or PNG bytes) to RGB.

    The header is checked with Pillow first (format, pixel count: the same guards as
    :func:`load_image`), then libjpeg-turbo decodes through OpenCV, which gives the
    same pixels as Pillow (both libjpeg-turbo, same defaults; the equality test
    with ``locate()`` would show a difference) in a third of the time, because
    Pillow's path copies the image three times. Camera frames drawn from a canvas
    carry no EXIF orientation, so none is applied. Anything unusual (an error, a
    format OpenCV refuses) goes through :func:`load_image` for its clear errors.

    Parameters
    ----------
    data : bytes

    Returns
    -------
    (H, W, 3) ndarray of uint8
    """
    if len(data) > MAX_FRAME_BYTES:
        return load_image(data, max_bytes=MAX_FRAME_BYTES, name="camera frame")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            header = Image.open(io.BytesIO(data))
        ok = header.format in ("JPEG", "PNG") and header.mode in ("RGB", "L", "RGBA")
        w, h = header.size
    except Exception:  # noqa: BLE001 - load_image below names the problem
        ok, w, h = False, 0, 0
    if ok and 64 <= min(w, h) and w * h <= MAX_FRAME_PIXELS:
        bgr = cv2.imdecode(np.frombuffer(data, dtype=np.uint8), cv2.IMREAD_COLOR)
        if bgr is not None and bgr.shape[:2] == (h, w):
            return np.ascontiguousarray(cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB))
    return load_image(
        data, max_pixels=MAX_FRAME_PIXELS, max_bytes=MAX_FRAME_BYTES, name="camera frame"
    )


def _xy(face: FaceResult) -> NDArray[np.float32]:
    return face.rows.xy_px.astype(np.float32)


class LiveTracker:
    """Acupoints on one camera stream (stateful: one tracker per stream).

    Parameters
    ----------
    tracking : bool, keyword-only
        Use Face Mesh's tracking mode (default); ``False`` runs the detector on
        every frame, exactly as ``locate()`` does.
    smoothing : OneEuroParams or None, keyword-only
        Landmark smoothing; ``None`` switches it off.
    with_raw : bool, keyword-only
        Also place the points on the unsmoothed landmarks (``LiveFrame.raw_xy_px``;
        costs one more evaluation, about 1 ms).
    pose_check : callable, optional, keyword-only
        ``pose_check(pose) -> list of str``: extra warnings for a pose (the photo
        check's rules live with the clinic; the web layer passes them in).
    geometry : GeometryFile, optional, keyword-only
        Defaults to the packaged geometry (the same as ``locate()``).
    standard : str, optional, keyword-only
        Location standard where standards differ, as ``locate(standard=...)``.
    """

    def __init__(
        self,
        *,
        tracking: bool = True,
        smoothing: OneEuroParams | None = OneEuroParams(),  # noqa: B008 - frozen value
        with_raw: bool = False,
        pose_check: Callable[[Pose], list[str]] | None = None,
        geometry: GeometryFile | None = None,
        standard: str | None = None,
    ) -> None:
        self.geometry = geometry or load_geometry()
        self.standard = standard
        compiled = compile_geometry(self.geometry, standard)
        #: Code and client's side of every row of ``LiveFrame.xy_px``.
        self.codes: tuple[str, ...] = compiled.codes
        self.sides: tuple[str, ...] = compiled.sides
        self.with_raw = with_raw
        self.pose_check = pose_check
        self._detector = FaceMeshDetector(max_faces=1, tracking=tracking)
        self._filter = OneEuroFilter(smoothing) if smoothing is not None else None

    def _empty(self, status: LiveStatus, wh: tuple[int, int], **kw: object) -> LiveFrame:
        return LiveFrame(
            status=status,
            image_wh=wh,
            xy_px=np.zeros((0, 2), dtype=np.float32),
            visible=np.zeros(0, dtype=bool),
            **kw,  # type: ignore[arg-type]
        )

    def process(self, image: bytes | NDArray[np.uint8], t_s: float) -> LiveFrame:
        """Locate the points on one frame of the stream.

        Parameters
        ----------
        image : bytes or (H, W, 3) ndarray of uint8
            The frame (JPEG/PNG bytes, as sent by the browser, or RGB pixels).
        t_s : float
            Capture time of the frame in seconds (drives the smoothing).

        Returns
        -------
        LiveFrame

        Raises
        ------
        NotAnImage, UnsupportedImage, CorruptImage, ImageTooLarge
            From :func:`load_image` (bad frame bytes).
        """
        t0 = time.perf_counter()
        if isinstance(image, np.ndarray):
            rgb = load_image(image, name="camera frame")
        else:
            rgb = decode_frame(bytes(image))
        h, w = rgb.shape[:2]
        t1 = time.perf_counter()
        faces = self._detector.detect(rgb)
        t2 = time.perf_counter()
        timings = {"decode": (t1 - t0) * 1e3, "landmarks": (t2 - t1) * 1e3}
        if not faces:
            if self._filter is not None:
                self._filter.reset()
            return self._empty("no_face", (w, h), timings_ms=timings)
        raw = faces[0]
        if raw.face_width_px < MIN_FACE_PX:
            return self._empty(
                "too_small",
                (w, h),
                timings_ms=timings,
                warnings=(
                    f"The face is only {raw.face_width_px:.0f} px across; come closer "
                    f"(at least {MIN_FACE_PX:.0f} px is needed).",
                ),
            )
        smoothed, speed_mm_s = self._smooth(raw, t_s)
        # The pixels go along as in locate(): neck points are checked for skin.
        face = face_result(smoothed, geometry=self.geometry, standard=self.standard, image_rgb=rgb)
        raw_xy = (
            _xy(face_result(raw, geometry=self.geometry, standard=self.standard, image_rgb=rgb))
            if self.with_raw
            else None
        )
        warnings = list(face.warnings)
        if self.pose_check is not None:
            warnings.extend(w for w in self.pose_check(face.pose) if w not in warnings)
        timings["points"] = (time.perf_counter() - t2) * 1e3
        return LiveFrame(
            status="ok",
            image_wh=(w, h),
            xy_px=_xy(face),
            visible=face.rows.visible.copy(),
            raw_xy_px=raw_xy,
            pose=face.pose,
            speed_mm_s=speed_mm_s,
            steady=speed_mm_s < STEADY_MM_S,
            mm_per_px=face.mm_per_px,
            warnings=tuple(warnings),
            timings_ms=timings,
            face=face,
        )

    def _smooth(self, raw: Landmarks, t_s: float) -> tuple[Landmarks, float]:
        """Smoothed landmarks (pose refitted on them) and the face's speed in mm/s."""
        if self._filter is None:
            return raw, 0.0
        xyz = self._filter(raw.xyz_px, t_s, scale=raw.face_width_px)
        speed_px = self._filter.speed(dims=2)
        speed_mm_s = float(np.median(speed_px[:468])) * raw.mm_per_px if speed_px.size else 0.0
        pose, rotation, scale = fit_pose(xyz)
        smoothed = Landmarks(
            xyz_px=xyz, image_wh=raw.image_wh, pose=pose, rotation=rotation, scale=scale
        )
        return smoothed, speed_mm_s

    def close(self) -> None:
        """Release the Face Mesh graph."""
        self._detector.close()
