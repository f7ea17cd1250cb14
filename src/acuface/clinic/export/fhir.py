"""FHIR R4B export: a ``collection`` Bundle of one client's record.

Resources: Patient; per session an Encounter and a Procedure whose ``bodySite``
lists the needled points (code in an Acuface code system, side and count in the
text); Observation for measurements and outcome ratings; AdverseEvent; Media for
photos (the bytes embedded only on request). R4B is chosen over R5 because it
still has ``Media`` and is what most receiving systems speak. The Bundle is
validated with ``fhir.resources.R4B`` before it is returned.
"""

from __future__ import annotations

import base64
import hashlib
import uuid
from datetime import UTC, date, datetime, time
from typing import Any

from fhir.resources.R4B.bundle import Bundle
from sqlalchemy.orm import Session

from acuface.atlas import load_atlas
from acuface.clinic import models as m
from acuface.clinic.export._gather import gather
from acuface.clinic.photostore import get_photo_store
from acuface.clinic.schemas import RATING_SCALES, Actor

#: Code systems of our own (URNs: they identify, they do not resolve).
ACUPOINT_SYSTEM = "urn:acuface:acupoint"
METRIC_SYSTEM = "urn:acuface:skin-metric"
SCALE_SYSTEM = "urn:acuface:outcome-scale"
CLIENT_ID_SYSTEM = "urn:acuface:client-id"
PHOTO_HASH_SYSTEM = "urn:acuface:photo-sha256"
SNOMED = "http://snomed.info/sct"
#: SNOMED CT "Acupuncture (procedure)".
SNOMED_ACUPUNCTURE = ("12850006", "Acupuncture (procedure)")

_NS = uuid.UUID("6f1c8a52-3b7e-4c1d-9a57-0c2f4b8e9d31")
_SIDE_TEXT = {"left": "left", "right": "right", "midline": "midline"}


def _urn(kind: str, ident: int | str) -> str:
    return f"urn:uuid:{uuid.uuid5(_NS, f'{kind}/{ident}')}"


def _dt(value: datetime | date | None) -> str | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat()
    return value.isoformat()


def _session_start(s: m.TreatmentSession) -> str:
    if s.start_time is None:
        return s.session_date.isoformat()
    start = datetime.combine(s.session_date, s.start_time or time(0, 0), tzinfo=UTC)
    return start.isoformat()


def _entry(kind: str, ident: int | str, resource: dict[str, Any]) -> dict[str, Any]:
    resource = {"resourceType": kind, "id": f"{kind.lower()}-{ident}", **resource}
    return {"fullUrl": _urn(kind, ident), "resource": resource}


def _clean(value: Any) -> Any:
    """Drop ``None`` and empty containers (FHIR forbids empty elements)."""
    if isinstance(value, dict):
        out = {k: _clean(v) for k, v in value.items()}
        return {k: v for k, v in out.items() if v not in (None, [], {}, "")}
    if isinstance(value, list):
        return [c for c in (_clean(v) for v in value) if c not in (None, [], {}, "")]
    return value


def _patient(c: m.Client) -> dict[str, Any]:
    telecom = []
    if c.phone:
        telecom.append({"system": "phone", "value": c.phone})
    if c.email:
        telecom.append({"system": "email", "value": c.email})
    return _entry(
        "Patient",
        c.id,
        {
            "identifier": [{"system": CLIENT_ID_SYSTEM, "value": str(c.id)}],
            "active": c.deleted_at is None,
            "name": [{"family": c.family_name, "given": [c.given_name]}],
            "gender": c.sex,
            "birthDate": _dt(c.birth_date),
            "telecom": telecom,
            "address": [{"text": c.address}] if c.address else [],
        },
    )


def _point_names() -> dict[str, str]:
    try:
        return {code: f"{p.pinyin} ({code})" for code, p in load_atlas().points.items()}
    except Exception:  # noqa: BLE001 - names are a courtesy; codes are the data
        return {}


def _soap(s: m.TreatmentSession) -> list[dict[str, Any]]:
    notes = []
    signed = f"signed {_dt(s.signed_at)} by {s.signed_by_name}" if s.signed_at else "unsigned draft"
    for label, text in (
        ("S", s.subjective),
        ("O", s.objective),
        ("A", s.assessment),
        ("P", s.plan_note),
    ):
        if text:
            notes.append({"text": f"{label}: {text}", "time": _dt(s.signed_at)})
    extra = [f"retention {s.retention_minutes} min"] if s.retention_minutes is not None else []
    if s.technique:
        extra.append(f"technique: {s.technique}")
    notes.append({"text": "; ".join([*extra, signed])})
    for a in s.amendments:
        notes.append(
            {
                "authorString": a.author,
                "time": _dt(a.created_at),
                "text": f"AMENDMENT: {a.text}" + (f" (reason: {a.reason})" if a.reason else ""),
            }
        )
    return notes


def export_fhir(
    *, session: Session, actor: Actor, client_id: int, include_photo_data: bool = False
) -> dict[str, Any]:
    """Return one client's record as a validated FHIR R4B Bundle (JSON dict).

    Parameters
    ----------
    include_photo_data : bool, keyword-only
        Embed the JPEG bytes (base64) in each Media; otherwise Media points to
        ``photos/<sha256>.jpg`` and carries the hash as an identifier.
    """
    rec = gather(session, actor, client_id, "fhir")
    names = _point_names()
    patient_ref = {"reference": _urn("Patient", rec.client.id)}
    entries = [_patient(rec.client)]
    for s in rec.sessions:
        enc_ref = {"reference": _urn("Encounter", s.id)}
        entries.append(
            _entry(
                "Encounter",
                s.id,
                {
                    "status": "finished" if s.signed_at else "in-progress",
                    "class": {
                        "system": "http://terminology.hl7.org/CodeSystem/v3-ActCode",
                        "code": "AMB",
                        "display": "ambulatory",
                    },
                    "subject": patient_ref,
                    "participant": [{"individual": {"display": s.practitioner.display_name}}],
                    "period": {"start": _session_start(s)},
                },
            )
        )
        body_sites = [
            {
                "coding": [
                    {
                        "system": ACUPOINT_SYSTEM,
                        "code": n.point_code,
                        "display": names.get(n.point_code, n.point_code),
                    }
                ],
                "text": f"{n.point_code} {_SIDE_TEXT.get(n.side, n.side)} x{n.count}",
            }
            for n in s.needles
        ]
        entries.append(
            _entry(
                "Procedure",
                s.id,
                {
                    "status": "completed" if s.signed_at else "in-progress",
                    "code": {
                        "coding": [
                            {
                                "system": SNOMED,
                                "code": SNOMED_ACUPUNCTURE[0],
                                "display": SNOMED_ACUPUNCTURE[1],
                            }
                        ],
                        "text": "Facial acupuncture",
                    },
                    "subject": patient_ref,
                    "encounter": enc_ref,
                    "performedDateTime": _session_start(s),
                    "performer": [{"actor": {"display": s.practitioner.display_name}}],
                    "bodySite": body_sites,
                    "note": _soap(s),
                },
            )
        )
    for e in rec.events:
        where = f" at {e.point_code} {e.side or ''}".rstrip() if e.point_code else ""
        entries.append(
            _entry(
                "AdverseEvent",
                e.id,
                {
                    "actuality": "actual",
                    "subject": patient_ref,
                    "event": {"text": f"{e.kind}{where}"},
                    "encounter": {"reference": _urn("Encounter", e.session_id)}
                    if e.session_id
                    else None,
                    "date": _dt(e.onset_date),
                    "recordedDate": _dt(e.created_at),
                    "severity": {
                        "coding": [
                            {
                                "system": "http://terminology.hl7.org/CodeSystem/"
                                "adverse-event-severity",
                                "code": e.severity,
                            }
                        ]
                    },
                    "outcome": {
                        "coding": [
                            {
                                "system": "http://terminology.hl7.org/CodeSystem/"
                                "adverse-event-outcome",
                                "code": "resolved" if e.resolved_date else "ongoing",
                            }
                        ],
                        "text": f"resolved {e.resolved_date}" if e.resolved_date else None,
                    },
                    "suspectEntity": [{"instance": {"reference": _urn("Procedure", e.session_id)}}]
                    if e.session_id
                    else None,
                },
            )
        )
    store = None
    if include_photo_data:
        store = get_photo_store()
    for p in rec.photos:
        content: dict[str, Any] = {
            "contentType": p.content_type,
            "size": p.byte_size,
            "title": f"{p.view} photo",
            "creation": _dt(p.captured_at),
        }
        if store is not None:
            data = store.get(p.sha256)
            content["data"] = base64.b64encode(data).decode("ascii")
            content["hash"] = base64.b64encode(hashlib.sha1(data).digest()).decode("ascii")
        else:
            content["url"] = f"photos/{p.sha256}.jpg"
        entries.append(
            _entry(
                "Media",
                p.id,
                {
                    "identifier": [{"system": PHOTO_HASH_SYSTEM, "value": p.sha256}],
                    "status": "completed",
                    "type": {
                        "coding": [
                            {
                                "system": "http://terminology.hl7.org/CodeSystem/media-type",
                                "code": "image",
                            }
                        ]
                    },
                    "view": {"text": p.view},
                    "subject": patient_ref,
                    "encounter": {"reference": _urn("Encounter", p.session_id)}
                    if p.session_id
                    else None,
                    "createdDateTime": _dt(p.captured_at),
                    "width": p.width,
                    "height": p.height,
                    "content": content,
                    "note": [{"text": p.note}] if p.note else None,
                },
            )
        )
    for ms in rec.measurements:
        entries.append(
            _entry(
                "Observation",
                f"measurement-{ms.id}",
                {
                    "status": "final",
                    "code": {
                        "coding": [{"system": METRIC_SYSTEM, "code": ms.metric}],
                        "text": f"{ms.metric} ({ms.region})",
                    },
                    "subject": patient_ref,
                    "encounter": {"reference": _urn("Encounter", ms.session_id)}
                    if ms.session_id
                    else None,
                    "effectiveDateTime": _dt(ms.measured_at),
                    "valueQuantity": {"value": ms.value, "unit": ms.unit}
                    if ms.unit
                    else {"value": ms.value},
                    "bodySite": {"text": ms.region},
                    "method": {"text": f"Acuface {ms.method_version}"},
                    "derivedFrom": [{"reference": _urn("Media", ms.photo_id)}]
                    if ms.photo_id
                    else None,
                },
            )
        )
    for r in rec.ratings:
        scale = RATING_SCALES.get(r.scale)
        entries.append(
            _entry(
                "Observation",
                f"rating-{r.id}",
                {
                    "status": "final",
                    "category": [{"text": "outcome rating"}],
                    "code": {
                        "coding": [
                            {
                                "system": SCALE_SYSTEM,
                                "code": r.scale,
                                "display": scale.label if scale else r.scale,
                            }
                        ],
                        "text": scale.description if scale else r.scale,
                    },
                    "subject": patient_ref,
                    "encounter": {"reference": _urn("Encounter", r.session_id)}
                    if r.session_id
                    else None,
                    "effectiveDateTime": _dt(r.rated_on),
                    "valueInteger": r.value,
                    "note": [{"text": f"rated by the {r.rater}"}],
                },
            )
        )
    bundle = _clean(
        {
            "resourceType": "Bundle",
            "id": f"acuface-client-{rec.client.id}",
            "type": "collection",
            "timestamp": datetime.now(UTC).isoformat(),
            "entry": entries,
        }
    )
    validate_bundle(bundle)
    return bundle


def validate_bundle(bundle: dict[str, Any]) -> Any:
    """Validate *bundle* against the FHIR R4B models; return the parsed Bundle.

    Raises
    ------
    pydantic.ValidationError
        If any resource breaks the R4B structure definitions.
    """
    return Bundle.model_validate(bundle)
