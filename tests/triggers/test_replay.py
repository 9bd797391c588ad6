"""`triggers replay`: only the named events, through the handlers `serve` runs (and the given sinks)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from pipedrive_connector.cli.main import app as cli
from pipedrive_connector.triggers import Event, TriggerApp, parse_webhook
from pipedrive_connector.triggers.sinks import JsonlSink


def person_created(person_id: int) -> dict[str, Any]:
    meta = {
        "action": "create",
        "entity": "person",
        "entity_id": str(person_id),
        "id": f"evt-{person_id}",
        "version": "2.0",
    }
    return {"meta": meta, "data": {"id": person_id, "name": f"Person {person_id}"}, "previous": None}


@pytest.fixture
def filled(state: str) -> str:
    """Events 1 and 2 done, 3 dead, 4 pending (received while `serve` was down), on each backend."""
    path = state
    app = TriggerApp(state_path=path, retry_delays=())
    sub, _ = app.store.create_subscription("newPerson", {}, "2.0", "")
    fail = {"now": False}

    def handler(event: Event) -> None:
        if fail["now"]:
            raise RuntimeError("downstream is down")

    app.add_handler("serve-handler", handler)
    for person_id in (1, 2):
        app.store.insert_event(sub, parse_webhook(person_created(person_id)), None)
    app.dispatcher.drain()
    fail["now"] = True
    app.store.insert_event(sub, parse_webhook(person_created(3)), None)
    app.dispatcher.drain()
    app.store.insert_event(sub, parse_webhook(person_created(4)), None)
    assert [row.status for row in app.events()] == ["done", "done", "dead", "pending"]
    app.close()
    return path


def replay(state: str, *args: str) -> Any:
    return CliRunner().invoke(cli, ["triggers", "replay", "--state", str(state), *args])


def statuses(app: TriggerApp) -> dict[int, str]:
    return {row.event.entity_id: row.status for row in app.events()}  # type: ignore[misc]


def test_replay_with_a_sink_runs_only_the_named_event_and_leaves_it_to_serve(
    filled: str, tmp_path: Path
) -> None:
    out = tmp_path / "again.jsonl"
    result = replay(filled, "1", "--out", str(out), "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["requeued"] == 1
    assert [json.loads(line)["entity_id"] for line in out.read_text().splitlines()] == [1]

    # `serve` with its own handler and the same sink: the handler sees the replayed event and the
    # pending one; the sink, which already ran for event 1, does not write it twice.
    app = TriggerApp(state_path=filled)
    assert statuses(app) == {1: "pending", 2: "done", 3: "dead", 4: "pending"}
    seen: list[Any] = []
    app.add_handler("serve-handler", lambda event: seen.append(event.entity_id))
    sink = JsonlSink(out, app.document)
    app.add_handler(sink.name, sink)
    app.dispatcher.drain()
    assert seen == [1, 4]
    assert statuses(app) == {1: "done", 2: "done", 3: "dead", 4: "done"}
    assert [json.loads(line)["entity_id"] for line in out.read_text().splitlines()] == [1, 4]
    app.close()


def test_replay_without_sinks_only_requeues(filled: str) -> None:
    result = replay(filled, "2")
    assert result.exit_code == 0 and "requeued 1 event(s)" in result.stdout
    app = TriggerApp(state_path=filled)
    assert statuses(app) == {1: "done", 2: "pending", 3: "dead", 4: "pending"}
    app.close()


def test_replay_dead_through_a_sink_and_report_a_sink_failure(filled: str, tmp_path: Path) -> None:
    out = tmp_path / "dead.jsonl"
    result = replay(filled, "--dead", "--out", str(out), "--json")
    assert result.exit_code == 0, result.output
    assert [json.loads(line)["entity_id"] for line in out.read_text().splitlines()] == [3]
    failing = replay(filled, "2", "--exec", "false")
    assert failing.exit_code == 1 and "event 2" in failing.stderr and "exited with 1" in failing.stderr
    app = TriggerApp(state_path=filled)
    assert statuses(app) == {1: "done", 2: "pending", 3: "pending", 4: "pending"}
    app.close()
