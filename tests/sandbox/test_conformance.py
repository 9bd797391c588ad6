"""Conformance with Pipedrive's official OpenAPI specs (schemathesis 4, in process over ASGI).

For every spec operation the sandbox serves: generated requests never get a 5xx and every
documented response matches its schema; then a known-good request per operation must get the
documented success status and a body matching the spec's response schema.

The specs' response schemas are relaxed in two deliberate ways (nulls accepted, date formats not
enforced): see ``conformance_kit``, the harness every conformance test shares.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from conformance_kit import (
    SPEC_FILES,
    KnownGood,
    all_operations,
    call_conforming,
    known_good_cases,
    sandbox_schema,
    sweep,
)

from pipedrive_connector.sandbox.seed import seeded_uuid

HOT_LABEL = seeded_uuid("leadLabel:Hot")
LEAD = seeded_uuid("lead:Hooli data team")


@pytest.mark.parametrize("spec_name", sorted(SPEC_FILES))
def test_generated_requests_never_fail_and_match_documented_schemas(shared_dir: Path, spec_name: str) -> None:
    checked, failures = sweep(all_operations(sandbox_schema(shared_dir, spec_name)), max_examples=3)
    assert checked >= 10
    assert not failures, "\n\n".join(failures)


# (spec, method, path, path parameters, query, body, expected status)
KNOWN_GOOD: list[KnownGood] = [
    ("v2", "GET", "/deals", {}, {"limit": 3}, None, 200),
    ("v2", "GET", "/deals/{id}", {"id": 1}, {}, None, 200),
    ("v2", "POST", "/deals", {}, {}, {"title": "Conformance deal", "value": 10}, 200),
    ("v2", "PATCH", "/deals/{id}", {"id": 1}, {}, {"title": "Renamed"}, 200),
    ("v2", "DELETE", "/deals/{id}", {"id": 3}, {}, None, 200),
    ("v2", "GET", "/persons", {}, {}, None, 200),
    ("v2", "GET", "/persons/{id}", {"id": 1}, {}, None, 200),
    ("v2", "POST", "/persons", {}, {}, {"name": "Conformance Person"}, 200),
    ("v2", "PATCH", "/persons/{id}", {"id": 1}, {}, {"name": "Jane Q Doe"}, 200),
    ("v2", "DELETE", "/persons/{id}", {"id": 15}, {}, None, 200),
    ("v2", "GET", "/organizations", {}, {}, None, 200),
    ("v2", "GET", "/organizations/{id}", {"id": 1}, {}, None, 200),
    ("v2", "POST", "/organizations", {}, {}, {"name": "Conformance Org"}, 200),
    ("v2", "PATCH", "/organizations/{id}", {"id": 1}, {}, {"name": "Acme Corp"}, 200),
    ("v2", "DELETE", "/organizations/{id}", {"id": 12}, {}, None, 200),
    ("v2", "GET", "/activities", {}, {}, None, 200),
    ("v2", "GET", "/activities/{id}", {"id": 1}, {}, None, 200),
    ("v2", "POST", "/activities", {}, {}, {"subject": "Call", "type": "call"}, 200),
    ("v2", "PATCH", "/activities/{id}", {"id": 1}, {}, {"done": True}, 200),
    ("v2", "DELETE", "/activities/{id}", {"id": 2}, {}, None, 200),
    ("v2", "GET", "/deals/search", {}, {"term": "acme"}, None, 200),
    ("v2", "GET", "/persons/search", {}, {"term": "jane"}, None, 200),
    ("v2", "GET", "/organizations/search", {}, {"term": "acme"}, None, 200),
    ("v2", "GET", "/leads/search", {}, {"term": "hooli"}, None, 200),
    ("v2", "GET", "/itemSearch", {}, {"term": "acme"}, None, 200),
    (
        "v2",
        "GET",
        "/itemSearch/field",
        {},
        {"term": "ja", "entity_type": "person", "field": "name", "match": "beginning"},
        None,
        200,
    ),
    ("v2", "GET", "/deals/archived", {}, {}, None, 200),
    ("v2", "GET", "/dealFields", {}, {"limit": 5}, None, 200),
    ("v2", "GET", "/personFields/{field_code}", {"field_code": "name"}, {}, None, 200),
    ("v2", "POST", "/leads/{id}/convert/deal", {"id": LEAD}, {}, {"stage_id": 2}, 200),
    ("v2", "POST", "/deals/{id}/convert/lead", {"id": 1}, {}, None, 200),
    ("v2", "GET", "/pipelines", {}, {}, None, 200),
    ("v2", "GET", "/pipelines/{id}", {"id": 1}, {}, None, 200),
    ("v2", "POST", "/pipelines", {}, {}, {"name": "Renewals"}, 200),
    ("v2", "PATCH", "/pipelines/{id}", {"id": 1}, {}, {"name": "Sales 2"}, 200),
    ("v2", "DELETE", "/pipelines/{id}", {"id": 2}, {}, None, 200),
    ("v2", "GET", "/stages", {}, {"pipeline_id": 1}, None, 200),
    ("v2", "GET", "/stages/{id}", {"id": 1}, {}, None, 200),
    ("v2", "POST", "/stages", {}, {}, {"name": "Won back", "pipeline_id": 1}, 200),
    ("v2", "PATCH", "/stages/{id}", {"id": 1}, {}, {"name": "Qualified+"}, 200),
    ("v2", "DELETE", "/stages/{id}", {"id": 8}, {}, None, 200),
    ("v1", "GET", "/users", {}, {}, None, 200),
    ("v1", "GET", "/users/me", {}, {}, None, 200),
    ("v1", "GET", "/users/{id}", {"id": 2}, {}, None, 200),
    ("v1", "GET", "/users/find", {}, {"term": "sam"}, None, 200),
    ("v1", "GET", "/leadFields", {}, {}, None, 200),
    ("v1", "GET", "/pipelines/{id}/deals", {"id": 1}, {"stage_id": 3}, None, 200),
    ("v1", "GET", "/stages/{id}/deals", {"id": 3}, {}, None, 200),
    ("v1", "GET", "/leads", {}, {}, None, 200),
    ("v1", "GET", "/leads/archived", {}, {}, None, 200),
    (
        "v1",
        "POST",
        "/leads",
        {},
        {},
        {"title": "L", "person_id": 1, "value": {"amount": 5, "currency": "EUR"}},
        201,
    ),
    ("v1", "GET", "/leads/{id}", {"id": LEAD}, {}, None, 200),
    ("v1", "PATCH", "/leads/{id}", {"id": LEAD}, {}, {"title": "Hooli data platform"}, 200),
    ("v1", "DELETE", "/leads/{id}", {"id": LEAD}, {}, None, 200),
    ("v1", "GET", "/leads/search", {}, {"term": "hooli"}, None, 200),
    ("v1", "GET", "/leadLabels", {}, {}, None, 200),
    ("v1", "POST", "/leadLabels", {}, {}, {"name": "VIP", "color": "purple"}, 200),
    ("v1", "PATCH", "/leadLabels/{id}", {"id": HOT_LABEL}, {}, {"color": "orange"}, 200),
    ("v1", "DELETE", "/leadLabels/{id}", {"id": HOT_LABEL}, {}, None, 200),
    ("v1", "GET", "/leadSources", {}, {}, None, 200),
    ("v1", "GET", "/filters", {}, {"type": "deals"}, None, 200),
    ("v1", "GET", "/filters/{id}", {"id": 1}, {}, None, 200),
    (
        "v1",
        "PUT",
        "/filters/{id}",
        {"id": 2},
        {},
        {"conditions": {"glue": "and", "conditions": [{"glue": "and", "conditions": []}]}},
        200,
    ),
    ("v1", "DELETE", "/filters/{id}", {"id": 2}, {}, None, 200),
    ("v1", "GET", "/currencies", {}, {"term": "eu"}, None, 200),
    ("v1", "GET", "/dealFields", {}, {"limit": 5}, None, 200),
    ("v1", "GET", "/dealFields/{id}", {"id": 1}, {}, None, 200),
    (
        "v1",
        "POST",
        "/dealFields",
        {},
        {},
        {"name": "Tier", "field_type": "enum", "options": [{"label": "A"}]},
        200,
    ),
    ("v1", "GET", "/personFields", {}, {}, None, 200),
    ("v1", "GET", "/activityFields", {}, {}, None, 200),
    ("v1", "GET", "/organizationFields", {}, {}, None, 200),
    ("v1-legacy", "GET", "/deals", {}, {"limit": 3}, None, 200),
    ("v1-legacy", "GET", "/deals/{id}", {"id": 1}, {}, None, 200),
    ("v1-legacy", "POST", "/deals", {}, {}, {"title": "Legacy deal"}, 201),
    ("v1-legacy", "PUT", "/deals/{id}", {"id": 1}, {}, {"title": "Legacy rename"}, 200),
    ("v1-legacy", "DELETE", "/deals/{id}", {"id": 4}, {}, None, 200),
    ("v1", "PUT", "/deals/{id}/merge", {"id": 2}, {}, {"merge_with_id": 1}, 200),
    ("v1", "PUT", "/persons/{id}/merge", {"id": 2}, {}, {"merge_with_id": 1}, 200),
    ("v1-legacy", "GET", "/persons", {}, {}, None, 200),
    ("v1-legacy", "GET", "/persons/{id}", {"id": 1}, {}, None, 200),
    ("v1-legacy", "POST", "/persons", {}, {}, {"name": "Legacy Person"}, 201),
    ("v1-legacy", "GET", "/organizations", {}, {}, None, 200),
    ("v1-legacy", "GET", "/organizations/{id}", {"id": 1}, {}, None, 200),
    ("v1-legacy", "POST", "/organizations", {}, {}, {"name": "Legacy Org"}, 201),
    ("v1-legacy", "GET", "/activities", {}, {}, None, 200),
    ("v1-legacy", "GET", "/activities/{id}", {"id": 1}, {}, None, 200),
    ("v1-legacy", "POST", "/activities", {}, {}, {"subject": "Legacy call", "type": "call"}, 201),
    ("v1-legacy", "GET", "/deals/{id}/activities", {"id": 1}, {}, None, 200),
    ("v1-legacy", "GET", "/persons/{id}/deals", {"id": 1}, {}, None, 200),
    ("v1-legacy", "GET", "/organizations/{id}/persons", {"id": 1}, {}, None, 200),
    ("v1-legacy", "GET", "/organizations/{id}/deals", {"id": 1}, {}, None, 200),
    ("v1-legacy", "GET", "/pipelines", {}, {}, None, 200),
    ("v1-legacy", "GET", "/stages", {}, {}, None, 200),
    ("v1-legacy", "GET", "/deals/search", {}, {"term": "acme"}, None, 200),
    ("v1-legacy", "GET", "/itemSearch", {}, {"term": "acme"}, None, 200),
]


@known_good_cases(KNOWN_GOOD)
def test_known_good_request_conforms(
    shared_dir: Path,
    spec_name: str,
    method: str,
    path: str,
    path_parameters: dict[str, Any],
    query: dict[str, Any],
    body: Any,
    expected: int,
) -> None:
    schema = sandbox_schema(shared_dir, spec_name)
    response = call_conforming(schema, method, path, path_parameters, query, body)
    assert response.status_code == expected, response.text
    assert response.json()["success"] is True
