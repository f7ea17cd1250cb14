"""The ``acuface locate`` contract: JSON shape, exit codes, --out files, --points filter."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from acuface.cli.main import app

runner = CliRunner()


@pytest.fixture(scope="module")
def photos(tmp_path_factory, faces_dir: Path, portrait_paths: list[Path]) -> Path:
    d = tmp_path_factory.mktemp("photos")
    for p in portrait_paths[:3]:
        shutil.copy(p, d / p.name)
    (d / "broken.jpg").write_bytes((faces_dir / "obama.jpg").read_bytes()[:2000])
    (d / "readme.txt").write_text("not a photo, and not picked up from a folder")
    return d


def _check_shape(doc: dict) -> None:
    assert set(doc) == {"results"}
    for res in doc["results"]:
        assert {"image", "faces", "error"} <= set(res)
        for face in res["faces"]:
            assert set(face["pose"]) == {"yaw", "pitch", "roll"}
            assert isinstance(face["mm_per_px"], float)
            for p in face["points"]:
                keys = {"code", "side", "x", "y", "visible", "confidence"}
                # "convention" only on points the standards place differently (GV26, LI19).
                assert set(p) - {"convention"} == keys, set(p)
                assert ("convention" in p) == (p["code"] in ("GV26", "LI19"))
                assert p["side"] in ("left", "right", "midline")
                assert isinstance(p["visible"], bool)
                assert 0.0 <= p["confidence"] <= 1.0


def test_one_photo_json_and_points_filter(obama_path: Path) -> None:
    r = runner.invoke(app, ["locate", str(obama_path), "--json", "--points", "ST2,li20"])
    assert r.exit_code == 0, r.output
    doc = json.loads(r.stdout)
    _check_shape(doc)
    (res,) = doc["results"]
    assert res["error"] is None and res["image"] == str(obama_path)
    pts = res["faces"][0]["points"]
    assert [(p["code"], p["side"]) for p in pts] == [
        ("ST2", "left"),
        ("ST2", "right"),
        ("LI20", "left"),
        ("LI20", "right"),
    ]
    # Client's left is on the image's right in this frontal portrait.
    assert pts[0]["x"] > pts[1]["x"]


def test_folder_batch_reports_the_bad_file_and_exits_1(photos: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    r = runner.invoke(app, ["locate", str(photos), "--json", "--out", str(out), "--workers", "1"])
    assert r.exit_code == 1
    doc = json.loads(r.stdout)
    _check_shape(doc)
    by_name = {Path(x["image"]).name: x for x in doc["results"]}
    assert set(by_name) == {p.name for p in photos.glob("*.jpg")}  # readme.txt skipped
    assert by_name["broken.jpg"]["error"]["type"] == "CorruptImage"
    ok = [x for n, x in by_name.items() if n != "broken.jpg"]
    assert all(x["error"] is None and len(x["faces"]) == 1 for x in ok)
    for x in ok:
        stem = Path(x["image"]).stem
        assert (out / f"{stem}.png").stat().st_size > 10_000
        written = json.loads((out / f"{stem}.json").read_text())
        assert written["faces"][0]["points"] == x["faces"][0]["points"]
    assert not (out / "broken.png").exists()


def test_unknown_point_code_is_a_usage_error(obama_path: Path) -> None:
    r = runner.invoke(app, ["locate", str(obama_path), "--points", "ST2,XX9"])
    assert r.exit_code == 2
    assert "XX9" in r.output
    assert "usage error" in r.output


def test_missing_file_fails_with_exit_1(tmp_path: Path) -> None:
    r = runner.invoke(app, ["locate", str(tmp_path / "nope.jpg"), "--json"])
    assert r.exit_code == 1
    doc = json.loads(r.stdout)
    assert doc["results"][0]["error"]["type"] == "NotAnImage"


def test_empty_folder_is_a_usage_error(tmp_path: Path) -> None:
    r = runner.invoke(app, ["locate", str(tmp_path)])
    assert r.exit_code == 2


def test_subprocess_stdout_is_pure_json_with_two_workers(photos: Path) -> None:
    """Real process, real worker pool: stdout holds only the JSON document."""
    env = {**os.environ, "COLUMNS": "100"}
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "acuface.cli.main",
            "locate",
            str(photos),
            "--json",
            "--workers",
            "2",
            "--points",
            "GV26",
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 1  # the broken file
    doc = json.loads(proc.stdout)  # raises if anything else reached stdout
    _check_shape(doc)
    assert len(doc["results"]) == 4
    assert sum(r["error"] is None for r in doc["results"]) == 3
    # Input (sorted) order is kept whatever order the workers finish in.
    names = [Path(r["image"]).name for r in doc["results"]]
    assert names == sorted(names)
    assert "INFO" not in proc.stderr and "TensorFlow" not in proc.stderr
