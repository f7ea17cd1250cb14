"""The atlas's hanzi render on every machine: a shipped font, on the pages and in PDFs."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from fontTools.ttLib import TTFont

import acuface
from acuface.atlas import load_atlas

FONT = Path(acuface.__file__).parent / "web" / "static" / "fonts" / "acuface-hanzi.woff2"


def test_the_shipped_font_has_every_hanzi_of_the_atlas() -> None:
    cmap = TTFont(FONT).getBestCmap()
    chars = {c for p in load_atlas().points.values() for c in (p.hanzi or "")}
    assert len(chars) > 50
    missing = sorted(c for c in chars if ord(c) not in cmap)
    assert missing == [], f"run scripts/build_hanzi_font.py: missing {''.join(missing)}"
    assert (FONT.parent / "LICENSE-NotoSansSC.txt").read_text().count("Open Font License") >= 1


def test_pages_load_the_font_and_pdfs_embed_it(anon, tmp_path: Path) -> None:  # noqa: ANN001
    from acuface.planner import Intake, make_plan
    from acuface.reports.handout import render_handout_pdf

    css = anon.get("/static/css/app.css").text
    assert "@font-face" in css and "acuface-hanzi.woff2" in css and '"Acuface Hanzi"' in css
    font = anon.get("/static/fonts/acuface-hanzi.woff2")
    assert font.status_code == 200 and font.content == FONT.read_bytes()
    pdf = render_handout_pdf(
        make_plan(Intake(concerns=["wrinkles"], age=50)), client_name="Ann Lee"
    )
    if shutil.which("pdffonts") is None:
        pytest.skip("pdffonts (poppler-utils) is not installed; the page checks ran")
    out = tmp_path / "handout.pdf"
    out.write_bytes(pdf)
    fonts = subprocess.run(["pdffonts", str(out)], capture_output=True, text=True, check=True)
    # The subset font is embedded: the hanzi do not depend on the machine's fonts.
    assert "Acuface-Hanzi" in fonts.stdout, fonts.stdout
