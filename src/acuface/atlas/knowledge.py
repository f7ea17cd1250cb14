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
from acuface.atlas.models import Tag, Zone
from acuface.errors import AtlasError

_STRICT = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)

EvidenceLevel = Literal["rct", "pilot", "observational", "tradition"]


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

    @cached_property
    def codes(self) -> list[str]:
        """Point codes in order of importance."""
        return [point.code for point in self.points]


class EvidenceLevelText(_Record):
    """What an evidence level means, in the words plans and handouts use."""

    id: EvidenceLevel
    text: str = Field(min_length=10)


class SupportivePoint(_Record):
    """A point added, in list order, when a plan is under the budget minimum."""

    code: str
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
        description="Fill-up order when a plan has fewer needles than the budget minimum.",
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
    "remove_points",
    "remove_zones",
    "caution",
    "reduce_budget",
    "position",
    "restrict",
    "consent",
]


class Effect(BaseModel):
    """What a positive screening answer does to the plan.

    - ``block``: no treatment today (``TreatmentBlocked``).
    - ``remove_points``: drop points by ``codes`` and/or atlas ``tags``.
    - ``remove_zones``: drop points in ``zones``; with ``from_answer`` the zones
      named in the answer (e.g. where an open lesion is).
    - ``caution``: a note for the practitioner.
    - ``reduce_budget``: cap the needle budget at ``max_needles`` (and lower the
      minimum to ``min_needles`` when the practice default is in use).
    - ``position``: the client's position (e.g. lying down).
    - ``restrict``: a technique restriction (e.g. no electro-stimulation).
    - ``consent``: consent that must be on file before treatment.
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
    position: Literal["lying", "sitting"] | None = None
    restriction: RestrictionId | None = None
    within_days: int | None = Field(
        default=None,
        ge=1,
        description="For procedure answers: the effect applies only this many days after it.",
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


AnswerKind = Literal["yes_no", "zones", "procedure"]


class ScreeningRule(_Record):
    """One screening condition: its question and what a positive answer does."""

    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    label: str = Field(min_length=3)
    question: str = Field(min_length=10)
    answer: AnswerKind = Field(
        description=(
            "yes_no: true/false; zones: list of zones where the condition is (empty = no); "
            "procedure: {zones: [...], days_ago: int}."
        )
    )
    effects: list[Effect] = Field(min_length=1)


RestrictionId = Literal["no_electrostimulation", "no_strong_stimulation", "gentle_technique"]


class Restriction(_Record):
    """A technique restriction a screening rule can ask for, in plain words."""

    id: RestrictionId
    text: str = Field(min_length=5, description="How plans and notes state it.")


class ScreeningFile(BaseModel):
    """The layout of ``screening.yaml``."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    restrictions: list[Restriction] = Field(min_length=1)
    rules: list[ScreeningRule] = Field(min_length=12)


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


class PracticeFile(BaseModel):
    """The layout of ``practice.yaml``: the practice's defaults for planning."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    budget: BudgetDefault
    course: CourseDefault


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

    @cached_property
    def evidence_text(self) -> dict[str, str]:
        """Evidence level id -> its plain-language meaning."""
        return {level.id: level.text for level in self.concerns.evidence_levels}

    @cached_property
    def restriction_text(self) -> dict[str, str]:
        """Restriction id -> how plans state it."""
        return {r.id: r.text for r in self.screening.restrictions}

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
#: Data files whose content decides a plan (hashed into ``Plan.knowledge_digest``).
KNOWLEDGE_FILES: tuple[str, ...] = ("concerns", "patterns", "screening", "practice")


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
    files = (CONCERNS, PATTERNS, SCREENING, PRACTICE, SCALES)
    return {f.schema_name: f.schema_text() for f in files}
