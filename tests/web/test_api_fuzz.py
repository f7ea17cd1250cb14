"""The JSON API answers generated input (schemathesis, from our OpenAPI) without a 5xx.

Bounded: a few examples per operation, signed in as the admin (so role checks do
not hide the handlers), with the CSRF header sent on unsafe calls.
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from .webhelpers import api_token

#: Examples per operation; 27 operations x 10 keeps the whole file well under 60 s.
EXAMPLES = 10


def _operations(app: Any) -> list[Any]:
    import schemathesis

    schema = schemathesis.openapi.from_dict(app.openapi())
    return [r.ok() for r in schema.get_all_operations()]


def _send(client: Any, case: Any, token: str) -> Any:
    headers = {k: str(v) for k, v in (case.headers or {}).items()}
    headers["X-CSRF-Token"] = token
    kwargs: dict[str, Any] = {"params": case.query or None, "headers": headers}
    body = case.body
    media = case.media_type or ""
    if body is not None and not isinstance(body, type(None)):
        if media.startswith("multipart/"):
            fields = dict(body) if isinstance(body, dict) else {}
            raw = fields.pop("file", b"")
            if isinstance(raw, str):
                raw = raw.encode()
            kwargs["files"] = {"file": ("upload.bin", raw or b"", "application/octet-stream")}
            kwargs["data"] = {k: str(v) for k, v in fields.items()}
        elif media == "application/json":
            kwargs["json"] = body
    return client.request(case.method.upper(), case.formatted_path, **kwargs)


def _fuzz(op: Any, client: Any, token: str, failures: list[str]) -> None:
    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        derandomize=True,
        suppress_health_check=list(HealthCheck),
    )
    @given(data=st.data())
    def run(data: st.DataObject) -> None:
        case = data.draw(op.as_strategy())
        r = _send(client, case, token)
        if r.status_code >= 500:
            failures.append(
                f"{case.method} {case.formatted_path} -> {r.status_code}: {r.text[:200]}"
            )

    run()


def test_api_has_no_server_errors_on_generated_input(ada, app) -> None:  # noqa: ANN001
    ops = _operations(app)
    assert len(ops) >= 20
    token = api_token(ada)
    failures: list[str] = []
    # A client and a session exist so that generated small ids sometimes hit real records.
    cid = ada.post(
        "/api/clients",
        headers={"X-CSRF-Token": token},
        json={"given_name": "Fuzz", "family_name": "Target"},
    ).json()["id"]
    assert cid >= 1
    for op in ops:
        _fuzz(op, ada, token, failures)
    assert failures == []


@pytest.mark.parametrize(
    "path",
    [
        "/api/clients/99999999999999999999",
        "/api/clients/-1",
        "/api/sessions/0",
        "/api/atlas/points/" + "X" * 40,
    ],
)
def test_absurd_ids_are_clean_client_errors(ada, path: str) -> None:  # noqa: ANN001
    r = ada.get(path)
    assert r.status_code == 422
    assert r.json()["type"] == "ValidationError"
