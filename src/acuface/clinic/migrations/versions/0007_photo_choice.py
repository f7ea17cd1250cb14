"""Photos: added date, face-in-frame flag, hiding; the photo a plan or a session uses.

Revision ID: 0007_photos
Revises: 0006_consent
Create Date: 2026-12-01 13:00:00

Plain ``ADD COLUMN`` (no batch table rebuild), so SQLite keeps its triggers.
Existing photos get their row's creation time as the added date, and no
face-in-frame verdict (unknown until they are analysed again).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007_photos"
down_revision: str | Sequence[str] | None = "0006_consent"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Add the photo columns and the photo_choices table."""
    # SQLite adds a NOT NULL column only with a constant default; every row then
    # gets its own creation time and the placeholder default is dropped where it can be.
    op.add_column(
        "photos",
        sa.Column(
            "added_at",
            sa.DateTime(timezone=True),
            nullable=False,
            server_default=sa.text("'1970-01-01 00:00:00'"),
        ),
    )
    op.execute("UPDATE photos SET added_at = created_at")
    if op.get_bind().dialect.name == "postgresql":
        op.alter_column("photos", "added_at", server_default=None)
    op.add_column("photos", sa.Column("face_in_frame", sa.Boolean(), nullable=True))
    op.add_column("photos", sa.Column("hidden_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column("photos", sa.Column("hidden_by", sa.String(100), nullable=True))
    op.add_column("photos", sa.Column("hidden_reason", sa.Text(), nullable=True))
    op.create_table(
        "photo_choices",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("client_id", sa.Integer(), nullable=False),
        sa.Column("plan_id", sa.Integer(), nullable=True),
        sa.Column("session_id", sa.Integer(), nullable=True),
        sa.Column("photo_id", sa.Integer(), nullable=False),
        sa.Column("chosen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("chosen_by", sa.String(100), nullable=False),
        sa.ForeignKeyConstraint(
            ["client_id"], ["clients.id"], name="fk_photo_choices_client_id_clients"
        ),
        sa.ForeignKeyConstraint(["plan_id"], ["plans.id"], name="fk_photo_choices_plan_id_plans"),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["treatment_sessions.id"],
            name="fk_photo_choices_session_id_treatment_sessions",
        ),
        sa.ForeignKeyConstraint(
            ["photo_id"], ["photos.id"], name="fk_photo_choices_photo_id_photos"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_photo_choices"),
        sa.UniqueConstraint("plan_id", name="uq_photo_choices_plan_id"),
        sa.UniqueConstraint("session_id", name="uq_photo_choices_session_id"),
    )
    op.create_index("ix_photo_choices_client_id", "photo_choices", ["client_id"])
    op.create_index("ix_photo_choices_photo_id", "photo_choices", ["photo_id"])


def downgrade() -> None:
    """Drop the photo_choices table and the photo columns."""
    op.drop_index("ix_photo_choices_photo_id", table_name="photo_choices")
    op.drop_index("ix_photo_choices_client_id", table_name="photo_choices")
    op.drop_table("photo_choices")
    for column in ("hidden_reason", "hidden_by", "hidden_at", "face_in_frame", "added_at"):
        op.drop_column("photos", column)
