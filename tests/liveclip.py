"""A moving camera clip made from a shipped portrait, for Chromium's fake camera.

``--use-file-for-fake-video-capture=clip.y4m`` makes Chromium's ``getUserMedia``
deliver the clip (looped) as a 640 x 480 camera. The portrait is scaled so the face
is about as wide as a client's face seen by a laptop camera at arm's length, and
slides left and right (with a little up and down) over a plain background, one full
cycle per loop, so the clip loops without a jump. The benchmark imports this too.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
from numpy.typing import NDArray
from PIL import Image


def face_frames(
    portrait: Path,
    *,
    n: int = 60,
    size: tuple[int, int] = (640, 480),
    face_width_px: float = 230.0,
    amplitude_px: float = 80.0,
) -> tuple[list[NDArray[np.uint8]], list[tuple[float, float]]]:
    """Frames of the portrait's face moving sideways.

    Parameters
    ----------
    portrait : Path
    n : int, keyword-only
        Frames per cycle.
    size : (width, height), keyword-only
    face_width_px : float, keyword-only
        Width of the Face Mesh bounding box in the frames.
    amplitude_px : float, keyword-only
        Largest sideways offset of the face from the frame centre.

    Returns
    -------
    frames : list of (H, W, 3) ndarray of uint8
    offsets : list of (dx, dy)
        Where each frame puts the face centre relative to the frame centre.
    """
    from acuface.locator import locate

    src = Image.open(portrait).convert("RGB")
    face = locate(np.asarray(src)).primary.landmarks
    x0, y0, x1, y1 = face.bbox_px
    s = face_width_px / (x1 - x0)
    cx, cy = (x0 + x1) / 2 * s, (y0 + y1) / 2 * s
    scaled = src.resize((round(src.width * s), round(src.height * s)), Image.LANCZOS)
    w, h = size
    frames, offsets = [], []
    for i in range(n):
        phase = 2 * math.pi * i / n
        dx, dy = amplitude_px * math.sin(phase), 0.25 * amplitude_px * math.sin(2 * phase)
        canvas = Image.new("RGB", size, (38, 44, 52))
        canvas.paste(scaled, (round(w / 2 - cx + dx), round(h / 2 - cy + dy)))
        frames.append(np.asarray(canvas))
        offsets.append((dx, dy))
    return frames, offsets


def write_y4m(path: Path, frames: list[NDArray[np.uint8]], *, fps: int = 30) -> Path:
    """Write RGB frames as a YUV4MPEG2 (4:2:0, BT.601 studio range) clip.

    Parameters
    ----------
    path : Path
    frames : list of (H, W, 3) ndarray of uint8
        Even width and height.
    fps : int, keyword-only

    Returns
    -------
    Path
    """
    h, w = frames[0].shape[:2]
    with open(path, "wb") as fh:
        fh.write(f"YUV4MPEG2 W{w} H{h} F{fps}:1 Ip A1:1 C420jpeg\n".encode())
        for rgb in frames:
            ycc = np.asarray(Image.fromarray(rgb).convert("YCbCr"), dtype=np.float64)
            y = 16.0 + ycc[..., 0] * (219.0 / 255.0)
            chroma = 128.0 + (ycc[..., 1:] - 128.0) * (224.0 / 255.0)
            # 2 x 2 means: the chroma planes at half resolution.
            half = chroma.reshape(h // 2, 2, w // 2, 2, 2).mean(axis=(1, 3))
            fh.write(b"FRAME\n")
            fh.write(np.clip(np.rint(y), 0, 255).astype(np.uint8).tobytes())
            for k in range(2):
                fh.write(np.clip(np.rint(half[..., k]), 0, 255).astype(np.uint8).tobytes())
    return path
