"""The production options of ``pipedrive triggers``: a PostgreSQL --state (or $PIPEDRIVE_TRIGGERS_DSN)
for every command, --role, --log-format, --lease-seconds, --metrics-port; bad values are usage errors."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from test_receiver import deal_created
from typer.testing import CliRunner

from pipedrive_connector.cli.main import app as cli
from pipedrive_connector.triggers import parse_webhook
from pipedrive_connector.triggers.state import open_state


def run(*args: str, env: dict[str, str] | None = None) -> Any:
    base = {"PIPEDRIVE_CONFIG_DIR": "/nonexistent-h16", "PIPEDRIVE_PROFILE": ""}
    return CliRunner().invoke(cli, ["triggers", *args], env={**base, **(env or {})})


def test_events_replay_and_prune_work_on_a_dsn_from_the_environment(pg_state: str, tmp_path: Path) -> None:
    store = open_state(pg_state)
    sub, _ = store.create_subscription("newDeal", {}, "2.0", "")
    store.insert_event(sub, parse_webhook(deal_created(4, "cli-4")), None)
    store.close()
    env = {"PIPEDRIVE_TRIGGERS_DSN": pg_state}
    listed = run("events", "--json", env=env)
    assert listed.exit_code == 0, listed.output
    assert [row["event_key"] for row in json.loads(listed.stdout)] == ["v2:cli-4"]
    out = tmp_path / "again.jsonl"
    replayed = run("replay", "1", "--out", str(out), "--json", env=env)
    assert replayed.exit_code == 0, replayed.output
    assert [json.loads(line)["entity_id"] for line in out.read_text().splitlines()] == [4]
    pruned = run("prune", "--json", env=env)
    assert pruned.exit_code == 0 and json.loads(pruned.stdout)["counts"] == {"pending": 1}
    missing = run("replay", "99", env=env)
    assert missing.exit_code == 1 and "no event with number 99" in missing.stderr


def test_an_unreachable_dsn_is_named_without_its_password() -> None:
    result = run(
        "events", "--state", "postgresql://ops:hunter2-secret@127.0.0.1:1/triggers?connect_timeout=2"
    )
    assert result.exit_code == 1
    assert "postgresql://ops@127.0.0.1:1/triggers" in result.stderr
    assert "hunter2" not in result.output + result.stderr
    assert "Traceback" not in result.output


def test_bad_production_options_are_usage_errors(tmp_path: Path) -> None:
    state = str(tmp_path / "t.db")
    cases = {
        ("--role", "replica"): "--role must be one of all, receiver, dispatcher",
        ("--log-format", "xml"): "--log-format must be text or json",
        ("--metrics-port", "9100"): "--metrics-port is for --role dispatcher",
        ("--lease-seconds", "0"): "--lease-seconds must be 1 second or more",
    }
    for args, message in cases.items():
        result = run("serve", "--state", state, "--port", "0", "--no-catch-up", *args)
        assert result.exit_code == 2, (args, result.output)
        assert message in result.stderr, (args, result.stderr)
