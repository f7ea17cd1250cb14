"""Users, passwords (argon2id) and log-in with an audit trail of failed attempts."""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Sequence
from datetime import UTC, datetime
from functools import lru_cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from acuface.clinic import models as m
from acuface.clinic.access import Action, authorize
from acuface.clinic.schemas import ROLES, Actor, LoginSessionDTO, Role, UserDTO
from acuface.clinic.services._common import audit, get_or_404
from acuface.clinic.signins import LoginSessionRecord
from acuface.config import get_settings
from acuface.errors import DuplicateRecord, InvalidRecord

USERNAME_RE = re.compile(r"^[a-z0-9._-]{3,50}$")
MIN_PASSWORD_LEN = 8
#: Passwords printed in this repository (the demo clinic's): refused in production.
PUBLISHED_PASSWORDS = frozenset({"acuface-demo-2026"})

_hasher = PasswordHasher()


@lru_cache(maxsize=1)
def _dummy_hash() -> str:
    # Verifying against this for unknown usernames costs the same time as a real
    # check, so response times do not reveal which usernames exist.
    return _hasher.hash("not-a-real-password-just-for-timing")


def _production() -> bool:
    return get_settings().env == "prod"


def _check_password(password: str) -> None:
    if password in PUBLISHED_PASSWORDS and _production():
        raise InvalidRecord("That is the published demo password; choose a password of your own.")
    if len(password) < MIN_PASSWORD_LEN:
        raise InvalidRecord(f"The password must have at least {MIN_PASSWORD_LEN} characters.")
    if len(password) > 1024:
        raise InvalidRecord("The password is too long (at most 1024 characters).")


def _check_role(role: str) -> None:
    if role not in ROLES:
        raise InvalidRecord(f"Unknown role {role!r}; use one of {', '.join(ROLES)}.")


def create_user(
    *,
    session: Session,
    actor: Actor,
    username: str,
    password: str,
    role: Role,
    display_name: str | None = None,
    credentials: str | None = None,
) -> UserDTO:
    """Create a user account (admin only); *credentials* are printed on signed notes.

    Raises
    ------
    InvalidRecord
        Bad username (3-50 of ``a-z 0-9 . _ -``), short password, unknown role.
    DuplicateRecord
        The username is taken.
    """
    authorize(actor, Action.CREATE_USER)
    username = username.strip().lower()
    if not USERNAME_RE.match(username):
        raise InvalidRecord(
            "A username has 3-50 characters: lower-case letters, digits, '.', '_' or '-'."
        )
    _check_role(role)
    _check_password(password)
    if session.scalar(select(m.User.id).where(m.User.username == username)) is not None:
        raise DuplicateRecord(f"The username {username!r} is already taken.")
    user = m.User(
        username=username,
        display_name=(display_name or username).strip(),
        role=role,
        credentials=_credentials(credentials),
        password_hash=_hasher.hash(password),
        is_active=True,
    )
    session.add(user)
    session.flush()
    audit(session, actor, "user.create", "user", user.id, detail={"role": role})
    return UserDTO.model_validate(user)


def unknown_name(name: str, pepper: bytes | None) -> str:
    """Return how the audit trail records a user name that is not an account.

    A keyed hash (``unknown:`` and 16 hex characters), never the text: people
    type passwords into the name field. Repeats of one name stay recognisable.
    """
    key = pepper or b"acuface.unknown-names"
    digest = hmac.new(key, b"name:" + name.encode(), hashlib.sha256).hexdigest()
    return f"unknown:{digest[:16]}"


def authenticate(
    *,
    session: Session,
    username: str,
    password: str,
    ip: str,
    name_pepper: bytes | None = None,
) -> UserDTO | None:
    """Check a username and password; return the user or ``None``.

    Every attempt is audited (``login`` or ``login_failed`` with the IP). A failed
    attempt for a name that is no account records the name only as
    :func:`unknown_name` (keyed with *name_pepper*).
    """
    name = username.strip().lower()[:100]
    user = session.scalar(select(m.User).where(m.User.username == name))
    ok = False
    reason = "unknown user"
    if user is None:
        try:
            _hasher.verify(_dummy_hash(), password)
        except VerificationError:
            pass
    else:
        try:
            ok = _hasher.verify(user.password_hash, password)
        except (VerificationError, InvalidHashError):
            ok = False
            reason = "wrong password"
        if ok and not user.is_active:
            ok = False
            reason = "inactive account"
        if ok and password in PUBLISHED_PASSWORDS and _production():
            # Everyone can read this password in the repository: in production it
            # signs in nobody, whatever account still carries it.
            ok = False
            reason = "published demo password"
    if not ok or user is None:
        # Written directly: an unknown name has no role, and Actor requires one.
        session.add(
            m.AuditEntry(
                user_id=user.id if user else None,
                username=name if user is not None else unknown_name(name, name_pepper),
                role=user.role if user else None,
                action="login_failed",
                record_type="user",
                record_id=str(user.id) if user else None,
                source=ip,
                detail=reason,
            )
        )
        session.flush()
        return None
    who = Actor(user_id=user.id, username=user.username, role=user.role, source=ip)
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = _hasher.hash(password)
    user.last_login_at = m.utcnow()
    audit(session, who, "login", "user", user.id)
    session.flush()
    return UserDTO.model_validate(user)


def count_failed_logins(
    *,
    session: Session,
    since: datetime,
    username: str | None = None,
    ip: str | None = None,
) -> int:
    """Count failed log-ins since *since* (aware datetime) by username and/or IP."""
    query = select(func.count(m.AuditEntry.id)).where(
        m.AuditEntry.action == "login_failed", m.AuditEntry.at >= since
    )
    if username is not None:
        query = query.where(m.AuditEntry.username == username.strip().lower())
    if ip is not None:
        query = query.where(m.AuditEntry.source == ip)
    return int(session.scalar(query) or 0)


def accounts_with_published_password(*, session: Session) -> list[str]:
    """Return the user names of active accounts whose password is a published one.

    ``acuface serve`` refuses to start in production while this list is not empty.
    """
    names = []
    for user in session.scalars(select(m.User).where(m.User.is_active.is_(True))):
        for published in PUBLISHED_PASSWORDS:
            try:
                if _hasher.verify(user.password_hash, published):
                    names.append(user.username)
                    break
            except (VerificationError, InvalidHashError):
                continue
    return names


def session_epoch(*, session: Session, user_id: int) -> int:
    """Return the user's current session epoch (stored with a new web session)."""
    return int(session.get(m.User, user_id).session_epoch)  # type: ignore[union-attr]


def get_user(*, session: Session, actor: Actor, user_id: int) -> UserDTO:
    """Return one user."""
    authorize(actor, Action.READ_USERS)
    return UserDTO.model_validate(get_or_404(session, m.User, user_id, "user"))


def get_user_by_username(*, session: Session, actor: Actor, username: str) -> UserDTO | None:
    """Return the user with *username*, or ``None``."""
    authorize(actor, Action.READ_USERS)
    user = session.scalar(select(m.User).where(m.User.username == username.strip().lower()))
    return UserDTO.model_validate(user) if user else None


def list_users(*, session: Session, actor: Actor, include_inactive: bool = True) -> list[UserDTO]:
    """Return users ordered by username."""
    authorize(actor, Action.READ_USERS)
    query = select(m.User).order_by(m.User.username)
    if not include_inactive:
        query = query.where(m.User.is_active.is_(True))
    return [UserDTO.model_validate(u) for u in session.scalars(query)]


def set_user_active(*, session: Session, actor: Actor, user_id: int, active: bool) -> UserDTO:
    """Activate or deactivate an account (admin; not your own)."""
    authorize(actor, Action.SET_USER_ACTIVE)
    user = get_or_404(session, m.User, user_id, "user")
    if user.id == actor.user_id and not active:
        raise InvalidRecord("You cannot deactivate your own account.")
    if user.is_active != active:
        user.session_epoch += 1  # deactivation ends the account's sessions
    user.is_active = active
    session.flush()
    audit(session, actor, "user.update", "user", user.id, detail={"is_active": active})
    return UserDTO.model_validate(user)


def set_user_role(*, session: Session, actor: Actor, user_id: int, role: Role) -> UserDTO:
    """Change an account's role (admin; not your own)."""
    authorize(actor, Action.SET_USER_ROLE)
    _check_role(role)
    user = get_or_404(session, m.User, user_id, "user")
    if user.id == actor.user_id:
        raise InvalidRecord("You cannot change your own role.")
    if user.role != role:
        user.session_epoch += 1  # sessions signed in under the old role end
    user.role = role
    session.flush()
    audit(session, actor, "user.update", "user", user.id, detail={"role": role})
    return UserDTO.model_validate(user)


def _credentials(value: str | None) -> str | None:
    text = " ".join((value or "").split())
    if len(text) > 200:
        raise InvalidRecord("Credentials have at most 200 characters (e.g. 'Lic. Ac., MSc').")
    return text or None


def set_user_profile(
    *,
    session: Session,
    actor: Actor,
    user_id: int,
    display_name: str | None = None,
    credentials: str | None = None,
) -> UserDTO:
    """Set an account's full name and credentials, printed on the notes it signs (admin).

    ``None`` leaves a field as it is; an empty *credentials* clears them. Notes
    signed before keep the name and credentials they were signed with.
    """
    authorize(actor, Action.SET_USER_PROFILE)
    user = get_or_404(session, m.User, user_id, "user")
    changed = []
    if display_name is not None:
        name = " ".join(display_name.split())
        if not 1 <= len(name) <= 200:
            raise InvalidRecord("A full name has 1-200 characters.")
        user.display_name = name
        changed.append("display_name")
    if credentials is not None:
        user.credentials = _credentials(credentials)
        changed.append("credentials")
    session.flush()
    audit(session, actor, "user.update", "user", user.id, detail={"fields": changed})
    return UserDTO.model_validate(user)


def set_password(
    *,
    session: Session,
    actor: Actor,
    user_id: int,
    new_password: str,
    current_password: str | None = None,
) -> None:
    """Set a password: your own with the current one, anyone else's as admin."""
    user = get_or_404(session, m.User, user_id, "user")
    if actor.user_id == user.id:
        try:
            _hasher.verify(user.password_hash, current_password or "")
        except (VerificationError, InvalidHashError):
            raise InvalidRecord("The current password is wrong.") from None
    else:
        authorize(actor, Action.RESET_PASSWORD)
    _check_password(new_password)
    user.password_hash = _hasher.hash(new_password)
    # Every session of the account ends, also one opened by whoever knew the old
    # password; the web app signs the user in again when they changed their own.
    user.session_epoch += 1
    session.flush()
    audit(session, actor, "user.update", "user", user.id, detail="password changed")


def load_session_user(*, session: Session, user_id: int, epoch: int) -> UserDTO | None:
    """Return the signed-in user for a web session, or ``None`` (no actor, no audit).

    ``None`` also for a deactivated account and for a session begun before the
    account's password, role or active state last changed (*epoch* older than
    the user's ``session_epoch``), so those changes end its sessions at the next
    request, in every server process and whichever store keeps the sessions.
    """
    user = session.get(m.User, user_id)
    if user is None or not user.is_active or user.session_epoch != epoch:
        return None
    return UserDTO.model_validate(user)


def list_login_sessions(
    *, session: Session, actor: Actor, records: Sequence[LoginSessionRecord]
) -> list[LoginSessionDTO]:
    """Return the sessions still valid among *records* (from the session store), audited.

    A session whose user is gone, inactive, or whose epoch is older than the
    user's (password, role or state changed since) is over even if the store
    still has it, and is left out.
    """
    authorize(actor, Action.MANAGE_SESSIONS)
    ids = {r.user_id for r in records if r.user_id is not None}
    users = {u.id: u for u in session.scalars(select(m.User).where(m.User.id.in_(ids)))}
    out = []
    for r in records:
        user = users.get(r.user_id) if r.user_id is not None else None
        if user is None or not user.is_active or user.session_epoch != r.epoch:
            continue
        out.append(
            LoginSessionDTO(
                key=r.key,
                user_id=user.id,
                username=user.username,
                display_name=user.display_name,
                role=user.role,
                started_at=datetime.fromtimestamp(r.created_at, UTC),
                last_seen_at=datetime.fromtimestamp(r.last_seen_at, UTC),
                ip=r.ip,
                user_agent=r.user_agent,
            )
        )
    audit(session, actor, "login_session.list", "login_session", detail={"count": len(out)})
    return out


def record_session_ended(
    *, session: Session, actor: Actor, user_id: int | None, key: str, found: bool
) -> None:
    """Audit an administrator ending one sign-in session (by its store key)."""
    authorize(actor, Action.MANAGE_SESSIONS)
    audit(
        session,
        actor,
        "login_session.end",
        "user",
        user_id,
        detail={"session": key[:12], "found": found},
    )


def end_user_sessions(*, session: Session, actor: Actor, user_id: int) -> UserDTO:
    """End every sign-in session of a user (admin): raises the user's session epoch.

    Sessions in any store and any server process stop working at their next
    request; the caller also deletes them from the store so the list is true.
    """
    authorize(actor, Action.MANAGE_SESSIONS)
    user = get_or_404(session, m.User, user_id, "user")
    user.session_epoch += 1
    session.flush()
    audit(session, actor, "login_session.end_all", "user", user.id)
    return UserDTO.model_validate(user)
