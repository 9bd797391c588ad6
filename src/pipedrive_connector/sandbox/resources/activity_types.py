"""Activity types (v1): list, add, update, delete (marks the type inactive, answers the type).

Every account has the built-in types (call, meeting, task, deadline, email, lunch); added types are
custom (``is_custom_flag``) with a ``key_string`` made from the name. ``seed_activity_types`` loads
the built-ins for every seed.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute

from pipedrive_connector.sandbox.engine.declared import Ctx, Declaration, DeclaredResource, Hooks
from pipedrive_connector.sandbox.errors import bad_request
from pipedrive_connector.sandbox.resources.common import ok, sandbox, v1_routes
from pipedrive_connector.sandbox.store import Record, Store

if TYPE_CHECKING:
    from pipedrive_connector.sandbox.state import SandboxState

KIND = "activityType"
BUILT_IN = (
    ("Call", "call", "call", "FFFFFF"),
    ("Meeting", "meeting", "meeting", "FFFFFF"),
    ("Task", "task", "task", "FFFFFF"),
    ("Deadline", "deadline", "deadline", "FFFFFF"),
    ("Email", "email", "email", "FFFFFF"),
    ("Lunch", "lunch", "lunch", "FFFFFF"),
)
_COLOR = re.compile(r"^[0-9A-Fa-f]{6}$")
_NOT_KEY = re.compile(r"[^a-z0-9]+")


def seed_activity_types(store: Store, at: Callable[[float], str]) -> None:
    for order, (name, key, icon, color) in enumerate(BUILT_IN, start=1):
        store.put(
            KIND,
            {
                "id": store.next_id(KIND),
                "name": name,
                "key_string": key,
                "icon_key": icon,
                "color": color,
                "order_nr": order,
                "is_custom_flag": False,
                "active_flag": True,
                "add_time": at(365),
                "update_time": at(365),
            },
        )


class ActivityTypeRules(Hooks):
    def changes(self, ctx: Ctx, changes: dict[str, Any], before: Record | None) -> dict[str, Any]:
        if "name" in changes and not str(changes["name"] or "").strip():
            raise bad_request("Parameter 'name' is required and cannot be empty")
        color = changes.get("color")
        if color is not None and not _COLOR.match(color):
            raise bad_request(f"Invalid value for 'color': use 6 hex digits like FFFFFF, got '{color}'")
        if changes.get("order_nr") is not None and changes["order_nr"] < 1:
            raise bad_request("Invalid value for 'order_nr': must be a positive integer")
        return changes

    def finish(self, ctx: Ctx, record: Record, before: Record | None) -> None:
        if before is not None:
            return
        existing = ctx.state.store.query(KIND, order_by=None)
        taken = {item["key_string"] for item in existing}
        base = _NOT_KEY.sub("_", record["name"].lower()).strip("_") or "custom"
        key, suffix = base, 1
        while key in taken:
            suffix += 1
            key = f"{base}_{suffix}"
        record.update(
            key_string=key,
            is_custom_flag=True,
            active_flag=True,
            order_nr=max((item.get("order_nr") or 0 for item in existing), default=0) + 1,
        )
        record.setdefault("color", None)


ACTIVITY_TYPES = DeclaredResource(
    Declaration(
        kind=KIND,
        label="Activity type",
        v1_path="/activityTypes",
        v1_ops=("list", "add", "update"),
        hooks=ActivityTypeRules(),
    )
)


async def delete_activity_type(request: Request) -> Response:
    """``DELETE /v1/activityTypes/{id}``: the type stays, inactive (its activities keep their type)."""
    state = sandbox(request)
    before = ACTIVITY_TYPES.load(state, request)
    if not before.get("active_flag"):
        raise ACTIVITY_TYPES.not_found()
    record = ACTIVITY_TYPES.update(ACTIVITY_TYPES.ctx(state, request), before, {"active_flag": False})
    return ok(ACTIVITY_TYPES.v1(state, record))


def active_type_keys(state: SandboxState) -> set[str]:
    return {t["key_string"] for t in state.store.query(KIND, where={"active_flag": True}, order_by=None)}


def routes() -> list[BaseRoute]:
    return [
        *ACTIVITY_TYPES.routes(),
        *v1_routes("/activityTypes/{id}", delete_activity_type, ["DELETE"]),
    ]
