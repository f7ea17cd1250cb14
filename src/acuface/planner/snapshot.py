"""The stored forms of a plan and of an intake: :class:`PlanSnapshot`, :class:`IntakeSnapshot`.

A plan is stored once and read for years (page, PDF handout, charting, export),
so what is stored is this frozen, versioned model, not whatever ``Plan`` looks
like today. ``PlanSnapshot`` is also the ``acuface plan --json`` document: the
contract keys (``points`` with ``code``/``sides``/``region``/``reasons``,
``needle_count``, ``excluded``, ``cautions``, ``patterns`` with ``name``/``score``,
``course.sessions`` with ``n``/``date``) come first; later keys add detail.

``Plan.to_json()`` writes the document and this model types it (unknown keys
are refused, so the two cannot drift apart). Changing the shape (see
:mod:`acuface.vocab.snapshots`): add the key to ``Plan.to_json()`` and the field
here, bump ``schema_version``, and add the step from the previous version to
``PlanSnapshot.UPGRADES`` so that plans stored earlier still read (with a value
that says "not recorded" where the old plan has none).

Versions
--------
1
    ``Plan.to_json()`` before versions were stored (no ``schema_version`` key),
    from planners 1.x (reasons as text only) and 2.x (with ``why``, ``technique``,
    ``session``, ``screening_unanswered``).
2
    Every point has ``why`` and ``technique``; the plan has ``session``,
    ``screening_unanswered``, ``course.source`` and ``screening_positive``. A
    version-1 plan gets its ``why`` parsed back from the reason texts and "not
    recorded" for the rest (no technique, no session, no unanswered questions,
    no sources or screening ids).
"""

from __future__ import annotations

import re
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from acuface.planner.intake import Intake
from acuface.planner.models import (
    ConcernCoverage,
    Course,
    Outcome,
    PatternResult,
    Plan,
    PlanSession,
    PlanViews,
    Why,
    describe_technique,
)
from acuface.vocab import Side
from acuface.vocab.snapshots import Snapshot

_FROZEN = ConfigDict(extra="forbid", frozen=True)


class SnapshotTechnique(BaseModel):
    """How a point was needled, as the plan document states it."""

    model_config = _FROZEN

    name: str
    depth_cun: tuple[float, float]
    angle: str
    needle: str
    retain: bool
    note: str

    def describe(self) -> str:
        """One line for tables: depth, angle, needle, retention (as ``PlanTechnique``)."""
        return describe_technique(self)


class SnapshotPoint(BaseModel):
    """One chosen point as stored."""

    model_config = _FROZEN

    code: str
    sides: list[Side]
    region: Literal["face", "body"]
    reasons: list[str]
    why: list[Why]
    technique: SnapshotTechnique | None = Field(
        description="None only in plans stored before techniques existed."
    )
    needles: int
    cautions: list[str] = Field(default_factory=list)


class SnapshotExcluded(BaseModel):
    """A point considered but left out, and why."""

    model_config = _FROZEN

    code: str
    why: str


class Budget(BaseModel):
    """The needle budget the plan kept to (bilateral points count 2)."""

    model_config = _FROZEN

    min: int
    max: int


class PlanSnapshot(PlanViews, Snapshot):
    """A plan as stored by the clinic and printed by ``acuface plan --json``."""

    points: list[SnapshotPoint]
    needle_count: int
    excluded: list[SnapshotExcluded]
    cautions: list[str]
    screening_unanswered: list[str]
    patterns: list[PatternResult]
    course: Course
    budget: Budget
    concerns: list[ConcernCoverage]
    restrictions: list[str]
    position: str | None
    consents: list[str]
    session: PlanSession | None = Field(
        description="None only in plans stored before session mechanics existed."
    )
    outcomes: list[Outcome]
    planner_version: str
    knowledge_digest: str
    disclaimer: str
    screening_positive: list[str]
    schema_version: Literal[2] = 2

    @classmethod
    def of(cls, plan: Plan | PlanSnapshot) -> PlanSnapshot:
        """Return the snapshot of a plan the planner just made (``Plan.to_json()``, typed)."""
        if isinstance(plan, PlanSnapshot):
            return plan
        return cls.model_validate({**plan.to_json(), "schema_version": cls.current_version()})


#: How the planner writes a reason as text (``steps.Candidate.add``), read back.
_REASON_TEXT = re.compile(
    r"^(?P<kind>concern|pattern) (?P<id>\S+) \((?P<label>.*?)\): (?P<text>.*)$"
)


def _why_from_text(text: str) -> dict[str, str]:
    match = _REASON_TEXT.match(text)
    if match is not None:
        return {"kind": match["kind"], "id": match["id"], "text": match["text"]}
    kind, _, rest = text.partition(": ")
    if kind == "supportive":
        return {"kind": "support", "id": "supportive", "text": rest}
    return {"kind": "override", "id": "practitioner", "text": rest if kind == "override" else text}


def _plan_v1_to_v2(doc: dict[str, Any]) -> dict[str, Any]:
    points = [
        {
            **p,
            "why": p.get("why") or [_why_from_text(r) for r in p.get("reasons", [])],
            "technique": p.get("technique"),
        }
        for p in doc.get("points", [])
    ]
    return {
        **doc,
        "points": points,
        "screening_unanswered": doc.get("screening_unanswered", []),
        "session": doc.get("session"),
        "course": {"source": [], **doc.get("course", {})},
        "screening_positive": doc.get("screening_positive", []),
    }


PlanSnapshot.UPGRADES = {1: _plan_v1_to_v2}


class IntakeSnapshot(Intake, Snapshot):
    """An intake as stored: the planner's ``Intake`` with its schema version.

    Versions
    --------
    1
        ``Intake.model_dump(mode="json")`` (before versions were stored).
    """

    schema_version: Literal[1] = 1

    def to_intake(self) -> Intake:
        """Return the planner ``Intake`` this snapshot holds."""
        return Intake.model_validate(self.model_dump(exclude={"schema_version"}))

    @classmethod
    def of(cls, intake: Intake) -> IntakeSnapshot:
        """Return the snapshot of an intake."""
        return cls.model_validate(intake.model_dump())
