"""The resource attributes of ``Pipedrive`` and ``AsyncPipedrive``, built from one catalog."""

from __future__ import annotations

from typing import Any, cast

from pipedrive_connector.client import _catalog as catalog
from pipedrive_connector.client._core import ClientCore
from pipedrive_connector.client._ops import ResourceOps, ResourceSpec
from pipedrive_connector.client._resources import (
    AsyncCrud,
    AsyncCurrencies,
    AsyncFields,
    AsyncItemSearch,
    AsyncLeadLabels,
    AsyncRunner,
    AsyncUsers,
    AsyncWebhooks,
    SyncCrud,
    SyncCurrencies,
    SyncFields,
    SyncItemSearch,
    SyncLeadLabels,
    SyncRunner,
    SyncUsers,
    SyncWebhooks,
)
from pipedrive_connector.client._typed import (
    AsyncActivities,
    AsyncDeals,
    AsyncLeads,
    AsyncOrganizations,
    AsyncPersons,
    SyncActivities,
    SyncDeals,
    SyncLeads,
    SyncOrganizations,
    SyncPersons,
)
from pipedrive_connector.client.generated import (
    AsyncGeneratedApi,
    AsyncGeneratedResources,
    GeneratedApi,
    GeneratedResources,
)
from pipedrive_connector.client.models import Filter, Pipeline, Stage


def _attach_generated(client: Any, api: Any) -> None:
    """The hand-made resources fall back on ``pd.api.<name>`` (looked up on first use, so the
    generated module is imported only then); ``pd.notes`` etc. come from ``GeneratedResources``."""
    for name in catalog.HAND_MADE_RESOURCES:
        getattr(client, name)._generated_from = (api, name)


class SyncResources(GeneratedResources):
    """The resource attributes of ``Pipedrive``."""

    def __init__(self, core: ClientCore, field_cache_ttl: float) -> None:
        def ops(spec: ResourceSpec[Any]) -> ResourceOps[Any]:
            return ResourceOps(core, spec, field_cache_ttl)

        runner = cast(SyncRunner, self)
        self.deals = SyncDeals(runner, ops(catalog.DEALS), ops(catalog.DEALS_V1))
        self.persons = SyncPersons(runner, ops(catalog.PERSONS), ops(catalog.PERSONS_V1))
        self.organizations = SyncOrganizations(
            runner, ops(catalog.ORGANIZATIONS), ops(catalog.ORGANIZATIONS_V1)
        )
        self.activities = SyncActivities(runner, ops(catalog.ACTIVITIES), ops(catalog.ACTIVITIES_V1))
        self.leads = SyncLeads(runner, ops(catalog.LEADS))
        self.lead_labels = SyncLeadLabels(runner, ops(catalog.LEAD_LABELS))
        self.users = SyncUsers(runner, ops(catalog.USERS))
        self.pipelines: SyncCrud[Pipeline] = SyncCrud(runner, ops(catalog.PIPELINES))
        self.stages: SyncCrud[Stage] = SyncCrud(runner, ops(catalog.STAGES))
        self.filters: SyncCrud[Filter] = SyncCrud(runner, ops(catalog.FILTERS))
        self.currencies = SyncCurrencies(runner, ops(catalog.CURRENCIES))
        self.deal_fields = SyncFields(runner, ops(catalog.DEAL_FIELDS))
        self.person_fields = SyncFields(runner, ops(catalog.PERSON_FIELDS))
        self.organization_fields = SyncFields(runner, ops(catalog.ORGANIZATION_FIELDS))
        self.webhooks = SyncWebhooks(runner, ops(catalog.WEBHOOKS))
        self.item_search = SyncItemSearch(runner, ops(catalog.ITEM_SEARCH))
        self.api = GeneratedApi(runner)
        _attach_generated(self, self.api)


class AsyncResources(AsyncGeneratedResources):
    """The resource attributes of ``AsyncPipedrive``."""

    def __init__(self, core: ClientCore, field_cache_ttl: float) -> None:
        def ops(spec: ResourceSpec[Any]) -> ResourceOps[Any]:
            return ResourceOps(core, spec, field_cache_ttl)

        runner = cast(AsyncRunner, self)
        self.deals = AsyncDeals(runner, ops(catalog.DEALS), ops(catalog.DEALS_V1))
        self.persons = AsyncPersons(runner, ops(catalog.PERSONS), ops(catalog.PERSONS_V1))
        self.organizations = AsyncOrganizations(
            runner, ops(catalog.ORGANIZATIONS), ops(catalog.ORGANIZATIONS_V1)
        )
        self.activities = AsyncActivities(runner, ops(catalog.ACTIVITIES), ops(catalog.ACTIVITIES_V1))
        self.leads = AsyncLeads(runner, ops(catalog.LEADS))
        self.lead_labels = AsyncLeadLabels(runner, ops(catalog.LEAD_LABELS))
        self.users = AsyncUsers(runner, ops(catalog.USERS))
        self.pipelines: AsyncCrud[Pipeline] = AsyncCrud(runner, ops(catalog.PIPELINES))
        self.stages: AsyncCrud[Stage] = AsyncCrud(runner, ops(catalog.STAGES))
        self.filters: AsyncCrud[Filter] = AsyncCrud(runner, ops(catalog.FILTERS))
        self.currencies = AsyncCurrencies(runner, ops(catalog.CURRENCIES))
        self.deal_fields = AsyncFields(runner, ops(catalog.DEAL_FIELDS))
        self.person_fields = AsyncFields(runner, ops(catalog.PERSON_FIELDS))
        self.organization_fields = AsyncFields(runner, ops(catalog.ORGANIZATION_FIELDS))
        self.webhooks = AsyncWebhooks(runner, ops(catalog.WEBHOOKS))
        self.item_search = AsyncItemSearch(runner, ops(catalog.ITEM_SEARCH))
        self.api = AsyncGeneratedApi(runner)
        _attach_generated(self, self.api)
