"""Custom fields by name: write (names → keys, labels → option ids), read back with labels, cache."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import pytest
from client_helpers import Either, Served

from pipedrive_connector.client import DateRange, Money, Usage, errors

pytestmark = pytest.mark.anyio


def field_key(sandbox: Served, name: str) -> str:
    for record in sandbox.state.store.all("dealField"):
        if record["name"] == name:
            return str(record["key"])
    raise AssertionError(f"the demo seed has no deal field {name!r}")


def option_id(sandbox: Served, name: str, label: str) -> int:
    for record in sandbox.state.store.all("dealField"):
        if record["name"] == name:
            return next(int(o["id"]) for o in record["options"] if o["label"] == label)
    raise AssertionError(name)


async def test_write_and_read_deal_custom_fields_by_name(pd: Either, sandbox: Served) -> None:
    deal = await pd.deals.add(
        title="Custom fields deal",
        currency="USD",
        custom_fields={
            "Budget": 5000,
            "Region": "EMEA",
            "Renewal date": date(2027, 3, 1),
            "Source note": "from the client test",
            "Score": 7.5,
            "Products of interest": [],
        },
    )
    stored = sandbox.state.store.get("deal", deal.id)["custom_fields"]
    assert stored[field_key(sandbox, "Budget")] == {"value": 5000, "currency": "USD"}
    assert stored[field_key(sandbox, "Region")] == option_id(sandbox, "Region", "EMEA")
    assert stored[field_key(sandbox, "Renewal date")] == "2027-03-01"
    assert stored[field_key(sandbox, "Source note")] == "from the client test"
    assert stored[field_key(sandbox, "Score")] == 7.5

    fetched = await pd.deals.get(deal.id)
    by_name = await pd.deals.custom_fields_by_name(fetched)
    assert by_name["Budget"] == Money(5000.0, "USD")
    assert by_name["Region"] == "EMEA"
    assert by_name["Renewal date"] == date(2027, 3, 1)
    assert by_name["Source note"] == "from the client test"
    assert by_name["Score"] == 7.5


async def test_monetary_without_currency_uses_the_users_default(pd: Either, sandbox: Served) -> None:
    deal = await pd.deals.add(title="Default currency", custom_fields={"Budget": 1200})
    stored = sandbox.state.store.get("deal", deal.id)["custom_fields"][field_key(sandbox, "Budget")]
    assert stored == {"value": 1200, "currency": (await pd.users.me()).default_currency}


async def test_update_by_name_and_clear_with_none(pd: Either, sandbox: Served) -> None:
    updated = await pd.deals.update(
        1, custom_fields={"Region": "apac", "Budget": Money(99, "EUR"), "Source note": None}
    )
    values = await pd.deals.custom_fields_by_name(updated)
    assert values["Region"] == "APAC"  # labels match case-insensitively
    assert values["Budget"] == Money(99.0, "EUR")
    assert "Source note" not in values
    assert sandbox.state.store.get("deal", 1)["custom_fields"].get(field_key(sandbox, "Source note")) is None


async def test_unknown_name_is_rejected_before_any_request(
    make_client: Callable[..., Either], sandbox: Served
) -> None:
    usages: list[Usage] = []
    pd = make_client(on_usage=usages.append)
    await pd.deals.field_map()  # warm the cache so that no request at all is expected below
    usages.clear()
    with pytest.raises(errors.UnknownCustomField) as caught:
        await pd.deals.add(title="Nope", custom_fields={"Budgett": 1})
    message = str(caught.value)
    assert "'Budgett'" in message
    for valid in ("Budget", "Region", "Renewal date", "Source note", "Score"):
        assert repr(valid) in message
    assert usages == []
    with pytest.raises(errors.UnknownCustomField, match=r"not an option of 'Region'.*'EMEA'"):
        await pd.deals.update(1, custom_fields={"Region": "Mars"})
    assert usages == []
    assert not [d for d in sandbox.state.store.all("deal") if d["title"] == "Nope"]


async def test_field_cache_is_reused_and_refreshable(make_client: Callable[..., Either]) -> None:
    usages: list[Usage] = []
    pd = make_client(on_usage=usages.append)
    fields = await pd.deals.field_map()
    assert {"Budget", "Region", "Renewal date", "Source note", "Score"} <= set(fields.names())
    await pd.deals.update(1, custom_fields={"Score": 1})
    await pd.deals.update(2, custom_fields={"Score": 2})
    assert [u.path for u in usages].count("/v1/dealFields") == 1
    await pd.deals.field_map(refresh=True)
    assert [u.path for u in usages].count("/v1/dealFields") == 2


async def test_a_rejected_write_drops_the_cached_definitions(
    make_client: Callable[..., Either], sandbox: Served
) -> None:
    usages: list[Usage] = []
    pd = make_client(on_usage=usages.append)
    await pd.deals.field_map()
    score = next(r for r in sandbox.state.store.all("dealField") if r["name"] == "Score")
    await pd.request("DELETE", f"/v1/dealFields/{score['id']}")  # deleted behind the cache's back
    with pytest.raises(errors.BadRequest):
        await pd.deals.update(1, custom_fields={"Score": 3})
    with pytest.raises(errors.UnknownCustomField, match="'Score'"):  # reloaded: Score is gone
        await pd.deals.update(1, custom_fields={"Score": 3})
    assert [u.path for u in usages].count("/v1/dealFields") == 2


async def test_lead_custom_fields_use_v1_root_keys(pd: Either, sandbox: Served) -> None:
    lead = await pd.leads.add(title="Lead with fields", organization_id=1, custom_fields={"Region": "AMER"})
    raw = (await pd.request("GET", f"/v1/leads/{lead.id}"))["data"]
    assert str(raw[field_key(sandbox, "Region")]) == str(option_id(sandbox, "Region", "AMER"))
    values = await pd.leads.custom_fields_by_name(await pd.leads.get(lead.id))
    assert values["Region"] == "AMER"


async def test_legacy_v1_deal_custom_fields(pd: Either, sandbox: Served) -> None:
    deal = await pd.deals.v1.add(title="v1 fields", custom_fields={"Budget": Money(10, "USD"), "Score": 2})
    values = await pd.deals.v1.custom_fields_by_name(await pd.deals.v1.get(deal.id))
    assert values["Budget"] == Money(10.0, "USD")
    assert values["Score"] == 2.0
    v2 = await pd.deals.custom_fields_by_name(await pd.deals.get(deal.id))
    assert v2["Budget"] == Money(10.0, "USD")


def test_value_decoding_for_sets_and_ranges() -> None:
    from pipedrive_connector.client.custom_fields import FieldMap
    from pipedrive_connector.client.models import FieldDefinition

    key_set, key_range = "a" * 40, "b" * 40
    fmap = FieldMap(
        "deal",
        [
            FieldDefinition(
                key=key_set,
                name="Tags",
                field_type="set",
                edit_flag=True,
                options=[{"id": 1, "label": "One"}, {"id": 2, "label": "Two"}],
            ),
            FieldDefinition(key=key_range, name="Period", field_type="daterange", edit_flag=True),
        ],
    )
    encoded = fmap.encode(
        {"Tags": ["Two", 1], "Period": DateRange(date(2027, 1, 1), date(2027, 2, 1))},
        style="v2",
        currency=None,
    )
    assert encoded == {key_set: [2, 1], key_range: {"value": "2027-01-01", "until": "2027-02-01"}}
    assert fmap.decode({"custom_fields": encoded}) == {
        "Tags": ["Two", "One"],
        "Period": DateRange(date(2027, 1, 1), date(2027, 2, 1)),
    }
    v1 = fmap.encode({"Tags": ["One", "Two"]}, style="v1", currency=None)
    assert v1 == {key_set: "1,2"}
    assert fmap.decode(v1) == {"Tags": ["One", "Two"]}


async def test_sets_enums_on_organizations_and_persons(pd: Either) -> None:
    deal = await pd.deals.update(2, custom_fields={"Products of interest": ["CRM", "support"]})
    assert (await pd.deals.custom_fields_by_name(deal))["Products of interest"] == ["CRM", "Support"]
    cleared = await pd.deals.update(2, custom_fields={"Products of interest": []})  # sent as null
    assert "Products of interest" not in await pd.deals.custom_fields_by_name(cleared)
    org = await pd.organizations.add(name="Tiered", custom_fields={"Tier": "Silver"})
    assert await pd.organizations.custom_fields_by_name(org) == {"Tier": "Silver"}
    person = await pd.persons.add(name="Linked", custom_fields={"LinkedIn profile": "https://l.in/x"})
    assert await pd.persons.custom_fields_by_name(person) == {"LinkedIn profile": "https://l.in/x"}


async def test_date_ranges_and_addresses_round_trip(pd: Either) -> None:
    for name, kind in (("Contract period", "daterange"), ("Site", "address")):
        await pd.request("POST", "/v1/dealFields", json={"name": name, "field_type": kind})
    await pd.deals.field_map(refresh=True)  # new fields: reload the definitions
    period = DateRange(date(2027, 1, 1), date(2027, 12, 31))
    deal = await pd.deals.add(
        title="Ranged", custom_fields={"Contract period": period, "Site": "Tallinn, Estonia"}
    )
    values = await pd.deals.custom_fields_by_name(await pd.deals.get(deal.id))
    assert values["Contract period"] == period
    assert values["Site"]["value"] == "Tallinn, Estonia"
    legacy = await pd.deals.v1.custom_fields_by_name(await pd.deals.v1.get(deal.id))
    assert legacy["Contract period"] == period
    assert legacy["Site"]["value"] == "Tallinn, Estonia"
