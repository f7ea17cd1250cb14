"""Booking from the client page: a real appointment, the coming visits, charting that visit.

rita (reception) books on the client page and sees a clash refused with what is in
the way; pat (practitioner) charts today's booked visit from the client page and
gets that visit's one note, however often the button is pressed.
"""

from __future__ import annotations

from datetime import date, timedelta

from .webhelpers import api_token, csrf_of, set_opening_hours


def _client(who, given: str) -> int:  # noqa: ANN001
    r = who.post(
        "/api/clients",
        headers={"X-CSRF-Token": api_token(who)},
        json={"given_name": given, "family_name": "Okafor"},
    )
    assert r.status_code == 201, r.text
    return int(r.json()["id"])


def _book(who, client_id: int, day: date, at: str, practitioner: int, kind: str = "treatment"):  # noqa: ANN001, ANN202
    page = who.get(f"/clients/{client_id}")
    assert 'data-testid="book-form"' in page.text  # every role books here
    return who.post(
        "/calendar/appointments",
        data={
            "csrf_token": csrf_of(page.text),
            "client_id": str(client_id),
            "back": f"/clients/{client_id}",
            "day": day.isoformat(),
            "time": at,
            "kind": kind,
            "practitioner_id": str(practitioner),
        },
        follow_redirects=False,
    )


def test_reception_books_on_the_client_page_and_a_clash_is_refused(
    rita,
    web_env,  # noqa: ANN001
) -> None:
    set_opening_hours(web_env["app"].state.engine)  # type: ignore[attr-defined]
    pat = web_env["ids"]["pat"]  # type: ignore[index]
    client_id = _client(rita, "Ada")
    day = date.today() + timedelta(days=3)
    r = _book(rita, client_id, day, "10:00", pat)
    assert r.status_code == 303 and r.headers["location"] == f"/clients/{client_id}"
    page = rita.get(f"/clients/{client_id}").text
    assert "Booked: Treatment with Ada Okafor" in page
    assert f"{day:%a %d %b %Y}, 10:00–11:00" in page and "Pat Moreau" in page
    # It is an appointment, not a draft note: on the calendar, audited as rita's booking.
    listed = rita.get(
        "/api/appointments",
        params={"start": day.isoformat(), "end": day.isoformat(), "client_id": client_id},
    ).json()
    assert [(a["status"], a["session_id"], a["created_by"]) for a in listed] == [
        ("booked", None, "rita")
    ]
    # The same practitioner half an hour later: refused, naming the clash, nothing booked.
    clash = _book(rita, client_id, day, "10:30", pat, kind="follow_up")
    assert clash.status_code == 409
    assert (
        "Pat Moreau is already booked" in clash.text and "Treatment with Ada Okafor" in clash.text
    )
    assert f'name="back" value="/clients/{client_id}"' in clash.text  # fix it and go back
    again = rita.get(
        "/api/appointments",
        params={"start": day.isoformat(), "end": day.isoformat(), "client_id": client_id},
    ).json()
    assert len(again) == 1


def test_the_client_page_lists_a_few_coming_visits_and_pages_the_rest(
    rita,
    web_env,  # noqa: ANN001
) -> None:
    set_opening_hours(web_env["app"].state.engine)  # type: ignore[attr-defined]
    lian = web_env["ids"]["lian"]  # type: ignore[index]
    client_id = _client(rita, "Bea")
    first = date.today() + timedelta(days=1)
    for n in range(7):
        assert _book(rita, client_id, first + timedelta(days=n), "09:00", lian).status_code == 303
    page = rita.get(f"/clients/{client_id}").text
    assert page.count('data-testid="appointment-') == 5  # soonest first, a few only
    assert f"{first:%a %d %b %Y}, 09:00" in page
    assert "All 7 coming visits" in page
    rest = rita.get(f"/clients/{client_id}/appointments?size=5&page=2").text
    assert rest.count('data-testid="appointment-') == 2
    assert f"{first + timedelta(days=6):%a %d %b %Y}, 09:00" in rest


def test_chart_a_session_on_todays_booked_visit_opens_its_one_note(
    rita,
    pat,
    web_env,  # noqa: ANN001
) -> None:
    set_opening_hours(web_env["app"].state.engine)  # type: ignore[attr-defined]
    client_id = _client(rita, "Cem")
    pat_id = web_env["ids"]["pat"]  # type: ignore[index]
    assert _book(rita, client_id, date.today(), "20:00", pat_id).status_code == 303
    page = pat.get(f"/clients/{client_id}").text
    assert 'data-testid="chart-visit"' in page  # the page's "Chart a session" is that visit's
    notes = set()
    for _ in range(2):
        token = csrf_of(pat.get(f"/clients/{client_id}").text)
        [appt] = pat.get(
            "/api/appointments",
            params={
                "start": date.today().isoformat(),
                "end": date.today().isoformat(),
                "client_id": client_id,
            },
        ).json()
        r = pat.post(
            f"/appointments/{appt['id']}/chart",
            data={"csrf_token": token},
            follow_redirects=False,
        )
        assert r.status_code == 303 and r.headers["location"].startswith("/sessions/")
        notes.add(r.headers["location"])
    assert len(notes) == 1  # the same note both times: no duplicate visit
    sessions = pat.get(f"/api/clients/{client_id}/sessions").json()
    assert len(sessions) == 1 and sessions[0]["start_time"] == "20:00:00"
    assert "Open today's note" in pat.get(f"/clients/{client_id}").text
