"""Notes (v1) and note comments over HTTP: CRUD, filters, paging, errors, noteFields, webhooks."""

from __future__ import annotations

from typing import Any

# Fixtures are imported by name, so their use as test parameters "redefines" them.
# ruff: noqa: F811
from _extras_fixtures import ExtrasSandbox, Receiver, _extras_server, extras, receiver  # noqa: F401
from sandbox_testkit import Api

from pipedrive_connector.sandbox.engine import spec_data
from pipedrive_connector.sandbox.seed import seeded_uuid

LEAD = seeded_uuid("lead:Hooli data team")


def _add(api: Api, **body: Any) -> dict[str, Any]:
    response = api.post("/v1/notes", json=body)
    assert response.status_code == 200, response.text
    data: dict[str, Any] = response.json()["data"]
    return data


def _ids(api: Api, **params: Any) -> list[int]:
    response = api.get("/v1/notes", params=params)
    assert response.status_code == 200, response.text
    return [note["id"] for note in response.json()["data"]]


def test_note_on_a_deal_has_every_documented_key_and_the_deal_summary(empty_api: Api) -> None:
    api = empty_api
    deal = api.post("/api/v2/deals", json={"title": "Rollout"}).json()["data"]
    note = _add(api, content="<p>Call went well</p>", deal_id=deal["id"], pinned_to_deal_flag=1)
    assert set(spec_data.response_keys("GET /v1/notes/{id}")) <= set(note)
    assert note["deal"] == {"title": "Rollout"} and note["deal_id"] == deal["id"]
    assert note["pinned_to_deal_flag"] is True and note["pinned_to_person_flag"] is False
    assert note["person"] is None and note["org_id"] is None
    assert note["user_id"] == 1 and note["user"]["is_you"] is True and note["active_flag"] is True
    assert len(note["add_time"]) == 19  # v1 form "YYYY-MM-DD HH:MM:SS"
    fetched = api.get(f"/v1/notes/{note['id']}")
    assert fetched.status_code == 200 and fetched.json()["data"] == note
    assert api.get(f"/api/v1/notes/{note['id']}").json()["data"]["content"] == "<p>Call went well</p>"


def test_notes_count_of_deals_persons_and_organizations(empty_api: Api) -> None:
    api = empty_api
    org = api.post("/api/v2/organizations", json={"name": "Initech"}).json()["data"]
    person = api.post("/api/v2/persons", json={"name": "Peter", "org_id": org["id"]}).json()["data"]
    deal = api.post("/api/v2/deals", json={"title": "TPS", "person_id": person["id"]}).json()["data"]
    _add(api, content="one", deal_id=deal["id"], person_id=person["id"])
    note = _add(api, content="two", deal_id=deal["id"], org_id=org["id"])
    counts = {"include_fields": "notes_count"}
    assert api.get(f"/api/v2/deals/{deal['id']}", params=counts).json()["data"]["notes_count"] == 2
    assert api.get(f"/api/v2/persons/{person['id']}", params=counts).json()["data"]["notes_count"] == 1
    assert api.get(f"/api/v2/organizations/{org['id']}", params=counts).json()["data"]["notes_count"] == 1
    assert api.get(f"/v1/deals/{deal['id']}").json()["data"]["notes_count"] == 2
    api.delete(f"/v1/notes/{note['id']}")
    assert api.get(f"/v1/deals/{deal['id']}").json()["data"]["notes_count"] == 1
    assert api.get(f"/v1/organizations/{org['id']}").json()["data"]["notes_count"] == 0


def test_notes_follow_a_merged_person_to_the_survivor(api: Api) -> None:
    note = _add(api, content="about Jane's twin", person_id=2)
    merged = api.put("/v1/persons/2/merge", json={"merge_with_id": 1})
    assert merged.status_code == 200, merged.text
    moved = api.get(f"/v1/notes/{note['id']}").json()["data"]
    assert moved["person_id"] == 1 and note["id"] in _ids(api, person_id=1)


def test_update_with_a_form_body_then_delete(api: Api) -> None:
    note = _add(api, content="first", person_id=1)
    response = api.put(
        f"/v1/notes/{note['id']}",
        data={"content": "second", "pinned_to_person_flag": "1"},
        headers={**api.headers, "content-type": "application/x-www-form-urlencoded"},
    )
    assert response.status_code == 200, response.text
    updated = response.json()["data"]
    assert updated["content"] == "second" and updated["pinned_to_person_flag"] is True
    assert updated["person"] == {"name": api.state.store.get("person", 1)["name"]}
    deleted = api.delete(f"/v1/notes/{note['id']}")
    assert deleted.status_code == 200 and deleted.json() == {"success": True, "data": True}
    gone = api.get(f"/v1/notes/{note['id']}")
    assert gone.status_code == 404 and gone.json()["error"] == "Note not found"
    assert api.delete(f"/v1/notes/{note['id']}").status_code == 404


def test_list_filters_by_target_author_pins_and_dates(api: Api) -> None:
    before = set(_ids(api, limit=500))
    on_deal = _add(api, content="deal pinned", deal_id=1, pinned_to_deal_flag=1)
    on_deal_unpinned = _add(api, content="deal", deal_id=1)
    on_org = _add(api, content="org", org_id=1, add_time="2020-05-01 10:00:00")
    on_lead = _add(api, content="lead", lead_id=LEAD, pinned_to_lead_flag=1)
    new = set(_ids(api, limit=500)) - before
    assert new == {on_deal["id"], on_deal_unpinned["id"], on_org["id"], on_lead["id"]}
    deal_notes = set(_ids(api, deal_id=1))
    assert {on_deal["id"], on_deal_unpinned["id"]} <= deal_notes and on_org["id"] not in deal_notes
    assert on_deal["id"] in _ids(api, deal_id=1, pinned_to_deal_flag=1)
    assert on_deal_unpinned["id"] not in _ids(api, deal_id=1, pinned_to_deal_flag=1)
    assert on_deal_unpinned["id"] in _ids(api, deal_id=1, pinned_to_deal_flag=0)
    assert _ids(api, org_id=1, end_date="2020-12-31") == [on_org["id"]]
    assert on_org["id"] not in _ids(api, start_date="2021-01-01", limit=500)
    assert on_lead["id"] in _ids(api, lead_id=LEAD, pinned_to_lead_flag=1)
    assert on_deal["id"] not in _ids(api, user_id=2, limit=500)


def test_paging_and_sort(empty_api: Api) -> None:
    api = empty_api
    org = api.post("/api/v2/organizations", json={"name": "Initech"}).json()["data"]
    made = [_add(api, content=f"note {index}", org_id=org["id"])["id"] for index in range(5)]
    first = api.get("/v1/notes", params={"limit": 2}).json()
    assert [n["id"] for n in first["data"]] == made[:2]
    assert first["additional_data"]["pagination"] == {
        "start": 0,
        "limit": 2,
        "more_items_in_collection": True,
        "next_start": 2,
    }
    last = api.get("/v1/notes", params={"start": 4, "limit": 2}).json()
    assert [n["id"] for n in last["data"]] == made[4:]
    assert last["additional_data"]["pagination"]["more_items_in_collection"] is False
    assert _ids(api, sort="id DESC") == list(reversed(made))
    bad = api.get("/v1/notes", params={"sort": "nope DESC"})
    assert bad.status_code == 400 and "nope" in bad.json()["error"]


def test_errors_name_what_is_wrong(api: Api) -> None:
    cases = [
        ({"deal_id": 1}, "content"),
        ({"content": "   ", "deal_id": 1}, "content"),
        ({"content": "orphan"}, "deal_id"),
        ({"content": "x", "deal_id": 999999}, "deal 999999 not found"),
        ({"content": "x", "lead_id": "3f1d0e8e-0000-4000-8000-000000000000"}, "lead"),
        ({"content": "x", "user_id": 424242}, "user 424242 not found"),
        ({"content": "x", "deal_id": "abc"}, "deal_id"),
        ({"content": "x", "person_id": 1, "pinned_to_deal_flag": 1}, "pinned_to_deal_flag"),
        ({"content": "x", "deal_id": 1, "pinned_to_deal_flag": 7}, "pinned_to_deal_flag"),
    ]
    for body, named in cases:
        response = api.post("/v1/notes", json=body)
        assert response.status_code == 400, (body, response.text)
        assert named in response.json()["error"], (body, response.json())
        assert response.json()["success"] is False
    assert api.get("/v1/notes/abc").status_code == 400
    assert api.get("/v1/notes/99999").status_code == 404
    assert api.put("/v1/notes/99999", json={"content": "x"}).status_code == 404
    assert api.get("/v1/notes", params={"deal_id": "x"}).status_code == 400
    assert api.get("/v1/notes", params={"start_date": "May 1"}).status_code == 400
    assert api.get("/v1/notes", params={"pinned_to_deal_flag": "maybe"}).status_code == 400


def test_comments_crud_under_their_note(api: Api) -> None:
    note = _add(api, content="with comments", deal_id=1)
    other = _add(api, content="another", deal_id=1)
    base = f"/v1/notes/{note['id']}/comments"
    added = api.post(base, json={"content": "First!"})
    assert added.status_code == 200, added.text
    comment = added.json()["data"]
    assert set(spec_data.response_keys("GET /v1/notes/{id}/comments/{commentId}")) <= set(comment)
    assert comment["object_id"] == str(note["id"]) and comment["object_type"] == "note"
    assert comment["user_id"] == 1 and comment["updater_id"] is None
    uuid = comment["uuid"]
    assert api.get(f"{base}/{uuid}").json()["data"] == comment
    changed = api.put(f"{base}/{uuid}", json={"content": "Edited"}).json()["data"]
    assert changed["content"] == "Edited" and changed["updater_id"] == 1
    listed = api.get(base).json()
    assert [c["uuid"] for c in listed["data"]] == [uuid]
    assert listed["additional_data"]["pagination"]["more_items_in_collection"] is False
    # A comment is found only under its own note.
    assert api.get(f"/v1/notes/{other['id']}/comments/{uuid}").status_code == 404
    assert api.get(f"/v1/notes/{other['id']}/comments").json()["data"] == []
    assert api.post(base, json={}).status_code == 400
    assert api.put(f"{base}/{uuid}", json={}).status_code == 400  # the spec requires content here
    assert api.get(f"{base}/not-a-uuid").status_code == 400
    assert api.get("/v1/notes/99999/comments").json()["error"] == "Note not found"
    assert api.delete(f"{base}/{uuid}").json() == {"success": True, "data": True}
    assert api.get(f"{base}/{uuid}").status_code == 404


def test_note_fields_list(api: Api) -> None:
    response = api.get("/v1/noteFields")
    assert response.status_code == 200
    fields = {field["key"]: field for field in response.json()["data"]}
    assert fields["content"]["mandatory_flag"] is True
    assert [o["label"] for o in fields["pinned_to_deal_flag"]["options"]] == ["Yes", "No"]


def test_operations_not_served_answer_501_naming_them(api: Api) -> None:
    response = api.get("/v1/legacyTeams")
    assert response.status_code == 501
    assert response.json()["error"] == "Not implemented in the sandbox: GET /v1/legacyTeams (getTeams)"
    nested = api.get("/api/v1/legacyTeams/7/users")
    assert nested.status_code == 501 and "GET /v1/legacyTeams/{id}/users" in nested.json()["error"]
    assert api.get("/v1/no-such-thing").status_code == 404
    assert api.put("/api/v2/activities").status_code == 405


def test_note_webhooks_v1_and_v2(extras: ExtrasSandbox, receiver: Receiver) -> None:
    extras.add_webhook(receiver.url, event_action="*", event_object="note", version="1.0")
    extras.add_webhook(receiver.url, event_action="*", event_object="note", version="2.0")
    note = extras.api.post("/v1/notes", json={"content": "hooked", "deal_id": 1}).json()["data"]
    assert extras.api.put(f"/v1/notes/{note['id']}", json={"content": "rehooked"}).status_code == 200
    assert extras.api.delete(f"/v1/notes/{note['id']}").status_code == 200
    extras.flush()
    v1 = [b for b in receiver.bodies() if b.get("v") == 1]
    v2 = [b for b in receiver.bodies() if b.get("meta", {}).get("version") == "2.0"]
    assert [b["event"] for b in v1] == ["added.note", "updated.note", "deleted.note"]
    assert v1[0]["current"]["content"] == "hooked" and v1[1]["previous"]["content"] == "hooked"
    assert v1[2]["current"] is None and v1[2]["previous"]["id"] == note["id"]
    assert [b["meta"]["action"] for b in v2] == ["create", "change", "delete"]
    assert all(b["meta"]["entity"] == "note" for b in v2)
    assert v2[1]["data"]["content"] == "rehooked" and v2[1]["previous"] == {"content": "hooked"}
