"""Outputs against the seed's sample outputs: the same envelope keys and kinds, in both API modes."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from seed_doc import parse_seed, sample_shape, seed_path

from pipedrive_connector.component import Component, Connection

component = Component()
SEED = {
    item.title: sample_shape(item.sample) for item in parse_seed(seed_path().read_text("utf-8"))["Actions"]
}

INPUTS: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {
    "getDeals": lambda r: {"limit": 3},
    "addDeal": lambda r: {"deal": {"title": "Shape deal"}},
    "searchDeals": lambda r: {"term": "Shape test deal"},
    "deleteDeal": lambda r: {"id": r["deal"]},
    "getDealDetails": lambda r: {"id": r["deal"]},
    "getLeads": lambda r: {"limit": 3},
    "addLead": lambda r: {"lead": {"title": "Shape lead", "person_id": r["person"]}},
    "deleteLead": lambda r: {"id": r["lead"]},
    "getLeadDetails": lambda r: {"id": r["lead"]},
    "searchLeads": lambda r: {"term": "Shape test lead"},
    "getOrganizations": lambda r: {"limit": 3},
    "addOrganization": lambda r: {"organization": {"name": "Shape org"}},
    "searchOrganizations": lambda r: {"term": "Shape test org"},
    "deleteOrganization": lambda r: {"id": r["org"]},
    "getOrganizationDetails": lambda r: {"id": r["org"]},
    "getPersons": lambda r: {"limit": 3},
    "addPerson": lambda r: {"person": {"name": "Shape person"}},
    "searchPersons": lambda r: {"term": "Shape test person"},
    "deletePerson": lambda r: {"id": r["person"]},
    "getPersonDetails": lambda r: {"id": r["person"]},
}
# API v2 has no related_objects.
NOT_IN_V2 = {"related_objects"}


@pytest.fixture
def records(pipedrive_sandbox: Any) -> dict[str, Any]:
    connection = Connection.api_key(pipedrive_sandbox.api_token, base_url=pipedrive_sandbox.base_url)
    org = component.run("addOrganization", {"organization": {"name": "Shape test org"}}, connection)["data"]
    person = component.run("addPerson", {"person": {"name": "Shape test person"}}, connection)["data"]
    deal = component.run("addDeal", {"deal": {"title": "Shape test deal"}}, connection)["data"]
    lead = component.run(
        "addLead", {"lead": {"title": "Shape test lead", "person_id": person["id"]}}, connection
    )["data"]
    return {"org": org["id"], "person": person["id"], "deal": deal["id"], "lead": lead["id"]}


def test_every_seed_action_has_a_case() -> None:
    assert {a.name for a in component.actions if not a.extra} == set(INPUTS)


@pytest.mark.parametrize("name", list(INPUTS))
def test_output_has_the_seed_envelope(
    name: str, connection: Connection, api_version: str, records: dict[str, Any]
) -> None:
    action = component.action(name)
    expected = SEED[action.title]
    output = component.run(name, INPUTS[name](records), connection)
    wanted = set(expected)
    if api_version == "v2":
        wanted -= NOT_IN_V2
    assert wanted <= set(output), f"{name}: missing {wanted - set(output)}"
    assert output["success"] is True and isinstance(output["additional_data"], dict)
    kind = "list" if isinstance(output["data"], list) else "object"
    assert kind == expected["data"]
    if "additional_data" in expected and isinstance(output["data"], list):
        assert set(output["additional_data"]["pagination"]) >= {"start", "limit", "more_items_in_collection"}
    if action.name.startswith("search"):
        assert isinstance(output["data"]["items"], list) and output["data"]["items"]
