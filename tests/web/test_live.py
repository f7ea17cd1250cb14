"""The live view: the page, and the WebSocket's checks, protocol, dropping, cap and audit.

Who may do what: pat (practitioner) and ada (admin) may open a live view; rita
(reception) may not; nobody may without signing in or from another site's page.
Most protocol tests use a stand-in worker (fast, scripted); one test runs the real
tracker in its own process and compares its answer with ``locate()``.
"""

from __future__ import annotations

import threading
import time
from typing import Any

import numpy as np
import pytest
from fastapi.testclient import TestClient
from starlette.websockets import WebSocketDisconnect

from acuface.errors import WorkerCrashed
from acuface.web.live import (
    FRAME_HEADER,
    STATUS_DROPPED,
    STATUS_ERROR,
    STATUS_NO_FACE,
    STATUS_OK,
    decode_answer,
    encode_status,
)

from .webhelpers import login, seed_client_with_plan

WS = "ws://127.0.0.1/live/ws"
ORIGIN = {"origin": "http://127.0.0.1"}


def frame(seq: int, jpeg: bytes, t_ms: float = 0.0) -> bytes:
    return FRAME_HEADER.pack(seq, t_ms) + jpeg


@pytest.fixture(scope="module")
def seeded(web_env: dict[str, Any]) -> dict[str, int]:
    client_id, plan_id = seed_client_with_plan(web_env["settings"])
    return {"client": client_id, "plan": plan_id}


class StandIn:
    """A scripted worker: answers "no face" after ``delay_s``, or crashes on request."""

    def __init__(self, delay_s: float = 0.0) -> None:
        self.delay_s = delay_s
        self.frames: list[int] = []
        self.starts = 0
        self.crash_next = False
        self.closed = False
        self._lock = threading.Lock()

    def start(self) -> None:
        self.starts += 1

    def call(self, request: tuple[Any, ...]) -> Any:
        if request[0] == "layout":
            return {"codes": ["GV25"], "sides": ["midline"]}
        with self._lock:  # one call at a time, as a real worker
            seq = request[1]
            self.frames.append(seq)
            if self.crash_next:
                self.crash_next = False
                raise WorkerCrashed("live tracker stopped unexpectedly (exit code -11).")
            time.sleep(self.delay_s)
            return encode_status(seq, STATUS_NO_FACE)

    def close(self) -> None:
        self.closed = True


@pytest.fixture()
def stand_in(app: Any, monkeypatch: pytest.MonkeyPatch) -> StandIn:
    worker = StandIn()
    monkeypatch.setattr(app.state.live_hub, "new_worker", lambda **_: worker)
    return worker


def _ready(ws: Any) -> dict[str, Any]:
    assert ws.receive_json()["type"] == "starting"
    ready = ws.receive_json()
    assert ready["type"] == "ready", ready
    return dict(ready)


def _eventually(check: Any, timeout_s: float = 15.0) -> Any:
    """Poll *check* until it returns something truthy (clean-up runs as the handler ends)."""
    deadline = time.monotonic() + timeout_s
    while True:
        value = check()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(0.05)


def _refused(client: TestClient, url: str, headers: dict[str, str] | None = None) -> int:
    with pytest.raises(WebSocketDisconnect) as info:
        with client.websocket_connect(url, headers=headers or {}) as ws:
            ws.receive_json()
    return int(info.value.code)


# --- the page --------------------------------------------------------------------


def test_live_page_for_clinical_roles(pat: TestClient, rita: TestClient) -> None:
    page = pat.get("/live")
    assert page.status_code == 200
    assert "/static/js/live.js" in page.text and 'id="live-config"' in page.text
    assert "<script>" not in page.text  # CSP: no inline script, config is a JSON block
    assert rita.get("/live").status_code == 403


def test_the_plan_page_opens_the_live_view_of_that_plan(
    pat: TestClient, seeded: dict[str, int]
) -> None:
    plan = pat.get(f"/plans/{seeded['plan']}").text
    assert f'href="/live?plan={seeded["plan"]}"' in plan
    page = pat.get(f"/live?plan={seeded['plan']}").text
    assert "Maria Garcia" in page
    assert f"/live/ws?plan={seeded['plan']}" in page
    assert f"/api/clients/{seeded['client']}/photos" in page  # freeze saves to this client
    plan_codes = {
        p["code"]
        for p in pat.get(f"/api/plans/{seeded['plan']}").json()["plan"]["points"]
        if p["region"] != "body"
    }
    assert plan_codes and all(f"<strong>{c}</strong>" in page for c in plan_codes)


def test_live_page_of_an_unknown_plan_is_404(pat: TestClient) -> None:
    assert pat.get("/live?plan=999999").status_code == 404
    assert pat.get("/live?plan=abc").status_code == 422


# --- who may connect ---------------------------------------------------------------


def test_handshake_needs_a_signed_in_clinical_user_from_our_own_page(
    anon: TestClient, pat: TestClient, rita: TestClient, ada: TestClient, stand_in: StandIn
) -> None:
    assert _refused(anon, WS, ORIGIN) == 1008  # not signed in
    assert _refused(rita, WS, ORIGIN) == 1008  # reception: no clinical content
    assert _refused(pat, WS) == 1008  # no Origin header: not a browser page of ours
    assert _refused(pat, WS, {"origin": "http://evil.example"}) == 1008
    assert _refused(pat, WS, {"origin": "http://127.0.0.1:9999"}) == 1008  # another port
    assert _refused(pat, WS + "?plan=999999", ORIGIN) == 1008
    assert _refused(pat, WS + "?client=abc", ORIGIN) == 1008
    assert stand_in.starts == 0  # no worker was started for any refused handshake
    with ada.websocket_connect(WS, headers=ORIGIN) as ws:
        assert _ready(ws)["codes"] == ["GV25"]


def test_opening_and_closing_a_live_view_of_a_client_is_audited(
    web_env: dict[str, Any], pat: TestClient, seeded: dict[str, int], stand_in: StandIn
) -> None:
    from acuface.clinic import db
    from acuface.clinic import services as svc
    from acuface.clinic.schemas import Actor

    with pat.websocket_connect(f"{WS}?plan={seeded['plan']}", headers=ORIGIN) as ws:
        _ready(ws)
        ws.send_bytes(frame(1, b"jpeg"))
        assert decode_answer(ws.receive_bytes()).seq == 1

    def entries() -> list[Any]:
        with db.session_scope(web_env["app"].state.engine) as s:
            found = svc.list_audit(session=s, actor=Actor.system(), client_id=seeded["client"])
        return found if any(e.action == "live.close" for e in found) else []

    entries = _eventually(entries)
    actions = [(e.action, e.username) for e in entries]
    assert ("live.open", "pat") in actions and ("live.close", "pat") in actions
    close = next(e for e in entries if e.action == "live.close")
    assert '"frames": 1' in (close.detail or "")
    assert stand_in.closed


def test_a_deactivated_user_is_cut_off_during_a_live_view(
    app: Any, web_env: dict[str, Any], stand_in: StandIn, monkeypatch: pytest.MonkeyPatch
) -> None:
    from acuface.clinic import db
    from acuface.clinic import services as svc
    from acuface.clinic.schemas import Actor

    monkeypatch.setattr("acuface.web.live.RECHECK_S", 0.2)
    with db.session_scope(app.state.engine) as s:
        paula = svc.create_user(
            session=s,
            actor=Actor.system(),
            username="paula",
            password="correct horse battery",
            role="practitioner",
        )
    c = login(TestClient(app, base_url="http://127.0.0.1"), "paula")
    with c.websocket_connect(WS, headers=ORIGIN) as ws:
        _ready(ws)
        with db.session_scope(app.state.engine) as s:
            svc.set_user_active(session=s, actor=Actor.system(), user_id=paula.id, active=False)
        assert ws.receive_json() == {"type": "error", "message": "Signed out: view ended."}
        with pytest.raises(WebSocketDisconnect) as info:
            ws.receive_json()
        assert info.value.code == 1008


# --- frames ------------------------------------------------------------------------


def test_frames_that_arrive_while_the_tracker_is_busy_are_dropped_not_queued(
    pat: TestClient, stand_in: StandIn
) -> None:
    stand_in.delay_s = 0.5
    with pat.websocket_connect(WS, headers=ORIGIN) as ws:
        _ready(ws)
        for seq in range(1, 6):  # five frames at once, while the first takes 0.5 s
            ws.send_bytes(frame(seq, b"jpeg"))
        answers = {a.seq: a.status for a in (decode_answer(ws.receive_bytes()) for _ in range(5))}
    # Every frame is answered once; only the newest waiting frame is analysed.
    assert answers == {
        1: STATUS_NO_FACE,
        2: STATUS_DROPPED,
        3: STATUS_DROPPED,
        4: STATUS_DROPPED,
        5: STATUS_NO_FACE,
    }
    assert stand_in.frames == [1, 5]


def test_a_tracker_crash_is_one_error_answer_then_a_fresh_tracker(
    pat: TestClient, stand_in: StandIn
) -> None:
    with pat.websocket_connect(WS, headers=ORIGIN) as ws:
        _ready(ws)
        stand_in.crash_next = True
        ws.send_bytes(frame(1, b"jpeg"))
        crashed = decode_answer(ws.receive_bytes())
        assert crashed.status == STATUS_ERROR and "Restarting" in crashed.messages[0]
        ws.send_bytes(frame(2, b"jpeg"))
        assert decode_answer(ws.receive_bytes()).status == STATUS_NO_FACE
    assert stand_in.starts == 2


def test_live_views_are_capped(
    app: Any, pat: TestClient, ada: TestClient, stand_in: StandIn
) -> None:
    hub = app.state.live_hub
    assert hub.max_connections == 2  # the default
    with pat.websocket_connect(WS, headers=ORIGIN) as first:
        _ready(first)
        with ada.websocket_connect(WS, headers=ORIGIN) as second:
            _ready(second)
            with pat.websocket_connect(WS, headers=ORIGIN) as third:
                busy = third.receive_json()
                assert busy["code"] == "busy" and "All 2 live views" in busy["message"]
                with pytest.raises(WebSocketDisconnect) as info:
                    third.receive_json()
                assert info.value.code == 1013
    assert _eventually(lambda: hub.active == 0)


def test_a_real_tracker_answers_with_the_points_of_locate(
    pat: TestClient, moving_face_jpegs: list[bytes]
) -> None:
    from acuface.locator import locate

    jpeg = moving_face_jpegs[0]
    with pat.websocket_connect(WS + "?raw=1", headers=ORIGIN) as ws:
        ready = _ready(ws)
        ws.send_bytes(frame(7, jpeg, 1000.0))
        answer = decode_answer(ws.receive_bytes())
        # A frame that is not an image is one error answer; the view goes on.
        ws.send_bytes(frame(8, b"%PDF-1.4 not a frame"))
        bad = decode_answer(ws.receive_bytes())
        ws.send_bytes(frame(9, moving_face_jpegs[1], 1033.0))
        after = decode_answer(ws.receive_bytes())
    assert answer.seq == 7 and answer.status == STATUS_OK
    ref = locate(jpeg).primary
    by_row = {(p.code, p.side): p for p in ref.points}
    rows = [by_row[c, s] for c, s in zip(ready["codes"], ready["sides"], strict=True)]
    expected = np.array([p.xy_px for p in rows])
    # First frame of a stream: a detector frame, unsmoothed, so exactly locate()'s
    # points (float32 on the wire), smoothed and raw alike.
    assert np.abs(answer.xy_px - expected).max() <= 1.0
    assert answer.raw_xy_px is not None and np.abs(answer.raw_xy_px - expected).max() <= 1.0
    assert list(answer.visible) == [p.visible for p in rows]
    assert abs(answer.pose_deg[0] - ref.pose.yaw_deg) < 0.01
    assert bad.seq == 8 and bad.status == STATUS_ERROR and "not a photo" in bad.messages[0]
    assert after.seq == 9 and after.status == STATUS_OK


def test_the_tracker_places_the_labels_the_page_draws_clear_of_each_other(
    pat: TestClient, moving_face_jpegs: list[bytes], seeded: dict[str, int]
) -> None:
    """The live view's labels come from the placer of every point map (issue 10, leftovers)."""
    import json
    from itertools import combinations

    from acuface.locator.labels import boxes_overlap
    from acuface.web.live import FLAG_DRAWING, RING_PX, marker_sizes

    plan = pat.get(f"/live?plan={seeded['plan']}")
    config = json.loads(plan.text.split('id="live-config">', 1)[1].split("</script>", 1)[0])
    wanted = {(p["code"], s) for p in config["plan_points"] for s in p["sides"]}
    with pat.websocket_connect(WS, headers=ORIGIN) as ws:
        ready = _ready(ws)
        rows = list(zip(ready["codes"], ready["sides"], strict=True))
        labelled = [i for i, row in enumerate(rows) if row in wanted]
        assert len(labelled) >= 10
        # Before the page says what it draws: sizes, no labels.
        ws.send_bytes(frame(1, moving_face_jpegs[0], 1000.0))
        before = decode_answer(ws.receive_bytes())
        # Junk is ignored (the view goes on); then the plan view: plan rows shown and labelled.
        ws.send_text("{not json")
        ws.send_text(json.dumps({"type": "draw", "shown": "all", "labelled": [1]}))
        plan_only = {"type": "draw", "version": 7, "shown": labelled, "labelled": labelled}
        ws.send_text(json.dumps(plan_only))
        ws.send_bytes(frame(2, moving_face_jpegs[1], 1033.0))
        plan_view = decode_answer(ws.receive_bytes())
        # "Show all points": every row is a marker the labels must keep clear of.
        every = list(range(len(rows)))
        ws.send_text(
            json.dumps({"type": "draw", "shown": every, "labelled": labelled, "version": 8})
        )
        ws.send_bytes(frame(3, moving_face_jpegs[2], 1066.0))
        all_view = decode_answer(ws.receive_bytes())
    assert before.status == STATUS_OK and before.flags & FLAG_DRAWING
    assert (before.dot_radius, before.font_px) == pytest.approx(marker_sizes(640))
    assert before.labels is not None and len(before.labels) == 0
    for answer, shown, version in ((plan_view, labelled, 7), (all_view, every, 8)):
        assert answer.status == STATUS_OK and answer.labels is not None
        assert answer.draw_version == version  # the page draws it as it was labelled
        labels = answer.labels
        assert len(labels) >= 8, len(labels)  # most plan points keep a label
        got = [int(v) for v in labels[:, 0]]
        assert len(set(got)) == len(got) and set(got) <= set(labelled)
        assert all(answer.visible[r] for r in got)  # hidden points get no label
        boxes = [tuple(float(v) for v in lb[1:5]) for lb in labels]
        for a, b in combinations(boxes, 2):
            assert not boxes_overlap(a, b), (a, b)
        r = answer.dot_radius + RING_PX  # a marker's caution ring included
        for row, box in zip(got, boxes, strict=True):
            assert 0 <= box[0] and 0 <= box[1] and box[2] <= 640 and box[3] <= 480
            for j in shown:
                x, y = (float(v) for v in answer.xy_px[j])
                if j != row and 0 <= x <= 640 and 0 <= y <= 480:
                    assert not boxes_overlap(box, (x - r, y - r, x + r, y + r)), (
                        rows[row],
                        rows[j],
                    )
    assert ready["labels"][rows.index(("ST2", "left"))] == "ST2 L"
    assert ready["labels"][rows.index(("GV25", "midline"))] == "GV25"
