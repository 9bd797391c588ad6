"""dealFields, personFields, organizationFields, productFields (v1): list (paginated), get, add, update,
delete; v2 list and get."""

from __future__ import annotations

import json
import secrets
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute

from pipedrive_connector.sandbox import timefmt
from pipedrive_connector.sandbox.custom_fields import FIELD_TYPES
from pipedrive_connector.sandbox.engine import spec_data
from pipedrive_connector.sandbox.errors import ApiError, bad_request
from pipedrive_connector.sandbox.pagination import cursor_page, offset_page
from pipedrive_connector.sandbox.resources.common import ok, principal, sandbox, v1_routes, v2_route
from pipedrive_connector.sandbox.seed import make_field
from pipedrive_connector.sandbox.store import Record
from pipedrive_connector.sandbox.validation import coerce_v1_bool, path_int, read_v1_body

RESOURCES = {
    "dealFields": "dealField",
    "personFields": "personField",
    "organizationFields": "organizationField",
    "productFields": "productField",
}
FIELD_NOT_FOUND = ApiError(
    410, "The field is not found", body={"success": False, "error": "The field is not found"}
)


def _load(request: Request, kind: str) -> Record:
    record = sandbox(request).store.get(kind, path_int(request))
    if record is None or not record.get("active_flag", True):
        raise ApiError(404, "Field not found", error_info="Object was not found.")
    return record


def _options(raw: Any) -> list[str]:
    if isinstance(raw, str):
        try:
            raw = json.loads(raw)
        except ValueError:
            raise bad_request(
                "Invalid value for 'options': expected a JSON array of {label} objects"
            ) from None
    if not isinstance(raw, list) or not raw:
        raise bad_request('Parameter \'options\' is required for enum and set fields: [{"label": "..."}]')
    labels = []
    for item in raw:
        label = item.get("label") if isinstance(item, dict) else item
        if not isinstance(label, str) or not label.strip():
            raise bad_request("Invalid value for 'options': each option needs a non-empty 'label'")
        labels.append(label)
    return labels


def make_list(kind: str) -> Any:
    async def list_fields(request: Request) -> Response:
        items = [f for f in sandbox(request).store.all(kind) if f.get("active_flag", True)]
        page, pagination = offset_page(request, items)
        return ok(page, additional_data={"pagination": pagination})

    return list_fields


def make_get(kind: str) -> Any:
    async def get_field(request: Request) -> Response:
        return ok(_load(request, kind))

    return get_field


def make_add(kind: str, status: int = 200) -> Any:
    async def add_field(request: Request) -> Response:
        state = sandbox(request)
        body = await read_v1_body(request)
        name = body.get("name")
        if not isinstance(name, str) or not name.strip():
            raise bad_request("Parameter 'name' is required")
        field_type = body.get("field_type")
        if field_type not in FIELD_TYPES:
            raise bad_request(f"Invalid value for 'field_type': must be one of {', '.join(FIELD_TYPES)}")
        options = _options(body.get("options")) if field_type in ("enum", "set") else None
        record = make_field(
            state.store, kind, key=secrets.token_hex(20), name=name, field_type=field_type, options=options,
            custom=True, now=timefmt.iso(state.clock.now()), user_id=principal(request).user_id,
        )  # fmt: skip
        if "add_visible_flag" in body:
            record["add_visible_flag"] = bool(coerce_v1_bool("add_visible_flag", body["add_visible_flag"]))
            state.store.put(kind, record)
        return ok(record, status=status)

    return add_field


def make_update(kind: str) -> Any:
    async def update_field(request: Request) -> Response:
        state = sandbox(request)
        record = _load(request, kind)
        if not record.get("edit_flag"):
            raise ApiError(403, "Standard fields cannot be edited")
        body = await read_v1_body(request)
        if "name" in body:
            if not isinstance(body["name"], str) or not body["name"].strip():
                raise bad_request("Invalid value for 'name': must be a non-empty string")
            record["name"] = body["name"]
        if "options" in body and record["field_type"] in ("enum", "set"):
            existing = {o["label"]: o["id"] for o in record.get("options") or []}
            record["options"] = [
                {"id": existing.get(label) or state.store.next_id("fieldOption"), "label": label}
                for label in _options(body["options"])
            ]
        if "add_visible_flag" in body:
            record["add_visible_flag"] = bool(coerce_v1_bool("add_visible_flag", body["add_visible_flag"]))
        record["update_time"] = timefmt.v1(timefmt.iso(state.clock.now()))
        state.store.put(kind, record)
        return ok(record)

    return update_field


def make_delete(kind: str) -> Any:
    async def delete_field(request: Request) -> Response:
        state = sandbox(request)
        record = state.store.get(kind, path_int(request))
        if record is None or not record.get("active_flag", True):
            raise FIELD_NOT_FOUND
        if not record.get("edit_flag"):
            raise ApiError(403, "Standard fields cannot be deleted")
        state.store.put(kind, dict(record, active_flag=False))
        return ok({"id": record["id"]})

    return delete_field


def field_v2(record: Record) -> dict[str, Any]:
    """A field definition in the API v2 shape (``field_code``, ``field_name``, ``is_custom_field``...)."""
    options = record.get("options")
    return {
        "field_name": record["name"],
        "field_code": record["key"],
        "description": None,
        "field_type": record["field_type"],
        "options": [{"id": o["id"], "label": o["label"], "color": None} for o in options]
        if options
        else None,
        "subfields": None,
        "is_custom_field": bool(record.get("edit_flag")),
        "is_optional_response_field": False,
    }


def make_list_v2(kind: str) -> Any:
    async def list_fields(request: Request) -> Response:
        items = [f for f in sandbox(request).store.all(kind) if f.get("active_flag", True)]
        page, cursor = cursor_page(request, items, sort_fields=("id",))
        return ok([field_v2(f) for f in page], additional_data={"next_cursor": cursor})

    return list_fields


def make_get_v2(kind: str) -> Any:
    async def get_field(request: Request) -> Response:
        code = request.path_params["field_code"]
        for field in sandbox(request).store.all(kind):
            if field["key"] == code and field.get("active_flag", True):
                return ok(field_v2(field))
        raise ApiError(404, "Field not found", error_info="Object was not found.")

    return get_field


async def list_lead_fields(request: Request) -> Response:
    """Lead fields: the lead's own standard fields plus the deal custom fields leads inherit."""
    state = sandbox(request)
    standard = [f for f in state.store.all("dealField") if f["key"] in LEAD_STANDARD_KEYS]
    custom = [f for f in state.store.all("dealField") if f.get("edit_flag") and f.get("active_flag", True)]
    page, pagination = offset_page(request, standard + custom)
    return ok(page, additional_data={"pagination": pagination})


LEAD_STANDARD_KEYS = (
    "title",
    "value",
    "currency",
    "org_id",
    "person_id",
    "user_id",
    "expected_close_date",
    "label",
)


def routes() -> list[BaseRoute]:
    result: list[BaseRoute] = [
        *v1_routes("/leadFields", list_lead_fields, ["GET"]),
        # Activity fields: standard ones only (activities have no custom fields here).
        *v1_routes("/activityFields", make_list("activityField"), ["GET"]),
    ]
    for resource, kind in RESOURCES.items():
        result += [
            *v1_routes(f"/{resource}", make_list(kind), ["GET"]),
            # The spec's status: 200 for deal/person/organization fields, 201 for product fields.
            *v1_routes(
                f"/{resource}", make_add(kind, spec_data.response_status(f"POST /v1/{resource}")), ["POST"]
            ),
            *v1_routes(f"/{resource}/{{id}}", make_get(kind), ["GET"]),
            *v1_routes(f"/{resource}/{{id}}", make_update(kind), ["PUT"]),
            *v1_routes(f"/{resource}/{{id}}", make_delete(kind), ["DELETE"]),
            v2_route(f"/{resource}", make_list_v2(kind), ["GET"]),
            v2_route(f"/{resource}/{{field_code}}", make_get_v2(kind), ["GET"]),
        ]
    return result
