"""Shared fixtures: the vendored public-domain face photos (see tests/data/faces/LICENSE.md)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

FACES_DIR = Path(__file__).parent / "data" / "faces"
PORTRAITS_DIR = FACES_DIR / "portraits"


@pytest.fixture(scope="session")
def faces_dir() -> Path:
    """Folder of the vendored test photos."""
    return FACES_DIR


@pytest.fixture(scope="session")
def obama_path() -> Path:
    """A ~1000 px frontal official portrait (public domain)."""
    return FACES_DIR / "obama.jpg"


@pytest.fixture(scope="session")
def portrait_paths() -> list[Path]:
    """The 67 small (225x275) congressional portraits (public domain)."""
    return sorted(PORTRAITS_DIR.glob("*.jpg"))


@pytest.fixture(scope="session")
def obama_rgb(obama_path: Path) -> np.ndarray:
    """The Obama portrait as an (H, W, 3) uint8 RGB array."""
    from acuface.locator.image import load_image

    return load_image(obama_path)
