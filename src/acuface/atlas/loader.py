"""Load and index the acupoint atlas from its packaged YAML files.

The files are read by the one data-file registry (:mod:`acuface.atlas.datafiles`):
strict YAML, validated against the models, every ``source`` id checked against
``sources.yaml``, cached under one lock so that concurrent first calls (web
workers, threads) read them once. :func:`load_atlas` returns the shared,
immutable :class:`Atlas` built on top of them (pycountry's ``db.py`` pattern).

Every problem in the data becomes an :class:`acuface.errors.AtlasError` that
names the file, the line, the point code and the field, so a person editing
the YAML can fix it without reading Python.
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from collections.abc import Iterator, Sequence
from pathlib import Path

from acuface.atlas import datafiles
from acuface.atlas.models import (
    ALL_ZONES,
    FACIAL_REGIONS,
    POINTS,
    SOURCES,
    Point,
    PointsFile,
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
    loaded = SOURCES.read(path)
    out: dict[str, Source] = {}
    for index, source in enumerate(loaded.data.sources):
        if source.id in out:
            raise AtlasError(
                f"{loaded.where(('sources', index))}: source id {source.id!r} is used twice"
            )
        out[source.id] = source
    return out


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
    return list(POINTS.read(path).data.points)


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
        On a duplicate code or alias. (Source ids are checked by the data-file
        registry when the files are read.)
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

    def search(
        self,
        text: str = "",
        *,
        region: str | None = None,
        points: Sequence[Point] | None = None,
    ) -> list[Point]:
        """Return the points whose code, names, aliases or zones contain *text*.

        Parameters
        ----------
        text : str
            A substring, any case; empty matches every point.
        region : str, optional, keyword-only
            Keep only this region (``face``, ``head``, ``neck``, ``body``).
        points : sequence of Point, optional, keyword-only
            Search these (e.g. one concern's points, in its order) instead of all.

        Returns
        -------
        list of Point
            In the order of *points* (file order by default).
        """
        needle = text.strip().lower()
        found = list(self.points.values()) if points is None else list(points)
        if needle:
            found = [
                p
                for p in found
                if any(
                    needle in str(h).lower()
                    for h in (p.code, p.pinyin, p.english, p.hanzi, *p.aliases, *p.zones)
                )
            ]
        if region is not None:
            found = [p for p in found if p.region == region]
        return found

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


def _atlas_from(points: datafiles.Loaded[PointsFile], sources: dict[str, Source]) -> Atlas:
    origins = {
        point.code: points.where(("points", index))
        for index, point in enumerate(points.data.points)
    }
    return Atlas(list(points.data.points), sources, origins=origins)


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
    points = POINTS.read(points_path)
    POINTS.check_sources_of(points, frozenset(sources))
    return _atlas_from(points, sources)


def _build_packaged_atlas() -> Atlas:
    sources = read_sources(SOURCES.default_path)
    points = POINTS.loaded()
    assert points is not None  # points.yaml is not optional
    return _atlas_from(points, sources)


def load_atlas() -> Atlas:
    """Return the packaged atlas, loading and validating it on first call.

    Thread-safe: concurrent first calls wait on the registry's lock and share
    one result.
    """
    atlas: Atlas = datafiles.cached("atlas", _build_packaged_atlas)
    return atlas


def clear_cache() -> None:
    """Forget the cached atlas and every other cached data file (tests, hot reload)."""
    datafiles.clear_caches()
