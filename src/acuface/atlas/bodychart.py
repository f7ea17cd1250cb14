"""Schema and loader of the body chart: where each body point sits on our drawn figure.

Body points (``region: body`` in ``points.yaml``) are not placed on photos; they
are shown on a schematic figure drawn by this project (front and back, the client
in the anatomical position: standing, arms at the sides, palms forward). Each
record of ``atlas/data/body_chart.yaml`` gives a point's place on that figure in
**figure units**: the figure is 470 units tall (top of the head at ``y_fig`` 0,
soles at about 470) and ``x_fig`` is the distance from the midline, away from it,
on the client's left side (bilateral points are written once, like every data
file; the right side is the mirror image). The places follow the WHO 2008
locations and their proportional measures (B-cun), scaled to the figure's
segments; ``landmark`` says in our own words how each was derived.

The figure's outline is drawing, not data; it lives with the code that draws it
(``acuface.reports.bodychart``, for the web page and the printed handout alike),
whose ``on_figure`` lets a test check that every record lands on it.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from acuface.atlas import datafiles
from acuface.atlas.datafiles import DataFile, SourceIds, register

#: The two views of the figure.
BodyView = Literal["front", "back"]
#: Height of the figure in figure units (top of the head to the soles).
FIGURE_HEIGHT = 470.0
#: Half the figure's width in figure units (fingertips of the slightly spread arms).
FIGURE_HALF_WIDTH = 90.0

_STRICT = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)


class ChartPosition(BaseModel):
    """Where one body point is drawn on the figure."""

    model_config = _STRICT

    code: str = Field(description="The point's atlas code, e.g. 'ST36'.")
    view: BodyView = Field(description="The view it is drawn on: 'front' or 'back'.")
    x_fig: float = Field(
        ge=0.0,
        le=FIGURE_HALF_WIDTH,
        description="Distance from the midline in figure units (0 on the midline), "
        "on the client's left side; the right side is its mirror image.",
    )
    y_fig: float = Field(
        ge=0.0, le=FIGURE_HEIGHT, description="Down from the top of the head, figure units."
    )
    landmark: str = Field(
        min_length=10,
        description="How the place was derived from the point's location, in our own words.",
    )
    source: SourceIds

    @field_validator("code")
    @classmethod
    def _upper(cls, value: str) -> str:
        return value.upper()


class BodyChartFile(BaseModel):
    """The layout of ``body_chart.yaml``."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    positions: list[ChartPosition] = Field(description="One record per body point.")

    @field_validator("positions")
    @classmethod
    def _once_each(cls, value: list[ChartPosition]) -> list[ChartPosition]:
        seen: set[str] = set()
        for p in value:
            if p.code in seen:
                raise ValueError(f"point {p.code} has two chart positions")
            seen.add(p.code)
        return value


#: ``atlas/data/body_chart.yaml``: the body points' places on the drawn figure.
BODY_CHART: DataFile[BodyChartFile] = register(
    DataFile(
        name="body_chart",
        model=BodyChartFile,
        package="acuface.atlas",
        filename="body_chart.yaml",
        description="body points' places on the drawn front/back figure",
    )
)


def _build() -> dict[str, ChartPosition]:
    return {p.code: p for p in BODY_CHART.load().positions}


def body_chart_positions() -> dict[str, ChartPosition]:
    """Return code -> chart position of every body point (cached, thread-safe).

    Raises
    ------
    AtlasError
        ``body_chart.yaml`` does not match its schema or cites an unknown source.
    """
    positions: dict[str, ChartPosition] = datafiles.cached("body_chart_positions", _build)
    return positions
