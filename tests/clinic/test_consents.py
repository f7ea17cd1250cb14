"""Consents: recorded with the text version, typed name, drawn signature and witness.

pat (practitioner) records and witnesses; rita (reception) may not see consents.
"""

from __future__ import annotations

import io
from datetime import date, timedelta

import pytest
from PIL import Image, ImageDraw
from sqlalchemy.orm import Session

from acuface.clinic import services as svc
from acuface.clinic.consent_texts import CONSENT_TEXTS, current_text
from acuface.clinic.schemas import Actor, ConsentCreate
from acuface.errors import AtlasError, ConsentMissing, InvalidRecord, PermissionDenied


def _png(*, inked: bool = True, size: tuple[int, int] = (600, 200)) -> bytes:
    img = Image.new("RGBA", size, (255, 255, 255, 0))
    if inked:
        ImageDraw.Draw(img).line(
            [(20, 150), (120, 40), (220, 160), (400, 60)], fill="navy", width=4
        )
    out = io.BytesIO()
    img.save(out, format="PNG")
    return out.getvalue()


def test_a_consent_keeps_text_version_name_signature_and_witness(
    session: Session, pat: Actor, client_id: int
) -> None:
    c = svc.record_consent(
        session=session,
        actor=pat,
        client_id=client_id,
        data=ConsentCreate(kind="photography", signed_by="Mara Lindqvist", signature_png=_png()),
    )
    assert c.document_version == current_text("photography").id
    assert c.signed_by == "Mara Lindqvist" and c.signed_on == date.today()
    assert c.witness_id == pat.user_id and c.witness_name == "Pat Moreau"
    assert c.has_signature and c.active
    png = svc.consent_signature(session=session, actor=pat, consent_id=c.id)
    with Image.open(io.BytesIO(png)) as img:
        assert img.format == "PNG" and img.size == (600, 200)
        assert img.convert("RGBA").getchannel("A").getbbox() is not None  # the strokes survive
    session.commit()  # entries of reads are written when the transaction ends
    entries = svc.list_audit(session=session, actor=Actor.system(), client_id=client_id)
    assert {"consent.create", "consent.read_signature"} <= {e.action for e in entries}


def test_withdrawal_is_dated_keeps_the_original_and_closes_the_gate(
    session: Session, pat: Actor, rita: Actor, client_id: int
) -> None:
    c = svc.record_consent(
        session=session,
        actor=pat,
        client_id=client_id,
        data=ConsentCreate(kind="photography", signed_by="Mara", signed_on=date(2026, 1, 5)),
    )
    svc.require_consent(session, client_id, "photography")
    with pytest.raises(InvalidRecord, match="before it was given"):
        svc.withdraw_consent(
            session=session, actor=pat, consent_id=c.id, withdrawn_on=date(2025, 1, 1)
        )
    with pytest.raises(InvalidRecord, match="future"):
        svc.withdraw_consent(
            session=session,
            actor=pat,
            consent_id=c.id,
            withdrawn_on=date.today() + timedelta(days=1),
        )
    w = svc.withdraw_consent(
        session=session, actor=pat, consent_id=c.id, withdrawn_on=date(2026, 3, 1)
    )
    assert w.granted and w.withdrawn_on == date(2026, 3, 1) and w.signed_on == date(2026, 1, 5)
    assert w.withdrawn_by == "pat" and not w.active
    with pytest.raises(InvalidRecord, match="already withdrawn"):
        svc.withdraw_consent(session=session, actor=pat, consent_id=c.id)
    with pytest.raises(ConsentMissing, match="photography consent") as info:
        svc.require_consent(session, client_id, "photography")
    assert info.value.http_status == 409
    assert info.value.link == f"/clients/{client_id}/consents/new?kind=photography"
    # Before the withdrawal date the consent held.
    assert svc.has_consent(session, client_id, "photography", on=date(2026, 2, 1))
    with pytest.raises(PermissionDenied):
        svc.list_consents(session=session, actor=rita, client_id=client_id)
    with pytest.raises(PermissionDenied):
        svc.record_consent(
            session=session,
            actor=rita,
            client_id=client_id,
            data=ConsentCreate(kind="treatment", signed_by="Mara"),
        )


def test_refused_consent_is_recorded_but_opens_no_gate(
    session: Session, pat: Actor, client_id: int
) -> None:
    svc.record_consent(
        session=session,
        actor=pat,
        client_id=client_id,
        data=ConsentCreate(kind="treatment", signed_by="Mara", granted=False),
    )
    listed = svc.list_consents(session=session, actor=pat, client_id=client_id)
    assert [c.granted for c in listed] == [False]
    assert not svc.has_consent(session, client_id, "treatment")


@pytest.mark.parametrize(
    ("case", "message"),
    [("gif", "readable PNG"), ("blank", "empty"), ("huge", "at most")],
)
def test_bad_signatures_are_refused(
    session: Session, pat: Actor, client_id: int, case: str, message: str
) -> None:
    signature = {
        "gif": b"GIF89a not a png",
        "blank": _png(inked=False),
        "huge": _png(size=(5000, 200)),
    }[case]
    with pytest.raises(InvalidRecord, match=message):
        svc.record_consent(
            session=session,
            actor=pat,
            client_id=client_id,
            data=ConsentCreate(kind="treatment", signed_by="Mara", signature_png=signature),
        )


def test_text_version_must_be_of_the_kind_and_the_date_not_ahead(
    session: Session, pat: Actor, client_id: int
) -> None:
    with pytest.raises(InvalidRecord, match="not a treatment consent text"):
        svc.record_consent(
            session=session,
            actor=pat,
            client_id=client_id,
            data=ConsentCreate(
                kind="treatment", signed_by="Mara", document_version="photography-2026-12"
            ),
        )
    with pytest.raises(InvalidRecord, match="future"):
        svc.record_consent(
            session=session,
            actor=pat,
            client_id=client_id,
            data=ConsentCreate(
                kind="treatment", signed_by="Mara", signed_on=date.today() + timedelta(days=3)
            ),
        )


def test_consent_texts_file_rejects_unknown_fields_and_needs_every_kind() -> None:
    good = CONSENT_TEXTS.load()
    assert {t.kind for t in good.consent_texts} == {"treatment", "photography", "research"}
    assert all(t.source for t in good.consent_texts)
    head = "schema_version: 1\nconsent_texts:\n"
    record = (
        "  - id: treatment-2027-01\n    kind: treatment\n    version: '2027-01'\n"
        "    title: Consent\n    paragraphs: [I agree.]\n    source: [acuface_practice]\n"
    )
    with pytest.raises(AtlasError, match="unknown field"):
        CONSENT_TEXTS.read_text(head + record + "    colour: blue\n")
    with pytest.raises(AtlasError, match="missing: photography, research"):
        CONSENT_TEXTS.read_text(head + record)


def test_gates_refuse_photos_and_signing_without_consent_and_store_nothing(
    session: Session,
    pat: Actor,
    client_id: int,
    store,
    portrait_paths,  # noqa: ANN001
) -> None:
    from acuface.clinic.schemas import SessionCreate

    with pytest.raises(ConsentMissing, match="photography consent"):
        svc.add_photo(
            session=session,
            actor=pat,
            client_id=client_id,
            data=portrait_paths[0].read_bytes(),
            analyse=False,
            store=store,
        )
    assert list(store.iter_hashes()) == []  # refused before any file was written
    s = svc.create_session(
        session=session,
        actor=pat,
        client_id=client_id,
        data=SessionCreate(session_date=date(2026, 11, 2)),
    )
    with pytest.raises(ConsentMissing, match="treatment consent"):
        svc.sign_session(session=session, actor=pat, session_id=s.id)
    # Photography consent does not open the treatment gate.
    svc.record_consent(
        session=session,
        actor=pat,
        client_id=client_id,
        data=ConsentCreate(kind="photography", signed_by="Mara"),
    )
    with pytest.raises(ConsentMissing):
        svc.sign_session(session=session, actor=pat, session_id=s.id)
