"""The body chart on a page: body points on Acuface's front/back figure, interactive.

The figure, the markers' places and the label placement are the one drawing in
:mod:`acuface.reports.bodychart` (the printed handout draws the same chart). Here
the chart becomes a :class:`~acuface.web.facemap.PointMapView`, so it is drawn by
the same macro and script as the face maps: the same labels that never overlap,
the same 32 px tap targets and chooser.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from markupsafe import Markup

from acuface.reports.bodychart import (
    CAPTION,
    CHART_H,
    CHART_W,
    figure_svg,
    layout_body_points,
)
from acuface.web.facemap import Marker, PointMapView, marker_name, point_info


@dataclass(kw_only=True)
class BodyChartView(PointMapView):
    """Everything ``_bodychart.html`` needs: the figure and the point layers.

    Attributes
    ----------
    figure : Markup
        The drawn figure with its captions (:func:`acuface.reports.bodychart.figure_svg`).
    unplaced : list of str
        Wanted body points with no chart position (none in the shipped data; a plan
        made with another atlas may have some).
    """

    figure: Markup = field(default_factory=lambda: Markup(""))
    unplaced: list[str] = field(default_factory=list)


def build_bodychart(
    codes: Iterable[str],
    *,
    reasons: Mapping[str, Iterable[str]] | None = None,
    sides: Mapping[str, Iterable[str]] | None = None,
    techniques: Mapping[str, str] | None = None,
) -> BodyChartView:
    """Build the body chart of some body points.

    Parameters
    ----------
    codes : iterable of str
        Body point codes to draw (others, e.g. facial points, are ignored).
    reasons : mapping, optional
        Code -> why the planner chose it (shown on hover).
    sides : mapping, optional
        Code -> sides the plan needles; default both sides of a bilateral point.
    techniques : mapping, optional
        Code -> how the plan needles it (shown on hover).
    """
    chart = BodyChartView(viewbox=(0.0, 0.0, CHART_W, CHART_H))
    chart.size_for(CHART_W)
    chart.figure = figure_svg()
    layout = layout_body_points(codes, sides=sides)
    chart.unplaced = layout.unplaced
    reason_map = {k.upper(): list(v) for k, v in (reasons or {}).items()}
    technique_map = {k.upper(): v for k, v in (techniques or {}).items()}
    for p in layout.points:
        if p.code not in chart.info:
            info = point_info(p.code, reason_map.get(p.code, ()))
            if p.code in technique_map:
                info["technique"] = technique_map[p.code]
            chart.info[p.code] = info
        info = chart.info[p.code]
        chart.markers.append(
            Marker(
                code=p.code,
                side=p.side,
                x=p.x,
                y=p.y,
                visible=True,
                kind="caution" if info["cautions"] else "plan",
                label=p.code,
                name=marker_name(p.code, p.side, info),
            )
        )
    chart.place_labels(top=CAPTION)
    return chart
