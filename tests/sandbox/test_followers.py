"""Followers of deals, persons and organizations over HTTP (v2 and v1), users' followers, the
creator following a new record, paging, errors, and followers carried over by a merge."""

from __future__ import annotations

from typing import Any

import pytest
from sandbox_testkit import Api

from pipedrive_connector.sandbox.engine import spec_data

ENTITIES = [
    ("deals", {"title": "Followed deal"}, "deal_id"),
    ("persons", {"name": "Followed person"}, "person_id"),
    ("organizations", {"name": "Followed org"}, "org_id"),
]


def _create(api: Api, plural: str, body: dict[str, Any]) -> int:
    response = api.post(f"/api/v2/{plural}", json=body)
    assert response.status_code == 200, response.text
    entity_id: int = response.json()["data"]["id"]
    return entity_id


@pytest.mark.parametrize(("plural", "body", "v1_key"), ENTITIES)
def test_v2_and_v1_followers_with_changelog(api: Api, plural: str, body: dict[str, Any], v1_key: str) -> None:
    entity_id = _create(api, plural, body)
    v2 = f"/api/v2/{plural}/{entity_id}/followers"
    v1 = f"/v1/{plural}/{entity_id}/followers"
    # The creator (user 1, the token's user) follows a new record.
    assert [f["user_id"] for f in api.get(v2).json()["data"]] == [1]
    added = api.post(v2, json={"user_id": 2})
    assert added.status_code == 201, added.text
    assert set(added.json()["data"]) == set(
        spec_data.response_keys(f"POST /api/v2/{plural}/{{id}}/followers")
    )
    assert api.post(v2, json={"user_id": 2}).status_code == 400  # already following
    v1_added = api.post(v1, json={"user_id": 3})
    assert v1_added.status_code == spec_data.response_status(f"POST /v1/{plural}/{{id}}/followers") == 200
    follower = v1_added.json()["data"]
    assert follower[v1_key] == entity_id and follower["user_id"] == 3 and len(follower["add_time"]) == 19
    assert [f["user_id"] for f in api.get(v1).json()["data"]] == [1, 2, 3]
    assert api.get(f"/v1/{plural}/{entity_id}").json()["data"]["followers_count"] == 3
    counted = api.get(f"/api/v2/{plural}/{entity_id}", params={"include_fields": "followers_count"})
    assert counted.json()["data"]["followers_count"] == 3
    assert api.delete(f"{v2}/2").json() == {"success": True, "data": {"user_id": 2}}
    assert api.delete(f"{v2}/2").status_code == 404
    assert api.delete(f"{v1}/{follower['id']}").json()["data"] == {"id": follower["id"]}
    assert api.delete(f"{v1}/{follower['id']}").status_code == 404
    assert [f["user_id"] for f in api.get(v2).json()["data"]] == [1]
    log = api.get(f"{v2}/changelog").json()["data"]
    assert [(e["action"], e["follower_user_id"]) for e in log] == [
        ("added", 1),
        ("added", 2),
        ("added", 3),
        ("removed", 2),
        ("removed", 3),
    ]
    assert all(e["actor_user_id"] == 1 for e in log)


@pytest.mark.parametrize(("plural", "body", "v1_key"), ENTITIES)
def test_follower_errors(api: Api, plural: str, body: dict[str, Any], v1_key: str) -> None:
    entity_id = _create(api, plural, body)
    v2 = f"/api/v2/{plural}/{entity_id}/followers"
    for bad in ({"user_id": "2"}, {}, {"user_id": 2, "extra": 1}):
        response = api.post(v2, json=bad)
        assert response.status_code == 400, (bad, response.text)
    unknown = api.post(v2, json={"user_id": 4242})
    assert unknown.status_code == 400 and "4242" in unknown.json()["error"]
    assert api.post(f"/v1/{plural}/{entity_id}/followers", json={}).status_code == 400
    assert api.post(f"/v1/{plural}/{entity_id}/followers", json={"user_id": "x"}).status_code == 400
    for path in (f"/api/v2/{plural}/99999/followers", f"/v1/{plural}/99999/followers"):
        assert api.get(path).status_code == 404
    assert api.get(f"/api/v2/{plural}/abc/followers").status_code == 400
    # A deleted record's followers are gone with it.
    assert api.delete(f"/api/v2/{plural}/{entity_id}").status_code == 200
    assert api.get(v2).status_code == 404


def test_follower_pages(api: Api) -> None:
    deal_id = _create(api, "deals", {"title": "Paged"})
    for user_id in (2, 3):
        assert api.post(f"/api/v2/deals/{deal_id}/followers", json={"user_id": user_id}).status_code == 201
    first = api.get(f"/api/v2/deals/{deal_id}/followers", params={"limit": 2}).json()
    assert [f["user_id"] for f in first["data"]] == [1, 2]
    cursor = first["additional_data"]["next_cursor"]
    rest = api.get(f"/api/v2/deals/{deal_id}/followers", params={"limit": 2, "cursor": cursor}).json()
    assert [f["user_id"] for f in rest["data"]] == [3] and rest["additional_data"]["next_cursor"] is None
    v1 = api.get(f"/v1/deals/{deal_id}/followers", params={"start": 1, "limit": 1}).json()
    assert [f["user_id"] for f in v1["data"]] == [2]
    assert v1["additional_data"]["pagination"] == {
        "start": 1,
        "limit": 1,
        "more_items_in_collection": True,
        "next_start": 2,
    }
    assert api.get(f"/api/v2/deals/{deal_id}/followers", params={"cursor": "!!"}).status_code == 400


def test_user_followers(api: Api) -> None:
    v2 = api.get("/api/v2/users/1/followers")
    assert v2.status_code == 200 and v2.json()["data"] == []
    assert v2.json()["additional_data"] == {"next_cursor": None}
    assert api.get("/v1/users/2/followers").json() == {"success": True, "data": []}
    assert api.get("/api/v2/users/999/followers").status_code == 404
    assert api.get("/v1/users/999/followers").status_code == 404


def test_merge_hands_followers_to_the_survivor(api: Api) -> None:
    kept = _create(api, "persons", {"name": "Kept"})
    merged = _create(api, "persons", {"name": "Merged"})
    assert api.post(f"/api/v2/persons/{merged}/followers", json={"user_id": 3}).status_code == 201
    response = api.put(f"/v1/persons/{merged}/merge", json={"merge_with_id": kept})
    assert response.status_code == 200, response.text
    assert sorted(f["user_id"] for f in api.get(f"/api/v2/persons/{kept}/followers").json()["data"]) == [1, 3]
    assert api.get(f"/api/v2/persons/{merged}/followers").status_code == 404
