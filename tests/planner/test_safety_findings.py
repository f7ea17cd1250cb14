"""Worked examples for each finding of the clinical-safety review (issue 9).

Each test is one plan a careful practitioner rejected, written as it should be.
They were written before the fix and failed on the planner of that time.
"""

from __future__ import annotations

from acuface.atlas import load_atlas
from acuface.planner import Intake, PlanOptions, PregnancyAnswer, make_plan

ATLAS = load_atlas()

#: The critical questions the issue names (pregnancy possible, blood thinners, bleeding
#: disorder, pacemaker, epilepsy, active infection).
CRITICAL = {
    "pregnancy",
    "anticoagulants",
    "bleeding_disorder",
    "pacemaker",
    "epilepsy",
    "active_infection",
}
#: Red flags that must be answered for some concerns.
RED_FLAGS = {
    "changing_pigmented_lesion",
    "jaw_pain_new_headache_over_50",
    "one_sided_nasal_symptoms",
    "sudden_facial_weakness",
}
#: Every critical question and red flag answered "no".
ANSWERED = dict.fromkeys(CRITICAL | RED_FLAGS, False)


def _intake(*concerns: str, **screening: object) -> Intake:
    return Intake(concerns=list(concerns), screening={**ANSWERED, **screening})


def _codes(plan) -> list[str]:
    return [p.code for p in plan.points]


def _excluded(plan) -> dict[str, str]:
    return {e.code: e.why for e in plan.excluded}


# 1. Needles into the orbit for a cosmetic complaint --------------------------------


def test_dark_circles_and_eye_bags_never_needle_into_the_orbit() -> None:
    for concern in ("dark_circles", "eye_bags"):
        plan = make_plan(_intake(concern))
        codes = _codes(plan)
        # ST1 and EX-HN7 lie between the eyeball and the orbital rim: left out.
        assert "ST1" not in codes and "EX-HN7" not in codes, concern
        assert "orbit" in _excluded(plan)["ST1"]
        for point in plan.points:
            technique = point.technique
            assert not technique.enters_orbit, (concern, point.code)
            if "near_eye" in ATLAS.points[point.code].tags:
                # On the rim: the cosmetic technique, outside the orbit.
                assert technique.name == "cosmetic", point.code
                assert technique.depth_cun[1] <= 0.2, point.code
                assert technique.angle in ("transverse", "intradermal"), point.code
                assert technique.manipulation == "none", point.code
                assert technique.pressure_after, point.code


def test_plan_json_carries_the_technique_and_structured_why() -> None:
    plan = make_plan(_intake("dark_circles"))
    st2 = next(p for p in plan.to_json()["points"] if p["code"] == "ST2")
    assert set(st2["technique"]) >= {"name", "depth_cun", "angle", "needle", "retain", "note"}
    assert st2["technique"]["name"] == "cosmetic"
    assert st2["technique"]["depth_cun"][1] <= 0.2
    assert st2["why"][0]["kind"] == "concern"
    assert st2["why"][0]["id"] == "dark_circles"
    assert st2["why"][0]["text"]
    assert st2["reasons"]  # the text form stays


# 2. The 30-needle minimum works as a quota ------------------------------------------


def test_eczema_with_facial_lesions_gets_no_facial_padding() -> None:
    plan = make_plan(_intake("eczema", open_lesion=["cheek", "neck"]))
    assert plan.facial_codes == []  # affected facial skin is never needled
    assert all(r.kind != "support" for p in plan.points for r in p.why)
    assert plan.needle_count < 30
    assert any(c.startswith("Fewer needles than the practice range") for c in plan.cautions)


def test_non_cosmetic_concerns_are_never_padded() -> None:
    for concern in ("acne", "tmj", "seasonal_allergies", "eczema", "rashes", "stress"):
        plan = make_plan(_intake(concern))
        support = [p.code for p in plan.points for r in p.why if r.kind == "support"]
        assert support == [], (concern, support)


def test_needle_phobic_client_gets_the_fewest_needles_not_the_cap() -> None:
    # Dull complexion with the cheeks inflamed leaves GB14 (2) and EX-HN3 (1): three
    # needles that do the job. A needle-phobic client is not filled up toward any cap.
    phobic = make_plan(
        _intake("dull_complexion", needle_phobia_fainting=True, open_lesion=["cheek"])
    )
    assert all(r.kind != "support" for p in phobic.points for r in p.why)
    assert _codes(phobic) == ["GB14", "EX-HN3"]
    assert phobic.needle_count == 3
    assert any("needle phobia" in c.lower() for c in phobic.cautions if c.startswith("Fewer"))


def test_filling_serves_the_clients_own_zones() -> None:
    plan = make_plan(_intake("wrinkles"))
    wrinkle_zones = {"forehead", "glabella", "crows_feet", "nasolabial", "perioral"}
    for point in plan.points:
        if any(r.kind == "support" for r in point.why):
            assert set(ATLAS.points[point.code].zones) & wrinkle_zones, point.code
            assert ATLAS.points[point.code].is_facial, point.code


# 3. GB20 retained in a face-up session ------------------------------------------------


def test_nape_points_are_not_retained_face_up() -> None:
    plan = make_plan(_intake("rashes"))
    gb20 = next(p for p in plan.points if p.code == "GB20")
    assert plan.session.position == "supine"
    assert gb20.technique.retain is False
    assert "withdraw" in gb20.technique.note
    # Done first, seated, before the client lies down.
    assert plan.session.insertion_order[0] == "GB20"


# 4. Pregnancy -----------------------------------------------------------------------------


def test_pregnancy_removes_strong_stimulation_points() -> None:
    stress = make_plan(_intake("stress", pregnancy=True))
    assert "LR3" not in _codes(stress)
    assert "strong_stimulation" in _excluded(stress)["LR3"]
    wrinkles = make_plan(_intake("wrinkles", pregnancy=True))
    assert "GV26" not in _codes(wrinkles)


def test_pregnancy_after_20_weeks_lies_on_the_side_with_a_caution() -> None:
    plan = make_plan(_intake("wrinkles", pregnancy=PregnancyAnswer(week=24)))
    assert plan.session.position == "side_lying"
    assert any("20 weeks" in c and "back" in c for c in plan.cautions)
    early = make_plan(_intake("wrinkles", pregnancy=PregnancyAnswer(week=12)))
    assert early.session.position == "supine"


# 5. An unanswered screening question counts as "no" --------------------------------------


def test_unanswered_critical_questions_are_listed_and_warned() -> None:
    plan = make_plan(Intake(concerns=["tmj"]))
    # The six critical questions, and the red flags that matter for jaw pain.
    assert set(plan.screening_unanswered) == CRITICAL | {
        "jaw_pain_new_headache_over_50",
        "sudden_facial_weakness",
    }
    assert plan.to_json()["screening_unanswered"] == plan.screening_unanswered
    assert plan.cautions[0].startswith("Not final:")
    li4 = next(p for p in plan.points if p.code == "LI4")
    assert any("pregnancy" in c and "unanswered" in c for c in li4.cautions)
    answered = make_plan(_intake("tmj"))
    assert answered.screening_unanswered == []
    assert not any(c.startswith("Not final:") for c in answered.cautions)


# 7. TMJ: six needles in 2 cm in front of the ear ------------------------------------------


def test_tmj_takes_at_most_one_mouth_open_preauricular_point_with_st7() -> None:
    plan = make_plan(_intake("tmj"), PlanOptions(budget=(0, 50)))
    codes = _codes(plan)
    assert "ST7" in codes
    mouth_open = [c for c in ("SI19", "GB2", "TE21") if c in codes]
    assert len(mouth_open) == 1, mouth_open
    excluded = _excluded(plan)
    for code in {"SI19", "GB2", "TE21"} - set(mouth_open):
        assert "mouth open" in excluded[code], code
    st7 = next(p for p in plan.points if p.code == "ST7")
    assert st7.technique.mouth == "closed"
