"""Small inline-SVG line charts for the progress page.

Inline SVG needs no JavaScript, prints well, obeys the CSP (no inline styles:
colours come from CSS classes) and is easy to test: the numbers are in the markup.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from html import escape

from markupsafe import Markup


@dataclass(frozen=True)
class Series:
    """One line of a chart.

    Attributes
    ----------
    label : str
        Legend text.
    points : sequence of (date, float)
        Observations; sorted by date when drawn.
    """

    label: str
    points: Sequence[tuple[date, float]]


def _nice_range(lo: float, hi: float) -> tuple[float, float]:
    if hi - lo < 1e-9:
        pad = abs(hi) * 0.1 or 1.0
        return lo - pad, hi + pad
    pad = (hi - lo) * 0.08
    return lo - pad, hi + pad


def line_chart(
    series: Sequence[Series],
    *,
    y_min: float | None = None,
    y_max: float | None = None,
    width: int = 640,
    height: int = 260,
    y_label: str = "",
    title: str = "",
) -> Markup:
    """Draw *series* against date as an inline ``<svg>``.

    Parameters
    ----------
    series : sequence of Series
        Lines to draw (at most six colours; more repeat).
    y_min, y_max : float, optional
        Fixed y-axis range (e.g. a 0-10 rating scale); default: the data range.
    width, height : int
        Size of the SVG's viewBox in user units.
    y_label : str
        Axis caption.
    title : str
        Accessible title of the figure.

    Returns
    -------
    Markup
        ``<svg>`` markup, or a short note when there is nothing to draw.
    """
    pts = [(d, v) for s in series for d, v in s.points]
    if not pts:
        return Markup('<p class="empty">No data yet.</p>')
    days = [d.toordinal() for d, _ in pts]
    values = [float(v) for _, v in pts]
    d0, d1 = min(days), max(days)
    if d0 == d1:
        d0, d1 = d0 - 1, d1 + 1
    lo, hi = _nice_range(min(values), max(values))
    if y_min is not None:
        lo = y_min
    if y_max is not None:
        hi = y_max
    if hi <= lo:
        hi = lo + 1.0
    left, right, top, bottom = 48, 30, 14, 34
    pw, ph = width - left - right, height - top - bottom

    def sx(day: int) -> float:
        return left + (day - d0) / (d1 - d0) * pw

    def sy(value: float) -> float:
        return top + (1 - (value - lo) / (hi - lo)) * ph

    out = [
        f'<svg class="chart" viewBox="0 0 {width} {height}" role="img" '
        f'aria-label="{escape(title or y_label)}">'
    ]
    if title:
        out.append(f"<title>{escape(title)}</title>")
    for i in range(5):
        v = lo + (hi - lo) * i / 4
        y = sy(v)
        out.append(
            f'<line class="grid" x1="{left}" x2="{width - right}" y1="{y:.1f}" y2="{y:.1f}"/>'
        )
        out.append(
            f'<text class="tick" x="{left - 6}" y="{y + 4:.1f}" text-anchor="end">{v:.3g}</text>'
        )
    out.append(
        f'<line class="axis" x1="{left}" x2="{left}" y1="{top}" y2="{top + ph}"/>'
        f'<line class="axis" x1="{left}" x2="{width - right}" y1="{top + ph}" y2="{top + ph}"/>'
    )
    ticks = sorted(set(days))
    step = max(1, len(ticks) // 6)
    for day in ticks[::step]:
        x = sx(day)
        label = date.fromordinal(day).strftime("%d %b")
        out.append(
            f'<text class="tick" x="{x:.1f}" y="{height - 12}" text-anchor="middle">{label}</text>'
        )
    if y_label:
        out.append(
            f'<text class="tick" x="12" y="{top + ph / 2:.1f}" text-anchor="middle" '
            f'transform="rotate(-90 12 {top + ph / 2:.1f})">{escape(y_label)}</text>'
        )
    for i, s in enumerate(series):
        c = i % 6
        ordered = sorted(s.points, key=lambda p: p[0])
        if not ordered:
            continue
        path = " ".join(
            f"{'M' if j == 0 else 'L'}{sx(d.toordinal()):.1f},{sy(float(v)):.1f}"
            for j, (d, v) in enumerate(ordered)
        )
        out.append(f'<path class="series s{c}" d="{path}"><title>{escape(s.label)}</title></path>')
        for d, v in ordered:
            out.append(
                f'<circle class="dot d{c}" cx="{sx(d.toordinal()):.1f}" '
                f'cy="{sy(float(v)):.1f}" r="4"><title>{escape(s.label)}: {float(v):.3g} '
                f"on {d.isoformat()}</title></circle>"
            )
    out.append("</svg>")
    legend = "".join(
        f'<span class="c{i % 6}">{escape(s.label)}</span>' for i, s in enumerate(series)
    )
    return Markup("".join(out) + f'<div class="chart-legend">{legend}</div>')
