"""Browser test: the right photo for a plan (Playwright driving Debian Chromium).

pat (practitioner) adds a good frontal photo, then a newer one with half of the
face cut off by the edge: the check flags it before saving, the plan keeps using
the good one, the picker can pick the other one for this plan, and a hidden
photo leaves the list and the plan. Screenshots go to docs/screenshots/ with
ACUFACE_SCREENSHOTS=1 (see tests/web/browser.py).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from .browser import serve, shot, sign_in
from .webhelpers import make_data_dir, seed_client_with_plan

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """A server over a fresh data dir with one client, her plan and photography consent."""
    from datetime import date

    from acuface.clinic import db
    from acuface.clinic import services as svc
    from acuface.clinic.schemas import Actor, ConsentCreate

    root = tmp_path_factory.mktemp("acuface-photo-browser")
    settings, _ = make_data_dir(root)
    client_id, plan_id = seed_client_with_plan(settings)
    engine = db.make_engine(settings.sqlalchemy_url)  # type: ignore[attr-defined]
    with db.session_scope(engine) as s:
        svc.record_consent(
            session=s,
            actor=Actor.system(),
            client_id=client_id,
            data=ConsentCreate(
                kind="photography", signed_by="Maria Garcia", signed_on=date.today()
            ),
        )
    engine.dispose()
    with serve(settings) as (_, url):
        yield {"url": url, "client_id": client_id, "plan_id": plan_id}


@pytest.fixture(scope="module")
def site_url(site: dict[str, Any]) -> str:
    return str(site["url"])


def _plan_photo_id(page: Any, plan_id: int) -> int:
    page.goto(f"/plans/{plan_id}")
    return _map_photo_id(page)


def _map_photo_id(page: Any) -> int:
    src = page.locator("figure.facemap img").get_attribute("src")
    found = re.search(r"/photos/(\d+)/image", src or "")
    assert found, src
    return int(found.group(1))


def test_cut_off_photo_flagged_before_saving_not_used_picker_and_hiding(
    page: Any, site: dict[str, Any], obama_path: Path, tmp_path: Path
) -> None:
    client_id, plan_id = site["client_id"], site["plan_id"]
    sign_in(page, "pat")
    photos_url = f"/clients/{client_id}/photos"
    # A good frontal photo first.
    page.goto(photos_url)
    page.set_input_files("input[type=file]", str(obama_path))
    page.wait_for_selector("[data-check-result].flash-success")
    page.click("button[data-save]")
    page.wait_for_url(re.compile(r".*/photos/\d+$"))
    good_id = int(page.url.rsplit("/", 1)[1])
    # A newer photo of a shipped portrait cut through the face.
    img = Image.open(obama_path).convert("RGB")
    cropped = tmp_path / "cropped.jpg"
    img.crop((0, 0, int(img.width * 0.6), img.height)).save(cropped, quality=92)
    page.goto(photos_url)
    page.set_input_files("input[type=file]", str(cropped))
    page.wait_for_selector("[data-check-result].flash-warning")
    assert "outside the photo" in page.locator("[data-check-result]").inner_text()
    assert page.locator("button[data-save]").is_disabled()  # flagged before saving
    shot(page, "photo-check-face-cut-off")
    page.check("[data-ack] input")
    page.click("button[data-save]")
    page.wait_for_url(re.compile(r".*/photos/\d+$"))
    cut_id = int(page.url.rsplit("/", 1)[1])
    assert cut_id != good_id
    assert page.locator("[data-testid=face-cut-off]").is_visible()
    # No marker is drawn outside the photo (on its edge): all sit inside the image.
    for cx in page.locator(".facemap .pt circle").evaluate_all(
        "cs => cs.map(c => Number(c.getAttribute('cx')))"
    ):
        assert 0 <= cx < int(img.width * 0.6)
    # The plan keeps the good photo although the cut-off one is newer.
    assert _plan_photo_id(page, plan_id) == good_id
    assert "passed the quality checks" in page.locator("[data-testid=photo-choice]").inner_text()
    shot(page, "plan-photo-picker")
    # The picker: pick the other photo for this plan; it is stored with the plan.
    page.select_option("[data-testid=photo-picker] select", str(cut_id))
    page.click("[data-testid=photo-picker] button")
    page.wait_for_url(f"**/plans/{plan_id}")
    assert _plan_photo_id(page, plan_id) == cut_id
    assert "picked by pat" in page.locator("[data-testid=photo-choice]").inner_text()
    # Back to the default.
    page.select_option("[data-testid=photo-picker] select", "")
    page.click("[data-testid=photo-picker] button")
    page.wait_for_url(f"**/plans/{plan_id}")
    assert _plan_photo_id(page, plan_id) == good_id
    # A new, unsaved session note: the picker is there from the start, on the default
    # photo; picking another reloads the form on it, and saving keeps the pick.
    page.goto(f"/clients/{client_id}/sessions/new")
    assert "passed the quality checks" in page.locator("[data-testid=photo-choice]").inner_text()
    assert _map_photo_id(page) == good_id
    page.select_option("[data-testid=photo-picker] select", str(cut_id))
    page.click("[data-testid=photo-picker] button")
    page.wait_for_url(f"**/clients/{client_id}/sessions/new?photo_id={cut_id}")
    assert _map_photo_id(page) == cut_id
    assert "picked for this note" in page.locator("[data-testid=photo-choice]").inner_text()
    shot(page, "session-photo-picker")
    page.fill("textarea[name=subjective]", "Charted on the photo picked before saving.")
    page.click('[data-testid=chart-form] button[name=sign_now][value="0"]')
    page.wait_for_url(re.compile(r".*/sessions/\d+$"))
    assert _map_photo_id(page) == cut_id
    assert "picked by pat" in page.locator("[data-testid=photo-choice]").inner_text()
    # Hide the failed photo: gone from the photo list and from the picker.
    page.goto(f"/photos/{cut_id}")
    page.fill("[data-testid=hide-photo] input[name=reason]", "face cut off at the edge")
    page.click("[data-testid=hide-photo] button")
    page.wait_for_url(f"**{photos_url}")
    thumbs = page.locator(".thumbs a").evaluate_all("as => as.map(a => a.getAttribute('href'))")
    assert f"/photos/{good_id}" in thumbs and f"/photos/{cut_id}" not in thumbs
    page.goto(f"/plans/{plan_id}")
    options = page.locator("[data-testid=photo-picker] option").evaluate_all(
        "os => os.map(o => o.value)"
    )
    assert str(cut_id) not in options and str(good_id) in options
