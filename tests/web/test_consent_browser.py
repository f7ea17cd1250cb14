"""In Chromium: consent is recorded on the tablet, then a photo can be uploaded; signing
a colleague's note asks for a reason and records both.

pat (practitioner) treats; ada (admin) signs pat's note for them.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date, time
from pathlib import Path
from typing import Any

import pytest

from .browser import serve, shot, sign_in
from .webhelpers import make_data_dir

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    settings, ids = make_data_dir(tmp_path_factory.mktemp("acuface-consent-browser"))
    with serve(settings) as (app, url):
        yield {"url": url, "app": app, "ids": ids}


@pytest.fixture(scope="module")
def site_url(site: dict[str, Any]) -> str:
    return str(site["url"])


def _draw_signature(page: Any) -> None:
    pad = page.locator("[data-testid=signature-pad]")
    box = pad.bounding_box()
    x0, y0 = box["x"] + 30, box["y"] + box["height"] * 0.7
    page.mouse.move(x0, y0)
    page.mouse.down()
    for i in range(1, 25):
        page.mouse.move(x0 + i * 18, y0 - 40 * ((i % 4) - 1.5), steps=2)
    page.mouse.up()


def test_consent_recorded_on_the_tablet_then_a_photo_is_uploaded(
    page: Any, obama_path: Path
) -> None:
    sign_in(page, "pat")
    page.goto("/clients/new")
    page.fill("input[name=given_name]", "Lena")
    page.fill("input[name=family_name]", "Moreau")
    page.click("main form button[type=submit]")
    page.wait_for_url(re.compile(r".*/clients/\d+$"))
    client_url = page.url
    # Without photography consent the photo page says so and links to the form.
    page.goto(client_url + "/photos")
    warning = page.locator("[data-testid=no-photo-consent]")
    assert "photography consent" in warning.inner_text()
    warning.locator("a").click()
    page.wait_for_url("**/consents/new?kind=photography")
    assert "Consent to clinical photographs" in page.locator("h1").inner_text()
    # An empty pad does not submit.
    page.fill("[data-testid=signed-by]", "Lena Moreau")
    page.click("[data-testid=consent-save]")
    assert "before saving" in page.locator("[data-signature-hint]").inner_text()
    assert "/consents/new" in page.url
    _draw_signature(page)
    shot(page, "14-consent-form")
    page.click("[data-testid=consent-save]")
    page.wait_for_url(re.compile(r".*/consents/\d+$"))
    assert page.locator("[data-testid=consent-signed-by]").inner_text() == "Lena Moreau"
    img = page.locator("[data-testid=signature-img]")
    assert img.evaluate("i => i.complete && i.naturalWidth") == 900  # the drawn PNG
    shot(page, "15-consent-page")
    # Now the upload goes through.
    page.goto(client_url + "/photos")
    assert page.locator("[data-testid=no-photo-consent]").count() == 0
    page.set_input_files("input[type=file]", str(obama_path))
    page.wait_for_selector("[data-check-result].flash-success")
    page.click("button[data-save]")
    page.wait_for_url(re.compile(r".*/photos/\d+$"))
    assert page.locator(".facemap .pt").count() >= 40


def test_signing_a_colleagues_note_asks_for_a_reason(page: Any, site: dict[str, Any]) -> None:
    from acuface.clinic import db
    from acuface.clinic import services as svc
    from acuface.clinic.schemas import Actor, ClientCreate, NeedleIn, SessionCreate
    from consenting import give_consents

    system = Actor.system(source="test")
    pat = Actor(user_id=site["ids"]["pat"], username="pat", role="practitioner")
    with db.session_scope(site["app"].state.engine) as s:
        for name, cred in (("pat", "Lic. Ac."), ("ada", "MSc, Lic. Ac.")):
            svc.set_user_profile(
                session=s, actor=system, user_id=site["ids"][name], credentials=cred
            )
        client = svc.create_client(
            session=s, actor=pat, data=ClientCreate(given_name="Ada", family_name="Brook")
        )
        give_consents(s, client.id, actor=pat)
        note = svc.create_session(
            session=s,
            actor=pat,
            client_id=client.id,
            data=SessionCreate(
                session_date=date.today(),
                start_time=time(10, 30),
                subjective="Jaw ache 4/10",
                needles=[NeedleIn(point_code="ST6", side="left")],
                needles_out=1,
                aftercare=["bruise_care"],
            ),
        )
    sign_in(page, "ada")
    page.goto(f"/sessions/{note.id}")
    page.click("[data-testid=sign-link]")
    page.wait_for_url(f"**/sessions/{note.id}/sign")
    assert "Pat Moreau's note" in page.locator("[data-testid=colleague-warning]").inner_text()
    shot(page, "16-sign-dialog")
    # No reason: the browser keeps the form (the field is required) ...
    page.click("[data-testid=confirm-sign]")
    assert page.url.endswith(f"/sessions/{note.id}/sign")
    # ... and the server refuses it too.
    refused = page.request.post(
        f"/api/sessions/{note.id}/sign",
        headers={"X-CSRF-Token": page.request.get("/api/me").json()["csrf_token"]},
    )
    assert refused.status == 422 and "give the reason" in refused.json()["message"]
    page.fill("[data-testid=sign-reason]", "Pat on leave; note reviewed with them by phone")
    page.click("[data-testid=confirm-sign]")
    page.wait_for_url(re.compile(rf".*/sessions/{note.id}$"))
    head = page.locator(".page-head").inner_text()
    assert "Ada Admin, MSc, Lic. Ac." in head and "for Pat Moreau" in head and "on leave" in head
    assert "visit at 10:30" in head
    page.click("[data-testid=print-link]")
    page.wait_for_url(f"**/sessions/{note.id}/print")
    printed = page.locator("[data-testid=print-note]")
    assert (
        page.locator("[data-testid=print-note] input, [data-testid=print-note] button").count() == 0
    )
    text = printed.inner_text()
    assert "10:30" in text and "Pat Moreau, Lic. Ac." in text and "Ada Admin, MSc, Lic. Ac." in text
    page.emulate_media(media="print")
    shot(page, "17-note-print")
    pdf = page.pdf(format="A4")
    assert pdf.count(b"/Type /Page") - pdf.count(b"/Type /Pages") == 1  # one page
    # The audit log keeps both people and the reason.
    with db.session_scope(site["app"].state.engine) as s:
        signs = [
            e
            for e in svc.list_audit(session=s, actor=system, action="session.sign")
            if e.record_id == str(note.id)
        ]
    assert len(signs) == 1 and signs[0].username == "ada"
    assert '"for_colleague": true' in (signs[0].detail or "")
    assert "on leave" in (signs[0].detail or "")
