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


def _raw_post(api: Api, path: str, raw: bytes, method: str = "POST") -> Any:
    headers = {"x-api-token": TOKEN, "content-type": "application/json"}
    return api.client.request(method, path, content=raw, headers=headers)


@pytest.mark.parametrize(
    "moment",
    [
        "9999-12-31T23:59:59-01:00",  # parses, but shifting it to UTC overflows year 9999
        "0001-01-01T00:00:00+01:00",  # and this underflows year 1
        "\u0662\u0660\u0662\u0664-\u0660\u0661-\u0660\u0661 00:00:00",  # Arabic-Indic digits match \d
    ],
)
@pytest.mark.parametrize(("method", "path"), [("POST", "/v1/deals"), ("PUT", "/v1/deals/1")])
def test_v1_extreme_add_time_is_a_400_naming_the_field(api: Api, method: str, path: str, moment: str) -> None:
    response = api.client.request(
        method, path, json={"title": "Edge", "add_time": moment}, headers={"x-api-token": TOKEN}
    )
    assert response.status_code == 400, response.text
    assert "'add_time'" in response.json()["error"]


def test_year_one_round_trips_in_four_digits(api: Api) -> None:
    created = api.post("/v1/deals", json={"title": "Old", "add_time": "0001-01-01 00:00:00"})
    assert created.status_code == 201
    assert created.json()["data"]["add_time"] == "0001-01-01 00:00:00"
    v2 = api.get(f"/api/v2/deals/{created.json()['data']['id']}").json()["data"]
    assert v2["add_time"] == "0001-01-01T00:00:00Z"


@pytest.mark.parametrize(
    ("raw", "named"),
    [
        (
            b'{"title": "x", "person_id": 1, "note": "\\ud800"}',
            "'note'",
        ),  # a lone surrogate cannot be encoded
        (b'{"title": "x", "person_id": 1, "value": {"amount": 1e400}}', "'value'"),  # 1e400 parses as inf
        (b'{"title": "x", "person_id": 1, "note": ' + b"[" * 200 + b"]" * 200 + b"}", "'note'"),
        (b'{"title": "x", "value": ' + b"9" * 5000 + b"}", "too many digits"),
        (b'{"title": ' + b"[" * 100_000 + b"]" * 100_000 + b"}", "nested too deeply"),
    ],
)
@pytest.mark.parametrize(
    "path", ["/api/v2/deals", "/v1/deals", "/v1/leads", "/v1/webhooks", "/_sandbox/reset"]
)
def test_json_python_accepts_but_cannot_store_is_a_named_400(
    api: Api, path: str, raw: bytes, named: str
) -> None:
    response = _raw_post(api, path, raw)
    assert response.status_code == 400, response.text
    assert named in response.json()["error"]


def test_v2_number_beyond_a_float_is_a_400_not_an_overflow(api: Api) -> None:
    response = _raw_post(api, "/api/v2/deals", b'{"title": "x", "value": ' + b"9" * 400 + b"}")
    assert response.status_code == 400 and "value" in response.json()["error"]
    response = _raw_post(api, "/v1/deals", b'{"title": "x", "value": ' + b"9" * 400 + b"}")
    assert response.status_code == 400 and "value" in response.json()["error"]


@pytest.mark.parametrize("path", ["/_sandbox/rate-limit", "/_sandbox/webhooks/settings", "/_sandbox/faults"])
def test_control_plane_deep_json_is_a_400(api: Api, path: str) -> None:
    assert _raw_post(api, path, b"[" * 100_000 + b"]" * 100_000).status_code == 400
