"""Server-side sign-in sessions, the sign-in throttle and the users' session epoch.

Revision ID: 0003_login_sessions
Revises: 0002_safety
Create Date: 2026-12-01 13:00:00

Plain ``ADD COLUMN`` on ``users`` (no batch table rebuild).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003_login_sessions"
down_revision: str | Sequence[str] | None = "0002_safety"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Create ``login_sessions`` and ``login_throttle``; add ``users.session_epoch``."""
    op.add_column(
        "users", sa.Column("session_epoch", sa.Integer(), nullable=False, server_default="0")
    )
    op.create_table(
        "login_sessions",
        sa.Column("key", sa.String(64), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("epoch", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.Float(), nullable=False),
        sa.Column("last_seen_at", sa.Float(), nullable=False),
        sa.Column("ip", sa.String(100), nullable=False),
        sa.Column("user_agent", sa.String(300), nullable=False),
        sa.Column("data", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name="fk_login_sessions_user_id_users",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("key", name="pk_login_sessions"),
    )
    op.create_index("ix_login_sessions_user_id", "login_sessions", ["user_id"])
    op.create_index("ix_login_sessions_last_seen_at", "login_sessions", ["last_seen_at"])
    op.create_table(
        "login_throttle",
        sa.Column("key", sa.String(200), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("expires_at", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("key", name="pk_login_throttle"),
    )


def downgrade() -> None:
    """Drop the tables and the column."""
    op.drop_table("login_throttle")
    op.drop_index("ix_login_sessions_last_seen_at", table_name="login_sessions")
    op.drop_index("ix_login_sessions_user_id", table_name="login_sessions")
    op.drop_table("login_sessions")
    op.drop_column("users", "session_epoch")
