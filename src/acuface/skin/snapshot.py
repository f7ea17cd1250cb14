"""The stored form of a skin report: :class:`SkinSnapshot`.

What the clinic keeps with a photo: the rounded numbers of
``SkinReport.to_json()`` with their method version, frozen and versioned, so
that a progress chart drawn years later reads the numbers as they were
measured (see :mod:`acuface.vocab.snapshots` for how versions are upgraded).

Versions
--------
1
    ``SkinReport.to_json()`` as the CLI prints it (with ``image`` and ``error``,
    both ``None`` in a stored report).
2
    Without ``image`` and ``error`` (they belong to a CLI batch entry, not to a
    measurement); version 1 is upgraded by dropping them.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from acuface.skin.report import QualityReport, SkinReport, SpotsReport
from acuface.vocab.snapshots import Snapshot


class SkinSnapshot(Snapshot):
    """The measurements of one photo (units: ``docs/skin.md``, ``REGION_METRIC_UNITS``)."""

    method_version: str
    quality: QualityReport
    regions: dict[str, dict[str, float | None]]
    dark_circles: dict[str, float | None]
    spots: SpotsReport
    sagging: dict[str, float | None]
    mm_per_px: float = Field(description="Millimetres per pixel at the face.")
    schema_version: Literal[2] = 2

    @classmethod
    def of(cls, report: SkinReport) -> SkinSnapshot:
        """Return the snapshot of a report skin analysis just made."""
        doc = report.to_json()
        del doc["image"], doc["error"]
        return cls.model_validate({**doc, "schema_version": cls.current_version()})


def _skin_v1_to_v2(doc: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in doc.items() if k not in ("image", "error")}


SkinSnapshot.UPGRADES = {1: _skin_v1_to_v2}
