"""CSRF: every unsafe request needs the session's token (form field or X-CSRF-Token)."""

from __future__ import annotations

from fastapi.testclient import TestClient

from .webhelpers import PASSWORD, api_token, csrf_of, login

CLIENT = {"given_name": "Cora", "family_name": "Lind"}


def test_form_post_without_or_with_a_wrong_token_is_refused(pat) -> None:  # noqa: ANN001
    r = pat.post("/clients", data=CLIENT, follow_redirects=False)
    assert r.status_code == 403
    assert "security token" in r.text
    r = pat.post("/clients", data={**CLIENT, "csrf_token": "x" * 43}, follow_redirects=False)
    assert r.status_code == 403
    tok = csrf_of(pat.get("/clients/new").text)
    r = pat.post("/clients", data={**CLIENT, "csrf_token": tok}, follow_redirects=False)
    assert r.status_code == 303


def test_a_token_from_another_session_does_not_work(app, pat) -> None:  # noqa: ANN001
    other = login(TestClient(app, base_url="http://127.0.0.1"), "ada")
    foreign = api_token(other)
    assert foreign != api_token(pat)
    r = pat.post("/api/clients", json=CLIENT, headers={"X-CSRF-Token": foreign})
    assert r.status_code == 403
    assert r.json()["type"] == "CsrfError"


def test_json_api_needs_the_header(pat) -> None:  # noqa: ANN001
    r = pat.post("/api/clients", json=CLIENT)
    assert r.status_code == 403
    r = pat.post("/api/clients", json=CLIENT, headers={"X-CSRF-Token": api_token(pat)})
    assert r.status_code == 201
    assert r.json()["family_name"] == "Lind"


def test_multipart_upload_needs_the_token(pat) -> None:  # noqa: ANN001
    r = pat.post("/api/photos/check", files={"file": ("a.jpg", b"not really", "image/jpeg")})
    assert r.status_code == 403


def test_login_and_logout_are_csrf_protected_too(anon, pat) -> None:  # noqa: ANN001
    anon.get("/login")
    r = anon.post("/login", data={"username": "pat", "password": PASSWORD})
    assert r.status_code == 403
    r = pat.post("/logout", follow_redirects=False)
    assert r.status_code == 403
    assert pat.get("/today", follow_redirects=False).status_code == 200  # still signed in


def test_sign_in_starts_a_fresh_session_with_a_new_token(anon) -> None:  # noqa: ANN001
    before = csrf_of(anon.get("/login").text)
    login(anon, "pat")
    after = csrf_of(anon.get("/today").text)
    assert before != after
