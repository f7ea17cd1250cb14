"""Anatomical facts of the standard definitions, on every shipped portrait.

Each test states a relation the WHO 2008 (or textbook) definition implies and
checks it on all 70 shipped faces, in the face's own frame (head pose
removed) and in millimetres on the 63 mm interpupillary scale. Every tolerance
says where it comes from. Most facts compare a point with the raw Face Mesh
landmarks of the structure its definition names; the locator first draws each
landmark a third of the way toward its mirror partner (``symmetry`` in
geometry.yaml), so those tolerances include that shift, computed per face
(``shift_mm``) rather than guessed.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pytest

from acuface.atlas.geometry import load_geometry
from acuface.locator import FaceMap, FaceResult
from acuface.locator.geometry import place_points
from acuface.vocab import mirror_index

#: Face Mesh landmarks named in the facts (client's left side).
ALA_TOP, ALARE, ALAR_BASE = 429, 358, 327  # top of the alar crease, wing's widest point, base
NOSTRIL_RIM = (305, 460)  # outer stretch of the nostril rim
SUBNASALE, LABRALE_SUPERIUS = 2, 0
PUPIL, MEDIAL_LIMBUS = 473, 476
INNER_CANTHUS, OUTER_CANTHUS = 362, 263
RIM_MEDIAL, RIM_LATERAL = 453, 261  # ends of the mesh ring over the infraorbital margin
OUTLINE_TRAGUS = 454  # cheek outline at tragus level
#: Rounding of a construction that is exact by definition.
EXACT_MM = 1e-6


@dataclass
class Face:
    """One face in its own frame, millimetres: points, raw landmarks, helpers."""

    name: str
    result: FaceResult
    pts: dict[tuple[str, str], np.ndarray]
    lm: np.ndarray
    cun_mm: float
    weight: float
    mid_x: float

    def p(self, code: str, side: str = "left") -> np.ndarray:
        return self.pts[(code, side)]

    def shift_mm(self, *idx: int) -> float:
        """How far the symmetrisation can move a construction on these landmarks."""
        m = mirror_index()
        worst = 0.0
        for i in idx:
            mirrored = self.lm[m[i]].copy()
            mirrored[0] = 2 * self.mid_x - mirrored[0]
            worst = max(worst, float(np.linalg.norm(self.lm[i] - mirrored)))
        return self.weight * worst


def _faces(shipped_faces: list[tuple[str, np.ndarray, FaceMap]]) -> list[Face]:
    geo = load_geometry()
    out = []
    for name, _, fm in shipped_faces:
        face = fm.primary
        mm = face.mm_per_px
        frame = face.landmarks.to_template_frame()
        est = place_points(frame, geo, cun_px=face.cun_px)
        lm = frame * mm
        out.append(
            Face(
                name=name,
                result=face,
                pts={(e.code, e.side): e.xyz_face * mm for e in est},
                lm=lm,
                cun_mm=face.cun_px * mm,
                weight=geo.symmetry.weight,
                mid_x=float(lm[list(geo.symmetry.axis), 0].mean()),
            )
        )
    return out


@pytest.fixture(scope="module")
def faces(shipped_faces) -> list[Face]:
    assert len(shipped_faces) == 70
    return _faces(shipped_faces)


# --- nose -------------------------------------------------------------------


def test_li20_is_level_with_the_middle_of_the_alas_lateral_border(faces) -> None:
    """WHO: LI20 at the level of the midpoint of the ala's lateral border, not at its base."""
    for f in faces:
        li20 = f.p("LI20")
        border_mid_y = (f.lm[ALA_TOP, 1] + f.lm[ALAR_BASE, 1]) / 2
        tol = f.shift_mm(ALA_TOP, ALAR_BASE) + 0.3  # + rounding of the lerp on real meshes
        assert abs(li20[1] - border_mid_y) <= tol, f.name
        # Clearly above the alar base (the ala's lateral border is 12-16 mm tall,
        # so its midpoint is at least 4 mm above the base even on a small nose).
        assert f.lm[ALAR_BASE, 1] - li20[1] >= 4.0, f.name
        # In the sulcus just outside the wing: lateral to alare, by less than 6 mm.
        beside = li20[0] - f.lm[ALARE, 0]
        tol = f.shift_mm(ALARE, 266)
        assert -tol <= beside <= 6.0 + tol, (f.name, beside)


def test_ex_hn8_is_clearly_above_li20_on_the_side_of_the_nose(faces) -> None:
    """EX-HN8 at the upper end of the nasolabial sulcus: above the alar crease, above LI20."""
    for f in faces:
        hn8, li20 = f.p("EX-HN8"), f.p("LI20")
        # "Clearly above": more than 0.3 B-cun (5-6 mm), i.e. not pulled down to the ala.
        assert li20[1] - hn8[1] >= 0.3 * f.cun_mm, f.name
        # Above the top of the alar crease, on the nose's side (medial to LI20).
        assert hn8[1] < f.lm[ALA_TOP, 1] + f.shift_mm(ALA_TOP), f.name
        assert hn8[0] < li20[0], f.name


def test_li19_is_below_the_nostrils_lateral_margin_and_level_with_gv26(faces) -> None:
    for f in faces:
        li19 = f.p("LI19")
        rim_x = f.lm[list(NOSTRIL_RIM), 0]
        tol = f.shift_mm(*NOSTRIL_RIM)
        assert rim_x.min() - tol <= li19[0] <= rim_x.max() + tol, f.name
        # "Level with GV26" is the construction itself: exact.
        assert li19[1] == pytest.approx(f.p("GV26", "midline")[1], abs=EXACT_MM)


def test_gv26_follows_the_chosen_standard(faces, obama_rgb) -> None:
    """WHO 2008 by default (midpoint of the philtrum); GB/T 12346 on request (upper third)."""
    from acuface.locator import locate

    for f in faces:
        gv26 = f.p("GV26", "midline")
        sn, ls = f.lm[SUBNASALE], f.lm[LABRALE_SUPERIUS]
        t = (gv26[1] - sn[1]) / (ls[1] - sn[1])
        assert t == pytest.approx(0.5, abs=0.01), f.name  # midline landmarks: no shift in y
    default = locate(obama_rgb).primary
    cn = locate(obama_rgb, standard="gbt12346").primary
    assert default.point("GV26", "midline").convention == "who2008"
    assert cn.point("GV26", "midline").convention == "gbt12346"
    assert cn.point("LI19", "left").convention == "gbt12346"  # level with GV26, so it follows
    assert default.point("ST2", "left").convention is None
    # The upper-third site is a sixth of the philtrum (15 mm: 2.5 mm) higher.
    rise_mm = (default.point("GV26", "midline").xy_px[1] - cn.point("GV26", "midline").xy_px[1]) * (
        default.mm_per_px
    )
    assert 1.5 < rise_mm < 4.0


# --- eye --------------------------------------------------------------------


def test_st2_is_below_the_margin_slightly_medial_to_the_pupil(faces) -> None:
    """ST2 at the infraorbital foramen: 5-8 mm below the rim (ST1), medial to the pupil line."""
    for f in faces:
        st1, st2 = f.p("ST1"), f.p("ST2")
        assert 4.5 <= st2[1] - st1[1] <= 8.0, f.name  # 0.35 B-cun of a 15-23 mm cun
        medial = f.lm[PUPIL, 0] - st2[0]
        # Midway to the medial limbus (iris radius ~6 mm): 2-4 mm medial, within the
        # symmetrisation shift of the iris landmarks.
        tol = f.shift_mm(PUPIL, MEDIAL_LIMBUS)
        assert 2.0 - tol <= medial <= 4.0 + tol, (f.name, medial)


def test_ex_hn7_is_three_quarters_along_the_infraorbital_margin(faces) -> None:
    """EX-HN7 on the rim (ST1's level), 3/4 of the way out along the margin, not the eye."""
    for f in faces:
        hn7 = f.p("EX-HN7")
        assert hn7[1] == pytest.approx(f.p("ST1")[1], abs=EXACT_MM)
        rim = (hn7[0] - f.lm[RIM_MEDIAL, 0]) / (f.lm[RIM_LATERAL, 0] - f.lm[RIM_MEDIAL, 0])
        # 3/4 of the arc is ~0.8 of the frontal width (the rim's lateral part turns back).
        assert 0.7 <= rim <= 0.88, (f.name, rim)
        # Wider than the eye: beyond where 3/4 of the canthus-to-canthus width would put it.
        eye = (hn7[0] - f.lm[INNER_CANTHUS, 0]) / (f.lm[OUTER_CANTHUS, 0] - f.lm[INNER_CANTHUS, 0])
        assert eye >= 0.85, (f.name, eye)


# --- zygomatic arch and ear ---------------------------------------------------


def test_gb3_is_directly_above_st7_across_the_arch(faces) -> None:
    """GB3 above the arch, ST7 below it: one vertical, 0.4-0.8 B-cun apart (arch 0.3-0.5 tall)."""
    for f in faces:
        st7, gb3 = f.p("ST7"), f.p("GB3")
        assert abs(gb3[0] - st7[0]) <= 1.5, f.name  # the outline landmarks 356/454 lean by ~1 mm
        assert abs(gb3[2] - st7[2]) <= 4.0, f.name  # depth of the outline: same vertical +- 4 mm
        gap = (st7[1] - gb3[1]) / f.cun_mm
        assert 0.4 <= gap <= 0.8, (f.name, gap)


def test_pretragal_points_are_behind_the_cheek_outline_in_front_of_the_tragus(faces) -> None:
    """SI19, TE21, GB2 in front of the tragus: behind and outside the cheek outline landmark."""
    for f in faces:
        si19, te21, gb2 = f.p("SI19"), f.p("TE21"), f.p("GB2")
        outline = f.lm[OUTLINE_TRAGUS]
        tol = f.shift_mm(OUTLINE_TRAGUS)
        # 0.75 B-cun (11-17 mm) behind the outline point, 0.2 B-cun (3-5 mm) outside it.
        assert 10.0 - tol <= si19[2] - outline[2] <= 18.0 + tol, f.name
        assert 2.0 - tol <= si19[0] - outline[0] <= 5.0 + tol, f.name
        # One vertical, upper notch above the middle above the lower notch, each
        # 0.3-0.6 B-cun apart (the tragus is 15-20 mm tall).
        for p in (te21, gb2):
            assert np.allclose(p[[0, 2]], si19[[0, 2]], atol=EXACT_MM), f.name
        assert 0.3 <= (si19[1] - te21[1]) / f.cun_mm <= 0.6, f.name
        assert 0.3 <= (gb2[1] - si19[1]) / f.cun_mm <= 0.6, f.name
        # About 1 B-cun behind ST7 (ST7 lies ~1 B-cun in front of the tragus).
        assert 0.6 <= (si19[2] - f.p("ST7")[2]) / f.cun_mm <= 1.1, f.name


def test_pretragal_points_are_not_drawn_on_the_cheek_outline(shipped_faces) -> None:
    """In near-frontal photos SI19 projects outside the face outline (on the ear's root)."""
    for name, _, fm in shipped_faces:
        face = fm.primary
        if abs(face.pose.yaw_deg) > 8:
            continue
        xy = face.landmarks.xy_px
        for side, outline in (("left", 454), ("right", 234)):
            away = 1.0 if side == "left" else -1.0  # client's left is on the image's right
            beyond_px = away * (face.point("SI19", side).xy_px[0] - xy[outline, 0])
            # At least 1 mm outside (0.2 B-cun lateral minus the yaw of up to 8 deg).
            assert beyond_px * face.mm_per_px >= 1.0, (name, side)


def test_ear_apex_is_at_upper_lid_to_brow_level_behind_the_tragus(faces) -> None:
    """EX-HN6 at the top of the auricle: between brow and outer canthus levels, behind SI19."""
    for f in faces:
        apex = f.p("EX-HN6")
        assert f.p("EX-HN4")[1] - 0.3 * f.cun_mm < apex[1] < f.lm[OUTER_CANTHUS, 1], f.name
        assert apex[2] > f.p("SI19")[2], f.name  # the auricle leans back from the tragus
        te20 = f.p("TE20")
        assert te20[1] < apex[1] and te20[0] < apex[0], f.name  # on the scalp just above


# --- jaw and neck -----------------------------------------------------------


def test_st5_and_st6_sit_where_the_standard_puts_them_about_the_jaw_angle(faces) -> None:
    """ST5 on the lower jaw border ~1.5 B-cun in front of the angle; ST6 a finger-breadth above."""
    for f in faces:
        angle = f.lm[[397, 288]].mean(axis=0)
        st5, st6 = f.p("ST5"), f.p("ST6")
        tol = f.shift_mm(365, 379, 397, 288)
        assert 1.2 * f.cun_mm - tol < np.linalg.norm(st5 - angle) < 1.9 * f.cun_mm + tol, f.name
        # On the jaw contour between 365 and 379 (the mandible's lower border).
        a, b = f.lm[365], f.lm[379]
        t = np.dot(st5 - a, b - a) / np.dot(b - a, b - a)
        assert 0.0 < t < 0.5, f.name
        assert np.linalg.norm(a + t * (b - a) - st5) <= f.shift_mm(365, 379) + EXACT_MM, f.name
        # ST6 up and forward from the angle by about one finger-breadth (~1 B-cun).
        assert st6[1] < angle[1] and st6[2] < angle[2], f.name
        assert 0.5 * f.cun_mm < np.linalg.norm(st6 - angle) < 1.4 * f.cun_mm, f.name


def test_neck_points_are_below_the_chin_in_order_and_never_trusted_much(faces) -> None:
    """CV23 just below the chin (hyoid), ST9 lower (thyroid cartilage), 1.5 B-cun lateral."""
    for f in faces:
        cv23, st9 = f.p("CV23", "midline"), f.p("ST9")
        assert f.lm[152, 1] < cv23[1] < st9[1], f.name
        assert (st9[1] - cv23[1]) / f.cun_mm == pytest.approx(1.2, abs=1e-6)
        assert (st9[0] - cv23[0]) / f.cun_mm == pytest.approx(1.5, abs=1e-6)
        for p in f.result.points:
            if p.code in ("ST9", "CV23", "SI17"):
                assert p.confidence <= 0.3, (f.name, p)


# --- midline and symmetry ---------------------------------------------------


MIDLINE = ("EX-HN3", "GV25", "GV26", "GV27", "CV24")


def _symmetry_line(face: FaceResult, codes: set[str]) -> tuple[np.ndarray, np.ndarray]:
    """Point and unit direction of the image line that best bisects these bilateral pairs."""
    by = {(p.code, p.side): np.array(p.xy_px) for p in face.points}
    mids = np.array([(by[(c, "left")] + by[(c, "right")]) / 2 for c in codes])
    across = np.array([by[(c, "left")] - by[(c, "right")] for c in codes])
    normal = across.sum(axis=0)
    normal /= np.linalg.norm(normal)
    return mids.mean(axis=0), np.array([-normal[1], normal[0]])


def test_midline_points_lie_on_the_symmetry_line_of_the_bilateral_points(
    shipped_faces, faces
) -> None:
    """In near-frontal photos, GV25/GV26/GV27/CV24/EX-HN3 sit on the pairs' bisector."""
    geo = load_geometry()
    on_face = {p.code for p in geo.points if p.side == "bilateral" and p.depth == "surface"}
    checked = 0
    for (name, _, fm), f in zip(shipped_faces, faces, strict=True):
        face = fm.primary
        # A turned head's projection is not mirror-symmetric: skip clearly turned heads.
        if abs(face.pose.yaw_deg) > 8:
            continue
        checked += 1
        origin, direction = _symmetry_line(face, on_face)
        pairs_z = np.mean([f.p(c)[2] for c in on_face])
        for code in MIDLINE:
            d = np.array(face.point(code, "midline").xy_px) - origin
            off_mm = abs(d[0] * direction[1] - d[1] * direction[0]) * face.mm_per_px
            # Yaw shifts a point against the bisector by its depth difference
            # from the pairs times sin(yaw) (the nose tip is ~40 mm in front);
            # 1 mm for Face Mesh's own flip noise on the pairs.
            depth_mm = abs(f.p(code, "midline")[2] - pairs_z)
            allowed = 1.0 + depth_mm * np.sin(np.radians(abs(face.pose.yaw_deg)))
            assert off_mm <= allowed, (name, code, off_mm, allowed)
    assert checked >= 40


def _pair_residuals(f: Face, pts: dict[tuple[str, str], np.ndarray]) -> np.ndarray:
    out = []
    for (code, side), left in sorted(pts.items()):
        if side != "left":
            continue
        right = pts[(code, "right")].copy()
        right[0] = 2 * f.mid_x - right[0]
        out.append((left - right)[:2])
    return np.array(out)


def test_midline_and_pairs_are_symmetric_in_the_faces_own_frame(faces) -> None:
    """Pose removed: midline points on the symmetry line, pairs a third as lopsided as the mesh."""
    geo = load_geometry()
    plain = geo.model_copy(update={"symmetry": geo.symmetry.model_copy(update={"weight": 0.0})})
    medians = []
    for f in faces:
        for code in MIDLINE:
            assert f.p(code, "midline")[0] == pytest.approx(f.mid_x, abs=EXACT_MM), (f.name, code)
        frame = f.result.landmarks.to_template_frame()
        mm = f.result.mm_per_px
        raw = {
            (e.code, e.side): e.xyz_face * mm
            for e in place_points(frame, plain, cun_px=f.result.cun_px)
        }
        # Every construction is linear in the landmarks and the two sides are
        # mirrored recipes, so drawing the landmarks a fraction w toward their
        # mirror image leaves exactly (1 - 2w) of each pair's asymmetry.
        np.testing.assert_allclose(
            _pair_residuals(f, f.pts), (1 - 2 * f.weight) * _pair_residuals(f, raw), atol=1e-6
        )
        medians.append(np.median(np.linalg.norm(_pair_residuals(f, f.pts), axis=1)))
    # Typically half a millimetre; turned heads (Face Mesh squeezes the far side) more.
    assert np.median(medians) <= 1.0
