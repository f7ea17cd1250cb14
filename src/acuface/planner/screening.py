"""Safety screening: turn screening answers into plan constraints.

Each positive answer applies every effect of its rule in ``screening.yaml``;
nothing here is hard-coded per condition. Effects that act on points become
:class:`PointRule` filters (remove, soften the technique, add a caution) that
the planner applies to every candidate point alike; a ``restrict`` effect
contributes its restriction's filters. The rest (blocks, referrals, budget
caps, the position, consents, "fewest needles") are collected in a
:class:`ScreeningOutcome`.

A critical question that was not answered is **not** a "no": it is listed in
``unanswered``, and the point filters a "yes" would bring are kept as
``pending`` so the plan can mark the points they would change.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Literal

from acuface.atlas import Point
from acuface.atlas.knowledge import Effect, Knowledge, PointFilter, ScreeningRule, load_knowledge
from acuface.planner.intake import (
    Intake,
    PregnancyAnswer,
    ProcedureAnswer,
    age_answers,
)

Action = Literal["remove", "soften", "caution"]


@dataclass(frozen=True)
class PointRule:
    """One thing screening does to the points it matches.

    Attributes
    ----------
    rule_id : str
        The screening rule that asked for it.
    action : {"remove", "soften", "caution"}
        Leave the points out, limit their technique, or note a caution on them.
    why : str
        Why, in plain words (with timing notes for procedures and pregnancy).
    codes, tags, zones : frozenset of str
        What it matches; ``all_points`` matches every point.
    max_depth_cun, manipulation, pressure_after
        For ``soften``: the technique limits.
    """

    rule_id: str
    action: Action
    why: str
    codes: frozenset[str] = frozenset()
    tags: frozenset[str] = frozenset()
    zones: frozenset[str] = frozenset()
    all_points: bool = False
    max_depth_cun: float | None = None
    manipulation: str | None = None
    pressure_after: bool | None = None

    def applies_to(self, point: Point) -> bool:
        """Whether this rule covers *point*."""
        return (
            self.all_points
            or point.code in self.codes
            or not self.tags.isdisjoint(point.tags)
            or not self.zones.isdisjoint(point.zones)
        )

    def matched(self, point: Point) -> list[str]:
        """Return what this rule matched on *point*: listed code, tags, zones."""
        out: list[str] = []
        if point.code in self.codes:
            out.append("listed point")
        hit_tags = sorted(self.tags.intersection(point.tags))
        if hit_tags:
            out.append("tag " + ", ".join(hit_tags))
        hit_zones = sorted(self.zones.intersection(point.zones))
        if hit_zones:
            out.append("zone " + ", ".join(hit_zones))
        if not out and self.all_points:
            out.append("every point")
        return out


#: Kept for callers of the first planner: a removal is a PointRule with action "remove".
Removal = PointRule


@dataclass(frozen=True)
class BudgetCap:
    """A budget limit asked for by a screening rule."""

    rule_id: str
    max_needles: int
    min_needles: int
    why: str


@dataclass
class ScreeningOutcome:
    """What screening asks of the plan, in rule order (deterministic)."""

    positive: list[str] = field(default_factory=list)
    blocks: list[str] = field(default_factory=list)
    referrals: list[str] = field(default_factory=list)
    point_rules: list[PointRule] = field(default_factory=list)
    cautions: list[str] = field(default_factory=list)
    caps: list[BudgetCap] = field(default_factory=list)
    #: (position id, rule id) for each rule that asks for a position.
    positions: list[tuple[str, str]] = field(default_factory=list)
    restrictions: list[str] = field(default_factory=list)
    consents: list[str] = field(default_factory=list)
    fewest: list[str] = field(default_factory=list)
    unanswered: list[str] = field(default_factory=list)
    pending: list[PointRule] = field(default_factory=list)

    @property
    def removals(self) -> list[PointRule]:
        """The rules that leave points out."""
        return [r for r in self.point_rules if r.action == "remove"]

    @property
    def position(self) -> str | None:
        """The first position asked for (see :func:`choose_position` for precedence)."""
        return self.positions[0][0] if self.positions else None

    def removal_reasons(self, point: Point) -> list[str]:
        """Why screening removes *point*: one entry per rule (empty: allowed)."""
        return _reasons(self.removals, point, prefix="screening")

    def softenings(self, point: Point) -> list[PointRule]:
        """Return the technique limits that apply to *point*."""
        return [r for r in self.point_rules if r.action == "soften" and r.applies_to(point)]

    def point_cautions(self, point: Point) -> list[str]:
        """Cautions screening attaches to *point* (one per rule)."""
        out: list[str] = []
        for rule in self.point_rules:
            if rule.action == "caution" and rule.applies_to(point):
                text = f"{rule.rule_id}: {point.code} {rule.why}"
                if text not in out:
                    out.append(text)
        return out

    def pending_cautions(self, point: Point, labels: dict[str, str]) -> list[str]:
        """Return what an unanswered critical question would change at *point*, in words."""
        out: list[str] = []
        for rule_id in self.unanswered:
            hits = [r for r in self.pending if r.rule_id == rule_id and r.applies_to(point)]
            if not hits:
                continue
            actions = sorted({r.action for r in hits})
            verb = "is left out" if "remove" in actions else "is changed"
            out.append(
                f"{rule_id} unanswered: {point.code} {verb} if the answer is yes "
                f"({labels.get(rule_id, rule_id)}); ask before treating."
            )
        return out


def _reasons(rules: Iterable[PointRule], point: Point, *, prefix: str) -> list[str]:
    by_rule: dict[str, list[PointRule]] = {}
    for rule in rules:
        if rule.applies_to(point):
            by_rule.setdefault(rule.rule_id, []).append(rule)
    out: list[str] = []
    for rule_id, hits in by_rule.items():
        matched: list[str] = []
        whys: list[str] = []
        for hit in hits:
            for part in hit.matched(point):
                if part not in matched:
                    matched.append(part)
            if hit.why not in whys:
                whys.append(hit.why)
        out.append(f"{prefix} {rule_id} ({'; '.join(matched)}): {' '.join(whys)}")
    return out


def _answer_zones(answer: object) -> list[str]:
    if isinstance(answer, ProcedureAnswer):
        return list(answer.zones)
    if isinstance(answer, list):
        return [str(zone) for zone in answer]
    return []


def _is_positive(rule: ScreeningRule, answer: object) -> bool:
    if rule.answer == "yes_no":
        return answer is True
    if rule.answer == "zones":
        return isinstance(answer, list) and len(answer) > 0
    if rule.answer == "pregnancy":
        return answer is True or isinstance(answer, PregnancyAnswer)
    return isinstance(answer, ProcedureAnswer)


def _effect_applies(effect: Effect, answer: object) -> tuple[bool, str]:
    """Whether a time-limited effect applies, with a note on the timing."""
    if effect.within_days is not None and isinstance(answer, ProcedureAnswer):
        if answer.days_ago is None:
            return (
                True,
                f" (days since the procedure not given: treated as within {effect.within_days})",
            )
        if answer.days_ago < effect.within_days:
            wait = effect.within_days - answer.days_ago
            return True, (
                f" ({answer.days_ago} days ago; the zone can be needled again in {wait} days)"
            )
        return False, ""
    if effect.from_week is not None:
        week = answer.week if isinstance(answer, PregnancyAnswer) else None
        if week is None:
            return True, f" (week not given: treated as {effect.from_week} weeks or more)"
        return week >= effect.from_week, ""
    return True, ""


def screening_answers(intake: Intake) -> dict[str, object]:
    """Return the screening answers, with ``under_18`` derived from the age if given."""
    # Explicit answers win; check_intake refuses a contradiction with the age.
    return {**age_answers(intake.age), **intake.screening}


def _filter_rule(rule_id: str, point_filter: PointFilter) -> PointRule:
    return PointRule(
        rule_id=rule_id,
        action=point_filter.action,
        why=point_filter.why,
        codes=frozenset(point_filter.codes),
        tags=frozenset(point_filter.tags),
        zones=frozenset(point_filter.zones),
        all_points=point_filter.all_points,
        max_depth_cun=point_filter.max_depth_cun,
        manipulation=point_filter.manipulation,
        pressure_after=point_filter.pressure_after,
    )


def point_rules_of(
    rule: ScreeningRule, answer: object, knowledge: Knowledge
) -> tuple[list[PointRule], list[tuple[Effect, str]]]:
    """Return the point filters a positive *answer* to *rule* brings, and its other effects.

    Returns
    -------
    point_rules : list of PointRule
        Removals, softenings and point cautions, in effect order.
    others : list of (Effect, str)
        The remaining applicable effects with their why (timing notes added).
    """
    point_rules: list[PointRule] = []
    others: list[tuple[Effect, str]] = []
    for effect in rule.effects:
        applies, timing = _effect_applies(effect, answer)
        if not applies:
            continue
        why = effect.why + timing
        zones: set[str] = set(effect.zones)
        if effect.from_answer:
            zones.update(_answer_zones(answer))
        if effect.kind in ("remove_points", "remove_zones"):
            point_rules.append(
                PointRule(
                    rule_id=rule.id,
                    action="remove",
                    why=why,
                    codes=frozenset(effect.codes),
                    tags=frozenset(effect.tags),
                    zones=frozenset(zones),
                )
            )
        elif effect.kind == "caution" and effect.targets_points:
            point_rules.append(
                PointRule(
                    rule_id=rule.id,
                    action="caution",
                    why=why,
                    codes=frozenset(effect.codes),
                    tags=frozenset(effect.tags),
                    zones=frozenset(zones),
                )
            )
        elif effect.kind == "restrict":
            assert effect.restriction is not None  # guaranteed by the schema
            restriction = knowledge.restrictions_by_id[effect.restriction]
            point_rules.extend(_filter_rule(rule.id, f) for f in restriction.filters)
            others.append((effect, why))
        else:
            others.append((effect, why))
    return point_rules, others


def _probe_answer(rule: ScreeningRule) -> object | None:
    """Return the answer "yes" to a question, for seeing what an unanswered one could change."""
    return {"yes_no": True, "pregnancy": PregnancyAnswer()}.get(rule.answer)


def critical_rules(concern_names: Iterable[str], knowledge: Knowledge) -> list[ScreeningRule]:
    """Return the questions a plan needs answered (file order): for every plan, or for its concerns.

    Parameters
    ----------
    concern_names : iterable of str
        The intake's concerns; a rule with ``critical_for`` one of them is critical.
    knowledge : Knowledge
        The loaded atlas knowledge (``screening.yaml``).
    """
    names = set(concern_names)
    return [
        rule
        for rule in knowledge.screening.rules
        if rule.critical or names.intersection(rule.critical_for)
    ]


def unanswered_rules(
    answers: dict[str, object], concern_names: Iterable[str], knowledge: Knowledge
) -> list[ScreeningRule]:
    """Critical questions without an answer (in file order): for every plan, or for its concerns."""
    return [rule for rule in critical_rules(concern_names, knowledge) if rule.id not in answers]


def apply_screening(
    intake: Intake,
    knowledge: Knowledge | None = None,
    *,
    concern_names: Iterable[str] = (),
) -> ScreeningOutcome:
    """Collect the constraints of every positive screening answer.

    Parameters
    ----------
    intake : Intake
        Screening answers already checked by :func:`check_intake`.
    knowledge : Knowledge, optional
        Defaults to :func:`load_knowledge`.
    concern_names : iterable of str, keyword-only
        The plan's concerns, for questions that are critical only for some
        concerns (red flags).

    Returns
    -------
    ScreeningOutcome
        In the order of ``screening.yaml``; the caller decides what to do with
        blocks and referrals (``make_plan`` raises).
    """
    knowledge = knowledge or load_knowledge()
    answers = screening_answers(intake)
    out = ScreeningOutcome()
    for rule in knowledge.screening.rules:
        answer = answers.get(rule.id)
        if not _is_positive(rule, answer):
            continue
        out.positive.append(rule.id)
        point_rules, others = point_rules_of(rule, answer, knowledge)
        out.point_rules.extend(point_rules)
        for effect, why in others:
            _collect(out, rule, effect, why, knowledge)
    for rule in unanswered_rules(answers, concern_names, knowledge):
        out.unanswered.append(rule.id)
        probe = _probe_answer(rule)
        if probe is not None:
            out.pending.extend(point_rules_of(rule, probe, knowledge)[0])
    return out


def _collect(
    out: ScreeningOutcome, rule: ScreeningRule, effect: Effect, why: str, knowledge: Knowledge
) -> None:
    """Record one non-point effect of a positive answer."""
    if effect.kind == "block":
        out.blocks.append(f"{rule.label}: {why}")
    elif effect.kind == "refer":
        out.referrals.append(f"{rule.label}: {why}")
    elif effect.kind == "caution":
        out.cautions.append(f"{rule.label}: {why}")
    elif effect.kind == "reduce_budget":
        assert effect.max_needles is not None  # guaranteed by the schema
        out.caps.append(
            BudgetCap(
                rule_id=rule.id,
                max_needles=effect.max_needles,
                min_needles=effect.min_needles or 0,
                why=why,
            )
        )
    elif effect.kind == "fewest_needles":
        out.fewest.append(why)
    elif effect.kind == "position":
        assert effect.position is not None
        spec = knowledge.positions_by_id[effect.position]
        out.positions.append((effect.position, rule.id))
        out.cautions.append(f"{rule.label}: treat {spec.label}; {why}")
    elif effect.kind == "restrict":
        assert effect.restriction is not None
        text = knowledge.restriction_text[effect.restriction]
        if text not in out.restrictions:
            out.restrictions.append(text)
        out.cautions.append(f"{rule.label}: {why}")
    elif effect.kind == "consent":
        out.consents.append(f"{rule.label}: {why}")
        out.cautions.append(f"{rule.label}: {why}")


def choose_position(screening: ScreeningOutcome, knowledge: Knowledge) -> tuple[str, list[str]]:
    """Return the session's position: the most protective one any rule asks for, else the default.

    Returns
    -------
    position : str
        A position id of ``practice.yaml``.
    asked_by : list of str
        The rule ids that asked for it (empty for the default).
    """
    order = list(knowledge.positions_by_id)
    asked = [pos for pos, _ in screening.positions]
    if not asked:
        return knowledge.practice.session.default_position, []
    best = min(asked, key=order.index)
    return best, [rule for pos, rule in screening.positions if pos == best]
