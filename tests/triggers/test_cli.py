"""``pipedrive triggers ...`` against the sandbox (CliRunner, real HTTP to the sandbox)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from triggers_helpers import Collector, ServedApp, settle
from typer.testing import CliRunner

from pipedrive_connector.cli.main import app as cli
from pipedrive_connector.client import Pipedrive
from pipedrive_connector.triggers import TriggerApp
from pipedrive_connector.triggers.fields import resolve_field_change


@pytest.fixture
def run(pipedrive_sandbox: Any, tmp_path: Path) -> Any:
    runner = CliRunner()
    env = {
        "PIPEDRIVE_API_TOKEN": pipedrive_sandbox.api_token,
        "PIPEDRIVE_BASE_URL": pipedrive_sandbox.base_url,
        "PIPEDRIVE_TRIGGERS_STATE": str(tmp_path / "cli.db"),
        "PIPEDRIVE_CONFIG_DIR": str(tmp_path / "config"),
        "PIPEDRIVE_PROFILE": "",
    }

    def invoke(*args: str, env_override: dict[str, str] | None = None) -> Any:
        return runner.invoke(cli, ["triggers", *args], env={**env, **(env_override or {})})

    return invoke


def test_list_shows_every_trigger(run: Any) -> None:
    result = run("list", "--json")
    assert result.exit_code == 0, result.output
    names = [row["name"] for row in json.loads(result.stdout)]
    assert names[:7] == [
        "newActivity",
        "newDeal",
        "newOrganization",
        "newPerson",
        "updatedDeal",
        "updatedOrganization",
        "updatedPerson",
    ]
    assert {"deletedDeal", "deletedPerson", "deletedOrganization", "deletedActivity", "fieldChanged"} <= set(
        names
    )


def test_enable_reuse_list_disable(run: Any, pd: Pipedrive) -> None:
    first = run("enable", "newDeal", "--public-url", "https://hooks.example.com/pd", "--json")
    assert first.exit_code == 0, first.output
    created = json.loads(first.stdout)
    assert created["created"] is True
    assert created["subscription_url"].startswith("https://hooks.example.com/pd/webhooks/")
    again = run("enable", "newDeal", "--public-url", "https://hooks.example.com/pd", "--json")
    assert json.loads(again.stdout)["created"] is False
    listed = {row["name"]: row for row in json.loads(run("list", "--json").stdout)}
    assert [sub["webhook_id"] for sub in listed["newDeal"]["subscriptions"]] == [created["webhook_id"]]
    hooks = pd.request("GET", "/v1/webhooks")["data"]
    assert [str(hook["id"]) for hook in hooks] == [created["webhook_id"]]
    human = run("disable", "newDeal")
    assert human.exit_code == 0 and "disabled" in human.stdout
    assert pd.request("GET", "/v1/webhooks")["data"] == []
    # Nothing secret is printed.
    assert "password" not in first.stdout


def test_errors_are_one_line_with_exit_code(run: Any, tmp_path: Path) -> None:
    # Usage errors (a wrong name, a missing or invalid option value) exit 2, other failures 1.
    unknown = run("enable", "newInvoice", "--public-url", "https://x.example")
    assert unknown.exit_code == 2 and "newInvoice" in unknown.stderr and "Traceback" not in unknown.output
    no_token = run(
        "enable", "newDeal", "--public-url", "https://x.example", env_override={"PIPEDRIVE_API_TOKEN": ""}
    )
    assert no_token.exit_code == 2 and "PIPEDRIVE_API_TOKEN" in no_token.stderr
    bad_url = run("enable", "newDeal", "--public-url", "ftp://x")
    assert bad_url.exit_code == 2 and "http" in bad_url.stderr
    not_pollable = run("poll", "deletedDeal", "--once")
    assert not_pollable.exit_code == 2 and "deleted" in not_pollable.stderr
    no_state = run("events", "--state", str(tmp_path / "missing.db"))
    assert no_state.exit_code == 1 and "missing.db" in no_state.stderr
    for args in (
        ("events", "--status", "stuck"),
        ("events", "--limit", "0"),
        ("enable", "fieldChanged", "--public-url", "https://h.example"),
        ("enable", "newDeal", "--field", "deal.title", "--public-url", "https://h.example"),
        ("enable", "fieldChanged", "--field", "deal.nosuchfield", "--public-url", "https://h.example"),
        ("poll", "newDeal", "--interval", "nan"),
        ("serve", "--retry-delays", "1,x"),
        ("serve", "--keep-days", "-1", "--port", "0"),
        ("replay",),
        ("prune", "--keep-days", "inf"),
    ):
        result = run(*args)
        assert result.exit_code == 2, (args, result.output)
        assert "error:" in result.stderr and "Error" not in result.stderr, result.stderr


def test_commands_use_a_saved_profile(run: Any, pipedrive_sandbox: Any, tmp_path: Path) -> None:
    from pipedrive_connector.client.profiles import Profile, save_profile

    save_profile(
        Profile(
            name="work",
            kind="api_token",
            api_token=pipedrive_sandbox.api_token,
            base_url=pipedrive_sandbox.base_url,
        ),
        tmp_path / "config",
    )
    no_flags = {"PIPEDRIVE_API_TOKEN": "", "PIPEDRIVE_BASE_URL": ""}
    by_env = run(
        "enable",
        "newDeal",
        "--public-url",
        "https://hooks.example.com",
        "--json",
        env_override={**no_flags, "PIPEDRIVE_PROFILE": "work"},
    )
    assert by_env.exit_code == 0, by_env.output
    assert json.loads(by_env.stdout)["created"] is True
    by_flag = run("disable", "newDeal", "--profile", "work", env_override=no_flags)
    assert by_flag.exit_code == 0 and "disabled subscription" in by_flag.stdout
    polled = run(
        "poll",
        "newPerson",
        "--once",
        "--connection",
        "work",
        "--timeout",
        "5",
        "--max-retries",
        "0",
        env_override=no_flags,
    )
    assert polled.exit_code == 0, polled.output
    bad_timeout = run("poll", "newPerson", "--once", "--timeout", "0")
    assert bad_timeout.exit_code == 2 and "--timeout" in bad_timeout.stderr
    unknown = run(
        "cleanup", "--public-url", "https://x.example", "--profile", "nosuch", env_override=no_flags
    )
    assert unknown.exit_code == 2 and "nosuch" in unknown.stderr


def test_field_changed_values_must_be_options_and_list_shows_conditions(run: Any) -> None:
    refused = run(
        "enable",
        "fieldChanged",
        "--field",
        "deal.Region",
        "--to",
        "MARS",
        "--public-url",
        "https://h.example",
    )
    assert refused.exit_code == 2, refused.output
    assert "MARS" in refused.stderr and "EMEA, AMER, APAC" in refused.stderr
    accepted = run(
        "enable",
        "fieldChanged",
        "--field",
        "deal.Region",
        "--to",
        "apac",
        "--public-url",
        "https://h.example",
    )
    assert accepted.exit_code == 0, accepted.output
    listed = run("list", env_override={"COLUMNS": "250"})
    assert "fieldChanged" in listed.stdout and " when deal." in listed.stdout and " to " in listed.stdout
    [row] = [row for row in json.loads(run("list", "--json").stdout) if row["name"] == "fieldChanged"]
    [sub] = row["subscriptions"]
    assert sub["params"]["to"] not in ("apac", "MARS")  # stored as the option's id


def test_poll_once_writes_events_and_events_lists_them(run: Any, pd: Pipedrive, tmp_path: Path) -> None:
    out = tmp_path / "events.jsonl"
    first = run("poll", "newDeal", "--once", "--out", str(out), "--json")
    assert first.exit_code == 0, first.output
    deal = pd.request("POST", "/api/v2/deals", json={"title": "Polled from the CLI"})["data"]
    second = run("poll", "newDeal", "--once", "--out", str(out), "--json")
    assert [row["stored"] for row in json.loads(second.stdout)] == [1]
    [line] = [json.loads(line) for line in out.read_text().splitlines()]
    assert (line["trigger"], line["entity_id"], line["output"]["title"]) == (
        "newDeal",
        deal["id"],
        "Polled from the CLI",
    )
    listed = json.loads(run("events", "--json").stdout)
    assert [(row["trigger"], row["entity_id"], row["status"]) for row in listed] == [
        ("newDeal", deal["id"], "done")
    ]
    replayed = run("replay", str(listed[0]["seq"]), "--out", str(tmp_path / "again.jsonl"), "--json")
    assert json.loads(replayed.stdout)["requeued"] == 1
    assert len((tmp_path / "again.jsonl").read_text().splitlines()) == 1
    missing = run("replay", "999")
    assert missing.exit_code == 1 and "999" in missing.stderr


def test_field_change_by_custom_field_name_and_option_label(
    pd: Pipedrive, pipedrive_sandbox: Any, tmp_path: Path
) -> None:
    fields = pd.request("GET", "/v1/dealFields", params={"limit": 500})["data"]
    region = next(field for field in fields if field["name"] == "Region")
    emea = next(option for option in region["options"] if option["label"] == "EMEA")
    other = next(option for option in region["options"] if option["label"] != "EMEA")
    trigger = resolve_field_change(pd, "deal", "region", to_value="emea")
    assert trigger.field_key == region["key"] and str(trigger.to_value) == str(emea["id"])
    app = TriggerApp(client=pd, state_path=tmp_path / "t.db")
    collector = Collector(app, ["fieldChanged"])
    deal = pd.request("GET", "/api/v2/deals", params={"limit": 1})["data"][0]
    with ServedApp(app.asgi) as served:
        app.enable(trigger, public_url=served.url)
        patch = f"/api/v2/deals/{deal['id']}"
        pd.request("PATCH", patch, json={"custom_fields": {region["key"]: other["id"]}})
        pd.request("PATCH", patch, json={"custom_fields": {region["key"]: emea["id"]}})
        pd.request("PATCH", patch, json={"title": "unrelated"})
        settle(app, pipedrive_sandbox.base_url)
    assert collector.ids() == {"fieldChanged": [deal["id"]]}
    app.close()
