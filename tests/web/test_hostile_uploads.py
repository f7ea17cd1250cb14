"""A hostile upload corpus (222 generated files) against the app: no 5xx, nothing bad stored.

Every file goes to the pre-save check (``POST /api/photos/check``) and to the
upload (``POST /api/clients/{id}/photos``). Afterwards: no answer was a server
error, the app still serves and analyses a real photo, the stored photos are
exactly the accepted uploads, each a clean JPEG (no metadata, nothing appended),
and the photo store holds no other file.
"""

from __future__ import annotations

import io
from collections import Counter
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from PIL import Image

from acuface.clinic.photostore import sha256_hex

from .hostile_corpus import corpus
from .webhelpers import api_token, login

#: Answers a hostile file may get: accepted, or a clear refusal.
ALLOWED = {200, 201, 400, 409, 413, 415, 422}
#: Kinds never stored, whatever else happens.
NEVER_STORED = {"empty", "bomb"}
#: Bytes that must not survive into a stored photo (they were appended or embedded).
FORBIDDEN = (
    b"Exif",
    b"<script>",
    b"<?php",
    b"PK\x03\x04",
    b"%PDF",
    b"\x7fELF",
    b"EvilCam",
    b"xmpmeta",
)


@pytest.fixture(scope="module")
def results(web_env: dict[str, object]) -> dict[str, object]:
    app = web_env["app"]
    http = login(TestClient(app, base_url="http://127.0.0.1", raise_server_exceptions=False), "pat")
    token = api_token(http)
    headers = {"X-CSRF-Token": token}
    cid = http.post(
        "/api/clients", headers=headers, json={"given_name": "Hostile", "family_name": "Corpus"}
    ).json()["id"]
    # Photos of a client need their photography consent.
    r = http.post(
        f"/api/clients/{cid}/consents",
        headers=headers,
        json={"kind": "photography", "signed_by": "Hostile Corpus"},
    )
    assert r.status_code == 201, r.text[:300]
    answers: list[tuple[str, str, str, int, int]] = []
    stored: dict[int, tuple[str, str]] = {}
    for kind, name, ctype, data in corpus():
        files = {"file": (name, data, ctype or "application/octet-stream")}
        check = http.post("/api/photos/check", headers=headers, files=files)
        upload = http.post(
            f"/api/clients/{cid}/photos", headers=headers, files=files, data={"view": "front"}
        )
        answers.append((kind, name, upload.text[:200], check.status_code, upload.status_code))
        if upload.status_code == 201:
            stored[upload.json()["id"]] = (kind, name)
    return {"http": http, "headers": headers, "client": cid, "answers": answers, "stored": stored}


def test_the_corpus_is_big_and_varied() -> None:
    kinds = Counter(k for k, *_ in corpus())
    assert sum(kinds.values()) >= 200 and len(kinds) == 10


def test_no_hostile_file_gets_a_server_error(results: dict[str, object]) -> None:
    answers = results["answers"]
    bad = [
        (k, n, c, u, text) for k, n, text, c, u in answers if c not in ALLOWED or u not in ALLOWED
    ]  # type: ignore[attr-defined]
    assert not bad, f"{len(bad)} hostile files got an unexpected answer: {bad[:5]}"


def test_the_app_still_serves_and_analyses_after_the_corpus(
    results: dict[str, object], portrait_paths: list[Path]
) -> None:
    http: TestClient = results["http"]  # type: ignore[assignment]
    assert http.get("/healthz").status_code == 200
    r = http.post(
        f"/api/clients/{results['client']}/photos",
        headers=results["headers"],  # type: ignore[arg-type]
        files={"file": ("face.jpg", portrait_paths[0].read_bytes(), "image/jpeg")},
    )
    assert r.status_code == 201 and r.json()["face_map"], r.text[:300]
    results["stored"][r.json()["id"]] = ("real", "face.jpg")  # type: ignore[index]


def test_nothing_is_stored_that_should_not_be(
    results: dict[str, object], web_env: dict[str, object]
) -> None:
    http: TestClient = results["http"]  # type: ignore[assignment]
    stored: dict[int, tuple[str, str]] = results["stored"]  # type: ignore[assignment]
    assert not [v for v in stored.values() if v[0] in NEVER_STORED]
    rows = http.get(f"/api/clients/{results['client']}/photos").json()
    # Exactly the accepted uploads have rows.
    assert {r["id"] for r in rows} == set(stored)
    store = web_env["app"].state.photo_store  # type: ignore[attr-defined]
    digests = {r["sha256"] for r in rows}
    for row in rows:
        data = store.get(row["sha256"])
        assert sha256_hex(data) == row["sha256"] and data[:2] == b"\xff\xd8"
        assert not [b for b in FORBIDDEN if b in data], stored[row["id"]]
        with Image.open(io.BytesIO(data)) as img:
            img.load()
            assert img.format == "JPEG" and (img.width, img.height) == (row["width"], row["height"])
            assert not img.getexif()
    # The store holds these photos' files and nothing else (refusals left no file).
    assert set(store.iter_hashes()) == digests
    assert store.temp_files() == []
