"""Safety screening: turn screening answers into plan constraints.

Each positive answer applies every effect of its rule in ``screening.yaml``:
blocks, point and zone removals, cautions, budget caps, position, technique
restrictions and consents. The result is a :class:`ScreeningOutcome` that
:func:`acuface.planner.plan.make_plan` obeys; nothing here is hard-coded per
condition.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from acuface.atlas import Point
from acuface.atlas.knowledge import Effect, Knowledge, ScreeningRule, load_knowledge
from acuface.planner.intake import ADULT_AGE, Intake, ProcedureAnswer


@dataclass(frozen=True)
class Removal:
    """Why a set of points is removed: by codes, tags or zones."""

    rule_id: str
    why: str
    codes: frozenset[str] = frozenset()
    tags: frozenset[str] = frozenset()
    zones: frozenset[str] = frozenset()

    def applies_to(self, point: Point) -> bool:
        """Whether this removal covers *point*."""
        return (
            point.code in self.codes
            or not self.tags.isdisjoint(point.tags)
            or not self.zones.isdisjoint(point.zones)
        )

    def matched(self, point: Point) -> list[str]:
        """Return what this removal matched on *point*: listed code, tags, zones."""
        out: list[str] = []
        if point.code in self.codes:
            out.append("listed point")
        hit_tags = sorted(self.tags.intersection(point.tags))
        if hit_tags:
            out.append("tag " + ", ".join(hit_tags))
        hit_zones = sorted(self.zones.intersection(point.zones))
        if hit_zones:
            out.append("zone " + ", ".join(hit_zones))
        return out


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
    removals: list[Removal] = field(default_factory=list)
    cautions: list[str] = field(default_factory=list)
    caps: list[BudgetCap] = field(default_factory=list)
    position: str | None = None
    restrictions: list[str] = field(default_factory=list)
    consents: list[str] = field(default_factory=list)

    def removal_reasons(self, point: Point) -> list[str]:
        """Why screening removes *point*: one entry per rule (empty: allowed)."""
        by_rule: dict[str, list[Removal]] = {}
        for removal in self.removals:
            if removal.applies_to(point):
                by_rule.setdefault(removal.rule_id, []).append(removal)
        out: list[str] = []
        for rule_id, removals in by_rule.items():
            matched: list[str] = []
            whys: list[str] = []
            for removal in removals:
                for part in removal.matched(point):
                    if part not in matched:
                        matched.append(part)
                whys.append(removal.why)
            out.append(f"screening {rule_id} ({'; '.join(matched)}): {' '.join(whys)}")
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
    return isinstance(answer, ProcedureAnswer)


def _effect_applies(effect: Effect, answer: object) -> tuple[bool, str]:
    """Whether a time-limited effect applies, with a note on the timing."""
    if effect.within_days is None or not isinstance(answer, ProcedureAnswer):
        return True, ""
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


def screening_answers(intake: Intake) -> dict[str, object]:
    """Return the screening answers, with ``under_18`` derived from the age if given."""
    answers: dict[str, object] = dict(intake.screening)
    if intake.age is not None and "under_18" not in answers:
        answers["under_18"] = intake.age < ADULT_AGE
    return answers


def apply_screening(intake: Intake, knowledge: Knowledge | None = None) -> ScreeningOutcome:
    """Collect the constraints of every positive screening answer.

    Parameters
    ----------
    intake : Intake
        Screening answers already checked by :func:`check_intake`.
    knowledge : Knowledge, optional
        Defaults to :func:`load_knowledge`.

    Returns
    -------
    ScreeningOutcome
        In the order of ``screening.yaml``; the caller decides what to do with
        blocks (``make_plan`` raises ``TreatmentBlocked``).
    """
    knowledge = knowledge or load_knowledge()
    answers = screening_answers(intake)
    out = ScreeningOutcome()
    for rule in knowledge.screening.rules:
        answer = answers.get(rule.id)
        if not _is_positive(rule, answer):
            continue
        out.positive.append(rule.id)
        for effect in rule.effects:
            applies, timing = _effect_applies(effect, answer)
            if not applies:
                continue
            why = effect.why + timing
            if effect.kind == "block":
                out.blocks.append(f"{rule.label}: {why}")
            elif effect.kind in ("remove_points", "remove_zones"):
                zones: set[str] = set(effect.zones)
                if effect.from_answer:
                    zones.update(_answer_zones(answer))
                out.removals.append(
                    Removal(
                        rule_id=rule.id,
                        why=why,
                        codes=frozenset(effect.codes),
                        tags=frozenset(effect.tags),
                        zones=frozenset(zones),
                    )
                )
            elif effect.kind == "caution":
                out.cautions.append(f"{rule.label}: {why}")
            elif effect.kind == "reduce_budget":
                assert effect.max_needles is not None  # guaranteed by the data test
                out.caps.append(
                    BudgetCap(
                        rule_id=rule.id,
                        max_needles=effect.max_needles,
                        min_needles=effect.min_needles or 0,
                        why=why,
                    )
                )
            elif effect.kind == "position":
                # Lying is the safer position and wins over sitting.
                if effect.position == "lying" or out.position is None:
                    out.position = effect.position
                out.cautions.append(f"{rule.label}: treat {effect.position} down; {why}")
            elif effect.kind == "restrict":
                assert effect.restriction is not None
                text = knowledge.restriction_text[effect.restriction]
                if text not in out.restrictions:
                    out.restrictions.append(text)
                out.cautions.append(f"{rule.label}: {why}")
            elif effect.kind == "consent":
                out.consents.append(f"{rule.label}: {why}")
                out.cautions.append(f"{rule.label}: {why}")
    return out
