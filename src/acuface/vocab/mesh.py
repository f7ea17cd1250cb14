"""The dense face landmarks every part shares, as our own type.

MediaPipe's refined Face Mesh gives 478 landmarks per face: 468 mesh points
plus 10 iris points (468 and 473 are the iris centres). The locator's adapter
(:mod:`acuface.locator.landmarks`, the only module that imports MediaPipe)
converts its result once into :class:`Landmarks`; the locator's geometry and
skin analysis work on that type and never see MediaPipe's.

Conventions
-----------
Image axes: x to the right, y down, z away from the camera (pixels). Pose
angles in degrees, anatomical:

* ``yaw_deg`` > 0 when the client turns the head toward **their own left**
  (the nose moves toward the image's right),
* ``pitch_deg`` > 0 when the chin is raised,
* ``roll_deg`` > 0 when the head tilts toward the client's left shoulder.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources

import numpy as np
from numpy.typing import NDArray

#: Number of landmarks per face (468 mesh + 10 iris).
N_LANDMARKS = 478
#: Landmarks of the face surface; the 10 after them are iris points, which
#: move with the eyes and float in front of the eyeball.
N_MESH_LANDMARKS = 468
#: Iris centres (MediaPipe indices): the client's right eye is on the image's left.
IRIS_CENTRE_RIGHT = 468
IRIS_CENTRE_LEFT = 473
#: Mean adult interpupillary distance assumed for the millimetre scale.
#: 63 mm is the commonly quoted adult mean (Dodgson 2004, "Variation and
#: extrema of human interpupillary distance"); individuals range ~54-74 mm, so
#: a millimetre figure from one photo is an estimate within about ±10 %.
MEAN_IPD_MM = 63.0


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


@lru_cache(maxsize=1)
def mirror_index() -> NDArray[np.intp]:
    """Return the landmark index mirrored across the face's midline.

    Built with the face template by ``scripts/build_face_template.py``.

    Returns
    -------
    (478,) ndarray of intp
        ``mirror_index()[i]`` is the landmark at the mirror position of ``i``;
        midline landmarks map to themselves.
    """
    ref = resources.files("acuface.vocab") / "data" / "mirror_index.npy"
    with ref.open("rb") as fh:
        return np.asarray(np.load(fh), dtype=np.intp)
