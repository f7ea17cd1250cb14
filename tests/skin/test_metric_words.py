"""Every stored skin metric has plain words and a stated better direction, with a source."""

from __future__ import annotations

from acuface.skin.report import METRICS, REGION_METRIC_UNITS, metric_info


def test_every_stored_metric_is_described_with_its_unit_and_direction() -> None:
    described = METRICS.load().by_id
    assert set(REGION_METRIC_UNITS) <= set(described)
    for metric, unit in REGION_METRIC_UNITS.items():
        info = metric_info(metric)
        assert info is not None and info.unit == unit, metric
        assert info.source and info.label and "_" not in info.label
    wrinkles = metric_info("wrinkle_index")
    assert wrinkles is not None and wrinkles.direction == "higher is worse"
    tone = metric_info("ita_deg")
    assert tone is not None and "neither" in tone.direction
    assert metric_info("no_such_metric") is None
