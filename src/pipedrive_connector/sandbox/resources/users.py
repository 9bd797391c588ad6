"""Users (v1 only): list, get, ``/users/me`` with the company data."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute

from pipedrive_connector.sandbox.errors import ApiError, bad_request
from pipedrive_connector.sandbox.resources.common import ok, principal, sandbox, v1_routes
from pipedrive_connector.sandbox.serializers.v1 import user_v1
from pipedrive_connector.sandbox.validation import path_int, query_choice

USER_NOT_FOUND_MESSAGE = "User not found or not accessible."
USER_NOT_FOUND: dict[str, object] = {"success": False, "error": USER_NOT_FOUND_MESSAGE}


async def list_users(request: Request) -> Response:
    state = sandbox(request)
    me = principal(request).user_id
    return ok([dict(user_v1(user), is_you=user["id"] == me) for user in state.store.all("user")])


async def get_user(request: Request) -> Response:
    state = sandbox(request)
    user = state.store.get("user", path_int(request))
    if user is None:
        raise ApiError(404, USER_NOT_FOUND_MESSAGE, body=dict(USER_NOT_FOUND))
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


def routes() -> list[BaseRoute]:
    return [
        *v1_routes("/users", list_users, ["GET"]),
        *v1_routes("/users/find", find_users, ["GET"]),
        *v1_routes("/users/me", me, ["GET"]),
        *v1_routes("/users/{id}", get_user, ["GET"]),
    ]
