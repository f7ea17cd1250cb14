"""The named steps of planning, each a pure function of its inputs.

:func:`acuface.planner.make_plan` runs them in this order; each takes the
knowledge and the atlas as arguments, so each can be tested on a small fixture:

1. :func:`gather_candidates` - each concern's points (rank = position in its
   list), the first points of the active patterns, the practitioner's additions.
2. :func:`choose_techniques` - the technique record each point would use
   (cosmetic for facial points of cosmetic concerns); a point with no record for
   that use is left out (e.g. ST1: its only technique enters the orbit).
3. :func:`apply_screening_filters` - screening removals and the practitioner's
   removals; screening always wins over additions.
4. :func:`apply_limits` - groups of which a plan may use only some.
5. :func:`fit_budget` - take points in rank order while they fit under the ceiling.
6. :func:`fill_allowed` - fill toward the practice range, only for cosmetic
   concerns, only with points serving their zones, never against screening.
7. :func:`assemble` - techniques after screening and position, the session's
   order, cautions, coverage, course and outcomes: the :class:`Plan`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta

from acuface.atlas import Atlas, Point
from acuface.atlas.knowledge import Concern, Knowledge
from acuface.atlas.models import MANIPULATION_ORDER, Technique
from acuface.errors import PlanningError
from acuface.planner.models import (
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
    SessionStep,
    Why,
)
from acuface.planner.patterns import PatternScore
from acuface.planner.screening import PointRule, ScreeningOutcome, choose_position

#: Ranking tiers: practitioner additions first, then everything else, then filling.
TIER_OVERRIDE = 0
TIER_NORMAL = 1
TIER_FILL = 2

RankKey = tuple[int, int, int, str]


@dataclass
class Candidate:
    """A point considered for the plan, with every reason it was wanted."""

    point: Point
    key: RankKey
    reasons: list[str] = field(default_factory=list)
    why: list[Why] = field(default_factory=list)
    #: Concern names, pattern ids, ``supportive`` or ``practitioner`` that want it.
    sources: set[str] = field(default_factory=set)
    #: The technique use chosen for it (``standard`` or ``cosmetic``).
    use: str = "standard"

    @property
    def needles(self) -> int:
        """Needles it takes: 2 for a bilateral point, 1 on the midline."""
        return 2 if self.point.bilateral else 1

    @property
    def is_override(self) -> bool:
        """Whether the practitioner added it."""
        return self.key[0] == TIER_OVERRIDE

    def add(self, key: RankKey, why: Why, label: str) -> None:
        """Record one more reason (the best rank wins)."""
        self.key = min(self.key, key)
        text = {
            "concern": f"concern {why.id} ({label}): {why.text}",
            "pattern": f"pattern {why.id} ({label}): {why.text}",
            "support": f"supportive: {why.text}",
            "override": f"override: {why.text}",
        }[why.kind]
        if text not in self.reasons:
            self.reasons.append(text)
            self.why.append(why)
        self.sources.add(why.id)


# --- 1. candidates ---------------------------------------------------------------------


def gather_candidates(
    concerns: list[tuple[Concern, int]],
    patterns: list[PatternScore],
    added: list[Point],
    knowledge: Knowledge,
    atlas: Atlas,
) -> list[Candidate]:
    """Collect every wanted point, in rank order.

    Parameters
    ----------
    concerns : list of (Concern, int)
        The intake's concerns with their priority, most important first.
    patterns : list of PatternScore
        Scored patterns; only active ones contribute points.
    added : list of Point
        The practitioner's additions.
    knowledge, atlas
        The planner's data.

    Returns
    -------
    list of Candidate
        Sorted by rank: additions first, then round robin by position in each
        list (every concern's first point before any second point), ties by
        concern priority (patterns after concerns), then by code.
    """
    candidates: dict[str, Candidate] = {}

    def offer(point: Point, key: RankKey, why: Why, label: str) -> None:
        if point.code not in candidates:
            candidates[point.code] = Candidate(point=point, key=key)
        candidates[point.code].add(key, why, label)

    for group, (concern, _priority) in enumerate(concerns):
        for rank, item in enumerate(concern.points):
            offer(
                atlas.points[item.code],
                (TIER_NORMAL, rank, group, item.code),
                Why(kind="concern", id=concern.name, text=item.why),
                concern.label,
            )
    per_pattern = knowledge.patterns.selection.points_per_pattern
    active = [p for p in patterns if p.active]
    for index, scored in enumerate(active):
        pattern = knowledge.patterns_by_id[scored.id]
        for rank, pattern_point in enumerate(pattern.points[:per_pattern]):
            offer(
                atlas.points[pattern_point.code],
                (TIER_NORMAL, rank, len(concerns) + index, pattern_point.code),
                Why(kind="pattern", id=pattern.id, text=pattern_point.why),
                f"{pattern.name}, score {scored.score:.2f}",
            )
    for point in added:
        offer(
            point,
            (TIER_OVERRIDE, 0, 0, point.code),
            Why(kind="override", id="practitioner", text="added by the practitioner"),
            "override",
        )
    return sorted(candidates.values(), key=lambda c: c.key)


# --- 2. techniques ---------------------------------------------------------------------


def technique_use(candidate: Candidate, concerns: list[Concern]) -> str:
    """Return the technique use a candidate needs (cosmetic for facial points of cosmetic concerns).

    Body (distal) points always use their standard technique. A facial point
    wanted by a concern uses that concern's technique (cosmetic wins when several
    concerns want it: it is the gentler one); a facial point added for another
    reason follows the plan's concerns.
    """
    if not candidate.point.is_facial:
        return "standard"
    wanting = [c for c in concerns if c.name in candidate.sources] or concerns
    return "cosmetic" if any(c.technique == "cosmetic" for c in wanting) else "standard"


def choose_techniques(
    candidates: list[Candidate], concerns: list[Concern]
) -> tuple[list[Candidate], list[Excluded]]:
    """Give each candidate its technique use; leave out points with no record for it.

    Returns
    -------
    kept : list of Candidate
        With ``use`` set, in the same order.
    excluded : list of Excluded
        Points with no technique for the use they would need (kind ``technique``).
    """
    kept: list[Candidate] = []
    excluded: list[Excluded] = []
    for candidate in candidates:
        use = technique_use(candidate, concerns)
        if candidate.point.technique(use) is None:
            standard = candidate.point.standard
            why = (
                f"no {use} technique: its only technique enters the orbit, and cosmetic work "
                "never goes into the orbit"
                if standard.enters_orbit
                else f"no {use} technique for this point in the atlas"
            )
            excluded.append(Excluded(code=candidate.point.code, why=why, kind="technique"))
            continue
        candidate.use = use
        kept.append(candidate)
    return kept, excluded


# --- 3. screening ---------------------------------------------------------------------


def apply_screening_filters(
    candidates: list[Candidate], screening: ScreeningOutcome, removed: set[str]
) -> tuple[list[Candidate], list[Excluded]]:
    """Drop what screening or the practitioner removes (screening wins over additions).

    Returns
    -------
    allowed : list of Candidate
    excluded : list of Excluded
        Each with every rule that removed it (kind ``screening`` or ``override``).
    """
    allowed: list[Candidate] = []
    excluded: list[Excluded] = []
    for candidate in candidates:
        reasons = screening.removal_reasons(candidate.point)
        kind = "screening" if reasons else "override"
        if candidate.point.code in removed:
            reasons.append("override: removed by the practitioner")
        if not reasons:
            allowed.append(candidate)
            continue
        if candidate.is_override and kind == "screening":
            reasons.insert(0, "practitioner addition refused by screening")
        excluded.append(Excluded(code=candidate.point.code, why="; ".join(reasons), kind=kind))
    return allowed, excluded


# --- 4. limits ---------------------------------------------------------------------------


def apply_limits(
    candidates: list[Candidate], knowledge: Knowledge
) -> tuple[list[Candidate], list[Excluded]]:
    """Keep at most ``max_points`` of each limited group, best rank first."""
    used: dict[str, list[str]] = {}
    allowed: list[Candidate] = []
    excluded: list[Excluded] = []
    for candidate in candidates:
        hit = None
        for limit in knowledge.concerns.limits:
            if candidate.point.code in limit.codes:
                taken = used.setdefault(limit.id, [])
                if len(taken) >= limit.max_points:
                    hit = (limit, taken)
                    break
        if hit is None:
            for limit in knowledge.concerns.limits:
                if candidate.point.code in limit.codes:
                    used.setdefault(limit.id, []).append(candidate.point.code)
            allowed.append(candidate)
            continue
        limit, taken = hit
        excluded.append(
            Excluded(
                code=candidate.point.code,
                why=(
                    f"limit {limit.id}: at most {limit.max_points} of "
                    f"{', '.join(limit.codes)} ({', '.join(taken)} kept): {limit.why}"
                ),
                kind="limit",
            )
        )
    return allowed, excluded


def _limit_full(code: str, chosen: list[Candidate], knowledge: Knowledge) -> bool:
    codes = {c.point.code for c in chosen}
    return any(
        code in limit.codes and len(codes.intersection(limit.codes)) >= limit.max_points
        for limit in knowledge.concerns.limits
    )


# --- 5. budget ---------------------------------------------------------------------------


def effective_budget(
    options: PlanOptions, screening: ScreeningOutcome
) -> tuple[tuple[int, int], list[str]]:
    """Return the (min, max) needles after screening caps, and cautions explaining any change.

    Raises
    ------
    PlanningError
        An explicit budget whose minimum is above a screening cap.
    """
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


def fit_budget(candidates: list[Candidate], maximum: int) -> tuple[list[Candidate], list[Excluded]]:
    """Take candidates in rank order while they fit under *maximum* (a ceiling).

    Raises
    ------
    PlanningError
        The practitioner's additions alone exceed the maximum.
    """
    chosen: list[Candidate] = []
    excluded: list[Excluded] = []
    total = 0
    for candidate in candidates:
        if total + candidate.needles <= maximum:
            chosen.append(candidate)
            total += candidate.needles
        elif candidate.is_override:
            raise PlanningError(
                f"the practitioner's additions need more than the maximum of {maximum} "
                "needles; add fewer points or raise the budget"
            )
        else:
            excluded.append(
                Excluded(
                    code=candidate.point.code,
                    why=(
                        f"budget: adding {candidate.needles} more needle"
                        f"{'s' if candidate.needles > 1 else ''} would exceed the maximum of "
                        f"{maximum}; points of higher rank were kept "
                        f"(wanted by {', '.join(sorted(candidate.sources))})"
                    ),
                    kind="budget",
                )
            )
    return chosen, excluded


# --- 6. filling --------------------------------------------------------------------------


@dataclass(frozen=True)
class FillResult:
    """What filling did, and why a plan stays under the practice range."""

    added: list[Candidate]
    reasons_under: list[str]


def fill_allowed(
    chosen: list[Candidate],
    concerns: list[Concern],
    screening: ScreeningOutcome,
    removed: set[str],
    budget: tuple[int, int],
    knowledge: Knowledge,
    atlas: Atlas,
) -> FillResult:
    """Fill toward the budget minimum only where it serves the client.

    Only concerns with ``fill: true`` (cosmetic) are filled, only with the
    ``supportive`` points that serve one of their zones (facial points, with a
    cosmetic technique), never with a point screening removes (lesion zones,
    recent procedures ...), never when screening asks for the fewest needles,
    and never past the maximum.

    Returns
    -------
    FillResult
        The added candidates and, when the plan stays under the minimum, why.
    """
    low, high = budget
    total = sum(c.needles for c in chosen)
    if total >= low:
        return FillResult([], [])
    fill_concerns = [c for c in concerns if c.fill]
    if screening.fewest:
        return FillResult([], list(screening.fewest))
    if not fill_concerns:
        cosmetic = [c.label for c in knowledge.concerns.concerns if c.fill]
        return FillResult(
            [],
            [
                "filling toward the range is only for cosmetic concerns "
                f"({', '.join(cosmetic)}); this plan uses only the points its concerns need"
            ],
        )
    zones = {zone for concern in fill_concerns for zone in concern.zones}
    labels = ", ".join(c.label for c in fill_concerns)
    codes = {c.point.code for c in chosen}
    added: list[Candidate] = []
    working = list(chosen)
    for rank, support in enumerate(knowledge.concerns.supportive):
        if total >= low:
            break
        point = atlas.points[support.code]
        if (
            point.code in codes
            or point.code in removed
            or not point.is_facial
            or not zones.intersection(point.zones)
            or point.technique("cosmetic") is None
            or screening.removal_reasons(point)
            or _limit_full(point.code, working, knowledge)
        ):
            continue
        candidate = Candidate(point=point, key=(TIER_FILL, rank, 0, point.code), use="cosmetic")
        if total + candidate.needles > high:
            continue
        candidate.add(
            candidate.key,
            Why(
                kind="support",
                id="supportive",
                text=f"fills toward the practice range for {labels}: {support.why}",
            ),
            "supportive",
        )
        added.append(candidate)
        working.append(candidate)
        codes.add(point.code)
        total += candidate.needles
    reasons = []
    if total < low:
        reasons.append(
            f"every point that serves {labels} in the client's own zones is already used or "
            "was left out"
        )
    return FillResult(added, reasons)


# --- 7. assembling -----------------------------------------------------------------------


def _gentlest(a: str, b: str | None) -> str:
    if b is None:
        return a
    return min(a, b, key=MANIPULATION_ORDER.index)


def plan_technique(
    point: Point,
    use: str,
    softenings: list[PointRule],
    no_retain: bool,
    position_label: str,
    position_why: str,
) -> PlanTechnique:
    """Return the technique this plan uses at *point*: the atlas record, softened and positioned.

    Parameters
    ----------
    point : Point
    use : str
        ``standard`` or ``cosmetic`` (the record must exist).
    softenings : list of PointRule
        Screening's technique limits that apply to the point.
    no_retain : bool
        The position forbids retaining this point (nape face up).
    position_label, position_why : str
        For the note.
    """
    record: Technique | None = point.technique(use)
    assert record is not None  # choose_techniques left out points without one
    low, high = record.depth_cun
    manipulation: str = record.manipulation
    pressure = record.pressure_after
    notes: list[str] = [record.note] if record.note else []
    for soft in softenings:
        if soft.max_depth_cun is not None and high > soft.max_depth_cun:
            high = soft.max_depth_cun
            low = min(low, high)
        manipulation = _gentlest(manipulation, soft.manipulation)
        pressure = pressure or bool(soft.pressure_after)
        notes.append(f"Screening {soft.rule_id}: {soft.why}")
    if record.mouth:
        notes.append(f"Needle with the mouth {record.mouth}.")
    if manipulation == "none":
        notes.append("No manipulation.")
    if pressure:
        notes.append("Press the point after withdrawal.")
    retain = record.retain and not no_retain
    if no_retain:
        notes.append(
            f"Needle and withdraw it, seated, before the client lies down; not retained "
            f"({position_label}: {position_why})"
        )
    return PlanTechnique(
        name=record.use,
        depth_cun=(low, high),
        angle=record.angle,
        needle=str(record.needle),
        retain=retain,
        note=" ".join(" ".join(notes).split()),
        direction=record.direction,
        mouth=record.mouth,
        manipulation=manipulation,
        pressure_after=pressure,
        enters_orbit=record.enters_orbit,
        source=list(record.source),
    )


def session_plan(
    points: list[PlanPoint],
    position: str,
    asked_by: list[str],
    fewest: bool,
    knowledge: Knowledge,
    atlas: Atlas,
) -> PlanSession:
    """Return the session's mechanics: insertion order by stage, removal order, retention, count."""
    session = knowledge.practice.session
    spec = knowledge.positions_by_id[position]
    zone_rank = {zone: i for i, zone in enumerate(session.zone_order_top_down)}
    rank = {p.code: i for i, p in enumerate(points)}
    stages: list[list[PlanPoint]] = [[] for _ in session.insertion]
    for plan_point in points:
        point = atlas.points[plan_point.code]
        retained = plan_point.technique.retain if plan_point.technique else True
        for index, stage in enumerate(session.insertion):
            if (
                (stage.not_retained and not retained)
                or (not stage.not_retained and plan_point.code in stage.codes)
                or (not stage.not_retained and not stage.codes and point.region in stage.regions)
            ):
                stages[index].append(plan_point)
                break
    steps: list[SessionStep] = []
    order: list[str] = []
    for stage, members in zip(session.insertion, stages, strict=True):
        if stage.top_down:
            members.sort(
                key=lambda p: (
                    min(zone_rank.get(z, len(zone_rank)) for z in atlas.points[p.code].zones),
                    rank[p.code],
                )
            )
        if members:
            steps.append(SessionStep(name=stage.name, codes=[p.code for p in members]))
            order.extend(p.code for p in members)
    by_code = {p.code: p for p in points}
    retained_codes = [
        code for code in order if (technique := by_code[code].technique) is None or technique.retain
    ]
    minutes = session.fewest_retention_minutes if fewest else session.retention_minutes
    return PlanSession(
        position=position,
        position_label=spec.label,
        position_why=list(asked_by),
        insertion=steps,
        insertion_order=order,
        removal_order=list(reversed(retained_codes)),
        removal_why=session.removal_why,
        retention_minutes=minutes,
        needles_in=sum(p.needles for p in points),
        count_check=session.count_check,
    )


def schedule(options: PlanOptions, knowledge: Knowledge) -> Course:
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


def _pattern_result(score: PatternScore) -> PatternResult:
    return PatternResult(
        id=score.id,
        name=score.name,
        score=score.score,
        active=score.active,
        evidence=score.evidence_text,
    )


@dataclass(frozen=True)
class Versions:
    """Which rules and data made a plan."""

    planner_version: str
    knowledge_digest: str


def assemble(
    *,
    concerns: list[tuple[Concern, int]],
    chosen: list[Candidate],
    excluded: list[Excluded],
    screening: ScreeningOutcome,
    budget: tuple[int, int],
    asked_budget: tuple[int, int],
    budget_notes: list[str],
    under_reasons: list[str],
    patterns: list[PatternScore],
    options: PlanOptions,
    versions: Versions,
    knowledge: Knowledge,
    atlas: Atlas,
) -> Plan:
    """Build the :class:`Plan`: techniques, session, cautions, coverage, course, outcomes."""
    low, high = budget
    position, asked_by = choose_position(screening, knowledge)
    spec = knowledge.positions_by_id[position]
    labels = {rule.id: rule.label for rule in knowledge.screening.rules}
    chosen_codes = {c.point.code for c in chosen}
    excluded = [e for e in excluded if e.code not in chosen_codes]

    def sort_key(c: Candidate) -> tuple[int, RankKey]:
        return (0 if c.point.is_facial else 1, c.key)

    points: list[PlanPoint] = []
    for c in sorted(chosen, key=sort_key):
        technique = plan_technique(
            c.point,
            c.use,
            screening.softenings(c.point),
            no_retain=not set(spec.no_retain_tags).isdisjoint(c.point.tags),
            position_label=spec.label,
            position_why=spec.why,
        )
        record = c.point.technique(c.use)
        point_cautions = [
            *c.point.cautions,
            *(record.cautions if record else []),
            *screening.point_cautions(c.point),
            *screening.pending_cautions(c.point, labels),
        ]
        points.append(
            PlanPoint(
                code=c.point.code,
                sides=list(c.point.sides),
                region="face" if c.point.is_facial else "body",
                reasons=list(c.reasons),
                why=list(c.why),
                needles=c.needles,
                cautions=point_cautions,
                technique=technique,
            )
        )
    needle_count = sum(p.needles for p in points)
    # The one invariant no input may break.
    assert needle_count <= high, (needle_count, high)

    cautions: list[str] = []
    if screening.unanswered:
        asked = ", ".join(labels[r] for r in screening.unanswered)
        cautions.append(
            f"Not final: critical screening questions are unanswered ({asked}). An unanswered "
            "question is not a no: ask them before treating; the points they could change "
            "are marked."
        )
    cautions.extend(budget_notes)
    practice_low, practice_high = asked_budget
    if needle_count < practice_low:
        reasons = list(under_reasons)
        if budget != asked_budget:
            rules = ", ".join(c.rule_id for c in screening.caps)
            reasons.insert(0, f"screening ({rules}) lowered the budget to {low}-{high}")
        why = "; ".join(reasons) or "screening and removals left no more suitable points"
        cautions.append(
            f"Fewer needles than the practice range of {practice_low}-{practice_high} "
            f"({needle_count}): {why}."
        )

    coverage: list[ConcernCoverage] = []
    for concern, priority in concerns:
        codes = [c.point.code for c in chosen if concern.name in c.sources]
        note = None
        if not codes:
            why_out = [e for e in excluded if e.code in concern.codes]
            detail = "; ".join(f"{e.code}: {e.why}" for e in why_out[:3])
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
    session = session_plan(points, position, asked_by, bool(screening.fewest), knowledge, atlas)
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
        planner_version=versions.planner_version,
        knowledge_digest=versions.knowledge_digest,
        screening_positive=list(screening.positive),
        screening_unanswered=list(screening.unanswered),
        concerns=coverage,
        points=points,
        needle_count=needle_count,
        budget=(low, high),
        excluded=sorted(excluded, key=lambda e: e.code),
        cautions=cautions,
        restrictions=list(screening.restrictions),
        position=spec.label,
        consents=list(screening.consents),
        patterns=[_pattern_result(p) for p in patterns],
        course=schedule(options, knowledge),
        outcomes=outcomes,
        session=session,
    )
