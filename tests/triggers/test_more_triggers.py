"""End to end: the triggers beyond the seed fire from real sandbox webhooks (or from polling, for the
matching-filter triggers), over sockets, through the receiver and the durable inbox."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest
from triggers_helpers import Collector, ServedApp, settle

from pipedrive_connector.client import Pipedrive
from pipedrive_connector.triggers import ALL_TRIGGERS, TriggerApp, get_trigger
from pipedrive_connector.triggers.definitions import (
    EXTRA_TRIGGERS,
    OBJECT_TRIGGERS,
    WEBHOOK_OBJECTS,
    deal_stage_changed,
    matching_filter_trigger,
)

# Objects whose records the generic create/update/delete helpers below make; pipelines, stages and users
# have their own end-to-end tests.
EMITTED = ("activity", "deal", "lead", "note", "organization", "person", "product")
LEAD_PATH = "/v1/leads/{id}"


def _create(pd: Pipedrive, obj: str, tag: str) -> Any:
    """Create one record of ``obj``; returns its id."""
    if obj == "lead":
        org = pd.request("POST", "/api/v2/organizations", json={"name": f"Lead org {tag}"})["data"]
        return pd.request("POST", "/v1/leads", json={"title": f"Lead {tag}", "organization_id": org["id"]})[
            "data"
        ]["id"]
    if obj == "note":
        deal = pd.request("POST", "/api/v2/deals", json={"title": f"Noted {tag}"})["data"]
        return pd.request("POST", "/v1/notes", json={"content": f"Note {tag}", "deal_id": deal["id"]})[
            "data"
        ]["id"]
    field = {"activity": "subject", "deal": "title"}.get(obj, "name")
    path = {"activity": "activities", "person": "persons"}.get(obj, f"{obj}s")
    return pd.request("POST", f"/api/v2/{path}", json={field: f"{obj} {tag}"})["data"]["id"]


def _update(pd: Pipedrive, obj: str, record_id: Any, tag: str) -> None:
    if obj == "lead":
        pd.request("PATCH", f"/v1/leads/{record_id}", json={"title": f"Renamed {tag}"})
    elif obj == "note":
        pd.request("PUT", f"/v1/notes/{record_id}", json={"content": f"Renamed {tag}"})
    else:
        field = {"activity": "subject", "deal": "title"}.get(obj, "name")
        path = {"activity": "activities", "person": "persons"}.get(obj, f"{obj}s")
        pd.request("PATCH", f"/api/v2/{path}/{record_id}", json={field: f"Renamed {tag}"})


def _delete(pd: Pipedrive, obj: str, record_id: Any) -> None:
    if obj in ("lead", "note"):
        pd.request("DELETE", f"/v1/{obj}s/{record_id}")
    else:
        path = {"activity": "activities", "person": "persons"}.get(obj, f"{obj}s")
        pd.request("DELETE", f"/api/v2/{path}/{record_id}")


def test_one_table_makes_new_updated_deleted_for_every_webhook_object() -> None:
    made = {(d.event_object, d.action) for d in ALL_TRIGGERS.values() if not d.params and d.type != "POLLING"}
    for obj in WEBHOOK_OBJECTS:
        assert {(obj, "added"), (obj, "updated"), (obj, "deleted")} <= made
    assert all(not d.seed for d in EXTRA_TRIGGERS.values())


@pytest.mark.parametrize("version", ["2.0", "1.0"])
@pytest.mark.parametrize("obj", EMITTED)
def test_new_updated_deleted_fire_from_sandbox_webhooks(
    pd: Pipedrive, pipedrive_sandbox: Any, tmp_path: Path, obj: str, version: str
) -> None:
    names = [name for name, d in {**ALL_TRIGGERS}.items() if d.event_object == obj and not d.params]
    names = [n for n in names if n.startswith(("new", "updated", "deleted"))]
    assert len(names) == 3
    app = TriggerApp(client=pd, state_path=tmp_path / "t.db", version=version, retry_delays=(0.05,))
    collector = Collector(app, names)
    tag = uuid.uuid4().hex[:6]
    with ServedApp(app.asgi) as served:
        for name in names:
            app.enable(name, public_url=served.url)
        record_id = _create(pd, obj, tag)
        _update(pd, obj, record_id, tag)
        _delete(pd, obj, record_id)
        settle(app, pipedrive_sandbox.base_url)
    prefix = {"new": "added", "updated": "updated", "deleted": "deleted"}
    fired = {name: [e.entity_id for e in events] for name, events in collector.events.items() if events}
    assert sorted(fired) == sorted(names)
    for name, ids in fired.items():
        assert ids == [record_id], (name, ids)
        event = collector.events[name][0]
        assert event.action == next(a for p, a in prefix.items() if name.startswith(p))
        assert event.record is not None and event.record["id"] == record_id
    app.close()


def _stages(pd: Pipedrive, deal: dict[str, Any]) -> list[int]:
    stages = pd.request("GET", "/api/v2/stages", params={"pipeline_id": deal["pipeline_id"]})["data"]
    return [s["id"] for s in stages if s["id"] != deal["stage_id"]]


@pytest.mark.parametrize("version", ["2.0", "1.0"])
def test_deal_stage_changed_won_and_lost(
    pd: Pipedrive, pipedrive_sandbox: Any, tmp_path: Path, version: str
) -> None:
    app = TriggerApp(client=pd, state_path=tmp_path / "t.db", version=version, retry_delays=(0.05,))
    names = ["dealStageChanged", "dealWon", "dealLost"]
    collector = Collector(app, names)
    deal = pd.request("POST", "/api/v2/deals", json={"title": "Stage mover"})["data"]
    other = pd.request("POST", "/api/v2/deals", json={"title": "Loser"})["data"]
    into, elsewhere = _stages(pd, deal)[:2]
    with ServedApp(app.asgi) as served:
        for name in names:
            app.enable(name, public_url=served.url)
        pd.request("PATCH", f"/api/v2/deals/{deal['id']}", json={"title": "Only the title"})
        pd.request("PATCH", f"/api/v2/deals/{deal['id']}", json={"stage_id": into})
        pd.request("PATCH", f"/api/v2/deals/{deal['id']}", json={"status": "won"})
        pd.request("PATCH", f"/api/v2/deals/{other['id']}", json={"status": "lost", "lost_reason": "Price"})
        pd.request("PATCH", f"/api/v2/deals/{other['id']}", json={"stage_id": elsewhere})
        settle(app, pipedrive_sandbox.base_url)
    assert collector.ids() == {
        "dealStageChanged": [deal["id"], other["id"]],
        "dealWon": [deal["id"]],
        "dealLost": [other["id"]],
    }
    assert collector.events["dealStageChanged"][0].output["stage_id"] == into  # type: ignore[index]
    app.close()


def test_deal_stage_changed_into_one_stage(pd: Pipedrive, pipedrive_sandbox: Any, tmp_path: Path) -> None:
    app = TriggerApp(client=pd, state_path=tmp_path / "t.db", retry_delays=(0.05,))
    collector = Collector(app, ["dealStageChanged"])
    deal = pd.request("POST", "/api/v2/deals", json={"title": "Into one stage"})["data"]
    into, elsewhere = _stages(pd, deal)[:2]
    with ServedApp(app.asgi) as served:
        result = app.enable(deal_stage_changed(into), public_url=served.url)
        assert result.subscription.params == {"stage_id": into}
        pd.request("PATCH", f"/api/v2/deals/{deal['id']}", json={"stage_id": elsewhere})
        pd.request("PATCH", f"/api/v2/deals/{deal['id']}", json={"stage_id": into})
        settle(app, pipedrive_sandbox.base_url)
    [event] = collector.events["dealStageChanged"]
    assert event.output is not None and event.output["stage_id"] == into
    assert get_trigger("dealStageChanged", {"stage_id": into}) == deal_stage_changed(into)
    app.close()


def _settings_object_changes(pd: Pipedrive, obj: str, tag: str) -> Any:
    """Create, rename and delete a pipeline or a stage through the sandbox API; returns its id."""
    if obj == "pipeline":
        record_id = pd.request("POST", "/api/v2/pipelines", json={"name": f"Pipeline {tag}"})["data"]["id"]
    else:
        pipeline = pd.request("GET", "/api/v2/pipelines")["data"][0]
        body = {"name": f"Stage {tag}", "pipeline_id": pipeline["id"]}
        record_id = pd.request("POST", "/api/v2/stages", json=body)["data"]["id"]
    pd.request("PATCH", f"/api/v2/{obj}s/{record_id}", json={"name": f"Renamed {tag}"})
    pd.request("DELETE", f"/api/v2/{obj}s/{record_id}")
    return record_id


@pytest.mark.parametrize("version", ["2.0", "1.0"])
@pytest.mark.parametrize("obj", ["pipeline", "stage"])
def test_pipeline_and_stage_triggers_fire_from_sandbox_webhooks(
    pd: Pipedrive, pipedrive_sandbox: Any, tmp_path: Path, obj: str, version: str
) -> None:
    app = TriggerApp(client=pd, state_path=tmp_path / "t.db", version=version, retry_delays=(0.05,))
    names = [f"{verb}{obj.capitalize()}" for verb in ("new", "updated", "deleted")]
    collector = Collector(app, names)
    with ServedApp(app.asgi) as served:
        for name in names:
            app.enable(name, public_url=served.url)
        record_id = _settings_object_changes(pd, obj, uuid.uuid4().hex[:6])
        settle(app, pipedrive_sandbox.base_url)
    assert collector.ids() == {name: [record_id] for name in names}
    new, updated, deleted = (collector.events[name][0] for name in names)
    assert new.action == "added" and updated.action == "updated" and deleted.action == "deleted"
    assert updated.record is not None and updated.record["name"].startswith("Renamed")
    app.close()


@pytest.mark.parametrize("version", ["2.0", "1.0"])
def test_user_triggers_fire_from_sandbox_webhooks(
    pd: Pipedrive, pipedrive_sandbox: Any, tmp_path: Path, version: str
) -> None:
    """Users are invited (POST /v1/users) and (de)activated (PUT /v1/users/{id}); the API deletes none."""
    app = TriggerApp(client=pd, state_path=tmp_path / "t.db", version=version, retry_delays=(0.05,))
    names = ["newUser", "updatedUser"]
    collector = Collector(app, names)
    with ServedApp(app.asgi) as served:
        for name in names:
            app.enable(name, public_url=served.url)
        email = f"invited.{uuid.uuid4().hex[:8]}@example.com"
        user_id = pd.request("POST", "/v1/users", json={"email": email})["data"]["id"]
        pd.request("PUT", f"/v1/users/{user_id}", json={"active_flag": False})
        settle(app, pipedrive_sandbox.base_url)
    assert collector.ids() == {"newUser": [user_id], "updatedUser": [user_id]}
    updated = collector.events["updatedUser"][0]
    assert updated.record is not None and updated.record["email"] == email
    assert updated.record["active_flag"] is False
    app.close()


# object -> (filter type, fields endpoint, the text field to filter on, API v2 collection)
FILTERED = {
    "deal": ("deals", "/v1/dealFields", "title", "deals"),
    "person": ("people", "/v1/personFields", "name", "persons"),
    "organization": ("org", "/v1/organizationFields", "name", "organizations"),
    "activity": ("activity", "/v1/activityFields", "subject", "activities"),
}


@pytest.mark.parametrize("obj", list(FILTERED))
def test_matching_filter_polls_new_and_updated_records_once(
    pd: Pipedrive, pipedrive_sandbox: Any, tmp_path: Path, obj: str
) -> None:
    filter_type, fields_path, field, collection = FILTERED[obj]
    fields = pd.request("GET", fields_path, params={"limit": 500})["data"]
    field_id = next(f["id"] for f in fields if f["key"] == field)
    if obj == "activity":  # the sandbox's filter engine names activity fields by key, not by id
        field_id = field
    tag = f"Zebra{uuid.uuid4().hex[:6]}"
    leaf = {
        "object": obj if obj != "organization" else "org",
        "field_id": str(field_id),
        "operator": "LIKE '%$%'",
        "value": tag,
    }
    conditions = {
        "glue": "and",
        "conditions": [{"glue": "and", "conditions": [leaf]}, {"glue": "or", "conditions": []}],
    }
    saved = pd.request(
        "POST", "/v1/filters", json={"name": tag, "type": filter_type, "conditions": conditions}
    )["data"]
    app = TriggerApp(client=pd, state_path=tmp_path / "t.db")
    name = f"{obj}MatchingFilter"
    collector = Collector(app, [name])
    sub = app.poll_subscription_for(matching_filter_trigger(obj, saved["id"]))  # type: ignore[arg-type]
    assert sub.params == {"filter_id": saved["id"]}
    matching = pd.request("POST", f"/api/v2/{collection}", json={field: f"{tag} record"})["data"]
    pd.request("POST", f"/api/v2/{collection}", json={field: "Not in the filter"})
    app.poll_once([sub])
    app.dispatcher.drain()
    assert [(e.action, e.entity_id) for e in collector.events[name]] == [("added", matching["id"])]
    # Nothing new: nothing emitted again (the state database remembers what was emitted).
    assert sum(r.stored for r in app.poll_once([sub])) == 0
    httpx.post(f"{pipedrive_sandbox.base_url}/_sandbox/clock", json={"advance_seconds": 5}).raise_for_status()
    pd.request("PATCH", f"/api/v2/{collection}/{matching['id']}", json={field: f"{tag} renamed"})
    app.poll_once([sub])
    app.dispatcher.drain()
    assert [e.action for e in collector.events[name]] == ["added", "updated"]
    assert app.store.get_subscription(sub.id) is not None
    app.close()


def test_matching_filter_triggers_ignore_webhook_deliveries() -> None:
    from pipedrive_connector.triggers import Event

    trigger = matching_filter_trigger("person", 3)
    event = Event("person", "added", 1, {"id": 1}, None, (), "k", "c", None, 1, "2.0")
    assert not trigger.matches(event)
    assert trigger.matches(
        Event("person", "added", 1, {"id": 1}, None, (), "k", "c", None, 1, "poll", "poll")
    )
    with pytest.raises(ValueError, match="filter_id"):
        matching_filter_trigger("deal", 0)
    with pytest.raises(ValueError, match="lead"):
        matching_filter_trigger("lead", 1)  # type: ignore[arg-type]


def test_object_triggers_are_named_from_the_table() -> None:
    assert {"newNote", "updatedProduct", "deletedLead", "newPipeline", "updatedStage", "deletedUser"} <= set(
        OBJECT_TRIGGERS
    )
    assert get_trigger("updatedNote").also == ("merged",)
