"""HTML to PDF, offline: the one place reports call WeasyPrint."""

from __future__ import annotations

import weasyprint


def html_to_pdf(html: str) -> bytes:
    """Render a self-contained HTML page to PDF bytes.

    Everything a report needs is inline (CSS, SVG, photos as ``data:`` URIs), so
    only ``data:`` URIs may be fetched: rendering never touches the network or
    the file system. WeasyPrint 70 wants a ``URLFetcher`` object for that, not a
    plain function.

    Parameters
    ----------
    html : str
        The document.

    Returns
    -------
    bytes
        A PDF document (starts with ``%PDF``).
    """
    fetcher = weasyprint.URLFetcher(allowed_protocols={"data"})
    return bytes(weasyprint.HTML(string=html, url_fetcher=fetcher).write_pdf())
