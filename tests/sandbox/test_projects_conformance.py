"""Known-good requests to projects, boards, phases, templates and tasks against the specs.

The generated-request sweep of ``test_conformance.py`` covers these operations already (it picks
every served operation); this adds one request per operation that must succeed with the documented
status and a body matching the spec's response schema, on the demo seed's project records.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from conformance_kit import KnownGood, call_conforming, known_good_cases, sandbox_schema

# (spec, method, path, path parameters, query, body, expected status)
KNOWN_GOOD: list[KnownGood] = [
    ("v2", "GET", "/projects", {}, {"deal_id": 1, "status": "open"}, None, 200),
    ("v2", "GET", "/projects/{id}", {"id": 1}, {}, None, 200),
    ("v2", "POST", "/projects", {}, {}, {"title": "Rollout", "deal_ids": [2], "phase_id": 3}, 201),
    ("v2", "PATCH", "/projects/{id}", {"id": 1}, {}, {"status": "completed"}, 200),
    ("v2", "DELETE", "/projects/{id}", {"id": 1}, {}, None, 200),
    ("v2", "POST", "/projects/{id}/archive", {"id": 1}, {}, None, 200),
    ("v2", "GET", "/projects/archived", {}, {}, None, 200),
    ("v2", "GET", "/projects/search", {}, {"term": "acme"}, None, 200),
    ("v2", "GET", "/projects/{id}/permittedUsers", {"id": 1}, {}, None, 200),
    ("v2", "GET", "/projects/{id}/changelog", {"id": 1}, {"limit": 5}, None, 200),
    ("v2", "GET", "/boards", {}, {}, None, 200),
    ("v2", "GET", "/boards/{id}", {"id": 1}, {}, None, 200),
    ("v2", "POST", "/boards", {}, {}, {"name": "Internal"}, 200),
    ("v2", "PATCH", "/boards/{id}", {"id": 1}, {}, {"name": "Delivery"}, 200),
    ("v2", "GET", "/phases", {}, {"board_id": 1}, None, 200),
    ("v2", "GET", "/phases/{id}", {"id": 1}, {}, None, 200),
    ("v2", "POST", "/phases", {}, {}, {"board_id": 1, "name": "Review"}, 200),
    ("v2", "PATCH", "/phases/{id}", {"id": 3}, {}, {"name": "Live"}, 200),
    ("v2", "DELETE", "/phases/{id}", {"id": 3}, {}, None, 200),
    ("v2", "GET", "/projectTemplates", {}, {}, None, 200),
    ("v2", "GET", "/projectTemplates/{id}", {"id": 1}, {}, None, 200),
    ("v2", "GET", "/tasks", {}, {"project_id": 1, "is_done": False}, None, 200),
    ("v2", "GET", "/tasks/{id}", {"id": 1}, {}, None, 200),
    ("v2", "POST", "/tasks", {}, {}, {"title": "Demo", "project_id": 1, "milestone": 1}, 201),
    ("v2", "PATCH", "/tasks/{id}", {"id": 2}, {}, {"done": 1}, 200),
    ("v2", "DELETE", "/tasks/{id}", {"id": 2}, {}, None, 200),
    ("v1", "GET", "/projects", {}, {"status": "open", "limit": 5}, None, 200),
    ("v1", "GET", "/projects/{id}", {"id": 1}, {}, None, 200),
    ("v1", "POST", "/projects", {}, {}, {"title": "Rollout", "person_id": 2}, 201),
    ("v1", "PUT", "/projects/{id}", {"id": 1}, {}, {"description": "Phase two"}, 200),
    ("v1", "DELETE", "/projects/{id}", {"id": 1}, {}, None, 200),
    ("v1", "POST", "/projects/{id}/archive", {"id": 1}, {}, None, 200),
    ("v1", "GET", "/projects/{id}/tasks", {"id": 1}, {}, None, 200),
    ("v1", "GET", "/projects/{id}/activities", {"id": 1}, {}, None, 200),
    ("v1", "GET", "/projects/{id}/groups", {"id": 1}, {}, None, 200),
    ("v1", "GET", "/projects/{id}/plan", {"id": 1}, {}, None, 200),
    ("v1", "PUT", "/projects/{id}/plan/tasks/{taskId}", {"id": 1, "taskId": 2}, {}, {"group_id": 1}, 200),
    (
        "v1",
        "PUT",
        "/projects/{id}/plan/activities/{activityId}",
        {"id": 1, "activityId": 1},
        {},
        {"phase_id": 2, "group_id": 2},
        200,
    ),
    ("v1", "GET", "/projects/boards", {}, {}, None, 200),
    ("v1", "GET", "/projects/boards/{id}", {"id": 1}, {}, None, 200),
    ("v1", "GET", "/projects/phases", {}, {"board_id": 1}, None, 200),
    ("v1", "GET", "/projects/phases/{id}", {"id": 2}, {}, None, 200),
    ("v1", "GET", "/projectTemplates", {}, {}, None, 200),
    ("v1", "GET", "/projectTemplates/{id}", {"id": 1}, {}, None, 200),
    ("v1", "GET", "/tasks", {}, {"done": 1}, None, 200),
    ("v1", "GET", "/tasks/{id}", {"id": 1}, {}, None, 200),
    ("v1", "POST", "/tasks", {}, {}, {"title": "Demo", "project_id": 1, "assignee_id": 2}, 201),
    ("v1", "PUT", "/tasks/{id}", {"id": 1}, {}, {"done": 0}, 200),
    ("v1", "DELETE", "/tasks/{id}", {"id": 1}, {}, None, 200),
]


@known_good_cases(KNOWN_GOOD)
def test_known_good_project_request_conforms(
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
