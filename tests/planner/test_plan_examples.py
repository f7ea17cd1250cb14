"""Worked examples checked by hand (see the comments for the arithmetic)."""

from __future__ import annotations

from datetime import date

import pytest

from acuface.errors import PlanningError, TreatmentBlocked, UnknownConcern, UnknownPointCode
from acuface.planner import Intake, Overrides, PlanOptions, ProcedureAnswer, make_plan


def _codes(plan) -> list[str]:
    return [p.code for p in plan.points]


def test_wrinkles_and_dark_circles_on_anticoagulants() -> None:
    # Round robin over wrinkles (GB14, EX-HN3, LI20, TE23, ST4, EX-HN5, CV24, GV26, BL2)
    # and dark_circles (ST2, BL2, EX-HN4, ST1, EX-HN7, TE23). ST1 and EX-HN7 have no
    # cosmetic technique (their needle enters the orbit). Anticoagulants remove
    # near_eye / bleeding_prone / periorbital points: ST2, BL2, EX-HN4, TE23, EX-HN5 and
    # GV26. Left: GB14 2 + EX-HN3 1 + LI20 2 + ST4 2 + CV24 1 = 8 needles; the budget
    # becomes 10-20 and wrinkles is a cosmetic concern, so the first supportive point that
    # serves a wrinkle zone and is not yet in (ST3, nasolabial, 2) brings it to 10.
    plan = make_plan(
        Intake(concerns=["wrinkles", "dark_circles"], screening={"anticoagulants": True})
    )
    assert _codes(plan) == ["GB14", "EX-HN3", "LI20", "ST4", "CV24", "ST3"]
    assert plan.needle_count == 10
    assert plan.budget == (10, 20)
    by_code = {p.code: p for p in plan.points}
    assert by_code["GB14"].sides == ["left", "right"]
    assert by_code["EX-HN3"].sides == ["midline"]
    assert by_code["GB14"].reasons[0].startswith("concern wrinkles (Wrinkles and fine lines)")
    assert (
        by_code["ST3"]
        .reasons[0]
        .startswith("supportive: fills toward the practice range for Wrinkles and fine lines")
    )
    assert by_code["ST3"].why[0].kind == "support"
    excluded = {e.code: e.why for e in plan.excluded}
    assert set(excluded) == {"ST2", "BL2", "EX-HN4", "ST1", "EX-HN7", "TE23", "EX-HN5", "GV26"}
    assert excluded["ST2"].startswith("screening anticoagulants (zone periorbital)")
    assert "tag bleeding_prone" in excluded["EX-HN5"]
    assert "enters the orbit" in excluded["ST1"]
    coverage = {c.name: c for c in plan.concerns}
    assert coverage["wrinkles"].addressed
    assert not coverage["dark_circles"].addressed
    assert "none of its points could be used" in (coverage["dark_circles"].note or "")
    assert any("Press each point" in c for c in plan.cautions)
    assert any("lowered from 30-50 to 10-20" in c for c in plan.cautions)
    # Gentle technique on blood thinners: every depth capped, pressure after withdrawal.
    for point in plan.points:
        assert point.technique is not None
        assert point.technique.depth_cun[1] <= 0.5 and point.technique.pressure_after


def test_tmj_in_pregnancy_drops_li4_and_is_not_padded() -> None:
    # TMJ: ST7, ST6, SI19, LI4, TE17, GB2, TE21 -> LI4 forbidden in pregnancy; at most one
    # of the mouth-open points SI19, GB2, TE21 (SI19 ranks first). ST7 2 + ST6 2 + SI19 2 +
    # TE17 2 = 8 needles. TMJ is not a cosmetic concern: no filling, the plan says why.
    plan = make_plan(Intake(concerns=["tmj"], screening={"pregnancy": True}))
    codes = _codes(plan)
    assert codes == ["ST7", "ST6", "SI19", "TE17"]
    assert plan.needle_count == 8
    assert [e.code for e in plan.excluded] == ["GB2", "LI4", "TE21"]
    excluded = {e.code: e.why for e in plan.excluded}
    assert "forbidden_in_pregnancy" in excluded["LI4"]
    assert excluded["GB2"].startswith("limit preauricular_mouth_open")
    assert "no strong stimulation" in plan.restrictions
    assert plan.body_codes == []
    assert any(
        c.startswith("Fewer needles than the practice range of 30-50 (8)") for c in plan.cautions
    )


def test_budget_over_the_maximum_drops_the_lowest_rank_deterministically() -> None:
    plan = make_plan(Intake(concerns=["wrinkles", "sagging", "tmj"]), PlanOptions(budget=(10, 20)))
    assert plan.needle_count <= 20
    budget_dropped = [e for e in plan.excluded if e.why.startswith("budget")]
    assert budget_dropped, "three concerns cannot fit in 20 needles"
    # Each concern's first point is kept (round robin), whatever the budget.
    assert {"GB14", "SI18", "ST7"} <= set(_codes(plan))
    assert all(c.addressed for c in plan.concerns)
    assert (
        make_plan(Intake(concerns=["wrinkles", "sagging", "tmj"]), PlanOptions(budget=(10, 20)))
        == plan
    )


def test_patterns_add_distal_points_with_their_reason() -> None:
    intake = Intake(
        concerns=["stress"],
        answers={"irritability": True, "jaw_clenching": True},
        pulse=["wiry"],
    )
    plan = make_plan(intake)
    liver = next(p for p in plan.patterns if p.id == "liver_qi_stagnation")
    assert liver.active and liver.score == pytest.approx(3 / 6.5, abs=1e-3)
    lr3 = next(p for p in plan.points if p.code == "LR3")
    assert any(r.startswith("pattern liver_qi_stagnation") for r in lr3.reasons)
    assert any(r.startswith("concern stress") for r in lr3.reasons)


def test_open_lesion_skips_the_named_zone() -> None:
    plan = make_plan(Intake(concerns=["acne"], screening={"open_lesion": ["chin", "jawline"]}))
    excluded = {e.code: e.why for e in plan.excluded}
    assert "CV24" in excluded and "ST6" in excluded
    assert "zone chin" in excluded["CV24"]
    from acuface.atlas import load_atlas

    atlas = load_atlas()
    for point in plan.points:
        assert not {"chin", "jawline"} & set(atlas.points[point.code].zones)


def test_recent_botox_avoids_zone_only_within_the_interval() -> None:
    recent = make_plan(
        Intake(
            concerns=["wrinkles"],
            screening={"recent_botulinum_toxin": ProcedureAnswer(zones=["forehead"], days_ago=3)},
        )
    )
    assert "GB14" in {e.code for e in recent.excluded}
    why = next(e.why for e in recent.excluded if e.code == "GB14")
    assert "3 days ago" in why and "11 days" in why
    later = make_plan(
        Intake(
            concerns=["wrinkles"],
            screening={"recent_botulinum_toxin": ProcedureAnswer(zones=["forehead"], days_ago=30)},
        )
    )
    assert "GB14" in {p.code for p in later.points}
    assert any("Tell the injecting clinician" in c for c in later.cautions)


def test_blocking_conditions_raise_treatment_blocked() -> None:
    with pytest.raises(TreatmentBlocked, match="fever or acute infection"):
        make_plan(Intake(concerns=["wrinkles"], screening={"active_infection": True}))


def test_explicit_budget_the_screening_cannot_satisfy() -> None:
    with pytest.raises(PlanningError, match="at least 30 needles but screening"):
        make_plan(
            Intake(concerns=["wrinkles"], screening={"anticoagulants": True}),
            PlanOptions(budget=(30, 50)),
        )


def test_overrides_add_remove_and_screening_wins() -> None:
    plan = make_plan(
        Intake(
            concerns=["wrinkles"],
            screening={"pregnancy": True},
            overrides=Overrides(add=["ST36", "LI4"], remove=["GV26"]),
        )
    )
    codes = _codes(plan)
    assert "ST36" in codes and "LI4" not in codes and "GV26" not in codes
    excluded = {e.code: e.why for e in plan.excluded}
    assert excluded["LI4"].startswith("practitioner addition refused by screening")
    # GV26 is also a strong-stimulation point, which pregnancy removes first.
    assert excluded["GV26"].startswith("screening pregnancy (tag strong_stimulation)")
    assert excluded["GV26"].endswith("override: removed by the practitioner")
    st36 = next(p for p in plan.points if p.code == "ST36")
    assert st36.reasons == ["override: added by the practitioner"]


def test_errors_for_unknown_names() -> None:
    with pytest.raises(UnknownConcern, match="did you mean wrinkles"):
        make_plan(Intake(concerns=["wrinkle"]))
    with pytest.raises(UnknownPointCode):
        make_plan(Intake(concerns=["wrinkles"], overrides=Overrides(add=["ST99"])))
    with pytest.raises(PlanningError, match="at least one concern"):
        make_plan(Intake())


def test_course_dates_from_the_start_date() -> None:
    plan = make_plan(Intake(concerns=["rejuvenation"]), PlanOptions(start=date(2026, 12, 1)))
    dates = [s.date for s in plan.course.sessions]
    # 5 sessions over 3 weeks: offsets 0, 5, 9, 14, 18; then 3 x 28 days of maintenance.
    assert [(d - date(2026, 12, 1)).days for d in dates] == [0, 5, 9, 14, 18, 46, 74, 102]
    assert [s.phase for s in plan.course.sessions] == ["initial"] * 5 + ["maintenance"] * 3
    custom = make_plan(
        Intake(concerns=["rejuvenation"]),
        PlanOptions(
            start=date(2026, 1, 5), initial_sessions=6, initial_weeks=4, maintenance_sessions=0
        ),
    )
    assert len(custom.course.sessions) == 6
    assert custom.course.sessions[-1].date == date(2026, 1, 30)


def test_outcomes_state_the_evidence_level() -> None:
    plan = make_plan(Intake(concerns=["sagging", "seasonal_allergies"]))
    levels = {o.concern: o.evidence_level for o in plan.outcomes}
    assert levels == {"sagging": "pilot", "seasonal_allergies": "rct"}
    assert "yun2013" in plan.outcomes[0].source


def test_budget_validation() -> None:
    with pytest.raises(ValueError, match="minimum is greater than the maximum"):
        PlanOptions(budget=(40, 30))


def test_plan_round_trips_through_json_for_snapshots() -> None:
    import json

    from acuface.planner import Plan

    plan = make_plan(
        Intake(concerns=["acne", "stress"], answers={"oily_skin": True, "constipation": True}),
        PlanOptions(start=date(2026, 12, 1)),
    )
    again = Plan.model_validate(json.loads(json.dumps(plan.model_dump(mode="json"))))
    assert again == plan
    assert plan.to_json()["planner_version"] == plan.planner_version
