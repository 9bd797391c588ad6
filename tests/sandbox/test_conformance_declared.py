"""Known-good requests to the declared entities (notes, products, deal products) against the specs.

The generated-request sweep of ``test_conformance.py`` covers these operations already (it picks
every served operation); this adds one request per operation that must succeed with the documented
status and a body matching the spec's response schema, on the demo seed's records.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from conformance_kit import KnownGood, call_conforming, known_good_cases, sandbox_schema

from pipedrive_connector.sandbox.seed import seeded_uuid

COMMENT = seeded_uuid("noteComment:kick-off")
CALL_LOG = seeded_uuid("call:acme-kickoff").replace("-", "")
GOAL = seeded_uuid("goal:deals won").replace("-", "")
CALL = {"to_phone_number": "+1 555", "outcome": "busy", "start_time": "2026-01-05 10:00:00"}

# (spec, method, path, path parameters, query, body, expected status)
KNOWN_GOOD: list[KnownGood] = [
    ("v1", "GET", "/notes", {}, {"deal_id": 1, "pinned_to_deal_flag": 1}, None, 200),
    ("v1", "GET", "/notes/{id}", {"id": 1}, {}, None, 200),
    ("v1", "POST", "/notes", {}, {}, {"content": "Hi", "deal_id": 2, "pinned_to_deal_flag": 1}, 200),
    ("v1", "PUT", "/notes/{id}", {"id": 2}, {}, {"content": "Edited"}, 200),
    ("v1", "DELETE", "/notes/{id}", {"id": 3}, {}, None, 200),
    ("v1", "GET", "/notes/{id}/comments", {"id": 1}, {}, None, 200),
    ("v1", "POST", "/notes/{id}/comments", {"id": 1}, {}, {"content": "Agreed"}, 200),
    ("v1", "GET", "/notes/{id}/comments/{commentId}", {"id": 1, "commentId": COMMENT}, {}, None, 200),
    (
        "v1",
        "PUT",
        "/notes/{id}/comments/{commentId}",
        {"id": 1, "commentId": COMMENT},
        {},
        {"content": "x"},
        200,
    ),
    ("v1", "DELETE", "/notes/{id}/comments/{commentId}", {"id": 1, "commentId": COMMENT}, {}, None, 200),
    ("v1", "GET", "/noteFields", {}, {}, None, 200),
    ("v2", "GET", "/products", {}, {"sort_by": "name"}, None, 200),
    ("v2", "GET", "/products/{id}", {"id": 1}, {}, None, 200),
    ("v2", "POST", "/products", {}, {}, {"name": "Cable", "prices": [{"currency": "EUR", "price": 3}]}, 201),
    ("v2", "PATCH", "/products/{id}", {"id": 1}, {}, {"unit": "user"}, 200),
    ("v2", "DELETE", "/products/{id}", {"id": 4}, {}, None, 200),
    ("v2", "GET", "/products/search", {}, {"term": "licence"}, None, 200),
    ("v2", "POST", "/products/{id}/duplicate", {"id": 2}, {}, None, 201),
    ("v2", "GET", "/products/{id}/variations", {"id": 1}, {}, None, 200),
    ("v2", "POST", "/products/{id}/variations", {"id": 1}, {}, {"name": "Team"}, 201),
    (
        "v2",
        "PATCH",
        "/products/{id}/variations/{product_variation_id}",
        {"id": 1, "product_variation_id": 1},
        {},
        {"name": "Yearly"},
        200,
    ),
    (
        "v2",
        "DELETE",
        "/products/{id}/variations/{product_variation_id}",
        {"id": 1, "product_variation_id": 2},
        {},
        None,
        200,
    ),
    ("v2", "POST", "/products/{id}/followers", {"id": 1}, {}, {"user_id": 2}, 201),
    ("v2", "GET", "/products/{id}/followers", {"id": 1}, {}, None, 200),
    ("v2", "GET", "/products/{id}/followers/changelog", {"id": 1}, {}, None, 200),
    ("v1", "POST", "/products/{id}/followers", {"id": 2}, {}, {"user_id": 2}, 201),
    ("v1", "GET", "/products/{id}/followers", {"id": 2}, {}, None, 200),
    ("v1", "GET", "/products/{id}/deals", {"id": 1}, {}, None, 200),
    ("v1", "GET", "/products/{id}/permittedUsers", {"id": 1}, {}, None, 200),
    ("v1", "GET", "/persons/{id}/products", {"id": 1}, {}, None, 200),
    ("v1", "GET", "/productFields", {}, {}, None, 200),
    ("v1", "GET", "/productFields/{id}", {"id": 1}, {}, None, 200),
    ("v1", "POST", "/productFields", {}, {}, {"name": "Warranty", "field_type": "varchar"}, 201),
    ("v2", "GET", "/productFields", {}, {}, None, 200),
    ("v2", "GET", "/productFields/{field_code}", {"field_code": "code"}, {}, None, 200),
    ("v2", "GET", "/deals/{id}/products", {"id": 1}, {}, None, 200),
    ("v2", "GET", "/deals/products", {}, {"deal_ids": [1, 2, 3]}, None, 200),
    (
        "v2",
        "POST",
        "/deals/{id}/products",
        {"id": 4},
        {},
        {"product_id": 1, "quantity": 2, "item_price": 10},
        201,
    ),
    (
        "v2",
        "POST",
        "/deals/{id}/products/bulk",
        {"id": 5},
        {},
        {"data": [{"product_id": 2, "quantity": 1, "item_price": 5}]},
        201,
    ),
    (
        "v2",
        "PATCH",
        "/deals/{id}/products/{product_attachment_id}",
        {"id": 1, "product_attachment_id": 1},
        {},
        {"discount": 5},
        200,
    ),
    (
        "v2",
        "DELETE",
        "/deals/{id}/products/{product_attachment_id}",
        {"id": 2, "product_attachment_id": 2},
        {},
        None,
        200,
    ),
    ("v2", "DELETE", "/deals/{id}/products", {"id": 3}, {}, None, 200),
    ("v2", "GET", "/deals/{id}/discounts", {"id": 1}, {}, None, 200),
    (
        "v2",
        "POST",
        "/deals/{id}/discounts",
        {"id": 1},
        {},
        {"amount": 5, "type": "percentage", "description": "x"},
        201,
    ),
    (
        "v2",
        "POST",
        "/deals/{id}/installments",
        {"id": 1},
        {},
        {"amount": 9, "billing_date": "2027-01-01", "description": "x"},
        200,
    ),
    ("v2", "GET", "/deals/installments", {}, {"deal_ids": [1]}, None, 200),
    ("v1", "GET", "/activityTypes", {}, {}, None, 200),
    ("v1", "POST", "/activityTypes", {}, {}, {"name": "Demo", "icon_key": "presentation"}, 200),
    ("v1", "PUT", "/activityTypes/{id}", {"id": 6}, {}, {"color": "FF0000"}, 200),
    ("v1", "DELETE", "/activityTypes/{id}", {"id": 6}, {}, None, 200),
    ("v1", "GET", "/callLogs", {}, {}, None, 200),
    ("v1", "GET", "/callLogs/{id}", {"id": CALL_LOG}, {}, None, 200),
    ("v1", "POST", "/callLogs", {}, {}, {**CALL, "end_time": "2026-01-05 10:01:00", "deal_id": 1}, 200),
    ("v1", "DELETE", "/callLogs/{id}", {"id": CALL_LOG}, {}, None, 200),
    ("v1", "GET", "/goals/find", {}, {}, None, 200),
    (
        "v1",
        "GET",
        "/goals/{id}/results",
        {"id": GOAL},
        {"period.start": "2099-01-01", "period.end": "2099-12-31"},
        None,
        200,
    ),
    ("v1", "PUT", "/goals/{id}", {"id": GOAL}, {}, {"interval": "yearly"}, 200),
    ("v1", "DELETE", "/goals/{id}", {"id": GOAL}, {}, None, 200),
    (
        "v1",
        "POST",
        "/goals",
        {},
        {},
        {
            "type": {"name": "activities_added", "params": {"activity_type_id": [1]}},
            "assignee": {"id": 1, "type": "person"},
            "expected_outcome": {"target": 10, "tracking_metric": "quantity"},
            "duration": {"start": "2026-01-01", "end": "2026-12-31"},
            "interval": "weekly",
        },
        200,
    ),
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
