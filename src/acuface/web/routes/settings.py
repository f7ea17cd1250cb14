"""Clinic settings (admin): identity and logo, opening hours, closed days, kinds, rooms.

Everyone signed in reads them (``GET /api/settings``, the logo at ``/clinic/logo``);
only an admin changes them.
"""

from __future__ import annotations

from datetime import date, time
from typing import Annotated, Any

from fastapi import APIRouter, File, Request, UploadFile
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError

from acuface.clinic import services as svc
from acuface.clinic.schemas import (
    MAX_INTERVALS_PER_DAY,
    MAX_LOGO_BYTES,
    WEEKDAYS,
    AppointmentKind,
    ClinicSettingsDTO,
    ClinicSettingsUpdate,
    ClosedDay,
    DayHours,
    OpenInterval,
)
from acuface.errors import InvalidAnswers, InvalidRecord
from acuface.web.deps import API_ERRORS, AdminActor, CurrentUser, FormDep, SessionDep, api_router
from acuface.web.templating import flash, render

router = APIRouter(include_in_schema=False)


def _text(form: Any, name: str) -> str:
    value = form.get(name)
    return value.strip() if isinstance(value, str) else ""


def _time(value: str, label: str) -> time | None:
    if not value:
        return None
    try:
        return time.fromisoformat(value)
    except ValueError:
        raise InvalidAnswers(f"{label}: {value!r} is not a time (HH:MM).") from None


def _closed_days(text: str) -> list[ClosedDay]:
    """Read one closed day a line: ``2026-12-24 Christmas Eve`` (the reason is optional)."""
    days = []
    for n, line in enumerate(text.splitlines(), start=1):
        line = line.strip()
        if not line:
            continue
        head, _, reason = line.partition(" ")
        try:
            days.append(ClosedDay(day=date.fromisoformat(head), reason=reason.strip()))
        except ValueError:
            raise InvalidAnswers(
                f"Closed days, line {n}: {line!r} does not start with a date (YYYY-MM-DD)."
            ) from None
    return sorted(days, key=lambda d: d.day)


def _kinds(form: Any) -> list[AppointmentKind]:
    ids, labels = form.getlist("kind_id"), form.getlist("kind_label")
    durations = form.getlist("kind_duration")
    if not len(ids) == len(labels) == len(durations):
        raise InvalidAnswers("The appointment kinds are incomplete; reload the page.")
    kinds = []
    for kind_id, label, duration in zip(ids, labels, durations, strict=True):
        kind_id, label, duration = str(kind_id).strip(), str(label).strip(), str(duration).strip()
        if not (kind_id or label):
            continue
        kind_id = kind_id or label.lower().replace(" ", "_").replace("-", "_")
        try:
            kinds.append(AppointmentKind(id=kind_id, label=label, duration_min=int(duration)))
        except (ValueError, ValidationError) as exc:
            raise InvalidAnswers(
                f"Appointment kind {label or kind_id!r}: give a label, an id of lower-case "
                f"letters and a length of 5 to 480 minutes ({exc.__class__.__name__})."
            ) from None
    return kinds


def _day_hours(form: Any, i: int, day: str) -> DayHours:
    """Read one weekday's repeated ``opens_i``/``closes_i`` pairs (an empty pair is skipped)."""
    opens, closes = form.getlist(f"opens_{i}"), form.getlist(f"closes_{i}")
    if len(opens) != len(closes):
        raise InvalidAnswers(f"{day}: the opening hours are incomplete; reload the page.")
    intervals = []
    for n, (a, b) in enumerate(zip(opens, closes, strict=True), start=1):
        at, until = str(a).strip(), str(b).strip()
        if not (at or until):
            continue
        if not (at and until):
            raise InvalidAnswers(
                f"{day}, interval {n}: give both the opening and the closing time, or neither."
            )
        try:
            intervals.append(
                OpenInterval(
                    opens=_time(at, f"{day} opens"),
                    closes=_time(until, f"{day} closes"),
                )
            )
        except ValidationError as exc:
            raise InvalidAnswers(f"{day}: {exc.errors()[0]['msg']}") from None
    try:
        return DayHours(intervals=intervals)
    except ValidationError as exc:
        raise InvalidAnswers(f"{day}: {exc.errors()[0]['msg']}") from None


def settings_from_form(form: Any) -> ClinicSettingsUpdate:
    """Read the settings form into :class:`ClinicSettingsUpdate` (a clear 422 when invalid).

    Each weekday has several ``opens_i``/``closes_i`` pairs (a clinic that closes for
    lunch uses two); the pairs left empty are not intervals.
    """
    hours = [_day_hours(form, i, day) for i, day in enumerate(WEEKDAYS)]
    try:
        rooms = [r.strip() for r in _text(form, "rooms").splitlines() if r.strip()]
        return ClinicSettingsUpdate(
            name=_text(form, "name"),
            address=_text(form, "address") or None,
            phone=_text(form, "phone") or None,
            email=_text(form, "email") or None,
            timezone=_text(form, "timezone") or "UTC",
            opening_hours=hours,
            closed_days=_closed_days(_text(form, "closed_days")),
            appointment_kinds=_kinds(form),
            rooms=list(dict.fromkeys(rooms)),
        )
    except ValidationError as exc:
        err = exc.errors()[0]
        where = ".".join(str(x) for x in err.get("loc", ()))
        raise InvalidAnswers(
            f"The settings are invalid: {where + ': ' if where else ''}{err['msg']}"
        ) from None


@router.get("/admin/settings", name="admin_settings")
def admin_settings(request: Request, session: SessionDep, actor: AdminActor) -> Response:
    """Show the clinic settings form."""
    current = svc.get_clinic_settings(session=session)
    return render(
        request,
        "admin/settings.html",
        {
            "cs": current,
            "weekdays": WEEKDAYS,
            "max_logo_mb": MAX_LOGO_BYTES // 1_000_000,
            "max_intervals": MAX_INTERVALS_PER_DAY,
        },
    )


@router.post("/admin/settings", name="admin_settings_save")
def admin_settings_save(
    request: Request, form: FormDep, session: SessionDep, actor: AdminActor
) -> Response:
    """Save the settings form."""
    data = settings_from_form(form)
    svc.update_clinic_settings(session=session, actor=actor, data=data)
    flash(request, "Clinic settings saved.", "success")
    return RedirectResponse("/admin/settings", status_code=303)


@router.post("/admin/settings/logo", name="admin_settings_logo")
def admin_settings_logo(
    request: Request,
    session: SessionDep,
    actor: AdminActor,
    file: Annotated[UploadFile, File()],
) -> Response:
    """Upload the clinic's logo (kept as a PNG of at most 600 px)."""
    data = file.file.read(MAX_LOGO_BYTES + 1)
    if not data:
        raise InvalidRecord("The logo file is empty.")
    svc.set_clinic_logo(session=session, actor=actor, data=data)
    flash(request, "Logo saved; handouts and reports print it.", "success")
    return RedirectResponse("/admin/settings", status_code=303)


@router.post("/admin/settings/logo/remove", name="admin_settings_logo_remove")
def admin_settings_logo_remove(
    request: Request, session: SessionDep, actor: AdminActor
) -> Response:
    """Remove the clinic's logo."""
    svc.set_clinic_logo(session=session, actor=actor, data=None)
    flash(request, "Logo removed.", "success")
    return RedirectResponse("/admin/settings", status_code=303)


@router.get("/clinic/logo", name="clinic_logo")
def clinic_logo(session: SessionDep, user: CurrentUser) -> Response:
    """Serve the clinic's logo (PNG) to pages; 404 when there is none."""
    logo = svc.get_clinic_logo(session=session)
    if logo is None:
        return Response(status_code=404)
    return Response(
        logo.data, media_type=logo.content_type, headers={"Cache-Control": "private, max-age=300"}
    )


# --- JSON API (same session, roles and CSRF as the pages) ---------------------

api = api_router()


@api.get("/settings", response_model=ClinicSettingsDTO, responses=API_ERRORS)
def get_settings(session: SessionDep, user: CurrentUser) -> Any:
    """Return the clinic's settings (identity, hours, closed days, appointment kinds, rooms)."""
    return svc.get_clinic_settings(session=session)


@api.put("/settings", response_model=ClinicSettingsDTO, responses=API_ERRORS)
def put_settings(session: SessionDep, actor: AdminActor, data: ClinicSettingsUpdate) -> Any:
    """Replace the clinic's settings (admin only; the logo is uploaded on the settings page)."""
    return svc.update_clinic_settings(session=session, actor=actor, data=data)
