"""The one helper that gives a test client the consents the gates ask for.

Signing a session note needs the client's treatment consent and adding a photo
needs photography consent (``clinic.services.consents``). Tests that sign notes
or add photos, but test something else, get those consents here, so that the
gates are never weakened for tests and a change to what consent needs is made
in one place.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from sqlalchemy.orm import Session

#: What the gates need: treatment (signing notes) and photography (photos).
GATED = ("treatment", "photography")


def give_consents(
    db_or_session: Session | sa.Engine | object,
    client_id: int,
    *,
    actor: object | None = None,
    kinds: Sequence[str] = GATED,
) -> None:
    """Record the client's consents of *kinds*, signed today by the client.

    Parameters
    ----------
    db_or_session : Session, Engine, or core Settings
        A session (the caller commits), or an engine / settings (committed here).
    client_id : int
        The client who consents.
    actor : Actor, optional
        Who records and witnesses it; default the system operator.
    kinds : sequence of str
        Consent kinds; default the two the gates need.
    """
    from acuface.clinic import db
    from acuface.clinic import services as svc
    from acuface.clinic.schemas import Actor, ConsentCreate

    who = actor if actor is not None else Actor.system(source="test")

    def record(session: Session) -> None:
        for kind in kinds:
            svc.record_consent(
                session=session,
                actor=who,  # type: ignore[arg-type]
                client_id=client_id,
                data=ConsentCreate(kind=kind, signed_by="Test Client"),  # type: ignore[arg-type]
            )

    if isinstance(db_or_session, Session):
        record(db_or_session)
        return
    engine = db_or_session
    owned = not isinstance(engine, sa.Engine)
    if owned:
        engine = db.make_engine(db_or_session.sqlalchemy_url)  # type: ignore[attr-defined]
    try:
        with db.session_scope(engine) as session:  # type: ignore[arg-type]
            record(session)
    finally:
        if owned:
            engine.dispose()  # type: ignore[union-attr]
