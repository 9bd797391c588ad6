"""Generic request flows for an entity in either API mode, returning the seed's envelope."""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from pipedrive_connector.client.paths import InvalidPathSegment, build_path, entity_id, lead_id
from pipedrive_connector.component import custom_fields
from pipedrive_connector.component.calls import Flow, request
from pipedrive_connector.component.context import ActionContext
from pipedrive_connector.component.errors import ValidationError
from pipedrive_connector.component.paging import DEFAULT_LIMIT, pagination, v1_more, v2_all, v2_window

V2_SORT_FIELDS = ("id", "update_time", "add_time")


@dataclass(frozen=True)
class Entity:
    kind: str  # deal, lead, person, organization, activity
    v1_path: str  # /v1/deals
    v2_path: str | None  # /api/v2/deals (None: v1 only, e.g. leads CRUD)
    v2_search_path: str | None = None
    v1_search_path: str | None = None
    v1_update_method: str = "PUT"

    def path(self, ctx: ActionContext) -> str:
        return self.v2_path if ctx.v2 and self.v2_path else self.v1_path

    def item_path(self, ctx: ActionContext, item_id: Any) -> str:
        """The path of one record; an id that is not this entity's kind (UUID for leads, a positive
        integer otherwise) is a ``ValidationError`` on ``id``, raised before anything is sent."""
        try:
            checked = lead_id(item_id) if self.kind == "lead" else entity_id(item_id)
        except InvalidPathSegment as exc:
            raise ValidationError("id", str(exc)) from None
        return build_path(f"{self.path(ctx)}/{{id}}", id=checked)


def v2_context(ctx: ActionContext) -> ActionContext:
    """The same connection in API v2 mode, for resources Pipedrive serves only in v2 (products)."""
    return ctx if ctx.v2 else dataclasses.replace(ctx, api_version="v2")


def sub_path(template: str, uuids: tuple[str, ...] = (), **ids: Any) -> str:
    """A path below a record (``/api/v2/deals/{id}/products``); each id is checked as a positive integer
    (a UUID for the names in ``uuids``); a bad one is a ``ValidationError`` naming it, before any request."""
    checked: dict[str, Any] = {}
    for name, value in ids.items():
        try:
            checked[name] = lead_id(value, name) if name in uuids else entity_id(value, name)
        except InvalidPathSegment as exc:
            raise ValidationError(name, str(exc)) from None
    return build_path(template, **checked)


CURSOR_TTL_SECONDS = 60.0


def _cursors(ctx: ActionContext) -> dict[str, Any]:
    """Remembered v2 cursors by list position. Positions move when records are added or deleted, so
    the memory is dropped after every write through this connection and after a minute."""
    born, cursors = ctx.cache.get("cursors", (0.0, {}))
    if time.monotonic() - born > CURSOR_TTL_SECONDS:
        born, cursors = time.monotonic(), {}
        ctx.cache["cursors"] = (born, cursors)
    return cursors


def _forget_cursors(ctx: ActionContext) -> None:
    ctx.cache.pop("cursors", None)


def v2_sort(sort: str | None, where: str = "sort") -> dict[str, str]:
    """Translate the seed's ``"field ASC, other DESC"`` to v2 ``sort_by``/``sort_direction``."""
    if not sort:
        return {}
    first = sort.split(",")[0].split()
    field = first[0] if first else ""  # " " or ",id": no first field, refused below
    direction = first[1].lower() if len(first) > 1 else "asc"
    if field not in V2_SORT_FIELDS or direction not in ("asc", "desc"):
        raise ValidationError(
            where,
            f"in API v2 mode sort must be one of {', '.join(V2_SORT_FIELDS)} followed by ASC or DESC, "
            f"got {sort!r} (use --api-version v1 for other fields)",
        )
    return {"sort_by": field, "sort_direction": direction}


def check_v2_sort(inputs: dict[str, Any], api_version: str) -> None:
    if api_version == "v2":
        v2_sort(inputs.get("sort"))


def check_search_term(inputs: dict[str, Any], api_version: str) -> None:
    term = inputs.get("term")
    if isinstance(term, str) and len(term.strip()) < (1 if inputs.get("exact_match") else 2):
        raise ValidationError("term", f"expected at least 2 characters (1 with exact_match), got {term!r}")


def _v1_envelope(body: dict[str, Any], start: int, limit: int) -> dict[str, Any]:
    """v1 lists already carry ``additional_data.pagination``; normalise the leads variant to it."""
    additional = dict(body.get("additional_data") or {})
    if "pagination" not in additional:
        items = body.get("data")
        count = len(items) if isinstance(items, list) else len((items or {}).get("items") or [])
        more, _ = v1_more(body)
        additional = {"pagination": pagination(start, limit, count, more)}
    return {**body, "additional_data": additional}


def list_items(
    ctx: ActionContext,
    entity: Entity,
    params_v1: Mapping[str, Any],
    params_v2: Mapping[str, Any],
    start: int,
    limit: int | None,
    keep: Callable[[dict[str, Any]], bool] | None = None,
) -> Flow[dict[str, Any]]:
    """A seed-shaped list page. ``keep`` filters client side (walks every page first)."""
    size = limit or DEFAULT_LIMIT
    if ctx.v2 and entity.v2_path:
        path = entity.v2_path
        if keep is not None:
            everything = yield from v2_all(path, params_v2)
            matching = [item for item in everything if keep(item)]
            items = matching[start : start + size]
            more = len(matching) > start + size
            body = {
                "success": True,
                "data": items,
                "additional_data": {"pagination": pagination(start, size, len(items), more)},
            }
        else:
            items, more, cursor = yield from v2_window(path, params_v2, start, size, _cursors(ctx))
            additional: dict[str, Any] = {"pagination": pagination(start, size, len(items), more)}
            if cursor:
                additional["next_cursor"] = cursor
            body = {"success": True, "data": items, "additional_data": additional}
    else:
        raw = yield from request("GET", entity.v1_path, {**params_v1, "start": start, "limit": size})
        body = _v1_envelope(raw, start, size)
        if body.get("data") is None:
            body["data"] = []
    return (yield from custom_fields.decode(ctx, entity.kind, body))


def search_items(
    ctx: ActionContext, entity: Entity, params: Mapping[str, Any], start: int, limit: int | None
) -> Flow[dict[str, Any]]:
    size = limit or DEFAULT_LIMIT
    if ctx.v2 and entity.v2_search_path:
        # Pipedrive caps v2 search pages at 500 (itemSearch at 100).
        items, more, cursor = yield from v2_window(entity.v2_search_path, params, start, size, _cursors(ctx))
        additional: dict[str, Any] = {"pagination": pagination(start, size, len(items), more)}
        if cursor:
            additional["next_cursor"] = cursor
        return {"success": True, "data": {"items": items}, "additional_data": additional}
    path = entity.v1_search_path or f"{entity.v1_path}/search"
    raw = yield from request("GET", path, {**params, "start": start, "limit": size})
    body = _v1_envelope(raw, start, size)
    if not isinstance(body.get("data"), dict):
        body["data"] = {"items": []}
    return body


def get_item(ctx: ActionContext, entity: Entity, item_id: Any) -> Flow[dict[str, Any]]:
    body = yield from request("GET", entity.item_path(ctx, item_id))
    return (yield from custom_fields.decode(ctx, entity.kind, body))


def delete_item(ctx: ActionContext, entity: Entity, item_id: Any) -> Flow[dict[str, Any]]:
    path = entity.item_path(ctx, item_id)
    _forget_cursors(ctx)
    body = yield from request("DELETE", path)
    data = body.get("data")
    if not isinstance(data, dict):  # v1 notes answer ``"data": true``; the output names the id
        data = {"id": data if isinstance(data, int | str) and not isinstance(data, bool) else item_id}
    return {"success": bool(body.get("success", True)), "data": data}


def write_item(
    ctx: ActionContext,
    entity: Entity,
    body: dict[str, Any],
    by_name: Mapping[str, Any] | None,
    where: str,
    item_id: Any = None,
) -> Flow[dict[str, Any]]:
    """POST (``item_id`` None) or update an entity; ``by_name`` custom fields are encoded first."""
    path = entity.path(ctx) if item_id is None else entity.item_path(ctx, item_id)
    _forget_cursors(ctx)
    payload = dict(body)
    if by_name:
        nested = ctx.v2 and entity.v2_path is not None
        yield from custom_fields.encode(ctx, entity.kind, by_name, payload, f"{where}.custom_fields", nested)
    if item_id is None:
        result = yield from request("POST", path, json=payload)
    else:
        method = "PATCH" if ctx.v2 and entity.v2_path else entity.v1_update_method
        result = yield from request(method, path, json=payload)
    return (yield from custom_fields.decode(ctx, entity.kind, result))


def me(ctx: ActionContext) -> Flow[dict[str, Any]]:
    if "me" not in ctx.cache:
        body = yield from request("GET", "/v1/users/me")
        ctx.cache["me"] = body.get("data") or {}
    user: dict[str, Any] = ctx.cache["me"]
    return user


def pick(values: Mapping[str, Any], *names: str) -> dict[str, Any]:
    return {name: values[name] for name in names if values.get(name) is not None}


def rename(values: Mapping[str, Any], mapping: Mapping[str, str]) -> dict[str, Any]:
    return {mapping.get(key, key): value for key, value in values.items()}
