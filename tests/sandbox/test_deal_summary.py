"""Deal summary, timeline and duplication over HTTP (v1): totals, filters, periods, errors, the
duplicate's products and its create webhook; pipeline conversion and movement statistics."""

from __future__ import annotations

from typing import Any

# Fixtures are imported by name, so their use as test parameters "redefines" them.
# ruff: noqa: F811
from _extras_fixtures import ExtrasSandbox, Receiver, _extras_server, extras, receiver  # noqa: F401
from sandbox_testkit import Api


def _deal(api: Api, **body: Any) -> dict[str, Any]:
    response = api.post("/api/v2/deals", json={"title": "Summed", **body})
    assert response.status_code == 200, response.text
    data: dict[str, Any] = response.json()["data"]
    return data


def test_summary_totals_by_currency_and_filters(empty_api: Api) -> None:
    api = empty_api
    _deal(api, value=100, currency="EUR", probability=50)
    _deal(api, value=50, currency="EUR", probability=100, status="won")
    _deal(api, value=30, currency="USD", probability=10, owner_id=1)
    _deal(api, value=999, currency="USD", is_archived=True)  # archived deals are not summed
    gone = _deal(api, value=500, currency="USD")
    assert api.delete(f"/api/v2/deals/{gone['id']}").status_code == 200
    data = api.get("/v1/deals/summary").json()["data"]
    assert data["total_count"] == 3
    assert data["values_total"]["EUR"]["value"] == 150 and data["values_total"]["EUR"]["count"] == 2
    assert data["values_total"]["USD"]["value"] == 30
    assert data["weighted_values_total"]["EUR"]["value"] == 100  # 100 x 50% + 50 x 100%
    assert data["weighted_values_total"]["USD"]["value"] == 3
    assert data["values_total"]["EUR"]["value_formatted"] == "€150"
    assert data["total_currency_converted_value"] == 180  # 1:1, the sandbox has no exchange rates
    assert data["total_weighted_currency_converted_value"] == 103
    won = api.get("/v1/deals/summary", params={"status": "won"}).json()["data"]
    assert won["total_count"] == 1 and won["values_total"] == {
        "EUR": {
            "value": 50,
            "count": 1,
            "value_converted": 50,
            "value_formatted": "€50",
            "value_converted_formatted": won["values_total"]["EUR"]["value_converted_formatted"],
        }
    }
    assert api.get("/v1/deals/summary", params={"user_id": 2}).json()["data"]["total_count"] == 0
    assert api.get("/v1/deals/summary", params={"stage_id": 424242}).json()["data"]["values_total"] == {}
    assert api.get("/v1/deals/summary", params={"status": "deleted"}).status_code == 400
    assert api.get("/v1/deals/summary", params={"pipeline_id": "x"}).status_code == 400
    assert api.get("/v1/deals/summary", params={"filter_id": 424242}).status_code == 404


def test_archived_summary_and_timeline(empty_api: Api) -> None:
    api = empty_api
    _deal(api, value=10, currency="EUR", expected_close_date="2026-01-10")
    _deal(api, value=70, currency="EUR", expected_close_date="2026-01-11", is_archived=True)
    archived = api.get("/v1/deals/summary/archived").json()["data"]
    assert archived["total_count"] == 1 and archived["values_total"]["EUR"]["value"] == 70
    params = {
        "start_date": "2026-01-01",
        "interval": "month",
        "amount": 1,
        "field_key": "expected_close_date",
    }
    timeline = api.get("/v1/deals/timeline/archived", params=params).json()["data"]
    assert timeline["totals"]["values"] == {"EUR": 70}
    assert api.get("/v1/deals/timeline", params=params).json()["data"]["totals"]["values"] == {"EUR": 10}


def test_summary_with_a_saved_filter(empty_api: Api) -> None:
    api = empty_api
    _deal(api, title="Big", value=1000)
    _deal(api, title="Small", value=5)
    conditions = {
        "glue": "and",
        "conditions": [
            {
                "glue": "and",
                "conditions": [{"object": "deal", "field_id": "value", "operator": ">", "value": "100"}],
            },
            {"glue": "or", "conditions": []},
        ],
    }
    made = api.post("/v1/filters", json={"name": "Big deals", "type": "deals", "conditions": conditions})
    assert made.status_code == 200, made.text
    summary = api.get("/v1/deals/summary", params={"filter_id": made.json()["data"]["id"]}).json()["data"]
    assert summary["total_count"] == 1 and summary["total_currency_converted_value"] == 1000


def test_timeline_periods_fields_and_errors(empty_api: Api) -> None:
    api = empty_api
    march = _deal(api, title="March", value=10, currency="EUR", expected_close_date="2026-03-15")
    _deal(api, title="May", value=20, currency="EUR", expected_close_date="2026-05-02", status="won")
    _deal(api, title="Lost", value=40, expected_close_date="2026-03-20", status="lost")  # only open/won
    _deal(api, title="Undated", value=80)
    params: dict[str, Any] = {
        "start_date": "2026-03-01",
        "interval": "month",
        "amount": 3,
        "field_key": "expected_close_date",
    }
    data = api.get("/v1/deals/timeline", params=params).json()["data"]
    assert data["period_start"] == "2026-03-01 00:00:00" and data["period_end"] == "2026-05-31 23:59:59"
    assert [deal["title"] for deal in data["deals"]] == ["March", "May"]
    assert data["deals"][0]["id"] == march["id"] and isinstance(data["deals"][0]["user_id"], int)
    totals = data["totals"]
    assert totals["count"] == 2 and totals["open_count"] == 1 and totals["won_count"] == 1
    assert totals["values"] == {"EUR": 30} and totals["won_values"] == {"EUR": 20}
    one_month = api.get("/v1/deals/timeline", params={**params, "amount": 1}).json()["data"]
    assert [deal["title"] for deal in one_month["deals"]] == ["March"]
    assert one_month["period_end"] == "2026-03-31 23:59:59"
    quarter = api.get("/v1/deals/timeline", params={**params, "interval": "week", "amount": 2}).json()["data"]
    assert quarter["period_end"] == "2026-03-14 23:59:59" and quarter["deals"] == []
    excluded = api.get("/v1/deals/timeline", params={**params, "exclude_deals": 1}).json()["data"]
    assert excluded["deals"] == [] and excluded["totals"]["count"] == 2
    converted = api.get(
        "/v1/deals/timeline", params={**params, "totals_convert_currency": "default_currency"}
    )
    assert converted.json()["data"]["totals_converted"]["values"] == 30
    for name, bad in (
        ("start_date", "2026-13-01"),
        ("interval", "year"),
        ("amount", "0"),
        ("field_key", "title"),
        ("exclude_deals", "2"),
        ("totals_convert_currency", "XXX"),
    ):
        response = api.get("/v1/deals/timeline", params={**params, name: bad})
        assert response.status_code == 400 and name in response.json()["error"], (name, response.text)
    for name in params:
        missing = {k: v for k, v in params.items() if k != name}
        response = api.get("/v1/deals/timeline", params=missing)
        assert response.status_code == 400 and name in response.json()["error"]


def test_duplicate_copies_the_deal_and_its_products(api: Api) -> None:
    original = _deal(api, title="Original", value=10, person_id=1, label_ids=[1])
    attached = api.post(
        f"/api/v2/deals/{original['id']}/products", json={"product_id": 1, "quantity": 2, "item_price": 7}
    )
    assert attached.status_code == 201, attached.text
    response = api.post(f"/v1/deals/{original['id']}/duplicate")
    assert response.status_code == 200, response.text
    copy = response.json()["data"]
    assert copy["id"] != original["id"] and copy["title"] == "Original" and copy["person_id"] == 1
    assert copy["products_count"] == 1
    copied_products = api.get(f"/api/v2/deals/{copy['id']}/products").json()["data"]
    assert [(p["product_id"], p["quantity"]) for p in copied_products] == [(1, 2)]
    assert len(api.get(f"/api/v2/deals/{original['id']}/products").json()["data"]) == 1
    assert api.post("/v1/deals/99999/duplicate").status_code == 404
    assert api.post("/v1/deals/abc/duplicate").status_code == 400


def test_duplicate_emits_a_deal_create_webhook(extras: ExtrasSandbox, receiver: Receiver) -> None:
    extras.add_webhook(receiver.url, event_action="create", event_object="deal", version="2.0")
    response = extras.api.post("/v1/deals/1/duplicate")
    assert response.status_code == 200, response.text
    extras.flush()
    bodies = receiver.bodies()
    assert [(b["meta"]["action"], b["meta"]["entity"]) for b in bodies] == [("create", "deal")]
    assert bodies[0]["data"]["id"] == response.json()["data"]["id"]


def test_pipeline_statistics(empty_api: Api) -> None:
    api = empty_api
    stages = api.get("/api/v2/stages", params={"pipeline_id": 1}).json()["data"]
    first, second = stages[0]["id"], stages[1]["id"]
    moved = _deal(api, title="Moved", value=10, stage_id=first)
    _deal(api, title="Stayed", value=5, stage_id=first)
    won = _deal(api, title="Won", value=7, stage_id=first)
    assert api.patch(f"/api/v2/deals/{moved['id']}", json={"stage_id": second}).status_code == 200
    assert api.patch(f"/api/v2/deals/{won['id']}", json={"status": "won"}).status_code == 200
    period = {"start_date": "2000-01-01", "end_date": "2099-12-31"}
    conversion = api.get("/v1/pipelines/1/conversion_statistics", params=period).json()["data"]
    assert conversion["stage_conversions"][0] == {
        "from_stage_id": first,
        "to_stage_id": second,
        "conversion_rate": 33,
    }
    assert conversion["won_conversion"] == 33 and conversion["lost_conversion"] == 0
    movement = api.get("/v1/pipelines/1/movement_statistics", params=period).json()["data"]
    assert movement["movements_between_stages"] == {"count": 1}
    assert movement["new_deals"]["count"] == 3 and movement["won_deals"]["deals_ids"] == [won["id"]]
    assert sorted(movement["deals_left_open"]["deals_ids"]) == sorted([moved["id"], moved["id"] + 1])
    assert movement["average_age_in_days"]["across_all_stages"] == 0
    other_user = api.get("/v1/pipelines/1/movement_statistics", params={**period, "user_id": 2}).json()
    assert other_user["data"]["new_deals"]["count"] == 0
    assert (
        api.get("/v1/pipelines/1/conversion_statistics", params={"start_date": "2020-01-01"}).status_code
        == 400
    )
    backwards = {"start_date": "2021-01-01", "end_date": "2020-01-01"}
    assert api.get("/v1/pipelines/1/movement_statistics", params=backwards).status_code == 400
    assert api.get("/v1/pipelines/999/movement_statistics", params=period).status_code == 404
