"""The manifest against the seed document: every connection, trigger, action and property table."""

from __future__ import annotations

import json

import pytest
from seed_doc import parse_seed, seed_path

from pipedrive_connector.component import Component


@pytest.fixture(scope="module")
def seed() -> dict:
    return parse_seed(seed_path().read_text("utf-8"))


@pytest.fixture(scope="module")
def manifest() -> dict:
    return Component().manifest()


def test_the_parser_finds_the_whole_seed(seed: dict) -> None:
    assert len(seed["Connections"]) == 2
    assert len(seed["Triggers"]) == 7
    assert len(seed["Actions"]) == 20
    assert sum(len(a.properties) for a in seed["Actions"]) > 60


def test_metadata(manifest: dict) -> None:
    assert manifest["name"] == "pipedrive"
    assert manifest["title"] == "Pipedrive"
    assert manifest["category"] == "CRM"
    assert manifest["version"] == 1
    assert manifest["description"].startswith("The first CRM designed by salespeople")


def test_every_connection_with_its_properties(seed: dict, manifest: dict) -> None:
    by_title = {c["title"]: c for c in manifest["connections"]}
    for item in seed["Connections"]:
        connection = by_title[item.title]
        got = [(p["label"], p["type"], p["control_type"]) for p in connection["properties"]]
        assert got == item.properties, item.title


def test_every_trigger_is_a_dynamic_webhook(seed: dict, manifest: dict) -> None:
    by_title = {t["title"]: t for t in manifest["triggers"] if not t["extra"]}
    assert len(by_title) == len(seed["Triggers"])
    for item in seed["Triggers"]:
        assert item.type == "DYNAMIC_WEBHOOK"
        assert by_title[item.title]["type"] == item.type
        assert by_title[item.title]["description"] == item.description
        assert by_title[item.title]["properties"] == []


def test_every_action_and_every_property(seed: dict, manifest: dict) -> None:
    seed_actions = [a for a in manifest["actions"] if not a["extra"]]
    assert [a["title"] for a in seed_actions] == [item.title for item in seed["Actions"]]
    for action, item in zip(seed_actions, seed["Actions"], strict=True):
        got = [(p["label"], p["type"], p["control_type"]) for p in action["properties"]]
        assert got == item.properties, action["name"]


def test_extras_are_marked_and_seed_actions_are_not(manifest: dict) -> None:
    names = {a["name"]: a["extra"] for a in manifest["actions"]}
    for extra in (
        "updateDeal",
        "updateLead",
        "updateOrganization",
        "updatePerson",
        "upsertPerson",
        "addActivity",
        "getActivity",
        "getActivities",
        "updateActivity",
        "deleteActivity",
    ):
        assert names[extra] is True
    assert sum(1 for v in names.values() if not v) == 20


def test_extra_triggers_come_after_the_seed_ones(manifest: dict) -> None:
    extra = [t["extra"] for t in manifest["triggers"]]
    assert extra == sorted(extra) and extra.count(False) == 7
    by_name = {t["name"]: t for t in manifest["triggers"]}
    assert by_name["dealMatchingFilter"]["type"] == "POLLING"
    assert [p["name"] for p in by_name["dealMatchingFilter"]["properties"]] == ["filter_id"]
    assert [p["name"] for p in by_name["dealStageChanged"]["properties"]] == ["stage_id"]


def test_manifest_is_json_and_stable(manifest: dict) -> None:
    assert json.dumps(manifest) == json.dumps(Component().manifest())


def test_every_select_has_options_or_a_loader(manifest: dict) -> None:
    def walk(props: list[dict]) -> None:
        for p in props:
            if p["control_type"] in ("SELECT", "MULTI_SELECT"):
                assert p.get("options") or p.get("options_loader"), p["name"]
                if p.get("options_loader"):
                    assert p["options_loader"]["name"] in manifest["option_loaders"]
            walk(p.get("properties", []))
            if p.get("items"):
                walk([p["items"]])

    for action in manifest["actions"]:
        walk(action["properties"])
        assert action["input_schema"]["type"] == "object"
        assert set(action["input_schema"]["properties"]) == {p["name"] for p in action["properties"]}


def test_oauth_connection_preselects_admin_for_webhooks(manifest: dict) -> None:
    oauth = next(c for c in manifest["connections"] if c["title"] == "OAuth2 Authorization Code")
    selected = {s["name"] for s in oauth["scopes"] if s["selected"]}
    assert {"admin", "deals:full", "contacts:full", "leads:full"} <= selected
    assert oauth["authorization_url"].endswith("/oauth/authorize")
    assert oauth["token_url"].endswith("/oauth/token")
