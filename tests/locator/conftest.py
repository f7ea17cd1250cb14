"""Locator fixtures: detections computed once per session and shared (keeps tests fast)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from acuface.locator import FaceMap, locate


@pytest.fixture(scope="session")
def obama_map(obama_rgb: np.ndarray) -> FaceMap:
    return locate(obama_rgb)


@pytest.fixture(scope="session")
def some_portraits(portrait_paths: list[Path]) -> list[Path]:
    """Every 6th small portrait: a spread of faces, glasses, beards, greyscale."""
    return portrait_paths[::6]


@pytest.fixture(scope="session")
def portrait_maps(some_portraits: list[Path]) -> list[tuple[np.ndarray, FaceMap]]:
    from acuface.locator.image import load_image

    out = []
    for p in some_portraits:
        rgb = load_image(p)
        out.append((rgb, locate(rgb)))
    return out


@pytest.fixture(scope="session")
def shipped_faces(faces_dir: Path) -> list[tuple[str, np.ndarray, FaceMap]]:
    """Every shipped portrait (the three large photos and the 67 small ones), located.

    The deliberately cropped ``obama_partial_face.jpg`` is left out: it is a
    test of faces cut by the frame, not a portrait.
    """
    from acuface.locator.image import load_image

    paths = [faces_dir / n for n in ("obama.jpg", "biden.jpg", "obama3.jpg")]
    paths += sorted((faces_dir / "portraits").glob("*.jpg"))
    out = []
    for p in paths:
        rgb = load_image(p)
        out.append((p.name, rgb, locate(rgb)))
    return out
