"""Hostile but authenticated bodies through the receiver over HTTP (issue 10, items 2 and 8).

The receiver is ``TriggerApp.asgi`` (or a bare ``ReceiverApp``) driven by httpx over
``ASGITransport`` with app exceptions turned into responses, so a crash shows as a 500.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from benchmarks.payloads import HOSTILE, SET_FIELD_KEY, v2_deal_created
from triggers_helpers import basic
from webhook_samples import v1_merged_deal, v2_user_change

from pipedrive_connector.triggers import TriggerApp
from pipedrive_connector.triggers.definitions import TriggerDefinition
from pipedrive_connector.triggers.receiver import Receiver, ReceiverApp
from pipedrive_connector.triggers.store import TriggerStore

# What the 400's error message must name, for each hostile class.
EXPECTED_ERRORS = {
    "deep_nesting": "nested more than 32 levels",
    "moderately_deep_nesting": "nested more than 32 levels deep (at data.custom_fields",
    "integer_5000_digits": "4300 digits",
    "integer_400_digits": "integer at meta.timestamp has more than 300 digits",
    "attempt_1e400": "number at meta.attempt is not finite",
    "attempt_nan": "number at meta.attempt is not finite",
    "attempt_negative": "meta.attempt must be a delivery count",
    "superscript_timestamp": "meta.timestamp '²' is not a timestamp",
    "superscript_entity_id": "invalid meta.entity_id '²': expected a positive integer",
    "year_1_with_offset": "meta.timestamp '0001-01-01T00:00:00+01:00' is not a timestamp",
    "year_9999_update_time": "data.update_time '9999-12-31T23:59:59-01:00' is not a timestamp",
    "path_in_entity_id": "invalid meta.entity_id '1/../../../../v1/users/me'",
    "entity_id_not_positive": "invalid meta.entity_id '-3'",
    "mixed_option_ids": f"data.custom_fields.{SET_FIELD_KEY}.values mixes integer and string",
    "lone_surrogate": "text at data.title is not valid Unicode",
    "nul_in_event_id": "has a control character",
}
JSON = {"content-type": "application/json"}


def post(asgi: Any, requests: list[tuple[str, dict[str, str], bytes]]) -> list[httpx.Response]:
    """POST each (subscription id, auth headers, body) in order to the ASGI app."""

    async def run() -> list[httpx.Response]:
        transport = httpx.ASGITransport(app=asgi, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://receiver") as client:
            return [
                await client.post(f"/webhooks/{sub_id}", content=body, headers={**auth, **JSON})
                for sub_id, auth, body in requests
            ]

    return asyncio.run(run())


@pytest.fixture
def app(tmp_path: Path) -> Iterator[TriggerApp]:
    trigger_app = TriggerApp(state_path=tmp_path / "triggers.db")
    yield trigger_app
    trigger_app.close()


def subscribe(
    app: TriggerApp, trigger: str, params: dict[str, Any] | None = None
) -> tuple[str, dict[str, str]]:
    sub, password = app.store.create_subscription(trigger, params or {}, "2.0", "http://hooks.example")
    return sub.id, basic(sub.auth_user, password)


def inbox_size(app: TriggerApp) -> int:
    return sum(app.store.counts().values())


def test_every_hostile_class_has_an_expected_error() -> None:
    assert set(EXPECTED_ERRORS) == set(HOSTILE)


@pytest.mark.parametrize("kind", sorted(HOSTILE))
def test_hostile_body_gets_400_naming_the_problem_and_is_stored_nowhere(app: TriggerApp, kind: str) -> None:
    sub_id, auth = subscribe(app, "newDeal")
    valid_body = json.dumps(v2_deal_created(43)).encode()
    [hostile, valid] = post(app.asgi, [(sub_id, auth, HOSTILE[kind](41)), (sub_id, auth, valid_body)])
    assert hostile.status_code == 400, hostile.text
    assert EXPECTED_ERRORS[kind] in hostile.json()["error"]
    # The receiver keeps working, and only the valid delivery is in the inbox.
    assert valid.status_code == 200 and valid.json() == {"ok": True, "duplicate": False}
    assert inbox_size(app) == 1
    assert [row.event.entity_id for row in app.store.events()] == [43]


def test_field_change_trigger_with_mixed_option_ids_gets_400(app: TriggerApp) -> None:
    """Matching a set field compared its ``values`` sorted: ints and strings raised TypeError (500)."""
    sub_id, auth = subscribe(app, "fieldChanged", {"object": "deal", "field": SET_FIELD_KEY, "to": [1, 2]})
    body = v2_deal_created(7)
    body["meta"]["action"] = "change"
    body["data"]["custom_fields"] = {SET_FIELD_KEY: {"type": "set", "values": [{"id": 1}, {"id": "x"}]}}
    body["previous"] = {"custom_fields": {SET_FIELD_KEY: {"type": "set", "values": [{"id": 1}]}}}
    [response] = post(app.asgi, [(sub_id, auth, json.dumps(body).encode())])
    assert response.status_code == 400, response.text
    assert "values mixes integer and string option ids" in response.json()["error"]
    assert inbox_size(app) == 0


def test_v1_merge_does_not_fire_field_change_triggers(app: TriggerApp) -> None:
    """``previous`` of a v1 merge is the deal merged away: its other id, title and owner are no change."""
    field_subs = [
        subscribe(app, "fieldChanged", {"object": "deal", "field": field})
        for field in ("id", "title", "user_id", "stage_id", SET_FIELD_KEY)
    ]
    updated_sub = subscribe(app, "updatedDeal")
    body = json.dumps(v1_merged_deal(survivor_id=5, merged_id=6)).encode()
    responses = post(app.asgi, [(sub_id, auth, body) for sub_id, auth in [*field_subs, updated_sub]])
    assert [r.json() for r in responses[:-1]] == [{"ok": True, "ignored": True}] * len(field_subs)
    # The update trigger still fires for the surviving deal.
    assert responses[-1].json() == {"ok": True, "duplicate": False}
    [row] = app.store.events()
    assert (row.trigger, row.event.action, row.event.entity_id, row.event.changed) == (
        "updatedDeal",
        "merged",
        5,
        (),
    )


def test_two_v2_events_about_one_user_are_both_stored(tmp_path: Path) -> None:
    """``meta.id`` of a v2 user event is the user's id: keyed on it, the second event was a "duplicate"."""
    store = TriggerStore(str(tmp_path / "users.db"))
    user_trigger = TriggerDefinition(
        name="updatedUser", title="Updated User", description="", event_object="user", action="updated"
    )
    receiver = Receiver(store, lambda sub: user_trigger)
    sub, password = store.create_subscription("updatedUser", {}, "2.0", "http://hooks.example")
    auth = basic(sub.auth_user, password)
    renamed = v2_user_change(7, "Ann", "An", "2026-11-27T10:00:00.000Z")
    renamed_again = v2_user_change(7, "Anna", "Ann", "2026-11-27T10:05:00.000Z")
    retried = v2_user_change(7, "Ann", "An", "2026-11-27T10:00:00.000Z", attempt=2)
    try:
        responses = post(
            ReceiverApp(receiver),
            [(sub.id, auth, json.dumps(body).encode()) for body in (renamed, renamed_again, retried)],
        )
        assert [r.json()["duplicate"] for r in responses] == [False, False, True]
        names = [row.event.output["name"] for row in store.events() if row.event.output]
        assert sorted(names) == ["Ann", "Anna"]
    finally:
        store.close()
