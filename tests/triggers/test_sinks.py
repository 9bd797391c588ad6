"""The --exec and --forward sinks, driven by the dispatcher over real processes and sockets."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from triggers_helpers import wait_for

from pipedrive_connector.triggers import TriggerApp, WebhookParseError, parse_webhook
from pipedrive_connector.triggers.sinks import ExecSink, ForwardSink, SinkError, safe_url


def person_created(person_id: int) -> dict[str, Any]:
    return {
        "meta": {
            "action": "create",
            "entity": "person",
            "entity_id": str(person_id),
            "id": f"evt-{person_id}",
            "version": "2.0",
            "attempt": 1,
            "timestamp": "2026-11-27T10:00:00.000Z",
        },
        "data": {"id": person_id, "name": f"Person {person_id}"},
        "previous": None,
    }


@pytest.fixture
def app(state: str) -> Any:
    trigger_app = TriggerApp(state_path=state, retry_delays=(0.01, 0.01))
    yield trigger_app
    trigger_app.close()


def store(app: TriggerApp, person_id: int) -> None:
    sub = app.store.subscriptions("newPerson") or [
        app.store.create_subscription("newPerson", {}, "2.0", "")[0]
    ]
    assert app.store.insert_event(sub[0], parse_webhook(person_created(person_id)), None) == "stored"


def test_exec_sink_gets_the_event_on_stdin(app: TriggerApp, tmp_path: Path) -> None:
    target = tmp_path / "got.json"
    script = f"import sys, pathlib; pathlib.Path({str(target)!r}).write_text(sys.stdin.read())"
    sink = ExecSink(f"{sys.executable} -c {json.dumps(script)}", app.document)
    app.add_handler(sink.name, sink)
    store(app, 7)
    app.dispatcher.drain()
    document = json.loads(target.read_text())
    assert (document["trigger"], document["entity_id"], document["output"]["name"]) == (
        "newPerson",
        7,
        "Person 7",
    )


def test_exec_sink_failure_is_retried_then_dead(app: TriggerApp) -> None:
    sink = ExecSink(f'{sys.executable} -c "import sys; sys.exit(3)"', app.document)
    app.add_handler(sink.name, sink)
    store(app, 8)
    app.dispatcher.start()
    wait_for(lambda: app.store.counts().get("dead") == 1)
    [row] = app.events()
    assert row.attempts == 3 and "exited with 3" in (row.last_error or "")
    with pytest.raises(SinkError, match="command not found"):
        ExecSink("/nonexistent/command", app.document)(row.event)


def test_forward_sink_posts_json_and_treats_non_2xx_as_failure(app: TriggerApp, serve: Any) -> None:
    received: list[tuple[str, dict[str, Any]]] = []
    statuses = [503, 200]

    async def endpoint(scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        headers = dict(scope["headers"])
        received.append((headers[b"idempotency-key"].decode(), json.loads(body)))
        await send({"type": "http.response.start", "status": statuses.pop(0), "headers": []})
        await send({"type": "http.response.body", "body": b""})

    served = serve(endpoint)
    sink = ForwardSink(f"{served.url}/hook?token=secret", app.document)
    app.add_handler(sink.name, sink)
    store(app, 9)
    app.dispatcher.start()
    wait_for(lambda: app.store.counts().get("done") == 1)
    assert [key for key, _ in received] == ["v2:evt-9", "v2:evt-9"]
    assert received[-1][1]["output"] == {"id": 9, "name": "Person 9"}
    assert "secret" not in (app.events()[0].last_error or "")
    sink.close()


def test_sink_arguments_are_checked() -> None:
    with pytest.raises(ValueError, match="http"):
        ForwardSink("ftp://user:pw@host/x", lambda e: {})
    with pytest.raises(ValueError, match="command"):
        ExecSink("   ", lambda e: {})
    assert safe_url("https://user:pw@host:8443/path?api_token=x") == "https://host:8443/path"


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=12,
)


@settings(max_examples=60, deadline=None)
@given(
    meta=st.dictionaries(
        st.sampled_from(
            [
                "v",
                "version",
                "action",
                "object",
                "entity",
                "id",
                "entity_id",
                "timestamp",
                "timestamp_micro",
                "attempt",
                "merged_from_id",
                "webhook_id",
            ]
        ),
        json_values,
        max_size=8,
    ),
    extra=st.dictionaries(
        st.sampled_from(["data", "current", "previous", "retry", "event", "v"]), json_values
    ),
)
def test_parse_webhook_only_ever_raises_webhook_parse_error(
    meta: dict[str, Any], extra: dict[str, Any]
) -> None:
    try:
        event = parse_webhook(json.dumps({"meta": meta, **extra}).encode())
    except WebhookParseError as exc:
        assert str(exc)
    else:
        assert event.action in ("added", "updated", "deleted", "merged") and event.event_key
