"""Resource classes for both clients, assembled from one-method mixins over ``ResourceOps``.

Each method only picks the operation (written once in ``_ops``) and hands it to the client's
``_run``; the sync mixins return values, the async twins return awaitables.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator, Mapping
from typing import Any, Generic, Protocol, TypeVar, cast

from pipedrive_connector.client._ops import Op, ResourceOps, me
from pipedrive_connector.client.custom_fields import FieldMap
from pipedrive_connector.client.models import (
    Currency,
    FieldDefinition,
    Lead,
    LeadLabel,
    PipedriveModel,
    SearchHit,
    User,
    Webhook,
)
from pipedrive_connector.client.pagination import AsyncPage, Page

M = TypeVar("M", bound=PipedriveModel)
L = TypeVar("L", bound=PipedriveModel)


class SyncRunner(Protocol):
    def _run(self, op: Op[Any]) -> Any: ...


class AsyncRunner(Protocol):
    async def _run(self, op: Op[Any]) -> Any: ...


class _BackedByGenerated:
    """A hand-made resource over the generated one of the same name (``pd.api.deals``), set by the
    client: an operation the hand-made class does not define is the generated one (``pd.deals.duplicate``)."""

    _generated_from: tuple[Any, str] | None = None  # (pd.api, name), looked up on first use

    @property
    def _generated(self) -> Any:
        """The generated resource of the same name (its module is imported the first time)."""
        source = self.__dict__.get("_generated_from")
        return None if source is None else getattr(*source)

    def __getattr__(self, name: str) -> Any:
        generated = None if name.startswith("__") else self._generated
        if generated is None:
            raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")
        return getattr(generated, name)


# -- sync ------------------------------------------------------------------------------------


class _Sync(_BackedByGenerated, Generic[M]):
    def __init__(self, runner: SyncRunner, ops: ResourceOps[M]) -> None:
        self._runner = runner
        self._ops = ops

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self._ops.spec.path}>"


class SyncList(_Sync[M]):
    def list(self, **params: Any) -> Page[M]:
        """The first page (``limit`` 500 unless given); ``page.next_page()`` for the next one."""
        return self._fetch_page(self._ops.first_params(params))

    def _fetch_page(self, params: dict[str, Any]) -> Page[M]:
        items, envelope, next_params = self._runner._run(self._ops.list_page(params))
        return Page(items, envelope, next_params, self._fetch_page)

    def pages(self, **params: Any) -> Iterator[Page[M]]:
        page: Page[M] | None = self.list(**params)
        while page is not None:
            yield page
            page = page.next_page()

    def iterate(self, **params: Any) -> Iterator[M]:
        """Every matching record, fetched page by page as you consume them (constant memory)."""
        next_params: dict[str, Any] | None = self._ops.first_params(params)
        while next_params is not None:
            items, envelope, next_params = self._runner._run(self._ops.list_page(next_params))
            del envelope
            yield from items
            # No page kept: its items die (once the caller drops them) before the next page is
            # decoded, instead of surviving into the collector's oldest generation, where a bulk read
            # paid full collections of the whole heap (0.15-0.25 s per 100,000 deals).
            del items


class SyncGet(_Sync[M]):
    def get(self, id: int | str, **params: Any) -> M:
        return cast(M, self._runner._run(self._ops.get(id, params)))


class SyncAdd(_Sync[M]):
    def add(self, *, custom_fields: Mapping[str, Any] | None = None, **fields: Any) -> M:
        """Create; ``custom_fields`` by name (``{"Budget": 5000, "Region": "EMEA"}``)."""
        return cast(M, self._runner._run(self._ops.add(fields, custom_fields)))


class SyncUpdate(_Sync[M]):
    def update(self, id: int | str, *, custom_fields: Mapping[str, Any] | None = None, **fields: Any) -> M:
        """Change only the given fields: ``UNSET`` leaves a field alone, ``None`` clears it."""
        return cast(M, self._runner._run(self._ops.update(id, fields, custom_fields)))


class SyncDelete(_Sync[M]):
    def delete(self, id: int | str) -> dict[str, Any]:
        return cast(dict[str, Any], self._runner._run(self._ops.delete(id)))


class SyncSearch(_Sync[M]):
    def search(self, term: str, **params: Any) -> Page[SearchHit]:
        return self._search_page(self._ops.first_search_params(term, params))

    def _search_page(self, params: dict[str, Any]) -> Page[SearchHit]:
        items, envelope, next_params = self._runner._run(self._ops.search_page(params))
        return Page(items, envelope, next_params, self._search_page)


class SyncCustomFields(_Sync[M]):
    def field_map(self, *, refresh: bool = False) -> FieldMap:
        """The custom-field definitions (cached per company; ``refresh=True`` reloads them)."""
        return cast(FieldMap, self._runner._run(self._ops.field_map(refresh)))

    def custom_fields_by_name(self, obj: Any) -> dict[str, Any]:
        """``{field name: value}`` of ``obj``'s custom fields, with option labels, Money, dates."""
        return cast(dict[str, Any], self._runner._run(self._ops.custom_fields_by_name(obj)))


class SyncLegacyEntity(
    SyncList[L], SyncGet[L], SyncAdd[L], SyncUpdate[L], SyncDelete[L], SyncCustomFields[L]
):
    """The deprecated API v1 endpoints of an entity (v1 shapes, offset pages, PUT updates)."""


class SyncEntity(
    SyncList[M],
    SyncGet[M],
    SyncAdd[M],
    SyncUpdate[M],
    SyncDelete[M],
    SyncSearch[M],
    SyncCustomFields[M],
    Generic[M, L],
):
    """An API v2 entity; ``.v1`` reaches its legacy v1 endpoints."""

    def __init__(self, runner: SyncRunner, ops: ResourceOps[M], legacy: ResourceOps[L]) -> None:
        super().__init__(runner, ops)
        self.v1: SyncLegacyEntity[L] = SyncLegacyEntity(runner, legacy)


class SyncLeads(
    SyncList[Lead],
    SyncGet[Lead],
    SyncAdd[Lead],
    SyncUpdate[Lead],
    SyncDelete[Lead],
    SyncSearch[Lead],
    SyncCustomFields[Lead],
):
    pass


class SyncCrud(SyncList[M], SyncGet[M], SyncAdd[M], SyncUpdate[M], SyncDelete[M]):
    pass


class SyncLeadLabels(SyncList[LeadLabel], SyncAdd[LeadLabel], SyncUpdate[LeadLabel], SyncDelete[LeadLabel]):
    pass


class SyncUsers(SyncList[User], SyncGet[User]):
    def me(self) -> User:
        """The user the credentials belong to, with company id, name and domain."""
        return cast(User, self._runner._run(me(self._ops.core)))


class SyncCurrencies(SyncList[Currency]):
    pass


class SyncFields(SyncList[FieldDefinition], SyncGet[FieldDefinition], SyncCustomFields[FieldDefinition]):
    pass


class SyncWebhooks(SyncList[Webhook], SyncAdd[Webhook], SyncDelete[Webhook]):
    pass


class SyncItemSearch(SyncSearch[SearchHit]):
    pass


# -- async -----------------------------------------------------------------------------------


class _Async(_BackedByGenerated, Generic[M]):
    def __init__(self, runner: AsyncRunner, ops: ResourceOps[M]) -> None:
        self._runner = runner
        self._ops = ops

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self._ops.spec.path}>"


class AsyncList(_Async[M]):
    async def list(self, **params: Any) -> AsyncPage[M]:
        return await self._fetch_page(self._ops.first_params(params))

    async def _fetch_page(self, params: dict[str, Any]) -> AsyncPage[M]:
        items, envelope, next_params = await self._runner._run(self._ops.list_page(params))
        return AsyncPage(items, envelope, next_params, self._fetch_page)

    async def pages(self, **params: Any) -> AsyncIterator[AsyncPage[M]]:
        page: AsyncPage[M] | None = await self.list(**params)
        while page is not None:
            yield page
            page = await page.next_page()

    async def iterate(self, **params: Any) -> AsyncIterator[M]:
        next_params: dict[str, Any] | None = self._ops.first_params(params)
        while next_params is not None:
            items, envelope, next_params = await self._runner._run(self._ops.list_page(next_params))
            del envelope
            for item in items:
                yield item
            del items  # as in the sync twin: the page's items die young


class AsyncGet(_Async[M]):
    async def get(self, id: int | str, **params: Any) -> M:
        return cast(M, await self._runner._run(self._ops.get(id, params)))


class AsyncAdd(_Async[M]):
    async def add(self, *, custom_fields: Mapping[str, Any] | None = None, **fields: Any) -> M:
        return cast(M, await self._runner._run(self._ops.add(fields, custom_fields)))


class AsyncUpdate(_Async[M]):
    async def update(
        self, id: int | str, *, custom_fields: Mapping[str, Any] | None = None, **fields: Any
    ) -> M:
        return cast(M, await self._runner._run(self._ops.update(id, fields, custom_fields)))


class AsyncDelete(_Async[M]):
    async def delete(self, id: int | str) -> dict[str, Any]:
        return cast(dict[str, Any], await self._runner._run(self._ops.delete(id)))


class AsyncSearch(_Async[M]):
    async def search(self, term: str, **params: Any) -> AsyncPage[SearchHit]:
        return await self._search_page(self._ops.first_search_params(term, params))

    async def _search_page(self, params: dict[str, Any]) -> AsyncPage[SearchHit]:
        items, envelope, next_params = await self._runner._run(self._ops.search_page(params))
        return AsyncPage(items, envelope, next_params, self._search_page)


class AsyncCustomFields(_Async[M]):
    async def field_map(self, *, refresh: bool = False) -> FieldMap:
        return cast(FieldMap, await self._runner._run(self._ops.field_map(refresh)))

    async def custom_fields_by_name(self, obj: Any) -> dict[str, Any]:
        return cast(dict[str, Any], await self._runner._run(self._ops.custom_fields_by_name(obj)))


class AsyncLegacyEntity(
    AsyncList[L], AsyncGet[L], AsyncAdd[L], AsyncUpdate[L], AsyncDelete[L], AsyncCustomFields[L]
):
    pass


class AsyncEntity(
    AsyncList[M],
    AsyncGet[M],
    AsyncAdd[M],
    AsyncUpdate[M],
    AsyncDelete[M],
    AsyncSearch[M],
    AsyncCustomFields[M],
    Generic[M, L],
):
    def __init__(self, runner: AsyncRunner, ops: ResourceOps[M], legacy: ResourceOps[L]) -> None:
        super().__init__(runner, ops)
        self.v1: AsyncLegacyEntity[L] = AsyncLegacyEntity(runner, legacy)


class AsyncLeads(
    AsyncList[Lead],
    AsyncGet[Lead],
    AsyncAdd[Lead],
    AsyncUpdate[Lead],
    AsyncDelete[Lead],
    AsyncSearch[Lead],
    AsyncCustomFields[Lead],
):
    pass


class AsyncCrud(AsyncList[M], AsyncGet[M], AsyncAdd[M], AsyncUpdate[M], AsyncDelete[M]):
    pass


class AsyncLeadLabels(
    AsyncList[LeadLabel], AsyncAdd[LeadLabel], AsyncUpdate[LeadLabel], AsyncDelete[LeadLabel]
):
    pass


class AsyncUsers(AsyncList[User], AsyncGet[User]):
    async def me(self) -> User:
        return cast(User, await self._runner._run(me(self._ops.core)))


class AsyncCurrencies(AsyncList[Currency]):
    pass


class AsyncFields(AsyncList[FieldDefinition], AsyncGet[FieldDefinition], AsyncCustomFields[FieldDefinition]):
    pass


class AsyncWebhooks(AsyncList[Webhook], AsyncAdd[Webhook], AsyncDelete[Webhook]):
    pass


class AsyncItemSearch(AsyncSearch[SearchHit]):
    pass
