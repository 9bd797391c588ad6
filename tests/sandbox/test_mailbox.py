"""The mailbox over HTTP (v1): a thread delivered through the control plane (``POST /_sandbox/mail``)
is listed in its folder, read, filed to a deal, flagged, archived and deleted; its message is read
with or without its body. Without a delivery the mailbox stays empty (test_account_misc.py)."""

from __future__ import annotations

from typing import Any

from sandbox_testkit import Api


def _deliver(api: Api, **body: Any) -> dict[str, Any]:
    response = api.post("/_sandbox/mail", json={"subject": "Quote", "body": "Hello, here it is", **body})
    assert response.status_code == 200, response.text
    data: dict[str, Any] = response.json()["data"]
    return data


def test_a_delivered_thread_is_listed_read_filed_flagged_and_deleted(api: Api) -> None:
    delivered = _deliver(api, deal_id=1)
    thread, message = delivered["thread"], delivered["message"]
    inbox = api.get("/v1/mailbox/mailThreads", params={"folder": "inbox"}).json()
    assert [t["id"] for t in inbox["data"]] == [thread["id"]]
    assert api.get("/v1/mailbox/mailThreads", params={"folder": "sent"}).json()["data"] == []

    got = api.get(f"/v1/mailbox/mailThreads/{thread['id']}").json()["data"]
    assert got["subject"] == "Quote" and got["deal_id"] == 1 and got["read_flag"] == 0

    messages = api.get(f"/v1/mailbox/mailThreads/{thread['id']}/mailMessages").json()["data"]
    assert [m["id"] for m in messages] == [message["id"]] and "body" not in messages[0]
    without = api.get(f"/v1/mailbox/mailMessages/{message['id']}").json()["data"]
    assert without["mail_thread_id"] == thread["id"] and "body" not in without
    with_body = api.get(f"/v1/mailbox/mailMessages/{message['id']}", params={"include_body": 1})
    assert with_body.json()["data"]["body"] == "Hello, here it is"

    updated = api.put(f"/v1/mailbox/mailThreads/{thread['id']}", json={"read_flag": 1, "archived_flag": 1})
    assert updated.status_code == 200, updated.text
    assert updated.json()["data"]["read_flag"] == 1
    assert api.get("/v1/mailbox/mailThreads", params={"folder": "inbox"}).json()["data"] == []
    archived = api.get("/v1/mailbox/mailThreads", params={"folder": "archive"}).json()["data"]
    assert [t["id"] for t in archived] == [thread["id"]]

    deleted = api.delete(f"/v1/mailbox/mailThreads/{thread['id']}")
    assert deleted.status_code == 200 and deleted.json()["data"] == {"id": thread["id"]}
    assert api.get(f"/v1/mailbox/mailThreads/{thread['id']}").status_code == 404
    assert api.get("/v1/mailbox/mailThreads", params={"folder": "archive"}).json()["data"] == []


def test_bad_mail_input_is_a_400_naming_the_field(api: Api) -> None:
    no_subject = api.post("/_sandbox/mail", json={"body": "x"})
    assert no_subject.status_code == 400 and "subject" in no_subject.json()["error"]
    bad_folder = api.post("/_sandbox/mail", json={"subject": "x", "folder": "spam"})
    assert bad_folder.status_code == 400 and "folder" in bad_folder.json()["error"]
    no_deal = api.post("/_sandbox/mail", json={"subject": "x", "deal_id": 999999})
    assert no_deal.status_code == 400 and "deal_id" in no_deal.json()["error"]
    thread = _deliver(api)["thread"]
    bad_flag = api.put(f"/v1/mailbox/mailThreads/{thread['id']}", json={"read_flag": 7})
    assert bad_flag.status_code == 400 and "read_flag" in bad_flag.json()["error"]
    bad_lead = api.put(f"/v1/mailbox/mailThreads/{thread['id']}", json={"lead_id": "nope"})
    assert bad_lead.status_code == 400 and "lead_id" in bad_lead.json()["error"]
    assert api.get("/v1/mailbox/mailMessages/999").status_code == 404
