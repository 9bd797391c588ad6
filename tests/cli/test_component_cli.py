"""``pipedrive manifest``, ``actions``, ``run``: every action through the CLI against the sandbox."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from pipedrive_connector.cli.main import app
from pipedrive_connector.component import Component, Connection

runner = CliRunner()


def invoke(args: list[str], tmp_path: Path, **env: str) -> Any:
    """Run the CLI with a clean environment (no token, no profiles from the user's machine)."""
    environ = {
        "PIPEDRIVE_API_TOKEN": "",
        "PIPEDRIVE_BASE_URL": "",
        "PIPEDRIVE_COMPANY_DOMAIN": "",
        "PIPEDRIVE_PROFILE": "",
        "COLUMNS": "200",
        "PIPEDRIVE_CONFIG_DIR": str(tmp_path / "config"),
        **env,
    }
    return runner.invoke(app, args, env=environ)


def sandbox_flags(sandbox: Any, version: str = "v2") -> list[str]:
    return ["--api-token", sandbox.api_token, "--base-url", sandbox.base_url, "--api-version", version]


def test_manifest_prints_the_component(tmp_path: Path) -> None:
    result = invoke(["manifest"], tmp_path)
    assert result.exit_code == 0
    assert json.loads(result.stdout) == json.loads(json.dumps(Component().manifest()))


def test_actions_list_and_show(tmp_path: Path) -> None:
    listed = json.loads(invoke(["actions", "list", "--json"], tmp_path).stdout)
    assert len(listed) == len(Component().actions) and listed[0]["name"] == "getDeals"
    seed = json.loads(invoke(["actions", "list", "--json", "--seed"], tmp_path).stdout)
    assert len(seed) == 20 and not any(a["extra"] for a in seed)
    table = invoke(["actions", "list"], tmp_path)
    assert table.exit_code == 0 and "Get all deals" in table.stdout
    shown = invoke(["actions", "show", "addDeal"], tmp_path)
    assert shown.exit_code == 0 and "Add Deal Request" in shown.stdout and "deal.stage_id" in shown.stdout
    missing = invoke(["actions", "show", "getdeals"], tmp_path)
    assert missing.exit_code == 2 and "getDeals" in missing.stderr


@pytest.fixture
def records(pipedrive_sandbox: Any) -> dict[str, Any]:
    """Records the actions can work on (created through the component, API v2)."""
    connection = Connection.api_key(pipedrive_sandbox.api_token, base_url=pipedrive_sandbox.base_url)
    run = Component().run
    org = run("addOrganization", {"organization": {"name": "Cli Test Org"}}, connection)["data"]
    person = run(
        "addPerson",
        {
            "person": {
                "name": "Cli Tester",
                "org_id": org["id"],
                "email": [{"value": "cli.tester@example.com"}],
            }
        },
        connection,
    )["data"]
    deal = run("addDeal", {"deal": {"title": "Cli test deal", "person_id": person["id"]}}, connection)["data"]
    lead = run("addLead", {"lead": {"title": "Cli test lead", "person_id": person["id"]}}, connection)["data"]
    activity = run("addActivity", {"activity": {"subject": "Cli call", "deal_id": deal["id"]}}, connection)[
        "data"
    ]
    return {
        "org": org["id"],
        "person": person["id"],
        "deal": deal["id"],
        "lead": lead["id"],
        "activity": activity["id"],
    }


def _items(out: dict[str, Any]) -> list[Any]:
    return [i["item"]["id"] for i in out["data"]["items"]]


Case = tuple[Callable[[dict[str, Any]], dict[str, Any]], Callable[[dict[str, Any], dict[str, Any]], bool]]
CASES: dict[str, Case] = {
    "getDeals": (lambda r: {"limit": 500}, lambda out, r: r["deal"] in [d["id"] for d in out["data"]]),
    "addDeal": (
        lambda r: {"deal": {"title": "Added by CLI", "value": 12}},
        lambda out, r: out["data"]["title"] == "Added by CLI",
    ),
    "searchDeals": (lambda r: {"term": "Cli test deal"}, lambda out, r: r["deal"] in _items(out)),
    "deleteDeal": (lambda r: {"id": r["deal"]}, lambda out, r: out["data"] == {"id": r["deal"]}),
    "getDealDetails": (lambda r: {"id": r["deal"]}, lambda out, r: out["data"]["title"] == "Cli test deal"),
    "getLeads": (lambda r: {"limit": 500}, lambda out, r: r["lead"] in [d["id"] for d in out["data"]]),
    "addLead": (
        lambda r: {"lead": {"title": "Lead by CLI", "organization_id": r["org"]}},
        lambda out, r: out["data"]["title"] == "Lead by CLI",
    ),
    "deleteLead": (lambda r: {"id": r["lead"]}, lambda out, r: out["data"] == {"id": r["lead"]}),
    "getLeadDetails": (lambda r: {"id": r["lead"]}, lambda out, r: out["data"]["title"] == "Cli test lead"),
    "searchLeads": (lambda r: {"term": "Cli test lead"}, lambda out, r: r["lead"] in _items(out)),
    "getOrganizations": (lambda r: {"limit": 500}, lambda out, r: r["org"] in [d["id"] for d in out["data"]]),
    "addOrganization": (
        lambda r: {"organization": {"name": "Org by CLI"}},
        lambda out, r: out["data"]["name"] == "Org by CLI",
    ),
    "searchOrganizations": (lambda r: {"term": "Cli Test Org"}, lambda out, r: r["org"] in _items(out)),
    "deleteOrganization": (lambda r: {"id": r["org"]}, lambda out, r: out["data"] == {"id": r["org"]}),
    "getOrganizationDetails": (
        lambda r: {"id": r["org"]},
        lambda out, r: out["data"]["name"] == "Cli Test Org",
    ),
    "getPersons": (lambda r: {"limit": 500}, lambda out, r: r["person"] in [d["id"] for d in out["data"]]),
    "addPerson": (
        lambda r: {"person": {"name": "Person by CLI"}},
        lambda out, r: out["data"]["name"] == "Person by CLI",
    ),
    "searchPersons": (
        lambda r: {"term": "cli.tester@example.com"},
        lambda out, r: _items(out) == [r["person"]],
    ),
    "deletePerson": (lambda r: {"id": r["person"]}, lambda out, r: out["data"] == {"id": r["person"]}),
    "getPersonDetails": (lambda r: {"id": r["person"]}, lambda out, r: out["data"]["name"] == "Cli Tester"),
    "updateDeal": (
        lambda r: {"id": r["deal"], "deal": {"title": "Renamed"}},
        lambda out, r: out["data"]["title"] == "Renamed",
    ),
    "updateLead": (
        lambda r: {"id": r["lead"], "lead": {"title": "Renamed"}},
        lambda out, r: out["data"]["title"] == "Renamed",
    ),
    "updateOrganization": (
        lambda r: {"id": r["org"], "organization": {"name": "Renamed"}},
        lambda out, r: out["data"]["name"] == "Renamed",
    ),
    "updatePerson": (
        lambda r: {"id": r["person"], "person": {"name": "Renamed"}},
        lambda out, r: out["data"]["name"] == "Renamed",
    ),
    "upsertPerson": (
        lambda r: {"person": {"name": "Upserted", "email": [{"value": "cli.tester@example.com"}]}},
        lambda out, r: out["data"]["id"] == r["person"] and out["additional_data"]["created"] is False,
    ),
    "getActivities": (
        lambda r: {"limit": 500},
        lambda out, r: r["activity"] in [d["id"] for d in out["data"]],
    ),
    "addActivity": (
        lambda r: {"activity": {"subject": "Meet", "type": "meeting"}},
        lambda out, r: out["data"]["subject"] == "Meet",
    ),
    "getActivity": (lambda r: {"id": r["activity"]}, lambda out, r: out["data"]["subject"] == "Cli call"),
    "updateActivity": (
        lambda r: {"id": r["activity"], "activity": {"subject": "Renamed"}},
        lambda out, r: out["data"]["subject"] == "Renamed",
    ),
    "deleteActivity": (lambda r: {"id": r["activity"]}, lambda out, r: out["data"] == {"id": r["activity"]}),
}


def test_every_action_has_a_cli_case() -> None:
    # The actions added since (notes, products, followers ...) run through Component.run in
    # tests/component/test_more_actions.py and through their resource commands in test_resources_cli.py.
    assert set(CASES) <= {a.name for a in Component().actions}
    assert len(CASES) == 30


@pytest.mark.parametrize("version", ["v2", "v1"])
@pytest.mark.parametrize("action", list(CASES))
def test_run_every_action(
    action: str, version: str, records: dict[str, Any], pipedrive_sandbox: Any, tmp_path: Path
) -> None:
    inputs, check = CASES[action]
    result = invoke(
        ["run", action, "--input", json.dumps(inputs(records)), *sandbox_flags(pipedrive_sandbox, version)],
        tmp_path,
    )
    assert result.exit_code == 0, result.stderr
    output = json.loads(result.stdout)
    assert output["success"] is True
    assert check(output, records), output


def test_run_reads_input_from_a_file_and_the_environment(pipedrive_sandbox: Any, tmp_path: Path) -> None:
    path = tmp_path / "input.json"
    path.write_text(json.dumps({"organization": {"name": "From a file"}}))
    result = invoke(
        ["run", "addOrganization", "--input", f"@{path}"],
        tmp_path,
        PIPEDRIVE_API_TOKEN=pipedrive_sandbox.api_token,
        PIPEDRIVE_BASE_URL=pipedrive_sandbox.base_url,
    )
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["data"]["name"] == "From a file"


def test_invalid_input_fails_before_any_request(tmp_path: Path) -> None:
    # Nothing listens on port 9: a request would fail with a connection error, not an input error.
    flags = ["--api-token", "secret-token-123", "--base-url", "http://127.0.0.1:9"]
    result = invoke(["run", "addDeal", "--input", '{"deal": {"value": "lots"}}', *flags], tmp_path)
    assert result.exit_code == 2
    assert result.stderr.strip() == "error: invalid input: deal.title: is required (Title: a string)"
    assert result.stdout == ""
    bad_type = invoke(["run", "getDeals", "--input", '{"limit": "ten"}', *flags], tmp_path)
    assert bad_type.exit_code == 2 and "limit: expected an integer" in bad_type.stderr
    assert len(bad_type.stderr.strip().splitlines()) == 1


def test_run_failures_are_one_line(pipedrive_sandbox: Any, tmp_path: Path) -> None:
    not_json = invoke(["run", "getDeals", "--input", "{nope", *sandbox_flags(pipedrive_sandbox)], tmp_path)
    assert not_json.exit_code == 2 and "--input" in not_json.stderr and "not valid JSON" in not_json.stderr
    missing = invoke(
        ["run", "getDealDetails", "--input", '{"id": 999999}', *sandbox_flags(pipedrive_sandbox)], tmp_path
    )
    assert missing.exit_code == 1 and len(missing.stderr.strip().splitlines()) == 1
    assert "404" in missing.stderr or "not found" in missing.stderr.lower()
    wrong = invoke(
        ["run", "getDeals", "--api-token", "wrong-secret", "--base-url", pipedrive_sandbox.base_url], tmp_path
    )
    assert wrong.exit_code == 1 and "wrong-secret" not in wrong.stderr + wrong.stdout
    no_credentials = invoke(["run", "getDeals"], tmp_path)
    assert no_credentials.exit_code == 2 and "credentials" in no_credentials.stderr
    unknown = invoke(["run", "getDeal", *sandbox_flags(pipedrive_sandbox)], tmp_path)
    assert unknown.exit_code == 2 and "unknown action 'getDeal'" in unknown.stderr


def test_run_with_a_saved_connection_profile(
    pipedrive_sandbox: Any, tmp_path: Path, monkeypatch: Any
) -> None:
    from pipedrive_connector.client.profiles import Profile, save_profile

    monkeypatch.setenv("PIPEDRIVE_CONFIG_DIR", str(tmp_path / "config"))
    save_profile(
        Profile(
            name="work",
            kind="api_token",
            api_token=pipedrive_sandbox.api_token,
            base_url=pipedrive_sandbox.base_url,
        )
    )
    result = invoke(["run", "getOrganizations", "--input", '{"limit": 2}', "--connection", "work"], tmp_path)
    assert result.exit_code == 0, result.stderr
    assert len(json.loads(result.stdout)["data"]) == 2
    unknown = invoke(["run", "getOrganizations", "--connection", "nosuch"], tmp_path)
    assert unknown.exit_code == 2 and "nosuch" in unknown.stderr


def test_actions_options_lists_loaded_choices(pipedrive_sandbox: Any, tmp_path: Path) -> None:
    flags = sandbox_flags(pipedrive_sandbox)
    pipelines = json.loads(
        invoke(["actions", "options", "addDeal", "deal.pipeline_id", "--json", *flags], tmp_path).stdout
    )
    second = pipelines[1]["value"]
    stages = invoke(
        ["actions", "options", "addDeal", "deal.stage_id", "-p", f"pipeline_id={second}", "--json", *flags],
        tmp_path,
    )
    assert stages.exit_code == 0, stages.stderr
    connection = Connection.api_key(pipedrive_sandbox.api_token, base_url=pipedrive_sandbox.base_url)
    with connection.client() as client:
        for option in json.loads(stages.stdout):
            assert client.request("GET", f"/api/v2/stages/{option['value']}")["data"]["pipeline_id"] == second
    euro = json.loads(
        invoke(
            ["actions", "options", "addDeal", "deal.currency", "-q", "euro", "--json", *flags], tmp_path
        ).stdout
    )
    assert euro == [{"value": "EUR", "label": "Euro (EUR)"}]
    bad = invoke(["actions", "options", "addDeal", "deal.nope", *flags], tmp_path)
    assert bad.exit_code == 2 and "deal.nope" in bad.stderr
