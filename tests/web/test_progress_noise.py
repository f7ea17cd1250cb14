"""The progress table says whether a skin change is beyond the metric's measured noise."""

from __future__ import annotations

from datetime import datetime
from types import SimpleNamespace

import pytest

from acuface.skin.repeatability import repeatability_coefficient
from acuface.web.routes.progress import _measurement_context


def _m(region: str, metric: str, day: int, value: float) -> SimpleNamespace:
    return SimpleNamespace(
        region=region, metric=metric, value=value, measured_at=datetime(2026, 11, day, 10)
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
    ctx = _measurement_context(rows, "wrinkle_index", "forehead")
    table = {row["region"]: row for row in ctx["mtable"]}
    assert table["forehead"]["real"] is True
    assert table["forehead"]["noise"] == pytest.approx(rc)
    assert table["left_cheek"]["real"] is False
    assert table["made_up_region"]["real"] is None and table["made_up_region"]["noise"] is None


def test_a_single_measurement_has_no_verdict() -> None:
    ctx = _measurement_context([_m("forehead", "wrinkle_index", 1, 1.0)], "wrinkle_index", None)
    assert ctx["mtable"][0]["real"] is None
