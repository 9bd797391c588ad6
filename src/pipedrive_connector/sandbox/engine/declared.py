"""Declared entities: a plain Pipedrive entity is one ``Declaration``; code only where Pipedrive has rules.

How to serve the next entity (see ``resources/notes.py`` and ``resources/products.py``):

1. Make sure ``data/spec_operations.json`` lists its operations (``python
   scripts/extract_spec_operations.py ../shared/pipedrive`` regenerates it from the specs).
2. Write a ``Declaration``: the store ``kind``, its ``label`` (for "<Label> not found"), the
   ``webhook`` object name (``None`` if Pipedrive emits none; add the name to
   ``contracts.EntityName`` first), the v1 and/or v2 collection paths with the operations each
   serves (``list``, ``get``, ``add``, ``update`` — v1 PUT / v2 PATCH —, ``delete``, ``search``),
   ``refs`` (body field → kind that must exist: ``{"deal_id": "deal"}``; an id list field checks
   each id), list ``filters`` (query parameter → ``Filter``), ``v2_sort`` fields, ``v1_cursor``
   (v1 lists paged by cursor, as projects and tasks are) and a ``searchable``
   (``resources.search.Searchable``: what ``{path}/search`` and ``itemSearch`` match and the hit's
   shape). Nested resources (comments of a
   note) name their ``parent`` and ``item_param`` (the spec's name of the item's path parameter);
   ``id_type`` is ``int`` (Pipedrive's counters), ``uuid`` or ``hex``; ``soft_delete`` keeps deleted
   records (``is_deleted``, purged after 30 days) instead of removing them; ``own_field`` limits
   lists to the requesting user's records. Operations that do not fit (a delete answering the whole
   record, a list over several parents) are small handlers next to the declaration that reuse
   ``load``, ``create``/``update``/``delete`` (which run the hooks and publish webhooks) and the shapes.
3. What comes from the specs: request validation (v2 strict: unknown keys, types, enums, nullability,
   required; v1 lenient coercion of the same fields) follows the request body schema of the add and
   update operations, every response carries every documented key of the response schema (null when
   unset), the success status (200/201) and the delete answer (``true`` or ``{id}``) are the spec's.
   ``body_overrides`` corrects a field where the spec is wrong; ``extra_body`` adds fields the spec omits.
4. Rules go in a ``Hooks`` subclass: ``defaults`` (a new record), ``changes`` (validated body →
   record changes), ``finish`` (derived fields), ``check`` (cross-field rules → ``ApiError``),
   ``extra_v1``/``extra_v2`` (computed response keys such as ``deal: {title}``), ``after_save``
   (effects on other records).
5. ``RESOURCE = DeclaredResource(DECLARATION)`` and ``*RESOURCE.routes()`` in ``app.api_routes()``
   (before any route whose path would shadow it). Anything not served answers 501 by itself
   (``engine/not_served.py``); the conformance test picks up the new operations automatically.

Records are canonical documents in the store: ``id``, ``add_time``/``update_time`` in RFC 3339, the
body fields under their spec names, ``is_deleted`` for soft-deleted kinds. Lists are ``Store.query``
conditions (``list_where``) paged in SQL (``query_page`` for v2 cursors, ``offset_window`` for v1);
a filter on a field outside ``store.INDEXED_FIELDS`` works but scans the kind.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute

from pipedrive_connector.sandbox import timefmt
from pipedrive_connector.sandbox.contracts import ChangeAction, EntityName
from pipedrive_connector.sandbox.engine import spec_data
from pipedrive_connector.sandbox.errors import ApiError, bad_request, not_found
from pipedrive_connector.sandbox.pagination import offset_page, offset_result, offset_window, query_page
from pipedrive_connector.sandbox.resources import search
from pipedrive_connector.sandbox.resources.common import (
    now_iso,
    ok,
    principal,
    publish,
    sandbox,
    v1_routes,
    v2_route,
)
from pipedrive_connector.sandbox.resources.entity import EntityResource, check_ref, check_user
from pipedrive_connector.sandbox.store import AllOf, Cmp, Includes, Record
from pipedrive_connector.sandbox.validation import (
    UUID_PATTERN,
    F,
    check_v2_body,
    coerce_v1_bool,
    coerce_v1_int,
    coerce_v1_number,
    coerce_v1_str,
    path_int,
    query_bool,
    query_datetime,
    query_int,
    query_int_list,
    read_json_object,
    read_v1_body,
)

if TYPE_CHECKING:
    from pipedrive_connector.sandbox.state import SandboxState

OPERATIONS = ("list", "get", "add", "update", "delete", "search")
TIME_FIELDS = ("add_time", "update_time")
NUMBER_BOOLEAN = (0, 1)
HEX_ID = re.compile(r"^[0-9a-f]{32}$")
# The legacy v1 "sort" parameter's parser and ordering (EntityResource.v1_sorted uses no entity state).
_V1_SORTER = EntityResource()


@dataclass(frozen=True)
class Filter:
    """A list query parameter compared with record ``field``.

    ``type``: ``int``, ``str``, ``uuid``, ``bool`` (true/false, 1/0) or ``date`` (YYYY-MM-DD).
    ``op``: ``eq``, ``since`` (field's date ≥ value), ``until`` (field's date ≤ value) or
    ``includes`` (the field is a list holding the value: a project's ``deal_ids``).
    """

    field: str
    type: str = "int"
    op: str = "eq"


@dataclass(frozen=True)
class Parent:
    """The parent of a nested resource: its kind, its label, and the child's field holding its id."""

    kind: str
    label: str
    field: str
    param: str = "id"


@dataclass(frozen=True)
class Ctx:
    """What a hook may use: the sandbox, the request, who asks and the sandbox's now (RFC 3339)."""

    state: SandboxState
    request: Request | None
    user_id: int
    now: str


class Hooks:
    """Behaviour beyond the declaration. Override only what Pipedrive has rules for."""

    def defaults(self, ctx: Ctx) -> Record:
        return {}

    def changes(self, ctx: Ctx, changes: dict[str, Any], before: Record | None) -> dict[str, Any]:
        return changes

    def finish(self, ctx: Ctx, record: Record, before: Record | None) -> None:
        """Derive dependent fields of the record about to be saved (names, sums...), in place."""

    def check(self, ctx: Ctx, record: Record, before: Record | None) -> None:
        """Cross-field rules on the record about to be saved (after ``finish``); raise ``ApiError``."""

    def extra_v1(self, state: SandboxState, record: Record) -> dict[str, Any]:
        return {}

    def extra_v2(self, state: SandboxState, record: Record) -> dict[str, Any]:
        return {}

    def after_save(self, ctx: Ctx, record: Record, before: Record | None, action: str) -> None:
        """Effects on other records once this one is saved (``action``: create, change, delete)."""


@dataclass
class Declaration:
    kind: str
    label: str
    webhook: EntityName | None = None
    v1_path: str | None = None
    v1_ops: tuple[str, ...] = ()
    v2_path: str | None = None
    v2_ops: tuple[str, ...] = ()
    id_type: str = "int"  # "int" | "uuid" | "hex" (32 hex digits, like call log ids)
    id_key: str = "id"  # the id's key in responses (note comments: "uuid")
    item_param: str = "id"
    parent: Parent | None = None
    refs: Mapping[str, str] = field(default_factory=dict)
    filters: Mapping[str, Filter] = field(default_factory=dict)  # v1 and v2 list query parameters
    own_field: str | None = None  # lists hold only records whose field is the requesting user's id
    v2_sort: tuple[str, ...] = ("id", "update_time", "add_time")
    v1_cursor: bool = False  # v1 lists paged by cursor (projects, tasks) instead of start/limit
    searchable: search.Searchable | None = None  # the "search" operation and itemSearch
    soft_delete: bool = False
    body_overrides: Mapping[str, F] = field(default_factory=dict)
    extra_body: Mapping[str, F] = field(default_factory=dict)
    hooks: Hooks = field(default_factory=Hooks)

    def __post_init__(self) -> None:
        for op in (*self.v1_ops, *self.v2_ops):
            if op not in OPERATIONS:
                raise ValueError(f"{self.kind}: unknown operation {op!r}")
        if "search" in self.v2_ops and self.searchable is None:
            raise ValueError(f"{self.kind}: the search operation needs a searchable")


def _spec_key(method: str, prefix: str, path: str) -> str:
    return f"{method} {prefix}{path}"


class DeclaredResource:
    """Serves one ``Declaration`` over v1 and/or v2."""

    def __init__(self, declaration: Declaration) -> None:
        self.d = declaration
        if declaration.searchable is not None:
            # Registered with the search module: {path}/search, itemSearch and itemSearch/field find it.
            search.SEARCHABLES[declaration.kind] = declaration.searchable
            search.FIELD_SEARCH_KINDS[declaration.kind] = declaration.kind

    # ---- what the specs say ----

    def _item(self, path: str) -> str:
        return f"{path}/{{{self.d.item_param}}}"

    def _body(self, key: str) -> tuple[dict[str, F], tuple[str, ...]]:
        fields, required = spec_data.body_fields(key)
        fields = {**fields, **self.d.extra_body, **self.d.body_overrides}
        return fields, required

    @cached_property
    def v1_add_body(self) -> tuple[dict[str, F], tuple[str, ...]]:
        assert self.d.v1_path
        return self._body(_spec_key("POST", "/v1", self.d.v1_path))

    @cached_property
    def v1_update_body(self) -> tuple[dict[str, F], tuple[str, ...]]:
        assert self.d.v1_path
        return self._body(_spec_key("PUT", "/v1", self._item(self.d.v1_path)))

    @cached_property
    def v2_add_body(self) -> tuple[dict[str, F], tuple[str, ...]]:
        assert self.d.v2_path
        return self._body(_spec_key("POST", "/api/v2", self.d.v2_path))

    @cached_property
    def v2_update_body(self) -> tuple[dict[str, F], tuple[str, ...]]:
        assert self.d.v2_path
        return self._body(_spec_key("PATCH", "/api/v2", self._item(self.d.v2_path)))

    def _documented(self, prefix: str, path: str | None, ops: tuple[str, ...]) -> tuple[str, ...]:
        if path is None:
            return ()
        keys: dict[str, None] = {}
        for method, template, op in (
            ("GET", self._item(path), "get"),
            ("GET", path, "list"),
            ("POST", path, "add"),
        ):
            if op in ops:
                keys.update(dict.fromkeys(spec_data.response_keys(_spec_key(method, prefix, template))))
        return tuple(keys)

    @cached_property
    def v1_keys(self) -> tuple[str, ...]:
        return self._documented("/v1", self.d.v1_path, self.d.v1_ops)

    @cached_property
    def v2_keys(self) -> tuple[str, ...]:
        return self._documented("/api/v2", self.d.v2_path, self.d.v2_ops)

    # ---- shapes ----

    def v1(self, state: SandboxState, record: Record) -> dict[str, Any]:
        keys = self.v1_keys or self.v2_keys
        data = {key: record.get(key) for key in keys}
        data[self.d.id_key] = record["id"]
        for key in TIME_FIELDS:
            if key in data:
                data[key] = timefmt.v1(data[key])
        data.update(self.d.hooks.extra_v1(state, record))
        return data

    def v2(self, state: SandboxState, record: Record) -> dict[str, Any]:
        if not self.v2_keys:
            return self.v1(state, record)
        data = {key: record.get(key) for key in self.v2_keys}
        data[self.d.id_key] = record["id"]
        data.update(self.d.hooks.extra_v2(state, record))
        return data

    # ---- the store ----

    def rows(
        self, state: SandboxState, where: Mapping[str, Any], *, limit: int | None = None, offset: int = 0
    ) -> list[Record]:
        """Live records of the kind matching ``where`` (``Store.query`` conditions), in insertion order."""
        return state.store.query(
            self.d.kind, where={**where, "is_deleted": False}, order_by=None, limit=limit, offset=offset
        )

    def not_found(self) -> ApiError:
        return not_found(f"{self.d.label} not found")

    def item_id(self, request: Request) -> int | str:
        if self.d.id_type == "int":
            return path_int(request, self.d.item_param)
        raw = request.path_params[self.d.item_param]
        pattern, what = (
            (UUID_PATTERN, "a UUID") if self.d.id_type == "uuid" else (HEX_ID, "a 32-digit hex id")
        )
        if not pattern.match(raw):
            raise bad_request(f"Invalid value for '{self.d.item_param}': expected {what}, got '{raw}'")
        return str(raw)

    def parent_scope(self, state: SandboxState, request: Request) -> dict[str, Any]:
        """``{child field: parent id}`` after checking the parent exists (nested resources)."""
        parent = self.d.parent
        if parent is None:
            return {}
        parent_id = path_int(request, parent.param)
        record = state.store.get(parent.kind, parent_id)
        if record is None or record.get("is_deleted"):
            raise not_found(f"{parent.label} not found")
        return {parent.field: parent_id}

    def load(self, state: SandboxState, request: Request) -> Record:
        scope = self.parent_scope(state, request)
        record = state.store.get(self.d.kind, self.item_id(request))
        if record is None or record.get("is_deleted"):
            raise self.not_found()
        if any(record.get(k) != v for k, v in scope.items()):
            raise self.not_found()
        return record

    # ---- bodies ----

    def _check_refs(self, state: SandboxState, changes: dict[str, Any]) -> None:
        for name, kind in self.d.refs.items():
            value = changes.get(name)
            for item in value if isinstance(value, list) else [value]:  # id lists: deal_ids
                if item is None:
                    continue
                if kind == "user":
                    check_user(state, name, item)
                else:
                    check_ref(state, kind, name, item)

    @staticmethod
    def _number_booleans(fields: dict[str, F], changes: dict[str, Any]) -> None:
        """Pipedrive's ``numberBoolean`` inputs (0/1) are stored and answered as booleans."""
        for name, spec in fields.items():
            if spec.type == "number" and spec.choices == NUMBER_BOOLEAN and changes.get(name) is not None:
                changes[name] = bool(changes[name])

    def from_v2(self, body: dict[str, Any], *, creating: bool) -> dict[str, Any]:
        # Each operation's own required list (an update's is usually empty).
        fields, required = self.v2_add_body if creating else self.v2_update_body
        check_v2_body(body, fields, required)
        changes = dict(body)
        self._number_booleans(fields, changes)
        return changes

    def from_v1(self, body: dict[str, Any], *, creating: bool) -> dict[str, Any]:
        """Lenient v1 parsing of the spec's fields (unknown keys are ignored, as Pipedrive v1 does)."""
        fields, required = self.v1_add_body if creating else self.v1_update_body
        changes: dict[str, Any] = {}
        for name, spec in fields.items():
            if name in body:
                changes[name] = _coerce_v1(name, spec, body[name])
        for name in required:  # the operation's own list (an update's is usually empty)
            if changes.get(name) in (None, ""):
                raise bad_request(f"Parameter '{name}' is required")
        self._number_booleans(fields, changes)
        return changes

    # ---- writes ----

    def ctx(self, state: SandboxState, request: Request | None) -> Ctx:
        user_id = principal(request).user_id if request is not None else 1
        return Ctx(state, request, user_id, now_iso(state))

    def create(self, ctx: Ctx, changes: dict[str, Any], scope: Mapping[str, Any] | None = None) -> Record:
        hooks = self.d.hooks
        changes = hooks.changes(ctx, changes, None)
        self._check_refs(ctx.state, changes)
        record: Record = {"add_time": ctx.now, "update_time": ctx.now}
        if self.d.soft_delete:
            record["is_deleted"] = False
        record.update(hooks.defaults(ctx))
        record.update(changes)
        record.update(scope or {})
        hooks.finish(ctx, record, None)
        hooks.check(ctx, record, None)
        with ctx.state.db_lock:
            record["id"] = self._new_id(ctx.state)
            ctx.state.store.put(self.d.kind, record)
        hooks.after_save(ctx, record, None, "create")
        self._publish(ctx, "create", record, None)
        return record

    def _new_id(self, state: SandboxState) -> int | str:
        if self.d.id_type == "int":
            return state.store.next_id(self.d.kind)
        return str(uuid.uuid4()) if self.d.id_type == "uuid" else uuid.uuid4().hex

    def update(self, ctx: Ctx, before: Record, changes: dict[str, Any]) -> Record:
        hooks = self.d.hooks
        changes = hooks.changes(ctx, changes, before)
        self._check_refs(ctx.state, changes)
        record = {**before, **changes}
        hooks.finish(ctx, record, before)
        hooks.check(ctx, record, before)
        if record != before:
            record["update_time"] = ctx.now
        ctx.state.store.put(self.d.kind, record)
        hooks.after_save(ctx, record, before, "change")
        self._publish(ctx, "change", record, before)
        return record

    def delete(self, ctx: Ctx, before: Record) -> None:
        if self.d.soft_delete:
            gone = dict(before, is_deleted=True, update_time=ctx.now, _deleted_at=ctx.now)
            ctx.state.store.put(self.d.kind, gone)
        else:
            ctx.state.store.remove(self.d.kind, before["id"])
        self.d.hooks.after_save(ctx, before, before, "delete")
        self._publish(ctx, "delete", None, before)

    def _publish(self, ctx: Ctx, action: ChangeAction, record: Record | None, before: Record | None) -> None:
        if self.d.webhook is None or ctx.request is None:
            return
        state = ctx.state
        current = record or before
        assert current is not None
        publish(
            state,
            ctx.request,
            self.d.webhook,
            action,
            current["id"],
            current_v1=self.v1(state, record) if record else None,
            previous_v1=self.v1(state, before) if before else None,
            current_v2=self.v2(state, record) if record else None,
            previous_v2=self.v2(state, before) if before else None,
        )

    # ---- lists ----

    def list_where(self, state: SandboxState, request: Request) -> dict[str, Any]:
        """The list's query parameters as ``Store.query`` conditions (parent, filters, ids, update times)."""
        where: dict[str, Any] = {"is_deleted": False, **self.parent_scope(state, request)}
        if self.d.own_field:
            where[self.d.own_field] = principal(request).user_id
        ranges: dict[str, list[Cmp]] = {}
        for param, spec in self.d.filters.items():
            value = _query_value(request, param, spec)
            if value is None:
                continue
            if spec.op == "eq":
                where[spec.field] = value
            elif spec.op == "includes":
                where[spec.field] = Includes(value)
            elif spec.op == "since":
                ranges.setdefault(spec.field, []).append(Cmp(">=", value))
            else:
                ranges.setdefault(spec.field, []).append(Cmp("<=", f"{value}T23:59:59Z"))
        since = query_datetime(request, "updated_since")
        if since:
            ranges.setdefault("update_time", []).append(Cmp(">=", since))
        until = query_datetime(request, "updated_until")
        if until:
            ranges.setdefault("update_time", []).append(Cmp("<", until))
        for name, conditions in ranges.items():
            where[name] = AllOf(tuple(conditions))
        return where

    async def v1_list(self, request: Request) -> Response:
        state = sandbox(request)
        where = self.list_where(state, request)
        if self.d.v1_cursor:
            records, next_cursor = query_page(
                state.store, self.d.kind, request, where=where, sort_fields=("id",)
            )
            page = [self.v1(state, record) for record in records]
            return ok(page, additional_data={"next_cursor": next_cursor})
        if request.query_params.get("sort"):
            items = state.store.query(self.d.kind, where=where, order_by=None)
            rows = _V1_SORTER.v1_sorted(request, [self.v1(state, item) for item in items])
            page, pagination = offset_page(request, rows)
        else:
            start, limit = offset_window(request)
            found = state.store.query(self.d.kind, where=where, order_by=None, offset=start, limit=limit + 1)
            records, pagination = offset_result(start, limit, found)
            page = [self.v1(state, record) for record in records]
        return ok(page, additional_data={"pagination": pagination})

    async def v2_list(self, request: Request) -> Response:
        state = sandbox(request)
        where = self.list_where(state, request)
        ids = query_int_list(request, "ids")
        if ids is not None:
            where["id"] = ids
        page, next_cursor = query_page(
            state.store, self.d.kind, request, where=where, sort_fields=self.d.v2_sort
        )
        return ok([self.v2(state, item) for item in page], additional_data={"next_cursor": next_cursor})

    # ---- handlers ----

    async def v1_get(self, request: Request) -> Response:
        state = sandbox(request)
        return ok(self.v1(state, self.load(state, request)))

    async def v2_get(self, request: Request) -> Response:
        state = sandbox(request)
        return ok(self.v2(state, self.load(state, request)))

    async def v1_add(self, request: Request) -> Response:
        state = sandbox(request)
        scope = self.parent_scope(state, request)
        changes = self.from_v1(await read_v1_body(request), creating=True)
        record = self.create(self.ctx(state, request), changes, scope)
        assert self.d.v1_path
        status = spec_data.response_status(_spec_key("POST", "/v1", self.d.v1_path))
        return ok(self.v1(state, record), status=status)

    async def v2_add(self, request: Request) -> Response:
        state = sandbox(request)
        scope = self.parent_scope(state, request)
        changes = self.from_v2(await read_json_object(request), creating=True)
        record = self.create(self.ctx(state, request), changes, scope)
        assert self.d.v2_path
        status = spec_data.response_status(_spec_key("POST", "/api/v2", self.d.v2_path))
        return ok(self.v2(state, record), status=status)

    async def v1_update(self, request: Request) -> Response:
        state = sandbox(request)
        body = await read_v1_body(request)
        before = self.load(state, request)
        record = self.update(self.ctx(state, request), before, self.from_v1(body, creating=False))
        return ok(self.v1(state, record))

    async def v2_update(self, request: Request) -> Response:
        state = sandbox(request)
        body = await read_json_object(request)
        changes = self.from_v2(body, creating=False)
        before = self.load(state, request)
        record = self.update(self.ctx(state, request), before, changes)
        return ok(self.v2(state, record))

    def _deleted(self, key: str, record: Record) -> Response:
        if spec_data.response_type(key) == "boolean":
            return ok(True)
        if set(spec_data.response_keys(key)) == {"success", "data"}:  # v1 projects, tasks: nested
            return ok({"success": True, "data": {self.d.id_key: record["id"]}})
        return ok({self.d.id_key: record["id"]})

    async def v1_delete(self, request: Request) -> Response:
        state = sandbox(request)
        before = self.load(state, request)
        self.delete(self.ctx(state, request), before)
        assert self.d.v1_path
        return self._deleted(_spec_key("DELETE", "/v1", self._item(self.d.v1_path)), before)

    async def v2_delete(self, request: Request) -> Response:
        state = sandbox(request)
        before = self.load(state, request)
        self.delete(self.ctx(state, request), before)
        assert self.d.v2_path
        return self._deleted(_spec_key("DELETE", "/api/v2", self._item(self.d.v2_path)), before)

    @cached_property
    def _entity_search(self) -> Any:
        return search.make_entity_search(self.d.kind, v2=True)

    async def v2_search(self, request: Request) -> Response:
        """``GET {path}/search``: the search module's entity search over the declared ``searchable``."""
        response: Response = await self._entity_search(request)
        return response

    def routes(self) -> list[BaseRoute]:
        d = self.d
        result: list[BaseRoute] = []
        if d.v2_path:
            item = self._item(d.v2_path)
            table = {
                "search": (f"{d.v2_path}/search", self.v2_search, "GET"),
                "list": (d.v2_path, self.v2_list, "GET"),
                "add": (d.v2_path, self.v2_add, "POST"),
                "get": (item, self.v2_get, "GET"),
                "update": (item, self.v2_update, "PATCH"),
                "delete": (item, self.v2_delete, "DELETE"),
            }
            result += [v2_route(table[op][0], table[op][1], [table[op][2]]) for op in table if op in d.v2_ops]
        if d.v1_path:
            item = self._item(d.v1_path)
            v1_table = {
                "list": (d.v1_path, self.v1_list, "GET"),
                "add": (d.v1_path, self.v1_add, "POST"),
                "get": (item, self.v1_get, "GET"),
                "update": (item, self.v1_update, "PUT"),
                "delete": (item, self.v1_delete, "DELETE"),
            }
            for op in v1_table:
                if op in d.v1_ops:
                    path, endpoint, method = v1_table[op]
                    result += v1_routes(path, endpoint, [method])
        return result


def _coerce_v1(name: str, spec: F, raw: Any) -> Any:
    if raw is None or raw == "":
        return raw if spec.type == "string" else None
    value: Any
    if spec.type == "number" and spec.choices == NUMBER_BOOLEAN:
        return coerce_v1_bool(name, raw)
    if spec.type == "integer":
        value = coerce_v1_int(name, raw)
    elif spec.type == "number":
        value = coerce_v1_number(name, raw)
    elif spec.type == "boolean":
        value = coerce_v1_bool(name, raw)
    elif spec.type == "date":
        value = coerce_v1_str(name, raw)
        if value is not None and not timefmt.is_date(value):
            raise bad_request(f"Invalid value for '{name}': use YYYY-MM-DD")
    elif spec.type == "string":
        value = coerce_v1_str(name, raw)
    elif spec.type == "object":
        if not isinstance(raw, dict):
            raise bad_request(f"Invalid value for '{name}': expected an object")
        value = raw
    else:
        if not isinstance(raw, list):
            raise bad_request(f"Invalid value for '{name}': expected a list")
        value = raw
    if spec.choices is not None and value not in spec.choices:
        allowed = ", ".join(str(choice) for choice in spec.choices)
        raise bad_request(f"Invalid value for '{name}': must be one of {allowed}")
    return value


def _query_value(request: Request, param: str, spec: Filter) -> Any:
    if spec.type == "int":
        return query_int(request, param)
    if spec.type == "bool":
        return query_bool(request, param)
    raw = request.query_params.get(param)
    if raw is None or raw == "":
        return None
    if spec.type == "date" and not timefmt.is_date(raw):
        raise bad_request(f"Invalid value for '{param}': use YYYY-MM-DD, got '{raw}'")
    if spec.type == "uuid" and not UUID_PATTERN.match(raw):
        raise bad_request(f"Invalid value for '{param}': expected a UUID, got '{raw}'")
    return raw
