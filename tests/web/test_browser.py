"""Browser tests: Playwright driving Debian Chromium against a real uvicorn server.

The practitioner's flow end to end: sign in, create a client, upload a photo (with
the pose check), fill an intake, see the plan on the photo, chart a session by
clicking points on the face, record a bruise, record ratings, see the progress
chart. Screenshots of each main page go to docs/screenshots/.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from consenting import give_consents
from realprocs import FAKE_CAMERA, launch_chromium

from .browser import assert_no_errors, open_page, serve, shot, sign_in
from .webhelpers import make_data_dir, set_opening_hours

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Any, str]]:
    """The app over a fresh data dir and its server's URL."""
    settings, _ = make_data_dir(tmp_path_factory.mktemp("acuface-browser"))
    with serve(settings) as served:
        yield served


@pytest.fixture(scope="module")
def served_app(site: tuple[Any, str]) -> Any:
    """The served app (its engine lets tests record consents directly)."""
    return site[0]


@pytest.fixture(scope="module")
def site_url(site: tuple[Any, str]) -> str:
    return site[1]


@pytest.fixture()
def console_allowed() -> tuple[str, ...]:
    # 403 answers are deliberate refusals (role tests); anything else is a defect.
    return ("status of 403",)


def consent_for(app: Any, client_url: str) -> None:
    """Give the client of *client_url* the consents signing and photos need (shared helper)."""
    give_consents(app.state.engine, int(client_url.rstrip("/").rsplit("/", 1)[1]))


def test_practitioner_flow(
    page: Any, served_app: Any, obama_path: Path, faces_dir: Path, tmp_path: Path
) -> None:
    from acuface.planner import questionnaire

    page.goto("/today")
    page.wait_for_url(re.compile(r".*/login\?next=.*"))
    shot(page, "01-login")
    sign_in(page, "pat")

    # a few clients, each booked for today, so the list and the day are not empty (the
    # clinic opens every day here, so the test does not depend on the weekday it runs)
    set_opening_hours(served_app.state.engine)
    for given, family, at in (
        ("Helen", "Baxter", "09:00"),
        ("Jonas", "Meyer", "11:30"),
        ("Aiko", "Tanaka", "15:45"),
    ):
        page.goto("/clients/new")
        page.fill("input[name=given_name]", given)
        page.fill("input[name=family_name]", family)
        page.click("main form button[type=submit]")
        page.wait_for_url("**/clients/*")
        page.fill("form[data-testid=book-form] input[name=time]", at)
        page.click("form[data-testid=book-form] button[type=submit]")
        page.wait_for_selector(".flash-success")
        assert f"{given} {family}" in page.locator(".flash-success").inner_text()
        assert at in page.locator("[data-testid=client-appointments]").inner_text()

    # create the client we treat
    page.goto("/clients/new")
    page.fill("input[name=given_name]", "Maria")
    page.fill("input[name=family_name]", "Garcia")
    page.fill("input[name=birth_date]", "1974-05-06")
    page.fill("input[name=phone]", "0171 555 0101")
    page.fill("input[name=email]", "maria.garcia@example.org")
    page.click("main form button[type=submit]")
    page.wait_for_url("**/clients/*")
    client_url = page.url
    assert page.locator("h1").inner_text().startswith("Maria Garcia")
    consent_for(served_app, client_url)

    # clients list with live search (htmx)
    page.goto("/clients")
    page.fill("input[name=q]", "garc")
    expect = pytest.importorskip("playwright.sync_api").expect
    expect(page.locator("#client-rows tr")).to_have_count(1)
    assert "Maria Garcia" in page.locator("#client-rows").inner_text()
    page.fill("input[name=q]", "")
    expect(page.locator("#client-rows tr")).to_have_count(4)
    shot(page, "03-clients")

    # photo: a tilted head -> the pose check warns and saving needs an explicit "anyway"
    from PIL import Image

    tilted = tmp_path / "tilted.jpg"
    Image.open(obama_path).rotate(35, expand=True, fillcolor=(128, 128, 128)).save(tilted)
    page.goto(client_url + "/photos")
    page.set_input_files("input[type=file]", str(tilted))
    page.wait_for_selector("[data-check-result].flash-warning")
    assert "tilted" in page.locator("[data-check-result]").inner_text()
    assert page.locator("button[data-save]").is_disabled()
    page.check("[data-ack] input")
    assert page.locator("button[data-save]").is_enabled()
    shot(page, "05-photo-check")
    # ... a good frontal photo passes and is saved
    page.set_input_files("input[type=file]", str(obama_path))
    page.wait_for_selector("[data-check-result].flash-success")
    assert "Pose: yaw" in page.locator("[data-check-result]").inner_text()
    page.click("button[data-save]")
    page.wait_for_url("**/photos/*")
    assert page.locator(".facemap .pt").count() >= 40

    # intake -> plan
    page.goto(client_url + "/intakes/new")
    page.check("input[name=concern][value=wrinkles]")
    page.check("input[name=concern][value=eye_bags]")
    for q in questionnaire().screening_questions:
        if q.kind in ("yes_no", "pregnancy") and q.id != "under_18":
            page.check(f"input[name=s_{q.id}][value=no]")
    for qid in ("fatigue", "poor_appetite", "loose_stools", "morning_puffiness"):
        page.check(f"input[name=q_{qid}]")
    shot(page, "06-intake")
    page.click("form[data-testid=intake-form] button[type=submit]")
    page.wait_for_url("**/plans/*")
    markers = page.locator("#planmap-info")
    assert markers.count() == 1
    # The marker layer must cover exactly the photo, or every point would be misplaced.
    img_box = page.locator(".facemap img").bounding_box()
    svg_box = page.locator(".facemap svg").bounding_box()
    for k in ("x", "y", "width", "height"):
        assert abs(img_box[k] - svg_box[k]) < 1.0, (k, img_box, svg_box)
    page.locator(".facemap .pt circle").first.hover()
    info = page.locator("[data-point-info]").first  # the face map's (the body chart has its own)
    assert "Location" in info.inner_text() and "Depth" in info.inner_text()
    # The plan's own technique, above the atlas's standard depth (issue 9).
    assert "Plan technique" in info.inner_text() and " cun, 0.16" in info.inner_text()
    shot(page, "07-plan")

    # chart a session by clicking points on the face
    page.goto(client_url + "/sessions/new")
    pts = page.locator(".facemap .pt.pt-plan, .facemap .pt.pt-caution")
    assert pts.count() >= 3
    codes = []
    for i in range(3):
        pts.nth(i).locator("circle").click()
        codes.append(pts.nth(i).get_attribute("data-code"))
    pts.nth(0).locator("circle").click()  # a second needle at the same point adds one
    rows = page.locator("[data-needles] tbody tr")
    assert rows.count() == 3
    assert rows.nth(0).locator("input[name=needle_count]").input_value() == "2"
    page.fill("input[name=retention_minutes]", "25")
    page.fill("input[name=technique]", "0.16 x 13 mm, shallow transverse insertion")
    page.fill("textarea[name=subjective]", "Feels puffy around the eyes in the mornings.")
    # The running total follows the clicks; the needles are counted out before signing.
    assert page.locator("[data-needle-total]").inner_text() == "4"
    page.fill("[data-testid=needles-out]", "4")
    page.check("input[name=aftercare][value=bruise_care]")
    shot(page, "08-charting")
    page.click("[data-testid=save-sign]")
    page.wait_for_url("**/sessions/*/sign")  # signing asks for confirmation first
    assert page.locator("[data-testid=colleague-warning]").count() == 0  # pat's own note
    page.click("[data-testid=confirm-sign]")
    page.wait_for_url(re.compile(r".*/sessions/\d+$"))
    assert "signed" in page.locator(".page-head").inner_text()

    # record a bruise at the first needled point
    page.select_option("form[data-testid=event-form] select[name=kind]", "bruising")
    page.select_option("form[data-testid=event-form] select[name=point]", index=1)
    page.fill(
        "form[data-testid=event-form] textarea[name=description]",
        "Small bruise, cold compress given.",
    )
    page.click("form[data-testid=event-form] button[type=submit]")
    page.wait_for_selector("[data-testid=events]")
    events = page.locator("[data-testid=events]").inner_text()
    # Shown in words ("Bruising"), never as the internal key.
    assert "Bruising" in events and "bruising\t" not in events
    shot(page, "09-session-signed")

    # a second, later photo for the before/after pair
    page.goto(client_url + "/photos")
    page.set_input_files("input[type=file]", str(faces_dir / "obama3.jpg"))
    page.wait_for_selector("[data-check-result].flash-success, [data-check-result].flash-warning")
    if page.locator("[data-ack]:not(.hidden)").count():
        page.check("[data-ack] input")
    page.click("button[data-save]")
    page.wait_for_url("**/photos/*")

    # ratings -> progress chart
    for day, scale, value in (
        ("2026-10-01", "satisfaction", "4"),
        ("2026-10-15", "satisfaction", "6"),
        ("2026-11-01", "satisfaction", "8"),
        ("2026-10-01", "tmj_pain", "6"),
        ("2026-10-15", "tmj_pain", "4"),
        ("2026-11-01", "tmj_pain", "2"),
    ):
        page.goto(client_url + "/progress")
        page.select_option("select[name=scale]", scale)
        page.fill("input[name=value]", value)
        page.fill("input[name=rated_on]", day)
        page.click("form[data-testid=rating-form] button[type=submit]")
        page.wait_for_url("**/progress")
    assert page.locator("[data-testid=rating-chart] svg path.series").count() == 2
    assert page.locator("[data-testid=before-after] img").count() == 2
    shot(page, "10-progress")

    page.goto(client_url)
    shot(page, "04-client")
    page.goto("/today")
    schedule = page.locator("[data-testid=schedule]").inner_text()
    assert "Maria Garcia" in schedule and "11:30" in schedule and "Aiko Tanaka" in schedule
    shot(page, "02-today")
    page.goto("/atlas?concern=eye_bags")
    assert page.locator(".facemap .pt").count() >= 4
    shot(page, "11-atlas")
    page.goto("/atlas?region=body")
    assert page.locator(".bodychart .pt").count() >= 60  # every body point, both sides
    shot(page, "26-atlas-body-chart")


def test_charting_a_point_the_plan_left_out_asks_for_a_reason(page: Any, served_app: Any) -> None:
    """Finding 6 of the safety review: an excluded point was one click away, unwarned."""
    from acuface.planner import questionnaire

    sign_in(page, "pat")
    page.goto("/clients/new")
    page.fill("input[name=given_name]", "Olga")
    page.fill("input[name=family_name]", "Petrova")
    page.click("main form button[type=submit]")
    page.wait_for_url("**/clients/*")
    client_url = page.url
    consent_for(served_app, client_url)
    # Wrinkles on blood thinners: every screening question answered, anticoagulants yes.
    page.goto(client_url + "/intakes/new")
    page.check("input[name=concern][value=wrinkles]")
    page.fill("input[name=age]", "58")
    for q in questionnaire().screening_questions:
        if q.kind in ("yes_no", "pregnancy") and q.id != "under_18":
            answer = "yes" if q.id == "anticoagulants" else "no"
            page.check(f"input[name=s_{q.id}][value={answer}]")
    page.click("form[data-testid=intake-form] button[type=submit]")
    page.wait_for_url("**/plans/*")

    page.goto(client_url + "/sessions/new")
    banner = page.locator("[data-testid=screening-banner]")
    assert "Anticoagulants" in banner.inner_text()
    assert "Never advise stopping" in banner.inner_text()
    assert "GV26" in banner.inner_text()  # left out of the plan, named up front
    page.select_option("[data-add-needle-code]", "GV26")
    page.select_option("[data-add-needle-side]", "midline")
    page.click("[data-add-needle]")
    reason = page.locator("tr[data-needle] [data-testid=override-reason]")
    assert reason.is_visible() and reason.get_attribute("required") is not None
    row = page.locator("tr[data-needle]").first
    assert "bleeding" in row.inner_text().lower()  # the plan's why, shown at the row
    page.fill("[data-testid=needles-out]", "1")
    page.click("[data-testid=save-sign]")
    # Without a reason the form does not go: still on the charting page.
    assert page.url.endswith("/sessions/new")
    reason.fill("Client insists; INR 2.2 today; pressed 2 minutes")
    page.click("[data-testid=save-sign]")
    page.wait_for_url("**/sessions/*/sign")
    page.click("[data-testid=confirm-sign]")
    page.wait_for_url(re.compile(r".*/sessions/\d+$"))
    signed = page.locator("[data-testid=signed-needles]").inner_text()
    assert "Override" in signed and "INR 2.2 today" in signed
    shot(page, "13-charting-override")
    # ... and the audit log has it.
    page.click("text=Sign out")
    page.wait_for_url("**/login")
    sign_in(page, "ada")
    page.goto("/admin/audit")
    audit_text = page.locator("main").inner_text()
    assert "session.override" in audit_text and "INR 2.2 today" in audit_text


def test_reception_and_admin_views(page: Any) -> None:
    sign_in(page, "rita")
    assert page.locator("nav.mainnav a", has_text="Atlas").count() == 0
    page.goto("/atlas")
    assert "Not allowed" in page.locator("h1").inner_text()
    page.click("text=Sign out")
    page.wait_for_url("**/login")
    sign_in(page, "ada")
    page.goto("/admin/users")
    assert page.locator("[data-testid=users]").inner_text().count("active") >= 3
    shot(page, "12-admin-users")
    page.goto("/admin/sessions")
    rows = page.locator("[data-testid=sessions] tbody tr")
    assert rows.count() >= 1 and "this session" in rows.first.inner_text()
    shot(page, "22-admin-sessions")
    page.goto("/admin/audit?user=ada")
    assert page.locator("[data-testid=pager]").count() == 1
    assert "login" in page.locator("[data-testid=audit]").inner_text()
    shot(page, "14-admin-audit")


def test_camera_capture_goes_through_the_pose_check(
    pw: Any, site_url: str, served_app: Any
) -> None:
    """Chromium's fake camera (a test pattern, no face): capture, warning, save anyway."""
    b = launch_chromium(pw, *FAKE_CAMERA)
    try:
        _camera_flow(b, site_url, served_app)
    finally:
        b.close()


def _camera_flow(b: Any, server: str, app: Any) -> None:
    _, page, errors = open_page(b, server, permissions=["camera"])
    sign_in(page, "pat")
    page.goto("/clients/new")
    page.fill("input[name=given_name]", "Cam")
    page.fill("input[name=family_name]", "Era")
    page.click("main form button[type=submit]")
    page.wait_for_url("**/clients/*")
    consent_for(app, page.url)
    page.goto(page.url + "/photos")
    page.click("[data-camera-start]")
    page.wait_for_selector("[data-camera-shot]:not(.hidden)")
    page.wait_for_timeout(500)  # let the fake stream deliver frames
    page.click("[data-camera-shot]")
    page.wait_for_selector("[data-check-result].flash-warning")
    assert "face" in page.locator("[data-check-result]").inner_text().lower()
    assert page.locator("button[data-save]").is_disabled()
    page.check("[data-ack] input")
    page.click("button[data-save]")
    page.wait_for_url("**/photos/*")
    assert "No face was located" in page.content()
    assert_no_errors(errors)
