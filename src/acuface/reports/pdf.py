"""HTML to PDF, offline: the one place reports call WeasyPrint."""

from __future__ import annotations

import base64
from functools import lru_cache
from pathlib import Path

import weasyprint
from weasyprint.text.fonts import FontConfiguration

#: The hanzi subset font the web pages serve (scripts/build_hanzi_font.py), read as a
#: file so that every PDF draws the atlas's hanzi whatever fonts the machine has.
HANZI_FONT = (
    Path(__file__).resolve().parents[1] / "web" / "static" / "fonts" / "acuface-hanzi.woff2"
)
#: Family name of :data:`HANZI_FONT`; documents list it after their text fonts.
HANZI_FAMILY = "Acuface Hanzi"


@lru_cache(maxsize=1)
def hanzi_font_face() -> str:
    """Return the ``@font-face`` rule of the hanzi font as CSS with a ``data:`` URI."""
    data = base64.b64encode(HANZI_FONT.read_bytes()).decode("ascii")
    return (
        f'@font-face {{ font-family: "{HANZI_FAMILY}"; '
        f'src: url("data:font/woff2;base64,{data}") format("woff2"); '
        "unicode-range: U+3400-9FFF; }"
    )


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
    # @font-face rules work only through a FontConfiguration given to both calls.
    font_config = FontConfiguration()
    fonts = weasyprint.CSS(string=hanzi_font_face(), url_fetcher=fetcher, font_config=font_config)
    document = weasyprint.HTML(string=html, url_fetcher=fetcher)
    return bytes(document.write_pdf(stylesheets=[fonts], font_config=font_config))
