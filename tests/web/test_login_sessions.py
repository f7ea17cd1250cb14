"""Server-side sessions: the cookie is only a signed id; ending a session ends every copy.

Before: the session lived in the signed cookie itself, so a cookie copied before
logout (or before a password reset or role change) kept reading and writing for
hours. Who is who: ada (admin) manages sessions; pat (practitioner) and rita
(reception) are the users whose sessions end.
"""

from __future__ import annotations

import hashlib
import time
import uuid

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from itsdangerous import TimestampSigner

from acuface.clinic import db
from acuface.clinic import services as svc
from acuface.clinic.schemas import Actor
from acuface.clinic.signins import (
    DatabaseSessionStore,
    LoginSessionRecord,
    RedisSessionStore,
    session_key,
)
from acuface.web import login_sessions
from acuface.web.login_sessions import SESSION_COOKIE
from redistest import redis_or_skip

from .webhelpers import PASSWORD, api_token, csrf_of, login

NEW_CLIENT = {"given_name": "Copy", "family_name": "Cat"}


def _copy(app, client: TestClient) -> TestClient:  # noqa: ANN001
    thief = TestClient(app, base_url="http://127.0.0.1")
    thief.cookies.set(SESSION_COOKIE, client.cookies[SESSION_COOKIE])
    return thief


def _stored_keys(app) -> set[str]:  # noqa: ANN001
    with app.state.engine.connect() as conn:
        return set(conn.execute(sa.text("SELECT key FROM login_sessions")).scalars())


def test_the_cookie_holds_only_a_signed_random_id(app, pat) -> None:  # noqa: ANN001
    raw = pat.cookies[SESSION_COOKIE]
    signer = TimestampSigner(app.state.web_settings.core.signing_key(), salt="acuface.session")
    sid = signer.unsign(raw).decode()
    assert len(sid) == 43 and sid.replace("-", "").replace("_", "").isalnum()
    # No user id, name or token in the cookie: the value is the id and its signature.
    assert raw.startswith(sid + ".")
    # The store knows the session by the id's hash only.
    keys = _stored_keys(app)
    assert hashlib.sha256(sid.encode()).hexdigest() in keys
    assert sid not in keys
    # A tampered signature is nobody.
    thief = TestClient(app, base_url="http://127.0.0.1")
    thief.cookies.set(SESSION_COOKIE, raw[:-2] + ("AA" if not raw.endswith("AA") else "BB"))
    assert thief.get("/api/me").status_code == 401


def test_a_cookie_copied_before_logout_no_longer_reads_or_writes(app, pat) -> None:  # noqa: ANN001
    thief = _copy(app, pat)
    token = api_token(pat)
    assert thief.get("/api/me").json()["user"]["username"] == "pat"  # same session, before
    r = pat.post("/logout", data={"csrf_token": token}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/login"
    # The copy can neither read ...
    assert thief.get("/api/me").status_code == 401
    assert thief.get("/clients", follow_redirects=False).status_code == 303
    # ... nor write, even with the token it had.
    r = thief.post("/api/clients", json=NEW_CLIENT, headers={"X-CSRF-Token": token})
    assert r.status_code in (401, 403)
    with app.state.engine.connect() as conn:
        assert conn.scalar(sa.text("SELECT count(*) FROM clients WHERE family_name='Cat'")) == 0
    # The browser that signed out is a visitor with a fresh id, and sees the message.
    assert pat.get("/api/me").status_code == 401
    assert "You have signed out" in pat.get("/login").text


def test_signing_in_again_gives_a_new_id(app, pat) -> None:  # noqa: ANN001
    before = pat.cookies[SESSION_COOKIE]
    thief = _copy(app, pat)
    login(pat, "pat")
    assert pat.cookies[SESSION_COOKIE] != before
    assert thief.get("/api/me").status_code == 401  # the old session ended at the new sign-in


@pytest.mark.parametrize(
    ("path", "form"),
    [
        ("password", {"new_password": "a brand new password"}),
        ("role", {"role": "reception"}),
        ("active", {"active": "false"}),
    ],
)
def test_reset_role_change_and_deactivation_end_the_users_sessions(
    app, web_env, ada, path: str, form: dict[str, str]
) -> None:  # noqa: ANN001
    victim = login(TestClient(app, base_url="http://127.0.0.1"), "rita")
    other = login(TestClient(app, base_url="http://127.0.0.1"), "rita")  # a second browser
    token = api_token(ada)
    rita_id = web_env["ids"]["rita"]
    try:
        r = ada.post(
            f"/admin/users/{rita_id}/{path}",
            data={**form, "csrf_token": token},
            follow_redirects=False,
        )
        assert r.status_code == 303
        for browser in (victim, other):
            assert browser.get("/api/me").status_code == 401
        assert ada.get("/api/me").status_code == 200  # the admin's own session goes on
    finally:
        _restore_rita(app, rita_id)


def _restore_rita(app, rita_id: int) -> None:  # noqa: ANN001
    with db.session_scope(app.state.engine) as s:
        system = Actor.system()
        svc.set_user_active(session=s, actor=system, user_id=rita_id, active=True)
        svc.set_user_role(session=s, actor=system, user_id=rita_id, role="reception")
        svc.set_password(session=s, actor=system, user_id=rita_id, new_password=PASSWORD)


def test_a_change_made_elsewhere_ends_sessions_too(app, web_env, rita) -> None:  # noqa: ANN001
    # `acuface users set-password` runs in another process with its own engine: the
    # session epoch in the users table ends the session, whatever store keeps it.
    engine = db.make_engine(web_env["settings"].sqlalchemy_url)
    try:
        with db.session_scope(engine) as s:
            svc.set_password(
                session=s,
                actor=Actor.system(),
                user_id=web_env["ids"]["rita"],
                new_password=PASSWORD,
            )
    finally:
        engine.dispose()
    assert rita.get("/api/me").status_code == 401


def test_admin_sees_and_ends_sessions(app, web_env, ada) -> None:  # noqa: ANN001
    ua = "Mozilla/5.0 (reception desk) " + uuid.uuid4().hex[:6]
    desk = TestClient(app, base_url="http://127.0.0.1", headers={"user-agent": ua})
    login(desk, "rita")
    laptop = login(TestClient(app, base_url="http://127.0.0.1"), "rita")
    page = ada.get("/admin/sessions")
    assert page.status_code == 200
    assert ua in page.text and "rita" in page.text and "testclient" in page.text
    assert "this session" in page.text  # ada's own row is marked
    token = csrf_of(page.text)
    # End one: the desk browser is out, the laptop still in.
    desk_sid = desk.cookies[SESSION_COOKIE].rsplit(".", 2)[0]
    r = ada.post(
        f"/admin/sessions/{session_key(desk_sid)}/end",
        data={"csrf_token": token},
        follow_redirects=False,
    )
    assert r.status_code == 303
    assert desk.get("/api/me").status_code == 401
    assert laptop.get("/api/me").status_code == 200
    assert ua not in ada.get("/admin/sessions").text
    # End all of rita's.
    login(desk, "rita")
    r = ada.post(
        f"/admin/users/{web_env['ids']['rita']}/sessions/end",
        data={"csrf_token": token},
        follow_redirects=False,
    )
    assert r.status_code == 303
    assert desk.get("/api/me").status_code == 401 and laptop.get("/api/me").status_code == 401
    assert "rita" not in ada.get("/admin/sessions").text.split("<tbody>")[1]
    actions = {
        e.action
        for e in svc.list_audit(
            session=db.get_sessionmaker(app.state.engine)(), actor=Actor.system(), limit=50
        )
    }
    assert {"login_session.list", "login_session.end", "login_session.end_all"} <= actions


def test_only_admins_see_sessions(pat, rita) -> None:  # noqa: ANN001
    for who in (pat, rita):
        assert who.get("/admin/sessions").status_code == 403
        r = who.post(
            f"/admin/sessions/{'0' * 64}/end",
            headers={"X-CSRF-Token": api_token(who)},
        )
        assert r.status_code == 403


def test_idle_and_absolute_session_timeouts(app, pat, monkeypatch) -> None:  # noqa: ANN001
    settings = app.state.web_settings
    assert pat.get("/today", follow_redirects=False).status_code == 200
    start = time.time()
    # Idle for longer than the idle limit: the next request must sign in again.
    monkeypatch.setattr(login_sessions, "_now", lambda: start + settings.session_idle_s + 5)
    r = pat.get("/today", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].startswith("/login")
    monkeypatch.setattr(login_sessions, "_now", time.time)
    assert pat.get("/api/me").status_code == 401  # the session was ended, not just refused


def test_active_session_still_ends_at_the_absolute_limit(app, pat, monkeypatch) -> None:  # noqa: ANN001
    settings = app.state.web_settings
    start = time.time()
    now = [start]
    monkeypatch.setattr(login_sessions, "_now", lambda: now[0])
    # A request every hour keeps the idle timer fresh ...
    while now[0] + 3600 < start + settings.session_max_s:
        now[0] += 3600
        assert pat.get("/today", follow_redirects=False).status_code == 200
    # ... but the sign-in itself expires.
    now[0] = start + settings.session_max_s + 5
    assert pat.get("/today", follow_redirects=False).status_code == 303


def test_visiting_the_sign_in_page_stores_nothing(app, anon) -> None:  # noqa: ANN001
    before = _stored_keys(app)
    for _ in range(5):
        assert anon.get("/login").status_code == 200
        TestClient(app, base_url="http://127.0.0.1").get("/login")
    assert _stored_keys(app) == before


# --- the store contract, on the database and on Redis ------------------------


def _redis_store() -> RedisSessionStore:
    return RedisSessionStore(redis_or_skip(), prefix=f"acuface-test-{uuid.uuid4().hex[:8]}")


@pytest.fixture(params=["database", "redis"])
def store(request, web_env):  # noqa: ANN001, ANN201
    if request.param == "database":
        engine = db.make_engine(web_env["settings"].sqlalchemy_url)
        yield DatabaseSessionStore(engine)
        with engine.begin() as conn:
            conn.execute(sa.text("DELETE FROM login_sessions"))
        engine.dispose()
        return
    s = _redis_store()
    yield s
    for key in s.r.scan_iter(f"{s.prefix}:*"):
        s.r.delete(key)


def _rec(key: str, user_id: int | None, seen: float) -> LoginSessionRecord:
    return LoginSessionRecord(
        key=key,
        user_id=user_id,
        username="pat" if user_id else "",
        epoch=0,
        created_at=seen,
        last_seen_at=seen,
        ip="10.0.0.7",
        user_agent="browser",
        data={"csrf": "t" * 43},
    )


def test_store_contract(store, web_env) -> None:  # noqa: ANN001
    pat, rita = web_env["ids"]["pat"], web_env["ids"]["rita"]
    now = time.time()
    a, b, c, v = (session_key(f"sid-{n}-{uuid.uuid4()}") for n in "abcv")
    store.put(_rec(a, pat, now - 10), ttl_s=600)
    store.put(_rec(b, pat, now), ttl_s=600)
    store.put(_rec(c, rita, now - 5), ttl_s=600)
    store.put(_rec(v, None, now), ttl_s=600)  # a visitor with a message waiting
    got = store.get(a)
    assert got is not None and got.user_id == pat and got.data == {"csrf": "t" * 43}
    assert got.ip == "10.0.0.7" and got.username == "pat"
    assert [r.key for r in store.signed_in()] == [b, c, a]  # newest activity first
    store.put(_rec(a, pat, now + 1), ttl_s=600)  # replacing updates last seen
    assert store.signed_in()[0].key == a
    assert store.delete(c) and not store.delete(c)
    assert store.get(c) is None
    assert store.delete_user(pat) == 2
    assert store.get(a) is None and store.get(b) is None
    assert store.get(v) is not None and store.signed_in() == []
    store.put(_rec(a, pat, now - 1000), ttl_s=600)
    store.put(_rec(b, pat, now), ttl_s=600)
    assert store.purge(seen_before=now - 500) == 1
    assert [r.key for r in store.signed_in()] == [b]
