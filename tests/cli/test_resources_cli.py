"""``pipedrive deals|leads|organizations|persons|activities ...`` and ``pipedrive request``."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from pipedrive_connector.cli.main import app

runner = CliRunner()


@pytest.fixture
def cli(pipedrive_sandbox: Any, tmp_path: Path) -> Any:
    """Invoke the CLI with the sandbox's credentials in the environment."""
    environ = {
        "PIPEDRIVE_API_TOKEN": pipedrive_sandbox.api_token,
        "PIPEDRIVE_BASE_URL": pipedrive_sandbox.base_url,
        "PIPEDRIVE_COMPANY_DOMAIN": "",
        "PIPEDRIVE_PROFILE": "",
        "COLUMNS": "200",
        "PIPEDRIVE_CONFIG_DIR": str(tmp_path / "config"),
    }

    def invoke(*args: str) -> Any:
        return runner.invoke(app, list(args), env=environ)

    return invoke


def _json(result: Any) -> Any:
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)


def test_deals_list_formats(cli: Any) -> None:
    rows = _json(cli("deals", "list", "--limit", "3", "--json"))
    assert len(rows) == 3 and all("title" in row for row in rows)
    lines = cli("deals", "list", "--limit", "3", "--jsonl").stdout.strip().splitlines()
    assert [json.loads(line)["id"] for line in lines] == [row["id"] for row in rows]
    parsed = list(csv.DictReader(io.StringIO(cli("deals", "list", "--limit", "3", "--csv").stdout)))
    assert [int(r["id"]) for r in parsed] == [row["id"] for row in rows]
    table = cli("deals", "list", "--limit", "3")
    assert table.exit_code == 0 and rows[0]["title"] in table.stdout and "title" in table.stdout
    both = cli("deals", "list", "--json", "--csv")
    assert both.exit_code == 2


def test_list_all_pages_through_everything(cli: Any) -> None:
    for i in range(3):
        _json(cli("organizations", "add", "--set", f"name=Paging Org {i}", "--json"))
    everything = _json(cli("organizations", "list", "--all", "--json"))
    one_page = _json(cli("organizations", "list", "--limit", "500", "--json"))
    assert [o["id"] for o in everything] == [o["id"] for o in one_page]
    assert len({o["id"] for o in everything}) == len(everything)
    filtered = _json(cli("deals", "list", "--all", "--param", "status=won", "--json"))
    assert filtered and {d["status"] for d in filtered} == {"won"}


def test_list_params_are_validated(cli: Any) -> None:
    result = cli("deals", "list", "--param", "status=closed")
    assert result.exit_code == 2 and "status" in result.stderr
    result = cli("deals", "list", "--param", "nonsense")
    assert result.exit_code == 2 and "key=value" in result.stderr


@pytest.mark.parametrize("version", ["v2", "v1"])
def test_deal_lifecycle(cli: Any, version: str) -> None:
    added = _json(
        cli(
            "deals",
            "add",
            "--data",
            '{"title": "CLI deal", "currency": "EUR"}',
            "--set",
            "value=250",
            "--api-version",
            version,
            "--json",
        )
    )
    assert added["title"] == "CLI deal" and float(added["value"]) == 250
    deal_id = str(added["id"])
    got = _json(cli("deals", "get", deal_id, "--api-version", version, "--json"))
    assert got["id"] == added["id"]
    updated = _json(
        cli("deals", "update", deal_id, "--set", "status=won", "--api-version", version, "--json")
    )
    assert updated["status"] == "won"
    found = _json(cli("deals", "search", "CLI deal", "--api-version", version, "--json"))
    assert added["id"] in [row["id"] for row in found]
    deleted = cli("deals", "delete", deal_id, "--api-version", version)
    assert deleted.exit_code == 0 and deleted.stdout.strip() == f"deleted deal {deal_id}"
    table = cli("deals", "get", "1")
    assert table.exit_code == 0 and "field" in table.stdout


def test_leads_persons_organizations_activities(cli: Any) -> None:
    org = _json(cli("organizations", "add", "--set", "name=Resource Org", "--json"))
    person = _json(
        cli(
            "persons",
            "add",
            "--data",
            json.dumps(
                {
                    "name": "Resource Person",
                    "org_id": org["id"],
                    "email": [{"value": "resource.person@example.com", "primary": True}],
                }
            ),
            "--json",
        )
    )
    listed = cli("persons", "list", "--limit", "500")
    assert "resource.person@example.com" in listed.stdout
    lead = _json(
        cli("leads", "add", "--set", "title=Resource lead", "--set", f"person_id={person['id']}", "--json")
    )
    assert _json(cli("leads", "get", lead["id"], "--json"))["title"] == "Resource lead"
    assert lead["id"] in [row["id"] for row in _json(cli("leads", "search", "Resource", "--json"))]
    assert (
        _json(cli("leads", "update", lead["id"], "--set", "title=Renamed lead", "--json"))["title"]
        == "Renamed lead"
    )
    assert cli("leads", "delete", lead["id"]).exit_code == 0
    activity = _json(
        cli("activities", "add", "--set", "subject=Resource call", "--set", "type=call", "--json")
    )
    assert activity["id"] in [
        row["id"] for row in _json(cli("activities", "list", "--limit", "500", "--json"))
    ]
    assert _json(cli("activities", "update", str(activity["id"]), "--set", "done=true", "--json"))[
        "done"
    ] in (True, 1)
    assert cli("activities", "delete", str(activity["id"]), "--json").exit_code == 0
    assert _json(cli("organizations", "search", "Resource Org", "--json"))[0]["id"] == org["id"]
    assert _json(cli("persons", "search", "resource.person@example.com", "--json"))[0]["id"] == person["id"]


def test_bad_input_and_missing_records_are_one_line_errors(cli: Any) -> None:
    bad = cli("deals", "add", "--set", "value=5")
    assert (
        bad.exit_code == 2
        and bad.stderr.strip() == "error: invalid input: deal.title: is required (Title: a string)"
    )
    not_number = cli("deals", "get", "abc")
    assert (
        not_number.exit_code == 2
        and not_number.stderr.strip() == "error: expected a numeric deal id, got 'abc'"
    )
    missing = cli("deals", "get", "987654")
    assert missing.exit_code == 1 and len(missing.stderr.strip().splitlines()) == 1
    short = cli("persons", "search", "x")
    assert short.exit_code == 2 and "term" in short.stderr


def test_request_any_endpoint(cli: Any) -> None:
    me = _json(cli("request", "GET", "/v1/users/me"))
    assert me["data"]["id"] == 1
    stages = _json(cli("request", "GET", "/api/v2/stages", "--param", "pipeline_id=1"))
    assert stages["data"] and {s["pipeline_id"] for s in stages["data"]} == {1}
    label = _json(
        cli("request", "POST", "/v1/leadLabels", "--data", '{"name": "Lukewarm", "color": "green"}')
    )
    assert label["data"]["name"] == "Lukewarm"
    bad = cli("request", "FETCH", "/v1/users/me")
    assert bad.exit_code == 2
    not_json = cli("request", "POST", "/v1/leadLabels", "--data", "{x")
    assert not_json.exit_code == 2 and "not valid JSON" in not_json.stderr


# --- notes, products and the resources' own verbs (all built from RESOURCES) --------------------


def test_notes_commands(cli: Any) -> None:
    deal = _json(cli("deals", "add", "--set", "title=Noted deal", "--json"))
    note = _json(
        cli("notes", "add", "--set", "content=Call back", "--set", f"deal_id={deal['id']}", "--json")
    )
    assert note["deal_id"] == deal["id"]
    _json(cli("notes", "update", str(note["id"]), "--set", "content=Called", "--json"))
    assert _json(cli("notes", "get", str(note["id"]), "--json"))["content"] == "Called"
    listed = _json(cli("notes", "list", "--param", f"deal_id={deal['id']}", "--json"))
    assert [n["id"] for n in listed] == [note["id"]]
    assert cli("notes", "delete", str(note["id"])).exit_code == 0
    assert _json(cli("notes", "list", "--param", f"deal_id={deal['id']}", "--json")) == []
    orphan = cli("notes", "add", "--set", "content=Nowhere")
    assert orphan.exit_code == 2 and "deal_id" in orphan.stderr and "Traceback" not in orphan.output


def test_products_and_deal_product_verbs(cli: Any) -> None:
    product = _json(cli("products", "add", "--set", "name=Sprocket", "--set", "code=SP-1", "--json"))
    assert [
        p["item"]["id"] if "item" in p else p["id"]
        for p in _json(cli("products", "search", "Sprocket", "--json"))
    ] == [product["id"]]
    deal = _json(cli("deals", "add", "--set", "title=With products", "--json"))
    line = _json(
        cli(
            "deals", "add-product", str(deal["id"]),
            "-p", f"product_id={product['id']}", "-p", "item_price=9.5", "-p", "quantity=2", "--json",
        )
    )  # fmt: skip
    assert line["product_id"] == product["id"]
    rows = _json(cli("deals", "products", str(deal["id"]), "--json"))
    assert [r["id"] for r in rows] == [line["id"]]
    table = cli("deals", "products", str(deal["id"]))
    assert table.exit_code == 0 and "getDealProducts" in table.stdout and str(line["id"]) in table.stdout
    removed = cli("deals", "remove-product", str(deal["id"]), "-p", f"product_attachment_id={line['id']}")
    assert removed.exit_code == 0, removed.stderr
    assert _json(cli("deals", "products", str(deal["id"]), "--json")) == []


def test_deal_verbs_and_followers(cli: Any) -> None:
    deal = _json(cli("deals", "add", "--set", "title=Verbs", "--json"))
    assert _json(cli("deals", "won", str(deal["id"]), "--json"))["status"] == "won"
    lost = _json(cli("deals", "lost", str(deal["id"]), "-p", "lost_reason=Budget", "--json"))
    assert (lost["status"], lost["lost_reason"]) == ("lost", "Budget")
    product = _json(cli("products", "add", "--set", "name=Followed", "--json"))
    me = _json(cli("run", "getCurrentUser"))["data"]
    users = _json(cli("run", "getUsers"))["data"]
    other = next(u["id"] for u in users if u["id"] != me["id"])
    _json(cli("products", "follow", str(product["id"]), "-p", f"user_id={other}", "--json"))
    followers = _json(cli("products", "followers", str(product["id"]), "--json"))
    assert other in [f["user_id"] for f in followers]
    bad = cli("deals", "won", "abc")
    assert bad.exit_code == 2 and "Traceback" not in bad.output
    unknown = cli("deals", "move", str(deal["id"]), "-p", "stage=3")
    assert unknown.exit_code == 2 and "stage" in unknown.stderr


def test_person_and_organization_lookups(cli: Any) -> None:
    org = _json(cli("organizations", "add", "--set", "name=Lookup Ltd", "--json"))
    assert _json(cli("organizations", "find", "Lookup Ltd", "--json"))["id"] == org["id"]
    person = _json(
        cli(
            "persons", "add", "--data", '{"name": "Finn", "email": [{"value": "finn@example.com"}]}', "--json"
        )
    )
    assert _json(cli("persons", "find", "finn@example.com", "--json"))["id"] == person["id"]
    labels = _json(cli("leads", "labels", "--json"))
    assert isinstance(labels, list)


def test_actions_list_groups_by_resource(cli: Any) -> None:
    listed = _json(cli("actions", "list", "--json"))
    resources = [a["resource"] for a in listed]
    # Grouped: each resource's actions are contiguous.
    assert len({r for r in resources}) == sum(
        1 for i, r in enumerate(resources) if i == 0 or r != resources[i - 1]
    )
    assert {"notes", "products", "followers", "reference", "custom"} <= set(resources)
    notes = _json(cli("actions", "list", "--resource", "notes", "--json"))
    assert {a["name"] for a in notes} == {"getNotes", "addNote", "getNote", "updateNote", "deleteNote"}
    assert next(a for a in notes if a["name"] == "deleteNote")["destructive"] is True
    table = cli("actions", "list")
    assert table.exit_code == 0 and "notes (5 actions" in table.stdout and "destructive" in table.stdout
    assert cli("actions", "list", "--resource", "planets").exit_code == 2


def test_files_upload_download_rename_delete(cli: Any, tmp_path: Path) -> None:
    deal = _json(cli("deals", "add", "--set", "title=Filed deal", "--json"))
    local = tmp_path / "contract.pdf"
    local.write_bytes(b"%PDF-1.4\n" + bytes(range(256)))
    uploaded = _json(cli("files", "upload", str(local), "-p", f"deal_id={deal['id']}", "--json"))
    assert (uploaded["file_name"], uploaded["deal_id"]) == ("contract.pdf", deal["id"])
    target = tmp_path / "back.pdf"
    done = cli("files", "download", str(uploaded["id"]), "--output", str(target))
    assert done.exit_code == 0, done.stderr
    assert target.read_bytes() == local.read_bytes()
    assert (
        _json(cli("files", "rename", str(uploaded["id"]), "-p", "name=Signed", "--json"))["name"] == "Signed"
    )
    assert uploaded["id"] in [f["id"] for f in _json(cli("files", "list", "--json"))]
    assert cli("files", "delete", str(uploaded["id"])).exit_code == 0
    unattached = cli("files", "upload", str(local))
    assert unattached.exit_code == 2 and "deal_id" in unattached.stderr
    missing = cli("files", "upload", str(tmp_path / "nope.bin"), "-p", "deal_id=1")
    assert missing.exit_code == 2 and "no such file" in missing.stderr and "Traceback" not in missing.output
    assert cli("files", "add").exit_code == 2  # files are uploaded, not added
