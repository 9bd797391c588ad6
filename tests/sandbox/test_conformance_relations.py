"""The relations around deals, persons and organizations against the specs: followers, participants,
changelogs, flows, permitted users, mail messages, deal summary/timeline/duplicate, organization
relationships, pipeline statistics and the remaining filter operations.

Each operation gets a generated-request sweep of its own (never a 5xx, documented shapes; the
whole-spec sweep of ``test_conformance.py`` covers them too, this one runs with ``-k <path>``) and
one known-good request that must answer the documented status with a conforming body.
"""

from __future__ import annotations

from functools import partial
from pathlib import Path
from typing import Any

import pytest
from conformance_kit import KnownGood, call_conforming, known_good_cases, run_generated, sandbox_schema

from pipedrive_connector.sandbox.seed import seeded_uuid

RELATIONSHIP = {"rel_owner_org_id": 1, "rel_linked_org_id": 2, "type": "parent"}
PERIOD = {"start_date": "2020-01-01", "end_date": "2030-12-31"}
LEAD = seeded_uuid("lead:Hooli data team")

# (spec, method, path, path parameters, query, body, expected status)
KNOWN_GOOD: list[KnownGood] = [
    *(
        row
        for plural in ("deals", "persons", "organizations")
        for row in (
            ("v2", "GET", f"/{plural}/{{id}}/followers", {"id": 1}, {}, None, 200),
            ("v2", "POST", f"/{plural}/{{id}}/followers", {"id": 1}, {}, {"user_id": 2}, 201),
            ("v2", "GET", f"/{plural}/{{id}}/followers/changelog", {"id": 1}, {}, None, 200),
            ("v1", "GET", f"/{plural}/{{id}}/followers", {"id": 2}, {}, None, 200),
            ("v1", "POST", f"/{plural}/{{id}}/followers", {"id": 2}, {}, {"user_id": 3}, 200),
            ("v1", "GET", f"/{plural}/{{id}}/changelog", {"id": 1}, {"limit": 5}, None, 200),
            ("v1", "GET", f"/{plural}/{{id}}/flow", {"id": 1}, {"all_changes": "1"}, None, 200),
            ("v1", "GET", f"/{plural}/{{id}}/permittedUsers", {"id": 1}, {}, None, 200),
            ("v1", "GET", f"/{plural}/{{id}}/mailMessages", {"id": 1}, {}, None, 200),
        )
    ),
    ("v2", "GET", "/users/{id}/followers", {"id": 1}, {}, None, 200),
    ("v1", "GET", "/leads/{id}/permittedUsers", {"id": LEAD}, {}, None, 200),
    ("v1", "GET", "/users/{id}/followers", {"id": 1}, {}, None, 200),
    ("v1", "GET", "/deals/{id}/participants", {"id": 1}, {}, None, 200),
    ("v1", "POST", "/deals/{id}/participants", {"id": 1}, {}, {"person_id": 3}, 200),
    ("v1", "GET", "/deals/{id}/participantsChangelog", {"id": 1}, {}, None, 200),
    ("v1", "POST", "/deals/{id}/duplicate", {"id": 1}, {}, None, 200),
    ("v1", "GET", "/deals/summary", {}, {"status": "open"}, None, 200),
    (
        "v1",
        "GET",
        "/deals/timeline",
        {},
        {"start_date": "2020-01-01", "interval": "quarter", "amount": 40, "field_key": "add_time"},
        None,
        200,
    ),
    ("v1", "GET", "/deals/summary/archived", {}, {}, None, 200),
    (
        "v1",
        "GET",
        "/deals/timeline/archived",
        {},
        {"start_date": "2020-01-01", "interval": "day", "amount": 3, "field_key": "update_time"},
        None,
        200,
    ),
    ("v1", "POST", "/organizationRelationships", {}, {}, RELATIONSHIP, 200),
    ("v1", "GET", "/organizationRelationships", {}, {"org_id": 1}, None, 200),
    ("v1", "GET", "/pipelines/{id}/conversion_statistics", {"id": 1}, PERIOD, None, 200),
    ("v1", "GET", "/pipelines/{id}/movement_statistics", {"id": 1}, PERIOD, None, 200),
    ("v1", "GET", "/filters/helpers", {}, {}, None, 200),
    ("v1", "DELETE", "/filters", {}, {"ids": "1"}, None, 200),
]
# Operations that need a record the known-good list creates first: (spec, method, path, setup).
NEEDS_SETUP = [
    ("v1", "DELETE", "/deals/{id}/followers/{follower_id}"),
    ("v2", "DELETE", "/deals/{id}/followers/{follower_id}"),
    ("v1", "DELETE", "/deals/{id}/participants/{deal_participant_id}"),
    ("v1", "GET", "/organizationRelationships/{id}"),
    ("v1", "PUT", "/organizationRelationships/{id}"),
    ("v1", "DELETE", "/organizationRelationships/{id}"),
]
SWEPT = sorted(
    {(row[0], row[1], row[2]) for row in KNOWN_GOOD}
    | set(NEEDS_SETUP)
    | {
        (version, "DELETE", f"/{plural}/{{id}}/followers/{{follower_id}}")
        for version in ("v1", "v2")
        for plural in ("persons", "organizations")
    }
)


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


def test_nested_operations_conform(shared_dir: Path) -> None:
    """Deleting a follower or participant and reading, updating, deleting a relationship."""
    v1 = partial(call_conforming, sandbox_schema(shared_dir, "v1"))
    follower = v1("POST", "/deals/{id}/followers", {"id": 1}, {}, {"user_id": 2}).json()["data"]
    ids = {"id": 1, "follower_id": follower["id"]}
    assert v1("DELETE", "/deals/{id}/followers/{follower_id}", ids, {}, None).status_code == 200
    participant = v1("POST", "/deals/{id}/participants", {"id": 1}, {}, {"person_id": 3}).json()
    ids = {"id": 1, "deal_participant_id": participant["data"]["id"]}
    path = "/deals/{id}/participants/{deal_participant_id}"
    assert v1("DELETE", path, ids, {}, None).status_code == 200
    made = v1("POST", "/organizationRelationships", {}, {}, RELATIONSHIP).json()["data"]
    item = {"id": made["id"]}
    assert v1("GET", "/organizationRelationships/{id}", item, {"org_id": 2}, None).status_code == 200
    assert v1("PUT", "/organizationRelationships/{id}", item, {}, {"type": "related"}).status_code == 200
    assert v1("DELETE", "/organizationRelationships/{id}", item, {}, None).status_code == 200
    v2 = partial(call_conforming, sandbox_schema(shared_dir, "v2"))
    assert v2("POST", "/deals/{id}/followers", {"id": 1}, {}, {"user_id": 3}).status_code == 201
    gone = v2("DELETE", "/deals/{id}/followers/{follower_id}", {"id": 1, "follower_id": 3}, {}, None)
    assert gone.status_code == 200


@pytest.mark.parametrize(("spec_name", "method", "path"), SWEPT, ids=[" ".join(row) for row in SWEPT])
def test_generated_requests_never_fail(shared_dir: Path, spec_name: str, method: str, path: str) -> None:
    run_generated(sandbox_schema(shared_dir, spec_name)[path][method], max_examples=12)
