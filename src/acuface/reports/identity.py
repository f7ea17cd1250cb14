"""The clinic's identity (name, address, phone, e-mail, logo) as printed on documents.

Handouts and PDF reports carry the clinic that gave them out; the details come
from the clinic settings (``services.get_clinic_settings``, an admin sets them
on ``/admin/settings``). The logo is embedded as a ``data:`` URI so the printed
HTML stays self-contained and WeasyPrint never fetches anything.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from typing import TYPE_CHECKING

from acuface.clinic import services as svc

if TYPE_CHECKING:
    from sqlalchemy.orm import Session


@dataclass(frozen=True)
class ClinicHeader:
    """What the top of a printed document says about the clinic."""

    name: str
    address: str | None = None
    phone: str | None = None
    email: str | None = None
    logo_data_uri: str | None = None

    @property
    def contact(self) -> str:
        """Address, phone and e-mail on one line (the parts that are set)."""
        return " · ".join(p for p in (self.address, self.phone, self.email) if p)


def clinic_header(session: Session) -> ClinicHeader:
    """Return the clinic's identity from its settings (the defaults until an admin saves them).

    Parameters
    ----------
    session : Session
        Database session (read only; the settings are not client data, so no audit).
    """
    settings = svc.get_clinic_settings(session=session)
    logo = svc.get_clinic_logo(session=session) if settings.has_logo else None
    uri = None
    if logo is not None:
        uri = f"data:{logo.content_type};base64," + base64.b64encode(logo.data).decode("ascii")
    return ClinicHeader(
        name=settings.name,
        address=" ".join((settings.address or "").split()) or None,
        phone=settings.phone,
        email=settings.email,
        logo_data_uri=uri,
    )
