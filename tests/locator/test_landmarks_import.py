"""MediaPipe is loaded lean (Face Mesh only) and still whole for code that asks for it.

Each check runs in a fresh interpreter: what a process has imported is the fact
under test, and this test process has imported much already.
"""

from __future__ import annotations

import os
import subprocess
import sys


def _run(code: str) -> list[str]:
    env = {**os.environ, "GLOG_minloglevel": "2"}
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, check=False
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    return proc.stdout.split()


def test_detector_does_not_import_the_rest_of_mediapipe() -> None:
    # matplotlib comes only with solutions.drawing_utils, hands with solutions' __init__:
    # neither is needed to find landmarks.
    out = _run(
        "import sys\n"
        "from acuface.locator.landmarks import get_detector\n"
        "get_detector()\n"
        "print('matplotlib' in sys.modules, 'mediapipe.python.solutions.hands' in sys.modules)\n"
    )
    assert out == ["False", "False"]


def test_whole_package_is_there_for_code_that_imports_it_later() -> None:
    out = _run(
        "from acuface.locator.landmarks import get_detector\n"
        "get_detector()\n"
        "import mediapipe as mp\n"
        "print(mp.__version__, mp.solutions.hands.Hands.__name__, mp.Image.__name__)\n"
        "from mediapipe.python.solutions import drawing_utils\n"
        "print(drawing_utils.__name__)\n"
    )
    assert out == ["0.10.21", "Hands", "Image", "mediapipe.python.solutions.drawing_utils"]


def test_landmarks_are_the_same_on_the_lean_and_the_ordinary_import() -> None:
    # With MediaPipe already imported the ordinary import is taken; the model must not
    # notice which.
    detect = (
        "from skimage import data\n"
        "from acuface.locator.landmarks import detect_one\n"
        "print('mediapipe.python.solutions.hands' in sys.modules)\n"
        "print(detect_one(data.astronaut()).xyz_px[::40].round(4).tolist())\n"
    )
    lean = _run("import sys\n" + detect)
    ordinary = _run("import sys\nimport mediapipe\n" + detect)
    assert lean[0] == "False" and ordinary[0] == "True"
    assert lean[1:] == ordinary[1:]
