"""parse_webhook on hostile values, entity ids, v1 merges and v2 user events (issue 10, items 2 and 8)."""

from __future__ import annotations

import json
import re
from collections import OrderedDict
from typing import Any

import pytest
from webhook_samples import SET_FIELD, v1_merged_deal, v1_payload, v2_payload, v2_user_change

from pipedrive_connector.triggers import TRIGGERS, Event, WebhookParseError, parse_webhook
from pipedrive_connector.triggers.definitions import field_change_trigger

LEAD_ID = "adf21080-0e10-11eb-879b-05d71fb426ec"


def with_meta(body: dict[str, Any], **meta: Any) -> dict[str, Any]:
    return {**body, "meta": {**body["meta"], **meta}}


@pytest.mark.parametrize(
    ("body", "message"),
    [
        # Python values json.loads never returns, given as an already decoded dict.
        (with_meta(v2_payload(), attempt=float("inf")), "meta.attempt is not finite"),
        ({**v2_payload(), 7: "x"}, "a key in the body is not a string"),
        (
            with_meta(v2_payload(), permitted_user_ids=("1", "2")),
            "meta.permitted_user_ids is a tuple, not JSON",
        ),
        (with_meta(v2_payload(), entity_id=10**400), "integer at meta.entity_id has more than 300 digits"),
        (v2_payload(data={"id": 8, "title": "\udc80"}), "text at data.title is not valid Unicode"),
        # Entity ids: positive integers, UUIDs for leads, and present somewhere.
        (
            with_meta(v2_payload(), entity_id="8.0"),
            "invalid meta.entity_id '8.0': expected a positive integer",
        ),
        (with_meta(v2_payload(), entity_id=True), "invalid meta.entity_id True"),
        (with_meta(v2_payload(), entity_id="0"), "invalid meta.entity_id '0'"),
        (with_meta(v2_payload(), entity_id="٣"), "invalid meta.entity_id '٣'"),
        (with_meta(v2_payload(), entity_id=2**63), "expected a positive integer"),
        (with_meta(v2_payload(entity="lead"), entity_id="../users/me"), "expected a UUID"),
        (
            with_meta(v2_payload(data={"title": "no id"}, previous=None), entity_id=None),
            "webhook has no deal id",
        ),
        (
            v1_payload(meta={"v": 1, "action": "added", "object": "deal"}, current={"id": "x/.."}),
            "current.id",
        ),
        # The event id keys the inbox: PostgreSQL text refuses a NUL.
        (with_meta(v2_payload(), id="evt\u0000"), "meta.id 'evt\\x00' has a control character"),
        # Object names are names, not paths.
        (
            with_meta(v2_payload(), entity="deals/../users"),
            "meta.entity 'deals/../users' is not an object name",
        ),
        (v1_payload(obj="deal/1"), "meta.object 'deal/1' is not an object name"),
        # Timestamps and counts.
        (with_meta(v2_payload(), timestamp="yesterday"), "meta.timestamp 'yesterday' is not a timestamp"),
        (with_meta(v2_payload(), timestamp=[2022]), "meta.timestamp [2022] is not a timestamp"),
        (with_meta(v1_payload(), timestamp_micro="²"), "meta.timestamp_micro '²' is not a timestamp"),
        (v1_payload(retry="2²"), "retry must be a delivery count"),
        (v1_payload(retry=4.5), "retry must be a delivery count"),
        (with_meta(v2_payload(), attempt=True), "meta.attempt must be a delivery count"),
        # Multiple-option fields: option ids of one type.
        (
            v2_payload(data={"id": 8, "custom_fields": {SET_FIELD: {"values": "13"}}}),
            "must be a list of option ids",
        ),
        (
            v2_payload(data={"id": 8, "custom_fields": {SET_FIELD: {"values": [{"id": None}]}}}),
            "must hold option ids",
        ),
        (v2_payload(previous={"custom_fields": {SET_FIELD: {"values": [1, "2"]}}}), "previous.custom_fields"),
    ],
)
def test_hostile_values_are_rejected_naming_the_problem(body: dict[str, Any], message: str) -> None:
    with pytest.raises(WebhookParseError, match=re.escape(message)):
        parse_webhook(body)


def test_the_only_exception_is_a_value_error_subclass() -> None:
    assert issubclass(WebhookParseError, ValueError)
    with pytest.raises(WebhookParseError):
        parse_webhook(42)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("meta", "expected_id"),
    [({"entity_id": "8"}, 8), ({"entity_id": 8}, 8), ({"entity_id": " 8 "}, 8), ({"entity_id": ""}, 8)],
)
def test_integer_ids_as_pipedrive_writes_them(meta: dict[str, Any], expected_id: int) -> None:
    # An empty meta.entity_id falls back to data.id (8).
    assert parse_webhook(with_meta(v2_payload(), **meta)).entity_id == expected_id


def test_lead_ids_are_uuids_in_canonical_form() -> None:
    body = with_meta(v2_payload(entity="lead", data={"id": LEAD_ID.upper()}), entity_id=LEAD_ID.upper())
    event = parse_webhook(body)
    assert event.entity_id == LEAD_ID and event.content_key.startswith(f"lead:{LEAD_ID}:")


def test_values_pipedrive_sends_are_still_accepted() -> None:
    """Zero dates, numeric strings and integral floats are Pipedrive's, not hostile."""
    v1 = v1_payload(retry="1", current={"id": 123, "update_time": "0000-00-00 00:00:00"})
    v1["meta"]["timestamp_micro"] = "1523440213384700"
    event = parse_webhook(v1)
    assert event.attempt == 2 and event.timestamp is not None and event.timestamp.year == 2018
    v2 = with_meta(v2_payload(), attempt=3.0, timestamp=1669295936)
    assert parse_webhook(v2).attempt == 3
    # Nesting as deep as Pipedrive's own (custom field values) is fine; a key order is no problem.
    nested = v2_payload(
        data=OrderedDict(id=8, custom_fields={SET_FIELD: {"values": [{"id": 13}, {"id": 14}]}})
    )
    assert parse_webhook(dict(nested)).output is not None


# -- item 8: v1 merges -------------------------------------------------------------------------


def test_v1_merge_previous_is_the_merged_away_record_not_a_change() -> None:
    event = parse_webhook(json.dumps(v1_merged_deal(survivor_id=5, merged_id=6)))
    assert (event.action, event.entity_id, event.changed) == ("merged", 5, ())
    assert event.output is not None and event.output["title"] == "Survivor deal"
    assert event.previous is not None and event.previous["id"] == 6
    for field in ("id", "title", "user_id", "stage_id", SET_FIELD, "update_time"):
        assert not field_change_trigger("deal", field).matches(event), field
        assert not field_change_trigger("deal", field, from_value=None).matches(event), field
    assert {name for name, trigger in TRIGGERS.items() if trigger.matches(event)} == {"updatedDeal"}


def test_v1_merge_with_an_earlier_state_of_the_survivor_still_reports_changes() -> None:
    body = v1_merged_deal(survivor_id=5, merged_id=6)
    body["previous"] = {**body["current"], "title": "Before the merge"}
    event = parse_webhook(body)
    assert event.changed == ("title",)
    assert field_change_trigger("deal", "title", from_value="Before the merge").matches(event)


# -- item 8: v2 user events --------------------------------------------------------------------


def test_v2_user_events_are_keyed_on_their_content_not_meta_id() -> None:
    first = parse_webhook(v2_user_change(7, "Ann", "An", "2026-11-27T10:00:00.000Z"))
    second = parse_webhook(v2_user_change(7, "Anna", "Ann", "2026-11-27T10:05:00.000Z"))
    retried = parse_webhook(v2_user_change(7, "Ann", "An", "2026-11-27T10:00:00.000Z", attempt=3))
    assert first.entity_id == second.entity_id == 7
    assert first.event_key != second.event_key
    assert first.event_key == retried.event_key and retried.attempt == 3
    assert first.event_key.startswith("v2:user:")
    # Other entities keep meta.id (the event UUID) as their key.
    assert parse_webhook(v2_payload()).event_key == "v2:71825ee0-0054-4267-b5fd-d28b7a414212"


def test_v2_user_event_needs_no_event_uuid() -> None:
    body = v2_user_change(7, "Ann", "An", "2026-11-27T10:00:00.000Z")
    body["meta"]["id"] = 7  # even written as a number
    assert parse_webhook(body).entity_id == 7


# -- the field-change trigger never raises on what it compares --------------------------------


def test_field_change_match_on_mixed_option_ids_does_not_raise() -> None:
    """An event built elsewhere (not parsed) with mixed ids must not crash the match."""
    event = Event(
        object="deal",
        action="updated",
        entity_id=1,
        output={"id": 1, "custom_fields": {SET_FIELD: {"values": [{"id": 1}, {"id": "x"}, 3]}}},
        previous={"custom_fields": {SET_FIELD: {"values": [{"id": 1}]}}},
        changed=(f"custom_fields.{SET_FIELD}",),
        event_key="k",
        content_key="c",
        timestamp=None,
        attempt=1,
        version="2.0",
    )
    assert field_change_trigger("deal", SET_FIELD, to_value=["x", 1, 3]).matches(event)
    assert not field_change_trigger("deal", SET_FIELD, to_value=[1]).matches(event)
