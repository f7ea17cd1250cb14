"""Reports: client handouts and client progress reports (HTML/PDF).

>>> from acuface.reports import render_handout_html  # doctest: +SKIP
"""

from acuface.reports.handout import render_handout_html, render_handout_pdf
from acuface.reports.progress import (
    build_progress_report,
    render_progress_html,
    render_progress_pdf,
)

__all__ = [
    "build_progress_report",
    "render_handout_html",
    "render_handout_pdf",
    "render_progress_html",
    "render_progress_pdf",
]
