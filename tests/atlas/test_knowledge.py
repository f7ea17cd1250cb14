"""The planner's knowledge files: schema, cross-file references, committed JSON Schemas."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from pydantic import ValidationError

from acuface.atlas import ALL_ZONES, load_atlas
from acuface.atlas.knowledge import (
    CONCERNS,
    ConcernsFile,
    Effect,
    Knowledge,
    PatternsFile,
    ScreeningFile,
    _cross_check,
    knowledge_json_schemas,
    load_knowledge,
)
from acuface.atlas.models import SOURCES
from acuface.errors import AtlasError

DATA = Path(__file__).resolve().parents[2] / "src" / "acuface" / "atlas" / "data"
SCHEMA = Path(__file__).resolve().parents[2] / "src" / "acuface" / "atlas" / "schema"

# Every concern the issue names, by our stable id.
ISSUE_CONCERNS = {
    "wrinkles",
    "sagging",
    "dull_complexion",
    "dark_circles",
    "eye_bags",
    "acne",
    "dark_spots",
    "rashes",
    "eczema",
    "seasonal_allergies",
    "tmj",
    "stress",
    "rejuvenation",
}
ISSUE_PATTERNS = {
    "lung_heat",
    "lung_qi_deficiency",
    "spleen_qi_deficiency_dampness",
    "stomach_intestine_heat",
    "liver_qi_stagnation",
    "blood_deficiency",
    "blood_stasis",
    "kidney_yin_essence_deficiency",
    "wind_heat_skin",
    "damp_heat_skin",
}
ISSUE_SCREENING = {
    "pregnancy",
    "anticoagulants",
    "bleeding_disorder",
    "active_infection",
    "open_lesion",
    "recent_botulinum_toxin",
    "recent_fillers",
    "recent_threads",
    "keloid_tendency",
    "uncontrolled_hypertension",
    "uncontrolled_diabetes",
    "migraine_attack",
    "epilepsy",
    "immunosuppression",
    "needle_phobia_fainting",
    "metal_allergy",
    "under_18",
    "pacemaker",
    # The screening a facial practice needs (issue 9).
    "isotretinoin",
    "recent_skin_procedure",
    "permanent_fillers",
    "cold_sores",
    "rosacea",
    "lymphoedema",
    "bruising_supplements",
    "first_acupuncture",
    # Red flags: refer, do not needle.
    "changing_pigmented_lesion",
    "jaw_pain_new_headache_over_50",
    "one_sided_nasal_symptoms",
    "sudden_facial_weakness",
}


@pytest.fixture(scope="module")
def knowledge() -> Knowledge:
    return load_knowledge()


def test_all_issue_knowledge_is_present(knowledge: Knowledge) -> None:
    assert {c.name for c in knowledge.concerns.concerns} == ISSUE_CONCERNS
    assert {p.id for p in knowledge.patterns.patterns} == ISSUE_PATTERNS
    assert {r.id for r in knowledge.screening.rules} == ISSUE_SCREENING


def test_every_record_cites_known_sources(knowledge: Knowledge) -> None:
    sources = load_atlas().sources
    records = [
        *knowledge.concerns.concerns,
        *knowledge.concerns.supportive,
        *knowledge.patterns.patterns,
        *knowledge.screening.rules,
    ]
    for record in records:
        assert record.source, record
        assert all(s in sources for s in record.source), record


def test_concern_points_exist_and_zones_are_atlas_zones(knowledge: Knowledge) -> None:
    atlas = load_atlas()
    for concern in knowledge.concerns.concerns:
        assert set(concern.zones) <= set(ALL_ZONES)
        for code in concern.codes:
            assert code in atlas.points, (concern.name, code)


def test_patterns_have_questions_tongue_pulse_and_body_points(knowledge: Knowledge) -> None:
    atlas = load_atlas()
    for pattern in knowledge.patterns.patterns:
        kinds = {sign.kind for sign in pattern.signs}
        assert kinds == {"question", "tongue", "pulse"}, pattern.id
        assert all(atlas.points[p.code].region == "body" for p in pattern.points), pattern.id


def test_pregnancy_rule_removes_the_forbidden_points(knowledge: Knowledge) -> None:
    rule = knowledge.rules_by_id["pregnancy"]
    tags = {t for e in rule.effects if e.kind == "remove_points" for t in e.tags}
    assert "forbidden_in_pregnancy" in tags
    tagged = {p.code for p in load_atlas().points.values() if "forbidden_in_pregnancy" in p.tags}
    assert {"LI4", "SP6", "BL60", "BL67", "GB21"} <= tagged


def _with(knowledge: Knowledge, **files: object) -> Knowledge:
    """A fresh Knowledge with some files replaced (its cached indexes rebuilt)."""
    parts = {name: getattr(knowledge, name) for name in Knowledge.model_fields}
    return Knowledge(**{**parts, **files})


def test_cross_check_rejects_unknown_point_and_source(knowledge: Knowledge) -> None:
    data = yaml.safe_load((DATA / "concerns.yaml").read_text(encoding="utf-8"))
    data["concerns"][0]["points"][0]["code"] = "ST99"
    data["concerns"][1]["source"] = ["nobody2020"]
    broken = _with(knowledge, concerns=ConcernsFile.model_validate(data))
    with pytest.raises(AtlasError) as info:
        _cross_check(broken)
    assert "'ST99' is not in the atlas" in info.value.message
    # Source ids are checked by the data-file registry, for every file alike.
    loaded = CONCERNS.read_text(yaml.safe_dump(data, allow_unicode=True))
    with pytest.raises(AtlasError) as info:
        CONCERNS.check_sources_of(loaded, {s.id for s in SOURCES.load().sources})
    assert "unknown source id(s) nobody2020" in info.value.message
    assert f"concern {data['concerns'][1]['name']}, field source" in info.value.message


def test_cross_check_rejects_unknown_sign(knowledge: Knowledge) -> None:
    data = yaml.safe_load((DATA / "patterns.yaml").read_text(encoding="utf-8"))
    data["patterns"][0]["signs"][0]["id"] = "no_such_question"
    broken = _with(knowledge, patterns=PatternsFile.model_validate(data))
    with pytest.raises(AtlasError, match="unknown question sign 'no_such_question'"):
        _cross_check(broken)


def test_unknown_fields_and_missing_source_are_rejected() -> None:
    data = yaml.safe_load((DATA / "screening.yaml").read_text(encoding="utf-8"))
    data["rules"][0]["severity"] = "high"
    with pytest.raises(ValidationError, match="Extra inputs are not permitted"):
        ScreeningFile.model_validate(data)
    data = yaml.safe_load((DATA / "screening.yaml").read_text(encoding="utf-8"))
    del data["rules"][0]["source"]
    with pytest.raises(ValidationError, match="source"):
        ScreeningFile.model_validate(data)


def test_effect_must_say_what_it_does() -> None:
    with pytest.raises(ValidationError, match="missing the field"):
        Effect(kind="reduce_budget", why="fewer needles for safety")
    with pytest.raises(ValidationError, match="min_needles is greater"):
        Effect(kind="reduce_budget", why="fewer needles for safety", max_needles=5, min_needles=9)


def test_committed_json_schemas_match_the_models() -> None:
    for name, text in knowledge_json_schemas().items():
        committed = (SCHEMA / name).read_text(encoding="utf-8")
        assert committed == text, f"{name} is stale: regenerate with `acuface atlas schema`"


def test_load_knowledge_is_cached(knowledge: Knowledge) -> None:
    assert load_knowledge() is knowledge
