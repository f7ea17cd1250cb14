"""The loader: caching, lookups, and clear errors for bad YAML (written to tmp_path)."""

from __future__ import annotations

import textwrap
import threading
from pathlib import Path

import pytest

from acuface.atlas import Atlas, clear_cache, load_atlas, load_atlas_from, read_points, read_sources
from acuface.errors import AtlasError, UnknownPointCode

SOURCES_YAML = """\
sources:
  - id: who2008
    citation: WHO Standard Acupuncture Point Locations in the Western Pacific Region. 2008.
    kind: standard
  - id: deadman2007
    citation: Deadman P et al. A Manual of Acupuncture. 2nd ed. 2007.
    kind: textbook
"""

# One valid record; tests replace single lines to make it invalid.
ST2_RECORD = """\
  - code: ST2
    pinyin: Sibai
    hanzi: 四白
    english: Four Whites
    channel: ST
    region: face
    zones: [cheek]
    bilateral: true
    location: On the face, found by palpation in the infraorbital foramen.
    location_reference: WHO 2008, ST2
    techniques:
      - use: standard
        depth_cun: [0.2, 0.3]
        angle: perpendicular
        needle: {diameter_mm: 0.16, length_mm: 15}
        manipulation: gentle
        source: [who2008]
    cautions: []
    tags: [palpation_defined]
    source: [who2008, deadman2007]
"""


def write_atlas(tmp_path: Path, *records: str, sources: str = SOURCES_YAML) -> tuple[Path, Path]:
    points = tmp_path / "points.yaml"
    points.write_text("# test atlas\npoints:\n" + "".join(records), encoding="utf-8")
    src = tmp_path / "sources.yaml"
    src.write_text(sources, encoding="utf-8")
    return points, src


def line_of(path: Path, needle: str) -> int:
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if needle in line:
            return number
    raise AssertionError(f"{needle!r} not in {path}")


# --- the packaged atlas -----------------------------------------------------------


def test_load_atlas_is_cached() -> None:
    assert load_atlas() is load_atlas()


def test_concurrent_first_loads_share_one_atlas() -> None:
    clear_cache()
    results: list[Atlas] = []
    barrier = threading.Barrier(4)

    def worker() -> None:
        barrier.wait()
        results.append(load_atlas())

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(results) == 4
    assert all(atlas is results[0] for atlas in results)


@pytest.mark.parametrize(
    ("query", "code"),
    [
        ("ST2", "ST2"),
        ("st2", "ST2"),
        (" St2 ", "ST2"),
        ("ex-hn5", "EX-HN5"),
        ("EXHN5", "EX-HN5"),
        ("GV29", "EX-HN3"),
        ("gv29", "EX-HN3"),
        ("Yintang", "EX-HN3"),
        ("yìntáng", "EX-HN3"),
        ("Renzhong", "GV26"),
        ("Bitong", "EX-HN8"),
        ("Zusanli", "ST36"),
        ("Du-20", "GV20"),
        ("Ren 24", "CV24"),
        ("SJ23", "TE23"),
        ("TW17", "TE17"),
        ("Liv3", "LR3"),
        ("UB2", "BL2"),
        ("P6", "PC6"),
        ("H7", "HT7"),
        ("K3", "KI3"),
    ],
)
def test_get_accepts_codes_aliases_and_names(query: str, code: str) -> None:
    point = load_atlas().get(query)
    assert point is not None
    assert point.code == code


def test_get_unknown_returns_none() -> None:
    atlas = load_atlas()
    assert atlas.get("ST99") is None
    assert atlas.get("Du99") is None
    assert atlas.get("X3") is None
    assert atlas.get("") is None
    assert "ST99" not in atlas
    assert "st2" in atlas


def test_lookup_unknown_raises_with_close_matches() -> None:
    with pytest.raises(UnknownPointCode) as info:
        load_atlas().lookup("ST99")
    assert "ST99" in info.value.message
    assert "Did you mean ST9" in info.value.message
    assert info.value.http_status == 404
    assert info.value.to_dict()["type"] == "UnknownPointCode"


def test_lookup_suggests_from_aliases() -> None:
    with pytest.raises(UnknownPointCode, match="EX-HN3"):
        load_atlas().lookup("GV28x")  # close to the alias GV29
    assert load_atlas().suggest("Yintan")[0] == "EX-HN3"
    assert load_atlas().suggest("zzzzzz") == []


# --- file-level functions on small files -------------------------------------------


def test_small_valid_atlas_loads(tmp_path: Path) -> None:
    points, sources = write_atlas(tmp_path, ST2_RECORD)
    atlas = load_atlas_from(points, sources)
    assert list(atlas.points) == ["ST2"]
    assert atlas.points["ST2"].standard.depth_cun == (0.2, 0.3)
    assert set(read_sources(sources)) == {"who2008", "deadman2007"}


def test_points_folder_is_read_in_name_order(tmp_path: Path) -> None:
    folder = tmp_path / "points"
    folder.mkdir()
    (folder / "b_st.yaml").write_text("points:\n" + ST2_RECORD, encoding="utf-8")
    (folder / "a_st.yaml").write_text(
        "points:\n" + ST2_RECORD.replace("ST2", "ST3").replace("Sibai", "Juliao"), encoding="utf-8"
    )
    assert [p.code for p in read_points(folder)] == ["ST3", "ST2"]


def test_unknown_field_is_rejected_with_file_line_code_and_field(tmp_path: Path) -> None:
    record = ST2_RECORD.replace("    tags:", "    colour: red\n    tags:")
    points, sources = write_atlas(tmp_path, record)
    with pytest.raises(AtlasError) as info:
        read_points(points)
    message = info.value.message
    assert "points.yaml" in message
    assert "ST2" in message
    assert "field colour" in message
    assert "unknown field" in message
    assert f"line {line_of(points, 'colour')}" in message


def test_unknown_nested_field_is_rejected(tmp_path: Path) -> None:
    record = ST2_RECORD.replace(
        "        angle: perpendicular", "        angle: perpendicular\n        speed: 3"
    )
    points, _ = write_atlas(tmp_path, record)
    with pytest.raises(AtlasError, match=r"field techniques\.0\.speed: unknown field"):
        read_points(points)


def test_missing_source_id_is_rejected(tmp_path: Path) -> None:
    points, sources = write_atlas(
        tmp_path,
        ST2_RECORD.replace(
            "    source: [who2008, deadman2007]", "    source: [who2008, nobody1999]"
        ),
    )
    read_points(points)  # each record is valid on its own ...
    with pytest.raises(AtlasError) as info:  # ... but the atlas checks the bibliography
        load_atlas_from(points, sources)
    assert "ST2" in info.value.message
    assert "nobody1999" in info.value.message
    assert "points.yaml line" in info.value.message


def test_empty_or_absent_source_is_rejected(tmp_path: Path) -> None:
    points, _ = write_atlas(
        tmp_path, ST2_RECORD.replace("    source: [who2008, deadman2007]", "    source: []")
    )
    with pytest.raises(AtlasError, match="field source"):
        read_points(points)
    points, _ = write_atlas(
        tmp_path, ST2_RECORD.replace("    source: [who2008, deadman2007]\n", "")
    )
    with pytest.raises(AtlasError, match="field source: required field is missing"):
        read_points(points)


@pytest.mark.parametrize("bad", ["ST 2", "XX1", "st2", "ST0", "ST46", "EX-HN99", "EX-FOO1"])
def test_bad_code_is_rejected(tmp_path: Path, bad: str) -> None:
    points, _ = write_atlas(tmp_path, ST2_RECORD.replace("code: ST2", f"code: {bad}"))
    with pytest.raises(AtlasError, match="field code"):
        read_points(points)


def test_inverted_depth_is_rejected_at_its_line(tmp_path: Path) -> None:
    points, _ = write_atlas(tmp_path, ST2_RECORD.replace("[0.2, 0.3]", "[0.5, 0.3]"))
    with pytest.raises(AtlasError) as info:
        read_points(points)
    message = info.value.message
    assert "field techniques.0.depth_cun" in message
    assert "greater than" in message
    assert f"line {line_of(points, 'depth_cun')}" in message


@pytest.mark.parametrize("depth", ["[0.0, 0.3]", "[1.0, 4.0]"])
def test_insane_depth_is_rejected(tmp_path: Path, depth: str) -> None:
    points, _ = write_atlas(tmp_path, ST2_RECORD.replace("[0.2, 0.3]", depth))
    with pytest.raises(AtlasError, match="sane range"):
        read_points(points)


def test_midline_point_cannot_be_bilateral(tmp_path: Path) -> None:
    record = (
        ST2_RECORD.replace("code: ST2", "code: GV26")
        .replace("channel: ST", "channel: GV")
        .replace("WHO 2008, ST2", "WHO 2008, GV26")
    )
    points, _ = write_atlas(tmp_path, record)
    with pytest.raises(AtlasError) as info:
        read_points(points)
    message = info.value.message
    assert "field bilateral: GV26 lies on the midline, so bilateral must be false" in message
    assert f"line {line_of(points, 'bilateral: true')}" in message


def test_channel_must_match_code(tmp_path: Path) -> None:
    points, _ = write_atlas(tmp_path, ST2_RECORD.replace("channel: ST", "channel: LI"))
    with pytest.raises(AtlasError, match="field channel: channel 'LI' does not match code"):
        read_points(points)


def test_zones_must_fit_the_region(tmp_path: Path) -> None:
    points, _ = write_atlas(tmp_path, ST2_RECORD.replace("zones: [cheek]", "zones: [lower_limb]"))
    wrong = r"field zones: zones \['lower_limb'\] do not belong to region 'face'"
    with pytest.raises(AtlasError, match=wrong):
        read_points(points)
    body = ST2_RECORD.replace("region: face", "region: body")
    points, _ = write_atlas(tmp_path, body)
    with pytest.raises(AtlasError, match="do not belong to region 'body'"):
        read_points(points)


def test_hanzi_must_be_chinese(tmp_path: Path) -> None:
    points, _ = write_atlas(tmp_path, ST2_RECORD.replace("hanzi: 四白", "hanzi: Sibai"))
    with pytest.raises(AtlasError, match="field hanzi: hanzi 'Sibai' must be Chinese"):
        read_points(points)


def test_unknown_tag_or_zone_is_rejected(tmp_path: Path) -> None:
    points, _ = write_atlas(tmp_path, ST2_RECORD.replace("[palpation_defined]", "[dangerous]"))
    with pytest.raises(AtlasError, match=r"field tags\.0"):
        read_points(points)


def test_channel_points_must_follow_who(tmp_path: Path) -> None:
    points, _ = write_atlas(tmp_path, ST2_RECORD.replace("WHO 2008, ST2", "My own idea"))
    with pytest.raises(
        AtlasError, match="field location_reference: channel points must follow the WHO 2008"
    ):
        read_points(points)


def test_duplicate_codes_and_aliases_are_rejected(tmp_path: Path) -> None:
    points, sources = write_atlas(tmp_path, ST2_RECORD, ST2_RECORD)
    with pytest.raises(AtlasError, match="ST2 is used twice"):
        load_atlas_from(points, sources)
    st3 = ST2_RECORD.replace("ST2", "ST3").replace("Sibai", "Juliao")
    aliased = st3.replace("    channel: ST", "    aliases: [st2]\n    channel: ST")
    points, sources = write_atlas(tmp_path, ST2_RECORD, aliased)
    with pytest.raises(AtlasError, match="'st2' already names ST2"):
        load_atlas_from(points, sources)


def test_duplicate_yaml_key_is_rejected_with_line(tmp_path: Path) -> None:
    record = ST2_RECORD.replace("    tags:", "    region: head\n    tags:")
    points, _ = write_atlas(tmp_path, record)
    with pytest.raises(AtlasError) as info:
        read_points(points)
    assert "duplicate key 'region'" in info.value.message
    assert f"line {line_of(points, 'region: head')}" in info.value.message


def test_broken_yaml_names_file_and_line(tmp_path: Path) -> None:
    points, _ = write_atlas(tmp_path, ST2_RECORD.replace("zones: [cheek]", "zones: [cheek"))
    with pytest.raises(AtlasError, match=r"points\.yaml line \d+, column \d+"):
        read_points(points)


def test_wrong_top_level_layout_is_rejected(tmp_path: Path) -> None:
    path = tmp_path / "points.yaml"
    path.write_text("- code: ST2\n", encoding="utf-8")
    with pytest.raises(AtlasError, match="expected one top-level key 'points'"):
        read_points(path)
    path.write_text("points: {}\nextra: 1\n", encoding="utf-8")
    with pytest.raises(AtlasError, match="expected one top-level key 'points'"):
        read_points(path)


def test_missing_file_is_an_atlas_error(tmp_path: Path) -> None:
    with pytest.raises(AtlasError, match="cannot read atlas file"):
        read_points(tmp_path / "nope.yaml")


def test_bad_sources_are_rejected(tmp_path: Path) -> None:
    path = tmp_path / "sources.yaml"
    path.write_text(
        SOURCES_YAML + "  - id: who2008\n    citation: duplicate entry here\n    kind: standard\n",
        encoding="utf-8",
    )
    with pytest.raises(AtlasError, match="'who2008' is used twice"):
        read_sources(path)
    path.write_text(
        textwrap.dedent(
            """\
            sources:
              - id: Bad Id
                citation: Some book, somewhere, some year.
                kind: textbook
            """
        ),
        encoding="utf-8",
    )
    with pytest.raises(AtlasError, match=r"source Bad Id, field id"):
        read_sources(path)


def test_every_code_alias_and_pinyin_round_trips() -> None:
    atlas = load_atlas()
    for point in atlas:
        for name in (point.code, point.code.lower(), point.pinyin, *point.aliases):
            found = atlas.get(name)
            assert found is not None and found.code == point.code, (name, point.code)


def test_search_matches_codes_names_aliases_and_zones() -> None:
    atlas = load_atlas()
    assert [p.code for p in atlas.search("yintang")] == ["EX-HN3"]
    assert "ST2" in {p.code for p in atlas.search("sibai")}
    periorbital = atlas.search("periorbital")
    assert periorbital and all("periorbital" in p.zones for p in periorbital)
    assert all(p.region == "body" for p in atlas.search("", region="body"))
    assert len(atlas.search("")) == len(atlas.points)
    first_two = list(atlas.points.values())[:2]
    assert atlas.search("", points=first_two[::-1]) == first_two[::-1]
