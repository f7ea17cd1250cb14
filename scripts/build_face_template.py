"""Rebuild ``locator/data/face_template.npy`` and ``vocab/data/mirror_index.npy``.

The template is the Procrustes mean of the Face Mesh landmarks of the shipped
frontal public-domain portraits (``tests/data/faces``), made exactly
left/right symmetric. Zero yaw and roll are therefore defined by symmetry;
zero pitch by a vertical facial plane (forehead landmark 10 and chin landmark
152 at the same depth).

Run: ``.venv/bin/python scripts/build_face_template.py``.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
from scipy.optimize import linear_sum_assignment

from acuface.locator.image import load_image
from acuface.locator.landmarks import FaceMeshDetector, kabsch
from acuface.vocab import N_MESH_LANDMARKS

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "src" / "acuface" / "locator" / "data"
#: The mirror map is shared vocabulary (skin mirrors its regions with it too).
MIRROR_OUT = ROOT / "src" / "acuface" / "vocab" / "data"


def normalise(xyz: np.ndarray) -> np.ndarray:
    """Centre (N, 3) points and scale them to unit RMS distance."""
    c = xyz - xyz.mean(axis=0)
    return c / np.sqrt((c**2).sum(axis=1).mean())


def main() -> int:
    """Detect, align, average, symmetrise; write the two .npy files."""
    det = FaceMeshDetector(max_faces=1)
    photos = sorted((ROOT / "tests" / "data" / "faces").rglob("*.jpg"))
    shapes = []
    for p in photos:
        if "partial" in p.name:
            continue
        img = load_image(p)
        h, w = img.shape[:2]
        res = det.raw(img)
        if res.multi_face_landmarks:
            lm = res.multi_face_landmarks[0].landmark
            xyz = np.array([(q.x * w, q.y * h, q.z * w) for q in lm])
            shapes.append(normalise(xyz))
    print(f"{len(shapes)} faces", file=sys.stderr)
    mean = shapes[0]
    for _ in range(10):
        aligned = []
        for s in shapes:
            r, sc, t = kabsch(s[:N_MESH_LANDMARKS], mean[:N_MESH_LANDMARKS])
            aligned.append(sc * s @ r.T + t)
        mean = normalise(np.mean(aligned, axis=0))
    # Put the mid-sagittal plane (fitted through landmarks that lie on the
    # midline in the Face Mesh topology) at x = 0 before pairing sides.
    midline_ids = "0 1 2 4 5 6 8 9 10 13 14 17 18 19 94 151 152 164 168 175 195 197 199 200".split()
    mid = mean[[int(i) for i in midline_ids]]
    centre = mid.mean(axis=0)
    _, _, vt = np.linalg.svd(mid - centre)
    normal = vt[2] * np.sign(vt[2][0])
    up = mid[mid[:, 1].argmin()] - mid[mid[:, 1].argmax()]  # chin -> forehead
    up -= normal * (up @ normal)
    up /= np.linalg.norm(up)
    y_axis = -up
    z_axis = np.cross(normal, y_axis)
    basis = np.stack([normal, y_axis, z_axis])
    mean = (mean - centre) @ basis.T
    flipped = mean * np.array([-1.0, 1.0, 1.0])
    cost = np.linalg.norm(mean[:, None, :] - flipped[None, :, :], axis=2)
    _, mirror = linear_sum_assignment(cost)
    bad = np.flatnonzero(mirror[mirror] != np.arange(len(mirror)))
    if len(bad):
        print(f"mirror map not an involution at {bad}", file=sys.stderr)
        return 1
    sym = (mean + flipped[mirror]) / 2.0
    sym = normalise(sym)
    OUT.mkdir(parents=True, exist_ok=True)
    np.save(OUT / "face_template.npy", sym.astype(np.float64))
    np.save(MIRROR_OUT / "mirror_index.npy", mirror.astype(np.int16))
    midline = np.flatnonzero(mirror == np.arange(len(mirror)))
    print(f"midline landmarks: {len(midline)}; e.g. {midline[:12].tolist()}", file=sys.stderr)
    print(f"template pitch check: forehead z {sym[10, 2]:.3f}, chin z {sym[152, 2]:.3f}")
    print(f"mirror of 33 (right outer canthus) = {mirror[33]}; of 468 = {mirror[468]}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
