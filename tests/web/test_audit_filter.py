"""The audit page and its CSV export read one filter from the query string.

``audit_filter`` is the FastAPI dependency both routes take; ada (admin) may read the
log, pat (practitioner) may not, whatever the filter says.
"""

from __future__ import annotations

import asyncio
from datetime import date

import pytest
from fastapi.testclient import TestClient

from acuface.clinic.services import AuditFilter
from acuface.errors import InvalidRecord
from acuface.web.routes.admin_audit import audit_filter


def read_filter(**query: object) -> AuditFilter:
    """Call the dependency as FastAPI does (a coroutine: it does no I/O)."""
    return asyncio.run(audit_filter(**query))  # type: ignore[arg-type]


def test_the_query_string_becomes_a_typed_filter() -> None:
    got = read_filter(
        user="  Pat ", client_id=7, action=" session ", since="2026-11-01", until=" 2026-11-30 "
    )
    assert got == AuditFilter(
        username="pat",
        client_id=7,
        action="session",
        since=date(2026, 11, 1),
        until=date(2026, 11, 30),
    )
    # Empty fields (an unfilled form) filter nothing.
    assert read_filter(user="", client_id=None, action=" ", since="", until="  ") == AuditFilter()
    assert read_filter() == AuditFilter()


def test_bad_dates_are_refused_with_the_reason() -> None:
    with pytest.raises(InvalidRecord, match="From: give a date as YYYY-MM-DD"):
        read_filter(since="2026-02-30")
    with pytest.raises(InvalidRecord, match="To: give a date"):
        read_filter(until="yesterday")
    with pytest.raises(InvalidRecord, match="'from' date is after the 'to' date"):
        read_filter(since="2026-02-02", until="2026-02-01")


@pytest.mark.parametrize("path", ["/admin/audit", "/admin/audit.csv"])
def test_both_routes_take_the_same_filter(ada: TestClient, pat: TestClient, path: str) -> None:
    assert ada.get(f"{path}?since=2026-02-02&until=2026-02-01").status_code == 422
    assert ada.get(f"{path}?client_id=0").status_code == 422
    assert ada.get(f"{path}?user={'x' * 101}").status_code == 422
    # The admin check comes before the filter: a practitioner learns nothing from it.
    assert pat.get(f"{path}?since=2026-02-30").status_code == 403
    ok = ada.get(f"{path}?user=ADA&action=login&since=2000-01-01")
    assert ok.status_code == 200 and "login" in ok.text
