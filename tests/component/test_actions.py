"""Every action through ``Component.run`` against the sandbox, in API v2 mode and legacy v1 mode."""

from __future__ import annotations

from typing import Any

import pytest
from component_helpers import CountingTransport

from pipedrive_connector.component import Component, Connection

run = Component().run


def _ok(output: dict[str, Any]) -> Any:
    assert output["success"] is True
    return output["data"]


def _ids(output: dict[str, Any]) -> list[Any]:
    return [item["id"] for item in _ok(output)]


def _search_ids(output: dict[str, Any]) -> list[Any]:
    return [entry["item"]["id"] for entry in _ok(output)["items"]]


def _pagination(output: dict[str, Any]) -> dict[str, Any]:
    return output["additional_data"]["pagination"]


def _owner(entity: dict[str, Any]) -> Any:
    """v2 owner_id is an int; v1 user_id/owner_id is an expanded object whose ``value`` is the id."""
    owner = entity.get("owner_id", entity.get("user_id"))
    return owner.get("value", owner.get("id")) if isinstance(owner, dict) else owner


def _ref(value: Any) -> Any:
    return value.get("value") if isinstance(value, dict) else value


@pytest.fixture
def org(connection: Connection) -> dict[str, Any]:
    return _ok(run("addOrganization", {"organization": {"name": "Zyxwv Testing Org"}}, connection))


@pytest.fixture
def person(connection: Connection, org: dict[str, Any]) -> dict[str, Any]:
    body = {
        "name": "Quentin Qwerty",
        "org_id": org["id"],
        "email": [{"value": "quentin.qwerty@example.com", "primary": True, "label": "work"}],
        "phone": [{"value": "+3725550101", "primary": True, "label": "mobile"}],
    }
    return _ok(run("addPerson", {"person": body}, connection))


@pytest.fixture
def deal(connection: Connection, person: dict[str, Any], org: dict[str, Any]) -> dict[str, Any]:
    body = {
        "title": "Plumbus supply contract",
        "value": 1234.5,
        "currency": "EUR",
        "person_id": person["id"],
        "org_id": org["id"],
        "expected_close_date": "2027-01-31",
    }
    return _ok(run("addDeal", {"deal": body}, connection))


@pytest.fixture
def lead(connection: Connection, person: dict[str, Any]) -> dict[str, Any]:
    body = {"title": "Quantum lead", "person_id": person["id"], "value": {"amount": 999, "currency": "USD"}}
    return _ok(run("addLead", {"lead": body}, connection))


# --- deals ---------------------------------------------------------------------------------------


def test_get_deals_pages_with_start_and_limit(connection: Connection) -> None:
    first = run("getDeals", {"limit": 2}, connection)
    second = run("getDeals", {"start": 2, "limit": 2}, connection)
    four = run("getDeals", {"limit": 4}, connection)
    assert len(_ids(first)) == 2 and len(_ids(second)) == 2
    assert _ids(first) + _ids(second) == _ids(four)
    assert _pagination(first) == {"start": 0, "limit": 2, "more_items_in_collection": True, "next_start": 2}
    everything = run("getDeals", {"limit": 500}, connection)
    assert _pagination(everything)["more_items_in_collection"] is False
    assert len(_ids(everything)) >= 10


def test_get_deals_filters_by_status_and_owner(connection: Connection, deal: dict[str, Any]) -> None:
    run("updateDeal", {"id": deal["id"], "deal": {"status": "won"}}, connection)
    won = _ok(run("getDeals", {"status": "won", "limit": 500}, connection))
    assert deal["id"] in [d["id"] for d in won]
    assert {d["status"] for d in won} == {"won"}
    open_ids = _ids(run("getDeals", {"status": "open", "limit": 500}, connection))
    assert deal["id"] not in open_ids
    mine = _ok(run("getDeals", {"owned_by_you": 1, "limit": 500}, connection))
    assert mine and {_owner(d) for d in mine} == {1}


def test_get_deals_sorted(connection: Connection) -> None:
    newest_first = _ids(run("getDeals", {"sort": "id DESC", "limit": 500}, connection))
    assert newest_first == sorted(newest_first, reverse=True)


def test_add_deal_and_get_its_details(connection: Connection, deal: dict[str, Any], person: dict) -> None:
    assert deal["title"] == "Plumbus supply contract"
    assert float(deal["value"]) == 1234.5 and deal["currency"] == "EUR"
    assert _ref(deal["person_id"]) == person["id"]
    details = _ok(run("getDealDetails", {"id": deal["id"]}, connection))
    assert details["id"] == deal["id"]
    assert details["title"] == "Plumbus supply contract"
    assert details["expected_close_date"] == "2027-01-31"


def test_search_deals(connection: Connection, deal: dict[str, Any]) -> None:
    found = run("searchDeals", {"term": "Plumbus", "fields": "title"}, connection)
    assert deal["id"] in _search_ids(found)
    assert "pagination" in found["additional_data"]
    both = run("searchDeals", {"term": "Plumbus", "fields": "notes, title"}, connection)
    assert deal["id"] in _search_ids(both)
    notes_only = run("searchDeals", {"term": "Plumbus", "fields": "notes"}, connection)
    assert deal["id"] not in _search_ids(notes_only)
    exact = run("searchDeals", {"term": "plumbus supply contract", "exact_match": True}, connection)
    assert _search_ids(exact) == [deal["id"]]
    none = run("searchDeals", {"term": "Plumbus", "status": "lost"}, connection)
    assert deal["id"] not in _search_ids(none)


def test_delete_deal(connection: Connection, deal: dict[str, Any]) -> None:
    output = run("deleteDeal", {"id": deal["id"]}, connection)
    assert _ok(output) == {"id": deal["id"]}
    assert deal["id"] not in _ids(run("getDeals", {"limit": 500}, connection))


def test_update_deal(connection: Connection, deal: dict[str, Any]) -> None:
    updated = _ok(
        run("updateDeal", {"id": deal["id"], "deal": {"title": "Plumbus v2", "value": 10}}, connection)
    )
    assert updated["title"] == "Plumbus v2" and float(updated["value"]) == 10
    assert _ok(run("getDealDetails", {"id": deal["id"]}, connection))["title"] == "Plumbus v2"


# --- leads ---------------------------------------------------------------------------------------


def test_add_lead_get_and_list(connection: Connection, lead: dict[str, Any], person: dict) -> None:
    assert lead["title"] == "Quantum lead"
    assert lead["value"] == {"amount": 999, "currency": "USD"}
    assert lead["person_id"] == person["id"]
    details = _ok(run("getLeadDetails", {"id": lead["id"]}, connection))
    assert details["id"] == lead["id"] and details["title"] == "Quantum lead"
    listed = run("getLeads", {"limit": 500}, connection)
    assert lead["id"] in _ids(listed)
    assert _pagination(listed)["more_items_in_collection"] is False
    mine = _ok(run("getLeads", {"person_id": person["id"]}, connection))
    assert [item["id"] for item in mine] == [lead["id"]]


def test_get_leads_pages(connection: Connection) -> None:
    first = run("getLeads", {"limit": 2}, connection)
    second = run("getLeads", {"limit": 2, "start": 2}, connection)
    assert _ids(first) + _ids(second) == _ids(run("getLeads", {"limit": 4}, connection))
    assert _pagination(first)["more_items_in_collection"] is True


def test_search_and_delete_lead(connection: Connection, lead: dict[str, Any]) -> None:
    assert lead["id"] in _search_ids(run("searchLeads", {"term": "Quantum"}, connection))
    assert _ok(run("deleteLead", {"id": lead["id"]}, connection)) == {"id": lead["id"]}
    assert lead["id"] not in _ids(run("getLeads", {"limit": 500}, connection))


def test_update_lead(connection: Connection, lead: dict[str, Any]) -> None:
    updated = _ok(run("updateLead", {"id": lead["id"], "lead": {"title": "Quantum lead 2"}}, connection))
    assert updated["title"] == "Quantum lead 2"


def test_add_lead_with_labels_from_the_loader(connection: Connection, person: dict[str, Any]) -> None:
    labels = Component().options("addLead", "lead.label_ids", connection)
    hot = next(o.value for o in labels if o.label == "Hot")
    lead = _ok(
        run(
            "addLead",
            {"lead": {"title": "Hot one", "person_id": person["id"], "label_ids": [hot]}},
            connection,
        )
    )
    assert lead["label_ids"] == [hot]


# --- organizations -------------------------------------------------------------------------------


def test_organizations(connection: Connection, org: dict[str, Any]) -> None:
    assert org["name"] == "Zyxwv Testing Org"
    details = _ok(run("getOrganizationDetails", {"id": org["id"]}, connection))
    assert details["name"] == "Zyxwv Testing Org"
    assert org["id"] in _ids(run("getOrganizations", {"limit": 500}, connection))
    by_letter = _ok(run("getOrganizations", {"first_char": "z", "limit": 500}, connection))
    assert org["id"] in [o["id"] for o in by_letter]
    assert all(o["name"].lower().startswith("z") for o in by_letter)
    assert org["id"] in _search_ids(run("searchOrganizations", {"term": "Zyxwv"}, connection))
    renamed = _ok(
        run("updateOrganization", {"id": org["id"], "organization": {"name": "Zyxwv Two"}}, connection)
    )
    assert renamed["name"] == "Zyxwv Two"
    assert _ok(run("deleteOrganization", {"id": org["id"]}, connection)) == {"id": org["id"]}
    assert org["id"] not in _ids(run("getOrganizations", {"limit": 500}, connection))


def test_organizations_page(connection: Connection) -> None:
    first, second = (run("getOrganizations", {"limit": 3, "start": s}, connection) for s in (0, 3))
    assert _ids(first) + _ids(second) == _ids(run("getOrganizations", {"limit": 6}, connection))


# --- persons -------------------------------------------------------------------------------------


def test_persons(connection: Connection, person: dict[str, Any], org: dict[str, Any]) -> None:
    assert person["name"] == "Quentin Qwerty"
    assert _ref(person["org_id"]) == org["id"]
    details = _ok(run("getPersonDetails", {"id": person["id"]}, connection))
    emails = details.get("emails") or details.get("email")
    assert emails[0]["value"] == "quentin.qwerty@example.com"
    assert person["id"] in _ids(run("getPersons", {"limit": 500}, connection))
    by_letter = _ok(run("getPersons", {"first_char": "Q", "limit": 500}, connection))
    assert person["id"] in [p["id"] for p in by_letter]
    found = run("searchPersons", {"term": "quentin.qwerty@example.com", "fields": "email"}, connection)
    assert _search_ids(found) == [person["id"]]
    in_org = run("searchPersons", {"term": "Quentin", "organization_id": org["id"]}, connection)
    assert person["id"] in _search_ids(in_org)
    renamed = _ok(run("updatePerson", {"id": person["id"], "person": {"name": "Quentin Q"}}, connection))
    assert renamed["name"] == "Quentin Q"
    assert _ok(run("deletePerson", {"id": person["id"]}, connection)) == {"id": person["id"]}
    assert person["id"] not in _ids(run("getPersons", {"limit": 500}, connection))


def test_upsert_person_updates_by_email_then_creates(connection: Connection, person: dict[str, Any]) -> None:
    same = {"name": "Quentin Renamed", "email": [{"value": "quentin.qwerty@example.com"}]}
    updated = run("upsertPerson", {"person": same}, connection)
    assert updated["additional_data"]["created"] is False
    assert updated["data"]["id"] == person["id"] and updated["data"]["name"] == "Quentin Renamed"
    new = {"name": "Nova Newperson", "email": [{"value": "nova.newperson@example.com"}]}
    created = run("upsertPerson", {"person": new}, connection)
    assert created["additional_data"]["created"] is True
    assert created["data"]["id"] != person["id"]


# --- activities ----------------------------------------------------------------------------------


def test_activities(connection: Connection, deal: dict[str, Any]) -> None:
    added = _ok(
        run(
            "addActivity",
            {
                "activity": {
                    "subject": "Call about plumbus",
                    "type": "call",
                    "due_date": "2027-02-01",
                    "deal_id": deal["id"],
                }
            },
            connection,
        )
    )
    assert added["subject"] == "Call about plumbus"
    assert _ok(run("getActivity", {"id": added["id"]}, connection))["deal_id"] == deal["id"]
    assert added["id"] in _ids(run("getActivities", {"limit": 500}, connection))
    done = _ok(run("updateActivity", {"id": added["id"], "activity": {"done": True}}, connection))
    assert done["done"] in (True, 1)
    assert _ok(run("deleteActivity", {"id": added["id"]}, connection)) == {"id": added["id"]}


# --- the connection ------------------------------------------------------------------------------


def test_connection_test_reports_the_user(connection: Connection) -> None:
    result = connection.test()
    assert result.user_id == 1
    assert result.message == f"connected as {result.name} (company sandbox)"


def test_token_in_the_query_string(pipedrive_sandbox: Any, counter: CountingTransport) -> None:
    connection = Connection.api_key(
        pipedrive_sandbox.api_token, add_to="query", base_url=pipedrive_sandbox.base_url, transport=counter
    )
    assert _ok(run("getDeals", {"limit": 1}, connection))
    assert "api_token=" in str(counter.requests[-1].url)
    assert "x-api-token" not in counter.requests[-1].headers


def test_a_wrong_token_is_a_client_error(pipedrive_sandbox: Any) -> None:
    from pipedrive_connector.client.errors import Unauthorized

    connection = Connection.api_key("wrong-token", base_url=pipedrive_sandbox.base_url)
    with pytest.raises(Unauthorized) as caught:
        run("getDeals", {}, connection)
    assert "wrong-token" not in str(caught.value)


def test_v2_pages_reuse_cursors(pipedrive_sandbox: Any, counter: CountingTransport) -> None:
    connection = Connection.api_key(
        pipedrive_sandbox.api_token, base_url=pipedrive_sandbox.base_url, transport=counter
    )
    for start in (0, 2, 4):
        run("getPersons", {"start": start, "limit": 2}, connection)
    paths = [r.url.path for r in counter.requests]
    assert paths.count("/api/v2/persons") == 3  # each page resumes from the cached cursor


def test_get_leads_by_archived_status(
    connection: Connection, lead: dict[str, Any], pipedrive_sandbox: Any
) -> None:
    with Connection.api_key(
        pipedrive_sandbox.api_token, base_url=pipedrive_sandbox.base_url
    ).client() as client:
        client.request("PATCH", f"/v1/leads/{lead['id']}", json={"is_archived": True})
    archived = _ids(run("getLeads", {"archived_status": "archived", "limit": 500}, connection))
    current = _ids(run("getLeads", {"limit": 500}, connection))
    every = _ids(run("getLeads", {"archived_status": "all", "limit": 500}, connection))
    assert lead["id"] in archived and lead["id"] not in current
    assert sorted(every, key=str) == sorted(current + archived, key=str)
    assert _ids(run("getLeads", {"archived_status": "not_archived", "limit": 500}, connection)) == current
    window = run("getLeads", {"archived_status": "all", "start": 1, "limit": 2}, connection)
    assert _ids(window) == every[1:3]
    assert _pagination(window)["more_items_in_collection"] is (len(every) > 3)


def test_v2_pages_stay_right_after_a_delete(pipedrive_sandbox: Any) -> None:
    connection = Connection.api_key(pipedrive_sandbox.api_token, base_url=pipedrive_sandbox.base_url)
    first = _ids(run("getPersons", {"limit": 2}, connection))
    run("getPersons", {"start": 2, "limit": 2}, connection)  # remembers the cursor at position 4
    run("deletePerson", {"id": first[0]}, connection)
    after = _ids(run("getPersons", {"start": 2, "limit": 2}, connection))
    fresh = Connection.api_key(pipedrive_sandbox.api_token, base_url=pipedrive_sandbox.base_url)
    assert after == _ids(run("getPersons", {"start": 2, "limit": 2}, fresh))
