"""Account data (v1): user settings and connections, recents, subscription add-ons, video call
provider links (the mailbox is ``mailbox.py``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute

from pipedrive_connector.sandbox import timefmt
from pipedrive_connector.sandbox.errors import ApiError, bad_request, not_found
from pipedrive_connector.sandbox.pagination import offset_result, offset_window
from pipedrive_connector.sandbox.resources import activity_types, files, notes, products
from pipedrive_connector.sandbox.resources.common import ok, principal, sandbox, v1_routes
from pipedrive_connector.sandbox.serializers import v1 as shapes
from pipedrive_connector.sandbox.store import Cmp, Record
from pipedrive_connector.sandbox.validation import (
    UUID_PATTERN,
    coerce_v1_int,
    coerce_v1_str,
    read_v1_body,
)

if TYPE_CHECKING:
    from pipedrive_connector.sandbox.state import SandboxState

USER_SETTINGS = {
    "marketplace_team": False,
    "list_limit": 100,
    "beta_app": False,
    "prevent_salesphone_callto_override": False,
    "file_upload_destination": "s3",
    "callto_link_syntax": "callto:[number]",
    "autofill_deal_expected_close_date": False,
    "person_duplicate_condition": "name && (org_id || email || phone)",
}

Shaper = Callable[["SandboxState", Record], dict[str, Any]]
# Recents: item → (store kind, its update time field, whether that field is in v1 form, its v1 shape).
RECENT_KINDS: dict[str, tuple[str, str, bool, Shaper]] = {
    "activity": ("activity", "update_time", False, lambda s, r: shapes.activity_v1(s.store, r)),
    "activityType": ("activityType", "update_time", False, activity_types.ACTIVITY_TYPES.v1),
    "deal": ("deal", "update_time", False, lambda s, r: shapes.deal_v1(s.store, r)),
    "file": ("file", "update_time", False, files.FILES.v1),
    "filter": ("filter", "update_time", True, lambda s, r: dict(r)),
    "note": ("note", "update_time", False, notes.NOTES.v1),
    "person": ("person", "update_time", False, lambda s, r: shapes.person_v1(s.store, r)),
    "organization": ("organization", "update_time", False, lambda s, r: shapes.organization_v1(s.store, r)),
    "pipeline": ("pipeline", "update_time", False, lambda s, r: shapes.pipeline_v1(r)),
    "product": ("product", "update_time", False, products.PRODUCTS.v2),
    "stage": ("stage", "update_time", False, lambda s, r: shapes.stage_v1(s.store, r)),
    "user": ("user", "modified", True, lambda s, r: shapes.user_v1(r)),
}


async def user_settings(request: Request) -> Response:
    return ok(dict(USER_SETTINGS))


async def user_connections(request: Request) -> Response:
    """No Google account is connected in the sandbox."""
    return ok({"google": None})


async def addons(request: Request) -> Response:
    """The sandbox company has bought no add-ons."""
    return ok([])


def _since(request: Request) -> str:
    raw = request.query_params.get("since_timestamp")
    if not raw:
        raise bad_request("Parameter 'since_timestamp' is required (YYYY-MM-DD HH:MM:SS, UTC)")
    moment = timefmt.parse_any_datetime(raw)
    if moment is None:
        raise bad_request(f"Invalid value for 'since_timestamp': use YYYY-MM-DD HH:MM:SS, got '{raw}'")
    return timefmt.iso(moment)


async def recents(request: Request) -> Response:
    """``GET /recents``: what changed since a time, across kinds, oldest change first."""
    state = sandbox(request)
    since = _since(request)
    wanted = request.query_params.get("items")
    items = [item.strip() for item in wanted.split(",") if item.strip()] if wanted else list(RECENT_KINDS)
    for item in items:
        if item not in RECENT_KINDS:
            raise bad_request(f"Invalid value for 'items': '{item}' is not one of {', '.join(RECENT_KINDS)}")
    start, limit = offset_window(request)
    found: list[tuple[str, str, int | str, Record]] = []
    for item in items:
        kind, field, v1_form, _ = RECENT_KINDS[item]
        bound = timefmt.v1(since) if v1_form else since
        where: dict[str, Any] = {field: Cmp(">=", bound), "is_deleted": False}
        # Each kind's first start+limit+1 changes are enough for the merged page.
        for record in state.store.query(kind, where=where, order_by=field, limit=start + limit + 1):
            changed = timefmt.parse_any_datetime(str(record[field]))
            found.append((timefmt.iso(changed) if changed else since, item, record["id"], record))
    found.sort(key=lambda row: (row[0], row[1], str(row[2])))
    page, pagination = offset_result(start, limit, found[start : start + limit + 1])
    data = [
        {"item": item, "id": rid, "data": RECENT_KINDS[item][3](state, record)}
        for _, item, rid, record in page
    ]
    last = timefmt.v1(page[-1][0]) if page else None
    return ok(
        data,
        additional_data={
            "since_timestamp": timefmt.v1(since),
            "last_timestamp_on_page": last,
            "pagination": pagination,
        },
    )


# ---- video call integrations: a user's link to an installed provider ----

PROVIDER_LINK = "userProviderLink"


async def add_provider_link(request: Request) -> Response:
    state = sandbox(request)
    body = await read_v1_body(request)
    for name in ("user_provider_id", "user_id", "company_id", "marketplace_client_id"):
        if body.get(name) in (None, ""):
            raise bad_request(f"Parameter '{name}' is required")
    link_id = coerce_v1_str("user_provider_id", body["user_provider_id"])
    if link_id is None or not UUID_PATTERN.match(link_id):
        raise bad_request("Invalid value for 'user_provider_id': expected a UUID")
    user_id = coerce_v1_int("user_id", body["user_id"])
    if user_id is None or state.store.get("user", user_id) is None:
        raise bad_request(f"Invalid value for 'user_id': user {body['user_id']} not found")
    company_id = coerce_v1_int("company_id", body["company_id"])
    if company_id != principal(request).company_id:
        raise ApiError(403, "The company_id is not the company of the token")
    client_id = coerce_v1_str("marketplace_client_id", body["marketplace_client_id"])
    state.store.put(
        PROVIDER_LINK,
        {"id": link_id, "user_id": user_id, "company_id": company_id, "marketplace_client_id": client_id},
    )
    return ok({"message": "The user was added successfully"})


async def delete_provider_link(request: Request) -> Response:
    state = sandbox(request)
    link_id = request.path_params["id"]
    if state.store.get(PROVIDER_LINK, link_id) is None:
        raise not_found("User provider link not found")
    state.store.remove(PROVIDER_LINK, link_id)
    return ok({"message": "The user was removed successfully"})


def routes() -> list[BaseRoute]:
    return [
        *v1_routes("/userSettings", user_settings, ["GET"]),
        *v1_routes("/userConnections", user_connections, ["GET"]),
        *v1_routes("/billing/subscriptions/addons", addons, ["GET"]),
        *v1_routes("/recents", recents, ["GET"]),
        *v1_routes("/meetings/userProviderLinks", add_provider_link, ["POST"]),
        *v1_routes("/meetings/userProviderLinks/{id}", delete_provider_link, ["DELETE"]),
    ]
