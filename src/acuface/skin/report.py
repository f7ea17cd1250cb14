"""Result models of skin analysis (pydantic, JSON-ready)."""

from __future__ import annotations

import math
from functools import cached_property
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from acuface.atlas.datafiles import DataFile, SourceIds, register

#: Version of the measurement method.  Bump it whenever a formula, threshold,
#: region polygon or the canonical scale changes: numbers from different
#: versions must not be compared (the clinic stores it with every measurement).
METHOD_VERSION = "skin-1.0"

#: Unit of each per-region metric (``SkinReport.regions[region][metric]``), as the
#: clinic stores it with every measurement; docs/skin.md defines each formula.
REGION_METRIC_UNITS: dict[str, str] = {
    "wrinkle_index": "% of median lightness",
    "line_density_mm_per_cm2": "mm/cm²",
    "line_depth": "% of median lightness",
    "L_mean": "CIELAB L*",
    "redness_a": "CIELAB a*",
    "b_mean": "CIELAB b*",
    "ita_deg": "deg",
    "erythema_fraction": "fraction",
    "texture_roughness": "% of median lightness",
}


class MetricInfo(BaseModel):
    """One skin metric in plain words (``skin/data/metrics.yaml``)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(pattern=r"^[A-Za-z][A-Za-z0-9_]*$")
    label: str = Field(min_length=3, description="The metric's name for people.")
    unit: str = Field(min_length=1, description="As REGION_METRIC_UNITS stores it.")
    meaning: str = Field(min_length=10, description="What the number measures, in words.")
    higher: Literal["better", "worse", "neither"] = Field(
        description="Which way is better for the client (cosmetically)."
    )
    source: SourceIds

    @property
    def direction(self) -> str:
        """How to read a change: "higher is worse", "higher is better" or neither."""
        if self.higher == "neither":
            return "neither higher nor lower is better in itself"
        return f"higher is {self.higher}"


class MetricsFile(BaseModel):
    """The whole ``skin/data/metrics.yaml``."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    schema_version: int
    source: SourceIds
    metrics: list[MetricInfo] = Field(min_length=1)

    @cached_property
    def by_id(self) -> dict[str, MetricInfo]:
        """Metrics keyed by id."""
        return {info.id: info for info in self.metrics}


#: ``skin/data/metrics.yaml``: the metrics' names, meanings and which way is better.
METRICS: DataFile[MetricsFile] = register(
    DataFile(
        name="skin_metrics",
        model=MetricsFile,
        package="acuface.skin",
        filename="metrics.yaml",
        description="skin metrics in plain words, with which way is better",
    )
)


def metric_info(metric: str) -> MetricInfo | None:
    """Return the plain-words description of *metric*, or None for an unknown one."""
    return METRICS.load().by_id.get(metric)


def _round(value: Any, ndigits: int = 4) -> Any:
    if isinstance(value, float):
        return round(value, ndigits) if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: _round(v, ndigits) for k, v in value.items()}
    if isinstance(value, list):
        return [_round(v, ndigits) for v in value]
    return value


class QualityReport(BaseModel):
    """Capture quality of one photo, with advice a person can act on.

    ``ok`` is False when any check fails; ``issues`` then says what to change.
    Angles in degrees (anatomical signs, see ``acuface.vocab.mesh``).
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    ok: bool
    issues: list[str]
    yaw: float
    pitch: float
    roll: float
    #: Variance of the Laplacian of relative lightness on facial skin, canonical frame.
    sharpness: float
    #: Mean L* of the facial skin (0-100).
    exposure: float
    #: Interpupillary distance in image pixels (face size).
    face_ipd_px: float
    #: Fraction of facial-skin pixels with a channel at >= 250 (blown highlights).
    highlight_clip_fraction: float
    #: Fraction of facial-skin pixels with L* < 8 (crushed shadows).
    shadow_clip_fraction: float
    #: L*(client's left cheek) - L*(client's right cheek).
    lighting_asymmetry_L: float
    #: Median a*, b* of the whites of the eyes (None when too few pixels).
    sclera_a: float | None = None
    sclera_b: float | None = None
    #: Name of each check that failed.
    failed: list[str] = Field(default_factory=list)


class SpotsReport(BaseModel):
    """Dark spots on the searched regions."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    count: int
    area_mm2: float
    per_region: dict[str, int]


class SkinReport(BaseModel):
    """Everything measured on one photo.

    ``regions`` maps region name to metric name to value (see ``docs/skin.md``).
    """

    model_config = ConfigDict(extra="forbid")

    method_version: str = METHOD_VERSION
    image_wh: tuple[int, int]
    mm_per_px: float
    canonical_mm_per_px: float
    quality: QualityReport
    regions: dict[str, dict[str, float]]
    dark_circles: dict[str, float | None]
    spots: SpotsReport
    sagging: dict[str, float | None]

    def to_json(self, image: str | None = None) -> dict[str, Any]:
        """Return the ``acuface skin --json`` result entry.

        Parameters
        ----------
        image : str, optional
            Path or name of the photo.

        Returns
        -------
        dict
            ``{"image", "method_version", "quality", "regions", "dark_circles",
            "spots", "sagging", "mm_per_px", "error": None}`` with floats
            rounded to 4 decimals.
        """
        return {
            "image": image,
            "method_version": self.method_version,
            "quality": _round(self.quality.model_dump()),
            "regions": _round(self.regions),
            "dark_circles": _round(self.dark_circles),
            "spots": _round(self.spots.model_dump()),
            "sagging": _round(self.sagging),
            "mm_per_px": _round(self.mm_per_px, 5),
            "error": None,
        }
