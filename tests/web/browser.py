"""What every browser test shares: Debian Chromium through Playwright, signed-in pages.

The fixtures built on these (``pw``, ``browser``, ``page``) live in
``tests/web/conftest.py``; a browser test module provides ``site_url`` (the base URL
of its server) and, where it provokes refusals on purpose, ``console_allowed``.

- :func:`serve` serves the app over a data dir (``webhelpers.make_data_dir``) with
  uvicorn in a thread, for the browser to reach.
- :func:`ensure_chromium` skips with the reason when ``/usr/bin/chromium`` is absent
  (tests never install a browser).
- ``realprocs.launch_chromium`` (``tests/realprocs.py``, shared with the benchmarks)
  starts Chromium headless, with extra flags (``realprocs.FAKE_CAMERA``).
- :func:`open_page` opens a page in a fresh context and collects its script errors,
  console errors and CSP violations; :func:`assert_no_errors` checks them.
- :func:`sign_in` goes through the real login form; :func:`shot` takes a screenshot.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from people import PASSWORD
from realprocs import CHROMIUM

from .webhelpers import serve_in_thread

VIEWPORT = {"width": 1360, "height": 900}
DOCS_SHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
#: Screenshots refresh docs/screenshots/ only when asked (ACUFACE_SCREENSHOTS=1), so an
#: ordinary test run leaves the committed images alone; otherwise they go to a temp dir.
SHOTS = (
    DOCS_SHOTS
    if os.environ.get("ACUFACE_SCREENSHOTS") == "1"
    else Path(os.environ.get("TMPDIR", "/tmp")) / f"acuface-screenshots-{os.getpid()}"
)


@contextmanager
def serve(settings: Any) -> Iterator[tuple[Any, str]]:
    """The web app over *settings* served on a free port; yields ``(app, base_url)``.

    The app's engine stays usable (tests record consents or notes directly) until the
    block ends.
    """
    from acuface.web.main import create_app
    from acuface.web.settings import WebSettings

    app = create_app(WebSettings(core=settings))
    try:
        with serve_in_thread(app) as url:
            yield app, url
    finally:
        app.state.engine.dispose()


def ensure_chromium() -> None:
    """Skip with the reason when Debian's Chromium is absent (tests never install it)."""
    if not Path(CHROMIUM).exists():
        pytest.skip(f"{CHROMIUM} is missing: install Debian's chromium (`.ci/run` does, as root)")


def open_page(
    browser: Any,
    base_url: str,
    *,
    allowed: Iterable[str] = (),
    timeout_ms: int = 90_000,
    **context_args: Any,
) -> tuple[Any, Any, list[str]]:
    """A new context and page on *base_url*, and the list its errors go to.

    Parameters
    ----------
    browser : playwright Browser
    base_url : str
        The server the page's relative URLs go to.
    allowed : iterable of str
        Console errors containing one of these are deliberate (a test provoking a 403
        or a 409 makes the browser log the status); every other error is a defect.
    timeout_ms : int
        Playwright's default timeout for the page: generous, because on the shared
        two-core machine the first photo check of a server starts an analysis worker
        (at a lower priority than the server) and took more than 30 s under load.
    **context_args
        More arguments of ``browser.new_context`` (``permissions=["camera"]``).

    Returns
    -------
    (context, page, errors)
        ``errors`` fills with uncaught script errors and console errors (CSP
        violations are console errors); close the context, then
        :func:`assert_no_errors`.
    """
    allowed = tuple(allowed)
    ctx = browser.new_context(viewport=VIEWPORT, base_url=base_url, **context_args)
    page = ctx.new_page()
    page.set_default_timeout(timeout_ms)
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))

    def on_console(message: Any) -> None:
        if message.type == "error" and not any(a in message.text for a in allowed):
            errors.append(message.text)

    page.on("console", on_console)
    return ctx, page, errors


def assert_no_errors(errors: list[str]) -> None:
    """No script errors, no console errors, no CSP violations on any page visited."""
    assert errors == []


def sign_in(page: Any, username: str) -> None:
    """Sign in as *username* (``tests/people.py``) through the login form; lands on today."""
    page.goto("/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("main form button[type=submit]")
    page.wait_for_url("**/today")


def shot(page: Any, name: str) -> None:
    """Save a full-page screenshot *name*.png in :data:`SHOTS` (a real rendering)."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    path = SHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    assert path.stat().st_size > 10_000  # a real rendering, not a blank page
