"""Ids go into request paths only as what they are: a UUID for leads, a positive integer otherwise.

Before the fix ``deleteLead`` with ``../../api/v2/deals/3`` deleted deal 3 (httpx folds the dot
segments) and ``getLeadDetails`` with ``../users/me`` returned the admin user.
"""

from __future__ import annotations

from typing import Any

import pytest
from component_helpers import AsyncCountingTransport, CountingTransport

from pipedrive_connector.client import Pipedrive
from pipedrive_connector.component import Component, Connection, ValidationError
from pipedrive_connector.component.actions.deals import DEALS
from pipedrive_connector.component.actions.flows import delete_item, get_item, write_item
from pipedrive_connector.component.actions.leads import LEADS
from pipedrive_connector.component.calls import drive

TRAVERSALS = [
    ("deleteLead", {"id": "../../api/v2/deals/3"}),
    ("deleteLead", {"id": "..%2F..%2Fapi%2Fv2%2Fdeals%2F3"}),
    ("getLeadDetails", {"id": "../users/me"}),
    ("getLeadDetails", {"id": "398aaec8-02a2-5848-945b-a66f9fe1fb41/../../users/me"}),
    ("updateLead", {"id": "../../api/v2/deals/3", "lead": {"title": "pwned"}}),
    ("deleteDeal", {"id": "3/../../../v1/users/me"}),
    ("getPersonDetails", {"id": "1?x=../"}),
    ("updateOrganization", {"id": "1/../2", "organization": {"name": "x"}}),
    ("deleteActivity", {"id": -3}),
]


def _deal_3(sandbox: Any) -> dict[str, Any]:
    with Pipedrive(api_token=sandbox.api_token, base_url=sandbox.base_url) as pd:
        return pd.request("GET", "/api/v2/deals/3")["data"]  # type: ignore[no-any-return]


@pytest.mark.parametrize(("action", "inputs"), TRAVERSALS, ids=[f"{a}-{i['id']}" for a, i in TRAVERSALS])
def test_a_traversal_id_is_an_input_error_and_sends_nothing(
    pipedrive_sandbox: Any,
    connection: Connection,
    counter: CountingTransport,
    action: str,
    inputs: dict[str, Any],
) -> None:
    with pytest.raises(ValidationError) as caught:
        Component().run(action, inputs, connection)
    assert caught.value.property == "id"
    assert counter.requests == []
    assert _deal_3(pipedrive_sandbox)["title"] == "Globex analytics pilot"


def test_lead_ids_must_be_uuids_and_are_canonicalised(pipedrive_sandbox: Any, connection: Connection) -> None:
    with pytest.raises(ValidationError, match="expected a UUID") as caught:
        Component().validate("getLeadDetails", {"id": "users"})
    assert caught.value.property == "id"
    lead = "398AAEC8-02A2-5848-945B-A66F9FE1FB41"
    output = Component().run("getLeadDetails", {"id": lead}, connection)
    assert output["data"]["id"] == lead.lower()
    deleted = Component().run("deleteLead", {"id": lead}, connection)
    assert deleted["data"]["id"] == lead.lower()


def test_the_manifest_publishes_the_uuid_format() -> None:
    delete_lead = next(a for a in Component().manifest()["actions"] if a["name"] == "deleteLead")
    assert delete_lead["input_schema"]["properties"]["id"]["format"] == "uuid"
    assert delete_lead["properties"][0]["format"] == "uuid"


@pytest.mark.parametrize(
    "flow",
    [
        lambda ctx: get_item(ctx, LEADS, "../users/me"),
        lambda ctx: delete_item(ctx, LEADS, "../../api/v2/deals/3"),
        lambda ctx: delete_item(ctx, DEALS, "3/../4"),
        lambda ctx: delete_item(ctx, DEALS, True),
        lambda ctx: write_item(ctx, DEALS, {"title": "x"}, None, "deal", item_id="../../v1/users/me"),
    ],
    ids=["get-lead", "delete-lead", "delete-deal", "delete-deal-bool", "update-deal"],
)
def test_the_flows_check_ids_even_without_validation(
    pipedrive_sandbox: Any, connection: Connection, counter: CountingTransport, flow: Any
) -> None:
    """Actions that take an id from elsewhere (an upsert's search result) get the same check."""
    with connection.client() as client, pytest.raises(ValidationError) as caught:
        drive(flow(connection.context()), client)
    assert caught.value.property == "id"
    assert counter.requests == []
    assert _deal_3(pipedrive_sandbox)["title"] == "Globex analytics pilot"


@pytest.mark.anyio
async def test_arun_refuses_the_traversal_too(pipedrive_sandbox: Any) -> None:
    transport = AsyncCountingTransport()
    connection = Connection.api_key(
        pipedrive_sandbox.api_token, base_url=pipedrive_sandbox.base_url, transport=transport
    )
    with pytest.raises(ValidationError) as caught:
        await Component().arun("deleteLead", {"id": "../../api/v2/deals/3"}, connection)
    assert caught.value.property == "id"
    assert transport.requests == []
    assert _deal_3(pipedrive_sandbox)["title"] == "Globex analytics pilot"
