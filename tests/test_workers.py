"""The supervised worker process: calls, errors that keep it, crashes and hangs that replace it.

The handlers below run in a spawned child (they are found by importing this module
there), so every failure is a real process failure: a segfault, a hang, a leak.
"""

from __future__ import annotations

import ctypes
import functools
import os
import time

import pytest

from acuface.errors import (
    AcufaceError,
    NotAnImage,
    WorkerCrashed,
    WorkerFailed,
    WorkerStartFailed,
    WorkerTimeout,
)
from acuface.workers import SupervisedWorker, WorkerLimits


class _Handler:
    """Echoes, fails, crashes, hangs or grows on request."""

    def __init__(self) -> None:
        self.calls = 0
        self.hoard: list[bytes] = []

    def __call__(self, request: tuple[str, object]) -> object:
        self.calls += 1
        kind, arg = request
        if kind == "echo":
            return (os.getpid(), self.calls, arg)
        if kind == "bad_input":
            raise NotAnImage("that is a PDF, not a photo")
        if kind == "bug":
            raise ZeroDivisionError("division by zero")
        if kind == "segfault":
            ctypes.string_at(0)  # reads address 0: SIGSEGV, as a native-code crash would
        if kind == "hang":
            time.sleep(60)
        if kind == "grow":
            self.hoard.append(b"x" * (int(arg) * 1024 * 1024))  # type: ignore[call-overload]
            return len(self.hoard)
        raise AssertionError(kind)


def _make_handler() -> _Handler:
    return _Handler()


def _failing_factory(message: str) -> _Handler:
    raise RuntimeError(message)


@pytest.fixture()
def worker():  # noqa: ANN201
    w = SupervisedWorker(
        _make_handler,
        name="test worker",
        limits=WorkerLimits(start_timeout_s=60, call_timeout_s=20),
    )
    w.start()
    yield w
    w.close()


def test_calls_reach_one_long_lived_handler(worker: SupervisedWorker) -> None:
    pid1, n1, arg1 = worker.call(("echo", {"a": [1, 2]}))
    pid2, n2, _ = worker.call(("echo", b"\x00" * 100_000))
    assert arg1 == {"a": [1, 2]}
    assert pid1 == pid2 == worker.pid != os.getpid()
    assert (n1, n2) == (1, 2)  # the handler was built once and kept its state
    assert worker.starts == 1


def test_acuface_errors_come_back_as_themselves_and_the_worker_stays(
    worker: SupervisedWorker,
) -> None:
    pid = worker.pid
    with pytest.raises(NotAnImage, match="PDF"):
        worker.call(("bad_input", None))
    with pytest.raises(WorkerFailed, match="ZeroDivisionError: division by zero"):
        worker.call(("bug", None))
    assert worker.call(("echo", 1))[0] == pid
    assert worker.starts == 1


def test_a_crash_is_one_error_and_the_next_call_gets_a_new_process(
    worker: SupervisedWorker,
) -> None:
    first = worker.pid
    with pytest.raises(WorkerCrashed, match="stopped unexpectedly") as info:
        worker.call(("segfault", None))
    assert isinstance(info.value, AcufaceError) and info.value.http_status == 503
    assert not worker.alive
    pid, calls, _ = worker.call(("echo", 1))
    assert pid != first and calls == 1  # a fresh handler in a fresh process
    assert worker.starts == 2


def test_a_hung_call_is_stopped_at_its_time_limit(worker: SupervisedWorker) -> None:
    first = worker.pid
    t = time.monotonic()
    with pytest.raises(WorkerTimeout, match="longer than 1.0 s"):
        worker.call(("hang", None), timeout_s=1.0)
    assert time.monotonic() - t < 30  # it did not wait for the 60 s sleep
    assert worker.call(("echo", 1))[0] != first


def test_a_worker_over_its_memory_limit_is_replaced_after_the_call() -> None:
    w = SupervisedWorker(_make_handler, limits=WorkerLimits(max_rss_mb=400.0))
    try:
        w.start()
        first = w.pid
        assert w.call(("grow", 10)) == 1  # well under the limit: kept
        assert w.pid == first
        assert w.call(("grow", 500)) == 2  # answered, then replaced
        assert not w.alive
        assert w.call(("echo", 1))[0] != first
    finally:
        w.close()


def test_a_factory_that_fails_is_a_clear_start_error() -> None:
    w = SupervisedWorker(functools.partial(_failing_factory, "no model file"), name="broken")
    with pytest.raises(WorkerStartFailed, match="broken could not start: RuntimeError: no model"):
        w.start()
    assert not w.alive
    w.close()


def test_close_stops_the_process(worker: SupervisedWorker) -> None:
    pid = worker.pid
    assert pid is not None
    worker.close()
    assert not worker.alive
    with pytest.raises(OSError):
        os.kill(pid, 0)  # gone (reaped by close)
