"""The plan and its parts: what :func:`acuface.planner.make_plan` returns.

Plain, frozen pydantic models; :meth:`Plan.to_json` is the ``acuface plan
--json`` contract (its keys stay; new keys only add detail).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import TYPE_CHECKING, Any, Literal, Protocol

from pydantic import BaseModel, ConfigDict, Field, model_validator

from acuface.atlas.knowledge import load_knowledge
from acuface.vocab import Side

DISCLAIMER = (
    "Decision support for a licensed practitioner, not a diagnosis or a prescription. "
    "Check every point, screening answer and caution against the client in front of you."
)

_FROZEN = ConfigDict(extra="forbid", frozen=True)


def default_budget() -> tuple[int, int]:
    """Return the practice's default needle budget (minimum, maximum) from ``practice.yaml``."""
    budget = load_knowledge().practice.budget
    return budget.min_needles, budget.max_needles


def _course_default(name: str) -> Any:
    return getattr(load_knowledge().practice.course, name)


class PlanOptions(BaseModel):
    """How to plan: needle budget and course schedule.

    The budget's maximum is a ceiling that is never exceeded. Its minimum is a
    target the planner fills toward only for cosmetic concerns (``fill: true``
    in ``concerns.yaml``); a plan below it says why. An explicit minimum above
    a screening cap is a ``PlanningError`` (the two cannot both hold).
    """

    model_config = _FROZEN

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


WhyKind = Literal["concern", "pattern", "support", "override"]


class Why(BaseModel):
    """One reason a point is in the plan (``reasons`` holds the same as text).

    ``kind`` is ``concern`` (a concern asks for it; ``id`` = concern name),
    ``pattern`` (an active TCM pattern; ``id`` = pattern id), ``support``
    (filling a cosmetic plan toward the practice range; ``id`` = ``supportive``)
    or ``override`` (added by the practitioner; ``id`` = ``practitioner``).
    """

    model_config = _FROZEN

    kind: WhyKind
    id: str
    text: str


class _TechniqueLine(Protocol):
    @property
    def name(self) -> str: ...

    @property
    def depth_cun(self) -> tuple[float, float]: ...

    @property
    def angle(self) -> str: ...

    @property
    def needle(self) -> str: ...

    @property
    def retain(self) -> bool: ...


def describe_technique(technique: _TechniqueLine, *, mouth: str | None = None) -> str:
    """Say how a point is needled in one line (CLI, plan page, charting, treatment notes).

    Shared by a fresh plan's :class:`PlanTechnique` and a stored plan's technique.
    """
    low, high = technique.depth_cun
    retain = "retained" if technique.retain else "needled and withdrawn, not retained"
    where = f", mouth {mouth}" if mouth else ""
    return (
        f"{technique.name}: {technique.angle} {low:g}-{high:g} cun, {technique.needle}{where}, "
        f"{retain}"
    )


class PlanTechnique(BaseModel):
    """How this plan needles one point: the atlas technique after screening and position."""

    model_config = _FROZEN

    name: str = Field(description="Which technique record: 'standard' or 'cosmetic'.")
    depth_cun: tuple[float, float]
    angle: str
    needle: str = Field(description="A typical needle, e.g. '0.16 × 15 mm'.")
    retain: bool = Field(description="False: needled and withdrawn, not retained.")
    note: str = Field(description="Everything else in plain words (mouth, pressure, why).")
    direction: str | None = None
    mouth: Literal["open", "closed"] | None = None
    manipulation: str = "gentle"
    pressure_after: bool = False
    enters_orbit: bool = False
    source: list[str] = Field(default_factory=list)

    def describe(self) -> str:
        """One line for tables: depth, angle, needle, retention."""
        return describe_technique(self, mouth=self.mouth)


class PlanPoint(BaseModel):
    """One chosen point with its sides, region, reasons and technique."""

    model_config = _FROZEN

    code: str
    sides: list[Side]
    region: Literal["face", "body"]
    reasons: list[str]
    why: list[Why] = Field(default_factory=list)
    needles: int
    cautions: list[str] = Field(
        default_factory=list, description="From the atlas record, its technique and screening."
    )
    technique: PlanTechnique | None = Field(
        default=None, description="None only in plans stored before techniques existed."
    )


ExcludedKind = Literal["screening", "technique", "limit", "budget", "override"]


class Excluded(BaseModel):
    """A point considered but left out, and why."""

    model_config = _FROZEN

    code: str
    why: str
    kind: ExcludedKind = Field(
        default="screening",
        description=(
            "screening (a safety rule), technique (no technique fits the use), limit (a "
            "group's limit), budget (no room), override (the practitioner removed it)."
        ),
    )


class PatternResult(BaseModel):
    """A scored pattern as shown in the plan."""

    model_config = _FROZEN

    id: str
    name: str
    score: float
    active: bool
    evidence: list[str]


class CourseSession(BaseModel):
    """One planned session."""

    model_config = _FROZEN

    n: int
    date: date | None
    phase: Literal["initial", "maintenance"]


class Course(BaseModel):
    """The course of sessions."""

    model_config = _FROZEN

    sessions: list[CourseSession]
    summary: str
    source: list[str]


class Outcome(BaseModel):
    """What may be expected for one concern, with the strength of evidence."""

    model_config = _FROZEN

    concern: str
    label: str
    text: str
    evidence_level: str
    evidence: str
    source: list[str]


class ConcernCoverage(BaseModel):
    """Whether a concern is addressed by the plan, and if not, why."""

    model_config = _FROZEN

    name: str
    label: str
    priority: int
    addressed: bool
    points: list[str]
    note: str | None = None


class SessionStep(BaseModel):
    """One stage of the insertion order and its points."""

    model_config = _FROZEN

    name: str
    codes: list[str]


class PlanSession(BaseModel):
    """How one session of the plan runs: position, order, retention, needle count."""

    model_config = _FROZEN

    position: str = Field(description="Position id: 'supine', 'side_lying' or 'seated'.")
    position_label: str
    position_why: list[str] = Field(
        default_factory=list, description="Which screening rules asked for the position."
    )
    insertion: list[SessionStep]
    insertion_order: list[str] = Field(description="Codes in insertion order.")
    removal_order: list[str] = Field(description="Codes of retained needles, in removal order.")
    removal_why: str
    retention_minutes: tuple[int, int]
    needles_in: int = Field(description="Needles inserted in all: the count to check out.")
    count_check: str


class _PlacedPoint(Protocol):
    @property
    def code(self) -> str: ...

    @property
    def region(self) -> str: ...


class PlanViews:
    """Views shared by a plan just made (:class:`Plan`) and a stored one (``PlanSnapshot``)."""

    if TYPE_CHECKING:

        @property
        def points(self) -> Sequence[_PlacedPoint]:
            """The chosen points (a field of each subclass)."""

        screening_unanswered: list[str]

    @property
    def facial_codes(self) -> list[str]:
        """Codes of the chosen face/head/neck points (for the locator overlay)."""
        return [point.code for point in self.points if point.region == "face"]

    @property
    def body_codes(self) -> list[str]:
        """Codes of the chosen body points."""
        return [point.code for point in self.points if point.region == "body"]

    @property
    def is_final(self) -> bool:
        """Whether every critical screening question was answered."""
        return not self.screening_unanswered


class Plan(PlanViews, BaseModel):
    """A treatment plan; :meth:`to_json` is the ``acuface plan --json`` shape."""

    model_config = _FROZEN

    planner_version: str
    knowledge_digest: str
    screening_positive: list[str] = Field(
        default_factory=list, description="Screening rules that applied (ids)."
    )
    screening_unanswered: list[str] = Field(
        default_factory=list,
        description="Critical screening questions not yet answered (ids); empty when final.",
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
    session: PlanSession | None = Field(
        default=None, description="None only in plans stored before session mechanics existed."
    )
    disclaimer: str = DISCLAIMER

    def to_json(self) -> dict[str, Any]:
        """Return the ``acuface plan --json`` document, the one the clinic stores.

        Its typed, versioned form is :class:`acuface.planner.snapshot.PlanSnapshot`:
        a key added here is added there too, with a schema version bump.

        The contract keys (``points`` with ``code``/``sides``/``region``/``reasons``/
        ``why``/``technique``, ``needle_count``, ``excluded``, ``cautions``,
        ``screening_unanswered``, ``patterns`` with ``name``/``score``,
        ``course.sessions`` with ``n``/``date``) come first; extra keys add detail
        without changing them.
        """
        return {
            "points": [
                {
                    "code": p.code,
                    "sides": list(p.sides),
                    "region": p.region,
                    "reasons": list(p.reasons),
                    "why": [w.model_dump(mode="json") for w in p.why],
                    "technique": _technique_json(p.technique),
                    "needles": p.needles,
                    "cautions": list(p.cautions),
                }
                for p in self.points
            ],
            "needle_count": self.needle_count,
            "excluded": [{"code": e.code, "why": e.why} for e in self.excluded],
            "cautions": list(self.cautions),
            "screening_unanswered": list(self.screening_unanswered),
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
                "source": list(self.course.source),
            },
            "budget": {"min": self.budget[0], "max": self.budget[1]},
            "concerns": [c.model_dump(mode="json") for c in self.concerns],
            "restrictions": list(self.restrictions),
            "position": self.position,
            "consents": list(self.consents),
            "session": self.session.model_dump(mode="json") if self.session else None,
            "outcomes": [o.model_dump(mode="json") for o in self.outcomes],
            "planner_version": self.planner_version,
            "knowledge_digest": self.knowledge_digest,
            "disclaimer": self.disclaimer,
            "screening_positive": list(self.screening_positive),
        }


def _technique_json(technique: PlanTechnique | None) -> dict[str, Any] | None:
    """Return the contract's technique object: name, depth_cun, angle, needle, retain, note."""
    if technique is None:
        return None
    return {
        "name": technique.name,
        "depth_cun": list(technique.depth_cun),
        "angle": technique.angle,
        "needle": technique.needle,
        "retain": technique.retain,
        "note": technique.note,
    }
