"""The real processes tests and benchmarks start: ``acuface serve`` and Debian Chromium.

One place for both, imported by the tests (``tests/`` is on ``sys.path`` under pytest)
and by ``benchmarks/`` (which put ``tests/`` on ``sys.path`` themselves). Nothing here
imports pytest or the app, so a benchmark pulls in no test machinery.

- :class:`Server` runs ``acuface serve`` in its own process group on a loopback port.
- :data:`CHROMIUM`, :data:`CHROMIUM_ARGS` and :func:`launch_chromium`: Debian's
  Chromium through Playwright (never a downloaded browser); :data:`FAKE_CAMERA` adds
  Chromium's fake camera, granted without asking.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
FAKE_CAMERA = ["--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream"]


def launch_chromium(pw: Any, *flags: str) -> Any:
    """Debian's Chromium, headless, with the usual quiet flags and *flags* added."""
    return pw.chromium.launch(
        executable_path=CHROMIUM, args=[*CHROMIUM_ARGS, *flags], headless=True
    )


def free_port() -> int:
    """A TCP port on 127.0.0.1 that is free right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Server:
    """An ``acuface serve`` child process on a loopback port (free unless *port* is given).

    Parameters
    ----------
    data_dir : Path
        Its ``ACUFACE_DATA_DIR``; its output goes to ``server-<port>.log`` there.
    database_url : str, optional
        Its ``DATABASE_URL``; otherwise SQLite in *data_dir*. The caller's own
        database and Redis settings are never passed on.
    workers : int
        Server processes (``serve --workers``).
    port : int, optional
        A fixed port instead of a free one.
    analysis_workers : int or None
        Its ``ACUFACE_ANALYSIS_WORKERS``: 1 by default (tests on a shared machine);
        None leaves it to the caller's environment or the server's own choice, as in use
        (benchmarks).
    env : dict, optional
        More environment variables, applied last (``ACUFACE_REDIS_URL``).
    """

    def __init__(
        self,
        data_dir: Path,
        *,
        database_url: str | None = None,
        workers: int = 1,
        port: int | None = None,
        analysis_workers: int | None = 1,
        env: dict[str, str] | None = None,
    ) -> None:
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        extra_env = env or {}
        env = {**os.environ, "ACUFACE_DATA_DIR": str(data_dir), "ACUFACE_ENV": "dev"}
        for name in ("DATABASE_URL", "ACUFACE_DATABASE_URL", "ACUFACE_REDIS_URL"):
            env.pop(name, None)
        if analysis_workers is not None:
            env["ACUFACE_ANALYSIS_WORKERS"] = str(analysis_workers)
        if database_url:
            env["DATABASE_URL"] = database_url
        env.update(extra_env)
        data_dir.mkdir(parents=True, exist_ok=True)
        self.log = data_dir / f"server-{self.port}.log"
        with self.log.open("wb") as out:
            self.proc = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "acuface.cli.main",
                    "serve",
                    "--port",
                    str(self.port),
                    "--workers",
                    str(workers),
                ],
                stdout=out,
                stderr=subprocess.STDOUT,
                env=env,
                # Its own process group: stopping it also stops the uvicorn workers
                # and their analysis workers, never anything else.
                start_new_session=True,
            )
        # A liveness bound, not a speed check: a loaded machine imports slowly.
        deadline = time.monotonic() + 300
        while True:
            if self.proc.poll() is not None:
                raise RuntimeError(f"acuface serve exited: {self.log.read_text()[-2000:]}")
            try:
                if httpx.get(f"{self.url}/healthz", timeout=2).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                self._kill_group()
                raise RuntimeError(f"acuface serve did not answer: {self.log.read_text()[-2000:]}")
            time.sleep(0.2)

    def stop(self) -> None:
        """Stop the server (SIGTERM, then SIGKILL)."""
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                pass
        self._kill_group()

    def _kill_group(self) -> None:
        """SIGKILL whatever is left of the server's process group."""
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.proc.wait(timeout=10)
