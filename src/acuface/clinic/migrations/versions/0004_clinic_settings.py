"""Clinic settings: identity, logo, opening hours, closed days, appointment kinds, rooms.

Revision ID: 0004_clinic_settings
Revises: 0003_login_sessions
Create Date: 2026-12-01 12:45:00

One row (id 1); until an admin saves the settings page the services use the defaults.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0004_clinic_settings"
down_revision: str | Sequence[str] | None = "0003_login_sessions"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    """Create the ``clinic_settings`` table."""
    op.create_table(
        "clinic_settings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("address", sa.String(length=500), nullable=True),
        sa.Column("phone", sa.String(length=50), nullable=True),
        sa.Column("email", sa.String(length=200), nullable=True),
        sa.Column("timezone", sa.String(length=60), nullable=False),
        sa.Column("opening_hours", _JSON, nullable=False),
        sa.Column("closed_days", _JSON, nullable=False),
        sa.Column("appointment_kinds", _JSON, nullable=False),
        sa.Column("rooms", _JSON, nullable=False),
        sa.Column("logo_png_b64", sa.Text(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_by", sa.String(length=100), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_clinic_settings")),
    )


def downgrade() -> None:
    """Drop the ``clinic_settings`` table."""
    op.drop_table("clinic_settings")
