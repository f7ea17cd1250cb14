"""Planner: intake (concerns, TCM pattern questions, safety screening) -> plan.

>>> from acuface.planner import Intake, make_plan
>>> plan = make_plan(Intake(concerns=["wrinkles"]))
>>> plan.needle_count <= 50
True

Pure and deterministic: it knows the atlas and the knowledge files, never the
clinic. See docs/planner.md for how scoring, selection, budget, screening and
the course work.
"""

from acuface.atlas.knowledge import Concern, load_knowledge
from acuface.planner.intake import (
    ConcernRequest,
    Intake,
    Overrides,
    PregnancyAnswer,
    ProcedureAnswer,
    Questionnaire,
    check_intake,
    load_answers,
    questionnaire,
    resolve_concern,
)
from acuface.planner.models import (
    DISCLAIMER,
    ConcernCoverage,
    Course,
    CourseSession,
    Excluded,
    Outcome,
    PatternResult,
    Plan,
    PlanOptions,
    PlanPoint,
    PlanSession,
    PlanTechnique,
    Why,
    default_budget,
)
from acuface.planner.patterns import PatternScore, score_patterns
from acuface.planner.plan import make_plan
from acuface.planner.screening import ScreeningOutcome, apply_screening, critical_rules
from acuface.planner.version import PLANNER_VERSION, knowledge_digest


def list_concerns() -> list[Concern]:
    """Return every concern in ``atlas/data/concerns.yaml``, in file order."""
    return list(load_knowledge().concerns.concerns)


__all__ = [
    "DISCLAIMER",
    "PLANNER_VERSION",
    "Concern",
    "ConcernCoverage",
    "ConcernRequest",
    "Course",
    "CourseSession",
    "Excluded",
    "Intake",
    "Outcome",
    "Overrides",
    "PatternResult",
    "PatternScore",
    "Plan",
    "PlanOptions",
    "PlanPoint",
    "PlanSession",
    "PlanTechnique",
    "PregnancyAnswer",
    "ProcedureAnswer",
    "Questionnaire",
    "Why",
    "ScreeningOutcome",
    "apply_screening",
    "default_budget",
    "check_intake",
    "critical_rules",
    "knowledge_digest",
    "list_concerns",
    "load_answers",
    "make_plan",
    "questionnaire",
    "resolve_concern",
    "score_patterns",
]
