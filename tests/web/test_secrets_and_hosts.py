"""No known signing secret, no foreign Host header, no public listening by accident.

Before: in development the cookie was signed with a secret printed in the
repository, so anyone reaching the port could forge an admin session, and the
app answered any ``Host`` header (DNS rebinding from a web page).
"""

from __future__ import annotations

import base64
import json
import os
import stat
import time

import pytest
from fastapi.testclient import TestClient
from itsdangerous import TimestampSigner

from acuface.cli.web import check_bind_address
from acuface.config import KNOWN_SECRETS, SECRET_FILE, Settings
from acuface.errors import ConfigError
from acuface.web.login_sessions import SESSION_COOKIE

PUBLISHED = next(iter(KNOWN_SECRETS))


def _forged_cookie(secret: str, user_id: int) -> str:
    now = time.time()
    payload = {"uid": user_id, "uname": "ada", "login_at": now, "seen_at": now, "csrf": "x" * 43}
    data = base64.b64encode(json.dumps(payload).encode())
    return TimestampSigner(secret).sign(data).decode()


def test_development_key_is_generated_private_and_stable(tmp_path) -> None:  # noqa: ANN001
    old = os.umask(0o022)
    try:
        key = Settings(data_dir=tmp_path / "data").signing_key()
    finally:
        os.umask(old)
    path = tmp_path / "data" / SECRET_FILE
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert len(key) >= 32 and key not in KNOWN_SECRETS
    # The next start (and every worker process) reads the same key.
    assert Settings(data_dir=tmp_path / "data").signing_key() == key
    # Another installation gets another key.
    assert Settings(data_dir=tmp_path / "other").signing_key() != key


def test_published_or_short_secrets_are_refused_in_every_mode(tmp_path) -> None:  # noqa: ANN001
    for env in ("dev", "prod"):
        with pytest.raises(ConfigError, match="published"):
            Settings(data_dir=tmp_path, env=env, secret_key=PUBLISHED)
        with pytest.raises(ConfigError, match="at least 32"):
            Settings(data_dir=tmp_path, env=env, secret_key="short")
    with pytest.raises(ConfigError, match="ACUFACE_SECRET_KEY must be set"):
        Settings(data_dir=tmp_path, env="prod")
    # A tampered key file is refused too, not used.
    (tmp_path / "d").mkdir()
    (tmp_path / "d" / SECRET_FILE).write_text(PUBLISHED)
    with pytest.raises(ConfigError, match="published"):
        Settings(data_dir=tmp_path / "d").signing_key()


def test_a_cookie_forged_with_the_published_secret_is_nobody(app, web_env) -> None:  # noqa: ANN001
    client = TestClient(app, base_url="http://127.0.0.1")
    ada_id = web_env["ids"]["ada"]
    client.cookies.set(SESSION_COOKIE, _forged_cookie(PUBLISHED, ada_id))
    r = client.get("/api/me")
    assert r.status_code == 401
    r = client.get("/admin/users", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].startswith("/login")


def test_foreign_host_headers_get_400(app, ada) -> None:  # noqa: ANN001
    # A rebinding page reaches 127.0.0.1 under its own name: the Host header shows it.
    evil = TestClient(app, base_url="http://attacker.example")
    assert evil.get("/login").status_code == 400
    assert evil.get("/healthz").status_code == 400
    # The signed-in practitioner's cookies are useless under a foreign name too.
    ada.cookies  # noqa: B018 - the session exists on 127.0.0.1
    r = ada.get("/api/me", headers={"host": "attacker.example"})
    assert r.status_code == 400
    for name in ("127.0.0.1", "localhost"):
        assert TestClient(app, base_url=f"http://{name}:8000").get("/healthz").status_code == 200


def test_allowed_hosts_setting(tmp_path, monkeypatch) -> None:  # noqa: ANN001
    monkeypatch.setenv("ACUFACE_ALLOWED_HOSTS", "Clinic.Example.org, 10.0.0.5")
    core = Settings(data_dir=tmp_path)
    assert core.allowed_host_list == ["clinic.example.org", "10.0.0.5"]
    assert core.allowed_hosts_set
    monkeypatch.delenv("ACUFACE_ALLOWED_HOSTS")
    assert Settings(data_dir=tmp_path).allowed_host_list == ["localhost", "127.0.0.1"]


def test_listening_beyond_loopback_needs_allowed_hosts(tmp_path) -> None:  # noqa: ANN001
    core = Settings(data_dir=tmp_path)
    for host in ("127.0.0.1", "localhost", "::1", "127.0.0.2"):
        check_bind_address(core, host)
    for host in ("0.0.0.0", "::", "192.168.1.20", "clinic.example.org"):
        with pytest.raises(ConfigError, match="ACUFACE_ALLOWED_HOSTS"):
            check_bind_address(core, host)
    check_bind_address(Settings(data_dir=tmp_path, allowed_hosts="clinic.lan"), "0.0.0.0")


def test_serve_refuses_0000_in_development(tmp_path) -> None:  # noqa: ANN001
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if k != "ACUFACE_ALLOWED_HOSTS"}
    env["ACUFACE_DATA_DIR"] = str(tmp_path)
    r = subprocess.run(
        [sys.executable, "-m", "acuface.cli.main", "serve", "--host", "0.0.0.0", "--port", "8"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert r.returncode == 2
    assert "ACUFACE_ALLOWED_HOSTS" in r.stderr
