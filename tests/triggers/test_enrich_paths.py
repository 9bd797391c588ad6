"""The enrich step builds its path from the event's entity id: only a positive integer goes in.

Before the fix an ``entity_id`` of ``1/../../../../v1/users/me`` made the connector fetch
``/v1/users/me`` (httpx folds the dot segments) and hand the admin user to the sinks as a deal.
The parser refuses such ids too; the enrich step must be safe whatever is in the inbox.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from pipedrive_connector.client import Pipedrive
from pipedrive_connector.client.paths import InvalidPathSegment
from pipedrive_connector.triggers import Event, TriggerApp, TriggerSetupError

HOSTILE_IDS = ["1/../../../../v1/users/me", "1?x=", "..", "-1", "1.5", True, 2**64]


def deal_event(entity_id: Any) -> Event:
    return Event(
        object="deal",
        action="added",
        entity_id=entity_id,
        output={"id": entity_id, "title": "from the webhook"},
        previous=None,
        changed=(),
        event_key=f"v2-test-{entity_id!r}",
        content_key=f"deal:{entity_id!r}:added",
        timestamp=datetime.now(UTC),
        attempt=1,
        version="2.0",
    )


@pytest.fixture
def usages() -> list[Any]:
    return []


@pytest.fixture
def app(pipedrive_sandbox: Any, tmp_path: Path, usages: list[Any]) -> Iterator[TriggerApp]:
    client = Pipedrive(
        api_token=pipedrive_sandbox.api_token, base_url=pipedrive_sandbox.base_url, on_usage=usages.append
    )
    app = TriggerApp(client=client, state_path=tmp_path / "t.db", retry_delays=())
    yield app
    app.close()
    client.close()


@pytest.mark.parametrize("bad_id", HOSTILE_IDS, ids=repr)
def test_enrich_refuses_an_id_that_is_no_integer_and_sends_nothing(
    app: TriggerApp, usages: list[Any], bad_id: Any
) -> None:
    with pytest.raises(InvalidPathSegment, match="invalid entity_id") as caught:
        app.enrich(deal_event(bad_id))
    assert "expected a positive integer" in str(caught.value)
    assert usages == []


def test_an_event_with_such_an_id_fails_naming_it_and_reaches_no_handler(
    app: TriggerApp, usages: list[Any]
) -> None:
    seen: list[Event] = []
    app.on("newDeal")(seen.append)
    sub, _ = app.store.create_subscription("newDeal", {}, "2.0", "http://127.0.0.1:9", enrich=True)
    assert app.store.insert_event(sub, deal_event("1/../../../../v1/users/me"), None) == "stored"
    app.dispatcher.drain()
    assert seen == []
    assert usages == []
    [dead] = app.store.events(status="dead")
    assert dead.last_error is not None
    assert "invalid entity_id '1/../../../../v1/users/me'" in dead.last_error


def test_an_integer_id_is_still_enriched(app: TriggerApp, usages: list[Any]) -> None:
    enriched = app.enrich(deal_event("3"))
    assert enriched.output is not None and enriched.output["title"] == "Globex analytics pilot"
    assert [usage.path for usage in usages] == ["/api/v2/deals/3"]


def test_disable_refuses_a_stored_webhook_id_that_is_no_integer(app: TriggerApp, usages: list[Any]) -> None:
    sub, _ = app.store.create_subscription("newDeal", {}, "2.0", "http://127.0.0.1:9")
    app.store.set_webhook_id(sub.id, "1/../../users/me")
    with pytest.raises(TriggerSetupError) as caught:
        app.disable("newDeal")
    assert "invalid webhook id '1/../../users/me'" in str(caught.value)
    assert usages == []
