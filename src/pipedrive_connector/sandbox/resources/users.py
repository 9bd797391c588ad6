"""Users (v1 only): list, get, add, (de)activate, ``/users/me`` with the company data."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute

from pipedrive_connector.sandbox import timefmt
from pipedrive_connector.sandbox.errors import ApiError, bad_request
from pipedrive_connector.sandbox.resources.common import now_iso, ok, principal, publish, sandbox, v1_routes
from pipedrive_connector.sandbox.serializers.v1 import user_v1
from pipedrive_connector.sandbox.store import Record
from pipedrive_connector.sandbox.validation import (
    coerce_v1_bool,
    coerce_v1_str,
    path_int,
    query_choice,
    read_v1_body,
)

if TYPE_CHECKING:
    from pipedrive_connector.sandbox.state import SandboxState

USER_NOT_FOUND_MESSAGE = "User not found or not accessible."
USER_NOT_FOUND: dict[str, object] = {"success": False, "error": USER_NOT_FOUND_MESSAGE}


async def list_users(request: Request) -> Response:
    state = sandbox(request)
    me = principal(request).user_id
    return ok([dict(user_v1(user), is_you=user["id"] == me) for user in state.store.all("user")])


def load_user(state: SandboxState, request: Request) -> Record:
    """The user of the path's ``id``, or Pipedrive's 404 for users."""
    user = state.store.get("user", path_int(request))
    if user is None:
        raise ApiError(404, USER_NOT_FOUND_MESSAGE, body=dict(USER_NOT_FOUND))
    return user


def require_admin(state: SandboxState, request: Request) -> None:
    """Managing users and roles is for admins (users with ``is_admin``), as in Pipedrive."""
    caller = state.store.get("user", principal(request).user_id)
    if caller is None or not caller.get("is_admin"):
        raise ApiError(403, "Only admins can manage users and roles")


async def get_user(request: Request) -> Response:
    user = load_user(sandbox(request), request)
    return ok(dict(user_v1(user), is_you=user["id"] == principal(request).user_id))


async def me(request: Request) -> Response:
    state = sandbox(request)
    user = state.store.get("user", principal(request).user_id)
    if user is None:
        raise ApiError(404, USER_NOT_FOUND_MESSAGE, body=dict(USER_NOT_FOUND))
    settings = state.settings
    data: dict[str, Any] = dict(user_v1(user), is_you=True)
    data.update(
        company_id=settings.company_id,
        company_name=str(settings.extra.get("company_name", "Sandbox Inc.")),
        company_domain=settings.company_domain,
        company_country="EE",
        company_industry="Software",
        language={"language_code": "en", "country_code": "US"},
    )
    return ok(data)


async def find_users(request: Request) -> Response:
    state = sandbox(request)
    term = (request.query_params.get("term") or "").strip().lower()
    if not term:
        raise bad_request("Parameter 'term' is required")
    by_email = query_choice(request, "search_by_email", ("0", "1", "true", "false")) in ("1", "true")
    field = "email" if by_email else "name"
    me = principal(request).user_id
    found = [user for user in state.store.all("user") if term in str(user.get(field) or "").lower()]
    return ok([dict(user_v1(user), is_you=user["id"] == me) for user in found])


_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


async def add_user(request: Request) -> Response:
    """``POST /v1/users``: a new (invited) user; ``access`` defaults to a regular sales user."""
    from pipedrive_connector.sandbox.resources.permissions import access_entries
    from pipedrive_connector.sandbox.resources.roles import TOP_ROLE

    state = sandbox(request)
    require_admin(state, request)
    body = await read_v1_body(request)
    email = coerce_v1_str("email", body.get("email"))
    if not email:
        raise bad_request("Parameter 'email' is required")
    email = email.strip()
    if not _EMAIL.match(email):
        raise bad_request(f"Invalid value for 'email': '{email}' is not an email address")
    if any(str(user.get("email")).lower() == email.lower() for user in state.store.all("user")):
        raise bad_request(f"Invalid value for 'email': a user with {email} already exists")
    access = access_entries(body.get("access"))
    active = coerce_v1_bool("active_flag", body.get("active_flag"))
    now = timefmt.v1(now_iso(state))
    admin = principal(request).user_id
    inviter = state.store.get("user", admin) or {}
    with state.db_lock:
        user = {
            "id": state.store.next_id("user"),
            "name": email.split("@", 1)[0].replace(".", " ").title(),
            "default_currency": inviter.get("default_currency", "EUR"),
            "timezone_name": inviter.get("timezone_name", "Europe/Tallinn"),
            "timezone_offset": inviter.get("timezone_offset", "+02:00"),
            "locale": "en_US",
            "lang": 1,
            "email": email,
            "phone": None,
            "activated": False,  # invited: activated when they first log in
            "last_login": None,
            "created": now,
            "modified": now,
            "has_created_company": False,
            "access": access,
            "active_flag": True if active is None else active,
            "is_admin": 1 if any(entry["admin"] for entry in access) else 0,
            "role_id": TOP_ROLE,
            "icon_url": None,
            "is_deleted": False,
        }
        state.store.put("user", user)
    shaped = dict(user_v1(user), is_you=False)
    publish(
        state,
        request,
        "user",
        "create",
        user["id"],
        current_v1=shaped,
        previous_v1=None,
        current_v2=shaped,
        previous_v2=None,
    )
    return ok(shaped)


async def update_user(request: Request) -> Response:
    """``PUT /v1/users/{id}``: (de)activate a user (``active_flag``, required)."""
    state = sandbox(request)
    require_admin(state, request)
    user = load_user(state, request)
    body = await read_v1_body(request)
    active = coerce_v1_bool("active_flag", body.get("active_flag"))
    if active is None:
        raise bad_request("Parameter 'active_flag' is required")
    me = principal(request).user_id
    if not active and user["id"] == me:
        raise bad_request("You cannot deactivate yourself")
    before = dict(user_v1(user), is_you=user["id"] == me)
    user = {**user, "active_flag": active, "modified": timefmt.v1(now_iso(state))}
    state.store.put("user", user)
    shaped = dict(user_v1(user), is_you=user["id"] == me)
    publish(
        state,
        request,
        "user",
        "change",
        user["id"],
        current_v1=shaped,
        previous_v1=before,
        current_v2=shaped,
        previous_v2=before,
    )
    return ok(shaped)


def routes() -> list[BaseRoute]:
    return [
        *v1_routes("/users", list_users, ["GET"]),
        *v1_routes("/users/find", find_users, ["GET"]),
        *v1_routes("/users/me", me, ["GET"]),
        *v1_routes("/users/{id}", get_user, ["GET"]),
        *v1_routes("/users", add_user, ["POST"]),
        *v1_routes("/users/{id}", update_user, ["PUT"]),
    ]
