"""Make a treatment plan: point selection, needle budget, screening, course.

:func:`make_plan` is pure and deterministic: the same intake and options give
the same plan (every list is built in a fixed order; no set order leaks).

Selection, in order (see docs/planner.md):

1. Candidates: each concern's points (rank = position in the concern's list),
   the first points of the active patterns, and the practitioner's additions.
2. Screening and the practitioner's removals take points out; each removal
   is listed in ``excluded`` with why. Screening always wins over additions.
3. Ranking: additions first, then round robin by rank (every concern's first
   point before any concern's second), ties by concern priority (patterns
   after concerns), then by code. Points are taken in that order while they
   fit in the maximum; the rest are listed as excluded for the budget.
4. Under the minimum: supportive points from ``concerns.yaml`` are added in
   list order until the minimum is reached.
5. Every concern is either addressed by a chosen point or explained.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from acuface.atlas import Point, load_atlas
from acuface.atlas.knowledge import Concern, Knowledge, load_knowledge
from acuface.errors import PlanningError, TreatmentBlocked
from acuface.planner.intake import Intake, check_intake, resolve_concern
from acuface.planner.patterns import PatternScore, score_patterns
from acuface.planner.screening import ScreeningOutcome, apply_screening
from acuface.planner.version import PLANNER_VERSION, knowledge_digest
from acuface.vocab import Side


def default_budget() -> tuple[int, int]:
    """Return the practice's default needle budget (minimum, maximum) from ``practice.yaml``."""
    budget = load_knowledge().practice.budget
    return budget.min_needles, budget.max_needles


def _course_default(name: str) -> Any:
    return getattr(load_knowledge().practice.course, name)


DISCLAIMER = (
    "Decision support for a licensed practitioner, not a diagnosis or a prescription. "
    "Check every point, screening answer and caution against the client in front of you."
)


class PlanOptions(BaseModel):
    """How to plan: needle budget and course schedule.

    A budget set explicitly is a hard requirement: if screening caps the
    needles below its minimum, planning fails with ``PlanningError``. The
    default budget adapts to screening caps instead (and says so in cautions).
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    budget: tuple[int, int] = Field(
        default_factory=default_budget,
        description="(minimum, maximum) needles, bilateral points count 2.",
    )
    start: date | None = Field(default=None, description="Date of the first session.")
    initial_sessions: int = Field(
        default_factory=lambda: _course_default("initial_sessions"), ge=1, le=30
    )
    initial_weeks: float = Field(
        default_factory=lambda: _course_default("initial_weeks"), gt=0, le=26
    )
    maintenance_sessions: int = Field(
        default_factory=lambda: _course_default("maintenance_sessions"), ge=0, le=24
    )
    maintenance_interval_days: int = Field(
        default_factory=lambda: _course_default("maintenance_interval_days"), ge=1, le=180
    )

    @model_validator(mode="after")
    def _budget_order(self) -> PlanOptions:
        low, high = self.budget
        if low < 0 or high < 1:
            raise ValueError(f"budget {low}-{high}: needle counts must be positive")
        if low > high:
            raise ValueError(f"budget {low}-{high}: the minimum is greater than the maximum")
        return self

    @property
    def budget_is_explicit(self) -> bool:
        """Whether the budget was given rather than left at the practice default."""
        return "budget" in self.model_fields_set


class Reason(BaseModel):
    """Why a point was chosen, structured (``reasons`` holds the same as text)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: Literal["concern", "pattern", "supportive", "override"]
    ref: str = Field(description="Concern name, pattern id, or 'supportive'/'override'.")
    label: str = Field(description="Concern label or pattern name.")
    why: str


class PlanPoint(BaseModel):
    """One chosen point with its sides, region and reasons."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    code: str
    sides: list[Side]
    region: Literal["face", "body"]
    reasons: list[str]
    details: list[Reason] = Field(default_factory=list)
    needles: int
    cautions: list[str] = Field(default_factory=list, description="From the atlas record.")


class Excluded(BaseModel):
    """A point considered but left out, and why."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    code: str
    why: str


class PatternResult(BaseModel):
    """A scored pattern as shown in the plan."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str
    name: str
    score: float
    active: bool
    evidence: list[str]


class CourseSession(BaseModel):
    """One planned session."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    n: int
    date: date | None
    phase: Literal["initial", "maintenance"]


class Course(BaseModel):
    """The course of sessions."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    sessions: list[CourseSession]
    summary: str
    source: list[str]


class Outcome(BaseModel):
    """What may be expected for one concern, with the strength of evidence."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    concern: str
    label: str
    text: str
    evidence_level: str
    evidence: str
    source: list[str]


class ConcernCoverage(BaseModel):
    """Whether a concern is addressed by the plan, and if not, why."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str
    label: str
    priority: int
    addressed: bool
    points: list[str]
    note: str | None = None


class Plan(BaseModel):
    """A treatment plan; :meth:`to_json` is the ``acuface plan --json`` shape."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    planner_version: str
    knowledge_digest: str
    screening_positive: list[str] = Field(
        default_factory=list, description="Screening rules that applied (ids)."
    )
    concerns: list[ConcernCoverage]
    points: list[PlanPoint]
    needle_count: int
    budget: tuple[int, int]
    excluded: list[Excluded]
    cautions: list[str]
    restrictions: list[str]
    position: str | None
    consents: list[str]
    patterns: list[PatternResult]
    course: Course
    outcomes: list[Outcome]
    disclaimer: str = DISCLAIMER

    @property
    def facial_codes(self) -> list[str]:
        """Codes of the chosen face/head/neck points (for the locator overlay)."""
        return [point.code for point in self.points if point.region == "face"]

    @property
    def body_codes(self) -> list[str]:
        """Codes of the chosen body points."""
        return [point.code for point in self.points if point.region == "body"]

    def to_json(self) -> dict[str, Any]:
        """Return the ``acuface plan --json`` document.

        The contract keys (``points`` with ``code``/``sides``/``region``/``reasons``,
        ``needle_count``, ``excluded``, ``cautions``, ``patterns`` with
        ``name``/``score``, ``course.sessions`` with ``n``/``date``) come first;
        extra keys add detail without changing them.
        """
        return {
            "points": [
                {
                    "code": p.code,
                    "sides": list(p.sides),
                    "region": p.region,
                    "reasons": list(p.reasons),
                    "needles": p.needles,
                    "cautions": list(p.cautions),
                }
                for p in self.points
            ],
            "needle_count": self.needle_count,
            "excluded": [{"code": e.code, "why": e.why} for e in self.excluded],
            "cautions": list(self.cautions),
            "patterns": [
                {
                    "name": p.name,
                    "score": p.score,
                    "id": p.id,
                    "active": p.active,
                    "evidence": list(p.evidence),
                }
                for p in self.patterns
            ],
            "course": {
                "sessions": [
                    {
                        "n": s.n,
                        "date": s.date.isoformat() if s.date else None,
                        "phase": s.phase,
                    }
                    for s in self.course.sessions
                ],
                "summary": self.course.summary,
            },
            "budget": {"min": self.budget[0], "max": self.budget[1]},
            "concerns": [c.model_dump(mode="json") for c in self.concerns],
            "restrictions": list(self.restrictions),
            "position": self.position,
            "consents": list(self.consents),
            "outcomes": [o.model_dump(mode="json") for o in self.outcomes],
            "planner_version": self.planner_version,
            "knowledge_digest": self.knowledge_digest,
            "disclaimer": self.disclaimer,
        }


# --- selection ----------------------------------------------------------------

#: Ranking tier: practitioner additions before everything else.
_TIER_OVERRIDE = 0
_TIER_NORMAL = 1


@dataclass
class _Candidate:
    point: Point
    key: tuple[int, int, int, str]
    reasons: list[str] = field(default_factory=list)
    details: list[Reason] = field(default_factory=list)
    sources: set[str] = field(default_factory=set)  # concern names / pattern ids

    @property
    def needles(self) -> int:
        return 2 if self.point.bilateral else 1

    def add(self, key: tuple[int, int, int, str], reason: Reason) -> None:
        self.key = min(self.key, key)
        text = {
            "concern": f"concern {reason.ref} ({reason.label}): {reason.why}",
            "pattern": f"pattern {reason.ref} ({reason.label}): {reason.why}",
            "supportive": f"supportive: {reason.why}",
            "override": f"override: {reason.why}",
        }[reason.kind]
        if text not in self.reasons:
            self.reasons.append(text)
            self.details.append(reason)
        self.sources.add(reason.ref)


def _resolve_concerns(intake: Intake, knowledge: Knowledge) -> list[tuple[Concern, int]]:
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


def _budget(options: PlanOptions, screening: ScreeningOutcome) -> tuple[tuple[int, int], list[str]]:
    """Return the effective (min, max) needles and cautions explaining any change."""
    low, high = options.budget
    notes: list[str] = []
    if not screening.caps:
        return (low, high), notes
    cap = min(screening.caps, key=lambda c: (c.max_needles, c.rule_id))
    cap_max = cap.max_needles
    cap_min = min(c.min_needles for c in screening.caps)
    rules = ", ".join(c.rule_id for c in screening.caps)
    if options.budget_is_explicit:
        if low > cap_max:
            raise PlanningError(
                f"the budget asks for at least {low} needles but screening ({cap.rule_id}) "
                f"allows at most {cap_max}: {cap.why} Lower the budget, e.g. "
                f"--budget {min(low, cap.min_needles) or 1}-{cap_max}."
            )
        new = (low, min(high, cap_max))
    else:
        new = (min(low, cap_min), min(high, cap_max))
    if new != (low, high):
        notes.append(
            f"Needle budget lowered from {low}-{high} to {new[0]}-{new[1]} by screening "
            f"({rules}): {cap.why}"
        )
    return new, notes


def _schedule(options: PlanOptions, knowledge: Knowledge) -> Course:
    """Spread the initial sessions evenly over the initial weeks, then maintenance."""
    n = options.initial_sessions
    # The last initial session falls in the last week (span = weeks*7 - 3 days).
    span = max(0.0, options.initial_weeks * 7 - 3)
    offsets = [int(i * span / (n - 1) + 0.5) if n > 1 else 0 for i in range(n)]
    last = offsets[-1]
    offsets += [
        last + k * options.maintenance_interval_days
        for k in range(1, options.maintenance_sessions + 1)
    ]
    sessions = [
        CourseSession(
            n=i + 1,
            date=options.start + timedelta(days=offset) if options.start else None,
            phase="initial" if i < n else "maintenance",
        )
        for i, offset in enumerate(offsets)
    ]
    weeks = f"{options.initial_weeks:g}"
    course = knowledge.practice.course
    summary = (
        f"An initial course of {n} session{'s' if n != 1 else ''} over about {weeks} "
        f"week{'s' if weeks != '1' else ''} ({course.why})"
    )
    if options.maintenance_sessions:
        summary += (
            f", then {options.maintenance_sessions} maintenance session"
            f"{'s' if options.maintenance_sessions != 1 else ''} every "
            f"{options.maintenance_interval_days} days"
        )
    summary += "."
    return Course(sessions=sessions, summary=summary, source=list(course.source))


def make_plan(intake: Intake, options: PlanOptions | None = None) -> Plan:
    """Turn an intake into an explainable treatment plan.

    Parameters
    ----------
    intake : Intake
        Concerns (at least one), answers, screening, findings, overrides.
    options : PlanOptions, optional
        Budget and course; the practice defaults when omitted.

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
    TreatmentBlocked
        A screening answer blocks treatment today.
    PlanningError
        No concern given, or the budget cannot be met (e.g. an explicit minimum
        above the screening cap, or practitioner additions over the maximum).
    """
    options = options or PlanOptions()
    knowledge = load_knowledge()
    atlas = load_atlas()
    check_intake(intake, knowledge)
    if not intake.concerns:
        raise PlanningError("name at least one concern (`acuface concerns` lists them)")
    concerns = _resolve_concerns(intake, knowledge)
    added = [atlas.lookup(code) for code in intake.overrides.add]
    removed = {atlas.lookup(code).code for code in intake.overrides.remove}

    screening = apply_screening(intake, knowledge)
    if screening.blocks:
        raise TreatmentBlocked("treatment blocked by screening: " + " ".join(screening.blocks))
    budget, budget_notes = _budget(options, screening)
    low, high = budget

    patterns = score_patterns(intake, knowledge)
    active = [p for p in patterns if p.active]

    # 1. candidates
    candidates: dict[str, _Candidate] = {}

    def offer(point: Point, key: tuple[int, int, int, str], reason: Reason) -> None:
        if point.code not in candidates:
            candidates[point.code] = _Candidate(point=point, key=key)
        candidates[point.code].add(key, reason)

    for group, (concern, _priority) in enumerate(concerns):
        for rank, item in enumerate(concern.points):
            offer(
                atlas.points[item.code],
                (_TIER_NORMAL, rank, group, item.code),
                Reason(kind="concern", ref=concern.name, label=concern.label, why=item.why),
            )
    per_pattern = knowledge.patterns.selection.points_per_pattern
    for index, scored in enumerate(active):
        pattern = knowledge.patterns_by_id[scored.id]
        for rank, pattern_point in enumerate(pattern.points[:per_pattern]):
            offer(
                atlas.points[pattern_point.code],
                (_TIER_NORMAL, rank, len(concerns) + index, pattern_point.code),
                Reason(
                    kind="pattern",
                    ref=pattern.id,
                    label=f"{pattern.name}, score {scored.score:.2f}",
                    why=pattern_point.why,
                ),
            )
    for point in added:
        offer(
            point,
            (_TIER_OVERRIDE, 0, 0, point.code),
            Reason(
                kind="override", ref="override", label="override", why="added by the practitioner"
            ),
        )

    # 2. removals (screening first: it wins over practitioner additions)
    excluded: list[Excluded] = []
    excluded_codes: set[str] = set()
    allowed: list[_Candidate] = []
    for candidate in sorted(candidates.values(), key=lambda c: c.key):
        reasons = screening.removal_reasons(candidate.point)
        if candidate.point.code in removed:
            reasons.append("override: removed by the practitioner")
        if reasons:
            if "override" in candidate.sources and any(r.startswith("screening") for r in reasons):
                reasons.insert(0, "practitioner addition refused by screening")
            excluded.append(Excluded(code=candidate.point.code, why="; ".join(reasons)))
            excluded_codes.add(candidate.point.code)
        else:
            allowed.append(candidate)

    # 3. budget: take in rank order while the maximum allows
    chosen: list[_Candidate] = []
    total = 0
    for candidate in allowed:
        if total + candidate.needles <= high:
            chosen.append(candidate)
            total += candidate.needles
        elif candidate.key[0] == _TIER_OVERRIDE:
            raise PlanningError(
                f"the practitioner's additions need more than the maximum of {high} needles; "
                "add fewer points or raise the budget"
            )
        else:
            excluded.append(
                Excluded(
                    code=candidate.point.code,
                    why=(
                        f"budget: adding {candidate.needles} more needle"
                        f"{'s' if candidate.needles > 1 else ''} would exceed the maximum of "
                        f"{high}; points of higher rank were kept "
                        f"(wanted by {', '.join(sorted(candidate.sources))})"
                    ),
                )
            )
            excluded_codes.add(candidate.point.code)

    # 4. supportive fill-up to the minimum
    chosen_codes = {c.point.code for c in chosen}
    if total < low:
        for fill_rank, support in enumerate(knowledge.concerns.supportive):
            if total >= low:
                break
            point = atlas.points[support.code]
            if point.code in chosen_codes or point.code in removed:
                continue
            if screening.removal_reasons(point):
                continue
            needles = 2 if point.bilateral else 1
            if total + needles > high:
                continue
            candidate = _Candidate(point=point, key=(2, fill_rank, 0, point.code))
            candidate.add(
                candidate.key,
                Reason(
                    kind="supportive",
                    ref="supportive",
                    label="supportive",
                    why=f"the plan was under the minimum of {low} needles; {support.why}",
                ),
            )
            chosen.append(candidate)
            chosen_codes.add(point.code)
            excluded_codes.discard(point.code)
            total += needles
    excluded = [e for e in excluded if e.code not in chosen_codes]

    cautions: list[str] = [*budget_notes]
    if total < low:
        message = (
            f"only {total} needles could be planned (budget minimum {low}): screening and "
            "removals left no more suitable points"
        )
        if options.budget_is_explicit:
            raise PlanningError(message + "; lower the budget minimum")
        cautions.append(message[0].upper() + message[1:] + ".")

    # 5. concern coverage
    coverage: list[ConcernCoverage] = []
    for concern, priority in concerns:
        codes = [c.point.code for c in chosen if concern.name in c.sources]
        note = None
        if not codes:
            why = [e for e in excluded if e.code in concern.codes]
            detail = "; ".join(f"{e.code}: {e.why}" for e in why[:3])
            note = (
                f"not addressed: none of its points could be used ({detail})"
                if detail
                else "not addressed: none of its points could be used"
            )
            cautions.append(f"Concern {concern.label} is not addressed by this plan: see excluded.")
        coverage.append(
            ConcernCoverage(
                name=concern.name,
                label=concern.label,
                priority=priority,
                addressed=bool(codes),
                points=codes,
                note=note,
            )
        )

    cautions.extend(screening.cautions)
    palpation = sorted(c.point.code for c in chosen if "palpation_defined" in c.point.tags)
    if palpation:
        cautions.append(
            f"Confirm {', '.join(palpation)} by palpation; a photo cannot show them exactly."
        )

    def sort_key(c: _Candidate) -> tuple[int, tuple[int, int, int, str]]:
        return (0 if c.point.is_facial else 1, c.key)

    points = [
        PlanPoint(
            code=c.point.code,
            sides=list(c.point.sides),
            region="face" if c.point.is_facial else "body",
            reasons=list(c.reasons),
            details=list(c.details),
            needles=c.needles,
            cautions=list(c.point.cautions),
        )
        for c in sorted(chosen, key=sort_key)
    ]
    needle_count = sum(p.needles for p in points)
    # The one invariant no input may break.
    assert needle_count <= high, (needle_count, high)

    outcomes = [
        Outcome(
            concern=concern.name,
            label=concern.label,
            text=concern.outcome,
            evidence_level=concern.evidence_level,
            evidence=knowledge.evidence_text[concern.evidence_level],
            source=list(concern.source),
        )
        for concern, _ in concerns
    ]
    return Plan(
        planner_version=PLANNER_VERSION,
        knowledge_digest=knowledge_digest(),
        screening_positive=list(screening.positive),
        concerns=coverage,
        points=points,
        needle_count=needle_count,
        budget=budget,
        excluded=sorted(excluded, key=lambda e: e.code),
        cautions=cautions,
        restrictions=list(screening.restrictions),
        position=screening.position,
        consents=list(screening.consents),
        patterns=[_pattern_result(p) for p in patterns],
        course=_schedule(options, knowledge),
        outcomes=outcomes,
    )


def _pattern_result(score: PatternScore) -> PatternResult:
    return PatternResult(
        id=score.id,
        name=score.name,
        score=score.score,
        active=score.active,
        evidence=score.evidence_text,
    )
