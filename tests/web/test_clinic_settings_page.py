"""The clinic settings page and ``/api/settings``: admins change them, everyone reads them.

ada (admin) saves the form and uploads the logo; pat (practitioner) and rita
(reception) read the settings through the API but get 403 on the page and on PUT.
"""

from __future__ import annotations

import io

from PIL import Image

from .webhelpers import api_token, csrf_of


def _form(token: str, **extra: str) -> dict[str, object]:
    form: dict[str, object] = {
        "csrf_token": token,
        "name": "Lotus Clinic",
        "address": "Gartenstr. 4\n10115 Berlin",
        "phone": "+49 30 1234567",
        "email": "",
        "timezone": "Europe/Berlin",
        "rooms": "Room 1\nRoom 2\nRoom 1",
        "closed_days": "2026-12-24 Christmas Eve\n\n2026-12-31",
        "kind_label": ["First visit", "Treatment", "Cupping add-on"],
        "kind_id": ["first_visit", "treatment", ""],
        "kind_duration": ["90", "50", "20"],
    }
    for i in range(7):
        form[f"opens_{i}"] = "" if i == 6 else "08:30"
        form[f"closes_{i}"] = "" if i == 6 else "17:00"
    form.update(extra)
    return form


def test_admin_saves_the_settings_form(ada, pat, rita) -> None:  # noqa: ANN001
    page = ada.get("/admin/settings")
    assert page.status_code == 200 and 'data-testid="settings-form"' in page.text
    tok = csrf_of(page.text)
    r = ada.post("/admin/settings", data=_form(tok), follow_redirects=False)
    assert r.status_code == 303, r.text
    for who in (ada, pat, rita):
        cs = who.get("/api/settings").json()
        assert cs["name"] == "Lotus Clinic" and cs["timezone"] == "Europe/Berlin"
        assert cs["rooms"] == ["Room 1", "Room 2"]
        assert cs["closed_days"] == [
            {"day": "2026-12-24", "reason": "Christmas Eve"},
            {"day": "2026-12-31", "reason": ""},
        ]
        assert cs["appointment_kinds"][2] == {
            "id": "cupping_add_on",
            "label": "Cupping add-on",
            "duration_min": 20,
        }
        assert cs["opening_hours"][0] == {
            "intervals": [{"opens": "08:30:00", "closes": "17:00:00"}]
        }
        assert cs["opening_hours"][6] == {"intervals": []}
    page = ada.get("/admin/settings").text
    assert "2026-12-24 Christmas Eve" in page and 'value="cupping_add_on"' in page


def test_bad_form_input_is_a_clear_422(ada) -> None:  # noqa: ANN001
    tok = csrf_of(ada.get("/admin/settings").text)
    r = ada.post("/admin/settings", data=_form(tok, closed_days="24.12.2026 Christmas"))
    assert r.status_code == 422 and "line 1" in r.text and "YYYY-MM-DD" in r.text
    r = ada.post("/admin/settings", data=_form(tok, opens_2="18:00"))
    assert r.status_code == 422 and "not after 18:00" in r.text


def test_a_lunch_break_is_two_intervals_and_overlaps_are_refused(ada, rita) -> None:  # noqa: ANN001
    tok = csrf_of(ada.get("/admin/settings").text)
    lunch = {"opens_0": ["09:00", "13:30", ""], "closes_0": ["12:30", "18:00", ""]}
    r = ada.post("/admin/settings", data=_form(tok, **lunch), follow_redirects=False)
    assert r.status_code == 303, r.text
    monday = rita.get("/api/settings").json()["opening_hours"][0]
    assert monday == {
        "intervals": [
            {"opens": "09:00:00", "closes": "12:30:00"},
            {"opens": "13:30:00", "closes": "18:00:00"},
        ]
    }
    page = ada.get("/admin/settings").text
    assert page.count('name="opens_0"') == 3  # both intervals and one to add
    assert 'value="13:30"' in page
    overlap = {"opens_0": ["09:00", "12:00"], "closes_0": ["12:30", "18:00"]}
    r = ada.post("/admin/settings", data=_form(tok, **overlap))
    assert r.status_code == 422 and "Monday" in r.text and "overlap" in r.text
    half = {"opens_1": ["09:00", "14:00"], "closes_1": ["12:00", ""]}
    r = ada.post("/admin/settings", data=_form(tok, **half))
    assert r.status_code == 422 and "Tuesday, interval 2" in r.text
    # The calendar shows the break as closed rows between the bookable ones.
    cal = rita.get("/calendar?day=2026-12-07&practitioner=all").text
    assert 'data-gap="12:30-13:30"' in cal and "closed 12:30–13:30" in cal
    assert 'data-slot="2026-12-07T12:15:00+01:00"' in cal
    assert 'data-slot="2026-12-07T12:30:00+01:00"' not in cal
    assert 'data-slot="2026-12-07T13:30:00+01:00"' in cal


def test_only_admins_change_settings(pat, rita) -> None:  # noqa: ANN001
    for who in (pat, rita):
        assert who.get("/admin/settings").status_code == 403
        current = who.get("/api/settings").json()
        body = {
            k: v for k, v in current.items() if k not in ("has_logo", "updated_at", "updated_by")
        }
        r = who.put("/api/settings", headers={"X-CSRF-Token": api_token(who)}, json=body)
        assert r.status_code == 403


def test_put_settings_api(ada) -> None:  # noqa: ANN001
    current = ada.get("/api/settings").json()
    body = {k: v for k, v in current.items() if k not in ("has_logo", "updated_at", "updated_by")}
    body["rooms"] = ["Garden room"]
    r = ada.put("/api/settings", headers={"X-CSRF-Token": api_token(ada)}, json=body)
    assert r.status_code == 200 and r.json()["rooms"] == ["Garden room"]
    body["unknown"] = 1
    r = ada.put("/api/settings", headers={"X-CSRF-Token": api_token(ada)}, json=body)
    assert r.status_code == 422


def test_logo_upload_is_served_to_signed_in_users(ada, rita, anon) -> None:  # noqa: ANN001
    tok = csrf_of(ada.get("/admin/settings").text)
    buf = io.BytesIO()
    Image.new("RGB", (300, 120), (200, 30, 30)).save(buf, format="PNG")
    r = ada.post(
        "/admin/settings/logo",
        data={"csrf_token": tok},
        files={"file": ("logo.png", buf.getvalue(), "image/png")},
        follow_redirects=False,
    )
    assert r.status_code == 303
    got = rita.get("/clinic/logo")
    assert got.status_code == 200 and got.headers["content-type"] == "image/png"
    assert Image.open(io.BytesIO(got.content)).size == (300, 120)
    assert anon.get("/clinic/logo", follow_redirects=False).status_code == 303
    assert 'src="/clinic/logo"' in ada.get("/admin/settings").text
    r = ada.post("/admin/settings/logo/remove", data={"csrf_token": tok}, follow_redirects=False)
    assert r.status_code == 303 and rita.get("/clinic/logo").status_code == 404
