"""customApiCall: any method and path under the connection's base URL, with its auth and rate limiter."""

from __future__ import annotations

from typing import Any

from pipedrive_connector.client.paths import InvalidPathSegment, check_request_path
from pipedrive_connector.component.actions import outputs
from pipedrive_connector.component.actions.flows import _forget_cursors
from pipedrive_connector.component.actions.props import S, select, text
from pipedrive_connector.component.calls import Flow, request
from pipedrive_connector.component.context import ActionContext
from pipedrive_connector.component.errors import ValidationError
from pipedrive_connector.component.model import Action, ControlType, Property, PropertyType

METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")


def check_path(inputs: dict[str, Any], api_version: str) -> None:
    path = inputs.get("path", "")
    if not path.startswith("/"):
        raise ValidationError(
            "path", f"expected a path starting with '/', such as /v1/users/me, got {path!r}"
        )
    if "?" in path or "#" in path:
        raise ValidationError("path", "put query parameters in query, not in the path")
    try:
        check_request_path(path)
    except InvalidPathSegment as exc:
        raise ValidationError("path", str(exc)) from None


def check_body(inputs: dict[str, Any], api_version: str) -> None:
    if inputs.get("body") is not None and inputs.get("method") in ("GET", "DELETE"):
        raise ValidationError("body", f"a {inputs['method']} request takes no body")


def custom_api_call(ctx: ActionContext, inputs: dict[str, Any]) -> Flow[dict[str, Any]]:
    if inputs["method"] != "GET":
        _forget_cursors(ctx)
    body = yield from request(inputs["method"], inputs["path"], inputs.get("query"), inputs.get("body"))
    if isinstance(body, dict) and "data" in body:
        return body
    return {"success": True, "data": body}


def _free_object(name: str, label: str, description: str) -> Property:
    return Property(
        name, label, PropertyType.OBJECT, ControlType.OBJECT_BUILDER, description, additional_properties=True
    )


ACTIONS = (
    Action(
        name="customApiCall",
        title="Custom API call",
        description="Sends any request to the Pipedrive API (a path under the connection's base URL, "
        "such as /api/v2/deals or /v1/users/me) with the connection's authorization and rate limits.",
        resource="custom",
        properties=(
            select("method", "Method", "The HTTP method.", S, *((m, m) for m in METHODS), required=True),
            text(
                "path",
                "Path",
                "The path under the base URL, e.g. /api/v2/deals/1.",
                required=True,
                min_length=1,
            ),
            _free_object("query", "Query", 'Query parameters, e.g. {"limit": 10}.'),
            _free_object("body", "Body", "The JSON body (POST, PUT, PATCH)."),
        ),
        execute=custom_api_call,
        output_schema=outputs.raw(),
        checks=(check_path, check_body),
        extra=True,
        destructive=True,  # it can send DELETE: an agent in read-only mode must not get it
    ),
)
