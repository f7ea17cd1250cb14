"""Route modules, one per resource (its pages in ``router``, its JSON in ``api``).

``ROUTERS`` is what ``create_app`` includes.
"""

from __future__ import annotations

from fastapi import APIRouter

from acuface.web.routes import (
    admin_audit,
    admin_sessions,
    admin_users,
    atlas,
    auth,
    calendar,
    clients,
    consents,
    intakes,
    live,
    photos,
    plans,
    progress,
    sessions,
    settings,
    today,
)

ROUTERS: tuple[APIRouter, ...] = (
    auth.router,
    today.router,
    calendar.router,
    clients.router,
    consents.router,
    intakes.router,
    plans.router,
    sessions.router,
    photos.router,
    live.router,
    progress.router,
    atlas.router,
    admin_users.router,
    admin_audit.router,
    admin_sessions.router,
    settings.router,
    # Each resource's JSON endpoints live beside its pages, under /api.
    auth.api,
    today.api,
    calendar.api,
    clients.api,
    consents.api,
    intakes.api,
    plans.api,
    sessions.api,
    progress.api,
    photos.api,
    atlas.api,
    settings.api,
)
