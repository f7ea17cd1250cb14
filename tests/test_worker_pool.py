"""Worker pools and function jobs: bounded, never blocking the event loop, healing after crashes.

The jobs run in spawned children (found by importing this module there) and do
what bad photos do to image libraries: abort the process (OpenCV's SIGABRT on a
32767 px image), run on and on, allocate gigabytes.
"""

from __future__ import annotations

import functools
import os
import threading
import time

import anyio
import pytest

from acuface.errors import (
    NotAnImage,
    WorkerCrashed,
    WorkerOutOfMemory,
    WorkerPoolBusy,
    WorkerTimeout,
)
from acuface.workers import FunctionRunner, Job, SupervisedWorker, WorkerLimits, WorkerPool

LIMITS = WorkerLimits(start_timeout_s=120, call_timeout_s=20, memory_mb=700)
_state: dict[str, object] = {"label": None, "calls": 0}


def _init(label: str) -> None:
    _state["label"] = label


def _pid() -> int:
    return os.getpid()


def _count() -> tuple[object, object]:
    _state["calls"] = int(_state["calls"]) + 1  # type: ignore[call-overload]
    return _state["label"], _state["calls"]


def _abort() -> None:
    os.abort()


def _sleep(seconds: float) -> str:
    time.sleep(seconds)
    return "slept"


def _allocate(megabytes: int) -> int:
    return len(bytearray(megabytes * 1024 * 1024))


def _refuse() -> None:
    raise NotAnImage("upload.bin: not a photo.")


def _job(fn, *args):  # noqa: ANN001, ANN202
    return Job(fn, args)


def _pool(size: int = 1, max_waiting: int = 4) -> WorkerPool:
    return WorkerPool(
        functools.partial(FunctionRunner, _init, "pool"),
        name="test job",
        size=size,
        limits=LIMITS,
        max_waiting=max_waiting,
    )


def test_function_jobs_see_their_initializers_state() -> None:
    pool = _pool()
    try:
        assert pool.run_sync(_count) == ("pool", 1)
        assert pool.run_sync(_count) == ("pool", 2)
        with pytest.raises(NotAnImage, match="not a photo"):
            pool.run_sync(_refuse)
        assert pool.run_sync(_count) == ("pool", 3)  # an Acuface error keeps the worker
    finally:
        pool.close()


def test_an_allocation_past_the_memory_limit_fails_inside_the_worker() -> None:
    worker = SupervisedWorker(functools.partial(FunctionRunner), name="hog", limits=LIMITS)
    try:
        first = worker.call(_job(_pid))
        with pytest.raises(WorkerOutOfMemory, match="700 MB") as info:
            worker.call(_job(_allocate, 4000))
        assert isinstance(info.value, WorkerCrashed)
        assert worker.call(_job(_pid)) != first  # a fresh process
        assert worker.call(_job(_allocate, 50)) == 50 * 1024 * 1024
    finally:
        worker.close()


def test_a_crash_names_the_signal_and_the_pool_restarts_the_worker_at_once() -> None:
    pool = _pool()
    try:
        first = pool.run_sync(_pid)
        with pytest.raises(WorkerCrashed, match="SIGABRT"):
            pool.run_sync(_abort)
        worker = pool.workers[0]
        # Restarted in the background, not on the next call: wait for it.
        for _ in range(600):
            if worker.alive:
                break
            time.sleep(0.1)
        assert worker.alive and worker.pid != first
        assert pool.run_sync(_pid) == worker.pid
    finally:
        pool.close()


def test_a_hung_job_is_stopped_and_the_pool_serves_the_next() -> None:
    pool = _pool()
    try:
        with pytest.raises(WorkerTimeout, match="longer than 1.0 s"):
            pool.run_sync(_sleep, 60.0, timeout_s=1.0)
        assert pool.run_sync(_sleep, 0.01) == "slept"
    finally:
        pool.close()


def test_the_waiting_line_is_bounded() -> None:
    pool = _pool(size=1, max_waiting=0)
    started = threading.Event()
    results: list[object] = []

    def long_call() -> None:
        with pool.lease() as worker:
            started.set()
            results.append(worker.call(_job(_sleep, 1.0)))

    thread = threading.Thread(target=long_call)
    thread.start()
    try:
        assert started.wait(120)
        with pytest.raises(WorkerPoolBusy, match="busy") as info:
            pool.run_sync(_pid)
        assert info.value.http_status == 503 and info.value.retry_after_s > 0
    finally:
        thread.join()
        pool.close()
    assert results == ["slept"]


def test_pool_calls_do_not_block_the_event_loop() -> None:
    pool = _pool()
    order: list[str] = []

    async def main() -> None:
        await pool.run(_pid)  # started and warm

        async def analysis() -> None:
            await pool.run(_sleep, 1.0)
            order.append("analysis done")

        async def page() -> None:
            await anyio.sleep(0.05)
            order.append("page done")

        async with anyio.create_task_group() as tg:
            tg.start_soon(analysis)
            tg.start_soon(page)

    try:
        anyio.run(main)
    finally:
        pool.close()
    assert order == ["page done", "analysis done"]


def test_a_lease_keeps_one_process_and_its_state() -> None:
    pool = _pool(size=2)
    try:
        with pool.lease() as worker:
            assert len({worker.call(_job(_pid)) for _ in range(3)}) == 1
            assert [worker.call(_job(_count))[1] for _ in range(2)] == [1, 2]
        assert {pool.run_sync(abs, -i) for i in range(4)} == {0, 1, 2, 3}
    finally:
        pool.close()
