"""Dense face landmarks: the only module in Acuface that imports MediaPipe.

MediaPipe's legacy Face Mesh (``mediapipe==0.10.21``, the last release that
ships its face models inside the wheel) gives 478 landmarks per face. This
module converts its result once, at the boundary, into our own
:class:`~acuface.vocab.Landmarks` (pixel coordinates, head pose; the type and
its conventions live in :mod:`acuface.vocab.mesh`) so that nothing else sees
MediaPipe types.

Head pose comes from a rigid fit (Kabsch) of the 3-D landmarks to a symmetric
canonical template shipped in ``locator/data/face_template.npy``; see
:func:`fit_pose` and ``docs/points.md``. MediaPipe's z is scaled by the image
width, as its documentation says it uses "roughly the same scale as x".
"""

from __future__ import annotations

import contextlib
import importlib.util
import os
import sys
import threading
from collections.abc import Iterator
from functools import lru_cache
from importlib import resources
from typing import Any, NamedTuple

import numpy as np
from numpy.typing import NDArray

from acuface.errors import NoFaceFound, UnsupportedImage
from acuface.vocab import N_LANDMARKS, N_MESH_LANDMARKS, Landmarks, Pose

# MediaPipe logs TFLite INFO/WARNING lines; these must never reach the CLI.
os.environ.setdefault("GLOG_minloglevel", "2")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")


# --- template, pose ----------------------------------------------------------


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
    return _kabsch_to(_centred(source), target)


class _Centred(NamedTuple):
    """A point set's mean, the points about it and their mean squared norm."""

    mean: NDArray[np.float64]
    centred: NDArray[np.float64]
    variance: float


def _centred(points: NDArray[np.float64]) -> _Centred:
    mean = points.mean(axis=0)
    centred = points - mean
    return _Centred(mean, centred, (centred**2).sum() / len(points))


def _det3(m: list[list[float]]) -> float:
    """Return the determinant of a 3 x 3 matrix given as nested lists."""
    (a, b, c), (d, e, f), (g, h, i) = m
    return a * (e * i - f * h) - b * (d * i - f * g) + c * (d * h - e * g)


def _kabsch_to(
    source: _Centred, target: NDArray[np.float64]
) -> tuple[NDArray[np.float64], float, NDArray[np.float64]]:
    mu_t = target.sum(axis=0) / len(target)  # = target.mean(axis=0), without its wrapper
    t = target - mu_t
    cov = t.T @ source.centred / len(t)
    u, sing, vt = np.linalg.svd(cov)
    # u @ vt is orthogonal: its determinant is +1 or -1, so three products tell.
    d = 1.0 if _det3((u @ vt).tolist()) >= 0.0 else -1.0
    diag = np.array([1.0, 1.0, d])
    rotation = (u * diag) @ vt  # = u @ np.diag(diag) @ vt
    scale = float((sing * diag).sum() / source.variance)
    translation = mu_t - scale * source.mean @ rotation.T
    return rotation, scale, translation


@lru_cache(maxsize=1)
def _template_mesh() -> _Centred:
    """Centre the template's mesh points once: every face's fit starts from them."""
    fit = _centred(face_template()[:N_MESH_LANDMARKS])
    fit.mean.setflags(write=False)
    fit.centred.setflags(write=False)
    return fit


def pose_from_rotation(rotation: NDArray[np.float64]) -> Pose:
    """Convert a template-to-image rotation into anatomical yaw, pitch and roll.

    Parameters
    ----------
    rotation : (3, 3) ndarray of float64

    Returns
    -------
    Pose
    """
    (r00, r01, r02), (r10, r11, r12), (r20, r21, r22) = rotation.tolist()
    # Out of the face, toward the camera: R @ (0, 0, -1); across the face, from
    # the client's right to left: R @ (1, 0, 0).
    fx, fy, fz = -r02, -r12, -r22
    yaw = np.degrees(np.arctan2(fx, -fz))
    pitch = np.degrees(np.arctan2(-fy, np.hypot(fx, fz)))
    roll = np.degrees(np.arctan2(r10, r00))
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
    # Iris points are left out: the eyes move independently of the head.
    rotation, scale, _ = _kabsch_to(_template_mesh(), xyz_px[:N_MESH_LANDMARKS])
    return pose_from_rotation(rotation), rotation, scale


# --- MediaPipe ---------------------------------------------------------------

#: Wire layout of one serialised NormalizedLandmark holding exactly x, y, z:
#: ``0A 0F`` (list entry, 15 bytes) then ``0D`` x ``15`` y ``1D`` z, floats LE.
_LANDMARK_RECORD = np.dtype(
    [
        ("entry", "u1"),
        ("length", "u1"),
        ("x_tag", "u1"),
        ("x", "<f4"),
        ("y_tag", "u1"),
        ("y", "<f4"),
        ("z_tag", "u1"),
        ("z", "<f4"),
    ]
)
#: Offset of each tag byte in a record, and the byte it must hold.
_TAGS = ((0, 0x0A), (1, 0x0F), (2, 0x0D), (7, 0x15), (12, 0x1D))


def _landmark_array(face: Any, scale: tuple[float, float, float]) -> NDArray[np.float64]:
    """Convert a NormalizedLandmarkList to an (N, 3) array of x, y, z times ``scale``.

    Reading 478 protobuf objects attribute by attribute costs ~0.6-1 ms, a
    tenth of the model's time; reading the serialised message as records costs
    ~0.03 ms. The fast path is taken only when every record has exactly the
    expected layout (each tag checked with one bytes comparison), otherwise the
    attribute loop gives the same numbers.
    """
    raw = face.SerializeToString()
    size = _LANDMARK_RECORD.itemsize
    n, rest = divmod(len(raw), size)
    if n and not rest and all(raw[at::size] == bytes((tag,)) * n for at, tag in _TAGS):
        rec = np.frombuffer(raw, dtype=_LANDMARK_RECORD)
        xyz = np.empty((n, 3), dtype=np.float64)
        xyz[:, 0], xyz[:, 1], xyz[:, 2] = rec["x"], rec["y"], rec["z"]
    else:
        xyz = np.array([(p.x, p.y, p.z) for p in face.landmark], dtype=np.float64).reshape(-1, 3)
    xyz *= scale
    return xyz


#: Package ``__init__`` modules on the way to Face Mesh that the locator never needs.
_DEFERRED_PACKAGES = ("mediapipe", "mediapipe.python.solutions")
_IMPORT_LOCK = threading.Lock()


def _defer_package(name: str) -> None:
    """Register package *name* without running its ``__init__`` until a name of it is used.

    Its submodules import as usual (the package's ``__path__`` is set); the
    first attribute the module does not have (``mediapipe.solutions``,
    ``mediapipe.__version__`` ...) runs the real ``__init__`` in place, so
    code that imports the whole package later in the process still gets it.
    """
    spec = importlib.util.find_spec(name)
    if spec is None or spec.loader is None or spec.submodule_search_locations is None:
        raise ImportError(f"{name} is not a package")
    module = importlib.util.module_from_spec(spec)
    loader = spec.loader

    def complete(attr: str) -> Any:
        del module.__dict__["__getattr__"]  # run once; afterwards a plain module
        loader.exec_module(module)
        return getattr(module, attr)

    module.__dict__["__getattr__"] = complete
    sys.modules[name] = module
    parent, _, child = name.rpartition(".")
    if parent:
        setattr(sys.modules[parent], child, module)


def _face_mesh_module() -> Any:
    """Import MediaPipe's Face Mesh solution, and as little else of MediaPipe as possible.

    ``import mediapipe`` runs the package's ``__init__``, which imports every
    solution (hands, pose, objectron ...), the Tasks API and, through
    ``solutions.drawing_utils``, matplotlib: about three quarters of the
    import's CPU time (0.3-0.5 s a process) for code the locator never calls.
    So, when MediaPipe is not imported yet, its two package ``__init__``
    modules on the way to ``face_mesh`` are registered unexecuted (see
    :func:`_defer_package`) and only ``face_mesh`` and what it imports are
    loaded. If that fails for any reason (a different MediaPipe layout), the
    ordinary import is used.
    """
    with _IMPORT_LOCK:
        if "mediapipe" not in sys.modules:
            try:
                for name in _DEFERRED_PACKAGES:
                    _defer_package(name)
                import mediapipe.python.solutions.face_mesh as face_mesh
            except Exception:  # noqa: BLE001 - fall back to the ordinary import below
                for name in _DEFERRED_PACKAGES:
                    sys.modules.pop(name, None)
                python = sys.modules.get("mediapipe.python")
                if python is not None and "solutions" in vars(python):
                    delattr(python, "solutions")
            else:
                return face_mesh
        import mediapipe as mp  # the one place MediaPipe is imported

        return mp.solutions.face_mesh


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
    """A reusable MediaPipe Face Mesh (iris refinement on).

    Building the graph costs far more than one inference, so build one and
    reuse it. Not thread-safe: use :func:`get_detector`, which keeps one per
    thread.

    Two modes, the same landmark model:

    * **static** (default, every photo): each image runs the face detector, and
      the landmark model runs on the crop the detector found.
    * **tracking** (``tracking=True``, a live camera stream): the face detector
      runs only until a face is found; on every later frame the landmark model
      runs on a crop derived from the *previous frame's* landmarks, until it
      loses the face. That saves the detector (about 5 ms instead of 7 ms a
      frame) and steadies the crop, but it makes the object stateful (one per
      stream) and the landmarks of a frame depend slightly on the frame before:
      on a moving face they differ from a static run on the same frame by about
      1-2 px (median) at a 230 px face (``docs/web.md``, live view). The first
      frame of a stream is a detector frame, identical to static mode.

    Parameters
    ----------
    max_faces : int
        Most faces reported per image.
    min_detection_confidence : float
    tracking : bool
        Track the face across consecutive frames of one video stream.
    """

    def __init__(
        self,
        *,
        max_faces: int = 4,
        min_detection_confidence: float = 0.5,
        tracking: bool = False,
    ) -> None:
        self.tracking = tracking
        with _quiet_stderr():
            self._mesh: Any = _face_mesh_module().FaceMesh(
                static_image_mode=not tracking,
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
        widths: list[float] = []
        for face in result.multi_face_landmarks or []:
            xyz = _landmark_array(face, (w, h, w))
            if xyz.shape != (N_LANDMARKS, 3):
                continue
            pose, rotation, scale = fit_pose(xyz)
            faces.append(
                Landmarks(xyz_px=xyz, image_wh=(w, h), pose=pose, rotation=rotation, scale=scale)
            )
            widths.append(faces[-1].face_width_px)
        if len(faces) > 1:
            order = sorted(range(len(faces)), key=widths.__getitem__, reverse=True)
            faces = [faces[i] for i in order]
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
