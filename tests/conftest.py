"""Shared fixtures: the vendored public-domain face photos (see tests/data/faces/LICENSE.md)."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
from hypothesis import settings

# CI explores a fixed set of examples so that a landing is never decided by the
# luck of the draw; local runs keep exploring new random examples.
settings.register_profile("ci", derandomize=True, print_blob=True)
settings.register_profile("dev", print_blob=True)
settings.load_profile("ci" if os.environ.get("CI") else "dev")

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


@pytest.fixture(scope="session")
def moving_face(obama_path: Path) -> tuple[list[np.ndarray], list[tuple[float, float]]]:
    """A 640 x 480 camera clip (60 frames): the Obama portrait's face sliding sideways.

    Returns the frames and each frame's (dx, dy) offset of the face (see
    ``tests/liveclip.py``; the browser test and the live benchmark play it through
    Chromium's fake camera).
    """
    from liveclip import face_frames

    return face_frames(obama_path, n=60)


@pytest.fixture(scope="session")
def moving_face_jpegs(moving_face: tuple[list[np.ndarray], list]) -> list[bytes]:
    """The clip's frames as the browser sends them: JPEG, quality 70."""
    import io

    from PIL import Image

    out = []
    for rgb in moving_face[0]:
        buf = io.BytesIO()
        Image.fromarray(rgb).save(buf, format="JPEG", quality=70)
        out.append(buf.getvalue())
    return out


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """Print what tests reported with ``record_property("report", text)``.

    Figures such as the live view's frame rate belong in the output but never in an
    assertion (speed is measured in benchmarks/); properties travel with the test
    reports, so this works with ``-n 2`` too.
    """
    lines = [
        str(value)
        for key in ("passed", "failed")
        for rep in terminalreporter.stats.get(key, [])
        for name, value in getattr(rep, "user_properties", [])
        if name == "report"
    ]
    if lines:
        terminalreporter.section("reported by tests")
        for line in lines:
            terminalreporter.write_line(line)
