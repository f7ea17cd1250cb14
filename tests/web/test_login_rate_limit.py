"""Sign-in: wrong passwords, rate limiting per address and user name, session cookie flags."""

from __future__ import annotations

from acuface.web.security import LoginRateLimiter, TooManyAttempts

from .webhelpers import PASSWORD, csrf_of


def _try(client, username: str, password: str):  # noqa: ANN001, ANN202
    tok = csrf_of(client.get("/login").text)
    return client.post(
        "/login",
        data={"username": username, "password": password, "csrf_token": tok},
        follow_redirects=False,
    )


def test_wrong_password_is_refused_without_saying_which_part_was_wrong(anon) -> None:  # noqa: ANN001
    r = _try(anon, "pat", "nope")
    assert r.status_code == 401
    assert "User name or password is wrong" in r.text
    r = _try(anon, "nobody", "nope")
    assert r.status_code == 401
    assert "User name or password is wrong" in r.text


def test_sixth_attempt_is_blocked_even_with_the_right_password(anon) -> None:  # noqa: ANN001
    for _ in range(5):
        assert _try(anon, "rita", "wrong password").status_code == 401
    r = _try(anon, "rita", PASSWORD)
    assert r.status_code == 429
    assert "Too many failed sign-in attempts" in r.text
    assert int(r.headers["retry-after"]) > 0
    # Another user from the same address is not locked out by rita's failures.
    assert _try(anon, "pat", PASSWORD).status_code == 303


def test_session_cookie_flags(anon) -> None:  # noqa: ANN001
    r = _try(anon, "pat", PASSWORD)
    cookie = r.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=lax" in cookie
    assert "secure" not in cookie  # the test app runs with cookie_secure=False (plain http)


def test_secure_cookie_in_production(web_env) -> None:  # noqa: ANN001
    from fastapi.testclient import TestClient

    from acuface.config import Settings
    from acuface.web.main import create_app
    from acuface.web.settings import WebSettings

    core = Settings(data_dir=web_env["settings"].data_dir, env="prod", secret_key="s" * 40)
    app = create_app(WebSettings(core=core, cookie_secure=True))
    client = TestClient(app, base_url="https://127.0.0.1")
    r = _try(client, "pat", PASSWORD)
    assert r.status_code == 303
    assert "; secure" in r.headers["set-cookie"].lower()
    assert "strict-transport-security" in r.headers
    app.state.engine.dispose()


def test_limiter_window_slides_and_success_resets() -> None:
    now = [1000.0]
    lim = LoginRateLimiter(max_failures=3, max_failures_per_ip=5, window_s=60, clock=lambda: now[0])
    for _ in range(3):
        lim.check("10.0.0.1", "Pat")
        lim.record_failure("10.0.0.1", "pat")
    try:
        lim.check("10.0.0.1", "PAT ")
        raise AssertionError("4th attempt should be blocked")
    except TooManyAttempts as exc:
        assert exc.retry_after_s == 60
    lim.check("10.0.0.2", "pat")  # another address is unaffected
    now[0] += 61
    lim.check("10.0.0.1", "pat")  # the failures left the window
    for name in ("alice", "bob", "carol", "dave", "erin"):
        lim.record_failure("10.0.0.1", name)
    try:  # 5 failures from one address over any user names
        lim.check("10.0.0.1", "frank")
        raise AssertionError("per-address limit should block")
    except TooManyAttempts:
        pass
    lim.reset("10.0.0.1", "pat")
    lim.check("10.0.0.9", "pat")
