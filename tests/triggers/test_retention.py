"""Retention: done events older than --keep-days are deleted; dead and pending events never are."""

from __future__ import annotations

import json
import time
from typing import Any

from triggers_helpers import run_sql, wait_for
from typer.testing import CliRunner

from pipedrive_connector.cli.main import app as cli
from pipedrive_connector.triggers import Event, TriggerApp, parse_webhook

DAY = 86400.0


def person_created(person_id: int) -> dict[str, Any]:
    meta = {
        "action": "create",
        "entity": "person",
        "entity_id": str(person_id),
        "id": f"evt-{person_id}",
        "version": "2.0",
    }
    return {"meta": meta, "data": {"id": person_id, "name": f"Person {person_id}"}, "previous": None}


def fill(path: str) -> None:
    """Person 1 done 40 days ago, 2 done 10 days ago, 3 dead 40 days ago, 4 pending since 40 days."""
    app = TriggerApp(state_path=path, retry_delays=())
    sub, _ = app.store.create_subscription("newPerson", {}, "2.0", "")

    def handler(event: Event) -> None:
        if event.entity_id == 3:
            raise RuntimeError("always fails")

    app.add_handler("h", handler)
    for person_id in (1, 2, 3):
        app.store.insert_event(sub, parse_webhook(person_created(person_id)), None)
    app.dispatcher.drain()
    app.store.insert_event(sub, parse_webhook(person_created(4)), None)
    app.close()
    now = time.time()
    for person_id, days in ((1, 40), (2, 10), (3, 40), (4, 40)):  # age the events as if time had passed
        run_sql(
            path,
            "UPDATE inbox SET finished_at = CASE WHEN finished_at IS NULL THEN NULL ELSE ? END,"
            " received_at = ? WHERE event_key = ?",
            (now - days * DAY, now - days * DAY, f"v2:evt-{person_id}"),
        )


def remaining(path: str) -> dict[Any, str]:
    handler_runs = {seq for (seq,) in run_sql(path, "SELECT seq FROM handler_runs")}
    rows = run_sql(path, "SELECT seq, event_key, status FROM inbox ORDER BY seq")
    assert handler_runs <= {seq for seq, _, _ in rows}, "handler records of deleted events remain"
    return {key.removeprefix("v2:evt-"): status for _, key, status in rows}


def test_prune_keeps_recent_done_dead_and_pending(state: str) -> None:
    path = state
    fill(path)
    app = TriggerApp(state_path=path)
    assert app.store.prune_done(time.time() - 30 * DAY) == 1
    app.close()
    assert remaining(path) == {"2": "done", "3": "dead", "4": "pending"}


def test_dispatcher_prunes_while_running(state: str) -> None:
    path = state
    fill(path)
    app = TriggerApp(state_path=path, keep_days=30)
    app.add_handler("h", lambda event: None)
    app.dispatcher.start()
    wait_for(lambda: app.store.counts() == {"done": 2, "dead": 1})  # 1 pruned, 4 handled
    app.close()
    assert remaining(path) == {"2": "done", "3": "dead", "4": "done"}


def test_prune_command(state: str) -> None:
    path = state
    fill(path)
    runner = CliRunner()
    result = runner.invoke(cli, ["triggers", "prune", "--state", str(path), "--keep-days", "5", "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["deleted"] == 2
    assert remaining(path) == {"3": "dead", "4": "pending"}
    human = runner.invoke(cli, ["triggers", "prune", "--state", str(path)])
    assert human.exit_code == 0 and "deleted 0 done event(s) older than 30 days" in human.stdout
