"""Refused (403) and not-found (404) requests leave an audit entry, as reads do.

Before: a user probing records they may not see, or ids that do not exist, left
no trace. Who is who: rita (reception) may not open clinical records; pat
(practitioner) may; nobody may read a client that does not exist.
"""

from __future__ import annotations

import json

from acuface.clinic import db
from acuface.clinic import services as svc
from acuface.clinic.schemas import Actor, ClientCreate

from .webhelpers import api_token


def _client(app) -> int:  # noqa: ANN001
    with db.session_scope(app.state.engine) as s:
        c = svc.create_client(
            session=s,
            actor=Actor.system(),
            data=ClientCreate(given_name="Ada", family_name="Probe"),
        )
        return c.id


def _entries(app, action: str) -> list:  # noqa: ANN001
    with db.session_scope(app.state.engine) as s:
        return svc.list_audit(session=s, actor=Actor.system(), action=action, limit=1000)


def test_a_refused_clinical_read_is_audited(app, rita) -> None:  # noqa: ANN001
    cid = _client(app)
    r = rita.get(f"/api/clients/{cid}/photos")
    assert r.status_code == 403
    entry = _entries(app, "access.denied")[0]
    assert entry.username == "rita" and entry.role == "reception"
    assert entry.client_id == cid and entry.source == "testclient"
    detail = json.loads(entry.detail or "{}")
    assert detail == {
        "method": "GET",
        "path": f"/api/clients/{cid}/photos",
        "reason": "PermissionDenied",
    }


def test_a_probe_for_a_missing_client_is_audited(app, pat) -> None:  # noqa: ANN001
    for path in ("/api/clients/987654", "/clients/987654"):
        assert pat.get(path).status_code == 404
    found = [e for e in _entries(app, "access.not_found") if e.client_id == 987654]
    assert {json.loads(e.detail or "{}")["path"] for e in found} == {
        "/api/clients/987654",
        "/clients/987654",
    }
    assert all(e.username == "pat" for e in found)


def test_a_forged_write_is_audited(app, pat) -> None:  # noqa: ANN001
    api_token(pat)
    r = pat.post("/api/clients", json={"given_name": "X", "family_name": "Y"})
    assert r.status_code == 403
    entry = _entries(app, "access.denied")[0]
    assert json.loads(entry.detail or "{}")["reason"] == "CsrfError"


def test_a_missing_page_outside_client_routes_is_not_an_audit_event(app, pat) -> None:  # noqa: ANN001
    before = len(_entries(app, "access.not_found"))
    assert pat.get("/no-such-page").status_code == 404
    assert pat.get("/static/no-such-file.css").status_code == 404
    assert len(_entries(app, "access.not_found")) == before
