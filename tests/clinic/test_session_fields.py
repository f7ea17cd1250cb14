"""A new session note and the changes to a draft are checked by the same limits."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from pydantic import ValidationError

from acuface.clinic.schemas import MAX_NOTE_CHARS, SessionCreate, SessionUpdate

TOO_MUCH: list[tuple[str, Any]] = [
    ("retention_minutes", 241),
    ("technique", "x" * 501),
    ("subjective", "x" * (MAX_NOTE_CHARS + 1)),
    ("plan_note", "x" * (MAX_NOTE_CHARS + 1)),
    ("needles_out", -1),
    ("inr", 10.5),
    ("aftercare", ["no_such_aftercare"]),
    ("position", "upside_down"),
]


@pytest.mark.parametrize(("field", "value"), TOO_MUCH, ids=[f for f, _ in TOO_MUCH])
def test_both_refuse_the_same_values(field: str, value: Any) -> None:
    with pytest.raises(ValidationError, match=field):
        SessionCreate(session_date=date(2026, 12, 1), **{field: value})
    with pytest.raises(ValidationError, match=field):
        SessionUpdate(**{field: value})


def test_both_take_a_full_note() -> None:
    note = {
        "retention_minutes": 240,
        "technique": "0.16 x 15 mm",
        "subjective": "x" * MAX_NOTE_CHARS,
        "needles_out": 0,
        "inr": 2.2,
    }
    created = SessionCreate(session_date=date(2026, 12, 1), **note)
    changed = SessionUpdate(**note)
    assert created.model_dump(include=set(note)) == changed.model_dump(include=set(note)) == note
