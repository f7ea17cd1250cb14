"""The clinic's settings: identity and logo, opening hours, closed days, kinds, rooms.

Anyone signed in reads them (the calendar, handouts and reports need them; they
hold no client data); only an admin changes them, and every change is audited.
Until an admin saves them the defaults of
:class:`~acuface.clinic.schemas.ClinicSettingsDTO` apply (Monday to Friday
09:00-18:00, Saturday mornings; first visit 90, treatment 60, follow-up 30 minutes).
"""

from __future__ import annotations

import base64
import io

from PIL import Image, ImageOps, UnidentifiedImageError
from sqlalchemy.orm import Session

from acuface.clinic import models as m
from acuface.clinic.access import Action, authorize
from acuface.clinic.schemas import (
    MAX_LOGO_BYTES,
    Actor,
    ClinicLogo,
    ClinicSettingsDTO,
    ClinicSettingsUpdate,
)
from acuface.clinic.services._common import audit, author
from acuface.errors import InvalidRecord

#: The one row's id.
SETTINGS_ID = 1
#: Longer side of the stored logo (enough for a letterhead at print resolution).
LOGO_MAX_PX = 600


def _to_dto(row: m.ClinicSettings | None) -> ClinicSettingsDTO:
    if row is None:
        return ClinicSettingsDTO()
    return ClinicSettingsDTO(
        name=row.name,
        address=row.address,
        phone=row.phone,
        email=row.email,
        timezone=row.timezone,
        opening_hours=row.opening_hours,
        closed_days=row.closed_days,
        appointment_kinds=row.appointment_kinds,
        rooms=row.rooms,
        has_logo=row.logo_png_b64 is not None,
        updated_at=row.updated_at,
        updated_by=row.updated_by,
    )


def get_clinic_settings(*, session: Session) -> ClinicSettingsDTO:
    """Return the clinic's settings (the defaults until an admin saves them).

    Parameters
    ----------
    session : Session
        Database session.

    Returns
    -------
    ClinicSettingsDTO
        Typed settings, with helpers for the calendar (``hours_on``, ``closed_reason``,
        ``kind``) and the time zone (``zone``).
    """
    return _to_dto(session.get(m.ClinicSettings, SETTINGS_ID))


def _row(session: Session, actor: Actor) -> m.ClinicSettings:
    row = session.get(m.ClinicSettings, SETTINGS_ID, with_for_update=True)
    if row is None:
        defaults = ClinicSettingsDTO().model_dump(mode="json", exclude={"has_logo"})
        row = m.ClinicSettings(
            id=SETTINGS_ID,
            **{k: v for k, v in defaults.items() if k not in ("updated_at", "updated_by")},
            updated_by=author(actor),
        )
        session.add(row)
    return row


def update_clinic_settings(
    *, session: Session, actor: Actor, data: ClinicSettingsUpdate
) -> ClinicSettingsDTO:
    """Save the clinic's settings (admin only; audited with the names of the changed fields).

    Appointments already booked are not changed: new opening hours and closed days
    apply to bookings and moves from now on.
    """
    authorize(actor, Action.EDIT_CLINIC_SETTINGS)
    before = get_clinic_settings(session=session).model_dump(mode="json")
    row = _row(session, actor)
    values = data.model_dump(mode="json")
    for field, value in values.items():
        setattr(row, field, value)
    row.updated_at = m.utcnow()
    row.updated_by = author(actor)
    session.flush()
    changed = sorted(k for k, v in values.items() if before.get(k) != v)
    audit(
        session,
        actor,
        "settings.update",
        "clinic_settings",
        SETTINGS_ID,
        detail={"changed": changed},
    )
    return _to_dto(row)


def _logo_png(data: bytes) -> bytes:
    """Decode an uploaded logo and return it as a PNG of at most LOGO_MAX_PX (keeps alpha)."""
    try:
        with Image.open(io.BytesIO(data)) as img:
            if img.width * img.height > 25_000_000:
                raise InvalidRecord(f"The logo is {img.width}x{img.height} px; far too large.")
            img.load()
            logo = ImageOps.exif_transpose(img).convert("RGBA")
    except (UnidentifiedImageError, OSError, Image.DecompressionBombError):
        raise InvalidRecord(
            "The logo is not an image Acuface reads; upload a PNG, JPEG or WebP file."
        ) from None
    logo.thumbnail((LOGO_MAX_PX, LOGO_MAX_PX))
    buf = io.BytesIO()
    logo.save(buf, format="PNG", optimize=True)
    return buf.getvalue()


def set_clinic_logo(*, session: Session, actor: Actor, data: bytes | None) -> ClinicSettingsDTO:
    """Store the clinic's logo (any photo format; kept as a PNG), or remove it with None.

    Raises
    ------
    InvalidRecord
        When the file is larger than :data:`~acuface.clinic.schemas.MAX_LOGO_BYTES`.
        Also when it is not an image (PNG, JPEG, WebP, GIF) or has absurd dimensions.
    """
    authorize(actor, Action.EDIT_CLINIC_SETTINGS)
    encoded: str | None = None
    if data is not None:
        if len(data) > MAX_LOGO_BYTES:
            raise InvalidRecord(
                f"The logo file is {len(data) / 1e6:.1f} MB; at most "
                f"{MAX_LOGO_BYTES / 1e6:.0f} MB. Export a smaller image."
            )
        encoded = base64.b64encode(_logo_png(data)).decode("ascii")
    row = _row(session, actor)
    row.logo_png_b64 = encoded
    row.updated_at = m.utcnow()
    row.updated_by = author(actor)
    session.flush()
    audit(
        session,
        actor,
        "settings.logo" if encoded else "settings.logo_removed",
        "clinic_settings",
        SETTINGS_ID,
    )
    return _to_dto(row)


def get_clinic_logo(*, session: Session) -> ClinicLogo | None:
    """Return the clinic's logo (PNG), or None when none was uploaded."""
    row = session.get(m.ClinicSettings, SETTINGS_ID)
    if row is None or row.logo_png_b64 is None:
        return None
    return ClinicLogo(content_type="image/png", data=base64.b64decode(row.logo_png_b64))
