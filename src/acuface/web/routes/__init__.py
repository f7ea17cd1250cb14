"""Route modules, one per resource; ``ROUTERS`` is what ``create_app`` includes."""

from __future__ import annotations

from fastapi import APIRouter

from acuface.web.routes import (
    admin_users,
    api,
    atlas,
    auth,
    clients,
    intakes,
    live,
    photos,
    plans,
    progress,
    sessions,
    today,
)

ROUTERS: tuple[APIRouter, ...] = (
    auth.router,
    today.router,
    clients.router,
    intakes.router,
    plans.router,
    sessions.router,
    photos.router,
    live.router,
    progress.router,
    atlas.router,
    admin_users.router,
    api.router,
)
