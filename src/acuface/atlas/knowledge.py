"""Planner knowledge as data: concerns, TCM patterns and safety screening.

The three files ``atlas/data/concerns.yaml``, ``patterns.yaml`` and
``screening.yaml`` hold everything the planner knows; the planner's code only
applies them. The pydantic models below are their schema: unknown fields are
rejected (``extra="forbid"``) and every record carries ``source`` ids that
must exist in ``atlas/data/sources.yaml``. A JSON Schema generated from these
models is committed under ``atlas/schema/`` (``knowledge_json_schemas()``
renders it; a test checks the committed copies have not drifted).

Cross-file checks (every point code exists in the atlas, every source id is in
the bibliography, every pattern question and tongue/pulse finding is defined)
run in :func:`load_knowledge`, so bad data fails loudly at load time rather
than producing a quietly wrong plan.
"""

from __future__ import annotations

import json
import threading
from functools import cached_property
from importlib import resources
from typing import Any, Literal

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from acuface.atlas.models import SOURCE_ID_PATTERN, Tag, Zone
from acuface.errors import AtlasError

_STRICT = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)

EvidenceLevel = Literal["rct", "pilot", "observational", "tradition"]
#: Plain-language meaning of each evidence level (used in plans and handouts).
EVIDENCE_LEVEL_TEXT: dict[str, str] = {
    "rct": "some randomised controlled trials, with modest and mixed effects",
    "pilot": "small uncontrolled pilot studies only",
    "observational": "observational reports only",
    "tradition": "traditional practice; no reliable clinical trials",
}


def _check_source_ids(value: list[str]) -> list[str]:
    if len(set(value)) != len(value):
        raise ValueError("a source id is listed twice")
    for source_id in value:
        if not SOURCE_ID_PATTERN.match(source_id):
            raise ValueError(f"source id {source_id!r} is not a valid id")
    return value


class _Record(BaseModel):
    """Base of every knowledge record: strict, frozen, cites its sources."""

    model_config = _STRICT

    source: list[str] = Field(min_length=1, description="Ids from atlas/data/sources.yaml.")

    @field_validator("source")
    @classmethod
    def _sources(cls, value: list[str]) -> list[str]:
        return _check_source_ids(value)


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


class SupportivePoint(_Record):
    """A point added, in list order, when a plan is under the budget minimum."""

    code: str
    why: str = Field(min_length=10)


class ConcernsFile(BaseModel):
    """The layout of ``concerns.yaml``."""

    model_config = ConfigDict(extra="forbid", frozen=True)

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
    source: list[str] = Field(min_length=1)

    @field_validator("source")
    @classmethod
    def _sources(cls, value: list[str]) -> list[str]:
        return _check_source_ids(value)


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
    restriction: Literal["no_electrostimulation", "no_strong_stimulation", "gentle_technique"] | (
        None
    ) = None
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


class ScreeningFile(BaseModel):
    """The layout of ``screening.yaml``."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    rules: list[ScreeningRule] = Field(min_length=12)


# --- loading ------------------------------------------------------------------


class Knowledge(BaseModel):
    """All planner knowledge, validated against the atlas."""

    model_config = ConfigDict(frozen=True)

    concerns: ConcernsFile
    patterns: PatternsFile
    screening: ScreeningFile

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


#: File name -> model, for loading and for the committed JSON Schemas.
KNOWLEDGE_FILES: dict[str, type[BaseModel]] = {
    "concerns.yaml": ConcernsFile,
    "patterns.yaml": PatternsFile,
    "screening.yaml": ScreeningFile,
}

_lock = threading.Lock()
_cache: Knowledge | None = None


def _read_yaml(name: str) -> Any:
    text = resources.files("acuface.atlas").joinpath("data", name).read_text(encoding="utf-8")
    return yaml.safe_load(text)


def _parse(name: str, model: type[BaseModel]) -> Any:
    try:
        return model.model_validate(_read_yaml(name))
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"])
        raise AtlasError(f"atlas/data/{name}: {where}: {first['msg']}") from exc


def _cross_check(knowledge: Knowledge) -> None:
    """Check every reference between the knowledge files and the atlas."""
    from acuface.atlas import load_atlas

    atlas = load_atlas()
    problems: list[str] = []

    def check_code(code: str, where: str) -> None:
        if code not in atlas.points:
            problems.append(f"{where}: point {code!r} is not in the atlas")

    def check_sources(ids: list[str], where: str) -> None:
        for source_id in ids:
            if source_id not in atlas.sources:
                problems.append(f"{where}: source {source_id!r} is not in sources.yaml")

    names: set[str] = set()
    pattern_ids = set(knowledge.patterns_by_id)
    for concern in knowledge.concerns.concerns:
        where = f"concerns.yaml {concern.name}"
        for name in [concern.name, *concern.aliases]:
            if name.lower() in names:
                problems.append(f"{where}: name {name!r} is used twice")
            names.add(name.lower())
        check_sources(concern.source, where)
        if len(set(concern.codes)) != len(concern.codes):
            problems.append(f"{where}: a point is listed twice")
        for code in concern.codes:
            check_code(code, where)
        for pattern_id in concern.related_patterns:
            if pattern_id not in pattern_ids:
                problems.append(f"{where}: unknown pattern {pattern_id!r}")
    for supportive in knowledge.concerns.supportive:
        check_code(supportive.code, "concerns.yaml supportive")
        check_sources(supportive.source, f"concerns.yaml supportive {supportive.code}")

    check_sources(knowledge.patterns.source, "patterns.yaml")
    known = {
        "question": knowledge.question_ids,
        "tongue": knowledge.tongue_ids,
        "pulse": knowledge.pulse_ids,
    }
    for pattern in knowledge.patterns.patterns:
        where = f"patterns.yaml {pattern.id}"
        check_sources(pattern.source, where)
        for sign in pattern.signs:
            if sign.id not in known[sign.kind]:
                problems.append(f"{where}: unknown {sign.kind} sign {sign.id!r}")
        for point in pattern.points:
            check_code(point.code, where)

    for rule in knowledge.screening.rules:
        where = f"screening.yaml {rule.id}"
        check_sources(rule.source, where)
        for effect in rule.effects:
            for code in effect.codes:
                check_code(code, where)
            if effect.from_answer and rule.answer == "yes_no":
                problems.append(f"{where}: from_answer needs a zones or procedure answer")
    if problems:
        raise AtlasError("planner knowledge is inconsistent: " + "; ".join(problems))


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
    global _cache
    if _cache is not None:
        return _cache
    with _lock:
        if _cache is None:
            knowledge = Knowledge(
                concerns=_parse("concerns.yaml", ConcernsFile),
                patterns=_parse("patterns.yaml", PatternsFile),
                screening=_parse("screening.yaml", ScreeningFile),
            )
            _cross_check(knowledge)
            _cache = knowledge
    return _cache


def knowledge_json_schemas() -> dict[str, str]:
    """Return the JSON Schemas of the knowledge files, rendered as text.

    Returns
    -------
    dict of str to str
        Schema file name (``"concerns.schema.json"`` ...) -> JSON text ending in a
        newline, stable across runs so committed copies compare byte for byte.
    """
    out: dict[str, str] = {}
    for name, model in KNOWLEDGE_FILES.items():
        schema = model.model_json_schema()
        schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
        out[name.replace(".yaml", ".schema.json")] = (
            json.dumps(schema, indent=2, ensure_ascii=False) + "\n"
        )
    return out
