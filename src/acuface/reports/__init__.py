"""Reports: client handouts (HTML/PDF) and, later, progress reports.

>>> from acuface.reports import render_handout_html  # doctest: +SKIP
"""

from acuface.reports.handout import render_handout_html, render_handout_pdf

__all__ = ["render_handout_html", "render_handout_pdf"]
