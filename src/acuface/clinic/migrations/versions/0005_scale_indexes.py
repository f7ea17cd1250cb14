"""Indexes for a big clinic: the client list order, foreign keys, audit by user, search.

Revision ID: 0005_scale
Revises: 0004_clinic_settings
Create Date: 2026-12-01 13:30:00

* ``clients (family_name, given_name, id)``: the client list reads its page in
  index order instead of sorting every client.
* Every foreign-key column without an index gets one: purging a client deletes by
  them (and PostgreSQL checks each referencing row), and the client page selects
  by them.
* ``audit_log.user_id``: the audit page filters by user.
* PostgreSQL only: a trigram (``pg_trgm``) GIN index on the client search text
  (``models.CLIENT_SEARCH_SQL``), so a substring search does not read every client.
  Without the extension (not installed, or no right to create it) the index is
  left out and the search still works, by a scan. Nothing of this on SQLite.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005_scale"
down_revision: str | Sequence[str] | None = "0004_clinic_settings"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The expression of models.CLIENT_SEARCH_SQL, frozen here as migrations are.
_SEARCH_SQL = (
    "lower(given_name || ' ' || family_name || ' ' || coalesce(email, '') || ' ' "
    "|| coalesce(phone, ''))"
)

_FOREIGN_KEYS = (
    ("plans", "intake_id"),
    ("treatment_sessions", "practitioner_id"),
    ("treatment_sessions", "plan_id"),
    ("treatment_sessions", "signed_by_id"),
    ("session_amendments", "author_id"),
    ("adverse_events", "session_id"),
    ("photos", "session_id"),
    ("measurements", "photo_id"),
    ("measurements", "session_id"),
    ("outcome_ratings", "session_id"),
)


def _trigram_schema(conn: sa.Connection) -> str | None:
    """Return the schema of pg_trgm, creating the extension if needed; None if impossible."""
    found = conn.execute(
        sa.text(
            "SELECT n.nspname FROM pg_extension e JOIN pg_namespace n "
            "ON n.oid = e.extnamespace WHERE e.extname = 'pg_trgm'"
        )
    ).scalar()
    if found:
        return str(found)
    try:
        with conn.begin_nested():
            # In public, not in the schema being migrated: dropping one clinic's
            # schema must not drop the extension other schemas' indexes use.
            conn.execute(sa.text("CREATE EXTENSION IF NOT EXISTS pg_trgm SCHEMA public"))
    except sa.exc.DBAPIError:
        return None
    found = conn.execute(
        sa.text(
            "SELECT n.nspname FROM pg_extension e JOIN pg_namespace n "
            "ON n.oid = e.extnamespace WHERE e.extname = 'pg_trgm'"
        )
    ).scalar()
    return str(found) if found else None


def upgrade() -> None:
    """Create the indexes (the trigram index only on PostgreSQL with pg_trgm)."""
    op.create_index(
        "ix_clients_list_order", "clients", ["family_name", "given_name", "id"], unique=False
    )
    for table, column in _FOREIGN_KEYS:
        op.create_index(f"ix_{table}_{column}", table, [column], unique=False)
    op.create_index("ix_audit_log_user_id", "audit_log", ["user_id"], unique=False)
    conn = op.get_bind()
    if conn.dialect.name != "postgresql":
        return
    schema = _trigram_schema(conn)
    if schema is None:
        return
    op.execute(
        f"CREATE INDEX ix_clients_search_trgm ON clients USING gin "
        f'({_SEARCH_SQL} "{schema}".gin_trgm_ops)'
    )


def downgrade() -> None:
    """Drop the indexes (the extension stays: other databases' schemas may use it)."""
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP INDEX IF EXISTS ix_clients_search_trgm")
    op.drop_index("ix_audit_log_user_id", table_name="audit_log")
    for table, column in reversed(_FOREIGN_KEYS):
        op.drop_index(f"ix_{table}_{column}", table_name=table)
    op.drop_index("ix_clients_list_order", table_name="clients")
