"""One parametrised test over every registered data file, and the registry's mechanics."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import pytest

import acuface.clinic.consent_texts  # noqa: F401 - registers the consent texts
import acuface.skin  # noqa: F401 - registers the skin data files
from acuface.atlas import datafiles, load_atlas
from acuface.atlas.datafiles import DataFile
from acuface.atlas.knowledge import CONCERNS
from acuface.atlas.models import SOURCES
from acuface.errors import AtlasError

ALL = datafiles.registered()


def test_every_part_registers_its_files() -> None:
    names = {f.name for f in ALL}
    assert {
        "sources",
        "points",
        "concerns",
        "patterns",
        "screening",
        "geometry",
        "skin_regions",
        "skin_repeatability",
        "skin_sagging",
        "consent_texts",
    } <= names


@pytest.mark.parametrize("datafile", ALL, ids=[f.name for f in ALL])
def test_file_is_valid_cites_known_sources_and_has_a_current_schema(
    datafile: DataFile[Any],
) -> None:
    loaded = datafile.loaded()
    if loaded is None:
        assert datafile.optional, f"{datafile.filename} is missing"
        return
    known = {s.id for s in SOURCES.load().sources}
    refs = list(datafiles.source_references(loaded.data))
    if datafile.check_sources:
        assert refs, f"{datafile.filename}: no record cites a source"
        for loc, ids in refs:
            assert ids and set(ids) <= known, (datafile.filename, loc, ids)
    committed = (
        datafile.schema_path.read_text(encoding="utf-8") if datafile.schema_path.exists() else ""
    )
    assert committed == datafile.schema_text(), (
        f"{datafile.schema_path} is stale: run `acuface atlas schema` and commit it"
    )
    schema = datafile.json_schema()
    assert schema.get("additionalProperties") is False, "unknown top-level keys must be rejected"


def test_every_file_with_bilateral_records_states_the_one_side_convention() -> None:
    """Bilateral records are written for the client's left side, and each file says so."""
    for datafile in ALL:
        path = datafile.default_path
        if not path.is_file():
            continue
        text = path.read_text(encoding="utf-8")
        if "bilateral" in text:
            header = " ".join(
                line.lstrip("# ") for line in text.splitlines() if line.startswith("#")
            )
            assert "client's left" in " ".join(header.lower().split()), datafile.filename


def test_unknown_source_is_named_with_file_line_and_record(tmp_path: Path) -> None:
    text = CONCERNS.default_path.read_text(encoding="utf-8")
    bad = text.replace("source: [jung2021, yun2013, deadman2007]", "source: [nobody2024]", 1)
    path = tmp_path / "concerns.yaml"
    path.write_text(bad, encoding="utf-8")
    loaded = CONCERNS.read(path)
    with pytest.raises(AtlasError) as info:
        CONCERNS.check_sources_of(loaded, {s.id for s in SOURCES.load().sources})
    message = info.value.message
    line = next(n for n, text in enumerate(bad.splitlines(), 1) if "nobody2024" in text)
    assert f"concerns.yaml line {line}: concern wrinkles, field source" in message
    assert "nobody2024" in message


def test_invalid_record_is_named_with_file_line_and_field(tmp_path: Path) -> None:
    text = CONCERNS.default_path.read_text(encoding="utf-8")
    bad = text.replace("evidence_level: low", "evidence_level: proven", 1)
    with pytest.raises(AtlasError) as info:
        CONCERNS.read_text(bad)
    line = next(n for n, text in enumerate(bad.splitlines(), 1) if "proven" in text)
    expected = f"concerns.yaml line {line}: concern wrinkles, field evidence_level"
    assert expected in info.value.message


def test_duplicate_keys_are_errors_in_every_file() -> None:
    with pytest.raises(AtlasError, match="duplicate key 'schema_version'"):
        datafiles.get("skin_sagging").read_text("schema_version: 1\nschema_version: 2\n")


def test_concurrent_first_loads_share_one_result() -> None:
    datafiles.clear_caches()
    results: list[object] = []
    barrier = threading.Barrier(4)

    def worker() -> None:
        barrier.wait()
        results.append(CONCERNS.load())

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(results) == 4 and all(r is results[0] for r in results)
    assert load_atlas() is load_atlas()


def test_registering_a_different_file_under_a_taken_name_fails() -> None:
    clash = DataFile(
        name="points",
        model=SOURCES.model,
        package="acuface.atlas",
        filename="other.yaml",
        description="a clash",
    )
    with pytest.raises(ValueError, match="already registered"):
        datafiles.register(clash)
