"""Live camera view: the page (``/live``, or for a plan ``/live?plan=ID``) and its WebSocket.

The page asks for the camera and sends frames; the WebSocket ``/live/ws`` answers
each frame with the points (see :mod:`acuface.web.live` for the protocol, the
worker and the limits). The WebSocket is a plain Starlette route because FastAPI's
app-wide HTTP dependencies (sign-in gate, CSRF) do not apply to WebSockets: it
makes the same checks itself, before accepting: same-origin handshake (the CSRF
equivalent), signed-in active user from the session cookie, clinical role, the
client or plan exists, and an audit entry for opening (and closing) the view.
"""

from __future__ import annotations

from typing import Annotated, Any

import anyio
from fastapi import APIRouter, Query, Request
from fastapi.responses import Response
from starlette.routing import WebSocketRoute
from starlette.websockets import WebSocket, WebSocketDisconnect

from acuface.clinic import db
from acuface.clinic import services as svc
from acuface.clinic.schemas import Actor, LiveViewDTO
from acuface.errors import AcufaceError, WorkerError
from acuface.locator.live import MAX_FRAME_BYTES, STEADY_MM_S
from acuface.locator.render import _FALLBACK, CHANNELS, channel_of
from acuface.web.deps import ClinicalActor, SessionDep, client_ip, load_user
from acuface.web.facemap import point_info
from acuface.web.live import FRAME_HEADER, JPEG_QUALITY, MAX_IN_FLIGHT, LiveStats, run_connection
from acuface.web.security import same_origin
from acuface.web.templating import render

router = APIRouter(include_in_schema=False)

_MAX_ID = 2_147_483_647
OptionalId = Annotated[int | None, Query(ge=1, le=_MAX_ID)]


def _channel_colours() -> dict[str, str]:
    """Channel -> CSS colour, from the locator's overlay palette (one palette)."""
    out = {ch: "#{:02x}{:02x}{:02x}".format(*rgb) for ch, (rgb, _) in CHANNELS.items()}
    out[""] = "#{:02x}{:02x}{:02x}".format(*_FALLBACK[0])
    return out


def _point_entry(code: str, sides: list[str], reasons: list[str]) -> dict[str, Any]:
    info = point_info(code, reasons)
    return {
        "code": code,
        "name": info["name"],
        "channel": channel_of(code),
        "sides": sides,
        "cautions": info["cautions"],
    }


@router.get("/live", name="live_page")
def live_page(
    request: Request,
    session: SessionDep,
    actor: ClinicalActor,
    plan: OptionalId = None,
    client: OptionalId = None,
    raw: bool = False,
) -> Response:
    """Show the live camera view: the plan's points (or all points) on the client's face."""
    plan_dto = svc.get_plan(session=session, actor=actor, plan_id=plan) if plan else None
    client_id = plan_dto.client_id if plan_dto is not None else client
    client_dto = (
        svc.get_client(session=session, actor=actor, client_id=client_id) if client_id else None
    )
    points: list[dict[str, Any]] = []
    if plan_dto is not None:
        for pt in plan_dto.plan.points:
            if pt.region == "body":
                continue
            points.append(_point_entry(pt.code, list(pt.sides), pt.reasons))
    query = []
    if plan_dto is not None:
        query.append(f"plan={plan_dto.id}")
    elif client_dto is not None:
        query.append(f"client={client_dto.id}")
    if raw:
        query.append("raw=1")
    config = {
        "ws_path": "/live/ws" + ("?" + "&".join(query) if query else ""),
        "plan_points": points,
        "show_all": plan_dto is None,
        "colours": _channel_colours(),
        "client": None if client_dto is None else {"id": client_dto.id, "name": client_dto.name},
        "upload_url": None if client_dto is None else f"/api/clients/{client_dto.id}/photos",
        "check_url": "/api/photos/check",
        "steady_mm_s": STEADY_MM_S,
        "jpeg_quality": JPEG_QUALITY,
        "max_in_flight": MAX_IN_FLIGHT,
        "enabled": request.app.state.live_hub.max_connections > 0,
    }
    return render(
        request,
        "live.html",
        {"plan": plan_dto, "client": client_dto, "points": points, "config": config},
    )


def _open_view(
    ws: WebSocket, client_id: int | None, plan_id: int | None
) -> tuple[Actor, LiveViewDTO]:
    """Sign-in, role, record and audit checks of a handshake (runs in a thread: DB work)."""
    with db.session_scope(ws.app.state.engine) as session:
        user = load_user(ws, session)
        actor = Actor.from_user(user, client_ip(ws))
        view = svc.open_live_view(
            session=session, actor=actor, client_id=client_id, plan_id=plan_id
        )
    return actor, view


def _still_allowed(ws: WebSocket) -> bool:
    """Whether the view's user is still signed in and active (re-checked periodically)."""
    try:
        with db.session_scope(ws.app.state.engine) as session:
            ws.state.user = None  # re-read, do not trust the value cached at the handshake
            load_user(ws, session)
    except AcufaceError:
        return False
    return True


def _close_view(ws: WebSocket, actor: Actor, view: LiveViewDTO, stats: LiveStats) -> None:
    with db.session_scope(ws.app.state.engine) as session:
        svc.close_live_view(
            session=session, actor=actor, view=view, frames=stats.frames, seconds=stats.seconds
        )


def _query_id(ws: WebSocket, name: str) -> int | None:
    raw = ws.query_params.get(name)
    if raw is None:
        return None
    if not raw.isdigit() or not 1 <= int(raw) <= _MAX_ID:
        raise ValueError(name)
    return int(raw)


async def live_socket(ws: WebSocket) -> None:
    """Serve the live view's WebSocket: checks first, then one tracker per connection."""
    settings = ws.app.state.web_settings
    hub = ws.app.state.live_hub
    # Refusals happen before accepting: the browser sees a failed handshake (403).
    if not same_origin(ws.headers, secure=settings.cookie_secure):
        await ws.close(code=1008)
        return
    try:
        client_id, plan_id = _query_id(ws, "client"), _query_id(ws, "plan")
        actor, view = await anyio.to_thread.run_sync(_open_view, ws, client_id, plan_id)
    except (ValueError, AcufaceError):
        await ws.close(code=1008)
        return
    await ws.accept()
    if not await hub.acquire():
        await ws.send_json(
            {
                "type": "error",
                "code": "busy",
                "message": f"All {hub.max_connections} live views of this server are in use. "
                "Close another live view, or try again in a moment.",
            }
        )
        await ws.close(code=1013, reason="busy")
        return
    worker = hub.new_worker(with_raw=ws.query_params.get("raw") == "1")
    stats = LiveStats()
    try:
        await ws.send_json({"type": "starting"})
        try:
            await anyio.to_thread.run_sync(worker.start, limiter=hub.limiter)
            layout = await anyio.to_thread.run_sync(worker.call, ("layout",), limiter=hub.limiter)
        except WorkerError as exc:
            await ws.send_json({"type": "error", "code": "tracker", "message": exc.message})
            await ws.close(code=1011, reason="tracker unavailable")
            return
        await ws.send_json({"type": "ready", **layout})

        async def still_allowed() -> bool:
            return bool(await anyio.to_thread.run_sync(_still_allowed, ws))

        stats = await run_connection(
            ws,
            worker,
            hub.limiter,
            still_allowed=still_allowed,
            max_frame_bytes=_max_frame_bytes(),
        )
    except WebSocketDisconnect:
        pass  # the page went away (e.g. while the tracker was starting)
    finally:
        # Shielded: a cancelled connection (server shutdown, client gone) must
        # still stop its worker, free its slot and write its audit entry.
        with anyio.CancelScope(shield=True):
            await anyio.to_thread.run_sync(worker.close)
            await hub.release()
            await anyio.to_thread.run_sync(_close_view, ws, actor, view, stats)


def _max_frame_bytes() -> int:
    return MAX_FRAME_BYTES + FRAME_HEADER.size


router.routes.append(WebSocketRoute("/live/ws", live_socket, name="live_socket"))
