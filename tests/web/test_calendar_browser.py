"""Browser tests of the calendar (Playwright driving Debian Chromium, a real server).

rita (reception) books a visit from an empty slot and a clash is refused with what
is in the way, then drags the visit to another time; pat (practitioner) books a
plan's course in one step; rita books from the client page (a clash refused there
too); ada (admin) closes Mondays for lunch and a visit into the break is refused.
Screenshots: the day and week views, the settings, the client page's booking and the
calendar with a lunch break.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta
from typing import Any

import pytest

from .browser import serve, shot, sign_in
from .webhelpers import make_data_dir, seed_client_with_plan

pytestmark = pytest.mark.browser


def _next_monday() -> date:
    today = date.today()
    return today + timedelta(days=7 - today.weekday())


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    settings, ids = make_data_dir(tmp_path_factory.mktemp("acuface-cal-browser"))
    client_id, plan_id = seed_client_with_plan(settings)
    with serve(settings) as (_, url):
        yield {"url": url, "ids": ids, "client": client_id, "plan": plan_id}


@pytest.fixture(scope="module")
def site_url(site: dict[str, Any]) -> str:
    return str(site["url"])


@pytest.fixture()
def console_allowed() -> tuple[str, ...]:
    # A 409 answer is the deliberate refusal of a clash; anything else is a defect.
    return ("status of 409",)


def test_reception_books_a_visit_and_a_clash_is_refused(page: Any, site: dict[str, Any]) -> None:
    pat = site["ids"]["pat"]
    monday = _next_monday().isoformat()
    sign_in(page, "rita")
    page.goto(f"/calendar?day={monday}&practitioner={pat}")
    page.click(f'td.cal-free a[href="/calendar/new?start={monday}T10:00&practitioner_id={pat}"]')
    page.fill("input[name=q]", "Garcia")
    page.click("form.search-bar button[type=submit]")
    page.click("[data-testid=client-matches] a")
    assert page.input_value("input[name=time]") == "10:00"
    assert page.input_value("input[name=day]") == monday
    page.select_option("select[name=kind]", "first_visit")
    page.click("[data-testid=book-form] button[type=submit]")
    page.wait_for_url("**/calendar?**")
    appt = page.locator("td.cal-appt")
    assert appt.count() == 1 and "Maria Garcia" in appt.inner_text()
    assert appt.get_attribute("rowspan") == "6"  # 90 minutes
    # The same practitioner half an hour later: refused, naming the clash.
    page.goto(
        f"/calendar/new?start={monday}T10:30&practitioner_id={pat}&client_id={site['client']}"
    )
    page.click("[data-testid=book-form] button[type=submit]")
    error = page.locator("[data-testid=booking-error]").inner_text()
    assert "Pat Moreau is already booked" in error and "First visit with Maria Garcia" in error
    # Drag the visit to 14:00 (PATCH with the page's CSRF token), then see it there.
    page.goto(f"/calendar?day={monday}&practitioner={pat}")
    assert page.locator(f'td.cal-free[data-slot^="{monday}T14:00"]').count() == 1
    page.drag_and_drop("td.cal-appt", f'td.cal-free[data-slot^="{monday}T14:00"]')
    page.locator("td.cal-appt strong", has_text="14:00").wait_for()
    assert page.locator(f'td.cal-free[data-slot^="{monday}T10:00"]').count() == 1
    assert page.locator("td.cal-appt strong").inner_text() == "14:00"
    shot(page, "19-calendar-day")


def test_a_course_is_booked_from_the_plan(page: Any, site: dict[str, Any]) -> None:
    monday = _next_monday() + timedelta(days=14)
    sign_in(page, "pat")
    page.goto(f"/plans/{site['plan']}")
    page.click("[data-testid=book-course]")
    page.fill("input[name=day]", monday.isoformat())
    page.fill("input[name=at]", "11:00")
    page.click("[data-testid=course-start] button[type=submit]")
    rows = page.locator("[data-testid=course-slots] tbody tr")
    n = rows.count()
    assert n >= 3
    assert page.locator("[data-testid=course-slots] .badge-ok").count() == n
    page.click("button[name=intent][value=book]")
    page.wait_for_url("**/calendar?view=week**")
    assert f"{n} appointments" in page.locator(".flash-success").inner_text()
    assert page.locator("td.cal-appt").count() >= 1
    shot(page, "20-calendar-week")


def test_settings_page(page: Any) -> None:
    sign_in(page, "ada")
    page.goto("/admin/settings")
    page.fill("input[name=name]", "Lotus Facial Acupuncture")
    page.fill("textarea[name=closed_days]", "2026-12-24 Christmas Eve\n2026-12-31 New Year's Eve")
    page.click("[data-testid=settings-form] button[type=submit]")
    page.wait_for_url("**/admin/settings")
    assert "Clinic settings saved" in page.locator(".flash-success").inner_text()
    shot(page, "21-settings")


def test_reception_books_from_the_client_page_and_a_clash_is_refused(
    page: Any, site: dict[str, Any]
) -> None:
    pat = site["ids"]["pat"]
    day = (_next_monday() + timedelta(days=7)).isoformat()
    client_url = f"/clients/{site['client']}"
    sign_in(page, "rita")
    page.goto(client_url)
    form = "[data-testid=book-form]"
    page.fill(f"{form} input[name=day]", day)
    page.fill(f"{form} input[name=time]", "10:00")
    page.select_option(f"{form} select[name=kind]", "treatment")
    page.select_option(f"{form} select[name=practitioner_id]", str(pat))
    page.click(f"{form} button[type=submit]")
    page.wait_for_url(f"**{client_url}")
    assert "Booked: Treatment with Maria Garcia" in page.locator(".flash-success").inner_text()
    visits = page.locator("[data-testid=client-appointments]").inner_text()
    assert "10:00–11:00" in visits and "Pat Moreau" in visits
    shot(page, "23-client-booking")
    # The same practitioner half an hour later: refused, naming what is in the way.
    page.fill(f"{form} input[name=day]", day)
    page.fill(f"{form} input[name=time]", "10:30")
    page.select_option(f"{form} select[name=practitioner_id]", str(pat))
    page.click(f"{form} button[type=submit]")
    error = page.locator("[data-testid=booking-error]").inner_text()
    assert "Pat Moreau is already booked" in error and "Treatment with Maria Garcia" in error
    # Fixed on the form that refused it: an hour later fits, and it goes back to the client.
    page.fill("[data-testid=book-form] input[name=time]", "11:00")
    page.click("[data-testid=book-form] button[type=submit]")
    page.wait_for_url(f"**{client_url}")
    assert page.locator("[data-testid=client-appointments] tbody tr").count() >= 2


def test_booking_into_the_lunch_break_is_refused(page: Any, site: dict[str, Any]) -> None:
    pat = site["ids"]["pat"]
    monday = (_next_monday() + timedelta(days=7)).isoformat()
    sign_in(page, "ada")
    page.goto("/admin/settings")
    row = "[data-testid=hours-0]"  # Monday: morning and afternoon, closed for lunch
    page.locator(f"{row} input[name=opens_0]").nth(0).fill("09:00")
    page.locator(f"{row} input[name=closes_0]").nth(0).fill("12:30")
    page.locator(f"{row} input[name=opens_0]").nth(1).fill("13:30")
    page.locator(f"{row} input[name=closes_0]").nth(1).fill("18:00")
    page.click("[data-testid=settings-form] button[type=submit]")
    page.wait_for_url("**/admin/settings")
    assert "Clinic settings saved" in page.locator(".flash-success").inner_text()
    assert page.locator(f"{row} input[name=opens_0]").nth(1).input_value() == "13:30"
    shot(page, "21-settings")
    # The calendar shows the break as closed rows; a visit into it is refused.
    page.goto(f"/calendar?day={monday}&practitioner={pat}")
    assert page.locator("td.cal-gap").count() == 4  # 12:30-13:30 in 15-minute rows
    assert "closed 12:30–13:30" in page.locator("td.cal-gap").first.inner_text()
    assert page.locator(f'td.cal-free[data-slot^="{monday}T12:15"]').count() == 1
    shot(page, "24-calendar-lunch")
    page.goto(
        f"/calendar/new?start={monday}T12:00&practitioner_id={pat}&client_id={site['client']}"
    )
    page.click("[data-testid=book-form] button[type=submit]")
    error = page.locator("[data-testid=booking-error]").inner_text()
    assert "the clinic is closed 12:30-13:30" in error
