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

from .browser import SHOTS, assert_no_errors, open_page, serve, sign_in
from .webhelpers import make_data_dir

pytestmark = pytest.mark.browser

#: iPad (10th generation) in portrait, CSS px.
TABLET = {"width": 820, "height": 1180}
MIN_HIT_PX = 32.0

_CENTRES = """fig => Array.from(fig.querySelectorAll('.pt')).map(g => {
  const r = g.querySelector('circle').getBoundingClientRect();
  return {code: g.dataset.code, side: g.dataset.side, i: Number(g.dataset.i),
          x: r.x + r.width / 2, y: r.y + r.height / 2};
})"""
_HITS = """root => Array.from(root.querySelectorAll('.pt-hit')).map(c => {
  const r = c.getBoundingClientRect(); return {w: r.width, h: r.height};
})"""
_LABELS = """fig => Array.from(fig.querySelectorAll('.pt-label')).map(t => {
  const r = t.getBoundingClientRect(); return [t.textContent, r.left, r.top, r.right, r.bottom];
})"""


@pytest.fixture(scope="module")
def site_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    settings, _ = make_data_dir(tmp_path_factory.mktemp("acuface-map-touch"))
    with serve(settings) as (_, url):
        yield url


@pytest.fixture()
def tablet(browser: Any, site_url: str) -> Iterator[Any]:
    """A touch tablet (the shared page helper with touch and a mobile viewport)."""
    ctx, pg, errors = open_page(
        browser, site_url, has_touch=True, is_mobile=True, device_scale_factor=2
    )
    pg.set_viewport_size(TABLET)
    yield pg
    ctx.close()
    assert_no_errors(errors)  # no script errors, no CSP violations


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


def _taps(page: Any, figure: str, screenshot: str | None = None) -> None:
    """On the map *figure*: a tap between the two closest points offers both; a tap
    near a lone point picks it; the labels the browser drew do not overlap."""
    fig = page.locator(figure)
    fig.scroll_into_view_if_needed()
    wrap = page.locator(f"[data-facemap-wrap]:has({figure})")
    heading = wrap.locator("[data-point-info] h3").first

    # The labels the browser drew do not overlap (real glyph boxes, this font).
    labels = fig.evaluate(_LABELS)
    assert len(labels) >= 20
    for a, b in combinations(labels, 2):
        overlap = a[1] < b[3] and b[1] < a[3] and a[2] < b[4] and b[2] < a[4]
        assert not overlap, (figure, a, b)

    # Two points closer than a fingertip: a tap between them offers both.
    centres = fig.evaluate(_CENTRES)
    a, b, gap = _closest_pair(centres)
    assert gap < MIN_HIT_PX  # both maps have such neighbours (BL1/BL2; the wrist)
    page.touchscreen.tap((a["x"] + b["x"]) / 2, (a["y"] + b["y"]) / 2)
    chooser = wrap.locator("[data-pt-chooser]")
    chooser.wait_for(state="visible")
    offered = {
        (o.get_attribute("data-code"), o.get_attribute("data-side"))
        for o in chooser.locator("button[data-code]").all()
    }
    assert {(a["code"], a["side"]), (b["code"], b["side"])} <= offered
    if screenshot:  # the map with its chooser open (the whole page is a long list)
        SHOTS.mkdir(parents=True, exist_ok=True)
        wrap.screenshot(path=str(SHOTS / f"{screenshot}.png"))
    # Each choice is big enough to tap, and picking one shows that point.
    for o in chooser.locator("button").all():
        assert o.bounding_box()["height"] >= MIN_HIT_PX
    chooser.locator(f"button[data-code='{b['code']}'][data-side='{b['side']}']").tap()
    assert chooser.is_hidden()
    assert heading.inner_text().startswith(b["code"])

    # A point with no neighbour within reach is picked by a tap at once, no chooser.
    centres = fig.evaluate(_CENTRES)  # again: the screenshot may have scrolled the page
    alone = next(c for c in centres if _nearest_gap(c, centres) > 1.5 * MIN_HIT_PX)
    page.touchscreen.tap(alone["x"] + 6, alone["y"] + 6)  # a fingertip, not dead centre
    assert chooser.is_hidden()
    assert heading.inner_text().startswith(alone["code"])


def test_markers_are_big_enough_to_tap_and_close_points_are_offered_together(
    tablet: Any,
) -> None:
    page = tablet
    sign_in(page, "pat")
    # The first atlas page locates the reference portrait in a worker (slow on a busy machine).
    page.goto("/atlas", timeout=180_000)
    page.locator("figure.facemap").wait_for()
    markers = page.locator(".pointmap .pt")
    assert page.locator(".facemap .pt").count() >= 40
    assert page.locator(".bodychart .pt").count() >= 60

    for width in (TABLET["width"], 390):  # a tablet, then a phone-sized window
        page.set_viewport_size({"width": width, "height": TABLET["height"]})
        page.wait_for_function(
            "min => Array.from(document.querySelectorAll('.pt-hit'))"
            ".every(c => c.getBoundingClientRect().width >= min)",
            arg=MIN_HIT_PX,
        )
        hits = page.locator("main").evaluate(_HITS)
        assert len(hits) == markers.count()  # one tap target per marker, on both maps
        assert min(min(h["w"], h["h"]) for h in hits) >= MIN_HIT_PX, width
    page.set_viewport_size(TABLET)

    _taps(page, "figure.facemap", "25-map-chooser-tablet")
    _taps(page, "figure.bodychart")

    # Keyboard: every marker is reachable and named without a pointer.
    first = page.locator(".facemap .pt").first
    first.focus()
    assert (
        page.locator("[data-facemap-wrap]:has(figure.facemap) [data-point-info] h3")
        .first.inner_text()
        .startswith(first.get_attribute("data-code"))
    )
    assert first.get_attribute("aria-label").startswith(first.get_attribute("data-code"))
