"""Conformance with Pipedrive's official OpenAPI specs (schemathesis 4, in process over ASGI).

For every spec operation the sandbox serves: generated requests never get a 5xx and every
documented response matches its schema; then a known-good request per operation must get the
documented success status and a body matching the spec's response schema.

Two deliberate relaxations of the response schemas: the specs omit ``nullable`` on many fields that
Pipedrive returns as null when unset (``due_time``, ``marked_as_done_time``, ...), so every response
property accepts null; and v1 declares ``format: date-time`` on times its own examples send as
``2019-02-04 13:58:03``, so date formats are not enforced (types still are).
"""

from __future__ import annotations

import copy
import warnings
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import schemathesis
import yaml
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance, status_code_conformance

from pipedrive_connector.sandbox import SandboxSettings, create_app
from pipedrive_connector.sandbox.control import reset_state
from pipedrive_connector.sandbox.introspect import implements, served_operations
from pipedrive_connector.sandbox.seed import seeded_uuid

TOKEN = "conformance-token"
METHODS = ("get", "post", "put", "patch", "delete")
SPEC_FILES = {
    "v2": ("v2", "openapi-v2.yaml"),
    "v1": ("v1", "openapi-v1.yaml"),
    "v1-legacy": ("v1", "openapi-v1-2026-01-with-deprecated.yaml"),
}
HOT_LABEL = seeded_uuid("leadLabel:Hot")
LEAD = seeded_uuid("lead:Hooli data team")


def _relax(node: Any) -> None:
    if not isinstance(node, dict):
        return
    if any(key in node for key in ("type", "properties", "allOf", "anyOf", "oneOf", "items")):
        node["nullable"] = True
    if node.get("format") in ("date-time", "date"):
        # v1 declares date-time but its own examples (and the live API) send "2019-02-04 13:58:03".
        del node["format"]
    for sub in (node.get("properties") or {}).values():
        _relax(sub)
    for key in ("allOf", "anyOf", "oneOf"):
        for sub in node.get(key) or []:
            _relax(sub)
    for key in ("items", "additionalProperties"):
        if isinstance(node.get(key), dict):
            _relax(node[key])


@cache
def _load(path: str) -> dict[str, Any]:
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    with open(path, encoding="utf-8") as handle:
        return yaml.load(handle, Loader=loader)  # type: ignore[no-any-return]


@cache
def _served_operations() -> frozenset[tuple[str, str]]:
    return frozenset(served_operations(create_app(SandboxSettings(api_token=TOKEN))))


@cache
def served_spec(shared_dir: Path, name: str) -> dict[str, Any]:
    """The spec reduced to the operations the sandbox serves (legacy: only those the current v1 lacks)."""
    version, filename = SPEC_FILES[name]
    spec = copy.deepcopy(_load(str(shared_dir / "pipedrive" / filename)))
    current_v1 = (
        _load(str(shared_dir / "pipedrive" / "openapi-v1.yaml"))["paths"] if name == "v1-legacy" else {}
    )
    operations = set(_served_operations())
    paths: dict[str, Any] = {}
    for path, item in spec["paths"].items():
        kept = {
            method: operation
            for method, operation in item.items()
            if method in METHODS
            and implements(operations, version, method, path)
            and method not in current_v1.get(path, {})
        }
        for operation in kept.values():
            for response in operation.get("responses", {}).values():
                for media in (response.get("content") or {}).values():
                    _relax(media.get("schema"))
        if kept:
            paths[path] = {**{k: v for k, v in item.items() if k not in METHODS}, **kept}
    spec["paths"] = paths
    spec["servers"] = [{"url": "http://sandbox" + ("/api/v2" if version == "v2" else "/v1")}]
    return spec


@cache
def _loaded_schema(shared_dir: Path, name: str) -> Any:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        schema = schemathesis.openapi.from_dict(served_spec(shared_dir, name))
    schema.app = create_app(SandboxSettings(api_token=TOKEN))
    return schema


def _schema(shared_dir: Path, name: str) -> Any:
    """The (cached) schema; its sandbox app is reset to the demo seed first."""
    schema = _loaded_schema(shared_dir, name)
    reset_state(schema.app.state.sandbox, "demo")
    return schema


@pytest.mark.parametrize("spec_name", sorted(SPEC_FILES))
def test_generated_requests_never_fail_and_match_documented_schemas(shared_dir: Path, spec_name: str) -> None:
    schema = _schema(shared_dir, spec_name)
    failures: list[str] = []
    checked = 0
    for result in schema.get_all_operations():
        operation = result.ok()
        checked += 1

        @settings(
            max_examples=3,
            derandomize=True,
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        @given(case=operation.as_strategy())
        def run(case: Any) -> None:
            case.call_and_validate(
                headers={"x-api-token": TOKEN}, checks=[not_a_server_error, response_schema_conformance]
            )

        try:
            run()
        except Exception as exc:  # collect all operations' failures, then report them together
            failures.append(f"{operation.label}: {str(exc)[:800]}")
    assert checked >= 10
    assert not failures, "\n\n".join(failures)


# (spec, method, path, path parameters, query, body, expected status)
KNOWN_GOOD: list[tuple[str, str, str, dict[str, Any], dict[str, Any], Any, int]] = [
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


@pytest.mark.parametrize(
    ("spec_name", "method", "path", "path_parameters", "query", "body", "expected"),
    KNOWN_GOOD,
    ids=[f"{row[0]} {row[1]} {row[2]}" for row in KNOWN_GOOD],
)
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
    schema = _schema(shared_dir, spec_name)
    operation = schema[path][method]
    case = operation.Case(
        path_parameters=path_parameters or None,
        query=query or None,
        **({"body": body, "media_type": "application/json"} if body is not None else {}),
    )
    response = case.call_and_validate(
        headers={"x-api-token": TOKEN},
        checks=[not_a_server_error, status_code_conformance, response_schema_conformance],
    )
    assert response.status_code == expected, response.text
    assert response.json()["success"] is True
