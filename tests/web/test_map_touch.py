"""On a tablet, every point-map marker is big enough to tap, and a tap between close
points offers both (issue 10, polish); the drawn labels do not overlap in the browser.

Chromium at an iPad-sized viewport with touch, on the atlas page (the reference
portrait with every facial point: the most crowded map the app draws).
"""

from __future__ import annotations

from collections.abc import Iterator
from itertools import combinations
from typing import Any

import pytest

from .test_browser import (  # noqa: F401  (fixtures)
    browser,
    pw,
    served_app,
    server,
    shot,
    sign_in,
)

pytestmark = pytest.mark.browser

#: iPad (10th generation) in portrait, CSS px.
TABLET = {"width": 820, "height": 1180}
MIN_HIT_PX = 32.0

_CENTRES = """fig => Array.from(fig.querySelectorAll('.pt')).map(g => {
  const r = g.querySelector('circle').getBoundingClientRect();
  return {code: g.dataset.code, side: g.dataset.side, i: Number(g.dataset.i),
          x: r.x + r.width / 2, y: r.y + r.height / 2};
})"""
_HITS = """fig => Array.from(fig.querySelectorAll('.pt-hit')).map(c => {
  const r = c.getBoundingClientRect(); return {w: r.width, h: r.height};
})"""
_LABELS = """fig => Array.from(fig.querySelectorAll('.pt-label')).map(t => {
  const r = t.getBoundingClientRect(); return [t.textContent, r.left, r.top, r.right, r.bottom];
})"""


@pytest.fixture()
def tablet(browser: Any, server: str) -> Iterator[Any]:  # noqa: F811
    ctx = browser.new_context(
        viewport=TABLET, base_url=server, has_touch=True, is_mobile=True, device_scale_factor=2
    )
    pg = ctx.new_page()
    pg.set_default_timeout(30_000)
    errors: list[str] = []
    pg.on("pageerror", lambda e: errors.append(str(e)))
    pg.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    yield pg
    ctx.close()
    assert errors == []  # no script errors, no CSP violations


def _closest_pair(centres: list[dict[str, Any]]) -> tuple[dict[str, Any], dict[str, Any], float]:
    best = min(
        combinations(centres, 2),
        key=lambda ab: (ab[0]["x"] - ab[1]["x"]) ** 2 + (ab[0]["y"] - ab[1]["y"]) ** 2,
    )
    a, b = best
    return a, b, ((a["x"] - b["x"]) ** 2 + (a["y"] - b["y"]) ** 2) ** 0.5


def _nearest_gap(c: dict[str, Any], centres: list[dict[str, Any]]) -> float:
    return min(
        ((c["x"] - o["x"]) ** 2 + (c["y"] - o["y"]) ** 2) ** 0.5 for o in centres if o is not c
    )


def test_markers_are_big_enough_to_tap_and_close_points_are_offered_together(
    tablet: Any,
) -> None:
    page = tablet
    sign_in(page, "pat")
    page.goto("/atlas")
    fig = page.locator("figure.facemap")
    fig.wait_for()
    markers = page.locator(".facemap .pt")
    assert markers.count() >= 40

    for width in (TABLET["width"], 390):  # a tablet, then a phone-sized window
        page.set_viewport_size({"width": width, "height": TABLET["height"]})
        page.wait_for_function(
            "min => Array.from(document.querySelectorAll('.pt-hit'))"
            ".every(c => c.getBoundingClientRect().width >= min)",
            arg=MIN_HIT_PX,
        )
        hits = fig.evaluate(_HITS)
        assert len(hits) == markers.count()
        assert min(min(h["w"], h["h"]) for h in hits) >= MIN_HIT_PX, width
    page.set_viewport_size(TABLET)
    page.wait_for_timeout(0)

    # The labels the browser drew do not overlap (real glyph boxes, this font).
    labels = fig.evaluate(_LABELS)
    assert len(labels) >= 20
    for a, b in combinations(labels, 2):
        overlap = a[1] < b[3] and b[1] < a[3] and a[2] < b[4] and b[2] < a[4]
        assert not overlap, (a, b)

    # Two points closer than a fingertip: a tap between them offers both.
    centres = fig.evaluate(_CENTRES)
    a, b, gap = _closest_pair(centres)
    assert gap < MIN_HIT_PX  # the reference face has such neighbours (e.g. BL1/BL2)
    page.touchscreen.tap((a["x"] + b["x"]) / 2, (a["y"] + b["y"]) / 2)
    chooser = page.locator("[data-pt-chooser]")
    chooser.wait_for(state="visible")
    offered = {
        (o.get_attribute("data-code"), o.get_attribute("data-side"))
        for o in chooser.locator("button[data-code]").all()
    }
    assert {(a["code"], a["side"]), (b["code"], b["side"])} <= offered
    shot(page, "25-map-chooser-tablet")
    # Each choice is big enough to tap, and picking one shows that point.
    for o in chooser.locator("button").all():
        assert o.bounding_box()["height"] >= MIN_HIT_PX
    chooser.locator(f"button[data-code='{b['code']}'][data-side='{b['side']}']").tap()
    assert chooser.is_hidden()
    assert page.locator("[data-point-info] h3").first.inner_text().startswith(b["code"])

    # A point with no neighbour within reach is picked by a tap at once, no chooser.
    alone = next(c for c in centres if _nearest_gap(c, centres) > 1.5 * MIN_HIT_PX)
    page.touchscreen.tap(alone["x"] + 6, alone["y"] + 6)  # a fingertip, not dead centre
    assert chooser.is_hidden()
    assert page.locator("[data-point-info] h3").first.inner_text().startswith(alone["code"])

    # Keyboard: every marker is reachable and named without a pointer.
    first = markers.first
    first.focus()
    assert (
        page.locator("[data-point-info] h3")
        .first.inner_text()
        .startswith(first.get_attribute("data-code"))
    )
    assert first.get_attribute("aria-label").startswith(first.get_attribute("data-code"))
