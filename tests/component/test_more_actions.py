"""The actions beyond the seed's CRUD (notes, products, deal products, followers, merges, conversions,
reference data, customApiCall) through ``Component.run`` against the sandbox, in both API modes."""

from __future__ import annotations

import base64
import uuid
from collections.abc import Callable
from typing import Any

import pytest
from component_helpers import CountingTransport

from pipedrive_connector.component import Component, Connection
from pipedrive_connector.component.errors import ValidationError

component = Component()
run = component.run


def _ok(output: dict[str, Any]) -> Any:
    assert output["success"] is True, output
    return output["data"]


def _ids(output: dict[str, Any]) -> list[Any]:
    return [item["id"] for item in _ok(output)]


def _ref(value: Any) -> Any:
    return value.get("value", value.get("id")) if isinstance(value, dict) else value


@pytest.fixture
def deal(connection: Connection) -> dict[str, Any]:
    return _ok(run("addDeal", {"deal": {"title": f"Deal {uuid.uuid4().hex[:6]}"}}, connection))


@pytest.fixture
def person(connection: Connection) -> dict[str, Any]:
    email = f"p{uuid.uuid4().hex[:8]}@example.com"
    body = {"name": "Olga Oak", "email": [{"value": email, "primary": True, "label": "work"}]}
    return _ok(run("addPerson", {"person": body}, connection))


def _org(connection: Connection, name: str) -> dict[str, Any]:
    return _ok(run("addOrganization", {"organization": {"name": name}}, connection))


def _product(connection: Connection, name: str = "Widget") -> dict[str, Any]:
    body = {"name": name, "code": f"W-{uuid.uuid4().hex[:4]}", "prices": [{"price": 10, "currency": "EUR"}]}
    return _ok(run("addProduct", {"product": body}, connection))


# --- notes ---------------------------------------------------------------------------------------


def test_note_lifecycle_on_a_deal(connection: Connection, deal: dict[str, Any]) -> None:
    note = _ok(run("addNote", {"note": {"content": "<b>Call back</b>", "deal_id": deal["id"]}}, connection))
    assert note["deal_id"] == deal["id"]
    assert _ok(run("getNote", {"id": note["id"]}, connection))["content"] == "<b>Call back</b>"
    _ok(
        run(
            "updateNote",
            {"id": note["id"], "note": {"content": "Done", "pinned_to_deal_flag": True}},
            connection,
        )
    )
    assert _ids(run("getNotes", {"deal_id": deal["id"]}, connection)) == [note["id"]]
    assert _ids(run("getNotes", {"deal_id": deal["id"], "pinned": True}, connection)) == [note["id"]]
    assert _ids(run("getNotes", {"deal_id": deal["id"], "pinned": False}, connection)) == []
    _ok(run("deleteNote", {"id": note["id"]}, connection))
    assert _ids(run("getNotes", {"deal_id": deal["id"]}, connection)) == []


# --- products and deal products ------------------------------------------------------------------


def test_product_lifecycle(connection: Connection) -> None:
    product = _product(connection, "Flux capacitor")
    assert _ok(run("getProduct", {"id": product["id"]}, connection))["name"] == "Flux capacitor"
    _ok(run("updateProduct", {"id": product["id"], "product": {"name": "Flux capacitor II"}}, connection))
    assert product["id"] in _ids(run("getProducts", {"limit": 500}, connection))
    found = _ok(run("searchProducts", {"term": "capacitor"}, connection))["items"]
    assert [entry["item"]["id"] for entry in found] == [product["id"]]
    _ok(run("deleteProduct", {"id": product["id"]}, connection))
    assert product["id"] not in _ids(run("getProducts", {"limit": 500}, connection))


def test_products_on_a_deal(connection: Connection, deal: dict[str, Any]) -> None:
    product = _product(connection)
    line = _ok(
        run(
            "addProductToDeal",
            {
                "deal_id": deal["id"],
                "product": {"product_id": product["id"], "item_price": 12.5, "quantity": 4},
            },
            connection,
        )
    )
    assert line["product_id"] == product["id"]
    changed = run(
        "updateDealProduct",
        {"deal_id": deal["id"], "product_attachment_id": line["id"], "product": {"quantity": 6}},
        connection,
    )
    assert _ok(changed)["quantity"] == 6
    assert _ids(run("getDealProducts", {"deal_id": deal["id"]}, connection)) == [line["id"]]
    _ok(
        run("removeProductFromDeal", {"deal_id": deal["id"], "product_attachment_id": line["id"]}, connection)
    )
    assert _ids(run("getDealProducts", {"deal_id": deal["id"]}, connection)) == []


# --- deals ---------------------------------------------------------------------------------------


def test_stage_moves_won_and_lost(connection: Connection, deal: dict[str, Any]) -> None:
    stages = _ok(run("getStages", {"pipeline_id": deal["pipeline_id"]}, connection))
    other = next(s for s in stages if s["id"] != deal["stage_id"])
    assert (
        _ok(run("moveDealToStage", {"id": deal["id"], "stage_id": other["id"]}, connection))["stage_id"]
        == other["id"]
    )
    assert _ok(run("markDealWon", {"id": deal["id"]}, connection))["status"] == "won"
    lost = _ok(run("markDealLost", {"id": deal["id"], "lost_reason": "Too pricey"}, connection))
    assert (lost["status"], lost["lost_reason"]) == ("lost", "Too pricey")


def test_merge_deals(connection: Connection, deal: dict[str, Any]) -> None:
    other = _ok(run("addDeal", {"deal": {"title": "Survivor"}}, connection))
    merged = _ok(run("mergeDeals", {"id": deal["id"], "merge_with_id": other["id"]}, connection))
    assert merged["id"] == other["id"]
    assert deal["id"] not in _ids(run("getDeals", {"limit": 500}, connection))


def test_deal_activities(connection: Connection, deal: dict[str, Any]) -> None:
    activity = _ok(
        run("addActivity", {"activity": {"subject": "Demo call", "deal_id": deal["id"]}}, connection)
    )
    _ok(run("addActivity", {"activity": {"subject": "Elsewhere"}}, connection))
    assert _ids(run("getDealActivities", {"id": deal["id"]}, connection)) == [activity["id"]]


# --- persons and organizations -------------------------------------------------------------------


def test_find_person_by_email(connection: Connection, person: dict[str, Any]) -> None:
    email = next(e["value"] for e in person["emails" if "emails" in person else "email"])
    assert _ok(run("findPersonByEmail", {"email": email}, connection))["id"] == person["id"]
    assert _ok(run("findPersonByEmail", {"email": "nobody-xyz@example.com"}, connection)) is None


def test_merge_persons(connection: Connection, person: dict[str, Any]) -> None:
    other = _ok(run("addPerson", {"person": {"name": "Survivor Sam"}}, connection))
    assert (
        _ok(run("mergePersons", {"id": person["id"], "merge_with_id": other["id"]}, connection))["id"]
        == other["id"]
    )


def test_organizations_find_upsert_merge(connection: Connection) -> None:
    name = f"Qwerty Mills {uuid.uuid4().hex[:6]}"
    created = run("upsertOrganization", {"organization": {"name": name}}, connection)
    assert created["additional_data"]["created"] is True
    again = run("upsertOrganization", {"organization": {"name": name, "address": "1 Main St"}}, connection)
    assert again["additional_data"]["created"] is False
    assert _ok(again)["id"] == _ok(created)["id"]
    assert _ok(run("findOrganizationByName", {"name": name}, connection))["id"] == _ok(created)["id"]
    assert _ok(run("findOrganizationByName", {"name": "No Such Org Zzz"}, connection)) is None
    other = _org(connection, f"Other {name}")
    merged = _ok(
        run("mergeOrganizations", {"id": _ok(created)["id"], "merge_with_id": other["id"]}, connection)
    )
    assert merged["id"] == other["id"]


# --- followers (one declaration for every object type) -------------------------------------------


def _record_of(connection: Connection, object_type: str) -> Any:
    if object_type == "product":
        return _product(connection)["id"]
    if object_type == "organization":
        return _org(connection, f"Followed {uuid.uuid4().hex[:6]}")["id"]
    if object_type == "person":
        return _ok(run("addPerson", {"person": {"name": "Followed Fay"}}, connection))["id"]
    return _ok(run("addDeal", {"deal": {"title": "Followed deal"}}, connection))["id"]


@pytest.mark.parametrize("object_type", ["deal", "person", "organization", "product"])
def test_followers(connection: Connection, object_type: str) -> None:
    user = _ok(run("getCurrentUser", {}, connection))
    others = [u for u in _ok(run("getUsers", {}, connection)) if u["id"] != user["id"]]
    target = {"object_type": object_type, "id": _record_of(connection, object_type)}
    _ok(run("addFollower", {**target, "user_id": others[0]["id"]}, connection))
    followers = _ok(run("getFollowers", target, connection))
    assert others[0]["id"] in [f["user_id"] for f in followers]
    _ok(run("removeFollower", {**target, "user_id": others[0]["id"]}, connection))
    assert others[0]["id"] not in [f["user_id"] for f in _ok(run("getFollowers", target, connection))]


def test_remove_follower_who_does_not_follow(connection: Connection, api_version: str) -> None:
    target = {"object_type": "deal", "id": _record_of(connection, "deal"), "user_id": 987654}
    if api_version == "v1":  # v1 deletes by follower record: the lookup names the user
        with pytest.raises(ValidationError, match="987654"):
            run("removeFollower", target, connection)
    else:
        with pytest.raises(Exception) as caught:
            run("removeFollower", target, connection)
        assert "404" in str(caught.value) or "not" in str(caught.value).lower()


def test_deal_participants_and_duplicate(
    connection: Connection, deal: dict[str, Any], person: dict[str, Any]
) -> None:
    added = _ok(run("addDealParticipant", {"id": deal["id"], "person_id": person["id"]}, connection))
    assert _ref(added["person_id"]) == person["id"]
    participants = _ok(run("getDealParticipants", {"id": deal["id"]}, connection))
    assert person["id"] in [_ref(p["person_id"]) for p in participants]
    copy = _ok(run("duplicateDeal", {"id": deal["id"]}, connection))
    assert copy["id"] != deal["id"] and copy["title"].startswith(deal["title"])


# --- files ---------------------------------------------------------------------------------------


def test_file_upload_download_update_delete(
    connection: Connection, deal: dict[str, Any], tmp_path: Any
) -> None:
    payload = bytes(range(256)) * 40  # binary, not text
    local = tmp_path / "quote.bin"
    local.write_bytes(payload)
    uploaded = _ok(run("uploadFile", {"file_path": str(local), "deal_id": deal["id"]}, connection))
    assert (uploaded["deal_id"], uploaded["file_name"], uploaded["file_size"]) == (
        deal["id"],
        "quote.bin",
        len(payload),
    )
    encoded = base64.b64encode(b"hello, note").decode()
    note = _ok(run("addNote", {"note": {"content": "with a file", "deal_id": deal["id"]}}, connection))
    second = _ok(
        run(
            "uploadFile",
            {"content_base64": encoded, "file_name": "hello.txt", "note_id": note["id"]},
            connection,
        )
    )
    downloaded = _ok(run("downloadFile", {"id": uploaded["id"]}, connection))
    assert base64.b64decode(downloaded["content_base64"]) == payload and downloaded["size"] == len(payload)
    text = _ok(run("downloadFile", {"id": second["id"]}, connection))
    assert base64.b64decode(text["content_base64"]) == b"hello, note"
    assert _ok(run("getFile", {"id": second["id"]}, connection))["file_name"] == "hello.txt"
    renamed = _ok(
        run("updateFile", {"id": second["id"], "name": "Greeting", "description": "hi"}, connection)
    )
    assert renamed["name"] == "Greeting"
    assert {uploaded["id"], second["id"]} <= set(_ids(run("getFiles", {"limit": 500}, connection)))
    _ok(run("deleteFile", {"id": uploaded["id"]}, connection))
    assert uploaded["id"] not in _ids(run("getFiles", {"limit": 500}, connection))


@pytest.mark.anyio
async def test_file_round_trip_on_the_async_client(pipedrive_sandbox: Any) -> None:
    connection = Connection.api_key(pipedrive_sandbox.api_token, base_url=pipedrive_sandbox.base_url)
    deal = await component.arun("addDeal", {"deal": {"title": "Async files"}}, connection)
    encoded = base64.b64encode(b"\x00\xffasync").decode()
    uploaded = await component.arun(
        "uploadFile",
        {"content_base64": encoded, "file_name": "a.bin", "deal_id": deal["data"]["id"]},
        connection,
    )
    downloaded = await component.arun("downloadFile", {"id": uploaded["data"]["id"]}, connection)
    assert downloaded["data"]["content_base64"] == encoded


# --- leads ---------------------------------------------------------------------------------------


def test_convert_lead_to_deal_and_back(connection: Connection) -> None:
    lead = _ok(
        run(
            "addLead",
            {"lead": {"title": "Convert me", "organization_id": _org(connection, "Lead Org")["id"]}},
            connection,
        )
    )
    converted = _ok(run("convertLeadToDeal", {"id": lead["id"]}, connection))
    assert converted["status"] == "completed"
    deal_id = converted["deal_id"]
    assert _ok(run("getDealDetails", {"id": deal_id}, connection))["id"] == deal_id
    back = _ok(run("convertDealToLead", {"id": deal_id}, connection))
    assert back["status"] == "completed"
    assert _ok(run("getLeadDetails", {"id": back["lead_id"]}, connection))["id"] == back["lead_id"]


def test_lead_labels(connection: Connection) -> None:
    label = _ok(run("addLeadLabel", {"name": "Hot", "color": "red"}, connection))
    assert label["id"] in _ids(run("getLeadLabels", {}, connection))


# --- reference data ------------------------------------------------------------------------------


def test_reference_lists(connection: Connection) -> None:
    pipelines = _ok(run("getPipelines", {}, connection))
    assert pipelines
    stages = _ok(run("getStages", {"pipeline_id": pipelines[0]["id"]}, connection))
    assert stages and {s["pipeline_id"] for s in stages} == {pipelines[0]["id"]}
    me = _ok(run("getCurrentUser", {}, connection))
    assert me["id"] in _ids(run("getUsers", {}, connection))
    assert {t["key_string"] for t in _ok(run("getActivityTypes", {}, connection))} >= {"call", "meeting"}
    assert all(f["type"] == "deals" for f in _ok(run("getFilters", {"type": "deals"}, connection)))
    assert isinstance(_ok(run("getGoals", {}, connection)), list)


def test_call_logs(connection: Connection, deal: dict[str, Any]) -> None:
    log = _ok(
        run(
            "addCallLog",
            {
                "to_phone_number": "+3725550199",
                "outcome": "connected",
                "start_time": "2026-01-31 14:00:00",
                "end_time": "2026-01-31 14:05:00",
                "deal_id": deal["id"],
            },
            connection,
        )
    )
    assert log["id"] in _ids(run("getCallLogs", {"limit": 500}, connection))


def test_custom_api_call(connection: Connection, deal: dict[str, Any]) -> None:
    got = _ok(run("customApiCall", {"method": "GET", "path": f"/api/v2/deals/{deal['id']}"}, connection))
    assert got["title"] == deal["title"]
    patched = run(
        "customApiCall",
        {"method": "PATCH", "path": f"/api/v2/deals/{deal['id']}", "body": {"title": "Via custom"}},
        connection,
    )
    assert _ok(patched)["title"] == "Via custom"
    listed = _ok(
        run("customApiCall", {"method": "GET", "path": "/api/v2/deals", "query": {"limit": 1}}, connection)
    )
    assert len(listed) == 1


# --- invalid input is refused before any request -------------------------------------------------

LEAD = "adf21080-0e10-11eb-879b-05d71fb426ec"
INVALID: list[tuple[str, dict[str, Any], str]] = [
    ("getNotes", {"pinned": True}, "pinned"),
    ("getNotes", {"lead_id": "not-a-uuid"}, "lead_id"),
    ("addNote", {"note": {"content": "orphan"}}, "note"),
    ("addNote", {"note": {"deal_id": 1}}, "note.content"),
    ("getNote", {"id": 0}, "id"),
    ("updateNote", {"id": "x", "note": {"content": "a"}}, "id"),
    ("deleteNote", {}, "id"),
    ("getProducts", {"limit": 501}, "limit"),
    ("addProduct", {"product": {"code": "no name"}}, "product.name"),
    ("addProduct", {"product": {"name": "p", "prices": [{"price": 1}]}}, "product.prices[0].currency"),
    ("getProduct", {"id": -1}, "id"),
    ("updateProduct", {"id": 1, "product": {"tax": -3}}, "product.tax"),
    ("deleteProduct", {"id": True}, "id"),
    ("searchProducts", {"term": "a"}, "term"),
    ("getDealProducts", {}, "deal_id"),
    ("addProductToDeal", {"deal_id": 1, "product": {"product_id": 1, "quantity": 1}}, "product.item_price"),
    ("updateDealProduct", {"deal_id": 1, "product": {"quantity": 2}}, "product_attachment_id"),
    ("removeProductFromDeal", {"deal_id": 1, "product_attachment_id": "1/../2"}, "product_attachment_id"),
    ("duplicateDeal", {"id": "1 OR 1"}, "id"),
    ("mergeDeals", {"id": 1}, "merge_with_id"),
    ("getDealActivities", {"id": 1, "done": "maybe"}, "done"),
    ("getDealParticipants", {"id": 0}, "id"),
    ("addDealParticipant", {"id": 1}, "person_id"),
    ("moveDealToStage", {"id": 1}, "stage_id"),
    ("markDealWon", {"id": None}, "id"),
    ("markDealLost", {"id": 1, "lost_reason": 5}, "lost_reason"),
    ("mergePersons", {"id": 1, "merge_with_id": 0}, "merge_with_id"),
    ("mergeOrganizations", {"merge_with_id": 2}, "id"),
    ("findPersonByEmail", {}, "email"),
    ("findOrganizationByName", {"name": "x"}, "name"),
    ("upsertOrganization", {"organization": {"address": "no name"}}, "organization.name"),
    ("getFollowers", {"object_type": "lead", "id": 1}, "object_type"),
    ("addFollower", {"object_type": "deal", "id": 1}, "user_id"),
    ("removeFollower", {"object_type": "person", "id": "1/2", "user_id": 1}, "id"),
    ("convertLeadToDeal", {"id": 42}, "id"),
    ("convertDealToLead", {"id": LEAD}, "id"),
    ("getLeadLabels", {"color": "red"}, "color"),
    ("addLeadLabel", {"name": "Hot", "color": "pink"}, "color"),
    ("getPipelines", {"start": -1}, "start"),
    ("getStages", {"pipeline_id": "first"}, "pipeline_id"),
    ("getUsers", {"limit": 5}, "limit"),
    ("getCurrentUser", {"id": 1}, "id"),
    ("getActivityTypes", {"x": 1}, "x"),
    ("getFilters", {"type": "planets"}, "type"),
    ("getCallLogs", {"limit": 0}, "limit"),
    ("addCallLog", {"to_phone_number": "1", "outcome": "connected", "start_time": "x"}, "end_time"),
    ("getGoals", {"type": "deals_lost"}, "type"),
    ("uploadFile", {"deal_id": 1}, "file_path"),
    ("uploadFile", {"file_path": "/tmp/x", "content_base64": "aGk=", "deal_id": 1}, "file_path"),
    ("uploadFile", {"content_base64": "aGk=", "deal_id": 1}, "file_name"),
    ("uploadFile", {"content_base64": "not base64!", "file_name": "a", "deal_id": 1}, "content_base64"),
    ("uploadFile", {"content_base64": "aGk=", "file_name": "a"}, "deal_id"),
    ("uploadFile", {"file_path": "/nonexistent/h14/file", "deal_id": 1}, "file_path"),
    ("getFiles", {"include_deleted_files": "yes"}, "include_deleted_files"),
    ("getFile", {"id": "../1"}, "id"),
    ("downloadFile", {"id": 0}, "id"),
    ("updateFile", {"id": 1, "name": ""}, "name"),
    ("deleteFile", {"id": 1.5}, "id"),
    ("customApiCall", {"method": "GET", "path": "https://evil.example/v1/users"}, "path"),
    ("customApiCall", {"method": "GET", "path": "/v1/../../admin"}, "path"),
    ("customApiCall", {"method": "GET", "path": "/v1/%2e%2e/admin"}, "path"),
    ("customApiCall", {"method": "GET", "path": "v1/users"}, "path"),
    ("customApiCall", {"method": "TRACE", "path": "/v1/users"}, "method"),
    ("customApiCall", {"method": "DELETE", "path": "/v1/deals/1", "body": {"a": 1}}, "body"),
]


@pytest.mark.parametrize(("action", "inputs", "where"), INVALID, ids=[f"{a}-{w}" for a, _, w in INVALID])
def test_invalid_input_is_refused_before_any_request(
    connection: Connection, counter: CountingTransport, action: str, inputs: dict[str, Any], where: str
) -> None:
    with pytest.raises(ValidationError) as caught:
        run(action, inputs, connection)
    assert caught.value.property == where, caught.value
    assert counter.requests == []


def test_every_new_action_has_an_invalid_case() -> None:
    seed_era = {a.name for a in component.actions if not a.extra} | {
        "updateDeal", "updateLead", "updateOrganization", "updatePerson", "upsertPerson",
        "addActivity", "getActivity", "getActivities", "updateActivity", "deleteActivity",
    }  # fmt: skip
    covered = {action for action, _, _ in INVALID}
    assert {a.name for a in component.actions} - seed_era - covered == set()


def test_destructive_and_read_only_flags_are_in_the_manifest() -> None:
    entries: dict[str, dict[str, Any]] = {a["name"]: a for a in component.manifest()["actions"]}
    flagged: Callable[[str], set[str]] = lambda key: {n for n, a in entries.items() if a[key]}  # noqa: E731
    assert {"deleteNote", "deleteDeal", "mergeDeals", "removeProductFromDeal", "removeFollower"} <= flagged(
        "destructive"
    )
    assert {"getNotes", "getDeals", "searchProducts", "getCurrentUser", "findPersonByEmail"} <= flagged(
        "read_only"
    )
    assert flagged("destructive") & flagged("read_only") == set()
    for name in flagged("destructive"):
        assert name.startswith(("delete", "merge", "remove", "convertDeal", "customApiCall")), name


@pytest.mark.anyio
async def test_a_pause_in_a_flow_waits_without_blocking_the_event_loop(pipedrive_sandbox: Any) -> None:
    import time

    import anyio

    from pipedrive_connector.component.calls import Flow, adrive, pause, request

    def flow() -> Flow[dict[str, Any]]:
        yield from pause(0.2)
        body: dict[str, Any] = yield from request("GET", "/v1/users/me")
        return body

    ticks: list[float] = []

    async def ticker() -> None:
        for _ in range(5):
            ticks.append(time.monotonic())
            await anyio.sleep(0.02)

    connection = Connection.api_key(pipedrive_sandbox.api_token, base_url=pipedrive_sandbox.base_url)
    started = time.monotonic()
    async with connection.async_client() as client, anyio.create_task_group() as group:
        group.start_soon(ticker)
        me = await adrive(flow(), client)
    assert me["data"]["id"] and time.monotonic() - started >= 0.2
    assert len(ticks) == 5 and ticks[-1] - started < 0.2  # the loop ran while the flow paused
