"""Polling yields the same events as webhooks; catch-up heals a gap while the receiver was down."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest
from triggers_helpers import Collector, ServedApp, settle, wait_for

from pipedrive_connector.client import Pipedrive
from pipedrive_connector.triggers import TRIGGERS, TriggerApp


def advance_clock(base_url: str, seconds: float) -> None:
    httpx.post(f"{base_url}/_sandbox/clock", json={"advance_seconds": seconds}).raise_for_status()


def changes_with_updates(pd: Pipedrive, base_url: str) -> None:
    tag = uuid.uuid4().hex[:6]
    deal = pd.request("POST", "/api/v2/deals", json={"title": f"Deal {tag}"})["data"]
    pd.request("POST", "/api/v2/persons", json={"name": f"Person {tag}"})
    pd.request("POST", "/api/v2/organizations", json={"name": f"Org {tag}"})
    pd.request("POST", "/api/v2/activities", json={"subject": f"Call {tag}"})
    advance_clock(base_url, 5)  # updates get an update_time after the add_time
    pd.request("PATCH", f"/api/v2/deals/{deal['id']}", json={"title": f"Renamed {tag}"})
    person = pd.request("GET", "/api/v2/persons", params={"limit": 1})["data"][0]
    pd.request("PATCH", f"/api/v2/persons/{person['id']}", json={"name": f"Renamed {tag}"})
    org = pd.request("GET", "/api/v2/organizations", params={"limit": 1})["data"][0]
    pd.request("PATCH", f"/api/v2/organizations/{org['id']}", json={"name": f"Renamed {tag}"})


def keys(collector: Collector) -> dict[str, list[tuple[str, Any]]]:
    return {
        name: sorted((event.content_key, event.entity_id) for event in events)
        for name, events in collector.events.items()
        if events
    }


def labels(collector: Collector, name: str) -> list[tuple[Any, Any]]:
    found = []
    for event in collector.events[name]:
        output = event.output or {}
        found.append((output.get("id"), output.get("title") or output.get("name") or output.get("subject")))
    return sorted(found)


@pytest.mark.parametrize("version", ["2.0", "1.0"])
def test_polling_produces_the_same_events_as_webhooks(
    pd: Pipedrive,
    pipedrive_sandbox: Any,
    tmp_path: Path,
    version: str,
) -> None:
    names = list(TRIGGERS)
    hooked = TriggerApp(client=pd, state_path=tmp_path / "hooked.db", version=version)
    polled = TriggerApp(client=pd, state_path=tmp_path / "polled.db")
    by_webhook, by_poll = Collector(hooked, names), Collector(polled, names)
    poll_subs = [polled.poll_subscription_for(name) for name in names]
    with ServedApp(hooked.asgi) as served:
        for name in names:
            hooked.enable(name, public_url=served.url)
        changes_with_updates(pd, pipedrive_sandbox.base_url)
        settle(hooked, pipedrive_sandbox.base_url)
    polled.poll_once(poll_subs)
    polled.dispatcher.drain()
    assert set(keys(by_webhook)) == set(names)
    assert keys(by_poll) == keys(by_webhook)
    # Updates carry the same record state. (A polled creation shows the record as it is when polled,
    # here already renamed, where the webhook showed it as created.)
    for name in names:
        if name.startswith("updated"):
            assert labels(by_poll, name) == labels(by_webhook, name)
    # Polling again finds nothing new (persisted cursor, content-key dedupe).
    assert sum(result.stored for result in polled.poll_once(poll_subs)) == 0
    hooked.close()
    polled.close()


def test_catch_up_fills_the_gap_after_downtime(
    pd: Pipedrive,
    pipedrive_sandbox: Any,
    state: str,
) -> None:
    first = TriggerApp(client=pd, state_path=state)
    before = Collector(first, ["newDeal", "updatedDeal"])
    with ServedApp(first.asgi) as served:
        port = served.port
        first.enable("newDeal", public_url=served.url)
        first.enable("updatedDeal", public_url=served.url)
        seen = pd.request("POST", "/api/v2/deals", json={"title": "Seen live"})["data"]
        settle(first, pipedrive_sandbox.base_url)
    first.close()
    assert before.ids() == {"newDeal": [seen["id"]]}

    # The receiver is down: these deliveries fail, are retried, and are given up.
    missed = pd.request("POST", "/api/v2/deals", json={"title": "Missed"})["data"]
    advance_clock(pipedrive_sandbox.base_url, 5)
    pd.request("PATCH", f"/api/v2/deals/{seen['id']}", json={"title": "Changed while down"})
    log = settle(first, pipedrive_sandbox.base_url)
    assert not any(entry["acknowledged"] for entry in log if entry["entity_id"] == missed["id"])

    restarted = TriggerApp(client=pd, state_path=state)
    after = Collector(restarted, ["newDeal", "updatedDeal"])
    with ServedApp(restarted.asgi, port=port):
        wait_for(lambda: after.ids() == {"newDeal": [missed["id"]], "updatedDeal": [seen["id"]]})
        [update] = after.events["updatedDeal"]
        assert update.source == "poll" and update.output is not None
        assert update.output["title"] == "Changed while down"
        # A later live change still arrives by webhook, once.
        advance_clock(pipedrive_sandbox.base_url, 5)
        pd.request("PATCH", f"/api/v2/deals/{missed['id']}", json={"title": "Live again"})
        settle(restarted, pipedrive_sandbox.base_url)
    assert after.ids() == {"newDeal": [missed["id"]], "updatedDeal": [seen["id"], missed["id"]]}
    assert after.events["updatedDeal"][-1].source == "webhook"
    restarted.close()


def test_periodic_catch_up_heals_a_gap_while_running(
    pd: Pipedrive, pipedrive_sandbox: Any, state: str
) -> None:
    app = TriggerApp(client=pd, state_path=state, catch_up_interval=0.2)
    collector = Collector(app, ["newPerson"])
    with ServedApp(app.asgi) as served:
        result = app.enable("newPerson", public_url=served.url)
        # Pipedrive deletes webhooks that keep failing (and drops events while one is banned).
        pd.request("DELETE", f"/v1/webhooks/{result.webhook_id}")
        person = pd.request("POST", "/api/v2/persons", json={"name": "Nobody told us"})["data"]
        wait_for(lambda: collector.ids() == {"newPerson": [person["id"]]})
    assert collector.events["newPerson"][0].source == "poll"
    app.close()


def test_catch_up_finds_a_missed_change_older_than_a_later_live_delivery(
    pd: Pipedrive, pipedrive_sandbox: Any, state: str
) -> None:
    """A change delivered live after a gap must not hide the changes lost in the gap."""
    first = TriggerApp(client=pd, state_path=state)
    with ServedApp(first.asgi) as served:
        port = served.port
        first.enable("newDeal", public_url=served.url)
    first.close()

    # The receiver is down: Pipedrive retries, then gives this delivery up.
    missed = pd.request("POST", "/api/v2/deals", json={"title": "Lost in the gap"})["data"]
    settle(first, pipedrive_sandbox.base_url)
    advance_clock(pipedrive_sandbox.base_url, 5)

    # Back up, but the start-up catch-up has not run yet (no client) when a newer change arrives live.
    restarted = TriggerApp(client=None, state_path=state)
    collector = Collector(restarted, ["newDeal"])
    with ServedApp(restarted.asgi, port=port):
        later = pd.request("POST", "/api/v2/deals", json={"title": "Delivered live"})["data"]
        wait_for(lambda: collector.ids() == {"newDeal": [later["id"]]})

        restarted.client = pd
        restarted.catch_up()
        wait_for(lambda: sorted(collector.ids().get("newDeal", [])) == sorted([later["id"], missed["id"]]))
        restarted.catch_up()  # a second pass finds nothing new
        settle(restarted, pipedrive_sandbox.base_url)
    assert sorted(collector.ids()["newDeal"]) == sorted([later["id"], missed["id"]])
    restarted.close()
