"""End to end: the sandbox delivers real webhooks over sockets to the receiver under uvicorn."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import pytest
from triggers_helpers import Collector, ServedApp, deliveries, settle

from pipedrive_connector.client import Pipedrive
from pipedrive_connector.triggers import TRIGGERS, TriggerApp, WebhookLimitError, field_change_trigger


def make_changes(pd: Pipedrive) -> dict[str, Any]:
    """One change for each seed trigger, plus changes none of them should fire for."""
    tag = uuid.uuid4().hex[:6]
    deal = pd.request("POST", "/api/v2/deals", json={"title": f"Deal {tag}"})["data"]
    person = pd.request("POST", "/api/v2/persons", json={"name": f"Person {tag}"})["data"]
    org = pd.request("POST", "/api/v2/organizations", json={"name": f"Org {tag}"})["data"]
    activity = pd.request("POST", "/api/v2/activities", json={"subject": f"Call {tag}"})["data"]
    existing_deal = pd.request("GET", "/api/v2/deals", params={"limit": 1})["data"][0]
    existing_person = pd.request("GET", "/api/v2/persons", params={"limit": 1})["data"][0]
    existing_org = pd.request("GET", "/api/v2/organizations", params={"limit": 1})["data"][0]
    pd.request("PATCH", f"/api/v2/deals/{existing_deal['id']}", json={"title": f"Renamed {tag}"})
    pd.request("PATCH", f"/api/v2/persons/{existing_person['id']}", json={"name": f"Renamed {tag}"})
    pd.request("PATCH", f"/api/v2/organizations/{existing_org['id']}", json={"name": f"Renamed {tag}"})
    # Not matching any seed trigger: an activity update and a deletion.
    pd.request("PATCH", f"/api/v2/activities/{activity['id']}", json={"subject": f"Moved {tag}"})
    pd.request("DELETE", f"/api/v2/deals/{deal['id']}")
    return {
        "newDeal": [deal["id"]],
        "newPerson": [person["id"]],
        "newOrganization": [org["id"]],
        "newActivity": [activity["id"]],
        "updatedDeal": [existing_deal["id"]],
        "updatedPerson": [existing_person["id"]],
        "updatedOrganization": [existing_org["id"]],
    }


@pytest.mark.parametrize("version", ["2.0", "1.0"])
def test_each_seed_trigger_fires_once_per_matching_change(
    pd: Pipedrive, pipedrive_sandbox: Any, tmp_path: Path, version: str
) -> None:
    app = TriggerApp(client=pd, state_path=tmp_path / "t.db", version=version, retry_delays=(0.05,))
    collector = Collector(app, list(TRIGGERS))
    with ServedApp(app.asgi) as served:
        for name in TRIGGERS:
            app.enable(name, public_url=served.url)
        expected = make_changes(pd)
        log = settle(app, pipedrive_sandbox.base_url)
        assert log and all(entry["acknowledged"] for entry in log)
        assert {entry["version"] for entry in log} == {version}
        assert collector.ids() == expected
        for name, events in collector.events.items():
            event = events[0]
            assert event.version == version and event.trigger == name
            assert event.output is not None and event.output["id"] == expected[name][0]
    app.close()


def test_updated_trigger_output_is_the_current_record(
    pd: Pipedrive, pipedrive_sandbox: Any, tmp_path: Path
) -> None:
    app = TriggerApp(client=pd, state_path=tmp_path / "t.db")
    collector = Collector(app, ["updatedDeal"])
    with ServedApp(app.asgi) as served:
        app.enable("updatedDeal", public_url=served.url)
        deal = pd.request("GET", "/api/v2/deals", params={"limit": 1})["data"][0]
        pd.request("PATCH", f"/api/v2/deals/{deal['id']}", json={"title": "Brand new title"})
        settle(app, pipedrive_sandbox.base_url)
    [event] = collector.events["updatedDeal"]
    assert event.output is not None and event.output["title"] == "Brand new title"
    assert event.previous is not None and event.previous.get("title") == deal["title"]
    assert "title" in event.changed
    app.close()


class FailFirst:
    """Wraps the receiver: the first N deliveries are stored but answered 500 (a lost acknowledgement),
    so the sandbox retries them; and every delivery is passed in twice (a duplicate delivery)."""

    def __init__(self, inner: Any, fail: int) -> None:
        self.inner = inner
        self.remaining = fail

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http" or scope["method"] != "POST":
            await self.inner(scope, receive, send)
            return
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break

        async def replay() -> dict[str, Any]:
            return {"type": "http.request", "body": body, "more_body": False}

        async def discard(message: Any) -> None:
            return None

        await self.inner(scope, replay, discard)
        if self.remaining > 0:
            self.remaining -= 1
            await send({"type": "http.response.start", "status": 500, "headers": []})
            await send({"type": "http.response.body", "body": b"lost"})
            return
        await self.inner(scope, replay, send)


def test_duplicate_and_retried_deliveries_are_handled_once(
    pd: Pipedrive, pipedrive_sandbox: Any, tmp_path: Path
) -> None:
    app = TriggerApp(client=pd, state_path=tmp_path / "t.db")
    collector = Collector(app, ["newPerson"])
    with ServedApp(FailFirst(app.asgi, fail=2)) as served:
        app.enable("newPerson", public_url=served.url)
        person = pd.request("POST", "/api/v2/persons", json={"name": "Retried"})["data"]
        log = settle(app, pipedrive_sandbox.base_url)
    attempts = [entry["attempt"] for entry in log if entry["entity_id"] == person["id"]]
    assert attempts == [1, 2, 3] and log[-1]["acknowledged"]
    assert collector.ids() == {"newPerson": [person["id"]]}
    assert app.store.counts() == {"done": 1}
    app.close()


def test_field_change_trigger_end_to_end(pd: Pipedrive, pipedrive_sandbox: Any, tmp_path: Path) -> None:
    app = TriggerApp(client=pd, state_path=tmp_path / "t.db")
    collector = Collector(app, ["fieldChanged"])
    deal = pd.request("GET", "/api/v2/deals", params={"limit": 1})["data"][0]
    # The demo seed's first pipeline has stages 1..4 (the sandbox has no /stages route yet).
    stages = [stage for stage in (1, 2, 3, 4) if stage != deal["stage_id"]]
    with ServedApp(app.asgi) as served:
        app.enable(field_change_trigger("deal", "stage_id", to_value=stages[0]), public_url=served.url)
        pd.request("PATCH", f"/api/v2/deals/{deal['id']}", json={"title": "Only the title"})
        pd.request("PATCH", f"/api/v2/deals/{deal['id']}", json={"stage_id": stages[0]})
        pd.request("PATCH", f"/api/v2/deals/{deal['id']}", json={"stage_id": stages[1]})
        settle(app, pipedrive_sandbox.base_url)
    [event] = collector.events["fieldChanged"]
    assert event.output is not None and event.output["stage_id"] == stages[0]
    app.close()


def test_enable_is_idempotent_disable_and_cleanup(pd: Pipedrive, tmp_path: Path) -> None:
    app = TriggerApp(client=pd, state_path=tmp_path / "t.db", public_url="http://127.0.0.1:9/hooks")
    first = app.enable("newDeal")
    second = app.enable("newDeal")
    assert first.created and not second.created and first.webhook_id == second.webhook_id
    hooks = pd.request("GET", "/v1/webhooks")["data"]
    assert [h["id"] for h in hooks] == [int(first.webhook_id)]
    [hook] = hooks
    assert (hook["event_action"], hook["event_object"], hook["version"]) == ("create", "deal", "2.0")
    assert hook["subscription_url"] == first.subscription.subscription_url
    assert hook["http_auth_user"] == first.subscription.auth_user
    # A webhook deleted behind our back is recreated by enable.
    pd.request("DELETE", f"/v1/webhooks/{first.webhook_id}")
    third = app.enable("newDeal")
    assert third.created and third.webhook_id != first.webhook_id
    # An orphan pointing at this receiver (e.g. from a lost state file) is removed by cleanup.
    orphan = pd.request(
        "POST",
        "/v1/webhooks",
        json={
            "subscription_url": "http://127.0.0.1:9/hooks/webhooks/lost",
            "event_action": "create",
            "event_object": "person",
            "name": "orphan",
        },
    )["data"]
    foreign = pd.request(
        "POST",
        "/v1/webhooks",
        json={
            "subscription_url": "http://127.0.0.1:9/other",
            "event_action": "create",
            "event_object": "person",
            "name": "not ours",
        },
    )["data"]
    removed = app.cleanup()
    assert [h["id"] for h in removed] == [orphan["id"]]
    assert all("http_auth_password" not in h for h in removed)
    remaining = {h["id"] for h in pd.request("GET", "/v1/webhooks")["data"]}
    assert remaining == {int(third.webhook_id), foreign["id"]}
    app.disable("newDeal")
    assert {h["id"] for h in pd.request("GET", "/v1/webhooks")["data"]} == {foreign["id"]}
    assert app.subscriptions() == []
    app.close()


def test_webhook_limit_is_reported_before_pipedrive_refuses(pd: Pipedrive, tmp_path: Path) -> None:
    for index in range(40):
        pd.request(
            "POST",
            "/v1/webhooks",
            json={
                "subscription_url": f"http://127.0.0.1:9/elsewhere/{index}",
                "event_action": "create",
                "event_object": "deal",
                "name": f"filler {index}",
            },
        )
    app = TriggerApp(client=pd, state_path=tmp_path / "t.db", public_url="http://127.0.0.1:9/hooks")
    with pytest.raises(WebhookLimitError, match="40"):
        app.enable("newDeal")
    assert len(pd.request("GET", "/v1/webhooks")["data"]) == 40
    assert app.subscriptions() == []
    app.close()


def test_enrich_fetches_the_full_record_only_when_asked(
    pd: Pipedrive, pipedrive_sandbox: Any, tmp_path: Path
) -> None:
    app = TriggerApp(client=pd, state_path=tmp_path / "t.db")
    plain, enriched = Collector(app, ["newDeal"]), Collector(app, ["newPerson"])
    app.asgi.on_startup = None  # dispatch by hand below, after the record changed again
    with ServedApp(app.asgi) as served:
        app.enable("newDeal", public_url=served.url)
        app.enable("newPerson", public_url=served.url, enrich=True)
        deal = pd.request("POST", "/api/v2/deals", json={"title": "Plain"})["data"]
        person = pd.request("POST", "/api/v2/persons", json={"name": "Enriched"})["data"]
        # Changed after the webhook was sent: only a fetch at dispatch time can see this.
        pd.request("PATCH", f"/api/v2/persons/{person['id']}", json={"name": "Enriched later"})
        deliveries(pipedrive_sandbox.base_url)
    app.dispatcher.drain()
    [deal_event] = plain.events["newDeal"]
    [person_event] = enriched.events["newPerson"]
    assert (
        deal_event.output is not None
        and deal_event.output["title"] == "Plain"
        and deal["id"] == deal_event.entity_id
    )
    current = pd.request("GET", f"/api/v2/persons/{person['id']}")["data"]
    assert person_event.output == current and current["name"] == "Enriched later"
    app.close()
