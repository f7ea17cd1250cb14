"""Reference facts that must hold on real frontal photos (standard point definitions)."""

from __future__ import annotations

import numpy as np
import pytest

from acuface.atlas.geometry import load_geometry
from acuface.locator import FaceMap, FaceResult
from acuface.vocab import IRIS_CENTRE_LEFT, IRIS_CENTRE_RIGHT


def _xy(face: FaceResult, code: str, side: str) -> np.ndarray:
    return np.array(face.point(code, side).xy_px)


def _faces(obama_map: FaceMap, portrait_maps) -> list[FaceResult]:
    return [obama_map.primary] + [fm.primary for _, fm in portrait_maps]


def test_every_code_is_placed_once_per_side(obama_map: FaceMap) -> None:
    face = obama_map.primary
    geo = load_geometry()
    expected = sum(1 if p.side == "midline" else 2 for p in geo.points)
    assert len(face.points) == expected == 85
    keys = {(p.code, p.side) for p in face.points}
    assert len(keys) == expected


def test_face_points_lie_inside_the_face(obama_map: FaceMap, portrait_maps) -> None:
    """Points on the face proper fall inside the mesh's bounding box."""
    on_face = [p.code for p in load_geometry().points if p.depth == "surface"]
    for face in _faces(obama_map, portrait_maps):
        x0, y0, x1, y1 = face.landmarks.bbox_px
        for p in face.points:
            if p.code in on_face:
                assert x0 - 2 <= p.xy_px[0] <= x1 + 2 and y0 - 2 <= p.xy_px[1] <= y1 + 2, p


def test_client_left_is_on_the_image_right_in_frontal_photos(obama_map, portrait_maps) -> None:
    for face in _faces(obama_map, portrait_maps):
        for code in ("ST3", "GB1", "ST4", "BL2"):
            assert _xy(face, code, "left")[0] > _xy(face, code, "right")[0], code


@pytest.mark.parametrize("side", ["left", "right"])
def test_vertical_order_below_the_eye(obama_map, portrait_maps, side: str) -> None:
    """ST1 above ST2 above ST3 above ST4; BL2 (brow) above BL1 (canthus); GB14 above brow."""
    for face in _faces(obama_map, portrait_maps):
        y = {c: _xy(face, c, side)[1] for c in ("ST1", "ST2", "ST3", "ST4", "BL1", "BL2", "GB14")}
        assert y["ST1"] < y["ST2"] < y["ST3"] < y["ST4"]
        assert y["GB14"] < y["BL2"] < y["BL1"]


def test_points_on_the_pupil_line(obama_map, portrait_maps) -> None:
    """ST1, ST3, EX-HN4, GB14 are directly below/above the pupil (frontal, level head).

    ST2 is not: the infraorbital foramen lies medial to the pupil line
    (``test_anatomy.py``).
    """
    for face in _faces(obama_map, portrait_maps):
        iris = face.landmarks.iris_distance_px
        # "Directly below" follows the face's own vertical axis (roll tilts it).
        down = face.landmarks.rotation[:2, 1]
        down = down / np.linalg.norm(down)
        for side, idx in (("left", IRIS_CENTRE_LEFT), ("right", IRIS_CENTRE_RIGHT)):
            pupil = face.landmarks.xy_px[idx]
            for code in ("ST1", "ST3", "EX-HN4", "GB14"):
                d = _xy(face, code, side) - pupil
                off_axis = abs(d[0] * down[1] - d[1] * down[0])
                # Yaw foreshortens and shifts a little: 5 % of the iris distance.
                assert off_axis < 0.05 * iris, (code, side, off_axis / iris)
            assert _xy(face, "ST3", side)[1] > pupil[1]


def test_bl1_is_medial_to_bl2_vertical_line(obama_map, portrait_maps) -> None:
    """BL1 lies at or medial to BL2's vertical line (within 5 % of the iris distance)."""
    for face in _faces(obama_map, portrait_maps):
        iris = face.landmarks.iris_distance_px
        # Distances from the midline along the face's own left-right axis.
        across = face.landmarks.rotation[:2, 0] / np.linalg.norm(face.landmarks.rotation[:2, 0])
        mid = _xy(face, "EX-HN3", "midline")
        for side in ("left", "right"):
            bl1 = abs((_xy(face, "BL1", side) - mid) @ across)
            bl2 = abs((_xy(face, "BL2", side) - mid) @ across)
            assert bl1 <= bl2 + 0.05 * iris, (side, (bl1 - bl2) / iris)


def test_st4_and_gb1_lie_lateral_to_their_landmarks(obama_map: FaceMap) -> None:
    face = obama_map.primary
    xy = face.landmarks.xy_px
    # Client's left: mouth corner 291, outer canthus 263 (image right, larger x).
    assert _xy(face, "ST4", "left")[0] > xy[291, 0]
    assert _xy(face, "GB1", "left")[0] > xy[263, 0]
    assert _xy(face, "ST4", "right")[0] < xy[61, 0]
    assert _xy(face, "GB1", "right")[0] < xy[33, 0]
    # 0.4 and 0.5 B-cun: in millimetres, about 7 and 9 mm for an 18 mm cun.
    d_st4 = np.linalg.norm(_xy(face, "ST4", "left") - xy[291]) * face.mm_per_px
    d_gb1 = np.linalg.norm(_xy(face, "GB1", "left") - xy[263]) * face.mm_per_px
    assert 5.0 < d_st4 < 10.0
    assert 7.0 < d_gb1 < 12.0


def test_left_and_right_mirror_about_the_midline(obama_map, portrait_maps) -> None:
    """In the face's own frame, each left point is the mirror image of its right twin."""
    from acuface.locator.geometry import place_points

    geo = load_geometry()
    for face in _faces(obama_map, portrait_maps):
        lm = face.landmarks
        est = place_points(lm.to_template_frame(), geo, cun_px=face.cun_px)
        by = {(e.code, e.side): e.xyz_face for e in est}
        mid_x = np.mean([v[0] for (c, s), v in by.items() if s == "midline" and c != "CV23"])
        errs = []
        for code in {c for c, s in by if s == "left"}:
            left, right = by[(code, "left")].copy(), by[(code, "right")].copy()
            assert left[0] > mid_x > right[0], code  # face-frame x points to the client's left
            left[0] = 2 * mid_x - left[0]
            errs.append(np.linalg.norm((left - right)[:2]) / lm.iris_distance_px)
        # Residuals are the face's own asymmetry plus Face Mesh noise.
        assert np.median(errs) < 0.06, np.median(errs)
        assert max(errs) < 0.25, max(errs)


def test_mm_scale_and_cun_are_plausible(obama_map, portrait_maps) -> None:
    for face in _faces(obama_map, portrait_maps):
        assert face.mm_per_px * face.landmarks.iris_distance_px == pytest.approx(63.0)
        cun_mm = face.cun_px * face.mm_per_px
        assert 15.0 <= cun_mm <= 23.0
        assert not face.warnings, face.warnings


def test_frontal_photo_shows_face_points_and_hides_points_behind_the_ear(obama_map) -> None:
    face = obama_map.primary
    by = {(p.code, p.side): p for p in face.points}
    for code in ("ST3", "LI20", "BL1", "GB14", "ST4"):
        for side in ("left", "right"):
            assert by[(code, side)].visible
            assert by[(code, side)].confidence >= 0.6
    for code in ("TE17", "GB12", "EX-HN14"):
        assert not by[(code, "left")].visible
    assert not by[("GV20", "midline")].visible  # the vertex, beyond the head outline
    assert by[("ST2", "left")].confidence < by[("ST3", "left")].confidence  # palpation point


def test_codes_filter_and_aliases(obama_rgb) -> None:
    from acuface.locator import locate

    fm = locate(obama_rgb, codes=["st2", "li20", "yintang"])
    assert [(p.code, p.side) for p in fm.primary.points] == [
        ("EX-HN3", "midline"),
        ("ST2", "left"),
        ("ST2", "right"),
        ("LI20", "left"),
        ("LI20", "right"),
    ]
