"""Clinic records: database, services, photo store, audit trail, export and backup.

Outside this package, code uses :mod:`acuface.clinic.services` (keyword-only
functions returning DTOs from :mod:`acuface.clinic.schemas`) and
:mod:`acuface.clinic.db` (engine, sessions, schema checks); never the ORM models.
"""
