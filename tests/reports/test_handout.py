"""Client handout: content, escaping, sources, and a real PDF."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import pytest
from typer.testing import CliRunner

from acuface.cli.main import app
from acuface.planner import Intake, PlanOptions, list_concerns, make_plan
from acuface.reports.handout import render_handout_html, render_handout_pdf


@pytest.fixture(scope="module")
def anticoagulated_plan():
    return make_plan(
        Intake(concerns=["wrinkles", "dark_circles"], screening={"anticoagulants": True}),
        PlanOptions(start=date(2026, 12, 1)),
    )


def _text(html: str) -> str:
    body = re.sub(r"<style>.*?</style>", " ", html, flags=re.S)
    return " ".join(re.sub(r"<[^>]+>", " ", body).split())


def test_handout_sections_and_plan_specifics(anticoagulated_plan) -> None:
    html = render_handout_html(anticoagulated_plan, client_name="Ana <Example>")
    text = _text(html)
    for heading in (
        "What facial acupuncture is",
        "What this plan does and why",
        "What to expect",
        "Aftercare",
        "How it compares with other options",
        "Sources",
    ):
        assert heading in text
    assert "Ana &lt;Example&gt;" in html  # escaped, never raw markup
    assert "10 needles" in text
    assert "GB14" in text and "Yangbai" in text
    assert "Not treated this time: Dark circles under the eyes" in text
    assert "anticoagulants or antiplatelet medicine" in text
    assert "Tue 01 Dec 2026" in text
    assert "Botulinum toxin" in text and "face lift" in text
    assert "No result is promised" in text
    # Wrinkles: small trials of related techniques (Jung 2021), stated as such.
    assert "small randomised trials of low or moderate quality" in text
    assert "microneedling" in text
    assert "one to two weeks" in text  # facial bruises
    assert "Do not stop or change any prescribed medicine" in text
    assert "A 0.16 × 15 mm needle" in text  # how each point is needled
    assert "not a diagnosis" in text
    # Self-contained: inline CSS, no external resources.
    assert "<style>" in html and "@page" in html
    # The stylesheet is inlined verbatim (an escaped quote would break the fonts).
    assert 'font-family: "DejaVu Sans", "Liberation Sans"' in html and "&#34;" not in html
    assert not re.search(r'(src|href)="https?://', html)


def test_every_cited_source_is_listed(anticoagulated_plan) -> None:
    html = render_handout_html(anticoagulated_plan)
    cited = set(re.findall(r"<sup>\[([a-z0-9_]+)\]</sup>", html))
    listed = set(re.findall(r'<li id="([a-z0-9_]+)">', html))
    assert cited and cited <= listed
    assert "Evid Based Complement Alternat Med" in html  # Yun et al. 2013


def test_no_promises_in_the_text(anticoagulated_plan) -> None:
    text = _text(render_handout_html(anticoagulated_plan)).lower()
    for phrase in (r"guaranteed? results", r"will look younger", r"100 ?%", r"\bcures?\b"):
        assert not re.search(phrase, text), phrase


def test_pdf_renders_offline(anticoagulated_plan) -> None:
    import weasyprint

    pdf = render_handout_pdf(anticoagulated_plan, client_name="Ana Example")
    assert pdf.startswith(b"%PDF") and pdf.rstrip().endswith(b"%%EOF")
    assert len(pdf) > 10_000
    pages = weasyprint.HTML(string=render_handout_html(anticoagulated_plan)).render().pages
    # Printable: a short handout, not one endless page and not a dozen pages.
    assert 2 <= len(pages) <= 5


def test_cli_writes_html_and_pdf(tmp_path: Path) -> None:
    runner = CliRunner()
    html_path = tmp_path / "handout.html"
    result = runner.invoke(
        app,
        ["plan", "-c", "sagging", "--start", "2026-12-01", "--handout", str(html_path), "--json"],
    )
    assert result.exit_code == 0, result.output
    assert "Sagging skin" in html_path.read_text(encoding="utf-8")
    bad = runner.invoke(app, ["plan", "-c", "sagging", "--handout", str(tmp_path / "h.docx")])
    assert bad.exit_code == 2


@pytest.mark.parametrize("concern", [c.name for c in list_concerns()])
def test_every_concern_renders_with_its_outcome(concern: str) -> None:
    plan = make_plan(Intake(concerns=[concern]))  # no start date: no session table
    html = render_handout_html(plan)
    outcome = plan.outcomes[0]
    assert outcome.label in html
    assert outcome.evidence in html
    assert "<th>Session</th>" not in html


def test_why_column_comes_from_the_plan_and_the_clinic_is_printed(
    anticoagulated_plan, tmp_path: Path
) -> None:
    import base64
    import io

    from PIL import Image

    from acuface.planner.snapshot import PlanSnapshot
    from acuface.reports.handout import handout_context
    from acuface.reports.identity import ClinicHeader

    snap = PlanSnapshot.of(anticoagulated_plan)
    rows = handout_context(snap)["face_points"] + handout_context(snap)["body_points"]
    assert rows and all(row["why"] for row in rows)
    for point, row in zip(snap.points, rows, strict=False):
        # Each reason the planner gave is in the column, in its own words.
        assert all(w.text in row["why"] for w in point.why if w.kind == "concern"), point.code
    buf = io.BytesIO()
    Image.new("RGB", (120, 40), (15, 118, 110)).save(buf, format="PNG")
    clinic = ClinicHeader(
        name="Lotus Facial Clinic",
        address="12 Elm Row, Edinburgh EH7 4AA",
        phone="+44 131 496 0000",
        logo_data_uri="data:image/png;base64," + base64.b64encode(buf.getvalue()).decode(),
    )
    html = render_handout_html(snap, client_name="Mara", clinic=clinic)
    text = _text(html)
    assert "Lotus Facial Clinic" in text and "12 Elm Row, Edinburgh EH7 4AA" in text
    assert "+44 131 496 0000" in text and 'class="clinic-logo" src="data:image/png' in html
    assert "Lotus Facial Clinic" not in render_handout_html(snap)  # no clinic, no header
    pdf = render_handout_pdf(snap, client_name="Mara", clinic=clinic)
    out = tmp_path / "handout.pdf"
    out.write_bytes(pdf)
    import shutil
    import subprocess

    if shutil.which("pdftotext"):
        first = subprocess.run(
            ["pdftotext", "-l", "1", str(out), "-"], capture_output=True, text=True, check=True
        ).stdout
        assert "Lotus Facial Clinic" in first and "Why it was chosen" in first
