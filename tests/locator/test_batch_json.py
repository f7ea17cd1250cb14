"""A batch writes each photo's JSON text directly; it must be the dict path's JSON exactly.

``acuface locate --json`` documents (and ``run_batch``) come from
:func:`locate_file_json`; ``--out`` files and other callers from
:func:`locate_file`. Both must say the same, byte for byte.
"""

from __future__ import annotations

import json
import math
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from acuface.locator import locate
from acuface.locator.batch import locate_file, locate_file_json
from acuface.locator.facemap import PointRows, compact_json


@pytest.fixture(scope="module")
def photos(faces_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    bad = tmp_path_factory.mktemp("bad") / "notes.jpg"
    bad.write_text("not a photo")
    portraits = sorted((faces_dir / "portraits").glob("*.jpg"))[::8]
    # The large portraits (one shows more than one face), a photo cut by the frame,
    # a spread of small ones, and a file that is no photo.
    return [*sorted(faces_dir.glob("*.jpg")), *portraits, bad]


@pytest.mark.parametrize(
    "options",
    [
        {},
        {"codes": ["ST9", "CV23", "GV26", "LI19"]},  # neck points and a convention
        {"standard": "gbt12346"},
        {"symmetric": True},
    ],
    ids=["all", "codes", "gbt12346", "symmetric"],
)
def test_json_text_is_the_dicts_compact_json(photos: list[Path], options: dict) -> None:
    for path in photos:
        item = locate_file_json(path, **options)
        result = locate_file(path, **options)
        assert item.json_text == json.dumps(result, separators=(",", ":")), path.name
        assert item.failed == (result["error"] is not None)
    assert item.failed  # the last one is no photo


def test_non_finite_numbers_are_written_as_the_json_encoder_writes_them(obama_rgb) -> None:
    face = locate(obama_rgb).primary
    xy_px = face.rows.xy_px.copy()
    xy_px[0, 0] = math.nan
    odd = replace(face, rows=replace(face.rows, xy_px=xy_px))
    assert odd.to_json_text() == compact_json(odd.to_json())
    assert '"x":NaN' in odd.to_json_text()


def _rows(xy: list[tuple[float, float]], confidence: list[float]) -> PointRows:
    n = len(xy)
    return PointRows(
        codes=tuple(f"P{i}" for i in range(n)),
        sides=("left",) * n,
        conventions=(None, "who2008") * (n // 2) + (None,) * (n % 2),
        xy_px=np.array(xy, dtype=np.float64).reshape(n, 2),
        visible=np.arange(n) % 3 == 0,
        confidence=np.array(confidence, dtype=np.float64),
    )


def _dict_path(rows: PointRows) -> str:
    return compact_json([p.to_json() for p in rows.placed()])


# Halfway cases of the decimal rounding, negative zeros, confidences whose
# second decimal is 0 (written 0.5, not 0.50), and the largest plain numbers.
EDGE_XY = [(0.05, 0.15), (0.25, 2.675), (-0.04, -0.05), (123.45, 99.95), (1e14, -1e14), (0.0, -0.0)]
EDGE_CONFIDENCE = [0.0, 0.5, 1.0, 0.005, 0.015, 0.125]


def test_points_text_matches_the_encoder_on_rounding_edges() -> None:
    rows = _rows(EDGE_XY, EDGE_CONFIDENCE)
    assert rows.json_text() == _dict_path(rows)
    assert '"confidence":0.5,' in rows.json_text() or '"confidence":0.5}' in rows.json_text()


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.floats(min_value=-5000, max_value=20000),
            st.floats(min_value=-5000, max_value=20000),
            st.floats(min_value=0.0, max_value=1.0),
        ),
        min_size=1,
        max_size=20,
    )
)
def test_points_text_matches_the_encoder(points: list[tuple[float, float, float]]) -> None:
    rows = _rows([(x, y) for x, y, _ in points], [c for _, _, c in points])
    assert rows.json_text() == _dict_path(rows)


def test_numbers_the_encoder_writes_differently_are_left_to_it() -> None:
    assert _rows([(1e16, 1.0)], [0.5]).json_text() is None  # repr: 1e+16
    assert _rows([(math.inf, 1.0)], [0.5]).json_text() is None
    assert _rows([(1.0, 1.0)], [math.nan]).json_text() is None
