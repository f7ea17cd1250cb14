"""Client progress report: content gathered through the clinic services, PDF, CLI."""

from __future__ import annotations

import re
import shutil
import subprocess
import zlib
from collections.abc import Iterator
from datetime import UTC, date, datetime
from html import unescape
from pathlib import Path

import pytest
from typer.testing import CliRunner

from acuface.cli.main import app
from clinicdata import build_clinic
from consenting import give_consents
from people import PRACTITIONER

DATES = (date(2026, 1, 12), date(2026, 2, 9))


def _text(html: str) -> str:
    body = re.sub(r"<(style|svg)\b.*?</\1>", " ", html, flags=re.S)
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", body)).split())


def _page_count(pdf: bytes) -> int:
    """Count page objects, also inside compressed object streams (no PDF library needed)."""
    chunks = [pdf]
    for m in re.finditer(rb"stream\r?\n(.*?)\r?\nendstream", pdf, flags=re.S):
        try:
            chunks.append(zlib.decompress(m.group(1)))
        except zlib.error:
            continue
    return sum(len(re.findall(rb"/Type\s*/Page(?![a-zA-Z])", c)) for c in chunks)


@pytest.fixture(scope="module")
def clinic(tmp_path_factory: pytest.TempPathFactory, faces_dir: Path) -> Iterator[dict]:
    """A migrated SQLite clinic in a temp data dir with one client's short course."""
    from acuface.clinic import db
    from acuface.clinic import services as svc
    from acuface.clinic.schemas import (
        AdverseEventCreate,
        ClientCreate,
        MeasurementCreate,
        NeedleIn,
        RatingCreate,
        SessionCreate,
    )
    from acuface.config import get_settings

    root = tmp_path_factory.mktemp("report-clinic")
    mp = pytest.MonkeyPatch()
    mp.setenv("ACUFACE_DATA_DIR", str(root))
    mp.delenv("DATABASE_URL", raising=False)
    mp.delenv("ACUFACE_DATABASE_URL", raising=False)
    get_settings.cache_clear()
    built = build_clinic(db.get_engine())
    engine, pract = built.engine, built.practitioner
    with db.session_scope(engine) as s:
        c = svc.create_client(
            session=s, actor=pract, data=ClientCreate(given_name="Mara", family_name="Lindqvist")
        )
        give_consents(s, c.id, actor=pract)
        first = svc.create_session(
            session=s,
            actor=pract,
            client_id=c.id,
            data=SessionCreate(
                session_date=DATES[0],
                needles=[
                    NeedleIn(point_code="ST6", side="left"),
                    NeedleIn(point_code="ST6", side="right"),
                    NeedleIn(point_code="EX-HN3", side="midline"),
                ],
                needles_out=3,
            ),
        )
        svc.sign_session(session=s, actor=pract, session_id=first.id)
        svc.amend_session(
            session=s,
            actor=pract,
            session_id=first.id,
            text="Client phoned: a small bruise at left ST6.",
            reason="late entry",
        )
        svc.create_session(
            session=s,
            actor=pract,
            client_id=c.id,
            data=SessionCreate(
                session_date=DATES[1], needles=[NeedleIn(point_code="ST2", side="left", count=2)]
            ),
        )
        svc.record_adverse_event(
            session=s,
            actor=pract,
            client_id=c.id,
            data=AdverseEventCreate(
                kind="bruising",
                severity="moderate",
                session_id=first.id,
                point_code="ST6",
                side="left",
                onset_date=DATES[0],
            ),
        )
        for scale, value, day in (
            ("tmj_pain", 6, DATES[0]),
            ("tmj_pain", 3, DATES[1]),
            ("gais_practitioner", 3, DATES[1]),
        ):
            svc.add_rating(
                session=s,
                actor=pract,
                client_id=c.id,
                data=RatingCreate(scale=scale, value=value, rated_on=day),
            )
        for name, day in (("obama.jpg", DATES[0]), ("obama3.jpg", DATES[1])):
            svc.add_photo(
                session=s,
                actor=pract,
                client_id=c.id,
                data=(faces_dir / name).read_bytes(),
                analyse=False,
                # Photos of past visits: the record's date, which reports compare by.
                added_at=datetime(day.year, day.month, day.day, 9, tzinfo=UTC),
            )
        # Forehead drops far beyond its noise band; the cheek barely moves.
        for region, before, after in (("forehead", 1.0, 0.5), ("left_cheek", 0.8, 0.799)):
            for value, day in ((before, DATES[0]), (after, DATES[1])):
                svc.add_measurement(
                    session=s,
                    actor=pract,
                    client_id=c.id,
                    data=MeasurementCreate(
                        metric="wrinkle_index",
                        region=region,
                        value=value,
                        method_version="skin-1.0",
                        measured_at=datetime(day.year, day.month, day.day, 9, tzinfo=UTC),
                    ),
                )
        client_id = c.id
    yield {
        "engine": engine,
        "client_id": client_id,
        "practitioner": pract,
        "reception": built.reception,
    }
    engine.dispose()
    db._engines.clear()
    mp.undo()
    get_settings.cache_clear()


@pytest.fixture(scope="module")
def report(clinic: dict):
    from acuface.clinic import db
    from acuface.reports.progress import build_progress_report

    with db.session_scope(clinic["engine"]) as s:
        return build_progress_report(
            session=s, actor=clinic["practitioner"], client_id=clinic["client_id"]
        )


@pytest.fixture(scope="module")
def html(report) -> str:
    from acuface.reports.progress import render_progress_html

    return render_progress_html(report)


def test_report_gathers_the_course_oldest_first(report) -> None:
    assert report.client_name == "Mara Lindqvist"
    assert [s.session_date for s in report.sessions] == list(DATES)
    assert (report.course_start, report.course_end) == DATES
    assert report.sessions[0].points == ["ST6", "EX-HN3"]
    # The sides each point was needled on (the body chart draws those).
    assert report.sessions[0].sides == {"ST6": ["left", "right"], "EX-HN3": ["midline"]}
    assert report.needled_sides == {
        "ST6": ["left", "right"],
        "EX-HN3": ["midline"],
        "ST2": ["left"],
    }
    assert report.sessions[0].needle_count == 3 and report.sessions[0].signed
    assert report.sessions[1].needle_count == 2 and not report.sessions[1].signed
    # Counted by query (the rows never load every needle and amendment of the client).
    assert [r.amendments for r in report.sessions] == [1, 0]
    assert report.ratings["tmj_pain"] == [(DATES[0], 6.0), (DATES[1], 3.0)]
    assert [p.taken_on for p in report.photos] == list(DATES)
    # Photos are embedded downscaled, not at full size.
    assert all(p.jpeg[:2] == b"\xff\xd8" and len(p.jpeg) < 120_000 for p in report.photos)


def test_skin_changes_are_judged_against_measured_noise(report) -> None:
    rows = {m.region: m for m in report.measurements}
    assert rows["forehead"].noise is not None and rows["forehead"].beyond is True
    assert rows["left_cheek"].beyond is False
    assert rows["forehead"].change == pytest.approx(-0.5)


def test_html_shows_every_section(html: str) -> None:
    text = _text(html)
    assert "Mara Lindqvist" in text
    assert "12 Jan 2026" in text and "09 Feb 2026" in text
    assert "Course: 12 Jan 2026 – 09 Feb 2026" in text
    assert PRACTITIONER.display_name in text and "ST6, EX-HN3" in text
    assert "Bruising moderate ST6 left 12 Jan 2026 not yet resolved" in text
    assert "not a diagnosis" in text
    assert "does not show that the treatment caused it" in text
    assert "beyond noise" in text and "within noise" in text
    # Both rating charts are inline SVG with one dot per rating.
    svgs = re.findall(r"<svg\b.*?</svg>", html, flags=re.S)
    assert len(svgs) == 2
    assert sum(svg.count("<circle") for svg in svgs) == 3
    assert "Jaw (TMJ) pain 0-10" in svgs[0] and "GAIS (practitioner)" in svgs[1]
    assert html.count('src="data:image/jpeg;base64,') == 2
    # Self-contained: no external fetches.
    assert not re.search(r'(src|href)="(https?:|/)', html)


def test_names_are_escaped(report) -> None:
    from dataclasses import replace

    from acuface.reports.progress import render_progress_html

    html = render_progress_html(replace(report, client_name="<b>Mara</b>"))
    assert "<b>Mara</b>" not in html and "&lt;b&gt;Mara&lt;/b&gt;" in html


def test_pdf_has_pages_and_the_client(report) -> None:
    from acuface.reports.progress import render_progress_pdf

    pdf = render_progress_pdf(report)
    assert pdf.startswith(b"%PDF")
    assert _page_count(pdf) >= 1
    if shutil.which("pdftotext"):
        out = subprocess.run(
            ["pdftotext", "-", "-"], input=pdf, capture_output=True, check=True
        ).stdout.decode()
        assert "Mara Lindqvist" in out and "Bruising" in out


def test_reception_may_not_build_a_report(clinic: dict) -> None:
    from acuface.clinic import db
    from acuface.errors import PermissionDenied
    from acuface.reports.progress import build_progress_report

    with db.session_scope(clinic["engine"]) as s, pytest.raises(PermissionDenied):
        build_progress_report(session=s, actor=clinic["reception"], client_id=clinic["client_id"])


def test_building_the_report_is_audited(clinic: dict, report) -> None:
    from acuface.clinic import db
    from acuface.clinic import services as svc
    from acuface.clinic.schemas import Actor

    with db.session_scope(clinic["engine"]) as s:
        entries = svc.list_audit(
            session=s, actor=Actor.system(source="test"), client_id=clinic["client_id"]
        )
    reads = {e.action for e in entries if e.username == PRACTITIONER.username}
    assert {"client.read", "session.list", "photo.read_bytes"} <= reads


def test_cli_writes_the_pdf_and_html(
    clinic: dict, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    runner = CliRunner()
    monkeypatch.chdir(tmp_path)
    cid = str(clinic["client_id"])
    result = runner.invoke(app, ["report", "--client", cid])
    assert result.exit_code == 0, result.output
    default = tmp_path / f"progress-{cid}.pdf"
    assert result.output.strip() == str(Path(f"progress-{cid}.pdf"))
    assert default.read_bytes().startswith(b"%PDF")
    result = runner.invoke(app, ["report", "--client", cid, "--out", "r.html"])
    assert result.exit_code == 0, result.output
    assert "Mara Lindqvist" in (tmp_path / "r.html").read_text(encoding="utf-8")


def test_cli_unknown_client_exits_2(clinic: dict, tmp_path: Path) -> None:
    result = CliRunner().invoke(
        app, ["report", "--client", "9999", "--out", str(tmp_path / "x.pdf")]
    )
    assert result.exit_code == 2
    assert "no client with id 9999" in result.output
    assert not (tmp_path / "x.pdf").exists()


def test_an_empty_record_says_so(report) -> None:
    from dataclasses import replace

    from acuface.reports.progress import render_progress_html

    empty = replace(report, sessions=[], adverse_events=[], ratings={}, measurements=[], photos=[])
    text = _text(render_progress_html(empty))
    assert "No treatment sessions recorded yet" in text
    assert "No adverse events recorded." in text and "No ratings recorded." in text
    assert "No frontal photos stored." in text
    assert "<svg" not in render_progress_html(empty)


def test_photos_are_cut_to_the_located_face() -> None:
    from types import SimpleNamespace

    from acuface.locator.snapshot import FaceMapSnapshot
    from acuface.reports.progress import _face_box

    face = FaceMapSnapshot.read(
        {
            "image_wh": [1000, 800],
            "faces": [
                {
                    "pose": {"yaw": 0.0, "pitch": 0.0, "roll": 0.0},
                    "mm_per_px": 0.2,
                    "cun_mm": 20.0,
                    "points": [
                        {
                            "code": c,
                            "side": "midline",
                            "x": x,
                            "y": y,
                            "visible": True,
                            "confidence": 0.9,
                        }
                        for c, x, y in (("GV24", 400, 300), ("CV24", 600, 560))
                    ],
                }
            ],
        }
    )
    box = _face_box(SimpleNamespace(face_map=face, width=1000, height=800))
    # 30 % of the larger extent (260 px) around the points, clipped to the image.
    assert box == (322, 222, 678, 638)
    assert _face_box(SimpleNamespace(face_map=None, width=1000, height=800)) is None
