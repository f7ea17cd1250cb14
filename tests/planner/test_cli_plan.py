"""The `acuface plan` and `acuface concerns` command-line contract."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from acuface.cli.main import app

runner = CliRunner()


def _run(*args: str):
    return runner.invoke(app, list(args))


def test_json_contract_shape() -> None:
    result = _run(
        "plan",
        "--concern",
        "wrinkles",
        "--concern",
        "dark_circles",
        "--anticoagulants",
        "--start",
        "2026-12-01",
        "--json",
    )
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert {"points", "needle_count", "excluded", "cautions", "patterns", "course"} <= set(doc)
    for point in doc["points"]:
        assert isinstance(point["code"], str)
        assert point["sides"] in (["left", "right"], ["midline"])
        assert point["region"] in ("face", "body")
        assert all(isinstance(r, str) for r in point["reasons"]) and point["reasons"]
    assert doc["needle_count"] == 10
    assert all(set(e) == {"code", "why"} for e in doc["excluded"])
    sessions = doc["course"]["sessions"]
    assert sessions[0] == {"n": 1, "date": "2026-12-01", "phase": "initial"}
    assert len(sessions) == 8


def test_patterns_from_an_answers_file(tmp_path: Path) -> None:
    answers = tmp_path / "a.yaml"
    answers.write_text(
        "answers: {irritability: yes, sighing: yes, worse_with_stress: yes}\npulse: [wiry]\n"
    )
    result = _run("plan", "-c", "stress", "--answers", str(answers), "--json")
    assert result.exit_code == 0, result.output
    patterns = json.loads(result.stdout)["patterns"]
    assert patterns[0]["name"] == "Liver qi stagnation"
    assert patterns[0]["score"] == pytest.approx(4 / 6.5, abs=1e-3)


def test_pregnant_flag_removes_forbidden_points() -> None:
    result = _run("plan", "-c", "tmj", "--pregnant", "--json")
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert "LI4" not in {p["code"] for p in doc["points"]}
    assert "LI4" in {e["code"] for e in doc["excluded"]}


def test_budget_option() -> None:
    result = _run("plan", "-c", "wrinkles", "-c", "sagging", "--budget", "12-16", "--json")
    assert result.exit_code == 0, result.output
    assert 12 <= json.loads(result.stdout)["needle_count"] <= 16


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["plan", "-c", "wrinkels"], "did you mean wrinkles"),
        (
            ["plan", "-c", "wrinkles", "--budget", "50-30"],
            "minimum 50 is greater than the maximum 30",
        ),
        (["plan", "-c", "wrinkles", "--budget", "lots"], "expected MIN-MAX"),
        (["plan", "-c", "wrinkles", "--anticoagulants", "--budget", "30-50"], "allows at most 20"),
        (["plan", "-c", "wrinkles", "--start", "01/12/2026"], "expected a date YYYY-MM-DD"),
        (["plan", "-c", "wrinkles", "--photo", "x.jpg"], "--photo and --out go together"),
        (["plan"], "at least one concern"),
    ],
)
def test_bad_input_exits_2_with_a_clear_message(args: list[str], message: str) -> None:
    result = _run(*args)
    assert result.exit_code == 2
    assert message in " ".join(result.output.split())


def test_contradictory_flag_and_answers_file(tmp_path: Path) -> None:
    answers = tmp_path / "a.yaml"
    answers.write_text("age: 30\nscreening:\n  pregnancy: no\n")
    result = _run("plan", "-c", "wrinkles", "--pregnant", "--answers", str(answers))
    assert result.exit_code == 2
    text = " ".join(result.output.split())
    assert "contradictory options: --pregnant" in text and "line 3" in text


def test_malformed_answers_file(tmp_path: Path) -> None:
    answers = tmp_path / "a.yaml"
    answers.write_text("screening:\n  pregnancy: no\n  anticoagulant: yes\n")
    result = _run("plan", "-c", "wrinkles", "--answers", str(answers))
    assert result.exit_code == 2
    text = " ".join(result.output.split())
    assert "line 3, field screening.anticoagulant" in text
    assert "did you mean anticoagulants" in text


def test_blocked_treatment_exits_2(tmp_path: Path) -> None:
    answers = tmp_path / "a.yaml"
    answers.write_text("screening: {active_infection: yes}\n")
    result = _run("plan", "-c", "wrinkles", "--answers", str(answers))
    assert result.exit_code == 2
    assert "treatment blocked" in result.output


def test_concerns_lists_names() -> None:
    result = _run("concerns")
    assert result.exit_code == 0
    names = [line.split()[0] for line in result.stdout.splitlines()]
    assert "wrinkles" in names and "seasonal_allergies" in names and len(names) == 13
    doc = json.loads(_run("concerns", "--json").stdout)
    assert {c["name"] for c in doc} == set(names)


def test_human_output_lists_points_and_course() -> None:
    result = _run("plan", "-c", "sagging", "--start", "2026-12-01")
    assert result.exit_code == 0, result.output
    assert "SI18" in result.stdout and "2026-12-19" in result.stdout
    assert "Decision support" in result.stdout
