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

import pytest

from acuface.locator import locate
from acuface.locator.batch import locate_file, locate_file_json
from acuface.locator.facemap import compact_json


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
