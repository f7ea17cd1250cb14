"""Face regions for skin analysis, as landmark polygons read from data.

The regions (forehead, glabella, crow's feet, under-eye, cheeks, nasolabial
folds, perioral, marionette, chin, jawline) are polygons over Face Mesh
landmark indices in ``skin/data/regions.yaml``, read by the atlas's data-file
registry.  Bilateral regions are written once for the client's left side (as in
every Acuface data file) and mirrored; names carry the client's anatomical side
(``left_cheek`` is the client's left cheek, on the image's right in a frontal
photo).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

import cv2
import numpy as np
from numpy.typing import NDArray
from pydantic import BaseModel, ConfigDict, Field, field_validator

from acuface.atlas.datafiles import DataFile, SourceIds, register
from acuface.vocab import N_LANDMARKS, N_MESH_LANDMARKS, Side, mirror_index


class PolygonSpec(BaseModel):
    """One polygon over landmark indices (the client's left side if bilateral)."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(pattern=r"^[a-z_]+$")
    bilateral: bool
    polygon: list[int] = Field(min_length=3)
    note: str = Field(min_length=3, description="What the polygon follows, in plain words.")
    source: SourceIds

    @field_validator("polygon")
    @classmethod
    def _indices_in_range(cls, value: list[int]) -> list[int]:
        bad = [i for i in value if not 0 <= i < N_LANDMARKS]
        if bad:
            raise ValueError(f"landmark indices out of range: {bad}")
        if len(set(value)) != len(value):
            raise ValueError("a polygon repeats a landmark index")
        return value


Measure = Literal["lines", "colour", "texture"]


class RegionSpec(PolygonSpec):
    """A measured region and which metric families apply to it."""

    #: ``lines``: wrinkle filter scores; ``colour``: L*, a*, b*, ITA, erythema;
    #: ``texture``: fine-scale roughness (needs a large, flat patch of skin).
    measures: list[Measure] = Field(min_length=1)


class FeatureSpec(PolygonSpec):
    """A facial feature (eye, brow, lips) cut out of every region."""

    margin_mm: float = Field(ge=0.0, le=10.0)


class RegionFile(BaseModel):
    """The whole ``regions.yaml``."""

    model_config = ConfigDict(extra="forbid")

    schema_version: int
    contour_margin_mm: float = Field(ge=0.0, le=10.0)
    note: str = Field(min_length=3)
    source: SourceIds
    features: list[FeatureSpec]
    regions: list[RegionSpec]


#: ``skin/data/regions.yaml``, registered with the atlas's data-file registry.
REGIONS: DataFile[RegionFile] = register(
    DataFile(
        name="skin_regions",
        model=RegionFile,
        package="acuface.skin",
        filename="regions.yaml",
        description="skin-analysis regions as Face Mesh landmark polygons",
    )
)


def load_region_file() -> RegionFile:
    """Load and validate ``skin/data/regions.yaml`` (once, thread-safe)."""
    return REGIONS.load()


def _expand(specs: list[RegionSpec] | list[FeatureSpec]) -> list[tuple[str, Side, list[int]]]:
    mirror = mirror_index()
    out: list[tuple[str, Side, list[int]]] = []
    for spec in specs:
        if spec.bilateral:
            # Right before left: the order regions claim pixels in, kept stable.
            out.append((f"right_{spec.name}", "right", [int(mirror[i]) for i in spec.polygon]))
            out.append((f"left_{spec.name}", "left", list(spec.polygon)))
        else:
            out.append((spec.name, "midline", list(spec.polygon)))
    return out


def region_names() -> list[str]:
    """Names of every region in priority (file) order, sides expanded."""
    return [name for name, _, _ in _expand(load_region_file().regions)]


def region_measures() -> dict[str, frozenset[str]]:
    """Metric families measured on each region (sides expanded)."""
    spec = load_region_file()
    out: dict[str, frozenset[str]] = {}
    for r in spec.regions:
        names = [f"right_{r.name}", f"left_{r.name}"] if r.bilateral else [r.name]
        for n in names:
            out[n] = frozenset(r.measures)
    return out


def region_polygons(xy_px: NDArray[np.float64]) -> dict[str, NDArray[np.float64]]:
    """Polygon vertices of each region.

    Parameters
    ----------
    xy_px : (478, 2) ndarray of float
        Landmark positions in some pixel frame.

    Returns
    -------
    dict of str to (K, 2) ndarray of float64
        Vertices in the same frame, keyed by region name.
    """
    return {
        name: np.asarray(xy_px[idx], dtype=np.float64)
        for name, _, idx in _expand(load_region_file().regions)
    }


def feature_polygons(xy_px: NDArray[np.float64]) -> dict[str, NDArray[np.float64]]:
    """Polygon vertices of the excluded features (eyes, brows, lips).

    Parameters
    ----------
    xy_px : (478, 2) ndarray of float

    Returns
    -------
    dict of str to (K, 2) ndarray of float64
    """
    return {
        name: np.asarray(xy_px[idx], dtype=np.float64)
        for name, _, idx in _expand(load_region_file().features)
    }


def _fill(poly_px: NDArray[np.float64], shape: tuple[int, int]) -> NDArray[np.bool_]:
    canvas: Any = np.zeros(shape, dtype=np.uint8)
    # Sub-pixel vertices (4 fractional bits) so small faces keep their shape.
    pts = np.round(poly_px * 16).astype(np.int32).reshape(-1, 1, 2)
    cv2.fillPoly(canvas, [pts], (1,), lineType=cv2.LINE_8, shift=4)
    return canvas.astype(bool)


@dataclass(frozen=True)
class RegionMasks:
    """Boolean masks of every region on one image frame.

    Attributes
    ----------
    masks : dict of str to (H, W) ndarray of bool
        Exclusive region masks (features cut out), keyed by region name.
    features : (H, W) ndarray of bool
        Everything excluded: the features dilated by their margins, and the
        band within ``contour_margin_mm`` of (and outside) the mesh outline.
    polygons : dict of str to (K, 2) ndarray of float64
        Region outlines in the same frame (before feature removal).
    """

    masks: dict[str, NDArray[np.bool_]]
    features: NDArray[np.bool_]
    polygons: dict[str, NDArray[np.float64]]

    @property
    def face(self) -> NDArray[np.bool_]:
        """(H, W) ndarray of bool: union of all regions."""
        out = np.zeros_like(self.features)
        for m in self.masks.values():
            out |= m
        return out

    def union(self, names: list[str]) -> NDArray[np.bool_]:
        """(H, W) ndarray of bool: union of the named regions."""
        out = np.zeros_like(self.features)
        for n in names:
            out |= self.masks[n]
        return out


def region_masks(
    xy_px: NDArray[np.float64],
    shape: tuple[int, int],
    *,
    mm_per_px: float,
    exclusive: bool = True,
) -> RegionMasks:
    """Rasterise the regions on an image frame.

    Parameters
    ----------
    xy_px : (478, 2) ndarray of float
        Landmarks in the frame's pixels.
    shape : tuple of int
        (H, W) of the frame.
    mm_per_px : float, keyword-only
        Scale used to turn the feature margins (mm) into pixels.
    exclusive : bool, keyword-only
        If True (default), a pixel belongs to the first region (file order)
        that claims it.  False gives the raw polygons (used to test that the
        data's polygons do not overlap).

    Returns
    -------
    RegionMasks
    """
    spec = load_region_file()
    features = np.zeros(shape, dtype=bool)
    for (_, _, idx), fspec in zip(
        _expand(spec.features),
        [f for f in spec.features for _ in range(2 if f.bilateral else 1)],
        strict=True,
    ):
        m = _fill(np.asarray(xy_px[idx], dtype=np.float64), shape)
        radius = int(round(fspec.margin_mm / mm_per_px))
        if radius > 0:
            k = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * radius + 1, 2 * radius + 1))
            m = cv2.dilate(m.astype(np.uint8), k).astype(bool)
        features |= m
    hull = cv2.convexHull(np.asarray(xy_px[:N_MESH_LANDMARKS], dtype=np.float32)).reshape(-1, 2)
    inside = _fill(hull.astype(np.float64), shape)
    radius = int(round(spec.contour_margin_mm / mm_per_px))
    if radius > 0:
        k = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * radius + 1, 2 * radius + 1))
        inside = cv2.erode(inside.astype(np.uint8), k).astype(bool)
    features |= ~inside
    polygons = region_polygons(xy_px)
    claimed = np.zeros(shape, dtype=bool)
    masks: dict[str, NDArray[np.bool_]] = {}
    for name, poly in polygons.items():
        m = _fill(poly, shape) & ~features
        if exclusive:
            m &= ~claimed
            claimed |= m
        masks[name] = m
    return RegionMasks(masks=masks, features=features, polygons=polygons)
