"""``locate()``: a photo in, every facial/head acupoint out (:class:`FaceMap`).

Pipeline: :func:`~acuface.locator.image.load_image` (safe decoding) ->
Face Mesh (:mod:`~acuface.locator.landmarks`) -> B-cun from the face ->
point geometry (:mod:`~acuface.locator.geometry`, data in the atlas) ->
visibility and confidence from the head pose.

Side convention: ``side`` is always the client's own left/right.
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from itertools import chain
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from acuface.atlas import load_atlas
from acuface.atlas.geometry import GeometryFile, load_geometry
from acuface.errors import ImageTooSmall, MultipleFaces, NoFaceFound, UnknownPointCode
from acuface.locator.cover import inside_polygon, looks_like_skin, median_rows, patch_lab
from acuface.locator.geometry import (
    CompiledGeometry,
    compile_geometry,
    estimate_cun,
    evaluate,
    face_to_image,
)
from acuface.locator.image import load_image
from acuface.locator.landmarks import detect_faces, fit_pose
from acuface.vocab import N_MESH_LANDMARKS, Landmarks, Pose, Side, mirror_index, normalise_code

#: Faces narrower than this (mesh bounding box, px) are too small to place points on.
MIN_FACE_PX = 80.0
#: A point is visible when its skin faces the camera at least this much
#: (cosine of the angle between the skin normal and the view direction; ~78 deg).
VISIBLE_COS = 0.2
#: Beyond these angles Face Mesh itself becomes unreliable: every point is
#: reported not visible, with a warning.
EXTREME_YAW_DEG = 50.0
EXTREME_PITCH_DEG = 35.0
#: Above this yaw, points on the far side start to hide: warn.
TURNED_YAW_DEG = 20.0


@dataclass(frozen=True)
class PlacedPoint:
    """One acupoint on one side of one face.

    Attributes
    ----------
    code : str
        Atlas code (``ST2``).
    side : {"left", "right", "midline"}
        The client's anatomical side.
    xy_px : tuple of float
        Position in image pixels.
    visible : bool
        False when the head turn hides the point or it falls outside the image.
    confidence : float
        0-1: the geometry's base confidence, lowered when the skin turns away
        from the camera and with head yaw.
    convention : str, optional
        For a point the standards place differently (GV26, and LI19 which is
        level with it): the id of the standard followed (``who2008``,
        ``gbt12346``). None where the standards agree.
    """

    code: str
    side: Side
    xy_px: tuple[float, float]
    visible: bool
    confidence: float
    convention: str | None = None

    def to_json(self) -> dict[str, Any]:
        """Return ``{"code", "side", "x", "y", "visible", "confidence"}``.

        A ``"convention"`` key is added for points that follow one standard
        where standards differ.
        """
        out: dict[str, Any] = {
            "code": self.code,
            "side": self.side,
            "x": round(self.xy_px[0], 1),
            "y": round(self.xy_px[1], 1),
            "visible": self.visible,
            "confidence": round(self.confidence, 2),
        }
        if self.convention is not None:
            out["convention"] = self.convention
        return out


#: ``json.dumps(..., separators=(",", ":"))``: the compact form every batch result takes.
compact_json = json.JSONEncoder(separators=(",", ":")).encode

#: JSON spelling of a point's ``visible`` flag, indexed by the flag.
_JSON_BOOL = ("false", "true")
#: Written after each confidence by the points template, then removed (see ``json_text``).
_MARK = "\x00"
#: Below this magnitude ``"%.1f" % x`` is ``repr(round(x, 1))`` (above, repr uses exponents).
_PLAIN_LIMIT = 1e15


@lru_cache(maxsize=64)
def _points_template(
    codes: tuple[str, ...], sides: tuple[str, ...], conventions: tuple[str | None, ...]
) -> str:
    """Return a ``%``-format string that writes the points of these rows as compact JSON.

    Each row takes four values: x and y, the ``visible`` word and the
    confidence, in the key order of :meth:`PlacedPoint.to_json`; the codes,
    sides and conventions are written into the template once per geometry,
    not once per photo.
    """
    rows = []
    for code, side, convention in zip(codes, sides, conventions, strict=True):
        tail = "" if convention is None else f',"convention":{compact_json(convention)}'
        head = f'{{"code":{compact_json(code)},"side":{compact_json(side)},"x":'
        rows.append(
            head.replace("%", "%%")
            + '%.1f,"y":%.1f,"visible":%s,"confidence":%.2f'
            + _MARK
            + tail.replace("%", "%%")
            + "}"
        )
    return "[" + ",".join(rows) + "]"


@dataclass(frozen=True)
class PointRows:
    """The placed points of one face as arrays, one row per (code, side).

    What :func:`face_result` computes. :attr:`FaceResult.points` builds the
    :class:`PlacedPoint` objects from it on first use, and a batch writes its
    JSON straight from it (:meth:`json_text`) without building them: a batch
    never looks at a point object.

    Attributes
    ----------
    codes, sides : tuple of str
    conventions : tuple of (str or None)
        As :attr:`PlacedPoint.convention`, per row.
    xy_px : (P, 2) ndarray of float64
        Positions in image pixels.
    visible : (P,) ndarray of bool
    confidence : (P,) ndarray of float64
    """

    codes: tuple[str, ...]
    sides: tuple[Side, ...]
    conventions: tuple[str | None, ...]
    xy_px: NDArray[np.float64]
    visible: NDArray[np.bool_]
    confidence: NDArray[np.float64]

    def placed(self) -> list[PlacedPoint]:
        """Return one :class:`PlacedPoint` per row, in row order."""
        return [
            PlacedPoint(code, side, (x, y), v, c, conv)
            for code, side, conv, (x, y), v, c in zip(
                self.codes,
                self.sides,
                self.conventions,
                self.xy_px.tolist(),
                self.visible.tolist(),
                self.confidence.tolist(),
                strict=True,
            )
        ]

    def json_text(self) -> str | None:
        """Write ``[p.to_json() for p in placed()]`` as compact JSON (None: a number not finite).

        One ``%`` formatting of a cached template (:func:`_points_template`):
        rounding and writing a float is most of the cost of this JSON, and
        ``"%.1f" % x`` does both at once, giving exactly ``repr(round(x, 1))``
        (both are the correctly rounded decimal; for ``|x| < 1e15``) as the
        JSON encoder writes it. ``"%.2f"`` writes ``0.50`` where ``repr`` of
        the rounded confidence writes ``0.5``: the template marks the end of
        each confidence, and the marked zeros are dropped (no JSON text of
        ours holds a NUL; string values escape it). NaN, infinity and huge
        numbers, which the encoder spells its own way, are left to it (the
        caller falls back).
        """
        if not (
            (np.abs(self.xy_px) < _PLAIN_LIMIT).all() and (np.abs(self.confidence) <= 1.0).all()
        ):
            return None
        visible = map(_JSON_BOOL.__getitem__, self.visible.tolist())
        values = tuple(
            chain.from_iterable(
                zip(
                    self.xy_px[:, 0].tolist(),
                    self.xy_px[:, 1].tolist(),
                    visible,
                    self.confidence.tolist(),
                    strict=True,
                )
            )
        )
        text = _points_template(self.codes, self.sides, self.conventions) % values
        return text.replace("0" + _MARK, "").replace(_MARK, "")


@dataclass(frozen=True)
class FaceResult:
    """The points of one face.

    Attributes
    ----------
    pose : Pose
    mm_per_px : float
        Millimetre scale at the face (63 mm interpupillary distance assumed).
    cun_px : float
        Pixels per B-cun (see ``docs/points.md``).
    rows : PointRows
        The points as arrays (what :attr:`points` is built from).
    landmarks : Landmarks
    warnings : list of str
    """

    pose: Pose
    mm_per_px: float
    cun_px: float
    rows: PointRows = field(repr=False)
    landmarks: Landmarks = field(repr=False)
    warnings: list[str] = field(default_factory=list)

    @cached_property
    def points(self) -> list[PlacedPoint]:
        """The placed points, one per (code, side), built from :attr:`rows` on first use."""
        return self.rows.placed()

    def point(self, code: str, side: str) -> PlacedPoint:
        """Return the point with this code and side (KeyError if absent)."""
        for p in self.points:
            if p.code == code and p.side == side:
                return p
        raise KeyError(f"{code} {side}")

    def to_json(self) -> dict[str, Any]:
        """Return the JSON form of one face."""
        return {
            "pose": self.pose.as_dict(),
            "mm_per_px": round(self.mm_per_px, 4),
            "cun_mm": round(self.cun_px * self.mm_per_px, 1),
            "points": [p.to_json() for p in self.points],
            "warnings": list(self.warnings),
        }

    def to_json_text(self) -> str:
        """Return ``to_json()`` as compact JSON text (:data:`compact_json`), written faster."""
        points = self.rows.json_text()
        if points is None:
            return compact_json(self.to_json())
        return (
            f'{{"pose":{compact_json(self.pose.as_dict())},'
            f'"mm_per_px":{compact_json(round(self.mm_per_px, 4))},'
            f'"cun_mm":{compact_json(round(self.cun_px * self.mm_per_px, 1))},'
            f'"points":{points},"warnings":{compact_json(list(self.warnings))}}}'
        )


@dataclass(frozen=True)
class FaceMap:
    """Every face found in one image, largest first.

    Attributes
    ----------
    image_wh : tuple of int
    faces : list of FaceResult
    warnings : list of str
    """

    image_wh: tuple[int, int]
    faces: list[FaceResult]
    warnings: list[str] = field(default_factory=list)

    @property
    def primary(self) -> FaceResult:
        """The largest face (taken to be the client's)."""
        return self.faces[0]

    def to_json(self) -> dict[str, Any]:
        """Return ``{"image_wh", "faces": [...], "warnings"}`` (JSON-ready)."""
        return {
            "image_wh": list(self.image_wh),
            "faces": [f.to_json() for f in self.faces],
            "warnings": list(self.warnings),
        }


def resolve_codes(codes: Iterable[str], geometry: GeometryFile | None = None) -> list[str]:
    """Turn user-typed codes into canonical geometry codes.

    Accepts any case and the atlas aliases (``yintang`` -> ``EX-HN3``) when the
    atlas is available.

    Parameters
    ----------
    codes : iterable of str
    geometry : GeometryFile, optional

    Returns
    -------
    list of str
        Canonical codes, duplicates removed, in the order given.

    Raises
    ------
    UnknownPointCode
        For a code the locator cannot place, with close matches.
    """
    geometry = geometry or load_geometry()
    known = {normalise_code(c): c for c in geometry.by_code}
    out: list[str] = []
    for raw in codes:
        text = raw.strip()
        if not text:
            continue
        code = known.get(normalise_code(text)) or _alias(text)
        if code is None or code not in geometry.by_code:
            close = difflib.get_close_matches(normalise_code(text), list(known), n=3, cutoff=0.5)
            hint = f" Did you mean {', '.join(close)}?" if close else ""
            what = "is not a facial/head point the locator places" if code else "is not known"
            raise UnknownPointCode(f"point code {text!r} {what}.{hint}")
        if code not in out:
            out.append(code)
    return out


def _alias(text: str) -> str | None:
    """Canonical code for an atlas code or alias, or None."""
    point = load_atlas().get(text)
    return None if point is None else str(point.code)


def face_result(
    landmarks: Landmarks,
    *,
    codes: Iterable[str] | None = None,
    geometry: GeometryFile | None = None,
    standard: str | None = None,
    image_rgb: NDArray[np.uint8] | None = None,
) -> FaceResult:
    """Place the points on one detected face.

    A pure function of the landmarks (and, when given, the pixels): photos and
    live frames go through the same code.

    Parameters
    ----------
    landmarks : Landmarks
    codes : iterable of str, optional, keyword-only
        Canonical codes (default: all).
    geometry : GeometryFile, optional, keyword-only
        Defaults to the packaged geometry.
    standard : str, optional, keyword-only
        Location standard where standards differ (``who2008``, the default, or
        ``gbt12346``); see ``docs/points.md``.
    image_rgb : (H, W, 3) ndarray of uint8, optional, keyword-only
        The photo or frame the landmarks came from. With it, points flagged
        ``skin_check`` (the neck) are reported not visible where the photo
        shows no skin there (collar, scarf, beard) or where the chin hides
        them.

    Returns
    -------
    FaceResult

    Raises
    ------
    UnknownStandard
        For a standard the geometry does not define.
    """
    geometry = geometry or load_geometry()
    face_xyz = landmarks.to_template_frame()
    mm = landmarks.mm_per_px
    cun = estimate_cun(face_xyz, geometry.cun_scale, mm_per_px=mm)
    warnings: list[str] = []
    if cun.clamped:
        lo, hi = geometry.cun_scale.plausible_mm
        warnings.append(
            f"the face's proportions give a B-cun of {cun.measured_mm:.1f} mm, outside the "
            f"usual {lo:.0f}-{hi:.0f} mm; clamped. Check the photo (pose, framing) before "
            "relying on cun offsets."
        )
    pose = landmarks.pose
    extreme = abs(pose.yaw_deg) > EXTREME_YAW_DEG or abs(pose.pitch_deg) > EXTREME_PITCH_DEG
    if extreme:
        warnings.append(
            f"extreme head pose (yaw {pose.yaw_deg:.0f}°, pitch {pose.pitch_deg:.0f}°): "
            "points are not reliable and are all flagged not visible. Retake the photo "
            "facing the camera."
        )
    elif abs(pose.yaw_deg) > TURNED_YAW_DEG:
        # Turning toward one's own left shows the camera the right cheek.
        far = "left" if pose.yaw_deg > 0 else "right"
        warnings.append(
            f"head turned {abs(pose.yaw_deg):.0f}°: points on the client's {far} side may be "
            "hidden or less accurate."
        )
    w, h = landmarks.image_wh
    compiled = compile_geometry(geometry, standard)
    xyz_face = evaluate(face_xyz, compiled, cun_px=cun.cun_px)
    facing, skin_check, base = compiled.facing, compiled.skin_check, compiled.confidence
    names, sides, conventions = compiled.codes, compiled.sides, compiled.conventions
    if codes is not None:
        wanted = set(codes)
        rows = [i for i, c in enumerate(compiled.codes) if c in wanted]
        xyz_face, facing, skin_check, base = (
            xyz_face[rows],
            facing[rows],
            skin_check[rows],
            base[rows],
        )
        names = tuple(names[i] for i in rows)
        sides = tuple(sides[i] for i in rows)
        conventions = tuple(conventions[i] for i in rows)
    xyz_img = face_to_image(landmarks, xyz_face)
    # Cosine between each skin normal and the direction toward the camera (-z).
    cos = -(facing @ landmarks.rotation.T)[:, 2]
    inside = (xyz_img[:, 0] >= 0) & (xyz_img[:, 0] < w) & (xyz_img[:, 1] >= 0) & (xyz_img[:, 1] < h)
    visible = inside & (cos > VISIBLE_COS) & (not extreme)
    check = skin_check & visible
    if check.any():
        visible[check] = _uncovered(
            landmarks, xyz_img[check, :2], compiled, geometry, cun.cun_px, image_rgb
        )
    facing_factor = np.clip((cos - VISIBLE_COS) / (0.7 - VISIBLE_COS), 0.0, 1.0)
    yaw_factor = 1.0 - 0.4 * min(abs(pose.yaw_deg), 45.0) / 45.0
    conf = base * (0.5 + 0.5 * facing_factor) * yaw_factor * np.where(visible, 1.0, 0.5)
    point_rows = PointRows(
        codes=names,
        sides=sides,  # type: ignore[arg-type]
        conventions=conventions,
        xy_px=xyz_img[:, :2],
        visible=visible,
        confidence=conf,
    )
    return FaceResult(
        pose=pose,
        mm_per_px=mm,
        cun_px=cun.cun_px,
        rows=point_rows,
        landmarks=landmarks,
        warnings=warnings,
    )


def _uncovered(
    landmarks: Landmarks,
    xy_px: NDArray[np.float64],
    compiled: CompiledGeometry,
    geometry: GeometryFile,
    cun_px: float,
    image_rgb: NDArray[np.uint8] | None,
) -> NDArray[np.bool_]:
    """Which of these (geometrically visible) neck points the photo really shows."""
    outline = landmarks.xy_px[compiled.face_outline]
    shown = ~inside_polygon(xy_px, outline)
    if image_rgb is None or not shown.any():
        return shown
    radius = geometry.cover.patch_cun * cun_px
    reference_xy = landmarks.xy_px[compiled.skin_reference]
    # One sampling pass for the cheeks and the points together.
    lab = patch_lab(image_rgb, np.concatenate((reference_xy, xy_px)), radius)
    ref = lab[: len(reference_xy)]
    ref = ref[np.isfinite(ref).all(axis=1)]
    if not len(ref):
        return shown
    skin = looks_like_skin(lab[len(reference_xy) :], median_rows(ref))
    return shown if skin is None else shown & skin


def locate(
    image: str | Path | bytes | NDArray[np.uint8],
    *,
    codes: Iterable[str] | None = None,
    require_single: bool = False,
    name: str | None = None,
    symmetric: bool = False,
    standard: str | None = None,
) -> FaceMap:
    """Find the face(s) in a photo and place every facial/head acupoint.

    Parameters
    ----------
    image : str, Path, bytes or (H, W, 3) ndarray of uint8
        A photo file, its bytes, or an RGB array.
    codes : iterable of str, optional, keyword-only
        Only these points (codes or atlas aliases, any case). Default: all.
    require_single : bool, keyword-only
        Raise :class:`MultipleFaces` when more than one face is found
        (otherwise all are reported, largest first, with a warning).
    name : str, optional, keyword-only
        Name of the photo in messages.
    symmetric : bool, keyword-only
        Also run Face Mesh on the mirrored photo and average the two landmark
        sets (:func:`symmetrise`). Makes the result exactly consistent under a
        horizontal flip and averages out some landmark noise, at twice the
        model time. Off by default.
    standard : str, optional, keyword-only
        Location standard where standards differ (default WHO 2008, see
        :func:`face_result`).

    Returns
    -------
    FaceMap

    Raises
    ------
    NotAnImage, UnsupportedImage, CorruptImage, ImageTooLarge
        From :func:`load_image`.
    ImageTooSmall
        When the largest face is under ``MIN_FACE_PX`` pixels across.
    NoFaceFound
    MultipleFaces
        Only with ``require_single=True``.
    UnknownPointCode
        For an unknown code in ``codes``.
    UnknownStandard
        For an unknown ``standard``.
    """
    geometry = load_geometry()
    compile_geometry(geometry, standard)  # an unknown standard fails before the model runs
    wanted = None if codes is None else resolve_codes(codes, geometry)
    label = name or (str(image) if isinstance(image, (str, Path)) else "photo")
    rgb = load_image(image, name=label)
    h, w = rgb.shape[:2]
    faces = detect_faces(rgb)
    if symmetric and faces:
        faces = symmetrise(faces, detect_faces(np.ascontiguousarray(rgb[:, ::-1])))
    if not faces:
        raise NoFaceFound(
            f"{label}: no face found. Use a well-lit, front-facing photo with the whole face "
            "in the frame."
        )
    widths = [f.face_width_px for f in faces]
    if widths[0] < MIN_FACE_PX:
        raise ImageTooSmall(
            f"{label}: the face is only {widths[0]:.0f} px across; at least "
            f"{MIN_FACE_PX:.0f} px is needed. Use a closer or higher-resolution photo."
        )
    warnings: list[str] = []
    small = sum(width < MIN_FACE_PX for width in widths)
    if small:
        faces = [f for f, width in zip(faces, widths, strict=True) if width >= MIN_FACE_PX]
        warnings.append(f"{small} further face(s) under {MIN_FACE_PX:.0f} px across were ignored.")
    if len(faces) > 1:
        if require_single:
            raise MultipleFaces(
                f"{label}: {len(faces)} faces found; use a photo of the client alone."
            )
        warnings.append(
            f"{len(faces)} faces found; all are reported, largest first. The first is taken "
            "to be the client's."
        )
    results = [
        face_result(f, codes=wanted, geometry=geometry, standard=standard, image_rgb=rgb)
        for f in faces
    ]
    return FaceMap(image_wh=(w, h), faces=results, warnings=warnings)


def symmetrise(faces: list[Landmarks], flipped: list[Landmarks]) -> list[Landmarks]:
    """Average each face's landmarks with those found on the mirrored photo.

    Parameters
    ----------
    faces : list of Landmarks
        Faces found on the photo.
    flipped : list of Landmarks
        Faces found on the horizontally flipped photo.

    Returns
    -------
    list of Landmarks
        Same order; a face without a partner on the flipped photo is kept as is.
    """
    out = []
    for face in faces:
        w = face.image_wh[0]
        best, best_d = None, float("inf")
        for other in flipped:
            # Map the flipped face back: mirror x and swap left/right landmarks.
            back = other.xyz_px[mirror_index()].copy()
            back[:, 0] = w - back[:, 0]
            d = float(
                np.linalg.norm(
                    back[:N_MESH_LANDMARKS, :2].mean(0) - face.xyz_px[:N_MESH_LANDMARKS, :2].mean(0)
                )
            )
            if d < best_d:
                best, best_d = back, d
        if best is None or best_d > 0.25 * face.face_width_px:
            out.append(face)
            continue
        xyz = (face.xyz_px + best) / 2.0
        pose, rotation, scale = fit_pose(xyz)
        out.append(
            Landmarks(xyz_px=xyz, image_wh=face.image_wh, pose=pose, rotation=rotation, scale=scale)
        )
    return out
