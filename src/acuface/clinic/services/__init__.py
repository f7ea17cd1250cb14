"""Clinic services: the only way the web app, CLI and reports reach the records.

Every function is keyword-only, takes ``session`` (SQLAlchemy) and ``actor``
(:class:`~acuface.clinic.schemas.Actor`), returns DTOs, writes an audit entry
for every read or write of client data, and never commits (the caller does,
e.g. with :func:`acuface.clinic.db.session_scope`). See docs/clinic-services.md.
"""

from __future__ import annotations

from acuface.clinic.services.adverse_events import (
    list_adverse_events,
    record_adverse_event,
    resolve_adverse_event,
)
from acuface.clinic.services.audit import list_audit
from acuface.clinic.services.clients import (
    count_clients,
    create_client,
    get_client,
    list_clients,
    purge_client,
    soft_delete_client,
    undelete_client,
    update_client,
)
from acuface.clinic.services.intakes import (
    create_intake,
    get_intake,
    get_plan,
    latest_plan,
    list_intakes,
    list_plans,
    make_plan_for_intake,
    record_intake,
    save_plan,
)
from acuface.clinic.services.live import close_live_view, open_live_view
from acuface.clinic.services.outcomes import (
    add_measurement,
    add_rating,
    list_consents,
    list_measurements,
    list_ratings,
    record_consent,
    withdraw_consent,
)
from acuface.clinic.services.photos import (
    add_photo,
    add_prepared_photo,
    check_photo,
    check_photo_store,
    check_photo_target,
    get_photo,
    list_photos,
    pose_warnings,
    read_photo_bytes,
)
from acuface.clinic.services.progress import ProgressSummary, progress_summary
from acuface.clinic.services.sessions import (
    ChartGuidance,
    amend_session,
    chart_guidance,
    create_session,
    get_session,
    list_schedule,
    list_sessions,
    session_guidance,
    set_needles,
    sign_session,
    update_session,
)
from acuface.clinic.services.timeline import client_timeline
from acuface.clinic.services.users import (
    accounts_with_published_password,
    authenticate,
    count_failed_logins,
    create_user,
    get_user,
    get_user_by_username,
    list_users,
    load_session_user,
    set_password,
    set_user_active,
    set_user_role,
)

__all__ = [
    "ChartGuidance",
    "chart_guidance",
    "session_guidance",
    "ProgressSummary",
    "progress_summary",
    "accounts_with_published_password",
    "add_measurement",
    "add_photo",
    "add_prepared_photo",
    "add_rating",
    "amend_session",
    "authenticate",
    "check_photo",
    "check_photo_target",
    "check_photo_store",
    "client_timeline",
    "close_live_view",
    "count_clients",
    "count_failed_logins",
    "create_client",
    "create_intake",
    "create_session",
    "create_user",
    "get_client",
    "get_intake",
    "get_photo",
    "get_plan",
    "get_session",
    "get_user",
    "get_user_by_username",
    "latest_plan",
    "list_adverse_events",
    "list_audit",
    "list_clients",
    "list_consents",
    "list_intakes",
    "list_measurements",
    "list_photos",
    "list_plans",
    "list_ratings",
    "list_schedule",
    "list_sessions",
    "list_users",
    "load_session_user",
    "make_plan_for_intake",
    "record_intake",
    "open_live_view",
    "pose_warnings",
    "purge_client",
    "read_photo_bytes",
    "record_adverse_event",
    "record_consent",
    "resolve_adverse_event",
    "save_plan",
    "set_needles",
    "set_password",
    "set_user_active",
    "set_user_role",
    "sign_session",
    "soft_delete_client",
    "undelete_client",
    "update_client",
    "update_session",
    "withdraw_consent",
]
