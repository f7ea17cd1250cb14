"""Make a treatment plan: the named steps of :mod:`acuface.planner.steps`, in order.

:func:`make_plan` is pure and deterministic: the same intake and options give
the same plan (every list is built in a fixed order; no set order leaks). See
docs/planner.md for what each step does and why.
"""

from __future__ import annotations

from acuface.atlas import Atlas, load_atlas
from acuface.atlas.knowledge import Concern, Knowledge, load_knowledge
from acuface.errors import PlanningError, ReferralNeeded, TreatmentBlocked
from acuface.planner.intake import Intake, check_intake, resolve_concern
from acuface.planner.models import Plan, PlanOptions
from acuface.planner.patterns import score_patterns
from acuface.planner.screening import apply_screening
from acuface.planner.steps import (
    Versions,
    apply_limits,
    apply_screening_filters,
    assemble,
    choose_techniques,
    effective_budget,
    fill_allowed,
    fit_budget,
    gather_candidates,
)
from acuface.planner.version import PLANNER_VERSION, knowledge_digest

__all__ = ["make_plan", "resolve_concerns"]


def resolve_concerns(intake: Intake, knowledge: Knowledge) -> list[tuple[Concern, int]]:
    """Concerns with their priority, most important first (input order breaks ties)."""
    best: dict[str, tuple[Concern, int, int]] = {}
    for order, request in enumerate(intake.concerns):
        concern = resolve_concern(request.name, knowledge)
        # Named twice: keep the better priority and the first mention's order.
        if concern.name not in best:
            best[concern.name] = (concern, request.priority, order)
        elif request.priority < best[concern.name][1]:
            best[concern.name] = (concern, request.priority, best[concern.name][2])
    ranked = sorted(best.values(), key=lambda item: (item[1], item[2]))
    return [(concern, priority) for concern, priority, _ in ranked]


def make_plan(
    intake: Intake,
    options: PlanOptions | None = None,
    *,
    knowledge: Knowledge | None = None,
    atlas: Atlas | None = None,
) -> Plan:
    """Turn an intake into an explainable treatment plan.

    Parameters
    ----------
    intake : Intake
        Concerns (at least one), answers, screening, findings, overrides.
    options : PlanOptions, optional
        Budget and course; the practice defaults when omitted.
    knowledge, atlas : optional, keyword-only
        The planner's data; the packaged files when omitted (tests pass fixtures).

    Returns
    -------
    Plan

    Raises
    ------
    UnknownConcern
        A concern name is not known (the message lists the closest names).
    UnknownPointCode
        An override names a point the atlas does not hold.
    InvalidAnswers
        An answer, screening id or finding is unknown or of the wrong kind.
    ReferralNeeded
        A red flag: refer to a physician, do not needle (a ``TreatmentBlocked``).
    TreatmentBlocked
        A screening answer blocks treatment today.
    PlanningError
        No concern given, an explicit budget minimum above a screening cap, or
        practitioner additions over the maximum.
    """
    options = options or PlanOptions()
    knowledge = knowledge or load_knowledge()
    atlas = atlas or load_atlas()
    check_intake(intake, knowledge)
    if not intake.concerns:
        raise PlanningError("name at least one concern (`acuface concerns` lists them)")
    concerns = resolve_concerns(intake, knowledge)
    concern_list = [concern for concern, _ in concerns]
    added = [atlas.lookup(code) for code in intake.overrides.add]
    removed = {atlas.lookup(code).code for code in intake.overrides.remove}

    screening = apply_screening(intake, knowledge, concern_names=[c.name for c in concern_list])
    if screening.referrals:
        raise ReferralNeeded("refer before any needling: " + " ".join(screening.referrals))
    if screening.blocks:
        raise TreatmentBlocked("treatment blocked by screening: " + " ".join(screening.blocks))
    budget, budget_notes = effective_budget(options, screening)
    patterns = score_patterns(intake, knowledge)

    candidates = gather_candidates(concerns, patterns, added, knowledge, atlas)
    candidates, excluded = choose_techniques(candidates, concern_list)
    candidates, out = apply_screening_filters(candidates, screening, removed)
    excluded += out
    candidates, out = apply_limits(candidates, knowledge)
    excluded += out
    chosen, out = fit_budget(candidates, budget[1])
    excluded += out
    filled = fill_allowed(chosen, concern_list, screening, removed, budget, knowledge, atlas)
    return assemble(
        concerns=concerns,
        chosen=chosen + filled.added,
        excluded=excluded,
        screening=screening,
        budget=budget,
        asked_budget=options.budget,
        budget_notes=budget_notes,
        under_reasons=filled.reasons_under,
        patterns=patterns,
        options=options,
        versions=Versions(PLANNER_VERSION, knowledge_digest()),
        knowledge=knowledge,
        atlas=atlas,
    )
