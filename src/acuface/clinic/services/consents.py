"""Consents: treatment, photography and research, signed on the tablet, witnessed, withdrawn.

A consent records the version of the text the client read (``consent_texts.yaml``),
the date, the name the client typed, the signature they drew (a PNG) and the
witness (the signed-in user who records it). A withdrawal is dated and keeps the
original. Other services ask :func:`require_consent` before work that needs one:
no signed session note without treatment consent, no photo without photography
consent (:class:`~acuface.errors.ConsentMissing`, 409, with a link to record it).
"""

from __future__ import annotations

import io
from datetime import date

from PIL import Image, UnidentifiedImageError
from sqlalchemy import select
from sqlalchemy.orm import Session

from acuface.clinic import models as m
from acuface.clinic.access import Action, authorize
from acuface.clinic.consent_texts import current_text, text_by_id
from acuface.clinic.schemas import MAX_SIGNATURE_BYTES, Actor, ConsentCreate, ConsentDTO
from acuface.clinic.services._common import (
    add_audited,
    audit,
    author,
    client_record,
    list_client_rows,
    live_client,
    read_client_record,
)
from acuface.errors import ConsentMissing, InvalidRecord, NotFound

#: Largest signature canvas accepted, in pixels (a tablet-wide pad is about 900 x 300).
MAX_SIGNATURE_WH = (2400, 1200)

#: What each gated kind is needed for, in the :class:`ConsentMissing` message.
_NEEDED_FOR = {
    "treatment": "a session note can be signed",
    "photography": "photos can be added",
    "research": "the record can be used for outcome research",
}


def clean_signature(data: bytes) -> bytes:
    """Check a drawn signature and return it re-encoded as a plain PNG (no metadata).

    Parameters
    ----------
    data : bytes
        What the signature pad sent (PNG bytes).

    Returns
    -------
    bytes
        An RGBA PNG of the same pixels.

    Raises
    ------
    InvalidRecord
        Not a PNG, too large, or nothing drawn (every pixel blank).
    """
    if len(data) > MAX_SIGNATURE_BYTES:
        raise InvalidRecord(f"The signature image is larger than {MAX_SIGNATURE_BYTES} bytes.")
    try:
        with Image.open(io.BytesIO(data)) as img:
            if img.format != "PNG":
                raise InvalidRecord("The signature must be a PNG image.")
            if img.width > MAX_SIGNATURE_WH[0] or img.height > MAX_SIGNATURE_WH[1]:
                raise InvalidRecord(
                    f"The signature image is {img.width}x{img.height} px; at most "
                    f"{MAX_SIGNATURE_WH[0]}x{MAX_SIGNATURE_WH[1]}."
                )
            rgba = img.convert("RGBA")
    except (UnidentifiedImageError, OSError, Image.DecompressionBombError):
        raise InvalidRecord("The signature is not a readable PNG image.") from None
    # A stroke is opaque and not white; an untouched pad is transparent or white.
    alpha = rgba.getchannel("A").point(lambda a: 255 if a > 32 else 0)
    dark = rgba.convert("L").point(lambda v: 255 if v < 224 else 0)
    inked = Image.composite(dark, Image.new("L", rgba.size, 0), alpha)
    if inked.getbbox() is None:
        raise InvalidRecord("The signature pad is empty: ask the client to sign in the box.")
    out = io.BytesIO()
    rgba.save(out, format="PNG", optimize=True)
    return out.getvalue()


def _to_dto(row: m.Consent) -> ConsentDTO:
    return ConsentDTO(
        id=row.id,
        client_id=row.client_id,
        kind=row.kind,
        granted=row.granted,
        signed_on=row.signed_on,
        withdrawn_on=row.withdrawn_on,
        withdrawn_by=row.withdrawn_by,
        document_version=row.document_version,
        signed_by=row.signed_by,
        has_signature=row.signature_png is not None,
        witness_id=row.witness_id,
        witness_name=row.witness_name,
        note=row.note,
        created_at=row.created_at,
        created_by=row.created_by,
    )


def _witness_name(session: Session, actor: Actor) -> str:
    user = session.get(m.User, actor.user_id) if actor.user_id is not None else None
    return user.display_name if user is not None else actor.username


def record_consent(
    *, session: Session, actor: Actor, client_id: int, data: ConsentCreate
) -> ConsentDTO:
    """Record a consent given (or refused), witnessed by *actor*.

    Parameters
    ----------
    session : Session
        Database session (the caller commits).
    actor : Actor
        Who records it and witnesses the signature; a clinical role.
    client_id : int
        The client who signs.
    data : ConsentCreate
        Kind, typed name, date (default today), text version (default the kind's
        current text), the drawn signature (PNG) and a note.

    Returns
    -------
    ConsentDTO

    Raises
    ------
    InvalidRecord
        A text version of another kind or unknown, a date in the future, a bad signature.
    """
    authorize(actor, Action.WRITE_CONSENTS)
    live_client(session, client_id)
    text = text_by_id(data.document_version) if data.document_version else current_text(data.kind)
    if text is None or text.kind != data.kind:
        raise InvalidRecord(
            f"{data.document_version!r} is not a {data.kind} consent text; the current one is "
            f"{current_text(data.kind).id!r}."
        )
    signed_on = data.signed_on or date.today()
    if signed_on > date.today():
        raise InvalidRecord("A consent cannot be dated in the future.")
    signature = clean_signature(data.signature_png) if data.signature_png else None
    row = m.Consent(
        client_id=client_id,
        kind=data.kind,
        granted=data.granted,
        signed_on=signed_on,
        document_version=text.id,
        signed_by=data.signed_by,
        signature_png=signature,
        witness_id=actor.user_id,
        witness_name=_witness_name(session, actor),
        note=data.note,
        created_by=author(actor),
    )
    add_audited(
        session,
        actor,
        row,
        record_type="consent",
        detail={
            "kind": data.kind,
            "granted": data.granted,
            "text": text.id,
            "signature": signature is not None,
        },
    )
    return _to_dto(row)


def withdraw_consent(
    *, session: Session, actor: Actor, consent_id: int, withdrawn_on: date | None = None
) -> ConsentDTO:
    """Record that a consent was withdrawn (default today); the original stays on record.

    Raises
    ------
    InvalidRecord
        Already withdrawn, or a date before the consent or in the future.
    """
    authorize(actor, Action.WRITE_CONSENTS)
    row = client_record(session, m.Consent, consent_id, "consent")
    when = withdrawn_on or date.today()
    if row.withdrawn_on is not None:
        raise InvalidRecord(f"Consent {consent_id} was already withdrawn on {row.withdrawn_on}.")
    if when < row.signed_on:
        raise InvalidRecord("A consent cannot be withdrawn before it was given.")
    if when > date.today():
        raise InvalidRecord("A withdrawal cannot be dated in the future.")
    row.withdrawn_on = when
    row.withdrawn_by = author(actor)
    session.flush()
    audit(
        session,
        actor,
        "consent.withdraw",
        "consent",
        row.id,
        client_id=row.client_id,
        detail={"kind": row.kind, "withdrawn_on": when.isoformat()},
    )
    return _to_dto(row)


def list_consents(*, session: Session, actor: Actor, client_id: int) -> list[ConsentDTO]:
    """Return a client's consents, newest first (withdrawn ones too)."""
    rows = list_client_rows(
        session,
        actor,
        model=m.Consent,
        client_id=client_id,
        order_by=(m.Consent.signed_on.desc(), m.Consent.id.desc()),
        record_type="consent",
        action=Action.READ_CONSENTS,
    )
    return [_to_dto(r) for r in rows]


def get_consent(*, session: Session, actor: Actor, consent_id: int) -> ConsentDTO:
    """Return one consent (audited read)."""
    row = read_client_record(
        session,
        actor,
        model=m.Consent,
        record_id=consent_id,
        record_type="consent",
        action=Action.READ_CONSENTS,
    )
    return _to_dto(row)


def consent_signature(*, session: Session, actor: Actor, consent_id: int) -> bytes:
    """Return the PNG of a consent's drawn signature (audited).

    Raises
    ------
    NotFound
        No such consent, or it was recorded without a drawn signature.
    """
    authorize(actor, Action.READ_CONSENTS)
    row = client_record(session, m.Consent, consent_id, "consent")
    if row.signature_png is None:
        raise NotFound(f"Consent {consent_id} has no drawn signature.")
    audit(session, actor, "consent.read_signature", "consent", row.id, client_id=row.client_id)
    return bytes(row.signature_png)


def has_consent(session: Session, client_id: int, kind: str, *, on: date | None = None) -> bool:
    """Whether the client has a consent of *kind* given and not withdrawn (by *on*, today).

    No role check and no audit: this only answers yes or no for the gates of
    other services, which check and audit their own action.
    """
    day = on or date.today()
    found = session.scalar(
        select(m.Consent.id)
        .where(
            m.Consent.client_id == client_id,
            m.Consent.kind == kind,
            m.Consent.granted.is_(True),
            m.Consent.signed_on <= day,
            (m.Consent.withdrawn_on.is_(None)) | (m.Consent.withdrawn_on > day),
        )
        .limit(1)
    )
    return found is not None


def require_consent(session: Session, client_id: int, kind: str) -> None:
    """Refuse work that needs the client's consent of *kind* when none is active.

    Raises
    ------
    ConsentMissing
        409, naming the consent and carrying the link where it is recorded.
    """
    if has_consent(session, client_id, kind):
        return
    client = session.get(m.Client, client_id)
    who = f"{client.given_name} {client.family_name}" if client is not None else "this client"
    raise ConsentMissing(
        f"No {kind} consent on file for {who}: record the client's {kind} consent before "
        f"{_NEEDED_FOR.get(kind, 'this')}.",
        client_id=client_id,
        kind=kind,
    )
