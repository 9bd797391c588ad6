"""Organization relationships over HTTP (v1 CRUD): calculated types from either end, the list by
organization with paging, validation errors, no webhooks, and relationships following a merge;
plus the remaining filter operations (bulk delete, helpers)."""

from __future__ import annotations

from typing import Any

# Fixtures are imported by name, so their use as test parameters "redefines" them.
# ruff: noqa: F811
from _extras_fixtures import ExtrasSandbox, Receiver, _extras_server, extras, receiver  # noqa: F401
from sandbox_testkit import Api

from pipedrive_connector.sandbox.engine import spec_data

PATH = "/v1/organizationRelationships"


def _org(api: Api, name: str) -> int:
    response = api.post("/api/v2/organizations", json={"name": name})
    assert response.status_code == 200, response.text
    org_id: int = response.json()["data"]["id"]
    return org_id


def _relate(api: Api, owner: int, linked: int, kind: str = "parent") -> dict[str, Any]:
    response = api.post(PATH, json={"rel_owner_org_id": owner, "rel_linked_org_id": linked, "type": kind})
    assert response.status_code == spec_data.response_status(f"POST {PATH}"), response.text
    data: dict[str, Any] = response.json()["data"]
    return data


def test_crud_and_calculated_types(api: Api) -> None:
    parent, daughter = _org(api, "Parent Co"), _org(api, "Daughter Co")
    made = _relate(api, parent, daughter)
    assert set(spec_data.response_keys(f"POST {PATH}")) <= set(made)
    assert made["type"] == "parent" and made["active_flag"] == "true"
    assert made["rel_owner_org_id"]["value"] == parent and made["rel_owner_org_id"]["name"] == "Parent Co"
    assert made["rel_linked_org_id"]["value"] == daughter
    item = f"{PATH}/{made['id']}"
    from_parent = api.get(item, params={"org_id": parent}).json()["data"]
    assert (from_parent["calculated_type"], from_parent["calculated_related_org_id"]) == (
        "daughter",
        daughter,
    )
    from_daughter = api.get(item, params={"org_id": daughter}).json()["data"]
    assert (from_daughter["calculated_type"], from_daughter["calculated_related_org_id"]) == (
        "parent",
        parent,
    )
    listed = api.get(PATH, params={"org_id": daughter}).json()
    assert [(r["id"], r["related_organization_name"]) for r in listed["data"]] == [(made["id"], "Parent Co")]
    assert set(listed["related_objects"]["organization"]) == {str(parent), str(daughter)}
    updated = api.put(item, json={"type": "related"})
    assert updated.status_code == 200 and updated.json()["data"]["type"] == "related"
    assert api.get(item, params={"org_id": daughter}).json()["data"]["calculated_type"] == "related"
    assert api.delete(item).json() == {"success": True, "data": {"id": made["id"]}}
    assert api.get(item).status_code == 404
    assert api.get(PATH, params={"org_id": parent}).json()["data"] == []


def test_list_pages(api: Api) -> None:
    hub = _org(api, "Hub")
    spokes = [_org(api, f"Spoke {n}") for n in range(3)]
    ids = [_relate(api, hub, spoke, "related")["id"] for spoke in spokes]
    page = api.get(PATH, params={"org_id": hub, "limit": 2}).json()
    assert [r["id"] for r in page["data"]] == ids[:2]
    assert page["additional_data"]["pagination"]["next_start"] == 2
    rest = api.get(PATH, params={"org_id": hub, "start": 2}).json()
    assert [r["id"] for r in rest["data"]] == ids[2:]
    assert rest["additional_data"]["pagination"]["more_items_in_collection"] is False


def test_validation_errors(api: Api) -> None:
    one, two = _org(api, "One"), _org(api, "Two")
    cases: list[tuple[dict[str, Any], str]] = [
        ({"rel_linked_org_id": two, "type": "parent"}, "rel_owner_org_id"),
        ({"rel_owner_org_id": one, "rel_linked_org_id": two}, "type"),
        ({"rel_owner_org_id": one, "rel_linked_org_id": two, "type": "cousin"}, "type"),
        ({"rel_owner_org_id": one, "rel_linked_org_id": 99999, "type": "parent"}, "rel_linked_org_id"),
        ({"rel_owner_org_id": one, "rel_linked_org_id": one, "type": "parent"}, "rel_linked_org_id"),
        ({"rel_owner_org_id": "x", "rel_linked_org_id": two, "type": "parent"}, "rel_owner_org_id"),
    ]
    for body, field in cases:
        response = api.post(PATH, json=body)
        assert response.status_code == 400 and field in response.json()["error"], (body, response.text)
    made = _relate(api, one, two)
    repeated = api.post(PATH, json={"rel_owner_org_id": two, "rel_linked_org_id": one, "type": "related"})
    assert repeated.status_code == 400 and "already related" in repeated.json()["error"]
    assert api.put(f"{PATH}/{made['id']}", json={"rel_linked_org_id": one}).status_code == 400
    assert api.put(f"{PATH}/{made['id']}", json={"type": None}).status_code == 400
    assert api.get(PATH).status_code == 400
    assert api.get(PATH, params={"org_id": 99999}).status_code == 404
    assert api.put(f"{PATH}/99999", json={"type": "related"}).status_code == 404
    assert api.delete(f"{PATH}/99999").status_code == 404


def test_merge_moves_relationships_without_self_links(api: Api) -> None:
    kept, merged, third = _org(api, "Kept"), _org(api, "Merged"), _org(api, "Third")
    between = _relate(api, kept, merged)
    outward = _relate(api, merged, third, "related")
    response = api.put(f"/v1/organizations/{merged}/merge", json={"merge_with_id": kept})
    assert response.status_code == 200, response.text
    assert api.get(f"{PATH}/{between['id']}").status_code == 404  # it would relate Kept to itself
    moved = api.get(f"{PATH}/{outward['id']}").json()["data"]
    assert moved["rel_owner_org_id"]["value"] == kept and moved["rel_linked_org_id"]["value"] == third


def test_relationships_emit_no_webhooks(extras: ExtrasSandbox, receiver: Receiver) -> None:
    extras.add_webhook(receiver.url, event_action="*", event_object="*", version="2.0")
    body = {"rel_owner_org_id": 1, "rel_linked_org_id": 2, "type": "parent"}
    made = extras.api.post(PATH, json=body)
    assert made.status_code == 200, made.text
    assert extras.api.delete(f"{PATH}/{made.json()['data']['id']}").status_code == 200
    extras.api.post("/api/v2/organizations", json={"name": "Marker"})  # proves delivery works
    extras.flush()
    assert [(b["meta"]["action"], b["meta"]["entity"]) for b in receiver.bodies()] == [
        ("create", "organization")
    ]


def test_filters_bulk_delete_and_helpers(api: Api) -> None:
    conditions = {"glue": "and", "conditions": [{"glue": "and", "conditions": []}]}
    ids = [
        api.post("/v1/filters", json={"name": f"F{n}", "type": "deals", "conditions": conditions}).json()[
            "data"
        ]["id"]
        for n in range(2)
    ]
    gone = api.delete("/v1/filters", params={"ids": ",".join(map(str, ids))})
    assert gone.json() == {"success": True, "data": {"id": ids}}
    assert all(api.get(f"/v1/filters/{filter_id}").status_code == 404 for filter_id in ids)
    assert api.delete("/v1/filters", params={"ids": str(ids[0])}).status_code == 404
    assert api.delete("/v1/filters").status_code == 400
    assert api.delete("/v1/filters", params={"ids": "a,b"}).status_code == 400
    helpers = api.get("/v1/filters/helpers").json()["data"]
    assert helpers["operators"]["int"]["IS NULL"] == "is empty"
    assert "LIKE '%$%'" in helpers["operators"]["varchar"]
