"""`acuface plan --photo --out`: the plan's facial points drawn by the locator."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from typer.testing import CliRunner

from acuface.cli.main import app

runner = CliRunner()


def test_overlay_draws_exactly_the_plans_facial_points(
    obama_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import acuface.locator as locator

    seen: dict[str, list[str]] = {}
    real = locator.render_overlay

    def spy(image_rgb, face_map, *, codes=None, **kwargs):
        seen["codes"] = list(codes or [])
        seen["placed"] = sorted({p.code for p in face_map.primary.points})
        return real(image_rgb, face_map, codes=codes, **kwargs)

    monkeypatch.setattr(locator, "render_overlay", spy)
    out = tmp_path / "overlays"
    result = runner.invoke(
        app,
        [
            "plan",
            "-c",
            "wrinkles",
            "-c",
            "tmj",
            "--photo",
            str(obama_path),
            "--out",
            str(out),
            "--json",
        ],
    )
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    facial = [p["code"] for p in doc["points"] if p["region"] == "face"]
    assert seen["codes"] == facial
    assert seen["placed"] == sorted(facial)
    png = out / "obama_plan.png"
    with Image.open(png) as image:
        drawn = np.asarray(image.convert("RGB"))
    with Image.open(obama_path) as original:
        width, height = original.size
    assert drawn.shape[0] >= height and drawn.shape[1] > width  # photo + legend panel


def test_photo_without_a_face_exits_2(tmp_path: Path) -> None:
    blank = tmp_path / "wall.png"
    Image.fromarray(np.full((400, 400, 3), 200, np.uint8)).save(blank)
    result = runner.invoke(
        app, ["plan", "-c", "wrinkles", "--photo", str(blank), "--out", str(tmp_path / "o")]
    )
    assert result.exit_code == 2
    assert "face" in result.output.lower()
    assert not (tmp_path / "o" / "wall_plan.png").exists()
