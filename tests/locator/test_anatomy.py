"""Anatomical relations of the reviewed points, checked in cun on real faces.

Each test states a fact of the standard definition (WHO 2008 / textbook) or of
general head anatomy that the placement must respect on every shipped photo,
measured in the face's own frame (head pose removed) and in B-cun.
"""

from __future__ import annotations

import numpy as np
import pytest

from acuface.atlas.geometry import load_geometry
from acuface.locator import FaceMap, FaceResult
from acuface.locator.geometry import place_points

#: Upper forehead contour of the mesh, from the midline to the client's left.
FOREHEAD_CHAIN = [10, 338, 297, 332, 284]
#: Face-contour landmarks (client's left): at the tragus, and the mandibular angle.
TRAGUS_LEVEL = 454
JAW_ANGLE = (397, 288)
MENTON = 152


def _frames(obama_map: FaceMap, portrait_maps) -> list[tuple[FaceResult, dict, np.ndarray]]:
    """Per face: result, face-frame points in cun, face-frame landmarks in cun."""
    geo = load_geometry()
    out = []
    for face in [obama_map.primary] + [fm.primary for _, fm in portrait_maps]:
        lm = face.landmarks.to_template_frame()
        est = place_points(lm, geo, cun_px=face.cun_px)
        pts = {(e.code, e.side): e.xyz_face / face.cun_px for e in est}
        out.append((face, pts, lm / face.cun_px))
    return out


@pytest.fixture(scope="module")
def frames(obama_map, portrait_maps):
    return _frames(obama_map, portrait_maps)


def test_ear_apex_is_at_brow_to_eyelid_level_and_hugs_the_head(frames) -> None:
    """EX-HN6: top of the auricle, level with the brow/upper lid, just outside the head."""
    for _, pts, lm in frames:
        apex = pts[("EX-HN6", "left")]
        brow_y = pts[("EX-HN4", "left")][1]
        canthus_y = lm[263, 1]
        # y grows downward: the apex lies between brow and outer-canthus levels.
        assert brow_y - 0.3 < apex[1] < canthus_y, (apex, brow_y, canthus_y)
        # It stands off the head side by about the helix's projection, not more.
        beyond = apex[0] - lm[TRAGUS_LEVEL, 0]
        assert 0.2 < beyond < 0.8, beyond
        # TE20 is on the scalp directly above it.
        te20 = pts[("TE20", "left")]
        assert te20[1] < apex[1]
        assert abs(te20[0] - apex[0]) < 0.6


def test_bl4_and_gb13_lie_1_5_and_3_cun_along_the_forehead(frames) -> None:
    """WHO: BL4 1.5 B-cun and GB13 3 B-cun lateral to the midline, along the skin."""
    for _, pts, lm in frames:
        chain = lm[FOREHEAD_CHAIN]
        arc = np.concatenate([[0.0], np.cumsum(np.linalg.norm(np.diff(chain, axis=0), axis=1))])
        for code, cun in (("BL4", 1.5), ("GB13", 3.0)):
            expected_x = np.interp(cun, arc, chain[:, 0]) - chain[0, 0]
            x = pts[(code, "left")][0] - chain[0, 0]
            assert x == pytest.approx(expected_x, abs=0.2), (code, x, expected_x)
        # Both stay on the line from GV24 to ST8 (same height) and in order.
        gv24, st8 = pts[("GV24", "midline")], pts[("ST8", "left")]
        assert gv24[0] < pts[("BL4", "left")][0] < pts[("GB15", "left")][0]
        assert pts[("GB15", "left")][0] < pts[("GB13", "left")][0] < st8[0]


def test_st5_and_st6_sit_where_the_standard_puts_them_about_the_jaw_angle(frames) -> None:
    """ST5 on the lower jaw border ~1.5 B-cun in front of the angle; ST6 a finger-breadth above."""
    for _, pts, lm in frames:
        angle = lm[list(JAW_ANGLE)].mean(axis=0)
        st5, st6 = pts[("ST5", "left")], pts[("ST6", "left")]
        assert 1.2 < np.linalg.norm(st5 - angle) < 1.9
        # On the jaw contour between landmarks 365 and 379 (the mandible's lower border).
        a, b = lm[365], lm[379]
        t = np.dot(st5 - a, b - a) / np.dot(b - a, b - a)
        assert 0.0 < t < 0.5
        assert np.linalg.norm(a + t * (b - a) - st5) < 1e-6
        # ST6: up and forward from the angle by about one finger-breadth (~1 B-cun).
        assert st6[1] < angle[1] and st6[2] < angle[2]
        assert 0.6 < np.linalg.norm(st6 - angle) < 1.3
        # ST5 is below and in front of ST6.
        assert st5[1] > st6[1] and st5[2] < st6[2]


def test_neck_points_are_below_the_chin_in_order(frames) -> None:
    """CV23 just below the chin (hyoid), ST9 lower (thyroid cartilage) and 1.5 B-cun lateral."""
    for face, pts, lm in frames:
        cv23, st9 = pts[("CV23", "midline")], pts[("ST9", "left")]
        assert lm[MENTON, 1] < cv23[1] < st9[1]
        assert st9[1] - cv23[1] == pytest.approx(1.2, abs=1e-6)
        assert st9[0] - cv23[0] == pytest.approx(1.5, abs=1e-6)
        # Off the face mesh and often under a collar: never trusted much.
        for p in face.points:
            if p.code in ("ST9", "CV23"):
                assert p.confidence <= 0.3


def test_gv26_is_at_the_upper_third_of_the_philtrum_and_li19_is_level(frames) -> None:
    """GV26 drawn at the traditional upper-third site (docs/points.md says why)."""
    for _, pts, lm in frames:
        sn, ls = lm[2], lm[0]
        gv26 = pts[("GV26", "midline")]
        t = (gv26[1] - sn[1]) / (ls[1] - sn[1])
        assert t == pytest.approx(1 / 3, abs=0.02)
        assert pts[("LI19", "left")][1] == pytest.approx(gv26[1], abs=1e-6)
