"""Permission sets (v1) and a user's permissions.

The sets are fixed: an admin and a regular set of the sales, global and projects apps (deterministic
ids, ``seed.permission_set_id``). A user's ``access`` entries name the set they are in; admins of the
sales or global app may do everything, regular users all but the admin-only actions below.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute

from pipedrive_connector.sandbox.engine import spec_data
from pipedrive_connector.sandbox.errors import bad_request, not_found
from pipedrive_connector.sandbox.pagination import offset_page
from pipedrive_connector.sandbox.resources.common import ok, sandbox, v1_routes
from pipedrive_connector.sandbox.resources.users import load_user
from pipedrive_connector.sandbox.seed import permission_set_id
from pipedrive_connector.sandbox.store import Record
from pipedrive_connector.sandbox.validation import query_choice

if TYPE_CHECKING:
    from pipedrive_connector.sandbox.state import SandboxState

APPS = ("sales", "projects", "campaigns", "global", "account_settings", "partnership", "nova")
# (app, type, name): the sets every account has; ids are deterministic UUIDs.
PERMISSION_SETS = [
    (app, kind, f"{label} {'admin' if kind == 'admin' else 'user'}")
    for app, label in (("sales", "Sales"), ("global", "Global"), ("projects", "Projects"))
    for kind in ("admin", "regular")
]


def _permission_keys() -> tuple[str, ...]:
    return spec_data.response_keys("GET /v1/users/{id}/permissions")


# What a regular (non-admin) sales user may not do.
_ADMIN_ONLY = {
    "can_add_custom_fields",
    "can_delete_custom_fields",
    "can_edit_custom_fields",
    "can_see_security_dashboard",
    "can_see_company_wide_statistics",
    "can_see_other_users_statistics",
    "can_edit_shared_filters",
    "can_merge_deals",
    "can_merge_organizations",
    "can_merge_people",
    "can_modify_labels",
    "can_use_import",
    "can_export_data_from_lists",
    "can_bulk_edit_items",
}


def _contents(admin: bool) -> list[str]:
    return [key for key in _permission_keys() if admin or key not in _ADMIN_ONLY]


def is_admin(user: Record) -> bool:
    return bool(user.get("is_admin")) or any(
        entry.get("admin") for entry in user.get("access") or [] if entry.get("app") in ("sales", "global")
    )


async def user_permissions(request: Request) -> Response:
    state = sandbox(request)
    user = load_user(state, request)
    allowed = set(_contents(is_admin(user)))
    return ok({key: key in allowed for key in _permission_keys()})


def _sets(state: SandboxState) -> list[dict[str, Any]]:
    users = state.store.query("user", order_by="id")
    result = []
    for app, kind, name in PERMISSION_SETS:
        set_id = permission_set_id(app, kind == "admin")
        members = [
            u for u in users if any(a.get("permission_set_id") == set_id for a in u.get("access") or [])
        ]
        result.append(
            {
                "id": set_id,
                "name": name,
                "app": app,
                "type": kind,
                "assignment_count": len(members),
                "_users": members,
            }
        )
    return result


def _public(item: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in item.items() if not k.startswith("_")}


def _set(state: SandboxState, request: Request) -> dict[str, Any]:
    wanted = request.path_params["id"]
    for item in _sets(state):
        if item["id"] == wanted:
            return item
    raise not_found("Permission set not found")


async def list_permission_sets(request: Request) -> Response:
    state = sandbox(request)
    app = query_choice(request, "app", APPS)
    return ok([_public(item) for item in _sets(state) if app is None or item["app"] == app])


async def get_permission_set(request: Request) -> Response:
    item = _set(sandbox(request), request)
    # The spec documents this answer without the usual {success, data} envelope.
    return JSONResponse({**_public(item), "contents": _contents(item["type"] == "admin")})


async def permission_set_assignments(request: Request) -> Response:
    item = _set(sandbox(request), request)
    rows = [
        {"user_id": u["id"], "permission_set_id": item["id"], "name": item["name"]} for u in item["_users"]
    ]
    page, pagination = offset_page(request, rows)
    return ok(page, additional_data={"pagination": pagination})


def access_entries(raw: Any) -> list[dict[str, Any]]:
    """A new user's validated ``access`` (default: a regular sales user), each naming its permission set."""
    if raw is None:
        raw = [{"app": "sales"}]
    if not isinstance(raw, list) or not raw:
        raise bad_request("Invalid value for 'access': expected a list of {app, admin, permission_set_id}")
    known = {permission_set_id(app, kind == "admin"): app for app, kind, _ in PERMISSION_SETS}
    result = []
    for item in raw:
        if not isinstance(item, dict) or item.get("app") not in APPS:
            raise bad_request(
                f"Invalid value for 'access': each entry needs an app, one of {', '.join(APPS)}"
            )
        admin = item.get("admin", False)
        if not isinstance(admin, bool):
            raise bad_request("Invalid value for 'access': 'admin' must be a boolean")
        set_id = item.get("permission_set_id")
        if set_id is None:
            set_id = (
                permission_set_id(item["app"], admin)
                if permission_set_id(item["app"], admin) in known
                else None
            )
        elif known.get(set_id) != item["app"]:
            raise bad_request(
                f"Invalid value for 'access': permission set {set_id!r} is not one of the {item['app']} app's"
            )
        result.append({"app": item["app"], "admin": admin, "permission_set_id": set_id})
    return result


def routes() -> list[BaseRoute]:
    return [
        *v1_routes("/users/{id}/permissions", user_permissions, ["GET"]),
        *v1_routes("/permissionSets", list_permission_sets, ["GET"]),
        *v1_routes("/permissionSets/{id}", get_permission_set, ["GET"]),
        *v1_routes("/permissionSets/{id}/assignments", permission_set_assignments, ["GET"]),
    ]
