"""The receiver over a real socket: auth, size limits, parsing, the durable inbox and dispatch."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from triggers_helpers import basic, wait_for

from pipedrive_connector.triggers import Event, TriggerApp
from pipedrive_connector.triggers.sinks import JsonlSink


def deal_created(deal_id: int, event_id: str | None = None, attempt: int = 1) -> dict[str, Any]:
    """A v2 create.deal body as Pipedrive documents it (notes §7.3)."""
    return {
        "meta": {
            "action": "create",
            "entity": "deal",
            "company_id": "1",
            "entity_id": str(deal_id),
            "id": event_id or str(uuid.uuid4()),
            "timestamp": "2026-11-27T10:00:00.000Z",
            "version": "2.0",
            "webhook_id": "7",
            "attempt": attempt,
        },
        "data": {"id": deal_id, "title": f"Deal {deal_id}", "add_time": "2026-11-27T10:00:00Z"},
        "previous": None,
    }


@pytest.fixture
def app(state: str) -> Iterator[TriggerApp]:
    trigger_app = TriggerApp(state_path=state, max_body_bytes=4096, retry_delays=(0.05, 0.05, 0.05))
    yield trigger_app
    trigger_app.close()


@pytest.fixture
def subscription(app: TriggerApp) -> tuple[str, dict[str, str]]:
    sub, password = app.store.create_subscription("newDeal", {}, "2.0", "http://hooks.example")
    return sub.id, basic(sub.auth_user, password)


def test_delivery_is_stored_and_dispatched_once(app: TriggerApp, serve: Any, subscription: Any) -> None:
    received: list[Event] = []
    app.on("newDeal")(received.append)
    served = serve(app.asgi)
    sub_id, auth = subscription
    body = deal_created(41, event_id="e-41")
    first = httpx.post(f"{served.url}/webhooks/{sub_id}", json=body, headers=auth)
    assert first.status_code == 200 and first.json() == {"ok": True, "duplicate": False}
    retried = dict(body, meta=dict(body["meta"], attempt=2))
    again = httpx.post(f"{served.url}/webhooks/{sub_id}", json=retried, headers=auth)
    assert again.status_code == 200 and again.json()["duplicate"] is True
    wait_for(lambda: app.store.counts().get("done") == 1)
    assert [(e.trigger, e.entity_id, e.output["title"] if e.output else None) for e in received] == [
        ("newDeal", 41, "Deal 41")
    ]


@pytest.mark.parametrize(
    "headers",
    [
        {},
        basic("wrong", "wrong"),
        {"Authorization": "Bearer abc"},
        {"Authorization": "Basic !!notbase64"},
    ],
)
def test_bad_credentials_get_401_and_store_nothing(
    app: TriggerApp, serve: Any, subscription: Any, headers: dict[str, str]
) -> None:
    served = serve(app.asgi)
    sub_id, _ = subscription
    response = httpx.post(f"{served.url}/webhooks/{sub_id}", json=deal_created(1), headers=headers)
    assert response.status_code == 401
    assert "basic" in response.headers["www-authenticate"].lower()
    assert app.store.counts() == {}


def test_credentials_of_another_subscription_are_refused(
    app: TriggerApp, serve: Any, subscription: Any
) -> None:
    served = serve(app.asgi)
    _, auth = subscription
    other, _ = app.store.create_subscription("newPerson", {}, "2.0", "http://hooks.example")
    response = httpx.post(f"{served.url}/webhooks/{other.id}", json=deal_created(1), headers=auth)
    assert response.status_code == 401
    unknown = httpx.post(f"{served.url}/webhooks/nope", json=deal_created(1), headers=auth)
    assert unknown.status_code == 401


def test_malformed_and_oversized_bodies(app: TriggerApp, serve: Any, subscription: Any) -> None:
    served = serve(app.asgi)
    sub_id, auth = subscription
    url = f"{served.url}/webhooks/{sub_id}"
    bad_json = httpx.post(url, content=b"{oops", headers=auth)
    assert bad_json.status_code == 400 and "not JSON" in bad_json.json()["error"]
    no_meta = httpx.post(url, json={"data": {}}, headers=auth)
    assert no_meta.status_code == 400 and "meta" in no_meta.json()["error"]
    big = deal_created(2)
    big["data"]["notes"] = "x" * 5000
    too_large = httpx.post(url, json=big, headers=auth)
    assert too_large.status_code == 413

    def chunks() -> Iterator[bytes]:  # no Content-Length: the limit applies while reading
        payload = json.dumps(big).encode()
        for start in range(0, len(payload), 1000):
            yield payload[start : start + 1000]

    streamed = httpx.post(url, content=chunks(), headers=auth)
    assert streamed.status_code == 413
    assert app.store.counts() == {}


def test_deliveries_for_other_events_are_acknowledged_not_stored(
    app: TriggerApp, serve: Any, subscription: Any
) -> None:
    served = serve(app.asgi)
    sub_id, auth = subscription
    body = deal_created(3)
    body["meta"]["action"] = "change"
    response = httpx.post(f"{served.url}/webhooks/{sub_id}", json=body, headers=auth)
    assert response.status_code == 200 and response.json()["ignored"] is True
    assert app.store.counts() == {}


def test_wrong_method_and_path(app: TriggerApp, serve: Any, subscription: Any) -> None:
    served = serve(app.asgi)
    sub_id, _ = subscription
    assert httpx.get(f"{served.url}/webhooks/{sub_id}").status_code == 405
    assert httpx.post(f"{served.url}/elsewhere").status_code == 404
    assert httpx.get(f"{served.url}/healthz").json() == {"ok": True}


def test_failing_handler_is_retried_and_other_handlers_run_once(
    app: TriggerApp, serve: Any, subscription: Any, tmp_path: Path
) -> None:
    calls: list[int] = []

    @app.on("newDeal")
    def flaky(event: Event) -> None:
        calls.append(1)
        if len(calls) < 3:
            raise RuntimeError("temporary failure")

    out = tmp_path / "events.jsonl"
    app.add_handler("out", JsonlSink(out, app.document))
    served = serve(app.asgi)
    sub_id, auth = subscription
    assert (
        httpx.post(f"{served.url}/webhooks/{sub_id}", json=deal_created(5), headers=auth).status_code == 200
    )
    wait_for(lambda: app.store.counts().get("done") == 1)
    assert len(calls) == 3
    lines = [json.loads(line) for line in out.read_text().splitlines()]
    assert [(line["trigger"], line["entity_id"], line["output"]["title"]) for line in lines] == [
        ("newDeal", 5, "Deal 5")
    ]
    row = app.events()[0]
    assert row.status == "done" and row.attempts == 3


def test_dead_letter_and_replay(app: TriggerApp, serve: Any, subscription: Any) -> None:
    healthy = {"value": False}
    seen: list[int | str | None] = []

    @app.on("newDeal")
    def handler(event: Event) -> None:
        if not healthy["value"]:
            raise ValueError("downstream is down")
        seen.append(event.entity_id)

    served = serve(app.asgi)
    sub_id, auth = subscription
    httpx.post(f"{served.url}/webhooks/{sub_id}", json=deal_created(6), headers=auth)
    wait_for(lambda: app.store.counts().get("dead") == 1)
    row = app.events(status="dead")[0]
    assert row.attempts == 4 and "downstream is down" in (row.last_error or "")
    healthy["value"] = True
    assert app.replay(dead=True).requeued == 1
    wait_for(lambda: app.store.counts().get("done") == 1)
    assert seen == [6]
    # Replaying a chosen (done) event runs its handlers again.
    app.replay([row.seq])
    wait_for(lambda: len(seen) == 2)


def test_jsonl_sink_writes_each_event_once_across_restarts(tmp_path: Path) -> None:
    from pipedrive_connector.triggers import parse_webhook
    from pipedrive_connector.triggers.sinks import event_document

    out = tmp_path / "out.jsonl"
    event = parse_webhook(deal_created(9, event_id="same"))
    JsonlSink(out, event_document)(event)
    JsonlSink(out, event_document)(event)  # a new process after a crash re-runs the handler
    assert len(out.read_text().splitlines()) == 1


def test_two_handlers_with_the_same_name_both_run(app: TriggerApp, subscription: Any) -> None:
    calls: list[str] = []
    app.on("newDeal")(lambda event: calls.append("first"))
    app.on("newDeal")(lambda event: calls.append("second"))
    sub = app.store.get_subscription(subscription[0])
    assert sub is not None
    from pipedrive_connector.triggers import parse_webhook

    app.store.insert_event(sub, parse_webhook(deal_created(12)), None)
    app.dispatcher.drain()
    assert calls == ["first", "second"]
