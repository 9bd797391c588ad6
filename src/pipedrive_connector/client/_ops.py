"""Resource operations written once for both clients, as generators ("sans-I/O").

An operation yields ``RequestSpec``s and receives the response envelopes back; the sync client
drives it with ``Pipedrive._run`` and the async one with ``AsyncPipedrive._run``. Errors raised by a
request are thrown into the generator, so an operation can react (the custom-field cache is dropped
when Pipedrive rejects a write that carried custom fields).
"""

from __future__ import annotations

from collections.abc import Generator, Mapping
from dataclasses import dataclass, field
from typing import Any, Generic, Literal, TypeVar

from pipedrive_connector.client._core import ClientCore
from pipedrive_connector.client._lazy import lazy_items
from pipedrive_connector.client._types import drop_unset
from pipedrive_connector.client.custom_fields import FIELD_CACHE, FieldMap, Style
from pipedrive_connector.client.errors import (
    BadRequest,
    ConfigurationError,
    PipedriveError,
    UnprocessableEntity,
)
from pipedrive_connector.client.models import FieldDefinition, PipedriveModel, SearchHit, User
from pipedrive_connector.client.pagination import DEFAULT_PAGE_SIZE, Paging, next_page_params
from pipedrive_connector.client.paths import build_path, entity_id, lead_id

M = TypeVar("M", bound=PipedriveModel)
T = TypeVar("T")
UpdateMethod = Literal["PATCH", "PUT"]


@dataclass(frozen=True)
class RequestSpec:
    method: str
    path: str
    params: dict[str, Any] | None = None
    json: Any = None
    idempotent: bool | None = None
    data: Any = None  # form fields of a multipart upload
    files: Any = None  # httpx ``files=``


Op = Generator[RequestSpec, dict[str, Any], T]
PageResult = tuple[list[T], dict[str, Any], dict[str, Any] | None]


@dataclass(frozen=True)
class ResourceSpec(Generic[M]):
    """How one Pipedrive resource is served: path, model, pagination, verbs, custom fields."""

    name: str
    path: str
    model: type[M]
    paging: Paging = "cursor"
    page_size: int | None = DEFAULT_PAGE_SIZE
    update_method: UpdateMethod = "PATCH"
    search_path: str | None = None
    search_paging: Paging = "cursor"
    search_page_size: int = 100
    # Entity whose fields endpoint (/v1/{entity}Fields) defines this resource's custom fields.
    fields_entity: str | None = None
    custom_fields_style: Style = "v2"
    # Leads and lead labels have UUID ids; every other resource positive integers.
    id_kind: Literal["integer", "uuid"] = "integer"
    extra: dict[str, Any] = field(default_factory=dict)


def _parse_item(model: type[M], envelope: dict[str, Any]) -> M:
    data = envelope.get("data")
    if isinstance(data, list) and len(data) == 1:  # some v1 endpoints wrap one object in a list
        data = data[0]
    if not isinstance(data, Mapping):
        raise PipedriveError(f"expected an object in the response, got {type(data).__name__}", body=envelope)
    return model.model_validate(data)


def items_of(envelope: dict[str, Any]) -> list[Any]:
    data = envelope.get("data")
    if data is None:
        return []
    if isinstance(data, Mapping) and isinstance(data.get("items"), list):  # search responses
        return list(data["items"])
    if isinstance(data, list):
        return data
    raise PipedriveError(f"expected a list in the response, got {type(data).__name__}", body=envelope)


class ResourceOps(Generic[M]):
    """The operations of one resource on one client core."""

    def __init__(self, core: ClientCore, spec: ResourceSpec[M], field_cache_ttl: float) -> None:
        self.core = core
        self.spec = spec
        self.field_cache_ttl = field_cache_ttl

    # -- reading ------------------------------------------------------------------------------

    def first_params(self, params: dict[str, Any]) -> dict[str, Any]:
        out = dict(params)
        if self.spec.paging != "none" and self.spec.page_size and "limit" not in out:
            out["limit"] = self.spec.page_size
        return out

    def list_page(self, params: dict[str, Any]) -> Op[PageResult[M]]:
        envelope = yield RequestSpec("GET", self.spec.path, params=params)
        raw = items_of(envelope)
        # Validated when first used beyond their plain fields (see _lazy): a page costs its decoding.
        items = lazy_items(self.spec.model, raw, lenient=False)
        return items, envelope, next_page_params(params, envelope, self.spec.paging, len(raw))

    def get(self, object_id: int | str, params: dict[str, Any] | None = None) -> Op[M]:
        envelope = yield RequestSpec("GET", self._item_path(object_id), params=params or None)
        return _parse_item(self.spec.model, envelope)

    def first_search_params(self, term: str, params: dict[str, Any]) -> dict[str, Any]:
        if not isinstance(term, str) or not term.strip():
            raise ConfigurationError("search term is empty")
        out = {"term": term, **params}
        out.setdefault("limit", self.spec.search_page_size)
        return out

    def search_page(self, params: dict[str, Any]) -> Op[PageResult[SearchHit]]:
        if not self.spec.search_path:
            raise ConfigurationError(f"{self.spec.name} cannot be searched")
        envelope = yield RequestSpec("GET", self.spec.search_path, params=params)
        raw = items_of(envelope)
        hits = [SearchHit.model_validate(item) for item in raw]
        return hits, envelope, next_page_params(params, envelope, self.spec.search_paging, len(raw))

    # -- writing ------------------------------------------------------------------------------

    def add(self, fields: dict[str, Any], custom_fields: Mapping[str, Any] | None) -> Op[M]:
        body = yield from self._body(fields, custom_fields)
        try:
            envelope = yield RequestSpec("POST", self.spec.path, json=body)
        except (BadRequest, UnprocessableEntity):
            self._forget_fields_if(custom_fields)
            raise
        return _parse_item(self.spec.model, envelope)

    def update(
        self, object_id: int | str, fields: dict[str, Any], custom_fields: Mapping[str, Any] | None
    ) -> Op[M]:
        body = yield from self._body(fields, custom_fields)
        if not body:
            raise ConfigurationError(f"update of {self.spec.name} {object_id}: nothing to change")
        try:
            envelope = yield RequestSpec(self.spec.update_method, self._item_path(object_id), json=body)
        except (BadRequest, UnprocessableEntity):
            self._forget_fields_if(custom_fields)
            raise
        return _parse_item(self.spec.model, envelope)

    def delete(self, object_id: int | str) -> Op[dict[str, Any]]:
        envelope = yield RequestSpec("DELETE", self._item_path(object_id))
        data = envelope.get("data")
        return dict(data) if isinstance(data, Mapping) else {"id": object_id}

    # -- custom fields ------------------------------------------------------------------------

    def field_map(self, refresh: bool = False) -> Op[FieldMap]:
        entity = self.spec.fields_entity
        if entity is None:
            raise ConfigurationError(f"{self.spec.name} have no custom fields")
        return (yield from load_field_map(self.core, entity, self.field_cache_ttl, refresh=refresh))

    def custom_fields_by_name(self, entity: Any) -> Op[dict[str, Any]]:
        fmap = yield from self.field_map()
        return fmap.decode(entity)

    def _body(self, fields: dict[str, Any], custom_fields: Mapping[str, Any] | None) -> Op[dict[str, Any]]:
        body = drop_unset(dict(fields))
        if not custom_fields:
            return body
        if not isinstance(custom_fields, Mapping):
            raise ConfigurationError("custom_fields must be a mapping of field name to value")
        fmap = yield from self.field_map()
        currency = body.get("currency") if isinstance(body.get("currency"), str) else None
        if currency is None and fmap.needs_currency(custom_fields):
            currency = yield from default_currency(self.core)
        encoded = fmap.encode(custom_fields, style=self.spec.custom_fields_style, currency=currency)
        if self.spec.custom_fields_style == "v2":
            existing = body.get("custom_fields")
            body["custom_fields"] = {**(existing if isinstance(existing, Mapping) else {}), **encoded}
        else:
            body.update(encoded)
        return body

    def _forget_fields_if(self, custom_fields: Mapping[str, Any] | None) -> None:
        if custom_fields and self.spec.fields_entity:
            FIELD_CACHE.invalidate(company_key(self.core), self.spec.fields_entity)

    def _item_path(self, object_id: int | str) -> str:
        checked = lead_id(object_id) if self.spec.id_kind == "uuid" else entity_id(object_id)
        return build_path(f"{self.spec.path}/{{id}}", id=checked)


def company_key(core: ClientCore) -> str:
    return f"{core.base_url}|{core.resolved.credential_key}"


def load_field_map(core: ClientCore, entity: str, ttl: float, *, refresh: bool = False) -> Op[FieldMap]:
    company = company_key(core)
    if not refresh:
        cached = FIELD_CACHE.get(company, entity, ttl)
        if cached is not None:
            return cached
    definitions: list[FieldDefinition] = []
    params: dict[str, Any] | None = {"start": 0, "limit": DEFAULT_PAGE_SIZE}
    while params is not None:
        envelope = yield RequestSpec("GET", f"/v1/{entity}Fields", params=params)
        raw = items_of(envelope)
        definitions.extend(FieldDefinition.model_validate(item) for item in raw)
        params = next_page_params(params, envelope, "offset", len(raw))
    fmap = FieldMap(entity, definitions)
    FIELD_CACHE.put(company, fmap)
    return fmap


def default_currency(core: ClientCore) -> Op[str | None]:
    company = company_key(core)
    cached = FIELD_CACHE.default_currency(company)
    if cached:
        return cached
    envelope = yield RequestSpec("GET", "/v1/users/me")
    me = _parse_item(User, envelope)
    if me.default_currency:
        FIELD_CACHE.set_default_currency(company, me.default_currency)
    return me.default_currency


def me(core: ClientCore) -> Op[User]:
    envelope = yield RequestSpec("GET", "/v1/users/me")
    return _parse_item(User, envelope)
