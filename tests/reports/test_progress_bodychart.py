"""The progress report shows the body points needled over the course on the body chart.

The chart is the handout's and the plan page's own (``acuface.reports.bodychart``),
drawn for the points the sessions record, on the sides they were needled on (the
union over the sessions); facial points are listed in the sessions table only.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from acuface.clinic.services.progress import SessionRow
from acuface.reports.bodychart import figure_svg
from acuface.reports.progress import ProgressReport, render_progress_html, render_progress_pdf

_DOT = re.compile(r'<circle class="pt-dot" data-code="([^"]+)" data-side="([^"]+)"')
_TEXT = re.compile(r'<text x="[\d.]+" y="[\d.]+">([^<]+)</text>')


def _row(day: date, sides: dict[str, list[str]]) -> SessionRow:
    return SessionRow(
        session_date=day,
        practitioner="Dr Practitioner",
        points=list(sides),
        needle_count=sum(len(v) for v in sides.values()),
        signed=True,
        signed_on=day,
        amendments=0,
        sides=sides,
    )


def _report(*rows: SessionRow) -> ProgressReport:
    return ProgressReport(
        client_id=1,
        client_name="Mara Lindqvist",
        birth_date=None,
        sessions=list(rows),
        adverse_events=[],
        ratings={},
        measurements=[],
        generated_at=datetime(2026, 12, 1, 20, 0, tzinfo=UTC),
        generated_by="practitioner",
    )


@pytest.fixture(scope="module")
def course() -> ProgressReport:
    return _report(
        _row(date(2026, 11, 3), {"ST6": ["left", "right"], "ST36": ["left"], "SP6": ["left"]}),
        _row(date(2026, 11, 17), {"SP6": ["right"], "CV4": ["midline"], "LI4": ["left", "right"]}),
    )


def _chart(html: str) -> str:
    m = re.search(r'<figure class="body-chart">(.*?)</figure>', html, flags=re.S)
    assert m, "the progress report has no body chart"
    return m.group(1)


def test_the_chart_draws_each_needled_side_of_each_body_point(course: ProgressReport) -> None:
    svg = _chart(render_progress_html(course))
    assert sorted(_DOT.findall(svg)) == [
        ("CV4", "midline"),
        ("LI4", "left"),
        ("LI4", "right"),
        ("SP6", "left"),  # left in the first session, right in the second
        ("SP6", "right"),
        ("ST36", "left"),  # only the side needled, not both
    ]
    assert str(figure_svg()) in svg  # the one drawing, not a copy
    assert set(_TEXT.findall(svg)) == {"CV4", "LI4", "SP6", "ST36"}  # never the facial ST6


def test_a_course_without_body_points_prints_no_chart() -> None:
    html = render_progress_html(_report(_row(date(2026, 11, 3), {"ST6": ["left"]})))
    assert 'class="body-chart"' not in html and 'class="bodychart"' not in html
    assert 'class="body-chart"' not in render_progress_html(_report())


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="pdftotext (poppler-utils) absent")
def test_the_pdf_carries_the_chart_on_one_page(course: ProgressReport, tmp_path: Path) -> None:
    pdf = tmp_path / "progress.pdf"
    pdf.write_bytes(render_progress_pdf(course))
    pages = subprocess.run(
        ["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout.split("\f")
    [page] = [p for p in pages if "Body points needled in this course" in p]
    assert {"Front", "Back", "ST36", "SP6", "LI4", "CV4"} <= set(page.split())
