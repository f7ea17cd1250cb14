"""The clinic's location standard (``ACUFACE_LOCATION_STANDARD``) reaches every face map.

WHO 2008 puts GV26 at the middle of the philtrum, the Chinese national standard at
the junction of its upper and middle thirds (docs/points.md). ``acuface locate
--standard`` chooses per run; the clinic's stored face maps, previews and live views
follow the setting, and the point names the standard it follows.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pytest

from acuface.clinic.services.photos import analyse_rgb, location_standard
from acuface.config import get_settings
from acuface.locator.live import LiveTracker


@pytest.fixture
def standard(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    monkeypatch.setenv("ACUFACE_LOCATION_STANDARD", request.param)
    get_settings.cache_clear()
    yield request.param
    monkeypatch.delenv("ACUFACE_LOCATION_STANDARD")
    get_settings.cache_clear()


def _gv26(points: list) -> object:  # noqa: ANN401 - a PointSnapshot or FaceResult row
    return next(p for p in points if p.code == "GV26")


@pytest.mark.parametrize("standard", ["who2008", "gbt12346"], indirect=True)
def test_stored_face_maps_follow_the_setting(standard: str, obama_rgb: np.ndarray) -> None:
    assert location_standard() == standard
    face_map = analyse_rgb(obama_rgb).face_map
    assert face_map is not None
    gv26 = _gv26(list(face_map.faces[0].points))
    assert gv26.convention == standard  # type: ignore[attr-defined]


def test_the_national_standard_places_gv26_higher_on_the_philtrum(
    obama_rgb: np.ndarray, monkeypatch: pytest.MonkeyPatch
) -> None:
    ys = {}
    for std in ("who2008", "gbt12346"):
        monkeypatch.setenv("ACUFACE_LOCATION_STANDARD", std)
        get_settings.cache_clear()
        face_map = analyse_rgb(obama_rgb).face_map
        assert face_map is not None
        ys[std] = _gv26(list(face_map.faces[0].points)).y  # type: ignore[attr-defined]
    get_settings.cache_clear()
    # One third of the philtrum above its middle: a few pixels on this portrait.
    assert ys["gbt12346"] < ys["who2008"] - 1.0


def test_the_live_tracker_takes_the_same_standard(obama_rgb: np.ndarray) -> None:
    tracker = LiveTracker(tracking=False, smoothing=None, standard="gbt12346")
    try:
        frame = tracker.process(obama_rgb, 0.0)
    finally:
        tracker.close()
    reference = analyse_rgb(obama_rgb).face_map  # who2008 (the default)
    assert reference is not None
    i = tracker.codes.index("GV26")
    who_y = _gv26(list(reference.faces[0].points)).y  # type: ignore[attr-defined]
    assert frame.xy_px is not None
    assert frame.xy_px[i][1] < who_y - 1.0
