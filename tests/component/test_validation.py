"""Validation happens before any request: errors name the property and what was expected."""

from __future__ import annotations

from typing import Any

import pytest
from component_helpers import CountingTransport

from pipedrive_connector.component import Component, Connection, ValidationError

BAD_INPUTS = [
    ("getDeals", {"limit": "ten"}, "limit", "integer"),
    ("getDeals", {"limit": 501}, "limit", "<= 500"),
    ("getDeals", {"status": "closed"}, "status", "'open'"),
    ("getDeals", {"owned_by_you": 2}, "owned_by_you", "one of"),
    ("getDeals", {"stauts": "open"}, "stauts", "unknown property"),
    ("getDeals", {"sort": "title ASC"}, "sort", "update_time"),
    ("addDeal", {"deal": {"value": 5}}, "deal.title", "required"),
    ("addDeal", {"deal": {"title": "A", "value": "lots"}}, "deal.value", "number"),
    (
        "addDeal",
        {"deal": {"title": "A", "expected_close_date": "31/12/2026"}},
        "deal.expected_close_date",
        "YYYY-MM-DD",
    ),
    ("addDeal", {}, "deal", "required"),
    ("searchDeals", {"term": "a"}, "term", "2 characters"),
    ("searchDeals", {}, "term", "required"),
    ("searchDeals", {"term": "ab", "exact_match": "yes"}, "exact_match", "true or false"),
    ("deleteDeal", {"id": "7"}, "id", "integer"),
    ("deleteDeal", {"id": 0}, "id", ">= 1"),
    ("getDealDetails", {}, "id", "required"),
    ("getLeads", {"archived_status": "gone"}, "archived_status", "'archived'"),
    ("getLeads", {"sort": "name"}, "sort", "'title'"),
    ("addLead", {"lead": {"title": "L", "value": {"amount": 5}}}, "lead.value.currency", "required"),
    ("addLead", {"lead": {"title": "L", "label_ids": "hot"}}, "lead.label_ids", "list"),
    ("deleteLead", {"id": 5}, "id", "string"),
    ("getLeadDetails", {"id": ""}, "id", "at least 1"),
    ("searchLeads", {"term": ""}, "term", "at least"),
    ("getOrganizations", {"first_char": 3}, "first_char", "string"),
    ("addOrganization", {"organization": {}}, "organization.name", "required"),
    ("searchOrganizations", {"term": "ab", "fields": "email"}, "fields", "'address'"),
    ("searchPersons", {"term": "ab", "fields": "name,title"}, "fields", "comma-separated list"),
    ("deleteOrganization", {"id": 1.5}, "id", "integer"),
    ("getOrganizationDetails", {"id": None}, "id", "required"),
    ("getPersons", {"start": -1}, "start", ">= 0"),
    (
        "addPerson",
        {"person": {"name": "P", "email": [{"primary": True}]}},
        "person.email[0].value",
        "required",
    ),
    (
        "addPerson",
        {"person": {"name": "P", "phone": [{"value": "1", "label": "fax"}]}},
        "person.phone[0].label",
        "'mobile'",
    ),
    ("searchPersons", {"term": "ab", "organization_id": "x"}, "organization_id", "integer"),
    ("deletePerson", {}, "id", "required"),
    ("getPersonDetails", {"id": True}, "id", "integer"),
    ("upsertPerson", {"person": {"name": "No Mail"}}, "person.email", "email"),
    ("addActivity", {"activity": {"subject": "S", "due_time": "25:00"}}, "activity.due_time", "HH:MM"),
]


@pytest.mark.parametrize(
    ("action", "inputs", "prop", "expected"), BAD_INPUTS, ids=[f"{a}-{p}" for a, _, p, _ in BAD_INPUTS]
)
def test_invalid_input_names_the_property_and_sends_nothing(
    pipedrive_sandbox: Any, counter: CountingTransport, action: str, inputs: dict, prop: str, expected: str
) -> None:
    connection = Connection.api_key(
        pipedrive_sandbox.api_token, base_url=pipedrive_sandbox.base_url, transport=counter
    )
    with pytest.raises(ValidationError) as caught:
        Component().run(action, inputs, connection)
    assert caught.value.property == prop
    assert expected in str(caught.value)
    assert str(caught.value).startswith(f"{prop}: ")
    assert counter.requests == []


def test_v1_mode_accepts_any_sort_field() -> None:
    assert (
        Component().validate("getDeals", {"sort": "title ASC, value DESC"}, "v1")["sort"]
        == "title ASC, value DESC"
    )


def test_a_flat_body_is_folded_into_the_request_object() -> None:
    assert Component().validate("addDeal", {"title": "Flat", "value": 3}) == {
        "deal": {"title": "Flat", "value": 3}
    }
    assert Component().validate("updateDeal", {"id": 4, "status": "won"}) == {
        "id": 4,
        "deal": {"status": "won"},
    }


def test_defaults_are_applied_and_nulls_dropped() -> None:
    cleaned = Component().validate("getDeals", {"user_id": None})
    assert cleaned == {"status": "all_not_deleted", "start": 0}


def test_unknown_action_suggests_names() -> None:
    from pipedrive_connector.component import UnknownActionError

    with pytest.raises(UnknownActionError, match="getDeals"):
        Component().action("getdeals")


def test_the_json_schema_matches_what_validation_enforces() -> None:
    schema = Component().manifest()["actions"][0]["input_schema"]
    assert schema["properties"]["limit"] == {
        "type": "integer",
        "title": "Limit",
        "description": schema["properties"]["limit"]["description"],
        "minimum": 1,
        "maximum": 500,
    }
    assert schema["properties"]["owned_by_you"]["enum"] == [0, 1]
    assert schema["additionalProperties"] is False
    add_deal = next(a for a in Component().manifest()["actions"] if a["name"] == "addDeal")
    assert add_deal["input_schema"]["required"] == ["deal"]
    assert add_deal["input_schema"]["properties"]["deal"]["required"] == ["title"]


def test_search_fields_take_a_comma_separated_list() -> None:
    assert (
        Component().validate("searchPersons", {"term": "ab", "fields": "name, email"})["fields"]
        == "name,email"
    )


def test_input_must_be_an_object() -> None:
    with pytest.raises(ValidationError) as caught:
        Component().validate("getDeals", [1, 2])  # type: ignore[arg-type]
    assert caught.value.property == "input" and "list" in str(caught.value)
