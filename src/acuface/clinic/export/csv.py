"""CSV export of one client's record in a long (tidy) layout.

One row per recorded value: ``record_type, record_id, date, field, value``. A
spreadsheet pivot turns it into any wide table; nothing is lost to a fixed
column set, and new fields do not break old readers.
"""

from __future__ import annotations

import csv
import io
import json
from datetime import date, datetime
from typing import Any

from sqlalchemy.orm import Session

from acuface.clinic.export._gather import gather
from acuface.clinic.schemas import Actor

HEADER = ("record_type", "record_id", "date", "field", "value")


def _fmt(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, dict | list):
        return json.dumps(value, sort_keys=True, ensure_ascii=False)
    return str(value)


def export_csv(*, session: Session, actor: Actor, client_id: int) -> str:
    """Return one client's record as CSV text (header + one row per value)."""
    rec = gather(session, actor, client_id, "csv")
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(HEADER)

    def emit(kind: str, ident: int, when: Any, fields: dict[str, Any]) -> None:
        for name, value in fields.items():
            if value is None or value == "" or value == []:
                continue
            writer.writerow([kind, ident, _fmt(when), name, _fmt(value)])

    c = rec.client
    emit(
        "client",
        c.id,
        c.created_at.date(),
        {
            "given_name": c.given_name,
            "family_name": c.family_name,
            "birth_date": c.birth_date,
            "sex": c.sex,
            "email": c.email,
            "phone": c.phone,
            "address": c.address,
            "notes": c.notes,
            "deleted_at": c.deleted_at,
            "retention_note": c.retention_note,
        },
    )
    for i in rec.intakes:
        emit(
            "intake",
            i.id,
            i.intake_date,
            {"intake": i.intake, "notes": i.notes, "created_by": i.created_by},
        )
    for p in rec.plans:
        emit(
            "plan",
            p.id,
            p.created_at.date(),
            {
                "intake_id": p.intake_id,
                "planner_version": p.planner_version,
                "needle_count": p.needle_count,
                "plan": p.plan,
                "note": p.note,
            },
        )
    for s in rec.sessions:
        emit(
            "session",
            s.id,
            s.session_date,
            {
                "start_time": s.start_time,
                "practitioner": s.practitioner.display_name,
                "plan_id": s.plan_id,
                "retention_minutes": s.retention_minutes,
                "technique": s.technique,
                "subjective": s.subjective,
                "objective": s.objective,
                "assessment": s.assessment,
                "plan_note": s.plan_note,
                "status": s.status,
                "signed_at": s.signed_at,
                "signed_by": s.signed_by_name,
            },
        )
        for n in s.needles:
            emit(
                "needle",
                n.id,
                s.session_date,
                {
                    "session_id": s.id,
                    "point_code": n.point_code,
                    "side": n.side,
                    "count": n.count,
                },
            )
        for a in s.amendments:
            emit(
                "amendment",
                a.id,
                a.created_at,
                {
                    "session_id": s.id,
                    "author": a.author,
                    "text": a.text,
                    "reason": a.reason,
                    "needles": a.needles,
                },
            )
    for e in rec.events:
        emit(
            "adverse_event",
            e.id,
            e.onset_date,
            {
                "session_id": e.session_id,
                "kind": e.kind,
                "severity": e.severity,
                "point_code": e.point_code,
                "side": e.side,
                "resolved_date": e.resolved_date,
                "description": e.description,
            },
        )
    for ph in rec.photos:
        emit(
            "photo",
            ph.id,
            ph.captured_at,
            {
                "session_id": ph.session_id,
                "sha256": ph.sha256,
                "view": ph.view,
                "width": ph.width,
                "height": ph.height,
                "yaw_deg": ph.yaw_deg,
                "pitch_deg": ph.pitch_deg,
                "roll_deg": ph.roll_deg,
                "quality_ok": ph.quality_ok,
                "quality_flags": ph.quality_flags,
                "face_map_version": ph.face_map_version,
                "skin_method_version": ph.skin_method_version,
                "note": ph.note,
            },
        )
    for ms in rec.measurements:
        emit(
            "measurement",
            ms.id,
            ms.measured_at,
            {
                "photo_id": ms.photo_id,
                "session_id": ms.session_id,
                "metric": ms.metric,
                "region": ms.region,
                "value": ms.value,
                "unit": ms.unit,
                "method_version": ms.method_version,
            },
        )
    for r in rec.ratings:
        emit(
            "rating",
            r.id,
            r.rated_on,
            {
                "session_id": r.session_id,
                "scale": r.scale,
                "value": r.value,
                "rater": r.rater,
                "note": r.note,
            },
        )
    for co in rec.consents:
        emit(
            "consent",
            co.id,
            co.signed_on,
            {
                "kind": co.kind,
                "granted": co.granted,
                "withdrawn_on": co.withdrawn_on,
                "document_version": co.document_version,
                "signed_by": co.signed_by,
                "witness": co.witness_name,
                "note": co.note,
            },
        )
    return buf.getvalue()
