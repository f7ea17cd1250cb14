"""Migrations create the schema from empty; an out-of-date schema is refused clearly."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from acuface.clinic import db
from acuface.clinic.models import DATABASE_ONLY_INDEXES, Base
from acuface.errors import SchemaOutOfDate


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
