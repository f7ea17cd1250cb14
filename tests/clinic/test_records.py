"""Intakes and client updates: the smaller rules (consents: test_consents.py)."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy.orm import Session

from acuface.clinic import services as svc
from acuface.clinic.schemas import Actor, ClientUpdate, IntakeCreate
from acuface.planner import Intake
from acuface.planner.snapshot import IntakeSnapshot


def test_intake_round_trip(session: Session, pat: Actor, client_id: int) -> None:
    payload = {
        "concerns": [{"name": "wrinkles", "priority": 1}],
        "answers": {"cold_hands": True},
        "tongue": ["pale"],
    }
    created = svc.create_intake(
        session=session,
        actor=pat,
        client_id=client_id,
        data=IntakeCreate(intake_date=date(2026, 2, 1), intake=payload, notes="first visit"),
    )
    session.commit()
    got = svc.get_intake(session=session, actor=pat, intake_id=created.id)
    assert (
        got.intake == IntakeSnapshot.read(payload)
        and got.intake.to_intake() == Intake.model_validate(payload)
        and got.intake_date == date(2026, 2, 1)
        and got.created_by == "pat"
    )
    assert [i.id for i in svc.list_intakes(session=session, actor=pat, client_id=client_id)] == [
        created.id
    ]


def test_update_client_clears_with_empty_string(
    session: Session, rita: Actor, client_id: int
) -> None:
    before = svc.get_client(session=session, actor=rita, client_id=client_id)
    assert before.email == "mara@example.org"
    after = svc.update_client(
        session=session,
        actor=rita,
        client_id=client_id,
        data=ClientUpdate(email="", phone="020 7946 0123"),
    )
    assert after.email is None and after.phone == "+44 20 7946 0123" and after.given_name == "Mara"
    with pytest.raises(ValueError):
        ClientUpdate(surname="x")  # type: ignore[call-arg]  # unknown fields are rejected
