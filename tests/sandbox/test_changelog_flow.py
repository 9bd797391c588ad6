"""Field changelogs, flows, permitted users and mail messages of deals, persons and organizations
over HTTP (v1): what an update logs, field keys, custom fields, paging, filters and errors."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest
from sandbox_testkit import Api

from pipedrive_connector.sandbox.engine import spec_data
from pipedrive_connector.sandbox.seed import custom_field_key

SCORE = custom_field_key("deal", "Score")


def _changes(api: Api, path: str, **params: Any) -> list[tuple[str, Any, Any]]:
    response = api.get(path, params=params)
    assert response.status_code == 200, response.text
    return [(e["field_key"], e["old_value"], e["new_value"]) for e in response.json()["data"]]


def test_deal_updates_are_logged_newest_first_with_v1_field_keys(api: Api) -> None:
    deal = api.post("/api/v2/deals", json={"title": "Logged", "value": 10}).json()["data"]
    log = f"/v1/deals/{deal['id']}/changelog"
    assert _changes(api, log) == []  # creating logs nothing
    assert (
        api.patch(f"/api/v2/deals/{deal['id']}", json={"title": "Renamed", "owner_id": 2}).status_code == 200
    )
    assert api.put(f"/v1/deals/{deal['id']}", json={"value": 25, "status": "won"}).status_code == 200
    assert api.patch(f"/api/v2/deals/{deal['id']}", json={"title": "Renamed"}).status_code == 200  # no change
    entries = _changes(api, log)
    by_key = {key: (old, new) for key, old, new in entries}
    assert by_key["title"] == ("Logged", "Renamed") and by_key["user_id"] == ("1", "2")
    assert by_key["value"] == ("10", "25") and by_key["status"] == ("open", "won")
    assert by_key["won_time"][0] is None and by_key["won_time"][1]
    assert "update_time" not in by_key and "owner_id" not in by_key
    # Newest first: the v1 PUT's fields before the v2 PATCH's.
    keys = [key for key, _old, _new in entries]
    assert keys.index("value") < keys.index("title")
    full = api.get(log, headers={**api.headers, "user-agent": "probe/1.0"}).json()["data"][0]
    assert set(full) == set(spec_data.response_keys("GET /v1/deals/{id}/changelog"))
    assert full["actor_user_id"] == 1 and full["change_source"] == "api" and len(full["time"]) == 19
    assert full["is_bulk_update_flag"] is False


@pytest.mark.parametrize(
    ("plural", "body", "change", "key"),
    [
        ("persons", {"name": "Pat"}, {"name": "Pat Smith", "emails": [{"value": "p@x.io"}]}, "email"),
        ("organizations", {"name": "Org"}, {"name": "Org Ltd", "label_ids": [1]}, "label"),
    ],
)
def test_person_and_organization_changelogs(
    api: Api, plural: str, body: dict[str, Any], change: dict[str, Any], key: str
) -> None:
    made = api.post(f"/api/v2/{plural}", json=body).json()["data"]
    assert api.patch(f"/api/v2/{plural}/{made['id']}", json=change).status_code == 200
    keys = {entry[0] for entry in _changes(api, f"/v1/{plural}/{made['id']}/changelog")}
    assert {"name", key} <= keys
    assert api.get(f"/v1/{plural}/99999/changelog").status_code == 404


def test_changelog_pages_and_errors(api: Api) -> None:
    deal_id = api.post("/api/v2/deals", json={"title": "v0"}).json()["data"]["id"]
    for n in range(1, 4):
        assert api.patch(f"/api/v2/deals/{deal_id}", json={"title": f"v{n}"}).status_code == 200
    log = f"/v1/deals/{deal_id}/changelog"
    first = api.get(log, params={"limit": 2}).json()
    assert [e["new_value"] for e in first["data"]] == ["v3", "v2"]
    cursor = first["additional_data"]["next_cursor"]
    rest = api.get(log, params={"limit": 2, "cursor": cursor}).json()
    assert [e["new_value"] for e in rest["data"]] == ["v1"] and rest["additional_data"]["next_cursor"] is None
    assert api.get(log, params={"cursor": "not-a-cursor"}).status_code == 400
    for last_id in ("x", [1], None, 2**40):
        forged = base64.urlsafe_b64encode(json.dumps({"field": "id", "id": last_id}).encode()).decode()
        assert api.get(log, params={"cursor": forged}).status_code == 400, last_id
    assert api.get(log, params={"limit": 0}).status_code == 400
    assert api.delete(f"/api/v2/deals/{deal_id}").status_code == 200
    assert api.get(log).status_code == 404


def test_custom_field_changes_are_logged_under_their_key(api: Api) -> None:
    deal_id = api.post("/api/v2/deals", json={"title": "Scored"}).json()["data"]["id"]
    patched = api.patch(f"/api/v2/deals/{deal_id}", json={"custom_fields": {SCORE: 7.5}})
    assert patched.status_code == 200, patched.text
    assert (SCORE, None, "7.5") in _changes(api, f"/v1/deals/{deal_id}/changelog")
    # The flow shows custom field changes only with all_changes=1.
    flow = f"/v1/deals/{deal_id}/flow"
    assert api.get(flow, params={"items": "dealChange"}).json()["data"] == []
    shown = api.get(flow, params={"all_changes": 1, "items": "dealChange"}).json()["data"]
    assert [(item["object"], item["data"]["field_key"]) for item in shown] == [("dealChange", SCORE)]


def test_flow_merges_changes_notes_activities_and_participants(api: Api) -> None:
    person = api.post("/api/v2/persons", json={"name": "Flow Person"}).json()["data"]["id"]
    deal_id = api.post("/api/v2/deals", json={"title": "Flowing", "person_id": person}).json()["data"]["id"]
    note = api.post("/v1/notes", json={"content": "Called them", "deal_id": deal_id})
    assert note.status_code in (200, 201), note.text
    activity = api.post("/api/v2/activities", json={"subject": "Demo", "deal_id": deal_id})
    assert activity.status_code == 200, activity.text
    assert api.patch(f"/api/v2/deals/{deal_id}", json={"value": 99}).status_code == 200
    flow = f"/v1/deals/{deal_id}/flow"
    items = api.get(flow).json()
    objects = [item["object"] for item in items["data"]]
    assert sorted(objects) == ["activity", "dealChange", "dealFollower", "note", "participant"]
    stamps = [item["timestamp"] for item in items["data"]]
    assert stamps == sorted(stamps, reverse=True)
    by_object = {item["object"]: item["data"] for item in items["data"]}
    assert by_object["note"]["content"] == "Called them" and by_object["activity"]["subject"] == "Demo"
    assert by_object["dealChange"]["field_key"] == "value" and by_object["dealChange"]["new_value"] == "99"
    assert by_object["participant"]["person_id"]["value"] == person
    assert by_object["dealFollower"]["user_id"] == 1 and by_object["dealFollower"]["action"] == "added"
    only = api.get(flow, params={"items": "note,activity"}).json()["data"]
    assert sorted(item["object"] for item in only) == ["activity", "note"]
    page = api.get(flow, params={"start": 1, "limit": 2}).json()
    assert [item["object"] for item in page["data"]] == objects[1:3]
    assert page["additional_data"]["pagination"]["next_start"] == 3
    bad = api.get(flow, params={"items": "note,gossip"})
    assert bad.status_code == 400 and "gossip" in bad.json()["error"]
    assert api.get(flow, params={"all_changes": "maybe"}).status_code == 400
    person_flow = api.get(f"/v1/persons/{person}/flow").json()["data"]
    # An activity on the deal carries its person; the note is the deal's only.
    assert sorted(item["object"] for item in person_flow) == ["activity", "personFollower"]
    assert api.get("/v1/organizations/99999/flow").status_code == 404


@pytest.mark.parametrize("plural", ["deals", "persons", "organizations"])
def test_permitted_users_and_mail_messages(api: Api, plural: str) -> None:
    users = api.get("/v1/users").json()["data"]
    active = sorted(user["id"] for user in users if user["active_flag"])
    assert api.get(f"/v1/{plural}/1/permittedUsers").json() == {"success": True, "data": active}
    mail = api.get(f"/v1/{plural}/1/mailMessages", params={"start": 5, "limit": 10}).json()
    assert mail["data"] == []
    assert mail["additional_data"]["pagination"] == {
        "start": 5,
        "limit": 10,
        "more_items_in_collection": False,
    }
    for child in ("permittedUsers", "mailMessages"):
        assert api.get(f"/v1/{plural}/99999/{child}").status_code == 404


def test_lead_permitted_users(api: Api) -> None:
    lead = api.get("/v1/leads").json()["data"][0]["id"]
    assert api.get(f"/v1/leads/{lead}/permittedUsers").json()["data"] == [1, 2, 3]
    assert api.get("/v1/leads/00000000-0000-0000-0000-000000000000/permittedUsers").status_code == 404
    assert api.get("/v1/leads/not-a-uuid/permittedUsers").status_code == 404
