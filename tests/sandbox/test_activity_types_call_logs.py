"""Activity types and call logs (v1) over HTTP: CRUD, paging, errors and what the specs promise."""

from __future__ import annotations

from typing import Any

from sandbox_testkit import Api

from pipedrive_connector.sandbox.engine import spec_data

CALL = {
    "to_phone_number": "+372 5555 1234",
    "outcome": "connected",
    "start_time": "2026-01-05 10:00:00",
    "end_time": "2026-01-05 10:12:00",
}


def test_built_in_activity_types_in_every_seed(empty_api: Api) -> None:
    types = empty_api.get("/v1/activityTypes").json()["data"]
    assert [t["key_string"] for t in types] == ["call", "meeting", "task", "deadline", "email", "lunch"]
    assert all(t["is_custom_flag"] is False and t["active_flag"] is True for t in types)
    assert set(spec_data.response_keys("GET /v1/activityTypes")) <= set(types[0])


def test_add_update_delete_custom_activity_type(api: Api) -> None:
    added = api.post(
        "/v1/activityTypes", json={"name": "Video call", "icon_key": "camera", "color": "00AAFF"}
    )
    assert added.status_code == 200, added.text
    made = added.json()["data"]
    assert made["key_string"] == "video_call" and made["is_custom_flag"] is True and made["order_nr"] == 7
    again = api.post("/v1/activityTypes", json={"name": "Video  call!", "icon_key": "camera"}).json()["data"]
    assert again["key_string"] == "video_call_2"
    changed = api.put(f"/v1/activityTypes/{made['id']}", json={"name": "Video", "order_nr": 2}).json()["data"]
    assert changed["name"] == "Video" and changed["order_nr"] == 2 and changed["key_string"] == "video_call"
    deleted = api.delete(f"/v1/activityTypes/{made['id']}")
    assert deleted.status_code == 200 and deleted.json()["data"]["active_flag"] is False
    listed = {t["id"]: t for t in api.get("/v1/activityTypes").json()["data"]}
    assert listed[made["id"]]["active_flag"] is False
    assert api.delete(f"/v1/activityTypes/{made['id']}").status_code == 404


def test_activity_type_errors(api: Api) -> None:
    cases: list[tuple[dict[str, Any], str]] = [
        ({"icon_key": "call"}, "name"),
        ({"name": "X"}, "icon_key"),
        ({"name": "X", "icon_key": "rocket"}, "icon_key"),
        ({"name": "X", "icon_key": "call", "color": "red"}, "color"),
        ({"name": " ", "icon_key": "call"}, "name"),
    ]
    for body, named in cases:
        response = api.post("/v1/activityTypes", json=body)
        assert response.status_code == 400 and named in response.json()["error"], (body, response.text)
    assert api.put("/v1/activityTypes/999", json={"name": "X"}).status_code == 404
    assert api.put("/v1/activityTypes/1", json={"order_nr": 0}).status_code == 400


def test_call_log_add_get_delete(api: Api) -> None:
    added = api.post("/v1/callLogs", json={**CALL, "deal_id": 2, "person_id": 2, "duration": "720"})
    assert added.status_code == 200, added.text
    log = added.json()["data"]
    assert set(spec_data.response_keys("GET /v1/callLogs/{id}")) <= set(log)
    assert len(log["id"]) == 32 and log["user_id"] == 1 and log["has_recording"] is False
    assert log["start_time"] == "2026-01-05 10:00:00" and log["deal_id"] == 2
    assert api.get(f"/v1/callLogs/{log['id']}").json()["data"] == log
    assert api.delete(f"/v1/callLogs/{log['id']}").json() == {"success": True}
    assert api.get(f"/v1/callLogs/{log['id']}").status_code == 404
    assert api.delete(f"/v1/callLogs/{log['id']}").status_code == 404
    assert api.get("/v1/callLogs/not-an-id").status_code == 400
    recording = api.post(
        f"/v1/callLogs/{log['id']}/recordings", files={"file": ("c.mp3", b"ID3", "audio/mpeg")}
    )
    assert recording.status_code == 404  # the call log is gone (recordings: tests/sandbox/test_files.py)


def test_call_log_from_a_call_activity_takes_its_links(api: Api) -> None:
    activity = api.post("/api/v2/activities", json={"subject": "Ring", "type": "call", "deal_id": 3}).json()
    added = api.post("/v1/callLogs", json={**CALL, "activity_id": activity["data"]["id"], "deal_id": 1})
    assert added.status_code == 200, added.text
    log = added.json()["data"]
    assert log["activity_id"] == activity["data"]["id"] and log["deal_id"] == 3 and log["subject"] == "Ring"
    meeting = api.post("/api/v2/activities", json={"subject": "Meet", "type": "meeting"}).json()["data"]
    refused = api.post("/v1/callLogs", json={**CALL, "activity_id": meeting["id"]})
    assert refused.status_code == 400 and "not a call" in refused.json()["error"]


def test_call_logs_follow_a_merged_deal(api: Api) -> None:
    log = api.post("/v1/callLogs", json={**CALL, "deal_id": 4}).json()["data"]
    assert api.put("/v1/deals/4/merge", json={"merge_with_id": 5}).status_code == 200
    assert api.get(f"/v1/callLogs/{log['id']}").json()["data"]["deal_id"] == 5


def test_call_logs_list_is_the_users_own_and_pages(empty_api: Api) -> None:
    api = empty_api
    made = [api.post("/v1/callLogs", json=CALL).json()["data"]["id"] for _ in range(3)]
    first = api.get("/v1/callLogs", params={"limit": 2}).json()
    assert [c["id"] for c in first["data"]] == made[:2]
    assert first["additional_data"]["pagination"]["next_start"] == 2
    rest = api.get("/v1/callLogs", params={"start": 2, "limit": 2}).json()
    assert [c["id"] for c in rest["data"]] == made[2:]


def test_demo_call_logs_belong_to_their_users(api: Api) -> None:
    mine = api.get("/v1/callLogs").json()["data"]
    assert mine and all(c["user_id"] == 1 for c in mine)
    token = api.state.user_token(2)
    theirs = api.get("/v1/callLogs", headers={"x-api-token": token}).json()["data"]
    assert theirs and all(c["user_id"] == 2 for c in theirs)


def test_call_log_errors(api: Api) -> None:
    cases: list[tuple[dict[str, Any], str]] = [
        ({k: v for k, v in CALL.items() if k != "outcome"}, "outcome"),
        ({k: v for k, v in CALL.items() if k != "to_phone_number"}, "to_phone_number"),
        ({**CALL, "outcome": "great"}, "outcome"),
        ({**CALL, "start_time": "yesterday"}, "start_time"),
        ({**CALL, "end_time": "2026-01-05 09:00:00"}, "end_time"),
        ({**CALL, "deal_id": 1, "lead_id": "3f1d0e8e-0000-4000-8000-000000000000"}, "not both"),
        ({**CALL, "deal_id": 99999}, "deal 99999 not found"),
        ({**CALL, "duration": "ten"}, "duration"),
        ({**CALL, "activity_id": 99999}, "activity 99999 not found"),
    ]
    for body, named in cases:
        response = api.post("/v1/callLogs", json=body)
        assert response.status_code == 400 and named in response.json()["error"], (body, response.text)
