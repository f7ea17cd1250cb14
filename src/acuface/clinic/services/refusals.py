"""Audit of refused and not-found requests: probes leave a trace, like reads do."""

from __future__ import annotations

import json
import re

from sqlalchemy.orm import Session

from acuface.clinic import auditlog
from acuface.clinic.schemas import Actor
from acuface.clinic.services._common import audit

#: A client's id in a page or API path (``/clients/12/...``, ``/api/clients/12``).
_CLIENT_PATH = re.compile(r"^/(?:api/)?clients/(\d{1,10})(?:/|$)")


def client_of_path(path: str) -> int | None:
    """Return the client id a request path names, or ``None``."""
    match = _CLIENT_PATH.match(path)
    if match is None:
        return None
    value = int(match.group(1))
    return value if value <= 2_147_483_647 else None


def record_refusal(
    *,
    session: Session,
    actor: Actor | None,
    source: str,
    status: int,
    method: str,
    path: str,
    reason: str,
) -> None:
    """Audit a request refused (403) or for a record that does not exist (404).

    Parameters
    ----------
    session : Session
        Database session (a short transaction of its own).
    actor : Actor or None
        The signed-in user; ``None`` when nobody is (the entry says ``anonymous``).
    source : str
        Client address.
    status : int
        403 or 404 (``access.denied`` or ``access.not_found``).
    method, path : str
        The request (the path is kept to 200 characters, without the query).
    reason : str
        The error's type (``PermissionDenied``, ``NotFound``, ``CsrfError`` ...).
    """
    action = "access.denied" if status == 403 else "access.not_found"
    detail = {"method": method, "path": path[:200], "reason": reason[:60]}
    client_id = client_of_path(path)
    if actor is not None:
        audit(session, actor, action, "request", client_id=client_id, detail=detail)
        return
    # Nobody signed in: no role to record.
    auditlog.record(
        session,
        {
            "user_id": None,
            "username": "anonymous",
            "role": None,
            "action": action,
            "record_type": "request",
            "record_id": None,
            "client_id": client_id,
            "source": source[:100],
            "detail": json.dumps(detail, sort_keys=True),
        },
    )
