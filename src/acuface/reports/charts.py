"""The one line chart of Acuface: inline SVG for the progress page and the printed report.

Inline SVG needs no JavaScript, prints well and is easy to test (the numbers are
in the markup). Colours are presentation attributes, so WeasyPrint draws them
without a stylesheet, and CSS classes too (``series s0``, ``dot d0``, ``grid``,
``tick``), so the page can restyle them; the CSP forbids inline ``style``
attributes, which the chart never uses.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date
from html import escape

from markupsafe import Markup

_COLOURS = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b")
_FONT = 'font-family="DejaVu Sans, sans-serif" font-size="11"'


def _nice_range(lo: float, hi: float) -> tuple[float, float]:
    if hi - lo < 1e-9:
        pad = abs(hi) * 0.1 or 1.0
        return lo - pad, hi + pad
    pad = (hi - lo) * 0.08
    return lo - pad, hi + pad


def line_chart(
    series: Mapping[str, Sequence[tuple[date, float]]],
    *,
    title: str,
    y_min: float | None = None,
    y_max: float | None = None,
    width: int = 640,
    height: int = 200,
) -> Markup:
    """Draw each series against date as an inline ``<svg>`` with its legend inside.

    Parameters
    ----------
    series : mapping
        Legend label -> ``[(date, value), ...]`` (sorted by date when drawn; at
        most six colours, more repeat).
    title : str, keyword-only
        Accessible title of the chart.
    y_min, y_max : float, optional, keyword-only
        Fixed y-axis range (a rating scale's); default: the data's range.
    width, height : int, keyword-only
        Size of the viewBox in user units.

    Returns
    -------
    Markup
        ``<svg>`` markup, or a short note when there is nothing to draw. Each
        observation is one ``<circle>`` whose ``<title>`` reads
        ``"<label>: <value> on <date>"``.
    """
    pts = [(d, float(v)) for s in series.values() for d, v in s]
    if not pts:
        return Markup('<p class="empty">No data yet.</p>')
    days = [d.toordinal() for d, _ in pts]
    d0, d1 = min(days), max(days)
    if d0 == d1:
        d0, d1 = d0 - 1, d1 + 1
    lo, hi = _nice_range(min(v for _, v in pts), max(v for _, v in pts))
    lo = lo if y_min is None else y_min
    hi = hi if y_max is None else y_max
    if hi <= lo:
        hi = lo + 1.0
    left, right, top, bottom = 44, 14, 10, 46
    pw, ph = width - left - right, height - top - bottom

    def sx(day: int) -> float:
        return left + (day - d0) / (d1 - d0) * pw

    def sy(value: float) -> float:
        return top + (1 - (value - lo) / (hi - lo)) * ph

    out = [
        f'<svg class="chart" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'role="img" aria-label="{escape(title)}">',
        f"<title>{escape(title)}</title>",
    ]
    for i in range(5):
        v = lo + (hi - lo) * i / 4
        y = sy(v)
        out.append(
            f'<line class="grid" x1="{left}" x2="{width - right}" y1="{y:.1f}" y2="{y:.1f}" '
            f'stroke="#e3e9eb" stroke-width="1"/>'
            f'<text class="tick" x="{left - 6}" y="{y + 4:.1f}" text-anchor="end" fill="#555" '
            f"{_FONT}>{v:.3g}</text>"
        )
    out.append(
        f'<line class="axis" x1="{left}" x2="{left}" y1="{top}" y2="{top + ph}" stroke="#888"/>'
        f'<line class="axis" x1="{left}" x2="{width - right}" y1="{top + ph}" y2="{top + ph}" '
        f'stroke="#888"/>'
    )
    ticks = sorted(set(days))
    every = max(1, -(-len(ticks) // 7))
    for day in ticks[::every]:
        out.append(
            f'<text class="tick" x="{sx(day):.1f}" y="{top + ph + 16}" text-anchor="middle" '
            f'fill="#555" {_FONT}>{date.fromordinal(day):%d %b %y}</text>'
        )
    lx = left
    for i, (label, points) in enumerate(series.items()):
        colour = _COLOURS[i % len(_COLOURS)]
        ordered = sorted((d, float(v)) for d, v in points)
        if not ordered:
            continue
        path = " ".join(
            f"{'M' if j == 0 else 'L'}{sx(d.toordinal()):.1f},{sy(v):.1f}"
            for j, (d, v) in enumerate(ordered)
        )
        out.append(
            f'<path class="series s{i % 6}" d="{path}" fill="none" stroke="{colour}" '
            f'stroke-width="2"><title>{escape(label)}</title></path>'
        )
        out.extend(
            f'<circle class="dot d{i % 6}" cx="{sx(d.toordinal()):.1f}" cy="{sy(v):.1f}" '
            f'r="3.5" fill="{colour}"><title>{escape(label)}: {v:.3g} on {d.isoformat()}'
            f"</title></circle>"
            for d, v in ordered
        )
        ly = height - 10
        out.append(
            f'<rect x="{lx}" y="{ly - 9}" width="10" height="10" fill="{colour}"/>'
            f'<text class="legend" x="{lx + 14}" y="{ly}" fill="#333" {_FONT}>{escape(label)}'
            f"</text>"
        )
        lx += 24 + int(len(label) * 6.4)
    out.append("</svg>")
    return Markup("".join(out))
