"""Export of one client's record: FHIR R4B Bundle (JSON) and CSV."""

from __future__ import annotations

from acuface.clinic.export.csv import export_csv
from acuface.clinic.export.fhir import export_fhir, validate_bundle

__all__ = ["export_csv", "export_fhir", "validate_bundle"]
