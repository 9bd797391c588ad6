"""Pipeline, stage and user changes made through the API are delivered as webhooks (v1 and v2 payloads)."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

# Fixtures are imported by name, so their use as test parameters "redefines" them.
# ruff: noqa: F811
from _extras_fixtures import ExtrasSandbox, Receiver, _extras_server, extras, receiver  # noqa: F401


def _ok(response: Any) -> dict[str, Any]:
    assert response.status_code in (200, 201), response.text
    data: dict[str, Any] = response.json()["data"]
    return data


def _pipeline_then_stage_lifecycle(extras: ExtrasSandbox) -> tuple[int, int]:
    """Create, rename and delete a stage, then a pipeline; returns (pipeline id, stage id)."""
    pipeline = _ok(extras.api.post("/api/v2/pipelines", json={"name": "Hooked pipeline"}))
    stage = _ok(
        extras.api.post("/api/v2/stages", json={"name": "Hooked stage", "pipeline_id": pipeline["id"]})
    )
    _ok(extras.api.patch(f"/api/v2/stages/{stage['id']}", json={"name": "Renamed stage"}))
    _ok(extras.api.delete(f"/api/v2/stages/{stage['id']}"))
    _ok(extras.api.patch(f"/api/v2/pipelines/{pipeline['id']}", json={"name": "Renamed pipeline"}))
    _ok(extras.api.delete(f"/api/v2/pipelines/{pipeline['id']}"))
    extras.flush()
    return pipeline["id"], stage["id"]


@pytest.mark.parametrize("obj", ["pipeline", "stage"])
def test_v2_payloads_for_pipeline_and_stage_changes(
    extras: ExtrasSandbox, receiver: Receiver, obj: str
) -> None:
    hook = extras.add_webhook(receiver.url, event_object=obj, version="2.0")
    pipeline_id, stage_id = _pipeline_then_stage_lifecycle(extras)
    record_id = pipeline_id if obj == "pipeline" else stage_id
    create, change, delete = receiver.bodies()
    for body, action in ((create, "create"), (change, "change"), (delete, "delete")):
        meta = body["meta"]
        assert (meta["entity"], meta["action"], meta["version"]) == (obj, action, "2.0")
        assert meta["entity_id"] == str(record_id) and meta["webhook_id"] == str(hook["id"])
    view = "Hooked pipeline" if obj == "pipeline" else "Hooked stage"
    renamed = "Renamed pipeline" if obj == "pipeline" else "Renamed stage"
    assert create["data"]["id"] == record_id and create["data"]["name"] == view and create["previous"] is None
    assert change["data"]["name"] == renamed and change["previous"]["name"] == view
    assert delete["data"] is None and delete["previous"]["id"] == record_id
    if obj == "stage":
        assert create["data"]["pipeline_id"] == pipeline_id
    else:
        assert {"order_nr", "is_deal_probability_enabled", "add_time"} <= set(create["data"])
    log = extras.deliveries(hook["id"])
    assert len(log) == 3 and {entry["webhook_id"] for entry in log} == {hook["id"]}


@pytest.mark.parametrize("obj", ["pipeline", "stage"])
def test_v1_payloads_for_pipeline_and_stage_changes(
    extras: ExtrasSandbox, receiver: Receiver, obj: str
) -> None:
    hook = extras.add_webhook(receiver.url, event_object=obj, version="1.0")
    pipeline_id, stage_id = _pipeline_then_stage_lifecycle(extras)
    record_id = pipeline_id if obj == "pipeline" else stage_id
    added, updated, deleted = receiver.bodies()
    for body, action in ((added, "added"), (updated, "updated"), (deleted, "deleted")):
        assert body["v"] == 1 and body["event"] == f"{action}.{obj}"
        meta = body["meta"]
        assert (meta["object"], meta["action"], meta["id"]) == (obj, action, record_id)
        assert meta["webhook_id"] == hook["id"]
    assert added["previous"] is None and added["current"]["id"] == record_id
    assert updated["current"]["name"].startswith("Renamed") and updated["previous"]["name"].startswith(
        "Hooked"
    )
    assert deleted["current"] is None and deleted["previous"]["id"] == record_id
    if obj == "stage":  # the v1 stage carries its pipeline's name
        assert added["current"]["pipeline_id"] == pipeline_id
        assert added["current"]["pipeline_name"] == "Hooked pipeline"
    assert len(extras.deliveries(hook["id"])) == 3


def test_only_the_subscribed_object_is_delivered(extras: ExtrasSandbox, receiver: Receiver) -> None:
    extras.add_webhook(receiver.url, event_action="delete", event_object="stage")
    _pipeline_then_stage_lifecycle(extras)
    assert [(b["meta"]["entity"], b["meta"]["action"]) for b in receiver.bodies()] == [("stage", "delete")]


@pytest.mark.parametrize("version", ["2.0", "1.0"])
def test_user_invite_and_deactivation_are_delivered(
    extras: ExtrasSandbox, receiver: Receiver, version: str
) -> None:
    hook = extras.add_webhook(receiver.url, event_object="user", version=version)
    email = f"hooked.{uuid.uuid4().hex[:8]}@example.com"
    user = _ok(extras.api.post("/v1/users", json={"email": email}))
    _ok(extras.api.put(f"/v1/users/{user['id']}", json={"active_flag": False}))
    extras.flush()
    created, changed = receiver.bodies()
    if version == "2.0":
        assert [b["meta"]["action"] for b in (created, changed)] == ["create", "change"]
        assert created["data"]["email"] == email and created["previous"] is None
        assert changed["data"]["active_flag"] is False and changed["previous"]["active_flag"] is True
    else:  # v1 user events carry one-element lists
        assert [b["event"] for b in (created, changed)] == ["added.user", "updated.user"]
        assert created["current"][0]["email"] == email and created["previous"] is None
        assert changed["current"][0]["active_flag"] is False and changed["previous"][0]["active_flag"] is True
    assert len(extras.deliveries(hook["id"])) == 2
