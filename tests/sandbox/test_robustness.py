"""Bad input never yields a 5xx or a traceback: Pipedrive's envelope, the right status, the field named."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sandbox_testkit import TOKEN, Api, make_api

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**63), max_value=2**63)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4)
    ),
    max_leaves=12,
)
field_names = st.sampled_from(
    [
        "title",
        "name",
        "value",
        "owner_id",
        "person_id",
        "org_id",
        "stage_id",
        "pipeline_id",
        "status",
        "visible_to",
        "label_ids",
        "custom_fields",
        "emails",
        "phones",
        "address",
        "due_date",
        "due_time",
        "done",
        "type",
        "subject",
        "participants",
        "organization_id",
        "is_archived",
        "expected_close_date",
        "won_time",
        "probability",
        "0123456789abcdef0123456789abcdef01234567",
    ]
) | st.text(max_size=12)
bodies = st.dictionaries(field_names, json_values, max_size=6)
queries = st.dictionaries(
    st.sampled_from(
        [
            "limit",
            "cursor",
            "start",
            "sort",
            "sort_by",
            "sort_direction",
            "status",
            "owner_id",
            "ids",
            "updated_since",
            "include_fields",
            "filter_id",
            "term",
            "exact_match",
            "fields",
            "first_char",
            "custom_fields",
            "done",
            "item_types",
            "type",
        ]
    ),
    st.text(max_size=30),
    max_size=5,
)
FUZZ = settings(max_examples=40, deadline=None, database=None, suppress_health_check=list(HealthCheck))


@pytest.fixture(scope="module")
def shared_api() -> Iterator[Api]:
    yield from make_api("demo")


def assert_clean(response: Any) -> None:
    assert response.status_code < 500, response.text
    body = response.json()
    if response.status_code >= 400:
        assert body["success"] is False and body["error"]
        assert "Traceback" not in response.text


@FUZZ
@given(
    body=bodies,
    target=st.sampled_from(
        [
            "/api/v2/deals",
            "/api/v2/persons",
            "/api/v2/organizations",
            "/api/v2/activities",
            "/api/v2/pipelines",
            "/api/v2/stages",
        ]
    ),
)
def test_random_v2_bodies(shared_api: Api, body: dict[str, Any], target: str) -> None:
    assert_clean(shared_api.post(target, json=body))
    assert_clean(shared_api.patch(f"{target}/1", json=body))


@FUZZ
@given(
    body=bodies,
    target=st.sampled_from(
        [
            "/v1/deals",
            "/v1/persons",
            "/v1/organizations",
            "/v1/activities",
            "/v1/leads",
            "/v1/leadLabels",
            "/v1/dealFields",
            "/v1/filters",
        ]
    ),
)
def test_random_v1_bodies_json_and_form(shared_api: Api, body: dict[str, Any], target: str) -> None:
    assert_clean(shared_api.post(target, json=body))
    form = {str(k): json.dumps(v) if not isinstance(v, str) else v for k, v in body.items()}
    assert_clean(shared_api.post(target, data=form))


@FUZZ
@given(
    query=queries,
    target=st.sampled_from(
        [
            "/api/v2/deals",
            "/api/v2/activities",
            "/v1/deals",
            "/v1/persons",
            "/v1/leads",
            "/api/v2/deals/search",
            "/api/v2/itemSearch",
            "/v1/itemSearch",
            "/api/v2/stages",
            "/v1/dealFields",
            "/v1/currencies",
            "/v1/filters",
        ]
    ),
)
def test_random_queries(shared_api: Api, query: dict[str, str], target: str) -> None:
    assert_clean(shared_api.get(target, params=query))


@FUZZ
@given(
    raw=st.binary(max_size=60),
    content_type=st.sampled_from(
        ["application/json", "text/plain", "application/x-www-form-urlencoded", "multipart/form-data", ""]
    ),
)
def test_random_raw_bodies(shared_api: Api, raw: bytes, content_type: str) -> None:
    headers = {"x-api-token": TOKEN, "content-type": content_type}
    for path in ("/api/v2/deals", "/v1/deals", "/v1/leads", "/_sandbox/reset", "/_sandbox/clock"):
        response = shared_api.client.post(path, content=raw, headers=headers)
        assert response.status_code < 500, (path, response.text)


def test_unknown_routes_methods_and_ids(api: Api) -> None:
    unknown = api.get("/api/v2/spaceships")
    assert unknown.status_code == 404 and unknown.json()["success"] is False
    wrong_method = api.put("/api/v2/deals/1", json={})
    assert wrong_method.status_code == 405 and wrong_method.json()["success"] is False
    not_int = api.get("/api/v2/deals/abc")
    assert not_int.status_code == 400 and "id" in not_int.json()["error"]
    assert api.get("/v1/leads/not-a-uuid").status_code == 404
    assert api.get("/api/v2/persons/2147483648").status_code == 400


def test_nan_and_infinity_are_rejected_as_invalid_json(api: Api) -> None:
    for path in ("/api/v2/deals", "/v1/leads", "/v1/deals"):
        response = api.post(
            path,
            content=b'{"title": "x", "person_id": 1, "value": NaN}',
            headers={"x-api-token": TOKEN, "content-type": "application/json"},
        )
        assert response.status_code == 400 and "NaN" in response.json()["error"]


def test_v2_rejects_form_bodies_with_415_and_bad_json_with_400(api: Api) -> None:
    form = api.post(
        "/api/v2/persons",
        content=b"name=x",
        headers={"x-api-token": TOKEN, "content-type": "application/x-www-form-urlencoded"},
    )
    assert form.status_code == 415
    broken = api.post(
        "/api/v2/persons",
        content=b'{"name": ',
        headers={"x-api-token": TOKEN, "content-type": "application/json"},
    )
    assert broken.status_code == 400 and "JSON" in broken.json()["error"]
    array = api.post("/api/v2/persons", json=[1, 2])
    assert array.status_code == 400 and "object" in array.json()["error"]
