"""The named users of every test folder: who is who, and who may see what.

One cast for the clinic, web, report and browser tests, so that a name means the
same role everywhere (``acuface.clinic.access.POLICY`` is the rule these describe):

- ``ada`` (admin): everything, including user management, the audit log and purges;
- ``pat`` (practitioner): all clinical records of every client;
- ``lian`` (practitioner): a second practitioner, for "another practitioner" cases;
- ``rita`` (reception): client identity, contact details and the day schedule; never
  clinical notes, plans, photos or measurements.

Every fixture that creates users creates exactly these, with :data:`PASSWORD`.
Tests name them through the constants (``PRACTITIONER.username``) or the fixtures of
the same name (``pat``, ``rita`` ...).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from acuface.clinic import services as svc
from acuface.clinic.schemas import Actor

#: The named users' password (long enough for the password rule, published: tests only).
PASSWORD = "correct horse battery"


@dataclass(frozen=True)
class Person:
    """One named test user."""

    username: str
    role: str
    display_name: str


ADMIN = Person("ada", "admin", "Ada Admin")
PRACTITIONER = Person("pat", "practitioner", "Pat Moreau")
SECOND_PRACTITIONER = Person("lian", "practitioner", "Lian Chen")
RECEPTION = Person("rita", "reception", "Rita Reception")

#: Everyone, in the order they are created (user ids 1, 2, 3, 4 in a fresh database).
PEOPLE = (ADMIN, PRACTITIONER, SECOND_PRACTITIONER, RECEPTION)


def create_people(
    session: Session, *, source: str = "test", password: str = PASSWORD
) -> dict[str, Actor]:
    """Create :data:`PEOPLE` in the database (the caller commits).

    Parameters
    ----------
    session : Session
        An open session on a migrated database without these users.
    source : str
        The ``source`` the returned actors carry into the audit log.
    password : str
        Everyone's password.

    Returns
    -------
    dict of str to Actor
        The actors by username.
    """
    system = Actor.system(source=source)
    out = {}
    for person in PEOPLE:
        user = svc.create_user(
            session=session,
            actor=system,
            username=person.username,
            password=password,
            role=person.role,  # type: ignore[arg-type]
            display_name=person.display_name,
        )
        out[person.username] = Actor.from_user(user, source=source)
    return out
