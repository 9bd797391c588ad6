"""Deal products (v2) over HTTP: attach, update, delete (one, many), bulk add, lists, the deal's value
and products_count following its products, errors, and the deal's change webhook."""

from __future__ import annotations

from typing import Any

import pytest

# Fixtures are imported by name, so their use as test parameters "redefines" them.
# ruff: noqa: F811
from _extras_fixtures import ExtrasSandbox, Receiver, _extras_server, extras, receiver  # noqa: F401
from sandbox_testkit import Api

from pipedrive_connector.sandbox.engine import spec_data


def _setup(api: Api) -> tuple[dict[str, Any], dict[str, Any]]:
    product = api.post("/api/v2/products", json={"name": "Seat licence"}).json()["data"]
    deal = api.post("/api/v2/deals", json={"title": "Licences", "value": 5}).json()["data"]
    return product, deal


def _attach(api: Api, deal_id: int, **body: Any) -> dict[str, Any]:
    response = api.post(f"/api/v2/deals/{deal_id}/products", json=body)
    assert response.status_code == 201, response.text
    data: dict[str, Any] = response.json()["data"]
    return data


def _deal(api: Api, deal_id: int) -> dict[str, Any]:
    params = {"include_fields": "products_count"}
    data: dict[str, Any] = api.get(f"/api/v2/deals/{deal_id}", params=params).json()["data"]
    return data


@pytest.mark.parametrize(
    ("body", "expected_sum"),
    [
        ({"quantity": 3, "item_price": 100}, 300),
        ({"quantity": 3, "item_price": 100, "discount": 10}, 270),
        ({"quantity": 3, "item_price": 100, "discount": 25, "discount_type": "amount"}, 275),
        ({"quantity": 2, "item_price": 50, "tax": 20, "tax_method": "exclusive"}, 120),
        ({"quantity": 2, "item_price": 50, "tax": 20, "tax_method": "inclusive"}, 100),
        ({"quantity": 2, "item_price": 50, "tax": 20, "tax_method": "none"}, 100),
        ({"quantity": 1.5, "item_price": 10, "discount": 10, "tax": 10, "tax_method": "exclusive"}, 14.85),
    ],
)
def test_sum_and_deal_value(empty_api: Api, body: dict[str, Any], expected_sum: float) -> None:
    product, deal = _setup(empty_api)
    attached = _attach(empty_api, deal["id"], product_id=product["id"], **body)
    assert attached["sum"] == expected_sum
    updated = _deal(empty_api, deal["id"])
    assert updated["value"] == expected_sum and updated["products_count"] == 1


def test_attach_update_delete_keep_the_deal_in_step(empty_api: Api) -> None:
    api = empty_api
    product, deal = _setup(api)
    first = _attach(api, deal["id"], product_id=product["id"], quantity=2, item_price=10)
    assert set(spec_data.response_keys("POST /api/v2/deals/{id}/products")) <= set(first)
    assert first["name"] == "Seat licence" and first["currency"] == deal["currency"]
    assert first["order_nr"] == 1 and first["is_enabled"] is True and first["tax_method"] == "exclusive"
    second = _attach(api, deal["id"], product_id=product["id"], quantity=1, item_price=5)
    assert second["order_nr"] == 2
    assert _deal(api, deal["id"])["value"] == 25 and _deal(api, deal["id"])["products_count"] == 2
    base = f"/api/v2/deals/{deal['id']}/products"
    patched = api.patch(f"{base}/{first['id']}", json={"quantity": 4, "tax_method": "none"})
    assert patched.status_code == 200, patched.text
    assert patched.json()["data"]["sum"] == 40
    # tax_method is shared by every product of the deal.
    listed = api.get(base).json()["data"]
    assert [(p["id"], p["tax_method"]) for p in listed] == [(first["id"], "none"), (second["id"], "none")]
    assert _deal(api, deal["id"])["value"] == 45
    disabled = api.patch(f"{base}/{second['id']}", json={"is_enabled": False}).json()["data"]
    assert disabled["is_enabled"] is False and _deal(api, deal["id"])["value"] == 40
    deleted = api.delete(f"{base}/{first['id']}")
    assert deleted.json() == {"success": True, "data": {"id": first["id"]}}
    assert _deal(api, deal["id"])["products_count"] == 1 and _deal(api, deal["id"])["value"] == 0
    assert api.delete(f"{base}/{first['id']}").status_code == 404
    v1_deal = api.get(f"/v1/deals/{deal['id']}").json()["data"]
    assert v1_deal["products_count"] == 1


def test_list_paging_sort_and_several_deals(empty_api: Api) -> None:
    api = empty_api
    product, deal = _setup(api)
    other = api.post("/api/v2/deals", json={"title": "Other"}).json()["data"]
    ids = [
        _attach(api, deal["id"], product_id=product["id"], quantity=1, item_price=i)["id"] for i in (1, 2, 3)
    ]
    elsewhere = _attach(api, other["id"], product_id=product["id"], quantity=1, item_price=9)["id"]
    base = f"/api/v2/deals/{deal['id']}/products"
    first = api.get(base, params={"limit": 2}).json()
    assert [p["id"] for p in first["data"]] == ids[:2]
    rest = api.get(base, params={"limit": 2, "cursor": first["additional_data"]["next_cursor"]}).json()
    assert [p["id"] for p in rest["data"]] == ids[2:] and rest["additional_data"]["next_cursor"] is None
    desc = api.get(base, params={"sort_by": "order_nr", "sort_direction": "desc"}).json()["data"]
    assert [p["id"] for p in desc] == list(reversed(ids))
    both = api.get("/api/v2/deals/products", params={"deal_ids": f"{deal['id']},{other['id']}"}).json()
    assert [p["id"] for p in both["data"]] == [*ids, elsewhere]
    repeated = api.get("/api/v2/deals/products", params=[("deal_ids", other["id"])]).json()
    assert [p["id"] for p in repeated["data"]] == [elsewhere]
    assert api.get("/api/v2/deals/products").status_code == 400
    assert api.get("/api/v2/deals/products", params={"deal_ids": "x"}).status_code == 400


def test_bulk_add_and_delete_many(empty_api: Api) -> None:
    api = empty_api
    product, deal = _setup(api)
    base = f"/api/v2/deals/{deal['id']}/products"
    items = [{"product_id": product["id"], "quantity": 1, "item_price": price} for price in (10, 20, 30)]
    added = api.post(f"{base}/bulk", json={"data": items})
    assert added.status_code == 201, added.text
    ids = [p["id"] for p in added.json()["data"]]
    assert len(ids) == 3 and _deal(api, deal["id"])["value"] == 60
    # One bad item: nothing is added.
    bad = api.post(f"{base}/bulk", json={"data": [items[0], {"product_id": product["id"]}]})
    assert bad.status_code == 400 and len(api.get(base).json()["data"]) == 3
    assert api.post(f"{base}/bulk", json={"data": []}).status_code == 400
    some = api.delete(base, params={"ids": f"{ids[0]},{ids[2]}"})
    assert some.json()["data"] == {"ids": [ids[0], ids[2]]}
    assert _deal(api, deal["id"])["value"] == 20
    assert api.delete(base, params={"ids": "99999"}).status_code == 400
    rest = api.delete(base).json()
    assert rest["data"] == {"ids": [ids[1]]} and rest["additional_data"]["more_items_in_collection"] is False
    assert _deal(api, deal["id"])["products_count"] == 0


def test_errors(empty_api: Api) -> None:
    api = empty_api
    product, deal = _setup(api)
    base = f"/api/v2/deals/{deal['id']}/products"
    unlinkable = api.post("/api/v2/products", json={"name": "Internal", "is_linkable": False}).json()["data"]
    other = api.post("/api/v2/products", json={"name": "Other"}).json()["data"]
    variation = api.post(f"/api/v2/products/{other['id']}/variations", json={"name": "V"}).json()["data"]
    good = {"product_id": product["id"], "quantity": 1, "item_price": 1}
    cases = [
        ({"quantity": 1, "item_price": 1}, "product_id"),
        ({"product_id": product["id"], "item_price": 1}, "quantity"),
        ({**good, "product_id": 9999}, "product 9999 not found"),
        ({**good, "product_id": unlinkable["id"]}, "cannot be added"),
        ({**good, "product_variation_id": variation["id"]}, "product_variation_id"),
        ({**good, "discount": 150}, "discount"),
        ({**good, "discount_type": "fixed"}, "discount_type"),
        ({**good, "tax_method": "sometimes"}, "tax_method"),
        ({**good, "quantity": "two"}, "quantity"),
        ({**good, "billing_frequency": "weekly"}, "billing_frequency_cycles"),
        ({**good, "sum": 5}, "sum"),
    ]
    for body, named in cases:
        response = api.post(base, json=body)
        assert response.status_code == 400, (body, response.text)
        assert named in response.json()["error"], (body, response.json())
    assert api.post("/api/v2/deals/9999/products", json=good).json()["error"] == "Deal not found"
    attached = _attach(api, deal["id"], **good)
    other_deal = api.post("/api/v2/deals", json={"title": "Elsewhere"}).json()["data"]
    wrong = api.patch(f"/api/v2/deals/{other_deal['id']}/products/{attached['id']}", json={"quantity": 2})
    assert wrong.status_code == 404 and wrong.json()["error"] == "Deal product not found"


def test_attaching_a_product_publishes_the_deals_change(extras: ExtrasSandbox, receiver: Receiver) -> None:
    product = extras.api.post("/api/v2/products", json={"name": "Hooked"}).json()["data"]
    deal = extras.api.post("/api/v2/deals", json={"title": "Hooked deal", "value": 1}).json()["data"]
    extras.add_webhook(receiver.url, event_action="change", event_object="deal", version="2.0")
    body = {"product_id": product["id"], "quantity": 2, "item_price": 21}
    assert extras.api.post(f"/api/v2/deals/{deal['id']}/products", json=body).status_code == 201
    extras.flush()
    (change,) = receiver.bodies()
    assert change["meta"]["entity_id"] == str(deal["id"])
    assert change["data"]["value"] == 42 and change["previous"]["value"] == 1


def test_discounts_change_the_value_of_one_time_products(empty_api: Api) -> None:
    api = empty_api
    product, deal = _setup(api)
    _attach(api, deal["id"], product_id=product["id"], quantity=4, item_price=250)
    monthly = {"billing_frequency": "monthly", "billing_frequency_cycles": 12}
    _attach(api, deal["id"], product_id=product["id"], quantity=1, item_price=100, **monthly)
    base = f"/api/v2/deals/{deal['id']}/discounts"
    added = api.post(base, json={"amount": 10, "type": "percentage", "description": "Loyalty"})
    assert added.status_code == 201, added.text
    discount = added.json()["data"]
    assert discount["deal_id"] == deal["id"] and discount["created_by"] == 1
    assert set(spec_data.response_keys("GET /api/v2/deals/{id}/discounts")) <= set(discount)
    # 1000 one-time less 10%, plus 100 recurring.
    assert _deal(api, deal["id"])["value"] == 1000
    changed = api.patch(f"{base}/{discount['id']}", json={"type": "amount", "amount": 50})
    assert changed.status_code == 200 and _deal(api, deal["id"])["value"] == 1050
    assert [d["id"] for d in api.get(base).json()["data"]] == [discount["id"]]
    assert api.delete(f"{base}/{discount['id']}").json()["data"] == {"id": discount["id"]}
    assert _deal(api, deal["id"])["value"] == 1100
    bad = api.post(base, json={"amount": 120, "type": "percentage", "description": "Too much"})
    assert bad.status_code == 400 and "100" in bad.json()["error"]
    assert api.post(base, json={"amount": 5, "type": "percentage"}).status_code == 400
    assert (
        api.post(
            "/api/v2/deals/9999/discounts", json={"amount": 1, "type": "amount", "description": "x"}
        ).status_code
        == 404
    )


def test_installments_need_one_time_products_only(empty_api: Api) -> None:
    api = empty_api
    product, deal = _setup(api)
    base = f"/api/v2/deals/{deal['id']}/installments"
    body = {"amount": 500, "billing_date": "2027-01-15", "description": "First half"}
    assert "one-time" in api.post(base, json=body).json()["error"]
    _attach(api, deal["id"], product_id=product["id"], quantity=1, item_price=1000)
    added = api.post(base, json=body)
    assert added.status_code == 200, added.text
    installment = added.json()["data"]
    assert installment["deal_id"] == deal["id"] and installment["billing_date"] == "2027-01-15"
    monthly = {"billing_frequency": "monthly", "billing_frequency_cycles": 3}
    refused = api.post(
        f"/api/v2/deals/{deal['id']}/products",
        json={"product_id": product["id"], "quantity": 1, "item_price": 1, **monthly},
    )
    assert refused.status_code == 400 and "installments" in refused.json()["error"]
    patched = api.patch(f"{base}/{installment['id']}", json={"amount": 600}).json()["data"]
    assert patched["amount"] == 600
    other = api.post("/api/v2/deals", json={"title": "Other"}).json()["data"]
    listed = api.get("/api/v2/deals/installments", params={"deal_ids": f"{deal['id']},{other['id']}"})
    assert [i["id"] for i in listed.json()["data"]] == [installment["id"]]
    assert api.post(base, json={**body, "billing_date": "soon"}).status_code == 400
    assert api.post(base, json={**body, "amount": 0}).status_code == 400
    assert api.delete(f"{base}/{installment['id']}").json()["data"] == {"id": installment["id"]}
    assert api.get("/api/v2/deals/installments", params={"deal_ids": deal["id"]}).json()["data"] == []
    assert api.get("/api/v2/deals/installments").status_code == 400
