"""Users and log-in: argon2 hashes, failed attempts audited, admins manage accounts.

pat (practitioner) and rita (reception) may not manage users; ada (admin) may.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from acuface.clinic import services as svc
from acuface.clinic.schemas import Actor
from acuface.errors import DuplicateRecord, InvalidRecord, PermissionDenied


def test_password_is_argon2_hashed(
    session: Session, engine: sa.Engine, users: dict[str, Actor], password: str
) -> None:
    with engine.connect() as conn:
        stored = conn.execute(
            sa.text("SELECT password_hash FROM users WHERE username='pat'")
        ).scalar()
    assert stored.startswith("$argon2id$") and password not in stored


def test_authenticate_and_failed_attempts(
    session: Session, users: dict[str, Actor], password: str
) -> None:
    since = datetime.now(UTC) - timedelta(minutes=1)
    ok = svc.authenticate(session=session, username="Pat", password=password, ip="192.0.2.1")
    assert ok is not None and ok.username == "pat" and ok.last_login_at is not None
    assert (
        svc.authenticate(session=session, username="pat", password="wrong", ip="192.0.2.1") is None
    )
    assert (
        svc.authenticate(session=session, username="nobody", password="x", ip="192.0.2.9") is None
    )
    # A password typed into the name field is not kept as text in the audit trail.
    typed = "Secret-Typed-Into-The-Name-Field"
    assert svc.authenticate(session=session, username=typed, password="x", ip="192.0.2.9") is None
    session.commit()
    assert svc.count_failed_logins(session=session, since=since, username="pat") == 1
    assert svc.count_failed_logins(session=session, since=since, ip="192.0.2.9") == 2
    assert svc.count_failed_logins(session=session, since=since) == 3
    log = svc.list_audit(session=session, actor=users["ada"], action="login_failed")
    nobody = svc.unknown_name("nobody", None)
    assert {(e.username, e.source) for e in log} == {
        ("pat", "192.0.2.1"),
        (nobody, "192.0.2.9"),
        (svc.unknown_name(typed.lower(), None), "192.0.2.9"),
    }
    assert nobody.startswith("unknown:") and len(nobody) == 24
    for e in log:
        assert "nobody" not in (e.username + (e.detail or ""))
        assert typed.lower() not in (e.username + (e.detail or "")).lower()


def test_inactive_user_cannot_log_in(
    session: Session, users: dict[str, Actor], password: str
) -> None:
    rita_id = users["rita"].user_id
    assert rita_id is not None
    svc.set_user_active(session=session, actor=users["ada"], user_id=rita_id, active=False)
    assert svc.authenticate(session=session, username="rita", password=password, ip="x") is None
    svc.set_user_active(session=session, actor=users["ada"], user_id=rita_id, active=True)
    assert svc.authenticate(session=session, username="rita", password=password, ip="x") is not None


def test_only_admin_manages_users(session: Session, users: dict[str, Actor], password: str) -> None:
    for who in ("pat", "rita"):
        with pytest.raises(PermissionDenied):
            svc.create_user(
                session=session, actor=users[who], username="eve", password=password, role="admin"
            )
    with pytest.raises(PermissionDenied):
        svc.set_user_role(
            session=session, actor=users["pat"], user_id=users["rita"].user_id or 0, role="admin"
        )
    with pytest.raises(PermissionDenied):
        svc.list_audit(session=session, actor=users["pat"])
    admin = users["ada"]
    assert admin.user_id is not None
    with pytest.raises(InvalidRecord):
        svc.set_user_active(session=session, actor=admin, user_id=admin.user_id, active=False)


def test_user_rules(session: Session, users: dict[str, Actor], password: str) -> None:
    admin = users["ada"]
    with pytest.raises(DuplicateRecord):
        svc.create_user(
            session=session, actor=admin, username="PAT", password=password, role="reception"
        )
    with pytest.raises(InvalidRecord):
        svc.create_user(
            session=session, actor=admin, username="bob", password="short", role="reception"
        )
    with pytest.raises(InvalidRecord):
        svc.create_user(
            session=session, actor=admin, username="x y", password=password, role="reception"
        )
    with pytest.raises(InvalidRecord):
        svc.create_user(
            session=session, actor=admin, username="bob", password=password, role="owner"
        )  # type: ignore[arg-type]


def test_change_own_password_needs_current(
    session: Session, users: dict[str, Actor], password: str
) -> None:
    pat = users["pat"]
    assert pat.user_id is not None
    with pytest.raises(InvalidRecord):
        svc.set_password(
            session=session,
            actor=pat,
            user_id=pat.user_id,
            new_password="new password 1",
            current_password="wrong",
        )
    svc.set_password(
        session=session,
        actor=pat,
        user_id=pat.user_id,
        new_password="new password 1",
        current_password=password,
    )
    assert svc.authenticate(session=session, username="pat", password="new password 1", ip="x")
    with pytest.raises(PermissionDenied):
        svc.set_password(
            session=session,
            actor=pat,
            user_id=users["rita"].user_id or 0,
            new_password="hijacked pw",
        )


def test_load_session_user(session: Session, users: dict[str, Actor]) -> None:
    rita_id = users["rita"].user_id
    assert rita_id is not None
    epoch = svc.session_epoch(session=session, user_id=rita_id)
    loaded = svc.load_session_user(session=session, user_id=rita_id, epoch=epoch)
    assert loaded is not None and loaded.username == "rita" and loaded.role == "reception"
    assert svc.load_session_user(session=session, user_id=9999, epoch=0) is None
    # A password, role or state change raises the epoch: older sessions are over.
    admin = users["ada"]
    svc.set_user_role(session=session, actor=admin, user_id=rita_id, role="practitioner")
    assert svc.load_session_user(session=session, user_id=rita_id, epoch=epoch) is None
    epoch = svc.session_epoch(session=session, user_id=rita_id)
    svc.set_password(session=session, actor=admin, user_id=rita_id, new_password="new password 1")
    assert svc.load_session_user(session=session, user_id=rita_id, epoch=epoch) is None
    epoch = svc.session_epoch(session=session, user_id=rita_id)
    assert svc.load_session_user(session=session, user_id=rita_id, epoch=epoch) is not None
    svc.set_user_active(session=session, actor=admin, user_id=rita_id, active=False)
    epoch2 = svc.session_epoch(session=session, user_id=rita_id)
    assert epoch2 == epoch + 1
    assert svc.load_session_user(session=session, user_id=rita_id, epoch=epoch2) is None
