"""Each planning step on a small fixture: a handful of real atlas records, tiny knowledge."""

from __future__ import annotations

import pytest

from acuface.atlas import Atlas, load_atlas
from acuface.atlas.knowledge import (
    ConcernsFile,
    Knowledge,
    PatternsFile,
    ScreeningFile,
    load_knowledge,
)
from acuface.errors import PlanningError
from acuface.planner import Intake, PlanOptions, PregnancyAnswer, make_plan
from acuface.planner.patterns import score_patterns
from acuface.planner.screening import apply_screening, choose_position
from acuface.planner.steps import (
    Candidate,
    apply_limits,
    apply_screening_filters,
    choose_techniques,
    effective_budget,
    fill_allowed,
    fit_budget,
    gather_candidates,
    plan_technique,
)

CODES = ["GB14", "BL2", "ST1", "ST3", "EX-HN3", "ST7", "SI19", "GB2", "LI4", "GB20", "ST36"]


@pytest.fixture(scope="module")
def atlas() -> Atlas:
    real = load_atlas()
    return Atlas([real.points[c] for c in CODES], dict(real.sources))


def _concern(name: str, codes: list[str], zones: list[str], **extra: object) -> dict:
    return {
        "name": name,
        "label": name.title(),
        "description": f"The {name} concern of the fixture.",
        "zones": zones,
        "points": [{"code": c, "why": f"{c} serves {name} here."} for c in codes],
        "outcome": "Small fixture outcome text, honest and short.",
        "evidence_level": "pilot",
        "source": ["acuface_practice"],
        **extra,
    }


@pytest.fixture(scope="module")
def knowledge() -> Knowledge:
    real = load_knowledge()
    concerns = ConcernsFile.model_validate(
        {
            "evidence_levels": [e.model_dump() for e in real.concerns.evidence_levels],
            "concerns": [
                _concern(
                    "lines",
                    ["GB14", "BL2", "ST1"],
                    ["forehead", "periorbital"],
                    technique="cosmetic",
                    fill=True,
                ),
                _concern("jaw", ["ST7", "SI19", "GB2", "LI4", "GB20"], ["jawline", "ear"]),
            ],
            "supportive": [
                {"code": "ST3", "why": "Cheek point of the fixture.", "source": ["deadman2007"]},
                {"code": "EX-HN3", "why": "Brow point of the fixture.", "source": ["deadman2007"]},
            ],
            "limits": [
                {
                    "id": "mouth_open",
                    "codes": ["SI19", "GB2"],
                    "max_points": 1,
                    "why": "Both are needled with the mouth open.",
                    "source": ["acuface_practice"],
                }
            ],
        }
    )
    rules = [r for r in real.screening.rules if r.id in {"pregnancy", "open_lesion"}]
    screening = ScreeningFile(restrictions=real.screening.restrictions, rules=rules)
    patterns = PatternsFile.model_validate(real.patterns.model_dump())
    return Knowledge(
        concerns=concerns,
        patterns=patterns,
        screening=screening,
        practice=real.practice,
        scales=real.scales,
        adverse_events=real.adverse_events,
    )


def _run_to_candidates(intake: Intake, knowledge: Knowledge, atlas: Atlas) -> list[Candidate]:
    concerns = [(knowledge.concerns_by_name[c.name], c.priority) for c in intake.concerns]
    return gather_candidates(concerns, score_patterns(intake, knowledge), [], knowledge, atlas)


def test_gather_candidates_round_robin_and_merged_reasons(knowledge, atlas) -> None:
    intake = Intake(concerns=["lines", {"name": "jaw", "priority": 2}])
    candidates = _run_to_candidates(intake, knowledge, atlas)
    # Every concern's first point before any second point.
    assert [c.point.code for c in candidates] == [
        "GB14", "ST7", "BL2", "SI19", "ST1", "GB2", "LI4", "GB20",
    ]  # fmt: skip
    assert candidates[0].why[0].kind == "concern" and candidates[0].why[0].id == "lines"


def test_choose_techniques_cosmetic_for_cosmetic_concerns_and_never_the_orbit(
    knowledge, atlas
) -> None:
    intake = Intake(concerns=["lines", "jaw"])
    candidates = _run_to_candidates(intake, knowledge, atlas)
    kept, excluded = choose_techniques(candidates, list(knowledge.concerns.concerns))
    uses = {c.point.code: c.use for c in kept}
    assert uses["BL2"] == "cosmetic" and uses["GB14"] == "cosmetic"
    assert uses["ST7"] == "standard" and uses["LI4"] == "standard"
    assert [e.code for e in excluded] == ["ST1"]
    assert excluded[0].kind == "technique" and "enters the orbit" in excluded[0].why


def test_apply_screening_filters_removes_with_every_rule_named(knowledge, atlas) -> None:
    intake = Intake(concerns=["jaw"], screening={"pregnancy": True})
    candidates = _run_to_candidates(intake, knowledge, atlas)
    screening = apply_screening(intake, knowledge)
    allowed, excluded = apply_screening_filters(candidates, screening, removed={"GB20"})
    assert [c.point.code for c in allowed] == ["ST7", "SI19", "GB2"]
    why = {e.code: e for e in excluded}
    # LI4 is both forbidden in pregnancy and a strong-stimulation point.
    assert "tag forbidden_in_pregnancy" in why["LI4"].why
    assert "tag strong_stimulation" in why["LI4"].why
    assert why["GB20"].kind == "override"


def test_apply_limits_keeps_the_best_ranked_of_a_group(knowledge, atlas) -> None:
    candidates = _run_to_candidates(Intake(concerns=["jaw"]), knowledge, atlas)
    allowed, excluded = apply_limits(candidates, knowledge)
    assert "SI19" in {c.point.code for c in allowed}
    assert [e.code for e in excluded] == ["GB2"]
    assert excluded[0].why.startswith("limit mouth_open: at most 1 of SI19, GB2 (SI19 kept)")


def test_fit_budget_is_a_ceiling_and_refuses_additions_over_it(knowledge, atlas) -> None:
    candidates = _run_to_candidates(Intake(concerns=["jaw"]), knowledge, atlas)
    chosen, excluded = fit_budget(candidates, 5)
    assert sum(c.needles for c in chosen) <= 5
    assert all(e.kind == "budget" for e in excluded)
    added = Candidate(point=atlas.points["ST36"], key=(0, 0, 0, "ST36"))
    with pytest.raises(PlanningError, match="additions need more than the maximum"):
        fit_budget([added], 1)


def test_effective_budget_caps_and_explains() -> None:
    intake = Intake(concerns=["wrinkles"], screening={"needle_phobia_fainting": True})
    screening = apply_screening(intake, load_knowledge())
    budget, notes = effective_budget(PlanOptions(), screening)
    assert budget == (6, 20) and "needle_phobia_fainting" in notes[0]
    with pytest.raises(PlanningError, match="allows at most 20"):
        effective_budget(PlanOptions(budget=(30, 50)), screening)


def test_fill_only_for_cosmetic_concerns_their_zones_and_never_the_fewest(knowledge, atlas) -> None:
    concerns = list(knowledge.concerns.concerns)
    lines, jaw = concerns
    chosen = [Candidate(point=atlas.points["GB14"], key=(1, 0, 0, "GB14"), sources={"lines"})]
    none = apply_screening(Intake(concerns=["lines"]), knowledge)
    # A cosmetic concern: EX-HN3 serves no "lines" zone in this fixture (glabella), ST3 neither.
    filled = fill_allowed(chosen, [lines], none, set(), (10, 20), knowledge, atlas)
    assert filled.added == []
    assert "already used or was left out" in filled.reasons_under[0]
    # Not cosmetic: never filled, and the plan says why.
    filled = fill_allowed(chosen, [jaw], none, set(), (10, 20), knowledge, atlas)
    assert filled.added == [] and "only for cosmetic concerns" in filled.reasons_under[0]


def test_fill_adds_supportive_points_that_serve_the_concern_zones(atlas) -> None:
    real = load_knowledge()
    wrinkles = real.concerns_by_name["wrinkles"]
    full = load_atlas()
    chosen = [Candidate(point=full.points["GB14"], key=(1, 0, 0, "GB14"), sources={"wrinkles"})]
    screening = apply_screening(Intake(concerns=["wrinkles"]), real)
    filled = fill_allowed(chosen, [wrinkles], screening, set(), (8, 20), real, full)
    added = [c.point.code for c in filled.added]
    assert added and all(set(full.points[c].zones) & set(wrinkles.zones) for c in added)
    assert all(c.why[0].kind == "support" and c.use == "cosmetic" for c in filled.added)
    phobic = apply_screening(
        Intake(concerns=["wrinkles"], screening={"needle_phobia_fainting": True}), real
    )
    assert fill_allowed(chosen, [wrinkles], phobic, set(), (8, 20), real, full).added == []


def test_plan_technique_softens_and_withdraws_nape_points(atlas) -> None:
    real = load_knowledge()
    screening = apply_screening(
        Intake(concerns=["wrinkles"], screening={"anticoagulants": True}), real
    )
    st36 = atlas.points["ST36"]
    technique = plan_technique(
        st36, "standard", screening.softenings(st36), False, "lying face up", "why"
    )
    assert technique.depth_cun[1] <= 0.5 and technique.pressure_after
    assert technique.manipulation == "gentle" and technique.retain
    gb20 = atlas.points["GB20"]
    nape = plan_technique(gb20, "standard", [], True, "lying face up", "the pillow presses")
    assert not nape.retain and "withdraw" in nape.note and "the pillow presses" in nape.note


def test_choose_position_most_protective_wins(knowledge) -> None:
    pregnant = apply_screening(
        Intake(concerns=["lines"], screening={"pregnancy": PregnancyAnswer(week=30)}), knowledge
    )
    assert choose_position(pregnant, knowledge) == ("side_lying", ["pregnancy"])
    none = apply_screening(Intake(concerns=["lines"]), knowledge)
    assert choose_position(none, knowledge) == ("supine", [])


def test_make_plan_runs_on_the_fixture(knowledge, atlas) -> None:
    plan = make_plan(
        Intake(concerns=["jaw"], screening={"pregnancy": False}),
        knowledge=knowledge,
        atlas=atlas,
    )
    assert [p.code for p in plan.points] == ["ST7", "SI19", "LI4", "GB20"]
    assert plan.session is not None
    # GB20 first, seated, not retained; then the body; then the face top-down.
    assert plan.session.insertion_order == ["GB20", "LI4", "SI19", "ST7"]
    assert "GB20" not in plan.session.removal_order


def test_critical_rules_for_every_plan_and_for_the_concerns() -> None:
    """The questions that must be answered (screening.yaml): the loaders answer exactly these."""
    from acuface.atlas.knowledge import load_knowledge
    from acuface.planner import critical_rules
    from acuface.planner.screening import unanswered_rules

    knowledge = load_knowledge()
    always = [r.id for r in critical_rules([], knowledge)]
    assert {"pregnancy", "anticoagulants", "bleeding_disorder", "pacemaker"} <= set(always)
    assert "changing_pigmented_lesion" not in always and "rosacea" not in always
    # A red flag is critical for its concerns only, in file order after the others.
    spots = [r.id for r in critical_rules(["dark_spots"], knowledge)]
    assert spots == [*always, "changing_pigmented_lesion"]
    assert "sudden_facial_weakness" in {r.id for r in critical_rules(["tmj"], knowledge)}
    # Unanswered = critical minus the answered ones.
    answered = {rule_id: False for rule_id in always}
    assert [r.id for r in unanswered_rules(answered, ["dark_spots"], knowledge)] == [
        "changing_pigmented_lesion"
    ]
