"""Printable client progress report: HTML (Jinja2) and PDF (WeasyPrint).

The report summarises one client's course for the client file, the client or a
referral: sessions (date, practitioner, points, needles, signed), the body points
needled on the body chart (:mod:`acuface.reports.bodychart`, as on the handout), adverse
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
from collections.abc import Sequence
from dataclasses import dataclass, field, fields
from datetime import UTC, date, datetime
from importlib import resources
from typing import TYPE_CHECKING, Any

from PIL import Image

from acuface.clinic import services as svc
from acuface.clinic.schemas import PhotoDTO
from acuface.clinic.services.progress import (
    MeasurementChange,
    ProgressSummary,
    photo_face_box,
    progress_summary,
)
from acuface.reports.bodychart import body_chart_svg
from acuface.reports.identity import ClinicHeader, clinic_header
from acuface.reports.pdf import html_to_pdf
from acuface.reports.templating import environment

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
#: Space around the located face when a photo is cut for print (share of the face's size).
PHOTO_MARGIN = 0.3


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


@dataclass(frozen=True, kw_only=True)
class ProgressReport(ProgressSummary):
    """The progress summary as printed: plus the embedded photos and who printed it when."""

    generated_at: datetime
    generated_by: str
    photos: list[PhotoImage] = field(default_factory=list)
    clinic: ClinicHeader | None = None
    disclaimer: str = DISCLAIMER


def _face_box(photo: PhotoDTO) -> tuple[int, int, int, int] | None:
    """Box ``(x0, y0, x1, y1)`` around the located face points plus a margin, or None."""
    box = photo_face_box(photo, margin=PHOTO_MARGIN)
    return None if box is None else (box[0], box[1], box[0] + box[2], box[1] + box[3])


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
        The client's :class:`~acuface.clinic.services.progress.ProgressSummary` (the one
        the progress page shows) with at most two photos embedded (first and latest
        frontal), cut to the face.

    Raises
    ------
    NotFound
        Unknown or deleted client.
    PermissionDenied
        The actor may not read clinical records.
    """
    summary = progress_summary(session=session, actor=actor, client_id=client_id)
    fronts = summary.front_photos
    chosen = [fronts[0], fronts[-1]] if len(fronts) >= 2 else fronts[:1]
    photos = [
        PhotoImage(
            photo_id=p.id,
            taken_on=p.compared_on,
            jpeg=_downscale(
                svc.read_photo_bytes(session=session, actor=actor, photo_id=p.id, store=store),
                _face_box(p),
            ),
        )
        for p in chosen
    ]
    return ProgressReport(
        **{f.name: getattr(summary, f.name) for f in fields(summary)},
        generated_at=datetime.now(UTC),
        generated_by=actor.username,
        photos=photos,
        clinic=clinic_header(session),
    )


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
    template = environment().get_template("progress.html")
    needled = report.needled_sides
    return template.render(
        css=_css(),
        r=report,
        # The handout's and the plan page's chart, drawn static (empty without body points).
        body_chart=body_chart_svg(
            needled,
            sides=needled,
            title="Body points needled in this course on a front and back body chart",
        ),
        **_skin_context(report.changes(KEY_METRICS)),
    )


def _skin_context(rows: Sequence[MeasurementChange]) -> dict[str, Any]:
    """Pivot the measurement rows to one table row per region, one column per metric."""
    by_region: dict[str, dict[str, MeasurementChange]] = defaultdict(dict)
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
