"""FHIR R4B export validated with fhir.resources; CSV export."""

from __future__ import annotations

import csv
import io

from sqlalchemy.orm import Session

from acuface.clinic.export import export_csv, export_fhir, validate_bundle
from acuface.clinic.schemas import Actor


def test_fhir_bundle_validates_and_carries_points(
    session: Session, pat: Actor, full_record: dict[str, int]
) -> None:
    bundle = export_fhir(session=session, actor=pat, client_id=full_record["client"])
    parsed = validate_bundle(bundle)  # raises on any R4B violation
    assert parsed.type == "collection"
    kinds = [e["resource"]["resourceType"] for e in bundle["entry"]]
    for kind in ("Patient", "Encounter", "Procedure", "Observation", "AdverseEvent", "Media"):
        assert kind in kinds, kind
    assert kinds.count("Media") == 2 and kinds.count("Observation") == 3
    procedure = next(
        e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == "Procedure"
    )
    sites = procedure["bodySite"]
    assert [s["coding"][0]["code"] for s in sites] == ["ST6", "ST6", "EX-HN3"]
    assert [s["text"] for s in sites] == ["ST6 left x1", "ST6 right x1", "EX-HN3 midline x1"]
    assert procedure["status"] == "completed"
    assert any("AMENDMENT" in n["text"] for n in procedure["note"])
    event = next(
        e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == "AdverseEvent"
    )
    assert event["event"]["text"] == "bruising at ST6 left"
    assert event["outcome"]["coding"][0]["code"] == "resolved"
    # References resolve inside the bundle.
    urls = {e["fullUrl"] for e in bundle["entry"]}
    assert procedure["encounter"]["reference"] in urls and procedure["subject"]["reference"] in urls


def test_fhir_with_photo_bytes(
    session: Session, pat: Actor, full_record: dict[str, int], store
) -> None:
    import base64
    import hashlib

    bundle = export_fhir(
        session=session, actor=pat, client_id=full_record["client"], include_photo_data=True
    )
    validate_bundle(bundle)
    media = [e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == "Media"]
    for res in media:
        data = base64.b64decode(res["content"]["data"])
        assert hashlib.sha256(data).hexdigest() == res["identifier"][0]["value"]
        assert base64.b64decode(res["content"]["hash"]) == hashlib.sha1(data).digest()


def test_csv_export(session: Session, pat: Actor, full_record: dict[str, int]) -> None:
    text = export_csv(session=session, actor=pat, client_id=full_record["client"])
    rows = list(csv.DictReader(io.StringIO(text)))
    assert rows and set(rows[0]) == {"record_type", "record_id", "date", "field", "value"}
    needles = [r for r in rows if r["record_type"] == "needle" and r["field"] == "point_code"]
    assert sorted(r["value"] for r in needles) == ["EX-HN3", "ST6", "ST6"]
    assert any(r["record_type"] == "amendment" and r["field"] == "text" for r in rows)
    names = {r["field"]: r["value"] for r in rows if r["record_type"] == "client"}
    assert names["family_name"] == "Lindqvist"


def test_validation_catches_a_broken_resource(
    session: Session, pat: Actor, full_record: dict[str, int]
) -> None:
    import pydantic
    import pytest

    bundle = export_fhir(session=session, actor=pat, client_id=full_record["client"])
    event = next(
        e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == "AdverseEvent"
    )
    del event["subject"]  # required in R4B
    with pytest.raises(pydantic.ValidationError):
        validate_bundle(bundle)
