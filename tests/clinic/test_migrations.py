"""Migrations create the schema from empty; an out-of-date schema is refused clearly."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from acuface.clinic import db
from acuface.clinic import services as svc
from acuface.clinic.models import DATABASE_ONLY_INDEXES, Base
from acuface.errors import SchemaOutOfDate

_JSON_COLUMNS = ("opening_hours", "closed_days", "appointment_kinds", "rooms")


def _declared(obj: object, name: str | None, type_: str, reflected: bool, _other: object) -> bool:
    # Database-specific indexes the models list by name rather than declare.
    return not (type_ == "index" and name in DATABASE_ONLY_INDEXES)


def test_upgrade_from_empty_and_refuse_out_of_date(empty_engine: sa.Engine) -> None:
    with pytest.raises(SchemaOutOfDate, match="acuface db upgrade"):
        db.check_schema_current(empty_engine)
    db.upgrade(empty_engine)
    assert db.current_revision(empty_engine) == db.head_revision()
    db.check_schema_current(empty_engine)
    # The migrations produce exactly the models' schema.
    with empty_engine.connect() as conn:
        diff = compare_metadata(
            MigrationContext.configure(
                conn, opts={"compare_type": False, "include_object": _declared}
            ),
            Base.metadata,
        )
    assert diff == []
    # An older schema (simulated by the version stamp) is refused with the command to run.
    with empty_engine.begin() as conn:
        conn.execute(sa.text("UPDATE alembic_version SET version_num='0000'"))
    with pytest.raises(SchemaOutOfDate, match=f"0000.*needs {db.head_revision()}") as info:
        db.check_schema_current(empty_engine)
    assert info.value.http_status == 503


def test_downgrade_and_upgrade_again(empty_engine: sa.Engine) -> None:
    db.upgrade(empty_engine)
    from alembic import command

    command.downgrade(db.alembic_config(empty_engine), "base")
    assert db.current_revision(empty_engine) is None
    with empty_engine.connect() as conn:
        assert "clients" not in sa.inspect(conn).get_table_names()
    db.upgrade(empty_engine)
    db.check_schema_current(empty_engine)


def test_stored_opening_hours_become_intervals_and_back(empty_engine: sa.Engine) -> None:
    from alembic import command

    db.upgrade(empty_engine, "0008_appointments")
    old = [{"opens": "09:00:00", "closes": "18:00:00"}] * 6 + [{"opens": None, "closes": None}]
    table = sa.table(
        "clinic_settings",
        *(sa.column(c) for c in ("id", "name", "timezone", "updated_at", "updated_by")),
        *(sa.column(c, sa.JSON()) for c in _JSON_COLUMNS),
    )
    with empty_engine.begin() as conn:
        conn.execute(
            table.insert().values(
                id=1,
                name="Lotus",
                timezone="UTC",
                updated_at=sa.func.now(),
                updated_by="ada",
                opening_hours=old,
                closed_days=[],
                appointment_kinds=[{"id": "treatment", "label": "Treatment", "duration_min": 60}],
                rooms=[],
            )
        )
    db.upgrade(empty_engine)
    with db.get_sessionmaker(empty_engine)() as s:
        cs = svc.get_clinic_settings(session=s)
    assert cs.opening_hours[0].label == "09:00-18:00" and not cs.opening_hours[6].is_open
    # A lunch break saved after the upgrade; the downgrade keeps first opening and last closing.
    with empty_engine.begin() as conn:
        lunch = {
            "intervals": [
                {"opens": "09:00:00", "closes": "12:30:00"},
                {"opens": "13:30:00", "closes": "18:00:00"},
            ]
        }
        conn.execute(table.update().values(opening_hours=[lunch] * 6 + [{"intervals": []}]))
    command.downgrade(db.alembic_config(empty_engine), "0008_appointments")
    with empty_engine.connect() as conn:
        stored = conn.execute(sa.select(table.c.opening_hours)).scalar_one()
    assert stored[0] == {"opens": "09:00:00", "closes": "18:00:00"}
    assert stored[6] == {"opens": None, "closes": None}
