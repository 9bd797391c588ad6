"""Resources: CRUD on v2 entities, legacy v1 shapes, v1-only resources, UNSET vs None (sync and async)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from client_helpers import Either, Served

from pipedrive_connector.client import UNSET, errors
from pipedrive_connector.client.models import (
    Activity,
    Currency,
    Deal,
    DealV1,
    FieldDefinition,
    Filter,
    Lead,
    LeadLabel,
    Organization,
    Person,
    PersonV1,
    Pipeline,
    SearchHit,
    Stage,
    User,
    ref_id,
)

pytestmark = pytest.mark.anyio


async def test_deal_crud_round_trip(pd: Either, sandbox: Served) -> None:
    created = await pd.deals.add(title="Client CRUD deal", value=1500, currency="USD", org_id=1)
    assert isinstance(created, Deal)
    assert created.title == "Client CRUD deal" and created.value == 1500 and created.currency == "USD"
    stored = sandbox.state.store.get("deal", created.id)
    assert stored is not None and stored["title"] == "Client CRUD deal"

    fetched = await pd.deals.get(created.id)
    assert fetched.id == created.id and fetched.org_id == 1

    updated = await pd.deals.update(created.id, title="Renamed deal", status="won")
    assert updated.title == "Renamed deal" and updated.status == "won"
    assert sandbox.state.store.get("deal", created.id)["title"] == "Renamed deal"

    deleted = await pd.deals.delete(created.id)
    assert deleted["id"] == created.id
    # Pipedrive deletes softly: the deal stays readable for 30 days, marked deleted.
    assert (await pd.deals.get(created.id)).is_deleted is True
    assert created.id not in {d.id async for d in pd.deals.iterate()}


async def test_update_unset_leaves_fields_and_none_clears_them(pd: Either, sandbox: Served) -> None:
    before = await pd.deals.get(1)
    assert before.expected_close_date is not None
    after = await pd.deals.update(1, title="Only the title", value=UNSET, expected_close_date=None)
    assert after.title == "Only the title"
    assert after.value == before.value  # UNSET: not sent
    assert after.expected_close_date is None  # None: sent as null
    assert sandbox.state.store.get("deal", 1)["expected_close_date"] is None


async def test_update_with_nothing_to_change_is_refused_before_sending(pd: Either) -> None:
    with pytest.raises(errors.ConfigurationError, match="nothing to change"):
        await pd.deals.update(1, title=UNSET)


async def test_persons_organizations_activities(pd: Either) -> None:
    org = await pd.organizations.add(name="Client Org")
    assert isinstance(org, Organization) and org.name == "Client Org"
    person = await pd.persons.add(
        name="Client Person", org_id=org.id, emails=[{"value": "cp@example.com", "primary": True}]
    )
    assert isinstance(person, Person) and person.org_id == org.id
    assert person.emails[0].value == "cp@example.com"
    activity = await pd.activities.add(subject="Call Client Person", type="call", person_id=person.id)
    assert isinstance(activity, Activity) and activity.subject == "Call Client Person"
    done = await pd.activities.update(activity.id, done=True)
    assert done.done is True
    ids = {p.id async for p in pd.persons.iterate()}
    assert person.id in ids
    await pd.activities.delete(activity.id)
    await pd.persons.delete(person.id)
    await pd.organizations.delete(org.id)


async def test_legacy_v1_shapes(pd: Either) -> None:
    deal = await pd.deals.v1.get(1)
    assert isinstance(deal, DealV1)
    v2 = await pd.deals.get(1)
    assert ref_id(deal.org_id) == v2.org_id
    assert ref_id(deal.user_id) == v2.owner_id
    person = (await pd.persons.v1.list(limit=1))[0]
    assert isinstance(person, PersonV1)


async def test_users_me_and_list(pd: Either) -> None:
    me = await pd.users.me()
    assert isinstance(me, User)
    assert me.id == 1 and me.company_domain == "sandbox"
    users = await pd.users.list()
    assert len(users) >= 2 and not users.has_next()
    assert (await pd.users.get(users[1].id)).id == users[1].id


async def test_pipelines_and_currencies(pd: Either) -> None:
    pipelines = [p async for p in pd.pipelines.iterate()]
    assert len(pipelines) >= 2 and all(isinstance(p, Pipeline) for p in pipelines)
    currencies = await pd.currencies.list()
    codes = {c.code for c in currencies}
    assert {"EUR", "USD"} <= codes
    assert all(isinstance(c, Currency) for c in currencies)


async def test_webhooks_add_list_delete(pd: Either, sandbox: Served) -> None:
    hook = await pd.webhooks.add(
        subscription_url="https://example.com/hook",
        event_action="create",
        event_object="deal",
        name="client test",
        http_auth_user="u",
        http_auth_password="webhook-pass-123",
    )
    assert hook.event_object == "deal"
    assert "webhook-pass-123" not in repr(hook)  # the Basic-auth password is a SecretStr
    listed = await pd.webhooks.list()
    assert hook.id in {h.id for h in listed}
    await pd.webhooks.delete(hook.id)
    assert hook.id not in {h.id for h in await pd.webhooks.list()}


async def test_invalid_ids_are_refused_before_sending(pd: Either) -> None:
    with pytest.raises(errors.ConfigurationError, match="invalid id"):
        await pd.deals.get("1/../../v1/users")
    with pytest.raises(errors.ConfigurationError, match="invalid id"):
        await pd.deals.get(True)


async def test_search_needs_a_term(pd: Either) -> None:
    with pytest.raises(errors.ConfigurationError, match="search term is empty"):
        await pd.deals.search("  ")


async def test_leads_v1_crud_and_v2_search(pd: Either, sandbox: Served) -> None:
    labels = await pd.lead_labels.list()
    hot = next(label for label in labels if label.name == "Hot")
    lead = await pd.leads.add(
        title="Zyxel lead", organization_id=1, label_ids=[hot.id], value={"amount": 300, "currency": "EUR"}
    )
    assert isinstance(lead, Lead) and isinstance(lead.id, str)
    assert lead.value is not None and lead.value.amount == 300
    assert lead.label_ids == [hot.id]
    changed = await pd.leads.update(lead.id, title="Zyxel lead 2", value=None)
    assert changed.title == "Zyxel lead 2" and changed.value is None
    assert lead.id in {each.id async for each in pd.leads.iterate(limit=2)}
    hits = await pd.leads.search("Zyxel")
    assert [hit.id for hit in hits] == [lead.id]
    assert hits[0].type == "lead"
    await pd.leads.delete(lead.id)
    with pytest.raises(errors.NotFound):
        await pd.leads.get(lead.id)


async def test_lead_labels_crud(pd: Either) -> None:
    label = await pd.lead_labels.add(name="Client label", color="green")
    assert isinstance(label, LeadLabel) and label.color == "green"
    renamed = await pd.lead_labels.update(label.id, name="Client label 2")
    assert renamed.name == "Client label 2"
    await pd.lead_labels.delete(label.id)
    assert label.id not in {each.id for each in await pd.lead_labels.list()}


async def test_search_entities_and_items(pd: Either) -> None:
    deals = await pd.deals.search("Acme")
    assert deals and all(hit.type == "deal" for hit in deals)
    assert all(isinstance(hit, SearchHit) and hit.result_score is not None for hit in deals)
    people = await pd.persons.search("Jane")
    assert any("Jane" in str(hit.item.get("name")) for hit in people)
    orgs = await pd.organizations.search("Acme")
    assert orgs[0].type == "organization"
    items = await pd.item_search.search("Acme", item_types="deal,organization")
    assert {hit.type for hit in items} <= {"deal", "organization"} and len(items) >= 2


async def test_stages_filters_and_fields(pd: Either) -> None:
    stages = [stage async for stage in pd.stages.iterate(pipeline_id=1)]
    assert stages and all(isinstance(s, Stage) and s.pipeline_id == 1 for s in stages)
    stage = await pd.stages.add(name="Client stage", pipeline_id=1)
    assert (await pd.stages.update(stage.id, name="Client stage 2")).name == "Client stage 2"
    filters = await pd.filters.list(type="deals")
    assert filters and all(isinstance(f, Filter) and f.type == "deals" for f in filters)
    assert (await pd.filters.get(filters[0].id)).name == filters[0].name
    deal_fields = [f async for f in pd.deal_fields.iterate()]
    assert {"Budget", "Region"} <= {f.name for f in deal_fields if f.is_custom}
    assert "title" in {f.key for f in deal_fields if not f.is_custom}
    person_fields = await pd.person_fields.list()
    assert all(isinstance(f, FieldDefinition) for f in person_fields)
    organization_fields = await pd.organization_fields.field_map()
    assert organization_fields.entity == "organization"


async def test_typed_params_dates_and_id_lists_reach_the_server(pd: Either, sandbox: Served) -> None:
    deal = await pd.deals.add(title="Dated deal", expected_close_date=date(2027, 5, 1), value=Decimal("12.5"))
    assert deal.expected_close_date == date(2027, 5, 1) and deal.value == 12.5
    since = datetime.now(UTC) - timedelta(minutes=5)
    recent = [d.id async for d in pd.deals.iterate(updated_since=since, sort_by="update_time")]
    assert deal.id in recent
    picked = await pd.deals.list(ids=[1, deal.id])
    assert {d.id for d in picked} == {1, deal.id}
