"""`acuface points`, `point CODE` and `atlas schema|check`, through Typer's test runner."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from acuface.atlas import json_schemas, load_atlas
from acuface.cli.main import app

runner = CliRunner()


def run(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_points_json_lists_every_record_with_its_fields() -> None:
    code, out, _ = run("points", "--json")
    assert code == 0
    records = json.loads(out)
    assert isinstance(records, list)
    assert [r["code"] for r in records] == list(load_atlas().points)
    st2 = next(r for r in records if r["code"] == "ST2")
    assert st2["hanzi"] == "四白"
    assert st2["bilateral"] is True
    standard = next(t for t in st2["techniques"] if t["use"] == "standard")
    assert standard["depth_cun"] == [0.2, 0.3]
    assert st2["source"] and isinstance(st2["source"], list)
    assert set(st2) >= {
        "code",
        "pinyin",
        "hanzi",
        "english",
        "aliases",
        "channel",
        "region",
        "zones",
        "bilateral",
        "location",
        "location_reference",
        "techniques",
        "cautions",
        "tags",
        "source",
    }


@pytest.mark.parametrize(
    ("region", "allowed"),
    [
        ("body", {"body"}),
        ("face", {"face"}),
        ("neck", {"neck"}),
        ("facial", {"face", "head", "neck"}),
    ],
)
def test_points_region_filter(region: str, allowed: set[str]) -> None:
    code, out, _ = run("points", "--region", region, "--json")
    assert code == 0
    records = json.loads(out)
    assert records
    assert {r["region"] for r in records} <= allowed
    if region == "facial":
        assert len(records) == len(load_atlas().facial_points())


def test_points_zone_filter_and_unknown_zone() -> None:
    code, out, _ = run("points", "--zone", "periorbital", "--json")
    assert code == 0
    assert "BL1" in {r["code"] for r in json.loads(out)}
    code, _, err = run("points", "--zone", "eyes")
    assert code == 2
    assert "unknown zone" in err


def test_points_table() -> None:
    code, out, _ = run("points", "--region", "body")
    assert code == 0
    assert "LI4" in out
    assert "Hegu" in out
    assert "GV26" not in out


def test_point_shows_one_record() -> None:
    code, out, _ = run("point", "ST2")
    assert code == 0
    assert "Sibai" in out
    assert "四白" in out
    assert "infraorbital" in out
    assert "[who2008]" in out  # source ids shown literally, not eaten as markup


def test_point_accepts_aliases_and_json() -> None:
    code, out, _ = run("point", "gv29", "--json")
    assert code == 0
    assert json.loads(out)["code"] == "EX-HN3"


def test_unknown_point_exits_2_with_suggestions() -> None:
    code, out, err = run("point", "ST99")
    assert code == 2
    assert out == ""
    assert "Unknown acupoint code 'ST99'" in err
    assert "ST9" in err


def test_schema_written_to_folder_matches_models(tmp_path: Path) -> None:
    code, out, _ = run("atlas", "schema", "--out", str(tmp_path))
    assert code == 0
    for name, text in json_schemas().items():
        assert (tmp_path / name).read_text(encoding="utf-8") == text
        assert name in out
    code, _, _ = run("atlas", "schema", "--out", str(tmp_path), "--check")
    assert code == 0


def test_schema_check_fails_when_stale(tmp_path: Path) -> None:
    (tmp_path / "points.schema.json").write_text("{}\n", encoding="utf-8")
    code, _, err = run("atlas", "schema", "--out", str(tmp_path), "--check")
    assert code == 1
    assert "out of date" in err


def test_atlas_check_reports_bad_files(tmp_path: Path) -> None:
    code, out, _ = run("atlas", "check")
    assert code == 0
    assert out.startswith("ok: ")
    bad = tmp_path / "points.yaml"
    bad.write_text("points:\n  - code: ST2\n    colour: red\n", encoding="utf-8")
    code, _, err = run("atlas", "check", "--points", str(bad))
    assert code == 2
    assert "points.yaml line" in err
