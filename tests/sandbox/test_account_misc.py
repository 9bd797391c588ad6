"""Account data over HTTP (v1): user settings and connections, recents, add-ons, video call provider
links and the (empty) mailbox."""

from __future__ import annotations

import uuid

from sandbox_testkit import Api

from pipedrive_connector.sandbox import timefmt


def test_user_settings_connections_and_addons(api: Api) -> None:
    settings = api.get("/v1/userSettings").json()["data"]
    assert settings["list_limit"] == 100 and settings["file_upload_destination"] == "s3"
    assert api.get("/v1/userConnections").json()["data"] == {"google": None}
    assert api.get("/v1/billing/subscriptions/addons").json() == {"success": True, "data": []}


def _now_v1(api: Api) -> str:
    return str(timefmt.v1(timefmt.iso(api.state.clock.now())))


def test_recents_lists_what_changed_since_a_time_oldest_first(api: Api) -> None:
    since = _now_v1(api)
    api.state.clock.advance(5)
    deal = api.post("/api/v2/deals", json={"title": "Fresh"}).json()["data"]
    api.state.clock.advance(5)
    person = api.post("/api/v2/persons", json={"name": "Newcomer"}).json()["data"]
    api.state.clock.advance(5)
    api.patch(f"/api/v2/deals/{deal['id']}", json={"title": "Fresher"})
    api.state.clock.advance(5)
    note = api.post("/v1/notes", json={"content": "hi", "deal_id": deal["id"]}).json()["data"]

    response = api.get("/v1/recents", params={"since_timestamp": since})
    assert response.status_code == 200, response.text
    body = response.json()
    assert [(r["item"], r["id"]) for r in body["data"]] == [
        ("person", person["id"]),
        ("deal", deal["id"]),
        ("note", note["id"]),
    ]
    assert body["data"][1]["data"]["title"] == "Fresher"  # the v1 shape of the record as it is now
    assert body["additional_data"]["since_timestamp"] == since
    assert body["additional_data"]["last_timestamp_on_page"] >= since
    only = api.get("/v1/recents", params={"since_timestamp": since, "items": "deal,note"}).json()["data"]
    assert [r["item"] for r in only] == ["deal", "note"]
    first = api.get("/v1/recents", params={"since_timestamp": since, "limit": 2}).json()
    assert (
        len(first["data"]) == 2 and first["additional_data"]["pagination"]["more_items_in_collection"] is True
    )
    rest = api.get("/v1/recents", params={"since_timestamp": since, "start": 2, "limit": 2}).json()["data"]
    assert [r["item"] for r in rest] == ["note"]


def test_recents_errors_name_the_parameter(api: Api) -> None:
    missing = api.get("/v1/recents")
    assert missing.status_code == 400 and "since_timestamp" in missing.json()["error"]
    bad_time = api.get("/v1/recents", params={"since_timestamp": "yesterday"})
    assert bad_time.status_code == 400 and "since_timestamp" in bad_time.json()["error"]
    bad_item = api.get("/v1/recents", params={"since_timestamp": "2020-01-01 00:00:00", "items": "email"})
    assert bad_item.status_code == 400 and "items" in bad_item.json()["error"]


def test_user_provider_links(api: Api) -> None:
    link = str(uuid.uuid4())
    body = {"user_provider_id": link, "user_id": 1, "company_id": 1, "marketplace_client_id": "abc"}
    added = api.post("/v1/meetings/userProviderLinks", json=body)
    assert added.status_code == 200 and added.json()["data"]["message"]
    removed = api.delete(f"/v1/meetings/userProviderLinks/{link}")
    assert removed.status_code == 200 and removed.json()["data"]["message"]
    assert api.delete(f"/v1/meetings/userProviderLinks/{link}").status_code == 404
    missing = api.post("/v1/meetings/userProviderLinks", json={**body, "marketplace_client_id": ""})
    assert missing.status_code == 400 and "marketplace_client_id" in missing.json()["error"]
    not_uuid = api.post("/v1/meetings/userProviderLinks", json={**body, "user_provider_id": "x"})
    assert not_uuid.status_code == 400 and "user_provider_id" in not_uuid.json()["error"]
    other_company = api.post("/v1/meetings/userProviderLinks", json={**body, "company_id": 99})
    assert other_company.status_code == 403
    unknown_user = api.post("/v1/meetings/userProviderLinks", json={**body, "user_id": 999})
    assert unknown_user.status_code == 400 and "user_id" in unknown_user.json()["error"]


def test_mailbox_is_empty(api: Api) -> None:
    for folder in ("inbox", "drafts", "sent", "archive"):
        listed = api.get("/v1/mailbox/mailThreads", params={"folder": folder}).json()
        assert (
            listed["data"] == []
            and listed["additional_data"]["pagination"]["more_items_in_collection"] is False
        )
    no_folder = api.get("/v1/mailbox/mailThreads")
    assert no_folder.status_code == 400 and "folder" in no_folder.json()["error"]
    assert api.get("/v1/mailbox/mailThreads", params={"folder": "spam"}).status_code == 400
    assert api.get("/v1/mailbox/mailThreads/1").status_code == 404
    assert api.put("/v1/mailbox/mailThreads/1", json={"read_flag": 1}).status_code == 404
    assert api.delete("/v1/mailbox/mailThreads/1").status_code == 404
    assert api.get("/v1/mailbox/mailThreads/1/mailMessages").status_code == 404
    message = api.get("/v1/mailbox/mailMessages/1")
    assert message.status_code == 404 and message.json()["error"] == "Mail message not found"
    assert api.get("/v1/mailbox/mailThreads/abc").status_code == 400
