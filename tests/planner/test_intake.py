"""Answers files and intake validation: errors name the line and the field."""

from __future__ import annotations

from pathlib import Path

import pytest

from acuface.errors import InvalidAnswers
from acuface.planner import Intake, check_intake, load_answers, questionnaire
from acuface.planner.patterns import score_patterns


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "answers.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_a_full_answers_file_loads(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        """\
concerns:
  - {name: acne, priority: 1}
  - stress
answers:
  oily_skin: yes
  constipation: yes
screening:
  pregnancy: no
  open_lesion: [chin]
  recent_fillers: {zones: [nasolabial], days_ago: 5}
tongue: [red, yellow_coating]
pulse: [rapid]
age: 34
overrides: {add: [ST36], remove: []}
""",
    )
    intake = load_answers(path)
    assert [c.name for c in intake.concerns] == ["acne", "stress"]
    assert intake.screening["open_lesion"] == ["chin"]
    assert intake.screening["recent_fillers"].days_ago == 5  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "answers:\n  fatigue: yes\n  fatigu: yes\n",
            "line 3, field answers.fatigu: unknown question 'fatigu' (did you mean fatigue",
        ),
        ("screening:\n  pregnancy: maybe\n", "line 2, field screening.pregnancy"),
        (
            "screening:\n  open_lesion: yes\n",
            "line 2, field screening.open_lesion: expected a list of zones",
        ),
        ("screening:\n  open_lesion: [chinn]\n", "line 2, field screening.open_lesion"),
        (
            "tongue: [pale]\npulse: [wiry, slipery]\n",
            "line 2, field pulse.1: unknown pulse finding 'slipery' (did you mean slippery",
        ),
        (
            "age: 16\nscreening:\n  under_18: no\n",
            "line 3, field screening.under_18: contradicts age 16",
        ),
        ("age: -3\n", "line 1, field age"),
        ("colour: blue\n", "line 1, field colour: Extra inputs are not permitted"),
        ("answers: [1, 2\n", "not valid YAML"),
        ("- just\n- a list\n", "line 1: expected a mapping"),
    ],
)
def test_malformed_answers_name_line_and_field(tmp_path: Path, text: str, expected: str) -> None:
    with pytest.raises(InvalidAnswers) as info:
        load_answers(_write(tmp_path, text))
    assert expected in info.value.message


def test_missing_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(InvalidAnswers, match="cannot read the answers file"):
        load_answers(tmp_path / "nope.yaml")


def test_check_intake_without_a_file() -> None:
    with pytest.raises(InvalidAnswers, match="screening.pregnant: unknown screening condition"):
        check_intake(Intake(concerns=["acne"], screening={"pregnant": True}))


def test_pattern_scores_are_transparent() -> None:
    # stomach_intestine_heat: strong_hunger 1, bad_breath 1, constipation 1, oily_skin 1,
    # thirst .5, tongue red 1, yellow_coating 1, pulse rapid .5, full .5 -> total 7.5.
    # Matched: oily_skin 1 + constipation 1 + red 1 + rapid .5 = 3.5 -> 0.467.
    intake = Intake(
        answers={"oily_skin": True, "constipation": True, "fatigue": False},
        tongue=["red"],
        pulse=["rapid"],
    )
    scores = {s.id: s for s in score_patterns(intake)}
    heat = scores["stomach_intestine_heat"]
    assert heat.score == pytest.approx(3.5 / 7.5, abs=1e-3)
    assert heat.evidence_text == [
        "question constipation = yes: +1",
        "question oily_skin = yes: +1",
        "tongue red: +1",
        "pulse rapid: +0.5",
    ]
    assert heat.active
    # A "no" answer never scores.
    assert all("fatigue" not in e for s in scores.values() for e in s.evidence_text)


def test_at_most_two_patterns_are_active() -> None:
    every_yes = {q.id: True for q in questionnaire().pattern_questions}
    scores = score_patterns(Intake(answers=every_yes))
    assert sum(s.active for s in scores) == 2
    assert [s.score for s in scores] == sorted((s.score for s in scores), reverse=True)


def test_questionnaire_lists_every_question() -> None:
    form = questionnaire()
    assert len(form.screening_questions) >= 12
    kinds = {q.id: q.kind for q in form.screening_questions}
    assert kinds["open_lesion"] == "zones" and kinds["recent_threads"] == "procedure"
    assert "periorbital" in form.zones


def test_the_answers_example_in_the_docs_is_valid(tmp_path: Path) -> None:
    docs = Path(__file__).resolve().parents[2] / "docs" / "planner.md"
    block = docs.read_text(encoding="utf-8").split("```yaml\n", 1)[1].split("```", 1)[0]
    intake = load_answers(_write(tmp_path, block))
    assert intake.overrides.remove == ["GV26"]
    from acuface.planner import make_plan

    plan = make_plan(intake)
    assert "CV24" in {e.code for e in plan.excluded}  # chin skipped: open lesion


def test_form_helpers_keep_the_planners_rules() -> None:
    from acuface.planner.intake import age_answers, parse_intake, priority_from_text

    assert age_answers(17) == {"under_18": True} and age_answers(18) == {"under_18": False}
    assert age_answers(None) == {}
    assert [priority_from_text(t) for t in ("2", "0", "12", "x", "", None)] == [2, 1, 9, 1, 1, 1]
    with pytest.raises(InvalidAnswers, match=r"^intake\.age: "):
        parse_intake({"concerns": ["wrinkles"], "age": "old"}, prefix="intake.")
