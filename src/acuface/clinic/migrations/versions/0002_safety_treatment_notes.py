"""Structured treatment notes: needle technique and overrides, count out, aftercare, INR.

Revision ID: 0002_safety
Revises: 0001
Create Date: 2026-12-01 11:00:00

Plain ``ADD COLUMN`` (no batch table rebuild), so SQLite keeps the triggers that
lock signed notes.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0002_safety"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    """Add the structured-note columns (all nullable: older notes have none)."""
    op.add_column("treatment_sessions", sa.Column("needles_out", sa.Integer(), nullable=True))
    op.add_column("treatment_sessions", sa.Column("aftercare", _JSON, nullable=True))
    op.add_column("treatment_sessions", sa.Column("inr", sa.Float(), nullable=True))
    op.add_column("treatment_sessions", sa.Column("position", sa.String(20), nullable=True))
    op.add_column("session_needles", sa.Column("technique", sa.String(300), nullable=True))
    op.add_column("session_needles", sa.Column("override_reason", sa.Text(), nullable=True))


def downgrade() -> None:
    """Drop the structured-note columns (plain DROP COLUMN: the triggers stay)."""
    for column in ("override_reason", "technique"):
        op.drop_column("session_needles", column)
    for column in ("position", "inr", "aftercare", "needles_out"):
        op.drop_column("treatment_sessions", column)
