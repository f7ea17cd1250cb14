"""Printable client progress report: HTML (Jinja2) and PDF (WeasyPrint).

The report summarises one client's course for the client file, the client or a
referral: sessions (date, practitioner, points, needles, signed), adverse
events, rating charts over time, a skin-measurement summary judged against the
measured noise of each metric, and the first and latest frontal photos. All
data is read through :mod:`acuface.clinic.services`, so every read is audited
and the caller's role is checked. Charts are inline SVG and photos are data
URIs, so the HTML is self-contained and the PDF needs no network.
"""

from __future__ import annotations

import base64
import io
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from html import escape
from importlib import resources
from typing import TYPE_CHECKING, Any

from markupsafe import Markup
from PIL import Image

from acuface.clinic import services as svc
from acuface.clinic.schemas import RATING_SCALES
from acuface.reports.handout import _environment
from acuface.reports.pdf import html_to_pdf
from acuface.skin.repeatability import noise_verdict

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from acuface.clinic.photostore import PhotoStore
    from acuface.clinic.schemas import Actor

#: Printed on every report: what the report is and is not.
DISCLAIMER = (
    "Decision support for licensed practitioners, not a diagnosis. This report summarises "
    "the clinic's records; a change over time, even one beyond measurement noise, does not "
    "show that the treatment caused it."
)
#: Skin metrics summarised in the report (the ones practitioners ask about most).
KEY_METRICS: dict[str, str] = {
    "wrinkle_index": "Wrinkle index",
    "line_density_mm_per_cm2": "Line density (mm/cm²)",
    "redness_a": "Redness (a*)",
}
#: Longest side of an embedded photo in pixels (enough for ~80 mm at 150 dpi).
PHOTO_MAX_PX = 520
_COLOURS = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b")


@dataclass(frozen=True)
class SessionRow:
    """One treatment session as printed."""

    session_date: date
    practitioner: str
    points: list[str]
    needle_count: int
    signed: bool
    signed_on: date | None
    amendments: int


@dataclass(frozen=True)
class EventRow:
    """One adverse event as printed."""

    kind: str
    severity: str
    onset_date: date
    resolved_date: date | None
    site: str | None


@dataclass(frozen=True)
class MeasurementRow:
    """First vs latest value of one metric in one region.

    ``noise`` is the repeatability coefficient (None when never measured);
    ``beyond`` is None when there is no verdict (one value, or no noise data).
    """

    metric: str
    label: str
    region: str
    first_on: date
    first: float
    latest_on: date
    latest: float
    n: int
    noise: float | None
    beyond: bool | None

    @property
    def change(self) -> float:
        """Latest minus first value."""
        return self.latest - self.first


@dataclass(frozen=True)
class PhotoImage:
    """A downscaled frontal photo ready to embed (JPEG bytes)."""

    photo_id: int
    taken_on: date
    jpeg: bytes

    @property
    def data_uri(self) -> str:
        """The JPEG as a ``data:`` URI."""
        return "data:image/jpeg;base64," + base64.b64encode(self.jpeg).decode("ascii")


@dataclass(frozen=True)
class ProgressReport:
    """Everything the progress report prints, gathered through the clinic services."""

    client_id: int
    client_name: str
    birth_date: date | None
    generated_at: datetime
    generated_by: str
    sessions: list[SessionRow]
    adverse_events: list[EventRow]
    ratings: dict[str, list[tuple[date, float]]]
    measurements: list[MeasurementRow]
    photos: list[PhotoImage]
    n_front_photos: int
    plan_summary: str | None = None
    disclaimer: str = DISCLAIMER

    @property
    def course_start(self) -> date | None:
        """Date of the first session, if any."""
        return self.sessions[0].session_date if self.sessions else None

    @property
    def course_end(self) -> date | None:
        """Date of the latest session, if any."""
        return self.sessions[-1].session_date if self.sessions else None


def _face_box(photo: Any) -> tuple[int, int, int, int] | None:
    """Box ``(x0, y0, x1, y1)`` around the located face points plus a margin, or None."""
    primary = photo.face_map.primary if photo.face_map is not None else None
    points = primary.points if primary is not None else []
    xs = [p.x for p in points]
    ys = [p.y for p in points]
    if not xs:
        return None
    extent = max(max(xs) - min(xs), max(ys) - min(ys), 1.0)
    pad = 0.3 * extent
    x0, x1 = max(0, int(min(xs) - pad)), min(photo.width, int(max(xs) + pad))
    y0, y1 = max(0, int(min(ys) - pad)), min(photo.height, int(max(ys) + pad))
    if x1 - x0 < 16 or y1 - y0 < 16:
        return None
    return x0, y0, x1, y1


def _downscale(data: bytes, box: tuple[int, int, int, int] | None) -> bytes:
    """Crop to *box* (if any) and shrink so the longer side is at most PHOTO_MAX_PX."""
    with Image.open(io.BytesIO(data)) as im:
        img = im.convert("RGB")
    if box is not None:
        img = img.crop(box)
    img.thumbnail((PHOTO_MAX_PX, PHOTO_MAX_PX))
    out = io.BytesIO()
    img.save(out, format="JPEG", quality=85)
    return out.getvalue()


def _measurement_rows(measurements: Sequence[Any]) -> list[MeasurementRow]:
    series: dict[tuple[str, str], list[tuple[datetime, float]]] = defaultdict(list)
    for m in measurements:
        if m.metric in KEY_METRICS:
            series[(m.metric, m.region)].append((m.measured_at, float(m.value)))
    order = list(KEY_METRICS)
    rows: list[MeasurementRow] = []
    for (metric, region), pts in sorted(
        series.items(), key=lambda kv: (order.index(kv[0][0]), kv[0][1])
    ):
        pts.sort(key=lambda p: p[0])
        rc, beyond = noise_verdict(f"{region}.{metric}", pts[-1][1] - pts[0][1], n=len(pts))
        rows.append(
            MeasurementRow(
                metric=metric,
                label=KEY_METRICS[metric],
                region=region,
                first_on=pts[0][0].date(),
                first=pts[0][1],
                latest_on=pts[-1][0].date(),
                latest=pts[-1][1],
                n=len(pts),
                noise=rc,
                beyond=beyond,
            )
        )
    return rows


def build_progress_report(
    *,
    session: Session,
    actor: Actor,
    client_id: int,
    store: PhotoStore | None = None,
) -> ProgressReport:
    """Gather one client's progress through the clinic services (each read is audited).

    Parameters
    ----------
    session : sqlalchemy.orm.Session
        Database session; nothing is written except audit entries (caller commits).
    actor : Actor
        Who asks; clinical roles only (reception gets ``PermissionDenied``).
    client_id : int
        The client.
    store : PhotoStore, optional
        Photo store to read the frontal photos from (default: the configured one).

    Returns
    -------
    ProgressReport
        Sessions and ratings oldest first; at most two photos (first and latest frontal).

    Raises
    ------
    NotFound
        Unknown or deleted client.
    PermissionDenied
        The actor may not read clinical records.
    """
    client = svc.get_client(session=session, actor=actor, client_id=client_id)
    sessions = sorted(
        svc.list_sessions(session=session, actor=actor, client_id=client_id),
        key=lambda s: (s.session_date, s.start_time or datetime.min.time(), s.id),
    )
    session_rows = [
        SessionRow(
            session_date=s.session_date,
            practitioner=s.practitioner,
            points=list(dict.fromkeys(n.point_code for n in s.needles)),
            needle_count=sum(n.count for n in s.needles),
            signed=s.status == "signed",
            signed_on=s.signed_at.date() if s.signed_at else None,
            amendments=len(s.amendments),
        )
        for s in sessions
    ]
    events = sorted(
        svc.list_adverse_events(session=session, actor=actor, client_id=client_id),
        key=lambda e: (e.onset_date, e.id),
    )
    event_rows = [
        EventRow(
            kind=e.kind,
            severity=e.severity,
            onset_date=e.onset_date,
            resolved_date=e.resolved_date,
            site=" ".join(x for x in (e.point_code, e.side) if x) or None,
        )
        for e in events
    ]
    ratings: dict[str, list[tuple[date, float]]] = defaultdict(list)
    for r in svc.list_ratings(session=session, actor=actor, client_id=client_id):
        ratings[r.scale].append((r.rated_on, float(r.value)))
    measurements = svc.list_measurements(session=session, actor=actor, client_id=client_id)
    fronts = sorted(
        (
            p
            for p in svc.list_photos(session=session, actor=actor, client_id=client_id)
            if p.view == "front"
        ),
        key=lambda p: (p.captured_at or p.created_at, p.id),
    )
    chosen = [fronts[0], fronts[-1]] if len(fronts) >= 2 else fronts[:1]
    photos = [
        PhotoImage(
            photo_id=p.id,
            taken_on=(p.captured_at or p.created_at).date(),
            jpeg=_downscale(
                svc.read_photo_bytes(session=session, actor=actor, photo_id=p.id, store=store),
                _face_box(p),
            ),
        )
        for p in chosen
    ]
    plan = svc.latest_plan(session=session, actor=actor, client_id=client_id)
    plan_summary = None
    if plan is not None:
        needles = f", {plan.needle_count} needles" if plan.needle_count else ""
        plan_summary = (
            f"Plan of {plan.created_at:%d %b %Y}{needles} (planner {plan.planner_version})"
        )
    return ProgressReport(
        client_id=client.id,
        client_name=client.name,
        birth_date=client.birth_date,
        generated_at=datetime.now(UTC),
        generated_by=actor.username,
        sessions=session_rows,
        adverse_events=event_rows,
        ratings=dict(ratings),
        measurements=_measurement_rows(measurements),
        photos=photos,
        n_front_photos=len(fronts),
        plan_summary=plan_summary,
    )


def svg_line_chart(
    series: Mapping[str, Sequence[tuple[date, float]]],
    *,
    y_min: float,
    y_max: float,
    title: str,
    width: int = 640,
    height: int = 175,
) -> Markup:
    """Draw rating series against date as an inline ``<svg>`` (print-friendly, no script).

    Parameters
    ----------
    series : mapping
        Legend label -> ``[(date, value), ...]``.
    y_min, y_max : float
        Fixed y-axis range (the scale's range).
    title : str
        Accessible title of the chart.
    width, height : int
        Size of the viewBox in user units.

    Returns
    -------
    Markup
        ``<svg>`` markup with an in-figure legend.
    """
    pts = [(d, v) for s in series.values() for d, v in s]
    days = [d.toordinal() for d, _ in pts] or [date.today().toordinal()]
    d0, d1 = min(days), max(days)
    if d0 == d1:
        d0, d1 = d0 - 1, d1 + 1
    left, right, top, bottom = 40, 12, 10, 46
    pw, ph = width - left - right, height - top - bottom

    def sx(day: int) -> float:
        return left + (day - d0) / (d1 - d0) * pw

    def sy(value: float) -> float:
        return top + (1 - (value - y_min) / (y_max - y_min)) * ph

    font = 'font-family="DejaVu Sans, sans-serif" font-size="11"'
    out = [
        f'<svg class="chart" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}" role="img" aria-label="{escape(title)}">',
        f"<title>{escape(title)}</title>",
    ]
    step = 1 if y_max - y_min <= 5 else 2
    v = y_min
    while v <= y_max + 1e-9:
        y = sy(v)
        out.append(
            f'<line x1="{left}" x2="{width - right}" y1="{y:.1f}" y2="{y:.1f}" '
            f'stroke="#e3e9eb" stroke-width="1"/>'
            f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end" fill="#555" {font}>'
            f"{v:g}</text>"
        )
        v += step
    out.append(
        f'<line x1="{left}" x2="{left}" y1="{top}" y2="{top + ph}" stroke="#888"/>'
        f'<line x1="{left}" x2="{width - right}" y1="{top + ph}" y2="{top + ph}" stroke="#888"/>'
    )
    ticks = sorted(set(days))
    every = max(1, -(-len(ticks) // 7))
    for day in ticks[::every]:
        out.append(
            f'<text x="{sx(day):.1f}" y="{top + ph + 16}" text-anchor="middle" fill="#555" '
            f"{font}>{date.fromordinal(day):%d %b %y}</text>"
        )
    lx = left
    for i, (label, points) in enumerate(series.items()):
        colour = _COLOURS[i % len(_COLOURS)]
        ordered = sorted(points)
        path = " ".join(
            f"{'M' if j == 0 else 'L'}{sx(d.toordinal()):.1f},{sy(val):.1f}"
            for j, (d, val) in enumerate(ordered)
        )
        out.append(f'<path d="{path}" fill="none" stroke="{colour}" stroke-width="2"/>')
        out.extend(
            f'<circle cx="{sx(d.toordinal()):.1f}" cy="{sy(val):.1f}" r="3.5" fill="{colour}"/>'
            for d, val in ordered
        )
        ly = height - 10
        out.append(
            f'<rect x="{lx}" y="{ly - 9}" width="10" height="10" fill="{colour}"/>'
            f'<text x="{lx + 14}" y="{ly}" fill="#333" {font}>{escape(label)}</text>'
        )
        lx += 24 + int(len(label) * 6.4)
    out.append("</svg>")
    return Markup("".join(out))


def _rating_charts(ratings: Mapping[str, Sequence[tuple[date, float]]]) -> list[dict[str, Any]]:
    charts = []
    for max_value, y_min, title, note in (
        (
            10,
            0,
            "Ratings 0–10",
            "Jaw pain: lower is better. Elasticity and satisfaction: higher is better.",
        ),
        (
            5,
            1,
            "Global Aesthetic Improvement Scale (GAIS)",
            "1 very much improved, 2 much improved, 3 improved, 4 no change, 5 worse: "
            "lower is better.",
        ),
    ):
        series = {
            RATING_SCALES[s].label: ratings[s]
            for s in RATING_SCALES
            if RATING_SCALES[s].max_value == max_value and ratings.get(s)
        }
        if series:
            charts.append(
                {
                    "title": title,
                    "note": note,
                    "svg": svg_line_chart(series, y_min=y_min, y_max=max_value, title=title),
                    "n": sum(len(v) for v in series.values()),
                }
            )
    return charts


def _css() -> str:
    return (
        resources.files("acuface.reports")
        .joinpath("templates", "progress.css")
        .read_text(encoding="utf-8")
    )


def render_progress_html(report: ProgressReport) -> str:
    """Render the progress report as one self-contained HTML page (A4 print layout).

    Parameters
    ----------
    report : ProgressReport
        From :func:`build_progress_report`.

    Returns
    -------
    str
        HTML with inline CSS, SVG charts and photos as data URIs.
    """
    template = _environment().get_template("progress.html")
    return template.render(
        css=_css(),
        r=report,
        charts=_rating_charts(report.ratings),
        **_skin_context(report.measurements),
    )


def _skin_context(rows: Sequence[MeasurementRow]) -> dict[str, Any]:
    """Pivot the measurement rows to one table row per region, one column per metric."""
    by_region: dict[str, dict[str, MeasurementRow]] = defaultdict(dict)
    for row in rows:
        by_region[row.region][row.metric] = row
    metrics = [m for m in KEY_METRICS if any(row.metric == m for row in rows)]
    days = [d for row in rows for d in (row.first_on, row.latest_on)]
    return {
        "skin_metrics": [(m, KEY_METRICS[m]) for m in metrics],
        "skin_rows": [(region, by_region[region]) for region in sorted(by_region)],
        "skin_span": (min(days), max(days)) if days else None,
    }


def render_progress_pdf(report: ProgressReport) -> bytes:
    """Render the progress report as PDF bytes with WeasyPrint (offline, system fonts).

    Parameters
    ----------
    report : ProgressReport
        From :func:`build_progress_report`.

    Returns
    -------
    bytes
        A PDF document (starts with ``%PDF``).
    """
    return html_to_pdf(render_progress_html(report))
