"""The point-geometry engine: geometry data + face landmarks -> point positions.

Every point is computed in the face's own frame (head pose rotated out, see
:meth:`Landmarks.to_template_frame`), where "lateral", "up" and "forward" are
anatomical directions whatever the head does, then rotated back with the pose
and projected orthographically (z dropped) to pixels. That makes offsets
anatomical under roll and yaw, and makes the result move with the image under
rotation and scaling.

The constructions themselves are data (``atlas/data/geometry.yaml``, schema in
:mod:`acuface.atlas.geometry`); nothing here knows a point code.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from scipy.sparse import csr_matrix
from scipy.spatial import cKDTree

from acuface.atlas.geometry import (
    Compose,
    CunScale,
    Expr,
    GeometryFile,
    Helper,
    LandmarkMean,
    Lerp,
    Offset,
    PointGeometry,
    Ref,
)
from acuface.locator.landmarks import face_template
from acuface.vocab import N_LANDMARKS, N_MESH_LANDMARKS, Landmarks, Side, mirror_index

#: Face-frame unit vectors (x toward the client's left, y down, z away from camera).
_LATERAL = np.array([1.0, 0.0, 0.0])  # for the left side; mirrored for the right
_UP = np.array([0.0, -1.0, 0.0])
_FORWARD = np.array([0.0, 0.0, -1.0])
_SURFACE_NEIGHBOURS = 4
#: Mesh landmarks searched per surface query (nearest on the template face).
_SURFACE_CANDIDATES = 16


@dataclass(frozen=True)
class CunEstimate:
    """One face's B-cun.

    Attributes
    ----------
    cun_px : float
        Pixels per B-cun at the face (after clamping to the plausible range).
    measured_mm : float
        The raw measurement in millimetres (63 mm IPD scale), before clamping.
    clamped : bool
        True when the measurement was outside ``plausible_mm`` and clamped.
    """

    cun_px: float
    measured_mm: float
    clamped: bool


def estimate_cun(face_xyz: NDArray[np.float64], spec: CunScale, *, mm_per_px: float) -> CunEstimate:
    """Measure the B-cun on a face from the surface paths in ``spec``.

    Parameters
    ----------
    face_xyz : (478, 3) ndarray of float64
        Landmarks in the face frame, pixels.
    spec : CunScale
        Which landmark chains span how many cun, and the plausible range.
    mm_per_px : float, keyword-only
        Millimetre scale of the face (from the iris distance).

    Returns
    -------
    CunEstimate
    """
    lengths = [
        float(np.linalg.norm(np.diff(face_xyz[np.asarray(path)], axis=0), axis=1).sum())
        for path in spec.paths
    ]
    cun_px = float(np.mean(lengths)) / spec.span_cun
    measured_mm = cun_px * mm_per_px
    lo, hi = spec.plausible_mm
    clamped_mm = min(max(measured_mm, lo), hi)
    if clamped_mm != measured_mm:
        return CunEstimate(clamped_mm / mm_per_px, measured_mm, True)
    return CunEstimate(cun_px, measured_mm, False)


@dataclass(frozen=True)
class PointEstimate:
    """One point on one side, in the face frame.

    Attributes
    ----------
    code : str
    side : {"left", "right", "midline"}
        The client's anatomical side.
    xyz_face : (3,) ndarray of float64
        Position in the face frame (pixels about the mesh centroid).
    facing_face : (3,) ndarray of float64
        Unit outward skin direction in the face frame.
    spec : PointGeometry
        The geometry record it came from.
    """

    code: str
    side: Side
    xyz_face: NDArray[np.float64]
    facing_face: NDArray[np.float64]
    spec: PointGeometry


class _Lin:
    """A construction as a linear form in the landmarks, the cun and surface depths.

    Coordinates never mix (every offset runs along a face-frame axis), so
    coordinate ``k`` of a value is ``w[k] @ landmarks[:, k] + c[k] * cun_px``,
    plus for z a combination of "surface depth at (x, y)" slots.
    """

    __slots__ = ("w", "c", "s", "arc")

    def __init__(
        self,
        w: NDArray[np.float64],
        c: NDArray[np.float64],
        s: dict[int, float] | None = None,
        arc: float = 0.0,
    ) -> None:
        self.w, self.c, self.s, self.arc = w, c, dict(s or {}), arc

    def mix(self, other: _Lin, t: float) -> _Lin:
        keys = set(self.s) | set(other.s)
        s = {k: (1 - t) * self.s.get(k, 0.0) + t * other.s.get(k, 0.0) for k in keys}
        return _Lin(
            (1 - t) * self.w + t * other.w,
            (1 - t) * self.c + t * other.c,
            s,
            (1 - t) * self.arc + t * other.arc,
        )


@dataclass(frozen=True)
class CompiledGeometry:
    """Point geometry compiled to matrices: evaluating a face is a few matmuls.

    Attributes
    ----------
    codes, sides : tuple of str
        One row per (code, side), in file order (left before right).
    specs : tuple of PointGeometry
    weights : tuple of 3 sparse (P, 478) matrices
        Landmark weights per coordinate (sparse: a row uses a few landmarks,
        and sparse products avoid waking BLAS threads next to MediaPipe's).
    cun : (P, 3) ndarray of float64
        Coefficients of ``cun_px`` per coordinate.
    slot_weights : tuple of 2 sparse (M, 478) matrices; slot_cun : (M, 2) ndarray
        x, y of the M surface-depth slots.
    slot_z : sparse (P, M) matrix
        How each row's z combines the slot depths.
    facing : (P, 3) ndarray of float64
        Unit outward skin directions in the face frame (constant per row).
    confidence : (P,) ndarray of float64
        Base confidence per row.
    slot_candidates : (M, K) ndarray of intp
        For each slot, the mesh landmarks nearest to it on the template face:
        the surface search looks only there (no spatial index per face).
    """

    codes: tuple[str, ...]
    sides: tuple[str, ...]
    specs: tuple[PointGeometry, ...]
    weights: tuple[csr_matrix, csr_matrix, csr_matrix]
    cun: NDArray[np.float64]
    slot_weights: tuple[csr_matrix, csr_matrix]
    slot_cun: NDArray[np.float64]
    slot_z: csr_matrix
    facing: NDArray[np.float64]
    confidence: NDArray[np.float64]
    slot_candidates: NDArray[np.intp]


class _Compiler:
    def __init__(self, geometry: GeometryFile) -> None:
        self.geometry = geometry
        self.mirror = mirror_index()
        self.memo: dict[tuple[str, str], _Lin] = {}
        self.slots: list[tuple[NDArray[np.float64], NDArray[np.float64]]] = []

    def slot(self, wx: NDArray[np.float64], cx: float, wy: NDArray[np.float64], cy: float) -> int:
        self.slots.append((np.stack([wx, wy]), np.array([cx, cy])))
        return len(self.slots) - 1

    def named(self, name: str, side: str) -> _Lin:
        rec: PointGeometry | Helper | None = self.geometry.by_code.get(name)
        if rec is None:
            rec = self.geometry.helpers_by_name[name]
        midline = isinstance(rec, PointGeometry) and rec.side == "midline"
        key = (name, "midline" if midline else side)
        if key not in self.memo:
            if midline:
                # Averaging the construction with its mirror image puts the
                # point on the face's own midline.
                self.memo[key] = self.expr(rec.at, "left").mix(self.expr(rec.at, "right"), 0.5)
            else:
                self.memo[key] = self.expr(rec.at, side)
        return self.memo[key]

    def expr(self, e: Expr, side: str) -> _Lin:
        if isinstance(e, LandmarkMean):
            # The right side is the left-side recipe on mirrored landmarks.
            idx = np.asarray(e.mean, dtype=np.intp)
            if side == "right":
                idx = self.mirror[idx]
            row = np.zeros(N_LANDMARKS)
            np.add.at(row, idx, 1.0 / len(idx))  # repeated indices count twice
            w = np.tile(row, (3, 1))
            return _Lin(w, np.zeros(3))
        if isinstance(e, Ref):
            return self.named(e.ref, side)
        if isinstance(e, Lerp):
            return self.expr(e.lerp[0], side).mix(self.expr(e.lerp[1], side), e.t)
        if isinstance(e, Compose):
            vx, vy = self.expr(e.x, side), self.expr(e.y, side)
            w = np.stack([vx.w[0], vy.w[1], np.zeros(N_LANDMARKS)])
            c = np.array([vx.c[0], vy.c[1], 0.0])
            if e.z is not None:
                vz = self.expr(e.z, side)
                w[2], c[2] = vz.w[2], vz.c[2]
                return _Lin(w, c, vz.s, vy.arc)
            k = self.slot(vx.w[0], vx.c[0], vy.w[1], vy.c[1])
            return _Lin(w, c, {k: 1.0}, vy.arc)
        if isinstance(e, Offset):
            base = self.expr(e.base, side)
            sign = 1.0 if side == "left" else -1.0
            c = base.c + e.lateral_cun * sign * _LATERAL + e.up_cun * _UP + e.forward_cun * _FORWARD
            phi = 0.0
            if e.arc_up_cun:
                r = self.geometry.scalp_radius_cun
                phi = e.arc_up_cun / r
                c = c + r * np.sin(phi) * _UP - r * (1.0 - np.cos(phi)) * _FORWARD
            return _Lin(base.w.copy(), c, base.s, base.arc + phi)
        raise TypeError(f"unknown geometry expression {e!r}")  # pragma: no cover

    def compile(self) -> CompiledGeometry:
        codes, sides, specs, rows, facing = [], [], [], [], []
        for spec in self.geometry.points:
            for side in ("midline",) if spec.side == "midline" else ("left", "right"):
                lin = self.named(spec.code, side)
                if spec.depth == "surface":
                    k = self.slot(lin.w[0], lin.c[0], lin.w[1], lin.c[1])
                    w = lin.w.copy()
                    w[2] = 0.0
                    c = lin.c.copy()
                    c[2] = 0.0
                    lin = _Lin(w, c, {k: 1.0}, lin.arc)
                codes.append(spec.code)
                sides.append(side)
                specs.append(spec)
                rows.append(lin)
                facing.append(_facing(spec, side, lin.arc))
        m = max(len(self.slots), 1)
        slot_z = np.zeros((len(rows), m))
        for i, lin in enumerate(rows):
            for k, v in lin.s.items():
                slot_z[i, k] = v
        sw = np.zeros((2, m, N_LANDMARKS))
        sc = np.zeros((m, 2))
        for k, (w, c) in enumerate(self.slots):
            sw[:, k], sc[k] = w, c
        return CompiledGeometry(
            codes=tuple(codes),
            sides=tuple(sides),
            specs=tuple(specs),
            weights=(
                csr_matrix(np.stack([r.w[0] for r in rows])),
                csr_matrix(np.stack([r.w[1] for r in rows])),
                csr_matrix(np.stack([r.w[2] for r in rows])),
            ),
            cun=np.stack([r.c for r in rows]),
            slot_weights=(csr_matrix(sw[0]), csr_matrix(sw[1])),
            slot_cun=sc,
            slot_z=csr_matrix(slot_z),
            facing=np.stack(facing),
            confidence=np.array([sp.confidence for sp in specs]),
            slot_candidates=self.candidates(sw, sc),
        )

    def candidates(self, sw: NDArray[np.float64], sc: NDArray[np.float64]) -> NDArray[np.intp]:
        """Nearest mesh landmarks to each slot on the (frontal, symmetric) template."""
        template = face_template()
        spec = self.geometry.cun_scale
        lengths = [
            float(np.linalg.norm(np.diff(template[np.asarray(p)], axis=0), axis=1).sum())
            for p in spec.paths
        ]
        cun = float(np.mean(lengths)) / spec.span_cun
        x = sw[0] @ template[:, 0] + sc[:, 0] * cun
        y = sw[1] @ template[:, 1] + sc[:, 1] * cun
        mesh = template[:N_MESH_LANDMARKS]
        d2 = (mesh[None, :, 0] - x[:, None]) ** 2 + (mesh[None, :, 1] - y[:, None]) ** 2
        k = _SURFACE_CANDIDATES
        return np.asarray(np.argpartition(d2, k, axis=1)[:, :k], dtype=np.intp)


_compiled: dict[int, tuple[GeometryFile, CompiledGeometry]] = {}


def compile_geometry(geometry: GeometryFile) -> CompiledGeometry:
    """Compile (once per geometry object) the constructions into matrices."""
    hit = _compiled.get(id(geometry))
    if hit is None or hit[0] is not geometry:
        hit = (geometry, _Compiler(geometry).compile())
        _compiled[id(geometry)] = hit
    return hit[1]


def surface_depth(
    mesh_xyz: NDArray[np.float64],
    x: NDArray[np.float64],
    y: NDArray[np.float64],
    candidates: NDArray[np.intp] | None = None,
) -> NDArray[np.float64]:
    """Depth of the mesh surface under each (x, y) (inverse-distance weighted).

    Parameters
    ----------
    mesh_xyz : (468, 3) ndarray of float64
    x, y : (M,) ndarray of float64
    candidates : (M, K) ndarray of intp, optional
        Mesh landmarks to search for each query (the nearest ones on the
        template face); default: search the whole mesh.

    Returns
    -------
    (M,) ndarray of float64
    """
    if candidates is None:
        d, near = cKDTree(mesh_xyz[:, :2]).query(np.column_stack([x, y]), k=_SURFACE_NEIGHBOURS)
    else:
        d2 = (mesh_xyz[candidates, 0] - x[:, None]) ** 2 + (
            mesh_xyz[candidates, 1] - y[:, None]
        ) ** 2
        pick = np.argpartition(d2, _SURFACE_NEIGHBOURS, axis=1)[:, :_SURFACE_NEIGHBOURS]
        near = np.take_along_axis(candidates, pick, axis=1)
        d = np.sqrt(np.take_along_axis(d2, pick, axis=1))
    w = 1.0 / (d + 1e-3) ** 2
    return np.asarray((mesh_xyz[near, 2] * w).sum(axis=1) / w.sum(axis=1), dtype=np.float64)


def evaluate(
    face_xyz: NDArray[np.float64], compiled: CompiledGeometry, *, cun_px: float
) -> NDArray[np.float64]:
    """Positions of every (code, side) row on one face, in the face frame.

    Parameters
    ----------
    face_xyz : (478, 3) ndarray of float64
        Landmarks in the face frame.
    compiled : CompiledGeometry
    cun_px : float, keyword-only

    Returns
    -------
    (P, 3) ndarray of float64
    """
    sx = compiled.slot_weights[0] @ face_xyz[:, 0] + compiled.slot_cun[:, 0] * cun_px
    sy = compiled.slot_weights[1] @ face_xyz[:, 1] + compiled.slot_cun[:, 1] * cun_px
    sz = surface_depth(face_xyz[:N_MESH_LANDMARKS], sx, sy, compiled.slot_candidates)
    out = np.empty((len(compiled.codes), 3))
    for k in range(3):
        out[:, k] = compiled.weights[k] @ face_xyz[:, k] + compiled.cun[:, k] * cun_px
    out[:, 2] += compiled.slot_z @ sz
    return out


def _facing(spec: PointGeometry, side: str, arc_rad: float) -> NDArray[np.float64]:
    sign = -1.0 if side == "right" else 1.0
    lat, up, fwd = spec.facing
    v = np.array([sign * lat, -up, -fwd], dtype=np.float64)
    if arc_rad:
        # Walking up over the scalp tilts the skin's normal from forward to up.
        c, s = np.cos(arc_rad), np.sin(arc_rad)
        v = np.array([v[0], v[1] * c + v[2] * s, -v[1] * s + v[2] * c])
    return v / np.linalg.norm(v)


def place_points(
    face_xyz: NDArray[np.float64],
    geometry: GeometryFile,
    *,
    cun_px: float,
    codes: Iterable[str] | None = None,
) -> list[PointEstimate]:
    """Evaluate point geometry on one face, in the face frame.

    Parameters
    ----------
    face_xyz : (478, 3) ndarray of float64
        Landmarks in the face frame (:meth:`Landmarks.to_template_frame`).
    geometry : GeometryFile
        The point geometry data.
    cun_px : float, keyword-only
        Pixels per B-cun.
    codes : iterable of str, optional, keyword-only
        Canonical codes to place (default: all, in file order).

    Returns
    -------
    list of PointEstimate
        File order; bilateral points give left then right.
    """
    compiled = compile_geometry(geometry)
    xyz = evaluate(face_xyz, compiled, cun_px=cun_px)
    wanted = None if codes is None else set(codes)
    return [
        PointEstimate(
            code=code,
            side=side,  # type: ignore[arg-type]
            xyz_face=xyz[i],
            facing_face=compiled.facing[i],
            spec=compiled.specs[i],
        )
        for i, (code, side) in enumerate(zip(compiled.codes, compiled.sides, strict=True))
        if wanted is None or code in wanted
    ]


def face_to_image(landmarks: Landmarks, xyz_face: NDArray[np.float64]) -> NDArray[np.float64]:
    """Map face-frame points back to image pixels (inverse of ``to_template_frame``).

    Parameters
    ----------
    landmarks : Landmarks
    xyz_face : (N, 3) or (3,) ndarray of float64

    Returns
    -------
    ndarray of float64, same shape
        x, y in pixels and z depth (larger = farther).
    """
    centroid = landmarks.xyz_px.mean(axis=0)
    return np.asarray(xyz_face @ landmarks.rotation.T + centroid, dtype=np.float64)
