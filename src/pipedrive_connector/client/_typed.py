"""Resource classes with typed keyword arguments (``params.py``) for the main entities.

They only narrow the signatures of the generic mixins in ``_resources`` (hence the ``override``
ignores: accepting fewer keywords than ``**Any`` is deliberate) and delegate to them unchanged.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator, Mapping
from typing import Any, Unpack

from pipedrive_connector.client._resources import AsyncEntity, SyncEntity
from pipedrive_connector.client._resources import AsyncLeads as _AsyncLeadsBase
from pipedrive_connector.client._resources import SyncLeads as _SyncLeadsBase
from pipedrive_connector.client.models import (
    Activity,
    ActivityV1,
    Deal,
    DealV1,
    Lead,
    Organization,
    OrganizationV1,
    Person,
    PersonV1,
)
from pipedrive_connector.client.pagination import AsyncPage, Page
from pipedrive_connector.client.params import (
    ActivityFields,
    ActivityListParams,
    DealFields,
    DealListParams,
    LeadFields,
    LeadListParams,
    OrganizationFields,
    OrganizationListParams,
    PersonFields,
    PersonListParams,
)

CustomFields = Mapping[str, Any] | None


class SyncDeals(SyncEntity[Deal, DealV1]):
    def list(self, **params: Unpack[DealListParams]) -> Page[Deal]:  # type: ignore[override]
        return super().list(**params)

    def pages(self, **params: Unpack[DealListParams]) -> Iterator[Page[Deal]]:  # type: ignore[override]
        return super().pages(**params)

    def iterate(self, **params: Unpack[DealListParams]) -> Iterator[Deal]:  # type: ignore[override]
        return super().iterate(**params)

    def add(  # type: ignore[override]
        self, *, custom_fields: CustomFields = None, **fields: Unpack[DealFields]
    ) -> Deal:
        return super().add(custom_fields=custom_fields, **fields)

    def update(  # type: ignore[override]
        self, id: int, *, custom_fields: CustomFields = None, **fields: Unpack[DealFields]
    ) -> Deal:
        return super().update(id, custom_fields=custom_fields, **fields)


class AsyncDeals(AsyncEntity[Deal, DealV1]):
    async def list(self, **params: Unpack[DealListParams]) -> AsyncPage[Deal]:  # type: ignore[override]
        return await super().list(**params)

    def pages(self, **params: Unpack[DealListParams]) -> AsyncIterator[AsyncPage[Deal]]:  # type: ignore[override]
        return super().pages(**params)

    def iterate(self, **params: Unpack[DealListParams]) -> AsyncIterator[Deal]:  # type: ignore[override]
        return super().iterate(**params)

    async def add(  # type: ignore[override]
        self, *, custom_fields: CustomFields = None, **fields: Unpack[DealFields]
    ) -> Deal:
        return await super().add(custom_fields=custom_fields, **fields)

    async def update(  # type: ignore[override]
        self, id: int, *, custom_fields: CustomFields = None, **fields: Unpack[DealFields]
    ) -> Deal:
        return await super().update(id, custom_fields=custom_fields, **fields)


class SyncPersons(SyncEntity[Person, PersonV1]):
    def list(self, **params: Unpack[PersonListParams]) -> Page[Person]:  # type: ignore[override]
        return super().list(**params)

    def pages(self, **params: Unpack[PersonListParams]) -> Iterator[Page[Person]]:  # type: ignore[override]
        return super().pages(**params)

    def iterate(self, **params: Unpack[PersonListParams]) -> Iterator[Person]:  # type: ignore[override]
        return super().iterate(**params)

    def add(  # type: ignore[override]
        self, *, custom_fields: CustomFields = None, **fields: Unpack[PersonFields]
    ) -> Person:
        return super().add(custom_fields=custom_fields, **fields)

    def update(  # type: ignore[override]
        self, id: int, *, custom_fields: CustomFields = None, **fields: Unpack[PersonFields]
    ) -> Person:
        return super().update(id, custom_fields=custom_fields, **fields)


class AsyncPersons(AsyncEntity[Person, PersonV1]):
    async def list(self, **params: Unpack[PersonListParams]) -> AsyncPage[Person]:  # type: ignore[override]
        return await super().list(**params)

    def pages(self, **params: Unpack[PersonListParams]) -> AsyncIterator[AsyncPage[Person]]:  # type: ignore[override]
        return super().pages(**params)

    def iterate(self, **params: Unpack[PersonListParams]) -> AsyncIterator[Person]:  # type: ignore[override]
        return super().iterate(**params)

    async def add(  # type: ignore[override]
        self, *, custom_fields: CustomFields = None, **fields: Unpack[PersonFields]
    ) -> Person:
        return await super().add(custom_fields=custom_fields, **fields)

    async def update(  # type: ignore[override]
        self, id: int, *, custom_fields: CustomFields = None, **fields: Unpack[PersonFields]
    ) -> Person:
        return await super().update(id, custom_fields=custom_fields, **fields)


class SyncOrganizations(SyncEntity[Organization, OrganizationV1]):
    def list(self, **params: Unpack[OrganizationListParams]) -> Page[Organization]:  # type: ignore[override]
        return super().list(**params)

    def pages(self, **params: Unpack[OrganizationListParams]) -> Iterator[Page[Organization]]:  # type: ignore[override]
        return super().pages(**params)

    def iterate(self, **params: Unpack[OrganizationListParams]) -> Iterator[Organization]:  # type: ignore[override]
        return super().iterate(**params)

    def add(  # type: ignore[override]
        self, *, custom_fields: CustomFields = None, **fields: Unpack[OrganizationFields]
    ) -> Organization:
        return super().add(custom_fields=custom_fields, **fields)

    def update(  # type: ignore[override]
        self, id: int, *, custom_fields: CustomFields = None, **fields: Unpack[OrganizationFields]
    ) -> Organization:
        return super().update(id, custom_fields=custom_fields, **fields)


class AsyncOrganizations(AsyncEntity[Organization, OrganizationV1]):
    async def list(self, **params: Unpack[OrganizationListParams]) -> AsyncPage[Organization]:  # type: ignore[override]
        return await super().list(**params)

    def pages(self, **params: Unpack[OrganizationListParams]) -> AsyncIterator[AsyncPage[Organization]]:  # type: ignore[override]
        return super().pages(**params)

    def iterate(self, **params: Unpack[OrganizationListParams]) -> AsyncIterator[Organization]:  # type: ignore[override]
        return super().iterate(**params)

    async def add(  # type: ignore[override]
        self, *, custom_fields: CustomFields = None, **fields: Unpack[OrganizationFields]
    ) -> Organization:
        return await super().add(custom_fields=custom_fields, **fields)

    async def update(  # type: ignore[override]
        self, id: int, *, custom_fields: CustomFields = None, **fields: Unpack[OrganizationFields]
    ) -> Organization:
        return await super().update(id, custom_fields=custom_fields, **fields)


class SyncActivities(SyncEntity[Activity, ActivityV1]):
    def list(self, **params: Unpack[ActivityListParams]) -> Page[Activity]:  # type: ignore[override]
        return super().list(**params)

    def pages(self, **params: Unpack[ActivityListParams]) -> Iterator[Page[Activity]]:  # type: ignore[override]
        return super().pages(**params)

    def iterate(self, **params: Unpack[ActivityListParams]) -> Iterator[Activity]:  # type: ignore[override]
        return super().iterate(**params)

    def add(  # type: ignore[override]
        self, *, custom_fields: CustomFields = None, **fields: Unpack[ActivityFields]
    ) -> Activity:
        return super().add(custom_fields=custom_fields, **fields)

    def update(  # type: ignore[override]
        self, id: int, *, custom_fields: CustomFields = None, **fields: Unpack[ActivityFields]
    ) -> Activity:
        return super().update(id, custom_fields=custom_fields, **fields)


class AsyncActivities(AsyncEntity[Activity, ActivityV1]):
    async def list(self, **params: Unpack[ActivityListParams]) -> AsyncPage[Activity]:  # type: ignore[override]
        return await super().list(**params)

    def pages(self, **params: Unpack[ActivityListParams]) -> AsyncIterator[AsyncPage[Activity]]:  # type: ignore[override]
        return super().pages(**params)

    def iterate(self, **params: Unpack[ActivityListParams]) -> AsyncIterator[Activity]:  # type: ignore[override]
        return super().iterate(**params)

    async def add(  # type: ignore[override]
        self, *, custom_fields: CustomFields = None, **fields: Unpack[ActivityFields]
    ) -> Activity:
        return await super().add(custom_fields=custom_fields, **fields)

    async def update(  # type: ignore[override]
        self, id: int, *, custom_fields: CustomFields = None, **fields: Unpack[ActivityFields]
    ) -> Activity:
        return await super().update(id, custom_fields=custom_fields, **fields)


class SyncLeads(_SyncLeadsBase):
    def list(self, **params: Unpack[LeadListParams]) -> Page[Lead]:  # type: ignore[override]
        return super().list(**params)

    def pages(self, **params: Unpack[LeadListParams]) -> Iterator[Page[Lead]]:  # type: ignore[override]
        return super().pages(**params)

    def iterate(self, **params: Unpack[LeadListParams]) -> Iterator[Lead]:  # type: ignore[override]
        return super().iterate(**params)

    def add(  # type: ignore[override]
        self, *, custom_fields: CustomFields = None, **fields: Unpack[LeadFields]
    ) -> Lead:
        return super().add(custom_fields=custom_fields, **fields)

    def update(  # type: ignore[override]
        self, id: str, *, custom_fields: CustomFields = None, **fields: Unpack[LeadFields]
    ) -> Lead:
        return super().update(id, custom_fields=custom_fields, **fields)


class AsyncLeads(_AsyncLeadsBase):
    async def list(self, **params: Unpack[LeadListParams]) -> AsyncPage[Lead]:  # type: ignore[override]
        return await super().list(**params)

    def pages(self, **params: Unpack[LeadListParams]) -> AsyncIterator[AsyncPage[Lead]]:  # type: ignore[override]
        return super().pages(**params)

    def iterate(self, **params: Unpack[LeadListParams]) -> AsyncIterator[Lead]:  # type: ignore[override]
        return super().iterate(**params)

    async def add(  # type: ignore[override]
        self, *, custom_fields: CustomFields = None, **fields: Unpack[LeadFields]
    ) -> Lead:
        return await super().add(custom_fields=custom_fields, **fields)

    async def update(  # type: ignore[override]
        self, id: str, *, custom_fields: CustomFields = None, **fields: Unpack[LeadFields]
    ) -> Lead:
        return await super().update(id, custom_fields=custom_fields, **fields)
