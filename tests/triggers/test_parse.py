"""parse_webhook on payloads written from Pipedrive's documented shapes (notes §7.2, §7.3)."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from webhook_samples import v1_payload, v2_payload

from pipedrive_connector.triggers import TRIGGERS, WebhookParseError, parse_webhook


def test_v2_change_fields() -> None:
    event = parse_webhook(json.dumps(v2_payload()).encode())
    assert (event.object, event.action, event.entity_id, event.version) == ("deal", "updated", 8, "2.0")
    assert event.output is not None and event.output["title"] == "Sample Org deal"
    assert event.previous == {
        "title": "Old title",
        "custom_fields": {"a" * 40: {"type": "varchar", "value": "old"}},
    }
    assert event.changed == (f"custom_fields.{'a' * 40}", "title")
    assert event.event_key == "v2:71825ee0-0054-4267-b5fd-d28b7a414212"
    assert event.content_key == "deal:8:updated:2022-11-24T13:18:55Z"
    assert event.timestamp == datetime(2022, 11, 24, 13, 18, 56, 89000, tzinfo=UTC)
    assert event.attempt == 1 and event.webhook_id == "4710827"


@pytest.mark.parametrize(
    ("raw", "normalised"), [("create", "added"), ("change", "updated"), ("delete", "deleted")]
)
def test_v2_actions_normalised(raw: str, normalised: str) -> None:
    assert parse_webhook(v2_payload(action=raw)).action == normalised


def test_v2_merge_is_reported_as_merged() -> None:
    body = v2_payload()
    body["meta"]["merged_from_id"] = "9"
    assert parse_webhook(body).action == "merged"


def test_v2_delete_keeps_last_state_in_previous() -> None:
    body = v2_payload(action="delete", data=None, previous={"id": 8, "title": "Gone"})
    event = parse_webhook(body)
    assert event.output is None and event.record == {"id": 8, "title": "Gone"}
    assert event.content_key == "deal:8:deleted"


def test_v1_update_changed_fields_and_keys() -> None:
    event = parse_webhook(json.dumps(v1_payload()))
    assert (event.object, event.action, event.entity_id, event.version, event.attempt) == (
        "deal",
        "updated",
        123,
        "1.0",
        1,
    )
    assert event.changed == ("title", "update_time")
    assert event.output is not None and event.output["title"] == "New"
    # v1 update_time is "YYYY-MM-DD HH:MM:SS" UTC; the content key uses the same form as v2.
    assert event.content_key == "deal:123:updated:2018-04-11T09:50:13Z"
    assert event.timestamp is not None and event.timestamp.year == 2018


def test_v1_retry_keeps_event_key_and_counts_attempts() -> None:
    first = parse_webhook(v1_payload())
    retried = parse_webhook(v1_payload(retry=2))
    assert first.event_key == retried.event_key
    assert retried.attempt == 3


def test_v1_user_event_uses_first_list_item() -> None:
    body = v1_payload(obj="user", current=[{"id": 5, "name": "A"}], previous=[{"id": 5, "name": "B"}])
    event = parse_webhook(body)
    assert event.output == {"id": 5, "name": "A"} and event.changed == ("name",)


def test_v1_without_timestamp_micro_gets_a_stable_fingerprint_key() -> None:
    body = v1_payload()
    del body["meta"]["timestamp_micro"]
    again = v1_payload(retry=1)
    del again["meta"]["timestamp_micro"]
    assert parse_webhook(body).event_key == parse_webhook(again).event_key
    other = v1_payload(current={"id": 123, "title": "Other"})
    del other["meta"]["timestamp_micro"]
    assert parse_webhook(other).event_key != parse_webhook(body).event_key


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"", "empty"),
        (b"{not json", "not JSON"),
        (b"\xff\xfe", "not UTF-8"),
        (b"[1, 2]", "JSON object"),
        (b'{"data": {}}', "'meta'"),
        (
            json.dumps({"meta": {"version": "2.0", "entity": "deal", "action": "explode", "id": "x"}}),
            "explode",
        ),
        (json.dumps({"meta": {"version": "2.0", "action": "create", "id": "x"}}), "meta.entity"),
        (json.dumps({"meta": {"version": "2.0", "entity": "deal", "action": "create"}}), "meta.id"),
        (json.dumps({"meta": {"v": 1, "action": "added"}}), "meta.object"),
        (json.dumps({"meta": {"v": 1, "action": "frobbed", "object": "deal"}}), "frobbed"),
        (json.dumps({"meta": {"v": 1, "action": "added", "object": "deal"}, "current": "x"}), "'current'"),
    ],
)
def test_malformed_bodies_name_the_problem(body: bytes | str, message: str) -> None:
    with pytest.raises(WebhookParseError, match=message):
        parse_webhook(body)


def test_seed_triggers_filter_on_object_and_action() -> None:
    created = parse_webhook(v2_payload(action="create", previous=None))
    changed = parse_webhook(v2_payload())
    fired = {name for name, trigger in TRIGGERS.items() if trigger.matches(created)}
    assert fired == {"newDeal"}
    assert {name for name, trigger in TRIGGERS.items() if trigger.matches(changed)} == {"updatedDeal"}
    person = parse_webhook(v1_payload(action="added", obj="person"))
    assert {name for name, trigger in TRIGGERS.items() if trigger.matches(person)} == {"newPerson"}
