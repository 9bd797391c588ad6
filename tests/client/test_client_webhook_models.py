"""Webhook models: the bodies the sandbox really sends (v1 and v2) parse into typed events."""

from __future__ import annotations

import time

from client_helpers import Served

from pipedrive_connector.client import Pipedrive
from pipedrive_connector.client.models import Deal, DealV1, WebhookEvent


def test_webhook_bodies_parse_into_events(sandbox: Served) -> None:
    with Pipedrive(api_token=sandbox.api_token, base_url=sandbox.base_url) as pd:
        for version in ("2.0", "1.0"):
            pd.webhooks.add(
                subscription_url="http://127.0.0.1:9/hook",  # nothing listens: the body is still logged
                event_action="*",
                event_object="deal",
                name=f"models {version}",
                version=version,
            )
        deal = pd.deals.add(title="Hooked deal")
    bodies: dict[str, dict[str, object]] = {}
    deadline = time.monotonic() + 5
    while len(bodies) < 2 and time.monotonic() < deadline:
        for delivery in sandbox.control("deliveries")["data"]:
            bodies[delivery["version"]] = delivery["body"]
        time.sleep(0.05)
    v2 = WebhookEvent.model_validate(bodies["2.0"])
    assert not v2.is_v1
    assert (v2.meta.action, v2.meta.entity, str(v2.meta.entity_id)) == ("create", "deal", str(deal.id))
    assert Deal.model_validate(v2.data).title == "Hooked deal"
    v1 = WebhookEvent.model_validate(bodies["1.0"])
    assert v1.is_v1 and v1.event is not None and v1.event.endswith("deal")
    assert DealV1.model_validate(v1.current).title == "Hooked deal"
