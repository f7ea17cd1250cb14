"""A page view hops to a worker thread only for I/O (each hop waits for the GIL under load).

FastAPI runs every plain ``def`` dependency and endpoint in a worker thread; under
load each hop queues for the GIL behind the threads already running. The
dependencies that do no I/O are coroutines, and the session middleware writes (in
a thread) only when something changed, so a signed-in page view takes exactly
these hops: the session read, the database session's start and end, the sign-in
check and the endpoint itself.
"""

from __future__ import annotations

import functools
from typing import Any

import anyio.to_thread
import pytest
from fastapi.testclient import TestClient

#: The hops of a signed-in GET whose session needs no write: the session read, the
#: database session's start, the sign-in check, the endpoint, the database session's
#: end (commit). FastAPI validates a plain ``def`` endpoint's ``response_model`` in
#: one more (the JSON API).
PAGE_HOPS = 5
API_HOPS = PAGE_HOPS + 1


def _name(func: Any) -> str:
    while isinstance(func, functools.partial):
        func = func.func
    return str(getattr(func, "__name__", type(func).__name__))


def _count_hops(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    names: list[str] = []
    real = anyio.to_thread.run_sync

    async def counting(func: Any, *args: Any, **kwargs: Any) -> Any:
        names.append(_name(func))
        return await real(func, *args, **kwargs)

    monkeypatch.setattr(anyio.to_thread, "run_sync", counting)
    return names


@pytest.mark.parametrize("path", ["/today", "/clients", "/api/clients", "/api/me"])
def test_a_page_view_hops_to_a_thread_only_for_io(
    pat: TestClient, monkeypatch: pytest.MonkeyPatch, path: str
) -> None:
    assert pat.get(path).status_code == 200  # the session's touch is written here
    names = _count_hops(monkeypatch)
    assert pat.get(path).status_code == 200
    # Counted whatever FastAPI's wrappers are called: a dependency that does no
    # I/O but is a plain ``def`` would add one.
    assert len(names) == (API_HOPS if path.startswith("/api/") else PAGE_HOPS), names
    assert "load" in names and "save" not in names, names


def test_a_changed_session_is_written_in_a_thread(
    pat: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The write is planned on the loop and done in a thread (store I/O)."""
    import acuface.web.login_sessions as ls

    assert pat.get("/today").status_code == 200
    names = _count_hops(monkeypatch)
    clock = ls._now() + ls.TOUCH_S + 1  # past the touch interval: last-seen is written
    monkeypatch.setattr(ls, "_now", lambda: clock)
    assert pat.get("/today").status_code == 200
    assert names.count("save") == 1, names
