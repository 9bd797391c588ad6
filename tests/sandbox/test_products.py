"""Products over HTTP: v2 CRUD, list filters and paging, search, duplicate, variations, followers
(v2 and v1), permitted users, errors and webhooks."""

from __future__ import annotations

from typing import Any

# Fixtures are imported by name, so their use as test parameters "redefines" them.
# ruff: noqa: F811
from _extras_fixtures import ExtrasSandbox, Receiver, _extras_server, extras, receiver  # noqa: F401
from sandbox_testkit import Api

from pipedrive_connector.sandbox.engine import spec_data


def _product(api: Api, **body: Any) -> dict[str, Any]:
    response = api.post("/api/v2/products", json={"name": "Widget", **body})
    assert response.status_code == 201, response.text
    data: dict[str, Any] = response.json()["data"]
    return data


def test_create_get_patch_delete(empty_api: Api) -> None:
    api = empty_api
    made = _product(api, code="W-1", unit="pcs", tax=20, prices=[{"currency": "USD", "price": 9.5}])
    assert set(spec_data.response_keys("GET /api/v2/products/{id}")) <= set(made)
    assert made["owner_id"] == 1 and made["visible_to"] == 3 and made["is_linkable"] is True
    assert made["is_deleted"] is False and made["billing_frequency"] == "one-time"
    assert made["prices"] == [
        {
            "product_id": made["id"],
            "price": 9.5,
            "currency": "USD",
            "cost": 0,
            "direct_cost": 0,
            "notes": None,
        }
    ]
    assert api.get(f"/api/v2/products/{made['id']}").json()["data"] == made
    patched = api.patch(f"/api/v2/products/{made['id']}", json={"name": "Gadget", "category": 4})
    assert patched.status_code == 200, patched.text
    assert patched.json()["data"]["name"] == "Gadget" and patched.json()["data"]["category"] == "4"
    assert api.delete(f"/api/v2/products/{made['id']}").json() == {
        "success": True,
        "data": {"id": made["id"]},
    }
    assert api.get(f"/api/v2/products/{made['id']}").status_code == 404
    assert api.patch(f"/api/v2/products/{made['id']}", json={"name": "x"}).status_code == 404


def test_default_price_is_zero_in_the_users_currency(empty_api: Api) -> None:
    made = _product(empty_api)
    assert len(made["prices"]) == 1 and made["prices"][0]["price"] == 0
    assert made["prices"][0]["currency"] == empty_api.get("/v1/users/me").json()["data"]["default_currency"]


def test_list_filters_sort_and_cursor_pages(api: Api) -> None:
    ids = [_product(api, name=name, owner_id=2)["id"] for name in ("Cable", "Adapter", "Battery")]
    mine = _product(api, name="Dock")["id"]
    listed = api.get("/api/v2/products", params={"owner_id": 2}).json()["data"]
    assert [p["id"] for p in listed] == ids and mine not in ids
    by_name = api.get("/api/v2/products", params={"owner_id": 2, "sort_by": "name"}).json()["data"]
    assert [p["name"] for p in by_name] == ["Adapter", "Battery", "Cable"]
    params: dict[str, Any] = {"owner_id": 2, "limit": 2, "sort_direction": "desc"}
    first = api.get("/api/v2/products", params=params).json()
    assert [p["id"] for p in first["data"]] == [ids[2], ids[1]]
    cursor = first["additional_data"]["next_cursor"]
    rest = api.get("/api/v2/products", params={**params, "cursor": cursor}).json()
    assert [p["id"] for p in rest["data"]] == [ids[0]] and rest["additional_data"]["next_cursor"] is None
    picked = api.get("/api/v2/products", params={"ids": f"{ids[1]},{mine}"}).json()["data"]
    assert [p["id"] for p in picked] == [ids[1], mine]
    assert api.get("/api/v2/products", params={"limit": 501}).status_code == 400
    assert api.get("/api/v2/products", params={"sort_by": "price"}).status_code == 400


def test_validation_errors_name_the_field(empty_api: Api) -> None:
    cases = [
        ({}, "name"),
        ({"name": ""}, "name"),
        ({"name": "x", "tax": "high"}, "tax"),
        ({"name": "x", "visible_to": 2}, "visible_to"),
        ({"name": "x", "colour": "red"}, "colour"),
        ({"name": "x", "owner_id": 999}, "owner_id"),
        ({"name": "x", "prices": [{"price": 1}]}, "currency"),
        ({"name": "x", "prices": [{"currency": "EUR"}, {"currency": "EUR"}]}, "EUR"),
        ({"name": "x", "prices": [{"currency": "EUR", "price": "1"}]}, "price"),
        ({"name": "x", "billing_frequency": "weekly"}, "billing_frequency_cycles"),
        ({"name": "x", "billing_frequency_cycles": 3}, "billing_frequency_cycles"),
        ({"name": "x", "billing_frequency": "monthly", "billing_frequency_cycles": 209}, "208"),
        ({"name": "x", "billing_frequency": "yearly"}, "billing_frequency"),
    ]
    for body, named in cases:
        response = empty_api.post("/api/v2/products", json=body)
        assert response.status_code == 400, (body, response.text)
        assert named in response.json()["error"], (body, response.json())
    assert empty_api.post("/api/v2/products", content=b"name=x").status_code == 415
    assert empty_api.get("/api/v2/products/abc").status_code == 400


def test_search_by_name_and_code(empty_api: Api) -> None:
    api = empty_api
    cable = _product(api, name="USB cable", code="2001")
    _product(api, name="Power adapter", code="2002")
    found = api.get("/api/v2/products/search", params={"term": "cable"}).json()["data"]["items"]
    assert [hit["item"]["id"] for hit in found] == [cable["id"]]
    assert found[0]["item"] == {
        "id": cable["id"],
        "type": "product",
        "name": "USB cable",
        "code": 2001,
        "visible_to": 3,
        "owner": {"id": 1},
        "custom_fields": [],
    }
    by_code = api.get("/api/v2/products/search", params={"term": "2002", "fields": "code"}).json()
    assert [hit["item"]["name"] for hit in by_code["data"]["items"]] == ["Power adapter"]
    assert (
        api.get("/api/v2/products/search", params={"term": "cable", "fields": "code"}).json()["data"]["items"]
        == []
    )
    assert api.get("/api/v2/products/search", params={"term": "c"}).status_code == 400


def test_item_search_finds_products(empty_api: Api) -> None:
    api = empty_api
    cable = _product(api, name="USB cable", code="3001", prices=[{"currency": "EUR", "price": 4}])
    params = {"term": "cable", "item_types": "product", "include_fields": "product.price"}
    hits = api.get("/api/v2/itemSearch", params=params).json()["data"]["items"]
    assert [h["item"]["id"] for h in hits] == [cable["id"]]
    assert hits[0]["item"]["type"] == "product" and hits[0]["item"]["prices"][0]["price"] == 4
    v1_hits = api.get("/v1/itemSearch", params={"term": "cable"}).json()["data"]["items"]
    assert [(h["item"]["type"], h["item"]["id"]) for h in v1_hits] == [("product", cable["id"])]
    by_field = api.get(
        "/api/v2/itemSearch/field",
        params={"term": "usb", "entity_type": "product", "field": "name", "match": "beginning"},
    ).json()["data"]
    assert by_field == [{"id": cable["id"], "name": "USB cable"}]


def test_duplicate_copies_data_under_a_new_id(empty_api: Api) -> None:
    original = _product(empty_api, code="D-1", prices=[{"currency": "EUR", "price": 5, "cost": 2}])
    response = empty_api.post(f"/api/v2/products/{original['id']}/duplicate")
    assert response.status_code == 201, response.text
    copy = response.json()["data"]
    assert copy["id"] != original["id"] and copy["name"] == original["name"] and copy["code"] == "D-1"
    assert copy["prices"][0] == {**original["prices"][0], "product_id": copy["id"]}
    assert empty_api.post("/api/v2/products/9999/duplicate").status_code == 404


def test_variations_crud(empty_api: Api) -> None:
    api = empty_api
    product = _product(api)
    base = f"/api/v2/products/{product['id']}/variations"
    added = api.post(base, json={"name": "Large", "prices": [{"currency": "EUR", "price": 12}]})
    assert added.status_code == 201, added.text
    variation = added.json()["data"]
    assert variation["product_id"] == product["id"] and variation["prices"][0]["price"] == 12
    assert variation["prices"][0]["product_variation_id"] == variation["id"]
    renamed = api.patch(f"{base}/{variation['id']}", json={"name": "XL"}).json()["data"]
    assert renamed["name"] == "XL"
    assert [v["id"] for v in api.get(base).json()["data"]] == [variation["id"]]
    other = _product(api, name="Other")
    assert (
        api.patch(f"/api/v2/products/{other['id']}/variations/{variation['id']}", json={}).status_code == 404
    )
    assert api.post(base, json={}).status_code == 400
    assert api.delete(f"{base}/{variation['id']}").json()["data"] == {"id": variation["id"]}
    assert api.get(base).json()["data"] == []
    assert api.get("/api/v2/products/9999/variations").status_code == 404


def test_followers_v2_v1_and_changelog(api: Api) -> None:
    product = _product(api)
    v2 = f"/api/v2/products/{product['id']}/followers"
    added = api.post(v2, json={"user_id": 2})
    assert added.status_code == 201 and added.json()["data"]["user_id"] == 2
    assert api.post(v2, json={"user_id": 2}).status_code == 400
    assert api.post(v2, json={"user_id": 424242}).status_code == 400
    assert api.post(v2, json={"user_id": "2"}).status_code == 400
    v1 = f"/v1/products/{product['id']}/followers"
    v1_added = api.post(v1, json={"user_id": 1})
    assert v1_added.status_code == 201, v1_added.text
    follower = v1_added.json()["data"]
    assert follower["product_id"] == product["id"] and follower["user_id"] == 1
    assert sorted(f["user_id"] for f in api.get(v2).json()["data"]) == [1, 2]
    assert [f["user_id"] for f in api.get(v1).json()["data"]] == [2, 1]
    assert api.delete(f"{v2}/2").json()["data"] == {"user_id": 2}
    assert api.delete(f"{v2}/2").status_code == 404
    assert api.delete(f"{v1}/{follower['id']}").json()["data"] == {"id": follower["id"]}
    log = api.get(f"{v2}/changelog").json()["data"]
    assert [(e["action"], e["follower_user_id"]) for e in log] == [
        ("added", 2),
        ("added", 1),
        ("removed", 2),
        ("removed", 1),
    ]
    assert all(e["actor_user_id"] == 1 for e in log)
    assert api.get("/api/v2/products/9999/followers").status_code == 404


def test_permitted_users_and_v1_deals_of_a_product(api: Api) -> None:
    product = _product(api)
    users = api.get(f"/v1/products/{product['id']}/permittedUsers").json()["data"]
    assert 1 in users and 2 in users
    assert api.get(f"/v1/products/{product['id']}/deals").json()["data"] == []
    assert api.get(f"/v1/products/{product['id']}/deals", params={"status": "bogus"}).status_code == 400


def test_product_fields_and_custom_field_values(api: Api) -> None:
    standard = {f["key"] for f in api.get("/v1/productFields").json()["data"]}
    assert {"name", "code", "unit", "tax"} <= standard
    added = api.post(
        "/v1/productFields", json={"name": "Warranty", "field_type": "enum", "options": ["1y", "2y"]}
    )
    assert added.status_code == 201, added.text
    field = added.json()["data"]
    two_years = field["options"][1]["id"]
    v2_field = api.get(f"/api/v2/productFields/{field['key']}").json()["data"]
    assert v2_field["is_custom_field"] is True and v2_field["field_type"] == "enum"
    made = _product(api, custom_fields={field["key"]: two_years})
    assert made["custom_fields"][field["key"]] == two_years
    bad = api.post("/api/v2/products", json={"name": "x", "custom_fields": {field["key"]: 999999}})
    assert bad.status_code == 400 and "custom_fields" in bad.json()["error"]
    cleared = api.patch(f"/api/v2/products/{made['id']}", json={"custom_fields": {field["key"]: None}})
    assert cleared.json()["data"]["custom_fields"][field["key"]] is None
    other = _product(api)
    assert other["custom_fields"] == {field["key"]: None}
    assert api.delete(f"/v1/productFields/{field['id']}").status_code == 200
    assert field["key"] not in api.get(f"/api/v2/products/{made['id']}").json()["data"]["custom_fields"]


def test_v1_products_of_a_persons_deals(api: Api) -> None:
    person = api.post("/api/v2/persons", json={"name": "Buyer"}).json()["data"]
    deal = api.post("/api/v2/deals", json={"title": "Buyer deal", "person_id": person["id"]}).json()["data"]
    product = _product(api, name="Gizmo")
    body = {"product_id": product["id"], "quantity": 2, "item_price": 7}
    assert api.post(f"/api/v2/deals/{deal['id']}/products", json=body).status_code == 201
    listed = api.get(f"/v1/persons/{person['id']}/products").json()
    (item,) = listed["data"]
    entry = item[str(deal["id"])]
    assert entry["deal"]["id"] == deal["id"] and entry["deal"]["value"] == 14
    assert entry["product"]["id"] == product["id"] and entry["product"]["name"] == "Gizmo"
    assert listed["additional_data"]["pagination"]["more_items_in_collection"] is False
    assert api.get("/v1/persons/99999/products").status_code == 404


def test_product_webhooks(extras: ExtrasSandbox, receiver: Receiver) -> None:
    extras.add_webhook(receiver.url, event_action="*", event_object="product", version="2.0")
    made = extras.api.post("/api/v2/products", json={"name": "Hooked"}).json()["data"]
    assert extras.api.patch(f"/api/v2/products/{made['id']}", json={"name": "Rehooked"}).status_code == 200
    assert extras.api.delete(f"/api/v2/products/{made['id']}").status_code == 200
    extras.flush()
    bodies = receiver.bodies()
    assert [(b["meta"]["action"], b["meta"]["entity"]) for b in bodies] == [
        ("create", "product"),
        ("change", "product"),
        ("delete", "product"),
    ]
    assert bodies[0]["data"]["name"] == "Hooked" and bodies[1]["previous"]["name"] == "Hooked"
    assert bodies[2]["data"] is None and bodies[2]["previous"]["name"] == "Rehooked"
