"""Property tests over random concern sets, answers and screening."""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from acuface.atlas import ALL_ZONES, load_atlas
from acuface.atlas.knowledge import load_knowledge
from acuface.errors import PlanningError, TreatmentBlocked
from acuface.planner import (
    Intake,
    Overrides,
    Plan,
    PlanOptions,
    PregnancyAnswer,
    ProcedureAnswer,
    make_plan,
)

KNOWLEDGE = load_knowledge()
ATLAS = load_atlas()
CONCERNS = [c.name for c in KNOWLEDGE.concerns.concerns]
QUESTIONS = sorted(KNOWLEDGE.question_ids)
CODES = sorted(ATLAS.points)
BLOCKING = {
    r.id for r in KNOWLEDGE.screening.rules if any(e.kind in ("block", "refer") for e in r.effects)
}
COSMETIC = {c.name for c in KNOWLEDGE.concerns.concerns if c.technique == "cosmetic"}
FILLING = {c.name for c in KNOWLEDGE.concerns.concerns if c.fill}
#: Zone answers that take their zones out of the plan (open lesions, permanent filler ...).
LESION_RULES = {
    r.id
    for r in KNOWLEDGE.screening.rules
    if r.answer == "zones" and any(e.kind == "remove_zones" and e.from_answer for e in r.effects)
}


def _answer(rule_kind: str) -> st.SearchStrategy[Any]:
    zones = st.lists(st.sampled_from(ALL_ZONES), max_size=3, unique=True)
    if rule_kind == "yes_no":
        return st.booleans()
    if rule_kind == "zones":
        return zones
    if rule_kind == "pregnancy":
        return st.booleans() | st.builds(PregnancyAnswer, week=st.none() | st.integers(1, 42))
    return st.builds(
        ProcedureAnswer,
        zones=st.lists(st.sampled_from(ALL_ZONES), min_size=1, max_size=3, unique=True),
        days_ago=st.none() | st.integers(0, 60),
    )


screening_strategy = st.fixed_dictionaries(
    {},
    optional={rule.id: _answer(rule.answer) for rule in KNOWLEDGE.screening.rules},
)

intake_strategy = st.builds(
    Intake,
    concerns=st.lists(
        st.fixed_dictionaries({"name": st.sampled_from(CONCERNS), "priority": st.integers(1, 3)}),
        min_size=1,
        max_size=5,
    ),
    answers=st.dictionaries(st.sampled_from(QUESTIONS), st.booleans(), max_size=12),
    screening=screening_strategy,
    tongue=st.lists(st.sampled_from(sorted(KNOWLEDGE.tongue_ids)), max_size=3, unique=True),
    pulse=st.lists(st.sampled_from(sorted(KNOWLEDGE.pulse_ids)), max_size=2, unique=True),
    overrides=st.builds(
        Overrides,
        add=st.lists(st.sampled_from(CODES), max_size=3, unique=True),
        remove=st.lists(st.sampled_from(CODES), max_size=3, unique=True),
    ),
)


@st.composite
def options_strategy(draw: st.DrawFn) -> PlanOptions:
    if draw(st.booleans()):
        return PlanOptions()
    high = draw(st.integers(1, 60))
    low = draw(st.integers(0, high))
    return PlanOptions(budget=(low, high))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(intake=intake_strategy, options=options_strategy())
def test_plan_invariants(intake: Intake, options: PlanOptions) -> None:
    positive_blocks = {r for r in BLOCKING if intake.screening.get(r) is True}
    try:
        plan = make_plan(intake, options)
    except TreatmentBlocked:
        assert positive_blocks
        return
    except PlanningError:
        # Only an explicit budget may be impossible; the default always adapts.
        assert options.budget_is_explicit
        return
    assert not positive_blocks

    # Budget never exceeded, and the needle count is honest.
    assert plan.needle_count <= plan.budget[1] <= options.budget[1]
    assert plan.needle_count == sum(2 if ATLAS.points[p.code].bilateral else 1 for p in plan.points)
    assert all(p.needles == len(p.sides) for p in plan.points)

    # Every chosen point exists; no duplicates; every point has a reason.
    codes = [p.code for p in plan.points]
    assert len(set(codes)) == len(codes)
    for point in plan.points:
        assert point.code in ATLAS.points
        assert point.reasons
        expected_region = "face" if ATLAS.points[point.code].is_facial else "body"
        assert point.region == expected_region
    assert not set(codes) & {e.code for e in plan.excluded}

    # Practitioner removals always hold.
    assert not set(codes) & set(intake.overrides.remove)

    # Pregnancy never yields a forbidden, strong-stimulation or abdominal point.
    pregnancy = intake.screening.get("pregnancy")
    if pregnancy is True or isinstance(pregnancy, PregnancyAnswer):
        for code in codes:
            assert "forbidden_in_pregnancy" not in ATLAS.points[code].tags
            assert "strong_stimulation" not in ATLAS.points[code].tags
            assert "abdomen" not in ATLAS.points[code].zones

    # Bleeding risk: no near-eye, bleeding-prone or periorbital point.
    if intake.screening.get("anticoagulants") is True:
        for code in codes:
            point = ATLAS.points[code]
            assert not {"near_eye", "bleeding_prone"} & set(point.tags)
            assert "periorbital" not in point.zones

    # Zones named for open lesions (and permanent filler, lymphoedema) are skipped.
    for rule_id in LESION_RULES:
        lesion = intake.screening.get(rule_id)
        if isinstance(lesion, list):
            for code in codes:
                assert not set(lesion) & set(ATLAS.points[code].zones), (rule_id, code)

    # Every concern is addressed or explained.
    named = {KNOWLEDGE.concerns_by_name[c.name].name for c in intake.concerns}
    assert {c.name for c in plan.concerns} == named
    for coverage in plan.concerns:
        assert coverage.addressed or coverage.note

    # Deterministic.
    assert make_plan(intake, options).to_json() == plan.to_json()

    _safety_invariants(intake, plan)


def _safety_invariants(intake: Intake, plan: Plan) -> None:
    """The properties of issue 9: unsafe plans are impossible by construction."""
    named = {KNOWLEDGE.concerns_by_name[c.name.lower()].name for c in intake.concerns}
    by_code = {p.code: p for p in plan.points}

    # No orbit-entering technique for a cosmetic concern; at the rim, the cosmetic one.
    for point in plan.points:
        assert point.technique is not None
        wanted_by = {w.id for w in point.why}
        if wanted_by & COSMETIC or any(w.kind == "support" for w in point.why):
            assert not point.technique.enters_orbit, point.code
            if "near_eye" in ATLAS.points[point.code].tags:
                assert point.technique.depth_cun[1] <= 0.2, point.code
                assert point.technique.angle in ("transverse", "intradermal"), point.code

    # No padding for a non-cosmetic concern; filling only serves the client's own zones.
    support = [p for p in plan.points if any(w.kind == "support" for w in p.why)]
    if not named & FILLING:
        assert support == [], [p.code for p in support]
    fill_zones = {z for n in named & FILLING for z in KNOWLEDGE.concerns_by_name[n].zones}
    for point in support:
        assert ATLAS.points[point.code].is_facial
        assert set(ATLAS.points[point.code].zones) & fill_zones, point.code
    fewest = intake.screening.get("needle_phobia_fainting") is True or (
        intake.screening.get("first_acupuncture") is True
    )
    if fewest:
        assert support == []

    # Nape points are never retained face up (nor lying on the side).
    assert plan.session is not None
    if plan.session.position in ("supine", "side_lying"):
        for code, point in by_code.items():
            if "nape" in ATLAS.points[code].tags:
                assert point.technique is not None and not point.technique.retain, code

    # After about 20 weeks (or an unknown week), never flat on the back.
    pregnancy = intake.screening.get("pregnancy")
    if pregnancy is True or (
        isinstance(pregnancy, PregnancyAnswer) and (pregnancy.week is None or pregnancy.week >= 20)
    ):
        assert plan.session.position == "side_lying"

    # Every unanswered critical question is listed, and only those.
    answered = set(intake.screening) | ({"under_18"} if intake.age is not None else set())
    expected = {
        r.id
        for r in KNOWLEDGE.screening.rules
        if (r.critical or named & set(r.critical_for)) and r.id not in answered
    }
    assert set(plan.screening_unanswered) == expected
    assert plan.cautions[0].startswith("Not final:") == bool(expected)

    # The session inserts and takes out every needle.
    assert sorted(plan.session.insertion_order) == sorted(by_code)
    assert plan.session.needles_in == plan.needle_count
    retained = [c for c in plan.session.insertion_order if by_code[c].technique.retain]  # type: ignore[union-attr]
    assert plan.session.removal_order == list(reversed(retained))
