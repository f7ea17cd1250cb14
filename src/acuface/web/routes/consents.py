"""Consents on the client record: record (typed name, signature drawn), view, withdraw.

The signature pad is ``static/js/signature.js`` (served by the app: CSP ``script-src
'self'``); it puts the drawing into the form as a PNG data URL. The witness is the
signed-in user. Routes only compose: the rules live in ``clinic.services.consents``.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import BaseModel, ConfigDict, ValidationError

from acuface.clinic import services as svc
from acuface.clinic.consent_texts import CONSENT_KINDS, current_text, text_by_id
from acuface.clinic.schemas import ConsentCreate, ConsentDTO, RecordDate
from acuface.errors import InvalidAnswers
from acuface.web.deps import API_ERRORS, ClinicalActor, FormDep, RecordId, SessionDep, api_router
from acuface.web.templating import flash, render

router = APIRouter(include_in_schema=False)

#: Words for each kind on the pages.
KIND_LABELS = {
    "treatment": "Treatment",
    "photography": "Photography",
    "research": "Outcome research (de-identified data)",
    "data_processing": "Data processing",
    "other": "Other",
}


def _status(consents: list[ConsentDTO]) -> dict[str, ConsentDTO | None]:
    """Return the active consent of each kind (newest first in *consents*), or None."""
    return {k: next((c for c in consents if c.kind == k and c.active), None) for k in CONSENT_KINDS}


@router.get("/clients/{client_id}/consents", name="consents")
def consents_page(
    request: Request, session: SessionDep, actor: ClinicalActor, client_id: RecordId
) -> Response:
    """Show the client's consents: what is on file for each kind, and the history."""
    client = svc.get_client(session=session, actor=actor, client_id=client_id)
    consents = svc.list_consents(session=session, actor=actor, client_id=client_id)
    return render(
        request,
        "consents/list.html",
        {
            "client": client,
            "consents": consents,
            "status": _status(consents),
            "kinds": CONSENT_KINDS,
            "labels": KIND_LABELS,
        },
    )


@router.get("/clients/{client_id}/consents/new", name="consent_new")
def consent_new(
    request: Request,
    session: SessionDep,
    actor: ClinicalActor,
    client_id: RecordId,
    kind: Annotated[str, Query(max_length=30)] = "treatment",
) -> Response:
    """Show the consent text of *kind* to read, the typed name and the signature pad."""
    client = svc.get_client(session=session, actor=actor, client_id=client_id)
    if kind not in CONSENT_KINDS:
        kind = "treatment"
    return render(
        request,
        "consents/new.html",
        {
            "client": client,
            "kind": kind,
            "text": current_text(kind),
            "kinds": CONSENT_KINDS,
            "labels": KIND_LABELS,
            "today": date.today(),
        },
    )


@router.post("/clients/{client_id}/consents", name="consent_create")
def consent_create(
    request: Request, form: FormDep, session: SessionDep, actor: ClinicalActor, client_id: RecordId
) -> Response:
    """Record the consent signed on the tablet and open it."""
    fields = {
        key: str(form.get(key) or "").strip() or None
        for key in ("kind", "signed_by", "signed_on", "document_version", "note")
    }
    signature = str(form.get("signature_png") or "").strip()
    if not signature:
        raise InvalidAnswers("The signature pad is empty: ask the client to sign in the box.")
    try:
        data = ConsentCreate(
            **{k: v for k, v in fields.items() if v is not None},
            granted=form.get("granted", "yes") != "no",
            signature_png=signature,
        )
    except ValidationError as exc:
        err = exc.errors()[0]
        where = ".".join(str(p) for p in err["loc"])
        raise InvalidAnswers(f"The consent form is incomplete: {where}: {err['msg']}") from None
    consent = svc.record_consent(session=session, actor=actor, client_id=client_id, data=data)
    flash(request, f"{KIND_LABELS[consent.kind]} consent recorded.", "success")
    return RedirectResponse(f"/consents/{consent.id}", status_code=303)


@router.get("/consents/{consent_id}", name="consent_page")
def consent_page(
    request: Request, session: SessionDep, actor: ClinicalActor, consent_id: RecordId
) -> Response:
    """Show one consent: the text version shown, the signature, witness, withdrawal."""
    consent = svc.get_consent(session=session, actor=actor, consent_id=consent_id)
    client = svc.get_client(session=session, actor=actor, client_id=consent.client_id)
    return render(
        request,
        "consents/page.html",
        {
            "client": client,
            "c": consent,
            "text": text_by_id(consent.document_version),
            "labels": KIND_LABELS,
            "today": date.today(),
        },
    )


@router.get("/consents/{consent_id}/signature.png", name="consent_signature")
def consent_signature(session: SessionDep, actor: ClinicalActor, consent_id: RecordId) -> Response:
    """Serve the drawn signature (PNG); never cached by the browser: part of the record."""
    data = svc.consent_signature(session=session, actor=actor, consent_id=consent_id)
    return Response(data, media_type="image/png")


@router.post("/consents/{consent_id}/withdraw", name="consent_withdraw")
def consent_withdraw(
    request: Request,
    session: SessionDep,
    actor: ClinicalActor,
    consent_id: RecordId,
    withdrawn_on: Annotated[str, Form(max_length=10)] = "",
) -> Response:
    """Record the withdrawal (default today); the signed original stays on record."""
    try:
        when = date.fromisoformat(withdrawn_on) if withdrawn_on.strip() else None
    except ValueError:
        raise InvalidAnswers(f"{withdrawn_on!r} is not a date (YYYY-MM-DD).") from None
    consent = svc.withdraw_consent(
        session=session, actor=actor, consent_id=consent_id, withdrawn_on=when
    )
    flash(request, f"{KIND_LABELS[consent.kind]} consent withdrawn.", "info")
    return RedirectResponse(f"/consents/{consent_id}", status_code=303)


# --- JSON API (same session, roles and CSRF as the pages) ---------------------

api = api_router()


class WithdrawIn(BaseModel):
    """A withdrawal of a consent (default today)."""

    model_config = ConfigDict(extra="forbid")

    withdrawn_on: RecordDate | None = None


@api.get("/clients/{client_id}/consents", response_model=list[ConsentDTO], responses=API_ERRORS)
def list_consents(session: SessionDep, actor: ClinicalActor, client_id: RecordId) -> Any:
    """List the client's consents, newest first (withdrawn ones too)."""
    return svc.list_consents(session=session, actor=actor, client_id=client_id)


@api.post(
    "/clients/{client_id}/consents",
    response_model=ConsentDTO,
    status_code=201,
    responses=API_ERRORS,
)
def record_consent(
    session: SessionDep, actor: ClinicalActor, client_id: RecordId, data: ConsentCreate
) -> Any:
    """Record a consent: ``kind``, ``signed_by`` (typed name), optional ``signature_png``.

    The signature is base64 PNG (a ``data:image/png;base64,`` URL is accepted); the
    witness is the signed-in user; ``document_version`` defaults to the kind's text.
    """
    return svc.record_consent(session=session, actor=actor, client_id=client_id, data=data)


@api.get("/consents/{consent_id}", response_model=ConsentDTO, responses=API_ERRORS)
def get_consent(session: SessionDep, actor: ClinicalActor, consent_id: RecordId) -> Any:
    """Return one consent."""
    return svc.get_consent(session=session, actor=actor, consent_id=consent_id)


@api.post("/consents/{consent_id}/withdraw", response_model=ConsentDTO, responses=API_ERRORS)
def withdraw_consent(
    session: SessionDep, actor: ClinicalActor, consent_id: RecordId, data: WithdrawIn
) -> Any:
    """Withdraw a consent (dated; the original stays on record)."""
    return svc.withdraw_consent(
        session=session, actor=actor, consent_id=consent_id, withdrawn_on=data.withdrawn_on
    )
