"""Property tests over random concern sets, answers and screening."""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from acuface.atlas import ALL_ZONES, load_atlas
from acuface.atlas.knowledge import load_knowledge
from acuface.errors import PlanningError, TreatmentBlocked
from acuface.planner import Intake, Overrides, PlanOptions, ProcedureAnswer, make_plan

KNOWLEDGE = load_knowledge()
ATLAS = load_atlas()
CONCERNS = [c.name for c in KNOWLEDGE.concerns.concerns]
QUESTIONS = sorted(KNOWLEDGE.question_ids)
CODES = sorted(ATLAS.points)
BLOCKING = {r.id for r in KNOWLEDGE.screening.rules if any(e.kind == "block" for e in r.effects)}


def _answer(rule_kind: str) -> st.SearchStrategy[Any]:
    zones = st.lists(st.sampled_from(ALL_ZONES), max_size=3, unique=True)
    if rule_kind == "yes_no":
        return st.booleans()
    if rule_kind == "zones":
        return zones
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

    # Pregnancy never yields a forbidden point or an abdominal point.
    if intake.screening.get("pregnancy") is True:
        for code in codes:
            assert "forbidden_in_pregnancy" not in ATLAS.points[code].tags
            assert "abdomen" not in ATLAS.points[code].zones

    # Bleeding risk: no near-eye, bleeding-prone or periorbital point.
    if intake.screening.get("anticoagulants") is True:
        for code in codes:
            point = ATLAS.points[code]
            assert not {"near_eye", "bleeding_prone"} & set(point.tags)
            assert "periorbital" not in point.zones

    # Zones named for open lesions are skipped.
    lesion = intake.screening.get("open_lesion")
    if isinstance(lesion, list):
        for code in codes:
            assert not set(lesion) & set(ATLAS.points[code].zones)

    # Every concern is addressed or explained.
    named = {KNOWLEDGE.concerns_by_name[c.name].name for c in intake.concerns}
    assert {c.name for c in plan.concerns} == named
    for coverage in plan.concerns:
        assert coverage.addressed or coverage.note

    # Deterministic.
    assert make_plan(intake, options).to_json() == plan.to_json()
