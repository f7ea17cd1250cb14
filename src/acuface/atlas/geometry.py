"""Schema and loader of point geometry: where each facial/head point lands on a face.

The geometry is data (``atlas/data/geometry.yaml``), not code. Each record
builds one point from MediaPipe Face Mesh landmark indices with a small
expression language, evaluated by :mod:`acuface.locator.geometry` in the
face's own frame (head pose removed):

``{mean: [i, j, ...]}``
    Mean of landmarks (indices 0-477 of the 478-point refined Face Mesh).
``{ref: NAME}``
    Another point's position (same side), or a named helper construction.
``{lerp: [A, B], t: T}``
    The point a fraction ``T`` of the way from ``A`` to ``B``.
``{x: A, y: B}`` (optional ``z: C``)
    Coordinates taken from different constructions ("directly below the pupil
    (x of A) at the level of the ala (y of B)"). Face-frame axes: x toward the
    client's left, y down.
``{from: A, lateral_cun: .., up_cun: .., forward_cun: .., arc_up_cun: ..}``
    Offsets in B-cun along the face's own axes. *Lateral* points away from the
    midline toward the point's side; *up* toward the vertex; *forward* toward
    the face's front. ``arc_up_cun`` walks up over the scalp along a sagittal
    circle of radius ``scalp_radius_cun`` (for points measured in cun over the
    curved head, e.g. GV24-GV20).

Bilateral points are written once, for the **client's left side**; the right
side is the same construction on mirrored landmarks, so both sides are exactly
symmetric by construction. Before any construction, the landmarks are drawn
part of the way toward their mirror image about the face's symmetry line
(``symmetry``); midline points use the fully mirrored average, which puts them
on that line.

Where two standards place a point differently (GV26: WHO 2008 vs the Chinese
national standard), the record's ``at`` follows ``convention`` and
``alternatives`` give the other standards' constructions; which one is drawn
is the caller's choice (``standard``), shown on the point.

Only the schema and loading live here (atlas is pure data, it imports nothing
from the locator).
"""

from __future__ import annotations

from functools import cached_property
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Discriminator, Field, Tag, model_validator

from acuface.atlas.datafiles import DataFile, SourceIds, register
from acuface.vocab import N_LANDMARKS, N_MESH_LANDMARKS

View = Literal["frontal", "oblique", "lateral"]


LandmarkIndex = Annotated[int, Field(ge=0, lt=N_LANDMARKS)]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class LandmarkMean(_Model):
    """Mean of one or more Face Mesh landmarks."""

    mean: list[LandmarkIndex] = Field(min_length=1)


class Ref(_Model):
    """Another point (same side) or a named helper."""

    ref: str


class Lerp(_Model):
    """A fraction ``t`` of the way from the first to the second construction."""

    lerp: tuple[Expr, Expr]
    t: float = Field(ge=-1.0, le=2.0)


class Compose(_Model):
    """Take x, y (and optionally z) from different constructions."""

    x: Expr
    y: Expr
    z: Expr | None = None


class Offset(_Model):
    """Offsets in B-cun along the face's own axes, from a base construction."""

    base: Expr = Field(alias="from")
    lateral_cun: float = 0.0
    up_cun: float = 0.0
    forward_cun: float = 0.0
    arc_up_cun: float = Field(default=0.0, ge=0.0, le=12.0)


def _expr_tag(value: Any) -> str | None:
    if isinstance(value, BaseModel):
        return type(value).__name__.lower()
    if not isinstance(value, dict):
        return None
    for key, tag in (
        ("mean", "landmarkmean"),
        ("ref", "ref"),
        ("lerp", "lerp"),
        ("from", "offset"),
        ("base", "offset"),
        ("x", "compose"),
    ):
        if key in value:
            return tag
    return None


Expr = Annotated[
    (
        Annotated[LandmarkMean, Tag("landmarkmean")]
        | Annotated[Ref, Tag("ref")]
        | Annotated[Lerp, Tag("lerp")]
        | Annotated[Compose, Tag("compose")]
        | Annotated[Offset, Tag("offset")]
    ),
    Discriminator(_expr_tag),
]

Lerp.model_rebuild()
Compose.model_rebuild()
Offset.model_rebuild()


def _refs(expr: Expr) -> list[str]:
    """Names referenced anywhere inside an expression."""
    if isinstance(expr, Ref):
        return [expr.ref]
    if isinstance(expr, Lerp):
        return _refs(expr.lerp[0]) + _refs(expr.lerp[1])
    if isinstance(expr, Compose):
        out = _refs(expr.x) + _refs(expr.y)
        return out + (_refs(expr.z) if expr.z is not None else [])
    if isinstance(expr, Offset):
        return _refs(expr.base)
    return []


class Helper(_Model):
    """A named construction used by several points (not a point itself)."""

    name: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    at: Expr
    note: str
    source: SourceIds


class Alternative(_Model):
    """The same point under another standard's definition."""

    convention: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    at: Expr
    method: str = Field(min_length=10)
    source: SourceIds


class PointGeometry(_Model):
    """Where one facial/head point lands on a face.

    Attributes
    ----------
    code : str
        Point code as in the atlas (``ST2``, ``EX-HN5``).
    side : {"bilateral", "midline"}
        Bilateral points are defined for the client's left side.
    at : Expr
        The construction (see the module docstring).
    depth : {"surface", "construction"}
        ``surface``: the point's depth is read from the face mesh under it
        (for points on the face); ``construction``: the depth comes from the
        construction itself (points off the mesh: scalp, ear, neck).
    facing : (3,) tuple of float
        Outward skin direction at the point (lateral, up, forward) in the face
        frame, left side; used for visibility under head turns.
    views : list of {"frontal", "oblique", "lateral"}
        Standard photo views in which the point can be seen (frontal: yaw 0;
        oblique: head turned ~35 deg to show this side; lateral: ~80 deg).
        Empty for points no standard photo shows (GV20 on the vertex).
    confidence : float
        Base confidence in (0, 1]: lower for palpation-defined, hair-covered
        and off-mesh points.
    method : str
        How the construction follows the standard definition (one sentence).
    source : list of str
        Ids in ``atlas/data/sources.yaml``.
    skin_check : bool
        The point is often under clothing or a beard (neck points): it counts
        as visible only where the photo shows skin like the face's there.
    convention : str, optional
        Id (in ``conventions``) of the standard ``at`` follows, for a point the
        standards place differently; ``alternatives`` hold the others.
    alternatives : list of Alternative
    """

    code: str = Field(pattern=r"^(?:[A-Z]{2}\d{1,2}|EX-[A-Z]{2}\d{1,2})$")
    side: Literal["bilateral", "midline"]
    at: Expr
    depth: Literal["surface", "construction"] = "surface"
    facing: tuple[float, float, float] = (0.0, 0.0, 1.0)
    views: list[View]
    confidence: float = Field(gt=0.0, le=1.0)
    method: str = Field(min_length=10)
    source: SourceIds
    skin_check: bool = False
    convention: str | None = Field(default=None, pattern=r"^[a-z][a-z0-9_]*$")
    alternatives: list[Alternative] = []

    @model_validator(mode="after")
    def _check(self) -> PointGeometry:
        if sum(c * c for c in self.facing) < 1e-6:
            raise ValueError(f"{self.code}: facing must be a non-zero vector")
        if self.side == "midline" and self.facing[0] != 0.0:
            raise ValueError(f"{self.code}: a midline point cannot face laterally")
        if len(set(self.views)) != len(self.views):
            raise ValueError(f"{self.code}: repeated view")
        if self.alternatives and self.convention is None:
            raise ValueError(f"{self.code}: alternatives need the record's own convention")
        conventions = [self.convention] + [a.convention for a in self.alternatives]
        if self.alternatives and len(set(conventions)) != len(conventions):
            raise ValueError(f"{self.code}: repeated convention")
        return self

    def construction(self, standard: str | None) -> Expr:
        """Return the construction under *standard* (the record's own when it has none)."""
        for alt in self.alternatives:
            if alt.convention == standard:
                return alt.at
        return self.at

    def convention_for(self, standard: str | None) -> str | None:
        """Return the convention :meth:`construction` follows (None: standards agree)."""
        if any(a.convention == standard for a in self.alternatives):
            return standard
        return self.convention

    @property
    def channel(self) -> str:
        """Channel prefix of the code (``ST``, ``GV``, ``EX``)."""
        return self.code.split("-")[0].rstrip("0123456789")


class CunScale(_Model):
    """How the B-cun is measured on a face (see ``docs/points.md``).

    The sum of surface path lengths along ``paths`` (landmark chains, in the
    face frame), divided by ``len(paths)``, is taken to span ``span_cun`` cun.
    """

    paths: list[list[Annotated[int, Field(ge=0, lt=N_MESH_LANDMARKS)]]] = Field(min_length=1)
    span_cun: float = Field(gt=0.0)
    plausible_mm: tuple[float, float]
    note: str
    source: SourceIds

    @model_validator(mode="after")
    def _check(self) -> CunScale:
        lo, hi = self.plausible_mm
        if not 0 < lo < hi:
            raise ValueError("plausible_mm must be (low, high) with 0 < low < high")
        if any(len(p) < 2 for p in self.paths):
            raise ValueError("each cun path needs at least two landmarks")
        return self


class Symmetry(_Model):
    """How far landmarks are drawn toward the face's mirror image before placing points.

    The symmetry line runs through the midpoint of the landmarks in ``axis``
    (a mirrored pair, e.g. the iris centres), perpendicular to the face
    frame's left-right axis. Every landmark is replaced by ``(1 - weight) *``
    itself ``+ weight *`` its mirror partner reflected about that line;
    midline points use weight 0.5, which puts them on the line.
    """

    axis: tuple[LandmarkIndex, LandmarkIndex]
    weight: float = Field(ge=0.0, le=0.5)
    note: str
    source: SourceIds


class Cover(_Model):
    """How points flagged ``skin_check`` are tested for being covered or hidden.

    Such a point (on the neck) is hidden when it falls inside the face outline
    (the chin and jaw are in front of it) or when the photo does not show skin
    like the face's there (a collar, a scarf, a beard).
    """

    face_outline: list[LandmarkIndex] = Field(min_length=8)
    skin_reference: list[LandmarkIndex] = Field(min_length=2)
    patch_cun: float = Field(gt=0.0, le=0.5)
    note: str
    source: SourceIds


class Convention(_Model):
    """A standard that places some point differently from another."""

    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    label: str
    short: str = Field(max_length=8)
    source: SourceIds


class GeometryFile(_Model):
    """The whole ``geometry.yaml``."""

    version: int = Field(ge=1)
    cun_scale: CunScale
    scalp_radius_cun: float = Field(gt=0.0)
    symmetry: Symmetry
    cover: Cover
    conventions: list[Convention] = []
    default_standard: str | None = None
    helpers: list[Helper] = []
    points: list[PointGeometry] = Field(min_length=1)

    @model_validator(mode="after")
    def _check(self) -> GeometryFile:
        codes = [p.code for p in self.points]
        dupes = {c for c in codes if codes.count(c) > 1}
        if dupes:
            raise ValueError(f"duplicate point codes: {sorted(dupes)}")
        names = [h.name for h in self.helpers]
        if len(set(names)) != len(names) or set(names) & set(codes):
            raise ValueError("helper names must be unique and differ from point codes")
        graph = {p.code: _refs(p.at) for p in self.points}
        graph.update({h.name: _refs(h.at) for h in self.helpers})
        for name, refs in graph.items():
            for r in refs:
                if r not in graph:
                    raise ValueError(f"{name}: reference to unknown point or helper {r!r}")
        for p in self.points:
            for alt in p.alternatives:
                for r in _refs(alt.at):
                    if r not in graph:
                        raise ValueError(f"{p.code}: reference to unknown point or helper {r!r}")
                graph[p.code] = graph[p.code] + _refs(alt.at)
        _check_acyclic(graph)
        known = {c.id for c in self.conventions}
        if self.default_standard is not None and self.default_standard not in known:
            raise ValueError(f"default_standard {self.default_standard!r} is not a convention")
        for p in self.points:
            used = [p.convention] + [a.convention for a in p.alternatives]
            bad = [c for c in used if c is not None and c not in known]
            if bad:
                raise ValueError(f"{p.code}: unknown convention {bad}")
        sides = {p.code: p.side for p in self.points}
        for p in self.points:
            if p.side == "midline":
                bad = [r for r in graph[p.code] if sides.get(r) == "bilateral"]
                if bad:
                    raise ValueError(f"{p.code}: a midline point cannot use bilateral {bad}")
        return self

    @cached_property
    def by_code(self) -> dict[str, PointGeometry]:
        """Records keyed by point code, in file order."""
        return {p.code: p for p in self.points}

    @cached_property
    def helpers_by_name(self) -> dict[str, Helper]:
        """Helper constructions keyed by name."""
        return {h.name: h for h in self.helpers}

    @cached_property
    def conventions_by_id(self) -> dict[str, Convention]:
        """Conventions keyed by id."""
        return {c.id: c for c in self.conventions}

    def source_ids(self) -> set[str]:
        """Every source id cited in the file."""
        ids = set(self.cun_scale.source) | set(self.symmetry.source) | set(self.cover.source)
        for conv in self.conventions:
            ids.update(conv.source)
        for point in self.points:
            ids.update(point.source)
            for alt in point.alternatives:
                ids.update(alt.source)
        for helper in self.helpers:
            ids.update(helper.source)
        return ids


def _check_acyclic(graph: dict[str, list[str]]) -> None:
    state: dict[str, int] = {}

    def visit(node: str, path: list[str]) -> None:
        if state.get(node) == 2:
            return
        if state.get(node) == 1:
            raise ValueError(f"circular reference: {' -> '.join([*path, node])}")
        state[node] = 1
        for nxt in graph[node]:
            visit(nxt, [*path, node])
        state[node] = 2

    for n in graph:
        visit(n, [])


#: ``atlas/data/geometry.yaml``, read by the data-file registry.
GEOMETRY: DataFile[GeometryFile] = register(
    DataFile(
        name="geometry",
        model=GeometryFile,
        package="acuface.atlas",
        filename="geometry.yaml",
        description="where each facial/head point lands on Face Mesh landmarks",
    )
)


def parse_geometry(text: str) -> GeometryFile:
    """Validate geometry YAML text (strict YAML; not cached, sources not checked).

    Parameters
    ----------
    text : str
        YAML document.

    Returns
    -------
    GeometryFile

    Raises
    ------
    AtlasError
        When the data does not follow the schema (file, line, point and field named).
    """
    return GEOMETRY.read_text(text).data


def load_geometry() -> GeometryFile:
    """Return the packaged point geometry, loaded once under the registry's lock.

    Returns
    -------
    GeometryFile
    """
    return GEOMETRY.load()


def geometry_json_schema() -> dict[str, Any]:
    """JSON Schema of ``geometry.yaml`` (exported to ``atlas/schema/``)."""
    return GEOMETRY.json_schema()
