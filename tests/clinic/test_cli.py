"""The clinic commands end to end on a temporary data directory (SQLite)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from acuface.cli.main import app
from acuface.clinic import db

runner = CliRunner()


def run(*args: str, input: str | None = None) -> str:
    result = runner.invoke(app, list(args), input=input, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.output


def test_out_of_date_schema_is_refused_with_a_clear_message(tmp_path: Path) -> None:
    env = {**os.environ, "ACUFACE_DATA_DIR": str(tmp_path / "fresh")}
    proc = subprocess.run(
        [sys.executable, "-m", "acuface.cli.main", "clients"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 2
    assert "acuface db upgrade" in proc.stderr


@pytest.fixture
def cli_database(
    backend: str, request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch
) -> str:
    """Point the CLI at SQLite in the data dir, or at a fresh PostgreSQL schema."""
    from acuface.config import get_settings

    if backend == "postgresql":
        url, schema = request.getfixturevalue("pg_schema")
        monkeypatch.setenv("DATABASE_URL", f"{url}?options=-csearch_path%3D{schema}")
        get_settings.cache_clear()
    return backend


def test_clinic_commands_end_to_end(tmp_path: Path, cli_database: str) -> None:
    result = runner.invoke(app, ["db", "current"])
    assert result.exit_code == 1 and "OUT OF DATE" in result.output
    assert f"-> {db.head_revision()}" in run("db", "upgrade")
    assert "up to date" in run("db", "current")

    # Password from stdin (not a TTY here), never from an argument.
    out = run("users", "create", "boss", "--role", "admin", input="a long secret pw\n")
    assert "created user boss" in out
    bad = runner.invoke(app, ["users", "create", "weak", "--role", "reception"], input="short\n")
    assert bad.exit_code != 0
    users = json.loads(run("users", "list", "--json"))
    assert [u["username"] for u in users] == ["boss"] and "password" not in json.dumps(users)

    out = run("demo-data", "--no-analyse")
    assert "30 clients" in out and "acuface-demo-2026" in out
    assert "not loaded" in run("demo-data", "--no-analyse")  # idempotent

    clients = json.loads(run("clients", "--json"))
    assert len(clients) == 30 and {"id", "name"} <= set(clients[0])
    cid = clients[0]["id"]

    fhir = tmp_path / "c.json"
    run("export", "--client", str(cid), "--format", "fhir", "--out", str(fhir))
    from acuface.clinic.export import validate_bundle

    bundle = json.loads(fhir.read_text())
    validate_bundle(bundle)
    assert bundle["entry"][0]["resource"]["name"][0]["given"] == [clients[0]["name"].split()[0]]
    csv_text = run("export", "--client", str(cid), "--format", "csv")
    assert csv_text.startswith("record_type,record_id,date,field,value")

    archive = tmp_path / "clinic.tar"
    assert "31 photos" in run("backup", str(archive))  # 30 baseline + 1 follow-up
    refused = runner.invoke(app, ["restore", str(archive)])
    assert refused.exit_code != 0  # the data dir is not empty

    aborted = runner.invoke(app, ["purge", "--client", str(cid)], input="n\n")
    assert aborted.exit_code != 0
    assert len(json.loads(run("clients", "--json"))) == 30
    assert "purged client" in run("purge", "--client", str(cid), "--yes")
    assert len(json.loads(run("clients", "--json"))) == 29


def test_restore_into_empty_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from acuface.config import get_settings

    run("db", "upgrade")
    run("users", "create", "boss", "--role", "admin", input="a long secret pw\n")
    archive = tmp_path / "b.tar"
    run("backup", str(archive))
    monkeypatch.setenv("ACUFACE_DATA_DIR", str(tmp_path / "other"))
    get_settings.cache_clear()
    assert "restored" in run("restore", str(archive))
    assert json.loads(run("users", "list", "--json"))[0]["username"] == "boss"


def test_user_commands_find_the_user_by_name_or_say_there_is_none() -> None:
    from acuface.errors import NotFound

    run("db", "upgrade")
    run("users", "create", "boss", "--role", "admin", input="a long secret pw\n")
    for args, given in (
        (["users", "set-password", "nobody"], "another long secret\n"),
        (["users", "deactivate", "nobody"], None),
    ):
        result = runner.invoke(app, args, input=given)
        assert isinstance(result.exception, NotFound), result.output
        assert "No user named 'nobody'" in str(result.exception)
    assert "password of boss changed" in run(
        "users", "set-password", "Boss", input="another long secret\n"
    )
    assert "boss deactivated" in run("users", "deactivate", "boss")
    assert json.loads(run("users", "list", "--json"))[0]["is_active"] is False
