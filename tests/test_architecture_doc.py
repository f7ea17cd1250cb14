"""docs/architecture.md names real modules, functions and files (it is a map: keep it true)."""

from __future__ import annotations

import importlib
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOC = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")


def _resolve(dotted: str) -> object:
    """Import the longest module prefix of *dotted*, then walk the attributes."""
    parts = dotted.split(".")
    for cut in range(len(parts), 0, -1):
        try:
            obj: object = importlib.import_module(".".join(parts[:cut]))
        except ModuleNotFoundError:
            continue
        for attr in parts[cut:]:
            obj = getattr(obj, attr)
        return obj
    raise ModuleNotFoundError(dotted)


NAMES = sorted(set(re.findall(r"`(acuface(?:\.\w+)+)`", DOC)))
PATHS = sorted(
    set(
        re.findall(
            r"`((?:src/acuface/|atlas/data/|skin/data/|reports/templates/|docs/|tests/)[\w./-]+)`",
            DOC,
        )
    )
)


def test_the_doc_names_things() -> None:
    assert len(NAMES) > 30 and len(PATHS) > 5


@pytest.mark.parametrize("dotted", NAMES)
def test_every_named_module_or_function_exists(dotted: str) -> None:
    _resolve(dotted)


@pytest.mark.parametrize("path", PATHS)
def test_every_named_file_exists(path: str) -> None:
    candidates = [ROOT / path, ROOT / "src" / "acuface" / path]
    assert any(p.exists() for p in candidates), path


def test_the_layers_are_the_enforced_ones() -> None:
    pyproject = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    layers = re.search(r'id = "layers".*?layers = \[(.*?)\]', pyproject, flags=re.S)
    assert layers
    for package in re.findall(r'"(acuface(?:\.\w+)?(?: \| acuface\.\w+)*)"', layers.group(1)):
        assert package in DOC, package
