"""Technique records per point and per use, and the atlas corrections of the safety review."""

from __future__ import annotations

from pathlib import Path

import pytest

from acuface.atlas import Atlas, load_atlas, read_points
from acuface.atlas.knowledge import load_knowledge
from acuface.errors import AtlasError

ORBIT = {"BL1", "ST1", "EX-HN7"}


@pytest.fixture(scope="module")
def atlas() -> Atlas:
    return load_atlas()


def test_every_point_has_one_standard_technique_with_a_needle(atlas: Atlas) -> None:
    for point in atlas:
        uses = [t.use for t in point.techniques]
        assert uses.count("standard") == 1, point.code
        assert len(set(uses)) == len(uses), point.code
        for technique in point.techniques:
            assert technique.source, point.code
            assert 0.1 <= technique.needle.diameter_mm <= 0.3, point.code
            # Never needled to the hilt: the needle is longer than the deepest insertion
            # at a typical 20 mm per cun.
            assert technique.needle.length_mm >= technique.depth_cun[1] * 20, point.code


def test_only_the_points_inside_the_orbital_rim_enter_the_orbit(atlas: Atlas) -> None:
    entering = {p.code for p in atlas if any(t.enters_orbit for t in p.techniques)}
    assert entering == ORBIT
    for code in ORBIT:
        assert atlas.points[code].technique("cosmetic") is None, code


def test_cosmetic_concerns_find_a_cosmetic_technique_for_their_facial_points(
    atlas: Atlas,
) -> None:
    knowledge = load_knowledge()
    for concern in knowledge.concerns.concerns:
        if concern.technique != "cosmetic":
            continue
        for code in concern.codes:
            point = atlas.points[code]
            if point.is_facial and code not in ORBIT:
                assert point.technique("cosmetic") is not None, (concern.name, code)
    for support in knowledge.concerns.supportive:
        assert atlas.points[support.code].technique("cosmetic") is not None, support.code


def test_cosmetic_work_at_the_rim_is_shallow_flat_and_pressed(atlas: Atlas) -> None:
    for point in atlas:
        cosmetic = point.technique("cosmetic")
        if cosmetic is None or "near_eye" not in point.tags:
            continue
        assert cosmetic.depth_cun[1] <= 0.2, point.code
        assert cosmetic.angle in ("transverse", "intradermal"), point.code
        assert cosmetic.manipulation == "none", point.code
        assert cosmetic.pressure_after, point.code


RIM_RECORD = """\
points:
  - code: BL2
    pinyin: Cuanzhu
    hanzi: 攒竹
    english: Gathered Bamboo
    channel: BL
    region: face
    zones: [periorbital]
    bilateral: true
    location: On the face, at the medial end of the eyebrow, at the frontal notch.
    location_reference: WHO 2008, BL2
    cautions: []
    tags: [near_eye]
    techniques:
      - use: standard
        depth_cun: [0.3, 0.5]
        angle: transverse
        needle: {diameter_mm: 0.16, length_mm: 15}
        manipulation: gentle
        source: [who2008]
      - use: cosmetic
        depth_cun: [0.1, 0.3]
        angle: oblique
        needle: {diameter_mm: 0.16, length_mm: 15}
        manipulation: gentle
        source: [who2008]
    source: [who2008]
"""


def test_a_cosmetic_technique_at_the_rim_that_goes_too_deep_is_rejected(tmp_path: Path) -> None:
    path = tmp_path / "points.yaml"
    path.write_text(RIM_RECORD, encoding="utf-8")
    with pytest.raises(AtlasError) as info:
        read_points(path)
    message = info.value.message
    assert "point BL2, field techniques" in message
    assert "at most 0.2 cun deep" in message and "transverse or intradermal" in message
    assert "no manipulation" in message and "pressure after withdrawal" in message


def test_mouth_position_is_data(atlas: Atlas) -> None:
    for code in ("SI19", "GB2", "TE21"):
        assert atlas.points[code].standard.mouth == "open", code
    assert atlas.points["ST7"].standard.mouth == "closed"


def test_atlas_corrections_of_the_safety_review(atlas: Atlas) -> None:
    bl2 = atlas.points["BL2"]
    assert bl2.pinyin == "Cuanzhu"  # WHO 2008 spelling
    assert atlas.get("Zanzhu") is bl2
    assert "supratrochlear" in bl2.location and "frontal" in bl2.location
    assert "0.4 F-cun" in atlas.points["ST4"].location
    ex_hn8 = atlas.points["EX-HN8"].location
    assert "nasolabial sulcus" in ex_hn8 and "aperture" in ex_hn8
    assert "nasal bone" not in ex_hn8
    gv27 = atlas.points["GV27"].location
    assert "midpoint of the tubercle of the upper lip" in gv27
    assert "meets" not in gv27  # one definition, not two
    gb21 = atlas.points["GB21"].standard
    assert gb21.angle == "oblique" and gb21.depth_cun[1] <= 0.5
    assert {"bleeding_prone", "painful", "strong_stimulation"} <= set(atlas.points["GV26"].tags)
    assert {p.code for p in atlas if "nape" in p.tags} == {"GB20", "GV14", "GB12", "EX-HN14"}
