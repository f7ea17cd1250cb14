"""A plan stored by an earlier Acuface still shows its page, its handout and its PDF."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

from acuface.clinic import db
from acuface.clinic import models as m
from acuface.clinic import services as svc
from acuface.clinic.schemas import Actor, ClientCreate

SNAPSHOTS = Path(__file__).resolve().parents[1] / "data" / "snapshots"


def _store_old_plan(app) -> int:  # noqa: ANN001
    # Written as the old code wrote it: the raw document in the JSON column.
    old = json.loads((SNAPSHOTS / "plan-v1.json").read_text(encoding="utf-8"))
    with db.session_scope(app.state.engine) as s:
        client = svc.create_client(
            session=s,
            actor=Actor.system(),
            data=ClientCreate(given_name="Olga", family_name="Older", birth_date=date(1970, 3, 1)),
        )
        row = m.Plan(
            client_id=client.id,
            planner_version=old["planner_version"],
            plan=old,
            needle_count=old["needle_count"],
            created_by="someone-in-2026",
        )
        s.add(row)
        s.flush()
        return row.id


def test_an_old_plan_renders_page_handout_and_pdf(app, pat) -> None:  # noqa: ANN001
    plan_id = _store_old_plan(app)
    old = json.loads((SNAPSHOTS / "plan-v1.json").read_text(encoding="utf-8"))
    page = pat.get(f"/plans/{plan_id}")
    assert page.status_code == 200, page.text[:300]
    for point in old["points"]:
        assert point["code"] in page.text
    handout = pat.get(f"/plans/{plan_id}/handout")
    assert handout.status_code == 200
    assert "Olga Older" in handout.text
    # The reasons come back from the old reason texts, so the handout says why.
    reason = next(r for p in old["points"] for r in p["reasons"] if r.startswith("concern"))
    why = reason.split("): ", 1)[1]
    assert why in handout.text
    pdf = pat.get(f"/plans/{plan_id}/handout.pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
