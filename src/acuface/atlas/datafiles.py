"""One registry for every packaged data file: strict YAML, validation, caching, schemas.

Every fact Acuface acts on lives in a YAML file validated by a pydantic model
(``extra="forbid"``). This module is the one mechanism that reads them all:

- **strict YAML**: duplicate keys are errors (PyYAML silently keeps the last);
- **errors a person can fix**: each problem names the file, the line (from the
  parser's marks), the record (``point ST2``, ``rule pregnancy``) and the field;
- **sources checked**: every field called ``source`` holds ids that must exist
  in ``atlas/data/sources.yaml`` (one policy for every file);
- **cached under one lock**: concurrent first calls (web workers, threads)
  read each file once and share the result;
- **JSON Schema export**: ``acuface atlas schema`` writes the schema of every
  registered file next to its package's data, for editors.

A part registers its own files with :func:`register` (``skin`` registers its
regions and repeatability files from ``acuface.skin``); the atlas imports
nothing from other parts. Side convention shared by every file: a bilateral
record is written **once, for the client's left side**; the right side is its
mirror image (see ``docs/atlas.md``).
"""

from __future__ import annotations

import hashlib
import json
import re
import threading
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Annotated, Any, Generic, TypeVar

import yaml
from pydantic import AfterValidator, BaseModel, Field, ValidationError

from acuface.errors import AtlasError

__all__ = [
    "SOURCE_ID_PATTERN",
    "DataFile",
    "Loaded",
    "SourceIds",
    "cached",
    "clear_caches",
    "digest",
    "get",
    "json_schemas",
    "register",
    "registered",
    "source_references",
]

#: A source id: lower-case letters, digits and underscores (``who2008``).
SOURCE_ID_PATTERN = re.compile(r"^[a-z0-9][a-z0-9_]*$")


def _check_source_ids(value: list[str]) -> list[str]:
    if len(set(value)) != len(value):
        raise ValueError("a source id is listed twice")
    for source_id in value:
        if not SOURCE_ID_PATTERN.match(source_id):
            raise ValueError(f"source id {source_id!r} is not a valid id")
    return value


#: The type of every ``source`` field in every data file: ids from ``sources.yaml``.
SourceIds = Annotated[
    list[str],
    Field(min_length=1, description="Ids from atlas/data/sources.yaml."),
    AfterValidator(_check_source_ids),
]

M = TypeVar("M", bound=BaseModel)

# --- strict YAML with line numbers ------------------------------------------------


# libyaml's C parser when PyYAML has it (five times faster: every command that
# places points reads geometry.yaml at start-up), the pure-Python one otherwise.
_SafeBase: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _StrictLoader(_SafeBase):  # type: ignore[valid-type,misc]
    """Safe YAML loader that refuses duplicate keys."""


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


_StrictLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def parse_yaml(text: str, filename: str) -> tuple[Any, yaml.Node | None]:
    """Parse YAML *text* strictly, returning the data and its node tree (for lines).

    Raises
    ------
    AtlasError
        Invalid YAML or a duplicate key, naming *filename*, line and column.
    """
    loader = _StrictLoader(text)
    try:
        # One parse: the node tree (for line numbers) and the data built from it.
        node = loader.get_single_node()
        data = loader.construct_document(node) if node is not None else None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f" line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = exc.problem or exc.context or "invalid YAML"
        raise AtlasError(f"{filename}{where}: {problem}") from exc
    except yaml.YAMLError as exc:
        raise AtlasError(f"{filename}: invalid YAML ({exc})") from exc
    finally:
        loader.dispose()
    return data, node


def _child(node: yaml.Node | None, key: str | int) -> yaml.Node | None:
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            if key_node.value == key or (isinstance(key, int) and key_node.value == str(key)):
                return value_node
    elif isinstance(node, yaml.SequenceNode) and isinstance(key, int):
        if 0 <= key < len(node.value):
            return node.value[key]
    return None


def _line_in(node: yaml.Node | None, loc: Sequence[str | int]) -> int | None:
    """1-based line of the deepest node along *loc* that exists in the tree."""
    best = node.start_mark.line + 1 if node is not None else None
    for part in loc:
        node = _child(node, part)
        if node is None:
            break
        best = node.start_mark.line + 1
    return best


@dataclass(frozen=True)
class _Doc:
    """One parsed YAML document: its file name, data and node tree."""

    filename: str
    data: Any
    node: yaml.Node | None


@dataclass(frozen=True)
class Loaded(Generic[M]):
    """A validated data file with the means to point back into its YAML.

    Attributes
    ----------
    data : BaseModel
        The validated model.
    docs : tuple of _Doc
        The parsed documents (one, or several for a folder of files).
    merge_key : str or None
        For a folder: the top-level list whose records were concatenated.
    """

    data: M
    docs: tuple[_Doc, ...]
    merge_key: str | None = None

    @property
    def filename(self) -> str:
        """Name of the (first) file, for messages."""
        return self.docs[0].filename

    def where(self, loc: Sequence[str | int]) -> str:
        """Return ``"file line N"`` for a location inside the data (keys and indexes)."""
        return _where(self.docs, self.merge_key, loc)


def _where(docs: Sequence[_Doc], merge_key: str | None, loc: Sequence[str | int]) -> str:
    """``"file line N"`` of *loc*; for merged folders, the file that holds the record."""
    doc, parts = docs[0], list(loc)
    if merge_key is not None and len(docs) > 1 and len(parts) > 1 and parts[0] == merge_key:
        index = parts[1]
        if isinstance(index, int):
            for candidate in docs:
                data = candidate.data
                items = data.get(merge_key, []) if isinstance(data, dict) else []
                if index < len(items):
                    doc, parts = candidate, [merge_key, index, *parts[2:]]
                    break
                index -= len(items)
    line = _line_in(doc.node, parts)
    return f"{doc.filename} line {line}" if line is not None else doc.filename


# --- error messages -------------------------------------------------------------------

_IDENT_KEYS = ("code", "id", "name")


def _record_of(data: Any, loc: Sequence[str | int]) -> tuple[str | None, int]:
    """Name the outermost list record on *loc* (``point ST2``) and where its fields start.

    The outermost record that carries an id (``code``, ``id`` or ``name``) is
    named, so an error deep inside a point still says which point; the rest of
    *loc* is the field path inside it (``techniques.0.depth_cun``).
    """
    first: tuple[str | None, int] | None = None
    node = data
    for depth, part in enumerate(loc):
        try:
            node = node[part]
        except (KeyError, IndexError, TypeError):
            break
        if not (isinstance(node, dict) and isinstance(part, int) and depth > 0):
            continue
        if not isinstance(loc[depth - 1], str):
            continue
        word = str(loc[depth - 1])
        word = word[:-1] if word.endswith("s") else word
        ident = next((str(node[key]) for key in _IDENT_KEYS if key in node), None)
        if ident is not None:
            return f"{word} {ident}", depth + 1
        if first is None:
            first = (f"{word} #{part + 1}", depth + 1)
    return first or (None, 0)


def _top_level_problem(
    filename: str, data: Any, model: type[BaseModel], exc: ValidationError
) -> str | None:
    """Return a clear message when the top-level layout is wrong (not a field error)."""
    fields = model.model_fields
    expected = sorted(info.alias or name for name, info in fields.items())
    errors = exc.errors()
    # A list file (one top-level key) with anything wrong at the top level: say
    # what the layout should be rather than listing pydantic's view of it.
    list_file_layout = len(expected) == 1 and all(len(err["loc"]) <= 1 for err in errors)
    if isinstance(data, dict) and not list_file_layout:
        return None
    found = sorted(map(str, data)) if isinstance(data, dict) else type(data).__name__
    if len(expected) == 1:
        return (
            f"{filename}: expected one top-level key {expected[0]!r} holding a list, found {found}"
        )
    return f"{filename}: expected the top-level keys {expected}, found {found}"


def format_validation_error(
    exc: ValidationError, *, data: Any, where: Callable[[Sequence[str | int]], str], filename: str
) -> str:
    """Turn a pydantic error into lines ``file line N: record R, field F: message``.

    Only the first record with problems is reported (up to five of its
    problems), so a person fixes one record at a time.
    """
    errors = exc.errors(include_url=False)
    first_record: tuple[str | None, tuple[str | int, ...]] | None = None
    lines: list[str] = []
    shown = 0
    for err in errors:
        loc = tuple(p for p in err["loc"] if isinstance(p, (str, int)))
        record, start = _record_of(data, loc)
        key = (record, loc[:start])
        if first_record is None:
            first_record = key
        if key != first_record:
            continue
        shown += 1
        if shown > 5:
            continue
        field_path = ".".join(str(p) for p in loc[start:]) or "(record)"
        message = err["msg"].removeprefix("Value error, ")
        if err["type"] == "extra_forbidden":
            message = "unknown field (not in the schema; check the spelling)"
        elif err["type"] == "missing":
            message = "required field is missing"
        what = f"{record}, field {field_path}" if record else f"field {field_path}"
        lines.append(f"{where(loc)}: {what}: {message}")
    if shown > 5:
        lines.append(f"... and {shown - 5} more problem(s) in the same record")
    return "\n".join(lines) or f"{filename}: invalid data"


# --- source references ---------------------------------------------------------------


def source_references(model: BaseModel) -> Iterator[tuple[tuple[str | int, ...], list[str]]]:
    """Yield ``(location, ids)`` for every ``source`` field anywhere in *model*.

    Locations use the YAML's own keys (field aliases, list indexes, mapping
    keys), so :meth:`Loaded.where` can turn them into line numbers.
    """

    def walk(
        value: Any, loc: tuple[str | int, ...]
    ) -> Iterator[tuple[tuple[str | int, ...], list[str]]]:
        if isinstance(value, BaseModel):
            for name, info in type(value).model_fields.items():
                key = info.alias or name
                child = getattr(value, name)
                if name == "source" and isinstance(child, (list, tuple)):
                    yield (*loc, key), [str(item) for item in child]
                else:
                    yield from walk(child, (*loc, key))
        elif isinstance(value, (list, tuple)):
            for index, item in enumerate(value):
                yield from walk(item, (*loc, index))
        elif isinstance(value, dict):
            for key, item in value.items():
                yield from walk(item, (*loc, str(key)))

    yield from walk(model, ())


# --- the registry ----------------------------------------------------------------------

_LOCK = threading.RLock()
_CACHE: dict[str, Any] = {}
_REGISTRY: dict[str, DataFile[Any]] = {}


@dataclass(frozen=True)
class DataFile(Generic[M]):
    """One packaged YAML file and the model that is its schema.

    Parameters
    ----------
    name : str
        Registry key, e.g. ``"points"``, ``"skin_regions"``.
    model : type of BaseModel
        The file's schema (``extra="forbid"``).
    package : str
        Package whose ``data/`` folder holds the file (``"acuface.atlas"``).
    filename : str
        File name inside ``data/`` (``"points.yaml"``).
    description : str
        One line for ``acuface atlas check`` and the docs.
    folder : str, optional
        A folder inside ``data/`` read instead of *filename* when it exists:
        its ``*.yaml`` files are read in name order and the records under
        *merge_key* concatenated.
    merge_key : str, optional
        The top-level list key merged across a folder's files.
    optional : bool
        The file may be absent (e.g. data written by a benchmark not yet run);
        :meth:`load` then returns None.
    check_sources : bool
        Cross-check ``source`` ids against ``sources.yaml`` (off only for the
        bibliography itself).
    """

    name: str
    model: type[M]
    package: str
    filename: str
    description: str
    folder: str | None = None
    merge_key: str | None = None
    optional: bool = False
    check_sources: bool = True
    _schema_folder: str = field(default="schema", repr=False)

    # -- where things are --------------------------------------------------------

    @property
    def data_dir(self) -> Path:
        """The package's ``data/`` folder."""
        return Path(str(resources.files(self.package))) / "data"

    @property
    def default_path(self) -> Path:
        """The packaged file (or folder, when *folder* is set and exists)."""
        if self.folder is not None and (self.data_dir / self.folder).is_dir():
            return self.data_dir / self.folder
        return self.data_dir / self.filename

    @property
    def schema_name(self) -> str:
        """File name of the committed JSON Schema, e.g. ``points.schema.json``."""
        return self.filename.removesuffix(".yaml") + ".schema.json"

    @property
    def schema_path(self) -> Path:
        """Where the committed JSON Schema lives (``<package>/schema/``)."""
        return Path(str(resources.files(self.package))) / self._schema_folder / self.schema_name

    # -- reading -----------------------------------------------------------------

    def _files(self, path: Path) -> list[Path]:
        if path.is_dir():
            files = sorted(path.glob("*.yaml"))
            if not files:
                raise AtlasError(f"no *.yaml files in {path}")
            return files
        return [path]

    def read(self, path: Path | None = None) -> Loaded[M]:
        """Parse and validate a file (or folder) against the model; not cached.

        Cross-file checks (source ids) are left to :meth:`check_sources_of`.

        Raises
        ------
        AtlasError
            Naming file, line, record and field of the first problem.
        """
        docs: list[_Doc] = []
        for file in self._files(path or self.default_path):
            try:
                text = file.read_text(encoding="utf-8")
            except OSError as exc:
                raise AtlasError(f"cannot read atlas file {file}: {exc.strerror or exc}") from exc
            data, node = parse_yaml(text, file.name)
            docs.append(_Doc(file.name, data, node))
        return self._validate(docs)

    def read_text(self, text: str, filename: str | None = None) -> Loaded[M]:
        """Parse and validate YAML *text* (tests, editors); not cached."""
        name = filename or self.filename
        data, node = parse_yaml(text, name)
        return self._validate([_Doc(name, data, node)])

    def _validate(self, docs: list[_Doc]) -> Loaded[M]:
        merged: Any
        if len(docs) > 1 and self.merge_key is not None:
            merged = {self.merge_key: []}
            for doc in docs:
                self._check_layout(doc)
                merged[self.merge_key].extend(doc.data[self.merge_key])
        else:
            merged = docs[0].data
        loaded_docs = tuple(docs)

        def where(loc: Sequence[str | int]) -> str:
            return _where(loaded_docs, self.merge_key, loc)

        try:
            model = self.model.model_validate(merged)
        except ValidationError as exc:
            layout = _top_level_problem(docs[0].filename, merged, self.model, exc)
            raise AtlasError(
                layout
                or format_validation_error(exc, data=merged, where=where, filename=docs[0].filename)
            ) from exc
        return Loaded(data=model, docs=loaded_docs, merge_key=self.merge_key)

    def _check_layout(self, doc: _Doc) -> None:
        key = self.merge_key
        if not isinstance(doc.data, dict) or set(doc.data) != {key}:
            found = sorted(map(str, doc.data)) if isinstance(doc.data, dict) else "no mapping"
            raise AtlasError(
                f"{doc.filename}: expected one top-level key {key!r} holding a list, found {found}"
            )
        if not isinstance(doc.data[key], list):
            raise AtlasError(f"{doc.filename}: {key!r} must be a list of records")

    def check_sources_of(self, loaded: Loaded[M], known: set[str] | frozenset[str]) -> None:
        """Check that every ``source`` id in *loaded* is one of *known*.

        Raises
        ------
        AtlasError
            ``file line N: record R, field source: unknown source id(s) ...``.
        """
        if not self.check_sources:
            return
        problems: list[str] = []
        for loc, ids in source_references(loaded.data):
            missing = [sid for sid in ids if sid not in known]
            if missing:
                record, start = _record_of(_plain(loaded.data), loc)
                field_path = ".".join(str(p) for p in loc[start:])
                what = f"{record}, field {field_path}" if record else f"field {field_path}"
                problems.append(
                    f"{loaded.where(loc)}: {what}: unknown source id(s) {', '.join(missing)}; "
                    "add them to sources.yaml or fix the spelling"
                )
        if problems:
            more = f"\n... and {len(problems) - 5} more" if len(problems) > 5 else ""
            raise AtlasError("\n".join(problems[:5]) + more)

    # -- the cached, checked file --------------------------------------------------

    def loaded(self) -> Loaded[M] | None:
        """Return the packaged file, validated and source-checked, read once (thread-safe)."""
        key = f"file:{self.name}"
        if key in _CACHE:
            found: Loaded[M] | None = _CACHE[key]
            return found
        with _LOCK:
            if key not in _CACHE:
                _CACHE[key] = self._load_checked()
            result: Loaded[M] | None = _CACHE[key]
            return result

    def _load_checked(self) -> Loaded[M] | None:
        if self.optional and not self.default_path.exists():
            return None
        loaded = self.read()
        if self.check_sources:
            self.check_sources_of(loaded, known_source_ids())
        return loaded

    def load(self) -> M:
        """Return the packaged file's model (cached; see :meth:`loaded`).

        Raises
        ------
        AtlasError
            The file is invalid or cites an unknown source; or it is missing
            and not optional.
        """
        loaded = self.loaded()
        if loaded is None:
            raise AtlasError(f"{self.filename} is missing from {self.data_dir}")
        return loaded.data

    def load_optional(self) -> M | None:
        """Like :meth:`load`, but None when an optional file is absent."""
        loaded = self.loaded()
        return None if loaded is None else loaded.data

    # -- schema ----------------------------------------------------------------------

    def json_schema(self) -> dict[str, Any]:
        """Return the JSON Schema of the file (YAML keys, i.e. field aliases)."""
        schema = self.model.model_json_schema(by_alias=True)
        schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
        return schema

    def schema_text(self) -> str:
        """Return the JSON Schema as committed: indented, UTF-8, ending in a newline."""
        return json.dumps(self.json_schema(), indent=2, ensure_ascii=False) + "\n"


def _plain(model: BaseModel) -> Any:
    """Return the model as plain data keyed like the YAML (to name records)."""
    return model.model_dump(mode="json", by_alias=True)


def register(datafile: DataFile[M]) -> DataFile[M]:
    """Add *datafile* to the registry (idempotent for the same definition).

    Raises
    ------
    ValueError
        Another file is already registered under the same name.
    """
    with _LOCK:
        existing = _REGISTRY.get(datafile.name)
        if existing is not None and existing != datafile:
            raise ValueError(f"a data file named {datafile.name!r} is already registered")
        _REGISTRY[datafile.name] = datafile
    return datafile


def registered() -> list[DataFile[Any]]:
    """Return every registered data file, in registration order."""
    with _LOCK:
        return list(_REGISTRY.values())


def get(name: str) -> DataFile[Any]:
    """Return the registered data file called *name*.

    Raises
    ------
    KeyError
        With the registered names.
    """
    try:
        return _REGISTRY[name]
    except KeyError:
        raise KeyError(f"no data file {name!r}; registered: {', '.join(_REGISTRY)}") from None


def known_source_ids() -> frozenset[str]:
    """Return the ids of the packaged bibliography (``sources.yaml``)."""
    sources = get("sources").load()
    return frozenset(source.id for source in sources.sources)


def cached(key: str, build: Callable[[], Any]) -> Any:
    """Build a derived object once under the registry lock (cleared with the files).

    Used for indexes built from several files (the ``Atlas``, the planner's
    ``Knowledge``), so that one :func:`clear_caches` forgets everything.
    """
    key = f"derived:{key}"
    if key in _CACHE:
        return _CACHE[key]
    with _LOCK:
        if key not in _CACHE:
            _CACHE[key] = build()
        return _CACHE[key]


def clear_caches() -> None:
    """Forget every cached file and derived object (tests; hot reload after editing)."""
    with _LOCK:
        _CACHE.clear()


def digest(names: Sequence[str]) -> str:
    """Short SHA-256 of the packaged files *names*, in that order (12 hex digits).

    Stored with plans so that a record says which data produced it.
    """
    hasher = hashlib.sha256()
    for name in names:
        path = get(name).default_path
        for file in sorted(path.glob("*.yaml")) if path.is_dir() else [path]:
            hasher.update(file.read_bytes())
    return hasher.hexdigest()[:12]


def json_schemas() -> dict[str, str]:
    """Return schema file name -> JSON text for every registered file."""
    return {datafile.schema_name: datafile.schema_text() for datafile in registered()}
