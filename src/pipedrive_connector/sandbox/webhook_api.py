"""Validation and responses of the v1 webhooks management API (``/v1/webhooks``)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from starlette.requests import Request
from starlette.responses import JSONResponse

from pipedrive_connector.sandbox.contracts import Principal
from pipedrive_connector.sandbox.validation import JsonBodyError, load_json_object
from pipedrive_connector.sandbox.webhook_payloads import EVENT_ACTIONS, EVENT_OBJECTS

WEBHOOKS_PER_USER = 40
_PIPEDRIVE_INFO = "Please check developers.pipedrive.com for more information about Pipedrive API."


def ok(data: Any = None, status: int = 200, with_data: bool = True) -> JSONResponse:
    body: dict[str, Any] = {"status": "ok", "success": True}
    if with_data:
        body["data"] = data
    return JSONResponse(body, status_code=status)


def field_errors(errors: dict[str, list[str]], status: int = 400) -> JSONResponse:
    return JSONResponse({"status": "error", "success": False, "errors": errors}, status_code=status)


def unauthorized() -> JSONResponse:
    return JSONResponse({"success": False, "error": "unauthorized access", "errorCode": 401}, status_code=401)


def scope_mismatch() -> JSONResponse:
    """An OAuth token without the ``admin`` scope, the only one the spec accepts on /webhooks."""
    return JSONResponse(
        {"success": False, "error": "Scope and URL mismatch", "errorCode": 403}, status_code=403
    )


def lacks_admin_scope(principal: Principal) -> bool:
    return principal.auth_kind == "oauth" and "admin" not in principal.scopes


def forbidden() -> JSONResponse:
    return JSONResponse({"success": False, "message": "Forbidden"}, status_code=403)


def not_found() -> JSONResponse:
    return field_errors({"id": ["not found"]}, status=404)


def limit_reached() -> JSONResponse:
    # Pipedrive documents the status (422) and the message; the exact body is not published, so this
    # follows the webhooks error shape and adds the v1 ``error`` field clients read.
    return JSONResponse(
        {
            "status": "error",
            "success": False,
            "error": "Webhooks limit reached",
            "error_info": _PIPEDRIVE_INFO,
            "errors": {"webhooks": [f"Webhooks limit reached ({WEBHOOKS_PER_USER} per user)"]},
            "data": None,
            "additional_data": None,
        },
        status_code=422,
    )


def bad_body(message: str, status: int = 400) -> JSONResponse:
    return JSONResponse(
        {
            "success": False,
            "error": message,
            "error_info": _PIPEDRIVE_INFO,
            "data": None,
            "additional_data": None,
        },
        status_code=status,
    )


def principal_of(request: Request) -> Principal | None:
    principal = request.scope.get("state", {}).get("principal")
    return principal if isinstance(principal, Principal) else None


class BodyError(Exception):
    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.message = message
        self.status = status


async def read_body(request: Request) -> dict[str, Any]:
    """JSON, or form-encoded as v1 also accepts; anything else is a 415."""
    raw = await request.body()
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type == "application/x-www-form-urlencoded":
        return dict(parse_qsl(raw.decode("utf-8", errors="replace"), keep_blank_values=True))
    if content_type not in ("application/json", "") and not content_type.endswith("+json"):
        raise BodyError(f"Unsupported content type {content_type!r}: send application/json", 415)
    try:
        return load_json_object(raw)
    except JsonBodyError as exc:
        raise BodyError(str(exc)) from None


def is_valid_subscription_url(value: object) -> bool:
    """Absolute http(s) URL with a host; loopback hosts are fine in the sandbox."""
    if not isinstance(value, str) or not value or len(value) > 2048 or any(c.isspace() for c in value):
        return False
    try:
        parts = urlsplit(value)
        parts.port  # noqa: B018 - raises ValueError on a bad port
    except ValueError:
        return False
    return parts.scheme in ("http", "https") and bool(parts.hostname)


SQLITE_MAX_INTEGER = 2**63 - 1


def int_or_none(value: object) -> int | None:
    """A non-negative id that SQLite can store, from an int or a digit string; None otherwise."""
    if isinstance(value, bool):
        return None
    number: int | None = None
    if isinstance(value, int):
        number = value
    elif isinstance(value, str) and value.strip().isdigit():
        number = int(value.strip())
    if number is None or not 0 <= number <= SQLITE_MAX_INTEGER:
        return None
    return number


def validate_new_webhook(
    body: dict[str, Any],
    principal: Principal,
    admin: bool,
    user_exists: Callable[[int], bool],
) -> tuple[dict[str, Any], dict[str, list[str]]]:
    """The fields to store, and per-field errors in Pipedrive's ``errors`` shape."""
    errors: dict[str, list[str]] = {}
    if not is_valid_subscription_url(body.get("subscription_url")):
        errors["subscription_url"] = ["invalid or non-reachable URL"]
    action = body.get("event_action")
    if action not in EVENT_ACTIONS:
        errors["event_action"] = [f"must be one of {', '.join(EVENT_ACTIONS)}"]
    obj = body.get("event_object")
    if obj not in EVENT_OBJECTS:
        errors["event_object"] = [f"must be one of {', '.join(EVENT_OBJECTS)}"]
    name = body.get("name")
    if not isinstance(name, str) or not name.strip():
        errors["name"] = ["is required"]
    elif len(name) > 255:
        errors["name"] = ["must be at most 255 characters"]
    user_id = principal.user_id
    if body.get("user_id") is not None:
        parsed = int_or_none(body.get("user_id"))
        if parsed is None or parsed <= 0:
            errors["user_id"] = ["must be a positive integer"]
        elif parsed != principal.user_id and not admin:
            errors["user_id"] = ["only an admin can create webhooks for another user"]
        elif not user_exists(parsed):
            errors["user_id"] = [f"user {parsed} not found"]
        else:
            user_id = parsed
    for secret_field in ("http_auth_user", "http_auth_password"):
        value = body.get(secret_field)
        if value is not None and not isinstance(value, str):
            errors[secret_field] = ["must be a string or null"]
    version = body.get("version", "2.0")
    if version is None:
        version = "2.0"
    if version not in ("1.0", "2.0"):
        errors["version"] = ['must be "1.0" or "2.0"']
    fields = {
        "owner_id": principal.user_id,
        "user_id": user_id,
        "event_action": action,
        "event_object": obj,
        "subscription_url": body.get("subscription_url"),
        "version": version,
        "type": "application" if principal.auth_kind == "oauth" else "general",
        "http_auth_user": body.get("http_auth_user") or None,
        "http_auth_password": body.get("http_auth_password") or None,
        "admin_id": principal.user_id,
        "name": name.strip() if isinstance(name, str) else "",
        "app_credential": principal.credential_id if principal.auth_kind == "oauth" else None,
    }
    return fields, errors
