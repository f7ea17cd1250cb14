"""Live camera views: who may open one, and the audit trail of each.

The frames themselves never reach the clinic: they are analysed in memory and
dropped. What is recorded is that a user watched a client's face live (opening and
closing, with the number of frames and the duration), as for any other read of
client data; a frame kept with "freeze" goes through :func:`add_photo` like any
upload.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from acuface.clinic import models as m
from acuface.clinic.access import Action, authorize
from acuface.clinic.schemas import Actor, LiveViewDTO
from acuface.clinic.services._common import audit, client_record, live_client
from acuface.errors import InvalidRecord


def open_live_view(
    *, session: Session, actor: Actor, client_id: int | None = None, plan_id: int | None = None
) -> LiveViewDTO:
    """Allow and audit the opening of a live camera view.

    Parameters
    ----------
    session : Session
    actor : Actor
        Must have a clinical role.
    client_id : int, optional, keyword-only
        The client in front of the camera.
    plan_id : int, optional, keyword-only
        The plan whose points are drawn; implies its client.

    Returns
    -------
    LiveViewDTO

    Raises
    ------
    PermissionDenied
        For reception.
    NotFound
        No such client or plan (or the client is deleted).
    InvalidRecord
        The plan belongs to another client.
    """
    authorize(actor, Action.LIVE_VIEW)
    if plan_id is not None:
        plan = client_record(session, m.Plan, plan_id, "plan")
        if client_id is not None and plan.client_id != client_id:
            raise InvalidRecord(f"Plan {plan_id} belongs to another client.")
        client_id = plan.client_id
    if client_id is not None:
        live_client(session, client_id)
    audit(
        session,
        actor,
        "live.open",
        "live_view",
        plan_id,
        client_id=client_id,
        detail={"plan_id": plan_id},
    )
    return LiveViewDTO(client_id=client_id, plan_id=plan_id)


def close_live_view(
    *, session: Session, actor: Actor, view: LiveViewDTO, frames: int, seconds: float
) -> None:
    """Audit the end of a live view (how many frames were analysed, for how long).

    Parameters
    ----------
    session : Session
    actor : Actor
    view : LiveViewDTO
        What :func:`open_live_view` returned.
    frames : int
        Frames analysed.
    seconds : float
        How long the view was open.
    """
    audit(
        session,
        actor,
        "live.close",
        "live_view",
        view.plan_id,
        client_id=view.client_id,
        detail={"frames": int(frames), "seconds": round(float(seconds), 1)},
    )
