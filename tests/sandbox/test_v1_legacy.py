"""Legacy API v1 deals, persons, organizations, activities: the shapes of the seed component document."""

from __future__ import annotations

import re
from pathlib import Path

from sandbox_testkit import TOKEN, Api

from pipedrive_connector.sandbox.seed import custom_field_key

BUDGET = custom_field_key("deal", "Budget")
SCORE = custom_field_key("deal", "Score")


def sample_keys(document: str, action: str, marker: str) -> set[str]:
    """Top-level keys of the object after ``marker`` in an action's "Sample Output" (Java map syntax)."""
    section = document.split(f"### {action}", 1)[1]
    sample = section.split("___Sample Output:___", 1)[1]
    start = sample.index(marker) + len(marker)
    keys: set[str] = set()
    depth = 0
    token = ""
    for char in sample[start:]:
        if char in "{[":
            depth += 1
        elif char in "}]":
            if depth == 0:
                break
            depth -= 1
        elif depth == 0:
            if char == "=":
                keys.add(token.strip(" ,"))
                token = ""
                continue
            if char == ",":
                token = ""
                continue
        if depth == 0 and char not in "}]":
            token += char
    return {key for key in keys if re.fullmatch(r"[a-z_]+", key)}


def test_v1_deal_has_every_field_of_the_seed_documents_samples(api: Api, shared_dir: Path) -> None:
    document = (shared_dir / "seed" / "pipedrive-component.md").read_text(encoding="utf-8")
    listed = api.get("/v1/deals", params={"limit": 1}).json()
    list_keys = sample_keys(document, "Get all deals", "data=[{")
    assert len(list_keys) > 40
    assert list_keys - set(listed["data"][0]) == set()
    detail = api.get("/v1/deals/1").json()
    detail_keys = sample_keys(document, "Get details of a deal", ", data={")
    assert len(detail_keys) > 40
    assert detail_keys - set(detail["data"]) == set()
    assert detail["data"]["age"]["total_seconds"] > 0
    assert set(detail["related_objects"]) >= {"user", "person", "organization", "stage", "pipeline"}
    assert detail["additional_data"]["dropbox_email"].endswith("@pipedrivemail.com")


def test_v1_deal_shapes_expanded_ids_v1_dates_and_flat_custom_fields(api: Api) -> None:
    deal = api.get("/v1/deals/1").json()["data"]
    assert deal["user_id"]["value"] == 1 and deal["user_id"]["name"] == "Alex Admin"
    assert (
        deal["person_id"]["value"] == 1 and deal["person_id"]["email"][0]["value"] == "jane.doe@example.com"
    )
    assert deal["org_id"]["value"] == 1 and deal["org_id"]["name"] == "Acme Corporation"
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}", deal["add_time"])
    assert deal[BUDGET] == 57600 and deal[f"{BUDGET}_currency"] == "EUR"
    assert deal[SCORE] == 8.5 and deal["visible_to"] == "3"


def test_v1_list_pagination_and_related_objects(api: Api) -> None:
    page = api.get("/v1/deals", params={"start": 0, "limit": 5}).json()
    assert page["additional_data"]["pagination"] == {
        "start": 0,
        "limit": 5,
        "more_items_in_collection": True,
        "next_start": 5,
    }
    assert set(page["related_objects"]["user"]) >= {str(d["user_id"]["value"]) for d in page["data"]}
    seen = [d["id"] for d in page["data"]]
    start = 5
    while True:
        more = api.get("/v1/deals", params={"start": start, "limit": 5}).json()
        seen += [d["id"] for d in more["data"]]
        if not more["additional_data"]["pagination"]["more_items_in_collection"]:
            assert "next_start" not in more["additional_data"]["pagination"]
            break
        start = more["additional_data"]["pagination"]["next_start"]
    assert len(seen) == len(set(seen)) >= 15


def test_v1_filters_status_user_stage_sort_and_owned_by_you(api: Api) -> None:
    won = api.get("/v1/deals", params={"status": "won"}).json()["data"]
    assert won and all(d["status"] == "won" for d in won)
    by_user = api.get("/v1/deals", params={"user_id": 2}).json()["data"]
    assert by_user and all(d["user_id"]["value"] == 2 for d in by_user)
    mine = api.get("/v1/deals", params={"owned_by_you": 1}).json()["data"]
    assert mine and all(d["user_id"]["value"] == 1 for d in mine)
    titles = [d["title"] for d in api.get("/v1/deals", params={"sort": "title DESC"}).json()["data"]]
    assert titles == sorted(titles, key=str.lower, reverse=True)
    two_keys = api.get("/v1/deals", params={"sort": "status ASC, value DESC"}).json()["data"]
    assert [(d["status"], -d["value"]) for d in two_keys] == sorted(
        (d["status"], -d["value"]) for d in two_keys
    )
    assert api.get("/v1/deals", params={"sort": "nope ASC"}).status_code == 400
    assert api.get("/v1/deals", params={"status": "maybe"}).status_code == 400
    stage = won[0]["stage_id"]
    assert all(
        d["stage_id"] == stage for d in api.get("/v1/deals", params={"stage_id": stage}).json()["data"]
    )


def test_v1_filter_id_applies_a_saved_filter(api: Api) -> None:
    filters = api.get("/v1/filters", params={"type": "deals"}).json()["data"]
    big = next(f for f in filters if f["name"] == "Big deals")
    deals = api.get("/v1/deals", params={"filter_id": big["id"]}).json()["data"]
    assert deals and all(d["value"] > 40000 for d in deals)
    v2 = api.get("/api/v2/deals", params={"filter_id": big["id"]}).json()["data"]
    assert sorted(d["id"] for d in v2) == sorted(d["id"] for d in deals)
    assert api.get("/v1/deals", params={"filter_id": 9999}).status_code == 404


def test_v1_add_accepts_form_bodies_and_root_custom_fields_then_put_and_delete(api: Api) -> None:
    response = api.client.post(
        "/v1/deals",
        headers={"x-api-token": TOKEN},
        data={
            "title": "Form deal",
            "value": "250",
            "currency": "USD",
            "user_id": "2",
            BUDGET: "300",
            f"{BUDGET}_currency": "USD",
        },
    )
    assert response.status_code == 201
    deal = response.json()["data"]
    assert deal["value"] == 250 and deal["user_id"]["value"] == 2 and deal["origin"] == "API"
    assert deal[BUDGET] == 300 and deal[f"{BUDGET}_currency"] == "USD"
    assert api.get(f"/api/v2/deals/{deal['id']}").json()["data"]["custom_fields"][BUDGET] == {
        "value": 300,
        "currency": "USD",
    }
    updated = api.put(f"/v1/deals/{deal['id']}", json={"status": "lost", "lost_reason": "Price"}).json()[
        "data"
    ]
    assert updated["status"] == "lost" and updated["lost_reason"] == "Price" and updated["lost_time"]
    assert api.delete(f"/v1/deals/{deal['id']}").json() == {"success": True, "data": {"id": deal["id"]}}
    deleted = api.get("/v1/deals", params={"status": "deleted"}).json()["data"]
    assert [d["id"] for d in deleted] == [deal["id"]] and deleted[0]["deleted"] is True
    assert api.post("/v1/deals", json={"value": 5}).status_code == 400


def test_v1_persons_organizations_activities(api: Api) -> None:
    person = api.post(
        "/v1/persons", json={"name": "Grace Hopper", "email": ["grace@example.com"], "org_id": 3}
    )
    assert person.status_code == 201
    data = person.json()["data"]
    assert data["email"][0]["value"] == "grace@example.com" and data["org_id"]["value"] == 3
    g_people = api.get("/v1/persons", params={"first_char": "g"}).json()["data"]
    assert g_people and all(p["name"].lower().startswith("g") for p in g_people)
    org = api.post("/api/v1/organizations", json={"name": "Legacy Ltd", "address": "Riga, Latvia"}).json()[
        "data"
    ]
    assert org["address"] == "Riga, Latvia" and org["owner_id"]["value"] == 1
    activity = api.post(
        "/v1/activities",
        json={
            "subject": "Call Grace",
            "type": "call",
            "person_id": data["id"],
            "due_date": "2030-05-01",
            "done": 0,
        },
    ).json()["data"]
    assert activity["person_id"] == data["id"] and activity["done"] is False and activity["user_id"] == 1
    done = api.put(f"/v1/activities/{activity['id']}", json={"done": 1}).json()["data"]
    assert done["done"] is True
    in_range = api.get(
        "/v1/activities", params={"start_date": "2030-05-01", "end_date": "2030-05-01"}
    ).json()["data"]
    assert [a["id"] for a in in_range] == [activity["id"]]
    assert api.get("/v1/activities", params={"type": "call", "done": 1}).json()["data"]


def test_merging_persons_moves_their_deals_and_publishes_merge_events(api: Api) -> None:
    events: list = []
    api.state.bus.subscribe(events.append)
    jane_deals = {d["id"] for d in api.get("/api/v2/deals", params={"person_id": 1}).json()["data"]}
    merged = api.put("/v1/persons/1/merge", json={"merge_with_id": 13})
    assert merged.status_code == 200 and merged.json()["data"]["id"] == 13
    assert merged.json()["data"]["org_id"] == 1  # Mikko had no organization; Jane's carried over
    moved = {d["id"] for d in api.get("/api/v2/deals", params={"person_id": 13, "limit": 500}).json()["data"]}
    assert jane_deals <= moved
    assert api.get("/api/v2/persons/1").json()["data"]["is_deleted"] is True
    assert [(e.entity, e.action, e.entity_id, e.merged_from_id, e.merged_to_id) for e in events] == [
        ("person", "change", 13, 1, None),
        ("person", "delete", 1, None, 13),
    ]
    assert api.put("/v1/persons/13/merge", json={"merge_with_id": 13}).status_code == 400
    assert api.put("/v1/persons/13/merge", json={"merge_with_id": 1}).status_code == 404
    assert api.put("/v1/deals/1/merge", json={}).status_code == 400


def test_nested_v1_lists_of_an_entity(api: Api) -> None:
    acme_people = api.get("/v1/organizations/1/persons").json()
    assert [p["name"] for p in acme_people["data"]] == ["Jane Doe", "John Smith"]
    assert acme_people["additional_data"]["pagination"]["more_items_in_collection"] is False
    jane_deals = api.get("/v1/persons/1/deals").json()["data"]
    assert jane_deals and all(d["person_id"]["value"] == 1 for d in jane_deals)
    deal_activities = api.get("/v1/deals/1/activities").json()["data"]
    assert deal_activities and all(a["deal_id"] == 1 for a in deal_activities)
    assert api.get("/v1/organizations/999/deals").status_code == 404


def test_archived_deals_cannot_be_edited_until_unarchived(api: Api) -> None:
    api.patch("/api/v2/deals/5", json={"is_archived": True})
    blocked = api.patch("/api/v2/deals/5", json={"title": "Edited"})
    assert blocked.status_code == 400 and "archived" in blocked.json()["error"]
    assert api.put("/v1/deals/5", json={"title": "Edited"}).status_code == 400
    restored = api.patch("/api/v2/deals/5", json={"is_archived": False}).json()["data"]
    assert restored["is_archived"] is False and restored["archive_time"] is None
    assert api.patch("/api/v2/deals/5", json={"title": "Edited"}).status_code == 200
