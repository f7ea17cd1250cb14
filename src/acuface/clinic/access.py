"""Who may do what: one policy of actions × roles, used by services and the web alike.

Every permission check in Acuface goes through :func:`authorize` (raise) or
:func:`allowed` (ask) with an :class:`Action`; nothing compares role strings.
:data:`POLICY` is the role table of ``docs/clinic-services.md`` as code, and a
test keeps the two equal (:func:`policy_markdown` prints the table).

To add an action: add a member to :class:`Action` (its value is the phrase an
error message uses: "pat (practitioner) may not *purge clients*"), give it its
roles in :data:`POLICY`, call ``authorize(actor, Action.NEW)`` in the service,
and paste ``policy_markdown()`` into the docs table.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from types import MappingProxyType
from typing import Protocol

from acuface.clinic.schemas import ROLES, Role
from acuface.errors import PermissionDenied


class Action(StrEnum):
    """Something a user may or may not do; the value names it in messages."""

    # --- users and the audit trail
    READ_USERS = "see the list of users"
    CREATE_USER = "create users"
    SET_USER_ACTIVE = "activate or deactivate users"
    SET_USER_ROLE = "change roles"
    SET_USER_PROFILE = "set users' full names and credentials"
    RESET_PASSWORD = "reset other users' passwords"
    READ_AUDIT = "read the audit log"
    OPEN_ADMIN_PAGES = "open the administration pages"
    MANAGE_SESSIONS = "see and end users' sign-in sessions"
    EDIT_CLINIC_SETTINGS = "change the clinic settings"
    # --- clients (identity and contact) and the day's schedule
    READ_CLIENTS = "see clients"
    EDIT_CLIENTS = "add or edit clients"
    DELETE_CLIENT = "delete clients"
    SEE_DELETED_CLIENTS = "see archived clients"
    RESTORE_CLIENT = "restore deleted clients"
    PURGE_CLIENT = "purge clients"
    READ_SCHEDULE = "see the day's schedule"
    BOOK_APPOINTMENTS = "book, move or cancel appointments"
    MARK_ATTENDANCE = "mark arrivals and no-shows"
    SUBSCRIBE_CALENDAR = "have a private calendar feed"
    # --- clinical records
    OPEN_CLINICAL_PAGES = "open clinical pages"
    TREAT_CLIENTS = "be the practitioner of a session"
    READ_INTAKES = "read intakes"
    WRITE_INTAKES = "record intakes"
    READ_PLANS = "read plans"
    MAKE_PLANS = "make plans"
    SAVE_PLANS = "save plans"
    READ_SESSIONS = "read session notes"
    CHART_SESSIONS = "chart sessions"
    SIGN_SESSIONS = "sign session notes"
    AMEND_SESSIONS = "amend session notes"
    READ_ADVERSE_EVENTS = "read adverse events"
    WRITE_ADVERSE_EVENTS = "record or update adverse events"
    READ_PHOTOS = "see photos"
    ADD_PHOTOS = "add photos"
    HIDE_PHOTOS = "hide photos"
    PURGE_PHOTOS = "purge hidden photos"
    CHOOSE_PHOTO = "choose the photo a plan or session is shown on"
    LIVE_VIEW = "open the live camera view"
    CHECK_PHOTO_STORE = "check the photo store"
    READ_MEASUREMENTS = "read measurements"
    WRITE_MEASUREMENTS = "record measurements"
    READ_RATINGS = "read outcome ratings"
    WRITE_RATINGS = "record outcome ratings"
    READ_CONSENTS = "read consents"
    WRITE_CONSENTS = "record or update consents"
    READ_TIMELINE = "read the clinical timeline"
    EXPORT_RECORDS = "export client records"


_ALL: frozenset[Role] = frozenset(ROLES)
_ADMIN: frozenset[Role] = frozenset({"admin"})
#: Roles that read and write clinical content (notes, plans, photos ...);
#: reception sees identity, contact details and the schedule only.
_CLINICAL: frozenset[Role] = frozenset({"admin", "practitioner"})

#: Action -> the roles that may do it (read-only).
POLICY: Mapping[Action, frozenset[Role]] = MappingProxyType(
    {
        Action.READ_USERS: _ALL,
        Action.CREATE_USER: _ADMIN,
        Action.SET_USER_ACTIVE: _ADMIN,
        Action.SET_USER_ROLE: _ADMIN,
        Action.SET_USER_PROFILE: _ADMIN,
        Action.RESET_PASSWORD: _ADMIN,
        Action.READ_AUDIT: _ADMIN,
        Action.OPEN_ADMIN_PAGES: _ADMIN,
        Action.MANAGE_SESSIONS: _ADMIN,
        Action.EDIT_CLINIC_SETTINGS: _ADMIN,
        Action.READ_CLIENTS: _ALL,
        Action.EDIT_CLIENTS: _ALL,
        Action.DELETE_CLIENT: _CLINICAL,
        Action.SEE_DELETED_CLIENTS: _ADMIN,
        Action.RESTORE_CLIENT: _ADMIN,
        Action.PURGE_CLIENT: _ADMIN,
        Action.READ_SCHEDULE: _ALL,
        Action.BOOK_APPOINTMENTS: _ALL,
        Action.MARK_ATTENDANCE: _ALL,
        Action.SUBSCRIBE_CALENDAR: _CLINICAL,
        Action.OPEN_CLINICAL_PAGES: _CLINICAL,
        Action.TREAT_CLIENTS: _CLINICAL,
        Action.READ_INTAKES: _CLINICAL,
        Action.WRITE_INTAKES: _CLINICAL,
        Action.READ_PLANS: _CLINICAL,
        Action.MAKE_PLANS: _CLINICAL,
        Action.SAVE_PLANS: _CLINICAL,
        Action.READ_SESSIONS: _CLINICAL,
        Action.CHART_SESSIONS: _CLINICAL,
        Action.SIGN_SESSIONS: _CLINICAL,
        Action.AMEND_SESSIONS: _CLINICAL,
        Action.READ_ADVERSE_EVENTS: _CLINICAL,
        Action.WRITE_ADVERSE_EVENTS: _CLINICAL,
        Action.READ_PHOTOS: _CLINICAL,
        Action.ADD_PHOTOS: _CLINICAL,
        Action.HIDE_PHOTOS: _CLINICAL,
        Action.PURGE_PHOTOS: _ADMIN,
        Action.CHOOSE_PHOTO: _CLINICAL,
        Action.LIVE_VIEW: _CLINICAL,
        Action.CHECK_PHOTO_STORE: _ADMIN,
        Action.READ_MEASUREMENTS: _CLINICAL,
        Action.WRITE_MEASUREMENTS: _CLINICAL,
        Action.READ_RATINGS: _CLINICAL,
        Action.WRITE_RATINGS: _CLINICAL,
        Action.READ_CONSENTS: _CLINICAL,
        Action.WRITE_CONSENTS: _CLINICAL,
        Action.READ_TIMELINE: _CLINICAL,
        Action.EXPORT_RECORDS: _CLINICAL,
    }
)


class HasRole(Protocol):
    """Anyone with a name and a role: an ``Actor`` or a ``UserDTO``."""

    @property
    def username(self) -> str: ...  # noqa: D102

    @property
    def role(self) -> Role: ...  # noqa: D102


def roles_for(action: Action) -> frozenset[Role]:
    """Return the roles that may do *action*."""
    return POLICY[action]


def allowed(who: HasRole | str, action: Action) -> bool:
    """Whether *who* (a user, an actor or a role name) may do *action*."""
    role = who if isinstance(who, str) else who.role
    return role in POLICY[action]


def _needs(action: Action) -> str:
    return " or ".join(r for r in ROLES if r in POLICY[action])


def authorize(actor: HasRole, action: Action) -> None:
    """Raise :class:`PermissionDenied` unless *actor* may do *action*.

    Parameters
    ----------
    actor : Actor or UserDTO
        Who acts.
    action : Action
        What they try to do.

    Raises
    ------
    PermissionDenied
        With a message naming the user, the action and the roles it needs.
    """
    if not allowed(actor, action):
        raise PermissionDenied(
            f"{actor.username} ({actor.role}) may not {action.value}; this needs the role "
            f"{_needs(action)}."
        )


def policy_markdown() -> str:
    """Return :data:`POLICY` as the Markdown table kept in ``docs/clinic-services.md``."""
    head = "| action | what | " + " | ".join(ROLES) + " |"
    rule = "|---|---|" + "---|" * len(ROLES)
    rows = [
        f"| `{action.name}` | {action.value} | "
        + " | ".join("yes" if role in POLICY[action] else "no" for role in ROLES)
        + " |"
        for action in Action
    ]
    return "\n".join([head, rule, *rows])
