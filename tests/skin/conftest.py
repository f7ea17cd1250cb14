"""Fixtures for the skin tests: the Obama portrait's landmarks and analysis, computed once."""

from __future__ import annotations

import numpy as np
import pytest
from skimage.color import lab2rgb, rgb2lab

from acuface.locator.landmarks import Landmarks, detect_one
from acuface.skin.analysis import Analysis, analyse_full


@pytest.fixture(scope="session")
def obama_landmarks(obama_rgb: np.ndarray) -> Landmarks:
    return detect_one(obama_rgb)


@pytest.fixture(scope="session")
def obama_analysis(obama_rgb: np.ndarray, obama_landmarks: Landmarks) -> Analysis:
    return analyse_full(obama_rgb, landmarks=obama_landmarks)


def _edit_lab(
    rgb: np.ndarray, mask: np.ndarray, *, dL: float = 0.0, da: float = 0.0, db: float = 0.0
) -> np.ndarray:
    """Shift CIELAB values of the masked pixels of a real photo by known amounts."""
    lab = rgb2lab(rgb)
    lab[mask, 0] += dL
    lab[mask, 1] += da
    lab[mask, 2] += db
    out = np.clip(lab2rgb(lab) * 255.0 + 0.5, 0, 255).astype(np.uint8)
    out[~mask] = rgb[~mask]
    return out


@pytest.fixture(scope="session")
def edit_lab():
    """``edit_lab(rgb, mask, dL=, da=, db=)``: shift CIELAB of masked pixels."""
    return _edit_lab
