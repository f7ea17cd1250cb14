"""Supervised worker processes: one child process, one long-lived handler, calls over a pipe.

The server must never run Face Mesh, photo decoding or analysis on its event loop,
and a crash inside native code (MediaPipe, libjpeg) must cost one request, not the
server. :class:`SupervisedWorker` is the one primitive for that:

* it starts a child process (``spawn``: no inherited threads or locks) that builds
  its handler **once** with ``factory()`` (building a Face Mesh graph costs far more
  than one call) and then answers ``handler(request)`` calls one at a time;
* a call that takes longer than its time limit kills the child
  (:class:`WorkerTimeout`); a child that dies (segfault, out of memory, killed) makes
  the call fail with :class:`WorkerCrashed`; either way the next call starts a
  replacement, so one bad input never takes the service down for good;
* after each call a child whose resident memory passed ``max_rss_mb`` is replaced
  (memory leaks and huge inputs stay bounded);
* an :class:`~acuface.errors.AcufaceError` raised by the handler (bad input) comes
  back as itself and the child stays; any other exception comes back as
  :class:`WorkerFailed` with its type and message, and the child stays too.

Calls are synchronous and serialised per worker (a lock); async code runs them with
``anyio.to_thread.run_sync``. A pool is several workers plus a bound on how many are
used at once; a stateful user (a live camera connection's tracking Face Mesh) owns
one worker for its lifetime.

This module knows nothing of the rest of Acuface; any layer may use it.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from typing import Any

from acuface.errors import (
    AcufaceError,
    WorkerCrashed,
    WorkerError,
    WorkerFailed,
    WorkerStartFailed,
    WorkerTimeout,
)

__all__ = [
    "SupervisedWorker",
    "WorkerCrashed",
    "WorkerError",
    "WorkerFailed",
    "WorkerLimits",
    "WorkerStartFailed",
    "WorkerTimeout",
]


@dataclass(frozen=True)
class WorkerLimits:
    """Time and memory limits of one worker.

    Attributes
    ----------
    start_timeout_s : float
        Longest wait for the child to build its handler and report ready.
    call_timeout_s : float
        Longest wait for one call's answer; past it the child is killed.
    max_rss_mb : float or None
        Resident memory above which the child is replaced after a call (Linux;
        ignored where ``/proc`` is absent). ``None``: no limit.
    """

    start_timeout_s: float = 60.0
    call_timeout_s: float = 30.0
    max_rss_mb: float | None = None


def _child_main(conn: Connection, factory: Callable[[], Any], nice: int) -> None:
    """Body of the child process: build the handler, then answer calls until told to stop."""
    # The parent owns shutdown; a Ctrl+C in the terminal must not print a
    # traceback from every worker.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if nice:
        os.nice(nice)
    try:
        handler = factory()
    except BaseException as exc:  # noqa: BLE001 - reported to the parent, which raises
        conn.send(("start_failed", f"{type(exc).__name__}: {exc}"))
        return
    conn.send(("ready", os.getpid()))
    while True:
        try:
            message = conn.recv()
        except (EOFError, OSError):  # parent gone
            break
        if message[0] == "stop":
            break
        try:
            conn.send(("ok", handler(message[1])))
        except AcufaceError as exc:
            conn.send(("acuface_error", exc))
        except Exception as exc:  # noqa: BLE001 - one bad call must not end the worker
            conn.send(("failed", f"{type(exc).__name__}: {exc}"))
    close = getattr(handler, "close", None)
    if callable(close):
        close()


def _rss_mb(pid: int) -> float | None:
    """Resident memory of process *pid* in MiB, or None where ``/proc`` is not available."""
    try:
        with open(f"/proc/{pid}/statm", encoding="ascii") as fh:
            resident_pages = int(fh.read().split()[1])
    except (OSError, ValueError, IndexError):
        return None
    return resident_pages * os.sysconf("SC_PAGE_SIZE") / (1024 * 1024)


class SupervisedWorker:
    """One supervised child process serving calls to a handler built by *factory*.

    Parameters
    ----------
    factory : callable
        Builds the handler in the child; must be picklable (a module-level function
        or class, or a ``functools.partial`` of one). The handler is a callable
        ``handler(request) -> response``; requests and responses are pickled. An
        optional ``handler.close()`` runs when the worker stops.
    name : str, keyword-only
        Shown in error messages and as the process name.
    limits : WorkerLimits, keyword-only
    nice : int, keyword-only
        Added to the child's scheduling niceness, so that its work yields the CPU
        to the server's page requests under load.
    """

    def __init__(
        self,
        factory: Callable[[], Any],
        *,
        name: str = "acuface-worker",
        limits: WorkerLimits | None = None,
        nice: int = 0,
    ) -> None:
        self.factory = factory
        self.name = name
        self.limits = limits or WorkerLimits()
        self.nice = nice
        self.starts = 0
        self._ctx = multiprocessing.get_context("spawn")
        self._proc: BaseProcess | None = None
        self._conn: Connection | None = None
        self._lock = threading.Lock()
        self._closed = False

    # --- lifecycle ---------------------------------------------------------

    @property
    def alive(self) -> bool:
        """Whether a child is running."""
        return self._proc is not None and self._proc.is_alive()

    @property
    def pid(self) -> int | None:
        """Process id of the current child, if any."""
        return None if self._proc is None else self._proc.pid

    def start(self) -> None:
        """Start the child (if not running) and wait until its handler is built.

        Raises
        ------
        WorkerStartFailed
            The factory raised, the child died, or it was not ready in time.
        """
        with self._lock:
            self._ensure_started()

    def _ensure_started(self) -> None:
        if self._closed:
            raise WorkerError(f"{self.name} is closed.")
        if self.alive and self._conn is not None:
            return
        self._discard()
        parent, child = self._ctx.Pipe(duplex=True)
        proc = self._ctx.Process(
            target=_child_main, args=(child, self.factory, self.nice), name=self.name, daemon=True
        )
        proc.start()
        child.close()
        self._proc, self._conn = proc, parent
        self.starts += 1
        try:
            ready = parent.poll(self.limits.start_timeout_s)
            reply = parent.recv() if ready else None
        except (EOFError, OSError):
            reply = None
        if reply is None or reply[0] != "ready":
            why = (
                reply[1]
                if reply is not None
                else (
                    f"not ready after {self.limits.start_timeout_s:.0f} s"
                    if proc.is_alive()
                    else f"exited with code {proc.exitcode}"
                )
            )
            self._discard()
            raise WorkerStartFailed(f"{self.name} could not start: {why}.")

    def _discard(self) -> None:
        """Kill and forget the current child (if any)."""
        proc, conn = self._proc, self._conn
        self._proc = self._conn = None
        if conn is not None:
            conn.close()
        if proc is not None:
            if proc.is_alive():
                proc.kill()
            proc.join(timeout=5)

    def restart(self) -> None:
        """Replace the child with a fresh one (waits until it is ready)."""
        with self._lock:
            self._discard()
            self._ensure_started()

    def close(self) -> None:
        """Stop the child: ask politely, then kill it if it does not exit within 2 s."""
        with self._lock:
            self._closed = True
            proc, conn = self._proc, self._conn
            if conn is not None and proc is not None and proc.is_alive():
                try:
                    conn.send(("stop",))
                except OSError:
                    pass
                proc.join(timeout=2)
            self._discard()

    def __enter__(self) -> SupervisedWorker:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- calls -------------------------------------------------------------

    def call(self, request: Any, *, timeout_s: float | None = None) -> Any:
        """Send *request* to the handler and return its answer.

        Starts (or replaces) the child first when it is not running.

        Parameters
        ----------
        request : picklable
        timeout_s : float, optional, keyword-only
            Time limit of this call (default ``limits.call_timeout_s``).

        Returns
        -------
        The handler's return value.

        Raises
        ------
        AcufaceError
            Whatever Acuface error the handler raised (the child keeps running).
        WorkerTimeout, WorkerCrashed
            The child was stopped or died; the next call starts a new one.
        WorkerFailed
            The handler raised another exception (the child keeps running).
        WorkerStartFailed
            No child could be started.
        """
        limit = self.limits.call_timeout_s if timeout_s is None else timeout_s
        with self._lock:
            self._ensure_started()
            conn, proc = self._conn, self._proc
            assert conn is not None and proc is not None
            started = time.monotonic()
            try:
                conn.send(("call", request))
                if not conn.poll(limit):
                    self._discard()
                    raise WorkerTimeout(
                        f"{self.name} took longer than {limit:.1f} s and was stopped; try again."
                    )
                kind, payload = conn.recv()
            except (EOFError, OSError):
                proc.join(timeout=1)
                code = proc.exitcode
                self._discard()
                raise WorkerCrashed(
                    f"{self.name} stopped unexpectedly (exit code {code}) after "
                    f"{time.monotonic() - started:.1f} s; it is restarted on the next request."
                ) from None
            self._check_memory()
        if kind == "ok":
            return payload
        if kind == "acuface_error":
            raise payload
        raise WorkerFailed(f"{self.name} failed: {payload}")

    def _check_memory(self) -> None:
        limit = self.limits.max_rss_mb
        if limit is None or self._proc is None or self._proc.pid is None:
            return
        rss = _rss_mb(self._proc.pid)
        if rss is not None and rss > limit:
            # Replaced lazily: the next call starts a fresh child.
            self._discard()
