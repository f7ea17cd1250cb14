"""Consent records (typed name, drawn signature, witness, who withdrew), note signing.

Revision ID: 0006_consent
Revises: 0005_scale
Create Date: 2026-12-01 13:00:00

Users get their credentials (printed after the name on signed notes); a signed
note keeps the signer's credentials and, when someone signed for the note's
practitioner, the reason. Plain ``ADD COLUMN`` (no batch table rebuild), so
SQLite keeps the triggers that lock signed notes.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006_consent"
down_revision: str | Sequence[str] | None = "0005_scale"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Add the consent, credential and signing columns (all nullable: older rows have none)."""
    op.add_column("consents", sa.Column("withdrawn_by", sa.String(100), nullable=True))
    op.add_column("consents", sa.Column("signed_by", sa.String(200), nullable=True))
    op.add_column("consents", sa.Column("signature_png", sa.LargeBinary(), nullable=True))
    op.add_column("consents", sa.Column("witness_id", sa.Integer(), nullable=True))
    op.add_column("consents", sa.Column("witness_name", sa.String(200), nullable=True))
    op.add_column("users", sa.Column("credentials", sa.String(200), nullable=True))
    op.add_column(
        "treatment_sessions", sa.Column("signed_by_credentials", sa.String(200), nullable=True)
    )
    op.add_column("treatment_sessions", sa.Column("signed_for_reason", sa.Text(), nullable=True))


def downgrade() -> None:
    """Drop the added columns (plain DROP COLUMN: the triggers stay)."""
    for column in ("signed_for_reason", "signed_by_credentials"):
        op.drop_column("treatment_sessions", column)
    op.drop_column("users", "credentials")
    for column in ("witness_name", "witness_id", "signature_png", "signed_by", "withdrawn_by"):
        op.drop_column("consents", column)
