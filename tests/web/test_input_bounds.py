"""NUL characters and out-of-range values are a clean 422 on SQLite and PostgreSQL alike.

Before: a NUL byte gave 500 on PostgreSQL (its driver refuses NUL in text) on six
routes and on sign-in, while SQLite stored it silently; needle lists and birth
dates had no upper bound.
"""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from fastapi.testclient import TestClient

from acuface.clinic.schemas import MAX_NEEDLE_ENTRIES, MAX_NEEDLES_PER_SESSION

from .webhelpers import PASSWORD, api_token, csrf_of, login


@pytest.fixture(scope="module")
def pat_any(any_db_app) -> TestClient:  # noqa: ANN001
    return login(TestClient(any_db_app, base_url="http://127.0.0.1"), "pat")


@pytest.fixture(scope="module")
def client_id(pat_any: TestClient) -> int:
    r = pat_any.post(
        "/api/clients",
        headers={"X-CSRF-Token": api_token(pat_any)},
        json={"given_name": "Nia", "family_name": "Bounds"},
    )
    assert r.status_code == 201, r.text
    return int(r.json()["id"])


def _assert_422(r, what: str) -> None:  # noqa: ANN001
    assert r.status_code == 422, (what, r.status_code, r.text[:300])


def test_nul_in_sign_in_is_422_not_500(any_db_app) -> None:  # noqa: ANN001
    anon = TestClient(any_db_app, base_url="http://127.0.0.1")
    tok = csrf_of(anon.get("/login").text)
    r = anon.post("/login", data={"username": "pat\x00", "password": PASSWORD, "csrf_token": tok})
    _assert_422(r, "login")
    assert "NUL" in r.text


def test_nul_anywhere_in_client_data_is_422(pat_any: TestClient, client_id: int) -> None:
    api = {"X-CSRF-Token": api_token(pat_any)}
    tok = csrf_of(pat_any.get("/clients/new").text)
    today = date.today().isoformat()
    attempts = {
        "client search page": pat_any.get("/clients", params={"q": "Bo\x00"}),
        "client create form": pat_any.post(
            "/clients",
            data={"csrf_token": tok, "given_name": "A\x00", "family_name": "B"},
        ),
        "client create api": pat_any.post(
            "/api/clients", headers=api, json={"given_name": "A", "family_name": "B\x00"}
        ),
        "client patch api": pat_any.patch(
            f"/api/clients/{client_id}", headers=api, json={"notes": "x\x00y"}
        ),
        "client edit form": pat_any.post(
            f"/clients/{client_id}/edit",
            data={"csrf_token": tok, "given_name": "Nia", "family_name": "Bo\x00unds"},
        ),
        "session notes api": pat_any.post(
            f"/api/clients/{client_id}/sessions",
            headers=api,
            json={"session_date": today, "subjective": "ache\x00"},
        ),
        "intake json api": pat_any.post(
            f"/api/clients/{client_id}/intakes",
            headers=api,
            json={"intake": {"concerns": ["sagging"], "age": 50}, "notes": "n\x00"},
        ),
    }
    for what, r in attempts.items():
        _assert_422(r, what)
    # Nothing with a NUL was stored, and the client is unchanged.
    got = pat_any.get(f"/api/clients/{client_id}").json()
    assert got["family_name"] == "Bounds" and got["notes"] is None
    names = [c["name"] for c in pat_any.get("/api/clients").json()]
    assert not any("\x00" in n for n in names)


def test_dates_are_bounded(pat_any: TestClient, client_id: int) -> None:
    api = {"X-CSRF-Token": api_token(pat_any)}
    for birth in ("1850-01-01", (date.today() + timedelta(days=1)).isoformat()):
        r = pat_any.post(
            "/api/clients",
            headers=api,
            json={"given_name": "A", "family_name": "B", "birth_date": birth},
        )
        _assert_422(r, f"birth {birth}")
        assert "birth date" in r.text
    r = pat_any.post(
        f"/api/clients/{client_id}/sessions", headers=api, json={"session_date": "9999-12-31"}
    )
    _assert_422(r, "session in 9999")
    ok = pat_any.post(
        f"/api/clients/{client_id}/sessions",
        headers=api,
        json={"session_date": (date.today() + timedelta(days=30)).isoformat()},
    )
    assert ok.status_code == 201, ok.text


def test_needle_counts_are_bounded(pat_any: TestClient, client_id: int) -> None:
    api = {"X-CSRF-Token": api_token(pat_any)}
    today = date.today().isoformat()
    many_entries = [{"point_code": "ST6", "side": "left"}] * (MAX_NEEDLE_ENTRIES + 1)
    r = pat_any.post(
        f"/api/clients/{client_id}/sessions",
        headers=api,
        json={"session_date": today, "needles": many_entries},
    )
    _assert_422(r, "entries")
    per_entry = 20
    n = MAX_NEEDLES_PER_SESSION // per_entry + 1
    heavy = [{"point_code": "ST6", "side": "left", "count": per_entry}] * n
    r = pat_any.post(
        f"/api/clients/{client_id}/sessions",
        headers=api,
        json={"session_date": today, "needles": heavy},
    )
    _assert_422(r, "total")
    assert f"at most {MAX_NEEDLES_PER_SESSION} needles" in r.text
    r = pat_any.post(
        f"/api/clients/{client_id}/sessions",
        headers=api,
        json={"session_date": today, "plan_id": 2**40},
    )
    _assert_422(r, "huge id")


def test_json_bodies_are_limited_to_a_megabyte(pat_any: TestClient, client_id: int) -> None:
    api = {"X-CSRF-Token": api_token(pat_any), "content-type": "application/json"}
    body = b'{"notes": "' + b"x" * (1 << 20) + b'"}'
    r = pat_any.patch(f"/api/clients/{client_id}", headers=api, content=body)
    assert r.status_code == 413
