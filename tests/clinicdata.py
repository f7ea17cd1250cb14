"""One way to build a test clinic: a migrated database with the named users.

The web tests (``tests/web/webhelpers.make_data_dir``), the report tests and the
clinic tests' ``users`` fixture all start from here, so every clinic a test sees has
the same cast (``tests/people.py``) with the same ids. Records are then added
through the clinic services, as the app would.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Engine

from acuface.clinic import db
from acuface.clinic.schemas import Actor
from people import ADMIN, PRACTITIONER, RECEPTION, SECOND_PRACTITIONER, Person, create_people


@dataclass(frozen=True)
class Clinic:
    """A migrated database and the actors of the named users."""

    engine: Engine
    people: dict[str, Actor]

    def actor(self, person: Person) -> Actor:
        """The actor of *person* (a :mod:`people` constant)."""
        return self.people[person.username]

    @property
    def admin(self) -> Actor:
        """ada."""
        return self.actor(ADMIN)

    @property
    def practitioner(self) -> Actor:
        """pat."""
        return self.actor(PRACTITIONER)

    @property
    def second_practitioner(self) -> Actor:
        """lian."""
        return self.actor(SECOND_PRACTITIONER)

    @property
    def reception(self) -> Actor:
        """rita."""
        return self.actor(RECEPTION)

    @property
    def ids(self) -> dict[str, int]:
        """User ids by username."""
        return {name: actor.user_id or 0 for name, actor in self.people.items()}


def build_clinic(engine: Engine, *, source: str = "test", migrate: bool = True) -> Clinic:
    """Migrate *engine*'s database (unless told not to) and create the named users.

    Parameters
    ----------
    engine : Engine
        An empty database (SQLite file or PostgreSQL schema).
    source : str
        The ``source`` the actors carry into the audit log.
    migrate : bool
        Run the migrations first (False: the database is migrated already).
    """
    if migrate:
        db.upgrade(engine)
    with db.session_scope(engine) as session:
        people = create_people(session, source=source)
    return Clinic(engine=engine, people=people)
