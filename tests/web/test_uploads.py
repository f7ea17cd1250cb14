"""Photo uploads: type by content, size and pixel limits, faceless photos, EXIF stripping."""

from __future__ import annotations

import io
import struct
import zlib

import pytest
from PIL import Image

from consenting import give_consents

from .webhelpers import api_token, csrf_of


def _png_claiming(width: int, height: int) -> bytes:
    """A tiny PNG whose header claims *width* x *height* pixels (a decompression bomb)."""
    buf = io.BytesIO()
    Image.new("L", (8, 8)).save(buf, format="PNG")
    data = bytearray(buf.getvalue())
    ihdr = 8  # after the signature: length(4) type(4) data(13) crc(4)
    data[ihdr + 8 : ihdr + 16] = struct.pack(">II", width, height)
    crc = zlib.crc32(bytes(data[ihdr + 4 : ihdr + 21])) & 0xFFFFFFFF
    data[ihdr + 21 : ihdr + 25] = struct.pack(">I", crc)
    return bytes(data)


@pytest.fixture(scope="module")
def client_id(web_env) -> int:  # noqa: ANN001
    from fastapi.testclient import TestClient

    from .webhelpers import login

    c = login(TestClient(web_env["app"], base_url="http://127.0.0.1"), "pat")
    r = c.post(
        "/api/clients",
        headers={"X-CSRF-Token": api_token(c)},
        json={"given_name": "Uma", "family_name": "Pload"},
    )
    give_consents(web_env["app"].state.engine, int(r.json()["id"]))
    return int(r.json()["id"])


def _upload(pat, client_id: int, name: str, data: bytes, ctype: str = "image/jpeg"):  # noqa: ANN001, ANN202
    tok = csrf_of(pat.get(f"/clients/{client_id}/photos").text)
    return pat.post(
        f"/clients/{client_id}/photos",
        data={"csrf_token": tok, "view": "front"},
        files={"file": (name, data, ctype)},
        follow_redirects=False,
    )


def _n_photos(pat, client_id: int) -> int:  # noqa: ANN001
    return len(pat.get(f"/api/clients/{client_id}/photos").json())


def test_a_pdf_named_jpg_is_refused_by_content(pat, client_id) -> None:  # noqa: ANN001
    r = _upload(pat, client_id, "face.jpg", b"%PDF-1.7\n1 0 obj\n<<>>\nendobj\n")
    assert r.status_code == 415
    assert "PDF" in r.text and "not a photo" in r.text
    assert _n_photos(pat, client_id) == 0
    r = pat.post(
        "/api/photos/check",
        headers={"X-CSRF-Token": api_token(pat)},
        files={"file": ("notes.png", b"hello, just text", "image/png")},
    )
    assert r.status_code == 415
    assert r.json()["type"] == "NotAnImage"


def test_a_decompression_bomb_is_refused_before_decoding(pat, client_id) -> None:  # noqa: ANN001
    bomb = _png_claiming(30_000, 30_000)  # 900 Mpx claimed in ~100 bytes
    assert len(bomb) < 200
    r = _upload(pat, client_id, "bomb.png", bomb, "image/png")
    assert r.status_code == 413
    assert _n_photos(pat, client_id) == 0
    r = pat.post(
        "/api/photos/locate",
        headers={"X-CSRF-Token": api_token(pat)},
        files={"file": ("bomb.png", bomb, "image/png")},
    )
    assert r.status_code == 413
    assert r.json()["type"] == "ImageTooLarge"


def test_an_upload_over_the_size_limit_is_refused(web_env, client_id) -> None:  # noqa: ANN001
    from fastapi.testclient import TestClient

    from acuface.config import Settings
    from acuface.web.main import create_app
    from acuface.web.settings import WebSettings

    from .webhelpers import login

    core = Settings(data_dir=web_env["settings"].data_dir, max_upload_mb=0.01)  # ~10 kB
    small = create_app(WebSettings(core=core))
    c = login(TestClient(small, base_url="http://127.0.0.1"), "pat")
    r = c.post(
        "/api/photos/check",
        headers={"X-CSRF-Token": api_token(c)},
        files={"file": ("big.jpg", b"\xff\xd8" + b"\0" * 20_000, "image/jpeg")},
    )
    assert r.status_code == 413
    assert "upload limit" in r.json()["message"]
    # Far over the limit: refused before the body is parsed, even when not signed in.
    anon = TestClient(small, base_url="http://127.0.0.1")
    r = anon.post("/api/photos/check", files={"file": ("huge.jpg", b"\0" * 400_000)})
    assert r.status_code == 413
    small.state.engine.dispose()


def test_a_photo_without_a_face_warns_before_saving(pat, client_id) -> None:  # noqa: ANN001
    from skimage import data

    buf = io.BytesIO()
    Image.fromarray(data.coffee()).save(buf, format="JPEG")  # a cup of coffee, no face
    jpeg = buf.getvalue()
    tok = api_token(pat)
    check = pat.post(
        "/api/photos/check",
        headers={"X-CSRF-Token": tok},
        files={"file": ("coffee.jpg", jpeg, "image/jpeg")},
    )
    assert check.status_code == 200
    body = check.json()
    assert body["face_found"] is False and body["ok"] is False
    assert body["warnings"]
    r = pat.post(
        "/api/photos/locate",
        headers={"X-CSRF-Token": tok},
        files={"file": ("coffee.jpg", jpeg, "image/jpeg")},
    )
    assert r.status_code == 422
    assert r.json()["type"] == "NoFaceFound"


def test_a_face_photo_is_stored_without_exif_and_shows_its_points(
    pat, client_id, obama_path
) -> None:  # noqa: ANN001, E501
    img = Image.open(obama_path)
    exif = Image.Exif()
    exif[0x010F] = "SecretCam"  # Make
    exif.get_ifd(0x8825).update({1: "N", 2: (52.0, 31.0, 12.0)})  # GPS latitude
    buf = io.BytesIO()
    img.save(buf, format="JPEG", exif=exif.tobytes())
    assert b"SecretCam" in buf.getvalue()
    r = _upload(pat, client_id, "obama.jpg", buf.getvalue())
    assert r.status_code == 303, r.text[:300]
    page = pat.get(r.headers["location"])
    assert page.status_code == 200
    assert page.text.count('class="pt ') >= 40  # located points drawn over the photo
    photo_id = int(r.headers["location"].rsplit("/", 1)[1])
    stored = pat.get(f"/photos/{photo_id}/image")
    assert stored.headers["content-type"] == "image/jpeg"
    assert b"SecretCam" not in stored.content
    assert not Image.open(io.BytesIO(stored.content)).getexif().get_ifd(0x8825)
    assert stored.headers["cache-control"] == "no-store"


def test_uploads_are_analysed_in_the_worker_processes_not_the_server(
    pat, client_id, monkeypatch
) -> None:  # noqa: ANN001
    """Decoding, locating and skin analysis of an upload run in the analysis pool.

    The server process's own analysis function is replaced by one that fails: the
    upload, the pre-save check and the locator preview still work, because the
    spawned worker processes (fresh interpreters) do that work, off the event loop.
    """
    from pathlib import Path

    from acuface.clinic.services import photos as photo_service

    def not_here(*_args: object, **_kwargs: object) -> None:
        raise AssertionError("photo analysis ran in the server process")

    monkeypatch.setattr(photo_service, "analyse_rgb", not_here)
    monkeypatch.setattr(photo_service, "prepare_photo", not_here)
    face = (Path(__file__).parents[1] / "data" / "faces" / "obama.jpg").read_bytes()
    token = api_token(pat)
    r = pat.post(
        "/api/photos/check", headers={"X-CSRF-Token": token}, files={"file": ("o.jpg", face)}
    )
    assert r.status_code == 200, r.text
    assert r.json()["face_found"] is True
    r = pat.post(
        "/api/photos/locate", headers={"X-CSRF-Token": token}, files={"file": ("o.jpg", face)}
    )
    assert r.status_code == 200, r.text
    assert r.json()["faces"]
    before = _n_photos(pat, client_id)
    r = _upload(pat, client_id, "o.jpg", face)
    assert r.status_code == 303, r.text
    assert _n_photos(pat, client_id) == before + 1
    newest = max(pat.get(f"/api/clients/{client_id}/photos").json(), key=lambda p: p["id"])
    # Analysed (in a worker): the face map and the skin report are stored with it.
    assert newest["face_map"] is not None
    assert newest["skin_report"] is not None
    assert newest["face_in_frame"] is True


def test_analysis_workers_yield_the_cpu_to_page_requests(pat, client_id) -> None:  # noqa: ANN001
    """The analysis processes run at a lower CPU priority than the server process.

    Two users uploading back to back keep both analysis workers busy; at the same
    priority their Face Mesh and skin analysis take CPU from every page view.
    """
    import os
    from pathlib import Path

    from acuface.clinic.analysis import ANALYSIS_WORKER_NICE

    face = (Path(__file__).parents[1] / "data" / "faces" / "obama.jpg").read_bytes()
    assert _upload(pat, client_id, "o.jpg", face).status_code == 303  # a worker is running
    workers = pat.app.state.analysis_pool.pool._workers  # type: ignore[attr-defined]
    pids = [w.pid for w in workers if w.alive]
    assert pids, "no analysis worker is running after an upload"
    server = os.getpriority(os.PRIO_PROCESS, 0)
    for pid in pids:
        assert os.getpriority(os.PRIO_PROCESS, pid) >= server + min(
            ANALYSIS_WORKER_NICE, 19 - server
        )
    assert ANALYSIS_WORKER_NICE >= 5
