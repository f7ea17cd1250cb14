"""Planner knowledge as data: concerns, TCM patterns and safety screening.

The files ``atlas/data/concerns.yaml``, ``patterns.yaml`` and
``screening.yaml`` hold everything the planner knows; the planner's code only
applies them. The pydantic models below are their schema: unknown fields are
rejected (``extra="forbid"``) and every record carries ``source`` ids. The
files are read by the data-file registry (:mod:`acuface.atlas.datafiles`),
which also checks every source id against ``sources.yaml`` and exports the
JSON Schemas committed under ``atlas/schema/``.

Cross-file checks (every point code exists in the atlas, every pattern
question and tongue/pulse finding is defined) run in :func:`load_knowledge`,
so bad data fails loudly at load time rather than producing a quietly wrong
plan.
"""

from __future__ import annotations

from functools import cached_property
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from acuface.atlas import datafiles
from acuface.atlas.datafiles import DataFile, SourceIds, register
from acuface.atlas.loader import load_atlas
from acuface.atlas.models import Manipulation, Region, Tag, TechniqueUse, Zone
from acuface.errors import AtlasError

_STRICT = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)

EvidenceLevel = Literal["rct", "low", "pilot", "observational", "tradition"]


class _Record(BaseModel):
    """Base of every knowledge record: strict, frozen, cites its sources."""

    model_config = _STRICT

    source: SourceIds


# --- concerns -----------------------------------------------------------------


class ConcernPoint(BaseModel):
    """One point a concern uses, with the reason in plain words."""

    model_config = _STRICT

    code: str = Field(description="Atlas point code, e.g. 'ST2'.")
    why: str = Field(min_length=10, description="Why this point serves the concern.")


class Concern(_Record):
    """A cosmetic or wellbeing concern the practice addresses.

    ``points`` are in order of importance: the planner takes every concern's
    first point before any concern's second one, so a low-priority concern is
    never crowded out entirely.
    """

    name: str = Field(pattern=r"^[a-z][a-z0-9_]*$", description="Stable id, e.g. 'wrinkles'.")
    label: str = Field(min_length=3, description="Display name.")
    aliases: list[str] = Field(default_factory=list, description="Other accepted names.")
    description: str = Field(min_length=10, description="What the concern is, for practitioners.")
    zones: list[Zone] = Field(min_length=1, description="Face or body zones involved.")
    points: list[ConcernPoint] = Field(min_length=1, description="Points, most important first.")
    related_patterns: list[str] = Field(
        default_factory=list,
        description="Pattern ids often seen with this concern (shown as a hint, never scored).",
    )
    outcome: str = Field(min_length=20, description="What may be expected, stated honestly.")
    evidence_level: EvidenceLevel = Field(description="Strength of the evidence for the outcome.")
    technique: TechniqueUse = Field(
        default="standard",
        description="Which technique record its facial points use (body points: standard).",
    )
    fill: bool = Field(
        default=False,
        description=(
            "A cosmetic concern whose plan may be filled toward the practice range with "
            "points serving its zones; false: the plan uses only the points it needs."
        ),
    )

    @cached_property
    def codes(self) -> list[str]:
        """Point codes in order of importance."""
        return [point.code for point in self.points]


class EvidenceLevelText(_Record):
    """What an evidence level means, in the words plans and handouts use."""

    id: EvidenceLevel
    text: str = Field(min_length=10)


class SupportivePoint(_Record):
    """A point that may fill a cosmetic plan toward the practice range.

    Only for concerns with ``fill: true``, only when the point serves one of
    their zones, never when screening removes it or asks for the fewest needles.
    """

    code: str
    why: str = Field(min_length=10)


class PointLimit(_Record):
    """At most ``max_points`` of these points in one plan (the rest are left out, with why)."""

    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    codes: list[str] = Field(min_length=2, description="Points of the group, best first.")
    max_points: int = Field(ge=1)
    why: str = Field(min_length=10)


class ConcernsFile(BaseModel):
    """The layout of ``concerns.yaml``."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    evidence_levels: list[EvidenceLevelText] = Field(
        min_length=1, description="Plain-language meaning of each evidence level."
    )
    concerns: list[Concern] = Field(min_length=1)
    supportive: list[SupportivePoint] = Field(
        min_length=1,
        description="Fill order for cosmetic plans under the practice range (see SupportivePoint).",
    )
    limits: list[PointLimit] = Field(
        default_factory=list, description="Groups of points a plan may use only some of."
    )


# --- patterns -----------------------------------------------------------------


class Question(BaseModel):
    """A yes/no question of the pattern questionnaire."""

    model_config = _STRICT

    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    text: str = Field(min_length=10)


class Finding(BaseModel):
    """A tongue or pulse finding the practitioner can record."""

    model_config = _STRICT

    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    text: str = Field(min_length=3)


class Sign(BaseModel):
    """One sign of a pattern: a yes answer, a tongue or a pulse finding, with a weight."""

    model_config = _STRICT

    kind: Literal["question", "tongue", "pulse"]
    id: str
    weight: float = Field(default=1.0, gt=0, le=3)


class PatternPoint(BaseModel):
    """A distal point that addresses a pattern, with its reason."""

    model_config = _STRICT

    code: str
    why: str = Field(min_length=10)


class Pattern(_Record):
    """A TCM pattern the practice reasons with."""

    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    name: str = Field(min_length=3)
    description: str = Field(min_length=10)
    signs: list[Sign] = Field(min_length=2)
    points: list[PatternPoint] = Field(min_length=1, description="Distal points, best first.")

    @cached_property
    def total_weight(self) -> float:
        """Sum of all sign weights: the score's denominator."""
        return float(sum(sign.weight for sign in self.signs))


class PatternSelection(BaseModel):
    """When a scored pattern counts as active (and contributes its points)."""

    model_config = _STRICT

    min_score: float = Field(gt=0, le=1, description="Share of the sign weight that must match.")
    min_signs: int = Field(ge=1, description="At least this many signs must match.")
    max_active: int = Field(ge=1, description="Only the best N patterns contribute points.")
    points_per_pattern: int = Field(ge=1, description="Points taken from each active pattern.")


class PatternsFile(BaseModel):
    """The layout of ``patterns.yaml``."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    selection: PatternSelection
    questions: list[Question] = Field(min_length=1)
    tongue: list[Finding] = Field(min_length=1)
    pulse: list[Finding] = Field(min_length=1)
    patterns: list[Pattern] = Field(min_length=1)
    source: SourceIds


# --- screening ----------------------------------------------------------------

EffectKind = Literal[
    "block",
    "refer",
    "remove_points",
    "remove_zones",
    "caution",
    "reduce_budget",
    "fewest_needles",
    "position",
    "restrict",
    "consent",
]
PositionId = Literal["side_lying", "supine", "seated"]


class Effect(BaseModel):
    """What a positive screening answer does to the plan.

    - ``block``: no treatment today (``TreatmentBlocked``).
    - ``refer``: a red flag: refer to a physician before any needling (``ReferralNeeded``).
    - ``remove_points``: drop points by ``codes`` and/or atlas ``tags``.
    - ``remove_zones``: drop points in ``zones``; with ``from_answer`` the zones
      named in the answer (e.g. where an open lesion is).
    - ``caution``: a note for the practitioner; with ``codes``/``tags``/``zones``
      (or ``from_answer``) it is attached to the matching points instead.
    - ``reduce_budget``: cap the needle budget at ``max_needles`` (and lower the
      minimum to ``min_needles`` when the practice default is in use).
    - ``fewest_needles``: no filling toward the practice range, shorter retention.
    - ``position``: the client's position (``supine``, ``side_lying``, ``seated``).
    - ``restrict``: a technique restriction (its point filters live in ``restrictions``).
    - ``consent``: consent that must be on file before treatment.

    ``within_days`` limits an effect to a period after a procedure; ``from_week``
    limits it to pregnancy from that week on (an unknown week counts as reached).
    """

    model_config = _STRICT

    kind: EffectKind
    why: str = Field(min_length=10, description="Why, in plain words.")
    codes: list[str] = Field(default_factory=list)
    tags: list[Tag] = Field(default_factory=list)
    zones: list[Zone] = Field(default_factory=list)
    from_answer: bool = False
    max_needles: int | None = Field(default=None, ge=1)
    min_needles: int | None = Field(default=None, ge=0)
    position: PositionId | None = None
    restriction: RestrictionId | None = None
    within_days: int | None = Field(
        default=None,
        ge=1,
        description="For procedure answers: the effect applies only this many days after it.",
    )
    from_week: int | None = Field(
        default=None,
        ge=1,
        le=42,
        description="For pregnancy answers: the effect applies from this week of pregnancy.",
    )

    @model_validator(mode="after")
    def _fields_for_kind(self) -> Effect:
        needs = {
            "remove_points": bool(self.codes or self.tags),
            "remove_zones": bool(self.zones or self.from_answer),
            "reduce_budget": self.max_needles is not None,
            "position": self.position is not None,
            "restrict": self.restriction is not None,
        }
        if not needs.get(self.kind, True):
            raise ValueError(f"effect {self.kind!r} is missing the field that says what it does")
        if (
            self.max_needles is not None
            and self.min_needles is not None
            and self.min_needles > self.max_needles
        ):
            raise ValueError("min_needles is greater than max_needles")
        return self

    @property
    def targets_points(self) -> bool:
        """Whether the effect names points (by code, tag, zone or the answer's zones)."""
        return bool(self.codes or self.tags or self.zones or self.from_answer)


AnswerKind = Literal["yes_no", "zones", "procedure", "pregnancy"]


class ScreeningRule(_Record):
    """One screening condition: its question and what a positive answer does."""

    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    label: str = Field(min_length=3)
    question: str = Field(min_length=10)
    answer: AnswerKind = Field(
        description=(
            "yes_no: true/false; zones: list of zones where the condition is (empty = no); "
            "procedure: {zones: [...], days_ago: int}; pregnancy: false, true or {week: N}."
        )
    )
    critical: bool = Field(
        default=False,
        description="Must be answered before a plan is final (unanswered is not 'no').",
    )
    critical_for: list[str] = Field(
        default_factory=list,
        description="Concern names for which this question must be answered (red flags).",
    )
    offered_zones: list[Zone] = Field(
        default_factory=list,
        description="For zones/procedure answers: the zones a form offers (empty: the face's).",
    )
    effects: list[Effect] = Field(min_length=1)


RestrictionId = Literal["no_electrostimulation", "no_strong_stimulation", "gentle_technique"]


class PointFilter(BaseModel):
    """What a restriction does to the points it matches.

    ``remove`` leaves them out; ``soften`` limits their technique (depth,
    manipulation, pressure after withdrawal); ``caution`` adds a note to them.
    A filter matches points by ``codes``, atlas ``tags`` or ``zones``, or every
    point with ``all_points``.
    """

    model_config = _STRICT

    action: Literal["remove", "soften", "caution"]
    why: str = Field(min_length=10)
    codes: list[str] = Field(default_factory=list)
    tags: list[Tag] = Field(default_factory=list)
    zones: list[Zone] = Field(default_factory=list)
    all_points: bool = False
    max_depth_cun: float | None = Field(default=None, gt=0, le=3)
    manipulation: Manipulation | None = None
    pressure_after: bool | None = None

    @model_validator(mode="after")
    def _complete(self) -> PointFilter:
        if not (self.codes or self.tags or self.zones or self.all_points):
            raise ValueError("a point filter must match codes, tags, zones or all_points")
        limits = (self.max_depth_cun, self.manipulation, self.pressure_after)
        if self.action == "soften" and all(v is None for v in limits):
            raise ValueError("a soften filter needs max_depth_cun, manipulation or pressure_after")
        return self


class Restriction(_Record):
    """A technique restriction a screening rule can ask for, and what it does to points."""

    id: RestrictionId
    text: str = Field(min_length=5, description="How plans and notes state it.")
    filters: list[PointFilter] = Field(
        default_factory=list, description="Applied to every candidate point of the plan."
    )


class ScreeningFile(BaseModel):
    """The layout of ``screening.yaml``."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    restrictions: list[Restriction] = Field(min_length=1)
    rules: list[ScreeningRule] = Field(min_length=1)


# --- practice defaults and outcome scales ---------------------------------------


class BudgetDefault(_Record):
    """The practice's default needle budget: a ceiling, with a fill target below it."""

    min_needles: int = Field(ge=0, description="Filling target where filling is allowed.")
    max_needles: int = Field(ge=1, description="The ceiling; never exceeded.")
    why: str = Field(min_length=10)

    @model_validator(mode="after")
    def _order(self) -> BudgetDefault:
        if self.min_needles > self.max_needles:
            raise ValueError("min_needles is greater than max_needles")
        return self


class CourseDefault(_Record):
    """The default course of sessions (every value can be changed per plan)."""

    initial_sessions: int = Field(ge=1, le=30)
    initial_weeks: float = Field(gt=0, le=26)
    maintenance_sessions: int = Field(ge=0, le=24)
    maintenance_interval_days: int = Field(ge=1, le=180)
    why: str = Field(min_length=10, description="Where the schedule comes from, for plans.")


class PositionSpec(_Record):
    """A treatment position and which needles may not stay in while the client lies so."""

    id: PositionId
    label: str = Field(min_length=3, description="In plain words, e.g. 'lying face up'.")
    no_retain_tags: list[Tag] = Field(
        default_factory=list,
        description="Points with these tags are needled and withdrawn (not retained).",
    )
    why: str = Field(min_length=10)


class InsertionStage(BaseModel):
    """One stage of the insertion order; a point goes to the first stage that matches it."""

    model_config = _STRICT

    name: str = Field(min_length=3)
    not_retained: bool = Field(default=False, description="Points that are not retained.")
    regions: list[Region] = Field(default_factory=list)
    codes: list[str] = Field(default_factory=list)
    top_down: bool = Field(default=False, description="Order by zone, top of the head first.")


class SessionDefaults(_Record):
    """How a session runs: position, insertion and removal order, retention, count check."""

    default_position: PositionId
    positions: list[PositionSpec] = Field(
        min_length=1, description="Most protective first: when rules disagree, the first wins."
    )
    insertion: list[InsertionStage] = Field(min_length=1)
    zone_order_top_down: list[Zone] = Field(min_length=1)
    removal: Literal["reverse"] = Field(description="Removal order relative to insertion.")
    removal_why: str = Field(min_length=10)
    retention_minutes: tuple[int, int]
    fewest_retention_minutes: tuple[int, int] = Field(
        description="Retention when screening asks for the fewest needles."
    )
    count_check: str = Field(min_length=10, description="The needle count in/out instruction.")

    @model_validator(mode="after")
    def _default_is_defined(self) -> SessionDefaults:
        ids = [p.id for p in self.positions]
        if self.default_position not in ids:
            raise ValueError(f"default_position {self.default_position!r} is not in positions")
        return self


class AftercareItem(_Record):
    """One piece of aftercare a treatment note can record as given."""

    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    text: str = Field(min_length=10)


class PracticeFile(BaseModel):
    """The layout of ``practice.yaml``: the practice's defaults for planning."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    budget: BudgetDefault
    course: CourseDefault
    session: SessionDefaults
    aftercare: list[AftercareItem] = Field(min_length=1)


class AdverseEventKind(_Record):
    """A kind of adverse event a treatment note can record."""

    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$", max_length=20)
    label: str = Field(min_length=3)
    description: str = Field(min_length=10)
    action: str = Field(min_length=10, description="What to do, in plain words.")
    serious: bool = Field(default=False, description="Needs medical attention or a referral.")


class AdverseEventsFile(BaseModel):
    """The layout of ``adverse_events.yaml``."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    events: list[AdverseEventKind] = Field(min_length=1)


class OutcomeScale(_Record):
    """An outcome scale the clinic records: its range, who rates it, what it fits."""

    name: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    label: str = Field(min_length=3)
    min_value: int
    max_value: int
    unit: str | None = Field(default=None, description="Unit of the value, if not points.")
    rater: Literal["practitioner", "client"]
    higher_is_better: bool
    description: str = Field(min_length=10)
    concerns: list[str] = Field(
        default_factory=list, description="Concern names this scale measures (empty: any)."
    )

    @model_validator(mode="after")
    def _range(self) -> OutcomeScale:
        if self.min_value >= self.max_value:
            raise ValueError("min_value must be below max_value")
        return self


class ScalesFile(BaseModel):
    """The layout of ``scales.yaml``."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    scales: list[OutcomeScale] = Field(min_length=1)


# --- loading ------------------------------------------------------------------


class Knowledge(BaseModel):
    """All planner knowledge, validated against the atlas."""

    model_config = ConfigDict(frozen=True)

    concerns: ConcernsFile
    patterns: PatternsFile
    screening: ScreeningFile
    practice: PracticeFile
    scales: ScalesFile
    adverse_events: AdverseEventsFile

    @cached_property
    def concerns_by_name(self) -> dict[str, Concern]:
        """Concern name and each alias (lower case) -> concern."""
        out: dict[str, Concern] = {}
        for concern in self.concerns.concerns:
            out[concern.name] = concern
            for alias in concern.aliases:
                out[alias.lower()] = concern
        return out

    @cached_property
    def patterns_by_id(self) -> dict[str, Pattern]:
        """Pattern id -> pattern."""
        return {pattern.id: pattern for pattern in self.patterns.patterns}

    @cached_property
    def rules_by_id(self) -> dict[str, ScreeningRule]:
        """Screening rule id -> rule."""
        return {rule.id: rule for rule in self.screening.rules}

    @cached_property
    def scales_by_name(self) -> dict[str, OutcomeScale]:
        """Outcome scale name -> scale, in file order."""
        return {scale.name: scale for scale in self.scales.scales}

    def scales_for(self, concern_names: list[str]) -> list[OutcomeScale]:
        """Return the outcome scales that fit any of *concern_names*, then the general ones."""
        names = set(concern_names)
        fitting = [s for s in self.scales.scales if names.intersection(s.concerns)]
        general = [s for s in self.scales.scales if not s.concerns]
        return fitting + general

    @cached_property
    def adverse_events_by_id(self) -> dict[str, AdverseEventKind]:
        """Adverse event kind id -> kind, in file order."""
        return {e.id: e for e in self.adverse_events.events}

    @cached_property
    def aftercare_by_id(self) -> dict[str, AftercareItem]:
        """Aftercare id -> item, in file order."""
        return {a.id: a for a in self.practice.aftercare}

    @cached_property
    def evidence_text(self) -> dict[str, str]:
        """Evidence level id -> its plain-language meaning."""
        return {level.id: level.text for level in self.concerns.evidence_levels}

    @cached_property
    def restriction_text(self) -> dict[str, str]:
        """Restriction id -> how plans state it."""
        return {r.id: r.text for r in self.screening.restrictions}

    @cached_property
    def restrictions_by_id(self) -> dict[str, Restriction]:
        """Restriction id -> restriction (with its point filters)."""
        return {r.id: r for r in self.screening.restrictions}

    @cached_property
    def positions_by_id(self) -> dict[str, PositionSpec]:
        """Position id -> position, in order of protection (first wins)."""
        return {p.id: p for p in self.practice.session.positions}

    @cached_property
    def question_ids(self) -> frozenset[str]:
        """Ids of the pattern questions."""
        return frozenset(q.id for q in self.patterns.questions)

    @cached_property
    def tongue_ids(self) -> frozenset[str]:
        """Ids of the tongue findings."""
        return frozenset(f.id for f in self.patterns.tongue)

    @cached_property
    def pulse_ids(self) -> frozenset[str]:
        """Ids of the pulse findings."""
        return frozenset(f.id for f in self.patterns.pulse)


#: The planner's knowledge files, read by the data-file registry.
CONCERNS: DataFile[ConcernsFile] = register(
    DataFile(
        name="concerns",
        model=ConcernsFile,
        package="acuface.atlas",
        filename="concerns.yaml",
        description="concerns: zones, points, outcomes, evidence",
    )
)
PATTERNS: DataFile[PatternsFile] = register(
    DataFile(
        name="patterns",
        model=PatternsFile,
        package="acuface.atlas",
        filename="patterns.yaml",
        description="TCM pattern questions, findings, signs and points",
    )
)
SCREENING: DataFile[ScreeningFile] = register(
    DataFile(
        name="screening",
        model=ScreeningFile,
        package="acuface.atlas",
        filename="screening.yaml",
        description="safety screening: questions and what each answer does",
    )
)
PRACTICE: DataFile[PracticeFile] = register(
    DataFile(
        name="practice",
        model=PracticeFile,
        package="acuface.atlas",
        filename="practice.yaml",
        description="the practice's planning defaults: budget and course",
    )
)
SCALES: DataFile[ScalesFile] = register(
    DataFile(
        name="scales",
        model=ScalesFile,
        package="acuface.atlas",
        filename="scales.yaml",
        description="outcome scales the clinic records, and the concerns they fit",
    )
)
ADVERSE_EVENTS: DataFile[AdverseEventsFile] = register(
    DataFile(
        name="adverse_events",
        model=AdverseEventsFile,
        package="acuface.atlas",
        filename="adverse_events.yaml",
        description="adverse events a treatment note records, and what to do",
    )
)
#: Data files whose content decides a plan (hashed into ``Plan.knowledge_digest``).
KNOWLEDGE_FILES: tuple[str, ...] = ("concerns", "patterns", "screening", "practice", "points")


def _cross_check(knowledge: Knowledge) -> None:
    """Check every reference between the knowledge files and the atlas."""
    atlas = load_atlas()
    problems: list[str] = []

    def check_code(code: str, where: str) -> None:
        if code not in atlas.points:
            problems.append(f"{where}: point {code!r} is not in the atlas")

    names: set[str] = set()
    pattern_ids = set(knowledge.patterns_by_id)
    for concern in knowledge.concerns.concerns:
        where = f"concerns.yaml {concern.name}"
        for name in [concern.name, *concern.aliases]:
            if name.lower() in names:
                problems.append(f"{where}: name {name!r} is used twice")
            names.add(name.lower())
        if len(set(concern.codes)) != len(concern.codes):
            problems.append(f"{where}: a point is listed twice")
        for code in concern.codes:
            check_code(code, where)
        for pattern_id in concern.related_patterns:
            if pattern_id not in pattern_ids:
                problems.append(f"{where}: unknown pattern {pattern_id!r}")
    for supportive in knowledge.concerns.supportive:
        check_code(supportive.code, "concerns.yaml supportive")

    known = {
        "question": knowledge.question_ids,
        "tongue": knowledge.tongue_ids,
        "pulse": knowledge.pulse_ids,
    }
    for pattern in knowledge.patterns.patterns:
        where = f"patterns.yaml {pattern.id}"
        for sign in pattern.signs:
            if sign.id not in known[sign.kind]:
                problems.append(f"{where}: unknown {sign.kind} sign {sign.id!r}")
        for point in pattern.points:
            check_code(point.code, where)

    concern_names = {c.name for c in knowledge.concerns.concerns}
    for limit in knowledge.concerns.limits:
        for code in limit.codes:
            check_code(code, f"concerns.yaml limit {limit.id}")
    for rule in knowledge.screening.rules:
        for name in rule.critical_for:
            if name not in concern_names:
                problems.append(f"screening.yaml {rule.id}: critical_for unknown concern {name!r}")
        for effect in rule.effects:
            if effect.from_week is not None and rule.answer != "pregnancy":
                problems.append(f"screening.yaml {rule.id}: from_week needs a pregnancy answer")
            if effect.within_days is not None and rule.answer != "procedure":
                problems.append(f"screening.yaml {rule.id}: within_days needs a procedure answer")
            if effect.position is not None and effect.position not in knowledge.positions_by_id:
                problems.append(f"screening.yaml {rule.id}: position {effect.position!r} undefined")
    for restriction in knowledge.screening.restrictions:
        for point_filter in restriction.filters:
            for code in point_filter.codes:
                check_code(code, f"screening.yaml restriction {restriction.id}")
    for stage in knowledge.practice.session.insertion:
        for code in stage.codes:
            check_code(code, f"practice.yaml insertion stage {stage.name!r}")
    for scale in knowledge.scales.scales:
        for name in scale.concerns:
            if name not in concern_names:
                problems.append(f"scales.yaml {scale.name}: unknown concern {name!r}")
    for concern in knowledge.concerns.concerns:
        if concern.evidence_level not in knowledge.evidence_text:
            problems.append(
                f"concerns.yaml {concern.name}: evidence level {concern.evidence_level!r} "
                "is not defined under evidence_levels"
            )
    for rule in knowledge.screening.rules:
        where = f"screening.yaml {rule.id}"
        for effect in rule.effects:
            for code in effect.codes:
                check_code(code, where)
            if (
                effect.restriction is not None
                and effect.restriction not in knowledge.restriction_text
            ):
                problems.append(f"{where}: restriction {effect.restriction!r} is not defined")
            if effect.from_answer and rule.answer == "yes_no":
                problems.append(f"{where}: from_answer needs a zones or procedure answer")
    if problems:
        raise AtlasError("planner knowledge is inconsistent: " + "; ".join(problems))


def _build_knowledge() -> Knowledge:
    knowledge = Knowledge(
        concerns=CONCERNS.load(),
        patterns=PATTERNS.load(),
        screening=SCREENING.load(),
        practice=PRACTICE.load(),
        scales=SCALES.load(),
        adverse_events=ADVERSE_EVENTS.load(),
    )
    _cross_check(knowledge)
    return knowledge


def load_knowledge() -> Knowledge:
    """Load and cross-check concerns, patterns and screening (cached, thread-safe).

    Returns
    -------
    Knowledge
        The validated knowledge; the same object on every call.

    Raises
    ------
    AtlasError
        A file does not match its schema or refers to an unknown point,
        source, pattern, question or finding.
    """
    knowledge: Knowledge = datafiles.cached("knowledge", _build_knowledge)
    return knowledge


def knowledge_json_schemas() -> dict[str, str]:
    """Return the JSON Schemas of the knowledge files, rendered as text.

    Returns
    -------
    dict of str to str
        Schema file name (``"concerns.schema.json"`` ...) -> JSON text ending in a
        newline, stable across runs so committed copies compare byte for byte.
    """
    files = (CONCERNS, PATTERNS, SCREENING, PRACTICE, SCALES, ADVERSE_EVENTS)
    return {f.schema_name: f.schema_text() for f in files}
