"""Start a real ``acuface serve`` process on loopback (for tests that kill it)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx

from .webhelpers import free_port


class Server:
    """An ``acuface serve`` child process on a free loopback port."""

    def __init__(
        self,
        data_dir: Path,
        *,
        database_url: str | None = None,
        workers: int = 1,
        env: dict[str, str] | None = None,
    ) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        extra_env = env or {}
        env = {
            **os.environ,
            "ACUFACE_DATA_DIR": str(data_dir),
            "ACUFACE_ENV": "dev",
            "ACUFACE_ANALYSIS_WORKERS": "1",
        }
        env.pop("DATABASE_URL", None)
        env.pop("ACUFACE_DATABASE_URL", None)
        env.pop("ACUFACE_REDIS_URL", None)
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
