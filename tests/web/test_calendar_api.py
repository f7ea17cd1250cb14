"""The calendar's JSON contract, on SQLite and PostgreSQL, and its pages.

rita (reception) books, moves and cancels; pat (practitioner) is booked and charts
the visit; rita never sees the note. The clinic defaults apply (UTC; Monday to
Friday 09:00-18:00).
"""

from __future__ import annotations

from datetime import date

import pytest
from fastapi.testclient import TestClient

from .webhelpers import api_token, csrf_of, login

MONDAY = date(2026, 12, 7)


@pytest.fixture(scope="module")
def cal(any_db_app):  # noqa: ANN001, ANN201
    rita = login(TestClient(any_db_app, base_url="http://127.0.0.1"), "rita")
    pat = login(TestClient(any_db_app, base_url="http://127.0.0.1"), "pat")
    tok = api_token(rita)
    client = rita.post(
        "/api/clients",
        headers={"X-CSRF-Token": tok},
        json={"given_name": "Noor", "family_name": "Ashdown"},
    ).json()
    return {
        "rita": rita,
        "pat": pat,
        "tok": tok,
        "client": client["id"],
        "pat_id": any_db_app.state.test_user_ids["pat"],
    }


def _book(cal, start: str, kind: str = "treatment", **extra):  # noqa: ANN001, ANN202
    body = {
        "client_id": cal["client"],
        "practitioner_id": cal["pat_id"],
        "start": start,
        "kind": kind,
        **extra,
    }
    return cal["rita"].post("/api/appointments", headers={"X-CSRF-Token": cal["tok"]}, json=body)


def test_book_clash_list_move_status(cal) -> None:  # noqa: ANN001
    r = _book(cal, "2026-12-07T10:00:00", duration_min=60)
    assert r.status_code == 201, r.text
    a = r.json()
    assert a["start"] == "2026-12-07T10:00:00Z" or a["start"].startswith("2026-12-07T10:00:00")
    assert a["duration_min"] == 60 and a["status"] == "booked" and a["client_initials"] == "N. A."
    clash = _book(cal, "2026-12-07T10:30:00", kind="follow_up")
    assert clash.status_code == 409
    body = clash.json()
    assert body["type"] == "AppointmentClash" and "Pat Moreau is already booked" in body["message"]
    assert body["clash"]["id"] == a["id"] and body["clash"]["client_name"] == "Noor Ashdown"
    closed = _book(cal, "2026-12-06T10:00:00")
    assert closed.status_code == 409 and "closed on Sundays" in closed.json()["message"]
    late = _book(cal, "2026-12-07T17:45:00")
    assert late.status_code == 409 and "outside the opening hours" in late.json()["message"]
    assert _book(cal, "2026-12-07T10:00:00", kind="massage").status_code == 422
    b = _book(cal, "2026-12-08T09:00:00", kind="first_visit").json()
    assert b["duration_min"] == 90
    listed = cal["pat"].get("/api/appointments?start=2026-12-07&end=2026-12-08").json()
    assert [x["id"] for x in listed] == [a["id"], b["id"]]
    assert (
        cal["rita"].get("/api/appointments?start=2026-12-08&end=2026-12-08").json()[0]["id"]
        == b["id"]
    )
    assert cal["rita"].get("/api/appointments?start=2026-01-01&end=2026-12-31").status_code == 422
    assert cal["rita"].get("/api/appointments?start=2026-12-07").status_code == 422
    h = {"X-CSRF-Token": cal["tok"]}
    r = cal["rita"].patch(
        f"/api/appointments/{b['id']}", headers=h, json={"start": "2026-12-07T10:30:00"}
    )
    assert r.status_code == 409 and r.json()["clash"]["id"] == a["id"]
    r = cal["rita"].patch(
        f"/api/appointments/{b['id']}", headers=h, json={"start": "2026-12-07T11:00:00"}
    )
    assert r.status_code == 200 and r.json()["end"].startswith("2026-12-07T12:30")
    r = cal["rita"].patch(f"/api/appointments/{a['id']}", headers=h, json={"status": "cancelled"})
    assert r.status_code == 200 and r.json()["status"] == "cancelled"
    r = cal["rita"].patch(f"/api/appointments/{a['id']}", headers=h, json={"status": "no_show"})
    assert r.status_code == 409
    # Without the CSRF header nothing changes.
    r = cal["rita"].patch(f"/api/appointments/{b['id']}", json={"status": "cancelled"})
    assert r.status_code == 403
    assert cal["rita"].get(f"/api/appointments/{b['id']}").json()["status"] == "booked"


def test_calendar_pages_book_from_a_slot_and_chart_once(cal) -> None:  # noqa: ANN001
    rita, pat = cal["rita"], cal["pat"]
    page = rita.get(f"/calendar?day=2026-12-09&practitioner={cal['pat_id']}")
    assert page.status_code == 200
    slot = f"/calendar/new?start=2026-12-09T14:00&practitioner_id={cal['pat_id']}"
    assert slot in page.text
    form = rita.get(
        f"/calendar/new?start=2026-12-09T14:00&practitioner_id={cal['pat_id']}&q=ashdown"
    )
    assert "Noor Ashdown" in form.text
    form = rita.get(
        f"/calendar/new?start=2026-12-09T14:00&practitioner_id={cal['pat_id']}&client_id={cal['client']}"
    )
    assert 'value="14:00"' in form.text and 'value="2026-12-09"' in form.text
    tok = csrf_of(form.text)
    data = {
        "csrf_token": tok,
        "client_id": cal["client"],
        "practitioner_id": cal["pat_id"],
        "day": "2026-12-09",
        "time": "14:00",
        "kind": "treatment",
    }
    r = rita.post("/calendar/appointments", data=data, follow_redirects=False)
    assert r.status_code == 303
    again = rita.post("/calendar/appointments", data={**data, "time": "14:30"})
    assert again.status_code == 409 and "Pat Moreau is already booked" in again.text
    day = rita.get(r.headers["location"]).text
    assert "Noor Ashdown" in day and 'rowspan="4"' in day
    week = rita.get("/calendar?view=week&day=2026-12-09&practitioner=all").text
    assert week.count('class="cal-day') == 7 and "Noor Ashdown" in week
    appt = rita.get("/api/appointments?start=2026-12-09&end=2026-12-09").json()[0]
    # Reception cannot chart; the practitioner's two clicks open one note.
    ptok = csrf_of(pat.get(f"/appointments/{appt['id']}").text)
    assert (
        rita.post(f"/appointments/{appt['id']}/chart", data={"csrf_token": tok}).status_code == 403
    )
    one = pat.post(
        f"/appointments/{appt['id']}/chart", data={"csrf_token": ptok}, follow_redirects=False
    )
    two = pat.post(
        f"/appointments/{appt['id']}/chart", data={"csrf_token": ptok}, follow_redirects=False
    )
    assert one.headers["location"] == two.headers["location"]
    assert one.headers["location"].startswith("/sessions/")
    # Move through the edit form, then mark a no-show from the page's buttons.
    r = rita.post(
        f"/appointments/{appt['id']}",
        data={**data, "time": "15:00", "duration_min": "60", "room": "", "note": "late"},
        follow_redirects=False,
    )
    assert r.status_code == 303
    moved = rita.get(f"/api/appointments/{appt['id']}").json()
    assert moved["start"].startswith("2026-12-09T15:00") and moved["note"] == "late"


def test_today_is_the_days_appointments(cal) -> None:  # noqa: ANN001
    r = _book(cal, "2026-12-10T11:00:00", kind="follow_up")
    assert r.status_code == 201, r.text
    a = r.json()
    desk = cal["rita"].get("/today?day=2026-12-10").text
    assert "Noor Ashdown" in desk and "11:00–11:30" in desk and "Follow-up" in desk
    assert "Chart a session" not in desk and 'value="arrived"' in desk
    room = cal["pat"].get("/today?day=2026-12-10").text
    assert f'action="/appointments/{a["id"]}/chart"' in room and "Chart a session" in room


def test_book_the_course_from_the_plan(any_db_app, cal) -> None:  # noqa: ANN001
    from .webhelpers import seed_client_with_plan

    settings = any_db_app.state.web_settings.core
    client_id, plan_id = seed_client_with_plan(settings, given="Hedda")
    pat = cal["pat"]
    assert f"/plans/{plan_id}/book-course" in pat.get(f"/plans/{plan_id}").text
    # Monday 14 Dec 2026, 10:00; the default course has several sessions at the plan's spacing.
    page = pat.get(f"/plans/{plan_id}/book-course?day=2026-12-14&at=10:00&kind=treatment")
    assert page.status_code == 200 and 'data-testid="course-slots"' in page.text
    tok = csrf_of(page.text)
    import re

    days = re.findall(r'name="start_day" value="([0-9-]+)"', page.text)
    times = re.findall(r'name="start_time" step="300" value="([0-9:]+)"', page.text)
    assert len(days) >= 3 and days[0] == "2026-12-14" and set(times) == {"10:00"}
    # A clash on the second session: refused whole, nothing booked.
    r = _book(cal, f"{days[1]}T10:30:00", kind="follow_up")
    assert r.status_code == 201, r.text
    form = {
        "csrf_token": tok,
        "practitioner_id": cal["pat_id"],
        "kind": "treatment",
        "room": "",
        "start_day": days,
        "start_time": times,
        "intent": "book",
    }
    refused = pat.post(f"/plans/{plan_id}/book-course", data=form)
    assert refused.status_code == 409 and "Nothing was booked" in refused.text
    assert "session 2" in refused.text and "cannot book" in refused.text
    before = pat.get(f"/api/appointments?start=2026-12-14&end=2027-02-13&client_id={client_id}")
    assert before.json() == []
    times[1] = "11:00"
    ok = pat.post(f"/plans/{plan_id}/book-course", data=form, follow_redirects=False)
    assert ok.status_code == 303, ok.text
    booked = []
    for lo, hi in (("2026-12-14", "2027-02-13"), ("2027-02-14", "2027-04-16")):
        booked += pat.get(f"/api/appointments?start={lo}&end={hi}&client_id={client_id}").json()
    assert max(days) <= "2027-04-16"
    assert [b["start"][:16] for b in booked] == [
        f"{d}T{t}" for d, t in zip(days, times, strict=True)
    ]
    assert all(b["plan_id"] == plan_id and b["kind"] == "treatment" for b in booked)
