"""The progress table says whether a skin change is beyond the metric's measured noise."""

from __future__ import annotations

from datetime import datetime
from types import SimpleNamespace

import pytest

from acuface.clinic.services.progress import measurement_changes
from acuface.skin.repeatability import repeatability_coefficient


def _m(region: str, metric: str, day: int, value: float) -> SimpleNamespace:
    return SimpleNamespace(
        region=region,
        metric=metric,
        value=value,
        unit=None,
        measured_at=datetime(2026, 11, day, 10),
    )


def test_changes_are_judged_against_the_repeatability_coefficient() -> None:
    rc = repeatability_coefficient("forehead.wrinkle_index")
    rc_cheek = repeatability_coefficient("left_cheek.wrinkle_index")
    assert rc and rc_cheek, "the shipped repeatability data covers the wrinkle index"
    rows = [
        _m("forehead", "wrinkle_index", 1, 1.0),
        _m("forehead", "wrinkle_index", 20, 1.0 + 3 * rc),  # well beyond the noise band
        _m("left_cheek", "wrinkle_index", 1, 1.0),
        _m("left_cheek", "wrinkle_index", 20, 1.0 - 0.3 * rc_cheek),  # inside it
        _m("made_up_region", "wrinkle_index", 1, 1.0),
        _m("made_up_region", "wrinkle_index", 20, 5.0),  # never measured: no verdict
    ]
    table = {row.region: row for row in measurement_changes(rows)}  # type: ignore[arg-type]
    assert table["forehead"].beyond is True
    assert table["forehead"].noise == pytest.approx(rc)
    assert table["left_cheek"].beyond is False
    assert table["made_up_region"].beyond is None and table["made_up_region"].noise is None


def test_a_single_measurement_has_no_verdict() -> None:
    rows = measurement_changes([_m("forehead", "wrinkle_index", 1, 1.0)])  # type: ignore[list-item]
    assert rows[0].beyond is None
