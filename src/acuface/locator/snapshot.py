"""The stored form of a face map: :class:`FaceMapSnapshot`.

The clinic keeps, with every photo, where the locator put each point, and draws
plans and charting on it for as long as the photo is kept. What it stores is
this frozen, versioned model of ``FaceMap.to_json()`` (the ``acuface locate
--json`` shape), never the live ``FaceMap`` with its landmark arrays.

``FaceMap.to_json()`` writes the document and this model types it (unknown keys
are refused). Changing the shape: add the key in ``facemap.py`` and the field
here, bump ``schema_version`` and add a step to ``FaceMapSnapshot.UPGRADES``
(see :mod:`acuface.vocab.snapshots`).

Versions
--------
1
    ``FaceMap.to_json()``: points in image pixels, pose in degrees; a point's
    ``convention`` only where standards differ (absent in maps stored before it).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from acuface.locator.facemap import FaceMap
from acuface.vocab import Side
from acuface.vocab.snapshots import Snapshot

_FROZEN = ConfigDict(extra="forbid", frozen=True)


class PointSnapshot(BaseModel):
    """One placed point; ``x``, ``y`` in pixels of the stored photo."""

    model_config = _FROZEN

    code: str
    side: Side
    x: float = Field(description="Image x in pixels.")
    y: float = Field(description="Image y in pixels.")
    visible: bool
    confidence: float = Field(ge=0.0, le=1.0)
    convention: str | None = Field(
        default=None, description="The standard followed where standards differ (e.g. who2008)."
    )


class PoseSnapshot(BaseModel):
    """Head pose in degrees (anatomical signs, see :mod:`acuface.vocab.mesh`)."""

    model_config = _FROZEN

    yaw: float = Field(description="Degrees; > 0 turned toward the client's left.")
    pitch: float = Field(description="Degrees; > 0 chin raised.")
    roll: float = Field(description="Degrees; > 0 tilted toward the client's left shoulder.")


class FaceSnapshot(BaseModel):
    """The points of one face."""

    model_config = _FROZEN

    pose: PoseSnapshot
    mm_per_px: float = Field(description="Millimetres per pixel at the face.")
    cun_mm: float = Field(description="One B-cun in millimetres.")
    points: list[PointSnapshot]
    warnings: list[str] = Field(default_factory=list)


class FaceMapSnapshot(Snapshot):
    """Every located face of one photo, largest (the client's) first."""

    image_wh: tuple[int, int]
    faces: list[FaceSnapshot]
    warnings: list[str] = Field(default_factory=list)
    schema_version: Literal[1] = 1

    @property
    def primary(self) -> FaceSnapshot | None:
        """The largest face, or ``None`` when no face was located."""
        return self.faces[0] if self.faces else None

    @classmethod
    def of(cls, face_map: FaceMap) -> FaceMapSnapshot:
        """Return the snapshot of a face map the locator just made."""
        return cls.model_validate({**face_map.to_json(), "schema_version": cls.current_version()})


def face_box(
    points: Sequence[PointSnapshot],
    width: int,
    height: int,
    *,
    margin: float,
    max_share: float | None = None,
) -> tuple[int, int, int, int] | None:
    """Return the box ``(x0, y0, w, h)`` around located points plus a margin.

    Parameters
    ----------
    points : sequence of PointSnapshot
        Located points (``x``, ``y`` in image pixels).
    width, height : int
        Image size in pixels; the box is clipped to it.
    margin : float, keyword-only
        Extra space on every side as a share of the points' larger extent.
    max_share : float, optional, keyword-only
        ``None`` when the box would cover more than this share of the image
        (cutting would then gain nothing).

    Returns
    -------
    tuple of int or None
        ``None`` without points, or for a box under 16 px on a side.
    """
    if not points:
        return None
    xs = [p.x for p in points]
    ys = [p.y for p in points]
    extent = max(max(xs) - min(xs), max(ys) - min(ys), 1.0)
    pad = extent * margin
    x0, x1 = max(0, int(min(xs) - pad)), min(width, int(max(xs) + pad))
    y0, y1 = max(0, int(min(ys) - pad)), min(height, int(max(ys) + pad))
    if x1 - x0 < 16 or y1 - y0 < 16:
        return None
    if max_share is not None and (x1 - x0) * (y1 - y0) > max_share * width * height:
        return None
    return x0, y0, x1 - x0, y1 - y0
