"""Search endpoints (v2 and legacy v1): term rules, exact_match, fields, filters, scores, paging."""

from __future__ import annotations

import pytest
from sandbox_testkit import Api

from pipedrive_connector.sandbox.seed import custom_field_key


def items(api: Api, path: str, **params: object) -> list[dict]:
    response = api.get(path, params=params)
    assert response.status_code == 200, response.json()
    return response.json()["data"]["items"]


@pytest.mark.parametrize(
    "path",
    [
        "/api/v2/deals/search",
        "/api/v2/persons/search",
        "/api/v2/organizations/search",
        "/api/v2/leads/search",
        "/api/v2/itemSearch",
        "/v1/deals/search",
        "/v1/leads/search",
        "/v1/itemSearch",
    ],
)
def test_term_needs_two_characters_or_one_with_exact_match(api: Api, path: str) -> None:
    for params in ({}, {"term": "a"}, {"term": " "}):
        response = api.get(path, params=params)
        assert response.status_code == 400 and "term" in response.json()["error"]
    assert api.get(path, params={"term": "a", "exact_match": "true"}).status_code == 200


def test_deal_search_scores_shapes_and_filters(api: Api) -> None:
    found = items(api, "/api/v2/deals/search", term="acme")
    assert {hit["item"]["title"] for hit in found} >= {"Acme CRM rollout", "Acme support renewal"}
    assert all(isinstance(hit["result_score"], float) for hit in found)
    scores = [hit["result_score"] for hit in found]
    assert scores == sorted(scores, reverse=True)
    item = found[0]["item"]
    assert item["type"] == "deal" and set(item) >= {
        "id",
        "title",
        "value",
        "currency",
        "status",
        "owner",
        "stage",
        "person",
        "organization",
        "custom_fields",
        "notes",
    }
    won = items(api, "/api/v2/deals/search", term="acme", status="won")
    assert [hit["item"]["title"] for hit in won] == ["Acme support renewal"]
    by_person = items(api, "/api/v2/deals/search", term="acme", person_id=1)
    assert [hit["item"]["person"]["id"] for hit in by_person] == [1]
    cc = items(api, "/api/v2/deals/search", term="acme", include_fields="deal.cc_email")
    assert all(hit["item"]["cc_email"].endswith("@pipedrivemail.com") for hit in cc)
    assert api.get("/api/v2/deals/search", params={"term": "acme", "fields": "email"}).status_code == 400


def test_exact_match_is_whole_value_and_case_insensitive(api: Api) -> None:
    assert items(api, "/api/v2/persons/search", term="jane", exact_match="true") == []
    exact = items(api, "/api/v2/persons/search", term="JANE DOE", exact_match="true")
    assert [hit["item"]["name"] for hit in exact] == ["Jane Doe"]


def test_fields_restrict_where_the_term_is_looked_for(api: Api) -> None:
    by_email = items(api, "/api/v2/persons/search", term="example.com", fields="email")
    assert len(by_email) == 15
    assert items(api, "/api/v2/persons/search", term="example.com", fields="name") == []
    note_key = custom_field_key("deal", "Source note")
    by_custom = items(api, "/api/v2/deals/search", term="referral", fields="custom_fields")
    assert by_custom and all(hit["item"]["custom_fields"] for hit in by_custom)
    assert note_key  # the searched field is the seeded "Source note" varchar


def test_item_search_mixes_types_and_caps_limit_at_100(api: Api) -> None:
    found = items(api, "/api/v2/itemSearch", term="acme")
    assert {"deal", "organization"} <= {hit["item"]["type"] for hit in found}
    only_orgs = items(api, "/api/v2/itemSearch", term="acme", item_types="organization")
    assert only_orgs and {hit["item"]["type"] for hit in only_orgs} == {"organization"}
    assert api.get("/api/v2/itemSearch", params={"term": "acme", "limit": 101}).status_code == 400
    assert (
        api.get("/api/v2/itemSearch", params={"term": "acme", "item_types": "spaceship"}).status_code == 400
    )


def test_search_pagination_cursor_and_v1_start(api: Api) -> None:
    first = api.get("/api/v2/persons/search", params={"term": "example", "limit": 4}).json()
    cursor = first["additional_data"]["next_cursor"]
    second = api.get(
        "/api/v2/persons/search", params={"term": "example", "limit": 4, "cursor": cursor}
    ).json()
    ids_one = [hit["item"]["id"] for hit in first["data"]["items"]]
    ids_two = [hit["item"]["id"] for hit in second["data"]["items"]]
    assert len(ids_one) == 4 and not set(ids_one) & set(ids_two)
    legacy = api.get("/v1/persons/search", params={"term": "example", "start": 4, "limit": 4}).json()
    assert legacy["additional_data"]["pagination"]["start"] == 4
    assert [hit["item"]["id"] for hit in legacy["data"]["items"]] == ids_two


def test_lead_search_filters_and_deleted_entities_are_not_found(api: Api) -> None:
    hooli = items(api, "/api/v2/leads/search", term="hooli", include_fields="lead.was_seen")
    assert len(hooli) == 1 and hooli[0]["item"]["type"] == "lead" and "was_seen" in hooli[0]["item"]
    assert items(api, "/api/v2/leads/search", term="hooli", organization_id=1) == []
    api.delete("/api/v2/organizations/1")
    assert all(hit["item"]["id"] != 1 for hit in items(api, "/api/v2/organizations/search", term="acme"))


def test_item_search_field_matches_one_field(api: Api) -> None:
    note = custom_field_key("deal", "Source note")
    base = {"entity_type": "deal", "field": note}
    exact = api.get("/api/v2/itemSearch/field", params={**base, "term": "inbound via referral"}).json()[
        "data"
    ]
    middle = api.get(
        "/api/v2/itemSearch/field", params={**base, "term": "referral", "match": "middle"}
    ).json()["data"]
    assert exact and {d["id"] for d in exact} == {d["id"] for d in middle}
    assert api.get("/api/v2/itemSearch/field", params={**base, "term": "referral"}).json()["data"] == []
    people = api.get(
        "/api/v2/itemSearch/field",
        params={"entity_type": "person", "field": "name", "term": "jane", "match": "beginning"},
    ).json()["data"]
    assert people == [{"id": 1, "name": "Jane Doe"}]
    assert (
        api.get("/api/v2/itemSearch/field", params={**base, "term": "x", "match": "fuzzy"}).status_code == 400
    )
    assert api.get("/api/v2/itemSearch/field", params={"entity_type": "deal", "term": "x"}).status_code == 400
