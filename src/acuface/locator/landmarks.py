"""Dense face landmarks: the only module in Acuface that imports MediaPipe.

MediaPipe's legacy Face Mesh (``mediapipe==0.10.21``, the last release that
ships its face models inside the wheel) gives 478 landmarks per face: 468 mesh
points plus 10 iris points (468 and 473 are the iris centres). This module
converts its result once, at the boundary, into our own :class:`Landmarks`
(pixel coordinates, head pose) so that nothing else sees MediaPipe types.

Head pose comes from a rigid fit (Kabsch) of the 3-D landmarks to a symmetric
canonical template shipped in ``locator/data/face_template.npy``; see
:func:`fit_pose` and ``docs/points.md``.

Conventions
-----------
Image axes: x to the right, y down, z away from the camera (pixels; MediaPipe's
z is scaled by the image width, as its documentation says it uses "roughly the
same scale as x"). Pose angles in degrees, anatomical:

* ``yaw_deg`` > 0 when the client turns the head toward **their own left**
  (the nose moves toward the image's right),
* ``pitch_deg`` > 0 when the chin is raised,
* ``roll_deg`` > 0 when the head tilts toward the client's left shoulder.
"""

from __future__ import annotations

import contextlib
import os
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from typing import Any

import numpy as np
from numpy.typing import NDArray

from acuface.errors import NoFaceFound, UnsupportedImage

#: Number of landmarks per face (468 mesh + 10 iris).
N_LANDMARKS = 478
#: Iris centres (MediaPipe indices): the client's right eye is on the image's left.
IRIS_CENTRE_RIGHT = 468
IRIS_CENTRE_LEFT = 473
#: Mean adult interpupillary distance assumed for the millimetre scale.
#: 63 mm is the commonly quoted adult mean (Dodgson 2004, "Variation and
#: extrema of human interpupillary distance"); individuals range ~54-74 mm, so
#: a millimetre figure from one photo is an estimate within about ±10 %.
MEAN_IPD_MM = 63.0

# MediaPipe logs TFLite INFO/WARNING lines; these must never reach the CLI.
os.environ.setdefault("GLOG_minloglevel", "2")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")


@dataclass(frozen=True)
class Pose:
    """Head pose in degrees (anatomical signs, see the module docstring)."""

    yaw_deg: float
    pitch_deg: float
    roll_deg: float

    def as_dict(self) -> dict[str, float]:
        """Return ``{"yaw": ..., "pitch": ..., "roll": ...}`` rounded to 0.1°."""
        return {
            "yaw": round(self.yaw_deg, 1),
            "pitch": round(self.pitch_deg, 1),
            "roll": round(self.roll_deg, 1),
        }


@dataclass(frozen=True)
class Landmarks:
    """One face's landmarks in image pixels, with its head pose.

    Attributes
    ----------
    xyz_px : (478, 3) ndarray of float64
        x, y in pixels; z relative depth in pixels (larger = farther).
    image_wh : tuple of int
        (width, height) of the image the landmarks belong to.
    pose : Pose
        Head pose from the template fit.
    rotation : (3, 3) ndarray of float64
        Rotation taking template (face) axes to image axes.
    scale : float
        Pixels per template unit of the fit.
    """

    xyz_px: NDArray[np.float64]
    image_wh: tuple[int, int]
    pose: Pose
    rotation: NDArray[np.float64] = field(repr=False)
    scale: float = 1.0

    @property
    def xy_px(self) -> NDArray[np.float64]:
        """(478, 2) ndarray of float64: x, y in pixels."""
        return self.xyz_px[:, :2]

    @property
    def iris_distance_px(self) -> float:
        """Distance between the two iris centres in pixels (3-D, pose-robust)."""
        d = self.xyz_px[IRIS_CENTRE_LEFT] - self.xyz_px[IRIS_CENTRE_RIGHT]
        return float(np.linalg.norm(d))

    @property
    def mm_per_px(self) -> float:
        """Millimetres per pixel at the face, assuming a 63 mm interpupillary distance."""
        return MEAN_IPD_MM / max(self.iris_distance_px, 1e-6)

    @property
    def bbox_px(self) -> tuple[float, float, float, float]:
        """(x_min, y_min, x_max, y_max) of the mesh in pixels."""
        x, y = self.xy_px[:, 0], self.xy_px[:, 1]
        return float(x.min()), float(y.min()), float(x.max()), float(y.max())

    @property
    def face_width_px(self) -> float:
        """Width of the face mesh's bounding box in pixels."""
        x0, _, x1, _ = self.bbox_px
        return x1 - x0

    def to_template_frame(self) -> NDArray[np.float64]:
        """Return the landmarks in the face's own frame (pose removed).

        Returns
        -------
        (478, 3) ndarray of float64
            Coordinates in pixels about the mesh centroid, with the head pose
            rotated out: x toward the client's left, y down, z away from camera.
        """
        centred = self.xyz_px - self.xyz_px.mean(axis=0)
        return centred @ self.rotation  # R^T applied to row vectors


# --- template, mirror map, pose ---------------------------------------------


@lru_cache(maxsize=1)
def face_template() -> NDArray[np.float64]:
    """Return the symmetric canonical face template.

    Returns
    -------
    (478, 3) ndarray of float64
        Centred, unit-RMS landmark positions of a frontal, level face in image
        axes (x toward the client's left, y down, z away from the camera).
    """
    ref = resources.files("acuface.locator") / "data" / "face_template.npy"
    with ref.open("rb") as fh:
        return np.asarray(np.load(fh), dtype=np.float64)


@lru_cache(maxsize=1)
def mirror_index() -> NDArray[np.intp]:
    """Return the landmark index mirrored across the face's midline.

    Returns
    -------
    (478,) ndarray of intp
        ``mirror_index()[i]`` is the landmark at the mirror position of ``i``;
        midline landmarks map to themselves.
    """
    ref = resources.files("acuface.locator") / "data" / "mirror_index.npy"
    with ref.open("rb") as fh:
        return np.asarray(np.load(fh), dtype=np.intp)


def kabsch(
    source: NDArray[np.float64], target: NDArray[np.float64]
) -> tuple[NDArray[np.float64], float, NDArray[np.float64]]:
    """Similarity fit ``target ≈ scale * source @ R.T + t`` (Kabsch-Umeyama).

    Parameters
    ----------
    source, target : (N, 3) ndarray of float64
        Corresponding points.

    Returns
    -------
    rotation : (3, 3) ndarray of float64
        Proper rotation (det = +1).
    scale : float
    translation : (3,) ndarray of float64
    """
    mu_s, mu_t = source.mean(axis=0), target.mean(axis=0)
    s, t = source - mu_s, target - mu_t
    cov = t.T @ s / len(source)
    u, sing, vt = np.linalg.svd(cov)
    d = np.sign(np.linalg.det(u @ vt)) or 1.0
    diag = np.array([1.0, 1.0, d])
    rotation = u @ np.diag(diag) @ vt
    var_s = (s**2).sum() / len(source)
    scale = float((sing * diag).sum() / var_s)
    translation = mu_t - scale * mu_s @ rotation.T
    return rotation, scale, translation


def pose_from_rotation(rotation: NDArray[np.float64]) -> Pose:
    """Convert a template-to-image rotation into anatomical yaw, pitch and roll.

    Parameters
    ----------
    rotation : (3, 3) ndarray of float64

    Returns
    -------
    Pose
    """
    forward = rotation @ np.array([0.0, 0.0, -1.0])  # out of the face, toward camera
    across = rotation @ np.array([1.0, 0.0, 0.0])  # client's right -> left
    yaw = np.degrees(np.arctan2(forward[0], -forward[2]))
    pitch = np.degrees(np.arctan2(-forward[1], np.hypot(forward[0], forward[2])))
    roll = np.degrees(np.arctan2(across[1], across[0]))
    return Pose(float(yaw), float(pitch), float(roll))


def fit_pose(
    xyz_px: NDArray[np.float64],
) -> tuple[Pose, NDArray[np.float64], float]:
    """Fit the canonical template to one face's landmarks.

    Parameters
    ----------
    xyz_px : (478, 3) ndarray of float64

    Returns
    -------
    pose : Pose
    rotation : (3, 3) ndarray of float64
    scale : float
        Pixels per template unit.
    """
    template = face_template()
    # Iris points are left out: the eyes move independently of the head.
    rotation, scale, _ = kabsch(template[:468], xyz_px[:468])
    return pose_from_rotation(rotation), rotation, scale


# --- MediaPipe ---------------------------------------------------------------

#: Wire layout of one serialised NormalizedLandmark holding exactly x, y, z:
#: ``0A 0F`` (list entry, 15 bytes) then ``0D`` x ``15`` y ``1D`` z, floats LE.
_LANDMARK_RECORD = 17
_LANDMARK_TAGS = {0: 0x0A, 1: 0x0F, 2: 0x0D, 7: 0x15, 12: 0x1D}
_FLOAT_BYTES = [3, 4, 5, 6, 8, 9, 10, 11, 13, 14, 15, 16]


def _landmark_array(face: Any) -> NDArray[np.float64]:
    """Convert a NormalizedLandmarkList to an (N, 3) array of normalised x, y, z.

    Reading 478 protobuf objects attribute by attribute costs ~0.6-1 ms, a
    tenth of the model's time; decoding the serialised message costs ~0.06 ms.
    The fast path is taken only when every record has exactly the expected
    layout, otherwise the attribute loop gives the same numbers.
    """
    raw = np.frombuffer(face.SerializeToString(), dtype=np.uint8)
    if raw.size % _LANDMARK_RECORD == 0 and raw.size:
        rec = raw.reshape(-1, _LANDMARK_RECORD)
        if all((rec[:, col] == tag).all() for col, tag in _LANDMARK_TAGS.items()):
            xyz = rec[:, _FLOAT_BYTES].copy().view("<f4").reshape(-1, 3)
            return xyz.astype(np.float64)
    return np.array([(p.x, p.y, p.z) for p in face.landmark], dtype=np.float64)


@contextlib.contextmanager
def _quiet_stderr() -> Iterator[None]:
    """Silence C-level stderr (TFLite/glog chatter) for the duration."""
    try:
        fd = sys.stderr.fileno()
    except (AttributeError, OSError, ValueError):
        yield
        return
    sys.stderr.flush()
    saved = os.dup(fd)
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, fd)
        yield
    finally:
        os.dup2(saved, fd)
        os.close(saved)
        os.close(devnull)


class FaceMeshDetector:
    """A reusable MediaPipe Face Mesh (static images, iris refinement on).

    Building the graph costs far more than one inference, so build one and
    reuse it. Not thread-safe: use :func:`get_detector`, which keeps one per
    thread.

    Parameters
    ----------
    max_faces : int
        Most faces reported per image.
    min_detection_confidence : float
    """

    def __init__(self, *, max_faces: int = 4, min_detection_confidence: float = 0.5) -> None:
        with _quiet_stderr():
            import mediapipe as mp  # the one place MediaPipe is imported

            self._mesh: Any = mp.solutions.face_mesh.FaceMesh(
                static_image_mode=True,
                max_num_faces=max_faces,
                refine_landmarks=True,
                min_detection_confidence=min_detection_confidence,
            )
            # The graph starts its calculators (and logs) on the first frame;
            # run one blank frame while stderr is silenced.
            self._mesh.process(np.zeros((64, 64, 3), dtype=np.uint8))
        self._warm = False

    def raw(self, image_rgb: NDArray[np.uint8]) -> Any:
        """Run the model and return MediaPipe's own result (for benchmarks)."""
        if not self._warm:
            # The landmark stage logs once, on the first frame that holds a
            # face (the blank warm-up frame in __init__ does not reach it).
            with _quiet_stderr():
                result = self._mesh.process(image_rgb)
            self._warm = True
            return result
        return self._mesh.process(image_rgb)

    def detect(self, image_rgb: NDArray[np.uint8]) -> list[Landmarks]:
        """Find every face in an RGB image, largest first.

        Parameters
        ----------
        image_rgb : (H, W, 3) ndarray of uint8

        Returns
        -------
        list of Landmarks
            Empty when no face is found.
        """
        if image_rgb.ndim != 3 or image_rgb.shape[2] != 3 or image_rgb.dtype != np.uint8:
            raise UnsupportedImage(
                f"expected an (H, W, 3) uint8 RGB image, got {image_rgb.shape} {image_rgb.dtype}"
            )
        h, w = image_rgb.shape[:2]
        result = self.raw(np.ascontiguousarray(image_rgb))
        faces: list[Landmarks] = []
        for face in result.multi_face_landmarks or []:
            arr = _landmark_array(face)
            if arr.shape != (N_LANDMARKS, 3):
                continue
            xyz = arr * np.array([w, h, w], dtype=np.float64)
            pose, rotation, scale = fit_pose(xyz)
            faces.append(
                Landmarks(xyz_px=xyz, image_wh=(w, h), pose=pose, rotation=rotation, scale=scale)
            )
        faces.sort(key=lambda f: f.face_width_px, reverse=True)
        return faces

    def close(self) -> None:
        """Release the graph."""
        self._mesh.close()


_local = threading.local()


def get_detector() -> FaceMeshDetector:
    """Return this thread's shared :class:`FaceMeshDetector`, built on first use."""
    det = getattr(_local, "detector", None)
    if det is None:
        det = FaceMeshDetector()
        _local.detector = det
    return det


def detect_faces(image_rgb: NDArray[np.uint8]) -> list[Landmarks]:
    """Detect all faces, largest first, with this thread's detector.

    Parameters
    ----------
    image_rgb : (H, W, 3) ndarray of uint8

    Returns
    -------
    list of Landmarks
    """
    return get_detector().detect(image_rgb)


def detect_one(image_rgb: NDArray[np.uint8], *, label: str = "photo") -> Landmarks:
    """Return the largest face, or raise :class:`NoFaceFound`.

    Parameters
    ----------
    image_rgb : (H, W, 3) ndarray of uint8
    label : str, keyword-only
        Name used in the error message.
    """
    faces = detect_faces(image_rgb)
    if not faces:
        raise NoFaceFound(
            f"{label}: no face found. Use a well-lit, front-facing photo with the whole face "
            "in the frame."
        )
    return faces[0]
