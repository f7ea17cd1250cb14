"""Opening hours as intervals: a weekday may open more than once (a lunch break).

Revision ID: 0009_opening_intervals
Revises: 0008_appointments
Create Date: 2026-12-01 16:00:00

The stored ``clinic_settings.opening_hours`` was seven ``{"opens", "closes"}``
objects (both null: closed that weekday); it becomes seven ``{"intervals": [...]}``
objects, each interval ``{"opens", "closes"}``. A day that opened once keeps its one
interval; a closed day gets none. The downgrade keeps each day's first opening and
last closing time, so a lunch break is lost there (said here, not silently).
"""

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0009_opening_intervals"
down_revision: str | Sequence[str] | None = "0008_appointments"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
_settings = sa.table(
    "clinic_settings", sa.column("id", sa.Integer()), sa.column("opening_hours", _JSON)
)


def to_intervals(day: dict[str, Any]) -> dict[str, Any]:
    """Return one weekday's old ``{"opens", "closes"}`` as ``{"intervals": [...]}``."""
    if "intervals" in day:  # already the new shape
        return day
    if day.get("opens") and day.get("closes"):
        return {"intervals": [{"opens": day["opens"], "closes": day["closes"]}]}
    return {"intervals": []}


def to_single(day: dict[str, Any]) -> dict[str, Any]:
    """Return one weekday's intervals as the old single ``{"opens", "closes"}``."""
    intervals = day.get("intervals")
    if intervals is None:
        return day
    if not intervals:
        return {"opens": None, "closes": None}
    return {"opens": intervals[0]["opens"], "closes": intervals[-1]["closes"]}


def _rewrite(convert: Any) -> None:
    conn = op.get_bind()
    for row_id, hours in conn.execute(sa.select(_settings.c.id, _settings.c.opening_hours)):
        conn.execute(
            _settings.update()
            .where(_settings.c.id == row_id)
            .values(opening_hours=[convert(day) for day in hours or []])
        )


def upgrade() -> None:
    """Rewrite the stored opening hours as intervals."""
    _rewrite(to_intervals)


def downgrade() -> None:
    """Rewrite them back as one opening and closing time per weekday (breaks are lost)."""
    _rewrite(to_single)
