"""Roles (v1): CRUD, assignments, visibility settings and pipeline visibility; a user's role
assignments and role settings.

Every user has exactly one role (``user.role_id``): an assignment moves the user to the role, and
removing it moves the user back to the top role (1, which cannot be deleted).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute

from pipedrive_connector.sandbox.errors import bad_request, not_found
from pipedrive_connector.sandbox.pagination import offset_page
from pipedrive_connector.sandbox.resources.common import ok, sandbox, v1_routes
from pipedrive_connector.sandbox.resources.users import load_user, require_admin
from pipedrive_connector.sandbox.store import Record, Store
from pipedrive_connector.sandbox.validation import (
    coerce_v1_int,
    coerce_v1_str,
    path_int,
    query_bool,
    read_v1_body,
)

if TYPE_CHECKING:
    from pipedrive_connector.sandbox.state import SandboxState

KIND = "role"
TOP_ROLE = 1
VISIBILITY = (1, 3, 5, 7)
VISIBILITY_KEYS = (
    "deal_default_visibility",
    "lead_default_visibility",
    "org_default_visibility",
    "person_default_visibility",
    "product_default_visibility",
)
ACCESS_KEYS = ("deal_access_level", "org_access_level", "person_access_level", "product_access_level")
DEFAULT_SETTINGS = {**dict.fromkeys(VISIBILITY_KEYS, 3), **dict.fromkeys(ACCESS_KEYS, 7)}

# ---- roles ----


def role_record(role_id: int, name: str, parent_role_id: int | None) -> Record:
    return {
        "id": role_id,
        "name": name,
        "parent_role_id": parent_role_id,
        "active_flag": True,
        "settings": dict(DEFAULT_SETTINGS),
        "hidden_pipeline_ids": [],
    }


def seed_roles(store: Store) -> None:
    """The top role every user starts in."""
    store.put(KIND, role_record(store.next_id(KIND), "Company", None))


def _load(state: SandboxState, role_id: int) -> Record:
    role = state.store.get(KIND, role_id)
    if role is None:
        raise not_found("Role not found")
    return role


def _level(state: SandboxState, role: Record) -> int:
    level = 1
    while role.get("parent_role_id") is not None and level < 100:
        parent = state.store.get(KIND, role["parent_role_id"])
        if parent is None:
            break
        role, level = parent, level + 1
    return level


def _members(state: SandboxState, role_id: int) -> list[Record]:
    return [
        user
        for user in state.store.query("user", order_by="id")
        if (user.get("role_id") or TOP_ROLE) == role_id
    ]


def _role_v1(state: SandboxState, role: Record, *, with_level: bool) -> dict[str, Any]:
    data = {
        "id": role["id"],
        "name": role["name"],
        "parent_role_id": role.get("parent_role_id"),
        "active_flag": role.get("active_flag", True),
        # Strings, as the spec documents them.
        "assignment_count": str(len(_members(state, role["id"]))),
        "sub_role_count": str(state.store.count(KIND, where={"parent_role_id": role["id"]})),
    }
    if with_level:
        data["level"] = _level(state, role)
    return data


def _check_parent(state: SandboxState, role_id: int | None, parent_id: int | None) -> None:
    if parent_id is None:
        return
    parent = state.store.get(KIND, parent_id)
    if parent is None:
        raise bad_request(f"Invalid value for 'parent_role_id': role {parent_id} not found")
    while parent is not None:
        if parent["id"] == role_id:
            raise bad_request("Invalid value for 'parent_role_id': a role cannot be below itself")
        next_id = parent.get("parent_role_id")
        parent = state.store.get(KIND, next_id) if next_id is not None else None


def _name(body: dict[str, Any], *, required: bool) -> str | None:
    if "name" not in body and not required:
        return None
    name = coerce_v1_str("name", body.get("name"))
    if not name or not name.strip():
        raise bad_request("Parameter 'name' is required and cannot be empty")
    return name.strip()


async def list_roles(request: Request) -> Response:
    state = sandbox(request)
    roles = [_role_v1(state, role, with_level=True) for role in state.store.query(KIND, order_by="id")]
    page, pagination = offset_page(request, roles)
    return ok(page, additional_data={"pagination": pagination})


async def get_role(request: Request) -> Response:
    state = sandbox(request)
    role = _load(state, path_int(request))
    return ok(_role_v1(state, role, with_level=False), additional_data={"settings": role["settings"]})


async def add_role(request: Request) -> Response:
    state = sandbox(request)
    require_admin(state, request)
    body = await read_v1_body(request)
    name = _name(body, required=True)
    parent_id = coerce_v1_int("parent_role_id", body.get("parent_role_id"))
    _check_parent(state, None, parent_id)
    assert name is not None
    with state.db_lock:
        role = role_record(state.store.next_id(KIND), name, parent_id)
        state.store.put(KIND, role)
    return ok({"id": role["id"]})


async def update_role(request: Request) -> Response:
    state = sandbox(request)
    require_admin(state, request)
    role = _load(state, path_int(request))
    body = await read_v1_body(request)
    name = _name(body, required=False)
    if name is not None:
        role["name"] = name
    if "parent_role_id" in body:
        parent_id = coerce_v1_int("parent_role_id", body["parent_role_id"])
        _check_parent(state, role["id"], parent_id)
        role["parent_role_id"] = parent_id
    state.store.put(KIND, role)
    return ok({"id": role["id"]})


async def delete_role(request: Request) -> Response:
    state = sandbox(request)
    require_admin(state, request)
    role = _load(state, path_int(request))
    if role["id"] == TOP_ROLE:
        raise bad_request("The top role cannot be deleted")
    if _members(state, role["id"]):
        raise bad_request("The role has assigned users: remove their assignments first")
    if state.store.count(KIND, where={"parent_role_id": role["id"]}):
        raise bad_request("The role has sub-roles: move or delete them first")
    state.store.remove(KIND, role["id"])
    return ok({"id": role["id"]})


def _assignment(role: Record, user: Record) -> dict[str, Any]:
    return {
        "user_id": user["id"],
        "role_id": role["id"],
        "parent_role_id": role.get("parent_role_id"),
        "name": role["name"],
        "active_flag": bool(user.get("active_flag", True)),
        "type": "user",
    }


async def list_assignments(request: Request) -> Response:
    state = sandbox(request)
    role = _load(state, path_int(request))
    rows = [_assignment(role, user) for user in _members(state, role["id"])]
    page, pagination = offset_page(request, rows)
    return ok(page, additional_data={"pagination": pagination})


async def _assigned_user(request: Request) -> tuple[SandboxState, Record, Record]:
    state = sandbox(request)
    require_admin(state, request)
    role = _load(state, path_int(request))
    body = await read_v1_body(request)
    user_id = coerce_v1_int("user_id", body.get("user_id"))
    if user_id is None:
        raise bad_request("Parameter 'user_id' is required")
    user = state.store.get("user", user_id)
    if user is None:
        raise bad_request(f"Invalid value for 'user_id': user {user_id} not found")
    return state, role, user


async def add_assignment(request: Request) -> Response:
    state, role, user = await _assigned_user(request)
    state.store.put("user", {**user, "role_id": role["id"]})
    return ok({"user_id": user["id"], "role_id": role["id"]})


async def delete_assignment(request: Request) -> Response:
    state, role, user = await _assigned_user(request)
    if (user.get("role_id") or TOP_ROLE) != role["id"]:
        raise bad_request(f"User {user['id']} is not assigned to role {role['id']}")
    if role["id"] == TOP_ROLE:
        raise bad_request("Users of the top role can only be moved to another role")
    state.store.put("user", {**user, "role_id": TOP_ROLE})
    return ok({"id": role["id"]})


async def get_settings(request: Request) -> Response:
    state = sandbox(request)
    return ok(_load(state, path_int(request))["settings"])


async def set_setting(request: Request) -> Response:
    state = sandbox(request)
    require_admin(state, request)
    role = _load(state, path_int(request))
    body = await read_v1_body(request)
    key = body.get("setting_key")
    if key not in VISIBILITY_KEYS:
        raise bad_request(f"Invalid value for 'setting_key': must be one of {', '.join(VISIBILITY_KEYS)}")
    value = coerce_v1_int("value", body.get("value"))
    if value not in VISIBILITY:
        raise bad_request("Invalid value for 'value': must be one of 1, 3, 5, 7")
    role["settings"] = {**role["settings"], key: value}
    state.store.put(KIND, role)
    return ok({"id": role["id"], key: value})


def _pipelines(state: SandboxState, role: Record, visible: bool) -> dict[str, Any]:
    hidden = set(role.get("hidden_pipeline_ids") or [])
    ids = [p["id"] for p in state.store.query("pipeline", where={"is_deleted": False}, order_by="id")]
    return {"pipeline_ids": [i for i in ids if (i not in hidden) == visible], "visible": visible}


async def get_pipelines(request: Request) -> Response:
    state = sandbox(request)
    role = _load(state, path_int(request))
    visible = query_bool(request, "visible")
    return ok(_pipelines(state, role, True if visible is None else visible))


def _id_list(name: str, raw: Any) -> list[int]:
    """``"[1, 2]"`` (the spec's form), ``[1, 2]`` or one id."""
    if raw is None:
        return []
    if isinstance(raw, str):
        raw = [part for part in raw.strip().strip("[]").split(",") if part.strip()]
    items = raw if isinstance(raw, list) else [raw]
    ids = [coerce_v1_int(name, item.strip() if isinstance(item, str) else item) for item in items]
    return [i for i in ids if i is not None]


async def update_pipelines(request: Request) -> Response:
    """``PUT /roles/{id}/pipelines``: ``visible_pipeline_ids: {add: "[1]", remove: "[3, 4]"}``."""
    state = sandbox(request)
    require_admin(state, request)
    role = _load(state, path_int(request))
    body = await read_v1_body(request)
    change = body.get("visible_pipeline_ids")
    if not isinstance(change, dict):
        raise bad_request(
            "Parameter 'visible_pipeline_ids' is required: an object {add, remove} of pipeline ids"
        )
    add = _id_list("visible_pipeline_ids.add", change.get("add"))
    remove = _id_list("visible_pipeline_ids.remove", change.get("remove"))
    for pipeline_id in (*add, *remove):
        pipeline = state.store.get("pipeline", pipeline_id)
        if pipeline is None or pipeline.get("is_deleted"):
            raise bad_request(f"Invalid value for 'visible_pipeline_ids': pipeline {pipeline_id} not found")
    hidden = (set(role.get("hidden_pipeline_ids") or []) | set(remove)) - set(add)
    role["hidden_pipeline_ids"] = sorted(hidden)
    state.store.put(KIND, role)
    return ok(_pipelines(state, role, True))


# ---- a user's role data ----


def _user_role(state: SandboxState, user: Record) -> Record:
    return state.store.get(KIND, user.get("role_id") or TOP_ROLE) or role_record(TOP_ROLE, "Company", None)


async def user_role_assignments(request: Request) -> Response:
    state = sandbox(request)
    user = load_user(state, request)
    page, pagination = offset_page(request, [_assignment(_user_role(state, user), user)])
    return ok(page, additional_data={"pagination": pagination})


async def user_role_settings(request: Request) -> Response:
    state = sandbox(request)
    return ok(_user_role(state, load_user(state, request))["settings"])


def routes() -> list[BaseRoute]:
    return [
        *v1_routes("/roles", list_roles, ["GET"]),
        *v1_routes("/roles", add_role, ["POST"]),
        *v1_routes("/roles/{id}", get_role, ["GET"]),
        *v1_routes("/roles/{id}", update_role, ["PUT"]),
        *v1_routes("/roles/{id}", delete_role, ["DELETE"]),
        *v1_routes("/roles/{id}/assignments", list_assignments, ["GET"]),
        *v1_routes("/roles/{id}/assignments", add_assignment, ["POST"]),
        *v1_routes("/roles/{id}/assignments", delete_assignment, ["DELETE"]),
        *v1_routes("/roles/{id}/settings", get_settings, ["GET"]),
        *v1_routes("/roles/{id}/settings", set_setting, ["POST"]),
        *v1_routes("/roles/{id}/pipelines", get_pipelines, ["GET"]),
        *v1_routes("/roles/{id}/pipelines", update_pipelines, ["PUT"]),
        *v1_routes("/users/{id}/roleAssignments", user_role_assignments, ["GET"]),
        *v1_routes("/users/{id}/roleSettings", user_role_settings, ["GET"]),
    ]
