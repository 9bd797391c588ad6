"""Outgoing webhook deliveries over real sockets: v1/v2 payloads, auth, matching, retries, ban."""

from __future__ import annotations

import json
import logging
import time
import uuid
from typing import Any

import pytest

# Fixtures are imported by name, so their use as test parameters "redefines" them.
# ruff: noqa: F811
from _extras_fixtures import ExtrasSandbox, Receiver, _extras_server, extras, receiver  # noqa: F401

from pipedrive_connector.sandbox.seed import custom_field_key

BUDGET = custom_field_key("deal", "Budget")
NOTE = custom_field_key("deal", "Source note")
REGION = custom_field_key("deal", "Region")


def _create_deal(extras: ExtrasSandbox, title: str) -> dict[str, Any]:
    response = extras.api.post("/api/v2/deals", json={"title": title})
    assert response.status_code in (200, 201), response.text
    data: dict[str, Any] = response.json()["data"]
    return data


def test_v2_payloads_for_create_change_delete_with_basic_auth(
    extras: ExtrasSandbox, receiver: Receiver
) -> None:
    hook = extras.add_webhook(
        receiver.url, event_action="*", event_object="deal", http_auth_user="hooks", http_auth_password="pa55"
    )
    custom = {BUDGET: {"value": 1200, "currency": "EUR"}, NOTE: "first note", REGION: 5}
    response = extras.api.post("/api/v2/deals", json={"title": "Webhook deal", "custom_fields": custom})
    assert response.status_code == 200, response.text
    deal = response.json()["data"]
    created_view = extras.api.get(f"/api/v2/deals/{deal['id']}").json()["data"]
    patch = {"title": "Renamed deal", "custom_fields": {NOTE: "second note"}}
    assert extras.api.patch(f"/api/v2/deals/{deal['id']}", json=patch).status_code == 200
    changed_view = extras.api.get(f"/api/v2/deals/{deal['id']}").json()["data"]
    assert extras.api.delete(f"/api/v2/deals/{deal['id']}").status_code == 200
    extras.flush()

    assert [r.body["meta"]["action"] for r in receiver.requests] == ["create", "change", "delete"]
    assert all(r.basic_auth() == ("hooks", "pa55") for r in receiver.requests)
    assert all(r.headers["content-type"].startswith("application/json") for r in receiver.requests)
    create, change, delete = (r.body for r in receiver.requests)
    for body in (create, change, delete):
        meta = body["meta"]
        assert meta["entity"] == "deal" and meta["version"] == "2.0" and meta["attempt"] == 1
        assert meta["entity_id"] == str(deal["id"]) and meta["webhook_id"] == str(hook["id"])
        assert meta["company_id"] == "1" and meta["user_id"] == "1" and meta["webhook_owner_id"] == "1"
        assert uuid.UUID(meta["id"]) and meta["timestamp"].endswith("Z")
        assert all(isinstance(u, str) for u in meta["permitted_user_ids"])
    assert len({b["meta"]["id"] for b in (create, change, delete)}) == 3

    def agrees_with(payload: dict[str, Any], view: dict[str, Any]) -> bool:
        """Every field the webhook carries (custom fields aside) has the API v2 value."""
        fields = [key for key in payload if key != "custom_fields"]
        return len(fields) > 10 and all(payload[key] == view.get(key) for key in fields)

    assert agrees_with(create["data"], created_view) and create["previous"] is None
    # Custom fields in the typed form of webhooks v2 (not the API v2 form).
    typed = create["data"]["custom_fields"]
    assert typed[BUDGET] == {"type": "monetary", "value": 1200, "currency": "EUR"}
    assert typed[NOTE] == {"type": "varchar", "value": "first note"} and typed[REGION] == {
        "type": "enum",
        "id": 5,
    }
    assert set(typed) == set(created_view["custom_fields"])
    assert agrees_with(change["data"], changed_view) and change["data"]["title"] == "Renamed deal"
    assert change["previous"]["title"] == "Webhook deal"
    assert set(change["previous"]) <= {"title", "update_time", "custom_fields"}  # only what changed
    assert change["previous"]["custom_fields"] == {NOTE: {"type": "varchar", "value": "first note"}}
    assert delete["data"] is None and delete["previous"]["id"] == deal["id"]
    assert delete["previous"]["title"] == "Renamed deal"

    listed = extras.api.get("/v1/webhooks").json()["data"][0]
    assert listed["last_http_status"] == 200 and listed["last_delivery_time"] is not None


def test_v1_payload_shape_and_action_filter(extras: ExtrasSandbox, receiver: Receiver) -> None:
    hook = extras.add_webhook(receiver.url, event_action="added", event_object="deal", version="1.0")
    deal = _create_deal(extras, "Legacy deal")
    legacy_view = extras.api.get(f"/v1/deals/{deal['id']}").json()["data"]
    extras.api.patch(f"/api/v2/deals/{deal['id']}", json={"title": "not delivered"})
    extras.flush()
    assert len(receiver.requests) == 1
    body = receiver.requests[0].body
    assert body["v"] == 1 and body["event"] == "added.deal" and body["retry"] == 0
    assert body["previous"] is None and body["matches_filters"] == {"current": [], "previous": []}
    meta = body["meta"]
    assert meta["v"] == 1 and meta["action"] == "added" and meta["object"] == "deal"
    assert meta["id"] == deal["id"] and meta["webhook_id"] == hook["id"] and meta["company_id"] == 1
    assert meta["host"] == "sandbox.pipedrive.com" and meta["change_source"] == "api"
    assert isinstance(meta["timestamp"], int) and meta["timestamp_micro"] // 1_000_000 == meta["timestamp"]
    # The object as API v1 shows it (GET one adds detail-only fields such as ``age``).
    assert {key: legacy_view.get(key) for key in body["current"]} == body["current"]
    assert {"id", "title", "user_id", "person_id", "org_id", "stage_id", "status", "add_time"} <= set(
        body["current"]
    )
    assert receiver.requests[0].basic_auth() is None


def test_matching_wildcards_and_v1_v2_action_names(extras: ExtrasSandbox, receiver: Receiver) -> None:
    everything = extras.add_webhook(receiver.url + "/all", event_action="*", event_object="*")
    persons_only = extras.add_webhook(receiver.url + "/persons", event_action="create", event_object="person")
    updated = extras.add_webhook(receiver.url + "/updated", event_action="updated", event_object="deal")
    deal = _create_deal(extras, "Match me")
    extras.api.patch(f"/api/v2/deals/{deal['id']}", json={"title": "Matched"})
    extras.flush()
    by_path: dict[str, list[str]] = {}
    for request in receiver.requests:
        by_path.setdefault(request.path, []).append(request.body["meta"]["action"])
    assert by_path.get("/hook/all") == ["create", "change"]
    assert "/hook/persons" not in by_path
    assert by_path.get("/hook/updated") == ["change"]
    log = extras.deliveries()
    assert {e["webhook_id"] for e in log} == {everything["id"], updated["id"]}
    assert persons_only["id"] not in {e["webhook_id"] for e in log}


def test_failed_delivery_is_retried_with_the_same_event_id(
    extras: ExtrasSandbox, receiver: Receiver, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    receiver.statuses = [500, 503]  # then 200
    hook = extras.add_webhook(
        receiver.url, event_object="deal", http_auth_user="u", http_auth_password="s3cr3t-pw"
    )
    _create_deal(extras, "Retry me")
    log = extras.deliveries(hook["id"])
    assert [(e["attempt"], e["status_code"], e["ok"]) for e in log] == [
        (1, 500, False),
        (2, 503, False),
        (3, 200, True),
    ]
    metas = [r.body["meta"] for r in receiver.requests]
    assert [m["attempt"] for m in metas] == [1, 2, 3]
    assert len({m["id"] for m in metas}) == 1 and {e["event_id"] for e in log} == {metas[0]["id"]}
    assert log[0]["body"]["meta"]["attempt"] == 1 and log[-1]["body"]["meta"]["attempt"] == 3
    assert all(r.basic_auth() == ("u", "s3cr3t-pw") for r in receiver.requests)
    assert "s3cr3t-pw" not in caplog.text and "s3cr3t-pw" not in json.dumps(log)


def test_gives_up_after_three_retries_and_logs_connection_errors(extras: ExtrasSandbox) -> None:
    hook = extras.add_webhook("http://127.0.0.1:9/closed-port", event_object="deal", version="1.0")
    _create_deal(extras, "Nobody listens")
    log = extras.deliveries(hook["id"])
    assert [e["attempt"] for e in log] == [1, 2, 3, 4]
    assert all(not e["ok"] and e["status_code"] is None and e["error"] for e in log)
    assert [e["body"]["retry"] for e in log] == [0, 1, 2, 3]


def test_ban_after_ten_failed_first_attempts(extras: ExtrasSandbox, receiver: Receiver) -> None:
    extras.cp.post("/_sandbox/webhooks/settings", json={"retry_delays": [], "ban_enabled": True})
    receiver.default_status = 500
    hook = extras.add_webhook(receiver.url, event_action="create", event_object="deal")
    for number in range(11):
        _create_deal(extras, f"Failing {number}")
    log = extras.deliveries(hook["id"])
    assert len(receiver.requests) == 10  # the 11th event is lost while banned
    assert log[-1]["status_code"] is None and "banned" in log[-1]["error"]
    assert extras.api.get("/v1/webhooks").json()["data"][0]["is_active"] == 0

    extras.advance(31 * 60)  # the ban lasts 30 minutes
    receiver.default_status = 200
    _create_deal(extras, "After the ban")
    extras.flush()
    assert len(receiver.requests) == 11 and receiver.requests[-1].body["data"]["title"] == "After the ban"
    assert extras.api.get("/v1/webhooks").json()["data"][0]["is_active"] == 1


def test_no_ban_when_disabled(extras: ExtrasSandbox, receiver: Receiver) -> None:
    extras.cp.post("/_sandbox/webhooks/settings", json={"retry_delays": [], "ban_enabled": False})
    receiver.default_status = 500
    extras.add_webhook(receiver.url, event_action="create", event_object="deal")
    for number in range(11):
        _create_deal(extras, f"Failing {number}")
    extras.flush()
    assert len(receiver.requests) == 11


def test_a_slow_receiver_never_blocks_the_api(extras: ExtrasSandbox, receiver: Receiver) -> None:
    receiver.delay_seconds = 0.6
    extras.add_webhook(receiver.url, event_object="deal")
    started = time.perf_counter()
    _create_deal(extras, "Fast answer")
    assert time.perf_counter() - started < 0.5
    extras.flush()
    assert len(receiver.requests) == 1


def test_deliveries_to_one_webhook_keep_event_order(extras: ExtrasSandbox, receiver: Receiver) -> None:
    extras.add_webhook(receiver.url, event_action="create", event_object="deal")
    titles = [f"Ordered {n}" for n in range(8)]
    for title in titles:
        _create_deal(extras, title)
    extras.flush()
    assert [r.body["data"]["title"] for r in receiver.requests] == titles


def test_settings_are_validated_and_reset_clears_log(extras: ExtrasSandbox, receiver: Receiver) -> None:
    bad = extras.cp.post("/_sandbox/webhooks/settings", json={"retry_delays": "soon"})
    assert bad.status_code == 400 and "retry_delays" in bad.json()["error"]
    too_many = extras.cp.post("/_sandbox/webhooks/settings", json={"retry_delays": [1, 1, 1, 1]})
    assert too_many.status_code == 400  # Pipedrive retries 3 times at most
    unknown = extras.cp.post("/_sandbox/webhooks/settings", json={"retries": 3})
    assert unknown.status_code == 400 and "retries" in unknown.json()["error"]
    assert extras.cp.get("/_sandbox/deliveries", params={"webhook_id": "x"}).status_code == 400
    extras.add_webhook(receiver.url)
    _create_deal(extras, "Logged")
    assert len(extras.deliveries()) == 1
    extras.cp.post("/_sandbox/reset", json={"seed": "demo"})
    assert extras.deliveries() == []
    assert extras.api.get("/v1/webhooks").json()["data"] == []


def test_deleted_webhooks_get_nothing_more(extras: ExtrasSandbox, receiver: Receiver) -> None:
    extras.cp.post("/_sandbox/webhooks/settings", json={"retry_delays": [0.3]})
    receiver.statuses = [500]
    hook = extras.add_webhook(receiver.url, event_object="deal")
    _create_deal(extras, "Retry pending")
    # Deliveries leave from a worker thread: delete only once the first attempt (answered 500) came.
    deadline = time.monotonic() + 5
    while not receiver.requests and time.monotonic() < deadline:
        time.sleep(0.01)
    assert len(receiver.requests) == 1
    assert extras.api.delete(f"/v1/webhooks/{hook['id']}").status_code == 200
    extras.flush()
    assert len(receiver.requests) == 1  # the retry was dropped with the subscription


def test_webhook_without_success_for_three_days_is_deleted(extras: ExtrasSandbox) -> None:
    extras.cp.post("/_sandbox/webhooks/settings", json={"retry_delays": [], "ban_enabled": False})
    hook = extras.add_webhook("http://127.0.0.1:9/closed-port", event_object="deal")
    _create_deal(extras, "Fails today")
    extras.flush()
    assert [w["id"] for w in extras.api.get("/v1/webhooks").json()["data"]] == [hook["id"]]
    extras.advance(3 * 86400 + 60)
    _create_deal(extras, "Fails three days later")
    extras.flush()
    assert extras.api.get("/v1/webhooks").json()["data"] == []


def test_merge_and_user_events_follow_the_documented_shapes(
    extras: ExtrasSandbox, receiver: Receiver
) -> None:
    """The store publishes merges and user changes like this; the payloads must follow the guides."""
    from datetime import UTC, datetime

    from pipedrive_connector.sandbox.contracts import ChangeEvent

    v1_hook = extras.add_webhook(receiver.url + "/v1", version="1.0")
    v2_hook = extras.add_webhook(receiver.url + "/v2", event_action="change")
    merged_v1 = extras.add_webhook(receiver.url + "/merged", event_action="merged", version="1.0")
    base: dict[str, Any] = {"user_id": 1, "company_id": 1, "timestamp": datetime.now(UTC)}
    extras.state.bus.publish(
        ChangeEvent(
            entity="person",
            action="change",
            entity_id=7,
            merged_from_id=8,
            current_v1={"id": 7, "name": "Kept"},
            previous_v1={"id": 7, "name": "Kept"},
            current_v2={"id": 7, "name": "Kept"},
            previous_v2={"id": 7, "name": "Kept"},
            **base,
        )
    )
    extras.state.bus.publish(
        ChangeEvent(
            entity="user",
            action="change",
            entity_id=2,
            current_v1={"id": 2, "name": "New"},
            previous_v1={"id": 2, "name": "Old"},
            current_v2={"id": 2, "name": "New"},
            previous_v2={"id": 2, "name": "Old"},
            **base,
        )
    )
    extras.flush()
    by_path: dict[str, list[dict[str, Any]]] = {}
    for request in receiver.requests:
        by_path.setdefault(request.path, []).append(request.body)
    merge_v1, user_v1 = by_path["/hook/v1"]
    assert merge_v1["event"] == "merged.person" and merge_v1["meta"]["action"] == "merged"
    assert user_v1["event"] == "updated.user" and user_v1["current"] == [{"id": 2, "name": "New"}]
    assert user_v1["previous"] == [{"id": 2, "name": "Old"}]
    merge_v2, user_v2 = by_path["/hook/v2"]
    assert merge_v2["meta"]["action"] == "change" and merge_v2["meta"]["merged_from_id"] == "8"
    assert merge_v2["previous"] == {}
    assert "permitted_user_ids" not in user_v2["meta"] and user_v2["previous"] == {"name": "Old"}
    assert [b["event"] for b in by_path["/hook/merged"]] == ["merged.person"]
    assert {e["webhook_id"] for e in extras.deliveries()} == {v1_hook["id"], v2_hook["id"], merged_v1["id"]}
