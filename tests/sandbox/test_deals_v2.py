"""API v2 deals over HTTP: list/pagination/filters, get, add, patch, soft delete."""

from __future__ import annotations

import base64
import json

from sandbox_testkit import Api

from pipedrive_connector.sandbox.seed import custom_field_key

BUDGET = custom_field_key("deal", "Budget")
REGION = custom_field_key("deal", "Region")
SCORE = custom_field_key("deal", "Score")


def all_deals(api: Api, **params: object) -> list[dict]:
    items: list[dict] = []
    cursor = None
    while True:
        query = dict(params, limit=4)
        if cursor:
            query["cursor"] = cursor
        body = api.get("/api/v2/deals", params=query).json()
        assert body["success"] is True
        items.extend(body["data"])
        cursor = body["additional_data"]["next_cursor"]
        if cursor is None:
            return items


def test_cursor_pagination_walks_every_deal_once(api: Api) -> None:
    first = api.get("/api/v2/deals", params={"limit": 4}).json()
    assert len(first["data"]) == 4
    cursor = first["additional_data"]["next_cursor"]
    decoded = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    assert decoded["id"] == first["data"][-1]["id"]
    ids = [deal["id"] for deal in all_deals(api)]
    assert ids == sorted(ids) and len(ids) == len(set(ids)) >= 10


def test_limit_above_500_and_bad_cursor_are_400(api: Api) -> None:
    response = api.get("/api/v2/deals", params={"limit": 501})
    assert response.status_code == 400
    assert "limit" in response.json()["error"]
    assert response.json()["success"] is False
    assert api.get("/api/v2/deals", params={"cursor": "!!not-a-cursor"}).status_code == 400


def test_sort_by_update_time_desc(api: Api) -> None:
    deals = all_deals(api, sort_by="update_time", sort_direction="desc")
    times = [deal["update_time"] for deal in deals]
    assert times == sorted(times, reverse=True)


def test_filters_owner_stage_status_ids(api: Api) -> None:
    owned = all_deals(api, owner_id=2)
    assert owned and all(deal["owner_id"] == 2 for deal in owned)
    won = all_deals(api, status="won")
    assert won and all(deal["status"] == "won" for deal in won)
    picked = all_deals(api, ids="1,3,999")
    assert [deal["id"] for deal in picked] == [1, 3]
    stage = picked[0]["stage_id"]
    assert all(deal["stage_id"] == stage for deal in all_deals(api, stage_id=stage))


def test_add_returns_200_with_typed_custom_fields_and_get_reads_it(api: Api) -> None:
    body = {
        "title": "Sandbox deal",
        "value": 1200.5,
        "currency": "USD",
        "person_id": 1,
        "org_id": 1,
        "custom_fields": {BUDGET: {"value": 900, "currency": "USD"}, SCORE: 7},
    }
    response = api.post("/api/v2/deals", json=body)
    assert response.status_code == 200
    deal = response.json()["data"]
    assert deal["title"] == "Sandbox deal" and deal["value"] == 1200.5 and deal["owner_id"] == 1
    assert deal["custom_fields"][BUDGET] == {"value": 900, "currency": "USD"}
    assert deal["custom_fields"][REGION] is None
    fetched = api.get(f"/api/v2/deals/{deal['id']}").json()["data"]
    assert fetched == deal


def test_v2_is_strict_about_types_and_root_custom_field_keys(api: Api) -> None:
    response = api.post("/api/v2/deals", json={"title": "x", "value": "100"})
    assert response.status_code == 400
    assert response.json()["code"] == "ERR_SCHEMA_VALIDATION_FAILED"
    assert "value" in response.json()["error"]
    response = api.post("/api/v2/deals", json={"title": "x", BUDGET: 5})
    assert response.status_code == 400
    assert BUDGET in response.json()["error"] and response.json()["code"] == "ERR_SCHEMA_VALIDATION_FAILED"
    response = api.post("/api/v2/deals", json={"title": "x", "is_archived": 1})
    assert response.status_code == 400 and "is_archived" in response.json()["error"]
    response = api.post("/api/v2/deals", json={"title": "x", "custom_fields": {REGION: "EMEA"}})
    assert response.status_code == 400 and "Region" in response.json()["error"]
    assert api.post("/api/v2/deals", json={"value": 1}).status_code == 400


def test_v2_rejects_non_json_body_with_415(api: Api) -> None:
    response = api.post(
        "/api/v2/deals",
        content=b"title=x",
        headers={**api.headers, "content-type": "application/x-www-form-urlencoded"},
    )
    assert response.status_code == 415
    assert response.json()["success"] is False


def test_patch_changes_only_sent_fields_and_status_won_sets_times(api: Api) -> None:
    before = api.get("/api/v2/deals/1").json()["data"]
    response = api.patch("/api/v2/deals/1", json={"status": "won"})
    assert response.status_code == 200
    after = response.json()["data"]
    assert after["status"] == "won" and after["won_time"] and after["close_time"] == after["won_time"]
    assert after["title"] == before["title"] and after["update_time"] >= before["update_time"]


def test_delete_is_soft_hidden_unless_status_deleted_and_purged_after_30_days(api: Api) -> None:
    assert api.delete("/api/v2/deals/2").json() == {"success": True, "data": {"id": 2}}
    assert 2 not in [deal["id"] for deal in all_deals(api)]
    deleted = all_deals(api, status="deleted")
    assert [deal["id"] for deal in deleted] == [2] and deleted[0]["is_deleted"] is True
    assert api.get("/api/v2/deals/2").json()["data"]["is_deleted"] is True
    assert api.delete("/api/v2/deals/2").status_code == 404
    assert api.client.post("/_sandbox/clock", json={"advance_seconds": 31 * 86400}).status_code == 200
    assert api.get("/api/v2/deals/2").status_code == 404
    assert all_deals(api, status="deleted") == []


def test_unknown_deal_is_404_with_envelope(api: Api) -> None:
    response = api.get("/api/v2/deals/99999")
    assert response.status_code == 404
    assert response.json()["success"] is False and response.json()["data"] is None


def test_closing_a_deal_keeps_a_supplied_time_and_reopening_clears_it(api: Api) -> None:
    won = api.patch("/api/v2/deals/3", json={"status": "won", "won_time": "2026-01-02T03:04:05Z"}).json()[
        "data"
    ]
    assert (
        won["won_time"] == won["close_time"] == "2026-01-02T03:04:05Z"
        and won["local_won_date"] == "2026-01-02"
    )
    reopened = api.patch("/api/v2/deals/3", json={"status": "open"}).json()["data"]
    assert reopened["won_time"] is None and reopened["close_time"] is None
    lost = api.patch("/api/v2/deals/3", json={"status": "lost", "lost_reason": "Timing"}).json()["data"]
    assert lost["lost_time"] and lost["lost_reason"] == "Timing"
    response = api.patch("/api/v2/deals/1", json={"lost_reason": "x"})
    assert response.status_code == 400 and "lost_reason" in response.json()["error"]
    assert api.patch("/api/v2/deals/1", json={"status": "deleted"}).status_code == 400
    assert api.patch("/api/v2/deals/1", json={"stage_id": 999}).status_code == 400
    moved = api.patch("/api/v2/deals/1", json={"stage_id": 7}).json()["data"]
    assert moved["pipeline_id"] == 2 and moved["stage_change_time"]
