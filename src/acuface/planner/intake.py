"""Intake: what the practitioner learns before planning, and its validation.

An :class:`Intake` holds the client's concerns (with priority), the pattern
questionnaire answers, the safety-screening answers, optional tongue and pulse
findings, age and practitioner overrides. :func:`load_answers` reads an
answers YAML file and reports problems with the line and field named;
:func:`check_intake` checks every id against the knowledge files.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from pathlib import Path
from typing import Any, Literal, get_args

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from acuface.atlas.knowledge import Concern, Knowledge, load_knowledge
from acuface.atlas.models import FACIAL_ZONE_ORDER, Zone
from acuface.errors import InvalidAnswers, UnknownConcern

ALL_ZONES: tuple[str, ...] = get_args(Zone)
#: Age below which the ``under_18`` screening rule applies.
ADULT_AGE = 18


class ConcernRequest(BaseModel):
    """A concern named at intake; priority 1 is the most important."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(min_length=1)
    priority: int = Field(default=1, ge=1, le=9)


class ProcedureAnswer(BaseModel):
    """A recent cosmetic procedure: where, and how many days ago (None = unknown)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    zones: list[Zone] = Field(min_length=1)
    days_ago: int | None = Field(default=None, ge=0)


class PregnancyAnswer(BaseModel):
    """A pregnancy: in which week (None = not known yet)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    week: int | None = Field(default=None, ge=1, le=42)


class Overrides(BaseModel):
    """Practitioner overrides: point codes to add to or remove from the plan."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    add: list[str] = Field(default_factory=list)
    remove: list[str] = Field(default_factory=list)


ScreeningAnswer = bool | list[Zone] | ProcedureAnswer | PregnancyAnswer


class Intake(BaseModel):
    """Everything the planner needs to know about one client today."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    concerns: list[ConcernRequest] = Field(default_factory=list)
    answers: dict[str, bool] = Field(
        default_factory=dict, description="Pattern questionnaire: question id -> yes/no."
    )
    screening: dict[str, ScreeningAnswer] = Field(
        default_factory=dict,
        description=(
            "Screening rule id -> yes/no, a list of zones, a procedure or a pregnancy answer. "
            "A question left out is unanswered, never 'no'."
        ),
    )
    tongue: list[str] = Field(default_factory=list, description="Tongue finding ids.")
    pulse: list[str] = Field(default_factory=list, description="Pulse finding ids.")
    age: int | None = Field(default=None, ge=0, le=120)
    overrides: Overrides = Field(default_factory=Overrides)

    @field_validator("concerns", mode="before")
    @classmethod
    def _names_as_requests(cls, value: Any) -> Any:
        # Accept plain names ("wrinkles") as priority-1 requests for convenience.
        if isinstance(value, list):
            return [{"name": item} if isinstance(item, str) else item for item in value]
        return value


def closest(name: str, choices: Iterable[str], n: int = 3) -> list[str]:
    """Return up to *n* valid names closest to *name* (for "did you mean")."""
    return difflib.get_close_matches(name, sorted(set(choices)), n=n, cutoff=0.5)


def _did_you_mean(name: str, choices: Iterable[str]) -> str:
    near = closest(name, choices)
    return f" (did you mean {', '.join(near)}?)" if near else ""


def resolve_concern(name: str, knowledge: Knowledge | None = None) -> Concern:
    """Return the concern called *name* (or one of its aliases).

    Raises
    ------
    UnknownConcern
        With the closest valid names.
    """
    knowledge = knowledge or load_knowledge()
    key = name.strip().lower().replace("-", "_").replace(" ", "_")
    concern = knowledge.concerns_by_name.get(key)
    if concern is None:
        raise UnknownConcern(
            f"unknown concern {name!r}{_did_you_mean(key, knowledge.concerns_by_name)}; "
            "`acuface concerns` lists them"
        )
    return concern


class _FieldProblem(Exception):
    """An intake problem at a field path (turned into InvalidAnswers by callers)."""

    def __init__(self, path: tuple[str | int, ...], message: str) -> None:
        super().__init__(message)
        self.path = path
        self.message = message


def _field_name(path: tuple[str | int, ...]) -> str:
    return ".".join(str(part) for part in path) or "(top level)"


def _check(intake: Intake, knowledge: Knowledge) -> None:
    for question_id in intake.answers:
        if question_id not in knowledge.question_ids:
            raise _FieldProblem(
                ("answers", question_id),
                f"unknown question {question_id!r}"
                f"{_did_you_mean(question_id, knowledge.question_ids)}",
            )
    for kind, found, known in (
        ("tongue", intake.tongue, knowledge.tongue_ids),
        ("pulse", intake.pulse, knowledge.pulse_ids),
    ):
        for index, finding in enumerate(found):
            if finding not in known:
                raise _FieldProblem(
                    (kind, index),
                    f"unknown {kind} finding {finding!r}{_did_you_mean(finding, known)}",
                )
    for rule_id, answer in intake.screening.items():
        rule = knowledge.rules_by_id.get(rule_id)
        if rule is None:
            raise _FieldProblem(
                ("screening", rule_id),
                f"unknown screening condition {rule_id!r}"
                f"{_did_you_mean(rule_id, knowledge.rules_by_id)}",
            )
        ok = {
            "yes_no": isinstance(answer, bool),
            # A bare "no" is accepted for zones and procedures: nothing to skip.
            "zones": isinstance(answer, list) or answer is False,
            "procedure": isinstance(answer, ProcedureAnswer) or answer is False,
            "pregnancy": isinstance(answer, (bool, PregnancyAnswer)),
        }[rule.answer]
        if not ok:
            expected = {
                "yes_no": "yes or no",
                "zones": f"a list of zones ({', '.join(ALL_ZONES)}) or no",
                "procedure": "{zones: [...], days_ago: N} or no",
                "pregnancy": "yes, no or {week: N}",
            }[rule.answer]
            raise _FieldProblem(("screening", rule_id), f"expected {expected}")
    if intake.age is not None and intake.screening.get("under_18") is not None:
        if (intake.age < ADULT_AGE) != intake.screening["under_18"]:
            raise _FieldProblem(
                ("screening", "under_18"),
                f"contradicts age {intake.age}",
            )


def check_intake(intake: Intake, knowledge: Knowledge | None = None) -> None:
    """Check every id in *intake* against the knowledge files.

    Raises
    ------
    InvalidAnswers
        Naming the field, e.g. ``screening.pregnancy: expected yes or no``.
    """
    try:
        _check(intake, knowledge or load_knowledge())
    except _FieldProblem as problem:
        raise InvalidAnswers(f"{_field_name(problem.path)}: {problem.message}") from None


def parse_intake(data: Any, *, prefix: str = "") -> Intake:
    """Validate intake JSON (a form's or an API body's) into an :class:`Intake`.

    Parameters
    ----------
    data : mapping
        ``Intake`` fields.
    prefix : str, keyword-only
        Put before the field name in the message (``"intake."`` for an API body).

    Raises
    ------
    InvalidAnswers
        Naming the first bad field, e.g. ``age: Input should be ...``.
    """
    try:
        return Intake.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        raise InvalidAnswers(f"{prefix}{_field_name(tuple(err['loc']))}: {err['msg']}") from None


def age_answers(age: int | None) -> dict[str, bool]:
    """Return the screening answers the client's age gives (``under_18``), if it is known.

    A form that knows the age does not ask these questions: asking both would
    only allow a contradiction.
    """
    return {} if age is None else {"under_18": age < ADULT_AGE}


def priority_from_text(text: str | None) -> int:
    """Read a concern priority typed in a form: a whole number kept within 1-9 (default 1)."""
    bounds = ConcernRequest.model_fields["priority"].metadata
    low = next(m.ge for m in bounds if hasattr(m, "ge"))
    high = next(m.le for m in bounds if hasattr(m, "le"))
    try:
        value = int(str(text or "").strip() or low)
    except ValueError:
        return int(low)
    return int(max(low, min(high, value)))


# --- answers files ------------------------------------------------------------


def _line_map(node: yaml.Node, path: tuple[str | int, ...] = ()) -> dict[tuple, int]:
    """Map every field path in a composed YAML document to its 1-based line."""
    lines: dict[tuple, int] = {path: node.start_mark.line + 1}
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            child = (*path, str(key_node.value))
            lines.update(_line_map(value_node, child))
            lines[child] = key_node.start_mark.line + 1
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            lines.update(_line_map(item, (*path, index)))
    return lines


def _line_of(lines: dict[tuple, int], path: tuple[str | int, ...]) -> int | None:
    # The deepest known prefix of the path: a missing field points at its parent.
    for end in range(len(path), -1, -1):
        if path[:end] in lines:
            return lines[path[:end]]
    return None


SCREENING_FLAG_TEXT: dict[str, str] = {
    "pregnancy": "--pregnant",
    "anticoagulants": "--anticoagulants",
}


def load_answers(path: str | Path, *, knowledge: Knowledge | None = None) -> Intake:
    """Read an answers YAML file into a checked :class:`Intake`.

    The file may hold any :class:`Intake` field: ``concerns``, ``answers``,
    ``screening``, ``tongue``, ``pulse``, ``age``, ``overrides``.

    Parameters
    ----------
    path : str or Path
        The answers file.
    knowledge : Knowledge, optional
        Defaults to :func:`load_knowledge`.

    Returns
    -------
    Intake

    Raises
    ------
    InvalidAnswers
        Unreadable file, bad YAML, or a bad field; the message names the file,
        the line and the field.
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InvalidAnswers(f"{path}: cannot read the answers file ({exc})") from None
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" line {mark.line + 1}" if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise InvalidAnswers(f"{path}{where}: not valid YAML ({problem})") from None
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise InvalidAnswers(f"{path} line 1: expected a mapping of intake fields")
    lines = _line_map(node) if node is not None else {}
    try:
        intake = Intake.model_validate(data)
    except ValidationError as exc:
        error = exc.errors()[0]
        loc = _clean_loc(error["loc"])
        line = _line_of(lines, loc)
        where = f" line {line}" if line is not None else ""
        raise InvalidAnswers(f"{path}{where}, field {_field_name(loc)}: {error['msg']}") from None
    try:
        _check(intake, knowledge or load_knowledge())
    except _FieldProblem as problem:
        line = _line_of(lines, problem.path)
        where = f" line {line}" if line is not None else ""
        raise InvalidAnswers(
            f"{path}{where}, field {_field_name(problem.path)}: {problem.message}"
        ) from None
    return intake


def _clean_loc(loc: tuple[Any, ...]) -> tuple[str | int, ...]:
    # Pydantic adds union branch names ("bool", "list[...]") to the location; the
    # file's own keys and indexes are what a practitioner can find.
    out: list[str | int] = []
    for part in loc:
        if isinstance(part, str) and (
            "[" in part or part in {"bool", "ProcedureAnswer", "PregnancyAnswer"}
        ):
            break
        out.append(part)
    return tuple(out)


def screening_line(path: str | Path, rule_id: str) -> int | None:
    """Return the line of ``screening.<rule_id>`` in an answers file, if present."""
    try:
        node = yaml.compose(Path(path).read_text(encoding="utf-8"), Loader=yaml.SafeLoader)
    except (OSError, yaml.YAMLError):
        return None
    if node is None:
        return None
    return _line_map(node).get(("screening", rule_id))


QuestionKind = Literal["yes_no", "zones", "procedure", "pregnancy"]


class QuestionItem(BaseModel):
    """One question of the intake form."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str
    text: str
    kind: QuestionKind
    label: str | None = None
    critical: bool = False
    critical_for: list[str] = Field(default_factory=list)
    zones: list[str] = Field(
        default_factory=list, description="For zones/procedure questions: the zones to offer."
    )


class FindingItem(BaseModel):
    """One tongue or pulse finding that a form may offer."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str
    text: str


class Questionnaire(BaseModel):
    """The intake form: pattern questions, screening questions, findings, zones."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    pattern_questions: list[QuestionItem]
    screening_questions: list[QuestionItem]
    tongue: list[FindingItem]
    pulse: list[FindingItem]
    zones: list[str]


def questionnaire(knowledge: Knowledge | None = None) -> Questionnaire:
    """Return the intake form built from the knowledge files (for web and CLI forms)."""
    knowledge = knowledge or load_knowledge()
    return Questionnaire(
        pattern_questions=[
            QuestionItem(id=q.id, text=q.text, kind="yes_no") for q in knowledge.patterns.questions
        ],
        screening_questions=[
            QuestionItem(
                id=rule.id,
                text=rule.question,
                kind=rule.answer,
                label=rule.label,
                critical=rule.critical,
                critical_for=list(rule.critical_for),
                zones=(
                    list(rule.offered_zones or FACIAL_ZONE_ORDER)
                    if rule.answer in ("zones", "procedure")
                    else []
                ),
            )
            for rule in knowledge.screening.rules
        ],
        tongue=[FindingItem(id=f.id, text=f.text) for f in knowledge.patterns.tongue],
        pulse=[FindingItem(id=f.id, text=f.text) for f in knowledge.patterns.pulse],
        zones=list(ALL_ZONES),
    )
