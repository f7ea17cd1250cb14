"""The plan page shows what a careful practitioner needs before needling (issue 9).

How each point is needled (the plan's technique, not the atlas's standard one),
whether the plan is final (unanswered critical questions listed by name), and the
session mechanics (position, insertion and removal order, retention, needle count).
"""

from __future__ import annotations

import re
from html import unescape

from acuface.clinic import db
from acuface.clinic import services as svc
from acuface.clinic.schemas import Actor, ClientCreate
from acuface.locator.snapshot import FaceMapSnapshot, FaceSnapshot, PointSnapshot, PoseSnapshot
from acuface.planner import Intake, make_plan
from acuface.web.facemap import build_facemap


def _store(app, intake: Intake) -> int:  # noqa: ANN001
    with db.session_scope(app.state.engine) as s:
        actor = Actor.system()
        client = svc.create_client(
            session=s, actor=actor, data=ClientCreate(given_name="Tove", family_name="Safe")
        )
        plan = svc.save_plan(session=s, actor=actor, client_id=client.id, plan=make_plan(intake))
        return plan.id


def _text(html: str) -> str:
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", html)).split())


def test_each_point_shows_the_plans_technique_and_the_plan_says_it_is_not_final(
    app,  # noqa: ANN001
    pat,  # noqa: ANN001
) -> None:
    intake = Intake(concerns=["dark_circles", "wrinkles"])  # screening never asked
    plan = make_plan(intake)
    plan_id = _store(app, intake)
    page = pat.get(f"/plans/{plan_id}")
    assert page.status_code == 200
    text = _text(page.text)
    cells = [_text(c) for c in re.findall(r'data-testid="technique">(.*?)</td>', page.text)]
    assert len(cells) == len(plan.points)
    for point in plan.points:
        assert point.technique is not None
        assert point.technique.describe() in text, point.code
    # ST2 (infraorbital) is needled the cosmetic way, never the eye-disease way.
    assert any(c.startswith("cosmetic: transverse 0.1-0.2 cun") for c in cells)
    not_final = re.search(r'data-testid="plan-not-final">(.*?)</div>', page.text, flags=re.S)
    assert not_final, "an unanswered plan must say it is not final"
    assert "Pregnancy" in not_final.group(1) and "nticoagulant" in not_final.group(1)
    mechanics = _text(re.search(r'data-testid="session-mechanics">(.*?)</dl>', page.text, re.S)[1])
    assert plan.session is not None
    assert " → ".join(plan.session.insertion_order) in mechanics
    assert f"{plan.session.needles_in} in" in mechanics


def test_an_answered_plan_is_not_flagged(app, pat) -> None:  # noqa: ANN001
    from acuface.atlas.knowledge import load_knowledge

    rules = load_knowledge().screening.rules
    critical = {r.id: False for r in rules if r.critical or "wrinkles" in r.critical_for}
    intake = Intake(concerns=["wrinkles"], age=40, screening=critical)
    assert make_plan(intake).screening_unanswered == []
    page = pat.get(f"/plans/{_store(app, intake)}")
    assert 'data-testid="plan-not-final"' not in page.text


def test_the_face_map_hover_carries_the_plans_technique() -> None:
    snapshot = FaceMapSnapshot(
        image_wh=(400, 400),
        faces=[
            FaceSnapshot(
                pose=PoseSnapshot(yaw=0.0, pitch=0.0, roll=0.0),
                mm_per_px=0.5,
                cun_mm=20.0,
                points=[
                    PointSnapshot(code=code, side="left", x=150, y=y, visible=True, confidence=0.9)
                    for code, y in (("ST2", 200), ("GB14", 100))
                ],
            )
        ],
    )
    view = build_facemap(snapshot, 400, 400, techniques={"ST2": "cosmetic: transverse ..."})
    assert view.info["ST2"]["technique"] == "cosmetic: transverse ..."
    assert "technique" not in view.info["GB14"]
    assert view.info["ST2"]["depth"]  # the atlas's standard depth stays, labelled as such
