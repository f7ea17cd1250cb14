"""The committed JSON Schemas must equal the ones generated from the models."""

from __future__ import annotations

import json

import acuface.clinic.consent_texts  # noqa: F401 - registers the consent texts
import acuface.skin  # noqa: F401 - registers the skin data files
from acuface.atlas import datafiles, json_schemas


def test_committed_schemas_are_up_to_date() -> None:
    for datafile in datafiles.registered():
        path, generated = datafile.schema_path, datafile.schema_text()
        committed = path.read_text(encoding="utf-8") if path.exists() else ""
        assert committed == generated, (
            f"{path} is out of date with acuface/atlas/models.py; regenerate it with "
            "`acuface atlas schema` (or `python -m acuface.cli.main atlas schema`) and commit it."
        )


def test_point_schema_forbids_unknown_fields_and_requires_source() -> None:
    schema = json.loads(json_schemas()["points.schema.json"])
    point = schema["$defs"]["Point"]
    assert point["additionalProperties"] is False
    assert "source" in point["required"]
    assert point["properties"]["source"]["minItems"] == 1
    assert schema["$defs"]["Technique"]["additionalProperties"] is False
    assert "source" in schema["$defs"]["Technique"]["required"]
