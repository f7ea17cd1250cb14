"""The shipped atlas data: required codes, counts, names, safety tags, sources."""

from __future__ import annotations

import re

import pytest

from acuface.atlas import BODY_ZONES, FACIAL_ZONES, Atlas, load_atlas
from acuface.errors import AtlasError

# The facial/head codes other parts rely on (plans, geometry, charting): none may vanish.
MIDLINE_FACIAL = "GV20 GV21 GV22 GV23 GV24 GV25 GV26 GV27 CV23 CV24 EX-HN3".split()
BILATERAL_FACIAL = (
    "BL1 BL2 BL3 BL4 GB1 GB2 GB3 GB4 GB12 GB13 GB14 GB15 ST1 ST2 ST3 ST4 ST5 ST6 ST7 ST8 ST9 "
    "SI17 SI18 SI19 LI19 LI20 TE17 TE20 TE21 TE22 TE23 EX-HN4 EX-HN5 EX-HN6 EX-HN7 EX-HN8 EX-HN14"
).split()
BODY = (
    "LI4 LI11 ST36 ST40 ST44 SP6 SP9 SP10 LU5 LU7 LU9 KI3 KI6 LR3 PC6 HT7 GB20 GB21 GB34 "
    "CV4 CV6 CV12 GV14 BL13 BL17 BL20 BL23 BL60 BL67 ST25 SP3"
).split()

# Chinese names checked against the WHO 2008 / GB/T 12346-2006 simplified forms,
# so an accidental edit of a character is caught.
HANZI = {
    "GV20": "百会",
    "GV26": "水沟",
    "CV24": "承浆",
    "EX-HN3": "印堂",
    "BL1": "睛明",
    "BL2": "攒竹",
    "GB1": "瞳子髎",
    "GB14": "阳白",
    "ST1": "承泣",
    "ST2": "四白",
    "ST3": "巨髎",
    "ST4": "地仓",
    "ST6": "颊车",
    "ST7": "下关",
    "SI18": "颧髎",
    "SI19": "听宫",
    "LI19": "口禾髎",
    "LI20": "迎香",
    "TE17": "翳风",
    "TE23": "丝竹空",
    "EX-HN4": "鱼腰",
    "EX-HN5": "太阳",
    "EX-HN7": "球后",
    "EX-HN8": "上迎香",
    "LI4": "合谷",
    "ST36": "足三里",
    "SP6": "三阴交",
    "LR3": "太冲",
    "GB20": "风池",
    "CV12": "中脘",
}


@pytest.fixture(scope="module")
def atlas() -> Atlas:
    return load_atlas()


def test_every_required_code_is_present(atlas: Atlas) -> None:
    missing = [c for c in MIDLINE_FACIAL + BILATERAL_FACIAL + BODY if c not in atlas.points]
    assert missing == []


def test_counts_meet_the_issue(atlas: Atlas) -> None:
    assert len(atlas.facial_points()) >= 45
    assert len(atlas.body_points()) >= 20
    assert len(atlas.facial_points()) + len(atlas.body_points()) == len(atlas)


def test_required_facial_codes_are_facial_and_body_codes_are_body(atlas: Atlas) -> None:
    facial = {p.code for p in atlas.facial_points()}
    body = {p.code for p in atlas.body_points()}
    assert set(MIDLINE_FACIAL + BILATERAL_FACIAL) <= facial
    assert set(BODY) <= body


def test_midline_points_are_single_and_listed_pairs_are_bilateral(atlas: Atlas) -> None:
    for code in MIDLINE_FACIAL:
        assert atlas.points[code].bilateral is False, code
        assert atlas.points[code].sides == ("midline",)
    for code in BILATERAL_FACIAL:
        assert atlas.points[code].bilateral is True, code
        assert atlas.points[code].sides == ("left", "right")
    for point in atlas:
        if point.channel in {"GV", "CV"}:
            assert not point.bilateral, point.code


@pytest.mark.parametrize(("code", "hanzi"), sorted(HANZI.items()))
def test_hanzi(atlas: Atlas, code: str, hanzi: str) -> None:
    assert atlas.points[code].hanzi == hanzi


def test_names_are_well_formed(atlas: Atlas) -> None:
    cjk = re.compile(r"^[\u4e00-\u9fff]{2,4}$")
    for point in atlas:
        assert cjk.match(point.hanzi), (point.code, point.hanzi)
        # Pinyin without tone marks, capitalised, one word (WHO spelling).
        assert re.fullmatch(r"[A-Z][a-z]+", point.pinyin), (point.code, point.pinyin)
        assert point.english[0].isupper(), point.code


def test_pinyin_names_are_unique(atlas: Atlas) -> None:
    names = [p.pinyin.lower() for p in atlas]
    assert len(names) == len(set(names))


def test_every_source_id_resolves_and_channel_points_cite_who(atlas: Atlas) -> None:
    for point in atlas:
        assert point.source, point.code
        for source_id in point.source:
            assert source_id in atlas.sources, (point.code, source_id)
        if point.channel == "EX":
            assert "who1991" in point.source or "gbt12346_2006" in point.source, point.code
        else:
            assert "who2008" in point.source, point.code
            assert point.code in point.location_reference, point.code


def test_locations_are_distinct_own_texts(atlas: Atlas) -> None:
    texts = [p.location for p in atlas]
    assert len(texts) == len(set(texts))
    for point in atlas:
        assert len(point.location.split()) >= 6, point.code


def test_zones_match_regions(atlas: Atlas) -> None:
    for point in atlas.facial_points():
        assert set(point.zones) <= FACIAL_ZONES, point.code
    for point in atlas.body_points():
        assert set(point.zones) <= BODY_ZONES, point.code
    for code in ("CV4", "CV6", "CV12", "ST25"):
        assert "abdomen" in atlas.points[code].zones


def test_facial_points_are_needled_shallow(atlas: Atlas) -> None:
    # Facial work is superficial: nothing on the face proper goes past 1 cun,
    # and no transverse or oblique facial insertion past 0.8 cun.
    for point in atlas.points.values():
        if point.region == "face":
            for technique in point.techniques:
                assert technique.depth_cun[1] <= 1.0, point.code
                if technique.angle != "perpendicular":
                    assert technique.depth_cun[1] <= 0.8, point.code


def test_pregnancy_tags(atlas: Atlas) -> None:
    tagged = {p.code for p in atlas if "forbidden_in_pregnancy" in p.tags}
    assert {"LI4", "SP6", "BL60", "BL67", "GB21"} <= tagged
    for code in tagged:
        assert {"betts2011", "carr2015"} <= set(atlas.points[code].source), code


@pytest.mark.parametrize("code", ["BL1", "ST1", "EX-HN7"])
def test_points_at_the_eyeball_carry_the_no_manipulation_caution(atlas: Atlas, code: str) -> None:
    point = atlas.points[code]
    assert {"near_eye", "bleeding_prone"} <= set(point.tags)
    text = " ".join(point.cautions).lower()
    assert "no lifting-thrusting" in text
    assert "no rotating" in text
    assert "press" in text and "withdrawal" in text


def test_other_safety_tags(atlas: Atlas) -> None:
    assert "near_artery" in atlas.points["ST9"].tags
    assert "carotid" in " ".join(atlas.points["ST9"].cautions)
    assert "lung" in " ".join(atlas.points["GB21"].cautions)
    assert "bleeding_prone" in atlas.points["EX-HN5"].tags


def test_palpation_defined_points_say_so(atlas: Atlas) -> None:
    for code in ("ST2", "ST6", "ST7", "SI19", "GB2", "TE21"):
        point = atlas.points[code]
        assert "palpation_defined" in point.tags, code
        assert "palpation" in point.location, code
    for point in atlas:
        if "palpation_defined" in point.tags:
            assert "palpation" in point.location, point.code


def test_yintang_is_kept_as_ex_hn3_with_the_who_gv29_alias(atlas: Atlas) -> None:
    yintang = atlas.points["EX-HN3"]
    assert "GV29" in yintang.aliases
    assert "GV29" in yintang.location_reference
    assert "GV29" not in atlas.points


def test_facial_points_and_zones(atlas: Atlas) -> None:
    codes = [p.code for p in atlas.facial_points()]
    assert codes == [c for c in atlas.points if c in set(codes)]  # file order kept
    periorbital = {p.code for p in atlas.by_zone("periorbital")}
    assert {"BL1", "ST1", "EX-HN7", "BL2", "TE23"} <= periorbital
    assert "ST36" not in periorbital
    assert {p.code for p in atlas.by_zone("abdomen")} >= {"CV4", "CV6", "CV12", "ST25"}
    with pytest.raises(AtlasError, match="unknown zone 'eyes'"):
        atlas.by_zone("eyes")


def test_records_are_frozen(atlas: Atlas) -> None:
    from pydantic import ValidationError

    with pytest.raises(ValidationError):
        atlas.points["ST2"].code = "ST3"
