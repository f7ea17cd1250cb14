"""`acuface skin` CLI contract: JSON shape, exit codes, overlays, the compare form."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from acuface.cli.main import app

runner = CliRunner()


def _run(*args: str):
    return runner.invoke(app, ["skin", *args])


@pytest.fixture(scope="module")
def one_photo_json(obama_path, tmp_path_factory):
    out = tmp_path_factory.mktemp("skin-out")
    res = _run(str(obama_path), "--json", "--out", str(out))
    return res, out


def test_json_matches_the_contract(one_photo_json, obama_path):
    res, _ = one_photo_json
    assert res.exit_code == 0, res.output
    payload = json.loads(res.stdout)
    (entry,) = payload["results"]
    assert entry["image"] == str(obama_path)
    assert entry["error"] is None
    q = entry["quality"]
    assert isinstance(q["ok"], bool) and isinstance(q["issues"], list)
    for key in ("yaw", "pitch", "roll", "sharpness", "exposure"):
        assert isinstance(q[key], float), key
    assert isinstance(entry["regions"]["forehead"]["wrinkle_index"], float)
    assert isinstance(entry["regions"]["forehead"]["redness_a"], float)
    assert set(entry["dark_circles"]) >= {"left_delta_L", "right_delta_L"}
    assert isinstance(entry["spots"]["count"], int)
    assert isinstance(entry["spots"]["area_mm2"], float)
    assert "mouth_corner_tilt" in entry["sagging"]
    assert entry["method_version"].startswith("skin-")


def test_out_writes_overlays(one_photo_json):
    _, out = one_photo_json
    assert (out / "obama.skin-regions.png").stat().st_size > 10_000
    assert (out / "obama.skin-metrics.png").stat().st_size > 10_000


def test_a_failed_photo_gives_exit_1_and_an_error_entry(obama_path, faces_dir):
    res = _run(str(obama_path), str(faces_dir / "LICENSE.md"), "--json")
    assert res.exit_code == 1
    results = json.loads(res.stdout)["results"]
    assert results[0]["error"] is None
    assert results[1]["error"]["type"] == "NotAnImage"


def test_compare_form(obama_path, faces_dir, tmp_path):
    res = _run(
        "compare", str(obama_path), str(faces_dir / "obama3.jpg"), "--json", "--out", str(tmp_path)
    )
    assert res.exit_code == 0, res.output
    payload = json.loads(res.stdout)
    assert payload["comparable"] is False and payload["error"] is None
    delta = payload["deltas"]["forehead"]["wrinkle_index"]
    assert set(delta) == {
        "before",
        "after",
        "delta",
        "repeatability_coefficient",
        "exceeds_repeatability",
    }
    assert payload["before"]["image"] == str(obama_path)
    assert (tmp_path / "compare-side-by-side.png").exists()
    assert (tmp_path / "compare-blend.png").exists()


def test_usage_errors_exit_2(obama_path):
    assert _run("compare", str(obama_path)).exit_code == 2
    assert _run().exit_code == 2


def test_human_output_lists_regions_and_issues(faces_dir):
    res = _run(str(faces_dir / "biden.jpg"))
    assert res.exit_code == 0
    assert "quality NOT OK" in res.stdout
    assert "toward the client's left" in res.stdout
    assert "left_cheek" in res.stdout


def test_workers_give_the_same_results_in_input_order(portrait_paths, faces_dir):
    photos = [str(portrait_paths[0]), str(faces_dir / "LICENSE.md"), str(portrait_paths[1])]
    one = _run(*photos, "--json", "--workers", "1")
    two = _run(*photos, "--json", "--workers", "2")
    assert one.exit_code == two.exit_code == 1  # the licence file is not a photo
    r1, r2 = json.loads(one.stdout)["results"], json.loads(two.stdout)["results"]
    assert [r["image"] for r in r2] == photos
    assert r2[1]["error"]["type"] == "NotAnImage"
    assert r1 == r2
