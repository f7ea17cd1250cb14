"""Point geometry data (atlas/data/geometry.yaml): schema, coverage, consistency."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
import yaml
from pydantic import ValidationError

from acuface.atlas.geometry import (
    GeometryFile,
    geometry_json_schema,
    load_geometry,
    parse_geometry,
)

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "src" / "acuface" / "atlas" / "data" / "geometry.yaml"
SCHEMA = ROOT / "src" / "acuface" / "atlas" / "schema" / "geometry.schema.json"

# The 48 facial/head codes the atlas promises the locator (tests/atlas/test_points.py).
MIDLINE = "GV20 GV21 GV22 GV23 GV24 GV25 GV26 GV27 CV23 CV24 EX-HN3".split()
BILATERAL = (
    "BL1 BL2 BL3 BL4 GB1 GB2 GB3 GB4 GB12 GB13 GB14 GB15 ST1 ST2 ST3 ST4 ST5 ST6 ST7 ST8 "
    "ST9 SI17 SI18 SI19 LI19 LI20 TE17 TE20 TE21 TE22 TE23 EX-HN4 EX-HN5 EX-HN6 EX-HN7 "
    "EX-HN8 EX-HN14"
).split()
PALPATION = {"ST2", "ST6", "ST7", "SI19", "GB2", "TE21"}
#: Yaw (deg) of each standard view, turned so the point's side faces the camera.
VIEW_YAW = {"frontal": 0.0, "oblique": 35.0, "lateral": 80.0}
VISIBLE_COS = 0.2


@pytest.fixture(scope="module")
def raw() -> dict:
    return yaml.safe_load(DATA.read_text(encoding="utf-8"))


def test_every_facial_code_has_one_record_with_the_right_side() -> None:
    geo = load_geometry()
    assert len(geo.points) == 48
    assert {p.code for p in geo.points} == set(MIDLINE) | set(BILATERAL)
    for p in geo.points:
        assert p.side == ("midline" if p.code in MIDLINE else "bilateral"), p.code


def test_codes_match_the_atlas_facial_points() -> None:
    atlas = pytest.importorskip("acuface.atlas").load_atlas()
    facial = {p.code for p in atlas.facial_points()}
    assert {p.code for p in load_geometry().points} == facial
    for p in atlas.facial_points():
        assert p.bilateral == (load_geometry().by_code[p.code].side == "bilateral"), p.code


def test_every_source_id_exists_in_the_bibliography() -> None:
    sources = yaml.safe_load(
        (ROOT / "src" / "acuface" / "atlas" / "data" / "sources.yaml").read_text("utf-8")
    )
    known = {s["id"] for s in sources["sources"]}
    assert load_geometry().source_ids() <= known


def test_palpation_defined_points_have_lower_confidence() -> None:
    geo = load_geometry().by_code
    for code in PALPATION:
        assert geo[code].confidence <= 0.5, code
    for code in ("BL1", "BL2", "GV26", "ST4", "EX-HN3"):
        assert geo[code].confidence >= 0.8, code


@pytest.mark.parametrize("code", MIDLINE + BILATERAL)
def test_views_agree_with_facing_direction(code: str) -> None:
    """The listed views are exactly those in which the skin faces the camera."""
    p = load_geometry().by_code[code]
    lat, up, fwd = p.facing
    norm = math.sqrt(lat * lat + up * up + fwd * fwd)
    # Scalp points walk over the head; their facing tilts up by the arc angle.
    arc = getattr(p.at, "arc_up_cun", 0.0) / load_geometry().scalp_radius_cun
    fwd_eff = (fwd * math.cos(arc) - up * math.sin(arc)) / norm
    seen = set()
    for view, yaw in VIEW_YAW.items():
        cos = lat / norm * math.sin(math.radians(yaw)) + fwd_eff * math.cos(math.radians(yaw))
        if cos > VISIBLE_COS:
            seen.add(view)
    assert seen == set(p.views)


def test_loader_is_cached() -> None:
    assert load_geometry() is load_geometry()


def test_unknown_field_is_rejected(raw: dict) -> None:
    raw = json.loads(json.dumps(raw))
    raw["points"][0]["colour"] = "red"
    with pytest.raises(ValidationError, match="colour"):
        GeometryFile.model_validate(raw)


def test_record_without_source_is_rejected(raw: dict) -> None:
    raw = json.loads(json.dumps(raw))
    del raw["points"][3]["source"]
    with pytest.raises(ValidationError, match="source"):
        GeometryFile.model_validate(raw)


def test_landmark_index_out_of_range_is_rejected(raw: dict) -> None:
    raw = json.loads(json.dumps(raw))
    raw["points"][0]["at"] = {"mean": [478]}
    with pytest.raises(ValidationError):
        GeometryFile.model_validate(raw)


def test_unknown_reference_and_cycles_are_rejected(raw: dict) -> None:
    bad = json.loads(json.dumps(raw))
    bad["points"][0]["at"] = {"ref": "ST99"}
    with pytest.raises(ValidationError, match="unknown point or helper"):
        GeometryFile.model_validate(bad)
    cyc = json.loads(json.dumps(raw))
    by = {p["code"]: p for p in cyc["points"]}
    by["ST1"]["at"] = {"from": {"ref": "ST2"}, "up_cun": 0.4}
    with pytest.raises(ValidationError, match="circular"):
        GeometryFile.model_validate(cyc)


def test_midline_point_may_not_use_a_bilateral_point(raw: dict) -> None:
    bad = json.loads(json.dumps(raw))
    by = {p["code"]: p for p in bad["points"]}
    by["GV26"]["at"] = {"ref": "ST3"}
    with pytest.raises(ValidationError, match="midline point cannot use bilateral"):
        GeometryFile.model_validate(bad)


def test_duplicate_code_is_rejected() -> None:
    text = DATA.read_text(encoding="utf-8")
    data = yaml.safe_load(text)
    data["points"].append(data["points"][0])
    with pytest.raises(ValidationError, match="duplicate"):
        GeometryFile.model_validate(data)
    assert parse_geometry(text).points  # the committed file itself is valid


def test_committed_json_schema_is_up_to_date() -> None:
    generated = json.dumps(geometry_json_schema(), indent=2, ensure_ascii=False) + "\n"
    committed = SCHEMA.read_text(encoding="utf-8") if SCHEMA.exists() else ""
    assert committed == generated, (
        f"{SCHEMA} is out of date with acuface/atlas/geometry.py; regenerate with "
        "python -c 'import json; from acuface.atlas.geometry import geometry_json_schema as s;"
        " print(json.dumps(s(), indent=2, ensure_ascii=False))' > " + str(SCHEMA)
    )
    schema = json.loads(committed)
    assert schema["$defs"]["PointGeometry"]["additionalProperties"] is False
    assert "source" in schema["$defs"]["PointGeometry"]["required"]


def test_docs_describe_every_point_as_the_data_does() -> None:
    """docs/points.md carries each point's row with the data's own method text."""
    doc = (ROOT / "docs" / "points.md").read_text(encoding="utf-8")
    for p in load_geometry().points:
        assert f"| {p.code}" in doc, p.code
        assert p.method in doc, f"{p.code}: update its row in docs/points.md"
