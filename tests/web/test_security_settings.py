"""Security headers, settings that refuse unsafe set-ups, the schema check at start-up."""

from __future__ import annotations

import pytest

from acuface.config import Settings
from acuface.errors import ConfigError, SchemaOutOfDate


def test_security_headers_on_pages_api_and_static(pat, anon) -> None:  # noqa: ANN001
    for client, url in ((pat, "/today"), (pat, "/api/me"), (anon, "/login")):
        r = client.get(url)
        csp = r.headers["content-security-policy"]
        assert "default-src 'self'" in csp and "script-src 'self'" in csp
        assert "frame-ancestors 'none'" in csp and "unsafe-inline" not in csp
        assert r.headers["x-content-type-options"] == "nosniff"
        assert r.headers["x-frame-options"] == "DENY"
        assert r.headers["cache-control"] == "no-store"  # health data is never cached
    static = anon.get("/static/css/app.css")
    assert static.headers.get("cache-control") != "no-store"
    assert static.headers["x-content-type-options"] == "nosniff"


def test_pages_have_no_inline_script(pat) -> None:  # noqa: ANN001
    # The CSP forbids inline scripts; JSON data blocks are allowed (never executed).
    import re

    for url in ("/today", "/clients", "/atlas"):
        html = pat.get(url).text
        for tag in re.findall(r"<script[^>]*>", html):
            assert 'src="' in tag or 'type="application/json"' in tag, (url, tag)
        assert " style=" not in html and " onclick=" not in html


def test_default_secret_is_refused_outside_development(tmp_path) -> None:  # noqa: ANN001
    with pytest.raises(ConfigError, match="ACUFACE_SECRET_KEY"):
        Settings(data_dir=tmp_path, env="prod")
    with pytest.raises(ConfigError, match="at least 32"):
        Settings(data_dir=tmp_path, env="prod", secret_key="short")


def test_insecure_cookie_is_refused_in_production(tmp_path, monkeypatch) -> None:  # noqa: ANN001
    from acuface.web.settings import WebSettings

    core = Settings(data_dir=tmp_path, env="prod", secret_key="k" * 40)
    with pytest.raises(ConfigError, match="COOKIE_SECURE"):
        WebSettings(core=core, cookie_secure=False)
    assert WebSettings.from_env(core).cookie_secure is True
    monkeypatch.setenv("ACUFACE_COOKIE_SECURE", "maybe")
    with pytest.raises(ConfigError, match="true or false"):
        WebSettings.from_env(core)
    monkeypatch.setenv("ACUFACE_COOKIE_SECURE", "false")
    assert WebSettings.from_env(Settings(data_dir=tmp_path)).cookie_secure is False


def test_app_refuses_an_unmigrated_database(tmp_path) -> None:  # noqa: ANN001
    from acuface.web.main import create_app
    from acuface.web.settings import WebSettings

    with pytest.raises(SchemaOutOfDate, match="acuface db upgrade"):
        create_app(WebSettings(core=Settings(data_dir=tmp_path)))


def test_serve_command_refuses_an_unmigrated_database(tmp_path) -> None:  # noqa: ANN001
    import os
    import subprocess
    import sys

    env = {**os.environ, "ACUFACE_DATA_DIR": str(tmp_path)}
    r = subprocess.run(
        [sys.executable, "-m", "acuface.cli.main", "serve", "--port", "8"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert r.returncode == 2
    # The message is wrapped to the terminal's width, wherever the temp path's length puts
    # the line breaks.
    assert "acuface db upgrade" in " ".join(r.stderr.split())
