"""Alembic migrations of the clinic database (configured in :mod:`acuface.clinic.db`)."""
