"""Every batch command expands folders, reports bad files and exits the same way."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from acuface.cli.main import app

runner = CliRunner()
COMMANDS = ["locate", "skin"]


@pytest.fixture(scope="module")
def folder(tmp_path_factory, faces_dir: Path, portrait_paths: list[Path]) -> Path:
    d = tmp_path_factory.mktemp("batch")
    for p in portrait_paths[:2]:
        shutil.copy(p, d / p.name)
    (d / "broken.jpg").write_bytes((faces_dir / "obama.jpg").read_bytes()[:2000])
    (d / "notes.txt").write_text("not a photo, and not picked up from a folder")
    return d


@pytest.mark.parametrize("command", COMMANDS)
def test_a_folder_expands_to_its_photos_and_a_bad_one_fails_alone(command, folder) -> None:
    r = runner.invoke(app, [command, str(folder), "--json", "--workers", "1"])
    assert r.exit_code == 1, r.output
    results = json.loads(r.stdout)["results"]
    names = [Path(x["image"]).name for x in results]
    assert names == sorted(p.name for p in folder.glob("*.jpg"))  # notes.txt skipped
    by = {Path(x["image"]).name: x for x in results}
    assert by["broken.jpg"]["error"]["type"] == "CorruptImage"
    assert all(x["error"] is None for n, x in by.items() if n != "broken.jpg")
    assert "1 of 3 photo(s) failed" in r.stderr


@pytest.mark.parametrize("command", COMMANDS)
def test_an_empty_folder_is_a_usage_error(command, tmp_path) -> None:
    r = runner.invoke(app, [command, str(tmp_path)])
    assert r.exit_code == 2
    assert "no photos found" in r.output


@pytest.mark.parametrize("command", COMMANDS)
def test_batches_show_the_same_progress_bar(command, folder) -> None:
    r = runner.invoke(app, [command, str(folder), "--json", "--workers", "1"])
    assert "3/3" in r.stderr  # the shared bar counts photos done of the total
