"""Web test fixtures: a migrated temp data directory, named users, signed-in clients.

Browser tests (``-m browser``) get ``pw``, ``browser`` and ``page`` from here, built on
``tests/web/browser.py``; their module provides ``site_url`` (its server's base URL) and
may override ``console_allowed`` (console errors that are deliberate refusals).

Who is who: ``tests/people.py`` (the same cast as the clinic and report tests). The
fixtures ``ada`` (admin), ``pat`` and ``lian`` (practitioners) and ``rita`` (reception)
are test clients signed in as them; ``alice`` is the old name of ``ada`` (in these
tests alice was the admin), kept for branches written before the cast was shared.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from people import ADMIN, PRACTITIONER, RECEPTION, SECOND_PRACTITIONER, Person
from pgtest import pg_unavailable
from realprocs import launch_chromium

from . import browser as chromium
from .webhelpers import login, make_data_dir, postgres_app


@pytest.fixture(scope="module")
def web_env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, object]]:
    """A migrated data dir, the app over it, and the user ids (one per test module)."""
    from acuface.web.main import create_app
    from acuface.web.settings import WebSettings

    root = tmp_path_factory.mktemp("acuface-web")
    settings, ids = make_data_dir(root)
    app = create_app(WebSettings(core=settings, cookie_secure=False))  # type: ignore[arg-type]
    yield {"app": app, "ids": ids, "settings": settings}
    app.state.engine.dispose()


@pytest.fixture()
def app(web_env: dict[str, object]):  # noqa: ANN201
    a = web_env["app"]
    a.state.login_throttle.clear()  # type: ignore[attr-defined]
    return a


@pytest.fixture()
def anon(app) -> TestClient:  # noqa: ANN001
    return TestClient(app, base_url="http://127.0.0.1")


def _signed_in(app, person: Person) -> TestClient:  # noqa: ANN001
    return login(TestClient(app, base_url="http://127.0.0.1"), person.username)


@pytest.fixture()
def ada(app) -> TestClient:  # noqa: ANN001
    """Signed in as the admin."""
    return _signed_in(app, ADMIN)


@pytest.fixture()
def pat(app) -> TestClient:  # noqa: ANN001
    """Signed in as the practitioner."""
    return _signed_in(app, PRACTITIONER)


@pytest.fixture()
def lian(app) -> TestClient:  # noqa: ANN001
    """Signed in as the second practitioner."""
    return _signed_in(app, SECOND_PRACTITIONER)


@pytest.fixture()
def rita(app) -> TestClient:  # noqa: ANN001
    """Signed in as reception."""
    return _signed_in(app, RECEPTION)


@pytest.fixture()
def alice(ada: TestClient) -> TestClient:
    """Old name of :func:`ada`."""
    return ada


@pytest.fixture(
    scope="module", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]
)
def any_db_app(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory):  # noqa: ANN201
    """The app on SQLite and on PostgreSQL (skipped with the reason when it is unreachable)."""
    if request.param == "sqlite":
        from acuface.web.main import create_app
        from acuface.web.settings import WebSettings

        settings, ids = make_data_dir(tmp_path_factory.mktemp("acuface-any"))
        app = create_app(WebSettings(core=settings, cookie_secure=False))  # type: ignore[arg-type]
        app.state.test_user_ids = ids
        yield app
        app.state.engine.dispose()
        return
    reason = pg_unavailable()
    if reason:
        pytest.skip(reason)
    with postgres_app(tmp_path_factory.mktemp("acuface-any-pg"), cookie_secure=False) as app:
        yield app


@pytest.fixture(scope="module")
def pw() -> Iterator[Any]:
    """One Playwright driver per module (a second one cannot run beside it)."""
    chromium.ensure_chromium()
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as p:
        yield p


@pytest.fixture(scope="module")
def browser(pw: Any) -> Iterator[Any]:
    """Debian's Chromium, headless, one per module."""
    b = launch_chromium(pw)
    yield b
    b.close()


@pytest.fixture()
def console_allowed() -> tuple[str, ...]:
    """Console errors a module provokes on purpose (override it: ``("status of 403",)``)."""
    return ()


@pytest.fixture()
def page(browser: Any, site_url: str, console_allowed: tuple[str, ...]) -> Iterator[Any]:
    """A fresh page on the module's server; fails the test on any script or CSP error."""
    ctx, pg, errors = chromium.open_page(browser, site_url, allowed=console_allowed)
    yield pg
    ctx.close()
    chromium.assert_no_errors(errors)
