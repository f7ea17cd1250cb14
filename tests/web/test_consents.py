"""Consents through the web: the API contract, the pages, the signature pad's PNG.

pat (practitioner) records consents and is the witness; rita (reception) may not
see them.
"""

from __future__ import annotations

import base64
import io

import pytest
from PIL import Image, ImageDraw

from .webhelpers import api_token, csrf_of


def _signature_data_url() -> str:
    img = Image.new("RGBA", (900, 260), (255, 255, 255, 0))
    ImageDraw.Draw(img).line([(40, 200), (200, 60), (420, 210), (700, 80)], fill="#14205a", width=5)
    out = io.BytesIO()
    img.save(out, format="PNG")
    return "data:image/png;base64," + base64.b64encode(out.getvalue()).decode()


@pytest.fixture()
def client_id(pat) -> int:  # noqa: ANN001
    r = pat.post(
        "/api/clients",
        headers={"X-CSRF-Token": api_token(pat)},
        json={"given_name": "Noor", "family_name": "Haddad"},
    )
    assert r.status_code == 201, r.text
    return int(r.json()["id"])


def test_post_consent_contract(pat, rita, client_id) -> None:  # noqa: ANN001
    tok = api_token(pat)
    r = pat.post(
        f"/api/clients/{client_id}/consents",
        headers={"X-CSRF-Token": tok},
        json={"kind": "treatment", "signed_by": "Noor Haddad"},
    )
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["kind"] == "treatment" and body["signed_by"] == "Noor Haddad"
    assert body["witness_name"] == "Pat Moreau" and body["document_version"] == "treatment-2026-12"
    assert body["granted"] is True and body["withdrawn_on"] is None
    assert body["has_signature"] is False
    with_pad = pat.post(
        f"/api/clients/{client_id}/consents",
        headers={"X-CSRF-Token": tok},
        json={
            "kind": "photography",
            "signed_by": "Noor Haddad",
            "signature_png": _signature_data_url(),
        },
    )
    assert with_pad.status_code == 201, with_pad.text
    assert with_pad.json()["has_signature"] is True
    png = pat.get(f"/consents/{with_pad.json()['id']}/signature.png")
    assert png.status_code == 200 and png.content.startswith(b"\x89PNG")
    listed = pat.get(f"/api/clients/{client_id}/consents").json()
    assert {c["kind"] for c in listed} == {"treatment", "photography"}
    # Withdrawal, dated today by default.
    w = pat.post(f"/api/consents/{body['id']}/withdraw", headers={"X-CSRF-Token": tok}, json={})
    assert w.status_code == 200 and w.json()["withdrawn_on"] and w.json()["withdrawn_by"] == "pat"
    # Bad input and wrong roles.
    bad = pat.post(
        f"/api/clients/{client_id}/consents",
        headers={"X-CSRF-Token": tok},
        json={"kind": "tattoos", "signed_by": "Noor Haddad"},
    )
    assert bad.status_code == 422
    unsigned = pat.post(
        f"/api/clients/{client_id}/consents",
        headers={"X-CSRF-Token": tok},
        json={"kind": "research"},
    )
    assert unsigned.status_code == 422 and "signed_by" in unsigned.text
    assert rita.get(f"/api/clients/{client_id}/consents").status_code == 403
    assert (
        rita.post(
            f"/api/clients/{client_id}/consents",
            headers={"X-CSRF-Token": api_token(rita)},
            json={"kind": "treatment", "signed_by": "Noor Haddad"},
        ).status_code
        == 403
    )
    no_csrf = pat.post(
        f"/api/clients/{client_id}/consents", json={"kind": "treatment", "signed_by": "Noor"}
    )
    assert no_csrf.status_code == 403


def test_consent_form_records_text_name_signature_and_witness(pat, client_id) -> None:  # noqa: ANN001
    page = pat.get(f"/clients/{client_id}/consents/new?kind=photography")
    assert page.status_code == 200
    assert "Consent to clinical photographs" in page.text and "photography-2026-12" in page.text
    assert "/static/js/signature.js" in page.text and "<script>" not in page.text
    r = pat.post(
        f"/clients/{client_id}/consents",
        data={
            "csrf_token": csrf_of(page.text),
            "kind": "photography",
            "document_version": "photography-2026-12",
            "signed_by": "Noor Haddad",
            "signed_on": "",
            "granted": "yes",
            "signature_png": _signature_data_url(),
        },
        follow_redirects=False,
    )
    assert r.status_code == 303, r.text
    view = pat.get(r.headers["location"])
    assert "Noor Haddad" in view.text and "Witness" in view.text and "Pat" in view.text
    assert "signature.png" in view.text and "photography-2026-12" in view.text
    # An empty pad is refused (the script prevents it; the server refuses it too).
    empty = pat.post(
        f"/clients/{client_id}/consents",
        data={
            "csrf_token": csrf_of(page.text),
            "kind": "treatment",
            "signed_by": "Noor Haddad",
            "signature_png": "",
        },
        headers={"accept": "text/html"},
    )
    assert empty.status_code == 422 and "signature pad is empty" in empty.text
    overview = pat.get(f"/clients/{client_id}/consents")
    assert overview.status_code == 200 and 'data-testid="record-treatment"' in overview.text


def test_photo_upload_without_photography_consent_is_409_with_a_link(  # noqa: ANN001
    pat, client_id, obama_path
) -> None:
    tok = api_token(pat)
    r = pat.post(
        f"/api/clients/{client_id}/photos",
        headers={"X-CSRF-Token": tok},
        files={"file": ("f.jpg", obama_path.read_bytes(), "image/jpeg")},
    )
    assert r.status_code == 409, r.text
    body = r.json()
    assert body["type"] == "ConsentMissing" and "photography consent" in body["message"]
    assert body["link"] == f"/clients/{client_id}/consents/new?kind=photography"
    assert pat.get(f"/api/clients/{client_id}/photos").json() == []
    # The web form says so, with the link, and the page warns before any upload.
    page = pat.get(f"/clients/{client_id}/photos")
    assert 'data-testid="no-photo-consent"' in page.text
    form = pat.post(
        f"/clients/{client_id}/photos",
        data={"csrf_token": csrf_of(page.text), "view": "front"},
        files={"file": ("f.jpg", obama_path.read_bytes(), "image/jpeg")},
    )
    assert form.status_code == 409 and "photography consent" in form.text
    assert f'href="/clients/{client_id}/consents/new?kind=photography"' in form.text
    # Once the consent is recorded the same upload is stored.
    pat.post(
        f"/api/clients/{client_id}/consents",
        headers={"X-CSRF-Token": tok},
        json={"kind": "photography", "signed_by": "Noor Haddad"},
    )
    ok = pat.post(
        f"/api/clients/{client_id}/photos",
        headers={"X-CSRF-Token": tok},
        files={"file": ("f.jpg", obama_path.read_bytes(), "image/jpeg")},
    )
    assert ok.status_code == 201, ok.text


def test_signing_without_treatment_consent_is_409(pat, client_id) -> None:  # noqa: ANN001
    tok = api_token(pat)
    s = pat.post(
        f"/api/clients/{client_id}/sessions",
        headers={"X-CSRF-Token": tok},
        json={"session_date": "2026-11-30", "subjective": "ok"},
    ).json()
    r = pat.post(f"/api/sessions/{s['id']}/sign", headers={"X-CSRF-Token": tok})
    assert r.status_code == 409 and "treatment consent" in r.json()["message"]
    assert pat.get(f"/api/sessions/{s['id']}").json()["status"] == "draft"
    assert 'data-testid="no-treatment-consent"' in pat.get(f"/sessions/{s['id']}").text
