"""The live view in Debian Chromium with its fake camera playing a moving portrait.

The clip (``tests/liveclip.py``) is the shipped Obama portrait sliding sideways in a
640 x 480 frame at 30 fps; Chromium's fake camera loops it. Checked: points are
drawn (at least 40 with "show all"), they follow the face (against ``locate()`` on
the very frames the page sent, captured from the WebSocket), sides stay the
client's own when the display is mirrored, "freeze" stores the frame through the
normal photo upload, and no camera / refused permission / no face give a clear
message. The frame rate goes to the test output, never into an assertion.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from consenting import give_consents
from realprocs import FAKE_CAMERA, launch_chromium

from .browser import assert_no_errors, open_page, serve, shot, sign_in
from .webhelpers import make_data_dir, seed_client_with_plan

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def clip(tmp_path_factory: pytest.TempPathFactory, moving_face: Any) -> Path:
    from liveclip import write_y4m

    return write_y4m(tmp_path_factory.mktemp("clip") / "face.y4m", moving_face[0], fps=30)


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    settings, _ = make_data_dir(tmp_path_factory.mktemp("acuface-live-browser"))
    client_id, plan_id = seed_client_with_plan(settings)
    give_consents(settings, client_id)  # "freeze" stores a photo
    with serve(settings) as (_, url):
        yield {"url": url, "client": client_id, "plan": plan_id}


def _open(
    pw: Any, site: dict[str, Any], flags: list[str], **ctx_args: Any
) -> tuple[Any, Any, list[str]]:
    browser = launch_chromium(pw, *flags)
    _, page, errors = open_page(browser, site["url"], **ctx_args)
    sign_in(page, "pat")
    return browser, page, errors


def _live(page: Any) -> dict[str, Any]:
    return dict(page.evaluate("() => JSON.parse(JSON.stringify(window.acufaceLive))"))


def _labels_clear(state: dict[str, Any], radius: float) -> int:
    """Check the labels drawn on the last frame; return how many there are.

    No label's box lies on another's or on a drawn marker (caution ring included),
    and the text the canvas wrote (its own measured width and height, in the page's
    font) stays inside its box: the server's estimate holds in this browser.
    """
    from itertools import combinations

    from acuface.locator.labels import boxes_overlap

    labels = state["labels"]
    for a, b in combinations(labels, 2):
        assert not boxes_overlap(tuple(a["box"]), tuple(b["box"])), (a["text"], b["text"])
    for lb in labels:
        x0, y0, x1, y1 = lb["box"]
        assert x0 <= lb["text_x"] and lb["text_x"] + lb["width"] <= x1, lb
        assert y0 <= lb["text_y"] - lb["ascent"] and lb["text_y"] + lb["descent"] <= y1, lb
        for d in state["drawn"]:
            x, y = d["display_x"], d["y"]
            mine = f"{d['code']} {d['side'][0].upper()}" if d["side"] != "midline" else d["code"]
            if mine != lb["text"]:
                box = (x - radius, y - radius, x + radius, y + radius)
                assert not boxes_overlap(tuple(lb["box"]), box), (lb["text"], d["code"], d["side"])
    return len(labels)


def _pair(drawn: list[dict[str, Any]], code: str) -> tuple[dict[str, Any], dict[str, Any]]:
    by_side = {d["side"]: d for d in drawn if d["code"] == code}
    return by_side["left"], by_side["right"]


class SocketTap:
    """What the page sent and received over its live WebSocket (Playwright's view)."""

    def __init__(self, page: Any) -> None:
        self.sent: dict[int, bytes] = {}
        self.answers: list[Any] = []
        self.layout: dict[str, Any] = {}
        page.on("websocket", self._attach)

    def _attach(self, ws: Any) -> None:
        ws.on("framesent", self._sent)
        ws.on("framereceived", self._received)

    def _sent(self, payload: Any) -> None:
        from acuface.web.live import FRAME_HEADER

        if isinstance(payload, bytes) and len(payload) > FRAME_HEADER.size:
            self.sent[FRAME_HEADER.unpack_from(payload)[0]] = payload[FRAME_HEADER.size :]

    def _received(self, payload: Any) -> None:
        import json

        from acuface.web.live import decode_answer

        if isinstance(payload, bytes):
            self.answers.append(decode_answer(payload))
        elif json.loads(payload).get("type") == "ready":
            self.layout = json.loads(payload)

    def row(self, code: str, side: str) -> int:
        return list(zip(self.layout["codes"], self.layout["sides"], strict=True)).index(
            (code, side)
        )


def test_live_view_draws_the_points_on_the_moving_face(
    pw: Any, site: dict[str, Any], clip: Path, record_property: Any
) -> None:
    from acuface.locator import locate
    from acuface.web.live import STATUS_OK

    browser, page, errors = _open(
        pw, site, [*FAKE_CAMERA, f"--use-file-for-fake-video-capture={clip}"]
    )
    tap = SocketTap(page)
    try:
        page.goto(f"/live?plan={site['plan']}")
        page.wait_for_function("() => window.acufaceLive.frames >= 20", timeout=120_000)
        plan_only = _live(page)
        assert plan_only["status"] == "running"
        assert plan_only["points"] >= 4 and all(d["plan"] for d in plan_only["drawn"])
        from acuface.web.live import RING_PX

        radius = next(a.dot_radius for a in reversed(tap.answers) if a.dot_radius) + RING_PX
        # The server's labels (the one placer of every point map), mirrored display.
        assert _labels_clear(plan_only, radius) >= 8
        page.check("[data-show-all]")
        page.wait_for_function("() => window.acufaceLive.points >= 40")
        # Every point drawn: the plan's labels keep clear of all of them.
        page.wait_for_timeout(300)
        assert _labels_clear(_live(page), radius) >= 4
        shot(page, "28-live-all-points")

        # Follow the face for more than one loop of the 2 s clip.
        frames_before = _live(page)["frames"]
        nose_x = []
        t0 = time.monotonic()
        while time.monotonic() - t0 < 3.0:
            nose = [d["x"] for d in _live(page)["drawn"] if d["code"] == "GV25"]
            nose_x.extend(nose)
            page.wait_for_timeout(100)
        elapsed = time.monotonic() - t0
        state = _live(page)
        assert state["points"] >= 40
        assert max(nose_x) - min(nose_x) > 100  # the clip moves the face by 160 px
        assert state["frames"] > frames_before  # frames were processed

        # The drawn points are locate()'s on the very frames the page sent. They
        # differ by the tracking crop and the smoothing lag, which grows with the
        # face's motion between analysed frames (more on a busy machine); a point
        # that did not follow would be off by up to the clip's 80 px.
        ok = [a for a in tap.answers if a.status == STATUS_OK and a.seq in tap.sent][-48::6]
        assert len(ok) >= 3
        row = tap.row("GV25", "midline")
        nose_d = [
            float(
                np.hypot(
                    *(a.xy_px[row] - locate(tap.sent[a.seq]).primary.point("GV25", "midline").xy_px)
                )
            )
            for a in ok
        ]
        assert np.median(nose_d) < 10.0 and max(nose_d) < 30.0, nose_d

        # Mirrored display (a camera of unknown facing is taken to face the client):
        # the picture flips, the client's sides do not.
        assert state["mirrored"] is True
        left, right = _pair(state["drawn"], "ST2")
        assert left["x"] > right["x"]  # frame: the client's left is on the image's right
        assert left["display_x"] < right["display_x"]  # mirrored: shown on the left
        assert page.inner_text("[data-side-left]") == "Client's left"
        page.uncheck("[data-mirror]")
        page.wait_for_timeout(200)
        left, right = _pair(_live(page)["drawn"], "ST2")
        assert left["display_x"] > right["display_x"]
        assert _labels_clear(_live(page), radius) >= 4  # clear of every point, unmirrored too
        assert page.inner_text("[data-side-left]") == "Client's right"
        page.check("[data-mirror]")
        page.uncheck("[data-show-all]")
        page.wait_for_timeout(300)
        shot(page, "13-live")

        record_property(
            "report",
            f"live view (Chromium fake camera, 640x480, plan + all points): "
            f"{state['fps']:.1f} fps, {state['frames'] - frames_before} frames in "
            f"{elapsed:.1f} s, round trip {state['rtt_ms']:.0f} ms, server "
            f"{state['server_ms']:.1f} ms/frame, dropped {state['dropped']} "
            "(shared machine: not a benchmark)",
        )

        # Freeze: the frame goes through the photo check and the normal upload.
        page.click("[data-freeze]")
        page.wait_for_selector("[data-save]:not([disabled])")
        assert _live(page)["status"] == "frozen"
        page.click("[data-save]")
        page.wait_for_selector("[data-saved-photo]")
        photos = page.request.get(f"/api/clients/{site['client']}/photos").json()
        assert len(photos) == 1
        saved = photos[0]
        assert saved["note"] == "Frozen from the live view" and saved["view"] == "front"
        assert (saved["width"], saved["height"]) == (640, 480)  # the camera's own frame
        assert saved["face_map"]["faces"]  # analysed like any upload
        page.click("[data-resume]")
        frames = _live(page)["frames"]
        page.wait_for_function(f"() => window.acufaceLive.frames > {frames}")
    finally:
        browser.close()
    assert_no_errors(errors)


@pytest.mark.parametrize(
    ("flags", "permissions", "status", "message"),
    [
        ([], ["camera"], "no_camera", "No camera was found"),
        (
            ["--use-fake-device-for-media-stream"],
            [],
            "permission_refused",
            "permission was refused",
        ),
    ],
    ids=["no-camera", "permission-refused"],
)
def test_without_a_camera_the_page_says_why(
    pw: Any,
    site: dict[str, Any],
    flags: list[str],
    permissions: list[str],
    status: str,
    message: str,
) -> None:
    browser, page, errors = _open(pw, site, flags, permissions=permissions)
    try:
        page.goto("/live")
        page.wait_for_function(f"() => window.acufaceLive.status === {status!r}")
        assert message in page.inner_text("[data-message]")
        assert page.is_disabled("[data-freeze]")
        assert _live(page)["frames"] == 0
    finally:
        browser.close()
    assert_no_errors(errors)


def test_no_face_in_view_is_a_message_not_an_error(pw: Any, site: dict[str, Any]) -> None:
    # Chromium's own fake camera picture: a test pattern, no face.
    browser, page, errors = _open(pw, site, FAKE_CAMERA, permissions=["camera"])
    try:
        page.goto("/live")
        page.wait_for_function("() => window.acufaceLive.frames >= 10", timeout=120_000)
        page.wait_for_selector("[data-message]:not(.hidden)")
        assert "No face in view" in page.inner_text("[data-message]")
        assert _live(page)["points"] == 0
    finally:
        browser.close()
    assert_no_errors(errors)
