"""The private iCalendar feed: a secret URL per practitioner, initials and kind only.

pat (practitioner) gets ``calendar_url`` from ``/api/me`` and can make a new one;
rita (reception) has none. The feed is read without a sign-in (the token is the
key), parsed back with ``icalendar``, and every read is audited.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from fastapi.testclient import TestClient
from icalendar import Calendar

from .webhelpers import api_token, csrf_of


def test_feed_shows_initials_and_kind_only(app, pat, rita, alice) -> None:  # noqa: ANN001
    me = pat.get("/api/me").json()
    url = me["calendar_url"]
    assert url and url.startswith("http://127.0.0.1/calendar/feed/") and url.endswith(".ics")
    assert pat.get("/api/me").json()["calendar_url"] == url  # stable until regenerated
    assert rita.get("/api/me").json()["calendar_url"] is None
    tok = api_token(rita)
    client = rita.post(
        "/api/clients",
        headers={"X-CSRF-Token": tok},
        json={"given_name": "Saskia", "family_name": "Whitcombe", "phone": "+44 7700 900123"},
    ).json()
    day = date.today() + timedelta(days=7)
    while day.weekday() >= 5:  # the default hours: weekdays until 18:00
        day += timedelta(days=1)
    pat_id = pat.get("/api/me").json()["user"]["id"]
    r = rita.post(
        "/api/appointments",
        headers={"X-CSRF-Token": tok},
        json={
            "client_id": client["id"],
            "practitioner_id": pat_id,
            "start": f"{day.isoformat()}T10:00:00",
            "kind": "first_visit",
            "note": "PRIVATE-NOTE",
        },
    )
    assert r.status_code == 201, r.text
    anon = TestClient(app, base_url="http://127.0.0.1")
    feed = anon.get(url.removeprefix("http://127.0.0.1"))
    assert feed.status_code == 200 and feed.headers["content-type"].startswith("text/calendar")
    assert "Whitcombe" not in feed.text and "Saskia" not in feed.text
    assert "PRIVATE-NOTE" not in feed.text and "7700" not in feed.text
    cal = Calendar.from_ical(feed.content)
    events = [e for e in cal.walk("VEVENT")]
    assert len(events) == 1
    ev = events[0]
    assert str(ev["summary"]) == "S. W. · First visit"
    assert ev.decoded("dtstart") == datetime(day.year, day.month, day.day, 10, tzinfo=UTC)
    assert ev.decoded("dtend") - ev.decoded("dtstart") == timedelta(minutes=90)
    assert str(ev["uid"]) == f"appointment-{r.json()['id']}@acuface"
    audit = alice.get("/admin/audit?action=calendar_feed.read")
    assert "calendar_feed.read" in audit.text
    # A new link: the old one stops working at once.
    page = pat.get("/me")
    assert url in page.text
    r = pat.post(
        "/me/calendar-feed", data={"csrf_token": csrf_of(page.text)}, follow_redirects=False
    )
    assert r.status_code == 303
    new = pat.get("/api/me").json()["calendar_url"]
    assert new != url
    assert anon.get(url.removeprefix("http://127.0.0.1")).status_code == 404
    assert anon.get(new.removeprefix("http://127.0.0.1")).status_code == 200
    assert anon.get("/calendar/feed/not-a-token.ics").status_code in (404, 422)
