"""Sign-in throttling: brute force is slow, yet guessing cannot lock the clinic out.

Before: 30 failed sign-ins with random user names from one address locked every
user at that address out for 15 minutes (behind the recommended reverse proxy,
the whole clinic). Who is who: pat (practitioner) and rita (reception) are the
real users at the attacked address; the attacker shares their address.
"""

from __future__ import annotations

import uuid

import pytest
from fastapi.testclient import TestClient
from limits.storage import MemoryStorage, RedisStorage

from acuface.clinic import db
from acuface.clinic import services as svc
from acuface.clinic.schemas import Actor
from acuface.web.security import KnownDevices, LoginThrottle, TooManyAttempts
from redistest import REDIS_URL, redis_or_skip

from .webhelpers import PASSWORD, csrf_of


def _try(client, username: str, password: str):  # noqa: ANN001, ANN202
    tok = csrf_of(client.get("/login").text)
    return client.post(
        "/login",
        data={"username": username, "password": password, "csrf_token": tok},
        follow_redirects=False,
    )


def _browser(app, **kwargs) -> TestClient:  # noqa: ANN001
    return TestClient(app, base_url="http://127.0.0.1", **kwargs)


def test_wrong_password_is_refused_without_saying_which_part_was_wrong(anon) -> None:  # noqa: ANN001
    r = _try(anon, "pat", "nope")
    assert r.status_code == 401
    assert "User name or password is wrong" in r.text
    r = _try(anon, "nobody", "nope")
    assert r.status_code == 401
    assert "User name or password is wrong" in r.text


def test_session_cookie_flags(anon) -> None:  # noqa: ANN001
    r = _try(anon, "pat", PASSWORD)
    cookies = [c.lower() for c in r.headers.get_list("set-cookie")]
    session = next(c for c in cookies if c.startswith("acuface_session="))
    assert "httponly" in session and "samesite=lax" in session
    assert "secure" not in session  # the test app runs with cookie_secure=False (plain http)
    device = next(c for c in cookies if c.startswith("acuface_device="))
    assert "httponly" in device and "samesite=strict" in device


def test_secure_cookie_in_production(web_env) -> None:  # noqa: ANN001
    from acuface.config import Settings
    from acuface.web.main import create_app
    from acuface.web.settings import WebSettings

    core = Settings(data_dir=web_env["settings"].data_dir, env="prod", secret_key="s" * 40)
    app = create_app(WebSettings(core=core, cookie_secure=True))
    client = TestClient(app, base_url="https://127.0.0.1")
    r = _try(client, "pat", PASSWORD)
    assert r.status_code == 303
    cookies = [c.lower() for c in r.headers.get_list("set-cookie")]
    assert cookies and all("; secure" in c for c in cookies)
    assert "strict-transport-security" in r.headers
    app.state.engine.dispose()


def test_spraying_random_names_does_not_lock_the_real_user_out(app) -> None:  # noqa: ANN001
    attacker = _browser(app)
    for _ in range(35):
        assert _try(attacker, f"x{uuid.uuid4().hex[:10]}", "guess").status_code == 401
    # A real user at the same address, in a browser never used before, signs in.
    assert _try(_browser(app), "rita", PASSWORD).status_code == 303
    # ... and the attacker's random names are kept only as keyed hashes.
    with db.session_scope(app.state.engine) as s:
        failed = svc.list_audit(session=s, actor=Actor.system(), action="login_failed", limit=35)
    assert len(failed) == 35
    assert all(e.username.startswith("unknown:") for e in failed)
    assert not any(e.username.startswith("x") for e in failed)


def test_brute_force_of_one_account_is_stopped_but_its_own_browser_still_signs_in(app) -> None:  # noqa: ANN001
    settings = app.state.web_settings
    own_browser = _browser(app)
    assert _try(own_browser, "pat", PASSWORD).status_code == 303  # pat's usual PC
    own_browser.post("/logout", data={"csrf_token": csrf_of(own_browser.get("/today").text)})
    attacker = _browser(app)
    for _ in range(settings.login_max_failures):
        assert _try(attacker, "pat", "wrong password").status_code == 401
    # The next guess is refused before the password is checked: even the right one.
    r = _try(attacker, "pat", PASSWORD)
    assert r.status_code == 429
    assert "Too many failed sign-in attempts" in r.text
    assert 0 < int(r.headers["retry-after"]) <= settings.login_window_s
    assert _try(_browser(app), "pat", PASSWORD).status_code == 429  # any new browser
    # The browser pat signed in on before is not held back by the attacker.
    assert _try(own_browser, "pat", PASSWORD).status_code == 303
    # Another account is unaffected.
    assert _try(_browser(app), "rita", PASSWORD).status_code == 303


def test_a_known_device_cookie_is_for_its_own_account_only(app) -> None:  # noqa: ANN001
    rita_pc = _browser(app)
    assert _try(rita_pc, "rita", PASSWORD).status_code == 303
    for _ in range(app.state.web_settings.login_max_failures):
        assert _try(rita_pc, "pat", "wrong password").status_code == 401
    # rita's device cookie does not make guesses at pat's password unlimited.
    assert _try(rita_pc, "pat", PASSWORD).status_code == 429
    # A forged device cookie is ignored.
    forged = _browser(app)
    forged.cookies.set(KnownDevices.COOKIE, rita_pc.cookies[KnownDevices.COOKIE][:-3] + "xyz")
    assert _try(forged, "pat", PASSWORD).status_code == 429


def test_limits_per_account_address_and_device() -> None:
    devices = KnownDevices("k" * 40)
    throttle = LoginThrottle(
        MemoryStorage(), pepper=devices.pepper, per_account=3, per_address=5, per_device=2
    )

    def blocked(ip: str, name: str, device: str | None = None) -> bool:
        try:
            throttle.check(ip=ip, username=name, device=device)
        except TooManyAttempts as exc:
            assert exc.retry_after_s > 0
            return True
        return False

    for _ in range(3):
        assert not blocked("10.0.0.1", "Pat")
        throttle.record_failure(ip="10.0.0.1", username="pat", device=None)
    assert blocked("10.0.0.1", "PAT ")  # names compare case- and space-insensitively
    assert blocked("10.0.0.2", "pat")  # the account's limit holds from every address
    assert not blocked("10.0.0.2", "rita")
    for name in ("a1", "a2"):
        throttle.record_failure(ip="10.0.0.1", username=name, device=None)
    assert blocked("10.0.0.1", "frank")  # 5 failures from one address over any names
    assert not blocked("10.0.0.9", "frank")
    # A known device for pat is held back only by its own failures.
    cookie = devices.remember(None, "pat")
    device = devices.trusted(cookie, "pat")
    assert device is not None and devices.trusted(cookie, "rita") is None
    assert not blocked("10.0.0.1", "pat", device)
    for _ in range(2):
        throttle.record_failure(ip="10.0.0.1", username="pat", device=device)
    assert blocked("10.0.0.1", "pat", device)
    # Remembering a second account keeps the first.
    both = devices.remember(cookie, "rita")
    assert devices.trusted(both, "pat") == device == devices.trusted(both, "rita")


def _redis_storage() -> RedisStorage:
    redis_or_skip()
    return RedisStorage(REDIS_URL, key_prefix=f"acuface-test-{uuid.uuid4().hex[:8]}")


@pytest.mark.parametrize("where", ["database", "redis"])
def test_counters_are_shared_by_server_processes(where: str, web_env) -> None:  # noqa: ANN001
    # Two throttles on one storage stand for two server processes.
    from acuface.clinic.signins import DatabaseThrottleStorage

    engines = []
    if where == "database":
        storages = []
        for _ in range(2):
            engine = db.make_engine(web_env["settings"].sqlalchemy_url)
            engines.append(engine)
            storages.append(DatabaseThrottleStorage(engine))
    else:
        first = _redis_storage()
        storages = [first, RedisStorage(REDIS_URL, key_prefix=first.key_prefix)]
    try:
        a, b = (LoginThrottle(s, pepper=b"p", per_account=4, per_address=50) for s in storages)
        name = f"user-{uuid.uuid4().hex[:6]}"
        for i in range(4):
            (a if i % 2 else b).record_failure(ip="10.1.1.1", username=name, device=None)
        for throttle in (a, b):
            with pytest.raises(TooManyAttempts):
                throttle.check(ip="10.1.1.2", username=name, device=None)
        a.check(ip="10.1.1.2", username="someone-else", device=None)
    finally:
        storages[0].reset()
        for engine in engines:
            engine.dispose()


def test_forwarded_addresses_count_only_from_a_trusted_proxy(web_env) -> None:  # noqa: ANN001
    from acuface.config import Settings
    from acuface.web.main import create_app
    from acuface.web.settings import WebSettings

    def sources(trusted: str | None, forwarded: str) -> set[str]:
        core = Settings(data_dir=web_env["settings"].data_dir, trusted_proxies=trusted)
        app = create_app(WebSettings(core=core, cookie_secure=False))
        try:
            browser = _browser(app, client=("10.9.9.9", 40000))
            name = f"probe-{uuid.uuid4().hex[:6]}"
            tok = csrf_of(browser.get("/login").text)
            browser.post(
                "/login",
                data={"username": name, "password": "x", "csrf_token": tok},
                headers={"X-Forwarded-For": forwarded},
                follow_redirects=False,
            )
            with db.session_scope(app.state.engine) as s:
                log = svc.list_audit(
                    session=s, actor=Actor.system(), action="login_failed", limit=1
                )
            return {e.source for e in log}
        finally:
            app.state.engine.dispose()

    # Without a configured proxy the header is the client's word: ignored.
    assert sources(None, "203.0.113.50") == {"10.9.9.9"}
    # From the configured proxy, it names the client.
    assert sources("10.9.9.9", "203.0.113.50") == {"203.0.113.50"}
    # A header from an address that is not the proxy is ignored.
    assert sources("10.0.0.1", "203.0.113.50") == {"10.9.9.9"}


def test_expired_counters_are_purged(web_env) -> None:  # noqa: ANN001
    import sqlalchemy as sa

    from acuface.clinic.signins import DatabaseThrottleStorage

    engine = db.make_engine(web_env["settings"].sqlalchemy_url)
    try:
        throttle = LoginThrottle(DatabaseThrottleStorage(engine), pepper=b"p", window_s=60)
        throttle.record_failure(ip="10.2.2.2", username="gone", device=None)
        with engine.begin() as conn:  # the window of those two counters has passed
            conn.execute(sa.text("UPDATE login_throttle SET expires_at = 1"))
        throttle._last_purge = 0.0
        throttle.record_failure(ip="10.2.2.3", username="new", device=None)
        with engine.connect() as conn:
            keys = set(conn.execute(sa.text("SELECT key FROM login_throttle")).scalars())
        assert len(keys) == 2 and all("10.2.2.2" not in k for k in keys)
    finally:
        with engine.begin() as conn:
            conn.execute(sa.text("DELETE FROM login_throttle"))
        engine.dispose()
