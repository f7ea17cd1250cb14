"""``acuface serve --workers 2``: two real server processes share sessions and throttling.

Before: sessions lived in the signed cookie and failed sign-ins in one process's
memory, so a second process would have counted its own guesses and could not end
a session the first one knew. Here a real server with two worker processes runs
on a free loopback port; each request's connection is traced (through ``/proc``)
to the process that accepted it, so the test knows it reached both. ada signs
in; her session works in both processes; signing out in one ends it in both.
"""

from __future__ import annotations

import http.client
import os
import re
import sys
import time
import urllib.parse
from collections.abc import Callable
from pathlib import Path

import pytest

from realprocs import Server
from redistest import REDIS_URL, redis_or_skip

from .webhelpers import PASSWORD, make_data_dir

pytestmark = pytest.mark.skipif(
    not sys.platform.startswith("linux"), reason="traces connections through Linux's /proc"
)


def _children(pid: int) -> set[int]:
    kids: set[int] = set()
    for task in Path(f"/proc/{pid}/task").iterdir():
        text = (task / "children").read_text().split()
        kids.update(int(k) for k in text)
    return kids


def _socket_inode(server_port: int, client_port: int) -> str | None:
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with open(table) as fh:
            next(fh)
            for line in fh:
                fields = line.split()
                local, remote, inode = fields[1], fields[2], fields[9]
                if (
                    int(local.rsplit(":", 1)[1], 16) == server_port
                    and int(remote.rsplit(":", 1)[1], 16) == client_port
                ):
                    return inode
    return None


def _serving_pid(server: Server, conn: http.client.HTTPConnection) -> int | None:
    """Return the worker process that holds the server side of *conn*."""
    assert conn.sock is not None
    inode = _socket_inode(server.port, conn.sock.getsockname()[1])
    if inode is None:
        return None
    target = f"socket:[{inode}]"
    for pid in _children(server.proc.pid):
        try:
            for fd in os.listdir(f"/proc/{pid}/fd"):
                if os.readlink(f"/proc/{pid}/fd/{fd}") == target:
                    return pid
        except OSError:
            continue
    return None


class Browser:
    """A cookie jar over one kept-alive connection at a time (so its process is known)."""

    def __init__(self, server: Server) -> None:
        self.server = server
        self.cookies: dict[str, str] = {}
        self.conn: http.client.HTTPConnection | None = None

    def connect(self) -> int | None:
        """Open a new connection; return the process that accepted it."""
        if self.conn is not None:
            self.conn.close()
        self.conn = http.client.HTTPConnection("127.0.0.1", self.server.port, timeout=30)
        self.conn.connect()
        status, _ = self.request("GET", "/healthz")
        assert status == 200
        return _serving_pid(self.server, self.conn)

    def request(
        self, method: str, path: str, form: dict[str, str] | None = None
    ) -> tuple[int, str]:
        assert self.conn is not None
        headers = {"Host": f"127.0.0.1:{self.server.port}", "Accept": "text/html"}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        body = None
        if form is not None:
            body = urllib.parse.urlencode(form)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        self.conn.request(method, path, body=body, headers=headers)
        resp = self.conn.getresponse()
        text = resp.read().decode("utf-8", "replace")
        for name, value in resp.getheaders():
            if name.lower() == "set-cookie":
                key, _, rest = value.partition("=")
                self.cookies[key] = rest.split(";", 1)[0]
        return resp.status, text

    def csrf(self, path: str = "/login") -> str:
        status, html = self.request("GET", path)
        assert status == 200, html[:300]
        found = re.search(r'name="csrf-token" content="([^"]+)"', html)
        assert found
        return found.group(1)


def _one_on_each(server: Server, browser: Browser, wait_s: float = 300) -> list[int]:
    """Reconnect until connections have reached both worker processes.

    The second process may still be starting when the first answers; *wait_s* is
    a liveness bound (a loaded machine imports slowly), not a speed check.
    """
    seen: dict[int, None] = {}
    deadline = time.monotonic() + wait_s
    while time.monotonic() < deadline:
        pid = browser.connect()
        if pid is not None:
            seen[pid] = None
        if len(seen) == 2:
            return list(seen)
        time.sleep(0.1)
    pytest.fail(
        f"connections reached only the processes {list(seen)}: {server.log.read_text()[-3000:]}"
    )


def _connect_to(browser: Browser, pid: int, wait_s: float = 120) -> None:
    """Reconnect until the kernel hands the connection to process *pid*."""
    deadline = time.monotonic() + wait_s
    while time.monotonic() < deadline:
        if browser.connect() == pid:
            return
        time.sleep(0.02)
    alive = Path(f"/proc/{pid}").exists()
    pytest.fail(
        f"no connection reached process {pid} (alive: {alive}): "
        + browser.server.log.read_text()[-3000:]
    )


def _db_sessions(settings: object) -> int:
    import sqlalchemy as sa

    engine = sa.create_engine(settings.sqlalchemy_url)  # type: ignore[attr-defined]
    try:
        with engine.connect() as conn:
            return int(conn.scalar(sa.text("SELECT count(*) FROM login_sessions")) or 0)
    finally:
        engine.dispose()


def _run(tmp_path: Path, env: dict[str, str], signed_in: Callable[[object], None]) -> None:
    settings, _ = make_data_dir(tmp_path / "data")
    server = Server(tmp_path / "data", workers=2, env=env)
    try:
        workers = _one_on_each(server, Browser(server))
        assert len(_children(server.proc.pid) & set(workers)) == 2
        first, second = workers

        ada = Browser(server)
        _connect_to(ada, first)
        token = ada.csrf()
        status, _ = ada.request(
            "POST",
            "/login",
            {"username": "ada", "password": PASSWORD, "csrf_token": token, "next": "/today"},
        )
        assert status == 303
        # The session signed in on the first process works on both.
        for pid in (first, second):
            _connect_to(ada, pid)
            status, body = ada.request("GET", "/api/me")
            assert status == 200 and '"username":"ada"' in body.replace(" ", "")
        signed_in(settings)  # the session is in the store the server was told to use
        # A copy of the cookie, kept by someone else.
        thief = Browser(server)
        thief.cookies = dict(ada.cookies)
        # Sign out on the second process ...
        _connect_to(ada, second)
        token = ada.csrf("/today")
        status, _ = ada.request("POST", "/logout", {"csrf_token": token})
        assert status == 303
        # ... and the session is over on both, for the copy too.
        for pid in (first, second):
            _connect_to(thief, pid)
            status, _ = thief.request("GET", "/api/me")
            assert status == 401, f"process {pid} still accepts the ended session"

        # Failed sign-ins count once, whichever process saw them.
        limit = 10  # WebSettings.login_max_failures
        guesser = Browser(server)
        for i in range(limit):
            _connect_to(guesser, workers[i % 2])
            token = guesser.csrf()
            status, _ = guesser.request(
                "POST", "/login", {"username": "pat", "password": "wrong", "csrf_token": token}
            )
            assert status == 401
        for pid in (first, second):
            _connect_to(guesser, pid)
            token = guesser.csrf()
            status, _ = guesser.request(
                "POST", "/login", {"username": "pat", "password": PASSWORD, "csrf_token": token}
            )
            assert status == 429, f"process {pid} did not see the other's failures"
    finally:
        server.stop()


def test_two_processes_share_sessions_and_throttling_through_the_database(tmp_path) -> None:  # noqa: ANN001
    def signed_in(settings: object) -> None:
        assert _db_sessions(settings) == 1

    _run(tmp_path, {}, signed_in)


def test_two_processes_share_sessions_and_throttling_through_redis(tmp_path) -> None:  # noqa: ANN001
    client = redis_or_skip()
    for key in client.scan_iter("acuface:*"):
        client.delete(key)
    try:

        def signed_in(settings: object) -> None:
            assert len(list(client.scan_iter("acuface:session:*"))) == 1
            assert _db_sessions(settings) == 0

        _run(tmp_path, {"ACUFACE_REDIS_URL": REDIS_URL}, signed_in)
        # The counters really were in Redis (the sessions ended, so they are gone).
        assert any(True for _ in client.scan_iter("acuface:throttle*"))
    finally:
        for key in client.scan_iter("acuface:*"):
            client.delete(key)


def test_serve_refuses_a_redis_that_does_not_answer() -> None:
    from acuface.clinic.signins import check_redis
    from acuface.errors import ConfigError

    from .webhelpers import free_port

    with pytest.raises(ConfigError, match="ACUFACE_REDIS_URL is set, but Redis does not answer"):
        check_redis(f"redis://127.0.0.1:{free_port()}/4")
    with pytest.raises(ConfigError, match="does not answer"):
        check_redis("not-a-url")
