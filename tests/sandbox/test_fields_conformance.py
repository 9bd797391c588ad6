"""The *Fields operations against the specs: a generated-request sweep over just these paths (never a 5xx,
responses match their schemas) and one known-good request per operation with the documented status."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from conformance_kit import all_operations, call_conforming, sandbox_schema, sweep

from pipedrive_connector.sandbox.seed import custom_field_key

REGION = custom_field_key("deal", "Region")
SCORE = custom_field_key("deal", "Score")
LINKEDIN = custom_field_key("person", "LinkedIn profile")
TIER = custom_field_key("organization", "Tier")
V2_KINDS = ("deal", "person", "organization", "product", "project")


@pytest.mark.parametrize("spec_name", ["v1", "v2"])
def test_generated_requests_to_fields_operations(shared_dir: Path, spec_name: str) -> None:
    schema = sandbox_schema(shared_dir, spec_name)
    fields = (operation for operation in all_operations(schema) if "Fields" in operation.path)
    checked, failures = sweep(fields, max_examples=5)
    assert checked >= (30 if spec_name == "v2" else 20)
    assert not failures, "\n\n".join(failures)


def _call(
    schema: Any, path: str, method: str, params: dict[str, Any], query: dict[str, Any], body: Any
) -> Any:
    response = call_conforming(schema, method, path, params, query, body)
    assert response.status_code in (200, 201), response.text
    assert response.json()["success"] is True
    return response.json()["data"]


@pytest.mark.parametrize("kind", V2_KINDS)
def test_v2_field_and_option_operations_conform(shared_dir: Path, kind: str) -> None:
    schema = sandbox_schema(shared_dir, "v2")
    base = f"/{kind}Fields"
    one = f"{base}/{{field_code}}"
    options = f"{one}/options"
    listed = _call(schema, base, "GET", {}, {"limit": 5}, None)
    assert listed
    body = {"field_name": "Grade", "field_type": "enum", "options": [{"label": "A"}, {"label": "B"}]}
    created = _call(schema, base, "POST", {}, {}, body)
    code = {"field_code": created["field_code"]}
    assert _call(schema, one, "GET", code, {}, None)["field_code"] == code["field_code"]
    assert _call(schema, one, "PATCH", code, {}, {"field_name": "Grades"})["field_name"] == "Grades"
    added = _call(schema, options, "POST", code, {}, [{"label": "C"}])
    _call(schema, options, "PATCH", code, {}, [{"id": added[0]["id"], "label": "C+"}])
    _call(schema, options, "DELETE", code, {}, [{"id": added[0]["id"]}])
    _call(schema, one, "DELETE", code, {}, None)


def test_v2_activity_fields_and_seeded_fields_conform(shared_dir: Path) -> None:
    schema = sandbox_schema(shared_dir, "v2")
    _call(schema, "/activityFields", "GET", {}, {"include_fields": "ui_visibility"}, None)
    _call(schema, "/activityFields/{field_code}", "GET", {"field_code": "subject"}, {}, None)
    query = {"include_fields": "ui_visibility,important_fields,required_fields"}
    _call(schema, "/dealFields/{field_code}", "GET", {"field_code": REGION}, query, None)
    _call(schema, "/personFields/{field_code}", "GET", {"field_code": LINKEDIN}, {}, None)
    _call(schema, "/organizationFields/{field_code}", "GET", {"field_code": TIER}, {}, None)
    _call(schema, "/projectFields", "GET", {}, {}, None)


@pytest.mark.parametrize("kind", ("deal", "person", "organization", "product"))
def test_v1_field_operations_conform(shared_dir: Path, kind: str) -> None:
    schema = sandbox_schema(shared_dir, "v1")
    base = f"/{kind}Fields"
    one = f"{base}/{{id}}"
    ids = [
        _call(schema, base, "POST", {}, {}, {"name": f"Extra {n}", "field_type": "double"})["id"]
        for n in (1, 2)
    ]
    _call(schema, one, "GET", {"id": ids[0]}, {}, None)
    _call(schema, one, "PUT", {"id": ids[0]}, {}, {"name": "Renamed"})
    _call(schema, one, "DELETE", {"id": ids[0]}, {}, None)
    _call(schema, base, "DELETE", {}, {"ids": str(ids[1])}, None)
