"""Transparent TCM pattern scoring from intake answers.

A pattern's score is the summed weight of its signs found in the intake
divided by the summed weight of all its signs, so it lies in [0, 1]. Every
matching sign is reported (``"question fatigue = yes: +0.5"``), so the
practitioner sees exactly which answer gave which part of the score. Patterns
support the practitioner's reasoning; they are not a diagnosis.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from acuface.atlas.knowledge import Knowledge, Pattern, load_knowledge
from acuface.planner.intake import Intake


class SignMatch(BaseModel):
    """One sign of a pattern that the intake showed, and what it contributed."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: str = Field(description="'question', 'tongue' or 'pulse'.")
    id: str
    weight: float

    def describe(self) -> str:
        """Human-readable form, e.g. ``question fatigue = yes: +0.5``."""
        what = f"question {self.id} = yes" if self.kind == "question" else f"{self.kind} {self.id}"
        return f"{what}: +{self.weight:g}"


class PatternScore(BaseModel):
    """The score of one pattern with the signs behind it."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str
    name: str
    score: float = Field(ge=0, le=1, description="Matched sign weight / total sign weight.")
    matched_weight: float
    total_weight: float
    active: bool = Field(description="Whether the pattern contributes points to the plan.")
    evidence: list[SignMatch]

    @property
    def evidence_text(self) -> list[str]:
        """The evidence as readable strings."""
        return [match.describe() for match in self.evidence]


def _matches(pattern: Pattern, intake: Intake) -> list[SignMatch]:
    tongue = set(intake.tongue)
    pulse = set(intake.pulse)
    out: list[SignMatch] = []
    for sign in pattern.signs:
        present = {
            "question": intake.answers.get(sign.id) is True,
            "tongue": sign.id in tongue,
            "pulse": sign.id in pulse,
        }[sign.kind]
        if present:
            out.append(SignMatch(kind=sign.kind, id=sign.id, weight=sign.weight))
    return out


def score_patterns(intake: Intake, knowledge: Knowledge | None = None) -> list[PatternScore]:
    """Score every pattern against the intake.

    Parameters
    ----------
    intake : Intake
        Answers, tongue and pulse findings (ids already checked).
    knowledge : Knowledge, optional
        Defaults to :func:`load_knowledge`.

    Returns
    -------
    list of PatternScore
        Every pattern with a score above zero, best first (ties by id). At most
        ``selection.max_active`` of them are active: those with at least
        ``min_signs`` matching signs and a score of at least ``min_score``.
    """
    knowledge = knowledge or load_knowledge()
    selection = knowledge.patterns.selection
    scored: list[tuple[Pattern, list[SignMatch], float]] = []
    for pattern in knowledge.patterns.patterns:
        matches = _matches(pattern, intake)
        if not matches:
            continue
        matched = sum(match.weight for match in matches)
        scored.append((pattern, matches, matched))
    scored.sort(key=lambda item: (-round(item[2] / item[0].total_weight, 6), item[0].id))
    out: list[PatternScore] = []
    n_active = 0
    for pattern, matches, matched in scored:
        score = round(matched / pattern.total_weight, 3)
        qualifies = len(matches) >= selection.min_signs and score >= selection.min_score
        active = qualifies and n_active < selection.max_active
        n_active += int(active)
        out.append(
            PatternScore(
                id=pattern.id,
                name=pattern.name,
                score=score,
                matched_weight=matched,
                total_weight=pattern.total_weight,
                active=active,
                evidence=matches,
            )
        )
    return out
