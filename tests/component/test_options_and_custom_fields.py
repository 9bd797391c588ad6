"""Option loaders (every page, searchable) and custom fields by name, against the sandbox."""

from __future__ import annotations

import re
from typing import Any

import pytest
from component_helpers import CountingTransport

from pipedrive_connector.component import Component, Connection, ValidationError
from pipedrive_connector.component.calls import drive
from pipedrive_connector.component.paging import v1_all, v2_all

component = Component()
UUID = re.compile(r"^[0-9a-f-]{36}$")


def test_users_and_filters(connection: Connection) -> None:
    users = component.options("getDeals", "user_id", connection)
    assert len(users) >= 2 and users[0].value == 1 and isinstance(users[0].label, str)
    filters = component.options("getDeals", "filter_id", connection)
    assert filters and all(isinstance(o.value, int) for o in filters)


def test_stages_follow_the_pipeline(connection: Connection, pipedrive_sandbox: Any) -> None:
    pipelines = component.options("addDeal", "deal.pipeline_id", connection)
    assert len(pipelines) >= 2
    every_stage = component.options("addDeal", "deal.stage_id", connection)
    second = pipelines[1].value
    chosen = component.options("addDeal", "deal.stage_id", connection, inputs={"pipeline_id": second})
    assert chosen and len(chosen) < len(every_stage)
    with Connection.api_key(
        pipedrive_sandbox.api_token, base_url=pipedrive_sandbox.base_url
    ).client() as client:
        for option in chosen:
            stage = client.request("GET", f"/api/v2/stages/{option.value}")["data"]
            assert stage["pipeline_id"] == second


def test_lead_labels_and_currencies_by_code(connection: Connection) -> None:
    labels = component.options("addLead", "lead.label_ids", connection)
    assert {"Hot", "Warm", "Cold"} <= {o.label for o in labels}
    assert all(UUID.match(o.value) for o in labels)
    currencies = component.options("addLead", "lead.value.currency", connection)
    codes = {o.value for o in currencies}
    assert {"EUR", "USD"} <= codes
    assert all(re.fullmatch(r"[A-Z]{3}", code) for code in codes)
    euro = component.options("addDeal", "deal.currency", connection, search="euro")
    assert [o.value for o in euro] == ["EUR"]


def test_records_are_searchable_by_text(connection: Connection) -> None:
    everyone = component.options("addDeal", "deal.person_id", connection)
    some = component.options("addDeal", "deal.person_id", connection, search="an")
    assert some and len(some) < len(everyone)
    assert all("an" in o.label.lower() for o in some)
    deals = component.options("addActivity", "activity.deal_id", connection)
    assert deals and all(isinstance(o.value, int) and o.label for o in deals)
    leads = component.options("addActivity", "activity.lead_id", connection)
    assert leads and all(UUID.match(o.value) for o in leads)
    orgs = component.options("addDeal", "deal.org_id", connection)
    assert orgs and all(o.label for o in orgs)


def test_static_options_and_bad_properties(connection: Connection) -> None:
    assert [o.value for o in component.options("getDeals", "owned_by_you", connection)] == [0, 1]
    with pytest.raises(ValidationError, match="no such property"):
        component.options("getDeals", "nope", connection)
    with pytest.raises(ValidationError, match="has no options"):
        component.options("getDeals", "limit", connection)


def test_loaders_walk_every_page(pipedrive_sandbox: Any, counter: CountingTransport) -> None:
    """The paging loops, with tiny pages so that many pages are needed."""
    connection = Connection.api_key(
        pipedrive_sandbox.api_token, base_url=pipedrive_sandbox.base_url, transport=counter
    )
    with connection.client() as client:
        whole = client.request("GET", "/api/v2/persons", params={"limit": 500})["data"]
        small_pages = drive(v2_all("/api/v2/persons", max_page=2), client)
        assert [p["id"] for p in small_pages] == [p["id"] for p in whole]
        assert len(counter.requests) >= 1 + len(whole) // 2
        leads = client.request("GET", "/v1/leads", params={"limit": 500})["data"]
        paged = drive(v1_all("/v1/leads", {"limit": 2}), client)
        assert [lead["id"] for lead in paged] == [lead["id"] for lead in leads]


# --- custom fields -------------------------------------------------------------------------------

CUSTOM = {
    "Budget": 5000,
    "Region": "EMEA",
    "Renewal date": "2027-03-01",
    "Source note": "via API",
    "Score": 7.5,
}


def test_custom_fields_by_name_in_and_out(connection: Connection, api_version: str) -> None:
    deal = component.run(
        "addDeal", {"deal": {"title": "Custom", "currency": "EUR", "custom_fields": CUSTOM}}, connection
    )["data"]
    shown = deal["custom_fields"] if api_version == "v2" else deal
    assert shown["Region"] == "EMEA"
    assert shown["Renewal date"] == "2027-03-01"
    assert shown["Source note"] == "via API"
    assert float(shown["Score"]) == 7.5
    budget = shown["Budget"]
    if api_version == "v2":
        assert budget == {"value": 5000, "currency": "EUR"}
    else:
        assert float(budget) == 5000 and deal["Budget currency"] == "EUR"
    raw = component.run("getDealDetails", {"id": deal["id"]}, connection, raw_custom_fields=True)["data"]
    raw_fields = raw["custom_fields"] if api_version == "v2" else raw
    hashes = [key for key in raw_fields if re.fullmatch(r"[0-9a-f]{40}", key)]
    assert len(hashes) >= 5 and "Region" not in raw_fields


def test_custom_fields_update_by_name(connection: Connection, api_version: str) -> None:
    deal = component.run("addDeal", {"deal": {"title": "Custom 2"}}, connection)["data"]
    updated = component.run(
        "updateDeal", {"id": deal["id"], "deal": {"custom_fields": {"region": "APAC"}}}, connection
    )["data"]
    assert (updated["custom_fields"] if api_version == "v2" else updated)["Region"] == "APAC"


def test_unknown_custom_field_or_option_writes_nothing(
    pipedrive_sandbox: Any, counter: CountingTransport
) -> None:
    connection = Connection.api_key(
        pipedrive_sandbox.api_token, base_url=pipedrive_sandbox.base_url, transport=counter
    )
    with pytest.raises(ValidationError) as caught:
        component.run("addDeal", {"deal": {"title": "X", "custom_fields": {"Bugdet": 1}}}, connection)
    assert caught.value.property == "deal.custom_fields.Bugdet"
    assert "Budget" in str(caught.value)
    with pytest.raises(ValidationError) as caught:
        component.run("addDeal", {"deal": {"title": "X", "custom_fields": {"Region": "Mars"}}}, connection)
    assert caught.value.property == "deal.custom_fields.Region" and "EMEA" in str(caught.value)
    assert [r.method for r in counter.requests if r.method != "GET"] == []


async def _arun(pipedrive_sandbox: Any) -> dict[str, Any]:
    connection = Connection.api_key(pipedrive_sandbox.api_token, base_url=pipedrive_sandbox.base_url)
    added = await component.arun("addOrganization", {"organization": {"name": "Async Org"}}, connection)
    return await component.arun("getOrganizationDetails", {"id": added["data"]["id"]}, connection)


@pytest.mark.anyio
async def test_arun_runs_on_the_async_client(pipedrive_sandbox: Any) -> None:
    details = await _arun(pipedrive_sandbox)
    assert details["data"]["name"] == "Async Org"


@pytest.mark.anyio
async def test_arun_validates_first(pipedrive_sandbox: Any) -> None:
    connection = Connection.api_key(pipedrive_sandbox.api_token, base_url=pipedrive_sandbox.base_url)
    with pytest.raises(ValidationError) as caught:
        await component.arun("getDeals", {"limit": 0}, connection)
    assert caught.value.property == "limit"


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"
