"""The CRUD machinery shared by deals, persons, organizations and activities (v2 and legacy v1).

Each entity module subclasses ``EntityResource`` and fills in its field table and the hooks that
turn a (strict v2 or lenient v1) body into changes of the canonical record.
"""

from __future__ import annotations

import dataclasses
import functools
import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute

from pipedrive_connector.sandbox import custom_fields, timefmt
from pipedrive_connector.sandbox.contracts import EntityName
from pipedrive_connector.sandbox.errors import ApiError, bad_request, not_found, validation_failed
from pipedrive_connector.sandbox.pagination import (
    cursor_page,
    offset_page,
    offset_result,
    offset_window,
    query_page,
)
from pipedrive_connector.sandbox.resources import filter_eval
from pipedrive_connector.sandbox.resources.common import (
    now_iso,
    ok,
    principal,
    publish,
    purge_expired,
    sandbox,
    v1_routes,
    v2_route,
)
from pipedrive_connector.sandbox.serializers import v1 as v1_shapes
from pipedrive_connector.sandbox.serializers import v2 as v2_shapes
from pipedrive_connector.sandbox.store import AllOf, Cmp, Prefix, Record
from pipedrive_connector.sandbox.validation import (
    F,
    check_v2_body,
    coerce_v1_int,
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

# Records that point at an entity and follow it to the survivor of a merge: kind → linking field.
MERGE_LINKS: dict[str, tuple[tuple[str, str], ...]] = {
    "deal": (("activity", "deal_id"),),
    "person": (("deal", "person_id"), ("activity", "person_id"), ("lead", "person_id")),
    "organization": (
        ("deal", "org_id"),
        ("person", "org_id"),
        ("activity", "org_id"),
        ("lead", "organization_id"),
    ),
}
# Effects of a saved record on records of other kinds (changelog, followers, participants):
# ``hook(state, request, kind, before, record, action)`` after each create, change or delete.
SaveHook = Callable[["SandboxState", Request, str, "Record | None", "Record", str], None]
SAVE_HOOKS: list[SaveHook] = []
# A v1 merge's effects beyond MERGE_LINKS: ``hook(state, request, kind, merged, survivor)`` before the
# survivor is stored (it may change ``survivor`` in place).
MergeHook = Callable[["SandboxState", Request, str, "Record", "Record"], None]
MERGE_HOOKS: list[MergeHook] = []
_NOT_INHERITED = ("id", "add_time", "update_time", "is_deleted", "_deleted_at", "custom_fields")
_V1_SORT = re.compile(r"^\s*([A-Za-z0-9_]+)(?:\s+(ASC|DESC|asc|desc))?\s*$")


@dataclasses.dataclass
class ListQuery:
    """The conditions of one list request, in ``Store.query``'s terms (``where`` and ``any_of``)."""

    where: dict[str, Any] = dataclasses.field(default_factory=dict)
    any_of: list[dict[str, Any]] = dataclasses.field(default_factory=list)

    def add(self, name: str, condition: Any) -> None:
        """Require ``condition`` on field ``name`` too (combined with any condition already there)."""
        if name in self.where:
            condition = AllOf((self.where[name], condition))
        self.where[name] = condition


class EntityResource:
    kind: EntityName
    plural: str
    label: str
    v2_fields: dict[str, F]
    v2_required: tuple[str, ...] = ()
    v2_sort_fields: tuple[str, ...] = ("id", "update_time", "add_time")
    # v2 list query parameter → canonical record field (integer equality filters)
    v2_int_filters: dict[str, str] = {}
    filter_type: str = ""

    # ---- hooks ----

    def defaults(self, state: SandboxState, user_id: int, now: str) -> Record:
        raise NotImplementedError

    def changes_from_v2(
        self, state: SandboxState, body: dict[str, Any], existing: Record | None
    ) -> dict[str, Any]:
        """Validated v2 body → canonical changes (referential checks, derived fields)."""
        return dict(body)

    def changes_from_v1(
        self, state: SandboxState, body: dict[str, Any], existing: Record | None
    ) -> dict[str, Any]:
        raise NotImplementedError

    def finish(self, state: SandboxState, record: Record, before: Record | None, now: str) -> None:
        """Derive dependent fields after changes are applied (status times, names...)."""

    def v1(self, state: SandboxState, record: Record) -> dict[str, Any]:
        raise NotImplementedError

    def v2(self, state: SandboxState, record: Record, request: Request | None = None) -> dict[str, Any]:
        return self.v2_renderer(state, request)(record)

    def v2_renderer(
        self, state: SandboxState, request: Request | None = None
    ) -> Callable[[Record], dict[str, Any]]:
        """Render records in v2 shape with the request's ``include_fields``, ``custom_fields`` and
        ``include_option_labels`` (read and checked once for a whole page)."""
        if request is None:
            return functools.partial(v2_shapes.entity_v2, state.store, self.kind)
        return functools.partial(
            v2_shapes.entity_v2,
            state.store,
            self.kind,
            include_fields=self._include_fields(request),
            option_labels=bool(query_bool(request, "include_option_labels")),
            custom_field_keys=self._custom_field_keys(request),
        )

    def v2_list_where(self, request: Request, state: SandboxState, query: ListQuery) -> None:
        """Entity-specific v2 list filters beyond the integer ones (status, done, ...), as conditions."""
        query.add("is_deleted", False)

    def v1_list_where(self, request: Request, state: SandboxState, query: ListQuery) -> None:
        """The legacy v1 list's filters, as conditions."""
        query.add("is_deleted", False)

    # ---- shared helpers ----

    def not_found(self) -> ApiError:
        return not_found(f"{self.label} not found")

    def _include_fields(self, request: Request) -> tuple[str, ...]:
        raw = request.query_params.get("include_fields")
        if not raw:
            return ()
        allowed = v2_shapes.INCLUDE_FIELDS.get(self.kind, ())
        names = tuple(name.strip() for name in raw.split(",") if name.strip())
        for name in names:
            if name not in allowed:
                raise validation_failed("include_fields", f"'{name}' is not one of {', '.join(allowed)}")
        return names

    def _custom_field_keys(self, request: Request) -> tuple[str, ...]:
        raw = request.query_params.get("custom_fields")
        if not raw:
            return ()
        keys = tuple(key.strip() for key in raw.split(",") if key.strip())
        if len(keys) > 15:
            raise validation_failed("custom_fields", "At most 15 custom field keys are allowed")
        return keys

    def load(self, state: SandboxState, entity_id: int) -> Record:
        purge_expired(state)
        record = state.store.get(self.kind, entity_id)
        if record is None:
            raise self.not_found()
        return record

    def load_live(self, state: SandboxState, entity_id: int) -> Record:
        record = self.load(state, entity_id)
        if record.get("is_deleted"):
            raise self.not_found()
        return record

    def _custom_from_v2(
        self, state: SandboxState, body: dict[str, Any], existing: Record | None
    ) -> dict[str, Any] | None:
        if "custom_fields" not in body:
            return None
        defs = custom_fields.custom_definitions(state.store, self.kind)
        values = custom_fields.validate_v2(defs, body["custom_fields"] or {})
        return custom_fields.merge((existing or {}).get("custom_fields") or {}, values)

    def _custom_from_v1(
        self, state: SandboxState, body: dict[str, Any], existing: Record | None
    ) -> dict[str, Any] | None:
        defs = custom_fields.custom_definitions(state.store, self.kind)
        values = custom_fields.from_v1(defs, body)
        if not values:
            return None
        return custom_fields.merge((existing or {}).get("custom_fields") or {}, values)

    def _save(
        self, state: SandboxState, request: Request, before: Record | None, record: Record, action: str
    ) -> Record:
        with state.db_lock:
            state.store.put(self.kind, record)
            for hook in SAVE_HOOKS:
                hook(state, request, self.kind, before, record, action)
        publish(
            state,
            request,
            self.kind,
            "create" if action == "create" else ("delete" if action == "delete" else "change"),
            record["id"],
            current_v1=None if action == "delete" else self.v1(state, record),
            previous_v1=self.v1(state, before) if before else None,
            current_v2=None if action == "delete" else self.v2(state, record),
            previous_v2=self.v2(state, before) if before else None,
        )
        return record

    def new_record(self, state: SandboxState, changes: dict[str, Any], user_id: int) -> Record:
        """A new record (defaults, ``changes``, a fresh id, derived fields), not yet stored."""
        now = now_iso(state)
        with state.db_lock:
            record = self.defaults(state, user_id, now)
            record.update(changes)
            record["id"] = state.store.next_id(self.kind)
            self.finish(state, record, None, now)
        return record

    def create(self, state: SandboxState, request: Request, changes: dict[str, Any]) -> Record:
        record = self.new_record(state, changes, principal(request).user_id)
        return self._save(state, request, None, record, "create")

    def changes_for_v2_create(self, state: SandboxState, body: dict[str, Any]) -> dict[str, Any]:
        """Validate a v2 create body (``POST /api/v2/{plural}``) into the changes of a new record."""
        check_v2_body(body, self.v2_fields, self.v2_required)
        if body.get("is_deleted") is True:
            raise validation_failed("is_deleted", f"A {self.kind} cannot be created as deleted")
        changes = self.changes_from_v2(state, body, None)
        changes.pop("is_deleted", None)
        custom = self._custom_from_v2(state, body, None)
        if custom is not None:
            changes["custom_fields"] = custom
        return changes

    def update(
        self, state: SandboxState, request: Request, before: Record, changes: dict[str, Any]
    ) -> Record:
        if before.get("is_archived") and changes.get("is_archived") is not False:
            raise bad_request(
                f"An archived {self.kind} cannot be edited; unarchive it first (is_archived: false)"
            )
        now = now_iso(state)
        record = dict(before)
        record.update(changes)
        self.finish(state, record, before, now)
        if record != before:
            record["update_time"] = now
        return self._save(state, request, before, record, "change")

    def soft_delete(self, state: SandboxState, request: Request, before: Record) -> Record:
        now = now_iso(state)
        record = dict(before, is_deleted=True, update_time=now, _deleted_at=now)
        return self._save(state, request, before, record, "delete")

    def saved_filter_in_sql(self, state: SandboxState, filter_id: int, query: ListQuery) -> bool:
        """Add the saved filter's conditions to ``query`` when SQL can evaluate them exactly."""
        saved = filter_eval.check(state, filter_id, self.kind)
        translated = filter_eval.as_conditions(state, saved, self.kind)
        if translated is None:
            return False
        where, any_of = translated
        for name, condition in where.items():
            query.add(name, condition)
        query.any_of.extend(any_of)
        query.add("is_deleted", False)
        return True

    def filtered_by_saved_filter(self, state: SandboxState, filter_id: int, query: ListQuery) -> list[Record]:
        """The live records matching ``query`` and the saved filter ``filter_id``, in insertion order."""
        filter_eval.check(state, filter_id, self.kind)
        query.add("is_deleted", False)
        items = state.store.query(self.kind, where=query.where, any_of=query.any_of, order_by=None)
        return filter_eval.apply(state, filter_id, self.kind, items)

    # ---- API v2 ----

    async def v2_list(self, request: Request) -> Response:
        return self._v2_list(request, archived=False)

    async def v2_list_archived(self, request: Request) -> Response:
        return self._v2_list(request, archived=True)

    def _v2_list(self, request: Request, *, archived: bool) -> Response:
        state = sandbox(request)
        purge_expired(state)
        # Archived deals (and leads) live in their own list since 2025-07-15.
        query = ListQuery()
        query.add("is_archived", archived)
        filter_id = query_int(request, "filter_id")
        if filter_id is None:
            ids = query_int_list(request, "ids")
            if ids is not None:
                query.add("id", ids)
            for param, field in self.v2_int_filters.items():
                value = query_int(request, param)
                if value is not None:
                    query.add(field, value)
            self.v2_list_where(request, state, query)
        since = query_datetime(request, "updated_since")
        until = query_datetime(request, "updated_until")
        if since:
            query.add("update_time", Cmp(">=", since))
        if until:
            query.add("update_time", Cmp("<", until))
        if filter_id is not None and not self.saved_filter_in_sql(state, filter_id, query):
            items = self.filtered_by_saved_filter(state, filter_id, query)
            page, next_cursor = cursor_page(request, items, sort_fields=self.v2_sort_fields)
        else:
            page, next_cursor = query_page(
                state.store,
                self.kind,
                request,
                where=query.where,
                any_of=query.any_of,
                sort_fields=self.v2_sort_fields,
            )
        render = self.v2_renderer(state, request)
        data = [render(item) for item in page]
        return ok(data, additional_data={"next_cursor": next_cursor})

    async def v2_get(self, request: Request) -> Response:
        state = sandbox(request)
        record = self.load(state, path_int(request))
        return ok(self.v2(state, record, request))

    async def v2_add(self, request: Request) -> Response:
        state = sandbox(request)
        body = await read_json_object(request)
        record = self.create(state, request, self.changes_for_v2_create(state, body))
        return ok(self.v2(state, record))

    async def v2_patch(self, request: Request) -> Response:
        state = sandbox(request)
        entity_id = path_int(request)
        body = await read_json_object(request)
        spec = {key: value for key, value in self.v2_fields.items() if key != "is_deleted"}
        check_v2_body(body, spec)
        before = self.load_live(state, entity_id)
        changes = self.changes_from_v2(state, body, before)
        custom = self._custom_from_v2(state, body, before)
        if custom is not None:
            changes["custom_fields"] = custom
        record = self.update(state, request, before, changes)
        return ok(self.v2(state, record))

    async def v2_delete(self, request: Request) -> Response:
        state = sandbox(request)
        before = self.load_live(state, path_int(request))
        self.soft_delete(state, request, before)
        return ok({"id": before["id"]})

    # ---- legacy API v1 ----

    def v1_sorted(self, request: Request, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
        raw = request.query_params.get("sort")
        if not raw:
            return rows
        keys: list[tuple[str, bool]] = []
        for part in raw.split(","):
            match = _V1_SORT.match(part)
            if not match:
                raise bad_request(
                    f"Invalid value for 'sort': '{part.strip()}' (use \"field ASC, other DESC\")"
                )
            field, direction = match.group(1), (match.group(2) or "ASC").upper()
            if rows and field not in rows[0]:
                raise bad_request(f"Invalid value for 'sort': unknown field '{field}'")
            keys.append((field, direction == "DESC"))

        def value(row: dict[str, Any], *, field: str) -> tuple[int, Any]:
            raw_value = row.get(field)
            if isinstance(raw_value, dict):
                raw_value = raw_value.get("value")
            if raw_value is None:
                return (0, "")
            if isinstance(raw_value, int | float):
                return (1, float(raw_value))
            return (2, str(raw_value).lower())

        for field, descending in reversed(keys):
            rows = sorted(rows, key=functools.partial(value, field=field), reverse=descending)
        return rows

    async def v1_list(self, request: Request) -> Response:
        state = sandbox(request)
        purge_expired(state)
        query = ListQuery()
        filter_id = query_int(request, "filter_id")
        if filter_id is None:
            self.v1_list_where(request, state, query)
        if filter_id is None or self.saved_filter_in_sql(state, filter_id, query):
            if not request.query_params.get("sort"):
                start, limit = offset_window(request)
                rows = state.store.query(
                    self.kind,
                    where=query.where,
                    any_of=query.any_of,
                    order_by=None,
                    limit=limit + 1,
                    offset=start,
                )
                items, pagination = offset_result(start, limit, rows)
                return self._v1_page(state, items, [self.v1(state, item) for item in items], pagination)
            items = state.store.query(self.kind, where=query.where, any_of=query.any_of, order_by=None)
        else:
            items = self.filtered_by_saved_filter(state, filter_id, query)
        # ``sort`` names v1 fields: sort the rendered rows, then cut the page
        rows = self.v1_sorted(request, [self.v1(state, item) for item in items])
        page, pagination = offset_page(request, rows)
        ids = {row["id"] for row in page}
        return self._v1_page(state, [item for item in items if item["id"] in ids], page, pagination)

    @staticmethod
    def _v1_page(
        state: SandboxState, items: list[Record], page: list[dict[str, Any]], pagination: dict[str, Any]
    ) -> Response:
        related = v1_shapes.related_objects(state.store, items)
        return ok(page, additional_data={"pagination": pagination}, related_objects=related)

    async def v1_get(self, request: Request) -> Response:
        state = sandbox(request)
        record = self.load(state, path_int(request))
        extra: dict[str, Any] = {"related_objects": v1_shapes.related_objects(state.store, [record])}
        data = self.v1(state, record)
        if self.kind == "deal":
            extra["additional_data"] = {"dropbox_email": f"sandbox+deal{record['id']}@pipedrivemail.com"}
            data.update(v1_shapes.deal_details(state.store, record, state.clock.now()))
        return ok(data, **extra)

    async def v1_add(self, request: Request) -> Response:
        state = sandbox(request)
        body = await read_v1_body(request)
        changes = self.changes_from_v1(state, body, None)
        custom = self._custom_from_v1(state, body, None)
        if custom is not None:
            changes["custom_fields"] = custom
        record = self.create(state, request, changes)
        related = v1_shapes.related_objects(state.store, [record])
        return ok(self.v1(state, record), status=201, related_objects=related)

    async def v1_update(self, request: Request) -> Response:
        state = sandbox(request)
        entity_id = path_int(request)
        body = await read_v1_body(request)
        before = self.load_live(state, entity_id)
        changes = self.changes_from_v1(state, body, before)
        custom = self._custom_from_v1(state, body, before)
        if custom is not None:
            changes["custom_fields"] = custom
        record = self.update(state, request, before, changes)
        related = v1_shapes.related_objects(state.store, [record])
        return ok(self.v1(state, record), related_objects=related)

    async def v1_delete(self, request: Request) -> Response:
        state = sandbox(request)
        before = self.load_live(state, path_int(request))
        self.soft_delete(state, request, before)
        return ok({"id": before["id"]})

    async def v1_merge(self, request: Request) -> Response:
        """``PUT /v1/{entities}/{id}/merge {merge_with_id}``: ``id`` is merged into ``merge_with_id``."""
        state = sandbox(request)
        entity_id = path_int(request)
        body = await read_v1_body(request)
        target_id = coerce_v1_int("merge_with_id", body.get("merge_with_id"), nullable=False)
        if target_id == entity_id:
            raise bad_request(f"Cannot merge a {self.kind} with itself")
        assert target_id is not None
        merged = self.load_live(state, entity_id)
        survivor_before = self.load_live(state, target_id)
        now = now_iso(state)
        with state.db_lock:
            survivor = dict(survivor_before)
            for key, value in merged.items():
                if (
                    key not in _NOT_INHERITED
                    and survivor.get(key) in (None, "", [])
                    and value not in (None, "", [])
                ):
                    survivor[key] = value
            survivor["custom_fields"] = {
                **(merged.get("custom_fields") or {}),
                **(survivor.get("custom_fields") or {}),
            }
            survivor["update_time"] = now
            for kind, field in MERGE_LINKS.get(self.kind, ()):
                for record in state.store.query(kind, where={field: entity_id}, order_by=None):
                    state.store.put(kind, dict(record, **{field: target_id}))
            for hook in MERGE_HOOKS:
                hook(state, request, self.kind, merged, survivor)
            gone = dict(merged, is_deleted=True, update_time=now, _deleted_at=now)
            state.store.put(self.kind, survivor)
            state.store.put(self.kind, gone)
        publish(
            state,
            request,
            self.kind,
            "change",
            target_id,
            current_v1=self.v1(state, survivor),
            previous_v1=self.v1(state, survivor_before),
            current_v2=self.v2(state, survivor),
            previous_v2=self.v2(state, survivor_before),
            merged_from_id=entity_id,
        )
        publish(
            state,
            request,
            self.kind,
            "delete",
            entity_id,
            current_v1=None,
            previous_v1=self.v1(state, merged),
            current_v2=None,
            previous_v2=self.v2(state, merged),
            merged_to_id=target_id,
        )
        return ok(v1_shapes.flat_ids(self.v1(state, survivor)))

    # Legacy v1 sub-lists: GET /v1/{plural}/{id}/{child} → (child kind, linking field on the child).
    children: dict[str, tuple[str, str]] = {}

    def make_children_list(self, child: str) -> Any:
        resource = CHILD_RESOURCES[self.children[child][0]]
        field = self.children[child][1]

        async def list_children(request: Request) -> Response:
            state = sandbox(request)
            parent = self.load_live(state, path_int(request))
            start, limit = offset_window(request)
            rows = state.store.query(
                resource.kind,
                where={field: parent["id"], "is_deleted": False},
                order_by=None,
                limit=limit + 1,
                offset=start,
            )
            items, pagination = offset_result(start, limit, rows)
            return self._v1_page(state, items, [resource.v1(state, item) for item in items], pagination)

        return list_children

    def routes(self) -> list[BaseRoute]:
        base = f"/{self.plural}"
        nested = [
            route
            for child in self.children
            for route in v1_routes(f"/{self.plural}/{{id}}/{child}", self.make_children_list(child), ["GET"])
        ]
        item = f"/{self.plural}/{{id}}"
        merge = [] if self.kind not in MERGE_LINKS else v1_routes(f"{item}/merge", self.v1_merge, ["PUT"])
        return [
            *merge,
            *nested,
            v2_route(base, self.v2_list, ["GET"]),
            v2_route(base, self.v2_add, ["POST"]),
            v2_route(item, self.v2_get, ["GET"]),
            v2_route(item, self.v2_patch, ["PATCH"]),
            v2_route(item, self.v2_delete, ["DELETE"]),
            *v1_routes(base, self.v1_list, ["GET"]),
            *v1_routes(base, self.v1_add, ["POST"]),
            *v1_routes(item, self.v1_get, ["GET"]),
            *v1_routes(item, self.v1_update, ["PUT"]),
            *v1_routes(item, self.v1_delete, ["DELETE"]),
        ]


# kind → its resource, filled in by each entity module (used for nested v1 lists)
CHILD_RESOURCES: dict[str, EntityResource] = {}


# ---- shared referential checks ----


def owner_and_first_char(request: Request, query: ListQuery) -> None:
    """The legacy v1 list filters of persons and organizations: ``user_id`` (owner) and ``first_char``."""
    user_id = query_int(request, "user_id")
    if user_id:
        query.add("owner_id", user_id)
    first_char = request.query_params.get("first_char")
    if first_char:
        query.add("name", Prefix(first_char[0]))


def check_user(state: SandboxState, field: str, user_id: Any) -> None:
    if user_id is not None and state.store.get("user", user_id) is None:
        raise bad_request(f"Invalid value for '{field}': user {user_id} not found")


def check_ref(state: SandboxState, kind: str, field: str, entity_id: Any) -> None:
    if entity_id is None:
        return
    record = state.store.get(kind, entity_id)
    if record is None or record.get("is_deleted"):
        raise bad_request(f"Invalid value for '{field}': {kind} {entity_id} not found")


def contact_items(field: str, value: Any) -> list[dict[str, Any]]:
    """v1 emails/phones: a string, a list of strings, or a list of {value, primary, label}."""
    if value is None or value == "":
        return []
    items = value if isinstance(value, list) else [value]
    result: list[dict[str, Any]] = []
    for index, item in enumerate(items):
        if isinstance(item, str):
            result.append({"value": item, "primary": index == 0, "label": "work"})
        elif isinstance(item, dict) and isinstance(item.get("value"), str):
            result.append(
                {
                    "value": item["value"],
                    "primary": bool(item.get("primary", index == 0)),
                    "label": str(item.get("label") or "work"),
                }
            )
        else:
            raise bad_request(
                f"Invalid value for '{field}': expected strings or {{value, primary, label}} objects"
            )
    return result


def v2_contact_items(field: str, value: Any) -> list[dict[str, Any]]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise validation_failed(field, "Expected 'array' as value")
    result: list[dict[str, Any]] = []
    for item in value:
        if not isinstance(item, dict) or not isinstance(item.get("value"), str):
            raise validation_failed(
                field, "Expected objects {value: string, primary: boolean, label: string}"
            )
        primary = item.get("primary", False)
        label = item.get("label", "work")
        if not isinstance(primary, bool):
            raise validation_failed(field, "'primary' must be a boolean")
        if not isinstance(label, str):
            raise validation_failed(field, "'label' must be a string")
        result.append({"value": item["value"], "primary": primary, "label": label})
    if result and not any(item["primary"] for item in result):
        result[0]["primary"] = True
    return result


def v1_time(state: SandboxState, field: str, value: Any) -> str | None:
    if value is None or value == "":
        return None
    parsed = timefmt.parse_any_datetime(str(value))
    if parsed is None:
        raise bad_request(
            f"Invalid value for '{field}': use YYYY-MM-DD HH:MM:SS (UTC), a date and time in years 1 to 9999"
        )
    return timefmt.iso(parsed)
