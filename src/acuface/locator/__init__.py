"""Face locator: acupoints placed on a client's photo from dense face landmarks.

``locate(photo) -> FaceMap`` (see :mod:`acuface.locator.facemap`) and
``render_overlay(rgb, face_map)`` (see :mod:`acuface.locator.render`). MediaPipe
is imported only by :mod:`acuface.locator.landmarks`, and only when a detector
is first built.
"""

from acuface.locator.facemap import FaceMap, FaceResult, PlacedPoint, locate, resolve_codes
from acuface.locator.render import render_overlay

#: Version of the landmark pipeline + point geometry. Stored with every FaceMap
#: snapshot so a stored record says which geometry placed its points; bump it
#: whenever ``atlas/data/geometry.yaml`` or the landmark/pose code changes.
LOCATOR_VERSION = "locator-2.0"

__all__ = [
    "LOCATOR_VERSION",
    "FaceMap",
    "FaceResult",
    "PlacedPoint",
    "locate",
    "render_overlay",
    "resolve_codes",
]
