"""Deal participants over HTTP (v1): the contact person participates, add/list/delete, paging,
the participants changelog, errors, and merges carrying participants (and products) over."""

from __future__ import annotations

from typing import Any

from sandbox_testkit import Api

from pipedrive_connector.sandbox.engine import spec_data


def _deal(api: Api, **body: Any) -> int:
    response = api.post("/api/v2/deals", json={"title": "Participants", **body})
    assert response.status_code == 200, response.text
    deal_id: int = response.json()["data"]["id"]
    return deal_id


def _person(api: Api, name: str) -> int:
    response = api.post("/api/v2/persons", json={"name": name})
    assert response.status_code == 200, response.text
    person_id: int = response.json()["data"]["id"]
    return person_id


def _participants(api: Api, deal_id: int, **params: Any) -> list[int]:
    response = api.get(f"/v1/deals/{deal_id}/participants", params=params)
    assert response.status_code == 200, response.text
    return [p["person_id"]["value"] for p in response.json()["data"]]


def test_contact_person_add_list_delete_and_changelog(api: Api) -> None:
    anna, ben = _person(api, "Anna Part"), _person(api, "Ben Part")
    deal_id = _deal(api, person_id=anna)
    assert _participants(api, deal_id) == [anna]
    added = api.post(f"/v1/deals/{deal_id}/participants", json={"person_id": ben})
    assert added.status_code == spec_data.response_status("POST /v1/deals/{id}/participants")
    item = added.json()["data"]
    assert set(spec_data.response_keys("POST /v1/deals/{id}/participants")) <= set(item)
    assert item["person"]["name"] == "Ben Part" and item["person_id"]["name"] == "Ben Part"
    assert item["related_item_data"] == {"deal_id": deal_id, "title": "Participants"}
    assert item["related_item_type"] == "deal" and item["related_item_id"] == deal_id
    assert item["added_by_user_id"]["id"] == 1 and item["active_flag"] is True
    listed = api.get(f"/v1/deals/{deal_id}/participants").json()
    assert [p["person_id"]["value"] for p in listed["data"]] == [anna, ben]
    assert set(listed["related_objects"]["person"]) == {str(anna), str(ben)}
    # Changing the contact person to a participant adds nobody; to a new person adds them.
    assert api.patch(f"/api/v2/deals/{deal_id}", json={"person_id": ben}).status_code == 200
    assert _participants(api, deal_id) == [anna, ben]
    carl = _person(api, "Carl Part")
    assert api.put(f"/v1/deals/{deal_id}", json={"person_id": carl}).status_code == 200
    assert _participants(api, deal_id) == [anna, ben, carl]
    assert api.get(f"/v1/deals/{deal_id}").json()["data"]["participants_count"] == 3
    counted = api.get(f"/api/v2/deals/{deal_id}", params={"include_fields": "participants_count"})
    assert counted.json()["data"]["participants_count"] == 3
    removed = api.delete(f"/v1/deals/{deal_id}/participants/{item['id']}")
    assert removed.json() == {"success": True, "data": {"id": item["id"]}}
    assert _participants(api, deal_id) == [anna, carl]
    log = api.get(f"/v1/deals/{deal_id}/participantsChangelog").json()
    assert [(e["action"], e["person_id"]) for e in log["data"]] == [
        ("removed", ben),
        ("added", carl),
        ("added", ben),
        ("added", anna),
    ]
    assert all(e["actor_user_id"] == 1 and len(e["time"]) == 19 for e in log["data"])
    assert log["additional_data"] == {"next_cursor": None}


def test_pages(api: Api) -> None:
    deal_id = _deal(api)
    people = [_person(api, f"Paged {n}") for n in range(3)]
    for person_id in people:
        assert api.post(f"/v1/deals/{deal_id}/participants", json={"person_id": person_id}).status_code == 200
    assert _participants(api, deal_id, start=1, limit=1) == [people[1]]
    page = api.get(f"/v1/deals/{deal_id}/participants", params={"limit": 2}).json()["additional_data"]
    assert page["pagination"] == {"start": 0, "limit": 2, "more_items_in_collection": True, "next_start": 2}
    first = api.get(f"/v1/deals/{deal_id}/participantsChangelog", params={"limit": 2}).json()
    assert [e["person_id"] for e in first["data"]] == [people[2], people[1]]
    cursor = first["additional_data"]["next_cursor"]
    rest = api.get(f"/v1/deals/{deal_id}/participantsChangelog", params={"limit": 2, "cursor": cursor}).json()
    assert [e["person_id"] for e in rest["data"]] == [people[0]]
    assert rest["additional_data"]["next_cursor"] is None


def test_errors(api: Api) -> None:
    person = _person(api, "Erring")
    deal_id = _deal(api, person_id=person)
    base = f"/v1/deals/{deal_id}/participants"
    duplicate = api.post(base, json={"person_id": person})
    assert duplicate.status_code == 400 and "person_id" in duplicate.json()["error"]
    missing = api.post(base, json={})
    assert missing.status_code == 400 and "person_id" in missing.json()["error"]
    assert api.post(base, json={"person_id": "abc"}).status_code == 400
    unknown = api.post(base, json={"person_id": 99999})
    assert unknown.status_code == 400 and "99999" in unknown.json()["error"]
    for path in ("/v1/deals/99999/participants", "/v1/deals/99999/participantsChangelog"):
        assert api.get(path).status_code == 404
    assert api.post("/v1/deals/99999/participants", json={"person_id": person}).status_code == 404
    assert api.delete(f"{base}/99999").status_code == 404
    other = _deal(api, title="Other", person_id=person)
    theirs = api.get(f"/v1/deals/{other}/participants").json()["data"][0]["id"]
    assert api.delete(f"{base}/{theirs}").status_code == 404  # another deal's participant
    assert api.get(f"/v1/deals/{deal_id}/participantsChangelog", params={"cursor": "%%"}).status_code == 400


def test_deal_merge_carries_participants_and_products(api: Api) -> None:
    anna, ben = _person(api, "Anna Merge"), _person(api, "Ben Merge")
    kept, merged = _deal(api, person_id=anna), _deal(api, person_id=ben)
    assert api.post(f"/v1/deals/{merged}/participants", json={"person_id": anna}).status_code == 200
    product = api.post(
        f"/api/v2/deals/{merged}/products", json={"product_id": 1, "quantity": 1, "item_price": 10}
    )
    assert product.status_code == 201, product.text
    response = api.put(f"/v1/deals/{merged}/merge", json={"merge_with_id": kept})
    assert response.status_code == 200, response.text
    assert response.json()["data"]["products_count"] == 1
    assert _participants(api, kept) == [anna, ben]
    assert [p["id"] for p in api.get(f"/api/v2/deals/{kept}/products").json()["data"]] == [
        product.json()["data"]["id"]
    ]


def test_person_merge_combines_contacts_and_participation(api: Api) -> None:
    kept = api.post(
        "/api/v2/persons", json={"name": "Kept", "emails": [{"value": "k@x.io", "primary": True}]}
    ).json()["data"]["id"]
    merged = api.post(
        "/api/v2/persons",
        json={
            "name": "Merged",
            "emails": [{"value": "m@x.io", "primary": True}, {"value": "k@x.io"}],
            "phones": [{"value": "+1 555", "primary": True}],
        },
    ).json()["data"]["id"]
    deal_id = _deal(api, person_id=merged)
    response = api.put(f"/v1/persons/{merged}/merge", json={"merge_with_id": kept})
    assert response.status_code == 200, response.text
    person = api.get(f"/api/v2/persons/{kept}").json()["data"]
    assert [(e["value"], e["primary"]) for e in person["emails"]] == [("k@x.io", True), ("m@x.io", False)]
    assert [(p["value"], p["primary"]) for p in person["phones"]] == [("+1 555", True)]
    assert _participants(api, deal_id) == [kept]
