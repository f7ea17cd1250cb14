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

* with ``limits.memory_mb`` the child's address space is capped (``RLIMIT_AS``) from
  its start, so a call that tries to allocate gigabytes fails inside the child
  (:class:`WorkerOutOfMemory`, the child is replaced) instead of pushing the machine
  into swap before any after-the-call check could notice.

Calls are synchronous and serialised per worker (a lock); async code runs them with
``anyio.to_thread.run_sync``. A stateful user (a live camera connection's tracking
Face Mesh) owns one worker for its lifetime.

:class:`WorkerPool` is a bounded set of workers with a bounded waiting line
(:class:`~acuface.errors.WorkerPoolBusy` beyond it): ``await pool.run(fn, *args)``
runs a module-level function in a free worker (:class:`FunctionRunner` is the
handler), ``pool.lease()`` lends one worker for a while. A worker that crashed or
timed out in a pool is restarted in the background at once, so the next call finds
it ready. The server's photo analysis (``acuface.clinic.analysis``) is such a pool.

Why not :class:`concurrent.futures.ProcessPoolExecutor`: when one of its workers
dies the whole executor is broken for every pending call, it cannot stop a call
that runs too long, and it has no memory limit.

This module knows nothing of the rest of Acuface; any layer may use it.
"""

from __future__ import annotations

import contextlib
import logging
import multiprocessing
import os
import queue
import resource
import signal
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from typing import Any

import anyio.to_thread

from acuface.errors import (
    AcufaceError,
    WorkerCrashed,
    WorkerError,
    WorkerFailed,
    WorkerOutOfMemory,
    WorkerPoolBusy,
    WorkerStartFailed,
    WorkerTimeout,
)

__all__ = [
    "FunctionRunner",
    "Job",
    "SupervisedWorker",
    "WorkerCrashed",
    "WorkerError",
    "WorkerFailed",
    "WorkerLimits",
    "WorkerOutOfMemory",
    "WorkerPool",
    "WorkerPoolBusy",
    "WorkerStartFailed",
    "WorkerTimeout",
]

log = logging.getLogger(__name__)


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
    memory_mb : int or None
        Address-space limit of the child (``RLIMIT_AS``) in MiB, enforced during
        calls: an allocation past it raises ``MemoryError`` in the child, which ends
        the call with :class:`WorkerOutOfMemory`. It counts virtual memory: a Face
        Mesh worker uses about 0.9 GB analysing a 1000 px photo, 1.5 GB for 45 MP.
        ``None``: no limit.
    """

    start_timeout_s: float = 60.0
    call_timeout_s: float = 30.0
    max_rss_mb: float | None = None
    memory_mb: int | None = None


def _child_main(
    conn: Connection, factory: Callable[[], Any], nice: int, memory_mb: int | None = None
) -> None:
    """Body of the child process: build the handler, then answer calls until told to stop."""
    # The parent owns shutdown; a Ctrl+C in the terminal must not print a
    # traceback from every worker.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if nice:
        os.nice(nice)
    if memory_mb is not None:
        limit = int(memory_mb) * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
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
        except MemoryError:
            # The heap may be left fragmented and half-built objects around: report,
            # then end this process so the parent starts a clean one.
            with contextlib.suppress(Exception):
                conn.send(("out_of_memory", None))
            break
        except AcufaceError as exc:
            conn.send(("acuface_error", exc))
        except Exception as exc:  # noqa: BLE001 - one bad call must not end the worker
            conn.send(("failed", f"{type(exc).__name__}: {exc}"))
    close = getattr(handler, "close", None)
    if callable(close):
        close()


def _describe_exit(exitcode: int | None) -> str:
    """Say how a child ended: ``exit code 3`` or ``signal SIGABRT``."""
    if exitcode is not None and exitcode < 0:
        try:
            return f"signal {signal.Signals(-exitcode).name}"
        except ValueError:
            return f"signal {-exitcode}"
    return f"exit code {exitcode}"


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
            target=_child_main,
            args=(child, self.factory, self.nice, self.limits.memory_mb),
            name=self.name,
            daemon=True,
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
        WorkerOutOfMemory
            The call passed ``limits.memory_mb`` (a :class:`WorkerCrashed`); the child
            is replaced.
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
                    f"{self.name} stopped unexpectedly ({_describe_exit(code)}) after "
                    f"{time.monotonic() - started:.1f} s; it is restarted on the next request."
                ) from None
            if kind == "out_of_memory":
                self._discard()
                raise WorkerOutOfMemory(
                    f"{self.name} needed more than its {self.limits.memory_mb} MB memory limit "
                    "and was stopped; it is restarted on the next request."
                )
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


# --- functions as jobs, and pools -------------------------------------------------


@dataclass(frozen=True)
class Job:
    """A call of a module-level function, for :class:`FunctionRunner`."""

    fn: Callable[..., Any]
    args: tuple[Any, ...] = ()
    kwargs: dict[str, Any] = field(default_factory=dict)


class FunctionRunner:
    """A handler that runs :class:`Job` requests: ``fn(*args, **kwargs)`` in the child.

    Parameters
    ----------
    initializer : callable, optional
        Run once when the child starts (e.g. build a Face Mesh and keep it in a
        module global for the jobs to use).
    *initargs
        Its arguments.
    """

    def __init__(self, initializer: Callable[..., Any] | None = None, *initargs: Any) -> None:
        if initializer is not None:
            initializer(*initargs)

    def __call__(self, job: Job) -> Any:
        """Run one job."""
        return job.fn(*job.args, **job.kwargs)


class WorkerPool:
    """A bounded pool of :class:`SupervisedWorker` processes with a bounded waiting line.

    Parameters
    ----------
    factory : callable
        Handler factory for every worker (see :class:`SupervisedWorker`); for function
        jobs, ``functools.partial(FunctionRunner, initializer)``.
    name : str, keyword-only
        What the workers do, for messages ("photo analysis").
    size : int, keyword-only
        Worker processes; each starts on first use (or :meth:`warm_up`).
    limits : WorkerLimits, keyword-only
    max_waiting : int, keyword-only
        Calls that may wait for a free worker; more get :class:`WorkerPoolBusy`.
    nice : int, keyword-only
        Niceness of the workers (see :class:`SupervisedWorker`).
    """

    def __init__(
        self,
        factory: Callable[[], Any],
        *,
        name: str,
        size: int,
        limits: WorkerLimits | None = None,
        max_waiting: int = 8,
        nice: int = 0,
    ) -> None:
        if size < 1:
            raise ValueError("a worker pool needs at least one worker")
        self.name = name
        self.size = size
        self.limits = limits or WorkerLimits()
        self.max_waiting = max_waiting
        self._workers = [
            SupervisedWorker(factory, name=f"{name} worker", limits=self.limits, nice=nice)
            for _ in range(size)
        ]
        # Last in, first out: the warmest worker serves the next call.
        self._idle: queue.LifoQueue[SupervisedWorker] = queue.LifoQueue()
        for worker in reversed(self._workers):
            self._idle.put(worker)
        self._admitted = threading.BoundedSemaphore(size + max_waiting)
        self._closed = False

    @property
    def workers(self) -> list[SupervisedWorker]:
        """The pool's workers (for status pages and tests)."""
        return list(self._workers)

    def warm_up(self) -> None:
        """Start every worker in the background (e.g. while the server starts)."""
        for worker in self._workers:
            self._restart_in_background(worker)

    def _restart_in_background(self, worker: SupervisedWorker) -> None:
        def start() -> None:
            try:
                worker.start()
            except WorkerError:
                log.exception("starting a %s worker failed", self.name)

        if not self._closed:
            threading.Thread(target=start, name=f"start {self.name}", daemon=True).start()

    @contextlib.contextmanager
    def lease(self, *, timeout_s: float | None = None) -> Iterator[SupervisedWorker]:
        """Lend one worker exclusively (returned when the block ends).

        Parameters
        ----------
        timeout_s : float, optional, keyword-only
            Longest wait for a free worker (default: the time a full line of calls
            could take).

        Raises
        ------
        WorkerPoolBusy
            The waiting line is full, or no worker freed up in time.
        """
        busy = f"The {self.name} service is busy; try again in a few seconds."
        if self._closed:
            raise WorkerPoolBusy(f"The {self.name} service is shutting down.")
        if not self._admitted.acquire(blocking=False):
            raise WorkerPoolBusy(busy)
        wait = timeout_s
        if wait is None:
            wait = self.limits.call_timeout_s * (1 + self.max_waiting / self.size)
        try:
            try:
                worker = self._idle.get(timeout=wait)
            except queue.Empty:
                raise WorkerPoolBusy(busy) from None
            try:
                yield worker
            except (WorkerCrashed, WorkerTimeout):
                # Replace it now, so that the next call finds a started worker.
                self._restart_in_background(worker)
                raise
            finally:
                self._idle.put(worker)
        finally:
            self._admitted.release()

    def call_sync(self, request: Any, *, timeout_s: float | None = None) -> Any:
        """Send *request* to a free worker's handler and wait (blocking) for the answer."""
        with self.lease() as worker:
            return worker.call(request, timeout_s=timeout_s)

    def run_sync(
        self, fn: Callable[..., Any], *args: Any, timeout_s: float | None = None, **kwargs: Any
    ) -> Any:
        """Run ``fn(*args, **kwargs)`` in a free worker (the factory is a FunctionRunner)."""
        return self.call_sync(Job(fn, args, kwargs), timeout_s=timeout_s)

    async def run(
        self, fn: Callable[..., Any], *args: Any, timeout_s: float | None = None, **kwargs: Any
    ) -> Any:
        """:meth:`run_sync` without blocking the event loop (waits in a thread)."""

        def call() -> Any:
            return self.run_sync(fn, *args, timeout_s=timeout_s, **kwargs)

        return await anyio.to_thread.run_sync(call)

    def close(self) -> None:
        """Stop every worker."""
        self._closed = True
        for worker in self._workers:
            worker.close()
