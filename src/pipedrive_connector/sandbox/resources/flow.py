"""Around a deal, person or organization (v1): ``/flow``, ``/mailMessages``, ``/permittedUsers`` (leads too).

``GET /v1/{plural}/{id}/flow`` merges the record's field changes (``dealChange``…, custom fields only
with ``all_changes=1``), notes, activities, follower adds and removals (``dealFollower``…) and — for
deals — participants into one newest-first list
of ``{object, timestamp, data}``, paged by ``start``/``limit`` and narrowed by ``items``. The sandbox
has no mailbox, so ``mailMessages`` is an empty page, and no visibility groups, so every active user
is permitted to see every record.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute

from pipedrive_connector.sandbox import relations, timefmt
from pipedrive_connector.sandbox.errors import bad_request
from pipedrive_connector.sandbox.pagination import offset_page, offset_result, offset_window
from pipedrive_connector.sandbox.resources import changelog, leads, notes, participants
from pipedrive_connector.sandbox.resources.common import ok, sandbox, v1_routes
from pipedrive_connector.sandbox.serializers import v1 as v1_shapes
from pipedrive_connector.sandbox.store import Record
from pipedrive_connector.sandbox.validation import query_bool

if TYPE_CHECKING:
    from pipedrive_connector.sandbox.state import SandboxState

# The ``items`` values the spec lists for flows.
FLOW_ITEMS = (
    "call", "activity", "plannedActivity", "change", "note", "deal", "file", "dealChange", "personChange",
    "organizationChange", "follower", "dealFollower", "personFollower", "organizationFollower",
    "participant", "comment", "mailMessage", "mailMessageWithAttachment", "invoice", "document",
    "marketing_campaign_stat", "marketing_status_change",
)  # fmt: skip


@dataclass(frozen=True)
class Source:
    """One kind of flow item: its ``object`` name, the store kind and the time it happened at."""

    object: str
    kind: str
    time_field: str
    render: Callable[[SandboxState, Record], dict[str, Any]]
    where: tuple[tuple[str, Any], ...] = ()  # conditions beyond the link to the record


def _change(state: SandboxState, entry: Record) -> dict[str, Any]:
    return {
        "id": entry["id"],
        "item_id": entry["item_id"],
        "user_id": entry["actor_user_id"],
        "field_key": entry["field_key"],
        "old_value": entry["old_value"],
        "new_value": entry["new_value"],
        "is_bulk_update_flag": entry["is_bulk_update_flag"],
        "log_time": timefmt.v1(entry["time"]),
        "change_source": entry["change_source"],
        "change_source_user_agent": entry["change_source_user_agent"],
        "additional_data": [],
    }


def _activity(state: SandboxState, record: Record) -> dict[str, Any]:
    return v1_shapes.activity_v1(state.store, record)


def _note(state: SandboxState, record: Record) -> dict[str, Any]:
    return notes.NOTES.v1(state, record)


def _follower_change(state: SandboxState, entry: Record) -> dict[str, Any]:
    return {
        "id": entry["id"],
        "user_id": entry["follower_user_id"],
        "actor_user_id": entry["actor_user_id"],
        "action": entry["action"],
        "add_time": timefmt.v1(entry["time"]),
    }


def _sources(kind: str) -> list[Source]:
    log_kind = changelog.LOGGED[kind][2]
    found = [
        Source(log_kind, log_kind, "time", _change),
        Source("note", "note", "add_time", _note),
        Source("activity", "activity", "add_time", _activity),
        Source(
            f"{kind}Follower", relations.FOLLOWER_CHANGE, "time", _follower_change, (("object_type", kind),)
        ),
    ]
    if kind == "deal":
        found.append(Source("participant", participants.PARTICIPANT, "add_time", participants.v1_shape))
    return found


def _wanted(request: Request) -> set[str] | None:
    raw = request.query_params.get("items")
    if not raw:
        return None
    names = {name.strip() for name in raw.split(",") if name.strip()}
    for name in sorted(names):
        if name not in FLOW_ITEMS:
            raise bad_request(f"Invalid value for 'items': '{name}' is not one of {', '.join(FLOW_ITEMS)}")
    return names


def make_flow(kind: str) -> Callable[[Request], Any]:
    link = changelog.LOGGED[kind][3]

    async def flow(request: Request) -> Response:
        state = sandbox(request)
        record = changelog.load_live(state, kind, request)
        wanted = _wanted(request)
        all_changes = bool(query_bool(request, "all_changes"))
        found: list[tuple[str, int, Source, Record]] = []
        for source in _sources(kind):
            if wanted is not None and source.object not in wanted:
                continue
            where: dict[str, Any] = {link: record["id"], **dict(source.where)}
            if source.kind in ("note", "activity"):
                where["is_deleted"] = False
            for item in state.store.query(source.kind, where=where):
                if item.get("is_custom") and not all_changes:
                    continue
                found.append((item.get(source.time_field) or "", item["id"], source, item))
        found.sort(key=lambda row: (row[0], row[1]), reverse=True)
        page, pagination = offset_page(request, found)
        data = [
            {"object": source.object, "timestamp": timefmt.v1(time), "data": source.render(state, item)}
            for time, _id, source, item in page
        ]
        return ok(data, additional_data={"pagination": pagination})

    return flow


def make_mail_messages(kind: str) -> Callable[[Request], Any]:
    async def mail_messages(request: Request) -> Response:
        state = sandbox(request)
        changelog.load_live(state, kind, request)
        start, limit = offset_window(request)
        _page, pagination = offset_result(start, limit, [])
        return ok([], additional_data={"pagination": pagination})

    return mail_messages


def permitted_user_ids(state: SandboxState) -> list[int]:
    """Every active user (the sandbox has no visibility groups)."""
    return [user["id"] for user in state.store.query("user", order_by="id") if user.get("active_flag", True)]


def make_permitted_users(kind: str) -> Callable[[Request], Any]:
    async def permitted_users(request: Request) -> Response:
        state = sandbox(request)
        changelog.load_live(state, kind, request)
        return ok(permitted_user_ids(state))

    return permitted_users


async def lead_permitted_users(request: Request) -> Response:
    """``GET /v1/leads/{id}/permittedUsers``: the same for a lead (UUID ids)."""
    state = sandbox(request)
    leads.load(state, request.path_params["id"])
    return ok(permitted_user_ids(state))


def routes() -> list[BaseRoute]:
    result: list[BaseRoute] = [*v1_routes("/leads/{id}/permittedUsers", lead_permitted_users, ["GET"])]
    for kind, (plural, *_rest) in changelog.LOGGED.items():
        base = f"/{plural}/{{id}}"
        result += [
            *v1_routes(f"{base}/flow", make_flow(kind), ["GET"]),
            *v1_routes(f"{base}/mailMessages", make_mail_messages(kind), ["GET"]),
            *v1_routes(f"{base}/permittedUsers", make_permitted_users(kind), ["GET"]),
        ]
    return result
