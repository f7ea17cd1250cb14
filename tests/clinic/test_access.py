"""The access policy: one table of actions × roles, the same in code, docs and pages."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from acuface.clinic.access import POLICY, Action, allowed, authorize, policy_markdown
from acuface.clinic.schemas import ROLES, Actor
from acuface.errors import PermissionDenied

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "clinic-services.md"


def _doc_table() -> dict[str, set[str]]:
    text = DOC.read_text(encoding="utf-8")
    block = text.split("<!-- access-policy: begin -->")[1].split("<!-- access-policy: end -->")[0]
    lines = [ln for ln in block.strip().splitlines() if ln.startswith("|")]
    header = [c.strip() for c in lines[0].strip("|").split("|")]
    roles = header[2:]
    table: dict[str, set[str]] = {}
    for line in lines[2:]:
        cells = [c.strip() for c in line.strip("|").split("|")]
        name = cells[0].strip("`")
        table[name] = {role for role, mark in zip(roles, cells[2:], strict=True) if mark == "yes"}
    return table


def test_every_action_has_a_rule() -> None:
    assert set(POLICY) == set(Action)
    assert all(POLICY[a] <= set(ROLES) for a in Action)


def test_the_docs_table_is_the_policy() -> None:
    expected = {action.name: set(roles) for action, roles in POLICY.items()}
    assert _doc_table() == expected, "paste acuface.clinic.access.policy_markdown() into " + str(
        DOC.relative_to(ROOT)
    )
    assert policy_markdown() in DOC.read_text(encoding="utf-8")


@pytest.mark.parametrize("action", list(Action), ids=lambda a: a.name)
def test_authorize_follows_the_policy(action: Action) -> None:
    for role in ROLES:
        actor = Actor(user_id=1, username="someone", role=role, source="test")
        if role in POLICY[action]:
            authorize(actor, action)
            assert allowed(actor, action) and allowed(role, action)
        else:
            with pytest.raises(PermissionDenied, match=re.escape(f"may not {action.value}")):
                authorize(actor, action)
            assert not allowed(actor, action)


def test_reception_never_sees_clinical_content() -> None:
    clinical = [
        a for a in Action if a.name.startswith(("READ_", "WRITE_")) and "CLIENTS" not in a.name
    ]
    clinical = [a for a in clinical if a not in (Action.READ_USERS, Action.READ_SCHEDULE)]
    assert clinical and not any(allowed("reception", a) for a in clinical)


def test_no_code_compares_role_names() -> None:
    # Permission questions go through the policy; a role string compared in a
    # service, route or template would be a second, invisible policy.
    pattern = re.compile(r"""\.role\s*(==|!=|not in|in)\s*[("']""")
    offenders = [
        f"{path.relative_to(ROOT)}:{n}"
        for path in (ROOT / "src" / "acuface").rglob("*")
        if path.suffix in {".py", ".html"}
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if pattern.search(line)
    ]
    assert offenders == []
