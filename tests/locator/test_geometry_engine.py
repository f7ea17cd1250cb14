"""The geometry engine on real landmarks: frames, symmetry and exact similarity equivariance."""

from __future__ import annotations

import numpy as np
import pytest

from acuface.atlas.geometry import load_geometry, parse_geometry
from acuface.locator.geometry import (
    compile_geometry,
    estimate_cun,
    evaluate,
    face_to_image,
    place_points,
)
from acuface.locator.landmarks import fit_pose
from acuface.vocab import Landmarks


def _rotation(rng: np.random.Generator, max_deg: float) -> np.ndarray:
    axis = rng.normal(size=3)
    axis /= np.linalg.norm(axis)
    a = np.radians(rng.uniform(-max_deg, max_deg))
    k = np.array([[0, -axis[2], axis[1]], [axis[2], 0, -axis[0]], [-axis[1], axis[0], 0]])
    return np.eye(3) + np.sin(a) * k + (1 - np.cos(a)) * k @ k


def _image_points(lm: Landmarks) -> np.ndarray:
    geo = load_geometry()
    face = lm.to_template_frame()
    cun = estimate_cun(face, geo.cun_scale, mm_per_px=lm.mm_per_px)
    return face_to_image(lm, evaluate(face, compile_geometry(geo), cun_px=cun.cun_px))


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_similarity_transform_of_landmarks_moves_points_exactly(obama_map, seed: int) -> None:
    """Rotate (3-D, up to 30°), scale and shift real landmarks: points follow exactly."""
    rng = np.random.default_rng(seed)
    lm = obama_map.primary.landmarks
    q, s, t = _rotation(rng, 30.0), rng.uniform(0.5, 2.0), rng.uniform(-50, 50, size=3)
    xyz = s * lm.xyz_px @ q.T + t
    pose, rotation, scale = fit_pose(xyz)
    moved = Landmarks(xyz_px=xyz, image_wh=lm.image_wh, pose=pose, rotation=rotation, scale=scale)
    before = _image_points(lm)
    after = _image_points(moved)
    expected = s * before @ q.T + t
    assert np.abs(after - expected).max() < 1e-6 * s * lm.face_width_px


def test_left_recipe_on_mirrored_face_gives_the_right_side(obama_map) -> None:
    """Mirroring the face (x -> -x, landmarks relabelled) swaps left and right exactly."""
    from acuface.vocab import mirror_index

    lm = obama_map.primary.landmarks
    face = lm.to_template_frame()
    mirrored = face[mirror_index()] * np.array([-1.0, 1.0, 1.0])
    geo = load_geometry()
    a = {(e.code, e.side): e.xyz_face for e in place_points(face, geo, cun_px=20.0)}
    b = {(e.code, e.side): e.xyz_face for e in place_points(mirrored, geo, cun_px=20.0)}
    swap = {"left": "right", "right": "left", "midline": "midline"}
    for (code, side), xyz in a.items():
        twin = b[(code, swap[side])] * np.array([-1.0, 1.0, 1.0])
        # Surface depths pick neighbours among template-nearest candidates, which
        # are symmetric too: agreement is to rounding.
        assert np.allclose(xyz, twin, atol=1e-6), (code, side)


def test_offsets_are_in_cun_along_face_axes(obama_map) -> None:
    """ST4 is 0.4 cun lateral to the mouth corner: each cun pixel adds 0.4 px outward."""
    lm = obama_map.primary.landmarks
    face = lm.to_template_frame()
    geo = load_geometry()
    est = {
        cun: {(e.code, e.side): e.xyz_face for e in place_points(face, geo, cun_px=cun)}
        for cun in (10.0, 20.0)
    }
    assert est[20.0][("ST4", "left")][0] - est[10.0][("ST4", "left")][0] == pytest.approx(4.0)
    assert est[10.0][("ST4", "right")][0] - est[20.0][("ST4", "right")][0] == pytest.approx(4.0)
    assert est[20.0][("ST4", "left")][1] == pytest.approx(est[10.0][("ST4", "left")][1])
    # The base is the (symmetrised) mouth corner: within a third of the mouth's
    # own asymmetry of Face Mesh 291.
    assert est[10.0][("ST4", "left")][0] - 4.0 == pytest.approx(face[291, 0], abs=3.0)


def test_scalp_arc_walks_up_and_back(obama_map) -> None:
    lm = obama_map.primary.landmarks
    face = lm.to_template_frame()
    est = {e.code: e for e in place_points(face, load_geometry(), cun_px=20.0)}
    yin, gv24, gv20 = est["EX-HN3"], est["GV24"], est["GV20"]
    # Up is -y, back is +z; GV20 (8 cun of arc on a 5-cun radius) is near the vertex.
    assert yin.xyz_face[1] > gv24.xyz_face[1] > gv20.xyz_face[1]
    assert yin.xyz_face[1] - gv20.xyz_face[1] == pytest.approx(5.0 * 20 * np.sin(1.6))
    # Yintang's own depth is read from the skin surface, the arc starts from its
    # landmarks: a few pixels apart.
    back = gv20.xyz_face[2] - yin.xyz_face[2]
    assert back == pytest.approx(5.0 * 20 * (1 - np.cos(1.6)), abs=5.0)
    assert gv20.facing_face[1] < -0.99  # facing straight up at the vertex


def test_geometry_edits_change_the_result(obama_map) -> None:
    """The engine reads the data: a different recipe moves the point."""
    text = (
        __import__("pathlib").Path(__file__).resolve().parents[2]
        / "src/acuface/atlas/data/geometry.yaml"
    ).read_text("utf-8")
    edited = parse_geometry(text.replace("lateral_cun: 0.4}", "lateral_cun: 1.4}"))
    face = obama_map.primary.landmarks.to_template_frame()
    a = {(e.code, e.side): e.xyz_face for e in place_points(face, load_geometry(), cun_px=20.0)}
    b = {(e.code, e.side): e.xyz_face for e in place_points(face, edited, cun_px=20.0)}
    assert b[("ST4", "left")][0] - a[("ST4", "left")][0] == pytest.approx(20.0)
