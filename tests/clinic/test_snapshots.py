"""Stored snapshots: records written before versions existed read as today's types.

The files in tests/data/snapshots/ are records exactly as an earlier Acuface stored
them (see the README there); they must keep reading, whatever the code does next.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from acuface.errors import InvalidSnapshot
from acuface.locator.snapshot import FaceMapSnapshot
from acuface.planner import Intake, PlanOptions, make_plan
from acuface.planner.snapshot import IntakeSnapshot, PlanSnapshot
from acuface.skin.snapshot import SkinSnapshot
from acuface.vocab.snapshots import Snapshot

SNAPSHOTS = Path(__file__).resolve().parents[1] / "data" / "snapshots"


def stored(name: str) -> dict:
    return json.loads((SNAPSHOTS / name).read_text(encoding="utf-8"))


@pytest.mark.parametrize(
    ("kind", "name"),
    [
        (PlanSnapshot, "plan-v1.json"),
        (FaceMapSnapshot, "face_map-v1.json"),
        (SkinSnapshot, "skin_report-v1.json"),
        (IntakeSnapshot, "intake-v1.json"),
    ],
)
def test_an_unversioned_record_reads_as_todays_snapshot(kind: type[Snapshot], name: str) -> None:
    doc = stored(name)
    assert "schema_version" not in doc
    snap = kind.read(doc)
    assert snap.schema_version == kind.current_version()
    # What is stored now reads back unchanged.
    assert kind.read(snap.to_json()) == snap
    assert kind.read(json.loads(json.dumps(snap.to_json()))) == snap


def test_an_old_plan_gets_its_reasons_back_as_structure() -> None:
    old = stored("plan-v1.json")
    plan = PlanSnapshot.read(old)
    assert [p.code for p in plan.points] == [p["code"] for p in old["points"]]
    assert plan.needle_count == old["needle_count"]
    for point in plan.points:
        assert len(point.why) == len(point.reasons)
        assert point.technique is None  # not recorded then, and not invented now
    kinds = {w.kind for p in plan.points for w in p.why}
    assert {"concern", "override"} <= kinds
    concern = next(w for p in plan.points for w in p.why if w.kind == "concern")
    assert concern.id in {"wrinkles", "dark_circles"} and concern.text
    assert concern.text in next(
        r for p in plan.points for r in p.reasons if r.startswith("concern")
    )
    assert plan.session is None and plan.screening_unanswered == []


def test_a_new_plan_snapshot_is_the_plan_json() -> None:
    plan = make_plan(
        Intake(concerns=["wrinkles", "dark_circles"], screening={"anticoagulants": True}),
        PlanOptions(),
    )
    snap = PlanSnapshot.of(plan)
    assert snap.to_json() == {**plan.to_json(), "schema_version": snap.schema_version}
    assert snap.screening_positive == plan.screening_positive
    assert snap.points[0].why == plan.points[0].why
    assert snap.session == plan.session and snap.course == plan.course
    assert IntakeSnapshot.of(Intake(concerns=["wrinkles"])).to_intake() == Intake(
        concerns=["wrinkles"]
    )


def test_a_record_from_a_newer_acuface_is_refused_not_misread() -> None:
    doc = {**stored("face_map-v1.json"), "schema_version": 99}
    with pytest.raises(InvalidSnapshot, match="newer Acuface"):
        FaceMapSnapshot.read(doc)


def test_a_damaged_record_says_which_kind_it_is() -> None:
    doc = stored("skin_report-v1.json")
    del doc["quality"]
    with pytest.raises(InvalidSnapshot, match="SkinSnapshot"):
        SkinSnapshot.read(doc)
