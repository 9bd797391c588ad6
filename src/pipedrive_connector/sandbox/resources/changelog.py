"""Field changelogs of deals, persons and organizations (v1 ``GET /{plural}/{id}/changelog``).

Every change saved through the entity update path (v2 PATCH, v1 PUT) logs one record per changed
field, as Pipedrive does: a ``dealChange`` / ``personChange`` / ``organizationChange`` record
``{item_id, <link>: item_id, field_key, old_value, new_value, actor_user_id, time, change_source,
change_source_user_agent, is_bulk_update_flag, is_custom}`` (``<link>`` is the record's indexed
``deal_id``/``person_id``/``org_id`` column). Values are text like Pipedrive's (``null`` stays
null); field keys are the v1 field keys (a deal's ``owner_id`` is ``user_id``), custom fields log
under their 40-character key. The same records are the ``dealChange``… items of ``/flow``.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute

from pipedrive_connector.sandbox import timefmt
from pipedrive_connector.sandbox.errors import bad_request, not_found
from pipedrive_connector.sandbox.pagination import (
    CursorWindow,
    cursor_result,
    decode_cursor,
    limit_param,
)
from pipedrive_connector.sandbox.resources.common import now_iso, ok, principal, sandbox, v1_routes
from pipedrive_connector.sandbox.resources.entity import SAVE_HOOKS
from pipedrive_connector.sandbox.store import Record
from pipedrive_connector.sandbox.validation import MAX_INT, path_int

if TYPE_CHECKING:
    from pipedrive_connector.sandbox.state import SandboxState

# followed kind → (plural, label, changelog kind, indexed link field)
LOGGED: dict[str, tuple[str, str, str, str]] = {
    "deal": ("deals", "Deal", "dealChange", "deal_id"),
    "person": ("persons", "Person", "personChange", "person_id"),
    "organization": ("organizations", "Organization", "organizationChange", "org_id"),
}
# Canonical field → v1 field key, where they differ.
FIELD_KEYS: dict[str, dict[str, str]] = {
    "deal": {"owner_id": "user_id", "label_ids": "label"},
    "person": {"emails": "email", "phones": "phone", "label_ids": "label"},
    "organization": {"label_ids": "label"},
}
# Bookkeeping that Pipedrive does not log as field changes.
NOT_LOGGED = frozenset({"id", "update_time", "stage_change_time", "_deleted_at", "custom_fields"})


def as_text(value: Any) -> str | None:
    """A field value as the changelog's text (``null`` stays null)."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, str):
        return value
    if isinstance(value, list) and all(isinstance(item, int | float | str) for item in value):
        return ",".join(str(item) for item in value)
    if isinstance(value, int | float):
        return str(value)
    return json.dumps(value, separators=(",", ":"), sort_keys=True)


def changed_fields(kind: str, before: Record, after: Record) -> list[tuple[str, Any, Any, bool]]:
    """``(field key, old, new, is custom)`` for every logged field whose value changed."""
    keys = FIELD_KEYS.get(kind, {})
    result: list[tuple[str, Any, Any, bool]] = []
    for name in sorted(set(before) | set(after)):
        if name in NOT_LOGGED or name.startswith("_"):
            continue
        if before.get(name) != after.get(name):
            result.append((keys.get(name, name), before.get(name), after.get(name), False))
    old_custom = before.get("custom_fields") or {}
    new_custom = after.get("custom_fields") or {}
    for key in sorted(set(old_custom) | set(new_custom)):
        if old_custom.get(key) != new_custom.get(key):
            result.append((key, old_custom.get(key), new_custom.get(key), True))
    return result


def _log_changes(
    state: SandboxState, request: Request, kind: str, before: Record | None, record: Record, action: str
) -> None:
    if action != "change" or before is None or kind not in LOGGED:
        return
    _plural, _label, log_kind, link = LOGGED[kind]
    actor = principal(request).user_id
    agent = request.headers.get("user-agent")
    now = now_iso(state)
    for key, old, new, custom in changed_fields(kind, before, record):
        entry: Record = {
            "id": state.store.next_id(log_kind),
            "item_id": record["id"],
            link: record["id"],
            "field_key": key,
            "old_value": as_text(old),
            "new_value": as_text(new),
            "actor_user_id": actor,
            "time": now,
            "change_source": "api",
            "change_source_user_agent": agent,
            "is_bulk_update_flag": False,
            "is_custom": custom,
        }
        state.store.put(log_kind, entry)


SAVE_HOOKS.append(_log_changes)


def changelog_entries(state: SandboxState, kind: str, item_id: int) -> list[Record]:
    """Every logged change of one record, oldest first."""
    _plural, _label, log_kind, link = LOGGED[kind]
    return state.store.query(log_kind, where={link: item_id})


def load_live(state: SandboxState, kind: str, request: Request) -> Record:
    """The deal, person or organization named by the path's ``{id}``; 404 when unknown or deleted."""
    record = state.store.get(kind, path_int(request))
    if record is None or record.get("is_deleted"):
        raise not_found(f"{LOGGED[kind][1]} not found")
    return record


def newest_first_window(request: Request) -> CursorWindow:
    """The cursor window of a newest-first list by id (the spec offers only ``cursor`` and ``limit``)."""
    after = None
    cursor = request.query_params.get("cursor")
    if cursor:
        payload = decode_cursor(cursor)
        last_id = payload["id"]
        if not isinstance(last_id, int) or isinstance(last_id, bool) or abs(last_id) > MAX_INT:
            raise bad_request("Invalid cursor: pass next_cursor from a previous response unchanged")
        after = (last_id, last_id)
    return CursorWindow("id", True, limit_param(request), after)


def _v1_entry(entry: Record) -> dict[str, Any]:
    return {
        "field_key": entry["field_key"],
        "old_value": entry["old_value"],
        "new_value": entry["new_value"],
        "actor_user_id": entry["actor_user_id"],
        "time": timefmt.v1(entry["time"]),
        "change_source": entry["change_source"],
        "change_source_user_agent": entry["change_source_user_agent"],
        "is_bulk_update_flag": entry["is_bulk_update_flag"],
    }


def make_changelog(kind: str) -> Any:
    _plural, _label, log_kind, link = LOGGED[kind]

    async def changelog(request: Request) -> Response:
        """``GET /v1/{plural}/{id}/changelog``: the record's field changes, newest first, cursor pages."""
        state = sandbox(request)
        record = load_live(state, kind, request)
        window = newest_first_window(request)
        rows = state.store.query(
            log_kind,
            where={link: record["id"]},
            order_by="id",
            descending=True,
            after=window.after,
            limit=window.limit + 1,
        )
        page, cursor = cursor_result(window, rows)
        return ok([_v1_entry(entry) for entry in page], additional_data={"next_cursor": cursor})

    return changelog


def routes() -> list[BaseRoute]:
    return [
        route
        for kind, (plural, *_rest) in LOGGED.items()
        for route in v1_routes(f"/{plural}/{{id}}/changelog", make_changelog(kind), ["GET"])
    ]
