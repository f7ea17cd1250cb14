"""Load and index the acupoint atlas from its packaged YAML files.

Modelled on pycountry's ``db.py``: the data is read lazily on first use, under
a lock so that concurrent first calls (web workers, threads) read it once,
then cached. :func:`load_atlas` returns the shared, immutable :class:`Atlas`.

Every problem in the data becomes an :class:`acuface.errors.AtlasError` that
names the file, the line (from the YAML parser's marks), the point code and
the field, so a person editing the YAML can fix it without reading Python.
"""

from __future__ import annotations

import difflib
import re
import threading
import unicodedata
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from acuface.atlas.models import (
    ALL_ZONES,
    FACIAL_REGIONS,
    Point,
    Source,
)
from acuface.errors import AtlasError, UnknownPointCode

#: Folder of the packaged YAML data.
DATA_DIR = Path(__file__).resolve().parent / "data"
#: The point records: one file, or a folder ``points/`` of ``*.yaml`` files read in name order.
POINTS_PATH = DATA_DIR / "points.yaml"
SOURCES_PATH = DATA_DIR / "sources.yaml"

__all__ = [
    "DATA_DIR",
    "POINTS_PATH",
    "SOURCES_PATH",
    "Atlas",
    "clear_cache",
    "load_atlas",
    "load_atlas_from",
    "normalise_key",
    "read_points",
    "read_sources",
]


# --- YAML reading with line numbers -------------------------------------------


class _StrictLoader(yaml.SafeLoader):
    """Safe YAML loader that refuses duplicate keys (PyYAML keeps the last silently)."""


def _construct_mapping(loader: _StrictLoader, node: yaml.MappingNode) -> dict[Any, Any]:
    seen: dict[Any, int] = {}
    for key_node, _ in node.value:
        key = loader.construct_object(key_node)
        if key in seen:
            raise yaml.constructor.ConstructorError(
                None,
                None,
                f"duplicate key {key!r} (first on line {seen[key] + 1})",
                key_node.start_mark,
            )
        seen[key] = key_node.start_mark.line
    loader.flatten_mapping(node)
    return dict(loader.construct_pairs(node))


_StrictLoader.add_constructor(
    yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG,
    _construct_mapping,
)


def _read_yaml(path: Path) -> tuple[Any, yaml.Node | None]:
    """Parse *path*, returning the data and its node tree (for line numbers)."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise AtlasError(f"cannot read atlas file {path}: {exc.strerror or exc}") from exc
    try:
        node = yaml.compose(text, Loader=_StrictLoader)
        data = yaml.load(text, Loader=_StrictLoader)  # noqa: S506 - SafeLoader subclass
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f" line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = exc.problem or exc.context or "invalid YAML"
        raise AtlasError(f"{path.name}{where}: {problem}") from exc
    except yaml.YAMLError as exc:
        raise AtlasError(f"{path.name}: invalid YAML ({exc})") from exc
    return data, node


def _child(node: yaml.Node | None, key: str | int) -> yaml.Node | None:
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            if key_node.value == key:
                return value_node
    elif isinstance(node, yaml.SequenceNode) and isinstance(key, int):
        if 0 <= key < len(node.value):
            return node.value[key]
    return None


def _line_of(node: yaml.Node | None, loc: Sequence[str | int]) -> int | None:
    """1-based line of the deepest node along *loc* that exists in the tree."""
    best = node.start_mark.line + 1 if node is not None else None
    for part in loc:
        node = _child(node, part)
        if node is None:
            break
        best = node.start_mark.line + 1
    return best


def _records(path: Path, data: Any, root: yaml.Node | None, key: str) -> list[tuple[Any, int]]:
    """Return the records listed under top-level *key*, each with its line number."""
    if not isinstance(data, dict) or set(data) != {key}:
        found = sorted(map(str, data)) if isinstance(data, dict) else type(data).__name__
        raise AtlasError(
            f"{path.name}: expected one top-level key {key!r} holding a list, found {found}"
        )
    items = data[key]
    if not isinstance(items, list):
        raise AtlasError(f"{path.name}: {key!r} must be a list of records")
    seq = _child(root, key)
    return [(item, _line_of(seq, [i]) or 0) for i, item in enumerate(items)]


def _format_errors(
    path: Path, what: str, ident: str, exc: ValidationError, record_node: yaml.Node | None
) -> str:
    lines = []
    for err in exc.errors(include_url=False)[:5]:
        loc = [p for p in err["loc"] if isinstance(p, (str, int))]
        field = ".".join(str(p) for p in loc) or "(record)"
        line = _line_of(record_node, loc)
        message = err["msg"].removeprefix("Value error, ")
        if err["type"] == "extra_forbidden":
            message = "unknown field (not in the schema; check the spelling)"
        elif err["type"] == "missing":
            message = "required field is missing"
        lines.append(f"{path.name} line {line}: {what} {ident}, field {field}: {message}")
    more = len(exc.errors()) - 5
    if more > 0:
        lines.append(f"... and {more} more problem(s) in the same record")
    return "\n".join(lines)


# --- file-level readers -------------------------------------------------------


def read_sources(path: Path = SOURCES_PATH) -> dict[str, Source]:
    """Read and validate a sources file.

    Parameters
    ----------
    path : Path
        A YAML file with one top-level key ``sources`` holding a list of records.

    Returns
    -------
    dict of str to Source
        Sources by id, in file order.

    Raises
    ------
    AtlasError
        On unreadable or invalid YAML, an invalid record, or a duplicate id.
    """
    data, root = _read_yaml(path)
    seq = _child(root, "sources")
    out: dict[str, Source] = {}
    for index, (record, line) in enumerate(_records(path, data, root, "sources")):
        ident = str(record.get("id", f"#{index + 1}")) if isinstance(record, dict) else "?"
        try:
            source = Source.model_validate(record)
        except ValidationError as exc:
            raise AtlasError(
                _format_errors(path, "source", ident, exc, _child(seq, index))
            ) from exc
        if source.id in out:
            raise AtlasError(f"{path.name} line {line}: source id {source.id!r} is used twice")
        out[source.id] = source
    return out


def _point_files(path: Path) -> list[Path]:
    if path.is_dir():
        files = sorted(path.glob("*.yaml"))
        if not files:
            raise AtlasError(f"no *.yaml point files in {path}")
        return files
    return [path]


def read_points(path: Path = POINTS_PATH) -> list[Point]:
    """Read and validate point records from one file or a folder of files.

    Parameters
    ----------
    path : Path
        A YAML file with one top-level key ``points`` holding a list of records,
        or a folder of such files (read in file-name order).

    Returns
    -------
    list of Point
        The records in file order. Cross-record rules (unique codes, known
        sources) are checked by :class:`Atlas`, not here.

    Raises
    ------
    AtlasError
        Naming file, line, point code and field of the first invalid record.
    """
    return [point for point, _ in _read_points_with_origin(path)]


def _read_points_with_origin(path: Path) -> list[tuple[Point, str]]:
    out: list[tuple[Point, str]] = []
    for file in _point_files(path):
        data, root = _read_yaml(file)
        seq = _child(root, "points")
        for index, (record, line) in enumerate(_records(file, data, root, "points")):
            if not isinstance(record, dict):
                raise AtlasError(f"{file.name} line {line}: a point record must be a mapping")
            ident = str(record.get("code", f"#{index + 1}"))
            try:
                point = Point.model_validate(record)
            except ValidationError as exc:
                raise AtlasError(
                    _format_errors(file, "point", ident, exc, _child(seq, index))
                ) from exc
            out.append((point, f"{file.name} line {line}"))
    return out


# --- the atlas ----------------------------------------------------------------


def normalise_key(text: str) -> str:
    """Return the lookup key of a code or name: case, accents, spaces and dashes ignored.

    ``"EX-HN5"``, ``"ex hn5"`` and ``"exhn5"`` share one key; so do ``"Yìntáng"``
    and ``"yintang"``.
    """
    decomposed = unicodedata.normalize("NFKD", text)
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return re.sub(r"[\s\-_.]+", "", stripped).casefold()


#: Older channel abbreviations (normalised) -> WHO 2008 prefix (normalised).
_LEGACY_PREFIX: dict[str, str] = {
    "du": "gv",
    "ren": "cv",
    "sj": "te",
    "tw": "te",
    "th": "te",
    "tb": "te",
    "liv": "lr",
    "lv": "lr",
    "ub": "bl",
    "p": "pc",
    "h": "ht",
    "k": "ki",
}
_LEGACY_CODE = re.compile(r"^(?P<prefix>du|ren|sj|tw|th|tb|liv|lv|ub|p|h|k)(?P<number>[0-9]{1,2})$")


class Atlas:
    """The validated, indexed atlas: points by code, sources by id.

    Build it with :func:`load_atlas` (cached) or :func:`load_atlas_from`.

    Parameters
    ----------
    points : sequence of Point
        Records in display order.
    sources : dict of str to Source
        Bibliography by id.
    origins : dict of str to str, optional
        Point code -> "file line N", used to point error messages at the YAML.

    Raises
    ------
    AtlasError
        On a duplicate code or alias, or a ``source`` id missing from *sources*.
    """

    def __init__(
        self,
        points: Sequence[Point],
        sources: dict[str, Source],
        *,
        origins: dict[str, str] | None = None,
    ) -> None:
        origins = origins or {}
        self.points: dict[str, Point] = {}
        self.sources: dict[str, Source] = dict(sources)
        self._index: dict[str, str] = {}
        # Names (display form) that suggestions are drawn from -> code.
        self._names: dict[str, str] = {}

        def where(code: str) -> str:
            return origins.get(code, "points")

        for point in points:
            if point.code in self.points:
                raise AtlasError(f"{where(point.code)}: point code {point.code} is used twice")
            missing = [sid for sid in point.source if sid not in self.sources]
            if missing:
                raise AtlasError(
                    f"{where(point.code)}: point {point.code}, field source: unknown source "
                    f"id(s) {', '.join(missing)}; add them to sources.yaml or fix the spelling"
                )
            self.points[point.code] = point

        # Codes and aliases must be unambiguous; a pinyin name is indexed only
        # when no other record claims it (WHO gives distinct names anyway).
        for point in self.points.values():
            for name in [point.code, *point.aliases]:
                key = normalise_key(name)
                other = self._index.get(key)
                if other is not None and other != point.code:
                    raise AtlasError(
                        f"{where(point.code)}: point {point.code}, field aliases: {name!r} "
                        f"already names {other}"
                    )
                self._index[key] = point.code
                self._names[name] = point.code
        pinyin_owners: dict[str, set[str]] = {}
        for point in self.points.values():
            pinyin_owners.setdefault(normalise_key(point.pinyin), set()).add(point.code)
        for key, owners in pinyin_owners.items():
            if len(owners) == 1 and key not in self._index:
                self._index[key] = next(iter(owners))
        for point in self.points.values():
            if self._index.get(normalise_key(point.pinyin)) == point.code:
                self._names.setdefault(point.pinyin, point.code)

    # -- lookups ---------------------------------------------------------------

    def get(self, code: str) -> Point | None:
        """Return the point for a code, alias or pinyin name, or None.

        Case, accents, spaces and dashes are ignored: ``"st2"``, ``"GV29"``,
        ``"Yintang"`` and ``"ex-hn3"`` all work, and so do the older channel
        abbreviations still common in charts (``"Du-20"``, ``"Ren 24"``,
        ``"SJ23"``, ``"Liv3"``, ``"UB2"``, ``"P6"``).
        """
        key = normalise_key(code)
        found = self._index.get(key)
        if found is None:
            legacy = _LEGACY_CODE.match(key)
            if legacy is not None:
                found = self._index.get(_LEGACY_PREFIX[legacy["prefix"]] + legacy["number"])
        return self.points[found] if found is not None else None

    def lookup(self, code: str) -> Point:
        """Return the point for *code* like :meth:`get`, but raise when unknown.

        Raises
        ------
        UnknownPointCode
            With up to three close matches in the message.
        """
        point = self.get(code)
        if point is not None:
            return point
        suggestions = self.suggest(code)
        hint = f" Did you mean {', '.join(suggestions)}?" if suggestions else ""
        raise UnknownPointCode(
            f"Unknown acupoint code {code!r}.{hint} Run `acuface points` to list all codes."
        )

    def suggest(self, code: str, n: int = 3) -> list[str]:
        """Return up to *n* point codes whose code, alias or pinyin name resembles *code*."""
        by_key: dict[str, str] = {normalise_key(name): c for name, c in self._names.items()}
        matches = difflib.get_close_matches(normalise_key(code), list(by_key), n=n * 3, cutoff=0.5)
        out: list[str] = []
        for key in matches:
            hit = by_key[key]
            if hit not in out:
                out.append(hit)
        return out[:n]

    def facial_points(self) -> list[Point]:
        """Points the locator places on a photo (region face, head or neck), in file order."""
        return [p for p in self.points.values() if p.region in FACIAL_REGIONS]

    def body_points(self) -> list[Point]:
        """Text-only points (region body), in file order."""
        return [p for p in self.points.values() if p.region == "body"]

    def by_zone(self, zone: str) -> list[Point]:
        """Points whose ``zones`` include *zone*.

        Raises
        ------
        AtlasError
            When *zone* is not one of the schema's zones (a typo would otherwise
            silently return nothing).
        """
        if zone not in ALL_ZONES:
            raise AtlasError(f"unknown zone {zone!r}; known zones: {', '.join(ALL_ZONES)}")
        return [p for p in self.points.values() if zone in p.zones]

    def codes(self) -> list[str]:
        """All point codes in file order."""
        return list(self.points)

    def __len__(self) -> int:
        return len(self.points)

    def __iter__(self) -> Iterator[Point]:
        return iter(self.points.values())

    def __contains__(self, code: object) -> bool:
        return isinstance(code, str) and self.get(code) is not None

    def __repr__(self) -> str:
        facial = len(self.facial_points())
        return (
            f"<Atlas {len(self.points)} points ({facial} facial/head), {len(self.sources)} sources>"
        )


def load_atlas_from(points_path: Path = POINTS_PATH, sources_path: Path = SOURCES_PATH) -> Atlas:
    """Read, validate and index an atlas from explicit files (not cached).

    Parameters
    ----------
    points_path : Path
        ``points.yaml`` or a folder of point files.
    sources_path : Path
        ``sources.yaml``.

    Raises
    ------
    AtlasError
        For any invalid file or record, naming file, line, code and field.
    """
    sources = read_sources(sources_path)
    pairs = _read_points_with_origin(points_path)
    origins = {point.code: origin for point, origin in pairs}
    return Atlas([point for point, _ in pairs], sources, origins=origins)


_lock = threading.Lock()
_cached: Atlas | None = None


def load_atlas() -> Atlas:
    """Return the packaged atlas, loading and validating it on first call.

    Thread-safe: concurrent first calls wait on one lock and share one result.
    """
    global _cached
    atlas = _cached
    if atlas is not None:
        return atlas
    with _lock:
        if _cached is None:
            path = DATA_DIR / "points" if (DATA_DIR / "points").is_dir() else POINTS_PATH
            _cached = load_atlas_from(path, SOURCES_PATH)
        return _cached


def clear_cache() -> None:
    """Forget the cached atlas (tests and hot reload after editing the YAML)."""
    global _cached
    with _lock:
        _cached = None
