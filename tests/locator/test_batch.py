"""Batch helpers and the `make run` entry point."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from acuface.locator.batch import expand_inputs, locate_file, output_stems


def test_folders_expand_to_their_photos_sorted(tmp_path: Path, portrait_paths) -> None:
    for p in portrait_paths[:2]:
        shutil.copy(p, tmp_path / p.name)
    (tmp_path / "notes.txt").write_text("x")
    (tmp_path / "UPPER.JPG").write_bytes(portrait_paths[2].read_bytes())
    missing = tmp_path / "missing.jpg"
    files = expand_inputs([tmp_path, missing])
    assert [f.name for f in files] == sorted(
        [p.name for p in portrait_paths[:2]] + ["UPPER.JPG"]
    ) + ["missing.jpg"]


def test_output_stems_never_collide() -> None:
    stems = output_stems([Path("a/x.jpg"), Path("b/x.jpg"), Path("c/y.png"), Path("x.png")])
    assert stems == ["x", "x-2", "y", "x-3"]


def test_locate_file_never_raises_on_bad_input(tmp_path: Path) -> None:
    p = tmp_path / "doc.pdf"
    p.write_bytes(b"%PDF-1.4 not a photo")
    res = locate_file(p, out_dir=tmp_path / "out")
    assert res["error"]["type"] == "NotAnImage" and "PDF" in res["error"]["message"]
    assert res["faces"] == []
    assert not (tmp_path / "out" / "doc.png").exists()


def test_make_run_writes_overlay_and_json(tmp_path: Path, monkeypatch, capsys) -> None:
    from acuface.cli import run_default

    monkeypatch.chdir(tmp_path)
    assert run_default.main() == 0
    out = capsys.readouterr().out
    assert str(tmp_path / "acuface-out") in out
    doc = json.loads((tmp_path / "acuface-out" / "portrait.json").read_text())
    assert doc["error"] is None and len(doc["faces"]) == 1
    assert (tmp_path / "acuface-out" / "portrait.png").stat().st_size > 100_000
