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
from acuface.errors import UnknownStandard
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
    chain, paths = _cun_chain(spec)
    points = face_xyz[chain]
    step = points[1:] - points[:-1]
    # All paths in one pass; the steps between two paths are never summed.
    step_px = np.sqrt((step * step).sum(axis=1))
    lengths = [float(step_px[first:last].sum()) for first, last in paths]
    cun_px = float(np.mean(lengths)) / spec.span_cun
    measured_mm = cun_px * mm_per_px
    lo, hi = spec.plausible_mm
    clamped_mm = min(max(measured_mm, lo), hi)
    if clamped_mm != measured_mm:
        return CunEstimate(clamped_mm / mm_per_px, measured_mm, True)
    return CunEstimate(cun_px, measured_mm, False)


_cun_chains: dict[int, tuple[CunScale, NDArray[np.intp], tuple[tuple[int, int], ...]]] = {}


def _cun_chain(spec: CunScale) -> tuple[NDArray[np.intp], tuple[tuple[int, int], ...]]:
    """Return the cun paths laid end to end, and each path's range of steps (once per spec)."""
    hit = _cun_chains.get(id(spec))
    if hit is None or hit[0] is not spec:
        chain = np.concatenate([np.asarray(path, dtype=np.intp) for path in spec.paths])
        ranges, first = [], 0
        for path in spec.paths:
            ranges.append((first, first + len(path) - 1))
            first += len(path)
        hit = (spec, chain, tuple(ranges))
        _cun_chains[id(spec)] = hit
    return hit[1], hit[2]


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
class SparseRows:
    """A (rows, columns) matrix with few non-zeros per row, as padded gathers.

    ``rows @ v`` is ``(weight * v[index]).sum(axis=1)``: a handful of
    multiply-adds per row in NumPy, no BLAS call (which, right after a
    MediaPipe call, wakes OpenBLAS threads and costs milliseconds) and no
    SciPy import at start-up.

    Attributes
    ----------
    index : (R, K) ndarray of intp
        Column of each stored entry (padding points at column 0).
    weight : (R, K) ndarray of float64
        Its value (0 for padding).
    shape : tuple of int
    """

    index: NDArray[np.intp]
    weight: NDArray[np.float64]
    shape: tuple[int, int]

    @classmethod
    def from_dense(cls, dense: NDArray[np.float64]) -> SparseRows:
        """Keep the non-zero entries of a dense (R, C) matrix."""
        dense = np.atleast_2d(np.asarray(dense, dtype=np.float64))
        nz = dense != 0.0
        k = max(1, int(nz.sum(axis=1).max(initial=0)))
        index = np.zeros((dense.shape[0], k), dtype=np.intp)
        weight = np.zeros((dense.shape[0], k))
        for r in range(dense.shape[0]):
            cols = np.flatnonzero(nz[r])
            index[r, : len(cols)] = cols
            weight[r, : len(cols)] = dense[r, cols]
        return cls(index, weight, (int(dense.shape[0]), int(dense.shape[1])))

    def __matmul__(self, v: NDArray[np.float64]) -> NDArray[np.float64]:
        return np.asarray((self.weight * v[self.index]).sum(axis=1), dtype=np.float64)


@dataclass(frozen=True)
class CompiledGeometry:
    """Point geometry compiled to matrices: evaluating a face is a few matmuls.

    Attributes
    ----------
    codes, sides : tuple of str
        One row per (code, side), in file order (left before right).
    specs : tuple of PointGeometry
    linear : SparseRows (3 P + 2 M, 3 * 478)
        Every linear form of one face at once, on the flattened face-frame
        landmarks (``face_xyz.reshape(-1)``): rows ``3 p + k`` are coordinate
        ``k`` of row ``p``, rows ``3 P + 2 m + j`` are x (j = 0) and y (j = 1)
        of the M surface-depth slots. A row uses a few landmarks.
    linear_cun : (3 P + 2 M,) ndarray of float64
        Coefficients of ``cun_px`` of those forms.
    slot_z : SparseRows (P, M)
        How each row's z combines the slot depths.
    facing : (P, 3) ndarray of float64
        Unit outward skin directions in the face frame (constant per row).
    confidence : (P,) ndarray of float64
        Base confidence per row.
    slot_candidates : (M, K) ndarray of intp
        For each slot, the mesh landmarks nearest to it on the template face:
        the surface search looks only there (no spatial index per face).
    conventions : tuple of (str or None)
        Per row, the standard its construction follows where standards differ
        (the point itself or a point it is built from, e.g. LI19 from GV26).
    skin_check : (P,) ndarray of bool
        Rows visible only where the photo shows skin (see ``PointGeometry``).
    standard : str or None
        The standard the geometry was compiled for.
    face_outline, skin_reference : ndarray of intp
        The landmarks of the cover test (``GeometryFile.cover``) as index arrays.
    """

    codes: tuple[str, ...]
    sides: tuple[str, ...]
    specs: tuple[PointGeometry, ...]
    linear: SparseRows
    linear_cun: NDArray[np.float64]
    slot_z: SparseRows
    facing: NDArray[np.float64]
    confidence: NDArray[np.float64]
    slot_candidates: NDArray[np.intp]
    conventions: tuple[str | None, ...]
    skin_check: NDArray[np.bool_]
    standard: str | None
    face_outline: NDArray[np.intp]
    skin_reference: NDArray[np.intp]


class _Compiler:
    def __init__(self, geometry: GeometryFile, standard: str | None) -> None:
        self.geometry = geometry
        self.standard = standard
        self.mirror = mirror_index()
        self.memo: dict[tuple[str, str, float], _Lin] = {}
        self.slots: list[tuple[NDArray[np.float64], NDArray[np.float64]]] = []
        axis = np.zeros(N_LANDMARKS)
        axis[list(geometry.symmetry.axis)] = 1.0
        #: x of the symmetry line, doubled: reflecting x about it gives axis @ x - x.
        self.axis_row = axis

    def at(self, name: str) -> Expr:
        """Return the construction of a point (under the chosen standard) or helper."""
        rec = self.geometry.by_code.get(name)
        if rec is not None:
            return rec.construction(self.standard)
        return self.geometry.helpers_by_name[name].at

    def refs(self, name: str) -> set[str]:
        """Return every point or helper *name* is built from, transitively."""
        out: set[str] = set()
        todo = list(_expr_refs(self.at(name)))
        while todo:
            r = todo.pop()
            if r not in out:
                out.add(r)
                todo.extend(_expr_refs(self.at(r)))
        return out

    def convention(self, code: str) -> str | None:
        for name in [code, *sorted(self.refs(code))]:
            rec = self.geometry.by_code.get(name)
            if rec is not None and rec.alternatives:
                return rec.convention_for(self.standard)
        return None

    def slot(self, wx: NDArray[np.float64], cx: float, wy: NDArray[np.float64], cy: float) -> int:
        self.slots.append((np.stack([wx, wy]), np.array([cx, cy])))
        return len(self.slots) - 1

    def named(self, name: str, side: str, weight: float) -> _Lin:
        rec: PointGeometry | Helper | None = self.geometry.by_code.get(name)
        if rec is None:
            rec = self.geometry.helpers_by_name[name]
        midline = isinstance(rec, PointGeometry) and rec.side == "midline"
        if midline:
            # Fully mirrored landmarks, averaged over both mirror images: the
            # point lies on the face's symmetry line.
            weight = 0.5
        key = (name, "midline" if midline else side, weight)
        if key not in self.memo:
            at = self.at(name)
            if midline:
                left, right = self.expr(at, "left", weight), self.expr(at, "right", weight)
                self.memo[key] = left.mix(right, 0.5)
            else:
                self.memo[key] = self.expr(at, side, weight)
        return self.memo[key]

    def expr(self, e: Expr, side: str, weight: float) -> _Lin:
        if isinstance(e, LandmarkMean):
            # The right side is the left-side recipe on mirrored landmarks.
            idx = np.asarray(e.mean, dtype=np.intp)
            if side == "right":
                idx = self.mirror[idx]
            row = np.zeros(N_LANDMARKS)
            np.add.at(row, idx, 1.0 / len(idx))  # repeated indices count twice
            # Each landmark is drawn toward its mirror partner reflected about
            # the symmetry line (x -> axis_x - x; y, z kept): a linear map, so
            # it folds into the weights and costs nothing per face.
            mirrored = row[self.mirror]
            wx = (1 - weight) * row + weight * (self.axis_row - mirrored)
            wyz = (1 - weight) * row + weight * mirrored
            return _Lin(np.stack([wx, wyz, wyz]), np.zeros(3))
        if isinstance(e, Ref):
            return self.named(e.ref, side, weight)
        if isinstance(e, Lerp):
            a, b = self.expr(e.lerp[0], side, weight), self.expr(e.lerp[1], side, weight)
            return a.mix(b, e.t)
        if isinstance(e, Compose):
            vx, vy = self.expr(e.x, side, weight), self.expr(e.y, side, weight)
            w = np.stack([vx.w[0], vy.w[1], np.zeros(N_LANDMARKS)])
            c = np.array([vx.c[0], vy.c[1], 0.0])
            if e.z is not None:
                vz = self.expr(e.z, side, weight)
                w[2], c[2] = vz.w[2], vz.c[2]
                return _Lin(w, c, vz.s, vy.arc)
            k = self.slot(vx.w[0], vx.c[0], vy.w[1], vy.c[1])
            return _Lin(w, c, {k: 1.0}, vy.arc)
        if isinstance(e, Offset):
            base = self.expr(e.base, side, weight)
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
        weight = self.geometry.symmetry.weight
        for spec in self.geometry.points:
            for side in ("midline",) if spec.side == "midline" else ("left", "right"):
                lin = self.named(spec.code, side, weight)
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
        # Landmark l, coordinate k is column 3 l + k of the flattened face.
        n = len(rows)
        linear = np.zeros((3 * n + 2 * m, 3 * N_LANDMARKS))
        linear_cun = np.zeros(3 * n + 2 * m)
        for i, lin in enumerate(rows):
            for k in range(3):
                linear[3 * i + k, k::3] = lin.w[k]
                linear_cun[3 * i + k] = lin.c[k]
        for j in range(2):
            linear[3 * n + j :: 2, j::3] = sw[j]
            linear_cun[3 * n + j :: 2] = sc[:, j]
        return CompiledGeometry(
            codes=tuple(codes),
            sides=tuple(sides),
            specs=tuple(specs),
            linear=SparseRows.from_dense(linear),
            linear_cun=linear_cun,
            slot_z=SparseRows.from_dense(slot_z),
            facing=np.stack(facing),
            confidence=np.array([sp.confidence for sp in specs]),
            slot_candidates=self.candidates(sw, sc),
            conventions=tuple(self.convention(sp.code) for sp in specs),
            skin_check=np.array([sp.skin_check for sp in specs], dtype=bool),
            standard=self.standard,
            face_outline=np.asarray(self.geometry.cover.face_outline, dtype=np.intp),
            skin_reference=np.asarray(self.geometry.cover.skin_reference, dtype=np.intp),
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


def _expr_refs(e: Expr) -> list[str]:
    if isinstance(e, Ref):
        return [e.ref]
    if isinstance(e, Lerp):
        return _expr_refs(e.lerp[0]) + _expr_refs(e.lerp[1])
    if isinstance(e, Compose):
        return _expr_refs(e.x) + _expr_refs(e.y) + ([] if e.z is None else _expr_refs(e.z))
    if isinstance(e, Offset):
        return _expr_refs(e.base)
    return []


_compiled: dict[tuple[int, str | None], tuple[GeometryFile, CompiledGeometry]] = {}


def compile_geometry(geometry: GeometryFile, standard: str | None = None) -> CompiledGeometry:
    """Compile (once per geometry object and standard) the constructions into matrices.

    Parameters
    ----------
    geometry : GeometryFile
    standard : str, optional
        Convention id (``geometry.conventions``) to follow where standards
        differ; default ``geometry.default_standard``.

    Raises
    ------
    UnknownStandard
        For a standard the geometry does not define.
    """
    standard = standard or geometry.default_standard
    if standard is not None and standard not in geometry.conventions_by_id:
        known = ", ".join(sorted(geometry.conventions_by_id))
        raise UnknownStandard(f"unknown location standard {standard!r}; known: {known}.")
    key = (id(geometry), standard)
    hit = _compiled.get(key)
    if hit is None or hit[0] is not geometry:
        hit = (geometry, _Compiler(geometry, standard).compile())
        _compiled[key] = hit
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
    k = _SURFACE_NEIGHBOURS
    if candidates is None:
        candidates = np.broadcast_to(np.arange(len(mesh_xyz)), (len(x), len(mesh_xyz)))
    near_xyz = mesh_xyz[candidates]
    d2 = (near_xyz[..., 0] - x[:, None]) ** 2 + (near_xyz[..., 1] - y[:, None]) ** 2
    # The k + 1 nearest candidates of each query, nearest first (one sort of a
    # few candidates per query; no spatial index per face).
    query = np.arange(len(x))[:, None]
    nearest = np.argsort(d2, axis=1, kind="stable")[:, : k + 1]
    d = np.sqrt(d2[query, nearest])
    # Inverse-distance weights minus that of the (k+1)-th neighbour: a landmark's
    # weight falls to zero as it leaves the k nearest, so the depth never jumps
    # when two candidates swap rank (points on the symmetry line sit between
    # mirror pairs at almost equal distances).
    # (Relative guard against d = 0, so the result does not depend on the scale.)
    d2 = d**2 + 1e-12 * d[:, k:] ** 2
    inv = 1.0 / d2
    w = inv[:, :k] - inv[:, k:]
    z = (near_xyz[..., 2][query, nearest[:, :k]] * w).sum(axis=1) / np.maximum(w.sum(axis=1), 1e-12)
    return np.asarray(z, dtype=np.float64)


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
    p = len(compiled.codes)
    # One gather for every coordinate of every row and slot.
    linear = compiled.linear @ face_xyz.reshape(-1) + compiled.linear_cun * cun_px
    slots = linear[3 * p :].reshape(-1, 2)
    sz = surface_depth(
        face_xyz[:N_MESH_LANDMARKS], slots[:, 0], slots[:, 1], compiled.slot_candidates
    )
    out = linear[: 3 * p].reshape(p, 3)
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
    standard: str | None = None,
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
    standard : str, optional, keyword-only
        Location standard where standards differ (see :func:`compile_geometry`).

    Returns
    -------
    list of PointEstimate
        File order; bilateral points give left then right.
    """
    compiled = compile_geometry(geometry, standard)
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
