"""The ``*Fields`` resources of every entity kind, from one table (FIELD_RESOURCES).

v1: list (paginated), get, add, update, delete and bulk delete (``?ids=``) where the v1 spec has them;
v2 (fields_v2.py): list, get, create, update, delete and options where the v2 spec has them.
Standard fields come from the seed (seed.STANDARD_FIELDS); noteFields are served with the notes.
"""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute

from pipedrive_connector.sandbox import timefmt
from pipedrive_connector.sandbox.custom_fields import FIELD_TYPES
from pipedrive_connector.sandbox.engine import spec_data
from pipedrive_connector.sandbox.errors import ApiError, bad_request
from pipedrive_connector.sandbox.pagination import offset_page
from pipedrive_connector.sandbox.resources import fields_v2
from pipedrive_connector.sandbox.resources.common import ok, principal, sandbox, v1_routes, v2_route
from pipedrive_connector.sandbox.resources.fields_v2 import V2Fields
from pipedrive_connector.sandbox.seed import make_field
from pipedrive_connector.sandbox.store import Record
from pipedrive_connector.sandbox.validation import coerce_v1_bool, path_int, read_v1_body

V1_CRUD = ("list", "get", "add", "update", "delete", "bulk_delete")
V2_CRUD = ("list", "get", "add", "update", "delete", "options")
DEAL_NAMESPACES = ("ui_visibility", "important_fields", "required_fields")


@dataclass(frozen=True)
class FieldResource:
    """One ``*Fields`` resource: its path, what v1 and v2 serve, and the v2 rules (with its kind)."""

    path: str
    v1: tuple[str, ...]
    v2: tuple[str, ...]
    v2_spec: V2Fields


FIELD_RESOURCES = (
    FieldResource(
        "dealFields", V1_CRUD, V2_CRUD,
        V2Fields(
            "dealField", DEAL_NAMESPACES,
            ui_keys=(
                "add_visible_flag", "details_visible_flag",
                "projects_detail_visible_flag", "show_in_pipelines",
            ),
            extra_body=("important_fields", "required_fields", "description"),
        ),
    ),
    FieldResource("personFields", V1_CRUD, V2_CRUD, V2Fields("personField", DEAL_NAMESPACES)),
    FieldResource("organizationFields", V1_CRUD, V2_CRUD, V2Fields("organizationField", DEAL_NAMESPACES)),
    FieldResource(
        "productFields", V1_CRUD, V2_CRUD, V2Fields("productField", ("ui_visibility",), extra_body=())
    ),
    # Served as definitions even where no project uses them yet.
    FieldResource("projectFields", (), V2_CRUD, V2Fields("projectField", DEAL_NAMESPACES)),
    # Activities have standard fields only.
    FieldResource(
        "activityFields", ("list",), ("list", "get"), V2Fields("activityField", ("ui_visibility",))
    ),
)  # fmt: skip
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


def field_v1(record: Record) -> Record:
    """The stored definition without the v2-only settings (``_``-prefixed keys; see fields_v2)."""
    return {key: value for key, value in record.items() if not key.startswith("_")}


def make_list(kind: str) -> Any:
    async def list_fields(request: Request) -> Response:
        items = [f for f in sandbox(request).store.all(kind) if f.get("active_flag", True)]
        page, pagination = offset_page(request, items)
        return ok([field_v1(f) for f in page], additional_data={"pagination": pagination})

    return list_fields


def make_get(kind: str) -> Any:
    async def get_field(request: Request) -> Response:
        return ok(field_v1(_load(request, kind)))

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
        return ok(field_v1(record), status=status)

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
        return ok(field_v1(record))

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


async def list_lead_fields(request: Request) -> Response:
    """Lead fields: the lead's own standard fields plus the deal custom fields leads inherit."""
    state = sandbox(request)
    standard = [f for f in state.store.all("dealField") if f["key"] in LEAD_STANDARD_KEYS]
    custom = [f for f in state.store.all("dealField") if f.get("edit_flag") and f.get("active_flag", True)]
    page, pagination = offset_page(request, standard + custom)
    return ok([field_v1(f) for f in page], additional_data={"pagination": pagination})


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


def make_bulk_delete(kind: str) -> Any:
    async def delete_fields(request: Request) -> Response:
        state = sandbox(request)
        raw = request.query_params.get("ids", "")
        try:
            ids = [int(part) for part in raw.split(",") if part.strip()]
        except ValueError:
            raise bad_request("Invalid value for 'ids': expected comma-separated field ids") from None
        if not ids:
            raise bad_request("Parameter 'ids' is required: comma-separated field ids")
        records = [state.store.get(kind, field_id) for field_id in ids]
        missing = [
            i for i, r in zip(ids, records, strict=True) if r is None or not r.get("active_flag", True)
        ]
        if missing:
            raise ApiError(
                404, f"Fields not found: {', '.join(map(str, missing))}", error_info="Object was not found."
            )
        system = [i for i, r in zip(ids, records, strict=True) if r is not None and not r.get("edit_flag")]
        if system:
            raise ApiError(403, f"Standard fields cannot be deleted: {', '.join(map(str, system))}")
        for record in records:
            if record is not None:
                state.store.put(kind, dict(record, active_flag=False))
        return ok({"id": ids})

    return delete_fields


V1_HANDLERS = {
    "list": ("", ["GET"], make_list),
    "bulk_delete": ("", ["DELETE"], make_bulk_delete),
    "get": ("/{id}", ["GET"], make_get),
    "update": ("/{id}", ["PUT"], make_update),
    "delete": ("/{id}", ["DELETE"], make_delete),
}
V2_HANDLERS = {
    "list": ("", ["GET"], fields_v2.make_list),
    "add": ("", ["POST"], fields_v2.make_add),
    "options": ("/{field_code}/options", ["POST", "PATCH", "DELETE"], fields_v2.make_options),
    "get": ("/{field_code}", ["GET"], fields_v2.make_get),
    "update": ("/{field_code}", ["PATCH"], fields_v2.make_update),
    "delete": ("/{field_code}", ["DELETE"], fields_v2.make_delete),
}


def routes() -> list[BaseRoute]:
    result: list[BaseRoute] = [*v1_routes("/leadFields", list_lead_fields, ["GET"])]
    for resource in FIELD_RESOURCES:
        kind = resource.v2_spec.kind
        for operation in resource.v1:
            if operation == "add":
                # The spec's status: 200 for deal/person/organization fields, 201 for product fields.
                status = spec_data.response_status(f"POST /v1/{resource.path}")
                result += v1_routes(f"/{resource.path}", make_add(kind, status), ["POST"])
            else:
                suffix, methods, factory = V1_HANDLERS[operation]
                result += v1_routes(f"/{resource.path}{suffix}", factory(kind), methods)
        for operation in resource.v2:
            suffix, methods, v2_factory = V2_HANDLERS[operation]
            result.append(v2_route(f"/{resource.path}{suffix}", v2_factory(resource.v2_spec), methods))
    return result
